"""Archive at scale: insert rate, near-duplicate lookup and FTS query times at 1M articles.

A synthetic archive of Indonesian-like articles (words drawn from the real corpus and seed texts
with Zipf-like frequencies, plus a long tail of name-like words) is built in a temp dir:
most rows are bulk-inserted with the same SQL `Archive.store_article` runs (articles, stories,
minhashes, minhash_bands; the FTS index through the same triggers), then a sample goes through
`store_article` itself on top of the full archive. Then: near-duplicate lookups
(`Archive._near_duplicate_story`) for lightly edited copies and fresh texts, FTS queries of
typical topic queries, and the file size per article.

    .venv/bin/python bench/archive_scale.py [--quick] [--articles N] [--keep DIR]
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import re
import shutil
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from _common import (
    TextGen,
    build_vocabulary,
    dir_size,
    emit,
    fmt,
    log,
    md_table,
    parse_args,
    quantiles,
)

from pantau.pipeline import dedup, textnorm
from pantau.pipeline.archive.schema import WORDS_FROM_KEY
from pantau.pipeline.archive.store import Archive
from pantau.pipeline.archive.upkeep import tidy_fts_index
from pantau.pipeline.models import ExtractedArticle
from pantau.pipeline.query import parse_query
from pantau.pipeline.timestamps import utc_z
from pantau.search import search_archive

NAME = "archive_scale"
WORDS_PER_ARTICLE = 300
BATCH = 5_000
SOURCES = [f"sumber-{i:02d}" for i in range(50)]
EPOCH = datetime(2023, 1, 1, tzinfo=UTC)
SPAN_DAYS = 3 * 365
BACKFILL_SHARE = 0.15
TIDY_EVERY = BATCH  # one "run" per batch, each ending with the post-run index tidy

QUERIES = [
    '"revolusi mental" AND (ASN OR PNS OR "aparatur sipil negara" OR birokrasi)',
    '"reformasi birokrasi"',
    "korupsi AND (bupati OR gubernur)",
    "banjir OR longsor",
    "title:pilkada",
    "NEAR(pelayanan publik, 5)",
    "vaksin*",
    "ASN AND netralitas NOT pensiun",
    "pemerintah",
    '"aparatur sipil negara" daerah',
]

SQL_STORY = "INSERT INTO stories(id, title, first_seen_at, article_count, first_article_id) VALUES (?,?,?,1,?)"
SQL_ARTICLE = (
    "INSERT INTO articles(id, url, source, title, site_name, published_at, published_at_source, "
    "language, text, word_count, content_hash, story_id, revision, first_seen_at, last_seen_at, "
    "fetched_url) VALUES (?,?,?,?,?,?,'metadata','id',?,?,?,?,1,?,?,?)"
)
SQL_MINHASH = "INSERT INTO minhashes(article_id, signature) VALUES (?,?)"
SQL_BAND = "INSERT OR IGNORE INTO minhash_bands(band, bucket, article_id) VALUES (?,?,?)"


# --- text generation -----------------------------------------------------------------------------


_GEN: TextGen | None = None


def _init_worker(vocab: list[str]) -> None:
    global _GEN
    _GEN = TextGen(vocab, WORDS_PER_ARTICLE)


def article_row(i: int, title: str, text: str) -> dict:
    """Row i arrives in id order, like a crawl over SPAN_DAYS; BACKFILL_SHARE of the rows are
    older articles found late (a new source's sitemap, a site search), dated anywhere before."""
    source = SOURCES[i % len(SOURCES)]
    arrival = int(i / 1_000_000 * SPAN_DAYS * 86400) + (i * 7919) % 3600
    if (i * 2654435761) % 1000 < BACKFILL_SHARE * 1000:
        arrival = (i * 40503) % max(arrival, 1)
    day = EPOCH + timedelta(seconds=arrival)
    published = day.astimezone(UTC).replace(tzinfo=None).isoformat() + "+07:00"
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60]
    return {
        "id": i,
        "url": f"https://{source}.example/berita/{i}/{slug}",
        "source": source,
        "title": title,
        "published_at": published,
        "text": text,
    }


