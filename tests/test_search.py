"""`pantau search` reads the archive newest block first; it must give exactly what sorting every
match by date would give, whatever order the articles arrived in."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from pantau.pipeline.archive.store import open_db
from pantau.pipeline.archive.upkeep import (
    record_missing_words,
    record_words,
    tidy_fts_index,
    words_recorded_from,
)
from pantau.pipeline.query import parse_query
from pantau.search import exact_words_fts, search_archive

WORDS = (
    "pemerintah daerah pelayanan publik bupati gubernur banjir longsor pilkada vaksin warga "
    "kabupaten kota desa rapat program anggaran jalan sekolah pasar petani nelayan"
).split()
TOPIC_PHRASES = ["revolusi mental", "aparatur sipil negara", "ASN", "reformasi birokrasi"]
SOURCES = ["antara-kalteng", "tribun-pontianak", "beritarafflesia"]
REGIONS = ["Kalimantan Tengah", "Kalimantan Barat", "Bengkulu"]


def _text(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(20, 60))]
    for phrase in TOPIC_PHRASES:
        if rng.random() < 0.25:
            words.insert(rng.randrange(len(words)), phrase)
    return " ".join(words) + "."


def _date(day: int, rng: random.Random) -> str:
    return f"2024-{1 + day // 28:02d}-{1 + day % 28:02d}T{rng.randint(0, 23):02d}:00:00+07:00"


def build_archive(path: Path, seed: int) -> sqlite3.Connection:
    """~600 articles over ~60 id blocks: in-order arrivals, backfilled old ones, ties, undated
    ones, and old articles re-dated later (which raise an old block's bound)."""
    rng = random.Random(seed)
    db = open_db(path)
    conn = db.conn
    next_id = 1
    for step in range(600):
        next_id += rng.choice([1, 1, 2, 50, 200])  # sparse ids: many blocks, some gaps
        kind = rng.random()
        if kind < 0.7:
            published = _date(step * 300 // 600, rng)  # arrives about when published
        elif kind < 0.9:
            published = _date(rng.randrange(0, 300), rng)  # backfill: any older date
        elif kind < 0.95:
            published = "2024-06-01T08:00:00+07:00"  # many articles share one timestamp
        else:
            published = None  # undated: sorts by first_seen_at
        title, text = f"Berita {next_id} {rng.choice(WORDS)}", _text(rng)
        conn.execute(
            "INSERT INTO articles(id, url, source, region, title, text, published_at, "
            "first_seen_at) VALUES (?,?,?,?,?,?,?,?)",
            (
                next_id,
                f"https://example.test/{next_id}",
                rng.choice(SOURCES),
                rng.choice(REGIONS),
                title,
                text,
                published,
                f"2024-{1 + step // 60:02d}-15T00:00:00Z",
            ),
        )
        record_words(conn, title, text)  # as Archive.store_article does
    # Re-dated old articles: the update trigger must raise their blocks' bounds.
    for aid in rng.sample(range(1, next_id // 3), 5):
        conn.execute(
            "UPDATE articles SET published_at = ? WHERE id = ?", ("2024-12-30T00:00:00+07:00", aid)
        )
    conn.commit()
    return conn


def reference(conn: sqlite3.Connection, query: str, limit: int, **flt: str) -> list[int]:
    """Every match sorted by date: the slow, obviously right order."""
    parsed = parse_query(query)
    where, params = ["articles_fts MATCH ?"], [parsed.to_fts5()]
    key = "COALESCE(a.published_at, a.first_seen_at)"
    if "source" in flt:
        where.append("a.source = ?")
        params.append(flt["source"])
    if "since" in flt:
        where.append(f"{key} >= ?")
        params.append(flt["since"])
    if "until" in flt:
        where.append(f"{key} < ?")  # --until DAY includes that day
        params.append(flt["until"] + "T99" if len(flt["until"]) == 10 else flt["until"])
    rows = conn.execute(
        "SELECT a.id, a.title, a.text FROM articles_fts JOIN articles a "
        f"ON a.id = articles_fts.rowid WHERE {' AND '.join(where)} "
        f"ORDER BY {key} DESC, a.id DESC",
        params,
    ).fetchall()
    return [aid for aid, title, text in rows if parsed.match(title, text)][:limit]


QUERIES = [
    "pemerintah",
    '"revolusi mental" AND ASN',
    "banjir OR longsor",
    "title:pasar",
    "NEAR(pelayanan publik, 3)",
    '"reformasi birokrasi" NOT bupati',
    "vaksin*",
    "nelayan AND petani AND pilkada",
    "kata-yang-tidak-ada",
]


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("limit", [1, 7, 40])
def test_newest_first_equals_sorting_every_match(tmp_path, seed, query, limit):
    db_path = tmp_path / "a.db"
    conn = build_archive(db_path, seed)
    got = [r["id"] for r in search_archive(str(db_path), query, limit=limit)]
    assert got == reference(conn, query, limit)


@pytest.mark.parametrize(
    "flt",
    [
        {"source": "tribun-pontianak"},
        {"since": "2024-05-01"},
        {"until": "2024-03-01"},
        {"since": "2024-02-01", "until": "2024-09-01", "source": "beritarafflesia"},
    ],
)
def test_filters_keep_the_same_order(tmp_path, flt):
    db_path = tmp_path / "a.db"
    conn = build_archive(db_path, 3)
    got = [r["id"] for r in search_archive(str(db_path), "pemerintah OR warga", limit=25, **flt)]
    want = reference(conn, "pemerintah OR warga", 25, **flt)
    assert got == want and got, "a filter changed which articles come out, or in which order"


def test_results_carry_the_columns_and_a_snippet(tmp_path):
    db_path = tmp_path / "a.db"
    build_archive(db_path, 4)
    rows = search_archive(str(db_path), '"revolusi mental"', limit=3)
    assert len(rows) == 3
    for r in rows:
        assert set(r) == {"id", "published_at", "source", "region", "title", "url", "snippet"}
        assert "[revolusi mental]" in r["snippet"].lower()


def test_blocks_bound_every_article_even_after_updates(tmp_path):
    conn = build_archive(tmp_path / "a.db", 5)
    loose = conn.execute(
        "SELECT count(*) FROM articles a JOIN article_date_blocks b ON b.block = a.id >> 10 "
        "WHERE COALESCE(a.published_at, a.first_seen_at, '') > b.max_date"
    ).fetchone()[0]
    missing = conn.execute(
        "SELECT count(*) FROM articles WHERE id >> 10 NOT IN (SELECT block FROM article_date_blocks)"
    ).fetchone()[0]
    assert (loose, missing) == (0, 0)


def test_an_archive_from_before_the_blocks_gets_them_on_open(tmp_path):
    """Archives written by Pantau 0.1 have no date blocks: opening one fills them once."""
    db_path = tmp_path / "a.db"
    conn = build_archive(db_path, 6)
    want = conn.execute("SELECT * FROM article_date_blocks ORDER BY block").fetchall()
    conn.executescript(
        "DROP TRIGGER articles_date_block_ai; DROP TRIGGER articles_date_block_au; "
        "DROP TABLE article_date_blocks; PRAGMA user_version = 1;"  # as 0.1 stamped it
    )
    conn.close()
    reopened = open_db(db_path).conn
    assert reopened.execute("SELECT * FROM article_date_blocks ORDER BY block").fetchall() == want
    got = [r["id"] for r in search_archive(str(db_path), "pemerintah", limit=10)]
    assert got == reference(reopened, "pemerintah", 10)


def _segments(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(DISTINCT segid) FROM articles_fts_idx").fetchone()[0]


def test_tidying_merges_the_index_and_changes_no_result(tmp_path):
    """One commit per article leaves a segment pile; the post-run tidy merges it."""
    db_path = tmp_path / "a.db"
    conn = open_db(db_path).conn
    rng = random.Random(7)
    for i in range(1, 120):
        conn.execute(
            "INSERT INTO articles(id, url, title, text, published_at) VALUES (?,?,?,?,?)",
            (i, f"https://x.test/{i}", f"Berita {i}", _text(rng), _date(i, rng)),
        )
        conn.commit()
    before = _segments(conn)
    want = {q: reference(conn, q, 50) for q in QUERIES}
    assert tidy_fts_index(conn) > 0
    after = _segments(conn)
    assert before >= 4 and after < before / 2, (before, after)
    assert {q: reference(conn, q, 50) for q in QUERIES} == want
    assert tidy_fts_index(conn) == 0  # nothing left to merge: it stops at once
    conn.execute("INSERT INTO articles_fts(articles_fts) VALUES('integrity-check')")


def test_tidy_respects_its_budget(tmp_path):
    conn = open_db(tmp_path / "a.db").conn
    rng = random.Random(8)
    for i in range(1, 60):
        conn.execute(
            "INSERT INTO articles(id, url, title, text) VALUES (?,?,?,?)",
            (i, f"https://x.test/{i}", "t", _text(rng)),
        )
        conn.commit()
    assert tidy_fts_index(conn, budget_pages=1) == 500  # one step, then it stops


def test_prefix_terms_become_the_archives_exact_words(tmp_path):
    conn = build_archive(tmp_path / "a.db", 9)
    conn.execute("INSERT OR IGNORE INTO article_words(word) VALUES ('pemerintahan')")
    fts = parse_query("pemerintah AND vaksin* AND NEAR(pasar* ASN, 3)").to_fts5()
    exact = exact_words_fts(conn, fts)
    assert '"pemerintah"*' in fts and '"pemerintah"*' not in exact
    assert '("pemerintah" OR "pemerintahan")' in exact
    assert '("vaksin")' in exact  # the only word the archive has that starts with it
    assert 'NEAR("pasar"* "asn", 3)' in exact  # NEAR takes phrases: its prefix stays
    assert '"diperintah"*' in exact  # no such word in the archive: the (free) prefix stays


def test_an_archive_from_before_the_vocabulary_searches_by_prefix_until_filled(tmp_path):
    db_path = tmp_path / "a.db"
    conn = build_archive(db_path, 10)
    conn.executescript("DELETE FROM article_words; UPDATE archive_meta SET value = '999999';")
    conn.commit()
    assert words_recorded_from(conn) == 999999
    fts = parse_query("pemerintah OR banjir").to_fts5()
    assert exact_words_fts(conn, fts) == fts  # incomplete: prefixes, still right
    want = reference(conn, "pemerintah OR banjir", 30)
    assert [r["id"] for r in search_archive(str(db_path), "pemerintah OR banjir", limit=30)] == want
    rounds = 0
    while record_missing_words(conn, budget=250):  # 600 articles: three batches
        rounds += 1
    assert rounds >= 2 and words_recorded_from(conn) == 0
    assert exact_words_fts(conn, fts) != fts
    assert [r["id"] for r in search_archive(str(db_path), "pemerintah OR banjir", limit=30)] == want


def test_a_new_archive_records_words_as_articles_are_stored(tmp_path):
    from pantau.pipeline.archive.store import Archive
    from pantau.pipeline.models import ExtractedArticle

    archive = Archive(tmp_path / "a.db")
    art = ExtractedArticle(
        url="https://x.test/1", title="Pemerintahan Desa", text="Warga dikorupsi. " * 20
    )
    archive.store_article(art, source="s", fetched_url=art.url, matches=[], config=None)
    words = {w for (w,) in archive.db.conn.execute("SELECT word FROM article_words")}
    assert words == {"pemerintahan", "desa", "warga", "dikorupsi"}
    assert words_recorded_from(archive.db.conn) == 0
    archive.close()


def test_opening_an_archive_without_a_word_list_starts_one_and_marks_it_unfilled(tmp_path):
    """An archive written before `article_words` existed: opening it creates the table, notes
    that the existing articles' words are missing, and searches stay right meanwhile."""
    db_path = tmp_path / "a.db"
    conn = build_archive(db_path, 11)
    top = conn.execute("SELECT MAX(id) FROM articles").fetchone()[0]
    conn.executescript(  # and the version every release before numbered migrations stamped
        "DROP TABLE article_words; DROP TABLE archive_meta; PRAGMA user_version = 1;"
    )
    conn.close()
    reopened = open_db(db_path).conn
    assert words_recorded_from(reopened) == top + 1
    assert reopened.execute("SELECT count(*) FROM article_words").fetchone()[0] == 0
    want = reference(reopened, "pemerintah", 10)
    assert [r["id"] for r in search_archive(str(db_path), "pemerintah", limit=10)] == want
    while record_missing_words(reopened):
        pass
    assert words_recorded_from(reopened) == 0
    assert [r["id"] for r in search_archive(str(db_path), "pemerintah", limit=10)] == want
