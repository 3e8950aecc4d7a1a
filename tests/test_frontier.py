"""Issue 14, points 4 and 5: article links are never lost without a trace.

Real `pantau crawl` runs, several over one archive, against a loopback site of real corpus
pages (tests/newsroom.py). A discovered article URL that was not fetched (503, budget spent,
run killed, a temporary redirect) stays owed in the `frontier` table and is fetched by a later
run, whatever its listing answers (a 304 here: listings keep no body), until it is stored or
given up with its reason.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pantau.pipeline.archive import frontier
from pantau.pipeline.archive.store import open_db
from tests.conftest import PANTAU, ROOT, run_pantau
from tests.faultweb import scrapy_env, send
from tests.newsroom import (
    Newsroom,
    Page,
    article,
    config,
    crawl,
    listing,
    rows,
    rss,
    sitemap,
    source,
)

A = "/2024/09/10/samsul-arif-tak-beban-lawan-arema/"  # kompas-4
B = "/2024/09/11/kelezatan-sate-lalat-pak-muhsin-pamekasan/"  # merdeka-2
C = "/2024/09/12/zuckerberg-sewa-enam-belas-tukang-pukul/"  # kompas-3
D = "/2024/09/13/tata-cara-sholat-jamak-dan-qasar/"  # liputan6-6
PAGES = {A: "kompas-4", B: "merdeka-2", C: "kompas-3", D: "liputan6-6"}
LISTING = "/kanal/daerah/"


@pytest.fixture
def room():
    r = Newsroom.start()
    for path, name in PAGES.items():
        r.set(path, Page(article(name)))
    r.set("/feed/", Page(rss(r, []), ctype="application/rss+xml"))
    r.set("/sitemap.xml", Page(sitemap(r, []), ctype="application/xml"))
    yield r
    r.stop()


def _stored(db: Path, room: Newsroom) -> set[str]:
    urls = {u for (u,) in rows(db, "SELECT fetched_url FROM articles")}
    return {p for p in PAGES if room.url(p) in urls}


def _frontier(db: Path, room: Newsroom, path: str) -> dict:
    cols = ["status", "attempts", "last_error", "reason", "next_attempt_at", "discovered_via"]
    got = rows(db, f"SELECT {', '.join(cols)} FROM frontier WHERE url = ?", room.url(path))
    return dict(zip(cols, got[0], strict=True)) if got else {}


def _with_listing(room: Newsroom, paths: list[str]) -> None:
    room.set(LISTING, Page(listing(room, paths), etag='"list-v1"'))


# --------------------------------------------------------------------------- pure rules


def test_backoff_doubles_and_is_capped():
    policy = frontier.Policy(backoff_s=3600, backoff_max_s=4 * 3600, max_attempts=6)
    waits = [policy.wait(n).total_seconds() / 3600 for n in range(1, 6)]
    assert waits == [1, 2, 4, 4, 4]


def test_failed_attempts_back_off_then_give_up_with_the_reason(tmp_path):
    db = open_db(tmp_path / "a.db")
    conn = db.conn
    frontier.owe(conn, [{"url": "http://x.test/a", "source": "x"}])
    now = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    policy = frontier.Policy(backoff_s=3600, max_attempts=3)
    assert frontier.failed(conn, "http://x.test/a", "http_503", policy, now) == "owed"
    row = conn.execute("SELECT attempts, next_attempt_at FROM frontier").fetchone()
    assert row == (1, "2026-12-05T11:00:00Z")
    assert frontier.failed(conn, "http://x.test/a", "network: TimeoutError", policy, now) == "owed"
    assert conn.execute("SELECT next_attempt_at FROM frontier").fetchone()[0] == (
        "2026-12-05T12:00:00Z"
    )
    assert frontier.failed(conn, "http://x.test/a", "http_503", policy, now) == "gave-up"
    status, reason = conn.execute("SELECT status, reason FROM frontier").fetchone()
    assert status == "gave-up" and reason == "gave up after 3 failed attempts; last: http_503"
    assert not conn.in_transaction  # committed: no lock left for the next writer
    db.conn.close()


# --------------------------------------------------------------------------- crawls


def test_503_article_behind_a_304_listing_is_fetched_when_its_backoff_ends(tmp_path, room):
    _with_listing(room, [A, B])
    room.pages[B].status = 503
    cfg = config(tmp_path, [source(room, listings=[room.url(LISTING)])])
    db = tmp_path / "pantau.db"

    crawl(cfg, db)  # run 1: B answers 503 (retried in the run, then left owed)
    assert _stored(db, room) == {A}
    owed = _frontier(db, room, B)
    assert owed["status"] == "owed" and owed["attempts"] == 1
    assert owed["last_error"] == "http_503" and owed["discovered_via"] == "listing"
    next_at = datetime.fromisoformat(owed["next_attempt_at"].replace("Z", "+00:00"))
    assert timedelta(minutes=55) < next_at - datetime.now(UTC) <= timedelta(hours=1)
    assert _frontier(db, room, A)["status"] == "done"

    room.pages[B].status = 200  # the server is back; the listing has not changed (304)
    hits = room.hits(B)
    crawl(cfg, db)  # run 2, within the hour: the backoff holds
    assert room.hits(B) == hits
    assert [s for _, s in room.requests_for(LISTING)][-1] == 304
    assert _frontier(db, room, B)["status"] == "owed"

    # an hour passes (the run clock is the archive's: move the due time back)
    con = sqlite3.connect(db)
    con.execute("UPDATE frontier SET next_attempt_at = '2000-01-01T00:00:00Z' WHERE status='owed'")
    con.commit()
    con.close()
    proc = crawl(cfg, db)  # run 3: listing 304 again, B fetched from the frontier
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert [s for _, s in room.requests_for(LISTING)][-1] == 304
    assert _stored(db, room) == {A, B}
    assert _frontier(db, room, B)["status"] == "done"
    assert rows(db, "SELECT count(*) FROM articles") == [(2,)]


def test_links_left_by_a_spent_budget_are_fetched_next_run(tmp_path, room):
    _with_listing(room, [A, B, C, D])
    src = source(room, listings=[room.url(LISTING)], max_requests=6)
    db = tmp_path / "pantau.db"
    crawl(config(tmp_path, [src]), db)
    first = _stored(db, room)
    assert 0 < len(first) < 4
    owed = {p for p in PAGES if _frontier(db, room, p).get("status") == "owed"}
    assert owed == set(PAGES) - first
    assert all(_frontier(db, room, p)["attempts"] == 0 for p in owed)  # not a failure

    src["max_requests"] = 100
    crawl(config(tmp_path, [src]), db)  # the listing answers 304: nothing names them now
    assert [s for _, s in room.requests_for(LISTING)][-1] == 304
    assert _stored(db, room) == set(PAGES)
    assert all(room.hits(p) == 1 for p in PAGES)  # each fetched once over both runs


def test_an_article_that_keeps_failing_is_given_up_with_its_reason(tmp_path, room):
    room.set("/feed/", Page(rss(room, [(A, datetime(2024, 9, 10, 8, tzinfo=UTC), None)])))
    room.pages[A].status = 503
    cfg = config(tmp_path, [source(room)])
    db = tmp_path / "pantau.db"
    settings = {"PANTAU_FRONTIER_BACKOFF": 0, "PANTAU_FRONTIER_MAX_ATTEMPTS": 2}
    crawl(cfg, db, **settings)
    assert _frontier(db, room, A)["status"] == "owed"
    crawl(cfg, db, **settings)
    row = _frontier(db, room, A)
    assert row["status"] == "gave-up" and row["attempts"] == 2
    assert row["reason"] == "gave up after 2 failed attempts; last: http_503"
    hits = room.hits(A)
    crawl(cfg, db, **settings)  # still in the feed: given up, not fetched on every run
    assert room.hits(A) == hits
    status = run_pantau("--config-dir", str(cfg), "--db", str(db), "status")
    line = f"GAVE UP newsroom: {room.url(A)}: gave up after 2 failed attempts; last: http_503"
    assert line in status.stdout.splitlines(), status.stdout
    assert "owed_urls=0 gave_up_urls=1" in status.stdout


@pytest.mark.parametrize("code", [302, 307])
def test_a_temporary_redirect_is_retried_and_a_permanent_one_remembered(tmp_path, room, code):
    day = datetime(2024, 9, 10, 8, tzinfo=UTC)
    room.set("/feed/", Page(rss(room, [(A, day, None), (C, day, None)])))
    room.set("/pemeliharaan/", Page(article("kapanlagi-1")))  # a page that is no article link
    real_a = room.pages[A]
    room.set(A, Page(status=code, location="/pemeliharaan/"))
    moved = "/2024/09/12/zuckerberg-sewa-enam-belas-tukang-pukul-pindah/"
    room.set(moved, Page(article("kompas-3")))
    room.set(C, Page(status=301, location=moved))
    cfg = config(tmp_path, [source(room)])
    db = tmp_path / "pantau.db"

    crawl(cfg, db, PANTAU_FRONTIER_BACKOFF=0)
    assert rows(db, "SELECT count(*) FROM articles WHERE fetched_url = ?", room.url(A)) == [(0,)]
    assert rows(db, "SELECT kind FROM pages WHERE url = ?", room.url(A)) == []  # not remembered
    row = _frontier(db, room, A)
    assert row["status"] == "owed"
    assert row["last_error"] == f"temporary redirect ({code}) to {room.url('/pemeliharaan/')}"
    assert rows(db, "SELECT kind FROM pages WHERE url = ?", room.url(C)) == [("redirect",)]
    assert _frontier(db, room, C)["status"] == "done"

    room.set(A, real_a)  # maintenance over
    c_hits = room.hits(C)
    crawl(cfg, db, PANTAU_FRONTIER_BACKOFF=0)
    assert rows(db, "SELECT count(*) FROM articles WHERE fetched_url = ?", room.url(A)) == [(1,)]
    assert _frontier(db, room, A)["status"] == "done"
    assert room.hits(C) == c_hits  # the permanent redirect is not asked again


def test_a_run_killed_before_fetching_leaves_the_articles_owed(tmp_path, room):
    """kill -9 after the listing is stored and while its first article is being fetched."""
    _with_listing(room, [A, B])
    asked = threading.Event()

    def stall_once(req, web, n):
        if n == 1:
            asked.set()
            web.stopping.wait(60)
            return
        send(req, 200, article("merdeka-2").encode("utf-8"))

    room.web.add(B, stall_once)
    room.pages[A].status = 503  # A fails in the killed run too: both must stay owed
    cfg = config(tmp_path, [source(room, listings=[room.url(LISTING)])])
    db = tmp_path / "pantau.db"
    env = {**os.environ, **scrapy_env(PANTAU_EXTRACT_WORKERS=0, PANTAU_FRONTIER_BACKOFF=0)}
    proc = subprocess.Popen(
        [*PANTAU, "--config-dir", str(cfg), "--db", str(db), "crawl"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=str(ROOT),
    )
    try:
        assert asked.wait(60), "the article was never requested"
        time.sleep(0.3)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert rows(db, "SELECT status FROM pages WHERE url = ?", room.url(LISTING)) == [(200,)]
    assert _frontier(db, room, B)["status"] == "owed"
    assert _stored(db, room) == set()

    room.pages[A].status = 200
    crawl(cfg, db, PANTAU_FRONTIER_BACKOFF=0)  # the listing answers 304
    assert [s for _, s in room.requests_for(LISTING)][-1] == 304
    assert _stored(db, room) == {A, B}
