"""The SQLite archive: one row per article, copies tied into stories, alerts queued atomically.

Every article is stored, matched and its alerts queued in ONE write transaction, so a crash at
any moment leaves either all of it or none of it: a re-run then finds the article unknown and
does the whole step again, and the unique indexes on `alerts` make a second alert impossible.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from pipeline import dedup, schema, textnorm
from pipeline.canonical import canonicalize_url
from pipeline.config import PantauConfig, Source, Subscription
from pipeline.models import ExtractedArticle, TopicMatch
from pipeline.schema import ensure_schema
from pipeline.timestamps import utc_z

log = logging.getLogger("pantau")


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (creating folder, file and schema) the archive in WAL mode with foreign keys on."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA busy_timeout = 30000")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    ensure_schema(db)
    return db


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
    conn.execute("BEGIN IMMEDIATE")
    try:
        n = 0
        for title, text in conn.execute(
            "SELECT title, text FROM articles WHERE id >= ? AND id < ?", (lo, start)
        ).fetchall():
            record_words(conn, title, text)
            n += 1
        conn.execute("UPDATE archive_meta SET value = ? WHERE key = ?", (lo, schema.WORDS_FROM_KEY))
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return n


def tidy_archive(db_path: str | Path) -> None:
    """After a run's writes (and its alerts): keep search quick. Merges the full-text index's
    segments and records the words of older articles, a bounded amount each time; a busy or
    full disk only logs, since the run's work is already saved."""
    db = open_db(db_path)
    try:
        pages = tidy_fts_index(db.conn)
        log.debug("full-text index: merged about %d pages", pages)
        older = record_missing_words(db.conn)
        if older:
            log.info("search vocabulary: recorded the words of %d older articles", older)
    except sqlite3.OperationalError as exc:
        log.warning("full-text index not tidied: %s", exc)
    finally:
        db.conn.close()


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


@contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """BEGIN IMMEDIATE ... COMMIT: take the write lock up front so concurrent writers queue."""
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    else:
        db.conn.execute("COMMIT")


def compress(body: bytes) -> bytes:
    return zlib.compress(body, 6)


def decompress(blob: bytes | None) -> bytes:
    return zlib.decompress(blob) if blob else b""


def body_hash(body: bytes) -> str:
    """`pages.body_hash`: sha256 hex of the raw body, so the spider can skip an unchanged page."""
    return hashlib.sha256(body).hexdigest()


def webhook_id(subscription: str, story_id: int, kind: str, article_id: int, chash: str) -> str:
    """A stable Standard Webhooks message id: the same alert always has the same id."""
    key = f"{subscription}\x00{story_id}\x00{kind}\x00{article_id if kind != 'new' else ''}"
    if kind != "new":
        key += f"\x00{chash}"
    digest = hashlib.sha256(key.encode()).digest()
    return "msg_" + base64.b32encode(digest).decode().lower().rstrip("=")[:27]


@dataclass
class StoreResult:
    """What storing one extracted article did."""

    article_id: int
    story_id: int
    status: str  # new | updated | unchanged | alias | copy (new article of a known story)
    content_hash: str
    matches: list[TopicMatch] = field(default_factory=list)
    alerts_queued: int = 0


