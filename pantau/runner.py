"""Run Scrapy crawls of the configured sources in this process and summarise them.

Scrapy's reactor cannot restart inside one process, so a process runs at most one
`crawl_sources` call: the CLI is the process boundary (tests call `pantau` as a subprocess).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import uuid
from dataclasses import dataclass, field

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from pantau.pipeline.archive import queries
from pantau.pipeline.archive.db import connect
from pantau.pipeline.config import PantauConfig

log = logging.getLogger(__name__)

FAILED_STATUSES = ("failed", "blocked")
CLUSTER_ACTIVE_SIZE = 5_000_000  # bytes of pages a source may have out with cluster workers
CLUSTER_FETCH_HANDLER = "pantau.cluster_fetch.ClusterFetchHandler"


@dataclass
class SourceSummary:
    source: str
    status: str
    requests: int
    pages: int
    new: int
    updated: int
    matches: int
    errors: int
    blocked: int
    duration_s: float
    error_summary: str
    rejected: int = 0  # article candidates rejected (classifier or extraction)
    rejected_kinds: dict[str, int] = field(default_factory=dict)  # per kind: listing, not-article

    def rejected_text(self) -> str:
        """'5 (listing 3, not-article 2)', or '0'."""
        kinds = ", ".join(f"{k} {n}" for k, n in self.rejected_kinds.items())
        return f"{self.rejected}" + (f" ({kinds})" if kinds and self.rejected else "")


def scrapy_settings(config: PantauConfig, db_path: str, run_id: str, log_level: str) -> Settings:
    settings = Settings()
    settings.setmodule("pantau.config.settings", priority="project")
    settings.set("PANTAU_DB", db_path, priority="cmdline")
    settings.set("PANTAU_CONFIG_DIR", config.directory, priority="cmdline")
    settings.set("PANTAU_RUN_ID", run_id, priority="cmdline")
    settings.set("LOG_LEVEL", log_level, priority="cmdline")
    return settings


def crawl_sources(
    config: PantauConfig,
    db_path: str,
    sources: list[str] | None = None,
    *,
    full: bool = False,
    log_level: str = "INFO",
    extra_settings: dict | None = None,
) -> tuple[str, list[SourceSummary]]:
    """Crawl the named (or every enabled) source concurrently; returns the run id and summaries."""
    from pantau.spiders.news import NewsSpider

    names = sources or [s.name for s in config.sources if s.enabled]
    run_id = uuid.uuid4().hex[:12]
    settings = scrapy_settings(config, db_path, run_id, log_level)
    if config.cluster is not None:
        # pages wait on remote workers: let each source keep more of them in flight
        settings.set("SCRAPER_SLOT_MAX_ACTIVE_SIZE", CLUSTER_ACTIVE_SIZE, priority="cmdline")
        if config.cluster.fetch == "workers":  # workers fetch, inside this crawl's slots
            handlers = dict(settings.getdict("DOWNLOAD_HANDLERS"))
            handlers.update(http=CLUSTER_FETCH_HANDLER, https=CLUSTER_FETCH_HANDLER)
            settings.set("DOWNLOAD_HANDLERS", handlers, priority="cmdline")
            settings.set("PANTAU_CLUSTER", config.cluster.model_dump_json(), priority="cmdline")
    overrides = dict(extra_settings or {})
    env_overrides = os.environ.get("PANTAU_SCRAPY_SETTINGS")
    if env_overrides:  # e.g. '{"DOWNLOAD_DELAY": 0}' for loopback tests and benchmarks
        overrides.update(json.loads(env_overrides))
    for k, v in overrides.items():
        settings.set(k, v, priority="cmdline")
    if sys.stderr.isatty():
        exts = dict(settings.getdict("EXTENSIONS"))
        exts["pantau.progress.RichProgress"] = 900
        settings.set("EXTENSIONS", exts, priority="cmdline")
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")  # pantau.logs owns it
    process = CrawlerProcess(settings)
    log.info("run %s: crawling %d source(s): %s", run_id, len(names), ", ".join(names))
    for name in names:
        kwargs = {"source": name}
        if full:
            kwargs["full"] = "1"
        process.crawl(NewsSpider, **kwargs)
    if names:
        try:
            process.start()
        finally:
            if sys.stderr.isatty():
                from pantau.progress import stop_progress

                stop_progress()
    if config.cluster is not None:
        from pantau.cluster import ClusterExtractor

        ext = ClusterExtractor._shared
        if ext is not None:
            log.info("cluster: %d page(s) sent to workers, %d extracted here", ext.sent, ext.inline)
            ext.close()
        from pantau.cluster_fetch import ClusterFetcher

        fetcher = ClusterFetcher._shared
        if fetcher is not None:
            log.info(
                "cluster: %d request(s) fetched by workers, %d here, %d without a reply in time",
                fetcher.sent,
                fetcher.here,
                fetcher.gave_up,
            )
            fetcher.close()
    summaries = load_summaries(db_path, run_id)
    for s in summaries:
        log.info(
            "source %s: %s, %d requests, %d new, %d updated, %d matches, %d errors, rejected %s",
            s.source,
            s.status,
            s.requests,
            s.new,
            s.updated,
            s.matches,
            s.errors,
            s.rejected_text(),
        )
    seen = {s.source for s in summaries}
    for name in names:
        if name not in seen:  # the spider failed before it could open its run row
            summaries.append(SourceSummary(name, "failed", 0, 0, 0, 0, 0, 1, 0, 0.0, "not started"))
    return run_id, summaries


def load_summaries(db_path: str, run_id: str) -> list[SourceSummary]:
    conn = connect(db_path)
    try:
        rows = queries.run_rows(conn, run_id)
    finally:
        conn.close()
    return [
        SourceSummary(
            r[0],
            r[1] or "failed",
            *(int(x or 0) for x in r[2:9]),
            float(r[9] or 0),
            r[10] or "",
            int(r[11] or 0),
            _kinds(r[12]),
        )
        for r in rows
    ]


def _kinds(value: str | None) -> dict[str, int]:
    try:
        kinds = json.loads(value or "{}")
    except ValueError:
        return {}
    return {str(k): int(n) for k, n in kinds.items()} if isinstance(kinds, dict) else {}
