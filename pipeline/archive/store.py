"""The write side of the archive: one row per article, copies tied into stories, alerts queued.

Every article is stored, matched and its alerts queued in ONE write transaction, so a crash at
any moment leaves either all of it or none of it: a re-run then finds the article unknown and
does the whole step again, and the unique indexes on `alerts` make a second alert impossible.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from pantau.pipeline import dedup
from pantau.pipeline.archive.db import connect, transaction
from pantau.pipeline.archive.upkeep import record_words
from pantau.pipeline.canonical import canonicalize_url
from pantau.pipeline.config import PantauConfig, Source, Subscription
from pantau.pipeline.models import ExtractedArticle, TopicMatch
from pantau.pipeline.timestamps import utc_z


def open_db(path: str | Path) -> sqlite_utils.Database:
    """The archive opened read-write (`archive.db.connect`), as a sqlite_utils Database."""
    return sqlite_utils.Database(connect(path))


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


def _seen_urls(art: ExtractedArticle, fetched_url: str) -> set[str]:
    """Every URL the article was met under, canonical forms included; sets `art.url` to its
    canonical URL."""
    art.url = canonicalize_url(art.url)
    seen = {art.url, canonicalize_url(fetched_url), fetched_url}
    return seen | {canonicalize_url(u) for u in art.alternate_urls}


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
        with transaction(self.db):
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
        seen_urls = _seen_urls(art, fetched_url)  # art.url becomes the canonical URL
        with transaction(self.db):
            result = self._place(art, source, fetched_url, seen_urls, chash, now)
            if result.status in ("unchanged", "alias"):
                return result  # nothing new to match or alert on
            result.matches = matches
            self._record_matches(result.article_id, matches, chash, now)
            if config is not None and matches:
                result.alerts_queued = self._queue_alerts(
                    config, art, source, result, now, queue_updates=queue_updates
                )
            return result

    def _place(
        self,
        art: ExtractedArticle,
        source: str,
        fetched_url: str,
        seen_urls: set[str],
        chash: str,
        now: str,
    ) -> StoreResult:
        """Where the article goes: a known URL (unchanged or updated), the same text under
        another URL of the source (alias), or a new row (of a new story, or a copy)."""
        known = self._find_by_url([art.url, *sorted(seen_urls - {art.url})])
        if known is not None:
            return self._revisit(known, art, seen_urls, chash, now)
        same = self.db.execute(
            # "+source": the content_hash index must drive this lookup; the planner's
            # pick of (source, published_at) scans a whole source (slow at 1M rows)
            "SELECT id, story_id, url FROM articles WHERE content_hash = ? AND +source = ? LIMIT 1",
            (chash, source),
        ).fetchone()
        if same:
            article_id, story_id, stored_url = same
            self._add_aliases(article_id, seen_urls, stored_url, now)
            self._touch(article_id, now)
            return StoreResult(article_id, story_id, "alias", chash)
        return self._add(art, source, fetched_url, seen_urls, chash, now)

    def _revisit(
        self, article_id: int, art: ExtractedArticle, seen_urls: set[str], chash: str, now: str
    ) -> StoreResult:
        """A known article seen again: new URLs become aliases; a changed text, a revision."""
        old_hash, story_id, stored_url = self.db.execute(
            "SELECT content_hash, story_id, url FROM articles WHERE id = ?", (article_id,)
        ).fetchone()
        self._add_aliases(article_id, seen_urls, stored_url, now)
        if old_hash == chash:
            self._touch(article_id, now)
            return StoreResult(article_id, story_id, "unchanged", chash)
        self._update_article(article_id, art, chash, now)
        self._index_signature(article_id, dedup.signature(art.text))
        return StoreResult(article_id, story_id, "updated", chash)

    def _touch(self, article_id: int, now: str) -> None:
        self.db.execute("UPDATE articles SET last_seen_at = ? WHERE id = ?", (now, article_id))

    def _add(
        self,
        art: ExtractedArticle,
        source: str,
        fetched_url: str,
        seen_urls: set[str],
        chash: str,
        now: str,
    ) -> StoreResult:
        """A new article row, in the story of an exact or near copy, else in a new story."""
        sig = dedup.signature(art.text)
        story_id, status = self._story_for(art.title, sig, chash, now)
        article_id = self._insert_article(
            art, source=source, story_id=story_id, chash=chash, fetched_url=fetched_url, now=now
        )
        self._add_aliases(article_id, seen_urls, art.url, now)
        self._index_signature(article_id, sig)
        return StoreResult(article_id, story_id, status, chash)

    def _story_for(
        self, title: str | None, sig: dedup.Signature | None, chash: str, now: str
    ) -> tuple[int, str]:
        """(story_id, "copy") of the same or a nearly the same text; else a new story, "new"."""
        near = self._near_duplicate_story(sig)
        exact = self.db.execute(
            "SELECT story_id FROM articles WHERE content_hash = ? LIMIT 1", (chash,)
        ).fetchone()
        if exact:
            return exact[0], "copy"
        if near:
            return near[0], "copy"
        return self._new_story(title, now), "new"

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
        result: StoreResult,
        now: str,
        *,
        queue_updates: bool,
    ) -> int:
        """The alerts this stored article owes, one per subscription and story (a second
        'updated' one per version for subscriptions that ask for updates)."""
        article_id, story_id, status = result.article_id, result.story_id, result.status
        chash = result.content_hash
        topics = {m.topic for m in result.matches}
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
        with transaction(self.db):
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
        with transaction(self.db):
            self.db.execute(
                f"UPDATE crawl_runs SET {sets}, rejected_kinds = ?, status = ?, finished_at = ?, "
                "error_summary = ? WHERE id = ?",
                [counts.get(c, 0) for c in cols]
                + [json.dumps(kinds) if kinds else None, status, utc_z(), error_summary, row_id],
            )
