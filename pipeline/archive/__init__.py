"""The archive's one door: every connection, transaction, schema change and SQL statement.

Nothing outside this package opens the SQLite file or writes SQL (tests/test_archive_door.py
fails if something does), so a change to a table, a pragma or a query is made here, once.

- `db`: `connect(path, readonly=...)` and `transaction(conn)`, the only ways in.
- `schema`, `migrations`: the tables, and numbered steps keyed on `PRAGMA user_version`.
- `store`: the crawl's write side (`Archive.store_article`, `store_page`, crawl runs).
- `queries`: the named reads of the CLI, status, search, demo, re-extraction and spider.
- `outbox`: the alert sender's reads and writes of the `alerts` table.
- `frontier`: the article URLs the crawl owes, until stored or given up.
- `upkeep`: after each run, the full-text index merge and the word list backfill.
- `cluster`: snapshots of a cluster's workers and queues, for Datasette (distributed mode).
"""
