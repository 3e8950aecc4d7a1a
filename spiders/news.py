"""The `news` spider: crawl one configured source incrementally.

    scrapy crawl news -a source=NAME [-a full=1]

Discovery (feeds, sitemaps, site search, listings, the home page) finds article URLs; the
archive (read-only) says which are known; only new or changed articles are fetched. Feeds,
sitemaps and listings are fetched with conditional GET and compared by body hash. The spider
yields two plain-dict item kinds, `article` and `page`, for the item pipeline to store; it never
writes the database itself.

Stats (under pantau/, besides those of spiders/middlewares.py):
  pages/<kind>          responses handled: home, feed, sitemap, listing, search, robots, article
  unchanged/<kind>      304s and bodies identical to the stored one
  articles/queued       article requests scheduled
  articles/yielded      article items yielded
  articles/known        article links skipped because the archive has them unchanged
  articles/not_article  fetched "articles" the page classifier calls index pages
  rejected/<kind>       the same, per kind (listing, home, tag, ...); the item pipeline adds
                        extraction's rejections (not-article); page rows keep the reasons
  articles/multipage    articles assembled from several pages
  missing/<kind>        404/410 of a guessed URL (/feed/, /sitemap.xml, ...): not an error
  errors/<kind>         one per error (feed, sitemap, listing, article, ...): malformed
                        feeds/sitemaps, HTTP errors, network failures, oversized bodies
  error_detail/<what>   http_<status>, network, too_large, ignored
  budget/unscheduled    article links not scheduled because max_requests was reached
  robots/forbidden      requests robots.txt forbids
"""

from __future__ import annotations

