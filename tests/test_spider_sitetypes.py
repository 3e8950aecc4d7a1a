"""Discovery on the regional site types as they are built today (tests/fixtures/sites/).

Five fixture sites made from real corpus pages: WordPress with only the core sitemap, WordPress
with Yoast, a modern Tribun site, a modern Antara site, and a portal with no feed and no sitemap
(see tests/fixtures/sites/README.md). `pantau crawl` runs them all against one archive, twice:
every article page must be archived exactly once (AMP, mobile-host, `?p=` and page variants
included), no home/listing/tag/category/gallery/static page may become an article, robots.txt
is obeyed, and the second run fetches no article page. A third crawl with sources that give
only `url` (no template, feeds, sitemaps or listings) must still find the articles.
"""

from __future__ import annotations

import html
import json
import re
import sqlite3
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from pantau.fixtureweb import FixtureWeb
from pantau.pipeline.canonical import canonicalize_url
from tests.conftest import run_pantau

pytestmark = pytest.mark.slow

SITES_DIR = Path(__file__).parent / "fixtures" / "sites"
SITES = sorted(p.parent.name for p in SITES_DIR.glob("*/site.json"))
MOBILE_TOKEN = "{{MOBILE}}"


class SiteTypesWeb(FixtureWeb):
    """FixtureWeb that also fills `{{MOBILE}}`: the site's mobile host `m.<host>:<port>`,
    which does not resolve here, so fetching it would fail the crawl (it must be mapped to
    the desktop host instead)."""

    def _fill(self, site: str, text: str) -> str:
        text = super()._fill(site, text)
        if site in self.urls:
            text = text.replace(MOBILE_TOKEN, self.base(site).replace("://", "://m.", 1))
        return text


def site_meta(name: str) -> dict:
    return json.loads((SITES_DIR / name / "site.json").read_text(encoding="utf-8"))


def write_config(tmp: Path, web: SiteTypesWeb, bare: bool) -> Path:
    cfg = tmp / ("config-bare" if bare else "config")
    cfg.mkdir()
    sources = []
    for name in SITES:
        entry: dict = {"name": name, "url": web.urls[name]}
        if not bare:
            meta = web.sites[name]
            entry.update(template=meta["template"], region=meta["region"])
            for key in ("listings", "window_days"):
                if meta.get(key):
                    entry[key] = meta[key]
        sources.append(entry)
    doc = {"user_agent_contact": "https://example.org/pantau-test", "sources": sources}
    (cfg / "sources.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    topics = {"topics": [{"name": "rm", "query": '"revolusi mental"', "search_terms": []}]}
    (cfg / "topics.yaml").write_text(yaml.safe_dump(topics))
    (cfg / "subscriptions.yaml").write_text("subscriptions: []\n")
    return cfg


def crawl(cfg: Path, db: Path, web: SiteTypesWeb) -> dict[str, list[tuple[str, int]]]:
    web.clear_log()
    proc = run_pantau("--config-dir", str(cfg), "--db", str(db), "crawl", timeout=180)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-4000:]
    return {name: web.requests_for(name) for name in SITES}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sitetypes")
    web = SiteTypesWeb(root=SITES_DIR)
    web.start()
    try:
        cfg = write_config(tmp, web, bare=False)
        db = tmp / "pantau.db"
        first = crawl(cfg, db, web)
        second = crawl(cfg, db, web)
        bare_db = tmp / "bare.db"
        bare = crawl(write_config(tmp, web, bare=True), bare_db, web)
        yield {"web": web, "db": db, "bare_db": bare_db, "first": first, "second": second,
               "bare": bare}  # fmt: skip
    finally:
        web.stop()


def canon(web: SiteTypesWeb, site: str, path: str) -> str:
    return canonicalize_url(web.base(site) + path)


def archived(db: Path, site: str) -> list[str]:
    con = sqlite3.connect(db)
    try:
        return [r[0] for r in con.execute("SELECT url FROM articles WHERE source = ?", (site,))]
    finally:
        con.close()


def aliases(db: Path, site: str) -> set[str]:
    con = sqlite3.connect(db)
    try:
        return {
            r[0]
            for r in con.execute(
                "SELECT u.url FROM url_aliases u JOIN articles a ON a.id = u.article_id "
                "WHERE a.source = ?",
                (site,),
            )
        }
    finally:
        con.close()


def article_requests(web: SiteTypesWeb, site: str, log: list[tuple[str, int]]) -> list[str]:
    """Logged requests that fetched (any spelling of) one of the site's article pages."""
    wanted = {canon(web, site, p) for p in site_meta(site)["expect"]["articles"]}
    return [p for p, _ in log if canon(web, site, p) in wanted]


# --------------------------------------------------------------------------- templated sources


