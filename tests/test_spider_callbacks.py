"""The news spider's callbacks on saved responses, called directly (city-scrapers style).

Each test builds the spider as Scrapy does (`from_crawler`, a real config directory and a real
temporary archive), hands a callback an `HtmlResponse`/`XmlResponse`/`TextResponse` made from
a real page, feed or sitemap kept in tests/ (with the request the spider would have sent), and
checks the requests and items it yields. No crawl, no server: a change to discovery,
scheduling, articles or errors is checked in a second. One section per spider module.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from scrapy import Request
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import HtmlResponse, TextResponse, XmlResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.request import request_from_dict
from scrapy.utils.test import get_crawler
from twisted.internet.error import TCPTimedOutError
from twisted.python.failure import Failure

from pantau.pipeline.archive import frontier
from pantau.pipeline.archive.db import connect
from pantau.pipeline.archive.store import Archive
from pantau.spiders.discovery import Entry
from pantau.spiders.news import NewsSpider

HERE = Path(__file__).resolve().parent
SITES = HERE / "fixtures" / "sites"
BASE = "http://127.0.0.1:8001"  # what {{BASE}} in the saved site files stands for
TRIBUN = (
    "/2024/03/08/hedy-lamarr-bintang-hollywood-penemu-yang-pantenkan-teknologi-cikal-bakal-wifi"
)
JAMBI_POSTS = [  # wp-sitemap-posts-post-1.xml of wpcore-jambi, newest first
    "/2024/03/08/kasus-aktif-covid-19-melonjak-pemkot-bandung-batasi-kegiatan-masyarakat/",
    "/2024/03/07/menteri-yuddy-ancam-pns-yang-rankingnya-terendah-akan-dipangkas/",
    "/2024/03/06/awasi-jalannya-protokol-kesehatan-pengelola-mal-ikut-bentuk-gugus-tugas/",
    "/2024/03/05/cuma-ada-di-pamekasan-begini-kelezatan-sate-lalat-pak-muhsin/",
    "/2024/03/04/forkopimda-mitra-koordinasikan-penanganan-covid-19-dan-keamanan-kebun-raya-megaw/",
]


def site_file(path: str) -> bytes:
    """A saved fixture-site file with its base URL filled in, as FixtureWeb would serve it."""
    return (SITES / path).read_text(encoding="utf-8").replace("{{BASE}}", BASE).encode("utf-8")


def requests_of(out: list[Any]) -> list[Request]:
    return [o for o in out if isinstance(o, Request)]


def items_of(out: list[Any]) -> list[dict]:
    return [o for o in out if isinstance(o, dict)]


def stats(spider: NewsSpider) -> dict[str, Any]:
    return {
        k.removeprefix("pantau/"): v
        for k, v in spider.crawler.stats.get_stats().items()
        if k.startswith("pantau/")
    }


class Engine:
    """Takes the requests `on_idle` hands the engine (the crawler has none outside a crawl)."""

    def __init__(self) -> None:
        self.requests: list[Request] = []

    def crawl(self, request: Request) -> None:
        self.requests.append(request)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "pantau.db"
    Archive(path).close()  # a real archive with its tables: every "is it known?" asks SQLite
    return path


@pytest.fixture
def make_spider(tmp_path: Path, db: Path):
    spiders: list[NewsSpider] = []

    def make(name: str = "jambi", url: str = BASE + "/", **source: Any) -> NewsSpider:
        cfg = tmp_path / "config"
        cfg.mkdir(exist_ok=True)
        (cfg / "sources.yaml").write_text(
            yaml.safe_dump({"sources": [{"name": name, "url": url, **source}]})
        )
        (cfg / "topics.yaml").write_text("topics:\n  - name: t\n    query: '\"revolusi mental\"'\n")
        crawler = get_crawler(NewsSpider, {"PANTAU_CONFIG_DIR": str(cfg), "PANTAU_DB": str(db)})
        spider = NewsSpider.from_crawler(crawler, source=name)
        spiders.append(spider)
        return spider

    yield make
    for spider in spiders:
        spider.closed("finished")


def sitemap_response(path: str, file: str, **meta: Any) -> XmlResponse:
    url = BASE + path
    return XmlResponse(
        url, body=site_file(file), request=Request(url, meta={"pantau_kind": "sitemap", **meta})
    )


# --------------------------------------------------------------------- news.py, page_requests.py


def test_start_sends_conditional_gets_with_the_stored_validators(make_spider, db) -> None:
    feed = BASE + "/feed/"
    archive = Archive(db)
    archive.store_page(
        feed, source="jambi", kind="feed", status=200, body=b"<rss/>",
        fetched_at="2024-03-08T03:00:00Z", etag='"v1"',
    )  # fmt: skip
    archive.close()
    spider = make_spider(template="wordpress", feeds=[feed])
    requests = {r.url: r for r in spider.initial_requests()}
    assert requests[feed].headers.get("If-None-Match") == b'"v1"'
    assert requests[feed].callback == spider.parse_feed
    assert requests[feed].errback == spider.on_error
    assert requests[BASE + "/"].callback == spider.parse_home  # the home page: fetched whole
    assert not requests[BASE + "/"].headers.get("If-None-Match")
    assert requests[BASE + "/robots.txt"].meta["pantau_kind"] == "robots"


def test_a_304_listing_is_read_from_the_body_the_archive_kept(make_spider, db) -> None:
    url = BASE + "/terkini"
    body = site_file("antara-sultra/terkini/index.html")
    archive = Archive(db)
    archive.store_page(
        url, source="sultra", kind="listing", status=200, body=body,
        fetched_at="2024-03-08T03:00:00Z", etag='"t1"',
    )  # fmt: skip
    archive.close()
    spider = make_spider("sultra", template="antara")
    response = HtmlResponse(
        url, status=304, body=b"", request=Request(url, meta={"pantau_kind": "listing"})
    )
    out = list(spider.parse_listing(response))
    page = items_of(out)[0]
    assert (page["kind"], page["status"], page["body"], page["etag"]) == (
        "listing", 304, b"", '"t1"',  # the validators we sent are kept
    )  # fmt: skip
    assert BASE + "/berita/412345/prostitusi-ditenggarai-sudah-merambah-ke-pelajar-lampung" in [
        r.url for r in requests_of(out)
    ]
    assert stats(spider)["unchanged/listing"] == 1


# ------------------------------------------------------------------------ discovery_callbacks.py


def test_robots_sitemap_line_leads_to_the_sitemap_index(make_spider) -> None:
    spider = make_spider("ntb", template="wordpress")
    url = BASE + "/robots.txt"
    response = TextResponse(
        url,
        body=site_file("yoast-ntb/robots.txt"),
        request=Request(url, meta={"pantau_kind": "robots", "guessed": True}),
    )
    out = list(spider.parse_robots(response))
    assert items_of(out)[0]["kind"] == "robots"
    [sitemap] = requests_of(out)
    assert sitemap.url == BASE + "/sitemap_index.xml"
    assert sitemap.callback == spider.parse_sitemap
    assert (sitemap.meta["pantau_kind"], sitemap.meta["child"]) == ("sitemap", False)


def test_sitemap_index_fetches_the_post_sitemaps_only(make_spider) -> None:
    spider = make_spider(template="wordpress")
    out = list(
        spider.parse_sitemap(sitemap_response("/wp-sitemap.xml", "wpcore-jambi/wp-sitemap.xml"))
    )
    # -posts-page-1, -taxonomies-category-1 and -users-1 never list articles
    assert [(r.url, r.callback.__name__, r.meta["child"]) for r in requests_of(out)] == [
        (BASE + "/wp-sitemap-posts-post-1.xml", "parse_sitemap", True)
    ]


def test_sitemap_urls_become_article_requests_owed_before_they_are_sent(make_spider) -> None:
    spider = make_spider(template="wordpress")
    response = sitemap_response(
        "/wp-sitemap-posts-post-1.xml", "wpcore-jambi/wp-sitemap-posts-post-1.xml", child=True
    )
    out = list(spider.parse_sitemap(response))
    # the page item comes first, carrying the owed rows: stored before any request goes out
    assert out[0]["type"] == "page" and out[0]["kind"] == "sitemap"
    assert [row["url"] for row in out[0]["owe"]] == [BASE + p for p in JAMBI_POSTS]
    requests = requests_of(out)
    assert [r.url for r in requests] == [BASE + p for p in JAMBI_POSTS]
    first = requests[0]
    assert first.callback == spider.parse_article and first.errback == spider.on_error
    assert first.meta["discovered_via"] == "sitemap"
    assert first.meta["frontier_url"] == BASE + JAMBI_POSTS[0]
    assert first.meta["dont_redirect"] is True  # redirects are parse_article's to follow
    assert stats(spider)["articles/queued"] == 5


def test_feed_items_become_article_requests_with_their_dates(make_spider) -> None:
    spider = make_spider("antara", "http://www.antaranews.com/", template="antara")
    url = "http://www.antaranews.com/rss/terkini.xml"
    response = XmlResponse(
        url,
        body=(HERE / "fixtures" / "spider" / "antaranews-feed-1.xml").read_bytes(),
        request=Request(url, meta={"pantau_kind": "feed"}),
    )
    out = list(spider.parse_feed(response))
    assert items_of(out)[0]["kind"] == "feed"
    requests = requests_of(out)
    assert len(requests) == 20  # every <item> of the real feed
    first = requests[0]
    assert first.url == (
        "http://www.antaranews.com/berita/527615/29-penerbangan-bandara-internasional-lombok-dibatalkan"
    )
    assert first.meta["listed_date"] == "2015-11-05T14:56:43+07:00"  # the item's <pubDate>
    assert first.meta["discovered_via"] == "feed"
    assert stats(spider)["pages/feed"] == 1


def test_listing_page_yields_its_articles_and_the_next_page(make_spider) -> None:
    spider = make_spider("sultra", template="antara")
    url = BASE + "/terkini"
    response = HtmlResponse(
        url,
        body=site_file("antara-sultra/terkini/index.html"),
        request=Request(url, meta={"pantau_kind": "listing", "page_no": 1}),
    )
    requests = requests_of(list(spider.parse_listing(response)))
    articles = [r.url for r in requests if r.callback == spider.parse_article]
    assert (
        BASE + "/berita/412345/prostitusi-ditenggarai-sudah-merambah-ke-pelajar-lampung" in articles
    )
    assert BASE + "/foto/412300/apel-kesadaran-nasional-di-kendari" in articles
    nxt = requests[-1]  # "15 menit lalu", "kemarin": all fresh, so page 2 is read too
    assert (nxt.url, nxt.callback, nxt.meta["page_no"]) == (
        BASE + "/terkini/2", spider.parse_listing, 2,
    )  # fmt: skip


# ------------------------------------------------------------------------ frontier_scheduling.py


def test_home_without_feed_or_sitemap_falls_back_to_its_sections_when_idle(make_spider) -> None:
    spider = make_spider("maluku")
    response = HtmlResponse(
        BASE + "/",
        body=site_file("generic-maluku/index.html"),
        request=Request(BASE + "/", meta={"pantau_kind": "home"}),
    )
    out = list(spider.parse_home(response))
    assert items_of(out)[0]["kind"] == "home"
    assert (
        BASE + "/news/741/menteri-yuddy-ancam-pns-yang-rankingnya-terendah-akan-dipangkas.html"
        in [r.url for r in requests_of(out)]
    )
    spider.crawler.engine = Engine()
    with pytest.raises(DontCloseSpider):  # no feed, no sitemap entries: the menu's sections
        spider.on_idle()
    assert [(r.url, r.callback) for r in spider.crawler.engine.requests] == [
        (BASE + "/kategori/pemerintahan", spider.parse_listing),
        (BASE + "/kategori/ekonomi", spider.parse_listing),
    ]
    spider.on_idle()  # runs once: the next idle lets the spider close


def test_links_past_the_budget_stay_owed_and_a_link_is_scheduled_once(make_spider) -> None:
    spider = make_spider(template="wordpress", max_requests=2)
    file = "wpcore-jambi/wp-sitemap-posts-post-1.xml"
    out = list(spider.parse_sitemap(sitemap_response("/wp-sitemap-posts-post-1.xml", file)))
    assert [r.url for r in requests_of(out)] == [BASE + p for p in JAMBI_POSTS[:2]]
    assert len(out[0]["owe"]) == 5  # the three over budget are owed to a later run
    assert stats(spider)["budget/unscheduled"] == 3
    again = list(spider.parse_sitemap(sitemap_response("/post-sitemap.xml", file)))
    assert requests_of(again) == []  # named again by another sitemap: queued already


def test_page_known_as_a_listing_is_not_fetched_again(make_spider, db) -> None:
    archive = Archive(db)
    archive.store_page(
        BASE + JAMBI_POSTS[1], source="jambi", kind="listing", status=200, body=b"<html/>",
        fetched_at="2024-03-08T03:00:00Z", reason="an index page",
    )  # fmt: skip
    archive.close()
    spider = make_spider(template="wordpress")
    response = sitemap_response(
        "/wp-sitemap-posts-post-1.xml", "wpcore-jambi/wp-sitemap-posts-post-1.xml"
    )
    urls = [r.url for r in requests_of(list(spider.parse_sitemap(response)))]
    assert BASE + JAMBI_POSTS[1] not in urls and len(urls) == 4
    assert stats(spider)["articles/known"] == 1


def test_an_owed_url_of_an_earlier_run_is_fetched_when_idle(make_spider, db) -> None:
    owed = BASE + JAMBI_POSTS[2]
    conn = connect(db)
    frontier.owe(conn, [{"url": owed, "source": "jambi", "discovered_url": owed,
                         "discovered_via": "listing"}])  # fmt: skip
    conn.commit()
    conn.close()
    spider = make_spider(template="wordpress", feeds=[BASE + "/feed/"])
    spider.crawler.engine = Engine()
    with pytest.raises(DontCloseSpider):
        spider.on_idle()
    [request] = spider.crawler.engine.requests
    assert (request.url, request.callback) == (owed, spider.parse_article)
    assert (request.meta["frontier_url"], request.meta["discovered_via"]) == (owed, "listing")
    assert stats(spider)["frontier/retried"] == 1


def test_a_link_older_than_the_window_is_not_owed_past_the_budget(make_spider) -> None:
    """Past the budget, a link listed within the window is owed to a later run; one listed
    before the window is not (the window would end it anyway)."""
    spider = make_spider(template="wordpress", max_requests=1)
    old = datetime.now(UTC) - timedelta(days=400)
    scheduled = list(spider._consider(Entry(BASE + JAMBI_POSTS[0], None), "feed"))
    assert [r.url for r in scheduled] == [BASE + JAMBI_POSTS[0]]
    assert list(spider._consider(Entry(BASE + JAMBI_POSTS[1], None), "feed")) == []
    assert list(spider._consider(Entry(BASE + JAMBI_POSTS[2], old), "feed")) == []
    assert [row["url"] for row in spider._owe_rows] == [BASE + p for p in JAMBI_POSTS[:2]]
    assert stats(spider)["budget/unscheduled"] == 2


# -------------------------------------------------------------------------- article_callbacks.py


def article_request(url: str, **meta: Any) -> Request:
    """The meta `_schedule` gives an article's first request."""
    return Request(url, meta={
        "pantau_kind": "article", "requested_as": url, "discovered_url": url,
        "discovered_via": "sitemap", "listed_date": "2024-03-08T09:15:00+07:00",
        "frontier_url": url, **meta,
    })  # fmt: skip


