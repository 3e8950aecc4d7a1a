"""Workers fetch (docs/scaling.md): the network fetch of a cluster's crawl, on `pantau worker`s.

The coordinator stays the one Scrapy crawl that schedules: robots.txt, the frontier, budgets,
the incremental state and every download slot live there. Only *how a request is downloaded*
changes, at Scrapy's own extension point for it: `ClusterFetchHandler` (DOWNLOAD_HANDLERS for
http and https) sends the request to Redis and turns a worker's reply into a Scrapy Response.
Because the handler runs inside the crawl's download slot, one slot per site (DOWNLOAD_DELAY,
CONCURRENT_REQUESTS_PER_DOMAIN, AutoThrottle, Retry-After) holds whichever worker fetches.

The worker side (`fetch`) uses httpx: no redirects (the coordinator's RedirectMiddleware and
ScopeMiddleware see every 3xx as on one machine), no cookies of its own (the coordinator's
CookiesMiddleware sends and reads them), the size cap on the bytes read, content decoded, and an
address guard at connect time. A failure comes back as an error kind that the handler raises as
the exception Scrapy's own HTTP handler would have raised, so retries, error callbacks and the
frontier record it exactly as a local failure.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures as cf
import ipaddress
import json
import logging
import socket
import threading
import time
from http.cookiejar import CookieJar
from typing import Any
from urllib.parse import urlsplit

from pantau.pipeline.alerts.netguard import address_class
from pantau.pipeline.config import Cluster

log = logging.getLogger(__name__)

FETCH_ACTOR = "pantau_fetch"
START_WITHIN_MIN_S = 30.0  # a fetch message not started by then is dropped by the worker
REPLY_MARGIN_S = 5.0  # on top of start-within + the download timeout: then the handler gives up
UP_CHECK_S = 5.0  # how often the coordinator looks whether any fetching worker is up
WAIT_SLICE_MS = 2000  # one blocking wait for a reply (below redis-py's socket timeouts)
MAX_WAITING = 256  # requests one coordinator waits on at once (one thread and connection each)
ANY_ADDRESS = "*"  # in a message's `allow`: the coordinator guards nothing, nor does the worker
DROP_WHEN_DECODED = ("content-encoding", "content-length", "transfer-encoding")


def fetch_queue(cluster: Cluster) -> str:
    """The fetch queue's name: `pantau-fetch` beside the default `pantau-extract`."""
    return cluster.queue.removesuffix("-extract") + "-fetch"


def start_within(cluster: Cluster) -> float:
    """Seconds a fetch may wait in the queue before a worker starts it. Long enough for a killed
    worker's messages to come back (`dead_worker_after` plus one maintenance interval), short
    enough that no worker fetches a request the coordinator has stopped waiting for: that
    fetch would fall outside the site's download slot."""
    return max(START_WITHIN_MIN_S, 2 * cluster.dead_worker_after)


# --- the worker's side ------------------------------------------------------------------------


class AddressRefused(Exception):
    """Every address the host resolved to is of a class the source is not on."""


class NameNotResolved(Exception):
    """The host name did not resolve (on the worker)."""


def _allowed(ip: str, allow: frozenset[str]) -> bool:
    if ANY_ADDRESS in allow:
        return True
    klass = address_class(ipaddress.ip_address(ip.split("%", 1)[0]))
    return klass == "public" or klass in allow


def _client(allow: frozenset[str], verify: bool):
    """One httpx client per (allowed address classes, certificate check): a pooled connection
    is only ever reused under the allowance it was checked against."""
    key = (allow, verify)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = _make_client(allow, verify)
        return client


_clients: dict[tuple[frozenset[str], bool], Any] = {}
_clients_lock = threading.Lock()


