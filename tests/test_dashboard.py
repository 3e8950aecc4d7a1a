"""The analyst's dashboard (`pantau serve` landing page): its SQL through Datasette's JSON API,
and the page itself rendered by headless Chromium with every host but loopback unreachable:
each chart drawn, the numbers equal to SQL counts on the same archive, no resource from outside,
and a screenshot."""

from __future__ import annotations

import html
import http.server
import os
import re
import signal
import sqlite3
import struct
import subprocess
import threading
from datetime import date
from functools import partial
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import datasette_dashboards
import httpx
import lxml.html
import pytest

from pantau.dashboard import (
    DASHBOARD_PATH,
    FILTERS,
    LATEST_LIMIT,
    dashboard_config,
    html_sql,
    province_sql,
)
from pantau.dashboard_browser import CHROMIUM, WINDOW, free_port, run_chromium, start_serve
from pantau.pipeline.archive.store import Archive
from pantau.pipeline.models import ExtractedArticle, TopicMatch
from tests.conftest import PANTAU, ROOT
from tests.test_serve import TOPIC, build_archive

TOPIC2 = "pelayanan-publik"
# a headline as a crawled page could give it: markup in it must stay text in the table card
EVIL_TITLE = 'Revolusi mental <b>ASN</b> & "birokrasi" <img src=x onerror="alert(1)">'
CHARTS = ("over_time", "provinces", "by_source")
METRICS = ("stories", "articles", "sources", "alerts_owed")


def _add_second_topic(db: Path) -> None:
    """A story of a second topic, in a kabupaten of Kalimantan Tengah, with markup in its title,
    and a second match for the seed article of 2016 so that one story has two topics."""
    archive = Archive(db)
    text = (
        "SUKAMARA - Pemerintah Kabupaten Sukamara meluncurkan layanan antrean daring di mal "
        "pelayanan publik. Kepala dinas menyebut revolusi mental aparatur menuntut pelayanan "
        "yang cepat, ramah dan tanpa pungutan. Warga kini cukup mendaftar dari rumah."
    )
    art = ExtractedArticle(
        url="https://seed3.example/berita/antrean-daring",
        title=EVIL_TITLE,
        text=text,
        published_at="2021-07-05T10:00:00+07:00",
        published_at_source="metadata",
        language="id",
        region="Kab. Sukamara, Kalimantan Tengah",
        word_count=len(text.split()),
    )
    archive.store_article(
        art,
        source="seed-3",
        fetched_url=art.url,
        matches=[TopicMatch(TOPIC2, ["pelayanan publik"], text[:100])],
        config=None,
    )
    archive.db.execute(
        "INSERT INTO matches(article_id, topic, snippet, matched_terms, content_hash, matched_at) "
        "SELECT a.id, ?, 'Workshop ' || substr(a.text, 1, 80), '[\"pelayanan publik\"]', "
        "a.content_hash, '2026-01-01T00:00:00Z' FROM articles a WHERE a.published_at LIKE '2016%'",
        (TOPIC2,),
    )
    archive.db.conn.commit()
    archive.close()


def _counts(db: Path, where: str = "1", params: tuple = ()) -> dict[str, int]:
    """The dashboard's four numbers, counted here in plain SQL of their own."""
    conn = sqlite3.connect(db)
    base = f"FROM matches m JOIN articles a ON a.id = m.article_id WHERE {where}"

    def one(sql: str) -> int:
        return conn.execute(sql, params).fetchone()[0]

    out = {
        "stories": one(f"SELECT count(DISTINCT a.story_id) {base}"),
        "articles": one(f"SELECT count(DISTINCT a.id) {base}"),
        "sources": one(f"SELECT count(DISTINCT a.source) {base}"),
        "alerts_owed": one(
            "SELECT count(*) FROM alerts WHERE status = 'pending' AND story_id IN "
            f"(SELECT a.story_id {base})"
        ),
    }
    conn.close()
    return out


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dashboard")
    db = tmp / "archive.db"
    build_archive(db)
    _add_second_topic(db)
    port = free_port()
    proc = start_serve(PANTAU, db, port, ROOT)
    yield {"base": f"http://127.0.0.1:{port}", "db": db}
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def _rows(server: dict, slug: str, **filters: str) -> list[dict]:
    chart = dashboard_config()["coverage"]["charts"][slug]
    params = {"sql": chart["query"], "_shape": "array", **{k: "" for k in FILTERS}, **filters}
    r = httpx.get(server["base"] + "/pantau.json", params=params, timeout=30)
    assert r.status_code == 200, r.text[:500]
    return r.json()


