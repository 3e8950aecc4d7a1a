"""Cluster speed: `pantau crawl` with 1, 2 and 3 `pantau worker`s beside the single-machine crawl
and the extraction-bound limit (cores x plain-trafilatura pages/s, measured in the same run).

Two kinds of cluster rows over the same pages: workers extract and the coordinator fetches
(`fetch: coordinator`), and workers fetch and extract (`fetch: workers`, the default). The
coordinator's CPU a request in the second kind is the dispatcher's limit: 1000 / that many
requests a second, whatever the number of workers.

The generated loopback web of bench/crawl_speed.py (real corpus templates, generated text) is
served by `pantau.fixtureweb.FixtureWeb`; a redis-server of our own runs on a unix socket in a
temp dir. Each crawl starts from an empty archive with the same loopback settings. Workers are
`pantau worker --processes 1` subprocesses on this machine; their CPU time (wait4 rusage) and the
coordinator's give the per-page costs that docs/scaling.md extrapolates from. On a machine with
fewer cores than coordinator + workers, the workers share cores: the rows then show what the
queue costs, not what more machines give.

    .venv/bin/python bench/cluster_speed.py [--quick]
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

from _common import (
    LOOPBACK_SETTINGS,
    PANTAU,
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

NAME = "cluster_speed"
SITES = 10
WORKER_COUNTS = (1, 2, 3)
SENT_RE = re.compile(r"cluster: (\d+) page\(s\) sent to workers, (\d+) extracted here")
FETCHED_RE = re.compile(r"cluster: (\d+) request\(s\) fetched by workers, (\d+) here")
FETCH_MODES = ("coordinator", "workers")


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def trafilatura_rate(web_dir: Path, pages: int) -> float:
    """Plain `trafilatura.extract` pages/s on one core over generated article pages."""
    import trafilatura

    files = sorted(p for p in web_dir.rglob("*.html") if "berita" in p.as_posix())[:pages]
    if not files:
        files = sorted(web_dir.rglob("*.html"))[:pages]
    htmls = [f.read_text(encoding="utf-8", errors="replace") for f in files]
    trafilatura.extract(htmls[0])  # warm-up: first-use loading is not per-page cost
    t0 = time.process_time()
    for h in htmls:
        trafilatura.extract(h)
    return len(htmls) / max(time.process_time() - t0, 1e-9)


def start_redis(tmp: Path) -> tuple[subprocess.Popen, str]:
    exe = shutil.which("redis-server")
    if exe is None:
        raise SystemExit("redis-server is not installed (Debian: apt-get install redis-server)")
    sock = tmp / "redis.sock"
    proc = subprocess.Popen(
        [exe, "--port", "0", "--unixsocket", str(sock), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp,
    )
    import redis

    client = redis.Redis.from_url(f"unix://{sock}")
    for _ in range(200):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    client.close()
    return proc, f"unix://{sock}"


def redis_memory_mb(url: str) -> float:
    import redis

    client = redis.Redis.from_url(url)
    try:
        return int(client.info("memory")["used_memory_peak"]) / 2**20
    finally:
        client.close()


def flush(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    client.flushall()
    client.close()


def run_crawl(cfg: Path, db: Path, workdir: Path) -> dict:
    env = env_for_child()
    env["PANTAU_SCRAPY_SETTINGS"] = json.dumps(LOOPBACK_SETTINGS)
    cmd = [PANTAU, "--config-dir", str(cfg), "--db", str(db), "crawl"]
    result = run_measured(cmd, env, cwd=workdir)
    m = SENT_RE.search(result["stderr"])  # INFO: pages sent to workers, pages extracted here
    result["sent"], result["inline"] = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
    f = FETCHED_RE.search(result["stderr"])  # requests fetched by workers, fetched here
    result["fetched"], result["fetched_here"] = (int(f.group(1)), int(f.group(2))) if f else (0, 0)
    return result


def wait_for_workers(url: str, n: int, timeout: float = 60.0) -> None:
    """Until `n` workers reported to Redis (a coordinator that sees none fetches itself)."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        deadline = time.monotonic() + timeout
        while client.hlen("pantau:workers") < n:
            if time.monotonic() > deadline:
                raise SystemExit(f"{n} worker(s) did not report within {timeout:g} s")
            time.sleep(0.1)
    finally:
        client.close()