def _make_client(allow: frozenset[str], verify: bool):
    import httpcore
    import httpx

    class GuardedBackend(httpcore.SyncBackend):
        """Resolve here and connect only to addresses of an allowed class (no second lookup
        in between that a DNS answer could change)."""

        def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
            try:
                infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except socket.gaierror as exc:
                raise NameNotResolved(f"{host}: {exc}") from None
            addrs = list(dict.fromkeys(info[4][0] for info in infos))
            usable = [a for a in addrs if _allowed(a, allow)]
            if not usable:
                raise AddressRefused(f"{host} resolves to {', '.join(addrs)}: not the source's")
            error: Exception | None = None
            for addr in usable:
                try:
                    return super().connect_tcp(addr, port, timeout, local_address, socket_options)
                except httpcore.ConnectError as exc:
                    error = exc
            assert error is not None
            raise error

    class NoCookies(CookieJar):
        """The coordinator's CookiesMiddleware owns cookies: the worker keeps none."""

        def extract_cookies(self, response, request) -> None:
            return None

        def set_cookie(self, cookie) -> None:
            return None

    class GuardedTransport(httpx.HTTPTransport):
        def __init__(self) -> None:
            super().__init__(verify=verify, trust_env=False)
            # httpx's own pool, with the guarded network backend (httpx has no parameter for it)
            self._pool = httpcore.ConnectionPool(
                ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
                max_connections=64,
                max_keepalive_connections=32,
                keepalive_expiry=5.0,
                network_backend=GuardedBackend(),
            )

    client = httpx.Client(
        transport=GuardedTransport(), cookies=NoCookies(), follow_redirects=False, trust_env=False
    )
    for name in list(client.headers.keys()):  # send the coordinator's headers, and only them
        del client.headers[name]
    return client


def _supported_encodings() -> frozenset[str]:
    try:
        from httpx._decoders import SUPPORTED_DECODERS  # what this httpx can decode
    except ImportError:  # pragma: no cover - a future httpx: decode only what is always there
        return frozenset({"identity", "gzip", "deflate"})
    return frozenset(SUPPORTED_DECODERS)


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"error": kind, "message": message}


def fetch(payload: dict[str, Any]) -> dict[str, Any]:
    """One request, as the message describes it, answered as JSON: the response (status,
    headers, body, latency) or an error kind (timeout, refused, dns, address, too_large,
    dataloss, failed). Never follows a redirect, never raises for a network failure."""
    import httpx

    started = time.monotonic()
    timeout = float(payload["timeout"])
    maxsize = int(payload.get("maxsize") or 0)
    warnsize = int(payload.get("warnsize") or 0)
    url = payload["url"]
    client = _client(frozenset(payload.get("allow") or ()), bool(payload.get("verify")))
    body = base64.b64decode(payload.get("body") or "")
    flags: list[str] = []
    try:
        with client.stream(
            payload.get("method", "GET"),
            url,
            headers=[(k.encode("latin-1"), v.encode("latin-1")) for k, v in payload["headers"]],
            content=body or None,
            timeout=httpx.Timeout(timeout),
        ) as resp:
            latency = time.monotonic() - started
            ip = _peer(resp)  # now: an HTTP/1.0 server closes the socket after the body
            length = resp.headers.get("content-length", "")
            if maxsize and length.isdigit() and int(length) > maxsize:
                return _error("too_large", f"{url}: Content-Length {length} > {maxsize} bytes")
            chunks, size = [], 0
            try:
                for chunk in resp.iter_raw():
                    chunks.append(chunk)
                    size += len(chunk)
                    if maxsize and size > maxsize:
                        return _error("too_large", f"{url}: more than {maxsize} bytes")
                    if time.monotonic() - started > timeout:
                        return _error("timeout", f"{url} took longer than {timeout:g} seconds")
            except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
                # the connection ended inside the body (closed early, reset): data loss, as
                # Twisted reports it to Scrapy's own handler
                if payload.get("fail_on_dataloss", True):
                    return _error("dataloss", f"{url}: {exc}")
                flags.append("dataloss")
            if warnsize and size > warnsize:
                log.warning("%s: %d bytes, over the warning size %d", url, size, warnsize)
            raw = b"".join(chunks)
            headers, content = _decoded(resp.headers, raw, maxsize)
            return {
                "status": resp.status_code,
                "headers": headers,
                "body": base64.b64encode(content).decode("ascii"),
                "latency": latency,
                "ip": ip,
                "protocol": resp.http_version,
                "flags": flags,
            }
    except NameNotResolved as exc:
        return _error("dns", str(exc))
    except AddressRefused as exc:
        return _error("address", str(exc))
    except httpx.TimeoutException:
        return _error("timeout", f"{url} took longer than {timeout:g} seconds")
    except httpx.ConnectError as exc:
        return _error("refused", f"{url}: {exc}")
    except (httpx.HTTPError, OSError, ValueError) as exc:
        return _error("failed", f"{url}: {type(exc).__name__}: {exc}")