class Archive:
    """Write side of the archive for the crawl pipeline, the CLI and re-extraction."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        self.db = open_db(path)

    def close(self) -> None:
        self.db.conn.close()

    # -- sources and pages -------------------------------------------------------------

    def sync_sources(self, sources: Iterable[Source]) -> None:
        with write_transaction(self.db):
            for s in sources:
                self.db.execute(
                    "INSERT INTO sources(name, url, region, template, enabled) VALUES (?,?,?,?,?) "
                    "ON CONFLICT(name) DO UPDATE SET url=excluded.url, region=excluded.region, "
                    "template=excluded.template, enabled=excluded.enabled",
                    (s.name, s.url, s.region, s.template, int(s.enabled)),
                )

    def store_page(
        self,
        url: str,
        *,
        source: str,
        kind: str,
        status: int,
        body: bytes,
        fetched_at: str,
        etag: str | None = None,
        last_modified: str | None = None,
        content_type: str | None = None,
        parent_url: str | None = None,
        page_no: int | None = None,
        keep_body: bool = True,
        compressed: bytes | None = None,
        reason: str | None = None,
        signals: dict | None = None,
    ) -> None:
        """Record a fetched page: its conditional-GET validators, body hash and raw body.

        A 304 carries no body: it refreshes the fetch time and validators but keeps the stored
        body and its hash, which still describe the page. `compressed` is `compress(body)` when
        the caller already has it (the crawl compresses in a thread beside extraction).
        `reason` and `signals` say why an article candidate gave no article (a rejection is
        never silent); a later fetch without them clears them.
        """
        if status == 304:
            self.db.execute(
                "INSERT INTO pages(url, source, kind, fetched_at, status, etag, last_modified) "
                "VALUES (?,?,?,?,?,?,?) ON CONFLICT(url) DO UPDATE SET fetched_at=excluded."
                "fetched_at, status=excluded.status, etag=COALESCE(excluded.etag, pages.etag), "
                "last_modified=COALESCE(excluded.last_modified, pages.last_modified)",
                (url, source, kind, fetched_at, status, etag, last_modified),
            )
            return
        digest = body_hash(body)
        blob = (compressed if compressed is not None else compress(body)) if keep_body else None
        self.db.execute(
            "INSERT INTO pages(url, source, kind, fetched_at, status, etag, last_modified, "
            "content_type, body_hash, parent_url, page_no, html, reason, signals) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT(url) DO UPDATE SET source=excluded.source, kind=excluded.kind, "
            "fetched_at=excluded.fetched_at, status=excluded.status, etag=excluded.etag, "
            "last_modified=excluded.last_modified, content_type=excluded.content_type, "
            "body_hash=excluded.body_hash, parent_url=excluded.parent_url, "
            "page_no=excluded.page_no, html=excluded.html, reason=excluded.reason, "
            "signals=excluded.signals",
            (
                url,
                source,
                kind,
                fetched_at,
                status,
                etag,
                last_modified,
                content_type,
                digest,
                parent_url,
                page_no,
                blob,
                reason,
                json.dumps(signals, ensure_ascii=False, default=str) if signals else None,
            ),
        )

    # -- articles ----------------------------------------------------------------------

    def _find_by_url(self, urls: Iterable[str]) -> int | None:
        for u in urls:
            row = self.db.execute("SELECT id FROM articles WHERE url = ?", (u,)).fetchone()
            if row:
                return row[0]
            row = self.db.execute(
                "SELECT article_id FROM url_aliases WHERE url = ?", (u,)
            ).fetchone()
            if row:
                return row[0]
        return None

    def _add_aliases(self, article_id: int, urls: Iterable[str], canonical: str, now: str) -> None:
        for u in set(urls):
            if u and u != canonical:
                self.db.execute(
                    "INSERT OR IGNORE INTO url_aliases(url, article_id, first_seen_at) "
                    "VALUES (?,?,?)",
                    (u, article_id, now),
                )

    def _near_duplicate_story(self, sig: dedup.Signature | None) -> tuple[int, int] | None:
        """(story_id, article_id) of the most similar stored article above the threshold."""
        if sig is None:
            return None
        buckets = sig.band_buckets()
        candidates: dict[int, int] = {}
        for band, bucket in buckets:
            for (aid,) in self.db.execute(
                "SELECT article_id FROM minhash_bands WHERE band = ? AND bucket = ?",
                (band, bucket),
            ):
                candidates[aid] = candidates.get(aid, 0) + 1
        best: tuple[float, int] | None = None
        for aid in sorted(candidates, key=candidates.get, reverse=True)[:20]:
            row = self.db.execute(
                "SELECT signature FROM minhashes WHERE article_id = ?", (aid,)
            ).fetchone()
            if not row:
                continue
            score = sig.jaccard(dedup.Signature.from_bytes(row[0]))
            if score >= dedup.JACCARD_THRESHOLD and (best is None or score > best[0]):
                best = (score, aid)
        if best is None:
            return None
        row = self.db.execute("SELECT story_id FROM articles WHERE id = ?", (best[1],)).fetchone()
        return (row[0], best[1]) if row else None

    def _index_signature(self, article_id: int, sig: dedup.Signature | None) -> None:
        self.db.execute("DELETE FROM minhash_bands WHERE article_id = ?", (article_id,))
        self.db.execute("DELETE FROM minhashes WHERE article_id = ?", (article_id,))
        if sig is None:
            return
        self.db.execute(
            "INSERT INTO minhashes(article_id, signature) VALUES (?, ?)",
            (article_id, sig.to_bytes()),
        )
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO minhash_bands(band, bucket, article_id) VALUES (?,?,?)",
            [(b, h, article_id) for b, h in sig.band_buckets()],
        )

    def _new_story(self, title: str | None, now: str) -> int:
        cur = self.db.execute(
            "INSERT INTO stories(title, first_seen_at, article_count) VALUES (?, ?, 0)",
            (title, now),
        )
        return int(cur.lastrowid)

    def _insert_article(
        self,
        art: ExtractedArticle,
        *,
        source: str,
        story_id: int,
        chash: str,
        fetched_url: str,
        now: str,
    ) -> int:
        cur = self.db.execute(
            "INSERT INTO articles(url, source, title, author, editor, site_name, published_at, "
            "published_at_source, updated_at, language, region, text, word_count, content_hash, "
            "story_id, revision, first_seen_at, last_seen_at, fetched_url, story_type) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1,?,?,?,?)",
            (
                art.url,
                source,
                art.title,
                art.author,
                art.editor,
                art.site_name,
                art.published_at,
                art.published_at_source,
                art.updated_at,
                art.language,
                art.region,
                art.text,
                art.word_count,
                chash,
                story_id,
                now,
                now,
                fetched_url,
                art.story_type,
            ),
        )
        self.db.execute(
            "UPDATE stories SET article_count = article_count + 1, "
            "first_article_id = COALESCE(first_article_id, ?) WHERE id = ?",
            (cur.lastrowid, story_id),
        )
        record_words(self.db.conn, art.title, art.text)
        return int(cur.lastrowid)

    def _update_article(self, article_id: int, art: ExtractedArticle, chash: str, now: str) -> None:
        old = self.db.execute(
            "SELECT revision, title, text, content_hash, last_seen_at FROM articles WHERE id = ?",
            (article_id,),
        ).fetchone()
        revision = old[0] or 1
        self.db.execute(
            "INSERT OR IGNORE INTO article_revisions(article_id, revision, title, text, "
            "content_hash, seen_at) VALUES (?,?,?,?,?,?)",
            (article_id, revision, old[1], old[2], old[3], old[4]),
        )
        self.db.execute(
            "UPDATE articles SET title=?, author=COALESCE(?, author), editor=COALESCE(?, editor), "
            "site_name=COALESCE(?, site_name), published_at=COALESCE(published_at, ?), "
            "published_at_source=CASE WHEN published_at IS NULL THEN ? "
            "ELSE published_at_source END, updated_at=COALESCE(?, updated_at), "
            "language=COALESCE(?, language), region=COALESCE(?, region), text=?, word_count=?, "
            "content_hash=?, revision=?, last_seen_at=?, story_type=? WHERE id=?",
            (
                art.title,
                art.author,
                art.editor,
                art.site_name,
                art.published_at,
                art.published_at_source,
                art.updated_at,
                art.language,
                art.region,
                art.text,
                art.word_count,
                chash,
                revision + 1,
                now,
                art.story_type,
                article_id,
            ),
        )
        record_words(self.db.conn, art.title, art.text)

    def store_article(
        self,
        art: ExtractedArticle,
        *,
        source: str,
        fetched_url: str,
        matches: list[TopicMatch],
        config: PantauConfig | None,
        now: str | None = None,
        queue_updates: bool = True,
    ) -> StoreResult:
        """Store one article, its matches and the alerts it owes, in one transaction."""
        now = now or utc_z()
        chash = dedup.content_hash(art.text)
        canonical = canonicalize_url(art.url)
        art.url = canonical
        seen_urls = {canonical, canonicalize_url(fetched_url), fetched_url}
        seen_urls |= {canonicalize_url(u) for u in art.alternate_urls}
        with write_transaction(self.db):
            article_id = self._find_by_url([canonical, *sorted(seen_urls - {canonical})])
            if article_id is not None:
                row = self.db.execute(
                    "SELECT content_hash, story_id, url FROM articles WHERE id = ?", (article_id,)
                ).fetchone()
                old_hash, story_id, stored_url = row
                self._add_aliases(article_id, seen_urls, stored_url, now)
                if old_hash == chash:
                    self.db.execute(
                        "UPDATE articles SET last_seen_at = ? WHERE id = ?", (now, article_id)
                    )
                    return StoreResult(article_id, story_id, "unchanged", chash)
                self._update_article(article_id, art, chash, now)
                self._index_signature(article_id, dedup.signature(art.text))
                status = "updated"
            else:
                same = self.db.execute(
                    # "+source": the content_hash index must drive this lookup; the planner's
                    # pick of (source, published_at) scans a whole source (slow at 1M rows)
                    "SELECT id, story_id, url FROM articles WHERE content_hash = ? "
                    "AND +source = ? LIMIT 1",
                    (chash, source),
                ).fetchone()
                if same:
                    article_id, story_id, stored_url = same
                    self._add_aliases(article_id, seen_urls, stored_url, now)
                    self.db.execute(
                        "UPDATE articles SET last_seen_at = ? WHERE id = ?", (now, article_id)
                    )
                    return StoreResult(article_id, story_id, "alias", chash)
                sig = dedup.signature(art.text)
                near = self._near_duplicate_story(sig)
                exact = self.db.execute(
                    "SELECT story_id FROM articles WHERE content_hash = ? LIMIT 1", (chash,)
                ).fetchone()
                if exact:
                    story_id, status = exact[0], "copy"
                elif near:
                    story_id, status = near[0], "copy"
                else:
                    story_id, status = self._new_story(art.title, now), "new"
                article_id = self._insert_article(
                    art,
                    source=source,
                    story_id=story_id,
                    chash=chash,
                    fetched_url=fetched_url,
                    now=now,
                )
                self._add_aliases(article_id, seen_urls, canonical, now)
                self._index_signature(article_id, sig)
            result = StoreResult(article_id, story_id, status, chash, matches=matches)
            self._record_matches(article_id, matches, chash, now)
            if config is not None and matches:
                result.alerts_queued = self._queue_alerts(
                    config,
                    art,
                    source,
                    article_id,
                    story_id,
                    status,
                    chash,
                    matches,
                    now,
                    queue_updates=queue_updates,
                )
            return result

    def _record_matches(
        self, article_id: int, matches: list[TopicMatch], chash: str, now: str
    ) -> None:
        self.db.execute("DELETE FROM matches WHERE article_id = ?", (article_id,))
        for m in matches:
            self.db.execute(
                "INSERT INTO matches(article_id, topic, snippet, matched_terms, content_hash, "
                "matched_at) VALUES (?,?,?,?,?,?)",
                (article_id, m.topic, m.snippet, json.dumps(m.matched_terms), chash, now),
            )

    @staticmethod
    def _wants(sub: Subscription, topics: set[str], source: str, region: str | None) -> list[str]:
        """Topics of this article the subscription cares about, after its filters."""
        if not sub.enabled:
            return []
        wanted = [t for t in sub.topics if t in topics]
        if not wanted:
            return []
        if sub.sources and source not in sub.sources:
            return []
        if sub.regions:
            norm = (region or "").casefold()
            if not any(r.casefold() in norm for r in sub.regions):
                return []
        return wanted

    def _queue_alerts(
        self,
        config: PantauConfig,
        art: ExtractedArticle,
        source: str,
        article_id: int,
        story_id: int,
        status: str,
        chash: str,
        matches: list[TopicMatch],
        now: str,
        *,
        queue_updates: bool,
    ) -> int:
        topics = {m.topic for m in matches}
        queued = 0
        for sub in config.subscriptions:
            wanted = self._wants(sub, topics, source, art.region)
            if not wanted:
                continue
            already = self.db.execute(
                "SELECT id FROM alerts WHERE subscription = ? AND story_id = ? AND kind = 'new'",
                (sub.name, story_id),
            ).fetchone()
            if already is None:
                kind = "new"
            elif status == "updated" and sub.on_update == "notify" and queue_updates:
                kind = "updated"
            else:
                continue
            cur = self.db.execute(
                "INSERT OR IGNORE INTO alerts(subscription, channel, story_id, article_id, kind, "
                "status, topics, content_hash, webhook_id, attempts, next_attempt_at, created_at) "
                "VALUES (?,?,?,?,?,'pending',?,?,?,0,?,?)",
                (
                    sub.name,
                    sub.channel,
                    story_id,
                    article_id,
                    kind,
                    json.dumps(wanted),
                    chash,
                    webhook_id(sub.name, story_id, kind, article_id, chash),
                    now,
                    now,
                ),
            )
            queued += cur.rowcount
        return queued

    # -- crawl runs --------------------------------------------------------------------

    def start_run(self, run_id: str, source: str, started_at: str | None = None) -> int:
        with write_transaction(self.db):
            cur = self.db.execute(
                "INSERT INTO crawl_runs(run_id, started_at, status, source, requests, pages, "
                "articles_new, articles_updated, matches, errors, blocked, not_articles, "
                "rejected, with_date) VALUES (?,?, 'running', ?, 0,0,0,0,0,0,0,0,0,0)",
                (run_id, started_at or utc_z(), source),
            )
            return int(cur.lastrowid)

    def finish_run(self, row_id: int, counts: dict, status: str, error_summary: str = "") -> None:
        cols = [
            "requests",
            "pages",
            "articles_new",
            "articles_updated",
            "matches",
            "errors",
            "blocked",
            "not_articles",
            "rejected",
            "with_date",
            "articles_seen",
            "duration_s",
        ]
        sets = ", ".join(f"{c} = ?" for c in cols)
        kinds = counts.get("rejected_kinds") or {}
        with write_transaction(self.db):
            self.db.execute(
                f"UPDATE crawl_runs SET {sets}, rejected_kinds = ?, status = ?, finished_at = ?, "
                "error_summary = ? WHERE id = ?",
                [counts.get(c, 0) for c in cols]
                + [json.dumps(kinds) if kinds else None, status, utc_z(), error_summary, row_id],
            )