def generate_batch(args: tuple[int, int, int]) -> tuple[list[tuple], list[str]]:
    """Rows [start, start+count): text, hash and MinHash computed as store_article would, and
    the batch's distinct words (what store_article records in article_words)."""
    start, count, seed = args
    rng = np.random.default_rng(seed + start)
    out = []
    words: set[str] = set()
    for i in range(start, start + count):
        title, text = _GEN.article(rng)
        r = article_row(i, title, text)
        sig = dedup.signature(text)
        words.update(textnorm.token_norms(textnorm.nfc(title)))
        words.update(textnorm.token_norms(textnorm.nfc(text)))
        out.append(
            (
                r,
                len(text.split()),
                dedup.content_hash(text),
                sig.to_bytes() if sig else None,
                sig.band_buckets() if sig else [],
            )
        )
    return out, sorted(words)


# --- the archive ---------------------------------------------------------------------------------


def bulk_insert(archive: Archive, batch: list[tuple], words: list[str], now: str) -> None:
    conn = archive.db.conn
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(SQL_STORY, [(r["id"], r["title"], now, r["id"]) for r, *_ in batch])
    conn.executemany(
        SQL_ARTICLE,
        [
            (
                r["id"],
                r["url"],
                r["source"],
                r["title"],
                r["source"],
                r["published_at"],
                r["text"],
                wc,
                ch,
                r["id"],
                now,
                now,
                r["url"],
            )
            for r, wc, ch, _, _ in batch
        ],
    )
    conn.executemany(SQL_MINHASH, [(r["id"], sig) for r, _, _, sig, _ in batch if sig])
    conn.executemany(
        SQL_BAND, [(b, h, r["id"]) for r, _, _, _, buckets in batch for b, h in buckets]
    )
    conn.executemany("INSERT OR IGNORE INTO article_words(word) VALUES (?)", [(w,) for w in words])
    conn.execute("COMMIT")


def lightly_edit(text: str, gen: TextGen, rng: np.random.Generator, share: float = 0.05) -> str:
    """Change about `share` of the words and drop the last sentence: a re-written copy."""
    words = text.split()
    for pos in rng.choice(len(words), size=max(1, int(len(words) * share)), replace=False):
        words[pos] = gen.words(rng, 1)[0]
    edited = " ".join(words)
    cut = edited.rstrip(".").rfind(".")
    return edited[: cut + 1] if cut > len(edited) // 2 else edited


