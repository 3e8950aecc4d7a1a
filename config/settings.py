"""Scrapy settings for Pantau (scrapy.cfg: `default = pantau.config.settings`).

Tuned for monitoring small regional news servers: polite (robots.txt, AutoThrottle, one or two
requests at a time per domain, Retry-After honoured), bounded (30 s timeouts, size limit on the
decoded body, few redirects, a request budget per source), and identifiable (a real User-Agent
with a contact URL, taken from sources.yaml `user_agent_contact` by the spider).

Stats written by Pantau's own code, all under `pantau/` (see spiders/middlewares.py and
spiders/news.py for the full list): requests[/<kind>], pages/<kind>, unchanged/<kind>,
articles/{queued,yielded,known,not_article,multipage}, errors[/<kind>], blocked[/<reason>],
budget/{exhausted,dropped}, retry/{429,503,wait_s,gave_up}, offsite_dropped[/<reason>],
sitemap_cut/{too_large,entries}.
"""

from __future__ import annotations

import os

BOT_NAME = "pantau"
SPIDER_MODULES = ["pantau.spiders"]
NEWSPIDER_MODULE = "pantau.spiders"

# Where the spider finds its config and the archive (the runner sets these; the environment
# and the documented defaults otherwise).
PANTAU_CONFIG_DIR = os.environ.get("PANTAU_CONFIG_DIR", "./config")
PANTAU_DB = os.environ.get("PANTAU_DB", "./data/pantau.db")
PANTAU_DEFAULT_CONTACT = "https://github.com/pantau-monitor/pantau"
USER_AGENT = f"Pantau/0.1 (+{PANTAU_DEFAULT_CONTACT})"

# Politeness
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5  # each delay is DOWNLOAD_DELAY x (1 +- 0.5)
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
COOKIES_ENABLED = True

# Limits
DOWNLOAD_TIMEOUT = 30
DNS_TIMEOUT = 10
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024  # enforced on the decoded body too (see middlewares)
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
METAREFRESH_MAXDELAY = 10
PANTAU_MAX_REQUESTS = 500  # fallback budget; a source's max_requests wins
# Sitemaps are read as a stream: at most this many bytes once inflated (a .xml.gz of 2 MB can
# inflate to 50) and this many entries (the sitemap protocol's own limit); past either, the
# sitemap is cut (logged, counted under pantau/sitemap_cut/*) and the crawl goes on.
PANTAU_SITEMAP_MAX_BYTES = 20 * 1024 * 1024
PANTAU_SITEMAP_MAX_ENTRIES = 50_000
# Every request stays on the source's own site and off non-public addresses (spiders/scope.py)
PANTAU_CRAWL_SCOPE = True
PANTAU_CRAWL_SCOPE_DNS = True  # also refuse site host names that resolve to such addresses
# Extraction worker processes ("auto": one per core; 0: always inline). The pool starts once
# the run has extracted PANTAU_EXTRACT_POOL_AFTER articles inline, so small runs never start it.
PANTAU_EXTRACT_WORKERS = "auto"  # auto: one per core but one
PANTAU_EXTRACT_POOL_AFTER = 30
# Responses a source may hold while their items are processed (Scrapy's default is 5 MB). With
# extraction in workers, items wait: 5 MB a source over dozens of sources is hundreds of MB of
# pages in memory, where a few pages a source keep the workers just as busy (measured: same
# crawl rate at 400 KB, 36 MB less peak memory than at 1 MB over 10 sources).
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 400_000

# Retries: 429/503 wait for Retry-After or back off exponentially (PoliteRetryMiddleware)
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
PANTAU_RETRY_BACKOFF_BASE = 2.0
PANTAU_RETRY_BACKOFF_MAX = 60.0
PANTAU_RETRY_AFTER_MAX = 120.0

DOWNLOADER_MIDDLEWARES = {
    # first: a link or redirect to another host or a non-public address costs nothing, not
    # even a robots.txt fetch there (spiders/scope.py)
    "pantau.spiders.middlewares.ScopeMiddleware": 45,
    "pantau.spiders.middlewares.BudgetMiddleware": 50,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "pantau.spiders.middlewares.PoliteRetryMiddleware": 550,
    # response path runs high -> low: decompress (590), size check, block check, then retry
    "pantau.spiders.middlewares.BlockDetectionMiddleware": 560,
    "pantau.spiders.middlewares.DecodedSizeMiddleware": 585,
    # before MetaRefreshMiddleware (580) reads response.text: no charset=hex can make it raise
    "pantau.spiders.middlewares.CharsetMiddleware": 587,
}

ITEM_PIPELINES = {"pantau.pipeline.scrapy_pipeline.ArchivePipeline": 300}
# the cluster view (pantau/cluster_view.py) records a cluster's workers and queues in the archive
# every PANTAU_CLUSTER_SNAPSHOT_SECONDS; without `cluster:` in sources.yaml it is not configured
EXTENSIONS = {
    "pantau.pipeline.scrapy_pipeline.RunStats": 500,
    "pantau.cluster_view.ClusterView": 510,
}
PANTAU_CLUSTER_SNAPSHOT_SECONDS = 30.0

TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
# page items carry raw bytes: let `-O items.jsonl` write them as text
FEED_EXPORTERS = {
    "jsonlines": "pantau.spiders.exporters.JsonLinesExporter",
    "jsonl": "pantau.spiders.exporters.JsonLinesExporter",
    "json": "pantau.spiders.exporters.JsonExporter",
}

# Only the web: a hostile sitemap or link must never make the crawler read local files or other
# schemes (file://, ftp://, s3://, data:). The spider also drops non-http(s) URLs itself.
DOWNLOAD_HANDLERS = {"file": None, "ftp": None, "s3": None, "data": None}
