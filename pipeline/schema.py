"""The archive's tables, created and migrated by code.

Names here are a public contract (docs/schema.md, ../shared/spec/interface.md section 5):
analysts' queries depend on them. Add columns freely; never rename or drop one.
"""

from __future__ import annotations

import sqlite_utils

SCHEMA_VERSION = 1

TABLES: dict[str, dict] = {
    "sources": dict(
        columns={"name": str, "url": str, "region": str, "template": str, "enabled": int},
        pk="name",
    ),
    "stories": dict(
        columns={
            "id": int,
            "title": str,
            "first_seen_at": str,
            "article_count": int,
            "first_article_id": int,
        },
        pk="id",
    ),
    "articles": dict(
        columns={
            "id": int,
            "url": str,
            "source": str,
            "title": str,
            "author": str,
            "editor": str,
            "site_name": str,
            "published_at": str,
            "published_at_source": str,
            "updated_at": str,
            "language": str,
            "region": str,
            "text": str,
            "word_count": int,
            "content_hash": str,
            "story_id": int,
            "revision": int,
            "first_seen_at": str,
            "last_seen_at": str,
            "fetched_url": str,
            "story_type": str,  # article | photo | video
        },
        pk="id",
        foreign_keys=[("story_id", "stories", "id")],
        not_null={"url"},
    ),
    "url_aliases": dict(
        columns={"url": str, "article_id": int, "first_seen_at": str},
        pk="url",
        foreign_keys=[("article_id", "articles", "id")],
    ),
    "matches": dict(
        columns={
            "article_id": int,
            "topic": str,
            "snippet": str,
            "matched_terms": str,  # JSON list
            "content_hash": str,
            "matched_at": str,
        },
        pk=("article_id", "topic"),
        foreign_keys=[("article_id", "articles", "id")],
    ),
    "alerts": dict(
        columns={
            "id": int,
            "subscription": str,
            "channel": str,
            "story_id": int,
            "article_id": int,
            "kind": str,  # new | updated
            "status": str,  # pending | sent | dead
            "topics": str,  # JSON list of topic names
            "content_hash": str,
            "webhook_id": str,
            "attempts": int,
            "last_error": str,
            "next_attempt_at": str,
            "lease_until": str,  # a sender has claimed the row until then (crash recovery)
            "created_at": str,
            "sent_at": str,
            "delivery_id": str,  # digest message id that carried this alert, if any
        },
        pk="id",
        foreign_keys=[("story_id", "stories", "id"), ("article_id", "articles", "id")],
    ),
    "digest_state": dict(
        columns={"subscription": str, "last_sent_at": str},
        pk="subscription",
    ),
    "article_revisions": dict(
        columns={
            "article_id": int,
            "revision": int,
            "title": str,
            "text": str,
            "content_hash": str,
            "seen_at": str,
        },
        pk=("article_id", "revision"),
        foreign_keys=[("article_id", "articles", "id")],
    ),
    "pages": dict(
        columns={
            "url": str,
            "source": str,
            "kind": str,  # article | feed | sitemap | listing | search | robots
            "fetched_at": str,
            "status": int,
            "etag": str,
            "last_modified": str,
            "content_type": str,
            "body_hash": str,
            "parent_url": str,  # for pages 2..n of a multi-page article: the first page's URL
            "page_no": int,
            "html": bytes,  # zlib-compressed raw body
            "reason": str,  # why an article candidate gave no article, in plain words
            "signals": str,  # JSON object: the measurements that decided the rejection
        },
        pk="url",
    ),
    "crawl_runs": dict(
        columns={
            "id": int,
            "run_id": str,
            "started_at": str,
            "finished_at": str,
            "status": str,  # running | ok | failed | blocked | partial
            "source": str,
            "requests": int,
            "pages": int,
            "articles_new": int,
            "articles_updated": int,
            "matches": int,
            "errors": int,
            "blocked": int,
            "not_articles": int,
            "rejected": int,  # article candidates rejected (classifier or extraction)
            "rejected_kinds": str,  # JSON object: rejected count per kind
            "with_date": int,
            "articles_seen": int,  # article pages that gave an article, changed or not
            "duration_s": float,
            "error_summary": str,
        },
        pk="id",
    ),
    "minhashes": dict(
        columns={"article_id": int, "signature": bytes},
        pk="article_id",
    ),
    "article_date_blocks": dict(
        columns={"block": int, "max_date": str},
        pk="block",
        not_null={"max_date"},
    ),
    "article_words": dict(
        columns={"word": str},
        pk="word",
    ),
    "archive_meta": dict(
        columns={"key": str, "value": str},
        pk="key",
    ),
    "minhash_bands": dict(
        columns={"band": int, "bucket": int, "article_id": int},
        pk=("band", "bucket", "article_id"),
    ),
}

