"""A source's crawl stays on its own site (issue 14, point 1: SSRF from crawled content).

A hostile source on one loopback server names a second server (another port of 127.0.0.1,
i.e. another site) through every discovery path: a home-page link, a feed <link>, a robots.txt
`Sitemap:` line, a sitemap index child, a sitemap <loc>, a 302 from a configured feed and a
302 from an article. A real `pantau crawl` must send the other server nothing, archive nothing
of it, and count and log each refusal; the source's own articles are archived as usual. The
scope rules themselves (registrable domain, config-named hosts, ports, non-public addresses)
are tested on `spiders.scope.CrawlScope`.
"""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
import yaml

from pantau.fixtureweb import FixtureWeb
from pantau.spiders.scope import CrawlScope
from tests.conftest import corpus_file, run_pantau

# Real corpus articles: three of the source's own, one on the other server.
OWN = {
    "/2024/09/20/revolusi-mental-asn-di-daerah/": "antaranews-1.html",
    "/2024/09/21/apel-kesadaran-nasional-pemkab/": "antaranews-2.html",
    "/2024/09/22/birokrasi-melayani-warga-desa/": "antaranews-3.html",
}
OTHER_PAGES = [
    "/2024/09/20/berita-dari-server-lain/",
    "/2024/09/21/loc-sitemap-server-lain/",
    "/2024/09/22/link-feed-server-lain/",
    "/2024/09/23/tujuan-redirect-artikel/",
    "/post-sitemap.xml",
    "/sitemap.xml",
    "/robots.txt",
    "/latest/meta-data/",
]
MOVED = "/2024/09/23/artikel-pindah-alamat/"  # an article of the source that 302s away


def _rss(items: list[str]) -> str:
    body = "".join(
        f"<item><title>Berita {i}</title><link>{url}</link>"
        f"<pubDate>Fri, 20 Sep 2024 0{i}:00:00 +0700</pubDate></item>"
        for i, url in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Sumber</title><link>http://x/</link>{body}</channel></rss>"
    )


def _urlset(locs: list[str]) -> str:
    body = "".join(f"<url><loc>{u}</loc><lastmod>2024-09-21</lastmod></url>" for u in locs)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>'
    )


