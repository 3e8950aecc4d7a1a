"""The loopback fixture web: HTTP behaviour the crawl tests and the demo rely on."""

from __future__ import annotations

import socket
import threading
import xml.etree.ElementTree as ET

import httpx
import pytest
import yaml

from pantau.fixtureweb import FixtureWeb, normalize_query, path_candidates, sources_yaml
from pantau.pipeline.config import SourcesFile

SITES = {"beritarafflesia", "bandungbarat", "kaltengdaily", "kalteng-antara", "tribunpontianak",
         "sumselnews"}  # fmt: skip
TRIBUN = "/2019/10/07/kepala-bpsdm-asn-harus-miliki-nilai-dan-jiwa-melayani-masyarakat"
TRIBUN_LAST = (
    "Dalam konteks penerapan dilingkungan birokrasi nilai gotong royong dapat dilakukan melalui "
    "koordinasi harmonis antar instansi dan menghilangkan ego sektoral."
)
RAFFLESIA_SEED = "/revolusi-mental-untuk-asn-modal-dasar-birokrasi-bersih-dan-akuntabel/"


@pytest.fixture(scope="module")
def web():
    w = FixtureWeb()
    w.start()
    yield w
    w.stop()


@pytest.fixture
def client():
    with httpx.Client(timeout=10, follow_redirects=False) as c:
        yield c


def rss_links(text: str) -> list[str]:
    return [el.text for el in ET.fromstring(text).iter("link") if el.text][1:]  # skip channel


def sitemap_locs(text: str) -> list[str]:
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    return [el.text for el in ET.fromstring(text).iter(f"{ns}loc")]


def test_path_mapping_is_deterministic():
    assert normalize_query("s=Revolusi+Mental&feed=rss2") == "feed=rss2&s=revolusi-mental"
    assert path_candidates("/") == ["index.html"]
    assert path_candidates("/kategori/daerah/", "page=2") == ["kategori/daerah/index@page=2.html"]
    assert path_candidates("/a/b.html", "x=1") == ["a/b@x=1.html"]
    assert path_candidates("/2019/10/07/slug", "page=all") == [
        "2019/10/07/slug@page=all",
        "2019/10/07/slug@page=all.html",
        "2019/10/07/slug/index@page=all.html",
    ]


def test_every_site_and_article_is_served(web, client):
    assert set(web.urls) == SITES
    ports = {httpx.URL(u).port for u in web.urls.values()}
    assert len(ports) == len(SITES)
    total = 0
    for name, url in web.urls.items():
        assert url.startswith("http://127.0.0.1:") and url.endswith("/")
        home = client.get(url)
        assert home.status_code == 200, name
        assert home.headers["content-type"] == "text/html; charset=utf-8"
        assert "{{" not in home.text  # every placeholder resolved
        for a in web.sites[name]["articles"]:
            assert a["path"].startswith("/")
            r = client.get(web.url(name, a["path"]))
            assert r.status_code == 200, (name, a["path"])
            assert a["title"].split(":")[0][:20] in r.text
            assert web.base(name) in r.text and "{{BASE}}" not in r.text
            total += 1
    assert 20 <= total <= 80


def test_metadata_resolved_and_sources_yaml_is_valid_config(web):
    for name, meta in web.sites.items():
        assert meta["name"] == name
        for url in meta.get("feeds", []) + meta.get("sitemaps", []) + meta.get("listings", []):
            assert url.startswith(web.base(name) + "/")
    data = yaml.safe_load(sources_yaml(web))
    parsed = SourcesFile.model_validate(data)
    assert {s.name for s in parsed.sources} == SITES
    rafflesia = next(s for s in parsed.sources if s.name == "beritarafflesia")
    assert rafflesia.search_url == web.base("beritarafflesia") + "/?s={query}"
    assert rafflesia.template == "wordpress" and rafflesia.region == "Bengkulu"


def test_404_and_content_types(web, client):
    assert client.get(web.url("sumselnews", "/no/such/page/")).status_code == 404
    assert client.get(web.url("sumselnews", "/site.json")).status_code == 404
    assert client.get(web.url("sumselnews", "/_listing_shell.html")).status_code == 404
    r = client.get(web.url("beritarafflesia", "/feed/"))
    assert r.headers["content-type"] == "application/rss+xml; charset=utf-8"
    r = client.get(web.url("kaltengdaily", "/news-sitemap.xml"))
    assert r.headers["content-type"] == "application/xml; charset=utf-8"
    assert "news:publication_date" in r.text
    r = client.get(web.url("kaltengdaily", "/robots.txt"))
    assert r.headers["content-type"] == "text/plain; charset=utf-8"


