"""Blogger (blogspot) and small `.go.id` CMS sites, the pages kabupaten and dinas news lives on.

Three fixture sites built from the markup the platforms serve (tests/fixtures/sites/README.md):
`blogger-sintang` (classic "Simple" theme: date header, `abbr.published`, "Diposkan oleh",
caption table, comments), `blogger-sukamara` (Contempo: `<article class=post-outer-container>`,
`time.published`, JSON-LD, "Diposting oleh Admin" next to the day) and `govid-kediri` (the
real Kediri portal shell, no feed, no sitemap, a "today" date in its header). `pantau run` crawls
them twice with the shipped topic and a webhook subscription: every post stored once, dated,
clean, attributed, matched and alerted once; robots.txt's `Disallow: /search` obeyed (label and
older-posts pages), `?m=1` mobile links never fetched, nothing fetched again on the second run.
"""

from __future__ import annotations

import base64
import json
import re
import sqlite3
import textwrap
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from pantau.fixtureweb import FixtureWeb
from pantau.pipeline.canonical import canonicalize_url
from tests.conftest import ROOT, run_pantau

SITES_DIR = Path(__file__).parent / "fixtures" / "sites"
SITES = ["blogger-sintang", "blogger-sukamara", "govid-kediri"]
SECRET = "whsec_" + base64.b64encode(b"pantau-blogger-test-secret-0001").decode()


def site_meta(name: str) -> dict:
    return json.loads((SITES_DIR / name / "site.json").read_text(encoding="utf-8"))


def page_file(site: str, path: str) -> Path:
    rel = path.lstrip("/")
    f = SITES_DIR / site / rel
    return f if f.is_file() else SITES_DIR / site / (rel + ".html")


