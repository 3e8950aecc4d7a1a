"""The cluster in the archive and in Datasette (pantau/cluster_view.py, pipeline/archive/cluster.py).

A real redis-server, real `pantau worker` processes and a real coordinator crawl of the loopback
sample sites: afterwards the archive holds the workers Redis reported (same ids, their page
counts) and snapshots with sensible numbers, once per interval for the whole process (not once
per source), and Datasette's cluster queries show them. Without Redis: the snapshot writer on a
temp archive, the recorder shared by several spiders, the extension off on one machine (no Redis
import), and an archive written by the release before the cluster tables upgrading in place.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from pantau.cluster_view import SnapshotRecorder, snapshot_from_status
from pantau.dashboard import dashboard_config
from pantau.datasette_metadata import CANNED_QUERIES, COLUMN_DESCRIPTIONS, TABLE_DESCRIPTIONS
from pantau.pipeline.archive.cluster import (
    ClusterSnapshot,
    WorkerSeen,
    cluster_snapshots,
    cluster_workers,
    record_snapshot,
)
from pantau.pipeline.archive.db import connect
from pantau.pipeline.archive.migrations import SCHEMA_VERSION
from pantau.pipeline.archive.schema import DDL_TABLES
from pantau.pipeline.config import Cluster
from tests.conftest import PANTAU, ROOT, run_pantau

SAVED = ROOT / "tests" / "data" / "archives"
SNAPSHOT_EVERY = 0.25  # seconds, in the crawl test: several snapshots in one short run
SENT_RE = re.compile(r"cluster: (\d+) page\(s\) sent to workers, (\d+) extracted here")


def _status(workers: list[dict], queued: int = 0, in_progress: int = 0, ppm: float = 0.0):
    """A `pantau.cluster.cluster_status` answer, as it reports one."""
    return {
        "redis": "redis://:***@10.0.0.5:6379/0",
        "queue": "pantau-extract",
        "queued": queued,
        "in_progress": in_progress,
        "workers": workers,
        "pages_per_minute": ppm,
    }


def _worker(host: str, pid: int, done: int, last_seen: float) -> dict:
    return {
        "id": f"{host}:{pid}",
        "host": host,
        "pid": pid,
        "broker_id": "b-" + str(pid),
        "started": 1_700_000_000.0,
        "done": done,
        "last_seen": last_seen,
        "seen_s_ago": 1.0,
    }


# -- the writer, without Redis -------------------------------------------------------------


def test_snapshots_keep_workers_current_and_mark_the_missing_ones_gone(tmp_path):
    conn = connect(tmp_path / "pantau.db")
    first = snapshot_from_status(
        _status(
            [
                _worker("mesin-a", 11, 40, 1_700_000_100.0),
                _worker("mesin-b", 12, 35, 1_700_000_101),
            ],
            queued=7,
            in_progress=2,
            ppm=37.5,
        ),
        run_id="run1",
        taken_at="2026-12-05T10:00:00Z",
    )
    assert first.queues == {"pantau-extract": {"queued": 7, "in_progress": 2}}
    assert first.workers[0] == WorkerSeen(
        worker_id="mesin-a:11",
        host="mesin-a",
        pid=11,
        started_at="2023-11-14T22:13:20Z",
        last_seen_at="2023-11-14T22:15:00Z",
        pages_extracted=40,
        pages_fetched=None,
    )
    one = record_snapshot(conn, first)
    second = snapshot_from_status(
        _status([_worker("mesin-a", 11, 90, 1_700_000_160.0)], ppm=12.0),
        run_id="run1",
        taken_at="2026-12-05T10:00:30Z",
    )
    two = record_snapshot(conn, second)
    assert two > one

    workers = {w["worker_id"]: w for w in cluster_workers(conn)}
    assert set(workers) == {"mesin-a:11", "mesin-b:12"}
    a, b = workers["mesin-a:11"], workers["mesin-b:12"]
    assert (a["state"], a["pages_extracted"], a["last_snapshot_id"]) == ("up", 90, two)
    assert a["first_seen_at"] == "2026-12-05T10:00:00Z"  # kept from the first snapshot
    assert a["last_seen_at"] == "2023-11-14T22:16:00Z"
    assert (b["state"], b["pages_extracted"], b["last_snapshot_id"]) == ("gone", 35, one)
    assert [w["worker_id"] for w in cluster_workers(conn)] == ["mesin-a:11", "mesin-b:12"]

    snaps = cluster_snapshots(conn)
    assert [s["id"] for s in snaps] == [two, one]
    assert [(s["workers_up"], s["queued"], s["in_progress"]) for s in snaps] == [
        (1, 0, 0),
        (2, 7, 2),
    ]
    assert [s["pages_per_minute"] for s in snaps] == [12.0, 37.5]
    assert snaps[1]["queues"] == {"pantau-extract": {"queued": 7, "in_progress": 2}}
    assert snaps[0]["run_id"] == "run1" and "***" in snaps[0]["redis"]
    conn.close()


def test_several_queues_and_fetch_counts_are_kept():
    """A status that lists several queues and workers that also fetch (cluster fetching)."""
    status = _status([{**_worker("m", 1, 3, 1_700_000_000), "fetched": 8}])
    status["queues"] = {
        "pantau-extract": {"queued": 2, "in_progress": 1},
        "pantau-fetch": {"queued": 5, "in_progress": 3},
    }
    snap = snapshot_from_status(status, None, "2026-12-05T10:00:00Z")
    assert (snap.queued, snap.in_progress) == (7, 4)
    assert snap.workers[0].pages_fetched == 8
    listed = {**status, "queues": [{"queue": "q1", "queued": 4}, {"name": "q2", "in_progress": 1}]}
    assert snapshot_from_status(listed, None).queues == {
        "q1": {"queued": 4, "in_progress": 0},
        "q2": {"queued": 0, "in_progress": 1},
    }


def test_one_recorder_per_process_the_last_spider_takes_the_final_snapshot(tmp_path):
    """Several spiders (one per source) share one recorder: opening and closing them writes
    one final snapshot when the last closes, and the periodic thread writes once per interval
    whatever the number of spiders."""
    db = tmp_path / "pantau.db"
    cluster = Cluster(redis_url="redis://127.0.0.1:9/0")
    calls: list[float] = []

    def status(c: Cluster) -> dict:
        assert c == cluster
        calls.append(time.monotonic())
        return _status([_worker("mesin-a", 11, len(calls), time.time())], ppm=float(len(calls)))

    rec = SnapshotRecorder(db, cluster, every=3600, run_id="r", status=status)
    for _ in range(3):
        rec.acquire()
    rec.release()
    rec.release()
    assert calls == [] and rec.taken == 0  # one spider still open: no final snapshot yet
    rec.release()
    assert len(calls) == 1 and rec.taken == 1

    periodic = SnapshotRecorder(db, cluster, every=0.2, run_id="r2", status=status)
    for _ in range(5):
        periodic.acquire()
    threads = [t for t in threading.enumerate() if t.name == "pantau-cluster-view"]
    assert len(threads) == 1  # five spiders, one snapshot thread
    time.sleep(1.1)
    for _ in range(5):
        periodic.release()
    assert not threads[0].is_alive()
    # about 5 periodic snapshots and the final one; five spiders would have made 25 or more
    assert 2 <= periodic.taken <= 8, periodic.taken
    conn = connect(db)
    assert len(cluster_snapshots(conn)) == 1 + periodic.taken
    conn.close()

    a = SnapshotRecorder.shared(db, cluster, 30, "same-run")
    assert SnapshotRecorder.shared(str(db), cluster, 30, "same-run") is a
    assert SnapshotRecorder.shared(db, cluster, 30, "other-run") is not a


def test_redis_away_means_no_snapshot_and_no_error(tmp_path):
    def unreachable(c: Cluster) -> dict:
        raise ConnectionError("Connection refused")

    rec = SnapshotRecorder(tmp_path / "p.db", Cluster(redis_url="redis://x"), 30, None, unreachable)
    assert rec.take() is None and rec.taken == 0


PROBE = textwrap.dedent("""
    import sys
    from scrapy.exceptions import NotConfigured
    from scrapy.utils.test import get_crawler
    from pantau.cluster_view import ClusterView
    crawler = get_crawler(settings_dict={"PANTAU_CONFIG_DIR": sys.argv[1],
                                         "PANTAU_DB": sys.argv[2]})
    try:
        ClusterView.from_crawler(crawler)
        print("configured")
    except NotConfigured as exc:  # no message: Scrapy would log one as a warning
        print("not configured" + (f" {exc}" if exc.args else ""))
    print("redis imported" if "redis" in sys.modules else "no redis")