def test_article_page_becomes_an_article_item(make_spider) -> None:
    spider = make_spider("ntb", template="wordpress")
    url = BASE + "/29-penerbangan-bandara-internasional-lombok-dibatalkan/"
    body = site_file("yoast-ntb/29-penerbangan-bandara-internasional-lombok-dibatalkan/index.html")
    out = list(spider.parse_article(HtmlResponse(url, body=body, request=article_request(url))))
    [item] = out
    assert item["type"] == "article" and item["template"] == "wordpress"
    assert (item["url"], item["requested_url"], item["frontier_url"]) == (url, url, url)
    assert item["listed_date"] == "2024-03-08T09:15:00+07:00"
    assert "<title>29 penerbangan Bandara Internasional Lombok dibatalkan" in item["html"]
    assert item["extra_pages"] == []
    assert stats(spider)["articles/yielded"] == 1


def test_an_index_page_behind_an_article_link_is_rejected_with_its_reason(make_spider) -> None:
    spider = make_spider("merdeka", "https://www.merdeka.com/")
    url = "https://www.merdeka.com/peristiwa/"
    body = (HERE / "extraction" / "nonarticle" / "merdeka-listing-1.html").read_bytes()
    out = list(spider.parse_article(HtmlResponse(url, body=body, request=article_request(url))))
    [page] = out
    assert page["type"] == "page" and page["kind"] == "listing"
    assert page["reason"] and page["signals"]["stage"] == "classifier"
    assert stats(spider)["rejected/listing"] == 1