def test_conditional_requests(web, client):
    url = web.url("kalteng-antara", "/rss/terkini.xml")
    first = client.get(url)
    etag, lm = first.headers["etag"], first.headers["last-modified"]
    assert etag.startswith('"') and lm.endswith("GMT")
    assert client.get(url).headers["etag"] == etag  # stable
    r = client.get(url, headers={"If-None-Match": etag})
    assert r.status_code == 304 and r.content == b"" and r.headers["etag"] == etag
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get(url, headers={"If-Modified-Since": lm}).status_code == 304
    old = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert client.get(url, headers={"If-Modified-Since": old}).status_code == 200
    # If-None-Match wins over If-Modified-Since
    r = client.get(url, headers={"If-None-Match": '"other"', "If-Modified-Since": lm})
    assert r.status_code == 200
    # an article page's Last-Modified is its own (fixed) time, not the clock
    page = client.get(web.url("beritarafflesia", RAFFLESIA_SEED))
    assert page.headers["last-modified"] == "Mon, 21 Jun 2021 08:52:00 GMT"


def test_query_strings_map_to_files(web, client):
    base = web.url("tribunpontianak", TRIBUN)
    p1, p2, p3, pall = (client.get(base + q).text for q in ("", "?page=2", "?page=3", "?page=all"))
    assert "?page=2" in p1 and "Halaman" in p1
    assert "Para ASN juga harus dilengkapi" not in p1 and "Para ASN juga harus dilengkapi" in p2
    assert TRIBUN_LAST in p3 and TRIBUN_LAST not in p1 + p2
    assert TRIBUN_LAST in pall and "Hal itu perlu dilakukan agar para ASN" in pall
    # an unknown query string falls back to the page itself, as most servers do
    assert client.get(base + "?utm_source=x").text == p1


def test_site_search_and_search_feed(web, client):
    r = client.get(web.url("beritarafflesia", "/?s=revolusi+mental"))
    assert r.status_code == 200 and "Hasil pencarian" in r.text
    assert RAFFLESIA_SEED in r.text
    pppk = client.get(web.url("beritarafflesia", "/?s=PPPK")).text
    assert "usulkan-formasi-pppk-tenaga-guru/" in pppk
    assert "gerakan-revolusi-mental-masuk-sekolah" not in pppk  # no "pppk" on that page
    feed = client.get(web.url("beritarafflesia", "/?s=revolusi%20mental&feed=rss2"))
    assert feed.headers["content-type"].startswith("application/rss+xml")
    links = rss_links(feed.text)
    assert web.url("beritarafflesia", RAFFLESIA_SEED) in links
    assert all("revolusi" in client.get(u).text.lower() for u in links)
    empty = client.get(web.url("beritarafflesia", "/?s=zzzyyyxxx"))
    assert empty.status_code == 200 and "Tidak ditemukan" in empty.text


def test_listing_pagination(web, client):
    p1 = client.get(web.url("beritarafflesia", "/kategori/pemprov/"))
    p2 = client.get(web.url("beritarafflesia", "/kategori/pemprov/page/2/"))
    assert p1.status_code == p2.status_code == 200
    assert "/kategori/pemprov/page/2/" in p1.text and 'rel="next"' in p1.text
    assert client.get(web.url("beritarafflesia", "/kategori/pemprov/page/9/")).status_code == 404
    q1 = client.get(web.url("kalteng-antara", "/terkini"))
    q2 = client.get(web.url("kalteng-antara", "/terkini?page=2"))
    assert q2.status_code == 200 and "/terkini?page=2" in q1.text
    assert q1.text != q2.text
    # the home page is a listing, not an article
    home = client.get(web.urls["sumselnews"]).text
    assert 'class="post-item"' in home and 'rel="alternate" type="application/rss+xml"' in home


def test_robots_and_sitemaps(web, client):
    robots = client.get(web.url("beritarafflesia", "/robots.txt")).text
    assert f"Sitemap: {web.base('beritarafflesia')}/wp-sitemap.xml" in robots
    assert "Disallow: /arsip-internal/" in robots
    index = client.get(web.url("beritarafflesia", "/wp-sitemap.xml")).text
    (child,) = sitemap_locs(index)
    locs = sitemap_locs(client.get(child).text)
    # the sitemap lists a disallowed URL: a polite crawler must still skip it
    assert any("/arsip-internal/" in u for u in locs)
    assert web.url("beritarafflesia", RAFFLESIA_SEED) in locs
    # bandungbarat has no Sitemap: line; /sitemap.xml must still be there
    assert "Sitemap:" not in client.get(web.url("bandungbarat", "/robots.txt")).text
    assert client.get(web.url("bandungbarat", "/sitemap.xml")).status_code == 200