def _index(locs: list[str]) -> str:
    body = "".join(f"<sitemap><loc>{u}</loc></sitemap>" for u in locs)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</sitemapindex>'
    )


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scope")
    for name in ("hostile", "other"):
        (tmp / "sites" / name).mkdir(parents=True)
        (tmp / "sites" / name / "site.json").write_text(json.dumps({"name": name}))
    web = FixtureWeb(root=tmp / "sites")
    web.start()
    try:
        home, other = web.base("hostile"), web.base("other")
        assert home.rsplit(":", 1)[0] == other.rsplit(":", 1)[0]  # same host, another port
        for path, name in OWN.items():
            web.add_file("hostile", path, corpus_file(name).read_bytes())
        own = list(OWN)
        web.add_file(
            "hostile",
            "/",
            "<html><head><title>Sumber</title></head><body>"
            f'<a href="{home}{own[0]}">Berita sendiri</a>'
            f'<a href="{other}{OTHER_PAGES[0]}">Berita server lain</a></body></html>',
        )
        web.add_file(
            "hostile",
            "/robots.txt",
            f"User-agent: *\nAllow: /\nSitemap: {other}/sitemap.xml\nSitemap: {home}/sitemap.xml\n",
        )
        web.add_file(
            "hostile",
            "/sitemap.xml",
            _index([f"{other}/post-sitemap.xml", f"{home}/post-sitemap.xml"]),
        )
        web.add_file(
            "hostile",
            "/post-sitemap.xml",
            _urlset(
                [
                    f"{home}{own[1]}",
                    f"{other}{OTHER_PAGES[1]}",
                    "http://169.254.169.254/latest/meta-data/iam/",
                ]
            ),
        )
        web.add_file(
            "hostile",
            "/feed/",
            _rss([f"{home}{own[2]}", f"{other}{OTHER_PAGES[2]}", f"{home}{MOVED}"]),
        )
        web.fail(
            "hostile", "/feed2/", 302, times=50, headers={"Location": f"{other}/latest/meta-data/"}
        )
        web.fail("hostile", MOVED, 302, times=50, headers={"Location": f"{other}{OTHER_PAGES[3]}"})
        for path in OTHER_PAGES:  # all there to be fetched, were the crawler to go there
            page = corpus_file("beritamanado-1.html").read_bytes() if path.endswith("/") else b""
            web.add_file("other", path, page or _urlset([f"{other}{OTHER_PAGES[0]}"]))
        cfg = tmp / "config"
        cfg.mkdir()
        source = {
            "name": "hostile",
            "url": home + "/",
            "feeds": [home + "/feed/", home + "/feed2/"],
            "window_days": 36500,
        }
        doc = {"user_agent_contact": "https://example.org/pantau-test", "sources": [source]}
        (cfg / "sources.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
        topics = {"topics": [{"name": "rm", "query": '"revolusi mental"', "search_terms": []}]}
        (cfg / "topics.yaml").write_text(yaml.safe_dump(topics))
        (cfg / "subscriptions.yaml").write_text("subscriptions: []\n")
        db = tmp / "pantau.db"
        web.clear_log()
        proc = run_pantau("--config-dir", str(cfg), "--db", str(db), "crawl", timeout=180)
        yield {"web": web, "proc": proc, "db": db, "home": home, "other": other}
    finally:
        web.stop()


def test_other_server_gets_no_request_and_nothing_of_it_is_archived(hostile) -> None:
    proc, web = hostile["proc"], hostile["web"]
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert web.requests_for("other") == []
    con = sqlite3.connect(hostile["db"])
    try:
        urls = [r[0] for r in con.execute("SELECT url FROM articles")]
        page_urls = [r[0] for r in con.execute("SELECT url FROM pages")]
    finally:
        con.close()
    assert not [u for u in urls + page_urls if u.startswith(hostile["other"])]
    # the source's own articles, found through the same paths, are archived as usual
    assert sorted(urls) == sorted(hostile["home"] + p for p in OWN)


def test_each_refusal_is_counted_and_logged_with_its_reason(hostile) -> None:
    log = hostile["proc"].stderr
    reasons = re.findall(r"not fetching \S+ \((\w+), from ([^)]*)\)", log)
    other, home = hostile["other"], hostile["home"]
    # home link, feed links (one of them the target of the article's own 302), index child,
    # robots Sitemap: line, sitemap <loc>: dropped before they became requests
    assert sorted(r for r, _ in reasons) == ["address", "offsite", "offsite", "offsite",
                                             "offsite", "offsite", "offsite", "redirect_offsite"]  # fmt: skip
    # the configured feed's 302 went as far as the downloader, and stopped there
    assert re.search(
        rf"not fetching {re.escape(other)}/latest/meta-data/ \(redirect_offsite, from a "
        rf"redirect from {re.escape(home)}/feed2/\)",
        log,
    )
    for path in ("/sitemap.xml", "/post-sitemap.xml", OTHER_PAGES[2], OTHER_PAGES[3]):
        assert f"not fetching {other}{path} (offsite" in log
    assert "not fetching http://169.254.169.254/latest/meta-data/iam/ (address" in log
    con = sqlite3.connect(hostile["db"])
    try:
        summary = con.execute("SELECT error_summary FROM crawl_runs").fetchone()[0]
    finally:
        con.close()
    assert "8 links outside the site not fetched" in summary


SCOPE = CrawlScope.for_urls(
    "https://lampung.example.co.id/",
    ["https://feeds.feedhost.net/lampung", "https://lampung.example.co.id:8443/indeks"],
)


@pytest.mark.parametrize(
    "url",
    [
        "https://lampung.example.co.id/berita/1/judul",
        "http://www.example.co.id/2024/09/20/judul/",  # same registrable domain, http
        "https://m.example.co.id/read/2024/09/20/judul",
        "https://example.co.id:8443/x",  # a port the config names for the site
        "https://feeds.feedhost.net/lampung?page=2",  # a host the config names
    ],
)
def test_scope_allows_the_site_and_the_hosts_its_config_names(url: str) -> None:
    assert SCOPE.refusal(url) is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://evil.example.com/berita/1/judul", "offsite"),
        ("https://example.co.id.evil.net/x", "offsite"),
        ("https://other.feedhost.net/x", "offsite"),  # only the named host, not its domain
        ("https://lampung.example.co.id:6379/", "offsite"),  # a port the config never names
        ("http://169.254.169.254/latest/meta-data/", "address"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "address"),
        ("http://100.64.0.1/", "address"),
        ("http://10.1.2.3/admin", "address"),
        ("http://192.168.1.1/", "address"),
        ("http://127.0.0.1:8080/", "address"),
        ("http://[::1]/", "address"),
        ("http://0.0.0.0/", "address"),
        ("http://[2002:a9fe:a9fe::1]/", "address"),  # 6to4 of the metadata address
        ("http://localhost/", "offsite"),
        ("http://8.8.8.8/", "offsite"),
        ("file:///etc/passwd", "scheme"),
        ("ftp://lampung.example.co.id/x", "scheme"),
    ],
)
def test_scope_refuses_other_hosts_and_non_public_addresses(url: str, reason: str) -> None:
    assert SCOPE.refusal(url) == reason