def test_a_multi_page_article_is_assembled_page_by_page(make_spider) -> None:
    spider = make_spider("jateng", template="tribun")
    url = BASE + TRIBUN
    request = article_request(url, single_view=False)
    first = list(spider.parse_article(HtmlResponse(url, body=site_file(f"tribun-jateng{TRIBUN}"),
                                                   request=request)))  # fmt: skip
    [page2] = first
    assert (page2.url, page2.callback) == (url + "?page=2", spider.parse_article_page)
    assert page2.meta["remaining"] == [url + "?page=3"]
    [page3] = spider.parse_article_page(HtmlResponse(
        page2.url, body=site_file(f"tribun-jateng{TRIBUN}@page=2"), request=page2
    ))  # fmt: skip
    assert page3.url == url + "?page=3"
    [item] = spider.parse_article_page(HtmlResponse(
        page3.url, body=site_file(f"tribun-jateng{TRIBUN}@page=3"), request=page3
    ))  # fmt: skip
    assert item["type"] == "article" and item["url"] == url
    assert item["extra_page_urls"] == [url + "?page=2", url + "?page=3"]
    assert len(item["extra_pages"]) == 2
    assert stats(spider)["articles/multipage"] == 1


def test_a_permanent_redirect_is_remembered_and_its_target_scheduled(make_spider) -> None:
    spider = make_spider(template="wordpress")
    short, target = BASE + "/?p=3101", BASE + JAMBI_POSTS[0]
    response = HtmlResponse(
        short, status=301, headers={"Location": target}, body=b"",
        request=article_request(short, discovered_via="home"),
    )  # fmt: skip
    out = list(spider.parse_article(response))
    assert items_of(out)[0]["kind"] == "redirect"  # later runs skip the shortlink
    [request] = requests_of(out)
    assert (request.url, request.callback) == (target, spider.parse_article)
    assert request.meta["discovered_via"] == "home"


