"""Incremental re-crawl: requests of a second `pantau crawl` over an unchanged web, then one new
article.

The same kind of generated loopback web as crawl_speed (smaller). Run 1 crawls everything;
run 2 sees no change and should fetch only the discovery pages (robots, home, feed, sitemap:
conditional GETs); run 3 follows `FixtureWeb.publish_article` of one new article. Requests are
counted twice: by the archive (`crawl_runs.requests`, summed per run) and by the server.

    .venv/bin/python bench/incremental.py [--quick]
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from pathlib import Path

import numpy as np
from _common import (
    LOOPBACK_SETTINGS,
    PANTAU,
    TextGen,
    build_fixture_web,
    build_vocabulary,
    emit,
    env_for_child,
    fmt,
    log,
    md_table,
    parse_args,
    render_article,
    run_measured,
    slugify,
    write_config_dir,
)

NAME = "incremental"
SITES = 10
TARGET_SHARE = 0.05


def crawl(cfg: Path, db: Path, workdir: Path) -> dict:
    env = env_for_child()
    env["PANTAU_SCRAPY_SETTINGS"] = json.dumps(LOOPBACK_SETTINGS)
    res = run_measured(
        [PANTAU, "--config-dir", str(cfg), "--db", str(db), "-q", "crawl"], env, cwd=workdir
    )
    if res["rc"] not in (0, 1):
        raise SystemExit(f"pantau crawl failed ({res['rc']}): {res['stderr']}")
    return res


def run_counts(db: Path) -> list[tuple[str, int, int, int]]:
    """(run_id, requests, new articles, errors) per run, oldest first."""
    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT run_id, SUM(requests), SUM(articles_new), SUM(errors), MIN(started_at) "
        "FROM crawl_runs GROUP BY run_id ORDER BY MIN(id)"
    ).fetchall()
    con.close()
    return [(r[0], int(r[1] or 0), int(r[2] or 0), int(r[3] or 0)) for r in rows]


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    per_site = 15 if args.quick else 100
    from pantau.fixtureweb import FixtureWeb, sources_yaml

    tmp = Path(tempfile.mkdtemp(prefix="pantau-bench-incr-"))
    try:
        log(f"generating {SITES} sites x {per_site} articles in {tmp}")
        build_fixture_web(tmp / "web", SITES, per_site, seed=5)
        web = FixtureWeb(tmp / "web")
        web.start()
        served: list[int] = []
        results: list[dict] = []
        try:
            cfg, db = tmp / "config", tmp / "pantau.db"
            write_config_dir(cfg, sources_yaml(web), max_requests=per_site + 50)
            for run in (1, 2, 3):
                if run == 3:  # one new article on the first site
                    site = sorted(web.sites)[0]
                    skeleton = (tmp / "web" / site / "_skeleton.html").read_text(encoding="utf-8")
                    gen = TextGen(build_vocabulary(tail=5_000), 350)
                    title, text = gen.article(np.random.default_rng(2024))
                    title = " ".join(title.split()[:10])
                    path = f"/berita/999999/{slugify(title)}"
                    from datetime import UTC, datetime

                    published = datetime.now(UTC).astimezone().replace(microsecond=0).isoformat()
                    web.publish_article(
                        site,
                        path,
                        render_article(skeleton, title, text, published),
                        title,
                        published=published,
                        summary=text[:160],
                        category="berita",
                    )
                log(f"run {run}")
                web.clear_log()
                results.append(crawl(cfg, db, tmp))
                served.append(len(web.request_log))
                if run == 2:
                    second_paths = [p for _s, p, _st in web.request_log]
        finally:
            web.stop()
        runs = run_counts(db)
        if len(runs) != 3:
            raise SystemExit(f"expected 3 runs in crawl_runs, found {len(runs)}")
        con = sqlite3.connect(db)
        stored = con.execute("SELECT count(*) FROM articles").fetchone()[0]
        con.close()

        req = [r[1] for r in runs]
        share = req[1] / req[0] if req[0] else float("nan")
        verdict = "meets" if share < TARGET_SHARE else "misses"
        n_articles = SITES * per_site
        rows = [
            (
                label,
                f"{runs[i][1]:,}",
                f"{served[i]:,}",
                f"{runs[i][2]:,}",
                fmt(results[i]["wall"]),
                f"{runs[i][1] / req[0]:.1%}" if req[0] else "-",
            )
            for i, label in enumerate(
                ["1: first crawl", "2: unchanged web", "3: one new article published"]
            )
        ]
        kinds = {}
        for p in second_paths:
            key = "article" if "/berita/" in p else p
            kinds[key] = kinds.get(key, 0) + 1
        md = [
            f"Generated loopback web: {SITES} sites x {per_site} articles = {n_articles:,} "
            "article pages (same generator as Crawl speed); three `pantau crawl` runs in a row "
            "against one archive, with the loopback settings of Crawl speed. A run's fixed cost "
            "is its discovery requests (robots, home, feed, sitemap, site search), so the share "
            "of run 1 shrinks as sites hold more articles.",
            "",
            md_table(
                [
                    "run",
                    "requests (crawl_runs)",
                    "requests (server)",
                    "new articles",
                    "wall s",
                    "share of run 1",
                ],
                rows,
            ),
            "",
            f"- Second run over the unchanged web: **{share:.1%}** of the first run's requests "
            f"(target < {TARGET_SHARE:.0%}: {verdict}), in **{results[1]['wall']:.1f} s** "
            f"(first run {results[0]['wall']:.1f} s). What it asked for, over all sites: "
            + ", ".join(f"`{k}` x{v}" for k, v in sorted(kinds.items()))
            + ".",
            f"- After one article was published, run 3 made {req[2]:,} requests and stored "
            f"{runs[2][2]} new article(s); the archive holds {stored:,} articles.",
        ]
        headline = (
            f"{NAME}: second run {req[1]} of {req[0]} requests ({share:.1%}, target < "
            f"{TARGET_SHARE:.0%}) in {results[1]['wall']:.1f} s; one new article -> "
            f"{req[2]} requests, {runs[2][2]} new"
        )
        emit(NAME, "\n".join(md), headline)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
