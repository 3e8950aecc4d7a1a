"""Read-only view of the archive for incremental crawling.

The spider never writes the database (the item pipeline does); it only asks: is this article
known, and since when; what ETag/Last-Modified/body hash did this feed or listing have last time;
which article URLs are still owed (the `frontier`, pipeline/archive/frontier.py) and what date
the site gave for a URL last time; which articles are recent enough to re-check with a
conditional GET.
The archive may not exist yet (first run) or lack tables: then nothing is known.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pantau.pipeline.archive import queries
from pantau.pipeline.archive.db import connect
from pantau.pipeline.archive.store import body_hash
from pantau.pipeline.canonical import canonicalize_url, variant_urls
from pantau.pipeline.dates import parse_timestamp


@dataclass(frozen=True)
class PageState:
    etag: str | None
    last_modified: str | None
    body_hash: str | None


@dataclass(frozen=True)
class OwedUrl:
    """An article URL an earlier run decided to fetch and never got (frontier status owed)."""

    url: str  # canonical: the frontier's key
    discovered_url: str
    discovered_via: str | None
    listed_date: datetime | None
    next_attempt_at: datetime | None  # not before this (backoff); None: due now
    attempts: int


@dataclass(frozen=True)
class RecentArticle:
    """An article of the last hours, to re-check with a conditional GET."""

    url: str  # the URL its page was fetched from
    key: str  # the article's canonical URL
    etag: str | None
    last_modified: str | None
    body_hash: str | None


OWED_LIMIT = 5000  # owed URLs a run reads per source (oldest debts first)


class ArchiveState:
    """Known article URLs and page validators, read from the SQLite archive at `db_path`."""

    def __init__(self, db_path: str | Path | None):
        self.conn: sqlite3.Connection | None = None
        if db_path and Path(db_path).is_file():
            try:
                self.conn = connect(db_path, readonly=True)
                self.tables = queries.table_names(self.conn)
            except sqlite3.Error:
                self.conn = None
        if self.conn is None:
            self.tables = set()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _ask(self, query: Callable[..., Any], *args: Any, default: Any = None) -> Any:
        """A named read (pipeline.archive.queries); `default` when it cannot be answered."""
        if self.conn is None:
            return default
        try:
            return query(self.conn, *args)
        except sqlite3.Error:
            return default

    def last_seen(self, url: str) -> datetime | None | bool:
        """When the article at `url` (any spelling) was last seen; False if it is unknown;
        None if it is known but has no usable timestamp."""
        if self.conn is None:
            return False
        urls = list(variant_urls(url))
        row = None
        if "articles" in self.tables:
            row = self._ask(queries.last_seen_by_url, urls)
        if row is None and "url_aliases" in self.tables and "articles" in self.tables:
            row = self._ask(queries.last_seen_by_alias, urls)
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

    def site_date(self, key: str) -> tuple[bool, datetime | None]:
        """(recorded?, date): the newest modification date the site gave for the article URL
        `key` (canonical) in an earlier run: Atom <updated>, RSS atom:updated, <lastmod>."""
        if "frontier" not in self.tables:
            return False, None
        row = self._ask(queries.frontier_site_date, key)
        if row is None:
            return False, None
        return True, parse_timestamp(row[0]) if row[0] else None

    def unchanged_article(
        self, url: str, key: str, changed_at: datetime | None
    ) -> tuple[bool, bool]:
        """(archived and unchanged?, remember the date?) for an article link with the date
        discovery gave now. The site's date is compared with the site's date kept last time;
        only an article archived before any was kept is compared with our last_seen_at (once:
        the caller then remembers the site's date)."""
        seen = self.last_seen(url)
        if seen is False:
            return False, False
        if changed_at is None:
            return True, False
        if changed_at.tzinfo is None:
            changed_at = changed_at.replace(tzinfo=UTC)
        _recorded, site = self.site_date(key)
        if site is not None:
            return changed_at <= site, False
        return (seen is None or changed_at <= seen), True

    def owed(self, source: str, limit: int = OWED_LIMIT) -> dict[str, OwedUrl]:
        """Article URLs of `source` still owed by earlier runs, by canonical URL."""
        if self.conn is None or "frontier" not in self.tables:
            return {}
        rows = self._ask(queries.owed_rows, source, limit, default=[])
        return {
            r[0]: OwedUrl(
                r[0],
                r[1] or r[0],
                r[2],
                parse_timestamp(r[3]) if r[3] else None,
                parse_timestamp(r[4]) if r[4] else None,
                int(r[5] or 0),
            )
            for r in rows
        }

    def given_up(
        self, source: str, limit: int = OWED_LIMIT
    ) -> dict[str, tuple[datetime | None, datetime | None]]:
        """URLs of `source` the frontier gave up on: canonical URL -> (when, site date)."""
        if self.conn is None or "frontier" not in self.tables:
            return {}
        rows = self._ask(queries.given_up_rows, source, limit, default=[])
        return {r[0]: (parse_timestamp(r[1]), parse_timestamp(r[2])) for r in rows}

    def recent_articles(
        self, source: str, since: datetime, limit: int = 500
    ) -> list[RecentArticle]:
        """Articles of `source` published since `since` (an undated page: dated by the site's
        date for its link, else by when we first stored it), with the validators and body
        hash of the page they were fetched from."""
        if self.conn is None or not {"articles", "pages"} <= self.tables:
            return []
        # published_at keeps the page's offset (up to +09:00): read a day more, then compare
        cutoff = (since - timedelta(days=1)).strftime("%Y-%m-%d")
        rows = self._ask(queries.recent_article_rows, source, cutoff, limit * 2, default=[])
        out: list[RecentArticle] = []
        for url, fetched_url, published, first_seen in rows:
            moment = parse_timestamp(published) if published else None
            if moment is None:  # undated page: the site's own date for the link, else ours
                moment = self.site_date(canonicalize_url(fetched_url or url))[1]
                moment = moment or parse_timestamp(first_seen)
            if moment is None or moment < since:
                continue
            for candidate in dict.fromkeys(u for u in (fetched_url, url) if u):
                row = self._ask(queries.page_validators, candidate, "article")
                if row is not None:
                    out.append(
                        RecentArticle(candidate, url, row[0] or None, row[1] or None, row[2])
                    )
                    break
            if len(out) >= limit:
                break
        return out

    def page(self, url: str) -> PageState | None:
        """Validators of a feed, sitemap or listing from its last fetch."""
        if "pages" not in self.tables:
            return None
        row = self._ask(queries.page_validators, url)
        if row is None:
            return None
        return PageState(row[0] or None, row[1] or None, row[2] or None)

    def stored_body(self, url: str) -> bytes | None:
        """The stored (zlib-compressed) raw body of a feed or sitemap, for a 304."""
        if "pages" not in self.tables:
            return None
        return self._ask(queries.stored_body, url)

    def page_record(self, url: str) -> tuple[str | None, datetime | None] | None:
        """(kind, fetched_at) the archive recorded for a fetched URL (article, not-article,
        listing, gone ...), or None if it never stored it."""
        if "pages" not in self.tables:
            return None
        row = self._ask(queries.page_kind_and_time, url)
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
