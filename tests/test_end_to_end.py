"""The walking skeleton, end to end: fixture web on loopback -> `pantau run` -> archive + alerts."""

from __future__ import annotations

import base64
import json
import sqlite3
import textwrap
from pathlib import Path

import pytest

from pantau.lock import RunLock
from pantau.sink import AlertSink
from tests.conftest import SEEDS, run_pantau

pytestmark = pytest.mark.slow

SECRET = "whsec_" + base64.b64encode(b"pantau-end-to-end-test-secret!").decode()
GOLD = json.loads((SEEDS / "gold.json").read_text())["articles"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Fixture web + signed-webhook sink + config dir, and two `pantau run`s over them."""
    from pantau.fixtureweb import FixtureWeb, sources_yaml

    tmp = tmp_path_factory.mktemp("e2e")
    web = FixtureWeb()
    web.start()
    sink = AlertSink(secret=SECRET).start()
    cfg = tmp / "config"
    cfg.mkdir()
    (cfg / "sources.yaml").write_text(sources_yaml(web))
    (cfg / "topics.yaml").write_text(Path("config/topics.yaml").read_text())
    (cfg / "subscriptions.yaml").write_text(
        textwrap.dedent(f"""
        subscriptions:
          - name: integrasi
            topics: [revolusi-mental-asn]
            channel: webhook
            url: {sink.url}/hooks/pantau
            secret: {SECRET}
            allow_private_network: true
    """)
    )
    db = tmp / "data" / "pantau.db"
    args = ("--config-dir", str(cfg), "--db", str(db))
    first = run_pantau(*args, "run")
    first_received = list(sink.received)
    web.clear_log()
    second = run_pantau(*args, "run")
    second_log = list(web.request_log)
    yield {
        "web": web,
        "sink": sink,
        "db": db,
        "args": args,
        "first": first,
        "second": second,
        "first_received": first_received,
        "second_log": second_log,
    }
    sink.stop()
    web.stop()


def test_first_run_succeeds(world):
    proc = world["first"]
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "source=" in proc.stdout or "crawl summary" in proc.stdout


def test_seed_articles_archived_once_with_clean_text(world):
    con = sqlite3.connect(world["db"])
    for gold in GOLD:
        rows = con.execute(
            "SELECT id, text FROM articles WHERE title = ? ", (gold["title"],)
        ).fetchall()
        assert len(rows) >= 1, f"missing: {gold['title']}"
        text = rows[0][1]
        assert gold["body_first"][:60] in text, gold["title"]
        for junk in gold["must_not_contain"]:
            assert junk not in text, (gold["title"], junk)
        for once in gold.get("once", []):
            assert text.count(once) == 1, (gold["title"], once)
    # every stored URL is unique and every story of a seed holds no duplicate of itself
    n, distinct = con.execute("SELECT count(*), count(DISTINCT url) FROM articles").fetchone()
    assert n == distinct


def test_only_relevant_stories_match(world):
    con = sqlite3.connect(world["db"])
    matched = {
        t
        for (t,) in con.execute(
            "SELECT a.title FROM matches m JOIN articles a ON a.id = m.article_id"
        )
    }
    for gold in GOLD:
        assert gold["title"] in matched, gold["title"]
    stories = con.execute(
        "SELECT count(DISTINCT a.story_id) FROM matches m JOIN articles a ON a.id = m.article_id"
    ).fetchone()[0]
    assert stories == len(GOLD), matched


def test_one_signed_webhook_per_matching_story(world):
    received = world["first_received"]
    assert not world["sink"].rejected
    con = sqlite3.connect(world["db"])
    story_ids = {
        s
        for (s,) in con.execute(
            "SELECT DISTINCT a.story_id FROM matches m JOIN articles a ON a.id = m.article_id"
        )
    }
    got = [r["json"]["data"]["story_id"] for r in received]
    assert sorted(got) == sorted(story_ids)
    for r in received:
        assert r["json"]["type"] == "article.matched"
        assert r["json"]["data"]["subscription"] == "integrasi"
        assert r["webhook_id"].startswith("msg_")
    statuses = {s for (s,) in con.execute("SELECT status FROM alerts")}
    assert statuses == {"sent"}


def article_paths(web) -> set[tuple[str, str]]:
    return {(name, a["path"]) for name, meta in web.sites.items() for a in meta["articles"]}


def test_second_run_sends_nothing_and_fetches_no_article(world):
    proc = world["second"]
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(world["sink"].received) == len(world["first_received"])
    known = article_paths(world["web"])
    fetched = [
        (site, path) for site, path, _ in world["second_log"] if (site, path.split("?")[0]) in known
    ]
    assert fetched == []
    assert world["second_log"], "the second run should still look at feeds/sitemaps"


def test_new_article_is_fetched_alone_and_alerted_once(world):
    web, sink = world["web"], world["sink"]
    before = len(sink.received)
    old = (
        "/berita/272591/workshop-revolusi-mental-digelar-untuk-bangun-pelayanan-publik-asn-sukamara"
    )
    html = Path("pantau/sample_sites/kalteng-antara" + old).read_text(encoding="utf-8")
    path = "/berita/299999/pelatihan-revolusi-mental-asn-lamandau"
    html = html.replace(old, path).replace("Sukamara", "Lamandau")
    html = html.replace("Workshop Revolusi Mental Digelar", "Pelatihan Revolusi Mental Digelar")
    web.publish_article(
        "kalteng-antara",
        path,
        html,
        title="Pelatihan Revolusi Mental Digelar Untuk ASN Lamandau",
        published="2026-11-23T09:00:00+07:00",
    )
    web.clear_log()
    proc = run_pantau(*world["args"], "run")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    known = article_paths(web)
    fetched = {
        path.split("?")[0]
        for site, path, _ in web.request_log
        if (site, path.split("?")[0]) in known
    }
    assert fetched == {path}
    con = sqlite3.connect(world["db"])
    row = con.execute("SELECT story_id FROM articles WHERE url LIKE ?", (f"%{path}",)).fetchone()
    assert row is not None
    new_msgs = sink.received[before:]
    assert len(new_msgs) <= 1  # a copy of a known story owes nothing; a new story owes one
    assert all(m["json"]["data"]["story_id"] == row[0] for m in new_msgs)


def test_search_finds_the_seed(world):
    proc = run_pantau(
        *world["args"], "search", '"revolusi mental" AND Sukamara', "--format", "json"
    )
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert rows and any("Sukamara" in r["title"] for r in rows)


def test_concurrent_run_exits_3(world):
    lock = RunLock(world["db"])
    lock.acquire()
    try:
        proc = run_pantau(*world["args"], "run", timeout=60)
    finally:
        lock.release()
    assert proc.returncode == 3
    assert "another pantau run" in proc.stderr


def test_search_output_formats(world):
    q = '"revolusi mental"'
    jsonl = run_pantau(*world["args"], "search", q, "--format", "jsonl")
    assert jsonl.returncode == 0, jsonl.stderr
    rows = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert len(rows) >= len(GOLD)
    assert {"title", "source", "region", "published_at", "snippet", "url"} <= rows[0].keys()
    assert any("[" in r["snippet"] and "]" in r["snippet"] for r in rows)  # highlighted
    dates = [r["published_at"] or "" for r in rows]
    assert dates == sorted(dates, reverse=True)  # newest first
    csv_out = run_pantau(*world["args"], "search", q, "--format", "csv", "--source", "kaltengdaily")
    lines = csv_out.stdout.strip().splitlines()
    assert lines[0].startswith("id,published_at,source") and len(lines) == 2
    assert "kaltengdaily" in lines[1]
    table = run_pantau(*world["args"], "search", q, "--region", "Bengkulu", "--since", "2021-01-01")
    assert "Revolusi Mental Untuk ASN" in table.stdout and "Sukamara" not in table.stdout
    bad = run_pantau(*world["args"], "search", '"revolusi mental" AND (ASN')
    assert bad.returncode == 2 and "bad query" in bad.stderr


def test_alerts_list_shows_the_outbox(world):
    proc = run_pantau(*world["args"], "alerts", "list", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert rows and {r["status"] for r in rows} == {"sent"}
    assert run_pantau(*world["args"], "alerts", "list", "--status", "dead").returncode == 0


def test_reextract_rebuilds_from_stored_html_without_fetching(world):
    web = world["web"]
    web.clear_log()
    con = sqlite3.connect(world["db"])
    before = con.execute("SELECT count(*), sum(word_count) FROM articles").fetchone()
    proc = run_pantau(*world["args"], "reextract")
    assert proc.returncode == 0, proc.stderr
    assert "reextracted" in proc.stdout and " 0 errors" in proc.stdout
    assert web.request_log == []
    after = con.execute("SELECT count(*), sum(word_count) FROM articles").fetchone()
    assert after == before  # same extractor, same archive


def test_json_log_format(world):
    proc = run_pantau("--log-format", "json", *world["args"], "crawl", "--source", "bandungbarat")
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert lines, "expected some log lines"
    for ln in lines:
        obj = json.loads(ln)
        assert {"ts", "level", "logger", "message"} <= obj.keys()


def test_alerts_test_sends_one_marked_message(world):
    sink = world["sink"]
    before = len(sink.received)
    proc = run_pantau(*world["args"], "alerts", "test", "integrasi")
    assert proc.returncode == 0, proc.stderr
    new = sink.received[before:]
    assert len(new) == 1 and new[0]["json"]["type"] == "test"
    assert run_pantau(*world["args"], "alerts", "test", "no-such-sub").returncode == 2


def test_run_leaves_search_tables_filled_and_the_index_merged(world):
    """After `pantau run`: every article's words are listed, every article's date block is
    bounded, and the post-run tidy has merged the FTS5 segments its commits created."""
    from pantau.pipeline.archive.upkeep import words_recorded_from

    con = sqlite3.connect(world["db"])
    try:
        assert words_recorded_from(con) == 0
        titles = [t for (t,) in con.execute("SELECT title FROM articles")]
        words = {w for (w,) in con.execute("SELECT word FROM article_words")}
        assert titles and {"revolusi", "mental"} <= words
        unbounded = con.execute(
            "SELECT count(*) FROM articles a LEFT JOIN article_date_blocks b "
            "ON b.block = a.id >> 10 WHERE b.max_date IS NULL "
            "OR COALESCE(a.published_at, a.first_seen_at, '') > b.max_date"
        ).fetchone()[0]
        assert unbounded == 0
        segments = con.execute("SELECT count(DISTINCT segid) FROM articles_fts_idx").fetchone()[0]
        assert segments <= 3, f"{segments} FTS segments left after the run's tidy"
    finally:
        con.close()
