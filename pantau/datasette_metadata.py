"""Datasette metadata for the archive: table and column descriptions, canned queries, title.

One source of truth for what every table and column means: `pantau serve` shows these texts in
Datasette and docs/schema.md carries the same text (tests/test_serve.py checks both against
pipeline/archive/schema.py, so a new column without a description fails the suite).
"""

from __future__ import annotations

from typing import Any

from pantau.dashboard import DASHBOARD_PATH, dashboard_config

DATABASE_NAME = "pantau"  # the URL path analysts bookmark: /pantau/articles, /pantau/search

TABLE_DESCRIPTIONS: dict[str, str] = {
    "sources": "The news sites Pantau watches, as configured in sources.yaml.",
    "stories": (
        "One news event: the first copy of an article and every copy found later "
        "(same text under another URL, AMP/mobile variant, syndicated copy, updated page)."
    ),
    "articles": (
        "One row per distinct article page (canonical URL), with its clean text and metadata."
    ),
    "articles_fts": (
        "SQLite FTS5 full-text index over articles.title and articles.text "
        "(rowid = articles.id; diacritics removed); kept in step by triggers."
    ),
    "url_aliases": (
        "Every other URL under which an article was seen: fetched URL, AMP or mobile "
        "variant, tracking-parameter variants."
    ),
    "matches": "One row per article and topic whose query matched the article's clean text.",
    "alerts": (
        "The alert outbox: one row per message owed to a subscription; at most one 'new' "
        "alert per subscription and story."
    ),
    "digest_state": "When each digest subscription last had its digest sent.",
    "article_revisions": "Every earlier text of an article whose page changed after first seen.",
    "pages": (
        "Every fetched page (articles, feeds, sitemaps, listings): conditional-GET validators "
        "and the compressed raw body, so `pantau reextract` needs no network."
    ),
    "crawl_runs": "One row per source and run: what the crawl did there and how it ended.",
    "minhashes": "MinHash signature of each article's text, for near-duplicate detection.",
    "minhash_bands": "LSH band buckets of the MinHash signatures: candidates for copies.",
    "article_words": (
        "Every distinct word (FTS5 token) of the archive's titles and texts: `pantau search` "
        "turns a stemmed word into the exact words the archive holds instead of an FTS5 prefix."
    ),
    "archive_meta": "Small bookkeeping values of the archive itself (key, value).",
    "article_date_blocks": (
        "Newest possible date per block of 1,024 article ids, kept by triggers: lets "
        "`pantau search` read newest blocks first and stop early."
    ),
    "frontier": (
        "Every article URL the crawl decided to fetch, until it is archived or given up, with "
        "the modification date the site gave for it (written by `pipeline/archive/frontier.py`, "
        "created by migration 4). Which article links are still owed and why (`status = "
        "'owed'`, `last_error`, `next_attempt_at`), and which were given up (`status = "
        "'gave-up'`, `reason`); `pantau status` prints the counts and the latest given-up URLs."
    ),
    "cluster_workers": (
        "Distributed mode (docs/scaling.md): every `pantau worker` process the coordinator saw "
        "in Redis while it crawled, with its page counts and whether the latest snapshot still "
        "listed it. Empty on one machine. The canned query /pantau/cluster shows it."
    ),
    "cluster_snapshots": (
        "Distributed mode: what the coordinator saw in Redis every "
        "PANTAU_CLUSTER_SNAPSHOT_SECONDS (30 s) of a run and when its crawl ended: workers up, "
        "queue depths, pages per minute. Empty on one machine. The canned query "
        "/pantau/cluster_history shows the latest."
    ),
}

