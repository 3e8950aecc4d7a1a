"""`pantau reextract`: rebuild articles from the raw HTML kept in `pages`, without fetching.

After an extractor improvement the archive can be brought up to date in place: changed texts
become revisions, matches are recomputed, and alerts owed for newly matching stories are
queued, but no "updated" messages go out for what is only a better extraction. Article
candidates that an earlier run rejected (their raw page is kept with the reason) are tried
again too: one that now gives an article is archived ("recovered") and its page row becomes
an article page; one still rejected gets the new reason.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pantau.pipeline.archive import queries
from pantau.pipeline.archive.db import transaction
from pantau.pipeline.archive.store import Archive, decompress
from pantau.pipeline.config import PantauConfig
from pantau.pipeline.extract import decode_html, extract_or_reject
from pantau.pipeline.matching import TopicMatcher
from pantau.pipeline.models import Rejection


def reextract(db_path: str, config: PantauConfig, source: str | None = None) -> dict[str, int]:
    archive = Archive(db_path)
    matcher = TopicMatcher(config.topics)
    templates = {s.name: s for s in config.sources}
    counts = {
        "pages": 0,
        "updated": 0,
        "unchanged": 0,
        "recovered": 0,
        "not_articles": 0,
        "errors": 0,
    }
    try:
        rows = queries.rebuildable_pages(archive.db.conn, source)
        for url, src, fetched_at, blob, content_type, kind in rows:
            counts["pages"] += 1
            # decoded as the crawl decoded them: the stored Content-Type first (the pipeline
            # stores the text it extracted, re-encoded as UTF-8, and says so)
            extra = [
                decode_html(decompress(body), ctype)
                for body, ctype in queries.continuation_pages(archive.db.conn, url)
            ]
            cfg_source = templates.get(src)
            try:
                when = datetime.fromisoformat(fetched_at) if fetched_at else datetime.now(UTC)
                html = decode_html(decompress(blob), content_type)
                art = extract_or_reject(
                    html,
                    url,
                    fetched_at=when,
                    template=cfg_source.template if cfg_source else "generic",
                    source_region=cfg_source.region if cfg_source else None,
                    extra_pages=extra or None,
                )
                if isinstance(art, Rejection):
                    counts["not_articles"] += 1
                    if kind != "article":  # keep the newest reason of a still-rejected page
                        _record_rejection(archive, url, art)
                    continue
                result = archive.store_article(
                    art,
                    source=src,
                    fetched_url=url,
                    matches=matcher.match(art.title, art.text),
                    config=config,
                    queue_updates=False,
                )
            except Exception:  # keep going: one bad page must not stop the rebuild
                counts["errors"] += 1
                continue
            if kind != "article":
                counts["recovered"] += 1
                _mark_recovered(archive, url, src, html, fetched_at)
            else:
                counts["updated" if result.status == "updated" else "unchanged"] += 1
    finally:
        archive.close()
    return counts


def _record_rejection(archive: Archive, url: str, rejection: Rejection) -> None:
    signals = {"stage": rejection.stage, **rejection.signals}
    with transaction(archive.db.conn) as conn:
        queries.mark_page_rejected(conn, url, rejection.kind, rejection.reason, signals)


def _mark_recovered(
    archive: Archive, url: str, source: str, html: str, fetched_at: str | None
) -> None:
    """A rejected candidate that now gives an article: its page row is an article page."""
    with transaction(archive.db):
        archive.store_page(
            url,
            source=source,
            kind="article",
            status=200,
            body=html.encode("utf-8"),
            fetched_at=fetched_at or datetime.now(UTC).isoformat(),
            content_type="text/html; charset=utf-8",
        )
