"""Downloader middlewares for polite, bounded crawling of small regional servers.

- `ScopeMiddleware`: every request (redirects and meta refreshes included: Scrapy sends them
  through `process_request` again) must stay on the source's own site and off non-public
  addresses (`spiders.scope.CrawlScope`); others are dropped, logged and counted.
- `BudgetMiddleware`: counts every request sent (retries and robots.txt included) and refuses
  those past the source's `max_requests`.
- `PoliteRetryMiddleware`: Scrapy's retry, but a 429/503 waits for `Retry-After` (seconds or an
  HTTP date) or an exponential backoff instead of retrying at once, and slows the whole domain.
- `BlockDetectionMiddleware`: 403s and bot-challenge pages (Cloudflare "Just a moment...",
  captchas) are counted as `pantau/blocked`, apart from other errors, and never parsed.
- `DecodedSizeMiddleware`: DOWNLOAD_MAXSIZE applied once more to the decoded body. Scrapy 2.19's
  HttpCompressionMiddleware already enforces it while inflating gzip/deflate/br/zstd (chunk by
  chunk, so a bomb is stopped early); this guard also covers bodies that arrive decoded and
  anything a future middleware inflates, and counts the refusal.
- `CharsetMiddleware`: a charset label naming no text codec is replaced by the decoder's choice
  (`pipeline.htmlcodec`), so Scrapy's own decoding cannot raise on it.

Stats keys (all under pantau/):
  offsite_dropped[/<reason>]        requests kept off another host or a non-public address
                                    (reason: offsite, address, scheme; redirect_<reason> for
                                    a redirect's target)
  requests, requests/<kind>         requests sent to the network (kind: article, feed, ...)
  budget/exhausted, budget/dropped  the max_requests budget ran out; requests refused after it
  retry/<status>, retry/wait_s      polite retries and the seconds waited for them
  retry/gave_up                     a Retry-After too long to wait for, or retries exhausted
  blocked, blocked/<reason>         403 / challenge pages (reason: http_403, challenge, ...)
  error_detail/too_large            bodies over DOWNLOAD_MAXSIZE after decoding (the spider
                                    counts the error itself under errors/<kind>)
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response, TextResponse
from scrapy.utils.defer import maybe_deferred_to_future

from pantau.pipeline.alerts.netguard import address_class
from pantau.pipeline.htmlcodec import declared_label_unusable, decode_html
from pantau.pipeline.httputil import retry_after_seconds
from pantau.spiders.scope import CrawlScope, host_class, note_dropped

logger = logging.getLogger(__name__)


class BlockedError(IgnoreRequest):
    """The site refused us (403 or a bot challenge); not retried, counted as blocked."""


class BudgetExceeded(IgnoreRequest):
    """The source's max_requests budget is spent."""


class TooLarge(IgnoreRequest):
    """The decoded body is over DOWNLOAD_MAXSIZE."""


class OffsiteRefused(IgnoreRequest):
    """The URL is outside the source's site or on a non-public address; counted, not fetched."""


# --------------------------------------------------------------------------- scope


