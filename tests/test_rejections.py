"""Rejections are never silent: a fetched article candidate that gives no article is a `pages`
row with its kind, reason and signals, a count in the run summary and `crawl_runs`, a flag in
`pantau status` on that very run, a row of the Datasette query `rejected_pages`, and a plain
account in `pantau extract --explain`.

The crawl serves real pages over real HTTP on 127.0.0.1: corpus index pages (detik, kompas)
and a real article's page with its body gone (a JS shell), all under article-shaped URLs that
the source's feed lists, as a site whose template changed does.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import sqlite3
import threading
import zlib
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import lxml.html
import pytest
import yaml

from pantau.pipeline.archive.store import Archive, open_db
from pantau.pipeline.config import PantauConfig, Source
from pantau.pipeline.scrapy_pipeline import summarise_stats
from pantau.status import source_health
from tests.conftest import corpus_file, run_pantau

HTML = "text/html; charset=utf-8"
INDEX_PAGES = ["detik-listing-1.html", "detik-tag-1.html", "kompas-home-1.html"]
ARTICLE = "seed-003.html"  # a real Antara article on "revolusi mental" among ASN
ARTICLES_OK = ["seed-000.html", "seed-001.html", "seed-002.html"]
TOPICS = {"topics": [{"name": "revolusi-mental", "query": '"revolusi mental"'}]}


def _bodiless(name: str) -> bytes:
    """A real article page whose body never arrived (a JS shell): its head, an empty body."""
    tree = lxml.html.fromstring(corpus_file(name).read_bytes())
    body = tree.find("body")
    for child in list(body):
        body.remove(child)
    body.text = "\n"
    return lxml.html.tostring(tree, encoding="utf-8")


class Site:
    """One news site on loopback: a home page, an RSS feed and the pages under `paths`."""

    def __init__(self, pages: dict[str, bytes]):
        self.pages = pages
        self.fetched: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # http.server naming
                path = self.path.split("?")[0]
                site.fetched.append(path)
                body = site.body(path)
                ctype = "application/rss+xml; charset=utf-8" if path == "/feed" else HTML
                self.send_response(404 if body is None else 200)
                self.send_header("Content-Type", ctype)
                body = body or b"<h1>404</h1>"
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def body(self, path: str) -> bytes | None:
        if path == "/":
            return b"<html><head><title>Beranda</title></head><body><h1>Beranda</h1></body></html>"
        if path == "/feed":
            return self.feed()
        return self.pages.get(path)

    def feed(self) -> bytes:
        now = datetime.now(UTC)
        items = "".join(
            f"<item><title>Berita {n}</title><link>{self.base}{path}</link>"
            f"<pubDate>{email.utils.format_datetime(now - timedelta(hours=n + 1))}</pubDate>"
            "</item>"
            for n, path in enumerate(self.pages)
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Situs</title><link>{self.base}/</link>{items}</channel></rss>"
        ).encode()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _path(n: int, slug: str) -> str:
    return f"/berita/2026/12/0{n + 1}/{slug}-pemkab-gelar-rapat-pelayanan-publik"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Two sources crawled once: `berubah` (its article pages are index pages now, one page
    has no body, one is a real article) and `sehat` (three articles, one index page)."""
    tmp = tmp_path_factory.mktemp("rejections")
    changed = {_path(n, f"indeks-{n}"): corpus_file(name).read_bytes() for n, name in
               enumerate(INDEX_PAGES)}  # fmt: skip
    changed[_path(5, "kosong")] = _bodiless("kapanlagi-1.html")
    changed[_path(6, "revolusi-mental")] = corpus_file(ARTICLE).read_bytes()
    healthy = {_path(n, f"artikel-{n}"): corpus_file(name).read_bytes() for n, name in
               enumerate(ARTICLES_OK)}  # fmt: skip
    healthy[_path(7, "tag")] = corpus_file("detik-tag-1.html").read_bytes()
    sites = {"berubah": Site(changed), "sehat": Site(healthy)}
    cfg = tmp / "config"
    cfg.mkdir()
    sources = [
        {
            "name": name,
            "url": site.base + "/",
            "template": "generic",
            "feeds": [site.base + "/feed"],
        }
        for name, site in sites.items()
    ]
    (cfg / "sources.yaml").write_text(yaml.safe_dump({"sources": sources}, sort_keys=False))
    (cfg / "topics.yaml").write_text(yaml.safe_dump(TOPICS, sort_keys=False))
    db = tmp / "pantau.db"
    args = ["--config-dir", str(cfg), "--db", str(db)]
    proc = run_pantau(*args, "crawl")
    yield {"tmp": tmp, "cfg": cfg, "db": db, "args": args, "proc": proc, "sites": sites}
    for site in sites.values():
        site.stop()