def test_a_source_on_loopback_keeps_to_its_own_port() -> None:
    scope = CrawlScope.for_urls("http://127.0.0.1:4100/", ["http://127.0.0.1:4100/feed/"])
    assert scope.refusal("http://127.0.0.1:4100/2024/09/20/judul/") is None
    assert scope.refusal("http://127.0.0.1:4101/") == "offsite"  # another server
    assert scope.refusal("http://169.254.169.254/") == "address"  # its class is not loopback
    assert scope.refusal("http://10.0.0.5:4100/") == "address"
    assert not scope.address_refusal("loopback") and scope.address_refusal("private")


def test_a_source_on_the_intranet_may_fetch_its_own_class() -> None:
    scope = CrawlScope.for_urls("http://10.20.0.7/", [])
    assert scope.refusal("http://10.20.0.7/berita/1/judul") is None
    assert scope.refusal("http://10.20.0.8/") == "offsite"  # the class, not any host of it
    assert not scope.address_refusal("private") and scope.address_refusal("metadata")


def test_scope_of_a_configured_source_names_search_and_listing_hosts() -> None:
    from pantau.pipeline.config import Source

    src = Source(
        name="s",
        url="https://kab.example.go.id/",
        search_url="https://cari.searchhost.id/?q={query}",
        listings=["https://arsip.listhost.id/berita"],
    )
    scope = CrawlScope.for_source(src)
    assert scope.refusal("https://cari.searchhost.id/?q=asn&page=2") is None
    assert scope.refusal("https://arsip.listhost.id/berita/2") is None
    assert scope.refusal("https://web.example.go.id/berita/1/x") is None
    assert scope.refusal("https://go.id/") == "offsite"  # a public suffix is nobody's site


class _Stats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, n: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + n

    def get_value(self, key: str, default: int = 0) -> int:
        return self.values.get(key, default)


def _middleware(home: str, resolves_to: dict[str, str]):
    """ScopeMiddleware of a source at `home`, with host names resolving to address classes."""
    from types import SimpleNamespace

    from scrapy.settings import Settings

    from pantau.pipeline.config import Source
    from pantau.spiders.middlewares import ScopeMiddleware

    source = Source(name="s", url=home)
    spider = SimpleNamespace(source=source, scope=CrawlScope.for_source(source))
    crawler = SimpleNamespace(settings=Settings(), stats=_Stats(), spider=spider)
    mw = ScopeMiddleware.from_crawler(crawler)

    async def class_of(host: str) -> str | None:
        return resolves_to.get(host)

    mw._class_of = class_of
    return mw, crawler.stats


def test_middleware_refuses_a_site_host_name_that_resolves_to_the_metadata_address() -> None:
    import asyncio

    from scrapy import Request

    from pantau.spiders.middlewares import OffsiteRefused

    mw, stats = _middleware(
        "https://news.example.id/",
        {"news.example.id": "public", "meta.example.id": "metadata"},
    )
    assert asyncio.run(mw.process_request(Request("https://news.example.id/berita/1/x"))) is None
    with pytest.raises(OffsiteRefused):
        asyncio.run(mw.process_request(Request("https://meta.example.id/latest/meta-data/")))
    redirected = Request(
        "https://evil.example.com/", meta={"redirect_urls": ["https://news.example.id/feed/"]}
    )
    with pytest.raises(OffsiteRefused):
        asyncio.run(mw.process_request(redirected))
    assert stats.values == {
        "pantau/offsite_dropped": 2,
        "pantau/offsite_dropped/address": 1,
        "pantau/offsite_dropped/redirect_offsite": 1,
    }


def test_middleware_lets_an_intranet_source_reach_its_own_address_class() -> None:
    import asyncio

    from scrapy import Request

    mw, stats = _middleware(
        "http://portal.kab.example.id/",
        {"portal.kab.example.id": "private", "berita.kab.example.id": "private"},
    )
    assert asyncio.run(mw.process_request(Request("http://berita.kab.example.id/a/1/b"))) is None
    assert stats.values == {}