class ScopeMiddleware:
    """Keep a source's crawl on its own site (`spiders.scope`). Runs before robots.txt and the
    budget (priority 45), so a hostile link costs neither a robots.txt fetch on the other host
    nor a request of the budget. A host name is resolved (through Scrapy's caching resolver,
    whose answer the download then reuses) and refused on a non-public address unless the
    source's own host has that class too. Settings: PANTAU_CRAWL_SCOPE (on),
    PANTAU_CRAWL_SCOPE_DNS (on)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.check_dns = crawler.settings.getbool("PANTAU_CRAWL_SCOPE_DNS", True)
        self._scope: CrawlScope | None = None
        self._classes: dict[str, str | None] = {}  # host -> address class it resolved to

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("PANTAU_CRAWL_SCOPE", True):
            raise NotConfigured
        return cls(crawler)

    def _scope_of_spider(self) -> CrawlScope | None:
        if self._scope is None:
            spider = self.crawler.spider
            scope = getattr(spider, "scope", None)
            if scope is None and getattr(spider, "source", None) is not None:
                scope = CrawlScope.for_source(spider.source)
            self._scope = scope
        return self._scope

    async def process_request(self, request: Request):
        scope = self._scope_of_spider()
        if scope is None:  # not a source's crawl (no config): nothing to keep it to
            return None
        reason = scope.refusal(request.url)
        if reason is None and self.check_dns:
            reason = await self._resolved_refusal(request.url, scope)
        if reason is None:
            return None
        redirected = request.meta.get("redirect_urls")
        if redirected:
            reason = f"redirect_{reason}"
            where = f"a redirect from {redirected[-1]}"
        else:
            where = f"a {request.meta.get('pantau_kind') or 'request'} link"
        note_dropped(self.crawler, request.url, reason, where)
        raise OffsiteRefused(f"outside the source's site ({reason}): {request.url}")

    async def _class_of(self, host: str) -> str | None:
        if host not in self._classes:
            from twisted.internet import reactor

            try:
                addr = await maybe_deferred_to_future(reactor.resolve(host))
                self._classes[host] = address_class(ipaddress.ip_address(addr))
            except Exception:  # unresolvable now: the download fails (and is counted) itself
                return None
        return self._classes[host]

    async def _resolved_refusal(self, url: str, scope: CrawlScope) -> str | None:
        """`address` when a host name in scope resolves to an address class the source's own
        host does not have (a site's DNS pointing at 169.254.169.254 or 10.x)."""
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
        if not host or host_class(host) is not None:  # IP literal or localhost: judged already
            return None
        klass = await self._class_of(host)
        if klass is None or not scope.address_refusal(klass):
            return None
        home = (urlsplit(str(self.crawler.spider.source.url)).hostname or "").lower()
        if home and host_class(home) is None and await self._class_of(home) == klass:
            return None  # the source itself is on such an address (an intranet portal)
        return "address"


# --------------------------------------------------------------------------- budget


class BudgetMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.default_budget = crawler.settings.getint("PANTAU_MAX_REQUESTS", 0)
        self.sent = 0

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request: Request):
        spider = self.crawler.spider
        budget = getattr(spider, "max_requests", None) or self.default_budget
        if budget and self.sent >= budget:
            self.stats.set_value("pantau/budget/exhausted", 1)
            self.stats.inc_value("pantau/budget/dropped")
            raise BudgetExceeded(f"max_requests budget ({budget}) spent: {request.url}")
        self.sent += 1
        kind = request.meta.get("pantau_kind") or (
            "robots" if request.url.endswith("/robots.txt") else "other"
        )
        self.stats.inc_value("pantau/requests")
        self.stats.inc_value(f"pantau/requests/{kind}")
        return None


# --------------------------------------------------------------------------- retry


class PoliteRetryMiddleware(RetryMiddleware):
    """Retry with Retry-After and exponential backoff for 429/503; others as Scrapy does."""

    def __init__(self, settings, crawler=None):
        super().__init__(settings)
        self.crawler = crawler
        self.backoff_base = settings.getfloat("PANTAU_RETRY_BACKOFF_BASE", 2.0)
        self.backoff_max = settings.getfloat("PANTAU_RETRY_BACKOFF_MAX", 60.0)
        self.retry_after_max = settings.getfloat("PANTAU_RETRY_AFTER_MAX", 120.0)
        self.slow_codes = {429, 503}

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("RETRY_ENABLED"):
            raise NotConfigured
        return cls(crawler.settings, crawler)

    def _stats(self):
        return self.crawler.stats if self.crawler else None

    async def process_response(self, request: Request, response: Response):
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        stats = self._stats()
        if response.status not in self.slow_codes:
            return self._retry(request, f"HTTP {response.status}") or response
        retries = request.meta.get("retry_times", 0)
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if wait is None:
            wait = min(self.backoff_max, self.backoff_base * (2**retries))
        if wait > self.retry_after_max:
            logger.warning(
                "%s asks us to wait %.0f s (over PANTAU_RETRY_AFTER_MAX): giving up on %s",
                response.status,
                wait,
                request.url,
            )
            if stats:
                stats.inc_value("pantau/retry/gave_up")
            return response
        new = get_retry_request(
            request,
            spider=self.crawler.spider,
            reason=f"HTTP {response.status}",
            max_retry_times=request.meta.get("max_retry_times", self.max_retry_times),
            priority_adjust=request.meta.get("priority_adjust", self.priority_adjust),
            stats_base_key="retry",
        )
        if new is None:
            if stats:
                stats.inc_value("pantau/retry/gave_up")
            return response
        if stats:
            stats.inc_value(f"pantau/retry/{response.status}")
            stats.inc_value("pantau/retry/wait_s", int(round(wait)))
        self._slow_down(request, wait)
        if wait > 0:
            await asyncio.sleep(wait)
        return new

    def _slow_down(self, request: Request, wait: float) -> None:
        """Space the domain's next requests too: the server asked us to back off."""
        try:
            downloader = self.crawler.engine.downloader
            key = downloader.get_slot_key(request)
            slot = downloader.slots.get(key)
            if slot is not None:
                slot.delay = max(slot.delay, min(wait, 10.0))
        except AttributeError:
            pass