COLUMN_DESCRIPTIONS: dict[str, dict[str, str]] = {
    "sources": {
        "name": "Source name from sources.yaml ([a-z0-9-]+); articles.source points here.",
        "url": "The site's home page.",
        "region": "Province (or 'Kab. X, Province') the site covers.",
        "template": "Extraction template: generic, wordpress, tribun, antara, ...",
        "enabled": "1 if the source is crawled by `pantau run`, 0 if disabled.",
    },
    "stories": {
        "id": "Story id; articles.story_id, alerts.story_id and webhook story_id point here.",
        "title": "Title of the first article of the story.",
        "first_seen_at": "When the first copy was stored (ISO 8601 UTC).",
        "article_count": "How many articles (copies) belong to the story.",
        "first_article_id": "The article that started the story.",
    },
    "articles": {
        "id": "Article id (also the rowid of articles_fts).",
        "url": "Canonical URL (rel=canonical / og:url, normalised); unique.",
        "source": "The source (sources.name) it was crawled from.",
        "title": "Clean headline.",
        "author": "Author (reporter) as the page names it.",
        "editor": "Editor as the page names it ('Editor:', 'Pewarta:' lines).",
        "site_name": "Publication name (og:site_name or similar).",
        "published_at": (
            "Publication time, ISO 8601 with the page's own UTC offset "
            "(WIB +07:00, WITA +08:00, WIT +09:00) where the page gives one."
        ),
        "published_at_source": (
            "Where published_at came from: metadata, jsonld, text, url or inferred."
        ),
        "updated_at": "'Diperbarui'/'Update' time shown on the page, kept apart from published_at.",
        "language": "Language code of the text (usually 'id').",
        "region": "Region of the story: from the page, else the source's region.",
        "text": "Clean article text: no navigation, 'Baca Juga' links, related boxes or tags.",
        "word_count": "Words in the clean text.",
        "content_hash": "Hash of the normalised clean text; equal hashes are exact copies.",
        "story_id": "The story (stories.id) this article is a copy of.",
        "revision": "1 for the first text; +1 each time the page's text changed.",
        "first_seen_at": "When Pantau first stored the article (ISO 8601 UTC).",
        "last_seen_at": "When Pantau last saw the article (ISO 8601 UTC).",
        "fetched_url": "The URL actually requested when the article was first stored.",
        "story_type": (
            "article, photo (a photo story: lede plus captions) or video; matched like any article."
        ),
    },
    "articles_fts": {
        "title": "Indexed copy of articles.title.",
        "text": "Indexed copy of articles.text.",
    },
    "url_aliases": {
        "url": "Another URL of the article.",
        "article_id": "The article (articles.id) this URL leads to.",
        "first_seen_at": "When this URL was first seen (ISO 8601 UTC).",
    },
    "matches": {
        "article_id": "The matching article (articles.id).",
        "topic": "Topic name from topics.yaml.",
        "snippet": "Text around the first matched term, for alerts and search results.",
        "matched_terms": "JSON list of the query terms found in the article.",
        "content_hash": "articles.content_hash of the text that was matched.",
        "matched_at": "When the match was recorded (ISO 8601 UTC).",
    },
    "alerts": {
        "id": "Alert id.",
        "subscription": "Subscription name from subscriptions.yaml.",
        "channel": "slack, webhook or email.",
        "story_id": "The story (stories.id) the alert is about.",
        "article_id": "The article (articles.id) the alert shows.",
        "kind": "'new' (first alert for the story) or 'updated' (a changed version).",
        "status": "pending (owed, maybe retrying), sent, or dead (gave up after retries).",
        "topics": "JSON list of the subscription's topics that matched.",
        "content_hash": "Hash of the article text the alert was queued for.",
        "webhook_id": "Stable Standard Webhooks message id; the same on every retry.",
        "attempts": "Delivery attempts so far.",
        "last_error": "The last delivery error, if any.",
        "lease_until": "Set while a sender has claimed the alert (it is being sent); a sender holding the run lock takes over a dead sender's lease at once.",
        "next_attempt_at": "When the next delivery attempt is due (ISO 8601 UTC).",
        "created_at": "When the alert was queued (ISO 8601 UTC).",
        "sent_at": "When delivery succeeded (ISO 8601 UTC).",
        "delivery_id": "Id of the digest message that carried this alert, if any.",
    },
    "digest_state": {
        "subscription": "Digest subscription name.",
        "last_sent_at": "When its last digest was sent (ISO 8601 UTC).",
    },
    "article_revisions": {
        "article_id": "The article (articles.id).",
        "revision": "Revision number of this earlier version (1 = first text seen).",
        "title": "Title of that version.",
        "text": "Clean text of that version.",
        "content_hash": "Hash of that version's text.",
        "seen_at": "When that version was last seen (ISO 8601 UTC).",
    },
    "pages": {
        "url": "The fetched URL.",
        "source": "The source (sources.name) it belongs to.",
        "kind": (
            "article, article-page, feed, sitemap, listing, search, home or robots; for an "
            "article candidate that gave no article, why not: not-article (no usable body), "
            "listing, home, tag, search, gallery, static or other (see reason)."
        ),
        "fetched_at": "When it was last fetched (ISO 8601).",
        "status": "HTTP status of the last fetch.",
        "etag": "ETag of the last response, sent back as If-None-Match.",
        "last_modified": "Last-Modified of the last response, sent back as If-Modified-Since.",
        "content_type": "Content-Type of the last response.",
        "body_hash": "SHA-256 of the raw body: an unchanged body is skipped.",
        "parent_url": "For pages 2..n of a multi-page article: the first page's URL.",
        "page_no": "Page number within a multi-page article.",
        "html": (
            "zlib-compressed raw body (kept for article pages, rejected article candidates, "
            "feeds and sitemaps)."
        ),
        "reason": (
            "Why an article candidate gave no article, in plain words (a rejection is never "
            "silent); empty for every other page."
        ),
        "signals": (
            "JSON object: the measurements that decided the rejection (stage, link density, "
            "longest paragraph run, words, headline links, URL rule, template rule ...)."
        ),
    },
    "crawl_runs": {
        "id": "Row id.",
        "run_id": "Id shared by every source's row of one `pantau run` / `pantau crawl`.",
        "started_at": "When the source's crawl started (ISO 8601 UTC).",
        "finished_at": "When it finished; empty while running or after a crash.",
        "status": "running, ok, partial (some errors), failed or blocked.",
        "source": "The source (sources.name).",
        "requests": "HTTP requests made.",
        "pages": "Responses received (articles, feeds, sitemaps, listings...).",
        "articles_new": "New articles stored (including copies of known stories).",
        "articles_updated": "Known articles whose text changed.",
        "matches": "Topic matches recorded for new or changed articles.",
        "errors": "Errors (network, HTTP, extraction).",
        "blocked": "Responses that looked like blocking (403/429, challenge pages).",
        "not_articles": (
            "Candidate article pages that yielded no article text: the same count as "
            "rejected (runs from before `rejected` counted extraction rejections only)."
        ),
        "rejected": (
            "Article candidates rejected this run, by the page classifier or by extraction; "
            "each has a pages row with its kind and reason."
        ),
        "rejected_kinds": 'JSON object: rejected per kind, e.g. {"listing": 3, "not-article": 2}.',
        "with_date": "Extracted articles with a publication date.",
        "articles_seen": "Article pages that gave an article this run, new, changed or unchanged.",
        "duration_s": "Wall-clock duration in seconds.",
        "error_summary": "Short summary of the kinds of errors.",
    },
    "minhashes": {
        "article_id": "The article (articles.id).",
        "signature": "Packed MinHash signature of its clean text.",
    },
    "minhash_bands": {
        "band": "LSH band number.",
        "bucket": "Hash of the band's slice of the signature.",
        "article_id": "The article (articles.id).",
    },
    "article_words": {
        "word": "A folded word (lower case, no diacritics), as the FTS5 index holds it.",
    },
    "archive_meta": {
        "key": (
            "article_words_from: articles with ids from this value up have their words in "
            "article_words (0: all do; an archive from before the table is filled by later runs)."
        ),
        "value": "The value, as text.",
    },
    "article_date_blocks": {
        "block": "articles.id >> 10: ids block*1024 to block*1024+1023.",
        "max_date": (
            "Upper bound of COALESCE(published_at, first_seen_at) over the block's articles "
            "(never lowered, so a re-dated article keeps it an upper bound)."
        ),
    },
    "frontier": {
        "url": "Canonical URL of the article link.",
        "source": "The source (sources.name) that found it.",
        "discovered_url": "The link as found (before canonicalisation).",
        "discovered_via": "feed, sitemap, listing, search, home, redirect or recheck.",
        "listed_date": "The date the discovery path gave next to the link.",
        "site_date": (
            "The newest modification date the site gave for the URL (Atom updated, RSS "
            "atom:updated or dc:modified, sitemap lastmod): a later one means the page changed "
            "and is fetched again."
        ),
        "status": (
            "owed (not fetched successfully yet), done (archived or answered for good) or gave-up."
        ),
        "attempts": "Failed fetches since the URL became owed.",
        "first_seen_at": "When the URL was first recorded (ISO 8601 UTC).",
        "last_attempt_at": "When the last failed fetch was (ISO 8601 UTC).",
        "next_attempt_at": (
            "An owed URL is not fetched before this (backoff: 1 h, 2 h, 4 h ... capped at a day)."
        ),
        "last_error": (
            "The last failure: http_503, network: TimeoutError, blocked, too_large, temporary "
            "redirect (302) to ..."
        ),
        "reason": (
            "How the row was resolved (stored (new), rejected: not-article, gone (HTTP 404), "
            "permanent redirect ...) or why it was given up."
        ),
        "resolved_at": "When it was resolved or given up (ISO 8601 UTC).",
    },
    "cluster_workers": {
        "worker_id": "host:pid of the worker process, as `pantau status` prints it (worker=).",
        "host": "Host name of the machine it runs on.",
        "pid": "Its process id there.",
        "started_at": "When the worker process started, by its machine's clock (ISO 8601 UTC).",
        "first_seen_at": "When a snapshot first listed it (ISO 8601 UTC).",
        "last_seen_at": (
            "Its last report to Redis (every 5 s and after each page), as of the latest "
            "snapshot that listed it, by its machine's clock (ISO 8601 UTC)."
        ),
        "pages_extracted": "Pages it extracted (and matched) since it started.",
        "pages_fetched": (
            "Requests it fetched for the coordinator since it started (cluster `fetch: "
            "workers`); 0 when the workers only extract."
        ),
        "state": (
            "up: listed by the latest snapshot (it reported within 30 s); gone: not listed "
            "since (stopped, killed, or silent for 30 s)."
        ),
        "last_snapshot_id": "The latest snapshot (cluster_snapshots.id) that listed it.",
    },
    "cluster_snapshots": {
        "id": "Snapshot id, in the order they were taken.",
        "taken_at": "When the coordinator asked Redis (ISO 8601 UTC).",
        "run_id": "The coordinator's run (crawl_runs.run_id).",
        "redis": "The Redis URL, password masked.",
        "workers_up": "Workers that reported within the last 30 s.",
        "queued": "Pages waiting in the queues for a worker, all queues together.",
        "in_progress": "Pages a worker has taken and not finished yet, all queues together.",
        "pages_per_minute": (
            "Pages the workers extracted per minute, averaged over this minute and the four "
            "before it."
        ),
        "fetched_per_minute": (
            "Requests the workers fetched per minute, averaged the same way; empty when the "
            "cluster reported no fetching."
        ),
        "queues": (
            'JSON object, queued and in progress per queue: {"pantau-extract": '
            '{"queued": 0, "in_progress": 0}}.'
        ),
    },
}

