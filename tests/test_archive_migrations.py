"""Archives written by earlier releases upgrade in place: numbered migrations on user_version.

The saved archives in tests/data/archives/ were written by the code of the commit in their name
(tests/data/archives/make_archive.py says how): 09f572e is the first version 1, before the date
blocks, the word list and the rejection columns; 6e019e3 is the last release that stamped
version 1 by existence checks. Each must come up to today's version with every row as it was,
the full-text index still answering, and the same schema a new archive gets.
"""

from __future__ import annotations

import gzip
import shutil
import sqlite3
from pathlib import Path

import pytest

from pantau.pipeline.archive.db import connect
from pantau.pipeline.archive.migrations import MIGRATIONS, SCHEMA_VERSION
from pantau.pipeline.archive.store import Archive
from pantau.pipeline.archive.upkeep import record_missing_words, words_recorded_from
from pantau.pipeline.models import ExtractedArticle
from pantau.search import search_archive

SAVED = Path(__file__).parent / "data" / "archives"
OLD = ["v1-09f572e.db.gz", "v1-6e019e3.db.gz"]


def _unpack(name: str, tmp_path: Path) -> Path:
    path = tmp_path / name.removesuffix(".gz")
    with gzip.open(SAVED / name, "rb") as src, path.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    return path


def _tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'articles_fts%' "
        "AND name NOT LIKE 'sqlite_%' ORDER BY name"
    )
    return [r[0] for r in rows]


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f"PRAGMA table_info([{table}])")]


def _rows(conn: sqlite3.Connection, table: str, cols: list[str]) -> list[tuple]:
    names = ", ".join(f"[{c}]" for c in cols)
    order = ", ".join(str(n) for n in range(1, len(cols) + 1))
    return conn.execute(f"SELECT {names} FROM [{table}] ORDER BY {order}").fetchall()


def _snapshot(conn: sqlite3.Connection) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every row of every table, by the columns the table has now."""
    return {t: (_columns(conn, t), _rows(conn, t, _columns(conn, t))) for t in _tables(conn)}


def _fts_ids(conn: sqlite3.Connection, term: str) -> list[int]:
    rows = conn.execute(
        "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? ORDER BY rowid", (term,)
    )
    return [r[0] for r in rows]


def _like_ids(conn: sqlite3.Connection, word: str) -> list[int]:
    rows = conn.execute(
        "SELECT id FROM articles WHERE title LIKE ? OR text LIKE ? ORDER BY id",
        (f"%{word}%", f"%{word}%"),
    )
    return [r[0] for r in rows]


def _schema_shape(conn: sqlite3.Connection) -> dict[str, object]:
    objects = conn.execute(
        "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY 1, 2"
    ).fetchall()
    return {
        "objects": objects,
        "columns": {t: sorted(_columns(conn, t)) for t in _tables(conn)},
    }


@pytest.mark.parametrize("name", OLD)
def test_an_old_archive_upgrades_in_place_with_every_row_kept(name, tmp_path):
    path = _unpack(name, tmp_path)
    old = sqlite3.connect(path)
    assert old.execute("PRAGMA user_version").fetchone()[0] == 1
    before = _snapshot(old)
    fts_before = _fts_ids(old, "revolusi")
    assert fts_before and fts_before == _like_ids(old, "revolusi")
    old.close()

    conn = connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == len(MIGRATIONS)
    after = _snapshot(conn)
    for table, (cols, rows) in before.items():
        assert _rows(conn, table, cols) == rows, f"{table}: rows changed by the upgrade"
        added = [c for c in after[table][0] if c not in cols]
        for col in added:  # a column the old release lacked is empty, never invented
            assert conn.execute(f"SELECT count([{col}]) FROM [{table}]").fetchone()[0] == 0
    # the full-text index still answers, and agrees with the texts
    assert _fts_ids(conn, "revolusi") == fts_before
    conn.execute("INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')")
    # the same schema as an archive made today
    fresh = connect(tmp_path / "fresh.db")
    assert _schema_shape(conn) == _schema_shape(fresh)
    fresh.close()
    conn.close()


def test_the_first_version_1_gets_date_blocks_and_a_word_list_to_fill(tmp_path):
    path = _unpack("v1-09f572e.db.gz", tmp_path)
    conn = connect(path)
    top = conn.execute("SELECT MAX(id) FROM articles").fetchone()[0]
    blocks = conn.execute("SELECT block, max_date FROM article_date_blocks").fetchall()
    want = conn.execute(
        "SELECT id >> 10, MAX(COALESCE(published_at, first_seen_at, '')) FROM articles GROUP BY 1"
    ).fetchall()
    assert blocks == want
    assert words_recorded_from(conn) == top + 1  # older words are owed, search reads prefixes
    hits = [r["id"] for r in search_archive(str(path), "revolusi mental", limit=50)]
    matched = _fts_ids(conn, '"revolusi mental"')
    assert hits and sorted(hits) == matched
    while record_missing_words(conn):
        pass
    assert words_recorded_from(conn) == 0
    assert [r["id"] for r in search_archive(str(path), "revolusi mental", limit=50)] == hits
    conn.close()


@pytest.mark.parametrize("name", OLD)
def test_an_upgraded_archive_takes_new_articles_and_finds_them(name, tmp_path):
    path = _unpack(name, tmp_path)
    archive = Archive(path)
    result = archive.store_article(
        ExtractedArticle(
            url="https://example.go.id/berita/apel-pagi",
            title="Apel pagi ASN Kabupaten Sintang",
            text="Bupati memimpin apel pagi dan mengingatkan ASN soal disiplin kerja.",
        ),
        source="example",
        fetched_url="https://example.go.id/berita/apel-pagi",
        matches=[],
        config=None,
    )
    assert result.status == "new"
    assert _fts_ids(archive.db.conn, "Sintang") == [result.article_id]
    archive.close()


def test_opening_again_changes_nothing_and_a_newer_archive_is_left_alone(tmp_path):
    path = _unpack("v1-6e019e3.db.gz", tmp_path)
    connect(path).close()
    conn = sqlite3.connect(path)
    once = _snapshot(conn)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")  # written by a later release
    conn.commit()
    conn.close()
    again = connect(path)
    assert again.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 5
    assert _snapshot(again) == once
    again.close()
