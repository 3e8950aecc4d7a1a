"""The named reads (and the few small writes outside the crawl's store) of the CLI and spider.

Each function is one question to the archive in words, so a caller never writes SQL and a
change of a table is made here. Readers of status must never fail on an archive from before a
table existed: those return empty results on `sqlite3.OperationalError`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

from pantau.pipeline.archive import schema

# -- archive_meta ------------------------------------------------------------------------


def meta_value(conn: sqlite3.Connection, key: str) -> str | None:
    """`archive_meta[key]`, or None (also when the archive has no archive_meta table)."""
    try:
        row = conn.execute("SELECT value FROM archive_meta WHERE key = ?", (key,)).fetchone()
    except sqlite3.Error:
        return None
    return None if row is None else row[0]


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    """Set `archive_meta[key]` and commit."""
    conn.execute("INSERT OR REPLACE INTO archive_meta(key, value) VALUES (?, ?)", (key, value))
    conn.commit()


def table_columns(conn: sqlite3.Connection, table: str) -> set[str]:
    """The table's column names (empty when there is no such table)."""
    return {r[1] for r in conn.execute(f"PRAGMA table_info([{table}])")}


def count_rows(conn: sqlite3.Connection, table: str) -> int:
    return conn.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0]


# -- status ------------------------------------------------------------------------------


def stored_sources(conn: sqlite3.Connection) -> list[tuple[str, str | None, int | None]]:
    """(name, region, enabled) of every source the archive knows."""
    try:
        return [tuple(r) for r in conn.execute("SELECT name, region, enabled FROM sources")]
    except sqlite3.OperationalError:
        return []


def source_names(conn: sqlite3.Connection) -> list[str]:
    """Sources the archive knows, from `sources` and then from runs of sources since removed."""
    names: list[str] = []
    for sql in ("SELECT name FROM sources", "SELECT DISTINCT source FROM crawl_runs"):
        try:
            for (name,) in conn.execute(sql):
                if name and name not in names:
                    names.append(name)
        except sqlite3.OperationalError:
            pass
    return names


def runs_of_source(conn: sqlite3.Connection, source: str) -> list[dict[str, Any]]:
    """Every crawl_runs row of a source, newest first, as dicts."""
    cur = conn.execute(
        "SELECT * FROM crawl_runs WHERE source = ? ORDER BY started_at DESC, id DESC", (source,)
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur]


def source_state(conn: sqlite3.Connection, source: str) -> dict[str, Any]:
    """What the archive holds for a source's next run: its articles, the URLs it knows them
    by, its feeds and sitemaps and how many of those carry conditional-GET validators."""
    state = {"known_articles": 0, "known_urls": 0, "feeds": 0, "feeds_with_validators": 0}
    try:
        state["known_articles"] = conn.execute(
            "SELECT count(*) FROM articles WHERE source = ?", (source,)
        ).fetchone()[0]
        aliases = conn.execute(
            "SELECT count(*) FROM url_aliases u JOIN articles a ON a.id = u.article_id "
            "WHERE a.source = ?",
            (source,),
        ).fetchone()[0]
        state["known_urls"] = state["known_articles"] + aliases
        row = conn.execute(
            "SELECT count(*), sum(coalesce(etag, '') != '' OR coalesce(last_modified, '') != '') "
            "FROM pages WHERE source = ? AND kind IN ('feed', 'sitemap')",
            (source,),
        ).fetchone()
        state["feeds"], state["feeds_with_validators"] = row[0], int(row[1] or 0)
    except sqlite3.OperationalError:
        pass
    state.update(frontier_state(conn, source))
    return state


GAVE_UP_SHOWN = 5  # given-up article URLs listed per source, newest first


def frontier_state(conn: sqlite3.Connection, source: str) -> dict[str, Any]:
    """Article URLs the crawl still owes, and those it gave up on with the reason
    (pipeline/archive/frontier.py; the whole list is the `frontier` table in Datasette)."""
    try:
        counts = {
            status: n
            for status, n in conn.execute(
                "SELECT status, count(*) FROM frontier WHERE source = ? "
                "AND status IN ('owed', 'gave-up') GROUP BY status",
                (source,),
            ).fetchall()
        }
        gave_up = conn.execute(
            "SELECT url, reason FROM frontier WHERE source = ? AND status = 'gave-up' "
            "ORDER BY resolved_at DESC LIMIT ?",
            (source, GAVE_UP_SHOWN),
        ).fetchall()
    except sqlite3.OperationalError:  # an archive from before the frontier
        return {}
    return {
        "owed_urls": counts.get("owed", 0),
        "gave_up_urls": counts.get("gave-up", 0),
        "gave_up_recent": [{"url": u, "reason": r} for u, r in gave_up],
    }


