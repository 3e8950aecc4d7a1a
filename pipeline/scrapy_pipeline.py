"""Scrapy components that connect the spider to the archive.

`ArchivePipeline` turns fetched pages into archived, matched articles with alerts queued;
`RunStats` records one `crawl_runs` row per source and run. Both are settings-driven
(`PANTAU_DB`, `PANTAU_CONFIG_DIR`, `PANTAU_RUN_ID`), as Scrapy components should be.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import logging
import os
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.reactor import is_asyncio_reactor_installed

from pantau.pipeline.archive import frontier
from pantau.pipeline.archive.db import transaction
from pantau.pipeline.archive.store import Archive, compress
from pantau.pipeline.config import PantauConfig, load_config
from pantau.pipeline.extract_pool import (
    ExtractionPool,
    ExtractJob,
    default_workers,
    extract_and_match,
)
from pantau.pipeline.matching import TopicMatcher
from pantau.pipeline.models import Rejection

log = logging.getLogger(__name__)

# The raw body of a rejected article candidate is kept (compressed) so an operator can see
# what was dropped, without fetching it again; past this size only the reason is kept.
MAX_REJECTED_BODY = 2_000_000
MOSTLY_REJECTED_MIN = 3  # fewest article candidates before "mostly rejected" is judged


def _settings_paths(crawler: Crawler) -> tuple[str, str]:
    s = crawler.settings
    db = s.get("PANTAU_DB") or os.environ.get("PANTAU_DB") or "data/pantau.db"
    cfg = s.get("PANTAU_CONFIG_DIR") or os.environ.get("PANTAU_CONFIG_DIR") or "config"
    return db, cfg


def _parse_time(value: str | None) -> datetime:
    if value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
    return datetime.now(UTC)


class ArchivePipeline:
    """Extract, match and store every article item; record feeds, sitemaps and listings."""

    def __init__(
        self,
        crawler: Crawler,
        archive: Archive,
        config: PantauConfig,
        pool: ExtractionPool | None = None,
    ):
        self.crawler = crawler
        self.stats = crawler.stats
        self.archive = archive
        self.config = config
        self.matcher = TopicMatcher(config.topics)
        self.asyncio = is_asyncio_reactor_installed()  # results and threads come back through it
        self.pool = pool if pool is not None and self.asyncio else ExtractionPool(0, 0)
        ExtractionPool.attach()
        s = crawler.settings
        self.frontier_policy = frontier.Policy(
            s.getfloat("PANTAU_FRONTIER_BACKOFF", frontier.BACKOFF_S),
            s.getfloat("PANTAU_FRONTIER_BACKOFF_MAX", frontier.BACKOFF_MAX_S),
            s.getint("PANTAU_FRONTIER_MAX_ATTEMPTS", frontier.MAX_ATTEMPTS),
        )

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        db_path, cfg_dir = _settings_paths(crawler)
        if not crawler.settings.getbool("PANTAU_ARCHIVE_ENABLED", True):
            raise NotConfigured("archive disabled")
        config = load_config(cfg_dir)
        archive = Archive(db_path)
        archive.sync_sources(config.sources)
        workers = crawler.settings.get("PANTAU_EXTRACT_WORKERS")
        workers = default_workers() if workers in (None, "", "auto") else int(workers)
        pool = ExtractionPool(workers, crawler.settings.getint("PANTAU_EXTRACT_POOL_AFTER", 30))
        if config.cluster is not None:  # distributed mode: `pantau worker`s extract (scaling.md)
            from pantau.cluster import ClusterExtractor

            pool = ClusterExtractor.shared(config.cluster)
        pipe = cls(crawler, archive, config, pool)
        crawler.signals.connect(pipe.close, signal=signals.spider_closed)
        return pipe

    def close(self, spider: Any = None) -> None:
        self.archive.close()
        ExtractionPool.detach()

    async def process_item(self, item: dict) -> dict:
        kind = item.get("type")
        if kind == "page":
            self._store_page(item)
        elif kind == "frontier":
            self._store_frontier(item)
        elif kind == "article":
            try:
                await self._store_article(item)
            except Exception as exc:  # one broken page must not end the run
                log.exception("could not process article %s", item.get("url"))
                self.stats.inc_value("pantau/errors/pipeline")
                frontier.failed(
                    self.archive.db.conn,
                    item.get("frontier_url"),
                    f"pipeline: {type(exc).__name__}",
                    self.frontier_policy,
                )
        return item

    def _store_frontier(self, item: dict) -> None:
        """The owed article URLs a discovery page named (before their requests go out), the
        site dates of archived ones, and what became of owed URLs: one transaction."""
        conn = self.archive.db.conn
        with transaction(self.archive.db):
            frontier.owe(conn, item.get("owe") or [])
            frontier.remember_dates(conn, item.get("dates") or [])
            for url, reason in item.get("resolve") or []:
                frontier.resolve(conn, url, reason)
            for url, reason in item.get("gave_up") or []:
                frontier.give_up(conn, url, reason)
            for url, error in item.get("failed") or []:
                status = frontier.failed(conn, url, error, self.frontier_policy)
                self.stats.inc_value(f"pantau/frontier/{status or 'unknown'}")

    def _store_page(self, item: dict) -> None:
        body = item.get("body") or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        rejected = bool(item.get("reason"))  # an article candidate the spider's classifier refused
        if item.get("owe") or item.get("dates"):  # the article URLs this page made owed
            with transaction(self.archive.db):
                self._store_page_row(item, body, rejected)
                frontier.owe(self.archive.db.conn, item.get("owe") or [])
                frontier.remember_dates(self.archive.db.conn, item.get("dates") or [])
            return
        self._store_page_row(item, body, rejected)
        if item.get("frontier_url"):  # an article link that answered for good: not owed now
            kind = item.get("kind", "other")
            what = (
                f"rejected as {kind}"
                if rejected
                else {
                    "gone": f"gone (HTTP {item.get('status')})",
                    "redirect": "permanent redirect",
                }.get(kind, kind)
            )
            frontier.resolve(self.archive.db.conn, item["frontier_url"], what)

    def _store_page_row(self, item: dict, body: bytes, rejected: bool) -> None:
        self.archive.store_page(
            item["url"],
            source=item["source"],
            kind=item.get("kind", "other"),
            status=int(item.get("status") or 0),
            body=body,
            fetched_at=item.get("fetched_at") or datetime.now(UTC).isoformat(),
            etag=item.get("etag"),
            last_modified=item.get("last_modified"),
            content_type=item.get("content_type"),
            # feeds and sitemaps are small and their links are re-checked from the stored body
            # when the server answers 304; listings and home pages are not worth keeping, but
            # a rejected article candidate is (the operator checks what was dropped)
            keep_body=item.get("kind") in ("feed", "sitemap")
            or (rejected and len(body) <= MAX_REJECTED_BODY),
            reason=item.get("reason"),
            signals=item.get("signals"),
        )

    async def _extract(self, job: ExtractJob) -> tuple:
        """Extract and match in a worker when the run has a pool, else right here."""
        future = self.pool.submit(job, self.config.topics)
        if future is not None:
            try:
                return await asyncio.wrap_future(future)
            except cf.BrokenExecutor:  # a worker died (killed, out of memory): do it here
                self.pool.give_up()
        return extract_and_match(job, self.matcher)

    async def _store_article(self, item: dict) -> None:
        source = self.config.source(item["source"])
        fetched_at = _parse_time(item.get("fetched_at"))
        html: str = item.get("html") or ""
        extra: list[str] = list(item.get("extra_pages") or [])
        job = ExtractJob(
            html=html,
            url=item["url"],
            fetched_at=fetched_at,
            template=item.get("template") or source.template,
            source_region=source.region,
            extra_pages=extra or None,
        )
        raw = html.encode("utf-8")
        # zlib lets go of the GIL: the raw page compresses on another core during extraction
        packed = asyncio.ensure_future(asyncio.to_thread(compress, raw)) if self.asyncio else None
        art, matches = await self._extract(job)
        blob = await packed if packed is not None else None
        if isinstance(art, Rejection):
            self._store_rejection(item, source.name, art, raw, fetched_at, blob)
            frontier.resolve(
                self.archive.db.conn, item.get("frontier_url"), f"rejected: {art.kind}"
            )
            return
        self._store_raw(item, source.name, raw, extra, fetched_at, blob)
        result = self.archive.store_article(
            art,
            source=source.name,
            fetched_url=item.get("requested_url") or item["url"],
            matches=matches,
            config=self.config,
        )
        frontier.resolve(
            self.archive.db.conn, item.get("frontier_url"), f"stored ({result.status})"
        )
        self.stats.inc_value(f"pantau/articles/{result.status}")
        if art.published_at:
            self.stats.inc_value("pantau/articles/with_date")
        if matches and result.status not in ("unchanged", "alias"):
            self.stats.inc_value("pantau/matches", len(matches))
        if result.alerts_queued:
            self.stats.inc_value("pantau/alerts_queued", result.alerts_queued)

    def _store_rejection(
        self,
        item: dict,
        source: str,
        rejection: Rejection,
        raw: bytes,
        fetched_at: datetime,
        compressed: bytes | None,
    ) -> None:
        """An article candidate extraction refused: a `pages` row with its kind, reason and
        signals (and the raw page, bounded), an INFO line, and a count for the run."""
        log.info("rejected %s: %s", item["url"], rejection.describe())
        self.stats.inc_value("pantau/not_articles")
        self.stats.inc_value(f"pantau/rejected/{rejection.kind}")
        self.archive.store_page(
            item["url"],
            source=source,
            kind=rejection.kind,
            status=int(item.get("status") or 0),
            body=raw,
            compressed=compressed,
            fetched_at=fetched_at.isoformat(),
            etag=item.get("etag"),
            last_modified=item.get("last_modified"),
            content_type="text/html; charset=utf-8",
            keep_body=len(raw) <= MAX_REJECTED_BODY,
            reason=rejection.reason,
            signals={"stage": rejection.stage, **rejection.signals},
        )

    def _store_raw(
        self,
        item: dict,
        source: str,
        raw: bytes,
        extra: list[str],
        fetched_at: datetime,
        compressed: bytes | None,
    ) -> None:
        """Keep the raw pages so `pantau reextract` can rebuild the article without fetching."""
        url = item["url"]
        self.archive.store_page(
            url,
            source=source,
            kind="article",
            status=int(item.get("status") or 200),
            body=raw,
            compressed=compressed,
            fetched_at=fetched_at.isoformat(),
            etag=item.get("etag"),
            last_modified=item.get("last_modified"),
            content_type="text/html; charset=utf-8",
        )
        extra_urls = list(item.get("extra_page_urls") or [])
        for n, page in enumerate(extra, start=2):
            page_url = extra_urls[n - 2] if len(extra_urls) >= n - 1 else f"{url}#page-{n}"
            self.archive.store_page(
                page_url,
                source=source,
                kind="article-page",
                status=200,
                body=page.encode("utf-8"),
                fetched_at=fetched_at.isoformat(),
                parent_url=url,
                page_no=n,
                content_type="text/html; charset=utf-8",
            )


class RunStats:
    """One `crawl_runs` row per source and run, opened at start, completed at close."""

    def __init__(self, crawler: Crawler, db_path: str, run_id: str):
        self.crawler = crawler
        self.db_path = db_path
        self.run_id = run_id
        self.row_id: int | None = None
        self.started = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunStats:
        db_path, _ = _settings_paths(crawler)
        run_id = crawler.settings.get("PANTAU_RUN_ID") or uuid.uuid4().hex[:12]
        ext = cls(crawler, db_path, run_id)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Any) -> None:
        self.started = time.monotonic()
        archive = Archive(self.db_path)
        try:
            self.row_id = archive.start_run(
                self.run_id, getattr(spider, "source_name", spider.name)
            )
        finally:
            archive.close()

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.row_id is None:
            return
        counts, status, summary = summarise_stats(self.crawler.stats.get_stats(), reason)
        counts["duration_s"] = round(time.monotonic() - self.started, 2)
        archive = Archive(self.db_path)
        try:
            archive.finish_run(self.row_id, counts, status, summary)
        finally:
            archive.close()


def summarise_stats(stats: dict, reason: str = "finished") -> tuple[dict, str, str]:
    """Turn Scrapy stats into crawl_runs counts and a run status for one source."""

    def get(key: str) -> int:
        return int(stats.get(key, 0) or 0)

    # The spider records exactly one `pantau/errors/<kind>` per failure (network errors
    # included), so Scrapy's own downloader exception counters would count them twice.
    errors = sum(int(v or 0) for k, v in stats.items() if k.startswith("pantau/errors/")) + get(
        "spider_exceptions/count"
    )
    error_kinds = sorted(
        {k.removeprefix("pantau/errors/") for k in stats if k.startswith("pantau/errors/")}
        | {
            k.split("/")[-1]
            for k in stats
            if k.startswith("downloader/exception_type_count/") and not k.endswith("IgnoreRequest")
        }
    )
    responses = get("response_received_count")
    ok = sum(
        int(v or 0)
        for k, v in stats.items()
        if k.startswith("downloader/response_status_count/") and k.rsplit("/", 1)[-1][0] in "23"
    )
    blocked = get("pantau/blocked")
    new = get("pantau/articles/new") + get("pantau/articles/copy")
    # article candidates refused by the spider's classifier or by extraction, per kind
    rejected_kinds = {
        k.removeprefix("pantau/rejected/"): int(v or 0)
        for k, v in sorted(stats.items())
        if k.startswith("pantau/rejected/") and v
    }
    rejected = sum(rejected_kinds.values())
    counts = {
        "requests": get("downloader/request_count"),
        "pages": responses,
        "articles_new": new,
        "articles_updated": get("pantau/articles/updated"),
        "matches": get("pantau/matches"),
        "errors": errors,
        "blocked": blocked,
        "not_articles": rejected,  # the same count as `rejected` (docs/schema.md)
        "rejected": rejected,
        "rejected_kinds": rejected_kinds,
        "with_date": get("pantau/articles/with_date"),
        "articles_seen": sum(
            get(f"pantau/articles/{k}") for k in ("new", "copy", "updated", "unchanged", "alias")
        ),
    }
    candidates = counts["articles_seen"] + rejected
    mostly_rejected = candidates >= MOSTLY_REJECTED_MIN and rejected * 2 > candidates
    # "failed as a whole": nothing answered, or the site answered but every article page it
    # tried failed and none was already archived (a re-run retrying only its few broken pages
    # of an otherwise healthy site is partial, not failed)
    articles_failed = (
        get("pantau/requests/article") > 0
        and get("pantau/pages/article") == 0
        and get("pantau/errors/article") > 0
        and get("pantau/articles/known") == 0
    )
    if ok == 0 and blocked:
        status = "blocked"
    elif (ok == 0 and counts["requests"] > 0) or articles_failed:
        status = "failed"
    elif errors or mostly_rejected:
        status = "partial"
    else:
        status = "ok"
    if reason not in ("finished",) and status == "ok":
        status = "partial" if reason != "budget" else "ok"
    problems = error_kinds[:8]
    if mostly_rejected:
        problems.append(f"most article pages rejected ({rejected} of {candidates})")
    # what a site tried to make Pantau fetch elsewhere, and sitemaps read only up to the caps
    # (spiders/scope.py, spiders/discovery.py): not errors, but an operator must see them
    if get("pantau/offsite_dropped"):
        problems.append(f"{get('pantau/offsite_dropped')} links outside the site not fetched")
    cuts = sorted(k.rsplit("/", 1)[-1] for k in stats if k.startswith("pantau/sitemap_cut/"))
    if cuts:
        problems.append(f"sitemaps cut ({', '.join(cuts)})")
    summary = ", ".join(problems)
    return counts, status, summary
