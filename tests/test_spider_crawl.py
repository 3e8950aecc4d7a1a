"""Real `scrapy crawl news` runs against real HTTP servers on 127.0.0.1.

Two kinds of server: the project's sample sites (pantau.fixtureweb) for discovery and the
incremental behaviour end to end, and a tiny scripted server here for the awkward cases
(429 + Retry-After, bot challenges, gzip bombs, broken feeds, mislabelled charsets, budgets).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCRAPY = str(Path(sys.executable).parent / "scrapy")
FAST = [
    "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0",
    "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=4", "-s", "LOG_LEVEL=INFO",
]  # fmt: skip
NO_ARCHIVE = ["-s", "ITEM_PIPELINES={}", "-s", "EXTENSIONS={}"]
TOPICS = {"topics": [{"name": "rm", "query": '"revolusi mental"', "search_terms": []}]}

pytestmark = pytest.mark.slow


class Crawl:
    """Result of one crawl subprocess: items, pantau/ stats, stderr."""

    def __init__(self, proc: subprocess.CompletedProcess, items_path: Path):
        self.rc = proc.returncode
        self.log = proc.stderr
        self.items = (
            [json.loads(line) for line in items_path.read_text().splitlines() if line.strip()]
            if items_path.exists()
            else []
        )
        self.stats = {k: int(v) for k, v in re.findall(r"'(pantau/[^']+)': (\d+)", proc.stderr)}

    def articles(self) -> list[dict]:
        return [i for i in self.items if i["type"] == "article"]

    def pages(self, kind: str | None = None) -> list[dict]:
        return [i for i in self.items if i["type"] == "page" and kind in (None, i["kind"])]


def write_config(tmp: Path, sources: list[dict], topics: dict | None = None) -> Path:
    cfg = tmp / "config"
    cfg.mkdir(exist_ok=True)
    doc = {"user_agent_contact": "https://example.org/pantau-test", "sources": sources}
    (cfg / "sources.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    (cfg / "topics.yaml").write_text(yaml.safe_dump(topics or TOPICS, sort_keys=False))
    return cfg


def crawl(
    tmp: Path, cfg: Path, source: str, *extra: str, archive: bool = False, run: str = "1"
) -> Crawl:
    out = tmp / f"items-{source}-{run}.jsonl"
    cmd = [SCRAPY, "crawl", "news", "-a", f"source={source}", "-O", str(out), *FAST]
    cmd += ["-s", f"PANTAU_CONFIG_DIR={cfg}", "-s", f"PANTAU_DB={tmp / 'pantau.db'}"]
    if not archive:
        cmd += NO_ARCHIVE
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        cmd + list(extra), capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )
    result = Crawl(proc, out)
    assert "Traceback" not in result.log, result.log[-4000:]
    return result


# --------------------------------------------------------------------------- scripted server

Route = tuple[int, dict[str, str], bytes] | Callable[[BaseHTTPRequestHandler], tuple]


class Server:
    """Serves `routes` {path?query: (status, headers, body) or fn(handler)}; logs requests."""

    def __init__(self, routes: dict[str, Route]):
        self.routes = routes
        self.log: list[tuple[str, float, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.log.append((self.path, time.monotonic(), dict(self.headers)))
                route = server.routes.get(self.path) or server.routes.get(self.path.split("?")[0])
                if route is None:
                    status, headers, body = 404, {"Content-Type": "text/html"}, b"<h1>404</h1>"
                else:
                    status, headers, body = route(self) if callable(route) else route
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def paths(self) -> list[str]:
        return [p for p, _, _ in self.log]

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    servers: list[Server] = []

    def make(routes: dict[str, Route]) -> Server:
        s = Server(routes)
        servers.append(s)
        return s

    yield make
    for s in servers:
        s.stop()


HTML = {"Content-Type": "text/html; charset=utf-8"}
ROBOTS = (200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /private/\n")
PARA = "<p>" + "Pemerintah kabupaten menggelar apel kesadaran nasional bersama ASN. " * 12 + "</p>"


def article_html(title: str, body: str = PARA, extra: str = "") -> bytes:
    return (
        f"<html><head><title>{title}</title><meta property='og:type' content='article'>"
        f"<meta property='article:published_time' content='2024-02-10T08:00:00+07:00'></head>"
        f"<body><h1>{title}</h1><article>{body}</article>{extra}</body></html>"
    ).encode()


def home_html(links: list[str], extra_head: str = "") -> bytes:
    items = "".join(f"<li><a href='{u}'>Berita {i}</a></li>" for i, u in enumerate(links))
    return f"<html><head>{extra_head}</head><body><ul>{items}</ul></body></html>".encode()


def source(name: str, base: str, **kw: object) -> dict:
    return {"name": name, "url": base + "/", "region": "Bengkulu", **kw}


# --------------------------------------------------------------------------- scripted cases


def test_multipage_article_pages_in_order(tmp_path: Path, server) -> None:
    art = "/berita/daerah/pemkab-gelar-apel-kesadaran-nasional"
    pager = "".join(f"<a href='{art}?page={n}'>{n}</a>" for n in (1, 2, 3))
    routes = {
        "/robots.txt": ROBOTS,
        "/": (200, HTML, home_html([art])),
        art: (200, HTML, article_html("Satu", extra=f"<div class='paging'>{pager}</div>")),
        f"{art}?page=2": (200, HTML, article_html("Dua", "<p>Halaman dua.</p>")),
        f"{art}?page=3": (200, HTML, article_html("Tiga", "<p>Halaman tiga.</p>")),
    }
    srv = server(routes)
    cfg = write_config(tmp_path, [source("multi", srv.base)])
    result = crawl(tmp_path, cfg, "multi")
    (item,) = result.articles()
    assert item["url"] == srv.base + art
    assert [
        "Halaman dua." in item["extra_pages"][0],
        "Halaman tiga." in item["extra_pages"][1],
    ] == [
        True,
        True,
    ]
    assert len(item["extra_pages"]) == 2
    assert result.stats["pantau/articles/multipage"] == 1
    assert srv.paths().count(f"{art}?page=2") == 1


def test_429_retry_after_is_waited_for(tmp_path: Path, server) -> None:
    art = "/berita/daerah/pemkab-gelar-apel-kesadaran-nasional"
    calls = {"n": 0}

    def limited(_h: BaseHTTPRequestHandler) -> tuple:
        calls["n"] += 1
        if calls["n"] == 1:
            return 429, {"Retry-After": "1", "Content-Type": "text/html"}, b"slow down"
        return 200, HTML, article_html("Sabar")

    srv = server({"/robots.txt": ROBOTS, "/": (200, HTML, home_html([art])), art: limited})
    cfg = write_config(tmp_path, [source("limited", srv.base)])
    result = crawl(tmp_path, cfg, "limited")
    assert len(result.articles()) == 1
    assert result.stats["pantau/retry/429"] == 1
    assert result.stats["pantau/retry/wait_s"] == 1
    times = [t for p, t, _ in srv.log if p == art]
    assert len(times) == 2 and times[1] - times[0] >= 0.9  # waited, not retried at once


def test_challenge_pages_count_as_blocked_not_articles(tmp_path: Path, server) -> None:
    good = "/berita/daerah/pemkab-gelar-apel-kesadaran-nasional"
    bad = "/berita/daerah/bupati-lantik-pejabat-eselon-dua"
    challenge = (
        b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
        b"<script>window._cf_chl_opt={cvId: '3'};</script></body></html>"
    )
    routes = {
        "/robots.txt": ROBOTS,
        "/": (200, HTML, home_html([good, bad])),
        good: (200, HTML, article_html("Baik")),
        bad: (403, {"Content-Type": "text/html", "cf-mitigated": "challenge"}, challenge),
    }
    srv = server(routes)
    cfg = write_config(tmp_path, [source("cf", srv.base)])
    result = crawl(tmp_path, cfg, "cf")
    assert [a["url"] for a in result.articles()] == [srv.base + good]
    assert result.stats["pantau/blocked"] == 1
    assert result.stats["pantau/blocked/challenge"] == 1
    assert not any(k.startswith("pantau/errors/") for k in result.stats)
    assert srv.paths().count(bad) == 1  # a block is not retried


def test_gzip_bomb_is_stopped_and_the_run_goes_on(tmp_path: Path, server) -> None:
    good = "/berita/daerah/pemkab-gelar-apel-kesadaran-nasional"
    bomb = "/berita/daerah/bom-gzip-yang-mengembang-besar"
    payload = gzip.compress(b"<html>" + b"A" * (8 * 1024 * 1024))
    routes = {
        "/robots.txt": ROBOTS,
        "/": (200, HTML, home_html([bomb, good])),
        good: (200, HTML, article_html("Baik")),
        bomb: (200, {**HTML, "Content-Encoding": "gzip"}, payload),
    }
    srv = server(routes)
    assert len(payload) < 64 * 1024  # small on the wire
    cfg = write_config(tmp_path, [source("bomb", srv.base)])
    result = crawl(tmp_path, cfg, "bomb", "-s", "DOWNLOAD_MAXSIZE=1048576")
    assert [a["url"] for a in result.articles()] == [srv.base + good]
    assert "exceeded DOWNLOAD_MAXSIZE" in result.log
    assert result.stats.get("pantau/errors/article") == 1


def test_malformed_feed_is_counted_and_listing_still_crawled(tmp_path: Path, server) -> None:
    art = "/berita/daerah/pemkab-gelar-apel-kesadaran-nasional"
    routes = {
        "/robots.txt": ROBOTS,
        "/": (200, HTML, home_html([])),
        "/rss.xml": (200, {"Content-Type": "application/rss+xml"}, b"<html>Oops, PHP error</html>"),
        "/kanal/daerah": (200, HTML, home_html([art])),
        art: (200, HTML, article_html("Daerah")),
    }
    srv = server(routes)
    src = source(
        "broken", srv.base, feeds=[srv.base + "/rss.xml"], listings=[srv.base + "/kanal/daerah"]
    )
    cfg = write_config(tmp_path, [src])
    result = crawl(tmp_path, cfg, "broken")
    assert result.stats["pantau/errors/feed"] == 1
    assert [a["url"] for a in result.articles()] == [srv.base + art]
    assert result.rc == 0


def test_mislabelled_charset_and_user_agent(tmp_path: Path, server) -> None:
    art = "/berita/daerah/pemkab-gelar-apel-kesadaran-nasional"
    title = "Bupati: “ASN harus bersih” — café"
    routes = {
        "/robots.txt": ROBOTS,
        "/": (200, HTML, home_html([art])),
        art: (200, HTML, article_html(title).decode().encode("cp1252")),  # says UTF-8, is not
    }
    srv = server(routes)
    cfg = write_config(tmp_path, [source("latin", srv.base)])
    result = crawl(tmp_path, cfg, "latin")
    (item,) = result.articles()
    assert title in item["html"] and "\ufffd" not in item["html"]
    agents = {h.get("User-Agent") for _, _, h in srv.log}
    assert agents == {"Pantau/0.1 (+https://example.org/pantau-test)"}


def test_budget_and_robots(tmp_path: Path, server) -> None:
    links = [f"/berita/daerah/kabar-desa-nomor-{n}-hari-ini" for n in range(12)]
    routes: dict[str, Route] = {
        "/robots.txt": ROBOTS,
        "/": (200, HTML, home_html(links + ["/private/rahasia-negara-yang-tidak-boleh"])),
    }
    for link in links:
        routes[link] = (200, HTML, article_html(link))
    srv = server(routes)
    cfg = write_config(tmp_path, [source("budget", srv.base, max_requests=5)])
    result = crawl(tmp_path, cfg, "budget")
    fetched = [p for p in srv.paths() if p.startswith("/berita/")]
    assert len(srv.log) <= 5 + 1  # the budget, plus Scrapy's own robots.txt fetch
    assert 0 < len(fetched) < 12
    assert result.stats["pantau/budget/unscheduled"] >= 1
    assert "/private/rahasia-negara-yang-tidak-boleh" not in srv.paths()


# --------------------------------------------------------------------------- sample sites


@pytest.fixture
def web():
    fixtureweb = pytest.importorskip("pantau.fixtureweb")
    w = fixtureweb.FixtureWeb()
    w.start()
    yield w, fixtureweb
    w.stop()


def sample_config(tmp: Path, web, fixtureweb) -> Path:
    cfg = tmp / "config"
    cfg.mkdir(exist_ok=True)
    (cfg / "sources.yaml").write_text(fixtureweb.sources_yaml(web))
    (cfg / "topics.yaml").write_text((ROOT / "config" / "topics.yaml").read_text())
    return cfg


def article_paths(log: list[tuple[str, int]], template: str) -> list[str]:
    from pantau.spiders.templates import get_template

    t = get_template(template)
    return [p for p, _ in log if t.is_article_url("http://h" + p.split("?")[0])]


def test_tribun_single_page_view(tmp_path: Path, web) -> None:
    w, fixtureweb = web
    cfg = sample_config(tmp_path, w, fixtureweb)
    result = crawl(tmp_path, cfg, "tribunpontianak")
    arts = result.articles()
    assert arts and all(a["url"].endswith("?page=all") for a in arts)
    assert all(a["extra_pages"] == [] for a in arts)
    assert not any("page=2" in p for p, _ in w.requests_for("tribunpontianak"))
    assert all(a["template"] == "tribun" and a["source"] == "tribunpontianak" for a in arts)
    kinds = {p["kind"] for p in result.pages()}
    assert {"home", "feed", "sitemap", "listing"} <= kinds


def test_incremental_runs_fetch_only_what_is_new(tmp_path: Path, web) -> None:
    """First run archives the site; an unchanged site costs no article fetch; one new article
    costs that article and the discovery pages that point to it."""
    pytest.importorskip("pantau.pipeline.scrapy_pipeline")
    w, fixtureweb = web
    cfg = sample_config(tmp_path, w, fixtureweb)
    site = "beritarafflesia"

    first = crawl(tmp_path, cfg, site, archive=True, run="1")
    first_articles = article_paths(w.requests_for(site), "wordpress")
    assert len(first_articles) >= 4
    assert len(first.articles()) >= 4

    w.clear_log()
    second = crawl(tmp_path, cfg, site, archive=True, run="2")
    assert second.articles() == []
    assert article_paths(w.requests_for(site), "wordpress") == []
    assert second.stats.get("pantau/unchanged/feed", 0) >= 1

    new_path = "/pemkab-seluma-luncurkan-gerakan-revolusi-mental-asn/"
    html = article_html("Pemkab Seluma Luncurkan Gerakan Revolusi Mental ASN").decode()
    w.publish_article(
        site,
        new_path,
        html,
        title="Pemkab Seluma Luncurkan Gerakan Revolusi Mental ASN",
        category="pemprov",
    )
    w.clear_log()
    third = crawl(tmp_path, cfg, site, archive=True, run="3")
    log = w.requests_for(site)
    assert article_paths(log, "wordpress") == [new_path]
    assert [a["requested_url"] for a in third.articles()] == [w.url(site, new_path)]
    listing_pages = [p for p, _ in log if "/page/" in p or "page=" in p]
    assert listing_pages == []  # page 1 of the listing was enough to find it

    w.clear_log()
    crawl(tmp_path, cfg, site, "-a", "full=1", run="4")
    log = w.requests_for(site)
    assert len(article_paths(log, "wordpress")) >= len(first_articles) + 1
    assert all(status != 304 for _, status in log)  # full=1 sends no conditional requests


def test_listing_pagination_stops_at_old_pages(tmp_path: Path, server) -> None:
    def listing(items: list[tuple[str, str]], nxt: str | None) -> bytes:
        lis = "".join(
            f"<li><a href='{u}'>Judul berita</a> <span class='date'>{d}</span></li>"
            for u, d in items
        )
        pager = f"<a class='next' href='{nxt}'>Selanjutnya</a>" if nxt else ""
        return f"<html><body><ul>{lis}</ul>{pager}</body></html>".encode()

    fresh = [(f"/berita/daerah/kabar-baru-nomor-{n}-hari-ini", "2 jam lalu") for n in range(3)]
    old = [(f"/berita/daerah/kabar-lama-nomor-{n}-dulu", "3 bulan lalu") for n in range(3)]
    older = [(f"/berita/daerah/kabar-purba-nomor-{n}-sekali", "1 tahun lalu") for n in range(3)]
    routes: dict[str, Route] = {
        "/robots.txt": ROBOTS,
        "/": (200, HTML, home_html([])),
        "/kanal/daerah": (200, HTML, listing(fresh, "/kanal/daerah?page=2")),
        "/kanal/daerah?page=2": (200, HTML, listing(old, "/kanal/daerah?page=3")),
        "/kanal/daerah?page=3": (200, HTML, listing(older, None)),
    }
    for u, _ in fresh + old + older:
        routes[u] = (200, HTML, article_html(u))
    srv = server(routes)
    src = source("paged", srv.base, listings=[srv.base + "/kanal/daerah"], window_days=30)
    result = crawl(tmp_path, write_config(tmp_path, [src]), "paged")
    paths = srv.paths()
    assert "/kanal/daerah?page=2" in paths  # page 1 had new articles
    assert "/kanal/daerah?page=3" not in paths  # page 2 was all older than the window
    listed = {
        a["requested_url"].removeprefix(srv.base): a["listed_date"] for a in result.articles()
    }
    assert set(listed) == {u for u, _ in fresh + old}
    assert all(listed[u] is not None for u, _ in fresh)


def test_discovery_from_home_robots_and_sitemap_index(tmp_path: Path, server) -> None:
    a1 = "/2024/02/10/pemprov-gelar-rapat-koordinasi-reformasi-birokrasi/"
    a2 = "/2024/02/11/asn-diminta-jaga-netralitas-jelang-pemilu/"
    feed = (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>x</title>"
        f"<item><title>A1</title><link>{{base}}{a1}</link>"
        "<pubDate>Sat, 10 Feb 2024 08:00:00 +0700</pubDate></item></channel></rss>"
    )
    index = (
        "<?xml version='1.0'?><sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        "<sitemap><loc>{base}/news-sitemap.xml</loc></sitemap>"
        "<sitemap><loc>{base}/category-sitemap.xml</loc></sitemap></sitemapindex>"
    )
    news = (
        "<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9' "
        "xmlns:news='http://www.google.com/schemas/sitemap-news/0.9'><url>"
        f"<loc>{{base}}{a2}</loc><news:news><news:publication_date>2024-02-11T09:00:00+07:00"
        "</news:publication_date><news:title>A2</news:title></news:news></url></urlset>"
    )
    routes: dict[str, Route] = {}
    srv = server(routes)
    xml = {"Content-Type": "application/xml"}
    routes.update(
        {
            "/robots.txt": (
                200,
                {},
                f"User-agent: *\nSitemap: {srv.base}/sitemap_index.xml\n".encode(),
            ),
            "/": (
                200,
                HTML,
                home_html([], "<link rel='alternate' type='application/rss+xml' href='/rss.xml'>"),
            ),
            "/rss.xml": (200, xml, feed.format(base=srv.base).encode()),
            "/sitemap_index.xml": (200, xml, index.format(base=srv.base).encode()),
            "/news-sitemap.xml": (200, xml, news.format(base=srv.base).encode()),
            a1: (200, HTML, article_html("A1")),
            a2: (200, HTML, article_html("A2")),
        }
    )
    result = crawl(tmp_path, write_config(tmp_path, [source("disc", srv.base)]), "disc")
    got = {a["requested_url"].removeprefix(srv.base): a["listed_date"] for a in result.articles()}
    assert got == {a1: "2024-02-10T08:00:00+07:00", a2: "2024-02-11T09:00:00+07:00"}
    assert "/category-sitemap.xml" not in srv.paths()
    assert {p["kind"] for p in result.pages()} == {"home", "robots", "feed", "sitemap"}
    assert all(isinstance(p["body"], str) and p["status"] == 200 for p in result.pages())