# -- pure ------------------------------------------------------------------------------------


def test_province_sql_takes_the_part_after_the_last_comma():
    conn = sqlite3.connect(":memory:")
    got = {
        v: conn.execute(f"SELECT {province_sql(':v')}", {"v": v}).fetchone()[0]
        for v in ("Kab. Bandung Barat, Jawa Barat", "Bengkulu", "Kec. A, Kab. B, Papua", "", None)
    }
    assert got == {
        "Kab. Bandung Barat, Jawa Barat": "Jawa Barat",
        "Bengkulu": "Bengkulu",
        "Kec. A, Kab. B, Papua": "Papua",
        "": "(unknown)",
        None: "(unknown)",
    }


def test_html_sql_escapes_markup():
    conn = sqlite3.connect(":memory:")
    out = conn.execute(f"SELECT {html_sql(':v')}", {"v": EVIL_TITLE}).fetchone()[0]
    assert out == html.escape(EVIL_TITLE, quote=False).replace('"', "&quot;")
    assert "<" not in out and ">" not in out and '"' not in out
    assert out.startswith("Revolusi mental &lt;b&gt;ASN&lt;/b&gt; &amp; &quot;birokrasi&quot;")


def test_every_chart_is_in_the_layout_and_filters_are_declared():
    dash = dashboard_config()["coverage"]
    placed = {slug for row in dash["layout"] for slug in row}
    assert placed == set(dash["charts"])
    assert tuple(dash["filters"]) == FILTERS
    for chart in dash["charts"].values():
        assert not re.search(r"https?://\w", str(chart)), chart["title"]  # no outside host


# -- SQL through Datasette -------------------------------------------------------------------


def test_root_redirects_to_the_dashboard(server):
    r = httpx.get(server["base"] + "/", follow_redirects=False, timeout=30)
    assert r.status_code == 302 and r.headers["location"] == DASHBOARD_PATH
    assert httpx.get(server["base"] + "/.json", timeout=30).status_code == 200


def test_metric_queries_equal_sql_counts(server):
    for filters, where, params in (
        ({}, "1", ()),
        ({"topic": TOPIC2}, "m.topic = ?", (TOPIC2,)),
        (
            {"province": "Kalimantan Tengah"},
            "(a.region = ? OR a.region LIKE ?)",
            ("Kalimantan Tengah", "%, Kalimantan Tengah"),
        ),
        ({"source": "seed-3"}, "a.source = ?", ("seed-3",)),
        (
            {"date_start": "2021-06-01", "date_end": "2021-07-31"},
            "substr(a.published_at, 1, 10) BETWEEN ? AND ?",
            ("2021-06-01", "2021-07-31"),
        ),
    ):
        expected = _counts(server["db"], where, params)
        got = {slug: _rows(server, slug, **filters)[0]["n"] for slug in METRICS}
        assert got == expected, filters
    assert _counts(server["db"])["alerts_owed"] == 1  # the fixture has one pending alert


def test_over_time_is_daily_weekly_or_monthly_by_range(server):
    daily = _rows(server, "over_time", date_start="2021-06-01", date_end="2021-07-31")
    assert {r["grain"] for r in daily} == {"day"}
    days = sorted({r["period"] for r in daily})
    assert days[0] == "2021-06-01" and days[-1] == "2021-07-31" and len(days) == 61
    hits = {(r["period"], r["topic"]): r["stories"] for r in daily if r["stories"]}
    assert hits == {
        ("2021-06-21", TOPIC): 1,
        ("2021-07-05", TOPIC2): 1,
        ("2021-07-29", TOPIC): 1,
    }
    weekly = _rows(server, "over_time", date_start="2021-01-01", date_end="2022-12-31")
    assert {r["grain"] for r in weekly} == {"week"}
    assert all(date.fromisoformat(r["period"]).weekday() == 0 for r in weekly)  # Mondays
    monthly = _rows(server, "over_time")  # 2016-12 to 2022-12
    assert {r["grain"] for r in monthly} == {"month"}
    per_topic: dict[str, int] = {}
    for r in monthly:
        assert r["period"].endswith("-01")
        per_topic[r["topic"]] = per_topic.get(r["topic"], 0) + r["stories"]
    conn = sqlite3.connect(server["db"])
    expected = dict(
        conn.execute(
            "SELECT m.topic, count(DISTINCT a.story_id) FROM matches m "
            "JOIN articles a ON a.id = m.article_id GROUP BY m.topic"
        ).fetchall()
    )
    conn.close()
    assert per_topic == expected


