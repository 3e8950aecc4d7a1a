"""Per-site politeness from sources.yaml becomes that host's Scrapy download slot."""

from __future__ import annotations

import textwrap

from scrapy.crawler import Crawler

from pantau.spiders.news import NewsSpider


def make_config(tmp_path, extra: str) -> str:
    (tmp_path / "sources.yaml").write_text(
        textwrap.dedent(f"""
        sources:
          - name: kecil
            url: https://portal-kecil.example.id/
            template: wordpress
{extra}
    """)
    )
    (tmp_path / "topics.yaml").write_text(
        "topics:\n  - name: t\n    query: '\"revolusi mental\" AND ASN'\n"
    )
    return str(tmp_path)


def real_crawler(cfg: str, tmp_path) -> Crawler:
    """A crawler as `Crawler.crawl` has it when it builds the spider: settings not yet frozen."""
    return Crawler(NewsSpider, {"PANTAU_CONFIG_DIR": cfg, "PANTAU_DB": str(tmp_path / "x.db")})


def test_source_delay_and_concurrency_set_the_host_slot(tmp_path):
    cfg = make_config(tmp_path, "            download_delay: 5\n            concurrency: 1")
    crawler = real_crawler(cfg, tmp_path)
    NewsSpider.from_crawler(crawler, source="kecil")
    slots = crawler.settings.getdict("DOWNLOAD_SLOTS")
    assert slots["portal-kecil.example.id"] == {"delay": 5.0, "concurrency": 1}


def test_without_overrides_the_global_settings_apply(tmp_path):
    cfg = make_config(tmp_path, "")
    crawler = real_crawler(cfg, tmp_path)
    NewsSpider.from_crawler(crawler, source="kecil")
    assert "portal-kecil.example.id" not in crawler.settings.getdict("DOWNLOAD_SLOTS")
