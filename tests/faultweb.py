"""Fault-injecting loopback servers for the reliability suite.

`FaultWeb` is one small news site on 127.0.0.1 whose pages are real corpus HTML
(the corpus pages of tests/extraction/cases/) and whose paths can misbehave the ways small
regional servers do: 5xx then recovery, 429 with Retry-After, a connection reset mid-body, a
response that stalls past the download timeout, a body shorter than its Content-Length, a
redirect loop, an oversized page, a gzip bomb, a charset label that lies, broken HTML, broken
feeds and sitemaps, and an empty 200. `build_fault_site()` wires all of them at once and says
which pages must end up archived and which must not.

`HookReceiver` is a webhook/Slack receiver that records every raw delivery (so duplicates are
visible) as well as the set of distinct `webhook-id`s a real receiver would keep, can answer
slowly, and can call a hook just before or just after answering: the crash tests use that to
SIGKILL `pantau` inside the documented duplicate window.

Everything binds 127.0.0.1 only; nothing here needs the internet.
"""

from __future__ import annotations

import gzip
import html
import io
import json
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "extraction" / "cases"  # real corpus pages
HTML_UTF8 = "text/html; charset=utf-8"

Route = Callable[[BaseHTTPRequestHandler, "FaultWeb", int], None]


def free_port() -> int:
    """A loopback port nobody listens on (right now): for "receiver down" and dead sources."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def corpus_page(name: str) -> str:
    return (DATA / f"{name}.html").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- the server


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # a busy CI box must not drop SYNs (a dropped SYN costs 1-3 s)

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # resets and stalls end connections rudely on purpose: no tracebacks


class FaultWeb:
    """A threaded HTTP/1.0 server on 127.0.0.1 answering each path with a `Route`.

    A route is `fn(handler, web, n)` with n the 1-based number of this request for that path,
    so "fail twice, then serve" is a plain `if n <= 2`. Unknown paths get 404.
    """

    def __init__(self, port: int = 0):
        self.routes: dict[str, Route] = {}
        self.log: list[tuple[str, int]] = []  # (path, hit number)
        self._hits: dict[str, int] = {}
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        web = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"
            server_version = "FaultWeb/1.0"

            def do_GET(self) -> None:  # http.server naming
                web._dispatch(self)

            def log_message(self, *args: Any) -> None:
                return

        self._server = _Server(("127.0.0.1", port), Handler)
        self.port = self._server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> FaultWeb:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()  # wakes stalled responses
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultWeb:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, route: Route) -> None:
        self.routes[path] = route

    def hits(self, path: str) -> int:
        with self._lock:
            return self._hits.get(path, 0)

    def _dispatch(self, req: BaseHTTPRequestHandler) -> None:
        path = req.path.split("#", 1)[0]
        with self._lock:
            n = self._hits[path] = self._hits.get(path, 0) + 1
            self.log.append((path, n))
        route = self.routes.get(path)  # exact: `?page=2` of an article is another page
        try:
            if route is None:
                send(req, 404, b"<html><body><h1>404</h1></body></html>")
            else:
                route(req, self, n)
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass


def send(
    req: BaseHTTPRequestHandler,
    status: int,
    body: bytes = b"",
    ctype: str = HTML_UTF8,
    headers: dict[str, str] | None = None,
) -> None:
    req.send_response(status)
    req.send_header("Content-Type", ctype)
    req.send_header("Content-Length", str(len(body)))
    for k, v in (headers or {}).items():
        req.send_header(k, v)
    req.end_headers()
    req.wfile.write(body)


def _reset(req: BaseHTTPRequestHandler) -> None:
    """Close with RST (SO_LINGER 0) rather than FIN: the client sees 'connection reset'."""
    req.wfile.flush()
    req.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    req.connection.close()
    req.close_connection = True


# --------------------------------------------------------------------------- routes


def serve(body: bytes | str, ctype: str = HTML_UTF8, headers: dict | None = None) -> Route:
    data = body.encode("utf-8") if isinstance(body, str) else body

    def route(req: BaseHTTPRequestHandler, web: FaultWeb, n: int) -> None:
        send(req, 200, data, ctype, headers)

    return route


def fail_then(failures: list[tuple[int, dict[str, str]]], then: Route) -> Route:
    """Answer the first len(failures) requests with those statuses, then recover."""

    def route(req: BaseHTTPRequestHandler, web: FaultWeb, n: int) -> None:
        if n <= len(failures):
            status, headers = failures[n - 1]
            send(req, status, b"<html><body>Server busy</body></html>", HTML_UTF8, headers)
        else:
            then(req, web, n)

    return route


def reset_mid_body(body: bytes, fraction: float = 0.4) -> Route:
    """Headers and part of the body, then a TCP reset: on every request."""

    def route(req: BaseHTTPRequestHandler, web: FaultWeb, n: int) -> None:
        req.send_response(200)
        req.send_header("Content-Type", HTML_UTF8)
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body[: int(len(body) * fraction)])
        _reset(req)

    return route


def stall(body: bytes, seconds: float = 60.0) -> Route:
    """Headers and the first kilobyte, then silence until `seconds` pass or the server stops."""

    def route(req: BaseHTTPRequestHandler, web: FaultWeb, n: int) -> None:
        req.send_response(200)
        req.send_header("Content-Type", HTML_UTF8)
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body[:1024])
        req.wfile.flush()
        web.stopping.wait(seconds)
        req.close_connection = True

    return route


def truncated(body: bytes, fraction: float = 0.55) -> Route:
    """Content-Length says the whole body; a part is sent and the connection closed cleanly."""

    def route(req: BaseHTTPRequestHandler, web: FaultWeb, n: int) -> None:
        req.send_response(200)
        req.send_header("Content-Type", HTML_UTF8)
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body[: int(len(body) * fraction)])
        req.wfile.flush()
        req.close_connection = True
        req.connection.shutdown(socket.SHUT_WR)

    return route


def redirect(to: str, status: int = 302) -> Route:
    def route(req: BaseHTTPRequestHandler, web: FaultWeb, n: int) -> None:
        send(req, status, b"", HTML_UTF8, {"Location": to})

    return route


def gzip_bytes(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0) as gz:
        gz.write(data)
    return buf.getvalue()


_BOMB_CACHE: dict[tuple[int, int], bytes] = {}


def gzip_bomb(prefix: bytes, expanded: int) -> bytes:
    """`prefix` then spaces up to `expanded` bytes, gzipped (about 1000:1)."""
    key = (hash(prefix), expanded)
    if key not in _BOMB_CACHE:
        buf = io.BytesIO()
        with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0) as gz:
            gz.write(prefix)
            chunk = b" " * (1 << 20)
            left = expanded - len(prefix)
            while left > 0:
                gz.write(chunk[: min(left, len(chunk))])
                left -= len(chunk)
        _BOMB_CACHE[key] = buf.getvalue()
    return _BOMB_CACHE[key]


def gzip_route(compressed: bytes) -> Route:
    return serve(compressed, HTML_UTF8, {"Content-Encoding": "gzip"})


# --------------------------------------------------------------------------- page surgery


def malform(page: str) -> str:
    """Break the HTML the ways hand-edited CMS themes do, keeping the text."""
    out = re.sub(r"</(p|li|span)>", "", page, flags=re.I)  # unclosed elements
    out = out.replace("<body", "<body><body><table><tr><td", 1)  # stray, unclosed table
    out = re.sub(r'class="([^"]*)"', r"class=\1 '", out, count=40)  # broken attribute quoting
    out = out.replace("</head>", "</head><<>></head>", 1)  # junk and a repeated end tag
    return out + "</td></tr></table></table></div></div><p><b><i>"


def stray_html_end(page: str) -> str:
    """A second document glued in after </head> (injected ad code does this)."""
    return page.replace("</head>", "</head></html><html>", 1)


def relabel_charset(page: str, charset: str) -> str:
    """Make every in-page charset declaration say `charset`."""
    page = re.sub(r'(<meta[^>]+charset=)["\']?[\w-]+', rf"\g<1>{charset}", page, flags=re.I)
    return page


def pad_to(page: str, size: int) -> str:
    """The page with a huge extra paragraph before </body>, at least `size` bytes in UTF-8."""
    need = max(0, size - len(page.encode("utf-8")))
    words = ("kata " * (need // 5 + 1))[: need + 1]
    return page.replace("</body>", f"<p>{words}</p></body>", 1)


def title_of(page: str) -> str:
    m = re.search(r"<title[^>]*>(.*?)</title>", page, re.S | re.I)
    return html.unescape(m.group(1)).strip() if m else ""


# --------------------------------------------------------------------------- the fault site


@dataclass
class FaultPage:
    path: str
    corpus: str | None  # corpus file the page is made from
    fault: str  # what is wrong with it
    archived: bool  # must it end up in the archive?


@dataclass
class FaultSite:
    web: FaultWeb
    pages: list[FaultPage] = field(default_factory=list)
    broken_discovery: bool = True

    @property
    def expect_archived(self) -> list[FaultPage]:
        return [p for p in self.pages if p.archived]

    @property
    def expect_missing(self) -> list[FaultPage]:
        return [p for p in self.pages if not p.archived]

    def source_entry(self, name: str = "faultsite") -> dict[str, Any]:
        entry: dict[str, Any] = {
            "name": name,
            "url": self.web.url("/"),
            "region": "Jawa Barat",
            "template": "generic",
        }
        if self.broken_discovery:
            entry["feeds"] = [self.web.url("/feed.xml")]
            entry["sitemaps"] = [self.web.url("/sitemap.xml")]
        return entry


FAULTS: list[tuple[str, str | None, str, bool]] = [
    # (slug, corpus page, fault, archived?)
    ("samsul-arif-tak-beban-lawan-arema", "kompas-4", "none", True),
    ("zuckerberg-sewa-enam-belas-tukang-pukul", "kompas-3", "500 twice then 200", True),
    ("kelezatan-sate-lalat-pak-muhsin-pamekasan", "merdeka-2", "503 Retry-After 1 then 200", True),
    (
        "foto-dian-sastrowardoyo-saat-masih-remaja",
        "kapanlagi-2",
        "429 Retry-After 1 then 200",
        True,
    ),
    ("tata-cara-sholat-jamak-dan-qasar", "liputan6-6", "windows-1252 labelled utf-8", True),
    ("kpk-tak-temukan-surat-pencabutan-iup", "mediaindonesia-1", "utf-8 labelled latin-1", True),
    ("cerita-mawar-eva-saat-sma-menagih-utang", "merdeka-3", "malformed html", True),
    ("donald-trump-masih-berbahaya-kena-covid", "pikiranrakyat-zonajakarta-1", "gzip ok", True),
    ("hedy-lamarr-penemu-cikal-bakal-wifi", "merdeka-5", "connection reset", False),
    ("taylor-swift-standing-ovation-pianis-cilik", "viva-1", "stall", False),
    ("marcella-zalianty-promo-pariwisata-lewat-film", "republika-1", "truncated body", False),
    ("ihsg-sempat-tembus-indeks-berbalik-melemah", "mediaindonesia-2", "redirect loop", False),
    ("awasi-protokol-kesehatan-pengelola-mal", "liputan6-2", "over size limit", False),
    ("penyebab-pusing-setelah-makan-dan-cara", "merdeka-1", "gzip bomb", False),
    ("halaman-ini-kosong-tanpa-isi-apapun", None, "empty 200", False),
]
MALFORMED_FEED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Fault & Co'
    b"</title><item><title>Unclosed <b>bold</title><link>/tidak-ada/</link>"
    b"<pubDate>Kemarin sore</pubDate></item><item><title>Lost in"
)
BROKEN_SITEMAP = (
    b"<html><head><title>Database Error</title></head><body><h1>Error establishing a "
    b"database connection</h1></body></html>"
)


def build_fault_site(
    web: FaultWeb, maxsize: int, faults: list[str] | None = None, broken_discovery: bool = True
) -> FaultSite:
    """Wire the named faults (default: all) onto `web`; `maxsize` is the DOWNLOAD_MAXSIZE the
    crawl runs with. `broken_discovery` adds the malformed feed and the broken sitemap."""
    site = FaultSite(web, broken_discovery=broken_discovery)
    links = []
    for k, (slug, name, fault, archived) in enumerate(FAULTS):
        if faults is not None and fault not in faults:
            continue
        path = f"/2024/09/{10 + k:02d}/{slug}/"
        page = corpus_page(name) if name else ""
        body = page.encode("utf-8")
        if fault == "none":
            route = serve(body)
        elif fault == "500 twice then 200":
            route = fail_then([(500, {}), (500, {})], serve(body))
        elif fault.startswith("503"):
            route = fail_then([(503, {"Retry-After": "1"})], serve(body))
        elif fault.startswith("429"):
            route = fail_then([(429, {"Retry-After": "1"})], serve(body))
        elif fault == "windows-1252 labelled utf-8":
            route = serve(page.encode("cp1252"), "text/html; charset=UTF-8")
        elif fault == "utf-8 labelled latin-1":
            route = serve(relabel_charset(page, "ISO-8859-1"), "text/html; charset=ISO-8859-1")
        elif fault == "malformed html":
            route = serve(malform(page))
        elif fault == "gzip ok":
            route = gzip_route(gzip_bytes(body))
        elif fault == "connection reset":
            route = reset_mid_body(body)
        elif fault == "stall":
            route = stall(body)
        elif fault == "truncated body":
            route = truncated(body)
        elif fault == "redirect loop":
            other = path.rstrip("/") + "-lagi/"
            web.add(other, redirect(web.url(path)))
            route = redirect(web.url(other))
        elif fault == "over size limit":
            route = serve(pad_to(page, maxsize + 200_000))
        elif fault == "gzip bomb":
            route = gzip_route(gzip_bomb(body, max(40 * maxsize, 40 << 20)))
        elif fault == "empty 200":
            route = serve(b"")
        else:  # pragma: no cover - a typo in FAULTS
            raise ValueError(fault)
        web.add(path, route)
        site.pages.append(FaultPage(path, name, fault, archived))
        links.append(
            f'<li><a href="{web.url(path)}">{html.escape(slug.replace("-", " "))}</a></li>'
        )
    feed_link = (
        f'<link rel="alternate" type="application/rss+xml" href="{web.url("/feed.xml")}">'
        if broken_discovery
        else ""
    )
    home = (
        '<!DOCTYPE html><html lang="id"><head><meta charset="utf-8"><title>Fault Daily</title>'
        f"{feed_link}</head><body><h1>Fault Daily</h1><ul>{''.join(links)}</ul></body></html>"
    )
    web.add("/", serve(home))
    web.add("/robots.txt", serve(b"User-agent: *\nAllow: /\n", "text/plain"))
    if broken_discovery:
        web.add("/feed.xml", serve(MALFORMED_FEED, "application/rss+xml"))
        web.add("/sitemap.xml", serve(BROKEN_SITEMAP, "application/xml"))
    return site


# --------------------------------------------------------------------------- alert receiver


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def webhook_id(self) -> str | None:
        return {k.lower(): v for k, v in self.headers.items()}.get("webhook-id")

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class HookReceiver:
    """Webhook + Slack receiver on 127.0.0.1 that keeps raw deliveries and distinct ids.

    `delay` slows every answer (widens "mid-delivery"); `before_answer(n)` / `after_answer(n)`
    run in the server thread around the n-th (1-based) raw delivery; `status_for(n)` may
    script the status. `stop()` closes the port; `start()` again re-binds the same port.
    """

    def __init__(self, port: int | None = None, delay: float = 0.0):
        self.port = port or free_port()
        self.delay = delay
        self.deliveries: list[Delivery] = []
        self.before_answer: Callable[[int], None] | None = None
        self.after_answer: Callable[[int], None] | None = None
        self.status_for: Callable[[int], int] | None = None
        self._lock = threading.Lock()
        self._server: _Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> HookReceiver:
        rx = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with rx._lock:
                    n = len(rx.deliveries) + 1
                    status = rx.status_for(n) if rx.status_for else 200
                    rx.deliveries.append(Delivery(self.path, dict(self.headers), body, status))
                if rx.before_answer:
                    rx.before_answer(n)
                if rx.delay:
                    time.sleep(rx.delay)
                answer = b"ok" if status < 300 else b"rejected"
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
                self.wfile.flush()
                if rx.after_answer:
                    rx.after_answer(n)

            def log_message(self, *args: Any) -> None:
                return

        self._server = _Server(("127.0.0.1", self.port), Handler)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def accepted(self, path: str | None = None) -> list[Delivery]:
        with self._lock:
            return [
                d for d in self.deliveries if d.status < 300 and (path is None or d.path == path)
            ]

    def distinct_ids(self, path: str) -> dict[str, int]:
        """webhook-id -> how many times it was accepted (a real receiver keeps the first)."""
        out: dict[str, int] = {}
        for d in self.accepted(path):
            out[d.webhook_id or ""] = out.get(d.webhook_id or "", 0) + 1
        return out


# --------------------------------------------------------------------------- test helpers

MOJIBAKE = ("\ufffd", "Ã©", "Ã¨", "Ã¢", "Ã¼", "â€", "Â ", "Ã\xa0")


def mojibake_in(text: str | None) -> list[str]:
    """Replacement characters and UTF-8-read-as-windows-1252 sequences found in `text`."""
    return [m for m in MOJIBAKE if text and m in text]


def scrapy_env(**overrides: Any) -> dict[str, str]:
    """Environment for a loopback `pantau` run: no politeness delays, plus `overrides`."""
    settings = {
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
        "PANTAU_RETRY_BACKOFF_BASE": 0.2,
        **overrides,
    }
    return {
        "PANTAU_SCRAPY_SETTINGS": json.dumps(settings),
        "PANTAU_RETRY_BASE_SECONDS": "0",
        "PANTAU_SLACK_INTERVAL": "0",
        "PANTAU_QUICK_RETRY_WAIT": "0.05",
    }


def write_config(
    directory: Path,
    sources: list[dict[str, Any]],
    subscriptions: str = "subscriptions: []\n",
    topics: str | None = None,
) -> Path:
    """A config directory: these sources, the project's topics, this subscriptions.yaml."""
    import yaml

    root = Path(__file__).resolve().parent.parent
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "sources.yaml").write_text(
        yaml.safe_dump({"sources": sources}, sort_keys=False, allow_unicode=True)
    )
    (directory / "topics.yaml").write_text(
        topics if topics is not None else (root / "config" / "topics.yaml").read_text()
    )
    (directory / "subscriptions.yaml").write_text(subscriptions)
    return directory


def sample_sources(web: Any, only: list[str] | None = None) -> list[dict[str, Any]]:
    """The sources.yaml entries of a running pantau.fixtureweb.FixtureWeb."""
    import yaml

    from pantau.fixtureweb import sources_yaml

    entries = yaml.safe_load(sources_yaml(web))["sources"]
    return [e for e in entries if only is None or e["name"] in only]
