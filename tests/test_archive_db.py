"""`pipeline.archive.db`: the one way to open the archive and the one write transaction."""

from __future__ import annotations

import sqlite3

import pytest

from pantau.pipeline.archive.db import connect, transaction
from pantau.pipeline.archive.migrations import SCHEMA_VERSION


def test_a_writer_creates_folder_file_and_schema_in_wal_with_foreign_keys(tmp_path):
    conn = connect(tmp_path / "new" / "pantau.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30000
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def test_a_reader_creates_nothing_and_writes_nothing(tmp_path):
    missing = tmp_path / "none.db"
    with pytest.raises(sqlite3.OperationalError):
        connect(missing, readonly=True).execute("SELECT 1 FROM sqlite_master").fetchone()
    assert not missing.exists()
    connect(tmp_path / "a.db").close()
    ro = connect(tmp_path / "a.db", readonly=True, named_rows=True)
    assert ro.execute("SELECT count(*) AS n FROM articles").fetchone()["n"] == 0
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        ro.execute("INSERT INTO sources(name) VALUES ('x')")
    ro.close()


def test_a_sender_connection_leaves_a_file_that_is_no_archive_as_it_is(tmp_path):
    path = tmp_path / "other.db"
    sqlite3.connect(path).close()
    conn = connect(path, migrate=False)
    assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    conn.close()


def test_the_transaction_commits_or_rolls_back_everything(tmp_path):
    conn = connect(tmp_path / "a.db")
    with transaction(conn):
        conn.execute("INSERT INTO sources(name) VALUES ('kept')")
    with pytest.raises(RuntimeError), transaction(conn):
        conn.execute("INSERT INTO sources(name) VALUES ('lost')")
        raise RuntimeError("crash halfway")
    assert [r[0] for r in conn.execute("SELECT name FROM sources")] == ["kept"]
    other = connect(tmp_path / "a.db", busy_s=0.1)
    with transaction(conn), pytest.raises(sqlite3.OperationalError, match="locked"):
        other.execute("BEGIN IMMEDIATE")  # the write lock is taken at BEGIN, not at first write
    other.close()
    conn.close()