import logging
import os
import re
import zlib
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
import yaml
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from pipeline.canonical import canonicalize_url, desktop_url, strip_tracking
from pipeline.config import Source, load_config
from pipeline.dates import parse_timestamp
from pipeline.extract import parse_html
from pipeline.htmlcodec import decode_html
from pipeline.pagekind import PageVerdict, classify_page
from pipeline.timestamps import utc_z
from spiders.discovery import (
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
from spiders.incremental import ArchiveState
from spiders.middlewares import BlockedError, BudgetExceeded, TooLarge
from spiders.templates import (
    NONARTICLE_SEGMENTS,
    Template,
    detect_template,
    first_page_url,
    get_template,
    is_gallery_index,
    page_number,
)

logger = logging.getLogger(__name__)

# page_kind() answers that are certainly not articles ("other" is left to the extractor)
NONARTICLE_KINDS = frozenset({"listing", "home", "search", "tag", "gallery", "static"})
PRIORITY = {"robots": 110, "home": 100, "feed": 95, "sitemap": 90, "search": 85, "listing": 80}
MAX_LISTING_PAGES = 20
MAX_SITEMAP_CHILDREN = 10
MAX_ARTICLE_PAGES = 20
MAX_HOME_LISTINGS = 8  # section pages followed from the home page of a site without feed/sitemap
MAX_REDIRECTS = 5
REDIRECT_STATUSES = [301, 302, 303, 307, 308]
# Child sitemaps that never list articles: taxonomies, authors/users, static pages, media.
NON_POST_SITEMAP_RE = re.compile(
    r"(category|tag|author|user|page|attachment|image|video|taxonom)", re.I
)
GONE_RETRY_DAYS = 7  # a dead article link is tried again after this many days
# Stored kinds of fetched article links that are tried again after GONE_RETRY_DAYS: a dead
# link, a page that gave no usable body, and a classifier rejection on weak evidence ("other").
# Every other non-article kind (listing, home, tag, search, static, redirect ...) is skipped
# for good.
RETRY_KINDS = frozenset({"gone", "not-article", "other"})


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


class NewsSpider(scrapy.Spider):
    name = "news"

    # ------------------------------------------------------------------ setup

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        """A real User-Agent with the operator's contact URL from sources.yaml."""
        super().update_settings(settings)
        cfg_dir = (
            settings.get("PANTAU_CONFIG_DIR") or os.environ.get("PANTAU_CONFIG_DIR") or "config"
        )
        contact = (
            settings.get("PANTAU_DEFAULT_CONTACT") or "https://github.com/pantau-monitor/pantau"
        )
        try:
            doc = yaml.safe_load((Path(cfg_dir) / "sources.yaml").read_text(encoding="utf-8"))
            if isinstance(doc, dict) and doc.get("user_agent_contact"):
                contact = str(doc["user_agent_contact"]).strip()
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            pass
        settings.set("USER_AGENT", f"Pantau/0.1 (+{contact})", priority="spider")

    def __init__(self, source: str | None = None, full: Any = None, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not source:
            raise ValueError("the news spider needs -a source=NAME")
        self.source_name = source
        self.full = _truthy(full)

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider._setup()
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        return spider

    def _setup(self) -> None:
        settings = self.crawler.settings
        cfg_dir = (
            settings.get("PANTAU_CONFIG_DIR") or os.environ.get("PANTAU_CONFIG_DIR") or "config"
        )
        db_path = settings.get("PANTAU_DB") or os.environ.get("PANTAU_DB") or "data/pantau.db"
        config = load_config(cfg_dir)
        self.source: Source = config.source(self.source_name)
        self.search_terms = [t for topic in config.topics for t in topic.search_terms]
        self.template: Template = get_template(
            self.source.template, self.source.article_url_pattern
        )
        self.state = ArchiveState(None if self.full else db_path)
        self.max_requests = self.source.max_requests
        self.max_listing_pages = settings.getint("PANTAU_MAX_LISTING_PAGES", MAX_LISTING_PAGES)
        self.home = self.source.url
        self._apply_site_politeness(settings)
        self.window = timedelta(days=self.source.window_days)
        self._scheduled = 0
        self._queued: set[str] = set()
        self._redirect_sources: set[str] = set()  # canonical URLs that answered with a redirect
        self._sitemaps_requested: set[str] = set()
        self._feeds_requested: set[str] = set()
        self._fetching: set[str] = set()  # canonical URLs of articles fetched this run
        self._index_entries = 0  # links read from feeds and sitemaps (not site search)
        self._home_page: tuple[str, str] | None = None  # (html, url) of the home page
        self._home_fallback_done = False

    def _apply_site_politeness(self, settings: Any) -> None:
        """A source's own `download_delay` / `concurrency` become its host's download slot.

        Runs from from_crawler, before Scrapy freezes the crawler's settings.
        """
        src = self.source
        if src.download_delay is None and src.concurrency is None:
            return
        slot: dict[str, Any] = {}
        if src.download_delay is not None:
            slot["delay"] = src.download_delay
        if src.concurrency is not None:
            slot["concurrency"] = src.concurrency
        host = urlsplit(self.home).hostname or ""
        if settings.frozen:  # built outside Crawler.crawl (e.g. scrapy.utils.test.get_crawler)
            logger.warning(
                "settings frozen: download_delay/concurrency of %s not applied", src.name
            )
            return
        slots = dict(settings.getdict("DOWNLOAD_SLOTS"))
        slots[host] = slot
        settings.set("DOWNLOAD_SLOTS", slots, priority="spider")

    def closed(self, reason: str) -> None:
        self.state.close()

    # ------------------------------------------------------------------ helpers

    def _inc(self, key: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"pantau/{key}", n)

    def _error(self, kind: str, detail: str = "") -> None:
        """One error: `errors/<kind>` (the only errors/ key, so summing errors/* counts each
        error once), plus `error_detail/<detail>` saying what went wrong."""
        self._inc(f"errors/{kind}")
        if detail:
            self._inc(f"error_detail/{detail}")

    def _budget_left(self) -> bool:
        return self._scheduled < self.max_requests

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
        etag, last_modified = _header(response, "ETag"), _header(response, "Last-Modified")
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
            "content_type": _header(response, "Content-Type"),
            "body": b"" if response.status == 304 else response.body,
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
        conn = self.state.conn
        if conn is None:
            return None
        try:
            row = conn.execute("SELECT html FROM pages WHERE url = ?", (url,)).fetchone()
        except Exception:
            return None
        if not row or not row[0]:
            return None
        try:
            return zlib.decompress(row[0])
        except zlib.error:
            return bytes(row[0])

    def _now(self) -> datetime:
        return datetime.now(UTC)

    def _is_old(self, date: datetime | None) -> bool:
        return date is not None and date < self._now() - self.window

    def _known(self, url: str) -> bool:
        """Known to the archive as an article, or as a page that turned out not to be one."""
        if self.full:
            return False
        return self.state.last_seen(url) is not False or self._seen_as_nonarticle(url)

    def _seen_as_nonarticle(self, url: str) -> bool:
        """An earlier run fetched this "article" link and found an index page or no article
        (skip it), or a 404/410 or a page that gave no article (skip it for GONE_RETRY_DAYS,
        then try again)."""
        candidates = {url, canonicalize_url(url), self.template.single_page_url(url) or url}
        for candidate in candidates:
            record = self.state.page_record(candidate)
            if record is None or record[0] in (None, "article", "article-page"):
                continue
            kind, fetched_at = record
            # an index page stays an index page; a 404 or a page that yielded no article
            # (an empty or broken 200 on a bad day) is tried again after a while
            if kind not in RETRY_KINDS:
                return True
            if fetched_at and self._now() - fetched_at < timedelta(days=GONE_RETRY_DAYS):
                return True
        return False

    # ------------------------------------------------------------------ start

    async def start(self) -> AsyncIterator[Request]:
        for request in self.initial_requests():
            yield request

    def initial_requests(self) -> Iterator[Request]:
        src, home = self.source, self.home
        yield self._page_request(home, "home", self.parse_home)
        feeds = list(src.feeds)
        guessed = not feeds
        if guessed:
            feeds = self.template.default_feeds(home)
        for url in feeds:
            self._feeds_requested.add(url)
            yield self._page_request(url, "feed", self.parse_feed, guessed=guessed)
        if src.sitemaps:
            for url in src.sitemaps:
                self._sitemaps_requested.add(url)
                yield self._page_request(url, "sitemap", self.parse_sitemap)
        else:
            robots = re.sub(r"^(https?://[^/]+).*$", r"\1/robots.txt", home)
            yield self._page_request(robots, "robots", self.parse_robots, guessed=True)
        for term in dict.fromkeys(self.search_terms):
            for url, kind in self.template.search_urls(home, term, src.search_url):
                if kind == "feed":
                    yield self._page_request(url, "feed", self.parse_feed, search=True)
                else:
                    yield self._page_request(url, "search", self.parse_listing, page_no=1)
        for url in src.listings:
            yield self._page_request(url, "listing", self.parse_listing, page_no=1)

    # ------------------------------------------------------------------ discovery callbacks

    def parse_home(self, response: Response) -> Iterator[Any]:
        yield self._page_item(response, "home")
        body, _ = self._page_body(response, "home")
        if body is None:
            return
        html, _enc = decode_html(body, _header(response, "Content-Type"))
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
            if url not in self._sitemaps_requested:
                self._sitemaps_requested.add(url)
                yield self._page_request(
                    url, "sitemap", self.parse_sitemap, guessed=guessed, child=child, **meta
                )

    def parse_feed(self, response: Response) -> Iterator[Any]:
        yield self._page_item(response, "feed")
        body, _ = self._page_body(response, "feed")
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
                yield from self._consider(entry, "feed", changed_at=entry.date)

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        yield self._page_item(response, "sitemap")
        body, _ = self._page_body(response, "sitemap")
        if body is None:
            return
        try:
            result = parse_sitemap(body, response.url)
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
        if result.kind == "index":
            yield from self._request_sitemaps(self._pick_child_sitemaps(result.entries), child=True)
            return
        self._index_entries += len(result.entries)
        postish = bool(re.search(r"post|news|berita|artikel|article", response.url, re.I))
        entries = sorted(
            result.entries, key=lambda e: e.date or datetime.min.replace(tzinfo=UTC), reverse=True
        )
        for entry in entries:
            if self.template.is_nonarticle_url(entry.url):
                continue
            if self.template.is_article_url(entry.url) or postish or entry.title:
                yield from self._consider(entry, "sitemap", changed_at=entry.date)

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
        page_no = response.meta.get("page_no", 1)
        yield self._page_item(response, kind)
        body, _ = self._page_body(response, kind)
        if body is None:
            return
        html, _enc = decode_html(body, _header(response, "Content-Type"))
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

    # ------------------------------------------------------------------ no feed, no sitemap

    def on_idle(self) -> None:
        """Once everything else is done: a site that offered no feed and no sitemap entries
        (and has no configured listings) is crawled through its home page's own pagination
        and the section pages it links (/kategori/x, /indeks, /terkini), page by page under
        the usual stop rule. Runs once per crawl."""
        if self._home_fallback_done:
            return
        self._home_fallback_done = True
        if self._index_entries or self.source.listings or self._home_page is None:
            return
        requests = list(self._home_listing_requests(*self._home_page))
        if not requests:
            return
        logger.info("no feed or sitemap entries: following %d listing pages", len(requests))
        for request in requests:
            self.crawler.engine.crawl(request)
        raise DontCloseSpider

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

    # ------------------------------------------------------------------ articles

    def _consider(
        self, entry: Entry, via: str, changed_at: datetime | None = None
    ) -> Iterator[Request]:
        """Schedule an article unless it is already queued, known and unchanged, or over budget."""
        if not entry.url.lower().startswith(("http://", "https://")):
            self._inc("skipped/not_http")  # a sitemap or feed naming file://, ftp://, data: ...
            return
        url = strip_tracking(entry.url)
        if page_number(url) and self.template.is_article_url(first_page_url(url)):
            url = first_page_url(url)  # always start a multi-page article at its first page
        canon = canonicalize_url(url)
        if canon in self._queued:
            return
        if not self.full:
            if self.state.last_seen(url) is not False:
                skip = self.state.is_known(url, changed_at)
            else:
                skip = self._seen_as_nonarticle(url)
            if skip:
                self._queued.add(canon)
                self._inc("articles/known")
                return
        if not self._budget_left():
            self._inc("budget/unscheduled")
            return
        self._queued.add(canon)
        self._fetching.add(canon)
        self._scheduled += 1
        self._inc("articles/queued")
        # an AMP or mobile-host link: fetch the desktop page (the guess falls back on a 404)
        plain = desktop_url(url, self.home)
        single = self.template.single_page_url(plain)
        age_days = (self._now() - entry.date).days if entry.date else self.window.days
        yield self._article_request(
            single or plain,
            priority=max(-1000, min(0, -age_days)),
            discovered_url=url,
            discovered_via=via,
            listed_date=_iso(entry.date),
            single_view=bool(single),
            plain_url=plain,
        )

    def _article_request(self, url: str, priority: int = 0, **meta: Any) -> Request:
        """The first page of an article. Redirects are handled by parse_article (not by
        Scrapy), so a `?p=123` shortlink or an old URL that leads to an article already
        queued is not fetched twice, and is remembered as a redirect for later runs."""
        return Request(
            url,
            callback=self.parse_article,
            errback=self.on_error,
            priority=priority,
            dont_filter=True,  # de-duplicated by canonical URL in _consider
            meta={
                "pantau_kind": "article",
                "dont_redirect": True,
                "handle_httpstatus_list": REDIRECT_STATUSES,
                "requested_as": url,
                **meta,
            },
        )

    def _follow_redirect(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        location = _header(response, "Location")
        hops = meta.get("hops", 0)
        if not location or hops >= MAX_REDIRECTS:
            self._error("article", "redirect")
            return
        target = strip_tracking(urljoin(response.url, location))
        self._redirect_sources.add(canonicalize_url(response.url))
        if canonicalize_url(target) in self._redirect_sources:
            # A -> B -> A: Scrapy would drop the second A silently as already seen
            logger.warning("redirect loop at %s -> %s", response.url, target)
            self._error("article", "redirect_loop")
            return
        self._inc("articles/redirected")
        same = canonicalize_url(target) == canonicalize_url(response.url)
        if same or canonicalize_url(target) == canonicalize_url(meta.get("plain_url") or ""):
            # the same page under another spelling (https, www, a dropped ?page=all): follow
            yield self._article_request(target, hops=hops + 1, **{
                k: v for k, v in meta.items()
                if k in ("discovered_url", "discovered_via", "listed_date", "single_view",
                         "plain_url")
            })  # fmt: skip
            return
        # another URL (a ?p= shortlink, a moved article): remember this one as a redirect, so
        # later runs skip it, and treat the target as a link found now (queued/known: skipped)
        yield self._gone_item(response) | {"kind": "redirect"}
        if not self.template.same_site(target, self.home):
            return
        if not self.template.is_article_url(target) and not self.template.is_article_url(
            desktop_url(target, self.home)
        ):
            return
        date = parse_timestamp(meta.get("listed_date"))
        yield from self._consider(Entry(target, date), meta.get("discovered_via") or "redirect")

    def _url_rule(self, url: str) -> str:
        """In words, which part of the URL the template's non-article rule matched."""
        parts = urlsplit(url)
        segments = [seg for seg in parts.path.lower().split("/") if seg]
        if not segments:
            return "the site's home page path"
        hit = next((seg for seg in segments if seg in NONARTICLE_SEGMENTS), None)
        if hit:
            return f"segment /{hit}/"
        if is_gallery_index(segments):
            return "a photo/video section index (no story named after its segment)"
        keys = [k for k in ("s", "q", "tag", "cat") if f"{k}=" in parts.query]
        if keys:
            return f"query parameter {keys[0]}="
        return f"path {parts.path}"

    def _is_article_page(self, html: str, tree: Any, url: str) -> PageVerdict:
        """The page's kind and, for a non-article, why: the template's URL rule, its page
        signal, or the page classifier (pipeline.pagekind.classify_page)."""
        verdict: PageVerdict | None = None
        if tree is not None:
            try:
                verdict = classify_page(tree, url, self.source.template)
            except Exception:  # the classifier must never stop a crawl
                logger.exception("classify_page failed on %s", url)
        if self.template.is_nonarticle_url(url) and not self.source.article_url_pattern:
            what = self._url_rule(url)
            kind = verdict.kind if verdict and verdict.kind in NONARTICLE_KINDS else "listing"
            return PageVerdict(
                kind,
                f"the {self.template.name} template knows this URL as a listing ({what})",
                {**(verdict.signals if verdict else {}), "url_rule": f"template: {what}"},
            )
        signal = self.template.page_signal(html)
        if signal:
            return PageVerdict(
                signal,
                f"the {self.template.name} template's page signal marks this page as {signal}",
                {
                    **(verdict.signals if verdict else {}),
                    "template_rule": f"{self.template.name}: {signal}",
                },
            )
        if verdict is None:  # nothing to classify: the extractor will say it has no body
            return PageVerdict("article", "not classified")
        return verdict

    def parse_article(self, response: Response) -> Iterator[Any]:
        if 300 <= response.status < 400:
            yield from self._follow_redirect(response)
            return
        self._inc("pages/article")
        html, _enc = decode_html(response.body, _header(response, "Content-Type"))
        tree = parse_html(html)  # one parse for the classifier and the pager
        verdict = self._is_article_page(html, tree, response.url)
        if verdict.kind in NONARTICLE_KINDS:
            del tree
            # never silent: the page row keeps the kind, the reason and the signals
            self._inc("articles/not_article")
            self._inc(f"rejected/{verdict.kind}")
            logger.info("rejected %s: %s", response.url, verdict.rejection().describe())
            yield self._page_item(response, verdict.kind) | {
                "reason": verdict.reason,
                "signals": {"stage": "classifier", **verdict.signals},
            }
            return
        item = {
            "type": "article",
            "source": self.source_name,
            "template": self.template.name,
            "url": response.url,
            "requested_url": response.meta.get("discovered_url") or response.request.url,
            "html": html,
            "status": response.status,
            "fetched_at": utc_z(),
            "etag": _header(response, "ETag"),
            "last_modified": _header(response, "Last-Modified"),
            "extra_pages": [],
            "extra_page_urls": [],
            "listed_date": response.meta.get("listed_date"),
        }
        pages = (
            []
            if response.meta.get("single_view") or tree is None
            else self.template.article_page_urls(tree, response.url)
        )
        # The tree (lxml holds several times the page in C memory) must not live on in this
        # suspended generator while the item waits for extraction: dozens wait at once.
        del tree
        pages = pages[: MAX_ARTICLE_PAGES - 1]
        if not pages:
            self._inc("articles/yielded")
            yield item
            return
        self._inc("articles/multipage")
        yield self._next_article_page(item, pages)

    def _next_article_page(self, item: dict, pages: list[str]) -> Request:
        self._scheduled += 1
        return Request(
            pages[0],
            callback=self.parse_article_page,
            errback=self.on_error,
            priority=10,
            dont_filter=True,
            meta={"pantau_kind": "article", "article_item": item, "remaining": pages[1:]},
        )

    def parse_article_page(self, response: Response) -> Iterator[Any]:
        self._inc("pages/article")
        item = response.meta["article_item"]
        html, _enc = decode_html(response.body, _header(response, "Content-Type"))
        item["extra_pages"].append(html)
        item["extra_page_urls"].append(response.url)
        remaining = response.meta["remaining"]
        if remaining and self._budget_left():
            yield self._next_article_page(item, remaining)
        else:
            self._inc("articles/yielded")
            yield item

    # ------------------------------------------------------------------ errors

    @staticmethod
    def _article_retry(meta: dict, status: int) -> str | None:
        """The URL to try next when an article's first request got a 404/410."""
        if status not in (404, 410) or "article_item" in meta or "discovered_url" not in meta:
            return None
        request_url = meta.get("requested_as")
        if meta.get("single_view"):
            return meta.get("plain_url") or meta["discovered_url"]
        if request_url and request_url != meta["discovered_url"]:
            return meta["discovered_url"]
        return None

    def on_error(self, failure: Failure) -> Iterator[Any]:
        request = failure.request
        meta = request.meta
        kind = meta.get("pantau_kind", "other")
        if failure.check(BlockedError, BudgetExceeded):
            pass  # counted by the middlewares as blocked / budget
        elif failure.check(HttpError):
            status = failure.value.response.status
            retry = self._article_retry(meta, status) if kind == "article" else None
            if retry:
                # no single-page view after all, or the desktop guess for an AMP/mobile link
                # is missing: fetch the article as it was found
                self._inc("missing/article_variant")
                keep = ("discovered_url", "discovered_via", "listed_date")
                yield self._article_request(
                    retry, single_view=False, plain_url=None, **{k: meta.get(k) for k in keep}
                )
            elif kind == "article" and status in (404, 410) and "article_item" not in meta:
                # remembered (pages.kind "gone") so the dead link is not fetched on every run
                self._inc("missing/article")
                yield self._gone_item(failure.value.response)
            elif meta.get("guessed") and status in (404, 410):
                self._inc(f"missing/{kind}")
            else:
                logger.warning("HTTP %s on %s %s", status, kind, request.url)
                self._error(kind, f"http_{status}")
            if kind == "robots":
                yield from self._next_fallback_sitemap(None)
            if kind == "sitemap" and meta.get("fallback_of") and status in (404, 410):
                yield from self._next_fallback_sitemap(meta["fallback_of"])
        elif failure.check(TooLarge):
            self._error(kind)  # detail counted by the middleware
        elif failure.check(IgnoreRequest):
            if "robots" in str(failure.value).lower():
                self._inc("robots/forbidden")
            else:
                self._error(kind, "ignored")
        else:
            logger.warning("network error on %s %s: %s", kind, request.url, failure.value)
            self._error(kind, "network")
            if kind == "robots":
                yield from self._next_fallback_sitemap(None)
        if "article_item" in meta:  # a later page of a multi-page article failed: keep the rest
            self._inc("articles/yielded")
            yield meta["article_item"]