def test_a_recheck_answered_304_yields_nothing(make_spider) -> None:
    spider = make_spider(template="wordpress")
    url = BASE + JAMBI_POSTS[0]
    response = HtmlResponse(url, status=304, body=b"", request=article_request(url, recheck=True))
    assert list(spider.parse_article(response)) == []
    assert stats(spider)["unchanged/article"] == 1


# ---------------------------------------------------------------------------- error_callbacks.py


def failure(exc: Exception, request: Request) -> Failure:
    """A Failure as Scrapy hands it to an errback: it carries the request."""
    f = Failure(exc)
    f.request = request
    return f


def http_error(status: int, request: Request) -> Failure:
    response = HtmlResponse(request.url, status=status, body=b"", request=request)
    return failure(HttpError(response, "Ignoring non-200 response"), request)


def test_a_dead_article_link_is_remembered_as_gone(make_spider) -> None:
    spider = make_spider(template="wordpress")
    url = BASE + JAMBI_POSTS[0]
    [gone] = spider.on_error(http_error(404, article_request(url)))
    assert (gone["type"], gone["kind"], gone["status"], gone["body"]) == ("page", "gone", 404, b"")
    assert stats(spider)["missing/article"] == 1


def test_a_missing_single_page_view_falls_back_on_the_article_as_found(make_spider) -> None:
    spider = make_spider("jateng", template="tribun")
    url = BASE + TRIBUN
    request = article_request(url + "?page=all", single_view=True, plain_url=url)
    request.meta["discovered_url"] = url
    [retry] = spider.on_error(http_error(404, request))
    assert (retry.url, retry.callback, retry.errback) == (
        url,
        spider.parse_article,
        spider.on_error,
    )
    assert retry.meta["single_view"] is False and retry.meta["frontier_url"] == url + "?page=all"
    assert stats(spider)["missing/article_variant"] == 1


