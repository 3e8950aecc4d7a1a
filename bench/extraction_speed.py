"""Extraction speed: Pantau's whole per-page work against plain trafilatura and a bare lxml parse.

Pantau's side is what the crawl does for each fetched page: `extract_article` (page kind,
metadata, trafilatura, cleaning, dates, region), topic matching and the fingerprints
(`content_hash`, MinHash `signature`). The baselines run on the same real pages in the same
process: `trafilatura.extract(html)` and `lxml.html.fromstring(html)` (the floor). Everything is
warmed up first (dateparser and htmldate load their data on first use). The Pantau path is
profiled once with cProfile: the top functions and the self time per package are printed.

    .venv/bin/python bench/extraction_speed.py [--quick]
"""

from __future__ import annotations

import cProfile
import io
import pstats
import re
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from _common import ROOT, corpus_pages, emit, fmt, log, md_table, page_urls, parse_args

NAME = "extraction_speed"
TARGET_RATIO = 1.3


@dataclass
class Page:
    name: str
    html: bytes
    url: str
    template: str
    fetched_at: datetime
    region: str | None
    extra_pages: list[str]


def load_pages() -> tuple[list[Page], str]:
    """The extraction test cases (real corpus pages with their URL and template), else corpus."""
    try:
        from tests.extraction.cases_io import load_cases

        cases = load_cases()
    except Exception:  # the cases are another engineer's; fall back to the corpus
        cases = []
    if cases:
        pages = [
            Page(
                c.name,
                c.html,
                c.expect["url"],
                c.expect.get("template") or "generic",
                c.fetched_at,
                c.expect.get("source_region"),
                c.extra_pages,
            )
            for c in cases
        ]
        return pages, "`tests/extraction/cases/` (real corpus pages and their expectations)"
    urls = page_urls()
    now = datetime.now(UTC)
    pages = [
        Page(
            p.stem,
            p.read_bytes(),
            urls.get(p.name, f"https://x.example/{p.stem}"),
            "generic",
            now,
            None,
            [],
        )
        for p in corpus_pages()
    ]
    return pages, "`tests/extraction/cases/` (the real corpus pages)"


class PantauWork:
    """The crawl's per-page work after the fetch, minus storage."""

    def __init__(self) -> None:
        from pantau.pipeline.config import load_config
        from pantau.pipeline.matching import TopicMatcher

        self.matcher = TopicMatcher(load_config(ROOT / "config").topics)

    def __call__(self, page: Page) -> bool:
        """`extract_and_match` (what a crawl's extraction worker runs), then the hash and the
        MinHash signature that storing the article computes."""
        from pantau.pipeline import dedup
        from pantau.pipeline.extract_pool import ExtractJob, extract_and_match
        from pantau.pipeline.models import ExtractedArticle

        job = ExtractJob(
            html=page.html,
            url=page.url,
            fetched_at=page.fetched_at,
            template=page.template,
            source_region=page.region,
            extra_pages=page.extra_pages or None,
        )
        art, _matches = extract_and_match(job, self.matcher)
        if not isinstance(art, ExtractedArticle):
            return False
        dedup.content_hash(art.text)
        dedup.signature(art.text)
        return True


def trafilatura_work(page: Page) -> bool:
    import trafilatura

    return trafilatura.extract(page.html) is not None


def lxml_work(page: Page) -> bool:
    import lxml.html

    return lxml.html.fromstring(page.html) is not None


def package_of(filename: str) -> str:
    """'dateparser', 'trafilatura', 'pipeline/dates.py', '<built-in>' ... for a profile entry."""
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins / C"
    m = re.search(r"site-packages/([^/]+)", filename)
    if m:
        return m.group(1).removesuffix(".py")
    if re.search(r"/lib/python3[.\d]*/", filename):
        return "stdlib"
    try:
        return str(Path(filename).resolve().relative_to(ROOT))
    except ValueError:
        return Path(filename).parent.name or filename