def run(n: int, sample: int, probes: int, workdir: Path) -> tuple[str, str]:
    t0 = time.perf_counter()
    vocab = build_vocabulary()
    gen = TextGen(vocab, WORDS_PER_ARTICLE)
    log(f"vocabulary {len(vocab):,} words; building {n:,} articles in {workdir}")
    db_path = workdir / "archive.db"
    archive = Archive(db_path)
    now = utc_z()

    bulk_n = n - sample
    jobs = [(s, min(BATCH, bulk_n - s), 11) for s in range(1, bulk_n + 1, BATCH)]
    jobs = [(s, c, seed) for s, c, seed in jobs if c > 0]
    insert_s = tidy_s = 0.0
    done = 0
    t_bulk = time.perf_counter()
    ctx = mp.get_context("fork")
    with ctx.Pool(
        processes=max(1, mp.cpu_count() - 1), initializer=_init_worker, initargs=(vocab,)
    ) as pool:
        for batch, words in pool.imap(generate_batch, jobs):
            t = time.perf_counter()
            bulk_insert(archive, batch, words, now)
            insert_s += time.perf_counter() - t
            done += len(batch)
            if done % TIDY_EVERY < BATCH:  # what `pantau run` does after each run
                t = time.perf_counter()
                tidy_fts_index(archive.db.conn)
                tidy_s += time.perf_counter() - t
            if done % 100_000 < BATCH:
                log(f"  bulk {done:,}/{bulk_n:,} ({done / (time.perf_counter() - t_bulk):,.0f}/s)")
    bulk_wall = time.perf_counter() - t_bulk
    bulk_rate = bulk_n / insert_s if insert_s else float("nan")
    log(f"bulk done: {bulk_n:,} rows, SQL {insert_s:.1f}s, wall {bulk_wall:.1f}s")

    # The real code path, on top of the full archive.
    rng = np.random.default_rng(99)
    store_s = 0.0
    statuses: Counter[str] = Counter()
    for i in range(bulk_n + 1, n + 1):
        title, text = gen.article(rng)
        r = article_row(i, title, text)
        art = ExtractedArticle(
            url=r["url"],
            title=title,
            text=text,
            site_name=r["source"],
            published_at=r["published_at"],
            published_at_source="metadata",
            language="id",
            word_count=len(text.split()),
        )
        t = time.perf_counter()
        res = archive.store_article(
            art, source=r["source"], fetched_url=r["url"], matches=[], config=None, now=now
        )
        store_s += time.perf_counter() - t
        statuses[res.status] += 1
    store_rate = sample / store_s if store_s else float("nan")
    t = time.perf_counter()
    tidy_fts_index(archive.db.conn)  # the end of that "run"
    tidy_s += time.perf_counter() - t
    log(f"store_article: {sample:,} rows at {store_rate:,.0f}/s ({dict(statuses)})")

    # Near-duplicate lookups: edited copies of stored articles, and fresh texts.
    conn = archive.db.conn
    ids = random.Random(5).sample(range(1, n + 1), probes)
    edited_times, fresh_times, sig_times = [], [], []
    hits = false_pos = 0
    for aid in ids:
        text, story = conn.execute(
            "SELECT text, story_id FROM articles WHERE id = ?", (aid,)
        ).fetchone()
        t = time.perf_counter()
        sig = dedup.signature(lightly_edit(text, gen, rng))
        sig_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        found = archive._near_duplicate_story(sig)
        edited_times.append(time.perf_counter() - t)
        hits += bool(found and found[0] == story)
    for _ in range(probes):
        _, text = gen.article(rng)
        sig = dedup.signature(text)
        t = time.perf_counter()
        found = archive._near_duplicate_story(sig)
        fresh_times.append(time.perf_counter() - t)
        false_pos += found is not None
    recall = hits / probes
    ed_med, ed_p95 = quantiles(edited_times)
    fr_med, fr_p95 = quantiles(fresh_times)
    sig_med, _ = quantiles(sig_times)
    all_med, all_p95 = quantiles(edited_times + fresh_times)
    log(f"near-dup: median {all_med * 1e3:.2f} ms, recall {recall:.1%}")

    # FTS: `pantau search` itself (newest 20, date blocks), against sorting every match by date
    # (what 0.1 did) and against best-ranked 20 (bm25 over every match; not a Pantau path).
    archive.close()
    rank_sql = "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? ORDER BY rank LIMIT 20"
    sort_all_sql = (
        "SELECT a.id FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid "
        "WHERE articles_fts MATCH ? "
        "ORDER BY COALESCE(a.published_at, a.first_seen_at) DESC, a.id DESC LIMIT 20"
    )
    count_sql = "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?"
    reps = 3
    archive = Archive(db_path)
    conn = archive.db.conn
    fts_rows, rank_all, sort_all, search_all, prefix_all = [], [], [], [], []

    def search_by_prefix(q: str) -> None:
        """`pantau search` as on an archive whose word list is not filled in yet."""
        conn.execute("UPDATE archive_meta SET value = ? WHERE key = ?", (n + 1, WORDS_FROM_KEY))
        conn.commit()
        try:
            search_archive(str(db_path), q, limit=20)
        finally:
            conn.execute("UPDATE archive_meta SET value = 0 WHERE key = ?", (WORDS_FROM_KEY,))
            conn.commit()

    for q in QUERIES:
        expr = parse_query(q).to_fts5()
        hits_n = conn.execute(count_sql, (expr,)).fetchone()[0]
        per = {}
        for label, run_query, bucket in (
            ("search", lambda q=q: search_archive(str(db_path), q, limit=20), search_all),
            ("prefix", lambda q=q: search_by_prefix(q), prefix_all),
            ("sort", lambda e=expr: conn.execute(sort_all_sql, (e,)).fetchall(), sort_all),
            ("rank", lambda e=expr: conn.execute(rank_sql, (e,)).fetchall(), rank_all),
        ):
            times = []
            for _ in range(reps):
                t = time.perf_counter()
                run_query()
                times.append(time.perf_counter() - t)
            bucket += times
            per[label] = statistics_median(times)
        fts_rows.append(
            (
                f"`{q}`",
                f"{hits_n:,}",
                f"**{fmt(per['search'] * 1e3, 1)}**",
                fmt(per["prefix"] * 1e3, 1),
                fmt(per["sort"] * 1e3),
                fmt(per["rank"] * 1e3),
            )
        )
    search_med, search_p95 = quantiles(search_all)
    sort_med, sort_p95 = quantiles(sort_all)
    prefix_med, prefix_p95 = quantiles(prefix_all)
    rank_med, rank_p95 = quantiles(rank_all)
    log(f"FTS p95: search {search_p95 * 1e3:.1f} ms, sort-all {sort_p95 * 1e3:.1f} ms")

    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    tables = table_sizes(conn)
    archive.close()
    size = dir_size(workdir)
    per_article = size / n

    total = time.perf_counter() - t0
    md = [
        f"Synthetic archive of **{n:,} articles** (~{WORDS_PER_ARTICLE} words each, vocabulary of "
        f"{len(vocab):,} words: the real corpus and seed words by frequency rank plus a tail of "
        "name-like words, Zipf-Mandelbrot draws, topic phrases injected at low rates), built in a "
        f"temp dir on disk in {total / 60:.1f} min.",
        "",
        f"- **Bulk path**: {bulk_n:,} rows inserted with the same SQL as "
        "`Archive.store_article` (articles + stories + minhashes + minhash_bands, FTS through "
        f"the same triggers), {BATCH:,} rows a transaction: **{fmt(bulk_rate, 0)} rows/s** "
        f"(SQL time only; text generation and MinHash ran in a worker process alongside; "
        f"{fmt(bulk_n / bulk_wall, 0)} rows/s wall-clock including them). Skipped in bulk: "
        "`matches` (no topic matcher run) and `url_aliases` (no alternate URLs). Every "
        f"{TIDY_EVERY:,} rows the post-run full-text index tidy (`tidy_fts_index`, as `pantau "
        f"run` does after each run) ran: {tidy_s:.0f} s in all.",
        f"- **Real path**: the last {sample:,} rows through `Archive.store_article` itself (one "
        "transaction each, including the MinHash signature and the near-duplicate lookup) on "
        f"top of the full archive: **{fmt(store_rate, 0)} rows/s** "
        f"(statuses: {', '.join(f'{k} {v}' for k, v in sorted(statuses.items()))}).",
        "",
        md_table(
            ["near-duplicate lookup (`_near_duplicate_story`)", "median ms", "p95 ms", "result"],
            [
                (
                    "edited copies (5% words changed, last sentence dropped)",
                    fmt(ed_med * 1e3, 2),
                    fmt(ed_p95 * 1e3, 2),
                    f"recall {recall:.1%} ({hits}/{probes})",
                ),
                (
                    "fresh texts",
                    fmt(fr_med * 1e3, 2),
                    fmt(fr_p95 * 1e3, 2),
                    f"false matches {false_pos}/{probes}",
                ),
                ("all", fmt(all_med * 1e3, 2), fmt(all_p95 * 1e3, 2), "target median < 5 ms"),
            ],
        ),
        "",
        f"Computing the MinHash signature itself (`dedup.signature`) costs a median "
        f"{sig_med * 1e3:.2f} ms a text, on top of the lookup.",
        "",
        f"Full-text search, {reps} runs of each typical topic query, warm cache: "
        f"**`pantau search`** (`pantau.search.search_archive`, newest 20: the archive's "
        "`article_date_blocks` are read newest first, and the search stops once no unread block "
        "can hold a newer match; includes opening the archive, the topic matcher's check and "
        f"snippets) median **{fmt(search_med * 1e3, 1)} ms**, p95 **{fmt(search_p95 * 1e3, 1)} "
        f"ms** (target p95 < 100 ms: {'meets' if search_p95 < 0.1 else 'misses'}). Stemmed "
        "words become the archive's exact words (`article_words`); the same search with FTS5 "
        "prefix terms instead (an archive whose word list is still being filled) median "
        f"{fmt(prefix_med * 1e3, 1)} ms, p95 {fmt(prefix_p95 * 1e3, 1)} ms. For "
        "comparison, in the same run: sorting every FTS match by date (the SQL Pantau 0.1 "
        f"ran) median {fmt(sort_med * 1e3)} ms, p95 {fmt(sort_p95 * 1e3)} ms; FTS5's best-ranked "
        f"20 (`ORDER BY rank LIMIT 20`, bm25 over every match) median {fmt(rank_med * 1e3)} ms, "
        f"p95 {fmt(rank_p95 * 1e3)} ms. Rows arrive in id order over {SPAN_DAYS // 365} years, "
        f"{BACKFILL_SHARE:.0%} of them backfilled with older dates; the vocabulary comes partly "
        "from the seed texts, so topic words match more rows here than in a real archive.",
        "",
        md_table(
            [
                "query",
                "matching rows",
                "pantau search ms",
                "same, prefix terms ms",
                "sort-all ms",
                "rank-20 ms",
            ],
            fts_rows,
        ),
        "",
        f"File size: **{size / 2**30:.2f} GiB**, **{fmt(per_article / 1024, 2)} KiB per article**"
        + (
            " (by table: " + ", ".join(f"{k} {v / 2**20:,.0f} MiB" for k, v in tables[:8]) + ")."
            if tables
            else "."
        ),
    ]
    headline = (
        f"{NAME}: {n:,} articles, bulk {fmt(bulk_rate, 0)} rows/s, store_article "
        f"{fmt(store_rate, 0)} rows/s, near-dup median {all_med * 1e3:.2f} ms "
        f"recall {recall:.0%}, search p95 {search_p95 * 1e3:.1f} ms (target < 100; sort-all "
        f"{sort_p95 * 1e3:.0f} ms), "
        f"{per_article / 1024:.1f} KiB/article"
    )
    return "\n".join(md), headline