def test_a_guessed_feed_that_is_missing_is_no_error(make_spider) -> None:
    spider = make_spider(template="wordpress")
    request = Request(BASE + "/feed/", meta={"pantau_kind": "feed", "guessed": True})
    assert list(spider.on_error(http_error(404, request))) == []
    assert stats(spider) == {"missing/feed": 1}


def test_failed_article_requests_tell_the_frontier_what_became_of_them(make_spider) -> None:
    spider = make_spider(template="wordpress")
    url = BASE + JAMBI_POSTS[0]
    [timeout] = spider.on_error(failure(TCPTimedOutError(), article_request(url)))
    assert timeout == {
        "type": "frontier", "source": "jambi", "failed": [(url, "network: TCPTimedOutError")]
    }  # fmt: skip
    [robots] = spider.on_error(
        failure(IgnoreRequest("Forbidden by robots.txt"), article_request(url))
    )
    assert robots["gave_up"] == [(url, "robots.txt forbids it")]
    assert stats(spider) == {
        "errors/article": 1, "error_detail/network": 1, "robots/forbidden": 1,
    }  # fmt: skip


# ------------------------------------------------------------------------------- the whole spider


def test_callbacks_of_every_module_survive_request_serialisation(make_spider) -> None:
    """JOBDIR and scrapy-redis store a request's callback by name: the mixins' callbacks must
    be found on the spider object again."""
    spider = make_spider(template="wordpress")
    response = sitemap_response("/wp-sitemap.xml", "wpcore-jambi/wp-sitemap.xml")
    [child] = requests_of(list(spider.parse_sitemap(response)))
    article = spider._article_request(BASE + JAMBI_POSTS[0])
    for request in (child, article):
        data = request.to_dict(spider=spider)
        assert data["errback"] == "on_error"
        back = request_from_dict(data, spider=spider)
        assert (back.callback, back.errback) == (request.callback, spider.on_error)
    assert article.to_dict(spider=spider)["callback"] == "parse_article"