def _peer(resp) -> str | None:
    """The address the response came from (for Response.ip_address), if the socket says."""
    try:
        server = resp.extensions["network_stream"].get_extra_info("server_addr")
    except (KeyError, OSError):
        return None
    return str(server[0]) if server else None


def _decoded(headers, raw: bytes, maxsize: int) -> tuple[list[list[str]], bytes]:
    """The headers and body to hand back: decoded here when every Content-Encoding is one httpx
    decodes and the result stays within `maxsize` (the coordinator's HttpCompressionMiddleware
    then has nothing to do), else exactly as received, so the coordinator does what it does
    with such a body on one machine (a decompression bomb is refused there, the same way)."""
    import httpx

    pairs = [[k.decode("latin-1"), v.decode("latin-1")] for k, v in headers.raw]
    codings = [
        c.strip().lower() for v in headers.get_list("content-encoding") for c in v.split(",")
    ]
    codings = [c for c in codings if c and c != "identity"]
    keep = [p for p in pairs if p[0].lower() != "transfer-encoding"]
    if not raw or not codings or not set(codings) <= _supported_encodings():
        return keep, raw
    parts, size = [], 0
    try:
        encoded = httpx.Response(200, headers={"content-encoding": ", ".join(codings)}, content=raw)
        for part in encoded.iter_bytes():
            size += len(part)
            if maxsize and size > maxsize:
                return keep, raw
            parts.append(part)
    except httpx.DecodingError:
        return keep, raw
    return [p for p in pairs if p[0].lower() not in DROP_WHEN_DECODED], b"".join(parts)


# --- the coordinator's side -------------------------------------------------------------------


class FetchUnavailable(Exception):
    """The request could not be put on the queue (Redis unreachable): it is fetched here."""


class FetchGaveUp(Exception):
    """No reply within the deadline (a lost worker, a long queue): a download timeout."""


class ClusterFetcher:
    """The coordinator's connection to the fetch queue: one per process, shared by the
    handlers of all its crawlers. Each request waits for its reply on a thread of its own
    (a blocking Redis read), awaited from the reactor as an asyncio future."""

    _shared: ClusterFetcher | None = None
    _shared_lock = threading.Lock()

    def __init__(self, cluster: Cluster):
        from pantau.cluster import make_broker

        self.cluster = cluster
        self.broker, _extract, self.backend = make_broker(cluster)
        self.actor = self.broker.get_actor(FETCH_ACTOR)
        self.max_age_ms = int(start_within(cluster) * 1000)
        self.waiters = cf.ThreadPoolExecutor(MAX_WAITING, thread_name_prefix="pantau-fetch")
        # its own thread: with every waiter busy, the check must not queue behind them
        self.checker = cf.ThreadPoolExecutor(1, thread_name_prefix="pantau-fetch-check")
        self.closing = threading.Event()
        self._count_lock = threading.Lock()
        self.sent = 0  # requests fetched by workers (answered or failed there)
        self.here = 0  # requests fetched by this process: no worker up, or Redis away
        self.gave_up = 0  # requests with no reply in time
        self._up_at = float("-inf")
        self._up: asyncio.Future[bool] | None = None

    @classmethod
    def shared(cls, cluster: Cluster) -> ClusterFetcher:
        with cls._shared_lock:
            if cls._shared is None or cls._shared.cluster != cluster:
                cls._shared = cls(cluster)
            return cls._shared

    async def workers_up(self) -> bool:
        """Whether a worker that fetches reported lately (asked at most every UP_CHECK_S; all
        requests in between share one answer)."""
        now = time.monotonic()
        if self._up is None or now - self._up_at >= UP_CHECK_S:
            self._up_at = now
            self._up = asyncio.wrap_future(self.checker.submit(self._fetchers_seen))
        return await asyncio.shield(self._up)

    def _fetchers_seen(self) -> bool:
        from pantau.cluster import WORKER_SEEN_S, WORKERS_KEY

        try:
            raw = self.broker.client.hgetall(WORKERS_KEY)
        except Exception as exc:
            log.warning("cluster: cannot read the workers from Redis: %s", exc)
            return False
        now = time.time()
        for value in raw.values():
            info = json.loads(value)
            if info.get("fetch_threads") and now - float(info.get("last_seen", 0)) <= WORKER_SEEN_S:
                return True
        return False

    async def fetch(self, payload: dict[str, Any], wait_s: float) -> dict[str, Any]:
        return await asyncio.wrap_future(self.waiters.submit(self._round_trip, payload, wait_s))

    def _round_trip(self, payload: dict[str, Any], wait_s: float) -> dict[str, Any]:
        from dramatiq.results import ResultFailure, ResultTimeout

        try:
            # the coordinator's age limit rules, whatever dead_worker_after a worker was given
            message = self.actor.send_with_options(args=(payload,), max_age=self.max_age_ms)
        except Exception as exc:  # Redis unreachable: nothing was queued
            raise FetchUnavailable(str(exc)) from None
        with self._count_lock:
            self.sent += 1
        deadline = time.monotonic() + wait_s
        key = self.backend.build_message_key(message)
        while True:  # in slices: redis-py gives up reading a socket after a while
            if self.closing.is_set():
                raise FetchGaveUp("the crawl is closing")
            try:
                reply = self.backend.get_result(message, block=True, timeout=WAIT_SLICE_MS)
                break
            except ResultTimeout:
                if time.monotonic() >= deadline:
                    with self._count_lock:
                        self.gave_up += 1
                    raise FetchGaveUp(f"no worker answered within {wait_s:g} s") from None
            except ResultFailure as exc:
                reply = _error("failed", f"the worker failed: {exc}")
                break
        try:
            self.broker.client.delete(key)
        except Exception:  # the reply expires by itself
            pass
        return reply

    def close(self) -> None:
        self.closing.set()
        self.waiters.shutdown(wait=False, cancel_futures=True)
        self.checker.shutdown(wait=False, cancel_futures=True)