def test_request_log_and_clear(web, client):
    web.clear_log()
    client.get(web.url("sumselnews", "/feed?x=1"))
    client.get(web.url("sumselnews", "/missing"))
    assert ("sumselnews", "/feed?x=1", 200) in web.request_log
    assert ("sumselnews", "/missing", 404) in web.request_log
    assert web.requests_for("sumselnews")[-1] == ("/missing", 404)
    web.clear_log()
    assert web.request_log == []


def test_redirect_and_fail_override(web, client):
    r = client.get(
        web.url("sumselnews", "/berita/2016/12/07/workshop-revolusi-mental-asn-sukamara")
    )
    assert r.status_code == 301
    assert r.headers["location"].startswith(web.base("sumselnews") + "/read/2016/12/07/")
    url = web.url("kaltengdaily", "/galeri/")
    web.fail("kaltengdaily", "/galeri/", 503, times=2, headers={"Retry-After": "1"})
    first = client.get(url)
    assert first.status_code == 503 and first.headers["retry-after"] == "1"
    assert client.get(url).status_code == 503
    assert client.get(url).status_code == 200


def test_amp_variant_points_to_canonical(web, client):
    meta = web.sites["sumselnews"]
    synd = next(a for a in meta["articles"] if a.get("amp"))
    amp = client.get(web.url("sumselnews", synd["amp"])).text
    assert "<html amp" in amp
    assert f'<link rel="canonical" href="{web.url("sumselnews", synd["path"])}">' in amp


def test_publish_article_tops_feed_listing_and_sitemap():
    with FixtureWeb() as w, httpx.Client(timeout=10) as c:
        feed_url = w.url("beritarafflesia", "/feed/")
        before = c.get(feed_url)
        path = "/asn-bengkulu-ikuti-pelatihan-revolusi-mental-angkatan-ii/"
        html = "<html><head><title>Baru</title></head><body><h1>Baru</h1><p>Isi.</p></body></html>"
        w.publish_article(
            "beritarafflesia",
            path,
            html,
            "ASN Bengkulu Ikuti Pelatihan",
            published="2021-06-25T10:00:00+07:00",
            category="pemprov",
        )
        assert c.get(w.url("beritarafflesia", path)).text == html
        after = c.get(feed_url, headers={"If-None-Match": before.headers["etag"]})
        assert after.status_code == 200
        assert rss_links(after.text)[0] == w.url("beritarafflesia", path)
        listing = c.get(w.url("beritarafflesia", "/kategori/pemprov/")).text
        assert path in listing
        assert path in c.get(w.url("beritarafflesia", "/")).text
        locs = sitemap_locs(c.get(w.url("beritarafflesia", "/wp-sitemap-posts-post-1.xml")).text)
        assert w.url("beritarafflesia", path) in locs
        assert w.sites["beritarafflesia"]["articles"][0]["path"] == path
        # add_file replaces a page in place: new body, new ETag
        old = c.get(w.url("beritarafflesia", RAFFLESIA_SEED))
        w.add_file(
            "beritarafflesia", RAFFLESIA_SEED, old.text.replace("tutup Rohidin", "kata Rohidin")
        )
        new = c.get(w.url("beritarafflesia", RAFFLESIA_SEED))
        assert "kata Rohidin" in new.text and new.headers["etag"] != old.headers["etag"]
    # nothing was written to the bundled files
    with FixtureWeb() as w2, httpx.Client(timeout=10) as c:
        assert c.get(w2.url("beritarafflesia", path)).status_code == 404


def test_stop_releases_ports_and_threads(tmp_path):
    site = tmp_path / "mini"
    site.mkdir()
    (site / "site.json").write_text(
        '{"title": "Mini", "routes": [{"path": "/feed", "kind": "rss"}]}'
    )
    (site / "index.html").write_text('<a href="{{BASE}}/x/">x</a>')
    w = FixtureWeb(tmp_path)
    urls = w.start()
    port = httpx.URL(urls["mini"]).port
    r = httpx.get(urls["mini"])
    assert r.text == f'<a href="{w.base("mini")}/x/">x</a>'
    assert httpx.get(w.url("mini", "/feed")).status_code == 200
    w.stop()
    w.stop()  # idempotent
    assert not [t for t in threading.enumerate() if t.name == "fixtureweb-mini"]
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_refuses_non_loopback():
    with pytest.raises(ValueError):
        FixtureWeb(host="0.0.0.0")