# Canned queries. Dates: published_at keeps the page's own offset, so substr() gives the local
# day/month; the *_at columns Pantau writes itself are UTC ('...Z').
CANNED_QUERIES: dict[str, dict[str, Any]] = {
    "new_stories_this_week": {
        "title": "New stories this week",
        "description": (
            "Stories first seen in the last 7 days, newest first, with the topics they "
            "matched. Leave topic empty for every story, or give a topic name."
        ),
        "sql": """select s.id as story_id, s.title, s.first_seen_at, s.article_count,
  a.source, a.region, a.published_at, a.url,
  (select group_concat(distinct m.topic) from matches m
     join articles c on c.id = m.article_id where c.story_id = s.id) as topics
from stories s
left join articles a on a.id = s.first_article_id
where s.first_seen_at >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-7 days')
  and (:topic = '' or exists (select 1 from matches m join articles c on c.id = m.article_id
                              where c.story_id = s.id and m.topic = :topic))
order by s.first_seen_at desc
limit 500""",
    },
    "stories_per_region_per_month": {
        "title": "Stories per region per month",
        "description": (
            "Distinct stories per region and month of publication (first-seen month when "
            "the page gave no date). Leave topic empty for all stories."
        ),
        "sql": """select coalesce(a.region, '(unknown)') as region,
  substr(coalesce(a.published_at, a.first_seen_at), 1, 7) as month,
  count(distinct a.story_id) as stories, count(*) as articles
from articles a
where :topic = '' or a.id in (select article_id from matches where topic = :topic)
group by 1, 2
order by month desc, stories desc""",
    },
    "articles_per_source": {
        "title": "Articles per source",
        "description": (
            "How many articles each source gave, how many matched a topic, and when; "
            "rejected_pages: its article candidates that gave no article (see rejected_pages)."
        ),
        "sql": """with names as (select name from sources union select source from articles)
select n.name as source, s.region, count(a.id) as articles,
  count(distinct a.story_id) as stories,
  (select count(distinct m.article_id) from matches m join articles x on x.id = m.article_id
     where x.source = n.name) as matching_articles,
  (select count(*) from pages p where p.source = n.name and p.reason != '') as rejected_pages,
  min(a.published_at) as oldest_published, max(a.published_at) as newest_published,
  max(a.last_seen_at) as last_seen_at
from names n
left join sources s on s.name = n.name
left join articles a on a.source = n.name
where n.name is not null
group by n.name
order by articles desc""",
    },
    "matches_per_topic_per_day": {
        "title": "Matches per topic per day",
        "description": "Matching articles per topic and day the match was recorded (UTC).",
        "sql": """select topic, substr(matched_at, 1, 10) as day, count(*) as articles
from matches
group by topic, day
order by day desc, topic""",
    },
    "coverage_over_time": {
        "title": "Coverage over time",
        "description_html": (
            "Articles and matching articles per month of publication. "
            '<a href="/pantau/coverage_over_time.chart">Show as a chart</a>.'
        ),
        "sql": """select substr(coalesce(a.published_at, a.first_seen_at), 1, 7) as month,
  count(*) as articles,
  count(distinct case when m.article_id is not null then a.id end) as matching
from articles a
left join matches m on m.article_id = a.id
group by month
order by month""",
    },
    "search": {
        "title": "Search the archive",
        "description": (
            'Full-text search (SQLite FTS5 syntax: words, "quoted phrases", AND, OR, NOT, '
            "prefix*) over titles and clean texts; best matches first. The snippet marks hits "
            "with [ ]."
        ),
        "sql": """select a.id, a.title, a.source, a.region, a.published_at, a.story_id,
  snippet(articles_fts, 1, '[', ']', ' … ', 24) as snippet, a.url
from articles_fts
join articles a on a.id = articles_fts.rowid
where articles_fts match case when trim(:q) = '' then '""' else :q end
order by articles_fts.rank
limit 100""",
    },
    "story_copies": {
        "title": "All copies of a story",
        "description": "Every article of one story, first copy first, with its other URLs.",
        "sql": """select a.id, a.source, a.site_name, a.title, a.published_at, a.first_seen_at,
  a.url, (select group_concat(u.url, ' ') from url_aliases u where u.article_id = a.id)
    as other_urls
from articles a
where a.story_id = :story_id
order by a.first_seen_at, a.id""",
    },
    "article_history": {
        "title": "Revisions of an article",
        "description": "Earlier texts of one article, then its current text.",
        "sql": """select revision, title, seen_at, content_hash, length(text) as chars, text
from article_revisions where article_id = :article_id
union all
select revision, title, last_seen_at, content_hash, length(text), text
from articles where id = :article_id
order by revision""",
    },
    "alert_outbox": {
        "title": "Alert outbox status",
        "description": (
            "Alerts per subscription, channel and status, with the latest error. "
            "pending = owed (maybe retrying), dead = gave up."
        ),
        "sql": """select subscription, channel, status, count(*) as alerts,
  sum(attempts) as attempts, min(created_at) as oldest, max(sent_at) as last_sent,
  min(case when status = 'pending' then next_attempt_at end) as next_attempt_at,
  (select last_error from alerts e where e.subscription = al.subscription
     and e.status = al.status and e.last_error is not null and e.last_error != ''
     order by e.id desc limit 1) as last_error
from alerts al
group by subscription, channel, status
order by subscription, status""",
    },
    "rejected_pages": {
        "title": "Rejected article pages",
        "description": (
            "Article candidates that gave no article, newest first: the kind the page was "
            "taken for, the reason in words and the signals that decided it. Many rejections "
            "on one source after a good history: its template changed? Leave source empty "
            "for every source."
        ),
        "sql": """select p.url, p.source, p.kind, p.reason, p.signals, p.fetched_at
from pages p
where p.reason is not null and p.reason != ''
  and (:source = '' or p.source = :source)
order by p.fetched_at desc
limit 1000""",
    },
    "alerts_pending": {
        "title": "Alerts not yet delivered",
        "description": "Every pending or dead alert with its story and latest error.",
        "sql": """select al.id, al.subscription, al.channel, al.kind, al.status, al.attempts,
  al.next_attempt_at, al.last_error, al.created_at, s.title, a.url
from alerts al
left join stories s on s.id = al.story_id
left join articles a on a.id = al.article_id
where al.status != 'sent'
order by al.created_at desc""",
    },
    "cluster": {
        "title": "Cluster workers",
        "description_html": (
            "Distributed mode (docs/scaling.md): every <code>pantau worker</code> the "
            "coordinator saw in Redis, up ones first: when it last reported, how many pages it "
            "extracted (and fetched), and whether the latest snapshot (<code>as_of</code>) "
            "still listed it. Queue depths and pages per minute over time: "
            '<a href="/pantau/cluster_history">cluster history</a>. Empty on one machine.'
        ),
        "sql": """select w.worker_id, w.state, w.last_seen_at, w.pages_extracted, w.pages_fetched,
  w.host, w.pid, w.started_at, w.first_seen_at,
  (select s.taken_at from cluster_snapshots s order by s.id desc limit 1) as as_of
from cluster_workers w
order by w.state = 'gone', w.last_seen_at desc, w.worker_id
limit 1000""",
    },
    "cluster_history": {
        "title": "Cluster history",
        "description_html": (
            "The coordinator's snapshots of the cluster, newest first: workers up, pages "
            "waiting in the queues and taken by a worker, pages extracted and requests fetched "
            "per minute (the last five minutes), and the depth of each queue. Workers: "
            '<a href="/pantau/cluster">cluster workers</a>.'
        ),
        "sql": """select s.taken_at, s.run_id, s.workers_up, s.queued, s.in_progress,
  s.pages_per_minute, s.fetched_per_minute, s.queues, s.redis
from cluster_snapshots s
order by s.id desc
limit 500""",
    },
}