""")


def _probe(cfg: Path, db: Path) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(cfg), str(db)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.split("\n")[:2]


def test_the_extension_is_off_on_one_machine_and_imports_no_redis(tmp_path):
    from pantau.fixtureweb import sources_yaml

    class NoWeb:
        sites = {"situs": {"region": "Jambi"}}
        urls = {"situs": "http://127.0.0.1:9/"}

    one = write_config(tmp_path / "one", sources_yaml(NoWeb()), None)
    assert _probe(one, tmp_path / "p.db") == ["not configured", "no redis"]
    many = write_config(tmp_path / "many", sources_yaml(NoWeb()), "redis://127.0.0.1:9/0")
    # configured, and still nothing of Redis until the first snapshot
    assert _probe(many, tmp_path / "p.db") == ["configured", "no redis"]
    from scrapy.settings import Settings

    from pantau.pipeline.config import load_config

    assert load_config(many).cluster is not None
    settings = Settings()
    settings.setmodule("pantau.config.settings", priority="project")
    assert "pantau.cluster_view.ClusterView" in settings.getdict("EXTENSIONS")


# -- metadata and migration ----------------------------------------------------------------


def test_the_cluster_tables_and_the_frontier_are_described():
    for table, columns in DDL_TABLES.items():
        assert TABLE_DESCRIPTIONS.get(table), f"table {table} has no description"
        assert set(COLUMN_DESCRIPTIONS[table]) == set(columns), table
    assert {"cluster", "cluster_history"} <= set(CANNED_QUERIES)
    doc = (ROOT / "docs" / "dashboard.md").read_text(encoding="utf-8")
    assert "/pantau/cluster" in doc and "/pantau/cluster_history" in doc


def _unpack(name: str, tmp_path: Path) -> Path:
    path = tmp_path / name.removesuffix(".gz")
    with gzip.open(SAVED / name, "rb") as src, path.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    return path


def _every_row(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE 'articles_fts_%'"
        )
    ]
    return {t: sorted(map(repr, conn.execute(f"SELECT * FROM [{t}]"))) for t in tables}


def _shape(conn: sqlite3.Connection) -> list[tuple]:
    return conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY 1, 2"
    ).fetchall()


def test_an_archive_of_version_4_upgrades_to_5_with_the_cluster_tables(tmp_path):
    """tests/data/archives/v4-83637ca.db.gz: `pantau demo` run by the code of commit 83637ca,
    the last release at version 4 (before the cluster tables): every row stays, the new tables
    are there and empty, the schema is a new archive's, and a snapshot can be stored."""
    path = _unpack("v4-83637ca.db.gz", tmp_path)
    old = sqlite3.connect(path)
    assert old.execute("PRAGMA user_version").fetchone()[0] == 4
    assert not old.execute("SELECT 1 FROM sqlite_master WHERE name = 'cluster_workers'").fetchone()
    before = _every_row(old)
    assert before["articles"] and before["frontier"]
    old.close()

    conn = connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 5
    after = _every_row(conn)
    assert {t: after[t] for t in before} == before
    assert after["cluster_workers"] == [] and after["cluster_snapshots"] == []
    for table in ("cluster_workers", "cluster_snapshots"):
        cols = [r[1] for r in conn.execute(f"PRAGMA table_info([{table}])")]
        assert cols == list(DDL_TABLES[table])
    fresh = connect(tmp_path / "fresh.db")
    assert _shape(conn) == _shape(fresh)
    fresh.close()
    snap = ClusterSnapshot("2026-12-05T10:00:00Z", "r", None, {"q": {"queued": 1}}, 3.0)
    assert record_snapshot(conn, snap) == 1
    conn.close()