INDEXES: list[tuple[str, list[str], bool, str | None]] = [
    ("articles", ["url"], True, None),
    ("articles", ["story_id"], False, None),
    ("articles", ["content_hash"], False, None),
    ("articles", ["source", "published_at"], False, None),
    ("articles", ["published_at"], False, None),
    ("url_aliases", ["article_id"], False, None),
    ("matches", ["topic", "matched_at"], False, None),
    ("alerts", ["status", "next_attempt_at"], False, None),
    ("crawl_runs", ["source", "started_at"], False, None),
    ("minhash_bands", ["article_id"], False, None),
    ("pages", ["parent_url"], False, None),
    ("pages", ["source", "kind"], False, None),
]

# Partial unique indexes carry the "exactly one alert" rule into the database itself.
RAW_DDL = [
    "CREATE UNIQUE INDEX IF NOT EXISTS alerts_one_new_per_story "
    "ON alerts(subscription, story_id) WHERE kind = 'new'",
    "CREATE UNIQUE INDEX IF NOT EXISTS alerts_one_update_per_version "
    "ON alerts(subscription, article_id, content_hash) WHERE kind = 'updated'",
    "CREATE UNIQUE INDEX IF NOT EXISTS alerts_webhook_id ON alerts(webhook_id)",
]

# Newest-first search walks the archive a block of ids at a time, newest block first, and stops
# once no unread block can hold a newer article (pantau/search.py). Each block keeps an upper
# bound of its articles' sort date, maintained by triggers so every writer keeps it right.
DATE_BLOCK_BITS = 10
SORT_DATE_SQL = "COALESCE({t}published_at, {t}first_seen_at, '')"
_BLOCK_UPSERT = (
    "INSERT INTO article_date_blocks(block, max_date) "
    f"VALUES (new.id >> {DATE_BLOCK_BITS}, {SORT_DATE_SQL.format(t='new.')}) "
    "ON CONFLICT(block) DO UPDATE SET max_date = MAX(max_date, excluded.max_date)"
)
DATE_BLOCK_DDL = [
    f"CREATE TRIGGER IF NOT EXISTS articles_date_block_ai AFTER INSERT ON articles "
    f"BEGIN {_BLOCK_UPSERT}; END",
    f"CREATE TRIGGER IF NOT EXISTS articles_date_block_au "
    f"AFTER UPDATE OF published_at, first_seen_at ON articles BEGIN {_BLOCK_UPSERT}; END",
]


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create missing tables, columns and indexes; safe to call on every open."""
    _ensure_article_words(db)
    for name, spec in TABLES.items():
        table = db.table(name)
        if not table.exists():
            table.create(
                spec["columns"],
                pk=spec["pk"],
                foreign_keys=spec.get("foreign_keys"),
                not_null=spec.get("not_null"),
            )
        else:
            existing = set(table.columns_dict)
            for col, typ in spec["columns"].items():
                if col not in existing:
                    table.add_column(col, typ)
    for table_name, cols, unique, _ in INDEXES:
        db.table(table_name).create_index(cols, unique=unique, if_not_exists=True)
    for ddl in RAW_DDL:
        db.execute(ddl)
    _ensure_date_blocks(db)
    if not db.table("articles_fts").exists():
        db.table("articles").enable_fts(
            ["title", "text"], create_triggers=True, tokenize="unicode61 remove_diacritics 2"
        )
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _ensure_date_blocks(db: sqlite_utils.Database) -> None:
    """Create the search's date blocks; an archive from before them gets them filled once."""
    existed = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'articles_date_block_ai'"
    ).fetchone()
    for ddl in DATE_BLOCK_DDL:
        db.execute(ddl)
    if not existed:
        db.execute(
            "INSERT INTO article_date_blocks(block, max_date) "
            f"SELECT id >> {DATE_BLOCK_BITS}, MAX({SORT_DATE_SQL.format(t='')}) FROM articles "
            "WHERE true GROUP BY 1 "
            "ON CONFLICT(block) DO UPDATE SET max_date = MAX(max_date, excluded.max_date)"
        )
        db.conn.commit()


# Every distinct word (FTS5 token) of the archive's titles and texts, so a search can turn a
# stem's prefix query ("pemerintah"*, which makes FTS5 read every posting of every word with
# that prefix) into the few exact words the archive holds. Words of articles below
# `archive_meta.article_words_from` are not recorded yet (an archive from before this table);
# the post-run tidy records them in batches and search reads prefixes until it is complete.
WORDS_FROM_KEY = "article_words_from"


def _ensure_article_words(db: sqlite_utils.Database) -> None:
    if db.table("article_words").exists():
        return
    db.execute("CREATE TABLE IF NOT EXISTS article_words (word TEXT PRIMARY KEY) WITHOUT ROWID")
    db.execute("CREATE TABLE IF NOT EXISTS archive_meta (key TEXT PRIMARY KEY, value TEXT)")
    start = 0
    if db.table("articles").exists():
        start = (db.execute("SELECT MAX(id) FROM articles").fetchone()[0] or -1) + 1
    db.execute(
        "INSERT OR IGNORE INTO archive_meta(key, value) VALUES (?, ?)", (WORDS_FROM_KEY, start)
    )
    db.conn.commit()