def statistics_median(values: list[float]) -> float:
    return quantiles(values)[0]


def table_sizes(conn) -> list[tuple[str, int]]:
    """Bytes per table and index, via the dbstat virtual table when SQLite has it."""
    try:
        rows = conn.execute(
            "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"
        ).fetchall()
    except Exception:  # dbstat is an optional SQLite feature
        return []
    return [(r[0], int(r[1])) for r in rows]


def main() -> None:
    def extra(ap):
        ap.add_argument("--articles", type=int, default=None)
        ap.add_argument(
            "--keep",
            type=Path,
            default=os.environ.get("PANTAU_BENCH_KEEP_ARCHIVE") or None,
            help="build here and keep the file (default: $PANTAU_BENCH_KEEP_ARCHIVE, else a "
            "temp dir that is removed)",
        )

    args = parse_args(__doc__.splitlines()[0], extra)
    n = args.articles or (50_000 if args.quick else 1_000_000)
    sample = min(5_000 if not args.quick else 1_000, n // 2)
    probes = 500 if not args.quick else 200
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="pantau-bench-archive-", dir="/tmp"))
    workdir.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(workdir).free
    need = n * 8 * 1024
    if free < need:
        raise SystemExit(f"{workdir}: {free / 2**30:.1f} GiB free, need about {need / 2**30:.1f}")
    try:
        md, headline = run(n, sample, probes, workdir)
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    emit(NAME, md, headline)


if __name__ == "__main__":
    main()
