"""Keeping search quick after writes: the archive's word list and its full-text index.

After each run (`tidy_archive`), a bounded amount of work: the full-text index's segments are
merged, and the words of articles older than the word list are recorded, newest first.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from pantau.pipeline import textnorm
from pantau.pipeline.archive import schema
from pantau.pipeline.archive.db import connect, transaction

log = logging.getLogger("pantau")


def record_words(conn: sqlite3.Connection, *texts: str | None) -> None:
    """Add the words of these texts to `article_words` (the tokens FTS5 indexes)."""
    words: set[str] = set()
    for t in texts:
        if t:
            words.update(textnorm.token_norms(textnorm.nfc(t)))
    conn.executemany("INSERT OR IGNORE INTO article_words(word) VALUES (?)", [(w,) for w in words])


def words_recorded_from(conn: sqlite3.Connection) -> int:
    """Articles with ids from here up have their words in `article_words` (0: all do)."""
    row = conn.execute(
        "SELECT value FROM archive_meta WHERE key = ?", (schema.WORDS_FROM_KEY,)
    ).fetchone()
    start = int(row[0]) if row else 0
    if start <= 1:
        return 0
    first = conn.execute("SELECT MIN(id) FROM articles").fetchone()[0]
    return 0 if first is None or first >= start else start


def record_missing_words(conn: sqlite3.Connection, budget: int = 20_000) -> int:
    """Record the words of up to `budget` older articles not yet in `article_words` (an
    archive from before the table), newest first; returns how many articles it read."""
    start = words_recorded_from(conn)
    if start == 0:
        return 0
    row = conn.execute(  # the batch: the `budget` articles just below `start`
        "SELECT id FROM articles WHERE id < ? ORDER BY id DESC LIMIT 1 OFFSET ?",
        (start, budget - 1),
    ).fetchone()
    lo = row[0] if row else 0
    if conn.in_transaction:
        conn.commit()
    n = 0
    with transaction(conn):
        for title, text in conn.execute(
            "SELECT title, text FROM articles WHERE id >= ? AND id < ?", (lo, start)
        ).fetchall():
            record_words(conn, title, text)
            n += 1
        conn.execute("UPDATE archive_meta SET value = ? WHERE key = ?", (lo, schema.WORDS_FROM_KEY))
    return n


def tidy_archive(db_path: str | Path) -> None:
    """After a run's writes (and its alerts): keep search quick. Merges the full-text index's
    segments and records the words of older articles, a bounded amount each time; a busy or
    full disk only logs, since the run's work is already saved."""
    conn = connect(db_path)
    try:
        pages = tidy_fts_index(conn)
        log.debug("full-text index: merged about %d pages", pages)
        older = record_missing_words(conn)
        if older:
            log.info("search vocabulary: recorded the words of %d older articles", older)
    except sqlite3.OperationalError as exc:
        log.warning("full-text index not tidied: %s", exc)
    finally:
        conn.close()


FTS_MERGE_PAGES = 500  # pages per FTS5 'merge' step
FTS_TIDY_BUDGET = 40_000  # pages (about 160 MB) of merging per run at most


def tidy_fts_index(conn: sqlite3.Connection, budget_pages: int = FTS_TIDY_BUDGET) -> int:
    """Merge the full-text index's segments, a bounded amount per call; returns pages merged.

    Every commit adds a segment to articles_fts and FTS5 merges only when four pile up on a
    level, so a live archive carries twenty or more; every term lookup of a query is paid once
    per segment (and a prefix term, used until `article_words` is filled, reads every posting
    in each). Run after each crawl: with usermerge 2, any two segments of a level merge, and an
    unfinished merge resumes next time.
    """
    conn.execute("INSERT INTO articles_fts(articles_fts, rank) VALUES('usermerge', 2)")
    merged = 0
    while merged < budget_pages:
        before = conn.total_changes
        conn.execute(
            "INSERT INTO articles_fts(articles_fts, rank) VALUES('merge', ?)", (FTS_MERGE_PAGES,)
        )
        conn.commit()
        if conn.total_changes - before < 2:  # FTS5's own signal: nothing left to merge
            break
        merged += FTS_MERGE_PAGES
    return merged