def _rows(db: Path, sql: str, *params: object) -> list[dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def _summary_line(stdout: str, source: str) -> str:
    return next(line for line in stdout.splitlines() if line.startswith(f"source={source} "))


@pytest.mark.slow
def test_every_rejected_candidate_is_a_page_row_with_reason_and_signals(world):
    proc, sites = world["proc"], world["sites"]
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    base = sites["berubah"].base
    rows = {
        r["url"].removeprefix(base): r
        for r in _rows(world["db"], "SELECT * FROM pages WHERE source = 'berubah'")
    }
    for n in range(len(INDEX_PAGES)):
        row = rows[_path(n, f"indeks-{n}")]
        assert row["kind"] == "listing"
        assert row["reason"].strip()
        signals = json.loads(row["signals"])
        assert signals["stage"] == "classifier"
        assert len(signals) > 2, signals  # the classifier's measurements, not only the stage
        # the raw page is kept, so an operator can look at what was dropped
        assert zlib.decompress(row["html"]) == corpus_file(INDEX_PAGES[n]).read_bytes()
    shell = rows[_path(5, "kosong")]
    assert shell["kind"] == "not-article" and shell["reason"].strip()
    assert json.loads(shell["signals"])["stage"] == "extraction"
    assert shell["html"] is not None
    assert rows[_path(6, "revolusi-mental")]["kind"] == "article"
    assert rows[_path(6, "revolusi-mental")]["reason"] is None
    stored = _rows(world["db"], "SELECT id, story_type FROM articles WHERE source = 'berubah'")
    assert [a["story_type"] for a in stored] == ["article"]
    topics = _rows(world["db"], "SELECT topic FROM matches WHERE article_id = ?", stored[0]["id"])
    assert [t["topic"] for t in topics] == ["revolusi-mental"]


@pytest.mark.slow
def test_run_counts_rejections_and_the_summary_says_why(world):
    runs = {r["source"]: r for r in _rows(world["db"], "SELECT * FROM crawl_runs")}
    changed, healthy = runs["berubah"], runs["sehat"]
    assert changed["rejected"] == changed["not_articles"] == 4
    assert json.loads(changed["rejected_kinds"]) == {"listing": 3, "not-article": 1}
    assert changed["status"] == "partial"
    assert "most article pages rejected (4 of 5)" in changed["error_summary"]
    assert healthy["rejected"] == 1 and healthy["status"] == "ok"
    line = _summary_line(world["proc"].stdout, "berubah")
    assert "status=partial" in line
    assert "rejected=4 (listing 3, not-article 1)" in line
    assert "most article pages rejected (4 of 5)" in line
    assert "rejected=1 (listing 1)" in _summary_line(world["proc"].stdout, "sehat")


@pytest.mark.slow
def test_status_flags_the_source_after_one_run(world):
    proc = run_pantau(*world["args"], "status")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    flags = [line for line in proc.stdout.splitlines() if line.startswith("FLAG ")]
    assert flags == [
        "FLAG berubah: most article pages rejected on the last run (4 of 5): template changed?"
    ]
    assert "rejected_last=4 candidates_last=5" in proc.stdout
    as_json = run_pantau(*world["args"], "status", "--format", "json")
    health = {h["source"]: h for h in json.loads(as_json.stdout)}
    assert health["berubah"]["flagged"] and health["berubah"]["rejected_last"] == 4
    assert health["berubah"]["rejected_kinds_last"] == {"listing": 3, "not-article": 1}
    assert not health["sehat"]["flagged"] and health["sehat"]["rejected_last"] == 1


@pytest.mark.slow
def test_datasette_rejected_pages_query(world):
    from pantau.serve import build_datasette

    ds = build_datasette(world["db"])

    async def get(path: str) -> list[dict]:
        response = await ds.client.get(path)
        assert response.status_code == 200, response.text[:500]
        return response.json()

    every = asyncio.run(get("/pantau/rejected_pages.json?source=&_shape=array"))
    assert {r["source"] for r in every} == {"berubah", "sehat"} and len(every) == 5
    assert all(r["reason"] and json.loads(r["signals"]) for r in every)
    assert [r["fetched_at"] for r in every] == sorted(
        (r["fetched_at"] for r in every), reverse=True
    )
    one = asyncio.run(get("/pantau/rejected_pages.json?source=berubah&_shape=array"))
    assert sorted(r["kind"] for r in one) == ["listing"] * 3 + ["not-article"]
    per_source = asyncio.run(get("/pantau/articles_per_source.json?_shape=array"))
    assert {r["source"]: r["rejected_pages"] for r in per_source} == {"berubah": 4, "sehat": 1}


@pytest.mark.slow
def test_next_run_skips_index_pages_and_retries_weak_rejections_later(world):
    """Index kinds stay skipped; "not-article" and "other" are tried again after 7 days."""
    site, db = world["sites"]["berubah"], world["db"]
    old = (datetime.now(UTC) - timedelta(days=8)).isoformat()
    listing_old, listing_other, shell = (
        site.base + _path(0, "indeks-0"),
        site.base + _path(1, "indeks-1"),
        site.base + _path(5, "kosong"),
    )
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(
            "UPDATE pages SET fetched_at = ? WHERE url IN (?, ?)", (old, listing_old, shell)
        )
        conn.execute(
            "UPDATE pages SET kind = 'other', fetched_at = ? WHERE url = ?", (old, listing_other)
        )
    conn.close()
    site.fetched.clear()
    proc = run_pantau(*world["args"], "crawl", "--source", "berubah")
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    fetched = set(site.fetched)
    assert _path(0, "indeks-0") not in fetched  # a listing stays a listing
    assert _path(2, "indeks-2") not in fetched
    assert _path(1, "indeks-1") in fetched  # "other" is weak evidence: tried again
    assert _path(5, "kosong") in fetched  # no body a week ago: tried again
    assert _path(6, "revolusi-mental") not in fetched  # known, unchanged


# --- without a crawl ----------------------------------------------------------------------


def test_summarise_stats_counts_rejections_per_kind_and_flags_mostly_rejected():
    stats = {
        "downloader/request_count": 8,
        "response_received_count": 8,
        "downloader/response_status_count/200": 8,
        "pantau/rejected/listing": 3,
        "pantau/rejected/not-article": 1,
        "pantau/articles/new": 1,
    }
    counts, status, summary = summarise_stats(stats)
    assert counts["rejected"] == counts["not_articles"] == 4
    assert counts["rejected_kinds"] == {"listing": 3, "not-article": 1}
    assert status == "partial" and summary == "most article pages rejected (4 of 5)"
    fine = {**stats, "pantau/articles/unchanged": 6}  # 4 of 11: not most
    assert summarise_stats(fine)[1:] == ("ok", "")
    few = {k: v for k, v in stats.items() if k != "pantau/rejected/listing"}  # 1 of 2: too few
    assert summarise_stats(few)[1] == "ok"


def test_old_archive_gains_the_new_columns(tmp_path):
    """An archive created before rejections were recorded opens with the new columns."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE pages (url TEXT PRIMARY KEY, source TEXT, kind TEXT, fetched_at TEXT, "
        "status INTEGER, etag TEXT, last_modified TEXT, content_type TEXT, body_hash TEXT, "
        "parent_url TEXT, page_no INTEGER, html BLOB);"
        "CREATE TABLE crawl_runs (id INTEGER PRIMARY KEY, run_id TEXT, started_at TEXT, "
        "finished_at TEXT, status TEXT, source TEXT, requests INTEGER, pages INTEGER, "
        "articles_new INTEGER, articles_updated INTEGER, matches INTEGER, errors INTEGER, "
        "blocked INTEGER, not_articles INTEGER, with_date INTEGER, duration_s REAL, "
        "error_summary TEXT);"
        "INSERT INTO pages(url, source, kind, fetched_at, status) "
        "VALUES ('https://a.example/x', 'a', 'not-article', '2026-01-01T00:00:00Z', 200);"
        "INSERT INTO crawl_runs(run_id, started_at, finished_at, status, source, articles_new, "
        "not_articles, with_date) VALUES ('r1', '2026-01-01T00:00:00Z', "
        "'2026-01-01T00:01:00Z', 'ok', 'a', 1, 4, 1);"
    )
    conn.commit()
    conn.close()
    db = open_db(path)
    assert {"reason", "signals"} <= set(db.table("pages").columns_dict)
    assert {"rejected", "rejected_kinds"} <= set(db.table("crawl_runs").columns_dict)
    assert "story_type" in db.table("articles").columns_dict
    db.conn.close()
    archive = Archive(path)
    archive.store_page(
        "https://a.example/x",
        source="a",
        kind="listing",
        status=200,
        body=b"<html></html>",
        fetched_at="2026-01-02T00:00:00Z",
        reason="20 same-shaped teaser links",
        signals={"teaser_links": 20},
    )
    archive.close()
    row = _rows(path, "SELECT kind, reason, signals FROM pages")[0]
    assert row == {"kind": "listing", "reason": "20 same-shaped teaser links",
                   "signals": '{"teaser_links": 20}'}  # fmt: skip
    # a run from before `rejected` is judged on its not_articles count
    config = PantauConfig(
        directory=str(tmp_path),
        sources=[Source(name="a", url="https://a.example/")],
        topics=[],
        smtp=None,
        subscriptions=[],
    )
    health = source_health(path, config)[0]
    assert health["rejected_last"] == 4 and health["candidates_last"] == 5
    assert health["flags"] == [
        "most article pages rejected on the last run (4 of 5): template changed?"
    ]


def test_reextract_recovers_a_rejected_candidate_and_keeps_a_listing_rejected(tmp_path):
    """A story rejected by an older rule is not lost: its raw page was kept with the reason,
    and `reextract` archives it once extraction accepts it; an index page stays rejected."""
    from pantau.reextract import reextract

    path = tmp_path / "pantau.db"
    archive = Archive(path)
    story = "https://antara.example/berita/123456/revolusi-mental-asn-di-daerah"
    listing = "https://antara.example/berita/123457/indeks-berita-terbaru-hari-ini"
    for url, name, kind in [(story, ARTICLE, "listing"), (listing, INDEX_PAGES[0], "listing")]:
        archive.store_page(
            url,
            source="antara",
            kind=kind,
            status=200,
            body=corpus_file(name).read_bytes(),
            fetched_at="2026-11-01T00:00:00+00:00",
            content_type=None,
            reason="an older rule's verdict",
            signals={"headline_links": 40},
        )
    archive.close()
    config = PantauConfig(
        directory=str(tmp_path),
        sources=[Source(name="antara", url="https://antara.example/")],
        topics=[],
        smtp=None,
        subscriptions=[],
    )
    counts = reextract(str(path), config)
    assert counts["recovered"] == 1 and counts["not_articles"] == 1 and counts["errors"] == 0
    pages = {r["url"]: r for r in _rows(path, "SELECT url, kind, reason FROM pages")}
    assert pages[story]["kind"] == "article" and pages[story]["reason"] is None
    assert pages[listing]["kind"] != "article" and pages[listing]["reason"]
    assert pages[listing]["reason"] != "an older rule's verdict"  # the current reason
    articles = _rows(path, "SELECT url, fetched_url, text FROM articles")
    assert len(articles) == 1 and "revolusi mental" in articles[0]["text"].lower()
