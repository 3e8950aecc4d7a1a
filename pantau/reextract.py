"""`pantau reextract`: rebuild articles from the raw HTML kept in `pages`, without fetching.

After an extractor improvement the archive can be brought up to date in place: changed texts
become revisions, matches are recomputed, and alerts owed for newly matching stories are
queued, but no "updated" messages go out for what is only a better extraction.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pipeline.config import PantauConfig
from pipeline.extract import decode_html, extract_article
from pipeline.matching import TopicMatcher
from pipeline.storage import Archive, decompress


def reextract(db_path: str, config: PantauConfig, source: str | None = None) -> dict[str, int]:
    archive = Archive(db_path)
    matcher = TopicMatcher(config.topics)
    templates = {s.name: s for s in config.sources}
    counts = {"pages": 0, "updated": 0, "unchanged": 0, "not_articles": 0, "errors": 0}
    sql = "SELECT url, source, fetched_at, html, content_type FROM pages WHERE kind = 'article'"
    params: list[str] = []
    if source:
        sql += " AND source = ?"
        params.append(source)
    try:
        rows = archive.db.execute(sql, params).fetchall()
        for url, src, fetched_at, blob, content_type in rows:
            counts["pages"] += 1
            # decoded as the crawl decoded them: the stored Content-Type first (the pipeline
            # stores the text it extracted, re-encoded as UTF-8, and says so)
            extra = [
                decode_html(decompress(r[0]), r[1])
                for r in archive.db.execute(
                    "SELECT html, content_type FROM pages WHERE parent_url = ? ORDER BY page_no",
                    (url,),
                ).fetchall()
            ]
            cfg_source = templates.get(src)
            try:
                when = datetime.fromisoformat(fetched_at) if fetched_at else datetime.now(UTC)
                art = extract_article(
                    decode_html(decompress(blob), content_type),
                    url,
                    fetched_at=when,
                    template=cfg_source.template if cfg_source else "generic",
                    source_region=cfg_source.region if cfg_source else None,
                    extra_pages=extra or None,
                )
                if art is None:
                    counts["not_articles"] += 1
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
            counts["updated" if result.status == "updated" else "unchanged"] += 1
    finally:
        archive.close()
    return counts