class ClusterFetchHandler:
    """Scrapy download handler for http and https in a cluster whose workers fetch
    (`cluster: fetch: workers`; the runner installs it with the PANTAU_CLUSTER setting).

    Without a worker that fetches (none reported within 30 s) or with Redis unreachable, a
    request is fetched here by Scrapy's own HTTP handler, logged and counted: the run never
    stalls on a missing cluster. Stats: pantau/cluster/fetched (by workers),
    pantau/cluster/fetched_here, pantau/cluster/fetch_error/<kind>, pantau/cluster/no_reply.
    """

    lazy = False

    def __init__(self, crawler, cluster: Cluster | None):
        from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
        from scrapy.utils.misc import build_from_crawler

        self.crawler = crawler
        self.stats = crawler.stats
        settings = crawler.settings
        self.local = build_from_crawler(HTTP11DownloadHandler, crawler)
        self.fetcher = ClusterFetcher.shared(cluster) if cluster is not None else None
        self.start_within = start_within(cluster) if cluster is not None else 0.0
        self.timeout = settings.getfloat("DOWNLOAD_TIMEOUT")
        self.maxsize = settings.getint("DOWNLOAD_MAXSIZE")
        self.warnsize = settings.getint("DOWNLOAD_WARNSIZE")
        self.verify = settings.getbool("DOWNLOAD_VERIFY_CERTIFICATES")
        self.fail_on_dataloss = settings.getbool("DOWNLOAD_FAIL_ON_DATALOSS")
        guard = settings.getbool("PANTAU_CRAWL_SCOPE", True)
        self.guard_dns = guard and settings.getbool("PANTAU_CRAWL_SCOPE_DNS", True)
        self._allow: list[str] | None = None
        self._warned_here = False

    @classmethod
    def from_crawler(cls, crawler):
        raw = crawler.settings.get("PANTAU_CLUSTER")  # the cluster section as JSON
        cluster = Cluster.model_validate_json(raw) if raw else None
        if cluster is not None and cluster.fetch != "workers":
            cluster = None
        return cls(crawler, cluster)

    async def download_request(self, request):
        if self.fetcher is None or not await self.fetcher.workers_up():
            return await self._here(request, "no worker that fetches is up")
        timeout = float(request.meta.get("download_timeout", self.timeout))
        payload = {
            "method": request.method,
            "url": request.url.split("#", 1)[0],
            "headers": [
                [k.decode("latin-1"), v.decode("latin-1")]
                for k, values in request.headers.items()
                for v in values
            ],
            "body": base64.b64encode(request.body).decode("ascii") if request.body else "",
            "timeout": timeout,
            "maxsize": int(request.meta.get("download_maxsize", self.maxsize)),
            "warnsize": int(request.meta.get("download_warnsize", self.warnsize)),
            "fail_on_dataloss": bool(
                request.meta.get("download_fail_on_dataloss", self.fail_on_dataloss)
            ),
            "verify": self.verify,
            "allow": await self._allowed_classes(),
        }
        try:
            reply = await self.fetcher.fetch(payload, self.start_within + timeout + REPLY_MARGIN_S)
        except FetchUnavailable as exc:
            return await self._here(request, f"Redis unreachable: {exc}")
        except FetchGaveUp as exc:
            from scrapy.exceptions import DownloadTimeoutError

            self.stats.inc_value("pantau/cluster/no_reply")
            raise DownloadTimeoutError(f"Getting {request.url}: {exc}") from None
        self.stats.inc_value("pantau/cluster/fetched")
        if "error" in reply:
            self.stats.inc_value(f"pantau/cluster/fetch_error/{reply['error']}")
            raise _exception(reply, request, self.crawler)
        return _response(request, reply)

    async def _here(self, request, why: str):
        if not self._warned_here:
            self._warned_here = True
            log.warning("cluster: fetching here (%s): %s", why, request.url)
        self.stats.inc_value("pantau/cluster/fetched_here")
        if self.fetcher is not None:
            self.fetcher.here += 1
        return await self.local.download_request(request)

    async def _allowed_classes(self) -> list[str]:
        """The non-public address classes the source itself is on, which a worker may then
        connect to: the same allowance as ScopeMiddleware's (an IP or localhost source, or a
        source host name that resolves to such an address, as an intranet portal does)."""
        if self._allow is None:
            from pantau.spiders.scope import CrawlScope, host_class

            spider = self.crawler.spider
            source = getattr(spider, "source", None)
            scope = getattr(spider, "scope", None)
            if scope is None and source is not None:
                scope = CrawlScope.for_source(source)
            if scope is None or not self.guard_dns:
                self._allow = [ANY_ADDRESS]  # the coordinator guards nothing: neither do we
            else:
                classes = set(scope.own_classes)
                host = (urlsplit(str(source.url)).hostname or "").lower().rstrip(".")
                if host and host_class(host) is None:
                    classes |= await _resolved_class(host)
                self._allow = sorted(classes)
        return self._allow

    async def close(self) -> None:
        await self.local.close()


