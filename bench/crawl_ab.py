"""Crawl cost of a change: `pantau crawl` from two commits, same web, same settings, alternating.

Issue 14 asks that its fixes slow the crawl by no more than 5%, and issue 16 that the archive
package and the spider split leave the figures within noise. A benchmark of today's code alone
cannot say that; this one checks out two commits into temporary git worktrees (`--base`,
default the last commit before issue 14's fixes; `--head`, default HEAD: committed code only,
never the working tree) and crawls the generated web of `crawl_speed` with each, in alternating
order per round so a slow minute of the machine hits both. Reported: pages/s (requests served /
wall time) and CPU seconds per round, medians, and head/base.

    .venv/bin/python bench/crawl_ab.py [--quick] [--base REV] [--head REV] [--rounds N]
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
from pathlib import Path

from _common import (
    LOOPBACK_SETTINGS,
    PYTHON,
    ROOT,
    build_fixture_web,
    emit,
    fmt,
    log,
    md_table,
    parse_args,
    run_measured,
    write_config_dir,
)

NAME = "crawl_ab"
DEFAULT_BASE = "606ee7e"  # main before issue 14's fixes and issue 16's archive package
SITES = 10
TARGET = 0.95  # head at least 95% of base's pages/s
# run the CLI of whichever checkout is first on PYTHONPATH (both spell it pantau.cli)
CLI = "import sys; from pantau.cli import main; sys.argv[0] = 'pantau'; sys.exit(main())"


def _options(ap) -> None:
    ap.add_argument("--base", default=DEFAULT_BASE, help="commit to compare against")
    ap.add_argument("--head", default="HEAD", help="commit to measure")
    ap.add_argument("--rounds", type=int, default=3, help="crawls per commit")


def checkout(rev: str, into: Path) -> str:
    """A detached worktree of `rev`; returns the full commit id."""
    subprocess.run(
        ["git", "worktree", "add", "--detach", "-q", str(into), rev], cwd=ROOT, check=True
    )
    out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=into, capture_output=True, text=True)
    return out.stdout.strip()


def crawl_once(code_root: Path, cfg: Path, db: Path, workdir: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(code_root)  # this checkout's pantau (and its root folders)
    env.pop("PANTAU_CONFIG_DIR", None)
    env.pop("PANTAU_DB", None)
    env["PANTAU_SCRAPY_SETTINGS"] = json.dumps(LOOPBACK_SETTINGS)
    cmd = [PYTHON, "-c", CLI, "--config-dir", str(cfg), "--db", str(db), "-q", "crawl"]
    return run_measured(cmd, env, cwd=workdir)


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], _options)
    per_site = 60 if args.quick else 500
    rounds = 1 if args.quick else max(1, args.rounds)
    from pantau.fixtureweb import FixtureWeb, sources_yaml

    tmp = Path(tempfile.mkdtemp(prefix="pantau-bench-ab-"))
    trees = {"base": tmp / "base", "head": tmp / "head"}
    commits: dict[str, str] = {}
    rates: dict[str, list[float]] = {"base": [], "head": []}
    cpus: dict[str, list[float]] = {"base": [], "head": []}
    try:
        commits["base"] = checkout(args.base, trees["base"])
        commits["head"] = checkout(args.head, trees["head"])
        log(f"generating {SITES} sites x {per_site} articles")
        build_fixture_web(tmp / "web", SITES, per_site, seed=3)
        web = FixtureWeb(tmp / "web")
        web.start()
        try:
            cfg = tmp / "config"
            write_config_dir(cfg, sources_yaml(web), max_requests=per_site + 50)
            for r in range(rounds):
                for name in ("base", "head") if r % 2 == 0 else ("head", "base"):
                    web.clear_log()
                    db = tmp / f"{name}-{r}.db"
                    m = crawl_once(trees[name], cfg, db, tmp)
                    if m["rc"] not in (0, 1):
                        raise SystemExit(f"{name} crawl failed ({m['rc']}): {m['stderr']}")
                    con = sqlite3.connect(db)
                    stored = con.execute("SELECT count(*) FROM articles").fetchone()[0]
                    con.close()
                    rates[name].append(len(web.request_log) / m["wall"])
                    cpus[name].append(m["cpu"])
                    log(f"round {r} {name}: {rates[name][-1]:.1f} pages/s, {stored} stored")
        finally:
            web.stop()
    finally:
        for tree in trees.values():
            if tree.exists():
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT)
        shutil.rmtree(tmp, ignore_errors=True)

    med = {k: statistics.median(v) for k, v in rates.items()}
    ratio = med["head"] / med["base"]
    cpu_ratio = statistics.median(cpus["head"]) / statistics.median(cpus["base"])
    verdict = "meets" if ratio >= TARGET else "misses"
    rows = [
        [
            f"{name} `{commits[name][:7]}`",
            ", ".join(fmt(x) for x in rates[name]),
            f"**{fmt(med[name])}**",
            ", ".join(fmt(x, 0) for x in cpus[name]),
        ]
        for name in ("base", "head")
    ]
    markdown = "\n\n".join(
        [
            f"`pantau crawl` of the `crawl_speed` web ({SITES} sites x {per_site} articles) from "
            f"two commits checked out side by side, {rounds} round(s) each in alternating order, "
            "same server and settings. Base is main before issue 14's fixes (frontier, scope "
            "guard, streamed sitemaps, update checks) and issue 16's archive package, spider "
            "split and namespace move.",
            md_table(["commit", "pages/s per round", "median", "CPU s per round"], rows),
            f"Head/base: **{ratio:.3f}** in pages/s, {cpu_ratio:.3f} in CPU time. Target: head at "
            f"least {TARGET:.2f} of base (no more than 5% slower): **{verdict}** it.",
        ]
    )
    headline = (
        f"{NAME}: head {fmt(med['head'])} vs base {fmt(med['base'])} pages/s, ratio "
        f"{ratio:.3f} (target >= {TARGET}), CPU ratio {cpu_ratio:.3f}"
    )
    emit(NAME, markdown, headline)


if __name__ == "__main__":
    main()