INDEX_DESCRIPTION_HTML = (
    "Indonesian regional news watched by Pantau: clean, deduplicated articles, the stories "
    "they belong to, topic matches and the alert outbox. Start with the "
    f'<a href="{DASHBOARD_PATH}">dashboard</a>, '
    '<a href="/pantau/new_stories_this_week">new stories this week</a>, '
    '<a href="/pantau/search">search</a>, the '
    '<a href="/pantau/coverage_over_time.chart">coverage chart</a> or the '
    '<a href="/pantau/alert_outbox">alert outbox</a>; every table and canned query is in the '
    '<a href="/pantau">pantau database</a>. A cluster\'s workers and queues (distributed '
    'mode): <a href="/pantau/cluster">cluster</a>.'
)


def datasette_metadata() -> dict[str, Any]:
    """The metadata dict `pantau serve` gives Datasette (also valid as metadata.json)."""
    tables = {
        name: {
            "description": TABLE_DESCRIPTIONS[name],
            "columns": dict(COLUMN_DESCRIPTIONS.get(name, {})),
        }
        for name in TABLE_DESCRIPTIONS
    }
    tables["articles"]["sort_desc"] = "first_seen_at"
    tables["articles"]["fts_table"] = "articles_fts"
    tables["articles"]["fts_pk"] = "id"
    tables["articles"]["searchmode"] = "raw"
    for hidden in (
        "minhashes",
        "minhash_bands",
        "digest_state",
        "article_date_blocks",
        "article_words",
        "archive_meta",
    ):
        tables[hidden]["hidden"] = True
    return {
        "title": "Pantau archive",
        "description_html": INDEX_DESCRIPTION_HTML,
        "databases": {
            DATABASE_NAME: {
                "description": (
                    "The Pantau archive. Timestamps are ISO 8601 text; published_at keeps the "
                    "page's own UTC offset."
                ),
                "tables": tables,
                "queries": {k: dict(v) for k, v in CANNED_QUERIES.items()},
            }
        },
        "plugins": {"datasette-dashboards": dashboard_config()},
    }