@pytest.mark.parametrize("site", SITES)
def test_every_article_archived_exactly_once(world, site: str) -> None:
    web, expect = world["web"], site_meta(site)["expect"]
    urls = archived(world["db"], site)
    assert Counter(urls).most_common(1)[0][1] == 1
    assert sorted(urls) == sorted(canon(web, site, p) for p in expect["articles"])


@pytest.mark.parametrize("site", SITES)
def test_no_index_gallery_or_static_page_is_an_article(world, site: str) -> None:
    web, expect = world["web"], site_meta(site)["expect"]
    stored = set(archived(world["db"], site)) | aliases(world["db"], site)
    bad = {canon(web, site, p) for p in expect["not_articles"]} & stored
    assert not bad


@pytest.mark.parametrize("site", SITES)
def test_robots_and_stop_rules_keep_pages_unfetched(world, site: str) -> None:
    expect = site_meta(site)["expect"]
    for run in ("first", "second", "bare"):
        fetched = {p for p, _ in world[run][site]}
        assert not fetched & set(expect["never_fetched"]), run


@pytest.mark.parametrize("site", SITES)
def test_first_run_fetches_each_page_once(world, site: str) -> None:
    """No page (article or discovery) is fetched twice in one run: `?p=` shortlinks, AMP and
    mobile copies are not fetched again under another spelling, and nothing 5xx'd."""
    log = world["first"][site]
    twice = [p for p, n in Counter(p for p, _ in log).items() if n > 1 and p != "/robots.txt"]
    assert twice == []
    assert not [p for p, status in log if status >= 500]
    web = world["web"]
    arts = article_requests(web, site, log)
    canon_counts = Counter(canon(web, site, p) for p in arts if "?p=" not in p)
    assert max(canon_counts.values()) == 1, canon_counts


@pytest.mark.parametrize("site", SITES)
def test_second_run_fetches_no_article_page(world, site: str) -> None:
    web = world["web"]
    log = world["second"][site]
    assert article_requests(web, site, log) == []
    assert not [p for p, _ in log if "?p=" in p]
    assert len(archived(world["db"], site)) == len(site_meta(site)["expect"]["articles"])


def test_variants_resolve_to_one_article(world) -> None:
    """Tribun: the three-page article is fetched once through ?page=all and stored whole; its
    AMP copy, the mobile-host link and the ?page=2 link are not fetched. WordPress: the ?p=
    shortlinks are followed once and remembered (alias or redirect record)."""
    web, db = world["web"], world["db"]
    site = "tribun-jateng"
    multi = site_meta(site)["expect"]["articles"][0]
    fetched = [p for p, _ in world["first"][site]]
    assert f"{multi}?page=all" in fetched
    assert not [p for p in fetched if p.startswith("/amp/") or p.startswith(f"{multi}?page=2")]
    con = sqlite3.connect(db)
    try:
        (text,) = con.execute(
            "SELECT text FROM articles WHERE url = ?", (canon(web, site, multi),)
        ).fetchone()
        page3 = (SITES_DIR / site / f"{multi.lstrip('/')}@page=3").read_text(encoding="utf-8")
        last_para = re.findall(r"<p>([^<]{40,})</p>", page3)[-1]
        assert html.unescape(last_para)[:60] in text  # the last page's text is in the article
        site = "wpcore-jambi"
        fetched_set = {p for p, _ in world["first"][site]}
        shortlinks = [p for p in site_meta(site)["redirects"] if p in fetched_set]
        assert shortlinks, "the home page's ?p= links were not followed"
        pages = {
            r[0] for r in con.execute("SELECT url FROM pages WHERE source = ?", (site,))
        } | aliases(db, site)
        assert all(web.base(site) + short in pages for short in shortlinks)
    finally:
        con.close()


# --------------------------------------------------------------------------- url-only sources


@pytest.mark.parametrize("site", SITES)
def test_url_only_source_finds_the_articles(world, site: str) -> None:
    web, expect = world["web"], site_meta(site)["expect"]
    urls = archived(world["bare_db"], site)
    assert Counter(urls).most_common(1)[0][1] == 1
    must = {canon(web, site, p) for p in expect["articles"]} - {
        canon(web, site, p) for p in expect["only_via_listings"]
    }
    assert must <= set(urls), sorted(must - set(urls))
    assert not {canon(web, site, p) for p in expect["not_articles"]} & set(urls)
    assert set(urls) <= {canon(web, site, p) for p in expect["articles"]}


