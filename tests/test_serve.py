"""`pantau serve`: Datasette over a real archive, checked through its JSON API and in a real
headless Chromium; plus the metadata's completeness against the schema and docs/schema.md."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
from pathlib import Path

import httpx
import pytest

from pantau.chart import chart_series, fill_time_gaps, svg_chart
from pantau.dashboard_browser import free_port, start_serve
from pantau.datasette_metadata import (
    CANNED_QUERIES,
    COLUMN_DESCRIPTIONS,
    TABLE_DESCRIPTIONS,
    datasette_metadata,
    schema_markdown,
)
from pantau.pipeline.archive.schema import TABLES
from pantau.pipeline.archive.store import Archive
from pantau.pipeline.config import Source
from pantau.pipeline.models import ExtractedArticle, TopicMatch
from tests.conftest import PANTAU, ROOT, SEEDS

CHROMIUM = "/usr/bin/chromium"
TOPIC = "revolusi-mental-asn"


def _seed_articles() -> list[tuple[dict, str]]:
    gold = json.loads((SEEDS / "gold.json").read_text(encoding="utf-8"))["articles"]
    out = []
    for g in gold:
        lines = (SEEDS / g["file"]).read_text(encoding="utf-8").splitlines()
        text = "\n".join(line.strip() for line in lines[1:] if line.strip())
        out.append((g, text))
    return out


def build_archive(path: Path) -> dict:
    """An archive of the five seed articles, one syndicated copy, one revision and alerts."""
    archive = Archive(path)
    seeds = _seed_articles()
    sources = [
        Source(name=f"seed-{n}", url=f"https://seed{n}.example/", region=g["region"])
        for n, (g, _) in enumerate(seeds)
    ]
    archive.sync_sources(sources)
    ids = []
    for n, (g, text) in enumerate(seeds):
        art = ExtractedArticle(
            url=f"https://seed{n}.example/berita/{n}",
            title=g["title"],
            text=text,
            published_at=f"{g['published_date']}T09:30:00+07:00",
            published_at_source="metadata",
            language="id",
            region=g["region"],
            word_count=len(text.split()),
        )
        matches = [TopicMatch(TOPIC, ["revolusi mental"], text[:120])]
        ids.append(
            archive.store_article(
                art, source=f"seed-{n}", fetched_url=art.url, matches=matches, config=None
            )
        )
    g0, text0 = seeds[0]
    copy = ExtractedArticle(
        url="https://mirror.example/2021/06/revolusi-mental-asn",
        title=g0["title"],
        text=text0,
        region=g0["region"],
        word_count=len(text0.split()),
    )
    archive.store_article(copy, source="seed-1", fetched_url=copy.url, matches=[], config=None)
    g2, text2 = seeds[2]
    updated = ExtractedArticle(
        url="https://seed2.example/berita/2",
        title=g2["title"] + " (diperbarui)",
        text=text2 + "\nPembaruan: acara diikuti seluruh kepala dinas.",
        region=g2["region"],
        word_count=len(text2.split()) + 6,
    )
    still = [TopicMatch(TOPIC, ["revolusi mental"], updated.text[:120])]
    archive.store_article(
        updated, source="seed-2", fetched_url=updated.url, matches=still, config=None
    )
    for n, status in enumerate(["sent", "pending", "dead"]):
        archive.db.execute(
            "INSERT INTO alerts(subscription, channel, story_id, article_id, kind, status, "
            "attempts, last_error, created_at, sent_at, webhook_id) "
            "VALUES (?, 'webhook', ?, ?, 'new', ?, ?, ?, '2026-01-01T00:00:00Z', ?, ?)",
            (
                "integrasi",
                ids[n].story_id,
                ids[n].article_id,
                status,
                n + 1,
                "HTTP 503" if status != "sent" else None,
                "2026-01-01T00:01:00Z" if status == "sent" else None,
                f"msg_test_{n}",
            ),
        )
    archive.db.conn.commit()
    archive.close()
    return {
        "titles": [g["title"] for g, _ in seeds],
        "copy_story": ids[0].story_id,
        "updated_article": ids[2].article_id,
    }


def _free_port() -> int:
    return free_port()


def _start(db: Path, port: int) -> subprocess.Popen:
    return start_serve(PANTAU, db, port, ROOT)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve")
    db = tmp / "archive.db"
    facts = build_archive(db)
    port = _free_port()
    proc = _start(db, port)
    yield {"base": f"http://127.0.0.1:{port}", "db": db, **facts}
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def _get(server: dict, path: str, **params) -> httpx.Response:
    r = httpx.get(server["base"] + path, params=params, timeout=30)
    assert r.status_code == 200, (path, r.status_code, r.text[:500])
    return r


# -- metadata ------------------------------------------------------------------------------


def test_every_table_and_column_is_described():
    for table, spec in TABLES.items():
        assert TABLE_DESCRIPTIONS.get(table), f"table {table} has no description"
        missing = set(spec["columns"]) - set(COLUMN_DESCRIPTIONS.get(table, {}))
        assert not missing, f"{table}: columns without a description: {sorted(missing)}"
        stale = set(COLUMN_DESCRIPTIONS[table]) - set(spec["columns"])
        assert not stale, f"{table}: descriptions of columns that do not exist: {sorted(stale)}"
    assert set(COLUMN_DESCRIPTIONS["articles_fts"]) == {"title", "text"}


def test_docs_schema_carries_the_same_text():
    doc = (ROOT / "docs" / "schema.md").read_text(encoding="utf-8")
    assert schema_markdown() in doc, "docs/schema.md is stale: paste schema_markdown() output"
    for name in CANNED_QUERIES:
        assert f"/pantau/{name}" in doc, f"docs/schema.md does not mention canned query {name}"


def test_metadata_shape():
    meta = datasette_metadata()
    assert meta["title"] == "Pantau archive"
    db = meta["databases"]["pantau"]
    assert db["tables"]["articles"]["columns"]["published_at"].startswith("Publication time")
    assert "articles_fts match" in db["queries"]["search"]["sql"]
    assert ":q" in db["queries"]["search"]["sql"]
    for name in (
        "new_stories_this_week",
        "stories_per_region_per_month",
        "articles_per_source",
        "matches_per_topic_per_day",
        "search",
        "alert_outbox",
        "coverage_over_time",
    ):
        assert name in db["queries"]


# -- chart (pure) --------------------------------------------------------------------------


def test_chart_series_splits_by_text_column_and_fills_months():
    x, labels, series = chart_series(
        ["region", "month", "stories"],
        [("Bengkulu", "2021-06", 2), ("Jawa Barat", "2021-08", 1), ("Bengkulu", "2021-08", 3)],
    )
    assert x == "month"
    assert labels == ["2021-06", "2021-07", "2021-08"]
    assert series == {"Bengkulu": [2.0, 0.0, 3.0], "Jawa Barat": [0.0, 0.0, 1.0]}
    svg = svg_chart(x, labels, series, title="t")
    assert svg.count("<polyline") == 2 and "Jawa Barat" in svg


def test_fill_time_gaps_leaves_other_labels_alone():
    assert fill_time_gaps(["2024-02-28", "2024-03-01"]) == [
        "2024-02-28",
        "2024-02-29",
        "2024-03-01",
    ]
    assert fill_time_gaps(["2023-12", "2024-01"]) == ["2023-12", "2024-01"]
    assert fill_time_gaps(["kalteng", "bengkulu"]) == ["kalteng", "bengkulu"]


# -- JSON API ------------------------------------------------------------------------------


def test_articles_json_lists_the_archive(server):
    rows = _get(server, "/pantau/articles.json", _shape="array", _size="max").json()
    titles = {r["title"] for r in rows}
    for title in server["titles"]:
        if title != server["titles"][2]:
            assert title in titles
    assert server["titles"][2] + " (diperbarui)" in titles
    assert len(rows) == 6  # five seeds plus the syndicated copy


def test_search_canned_query_uses_fts(server):
    rows = _get(server, "/pantau/search.json", q="Rohidin", _shape="array").json()
    assert rows, "FTS search found nothing"
    assert all("[Rohidin]" in r["snippet"] for r in rows)
    assert {r["title"] for r in rows} == {server["titles"][0]}
    assert _get(server, "/pantau/search.json", q="", _shape="array").json() == []
    phrase = _get(server, "/pantau/search.json", q='"revolusi mental"', _shape="array").json()
    assert len(phrase) >= 4


def test_analysis_queries(server):
    new = _get(server, "/pantau/new_stories_this_week.json", topic="", _shape="array").json()
    assert {r["title"] for r in new} >= set(server["titles"][:2])
    by_topic = _get(
        server, "/pantau/new_stories_this_week.json", topic=TOPIC, _shape="array"
    ).json()
    assert len(by_topic) == 5 and all(TOPIC in r["topics"] for r in by_topic)
    assert (
        _get(
            server, "/pantau/new_stories_this_week.json", topic="no-such-topic", _shape="array"
        ).json()
        == []
    )
    per_month = _get(
        server, "/pantau/stories_per_region_per_month.json", topic="", _shape="array"
    ).json()
    bengkulu = [r for r in per_month if r["region"] == "Bengkulu"]
    assert "2021-06" in {r["month"] for r in bengkulu}
    copies = _get(
        server, "/pantau/story_copies.json", story_id=server["copy_story"], _shape="array"
    ).json()
    assert len(copies) == 2
    assert {c["source"] for c in copies} == {"seed-0", "seed-1"}
    history = _get(
        server,
        "/pantau/article_history.json",
        article_id=server["updated_article"],
        _shape="array",
    ).json()
    assert [h["revision"] for h in history] == [1, 2]
    assert history[1]["title"].endswith("(diperbarui)")
    per_source = _get(server, "/pantau/articles_per_source.json", _shape="array").json()
    assert {r["source"]: r["articles"] for r in per_source}["seed-1"] == 2


def test_alert_outbox_query(server):
    rows = _get(server, "/pantau/alert_outbox.json", _shape="array").json()
    by_status = {r["status"]: r for r in rows}
    assert set(by_status) == {"sent", "pending", "dead"}
    assert by_status["dead"]["last_error"] == "HTTP 503"
    pending = _get(server, "/pantau/alerts_pending.json", _shape="array").json()
    assert {r["status"] for r in pending} == {"pending", "dead"}


def test_chart_output_format(server):
    page = _get(server, "/pantau/coverage_over_time.chart").text
    assert "<svg" in page and "<polyline" in page
    assert "2021-06" in page  # a month of the seeds' publication dates is on the x axis
    listing = _get(server, "/pantau/coverage_over_time").text
    assert "coverage_over_time.chart" in listing
    search = _get(server, "/pantau/search", q="birokrasi").text
    assert "search.chart" not in search  # ids and text only: nothing to plot


def test_ctrl_c_exits_cleanly(tmp_path):
    db = tmp_path / "empty.db"
    proc = _start(db, _free_port())
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, (out, err)
    assert "Traceback" not in err


def test_port_in_use_is_a_clean_error(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        res = subprocess.run(
            [*PANTAU, "--db", str(tmp_path / "a.db"), "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=str(ROOT),
        )
    assert res.returncode == 1
    assert f"could not serve on 127.0.0.1:{port}" in res.stderr
    assert "Traceback" not in res.stderr


# -- real browser --------------------------------------------------------------------------


def _dump_dom(url: str, tmp_path: Path) -> str:
    if not os.path.exists(CHROMIUM):
        pytest.skip(
            f"{CHROMIUM} is missing: install Debian's chromium package "
            "(apt-get install -y chromium) to run the browser tests"
        )
    profile = tmp_path / f"chromium-{abs(hash(url))}"
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--dump-dom",
        url,
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    shutil.rmtree(profile, ignore_errors=True)
    assert res.returncode == 0, res.stderr[-2000:]
    return res.stdout


def test_browser_index_and_articles(server, tmp_path):
    index = _dump_dom(server["base"] + "/", tmp_path)  # the dashboard (tests/test_dashboard.py)
    assert "Pantau: matched news coverage" in index
    assert "/pantau/new_stories_this_week" in index
    articles = _dump_dom(server["base"] + "/pantau/articles", tmp_path)
    for title in server["titles"][:2]:
        assert title in articles
    assert TABLE_DESCRIPTIONS["articles"] in articles


def test_browser_canned_query_and_chart(server, tmp_path):
    dom = _dump_dom(server["base"] + "/pantau/new_stories_this_week?topic=", tmp_path)
    assert "New stories this week" in dom
    for title in server["titles"][:2]:
        assert title in dom
    chart = _dump_dom(server["base"] + "/pantau/coverage_over_time.chart", tmp_path)
    assert "<svg" in chart and "Coverage over time" in chart


def test_id_columns_are_not_plotted():
    _, _, series = chart_series(["title", "id", "story_id"], [("a", 1, 2), ("b", 3, 4)])
    assert series == {}