# -- runs --------------------------------------------------------------------------------


def run_rows(conn: sqlite3.Connection, run_id: str) -> list[tuple]:
    """One run's per-source rows, by source: status, counts, duration, errors, rejections."""
    return conn.execute(
        "SELECT source, status, requests, pages, articles_new, articles_updated, matches, "
        "errors, blocked, duration_s, error_summary, rejected, rejected_kinds "
        "FROM crawl_runs WHERE run_id = ? ORDER BY source",
        (run_id,),
    ).fetchall()


# -- demo --------------------------------------------------------------------------------


def matched_articles(conn: sqlite3.Connection) -> list[tuple]:
    """(title, source, published_at, story_id) of every matched article, by story."""
    return conn.execute(
        "SELECT a.title, a.source, a.published_at, a.story_id FROM matches m "
        "JOIN articles a ON a.id = m.article_id ORDER BY a.story_id, a.id"
    ).fetchall()


# -- re-extraction -----------------------------------------------------------------------


def rebuildable_pages(conn: sqlite3.Connection, source: str | None = None) -> list[tuple]:
    """(url, source, fetched_at, html, content_type, kind) of every stored first page that can
    be extracted again: archived article pages, and rejected article candidates kept raw."""
    sql = (
        "SELECT url, source, fetched_at, html, content_type, kind FROM pages "
        "WHERE html IS NOT NULL AND parent_url IS NULL "
        "AND (kind = 'article' OR reason IS NOT NULL)"
    )
    params: list[str] = []
    if source:
        sql += " AND source = ?"
        params.append(source)
    return conn.execute(sql, params).fetchall()


def continuation_pages(conn: sqlite3.Connection, url: str) -> list[tuple[bytes, str | None]]:
    """(html, content_type) of pages 2..n of the multi-page article at `url`, in order."""
    return conn.execute(
        "SELECT html, content_type FROM pages WHERE parent_url = ? ORDER BY page_no", (url,)
    ).fetchall()


def mark_page_rejected(
    conn: sqlite3.Connection, url: str, kind: str, reason: str, signals: dict[str, Any]
) -> None:
    """Record on a stored page why it gives no article (the caller's transaction)."""
    conn.execute(
        "UPDATE pages SET kind = ?, reason = ?, signals = ? WHERE url = ?",
        (kind, reason, json.dumps(signals, ensure_ascii=False, default=str), url),
    )


# -- the spider --------------------------------------------------------------------------


def stored_body(conn: sqlite3.Connection, url: str) -> bytes | None:
    """The stored (zlib-compressed) raw body of the page at `url`, or None."""
    row = conn.execute("SELECT html FROM pages WHERE url = ?", (url,)).fetchone()
    return row[0] if row and row[0] else None


