"""Discovery: the callbacks that read robots.txt, feeds, sitemaps, listings and the home page
for article links.

Each callback yields its page item first (carrying the article URLs it made owed, see
frontier_scheduling.py), then the requests it found: articles through `_consider`, further
feeds, child and fallback sitemaps, and the next listing page under the stop rule.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import Request, Response

from pantau.pipeline.canonical import canonicalize_url, strip_tracking
from pantau.pipeline.htmlcodec import decode_html
from pantau.spiders.discovery import (
    MAX_SITEMAP_ENTRIES,
    MAX_XML_BYTES,
    DiscoveryError,
    Entry,
    current_page_number,
    feed_links_from_html,
    listing_base,
    next_page_url,
    page_links,
    parse_feed,
    parse_sitemap,
    sitemaps_from_robots,
)
from pantau.spiders.frontier_scheduling import BUDGET_OWED_MAX
from pantau.spiders.page_requests import header_value
from pantau.spiders.scope import note_dropped
from pantau.spiders.templates import detect_template, get_template

logger = logging.getLogger(__name__)

MAX_SITEMAP_CHILDREN = 10
MAX_HOME_LISTINGS = 8  # section pages followed from the home page of a site without feed/sitemap
# Child sitemaps that never list articles: taxonomies, authors/users, static pages, media.
NON_POST_SITEMAP_RE = re.compile(
    r"(category|tag|author|user|page|attachment|image|video|taxonom)", re.I
)


class DiscoveryCallbacks:
    """Discovery callbacks of the news spider (a mixin of NewsSpider; state set up in its
    _setup)."""

    def parse_home(self, response: Response) -> Iterator[Any]:
        page = self._page_item(response, "home")
        body, _ = self._page_body(response, "home")
        yield from self._with_frontier(page, self._home_links(response, body))

    def _home_links(self, response: Response, body: bytes | None) -> Iterator[Any]:
        if body is None:
            return
        html, _enc = decode_html(body, header_value(response, "Content-Type"))
        self._home_page = (html, response.url)
        if self.template.name == "generic" and not self.source.article_url_pattern:
            detected = detect_template(html)
            if detected:  # e.g. a Blogger blog configured with only its url
                logger.info("%s: the home page is %s; using that template", self.home, detected)
                self.template = get_template(detected)
        if not self.source.feeds:
            for url in feed_links_from_html(html, response.url):
                if url not in self._feeds_requested:
                    self._feeds_requested.add(url)
                    # announced by the site itself: a broken one is an error, not a miss
                    yield self._page_request(url, "feed", self.parse_feed)
        for entry in self._article_links(html, response.url):
            yield from self._consider(entry, "home")

    def parse_robots(self, response: Response) -> Iterator[Any]:
        yield self._page_item(response, "robots")
        body, _ = self._page_body(response, "robots")
        text = (body or b"").decode("utf-8", "replace")
        sitemaps = sitemaps_from_robots(text, response.url) if response.status == 200 else []
        if sitemaps:
            yield from self._request_sitemaps(sitemaps)
        else:
            yield from self._next_fallback_sitemap(None)

    def _next_fallback_sitemap(self, after: str | None) -> Iterator[Request]:
        """The template's next guessed sitemap (/sitemap.xml, /sitemap_index.xml,
        /wp-sitemap.xml ...) after `after` turned out missing; the first one if None."""
        chain = self.template.fallback_sitemaps(self.home)
        start = 0 if after is None else (chain.index(after) + 1 if after in chain else len(chain))
        for url in chain[start:]:
            if url not in self._sitemaps_requested:
                yield from self._request_sitemaps([url], guessed=True, fallback_of=url)
                return

    def _request_sitemaps(
        self, urls: list[str], guessed: bool = False, child: bool = False, **meta: Any
    ) -> Iterator[Request]:
        for url in urls:
            refusal = self.scope.refusal(url)
            if refusal:  # a robots.txt Sitemap: line or a sitemap index naming another host
                note_dropped(self.crawler, url, refusal, "a sitemap link")
                continue
            if url not in self._sitemaps_requested:
                self._sitemaps_requested.add(url)
                yield self._page_request(
                    url, "sitemap", self.parse_sitemap, guessed=guessed, child=child, **meta
                )

    def parse_feed(self, response: Response) -> Iterator[Any]:
        page = self._page_item(response, "feed")
        body, _ = self._page_body(response, "feed")
        yield from self._with_frontier(page, self._feed_links(response, body))

    def _feed_links(self, response: Response, body: bytes | None) -> Iterator[Any]:
        if body is None:
            return
        try:
            result = parse_feed(body, response.url)
        except DiscoveryError as exc:
            logger.warning("malformed feed %s: %s", response.url, exc)
            if not response.meta.get("guessed"):
                self._error("feed", "")
            else:
                self._inc("missing/feed")
            return
        if result.salvaged:
            logger.warning("malformed feed %s: read in recovery mode", response.url)
            self._error("feed", "")
        if not response.meta.get("search"):
            self._index_entries += len(result.entries)
        for entry in result.entries:
            if not self.template.is_nonarticle_url(entry.url):
                yield from self._consider(entry, "feed", changed_at=entry.modified)

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        page = self._page_item(response, "sitemap")
        body, _ = self._page_body(response, "sitemap")
        yield from self._with_frontier(page, self._sitemap_links(response, body))

    def _sitemap_links(self, response: Response, body: bytes | None) -> Iterator[Any]:
        if body is None:
            return
        settings = self.crawler.settings
        try:
            result = parse_sitemap(
                body,
                response.url,
                max_bytes=settings.getint("PANTAU_SITEMAP_MAX_BYTES", MAX_XML_BYTES),
                max_entries=settings.getint("PANTAU_SITEMAP_MAX_ENTRIES", MAX_SITEMAP_ENTRIES),
            )
        except DiscoveryError as exc:
            logger.warning("malformed sitemap %s: %s", response.url, exc)
            if response.meta.get("guessed"):
                self._inc("missing/sitemap")
                if response.meta.get("fallback_of"):
                    yield from self._next_fallback_sitemap(response.meta["fallback_of"])
            else:
                self._error("sitemap", "")
            return
        if result.salvaged:
            logger.warning("malformed sitemap %s: read in recovery mode", response.url)
            self._error("sitemap", "")
        if result.cut:  # a gzip bomb or a list of a million <loc>s: read up to the caps only
            logger.warning(
                "sitemap %s cut: %s (%d entries read)",
                response.url,
                result.cut_detail,
                len(result.entries),
            )
            self._inc(f"sitemap_cut/{result.cut}")
        if result.kind == "index":
            yield from self._request_sitemaps(self._pick_child_sitemaps(result.entries), child=True)
            return
        self._index_entries += len(result.entries)
        postish = bool(re.search(r"post|news|berita|artikel|article", response.url, re.I))
        entries = sorted(
            result.entries, key=lambda e: e.date or datetime.min.replace(tzinfo=UTC), reverse=True
        )
        past_budget = 0
        for n, entry in enumerate(entries):
            # Budget first: once it is spent (and the links a run may leave owed are taken),
            # the rest of the sitemap costs no archive lookup at all
            if not self._budget_left():
                past_budget += 1
                if past_budget > BUDGET_OWED_MAX:
                    self._inc("budget/unscheduled", len(entries) - n)
                    break
            if self.template.is_nonarticle_url(entry.url):
                continue
            if self.template.is_article_url(entry.url) or postish or entry.title:
                yield from self._consider(entry, "sitemap", changed_at=entry.modified)

    def _pick_child_sitemaps(self, entries: list[Entry]) -> list[str]:
        """The newest children of a sitemap index: news and post sitemaps first, those changed
        within the window, at most MAX_SITEMAP_CHILDREN (old archive months are skipped)."""

        def name(url: str) -> str:  # the file name, without a ?page=N query
            return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]

        cands = [e for e in entries if not NON_POST_SITEMAP_RE.search(name(e.url))] or entries
        dated = [e for e in cands if e.date is not None]
        if dated:
            recent = [e for e in dated if not self._is_old(e.date)]
            # nothing changed within the window: the three newest still catch late updates
            chosen = recent or sorted(dated, key=lambda e: e.date, reverse=True)[:3]
            chosen.sort(key=lambda e: e.date, reverse=True)
            cands = chosen + [e for e in cands if e.date is None]
        news_first = sorted(cands, key=lambda e: 0 if re.search(r"news|berita", e.url, re.I) else 1)
        return [e.url for e in news_first[:MAX_SITEMAP_CHILDREN]]

    def parse_listing(self, response: Response) -> Iterator[Any]:
        kind = response.meta["pantau_kind"]
        page = self._page_item(response, kind)
        body, _ = self._page_body(response, kind)
        yield from self._with_frontier(page, self._listing_links(response, body, kind))

    def _listing_links(self, response: Response, body: bytes | None, kind: str) -> Iterator[Any]:
        page_no = response.meta.get("page_no", 1)
        if body is None:
            return
        html, _enc = decode_html(body, header_value(response, "Content-Type"))
        entries = self._article_links(html, response.url)
        # Pages are newest first. Go on while a page is mostly new to the archive and recent:
        # a page of known articles means earlier runs read on from here, and a page older than
        # the window ends it. (Links found this run through a feed still count as new: the
        # page after may hold the ones the feed is too short to list.)
        fresh = known = 0
        for entry in entries:
            if canonicalize_url(strip_tracking(entry.url)) in self._fetching:
                fresh += not self._is_old(entry.date)
            elif self._known(entry.url):  # known from an earlier run
                known += 1
            elif not self._is_old(entry.date):
                fresh += 1
        for entry in entries:
            yield from self._consider(entry, kind)
        if not entries or fresh <= known or page_no >= self.max_listing_pages:
            return
        nxt = next_page_url(html, response.url)
        if nxt and current_page_number(nxt) > current_page_number(response.url):
            yield self._page_request(nxt, kind, self.parse_listing, page_no=page_no + 1)

    def _home_listing_requests(self, html: str, url: str) -> Iterator[Request]:
        self._inc("listings/from_home", 0)
        seen: set[str] = {listing_base(url)}
        nxt = next_page_url(html, url)
        if nxt and current_page_number(nxt) > 1:
            seen.add(listing_base(nxt))
            self._inc("listings/from_home")
            yield self._page_request(nxt, "listing", self.parse_listing, page_no=2)
        for entry in page_links(html, url, now=self._now(), same=self.template.same_site):
            link = strip_tracking(entry.url)
            if not self.template.is_listing_url(link) or self.template.is_article_url(link):
                continue
            if listing_base(link) in seen or len(seen) > MAX_HOME_LISTINGS:
                continue
            seen.add(listing_base(link))
            self._inc("listings/from_home")
            yield self._page_request(
                link, "listing", self.parse_listing, page_no=current_page_number(link)
            )

    def _article_links(self, html: str, url: str) -> list[Entry]:
        return [
            e
            for e in page_links(html, url, now=self._now(), same=self.template.same_site)
            if self.template.is_article_url(e.url)
        ]