def test_latest_links_article_and_copies_and_keeps_markup_as_text(server):
    rows = _rows(server, "latest")
    assert len(rows) == min(LATEST_LIMIT, _counts(server["db"])["stories"])
    assert [r["date"] for r in rows] == sorted((r["date"] for r in rows), reverse=True)
    evil = next(r for r in rows if "antrean" in r["story"])
    assert "<b>" not in evil["story"] and "&lt;b&gt;ASN&lt;/b&gt;" in evil["story"]
    assert evil["story"].startswith('<a href="https://seed3.example/berita/antrean-daring">')
    conn = sqlite3.connect(server["db"])
    story_id, url, count = conn.execute(
        "SELECT s.id, a.url, s.article_count FROM stories s JOIN articles a "
        "ON a.id = s.first_article_id WHERE s.article_count = 2"
    ).fetchone()
    conn.close()
    copy_row = next(r for r in rows if f'href="{url}"' in r["story"])
    assert copy_row["copies"] == f'<a href="/pantau/story_copies?story_id={story_id}">2 copies</a>'
    assert count == 2
    none = _rows(server, "latest", source="no-such-source")
    assert none[0]["story"] == "No matched stories for these filters"  # the card never breaks


# -- the browser, offline --------------------------------------------------------------------


def _need_chromium() -> None:
    if not os.path.exists(CHROMIUM):
        pytest.skip(
            f"{CHROMIUM} is missing: install Debian's chromium package "
            "(apt-get install -y chromium) to run the browser tests"
        )


def _dom(url: str, tmp_path: Path) -> lxml.html.HtmlElement:
    _need_chromium()
    return lxml.html.fromstring(run_chromium(url, tmp_path, dump_dom=True))


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "data":  # inline, fetched from nowhere
        return True
    return not parts.scheme and not parts.netloc or parts.hostname == "127.0.0.1"


def _marks(doc: lxml.html.HtmlElement, slug: str, kind: str) -> list[dict[str, str]]:
    """The data behind each drawn mark, from the ARIA labels Vega's SVG renderer writes."""
    out = []
    for el in doc.xpath(f'//*[@id="chart-{slug}"]//*[@aria-roledescription="{kind}"]'):
        fields = (p.split(": ", 1) for p in el.get("aria-label", "").split("; "))
        out.append({k: v for k, v in fields})
    return out


def test_browser_blocks_a_cdn(tmp_path):
    """The browser flags the dashboard test runs with: a CDN script (by name or by IP) fails,
    a script on loopback loads. Without this, 'offline' would be a claim, not a condition."""
    _need_chromium()
    (tmp_path / "local.js").write_text("document.body.dataset.local = 'ran';", encoding="utf-8")
    mark = "onload=\"document.body.dataset.{0} = 'loaded'\" onerror=\"document.body.dataset.{0} = 'failed'\""
    (tmp_path / "page.html").write_text(
        "<!DOCTYPE html><html><body>"
        f'<script src="https://cdn.jsdelivr.net/npm/vega@6" {mark.format("cdn")}></script>'
        f'<script src="http://151.101.1.229/npm/vega@6" {mark.format("ip")}></script>'
        '<script src="local.js"></script></body></html>',
        encoding="utf-8",
    )
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        doc = _dom(f"http://127.0.0.1:{httpd.server_port}/page.html", tmp_path)
    finally:
        httpd.shutdown()
    body = doc.body
    assert body.get("data-local") == "ran"
    assert body.get("data-cdn") == "failed" and body.get("data-ip") == "failed"


