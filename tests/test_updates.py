"""Issue 14, point 6: edited articles are fetched again and stored as updates.

Real `pantau crawl` runs over one archive against a loopback site of real corpus pages
(tests/newsroom.py); between runs a page is edited (a corrected sentence) and the site moves
the date it gives for it, or moves none. What must hold: the edit is fetched and stored the way
the contract handles updates (the same article and story, revision 2, the earlier text in
`article_revisions`), never a second story and never a second alert (the subscription is
`on_update: silent`); an unchanged page is not fetched again.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pantau.pipeline.archive.store import open_db
from pantau.spiders.incremental import ArchiveState
from tests.newsroom import (
    Newsroom,
    Page,
    article,
    atom,
    config,
    crawl,
    edited,
    rows,
    rss,
    sitemap,
    source,
)

A = "/2024/09/10/samsul-arif-tak-beban-lawan-arema/"  # kompas-4
B = "/2024/09/11/kelezatan-sate-lalat-pak-muhsin-pamekasan/"  # merdeka-2
SENTENCE = "Persib kemungkinan besar mengandalkan Samsul Arif saat melawan Arema."
CORRECTED = "Persib kemungkinan besar mengandalkan Samsul Arif sejak menit pertama melawan Arema."
TOPICS = "topics:\n  - name: persib\n    query: 'Persib AND Arema'\n"
SUBS = (
    "subscriptions:\n  - name: analis\n    topics: [persib]\n    channel: slack\n"
    "    url: http://127.0.0.1:9/services/T000/B000/XXXX\n"
)


@pytest.fixture
def room():
    r = Newsroom.start()
    r.set(A, Page(article("kompas-4")))
    r.set(B, Page(article("merdeka-2")))
    r.set("/feed/", Page(rss(r, []), ctype="application/rss+xml"))
    r.set("/sitemap.xml", Page(sitemap(r, []), ctype="application/xml"))
    yield r
    r.stop()


def _cfg(tmp: Path, room: Newsroom, **kw) -> Path:
    return config(tmp, [source(room, **kw)], TOPICS, SUBS)


def _article(db: Path, room: Newsroom, path: str) -> dict:
    cols = ["id", "story_id", "revision", "text"]
    got = rows(db, f"SELECT {', '.join(cols)} FROM articles WHERE fetched_url = ?", room.url(path))
    assert len(got) == 1, got
    return dict(zip(cols, got[0], strict=True))


def _assert_updated_once(db: Path, room: Newsroom, before: dict) -> None:
    """The edit is stored as revision 2 of the same article and story; no new story, one
    alert for the story (the subscription is silent on updates)."""
    after = _article(db, room, A)
    assert CORRECTED in after["text"] and SENTENCE not in after["text"]
    assert (after["id"], after["story_id"]) == (before["id"], before["story_id"])
    assert after["revision"] == 2
    old = rows(db, "SELECT text FROM article_revisions WHERE article_id = ?", after["id"])
    assert len(old) == 1 and SENTENCE in old[0][0]
    # no second story: one per article page archived (A and, where listed, B)
    assert rows(db, "SELECT count(*) FROM stories") == rows(db, "SELECT count(*) FROM articles")
    alerts = rows(db, "SELECT kind, story_id FROM alerts WHERE subscription = 'analis'")
    assert alerts == [("new", after["story_id"])]


def _edit_a(room: Newsroom) -> None:
    room.pages[A] = Page(edited(room.pages[A].body, SENTENCE, CORRECTED))


def test_a_later_sitemap_lastmod_wins_over_the_feed_that_named_the_url_first(tmp_path, room):
    """(a) The feed lists A first in the run with its unchanged date; the sitemap, read after
    it, gives a lastmod past our last fetch: A is fetched again."""
    published = datetime(2024, 9, 10, 1, 0, tzinfo=UTC)
    room.set("/feed/", Page(rss(room, [(A, published, None), (B, published, None)])))
    room.set("/sitemap.xml", Page(sitemap(room, [(A, "2024-09-10T08:00:00+07:00")])))
    cfg = _cfg(tmp_path, room)
    db = tmp_path / "pantau.db"
    crawl(cfg, db)
    before = _article(db, room, A)
    assert rows(db, "SELECT count(*) FROM alerts") == [(1,)]

    _edit_a(room)  # edited now, after our fetch: the sitemap says so, the feed does not
    moved = (datetime.now(UTC) + timedelta(seconds=1)).isoformat(timespec="seconds")
    room.set("/sitemap.xml", Page(sitemap(room, [(A, moved)])))
    hits_a, hits_b = room.hits(A), room.hits(B)
    crawl(cfg, db)
    assert room.hits(A) == hits_a + 1 and room.hits(B) == hits_b
    _assert_updated_once(db, room, before)


def test_lastmod_is_compared_with_the_sites_last_date_not_our_clock(tmp_path, room):
    """(c) The site's clock is behind ours (or its zone is misread): both lastmods are older
    than our last fetch, but the second is newer than the first, so the page changed."""
    room.set("/sitemap.xml", Page(sitemap(room, [(A, "2024-09-10T08:00:00+07:00")])))
    cfg = _cfg(tmp_path, room)
    db = tmp_path / "pantau.db"
    crawl(cfg, db)
    before = _article(db, room, A)
    hits = room.hits(A)
    crawl(cfg, db)  # same lastmod: not fetched
    assert room.hits(A) == hits

    _edit_a(room)
    room.set("/sitemap.xml", Page(sitemap(room, [(A, "2024-09-11T09:30:00+07:00")])))
    crawl(cfg, db)
    assert room.hits(A) == hits + 1
    _assert_updated_once(db, room, before)


def test_a_changed_atom_updated_date_fetches_the_entry_again(tmp_path, room):
    """(b) Atom <updated> moves (its <published> does not): the entry is fetched again."""
    pub = "2024-09-10T08:00:00+07:00"
    entries = [(A, "Samsul Arif Tak Beban Lawan Arema", pub, "2024-09-10T09:00:00+07:00")]
    room.set("/feed/", Page(atom(room, entries), ctype="application/atom+xml"))
    cfg = _cfg(tmp_path, room)
    db = tmp_path / "pantau.db"
    crawl(cfg, db)
    before = _article(db, room, A)
    hits = room.hits(A)

    _edit_a(room)
    entries = [(A, "Samsul Arif Tak Beban Lawan Arema", pub, "2024-09-12T10:00:00+07:00")]
    room.set("/feed/", Page(atom(room, entries), ctype="application/atom+xml"))
    crawl(cfg, db)
    assert room.hits(A) == hits + 1
    _assert_updated_once(db, room, before)


def test_recent_articles_are_rechecked_with_a_conditional_get(tmp_path, room):
    """(d) An edit with no date moved anywhere: the re-check of recent articles asks with the
    stored validators; the edited page answers 200 with its new body, the unchanged one 304.
    (The corpus pages are from 2016/2021: the re-check window is widened to cover them.)"""
    stamp = "Tue, 10 Sep 2024 01:00:00 GMT"
    room.set(A, Page(room.pages[A].body, etag='"a-1"', last_modified=stamp))
    room.set(B, Page(room.pages[B].body, etag='"b-1"', last_modified=stamp))
    day = datetime(2024, 9, 10, 1, 0, tzinfo=UTC)
    room.set("/feed/", Page(rss(room, [(A, day, None), (B, day, None)]), etag='"feed-1"'))
    cfg = _cfg(tmp_path, room)
    db = tmp_path / "pantau.db"
    hours = (datetime.now(UTC) - datetime(2015, 1, 1, tzinfo=UTC)).total_seconds() / 3600
    crawl(cfg, db, PANTAU_RECHECK_HOURS=hours)
    before = _article(db, room, A)

    body = edited(room.pages[A].body, SENTENCE, CORRECTED)
    room.set(A, Page(body, etag='"a-2"', last_modified="Wed, 11 Sep 2024 01:00:00 GMT"))
    crawl(cfg, db, PANTAU_RECHECK_HOURS=hours)
    assert [s for _, s in room.requests_for("/feed/")][-1] == 304  # nothing moved in the feed
    sent_a, status_a = room.requests_for(A)[-1]
    sent_b, status_b = room.requests_for(B)[-1]
    assert sent_a.get("if-none-match") == '"a-1"' and sent_a.get("if-modified-since") == stamp
    assert sent_b.get("if-none-match") == '"b-1"' and sent_b.get("if-modified-since") == stamp
    assert (status_a, status_b) == (200, 304)
    _assert_updated_once(db, room, before)
    assert _article(db, room, B)["revision"] == 1

    hits = room.hits(A), room.hits(B)
    crawl(cfg, db)  # the default window (48 h) leaves these old stories alone
    assert (room.hits(A), room.hits(B)) == hits


def test_the_recheck_window_is_the_last_48_hours(tmp_path):
    """Which articles a run re-checks: published within 48 h; an undated page by the date the
    site gave for its link, else by when it was first stored."""
    db = open_db(tmp_path / "a.db")
    now = datetime.now(UTC)

    def add(url: str, published: datetime | None, first_seen: datetime) -> None:
        db.execute(
            "INSERT INTO articles(url, source, published_at, first_seen_at) VALUES (?,?,?,?)",
            (
                url,
                "s",
                published.astimezone().isoformat() if published else None,
                first_seen.isoformat(),
            ),
        )
        db.execute(
            "INSERT INTO pages(url, source, kind, etag) VALUES (?, 's', 'article', ?)",
            (url, f'"{url[-1]}"'),
        )

    add("http://x.test/a", now - timedelta(hours=30), now - timedelta(hours=29))
    add("http://x.test/b", now - timedelta(hours=60), now - timedelta(hours=1))  # backlog
    add("http://x.test/c", None, now - timedelta(hours=2))
    add("http://x.test/d", None, now - timedelta(days=5))
    add("http://x.test/e", None, now - timedelta(hours=1))  # the site dated its link 2021
    db.execute(
        "INSERT INTO frontier(url, source, site_date, status) VALUES (?, 's', ?, 'done')",
        ("http://x.test/e", "2021-07-28T10:30:00+07:00"),
    )
    db.conn.commit()
    db.conn.close()
    state = ArchiveState(tmp_path / "a.db")
    try:
        got = state.recent_articles("s", now - timedelta(hours=48))
    finally:
        state.close()
    assert sorted((a.url, a.etag) for a in got) == [
        ("http://x.test/a", '"a"'),
        ("http://x.test/c", '"c"'),
    ]


def test_site_dates_are_kept_per_url_and_only_move_forward(tmp_path):
    from pantau.pipeline.archive import frontier

    db = open_db(tmp_path / "a.db")
    rows_ = [{"url": "http://x.test/a", "source": "s", "site_date": "2024-09-11T09:00:00+07:00"}]
    frontier.remember_dates(db.conn, rows_)
    older = [{"url": "http://x.test/a", "site_date": "2024-09-11T03:00:00+00:00"}]  # 10:00 WIB
    frontier.remember_dates(db.conn, older)
    db.conn.close()
    con = sqlite3.connect(tmp_path / "a.db")
    assert con.execute("SELECT site_date FROM frontier").fetchone() == (
        "2024-09-11T03:00:00+00:00",
    )
    con.execute("UPDATE frontier SET site_date = '2024-09-12T00:00:00+07:00'")
    con.commit()
    con.close()
    db = open_db(tmp_path / "a.db")
    frontier.remember_dates(db.conn, older)  # an older date never replaces a newer one
    db.conn.close()
    state = ArchiveState(tmp_path / "a.db")
    try:
        assert state.site_date("http://x.test/a") == (
            True,
            datetime(2024, 9, 11, 17, 0, tzinfo=UTC),
        )
    finally:
        state.close()
