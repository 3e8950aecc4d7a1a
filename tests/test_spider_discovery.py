"""Feed, sitemap, robots and listing parsing on real corpus pages and feeds."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta

import pytest

from pantau.spiders.discovery import (
    DiscoveryError,
    current_page_number,
    feed_links_from_html,
    maybe_gunzip,
    next_page_url,
    page_links,
    parse_feed,
    parse_listing_date,
    parse_sitemap,
    sitemaps_from_robots,
)
from pantau.spiders.templates import get_template
from tests.conftest import corpus_file

NOW = datetime(2024, 2, 12, 12, 0, tzinfo=UTC)


def read(name: str) -> bytes:
    return corpus_file(name).read_bytes()


@pytest.mark.parametrize(
    ("name", "count", "host"),
    [
        ("antaranews-feed-1.xml", 20, "www.antaranews.com"),
        ("republika-feed-1.xml", 10, "republika.co.id"),
        ("kapanlagi-feed-1.xml", 3, "www.kapanlagi.com"),  # iso-8859-1 declared
    ],
)
def test_real_rss_feeds(name: str, count: int, host: str) -> None:
    result = parse_feed(read(name), "http://example.invalid/")
    assert not result.salvaged
    assert len(result.entries) == count
    assert all(host in e.url for e in result.entries)
    assert all(e.date is not None and e.date.tzinfo is not None for e in result.entries)
    assert all(e.title for e in result.entries)


def test_feed_dates_keep_their_offset() -> None:
    first = parse_feed(read("antaranews-feed-1.xml"), "http://x/").entries[0]
    assert first.date == datetime(2015, 11, 5, 14, 56, 43, tzinfo=UTC) + timedelta(hours=-7)
    assert first.date.utcoffset() == timedelta(hours=7)


def test_atom_feed_and_relative_links() -> None:
    atom = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">
      <entry><title>A</title><link rel="alternate" href="/2024/02/10/satu-dua-tiga-empat/"/>
      <link rel="replies" href="/c"/><published>2024-02-10T08:00:00+07:00</published></entry>
    </feed>"""
    (e,) = parse_feed(atom, "https://berita.example.id/feed/").entries
    assert e.url == "https://berita.example.id/2024/02/10/satu-dua-tiga-empat/"
    assert e.date == datetime(2024, 2, 10, 1, 0, tzinfo=UTC)


def test_truncated_feed_is_salvaged_and_flagged() -> None:
    body = read("antaranews-feed-1.xml")
    cut = body[: body.index(b"</item>", 3000) + 7] + b"<item><title>broken"
    result = parse_feed(cut, "http://x/")
    assert result.salvaged
    assert len(result.entries) >= 2


@pytest.mark.parametrize(
    "body", [b"", b"<html><body>Not found</body></html>", b"\x00\x01garbage", b"<urlset/>"]
)
def test_not_a_feed_raises(body: bytes) -> None:
    with pytest.raises(DiscoveryError):
        parse_feed(body, "http://x/")


def test_feed_autodiscovery_skips_comment_feeds() -> None:
    html = """<html><head>
      <link rel="alternate" type="application/rss+xml" href="https://x.id/feed/">
      <link rel="alternate" type="application/rss+xml" href="https://x.id/comments/feed/">
      <link rel="alternate" type="application/atom+xml" href="/atom.xml">
      <link rel="stylesheet" href="/s.css"></head><body></body></html>"""
    assert feed_links_from_html(html, "https://x.id/") == [
        "https://x.id/feed/",
        "https://x.id/atom.xml",
    ]


GNEWS = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
 <url><loc>https://x.id/berita/1/satu</loc>
  <news:news><news:publication><news:name>X</news:name><news:language>id</news:language>
  </news:publication><news:publication_date>2024-02-11T09:30:00+07:00</news:publication_date>
  <news:title>Satu</news:title></news:news></url>
 <url><loc>https://x.id/berita/2/dua</loc><lastmod>2024-02-10</lastmod></url>
</urlset>"""


def test_google_news_sitemap() -> None:
    result = parse_sitemap(GNEWS, "https://x.id/news-sitemap.xml")
    assert result.kind == "urlset"
    one, two = result.entries
    assert one.date == datetime(2024, 2, 11, 2, 30, tzinfo=UTC) and one.title == "Satu"
    assert two.date is not None and two.date.date().isoformat() == "2024-02-10"


def test_gzipped_sitemap_index() -> None:
    index = b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>https://x.id/post-sitemap.xml</loc><lastmod>2024-02-11T00:00:00Z</lastmod></sitemap>
      <sitemap><loc>https://x.id/page-sitemap.xml</loc></sitemap></sitemapindex>"""
    result = parse_sitemap(gzip.compress(index), "https://x.id/sitemap.xml.gz")
    assert result.kind == "index"
    assert [e.url for e in result.entries] == [
        "https://x.id/post-sitemap.xml",
        "https://x.id/page-sitemap.xml",
    ]


