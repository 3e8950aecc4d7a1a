"""The `alerts` table as the sender sees it: its reads and its small writes.

The alert sender (pipeline/alerts/) decides what to send, claim and retry; every statement it
needs is here, each meant for one short `transaction()` of a few rows, never open while a
message is on the wire. The crawl's side (queueing an alert with its article) is
`pipeline.archive.store.Archive`.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from pantau.pipeline.archive.db import connect


def open_outbox(db_path: str | Path) -> sqlite3.Connection:
    """The archive for the sender: rows by name, the schema left as it is."""
    return connect(db_path, named_rows=True, migrate=False)


def has_table(conn: sqlite3.Connection, name: str) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,))
    return row.fetchone() is not None


def _marks(ids: list[int]) -> str:
    return ",".join("?" * len(ids))


def alerts_with_articles(conn: sqlite3.Connection, status: str | None = None) -> list[dict]:
    """Every alert (or those with `status`), oldest first, with its article's title and URL."""
    sql = (
        "SELECT al.*, a.title AS title, a.url AS url FROM alerts al "
        "LEFT JOIN articles a ON a.id = al.article_id"
    )
    args: list[str] = []
    if status:
        sql += " WHERE al.status = ?"
        args.append(status)
    sql += " ORDER BY al.id"
    return [dict(r) for r in conn.execute(sql, args)]


def pending_alerts(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """Every pending alert row, oldest first."""
    return conn.execute("SELECT * FROM alerts WHERE status = 'pending' ORDER BY id").fetchall()


def last_digest_at(conn: sqlite3.Connection, subscription: str) -> str | None:
    row = conn.execute(
        "SELECT last_sent_at FROM digest_state WHERE subscription = ?", (subscription,)
    ).fetchone()
    return row[0] if row else None


def claim_states(conn: sqlite3.Connection, ids: list[int]) -> list[sqlite3.Row]:
    """(id, status, next_attempt_at, lease_until) of these alerts, to decide which are free."""
    return conn.execute(
        f"SELECT id, status, next_attempt_at, lease_until FROM alerts WHERE id IN ({_marks(ids)})",
        ids,
    ).fetchall()


def lease(conn: sqlite3.Connection, ids: list[int], until: str) -> None:
    conn.execute(f"UPDATE alerts SET lease_until = ? WHERE id IN ({_marks(ids)})", [until, *ids])


def pin_delivery(conn: sqlite3.Connection, ids: list[int], message_id: str) -> None:
    """Tie these alerts to one digest message, so a retry carries the same set and id."""
    conn.execute(
        f"UPDATE alerts SET delivery_id = ? WHERE id IN ({_marks(ids)})", [message_id, *ids]
    )


def mark_sent(conn: sqlite3.Connection, ids: list[int], sent_at: str, message_id: str) -> None:
    conn.execute(
        "UPDATE alerts SET status = 'sent', sent_at = ?, attempts = attempts + 1, "
        "last_error = NULL, lease_until = NULL, delivery_id = ? "
        f"WHERE id IN ({_marks(ids)}) AND status = 'pending'",
        [sent_at, message_id, *ids],
    )


def mark_digest_sent(conn: sqlite3.Connection, subscription: str, sent_at: str) -> None:
    conn.execute(
        "INSERT INTO digest_state(subscription, last_sent_at) VALUES (?, ?) "
        "ON CONFLICT(subscription) DO UPDATE SET last_sent_at = excluded.last_sent_at",
        (subscription, sent_at),
    )


def mark_dead(conn: sqlite3.Connection, ids: list[int], error: str) -> None:
    conn.execute(
        "UPDATE alerts SET status = 'dead', attempts = attempts + 1, last_error = ?, "
        "next_attempt_at = NULL, lease_until = NULL "
        f"WHERE id IN ({_marks(ids)}) AND status = 'pending'",
        [error, *ids],
    )


def mark_failed_attempt(
    conn: sqlite3.Connection, ids: list[int], error: str, next_attempt_at: str
) -> None:
    conn.execute(
        "UPDATE alerts SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, "
        f"lease_until = NULL WHERE id IN ({_marks(ids)}) AND status = 'pending'",
        [error, next_attempt_at, *ids],
    )


def release(conn: sqlite3.Connection, ids: list[int], next_attempt_at: str) -> None:
    """Give the claim back, due again at `next_attempt_at`, no attempt counted."""
    conn.execute(
        "UPDATE alerts SET next_attempt_at = ?, lease_until = NULL "
        f"WHERE id IN ({_marks(ids)}) AND status = 'pending'",
        [next_attempt_at, *ids],
    )


# -- what an alert says about its article ------------------------------------------------


def first_article_of_story(conn: sqlite3.Connection, story_id: int) -> int | None:
    row = conn.execute(
        "SELECT id FROM articles WHERE story_id = ? ORDER BY first_seen_at, id LIMIT 1",
        (story_id,),
    ).fetchone()
    return int(row[0]) if row else None


def article_with_source(conn: sqlite3.Connection, article_id: int) -> sqlite3.Row | None:
    """The article's row plus its source's region (`source_region`)."""
    return conn.execute(
        "SELECT a.*, s.region AS source_region FROM articles a "
        "LEFT JOIN sources s ON s.name = a.source WHERE a.id = ?",
        (article_id,),
    ).fetchone()


def article_matches(conn: sqlite3.Connection, article_id: int) -> list[Any]:
    """(topic, snippet, matched_terms) of the article's matches."""
    return conn.execute(
        "SELECT topic, snippet, matched_terms FROM matches WHERE article_id = ?", (article_id,)
    ).fetchall()


def other_copies(conn: sqlite3.Connection, story_id: int, article_id: int | None) -> list[Any]:
    """(source, url) of the story's other articles, oldest first."""
    return conn.execute(
        "SELECT source, url FROM articles WHERE story_id = ? AND id IS NOT ? "
        "ORDER BY first_seen_at, id",
        (story_id, article_id),
    ).fetchall()