# -- a real cluster ------------------------------------------------------------------------


def write_config(folder: Path, sources: str, redis_url: str | None) -> Path:
    folder.mkdir()
    if redis_url:
        sources += textwrap.dedent(f"""
            cluster:
              redis_url: {redis_url}
              dead_worker_after: 4
              result_timeout: 120
        """)
    (folder / "sources.yaml").write_text(sources)
    (folder / "topics.yaml").write_text((ROOT / "config" / "topics.yaml").read_text())
    (folder / "subscriptions.yaml").write_text("subscriptions: []\n")
    return folder


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    """Our own redis-server on a unix socket in a temp dir: no daemon, no persistence."""
    redis = pytest.importorskip("redis", reason="the `redis` client is missing")
    pytest.importorskip("dramatiq", reason="dramatiq is missing")
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    tmp = tmp_path_factory.mktemp("redis")
    sock = tmp / "redis.sock"
    proc = subprocess.Popen(
        [exe, "--port", "0", "--unixsocket", str(sock), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp,
    )
    url = f"unix://{sock}"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
    yield url, client
    client.close()
    proc.kill()
    proc.wait(10)


@pytest.fixture(scope="module")
def web():
    from pantau.fixtureweb import FixtureWeb

    w = FixtureWeb()
    w.start()
    yield w
    w.stop()


def _start_worker(cfg: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [*PANTAU, "--config-dir", str(cfg), "worker", "--processes", "1"],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )


def _stop(workers: list[subprocess.Popen]) -> None:
    for w in workers:
        if w.poll() is None:
            w.send_signal(signal.SIGTERM)
    for w in workers:
        try:
            w.wait(30)
        except subprocess.TimeoutExpired:
            w.kill()
            w.wait(10)


def _wait(cond, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def _crawl(cfg: Path, db: Path) -> tuple[subprocess.CompletedProcess, float]:
    settings = {
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
        "PANTAU_CLUSTER_SNAPSHOT_SECONDS": SNAPSHOT_EVERY,
    }
    env = {"PANTAU_SCRAPY_SETTINGS": json.dumps(settings)}
    started = time.monotonic()
    proc = run_pantau("--config-dir", str(cfg), "--db", str(db), "crawl", env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc, time.monotonic() - started


def _datasette_json(db: Path, path: str) -> list[dict]:
    from pantau.serve import build_datasette

    ds = build_datasette(db)

    async def get() -> list[dict]:
        response = await ds.client.get(path)
        assert response.status_code == 200, response.text[:500]
        return response.json()

    return asyncio.run(get())


def _datasette_html(db: Path, path: str) -> str:
    from pantau.serve import build_datasette

    ds = build_datasette(db)

    async def get() -> str:
        response = await ds.client.get(path)
        assert response.status_code == 200, response.text[:500]
        return response.text

    return asyncio.run(get())


@pytest.mark.slow
def test_a_cluster_crawl_leaves_its_workers_and_snapshots_in_the_archive_and_datasette(
    tmp_path, web, redis_server
):
    from pantau.cluster import cluster_status
    from pantau.fixtureweb import sources_yaml

    url, client = redis_server
    client.flushall()
    assert len(web.sites) >= 2  # several spiders in one process: snapshots are per process
    cfg = write_config(tmp_path / "config", sources_yaml(web), url)
    cluster = Cluster(redis_url=url)
    db = tmp_path / "pantau.db"
    workers = [_start_worker(cfg, tmp_path / f"worker-{i}.log") for i in range(2)]
    try:
        _wait(lambda: client.hlen("pantau:workers") == 2, 60, "two workers to report")
        proc, elapsed = _crawl(cfg, db)
        seen = cluster_status(cluster)
        # a worker stops; the next run's snapshots no longer list it
        _stop(workers[:1])
        _wait(lambda: client.hlen("pantau:workers") == 1, 30, "the stopped worker to leave")
        again, _ = _crawl(cfg, db)
        seen_again = cluster_status(cluster)
    finally:
        _stop(workers)

    sent = int(SENT_RE.search(proc.stderr).group(1))
    assert sent > 0
    redis_ids = {w["id"] for w in seen["workers"]}
    assert len(redis_ids) == 2
    left = {w["id"] for w in seen_again["workers"]}
    assert len(left) == 1 and left < redis_ids
    gone_id = (redis_ids - left).pop()
    assert gone_id.endswith(f":{workers[0].pid}")

    con = sqlite3.connect(db)
    run1, run2 = [r[0] for r in con.execute("SELECT DISTINCT run_id FROM crawl_runs ORDER BY id")]
    runs = con.execute(
        "SELECT run_id, count(*), min(id), max(id) FROM cluster_snapshots GROUP BY run_id"
    ).fetchall()
    con.close()
    by_run = {r[0]: r[1:] for r in runs}
    assert set(by_run) == {run1, run2}
    # once per interval for the whole process, plus the final one: not once per source
    assert 2 <= by_run[run1][0] <= elapsed / SNAPSHOT_EVERY + 2, (by_run, elapsed)

    conn = connect(db, readonly=True)
    snaps = cluster_snapshots(conn, limit=1000)
    rows = {w["worker_id"]: w for w in cluster_workers(conn)}
    conn.close()
    last_of_run1 = next(s for s in snaps if s["id"] == by_run[run1][2])
    assert last_of_run1["queued"] == 0 and last_of_run1["workers_up"] == 2
    # every queue Redis reported (extraction, and fetching when workers fetch), all empty
    queues = last_of_run1["queues"]
    assert "pantau-extract" in queues and set(queues) == set(seen["queues"])
    assert all(q["queued"] == 0 for q in queues.values())
    assert sum(q["in_progress"] for q in queues.values()) == last_of_run1["in_progress"]
    assert last_of_run1["pages_per_minute"] > 0
    if seen.get("fetch") == "workers":  # the workers fetched: the rate is recorded too
        assert last_of_run1["fetched_per_minute"] > 0
    assert all(s["redis"] == url for s in snaps)  # no password to mask here
    assert set(rows) == redis_ids
    assert rows[gone_id]["state"] == "gone"
    (up,) = left
    assert rows[up]["state"] == "up"
    # every page went to a worker, and each worker's count is what it told Redis
    done = {w["id"]: w["done"] for w in seen["workers"]}
    assert sum(done.values()) == sent
    assert rows[gone_id]["pages_extracted"] == done[gone_id]
    fetched = {w["id"]: w.get("fetched") for w in seen["workers"]}
    assert rows[gone_id]["pages_fetched"] == fetched[gone_id]
    assert rows[up]["pages_extracted"] >= done[up]
    assert all(r["pid"] == int(r["worker_id"].rsplit(":", 1)[1]) for r in rows.values())

    # Datasette: the cluster queries list the same workers and the snapshots
    listed = _datasette_json(db, "/pantau/cluster.json?_shape=array")
    assert {r["worker_id"] for r in listed} == redis_ids
    assert [r["worker_id"] for r in listed][0] == up  # up ones first
    assert {r["as_of"] for r in listed} == {snaps[0]["taken_at"]}
    history = _datasette_json(db, "/pantau/cluster_history.json?_shape=array")
    assert [h["taken_at"] for h in history] == [s["taken_at"] for s in snaps]
    assert history[0]["queued"] == 0 and json.loads(history[0]["queues"])
    page = _datasette_html(db, "/pantau/cluster")
    assert all(wid in page for wid in redis_ids)
    # findable: the database page lists the query, the dashboard's "More" line links it
    assert 'href="/pantau/cluster"' in _datasette_html(db, "/pantau")
    assert "(/pantau/cluster)" in dashboard_config()["coverage"]["charts"]["more"]["display"]
