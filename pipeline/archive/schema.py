"""The archive's tables, as a new archive gets them (pipeline/archive/migrations.py makes them).

Names here are a public contract (docs/schema.md, ../shared/spec/interface.md section 5):
analysts' queries depend on them. Add columns freely (and a migration that adds them to
existing archives); never rename or drop one.
"""

from __future__ import annotations

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


# Every distinct word (FTS5 token) of the archive's titles and texts, so a search can turn a
# stem's prefix query ("pemerintah"*, which makes FTS5 read every posting of every word with
# that prefix) into the few exact words the archive holds. Words of articles below
# `archive_meta.article_words_from` are not recorded yet (an archive from before this table);
# the post-run tidy records them in batches and search reads prefixes until it is complete.
WORDS_FROM_KEY = "article_words_from"


# The frontier (issue 14): every article URL discovery decided to fetch, until it is stored or
# given up, and the site's own modification date for it (Atom <updated>, RSS atom:updated,
# sitemap <lastmod>) as last seen, so an edit is found by comparing the site's dates with each
# other, never with our clock. Written by pipeline/archive/frontier.py, read by
# spiders/incremental.py; created by migration 4 (pipeline/archive/migrations.py).
FRONTIER_COLUMNS: dict[str, str] = {
    "url": "TEXT PRIMARY KEY",  # canonical URL of the article link
    "source": "TEXT",
    "discovered_url": "TEXT",  # the link as found
    "discovered_via": "TEXT",  # feed | sitemap | listing | search | home | redirect
    "listed_date": "TEXT",  # the date the discovery path gave
    "site_date": "TEXT",  # the newest modification date the site gave (updated/lastmod)
    "status": "TEXT NOT NULL DEFAULT 'owed'",  # owed | done | gave-up
    "attempts": "INTEGER NOT NULL DEFAULT 0",  # failed fetches since it became owed
    "first_seen_at": "TEXT",
    "last_attempt_at": "TEXT",
    "next_attempt_at": "TEXT",  # an owed URL is not fetched before this (backoff)
    "last_error": "TEXT",  # http_503, network, too_large, blocked, temporary redirect ...
    "reason": "TEXT",  # how it was resolved, or why it was given up, in words
    "resolved_at": "TEXT",
}


# The cluster as the coordinator saw it (issue 15, docs/scaling.md): Datasette reads the archive,
# not Redis, so the coordinator (the archive's only writer) records what `cluster_status` reports
# every PANTAU_CLUSTER_SNAPSHOT_SECONDS and when its crawl ends. Written by
# pipeline/archive/cluster.py from pantau/cluster_view.py; created by migration 5. Times are
# UTC text with a Z, as every time Pantau records.
CLUSTER_SNAPSHOTS_COLUMNS: dict[str, str] = {
    "id": "INTEGER PRIMARY KEY",
    "taken_at": "TEXT NOT NULL",  # when the coordinator asked Redis
    "run_id": "TEXT",  # crawl_runs.run_id of the coordinator's run
    "redis": "TEXT",  # the Redis URL, password masked
    "workers_up": "INTEGER",  # workers that reported within the last 30 s
    "queued": "INTEGER",  # pages waiting in the queues, all queues together
    "in_progress": "INTEGER",  # pages a worker has taken and not finished, all queues
    "pages_per_minute": "REAL",  # pages the workers extracted a minute (last 5 minutes)
    "fetched_per_minute": "REAL",  # requests the workers fetched a minute (NULL: not reported)
    "queues": "TEXT",  # JSON object: queue name -> {"queued": n, "in_progress": n}
}
CLUSTER_WORKERS_COLUMNS: dict[str, str] = {
    "worker_id": "TEXT PRIMARY KEY",  # host:pid, as `pantau status` prints it
    "host": "TEXT",
    "pid": "INTEGER",
    "started_at": "TEXT",  # when the worker process started (its own clock)
    "first_seen_at": "TEXT",  # the first snapshot that listed it
    "last_seen_at": "TEXT",  # its last report to Redis, as of the latest snapshot listing it
    "pages_extracted": "INTEGER",  # pages it extracted since it started
    "pages_fetched": "INTEGER",  # requests it fetched for the coordinator (cluster fetch)
    "state": "TEXT",  # up (listed by the latest snapshot) | gone
    "last_snapshot_id": "INTEGER",  # cluster_snapshots.id of the latest snapshot listing it
}

# Tables a migration of their own makes from column declarations (not TABLES, migration 1).
DDL_TABLES: dict[str, dict[str, str]] = {
    "frontier": FRONTIER_COLUMNS,
    "cluster_snapshots": CLUSTER_SNAPSHOTS_COLUMNS,
    "cluster_workers": CLUSTER_WORKERS_COLUMNS,
}
