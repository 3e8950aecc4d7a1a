"""The `news` spider: crawl one configured source incrementally.

    scrapy crawl news -a source=NAME [-a full=1]

Discovery (feeds, sitemaps, site search, listings, the home page) finds article URLs; the
archive (read-only) says which are known; only new or changed articles are fetched. Feeds,
sitemaps and listings are fetched with conditional GET and compared by body hash. The spider
yields two plain-dict item kinds, `article` and `page`, for the item pipeline to store; it never
writes the database itself.

The spider is one class composed of mixins, one module per job (Scrapy stores a request's
callback by method name, so callbacks stay methods of the spider):
  news.py                 settings, setup and all shared state, politeness, counters, start
  page_requests.py        conditional GETs, page items and bodies of discovery pages
  discovery_callbacks.py  robots.txt, feeds, sitemaps, listings, the home page
  frontier_scheduling.py  consider/skip/schedule article links, owed URLs, re-checks, idle
  article_callbacks.py    article pages, redirects, page kind, multi-page articles
  error_callbacks.py      the errback: failures counted and classified

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
  budget/unscheduled    article links not scheduled because max_requests was reached (those
                        not older than the window stay owed in the frontier)
  frontier/waiting      owed links named again whose backoff has not run out
  frontier/retried      owed links of earlier runs fetched at the end of this one
  frontier/given_up     links the frontier gave up on, skipped (the item pipeline adds
                        frontier/owed and frontier/gave-up: failures counted per outcome)
  articles/rechecked    conditional GETs of the articles of the last PANTAU_RECHECK_HOURS
  unchanged/article     re-checks answered 304, or 200 with the page we have
  articles/temporary_redirect  302/303/307 to a page that is no article: owed, tried again
  robots/forbidden      requests robots.txt forbids
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy
import yaml
from scrapy import signals
from scrapy.http import Request

from pantau.pipeline.config import Source, load_config
from pantau.spiders.article_callbacks import ArticleCallbacks
from pantau.spiders.discovery_callbacks import DiscoveryCallbacks
from pantau.spiders.error_callbacks import ErrorCallbacks
from pantau.spiders.frontier_scheduling import BUDGET_OWED_MAX, RECHECK_HOURS, FrontierScheduling
from pantau.spiders.incremental import ArchiveState
from pantau.spiders.page_requests import PageRequests
from pantau.spiders.scope import CrawlScope
from pantau.spiders.templates import Template, get_template

# BUDGET_OWED_MAX lives in frontier_scheduling.py; it is named here too because callers read
# it as spiders.news.BUDGET_OWED_MAX (tests/test_sitemap_limits.py)
__all__ = ["BUDGET_OWED_MAX", "MAX_LISTING_PAGES", "NewsSpider"]

logger = logging.getLogger(__name__)

MAX_LISTING_PAGES = 20


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


class NewsSpider(
    DiscoveryCallbacks,
    FrontierScheduling,
    ArticleCallbacks,
    ErrorCallbacks,
    PageRequests,
    scrapy.Spider,
):
    """One configured source, crawled incrementally. The state every mixin uses is set up in
    `_setup`, here and nowhere else."""

    name = "news"

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
        self.scope = CrawlScope.for_source(self.source)  # its own site (spiders/scope.py)
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
        # The frontier (pipeline/archive/frontier.py): article URLs owed by earlier runs, and
        # the rows this run owes, written with the page that named them before their requests
        # go out.
        self._debts = self.state if not self.full else ArchiveState(db_path)
        self._owed = self._debts.owed(self.source_name)
        self._given_up = self._debts.given_up(self.source_name)
        self._owe_rows: list[dict] = []
        self._date_rows: list[dict] = []  # site dates of archived, unchanged articles
        self._budget_owed = 0
        self._skipped: dict[str, datetime | None] = {}  # known URL -> newest date seen this run
        self._dates: dict[str, datetime | None] = {}  # fetched URL -> newest date seen this run
        self.recheck = timedelta(hours=settings.getfloat("PANTAU_RECHECK_HOURS", RECHECK_HOURS))
        self._debts_done = False

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
        self._debts.close()

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

    def _now(self) -> datetime:
        return datetime.now(UTC)

    def _is_old(self, date: datetime | None) -> bool:
        return date is not None and date < self._now() - self.window

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
