"""Opening the archive and writing to it: one `connect`, one write transaction.

Writers open it read-write (the folder, the file and the schema are created or upgraded on
open, WAL with foreign keys on); readers that must never take a lock or create a file
(`pantau status`, the spider's known-URL checks) open it read-only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

WRITE_BUSY_S = 30.0  # a writer waits this long for another's lock (crawl, sender, tidy)
READ_BUSY_S = 5.0  # a read-only check waits less: it must never hold a crawl up


def connect(
    path: str | Path,
    readonly: bool = False,
    *,
    busy_s: float | None = None,
    named_rows: bool = False,
    migrate: bool = True,
) -> sqlite3.Connection:
    """Open the archive at `path`.

    Read-write: creates the folder and file, sets WAL, `synchronous = NORMAL` and foreign keys,
    and brings the schema up to date (migrations). Read-only (`mode=ro`): never creates or
    changes anything; raises `sqlite3.OperationalError` when there is no file. `named_rows`
    gives `sqlite3.Row` rows (by name and by index) instead of tuples. `migrate=False` (the
    alert sender) leaves the schema as it is: a file that is no archive gets no tables.
    """
    path = Path(path)
    if readonly:
        conn = sqlite3.connect(
            path.resolve().as_uri() + "?mode=ro",
            uri=True,
            timeout=busy_s or READ_BUSY_S,
            check_same_thread=False,
        )
        conn.execute(f"PRAGMA busy_timeout = {int((busy_s or READ_BUSY_S) * 1000)}")
    else:
        from pantau.pipeline.archive import migrations  # which imports this module

        path.parent.mkdir(parents=True, exist_ok=True)
        busy = busy_s or WRITE_BUSY_S
        conn = sqlite3.connect(str(path), timeout=busy, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {int(busy * 1000)}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        if migrate:
            migrations.migrate(conn)
    if named_rows:
        conn.row_factory = sqlite3.Row
    return conn


Handle = TypeVar("Handle")


@contextmanager
def transaction(handle: Handle) -> Iterator[Handle]:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on any error): the write lock is taken up front,
    so concurrent writers queue on busy_timeout instead of failing halfway.

    `handle` is a connection or a sqlite_utils Database; it is yielded back.
    """
    conn: sqlite3.Connection = getattr(handle, "conn", handle)
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield handle
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")
