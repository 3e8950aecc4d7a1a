"""Requests for, and items of, the pages that lead to articles (feeds, sitemaps, listings,
robots.txt, the home page).

Every discovery page is fetched the same way: a conditional GET from the archive's stored
validators, a `page` item for the pipeline (which keeps validators and body hash), and a body
to parse that is the stored one after a 304, so links are still noticed when nothing changed.
"""

from __future__ import annotations

import zlib
from datetime import datetime
from typing import Any

from scrapy.http import Request, Response

from pantau.pipeline.timestamps import utc_z

PRIORITY = {"robots": 110, "home": 100, "feed": 95, "sitemap": 90, "search": 85, "listing": 80}


def header_value(response: Response, name: str) -> str | None:
    """A response header as text (None when absent)."""
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def iso_or_none(dt: datetime | None) -> str | None:
    """An ISO 8601 string for request meta and frontier rows (None stays None)."""
    return dt.isoformat() if dt else None


class PageRequests:
    """Page requests, page items and page bodies of the news spider (a mixin of NewsSpider,
    whose _setup holds the state used here)."""

    def _page_request(
        self, url: str, kind: str, callback: Any, *, guessed: bool = False, **meta: Any
    ) -> Request:
        """A conditional GET of a feed/sitemap/listing/home page."""
        # robots.txt, the home page and top-level sitemaps are fetched whole: their bodies lead
        # to feeds and child sitemaps, and a 304 would hide those (page bodies are not kept).
        conditional = not self.full and kind in ("feed", "listing", "search", "sitemap")
        if kind == "sitemap" and not meta.get("child"):
            conditional = False
        headers = self.state.conditional_headers(url) if conditional else {}
        self._scheduled += 1
        return Request(
            url,
            callback=callback,
            errback=self.on_error,
            headers=headers,
            priority=PRIORITY.get(kind, 50) - meta.get("page_no", 1),
            meta={
                "pantau_kind": kind,
                "guessed": guessed,
                "handle_httpstatus_list": [304],
                **meta,
            },
        )

    def _page_item(self, response: Response, kind: str) -> dict:
        etag, last_modified = (
            header_value(response, "ETag"),
            header_value(response, "Last-Modified"),
        )
        if response.status == 304:  # keep the validators we sent if the 304 repeats none
            stored = self.state.page(response.url)
            if stored:
                etag = etag or stored.etag
                last_modified = last_modified or stored.last_modified
        return {
            "type": "page",
            "source": self.source_name,
            "url": response.url,
            "kind": kind,
            "status": response.status,
            "fetched_at": utc_z(),
            "etag": etag,
            "last_modified": last_modified,
            "content_type": header_value(response, "Content-Type"),
            "body": b"" if response.status == 304 else response.body,
            "frontier_url": response.meta.get("frontier_url"),  # an article link's own row
        }

    def _gone_item(self, response: Response) -> dict:
        item = self._page_item(response, "gone")
        item["body"] = b""
        return item

    def _page_body(self, response: Response, kind: str) -> tuple[bytes | None, bool]:
        """(body to parse, unchanged?) of a page response; counts it. A 304 is parsed from the
        stored body if the archive kept one (so unfetched links are still noticed)."""
        self._inc(f"pages/{kind}")
        if response.status == 304:
            self._inc(f"unchanged/{kind}")
            return self._stored_body(response.url), True
        if not self.full and self.state.unchanged(response.url, response.body):
            self._inc(f"unchanged/{kind}")
            return response.body, True
        return response.body, False

    def _stored_body(self, url: str) -> bytes | None:
        blob = self.state.stored_body(url)
        if not blob:
            return None
        try:
            return zlib.decompress(blob)
        except zlib.error:
            return bytes(blob)
