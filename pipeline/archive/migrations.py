"""Numbered schema migrations, keyed on `PRAGMA user_version`.

Migration n (1-based) brings an archive from version n-1 to n; `connect` runs the ones an
archive lacks, in order, and stamps each. To change the schema, add a function at the end of
MIGRATIONS (docs/schema.md, "Migrations"); never edit one that has shipped.

Every release before numbered migrations stamped user_version 1 on every archive, whatever
tables it had (the date blocks and word list were added later under the same number, by
existence checks). So an archive at version 1 replays every migration from the first, and the
first three are written to be idempotent for that reason; from 4 on, each runs exactly once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import sqlite_utils

from pantau.pipeline.archive import schema

WORDS_DDL = [
    "CREATE TABLE IF NOT EXISTS article_words (word TEXT PRIMARY KEY) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS archive_meta (key TEXT PRIMARY KEY, value TEXT)",
]

# The last version that every earlier release stamped, whatever its tables (see above).
LEGACY_VERSION = 1


def _1_base(db: sqlite_utils.Database) -> None:
    """The tables, indexes, one-alert unique indexes and full-text index; an archive from an
    earlier version 1 gets the tables and columns it lacks (columns are only ever added)."""
    for ddl in WORDS_DDL:  # before TABLES: the word list is a WITHOUT ROWID table
        db.execute(ddl)
    for name, spec in schema.TABLES.items():
        table = db.table(name)
        if not table.exists():
            table.create(
                spec["columns"],
                pk=spec["pk"],
                foreign_keys=spec.get("foreign_keys"),
                not_null=spec.get("not_null"),
            )
        else:
            add_missing_columns(db, name)
    for table_name, cols, unique, _ in schema.INDEXES:
        db.table(table_name).create_index(cols, unique=unique, if_not_exists=True)
    for ddl in schema.RAW_DDL:
        db.execute(ddl)
    if not db.table("articles_fts").exists():
        db.table("articles").enable_fts(
            ["title", "text"], create_triggers=True, tokenize="unicode61 remove_diacritics 2"
        )


def add_missing_columns(db: sqlite_utils.Database, table: str) -> None:
    """Add the columns `schema.TABLES[table]` names that the table lacks (a later migration
    adding a column calls this: a new archive already has it from migration 1)."""
    existing = set(db.table(table).columns_dict)
    for col, typ in schema.TABLES[table]["columns"].items():
        if col not in existing:
            db.table(table).add_column(col, typ)


def _2_date_blocks(db: sqlite_utils.Database) -> None:
    """Search's date blocks, kept by triggers; an archive without them gets them filled once."""
    existed = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'articles_date_block_ai'"
    ).fetchone()
    for ddl in schema.DATE_BLOCK_DDL:
        db.execute(ddl)
    if not existed:
        db.execute(
            "INSERT INTO article_date_blocks(block, max_date) "
            f"SELECT id >> {schema.DATE_BLOCK_BITS}, MAX({schema.SORT_DATE_SQL.format(t='')}) "
            "FROM articles WHERE true GROUP BY 1 "
            "ON CONFLICT(block) DO UPDATE SET max_date = MAX(max_date, excluded.max_date)"
        )
        db.conn.commit()


def _3_article_words(db: sqlite_utils.Database) -> None:
    """The archive's word list; an archive from before it notes that its existing articles'
    words are not recorded yet (`archive_meta.article_words_from`: the tidy fills them)."""
    if db.execute("SELECT 1 FROM archive_meta WHERE key = ?", (schema.WORDS_FROM_KEY,)).fetchone():
        return
    start = (db.execute("SELECT MAX(id) FROM articles").fetchone()[0] or -1) + 1
    db.execute(
        "INSERT OR IGNORE INTO archive_meta(key, value) VALUES (?, ?)",
        (schema.WORDS_FROM_KEY, start),
    )
    db.conn.commit()


def _4_frontier(db: sqlite_utils.Database) -> None:
    """The frontier of owed article URLs (pipeline/archive/frontier.py,
    spiders/incremental.py): the table and its index, or the columns it lacks."""
    cols = ", ".join(f"{name} {decl}" for name, decl in schema.FRONTIER_COLUMNS.items())
    db.execute(f"CREATE TABLE IF NOT EXISTS frontier ({cols})")
    have = {row[1] for row in db.execute("PRAGMA table_info(frontier)").fetchall()}
    for name, decl in schema.FRONTIER_COLUMNS.items():
        if name not in have:
            db.execute(f"ALTER TABLE frontier ADD COLUMN {name} {decl.replace('PRIMARY KEY', '')}")
    db.execute(
        "CREATE INDEX IF NOT EXISTS frontier_source_status "
        "ON frontier(source, status, next_attempt_at)"
    )


def _5_cluster(db: sqlite_utils.Database) -> None:
    """What the coordinator of a cluster saw (pipeline/archive/cluster.py, shown in Datasette):
    `cluster_snapshots` and `cluster_workers`, or the columns they lack."""
    for table in ("cluster_snapshots", "cluster_workers"):
        columns = schema.DDL_TABLES[table]
        cols = ", ".join(f"{name} {decl}" for name, decl in columns.items())
        db.execute(f"CREATE TABLE IF NOT EXISTS {table} ({cols})")
        have = {row[1] for row in db.execute(f"PRAGMA table_info({table})").fetchall()}
        for name, decl in columns.items():
            if name not in have:
                plain = decl.replace("PRIMARY KEY", "").replace("NOT NULL", "")
                db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {plain}")
    db.execute("CREATE INDEX IF NOT EXISTS cluster_snapshots_run ON cluster_snapshots(run_id)")


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _1_base,
    _2_date_blocks,
    _3_article_words,
    _4_frontier,
    _5_cluster,
]
SCHEMA_VERSION = len(MIGRATIONS)


def version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection) -> int:
    """Run the migrations this archive lacks, stamping each; returns the version it is at.

    An archive newer than this code (a later release wrote it) is left as it is.
    """
    db = sqlite_utils.Database(conn)
    at = version(conn)
    start = 0 if at <= LEGACY_VERSION else at
    for n in range(start, SCHEMA_VERSION):
        MIGRATIONS[n](db)
        conn.execute(f"PRAGMA user_version = {n + 1}")
        if conn.in_transaction:
            conn.commit()
    return max(at, SCHEMA_VERSION)
