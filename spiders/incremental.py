"""Read-only view of the archive for incremental crawling.

The spider never writes the database (the item pipeline does); it only asks: is this article
known, and since when; what ETag/Last-Modified/body hash did this feed or listing have last time.
The archive may not exist yet (first run) or lack tables: then nothing is known.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipeline.canonical import variant_urls
from pipeline.dates import parse_timestamp
from pipeline.storage import body_hash


@dataclass(frozen=True)
class PageState:
    etag: str | None
    last_modified: str | None
    body_hash: str | None


class ArchiveState:
    """Known article URLs and page validators, read from the SQLite archive at `db_path`."""

    def __init__(self, db_path: str | Path | None):
        self.conn: sqlite3.Connection | None = None
        if db_path and Path(db_path).is_file():
            try:
                uri = Path(db_path).resolve().as_uri() + "?mode=ro"
                self.conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
                self.conn.execute("PRAGMA busy_timeout = 5000")
                self.tables = {
                    r[0]
                    for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
                }
            except sqlite3.Error:
                self.conn = None
        if self.conn is None:
            self.tables = set()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _one(self, sql: str, args: tuple) -> tuple | None:
        if self.conn is None:
            return None
        try:
            return self.conn.execute(sql, args).fetchone()
        except sqlite3.Error:
            return None

    def last_seen(self, url: str) -> datetime | None | bool:
        """When the article at `url` (any spelling) was last seen; False if it is unknown;
        None if it is known but has no usable timestamp."""
        if self.conn is None:
            return False
        urls = variant_urls(url)
        marks = ",".join("?" * len(urls))
        row = None
        if "articles" in self.tables:
            row = self._one(
                f"SELECT last_seen_at FROM articles WHERE url IN ({marks}) LIMIT 1", tuple(urls)
            )
        if row is None and "url_aliases" in self.tables and "articles" in self.tables:
            row = self._one(
                "SELECT a.last_seen_at FROM url_aliases u JOIN articles a ON a.id = u.article_id "
                f"WHERE u.url IN ({marks}) LIMIT 1",
                tuple(urls),
            )
        if row is None:
            return False
        return parse_timestamp(row[0]) if row[0] else None

    def is_known(self, url: str, changed_at: datetime | None = None) -> bool:
        """Known and not changed since we last saw it (a feed/sitemap date newer than
        last_seen_at means the article was updated and is worth fetching again)."""
        seen = self.last_seen(url)
        if seen is False:
            return False
        if changed_at is None or seen is None:
            return True
        if changed_at.tzinfo is None:
            changed_at = changed_at.replace(tzinfo=UTC)
        return changed_at <= seen

    def page(self, url: str) -> PageState | None:
        """Validators of a feed, sitemap or listing from its last fetch."""
        if "pages" not in self.tables:
            return None
        row = self._one("SELECT etag, last_modified, body_hash FROM pages WHERE url = ?", (url,))
        if row is None:
            return None
        return PageState(row[0] or None, row[1] or None, row[2] or None)

    def page_record(self, url: str) -> tuple[str | None, datetime | None] | None:
        """(kind, fetched_at) the archive recorded for a fetched URL (article, not-article,
        listing, gone ...), or None if it never stored it."""
        if "pages" not in self.tables:
            return None
        row = self._one("SELECT kind, fetched_at FROM pages WHERE url = ?", (url,))
        if row is None:
            return None
        return row[0], parse_timestamp(row[1]) if row[1] else None

    def conditional_headers(self, url: str) -> dict[str, str]:
        """If-None-Match / If-Modified-Since for a conditional GET of `url`."""
        state = self.page(url)
        headers: dict[str, str] = {}
        if state is None:
            return headers
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        return headers

    def unchanged(self, url: str, body: bytes) -> bool:
        """A 200 whose body is byte-identical to the stored one."""
        state = self.page(url)
        return bool(state and state.body_hash and state.body_hash == body_hash(body))
