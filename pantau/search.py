"""`pantau search`: the topic query language over the archive's FTS5 index.

FTS5 narrows the candidates fast (the query's FTS form is a superset), then the same matcher
the topics use decides, so a search and a topic alert never disagree about what matches.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import sys
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pantau.pipeline.archive import queries
from pantau.pipeline.archive.db import connect
from pantau.pipeline.archive.schema import DATE_BLOCK_BITS
from pantau.pipeline.archive.upkeep import words_recorded_from
from pantau.pipeline.query import Query, parse_query

COLUMNS = ["id", "published_at", "source", "region", "title", "url", "snippet"]


SINCE_FORMS = (
    "2026-03-01 (or a full ISO 8601 time), 1 Maret 2026, kemarin, hari ini, yesterday, today, "
    '"7 hari lalu", "3 days ago", "2 weeks ago"'
)
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ].+)?$")


def parse_since(text: str, now: datetime | None = None) -> str:
    """A --since/--until value as the archive compares dates: ISO kept as given, anything
    dateparser reads (Indonesian or English, relative to `now` in WIB) as its day.

    Raises ValueError listing the accepted forms: a date that is not understood must not
    quietly filter everything out.
    """
    value = text.strip()
    if _ISO_DAY.match(value):
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{text!r} is not a valid date; use {SINCE_FORMS}") from None
        return value
    import dateparser

    base = (now or datetime.now(UTC)).astimezone(ZoneInfo("Asia/Jakarta")).replace(tzinfo=None)
    settings = {"PREFER_DATES_FROM": "past", "RELATIVE_BASE": base, "DATE_ORDER": "DMY"}
    found = dateparser.parse(value, languages=["id", "en"], settings=settings)  # type: ignore[arg-type]
    if found is None:
        raise ValueError(f"{text!r} is not a date pantau understands; use {SINCE_FORMS}")
    return found.date().isoformat()


def search_archive(
    db_path: str,
    query: str,
    *,
    topic: str | None = None,
    source: str | None = None,
    region: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 20,
    synonyms: list[list[str]] | None = None,
) -> list[dict[str, Any]]:
    """The newest `limit` articles matching `query`, newest first (ties: higher id first)."""
    parsed = parse_query(query, synonyms=synonyms)
    filters = queries.search_filters(topic, source, region, since, until)
    conn = connect(db_path)
    try:
        found = _newest_matches(conn, parsed, filters, limit, since)
        return [{**queries.search_row(conn, aid), "snippet": snip} for aid, snip in found]
    except sqlite3.OperationalError as exc:
        raise ValueError(f"search failed: {exc}") from None
    finally:
        conn.close()


def _newest_matches(
    conn: sqlite3.Connection,
    parsed: Query,
    filters: tuple[list[str], list[Any]],
    limit: int,
    since: str | None,
) -> list[tuple[int, str]]:
    """(id, snippet) of the newest matches, reading the archive newest block first.

    Sorting every FTS hit by date costs a row lookup per hit: most of a second for a common
    word in a million articles. Blocks of ids come in order of their newest possible date
    (`article_date_blocks`); a candidate is final once it is newer than any unread block can
    be, so a common word stops after a block or two. Each FTS query has a fixed cost (a stemmed
    term expands to dozens of prefixes), so groups of blocks grow fourfold: a rare word costs
    a handful of range queries over the whole index, not one per block.
    """
    blocks = queries.date_blocks(conn, since)
    fts = exact_words_fts(conn, parsed.to_fts5())
    read: set[int] = set()
    pending: list[tuple[str, int]] = []  # FTS candidates not yet confirmed, newest last
    found: list[tuple[int, str]] = []
    i, width = 0, 1
    while len(found) < limit:
        group = [b for b, _ in blocks[i : i + width] if b not in read]
        i += width
        width *= 4
        done_before = frozenset(read)  # a range may span blocks an earlier range read
        for lo, hi in _id_ranges(sorted(group)):
            read.update(range(lo >> DATE_BLOCK_BITS, hi >> DATE_BLOCK_BITS))
            pending.extend(
                (key, aid)
                for aid, key in queries.fts_hits(conn, fts, lo, hi, filters)
                if aid >> DATE_BLOCK_BITS not in done_before
            )
        while i < len(blocks) and blocks[i][0] in read:
            i += 1
        bound = blocks[i][1] if i < len(blocks) else None
        pending.sort()
        while pending and len(found) < limit and (bound is None or pending[-1][0] > bound):
            _, aid = pending.pop()
            title, text = queries.title_and_text(conn, aid)
            hit = parsed.match(title or "", text or "", marks=("[", "]"))  # FTS form: a superset
            if hit is not None:
                found.append((aid, hit.snippet))
        if bound is None:
            break
    return found


_PREFIX_TERM = re.compile(r'"([^"\s]+)"\*')
_NEAR_GROUP = re.compile(r"(NEAR\([^)]*\))")
MAX_WORDS_PER_PREFIX = 64


def exact_words_fts(conn: sqlite3.Connection, fts: str) -> str:
    """The FTS5 expression with each one-word prefix term ("pemerintah"*) replaced by the words
    of the archive that start with it ("pemerintah" OR "pemerintahan" ...).

    FTS5 answers a prefix term by reading every posting of every matching word, whatever the
    rest of the query: tens of milliseconds for a common word in a million articles, on every
    query. Exact words are looked up, not read. `article_words` holds every word the archive
    has indexed; until it does (an older archive still being filled in), prefixes stay. NEAR
    groups keep theirs (NEAR takes phrases, not OR groups); so does a prefix with very many
    words, where the OR would cost more than it saves.
    """
    if words_recorded_from(conn):
        return fts
    parts = _NEAR_GROUP.split(fts)
    for i in range(0, len(parts), 2):  # odd parts are NEAR groups
        parts[i] = _PREFIX_TERM.sub(lambda m: _words_for(conn, m), parts[i])
    return "".join(parts)


def _words_for(conn: sqlite3.Connection, m: re.Match[str]) -> str:
    prefix = m.group(1)
    words = queries.words_with_prefix(conn, prefix, MAX_WORDS_PER_PREFIX + 1)
    if not words or len(words) > MAX_WORDS_PER_PREFIX:
        return m.group(0)
    return "(" + " OR ".join('"' + w.replace('"', '""') + '"' for w in words) + ")"


def _id_ranges(blocks: list[int]) -> list[tuple[int, int]]:
    """Sorted block numbers -> half-open id ranges. Blocks a short gap apart share one range
    (reading the gap's blocks early costs less than another FTS query)."""
    ranges: list[tuple[int, int]] = []
    gap = max(2, len(blocks) // 4)
    for b in blocks:
        lo, hi = b << DATE_BLOCK_BITS, (b + 1) << DATE_BLOCK_BITS
        if ranges and lo - ranges[-1][1] <= gap << DATE_BLOCK_BITS:
            ranges[-1] = (ranges[-1][0], hi)
        else:
            ranges.append((lo, hi))
    return ranges


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """A text cell a spreadsheet will not run as a formula (OWASP CSV injection advice).

    Scraped titles and snippets are hostile input; one starting with =, +, -, @, tab or CR
    gets a leading ' so Excel/LibreOffice show it as text. Numbers are left as they are.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def print_results(rows: list[dict[str, Any]], fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    elif fmt == "jsonl":
        for r in rows:
            print(json.dumps(r, ensure_ascii=False))
    elif fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=COLUMNS, extrasaction="ignore")
        w.writeheader()
        w.writerows({k: spreadsheet_safe(v) for k, v in r.items()} for r in rows)
        sys.stdout.write(buf.getvalue())
    else:
        from pantau.report import print_rows

        print_rows(["published_at", "source", "region", "title", "snippet", "url"], rows)
        print(f"{len(rows)} result(s)")
