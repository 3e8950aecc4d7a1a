"""Crawl speed and memory: `pantau crawl` over a generated loopback web vs the extraction-bound
limit and a fetch-only spider.

A fixture web of 10 sites (real corpus article templates with generated Indonesian-like titles
and bodies; each site with robots.txt, a sitemap of every article, an RSS feed and a home page)
is written to a temp dir and served on 127.0.0.1 by `pantau.fixtureweb.FixtureWeb`. Then, in the
same run and against the same server: a fetch-only Scrapy spider (`bench/fetch_only_spider.py`)
over every URL Pantau needs, and `pantau --config-dir X --db Y crawl` (a subprocess: fetch,
extract, dedup, match, store). Both get the same loopback settings (no delays, no AutoThrottle,
16 concurrent requests) through `PANTAU_SCRAPY_SETTINGS` / `-s`. Peak RSS is the child's own
(wait4 rusage).

The target (issue 15): the crawl's article pages/s reach at least 0.7 of the extraction-bound
limit, cores x plain `trafilatura.extract` pages/s on one core over the same article pages,
measured in this run. The old target (0.6x the fetch-only spider) is retired: it asked the
whole extraction to cost less than a loopback fetch. Its ratio is still printed.

    .venv/bin/python bench/crawl_speed.py [--quick]
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from _common import (
    LOOPBACK_SETTINGS,
    PANTAU,
    PYTHON,
    build_fixture_web,
    emit,
    env_for_child,
    fmt,
    log,
    md_table,
    parse_args,
    run_measured,
    write_config_dir,
)

from pantau.pipeline.extract_pool import default_workers

NAME = "crawl_speed"
SITES = 10
TARGET_LIMIT_SHARE = 0.7  # of cores x plain trafilatura pages/s (issue 15)
OLD_TARGET_RATIO = 0.6  # of the fetch-only spider's rate: retired
TARGET_RSS_MB = 400
BENCH = Path(__file__).resolve().parent


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def trafilatura_rate(files: list[Path]) -> float:
    """Plain `trafilatura.extract` pages/s on one core (process time) over these pages."""
    import trafilatura

    trafilatura.extract(files[0].read_text(encoding="utf-8"))  # first-use loading is no page cost
    busy = 0.0
    for f in files:
        html = f.read_text(encoding="utf-8")
        t0 = time.process_time()
        trafilatura.extract(html)
        busy += time.process_time() - t0
    return len(files) / max(busy, 1e-9)


def crawl_urls(web, articles: dict[str, list[dict]]) -> list[str]:
    """What Pantau fetches on a first run: robots, home, feed, sitemap and every article."""
    urls = []
    for site, items in articles.items():
        for path in ("/robots.txt", "/", "/feed/", "/sitemap.xml"):
            urls.append(web.url(site, path))
        urls += [web.url(site, a["path"]) for a in items]
    return urls


def run_fetch_only(url_file: Path, workdir: Path, extract: bool = False) -> dict:
    cmd = [PYTHON, "-m", "scrapy", "runspider", str(BENCH / "fetch_only_spider.py")]
    cmd += ["-a", f"urls={url_file}", "-a", f"extract={int(extract)}"]
    for k, v in LOOPBACK_SETTINGS.items():
        cmd += ["-s", f"{k}={v}"]
    env = env_for_child()
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    return run_measured(cmd, env, cwd=workdir)  # outside the project: no project settings


def run_pantau(cfg: Path, db: Path, workdir: Path, **settings: object) -> dict:
    env = env_for_child()
    env["PANTAU_SCRAPY_SETTINGS"] = json.dumps({**LOOPBACK_SETTINGS, **settings})
    cmd = [PANTAU, "--config-dir", str(cfg), "--db", str(db), "-q", "crawl"]
    return run_measured(cmd, env, cwd=workdir)


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    per_site = 60 if args.quick else 500
    from pantau.fixtureweb import FixtureWeb, sources_yaml

    tmp = Path(tempfile.mkdtemp(prefix="pantau-bench-crawl-"))
    try:
        log(f"generating {SITES} sites x {per_site} articles in {tmp}")
        articles = build_fixture_web(tmp / "web", SITES, per_site, seed=3)
        web_mb = sum(f.stat().st_size for f in (tmp / "web").rglob("*.html")) / 2**20
        web = FixtureWeb(tmp / "web")
        web.start()
        try:
            cfg = tmp / "config"
            write_config_dir(cfg, sources_yaml(web), max_requests=per_site + 50)
            urls = crawl_urls(web, articles)
            url_file = tmp / "urls.txt"
            url_file.write_text("\n".join(urls) + "\n", encoding="utf-8")

            pages = sorted((tmp / "web").glob("*/berita/*/*.html"))
            log(f"plain trafilatura.extract over the {len(pages):,} article pages, one core")
            traf = trafilatura_rate(pages)
            limit = cores() * traf
            log(f"{traf:.1f} pages/s; extraction-bound limit {limit:.1f} pages/s")

            log(f"fetch-only spider over {len(urls):,} URLs")
            web.clear_log()
            base = run_fetch_only(url_file, tmp)
            fetched = int(base["stdout"].split()[1]) if base["stdout"].startswith("fetched") else 0
            if base["rc"] != 0 or fetched == 0:
                raise SystemExit(f"fetch-only spider failed: {base['stderr']}")

            ext = None
            if not args.quick:
                log("fetch + trafilatura.extract spider")
                ext = run_fetch_only(url_file, tmp, extract=True)

            inline = None
            if not args.quick:
                log("pantau crawl, extraction inline (PANTAU_EXTRACT_WORKERS=0)")
                inline = run_pantau(cfg, tmp / "inline.db", tmp, PANTAU_EXTRACT_WORKERS=0)
                if inline["rc"] not in (0, 1):
                    raise SystemExit(f"inline pantau crawl failed: {inline['stderr']}")

            log("pantau crawl")
            web.clear_log()
            db = tmp / "pantau.db"
            crawl = run_pantau(cfg, db, tmp)
            served = len(web.request_log)
            if crawl["rc"] not in (0, 1):
                raise SystemExit(f"pantau crawl failed ({crawl['rc']}): {crawl['stderr']}")
        finally:
            web.stop()
        con = sqlite3.connect(db)
        stored = con.execute("SELECT count(*) FROM articles").fetchone()[0]
        requests, errors = con.execute(
            "SELECT SUM(requests), SUM(errors) FROM crawl_runs"
        ).fetchone()
        con.close()

        base_rate = fetched / base["wall"]
        rate = served / crawl["wall"]
        art_rate = stored / crawl["wall"]
        ratio = rate / base_rate
        share = art_rate / limit
        n_articles = sum(len(v) for v in articles.values())
        rss_ok = "meets" if crawl["tree_rss_mb"] < TARGET_RSS_MB else "misses"
        share_ok = "meets" if share >= TARGET_LIMIT_SHARE else "misses"
        # wait4's rusage counts only the workers it reaped; the samples count every process
        cpu_page = (
            max(crawl["cpu"], crawl["main_cpu"] + crawl["helpers_cpu"]) / max(1, served) * 1000
        )
        base_cpu_page = base["cpu"] / max(1, fetched) * 1000
        main_ms = crawl["main_cpu"] / max(1, stored) * 1000
        workers_ms = crawl["helpers_cpu"] / max(1, stored) * 1000
        busy = (crawl["main_cpu"] + crawl["helpers_cpu"]) / crawl["wall"]
        md = [
            f"Generated loopback web: {SITES} sites x {per_site} articles = {n_articles:,} "
            f"article pages ({web_mb:.0f} MiB of HTML; real corpus templates, generated text), "
            "served by `pantau.fixtureweb.FixtureWeb` in the benchmark process. Both crawlers "
            f"ran with `{json.dumps(LOOPBACK_SETTINGS)}` (no politeness delays on loopback; "
            "production keeps AutoThrottle and 2 requests per domain).",
            "",
            md_table(
                [
                    "crawler",
                    "requests",
                    "wall s",
                    "requests/s",
                    "CPU ms/request",
                    "peak RSS MiB (all processes)",
                ],
                [
                    (
                        "fetch-only Scrapy spider (baseline)",
                        f"{fetched:,}",
                        fmt(base["wall"]),
                        fmt(base_rate),
                        fmt(base_cpu_page),
                        fmt(base["rss_mb"], 0),
                    ),
                    *(
                        [
                            (
                                "fetch + `trafilatura.extract` spider (second baseline)",
                                f"{fetched:,}",
                                fmt(ext["wall"]),
                                fmt(fetched / ext["wall"]),
                                fmt(ext["cpu"] / fetched * 1000),
                                fmt(ext["rss_mb"], 0),
                            )
                        ]
                        if ext
                        else []
                    ),
                    *(
                        [
                            (
                                "`pantau crawl`, extraction inline (`PANTAU_EXTRACT_WORKERS=0`)",
                                f"{served:,}",
                                fmt(inline["wall"]),
                                fmt(served / inline["wall"]),
                                fmt(inline["cpu"] / max(1, served) * 1000),
                                fmt(inline["tree_rss_mb"], 0),
                            )
                        ]
                        if inline
                        else []
                    ),
                    (
                        "**`pantau crawl`** (fetch + extract + dedup + match + store; "
                        f"{default_workers()} extraction worker(s) from the 31st article)",
                        f"{served:,}",
                        fmt(crawl["wall"]),
                        fmt(rate),
                        fmt(cpu_page),
                        fmt(crawl["tree_rss_mb"], 0),
                    ),
                ],
            ),
            "",
            f"- Pantau stored **{stored:,} of {n_articles:,}** articles "
            f"({fmt(art_rate)} articles/s); `crawl_runs` counted {requests or 0:,} requests and "
            f"{errors or 0} errors; the server answered {served:,} requests.",
            f"- **Extraction-bound limit**: {cores()} cores x plain `trafilatura.extract` "
            f"{fmt(traf)} pages/s (one core, process time, measured in this run on the same "
            f"{len(pages):,} article pages) = {fmt(limit)} pages/s. Pantau's crawl stored "
            f"{fmt(art_rate)} article pages/s = **{share:.2f} of the limit** (target >= "
            f"{TARGET_LIMIT_SHARE}: {share_ok}).",
            f"- Where the CPU went (per stored article): the crawl process (Scrapy, spider "
            f"classification, storage, SQLite) {fmt(main_ms)} ms, the extraction workers "
            f"{fmt(workers_ms)} ms, against {fmt(1000 / traf)} ms for plain trafilatura; "
            f"{busy:.2f} of {cores()} cores busy on average (the fixture web server in the "
            "benchmark process takes part of the rest). The crawl cannot beat "
            f"{cores()} cores / ({fmt(main_ms)} + {fmt(workers_ms)}) ms = "
            f"{fmt(cores() * 1000 / max(main_ms + workers_ms, 1e-9))} pages/s here, nor "
            f"1000 / {fmt(main_ms)} ms = {fmt(1000 / max(main_ms, 1e-9))} pages/s (the crawl "
            "process is one thread).",
            f"- Rate ratio Pantau / fetch-only: {ratio:.2f}x (the old target >= "
            f"{OLD_TARGET_RATIO} is retired: it asked the whole extraction to cost less than a "
            "loopback fetch, which trafilatura alone does not, see the second baseline). Peak "
            f"RSS of the crawl with its extraction workers, summed **{crawl['tree_rss_mb']:.0f} "
            f"MiB** (target < {TARGET_RSS_MB}: {rss_ok}; the main process alone "
            f"{crawl['rss_mb']:.0f} MiB).",
            *(
                [
                    f"- Extraction workers against inline extraction, same web: "
                    f"**{inline['wall'] / crawl['wall']:.2f}x** the rate."
                ]
                if inline
                else []
            ),
            *(
                [
                    f"- Against the fetch + `trafilatura.extract` spider Pantau runs at "
                    f"**{rate / (fetched / ext['wall']):.2f}x** its rate."
                ]
                if ext
                else ["- (`--quick` skips the fetch + trafilatura baseline and the inline run.)"]
            ),
        ]
        headline = (
            f"{NAME}: pantau {fmt(art_rate)} article pages/s = {share:.2f} of the "
            f"extraction-bound limit {fmt(limit)} ({cores()} cores x trafilatura {fmt(traf)}; "
            f"target >= {TARGET_LIMIT_SHARE}), fetch-only ratio {ratio:.2f} (0.6 target "
            f"retired), peak RSS {crawl['tree_rss_mb']:.0f} MiB (target < {TARGET_RSS_MB}), "
            f"{stored}/{n_articles} articles stored"
        )
        emit(NAME, "\n".join(md), headline)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