def stop_worker(proc: subprocess.Popen) -> float:
    """SIGTERM, reap with wait4: the worker's CPU seconds."""
    proc.send_signal(signal.SIGTERM)
    _pid, _status, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0
    return usage.ru_utime + usage.ru_stime


def stored(db: Path) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT count(*) FROM articles").fetchone()[0]
    finally:
        con.close()


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    per_site = 60 if args.quick else 500
    from pantau.fixtureweb import FixtureWeb, sources_yaml

    tmp = Path(tempfile.mkdtemp(prefix="pantau-bench-cluster-"))
    redis_proc = None
    load_before = os.getloadavg()[0]
    try:
        log(f"generating {SITES} sites x {per_site} articles in {tmp}")
        articles = build_fixture_web(tmp / "web", SITES, per_site, seed=3)
        n_articles = sum(len(v) for v in articles.values())
        traf = trafilatura_rate(tmp / "web", 100 if args.quick else 300)
        limit = cores() * traf
        log(f"plain trafilatura: {traf:.1f} pages/s on one core; limit {limit:.1f} pages/s")
        redis_proc, url = start_redis(tmp)
        web = FixtureWeb(tmp / "web")
        web.start()
        rows = []
        try:
            single_cfg = tmp / "config-single"
            write_config_dir(single_cfg, sources_yaml(web), max_requests=per_site + 50)
            cluster_cfgs = {}
            for mode in FETCH_MODES:
                cfg = cluster_cfgs[mode] = tmp / f"config-cluster-{mode}"
                write_config_dir(cfg, sources_yaml(web), max_requests=per_site + 50)
                with (cfg / "sources.yaml").open("a", encoding="utf-8") as f:
                    f.write(f"cluster:\n  redis_url: {url}\n  fetch: {mode}\n")

            log("single machine: pantau crawl (local extraction pool)")
            web.clear_log()
            single = run_crawl(single_cfg, tmp / "single.db", tmp)
            if single["rc"] not in (0, 1):
                raise SystemExit(f"single crawl failed: {single['stderr']}")
            served = len(web.request_log)
            rows.append(("single machine", served, single, stored(tmp / "single.db"), None))

            for mode in FETCH_MODES:
                for n in WORKER_COUNTS:
                    flush(url)
                    log(f"cluster (fetch: {mode}): coordinator + {n} worker(s)")
                    workers = [
                        subprocess.Popen(
                            [PANTAU, "--config-dir", str(cluster_cfgs[mode]), "-q", "worker"]
                            + ["--processes", "1"],
                            env=env_for_child(),
                            cwd=tmp,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL,
                        )
                        for _ in range(n)
                    ]
                    wait_for_workers(url, n)  # they import trafilatura and join first
                    web.clear_log()
                    db = tmp / f"cluster-{mode}-{n}.db"
                    crawl = run_crawl(cluster_cfgs[mode], db, tmp)
                    served_n = len(web.request_log)
                    worker_cpu = sum(stop_worker(w) for w in workers)
                    if crawl["rc"] not in (0, 1):
                        raise SystemExit(f"cluster crawl failed: {crawl['stderr']}")
                    crawl["worker_cpu"] = worker_cpu
                    crawl["redis_mb"] = redis_memory_mb(url)
                    who = "workers fetch" if mode == "workers" else "coordinator fetches"
                    label = f"cluster, {who}, {n} worker(s)"
                    rows.append((label, served_n, crawl, stored(db), n))
        finally:
            web.stop()

        table = []
        per_page = {}
        for label, served_n, r, n_stored, n in rows:
            rate = served_n / r["wall"]
            art_rate = n_stored / r["wall"]
            coord_ms = r["cpu"] / max(1, served_n) * 1000
            work_ms = r.get("worker_cpu", 0.0) / max(1, n_stored) * 1000 if n else None
            per_page[label] = (coord_ms, work_ms)
            table.append(
                (
                    label,
                    f"{served_n:,}",
                    f"{n_stored:,}",
                    fmt(r["wall"]),
                    fmt(rate),
                    fmt(art_rate),
                    f"{art_rate / limit:.2f}",
                    fmt(coord_ms, 2),
                    fmt(work_ms, 2) if work_ms is not None else "-",
                    fmt(r.get("redis_mb", 0), 1) if n else "-",
                    f"{r['sent']:,} / {r['inline']:,}" if n else "-",
                    f"{r['fetched']:,} / {r['fetched_here']:,}" if n and r["fetched"] else "-",
                )
            )
        short = [f"{label} ({n_stored:,})" for label, _s, _r, n_stored, _n in rows]
        short = [x for x, row in zip(short, rows, strict=True) if row[3] < n_articles]
        best = max(rows[1:], key=lambda x: x[3] / x[2]["wall"])
        last_extract = [r for r in rows if "coordinator fetches" in r[0]][-1]
        last = rows[-1]  # workers fetch, the most workers
        coord_ms, work_ms = per_page[last[0]]
        coord_x_ms, work_x_ms = per_page[last_extract[0]]
        md = [
            f"Generated loopback web: {SITES} sites x {per_site} articles = {n_articles:,} "
            f"article pages; {cores()} cores here. Extraction-bound limit = {cores()} cores x "
            f"plain `trafilatura.extract` {fmt(traf)} pages/s (one core, measured in this run on "
            f"the same pages) = **{fmt(limit)} pages/s**. Load average (1 min) "
            f"{load_before:.1f} before the run, {os.getloadavg()[0]:.1f} after it: other work "
            "on the machine slows every row alike and inflates CPU times. "
            f"Every crawl: `pantau crawl` from an "
            f"empty archive with `{json.dumps(LOOPBACK_SETTINGS)}`; cluster rows use a "
            "redis-server on a unix socket and `pantau worker --processes 1` subprocesses on "
            "this same machine.",
            "",
            md_table(
                [
                    "crawl",
                    "requests",
                    "articles",
                    "wall s",
                    "requests/s",
                    "articles/s",
                    "articles/s / limit",
                    "coordinator CPU ms/request",
                    "worker CPU ms/article",
                    "Redis peak MiB",
                    "pages to workers / extracted by coordinator",
                    "requests fetched by workers / by coordinator",
                ],
                table,
            ),
            "",
            f"- Per-page costs for the extrapolation in docs/scaling.md ({last[4]} workers): "
            f"workers fetch: coordinator {fmt(coord_ms, 2)} ms CPU a request (schedule, send "
            f"and take the fetch, parse, dedup, store, queue), a worker {fmt(work_ms or 0, 2)} "
            "ms CPU an article (its fetches + extract + match + JSON both ways); the "
            f"coordinator fetches: {fmt(coord_x_ms, 2)} ms a request, a worker "
            f"{fmt(work_x_ms or 0, 2)} ms an article.",
            f"- Dispatcher limit (workers fetch): 1000 / {fmt(coord_ms, 2)} ms = "
            f"**{fmt(1000 / max(coord_ms, 1e-9))} requests/s** on one coordinator core, "
            "whatever the number of workers.",
            *(
                [f"- **Rows that stored fewer than {n_articles:,} articles:** {', '.join(short)}."]
                if short
                else []
            ),
            f"- Best cluster row: {best[0]}, {fmt(best[3] / best[2]['wall'])} articles/s. With "
            "more processes than cores the workers only share the cores; the point of the rows "
            "is that the queue delivers every page and costs little, the gain comes from "
            "workers on other machines.",
        ]
        single_rate = rows[0][3] / rows[0][2]["wall"]
        rates = {
            mode: ", ".join(f"{r[4]}w {fmt(r[3] / r[2]['wall'])}" for r in rows[1:] if key in r[0])
            for mode, key in (("extract", "coordinator fetches"), ("fetch", "workers fetch"))
        }
        headline = (
            f"{NAME}: single {fmt(single_rate)} articles/s, cluster extract-only "
            f"{rates['extract']}, fetch+extract {rates['fetch']} articles/s, "
            f"limit {fmt(limit)} ({cores()} cores x trafilatura {fmt(traf)}), "
            f"dispatcher {fmt(1000 / max(coord_ms, 1e-9))} requests/s"
        )
        emit(NAME, "\n".join(md), headline)
    finally:
        if redis_proc is not None:
            redis_proc.kill()
            redis_proc.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
