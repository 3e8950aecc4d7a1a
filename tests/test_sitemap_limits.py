"""Sitemaps cannot amplify a crawl (issue 14, point 2: decompression and list amplification).

A small .xml.gz may inflate to tens of megabytes and a sitemap may list a million <loc>s. The
sitemap is read as a stream up to PANTAU_SITEMAP_MAX_BYTES of XML and
PANTAU_SITEMAP_MAX_ENTRIES entries (cut, logged, counted), Python memory stays flat while it
is read, and once the request budget is spent the rest of a sitemap costs no archive lookup.
Measured by counts and tracemalloc, never by time.
"""

from __future__ import annotations

import gzip
import json
import sqlite3
import textwrap
import tracemalloc

import pytest
import yaml
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import XmlResponse
from scrapy.statscollectors import MemoryStatsCollector

from pantau.fixtureweb import FixtureWeb
from pantau.pipeline.archive.store import Archive
from pantau.spiders import news
from pantau.spiders.discovery import parse_sitemap
from pantau.spiders.news import NewsSpider
from tests.conftest import corpus_file, run_pantau

NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def urlset(base: str, n: int, start: int = 0) -> bytes:
    body = "".join(
        f"<url><loc>{base}/berita/{i}/judul-berita-ke-{i}</loc>"
        f"<lastmod>2024-09-{i % 28 + 1:02d}T08:00:00+07:00</lastmod></url>"
        for i in range(start, start + n)
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="{NS}">{body}</urlset>'.encode()


def gzip_bomb(first_locs: list[str], inflated_mb: int) -> bytes:
    """A well-formed .xml.gz sitemap: its entries, then a comment of `inflated_mb` MB."""
    head = "".join(f"<url><loc>{u}</loc></url>" for u in first_locs)
    doc = (
        f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="{NS}">{head}<!--'.encode()
        + b" " * (inflated_mb * 1024 * 1024)
        + b"--></urlset>"
    )
    return gzip.compress(doc, compresslevel=9)


# --------------------------------------------------------------------------- the parser


def test_a_sitemap_of_200k_locs_is_cut_at_the_entry_cap_with_flat_memory() -> None:
    body = urlset("https://x.id", 200_000)
    tracemalloc.start()
    try:
        result = parse_sitemap(body, "https://x.id/sitemap.xml", max_entries=1000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.cut == "entries" and "1000" in result.cut_detail
    assert len(result.entries) == 1000
    assert result.entries[0].url == "https://x.id/berita/0/judul-berita-ke-0"
    # 1000 entries kept out of 200k read: the Python heap stays near what 1000 entries need
    # (the whole list as Entry objects is over 60 MB)
    assert peak < 4 * 1024 * 1024, peak


def test_a_gzip_bomb_sitemap_is_cut_at_the_inflated_cap_and_keeps_what_came_before() -> None:
    bomb = gzip_bomb(["https://x.id/berita/1/judul-satu", "https://x.id/berita/2/judul-dua"], 40)
    assert len(bomb) < 100 * 1024  # small on disk and on the wire
    tracemalloc.start()
    try:
        result = parse_sitemap(bomb, "https://x.id/sitemap.xml.gz", max_bytes=8 * 1024 * 1024)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.cut == "too_large" and "8388608 bytes" in result.cut_detail
    assert [e.url for e in result.entries] == [
        "https://x.id/berita/1/judul-satu",
        "https://x.id/berita/2/judul-dua",
    ]
    assert peak < 2 * 1024 * 1024, peak  # inflated in chunks, never held whole


def test_default_caps_are_the_settings() -> None:
    from pantau.config import settings

    assert settings.PANTAU_SITEMAP_MAX_ENTRIES == 50_000
    assert settings.PANTAU_SITEMAP_MAX_BYTES <= settings.DOWNLOAD_MAXSIZE
    assert parse_sitemap(urlset("https://x.id", 3), "https://x.id/s.xml").cut is None


# --------------------------------------------------------------------------- the spider


@pytest.fixture
def spider(tmp_path):
    cfg = tmp_path / "config"
    cfg.mkdir()
    (cfg / "sources.yaml").write_text(
        textwrap.dedent("""
        sources:
          - name: besar
            url: https://x.id/
            max_requests: 40
        """)
    )
    (cfg / "topics.yaml").write_text("topics:\n  - name: t\n    query: '\"revolusi mental\"'\n")
    db = tmp_path / "pantau.db"
    Archive(db).close()  # an archive with its tables: every "is it known?" asks SQLite
    crawler = Crawler(
        NewsSpider,
        {
            "PANTAU_CONFIG_DIR": str(cfg),
            "PANTAU_DB": str(db),
            # the budget, not the caps, must stop it
            "PANTAU_SITEMAP_MAX_ENTRIES": 10**6,
            "PANTAU_SITEMAP_MAX_BYTES": 1 << 30,
        },
    )
    crawler.stats = MemoryStatsCollector(crawler)
    spider = NewsSpider.from_crawler(crawler, source="besar")
    calls = {"n": 0}
    last_seen = spider.state.last_seen

    def counted(url):
        calls["n"] += 1
        return last_seen(url)

    spider.state.last_seen = counted
    yield spider, calls
    spider.closed("finished")


def test_past_the_budget_a_sitemap_costs_no_lookup_per_entry(spider) -> None:
    spider, calls = spider
    url = "https://x.id/post-sitemap.xml"
    response = XmlResponse(
        url,
        body=urlset("https://x.id", 200_000),
        request=Request(url, meta={"pantau_kind": "sitemap", "child": True}),
    )
    out = list(spider.parse_sitemap(response))
    requests = [r for r in out if isinstance(r, Request)]
    assert len(requests) == 40  # the source's max_requests
    # 40 scheduled, then at most BUDGET_OWED_MAX more weighed (links left owed for a later
    # run); the other ~199,000 entries are never looked up (before: one lookup each)
    assert calls["n"] <= 40 + news.BUDGET_OWED_MAX, calls["n"]
    stats = spider.crawler.stats.get_stats()
    assert stats["pantau/budget/unscheduled"] >= 200_000 - 40 - news.BUDGET_OWED_MAX


# --------------------------------------------------------------------------- a real crawl


def test_a_gzip_bomb_sitemap_in_a_crawl_is_cut_logged_and_the_crawl_goes_on(tmp_path) -> None:
    (tmp_path / "sites" / "bom").mkdir(parents=True)
    (tmp_path / "sites" / "bom" / "site.json").write_text(json.dumps({"name": "bom"}))
    with FixtureWeb(root=tmp_path / "sites") as web:
        base = web.base("bom")
        from_sitemap = "/2024/09/20/revolusi-mental-asn-di-daerah/"
        from_feed = "/2024/09/21/apel-kesadaran-nasional-pemkab/"
        web.add_file("bom", from_sitemap, corpus_file("antaranews-1.html").read_bytes())
        web.add_file("bom", from_feed, corpus_file("antaranews-2.html").read_bytes())
        web.add_file("bom", "/", "<html><body><p>Beranda</p></body></html>")
        web.add_file("bom", "/sitemap.xml.gz", gzip_bomb([base + from_sitemap], 30))
        web.add_file(
            "bom",
            "/feed/",
            '<?xml version="1.0"?><rss version="2.0"><channel><title>B</title>'
            f"<item><title>Apel</title><link>{base}{from_feed}</link>"
            "<pubDate>Sat, 21 Sep 2024 08:00:00 +0700</pubDate></item></channel></rss>",
        )
        cfg = tmp_path / "config"
        cfg.mkdir()
        source = {
            "name": "bom",
            "url": base + "/",
            "feeds": [base + "/feed/"],
            "sitemaps": [base + "/sitemap.xml.gz"],
            "window_days": 36500,
        }
        (cfg / "sources.yaml").write_text(yaml.safe_dump({"sources": [source]}))
        (cfg / "topics.yaml").write_text(
            yaml.safe_dump({"topics": [{"name": "rm", "query": '"revolusi mental"'}]})
        )
        (cfg / "subscriptions.yaml").write_text("subscriptions: []\n")
        db = tmp_path / "pantau.db"
        proc = run_pantau("--config-dir", str(cfg), "--db", str(db), "crawl", timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert f"sitemap {base}/sitemap.xml.gz cut: over 20971520 bytes of XML" in proc.stderr
    con = sqlite3.connect(db)
    try:
        urls = sorted(r[0] for r in con.execute("SELECT url FROM articles"))
        summary = con.execute("SELECT error_summary FROM crawl_runs").fetchone()[0]
    finally:
        con.close()
    # the entry read before the cut and the feed's article are both archived
    assert urls == [base + from_sitemap, base + from_feed]
    assert "sitemaps cut (too_large)" in summary