def test_each_job_of_the_spider_lives_in_its_own_module() -> None:
    """The spider is composed of one mixin per job (issue 16): a callback moved back into
    news.py, or into another job's module, fails here."""
    homes = {
        "pantau.spiders.news": ["from_crawler", "_setup", "initial_requests", "_inc"],
        "pantau.spiders.page_requests": ["_page_request", "_page_item", "_page_body"],
        "pantau.spiders.discovery_callbacks": [
            "parse_robots", "parse_feed", "parse_sitemap", "parse_listing", "parse_home",
        ],
        "pantau.spiders.frontier_scheduling": ["_consider", "_schedule", "_owed_requests", "on_idle"],
        "pantau.spiders.article_callbacks": ["parse_article", "parse_article_page", "_follow_redirect"],
        "pantau.spiders.error_callbacks": ["on_error", "_frontier_outcome"],
    }  # fmt: skip
    for module, names in homes.items():
        for name in names:
            assert getattr(NewsSpider, name).__module__ == module, name
    own = {k for k, v in vars(NewsSpider).items() if callable(v) or isinstance(v, classmethod)}
    assert own <= {
        "update_settings", "__init__", "from_crawler", "_setup", "_apply_site_politeness",
        "closed", "_inc", "_error", "_budget_left", "_now", "_is_old", "start",
        "initial_requests",
    }  # fmt: skip