# --------------------------------------------------------------------------- blocking

# Bot-challenge pages: a telling <title>, or a challenge provider's marker. Tested on the
# lower-cased head with substring scans (C speed); a case-blind alternation tried at every
# position cost about a millisecond a page.
_CHALLENGE_TITLE_RE = re.compile(
    rb"<title>\s*(?:just a moment|attention required|access denied|ddos-guard|please wait|"
    rb"checking your browser|security check|one more step|are you a robot|captcha)"
)
_CHALLENGE_MARKERS = (
    b"cf-browser-verification",
    b"cf_chl_opt",
    b"challenge-platform",
    b"g-recaptcha",
    b"h-captcha",
    b"hcaptcha.com/1/api",
    b"_incapsula_resource",
    b"sucuri_cloudproxy",
)


def looks_like_challenge(head: bytes) -> bool:
    lowered = head.lower()
    if any(m in lowered for m in _CHALLENGE_MARKERS):
        return True
    i = lowered.find(b"<title>")
    while i != -1:
        if _CHALLENGE_TITLE_RE.match(lowered, i):
            return True
        i = lowered.find(b"<title>", i + 1)
    return False


def block_reason(status: int, headers: dict[bytes, list[bytes]] | None, body: bytes) -> str | None:
    """Why a response is a refusal rather than content, or None."""
    header = {k.lower(): v for k, v in (headers or {}).items()}
    if b"cf-mitigated" in header:
        return "challenge"
    if looks_like_challenge(body[:20000]):
        # an article page may embed a reCAPTCHA comment form: only small pages are challenges
        if len(body) < 60000 or status in (403, 429, 503):
            return "challenge"
    if status == 403:
        return "http_403"
    if status == 401:
        return "http_401"
    return None


class BlockDetectionMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request: Request, response: Response):
        if response.status in (301, 302, 303, 307, 308, 304):
            return response
        reason = block_reason(response.status, dict(response.headers), response.body)
        if reason is None:
            return response
        self.stats.inc_value("pantau/blocked")
        self.stats.inc_value(f"pantau/blocked/{reason}")
        logger.warning("blocked (%s) at %s", reason, request.url)
        raise BlockedError(f"blocked ({reason}): {request.url}")


# --------------------------------------------------------------------------- size


class DecodedSizeMiddleware:
    def __init__(self, crawler):
        self.stats = crawler.stats
        self.max_size = crawler.settings.getint("DOWNLOAD_MAXSIZE")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request: Request, response: Response):
        limit = request.meta.get("download_maxsize", self.max_size)
        if limit and len(response.body) > limit:
            self.stats.inc_value("pantau/error_detail/too_large")
            raise TooLarge(f"decoded body of {request.url} is over {limit} bytes")
        return response


# --------------------------------------------------------------------------- charset


class CharsetMiddleware:
    """A page labelled with a codec that is no text encoding (`charset=hex`, `base64`, `zlib`,
    `undefined` ...) gets the encoding Pantau's decoder picks, so Scrapy's own `response.text`
    (MetaRefreshMiddleware reads it on every HTML page without `dont_redirect`) cannot raise
    and lose the page. Labels that work are left alone: no body is decoded for them here."""

    @classmethod
    def from_crawler(cls, crawler):
        return cls()

    def process_response(self, request: Request, response: Response):
        if not isinstance(response, TextResponse):
            return response
        content_type = response.headers.get("Content-Type")
        content_type = content_type.decode("latin-1") if content_type else None
        if not declared_label_unusable(response.body, content_type):
            return response
        used = decode_html(response.body, content_type)[1]
        return response.replace(encoding="utf-8" if used == "utf-8+cp1252" else used)