def profile(
    work: PantauWork, pages: list[Page]
) -> tuple[list[str], list[tuple[str, float]], float]:
    prof = cProfile.Profile()
    prof.enable()
    for p in pages:
        work(p)
    prof.disable()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.sort_stats("cumulative").print_stats(10)
    stats.sort_stats("tottime").print_stats(10)
    total = stats.total_tt
    by_pkg: dict[str, float] = defaultdict(float)
    for (filename, _line, _func), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():
        by_pkg[package_of(filename)] += tt
    top = sorted(by_pkg.items(), key=lambda kv: kv[1], reverse=True)
    # Keep only the table of pstats' text output, with paths shortened to the package.
    lines = buf.getvalue().splitlines()
    starts = [i for i, ln in enumerate(lines) if ln.strip().startswith("ncalls")]
    tables = []
    for start in starts[:2]:
        table = []
        for ln in lines[start : start + 11]:
            ln = re.sub(r"\S*site-packages/", "", ln)
            ln = re.sub(r"\S*/lib/python3[.\d]*/", "", ln)
            ln = ln.replace(str(ROOT) + "/", "")
            table.append(ln.rstrip())
        tables.append("\n".join(table))
    return tables, top, total


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    pages, origin = load_pages()
    if args.quick:
        pages = pages[::2]
    mb = sum(len(p.html) for p in pages) / 2**20
    log(f"{len(pages)} pages, {mb:.1f} MiB; warming up")

    from pantau.pipeline.extract import warm_up

    warm_up()
    work = PantauWork()
    for p in pages:  # a first pass loads every lazy table (dateparser locales, stemmer, ...)
        work(p)
        trafilatura_work(p)
        lxml_work(p)

    rounds = 1 if args.quick else 4
    totals = {"pantau": 0.0, "trafilatura": 0.0, "lxml": 0.0}
    articles = 0
    sides = (("pantau", work), ("trafilatura", trafilatura_work), ("lxml", lxml_work))
    for r in range(rounds):
        for name, fn in sides if r % 2 == 0 else tuple(reversed(sides)):
            t = time.perf_counter()
            ok = sum(fn(p) for p in pages)
            totals[name] += time.perf_counter() - t
            if name == "pantau" and r == 0:
                articles = ok
        log(f"round {r + 1}/{rounds}: " + ", ".join(f"{k} {v:.2f}s" for k, v in totals.items()))
    n = len(pages) * rounds
    rate = {k: n / v for k, v in totals.items()}
    ratio = totals["pantau"] / totals["trafilatura"]

    log("profiling the Pantau path")
    (table, self_table), by_pkg, prof_total = profile(work, pages)
    shares = {k: v / prof_total for k, v in by_pkg}
    dateparser_share = shares.get("dateparser", 0.0)
    stem_share = shares.get("Sastrawi", 0.0)
    hot = []
    for label, share in (("dateparser", dateparser_share), ("Sastrawi stemming", stem_share)):
        if share >= 0.10:
            hot.append(f"**{label} is hot: {share:.0%} of Pantau's self time**")
    verdict = "meets" if ratio <= TARGET_RATIO else "misses"
    md = [
        f"{len(pages)} real pages ({mb:.1f} MiB) from {origin}, {rounds} timed round(s) after a "
        "warm-up pass; one process, one core.",
        "",
        md_table(
            ["what runs per page", "pages/s", "ms/page", "time vs trafilatura"],
            [
                (
                    "Pantau: `extract_and_match` (the crawl's per-page extraction: "
                    "`extract_article` + topic matching) + `content_hash` + MinHash `signature`",
                    fmt(rate["pantau"]),
                    fmt(1000 / rate["pantau"], 2),
                    f"**{ratio:.2f}x**",
                ),
                (
                    "`trafilatura.extract(html)` (baseline)",
                    fmt(rate["trafilatura"]),
                    fmt(1000 / rate["trafilatura"], 2),
                    "1.00x",
                ),
                (
                    "`lxml.html.fromstring(html)` (floor)",
                    fmt(rate["lxml"]),
                    fmt(1000 / rate["lxml"], 2),
                    f"{totals['lxml'] / totals['trafilatura']:.2f}x",
                ),
            ],
        ),
        "",
        f"Target: Pantau's time at most {TARGET_RATIO}x trafilatura's — **{verdict}** it "
        f"({ratio:.2f}x). {articles} of {len(pages)} pages came out as articles.",
        "",
        "Self time of the Pantau path by package (cProfile, one pass; profiling inflates "
        "Python-heavy code): "
        + ", ".join(f"{k} {v:.0%}" for k, v in list(shares.items())[:10])
        + ".",
        "",
        *([" ".join(hot), ""] if hot else []),
        "Top 10 functions by cumulative time (cProfile, one pass over the pages):",
        "",
        "```",
        table,
        "```",
        "",
        "Top 10 functions by self time:",
        "",
        "```",
        self_table,
        "```",
    ]
    headline = (
        f"{NAME}: pantau {fmt(rate['pantau'])} pages/s, trafilatura "
        f"{fmt(rate['trafilatura'])} pages/s, time ratio {ratio:.2f} (target <= {TARGET_RATIO}), "
        f"lxml floor {fmt(rate['lxml'], 0)} pages/s"
    )
    emit(NAME, "\n".join(md), headline)


if __name__ == "__main__":
    main()