def test_gzip_bomb_in_sitemap_is_refused() -> None:
    bomb = gzip.compress(b"<" + b" " * (3 * 1024 * 1024))
    with pytest.raises(DiscoveryError):
        maybe_gunzip(bomb, max_size=1024 * 1024)


def test_html_is_not_a_sitemap() -> None:
    with pytest.raises(DiscoveryError):
        parse_sitemap(read("metrobali-listing-1.html"), "http://x/sitemap.xml")


def test_robots_sitemap_lines() -> None:
    robots = "User-agent: *\nDisallow: /wp-admin/\nSitemap: https://x.id/wp-sitemap.xml\n" \
        "sitemap: /news-sitemap.xml\n"  # fmt: skip
    assert sitemaps_from_robots(robots, "https://x.id/robots.txt") == [
        "https://x.id/wp-sitemap.xml",
        "https://x.id/news-sitemap.xml",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 jam lalu", NOW - timedelta(hours=2)),
        ("15 menit yang lalu", NOW - timedelta(minutes=15)),
        ("kemarin", NOW - timedelta(days=1)),
        ("3 hari lalu", NOW - timedelta(days=3)),
        ("sejam lalu", NOW - timedelta(hours=1)),
        ("Senin, 12 Februari 2024 10:15 WIB", datetime(2024, 2, 12, 3, 15, tzinfo=UTC)),
        ("Kamis, 5 Nov 2015 | 14:56 WITA", datetime(2015, 11, 5, 6, 56, tzinfo=UTC)),
        ("12/02/2024 08:00", datetime(2024, 2, 12, 1, 0, tzinfo=UTC)),
        ("2 minggu lalu", NOW - timedelta(days=14)),
        ("5 hours ago", NOW - timedelta(hours=5)),
        ("Senin, 4 Maret 2024 10:15 WIB", datetime(2024, 3, 4, 3, 15, tzinfo=UTC)),
        ("17 Ags 2023", datetime(2023, 8, 16, 17, 0, tzinfo=UTC)),  # midnight WIB
        ("17 Agst 2023 10:00", datetime(2023, 8, 17, 3, 0, tzinfo=UTC)),
        ("Redaksi", None),
    ],
)
def test_listing_dates(text: str, expected: datetime | None) -> None:
    assert parse_listing_date(text, NOW) == expected


def test_discovery_reads_dates_with_the_pipeline_grammar() -> None:
    """One home for the date rules: discovery calls pipeline.dates, it has none of its own."""
    import pantau.spiders.discovery
    from pantau.pipeline import dates

    for name in ("parse_feed_date", "parse_listing_date", "parse_timestamp"):
        assert getattr(pantau.spiders.discovery, name) is getattr(dates, name)
    for old in ("MONTHS_ID", "TZ_NAMES", "parse_iso", "_REL_RE", "_DMY_NAME_RE", "_ISO_RE"):
        assert not hasattr(pantau.spiders.discovery, old)


def test_listing_date_next_to_a_link_in_glued_markup() -> None:
    """text_content() glues "Daerah" and "12 Februari 2024": the date is still found."""
    html = (
        "<html><body><ul><li><a href='/berita/daerah/pemkab-gelar-apel'>Pemkab gelar apel</a>"
        "<span>Daerah</span><span>12 Februari 2024 10:15 WIB</span></li></ul></body></html>"
    )
    (entry,) = page_links(html, "https://x.id/", NOW)
    assert entry.date == datetime(2024, 2, 12, 3, 15, tzinfo=UTC)


def test_wordpress_listing_links_dates_and_pager() -> None:
    html = read("metrobali-listing-1.html").decode("utf-8", "replace")
    template = get_template("wordpress")
    links = [e for e in page_links(html, "http://metrobali.com/") if template.is_article_url(e.url)]
    assert len(links) >= 10
    assert all(e.url.startswith("http://metrobali.com/") for e in links)
    assert not any("/category/" in e.url for e in links)
    assert sum(1 for e in links if e.date is not None) >= 10
    assert next_page_url(html, "http://metrobali.com/") == "http://metrobali.com/page/2/"


def test_kompas_listing_spans_subdomains() -> None:
    html = read("kompas-listing-1.html").decode("utf-8", "replace")
    template = get_template("kompas")
    links = [
        e
        for e in page_links(html, "http://indeks.kompas.com/", same=template.same_site)
        if template.is_article_url(e.url)
    ]
    assert len(links) >= 10
    assert {"regional.kompas.com", "megapolitan.kompas.com"} <= {e.url.split("/")[2] for e in links}


def test_numbered_pager_and_page_numbers() -> None:
    html = """<body><div class="pagination"><a href="/kanal/daerah?page=1">1</a>
      <span>2</span><a href="/kanal/daerah?page=3">3</a><a href="/kanal/daerah?page=9">Last</a>
      </div></body>"""
    assert (
        next_page_url(html, "https://x.id/kanal/daerah?page=2")
        == "https://x.id/kanal/daerah?page=3"
    )
    assert current_page_number("https://x.id/category/a/page/4/") == 4
    assert current_page_number("https://x.id/?p=123") == 1
    assert next_page_url("<body><a href='/about'>x</a></body>", "https://x.id/a") is None
