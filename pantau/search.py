"""`pantau search`: the topic query language over the archive's FTS5 index.

FTS5 narrows the candidates fast (the query's FTS form is a superset), then the same matcher
the topics use decides, so a search and a topic alert never disagree about what matches.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import sys
from typing import Any

from pipeline.query import parse_query
from pipeline.storage import open_db

COLUMNS = ["id", "published_at", "source", "region", "title", "url", "snippet"]


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
    parsed = parse_query(query, synonyms=synonyms)
    db = open_db(db_path)
    where = ["articles_fts MATCH ?"]
    params: list[Any] = [parsed.to_fts5()]
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
        where.append("COALESCE(a.published_at, a.first_seen_at) >= ?")
        params.append(since)
    if until:
        where.append("COALESCE(a.published_at, a.first_seen_at) < ?")
        params.append(until + "T99" if len(until) == 10 else until)
    sql = (
        "SELECT a.id, a.published_at, a.source, a.region, a.title, a.url, a.text, "
        "snippet(articles_fts, 1, '[', ']', '…', 24) AS snippet "
        "FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid "
        f"WHERE {' AND '.join(where)} "
        "ORDER BY COALESCE(a.published_at, a.first_seen_at) DESC, a.id DESC"
    )
    out: list[dict[str, Any]] = []
    try:
        cursor = db.execute(sql, params)
        for row in cursor:
            rec = dict(zip([d[0] for d in cursor.description], row, strict=True))
            if parsed.match(rec["title"] or "", rec["text"] or "") is None:
                continue
            rec.pop("text")
            out.append(rec)
            if len(out) >= limit:
                break
    except sqlite3.OperationalError as exc:
        raise ValueError(f"search failed: {exc}") from None
    finally:
        db.conn.close()
    return out


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
        w.writerows(rows)
        sys.stdout.write(buf.getvalue())
    else:
        from pantau.report import print_rows

        print_rows(["published_at", "source", "region", "title", "snippet", "url"], rows)
        print(f"{len(rows)} result(s)")