def test_sites_are_what_the_readme_says() -> None:
    """Each fixture site keeps the shape it stands for (guards against rebuild drift)."""
    assert len(SITES) >= 5
    wp = SITES_DIR / "wpcore-jambi"
    assert "Sitemap:" not in (wp / "robots.txt").read_text()
    assert (wp / "wp-sitemap.xml").is_file() and not (wp / "sitemap.xml").exists()
    generic = SITES_DIR / "generic-maluku"
    assert not list(generic.rglob("*.xml")) and not (generic / "feed").exists()
    assert (
        "kemarin" in (generic / "index.html").read_text()
        or "jam lalu" in (generic / "index.html").read_text()
    )
    for name in SITES:
        assert urlsplit(site_meta(name)["expect"]["articles"][0]).path


# --------------------------------------------------------------------------- the rules, unit by unit


def test_desktop_url_of_amp_and_mobile_links() -> None:
    from pantau.pipeline.canonical import desktop_url

    home = "https://www.tribunjateng.co.id/"
    assert desktop_url("https://m.tribunjateng.co.id/2024/03/05/x-y", home) == (
        "https://www.tribunjateng.co.id/2024/03/05/x-y"
    )
    assert desktop_url("https://www.tribunjateng.co.id/amp/2024/03/05/x-y", home) == (
        "https://www.tribunjateng.co.id/2024/03/05/x-y"
    )
    assert desktop_url(
        "https://www.x.co.id/read/a-b.amp.html?amp=1&id=3", "https://www.x.co.id/"
    ) == ("https://www.x.co.id/read/a-b.html?id=3")
    # another site, or a section subdomain, is left alone
    assert desktop_url("https://m.other.id/a-b", home) == "https://m.other.id/a-b"
    assert desktop_url("https://jateng.x.id/a-b", "https://x.id/") == "https://jateng.x.id/a-b"


def test_listing_pages_numbered_in_the_path_or_query() -> None:
    from pantau.spiders.discovery import current_page_number, listing_base, next_page_url

    assert current_page_number("https://x.id/terkini/2") == 2
    assert current_page_number("https://x.id/category/daerah/page/3/") == 3
    assert current_page_number("https://x.id/kategori/a?page=4") == 4
    assert current_page_number("https://x.id/berita/412345") == 1  # an id, not a page
    assert current_page_number("https://x.id/?p=123") == 1  # a WordPress shortlink
    assert listing_base("https://x.id/terkini/2") == listing_base("https://x.id/terkini")
    html_text = (
        "<html><body><a href='/berita/2'>Berita</a> <a href='/terkini/2'>2</a></body></html>"
    )
    assert next_page_url(html_text, "https://x.id/terkini") == "https://x.id/terkini/2"


def test_headline_words_are_not_listing_dates() -> None:
    from datetime import UTC, datetime, timedelta

    from pantau.spiders.discovery import parse_listing_date

    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    assert parse_listing_date("Harga Emas Hari Ini Naik Tajam di Pasar Ambon", now) is None
    assert parse_listing_date("Kemarin", now) == now - timedelta(days=1)
    assert parse_listing_date("Kemarin, 10:15 WIB", now) == now - timedelta(days=1)
    long = "IHSG Hari Ini Sempat Tembus 9.000 ... 4 bulan lalu"
    assert parse_listing_date(long, now) == now - timedelta(days=120)


def test_template_rules_for_the_new_site_types() -> None:
    from pantau.spiders.templates import get_template

    generic, wp, antara = get_template("generic"), get_template("wordpress"), get_template("antara")
    assert [u.rsplit("/", 1)[-1] for u in generic.fallback_sitemaps("https://x.id/")] == [
        "sitemap.xml",
        "sitemap_index.xml",
        "wp-sitemap.xml",
    ]
    assert get_template("tribun").fallback_sitemaps("https://x.id/") == ["https://x.id/sitemap.xml"]
    # photo and video stories are article candidates; their section indexes are not
    assert antara.is_article_url("https://sultra.antaranews.com/foto/412300/apel-di-kendari")
    assert generic.is_article_url("https://x.id/video/412290/gubernur-lantik-pejabat-eselon")
    assert not antara.is_article_url("https://sultra.antaranews.com/foto")
    assert not generic.is_article_url("https://x.id/video?page=2")
    assert antara.is_article_url("https://sultra.antaranews.com/berita/412345/apel-di-kendari")
    for static in ("/pedoman-pemberitaan-media-siber/", "/info-iklan-dan-kerja-sama-media/"):
        assert not wp.is_article_url("https://x.id" + static)
    assert generic.is_listing_url("https://x.id/kategori/pemerintahan")
    assert generic.is_listing_url("https://x.id/indeks")
    assert not generic.is_listing_url("https://x.id/tag/asn")
    page = (SITES_DIR / "wpcore-jambi" / "tentang-kami" / "index.html").read_text()
    post = next((SITES_DIR / "wpcore-jambi" / "2024").rglob("index.html")).read_text()
    assert wp.page_signal(page) == "static" and wp.page_signal(post) is None