def write_config(tmp: Path, web: FixtureWeb, sink_url: str) -> Path:
    cfg = tmp / "config"
    cfg.mkdir()
    sources = []
    for name in SITES:
        meta = site_meta(name)
        sources.append({"name": name, "url": web.urls[name], "template": meta["template"],
                        "region": meta["region"], "window_days": meta["window_days"]})  # fmt: skip
    doc = {"user_agent_contact": "https://example.org/pantau-test", "sources": sources}
    (cfg / "sources.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    (cfg / "topics.yaml").write_text((ROOT / "config" / "topics.yaml").read_text())
    (cfg / "subscriptions.yaml").write_text(
        textwrap.dedent(f"""
        subscriptions:
          - name: kabupaten
            topics: [revolusi-mental-asn]
            channel: webhook
            url: {sink_url}/hooks/pantau
            secret: {SECRET}
            allow_private_network: true
        """)
    )
    return cfg


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from pantau.sink import AlertSink

    tmp = tmp_path_factory.mktemp("blogger")
    web = FixtureWeb(root=SITES_DIR)
    web.start()
    sink = AlertSink(secret=SECRET).start()
    try:
        cfg = write_config(tmp, web, sink.url)
        db = tmp / "pantau.db"
        args = ("--config-dir", str(cfg), "--db", str(db))
        first = run_pantau(*args, "run", timeout=240)
        first_log = {name: web.requests_for(name) for name in SITES}
        received = list(sink.received)
        web.clear_log()
        second = run_pantau(*args, "run", timeout=240)
        second_log = {name: web.requests_for(name) for name in SITES}
        yield {"web": web, "db": db, "first": first, "second": second, "first_log": first_log,
               "second_log": second_log, "received": received, "sink": sink}  # fmt: skip
    finally:
        sink.stop()
        web.stop()


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def canon(web: FixtureWeb, site: str, path: str) -> str:
    return canonicalize_url(web.base(site) + path)


# --------------------------------------------------------------------------- the crawl


@pytest.mark.slow
def test_runs_succeed(world) -> None:
    for run in ("first", "second"):
        proc = world[run]
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        assert "Traceback" not in proc.stderr, proc.stderr[-4000:]


@pytest.mark.slow
@pytest.mark.parametrize("site", SITES)
def test_every_post_stored_once(world, site: str) -> None:
    web, expect = world["web"], site_meta(site)["expect"]
    urls = [u for (u,) in rows(world["db"], "SELECT url FROM articles WHERE source = ?", site)]
    assert sorted(urls) == sorted(canon(web, site, p) for p in expect["articles"])
    assert max(Counter(urls).values()) == 1
    not_articles = {canon(web, site, p) for p in expect["not_articles"]}
    assert not not_articles & set(urls)


@pytest.mark.slow
@pytest.mark.parametrize("site", SITES)
def test_posts_dated_attributed_and_clean(world, site: str) -> None:
    web, expect = world["web"], site_meta(site)["expect"]
    for post in expect["posts"]:
        found = rows(
            world["db"],
            "SELECT title, published_at, author, text FROM articles WHERE url = ?",
            canon(web, site, post["path"]),
        )
        assert found, post["path"]
        title, published, author, text = found[0]
        assert title == post["title"]
        assert (published or "")[:10] == post["day"], (post["path"], published)
        if site.startswith("blogger"):
            assert author == post["author"], (post["path"], author)
        assert post["first"] in text and post["last"] in text, post["path"]
        leaks = [junk for junk in expect["furniture"] if junk in text]
        assert leaks == [], (post["path"], leaks)


@pytest.mark.slow
def test_topic_matched_and_one_alert_per_matching_story(world) -> None:
    web, db = world["web"], world["db"]
    want = {
        canon(web, site, p["path"])
        for site in SITES
        for p in site_meta(site)["expect"]["posts"]
        if p["matches"]
    }
    assert len(want) == 5
    matched = {
        u for (u,) in rows(db, "SELECT a.url FROM matches m JOIN articles a ON a.id = m.article_id")
    }
    assert matched == want
    stories = {
        s
        for (s,) in rows(
            db, "SELECT DISTINCT a.story_id FROM matches m JOIN articles a ON a.id = m.article_id"
        )
    }
    got = [r["json"]["data"]["story_id"] for r in world["received"]]
    assert sorted(got) == sorted(stories) and len(got) == 5
    assert not world["sink"].rejected
    assert {s for (s,) in rows(db, "SELECT status FROM alerts")} == {"sent"}


@pytest.mark.slow
@pytest.mark.parametrize("site", SITES)
def test_robots_search_pages_and_mobile_views_never_fetched(world, site: str) -> None:
    expect = site_meta(site)["expect"]
    for run in ("first_log", "second_log"):
        fetched = [p for p, _ in world[run][site]]
        assert not [p for p in fetched if p.startswith("/search")], run
        assert not [p for p in fetched if re.search(r"[?&]m=1\b", p)], run
        assert not set(fetched) & set(expect["never_fetched"]), run


@pytest.mark.slow
def test_blogger_discovery_used_feed_and_sitemap_index(world) -> None:
    fetched = {p for p, _ in world["first_log"]["blogger-sintang"]}
    assert "/robots.txt" in fetched and "/sitemap.xml" in fetched
    assert {"/sitemap.xml?page=1", "/sitemap.xml?page=2"} <= fetched
    assert "/feeds/posts/default?alt=rss" in fetched
    # the two oldest posts are in no feed and not on the home page: only the sitemap has them
    posts = site_meta("blogger-sintang")["expect"]["posts"]
    assert {posts[-1]["path"], posts[-2]["path"]} <= fetched


@pytest.mark.slow
@pytest.mark.parametrize("site", SITES)
def test_second_run_fetches_no_post(world, site: str) -> None:
    expect = site_meta(site)["expect"]
    fetched = {p.split("?", 1)[0] for p, _ in world["second_log"][site]}
    assert not fetched & set(expect["articles"])
    stored = rows(world["db"], "SELECT count(*) FROM articles WHERE source = ?", site)[0][0]
    assert stored == len(expect["articles"])


# --------------------------------------------------------------------------- extraction, unit


def _extract(site: str, post: dict, template: str | None = None, edit=None):
    from pantau.pipeline.extract import extract_or_reject

    base = "http://127.0.0.1:8000"
    html = page_file(site, post["path"]).read_text(encoding="utf-8").replace("{{BASE}}", base)
    if edit is not None:
        html = edit(html)
    return extract_or_reject(
        html,
        base + post["path"],
        fetched_at=datetime(2024, 3, 20, tzinfo=UTC),
        template=template or site_meta(site)["template"],
    )


@pytest.mark.parametrize("site", SITES)
def test_fixture_posts_extract_dated_clean_and_attributed(site: str) -> None:
    meta = site_meta(site)
    for post in meta["expect"]["posts"]:
        art = _extract(site, post)
        assert hasattr(art, "text"), (post["path"], art)
        assert art.title == post["title"]
        assert str(art.published_at)[:10] == post["day"], (post["path"], art.published_at)
        assert post["first"] in art.text and post["last"] in art.text
        assert [j for j in meta["expect"]["furniture"] if j in art.text] == []
        if site.startswith("blogger"):
            assert art.author == post["author"]


def test_blogger_date_header_dates_a_post_without_a_timestamp() -> None:
    """A theme that prints only the day header ("Jumat, 08 Maret 2024") above the post: that
    day, not a date quoted in the post's text."""
    post = site_meta("blogger-sintang")["expect"]["posts"][0]

    def no_timestamp(html: str) -> str:
        return re.sub(r"<abbr class='published'[^>]*>[^<]*</abbr>", "09.15", html)

    art = _extract("blogger-sintang", post, edit=no_timestamp)
    assert str(art.published_at)[:10] == "2024-03-08"
    assert "date-header" in page_file("blogger-sintang", post["path"]).read_text()


def test_blogger_byline_keeps_the_name_not_the_weekday() -> None:
    """Without JSON-LD, Contempo's header byline reads "Diposting oleh Admin Jumat, 08 Maret
    2024": the author is "Admin", never "Admin Jumat", and the date is `time.published`'s."""
    from pantau.pipeline.extract import _clean_person

    url = "http://127.0.0.1:8000/2024/03/x.html"
    assert _clean_person("Diposting oleh Admin Jumat, 08 Maret 2024", "Blog", url) == "Admin"
    assert _clean_person("Diposkan oleh Humas Sintang", "Blog", url) == "Humas Sintang"

    def no_jsonld(html: str) -> str:
        out = re.sub(r"<script type='application/ld\+json'>.*?</script>", "", html, flags=re.S)
        assert "Diposting oleh</span>" in out and "datePublished" not in out
        return out

    for post in site_meta("blogger-sukamara")["expect"]["posts"]:
        art = _extract("blogger-sukamara", post, edit=no_jsonld)
        assert art.author == "Admin"
        assert str(art.published_at)[:10] == post["day"]


# --------------------------------------------------------------------------- URL rules


def test_blogger_url_rules() -> None:
    from pantau.spiders.templates import get_template

    t = get_template("blogger")
    home = "https://humassintang.blogspot.com/"
    assert t.is_article_url(home + "2024/03/revolusi-mental-untuk-asn-modal-dasar.html")
    assert t.is_article_url(home + "2024/03/bupati-lantik.html?m=1")
    for url in (
        home,
        home + "search/label/ASN",
        home + "search?updated-max=2024-03-06T08:05:00%2B07:00&max-results=3",
        home + "p/tentang-kami.html",
        home + "2024/",
        home + "2024/03/",
        home + "2024_03_01_archive.html",
        home + "feeds/posts/default",
    ):
        assert not t.is_article_url(url), url
    assert t.is_listing_url(home + "search?updated-max=2024-03-06T08:05:00%2B07:00")
    assert t.default_feeds(home) == [home + "feeds/posts/default?alt=rss"]
    assert t.fallback_sitemaps(home) == [home + "sitemap.xml"]


def test_blogger_is_detected_from_its_generator_meta() -> None:
    """A source left at `generic` on a Blogger blog gets the Blogger rules (the spider swaps
    the template when the home page names its generator)."""
    from pantau.spiders.templates import detect_template

    for name in ("blogger-sintang", "blogger-sukamara"):
        assert detect_template((SITES_DIR / name / "index.html").read_text()) == "blogger"
    assert detect_template((SITES_DIR / "govid-kediri" / "index.html").read_text()) is None
    assert detect_template('<meta name="generator" content="WordPress 6.4.3">') is None


def test_mobile_view_is_the_same_page() -> None:
    from pantau.pipeline.canonical import desktop_url

    post = "https://x.blogspot.com/2024/03/bupati-lantik.html"
    assert canonicalize_url(post + "?m=1") == canonicalize_url(post)
    assert desktop_url(post + "?m=1", "https://x.blogspot.com/") == post
    assert canonicalize_url("https://x.id/?m=202403") == "https://x.id/?m=202403"  # WP month


def test_config_accepts_the_blogger_template(tmp_path: Path) -> None:
    from pantau.pipeline.config import load_config

    (tmp_path / "sources.yaml").write_text(
        "user_agent_contact: https://example.org/x\nsources:\n"
        "  - {name: sintang, url: 'https://humassintang.blogspot.com/', template: blogger}\n"
    )
    (tmp_path / "topics.yaml").write_text("topics: []\n")
    (tmp_path / "subscriptions.yaml").write_text("subscriptions: []\n")
    assert load_config(tmp_path).source("sintang").template == "blogger"


def test_fixture_sites_keep_their_shape() -> None:
    """Guards against rebuild drift: Blogger's real robots.txt and feed/sitemap layout, and
    the portal built on the real Kediri page."""
    for name in ("blogger-sintang", "blogger-sukamara"):
        d = SITES_DIR / name
        robots = (d / "robots.txt").read_text()
        assert "Disallow: /search\nAllow: /" in robots and "Sitemap: {{BASE}}/sitemap.xml" in robots
        assert "<sitemapindex" in (d / "sitemap.xml").read_text()
        assert (d / "feeds" / "posts" / "default@alt=rss").is_file()
        assert "<meta content='blogger' name='generator'/>" in (d / "index.html").read_text()
    gov = SITES_DIR / "govid-kediri"
    assert not (gov / "robots.txt").exists() and not list(gov.rglob("*.xml"))
    assert "DINAS KOMUNIKASI DAN INFORMATIKA" in (gov / "index.html").read_text()