async def _resolved_class(host: str) -> set[str]:
    from scrapy.utils.defer import maybe_deferred_to_future
    from twisted.internet import reactor

    try:
        addr = await maybe_deferred_to_future(reactor.resolve(host))
    except Exception:
        return set()
    klass = address_class(ipaddress.ip_address(addr))
    return set() if klass == "public" else {klass}


def _response(request, reply: dict[str, Any]):
    from scrapy.http import Headers
    from scrapy.responsetypes import responsetypes

    headers = Headers()
    for k, v in reply["headers"]:
        headers.appendlist(k.encode("latin-1"), v.encode("latin-1"))
    body = base64.b64decode(reply["body"])
    url = request.url
    request.meta["download_latency"] = float(reply.get("latency") or 0.0)
    respcls = responsetypes.from_args(headers=headers, url=url, body=body)
    ip = reply.get("ip")
    return respcls(
        url=url,
        status=int(reply["status"]),
        headers=headers,
        body=body,
        flags=list(reply.get("flags") or []),
        ip_address=ipaddress.ip_address(ip.split("%", 1)[0]) if ip else None,
        protocol=reply.get("protocol"),
    )


def _exception(reply: dict[str, Any], request, crawler) -> Exception:
    """The exception Scrapy's own HTTP handler raises for the same failure."""
    from scrapy.exceptions import (
        CannotResolveHostError,
        DownloadCancelledError,
        DownloadConnectionRefusedError,
        DownloadFailedError,
        DownloadTimeoutError,
        ResponseDataLossError,
    )

    kind, message = reply["error"], reply.get("message", "")
    if kind == "address":  # the worker's DNS says what the coordinator's did not: refused
        from pantau.spiders.middlewares import OffsiteRefused
        from pantau.spiders.scope import note_dropped

        note_dropped(crawler, request.url, "address", "a worker's address check")
        return OffsiteRefused(f"outside the source's site (address, on a worker): {message}")
    cls = {
        "timeout": DownloadTimeoutError,
        "refused": DownloadConnectionRefusedError,
        "dns": CannotResolveHostError,
        "too_large": DownloadCancelledError,
        "dataloss": ResponseDataLossError,
    }.get(kind, DownloadFailedError)
    return cls(message)