def schema_markdown() -> str:
    """The tables-and-columns section of docs/schema.md, generated from the texts above."""
    from pantau.pipeline.archive.schema import DDL_TABLES, TABLES

    out: list[str] = []
    for name, desc in TABLE_DESCRIPTIONS.items():
        out.append(f"### `{name}`\n\n{desc}\n")
        out.append("| column | type | meaning |\n| --- | --- | --- |")
        spec = TABLES.get(name, {})
        types = spec.get("columns", {})
        pk = spec.get("pk")
        pks = set(pk) if isinstance(pk, tuple) else {pk}
        decls = DDL_TABLES.get(name, {})  # tables a migration makes from declarations
        pks |= {col for col, decl in decls.items() if "PRIMARY KEY" in decl}
        for col, text in COLUMN_DESCRIPTIONS[name].items():
            typ = {int: "integer", str: "text", float: "real", bytes: "blob"}.get(
                types.get(col), "text"
            )
            if col in decls:
                typ = decls[col].split()[0].lower()
            if col in pks:
                typ += ", pk"
            out.append(f"| `{col}` | {typ} | {text.replace('|', '&#124;')} |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":  # python -m pantau.datasette_metadata > metadata.json
    import json

    print(json.dumps(datasette_metadata(), ensure_ascii=False, indent=2))