def test_dashboard_renders_offline_with_sql_numbers(server, tmp_path):
    doc = _dom(server["base"] + "/", tmp_path)  # `/` redirects to the dashboard
    assert doc.xpath("//h1")[0].text_content().strip() == "Pantau: matched news coverage"
    expected = _counts(server["db"])
    for slug in METRICS:
        shown = doc.xpath(f'//*[@id="chart-{slug}"]//p')
        assert shown, f"metric {slug} was not drawn"
        assert int(shown[0].text_content()) == expected[slug], slug
    for slug in CHARTS:
        assert doc.xpath(f'//*[@id="chart-{slug}"]//svg[contains(@class, "marks")]'), slug
    provinces = {m["province"]: int(m["stories"]) for m in _marks(doc, "provinces", "bar")}
    assert provinces == {r["province"]: r["stories"] for r in _rows(server, "provinces")}
    assert provinces["Kalimantan Tengah"] == 3
    sources = {m["source"]: int(m["stories"]) for m in _marks(doc, "by_source", "bar")}
    assert sources == {r["source"]: r["stories"] for r in _rows(server, "by_source")}
    assert sources["seed-3"] == 2  # the 2016 story and the markup-titled one
    points = _marks(doc, "over_time", "point")
    by_topic: dict[str, int] = {}
    for p in points:
        by_topic[p["topic"]] = by_topic.get(p["topic"], 0) + int(p["stories"])
    assert by_topic == {TOPIC: 5, TOPIC2: 2}
    table = doc.xpath('//*[@id="chart-latest"]//table/tbody/tr')
    assert len(table) == expected["stories"]
    links = doc.xpath('//*[@id="chart-latest"]//a/@href')
    assert "https://seed3.example/berita/antrean-daring" in links
    assert any(h.startswith("/pantau/story_copies?story_id=") for h in links)
    evil = doc.xpath('//*[@id="chart-latest"]//a[contains(@href, "antrean")]')[0]
    assert evil.text_content() == EVIL_TITLE and not evil.xpath(".//b|.//img")
    assert doc.xpath('//a[@href="/pantau/search"]'), "the links of the old index page are gone"
    # every script, style sheet, image and frame came from Pantau itself
    resources = doc.xpath("//script/@src | //link/@href | //img/@src | //iframe/@src")
    assert any("vega-embed" in r for r in resources)
    assert all(_is_local(r) for r in resources), [r for r in resources if not _is_local(r)]


def test_dashboard_filters_in_the_browser(server, tmp_path):
    query = {k: "" for k in FILTERS} | {"province": "Kalimantan Tengah"}
    doc = _dom(f"{server['base']}{DASHBOARD_PATH}?{urlencode(query)}", tmp_path)
    expected = _counts(
        server["db"],
        "(a.region = ? OR a.region LIKE ?)",
        ("Kalimantan Tengah", "%, Kalimantan Tengah"),
    )
    for slug in METRICS:
        assert int(doc.xpath(f'//*[@id="chart-{slug}"]//p')[0].text_content()) == expected[slug]
    assert {m["province"] for m in _marks(doc, "provinces", "bar")} == {"Kalimantan Tengah"}
    selected = doc.xpath('//select[@id="province"]/option[@selected]/@value')
    assert selected == ["Kalimantan Tengah"]


def test_served_pages_and_styles_name_no_outside_resource(server):
    page = httpx.get(server["base"] + DASHBOARD_PATH, timeout=30).text
    doc = lxml.html.fromstring(page)
    for href in doc.xpath("//link[@rel='stylesheet']/@href"):
        css = httpx.get(server["base"] + href, timeout=30)
        assert css.status_code == 200, href
        for ref in re.findall(r"url\(\s*['\"]?([^'\")]+)|@import\s+['\"]([^'\"]+)", css.text):
            assert _is_local(ref[0] or ref[1]), (href, ref)
    inline = " ".join(doc.xpath("//script[not(@src)]/text()"))
    assert not re.search(r"https?://(?!127\.0\.0\.1)\w", inline)  # ('http://%' is SQL)


def test_screenshot_is_a_png(server, tmp_path):
    _need_chromium()
    shot = tmp_path / "dashboard.png"
    run_chromium(server["base"] + "/", tmp_path, screenshot=shot)
    for png in (shot, ROOT / "docs" / "img" / "dashboard.png"):
        data = png.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", png
        assert len(data) > 30_000, f"{png}: {len(data)} bytes, a blank page?"
    assert struct.unpack(">II", shot.read_bytes()[16:24]) == WINDOW


def test_docs_show_the_screenshot_and_the_bundled_versions():
    doc = (ROOT / "docs" / "dashboard.md").read_text(encoding="utf-8")
    assert "img/dashboard.png" in doc
    assert "docs/dashboard.md" in (ROOT / "README.md").read_text(encoding="utf-8")
    static = Path(datasette_dashboards.__file__).parent / "static"
    lite = re.search(r'var n="(\d+\.\d+\.\d+)"', (static / "vega-lite.min.js").read_text())
    vega = re.search(r'version="(\d+\.\d+\.\d+)"', (static / "vega.min.js").read_text())
    assert lite and f"vega-lite {lite.group(1)}" in doc
    assert vega and f"vega {vega.group(1)}" in doc
