"""Build the article objects every alert format shares, from the archive.

One reader for all three channels keeps webhook, Slack and email telling the same story: the
same title, snippet, matched terms and "also published by" list for one alert row.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from pantau.pipeline.archive import outbox

SNIPPET_FALLBACK_CHARS = 280


@dataclass
class AlertItem:
    """One pending alert row plus the article it points at, ready to be rendered."""

    alert_id: int
    subscription: str
    kind: str  # new | updated
    story_id: int | None
    webhook_id: str
    topics: list[str]
    attempts: int
    created_at: str | None
    next_attempt_at: str | None
    delivery_id: str | None
    article: dict[str, Any]
    also_published_by: list[dict[str, str]] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.article.get("title") or self.article.get("url") or "(tanpa judul)"

    @property
    def url(self) -> str:
        return self.article.get("url") or ""


def _json_list(value: str | None) -> list[str]:
    if not value:
        return []
    try:
        data = json.loads(value)
    except ValueError:
        return [value]
    if isinstance(data, list):
        return [str(v) for v in data]
    return [str(data)]


def _pick_article_id(conn: sqlite3.Connection, row: sqlite3.Row) -> int | None:
    if row["article_id"] is not None:
        return int(row["article_id"])
    if row["story_id"] is None:
        return None
    return outbox.first_article_of_story(conn, row["story_id"])


def article_object(
    conn: sqlite3.Connection, article_id: int | None, topics: list[str]
) -> dict[str, Any]:
    """The spec's `data.article` object: url, title, source, ..., snippet, matched_terms."""
    art = None
    if article_id is not None:
        art = outbox.article_with_source(conn, article_id)
    if art is None:
        return {
            "url": None,
            "title": None,
            "source": None,
            "site_name": None,
            "region": None,
            "published_at": None,
            "author": None,
            "snippet": None,
            "matched_terms": [],
        }
    matches = outbox.article_matches(conn, article_id)
    # The alert's own topics first, in their order; other matches of the article after them.
    order = {t: i for i, t in enumerate(topics)}
    matches = sorted(matches, key=lambda m: (order.get(m["topic"], len(order)), m["topic"]))
    wanted = [m for m in matches if m["topic"] in order] or matches
    snippet = next((m["snippet"] for m in wanted if m["snippet"]), None)
    if not snippet:
        text = (art["text"] or "").strip()
        snippet = (
            text[:SNIPPET_FALLBACK_CHARS].rsplit(" ", 1)[0] + "…"
            if len(text) > SNIPPET_FALLBACK_CHARS
            else text or None
        )
    terms: list[str] = []
    for m in wanted:
        for term in _json_list(m["matched_terms"]):
            if term not in terms:
                terms.append(term)
    return {
        "url": art["url"],
        "title": art["title"],
        "source": art["source"],
        "site_name": art["site_name"],
        "region": art["region"] or art["source_region"],
        "published_at": art["published_at"],
        "author": art["author"],
        "snippet": snippet,
        "matched_terms": terms,
    }


def also_published_by(
    conn: sqlite3.Connection, story_id: int | None, article_id: int | None
) -> list[dict[str, str]]:
    """Other copies of the same story (syndicated or re-published), oldest first."""
    if story_id is None:
        return []
    rows = outbox.other_copies(conn, story_id, article_id)
    return [{"source": r["source"], "url": r["url"]} for r in rows]


def load_item(conn: sqlite3.Connection, row: sqlite3.Row) -> AlertItem:
    """Turn one `alerts` row into an AlertItem (reads articles, matches, sources)."""
    topics = _json_list(row["topics"])
    article_id = _pick_article_id(conn, row)
    return AlertItem(
        alert_id=int(row["id"]),
        subscription=row["subscription"],
        kind=row["kind"] or "new",
        story_id=row["story_id"],
        webhook_id=row["webhook_id"] or f"msg_alert{int(row['id']):022d}",
        topics=topics,
        attempts=int(row["attempts"] or 0),
        created_at=row["created_at"],
        next_attempt_at=row["next_attempt_at"],
        delivery_id=row["delivery_id"],
        article=article_object(conn, article_id, topics),
        also_published_by=also_published_by(conn, row["story_id"], article_id),
    )