def table_names(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def last_seen_by_url(conn: sqlite3.Connection, urls: list[str]) -> tuple | None:
    """(last_seen_at,) of the article stored under one of `urls`, or None."""
    marks = ",".join("?" * len(urls))
    return conn.execute(
        f"SELECT last_seen_at FROM articles WHERE url IN ({marks}) LIMIT 1", tuple(urls)
    ).fetchone()


def last_seen_by_alias(conn: sqlite3.Connection, urls: list[str]) -> tuple | None:
    """(last_seen_at,) of the article one of `urls` is an alias of, or None."""
    marks = ",".join("?" * len(urls))
    return conn.execute(
        "SELECT a.last_seen_at FROM url_aliases u JOIN articles a ON a.id = u.article_id "
        f"WHERE u.url IN ({marks}) LIMIT 1",
        tuple(urls),
    ).fetchone()


def frontier_site_date(conn: sqlite3.Connection, url: str) -> tuple | None:
    """(site_date,) the frontier keeps for the canonical article URL, or None."""
    return conn.execute("SELECT site_date FROM frontier WHERE url = ?", (url,)).fetchone()


def owed_rows(conn: sqlite3.Connection, source: str, limit: int) -> list[tuple]:
    """(url, discovered_url, discovered_via, listed_date, next_attempt_at, attempts) of the
    source's owed frontier URLs, oldest debt first."""
    return conn.execute(
        "SELECT url, discovered_url, discovered_via, listed_date, next_attempt_at, "
        "attempts FROM frontier WHERE source = ? AND status = 'owed' "
        "ORDER BY first_seen_at LIMIT ?",
        (source, limit),
    ).fetchall()


def given_up_rows(conn: sqlite3.Connection, source: str, limit: int) -> list[tuple]:
    """(url, resolved_at, site_date) of the source's given-up frontier URLs, newest first."""
    return conn.execute(
        "SELECT url, resolved_at, site_date FROM frontier "
        "WHERE source = ? AND status = 'gave-up' ORDER BY resolved_at DESC LIMIT ?",
        (source, limit),
    ).fetchall()


def recent_article_rows(
    conn: sqlite3.Connection, source: str, cutoff: str, limit: int
) -> list[tuple]:
    """(url, fetched_url, published_at, first_seen_at) of up to `limit` articles of the
    source published (or, undated, first stored) on or after `cutoff`."""
    return conn.execute(
        "SELECT a.url, a.fetched_url, a.published_at, a.first_seen_at FROM articles a "
        "WHERE a.source = ? AND (a.published_at >= ? OR "
        "(a.published_at IS NULL AND a.first_seen_at >= ?)) LIMIT ?",
        (source, cutoff, cutoff, limit),
    ).fetchall()


def page_validators(conn: sqlite3.Connection, url: str, kind: str | None = None) -> tuple | None:
    """(etag, last_modified, body_hash) of the stored page at `url` (of that kind), or None."""
    if kind is None:
        sql, args = "SELECT etag, last_modified, body_hash FROM pages WHERE url = ?", (url,)
    else:
        sql = "SELECT etag, last_modified, body_hash FROM pages WHERE url = ? AND kind = ?"
        args = (url, kind)
    return conn.execute(sql, args).fetchone()


def page_kind_and_time(conn: sqlite3.Connection, url: str) -> tuple | None:
    """(kind, fetched_at) of the stored page at `url`, or None."""
    return conn.execute("SELECT kind, fetched_at FROM pages WHERE url = ?", (url,)).fetchone()


# -- search ------------------------------------------------------------------------------

SORT_DATE = schema.SORT_DATE_SQL.format(t="a.")


def search_filters(
    topic: str | None, source: str | None, region: str | None, since: str | None, until: str | None
) -> tuple[list[str], list[Any]]:
    """The search's filters as (conditions on `articles a`, their parameters)."""
    where: list[str] = []
    params: list[Any] = []
    if topic:
        where.append("a.id IN (SELECT article_id FROM matches WHERE topic = ?)")
        params.append(topic)
    if source:
        where.append("a.source = ?")
        params.append(source)
    if region:
        where.append("a.region LIKE ?")
        params.append(f"%{region}%")
    if since:
        where.append(f"{SORT_DATE} >= ?")
        params.append(since)
    if until:
        where.append(f"{SORT_DATE} < ?")
        params.append(until + "T99" if len(until) == 10 else until)
    return where, params


def date_blocks(conn: sqlite3.Connection, since: str | None) -> list[tuple[int, str]]:
    """(block, max_date) of the id blocks that can hold an article from `since` on, newest
    bound first."""
    return conn.execute(
        "SELECT block, max_date FROM article_date_blocks "
        + ("WHERE max_date >= ? " if since else "")
        + "ORDER BY max_date DESC, block DESC",
        (since,) if since else (),
    ).fetchall()


def fts_hits(
    conn: sqlite3.Connection, fts: str, lo: int, hi: int, filters: tuple[list[str], list[Any]]
) -> Iterator[tuple[int, str]]:
    """(id, sort date) of articles with ids in [lo, hi) that the FTS5 query `fts` finds and
    the `search_filters` pass."""
    where, params = filters
    sql = (
        f"SELECT a.id, {SORT_DATE} FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid "
        "WHERE articles_fts MATCH ? AND articles_fts.rowid >= ? AND articles_fts.rowid < ?"
        + "".join(f" AND {w}" for w in where)
    )
    yield from conn.execute(sql, [fts, lo, hi, *params])


def title_and_text(conn: sqlite3.Connection, article_id: int) -> tuple[str | None, str | None]:
    return conn.execute("SELECT title, text FROM articles WHERE id = ?", (article_id,)).fetchone()


def words_with_prefix(conn: sqlite3.Connection, prefix: str, limit: int) -> list[str]:
    """Up to `limit` words of the archive's word list that start with `prefix`."""
    rows = conn.execute(
        "SELECT word FROM article_words WHERE word >= ? AND word < ? LIMIT ?",
        (prefix, prefix + "\U0010ffff", limit),
    )
    return [w for (w,) in rows]


def search_row(conn: sqlite3.Connection, article_id: int) -> dict[str, Any]:
    """The columns a search result shows (id, published_at, source, region, title, url)."""
    cursor = conn.execute(
        "SELECT id, published_at, source, region, title, url FROM articles WHERE id = ?",
        (article_id,),
    )
    return dict(zip([d[0] for d in cursor.description], cursor.fetchone(), strict=True))
