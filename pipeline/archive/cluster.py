"""The cluster as the coordinator saw it: snapshots of the workers, queues and pages per minute.

Why in the archive: Datasette (`pantau serve`) reads the SQLite file, not Redis, and an
operator browsing it must see the cluster that filled it. The coordinator is the archive's only
writer, so it records what `pantau.cluster.cluster_status` reports (pantau/cluster_view.py):
one `cluster_snapshots` row a snapshot, and one `cluster_workers` row a worker ever seen, kept
current (its counts, when it last reported, up or gone). Created by migration 5.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from pantau.pipeline.archive.db import transaction


@dataclass(frozen=True)
class WorkerSeen:
    """One worker listed by a snapshot (times are UTC text with a Z)."""

    worker_id: str
    host: str | None = None
    pid: int | None = None
    started_at: str | None = None
    last_seen_at: str | None = None
    pages_extracted: int | None = None
    pages_fetched: int | None = None  # None: the worker reported no fetch count


@dataclass(frozen=True)
class ClusterSnapshot:
    """What the coordinator saw at `taken_at`: the workers up, the queues and the rate."""

    taken_at: str
    run_id: str | None
    redis: str | None
    queues: dict[str, dict[str, int]]  # queue name -> {"queued": n, "in_progress": n}
    pages_per_minute: float
    workers: list[WorkerSeen] = field(default_factory=list)
    fetched_per_minute: float | None = None  # None: the status did not report fetching

    @property
    def queued(self) -> int:
        return sum(int(q.get("queued", 0)) for q in self.queues.values())

    @property
    def in_progress(self) -> int:
        return sum(int(q.get("in_progress", 0)) for q in self.queues.values())


def record_snapshot(conn: sqlite3.Connection, snap: ClusterSnapshot) -> int:
    """Store one snapshot and bring `cluster_workers` up to it, in one transaction: the workers
    it lists are `up` with their counts, every other worker is `gone`. Returns the snapshot id.
    """
    with transaction(conn):
        cur = conn.execute(
            "INSERT INTO cluster_snapshots(taken_at, run_id, redis, workers_up, queued, "
            "in_progress, pages_per_minute, fetched_per_minute, queues) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                snap.taken_at,
                snap.run_id,
                snap.redis,
                len(snap.workers),
                snap.queued,
                snap.in_progress,
                snap.pages_per_minute,
                snap.fetched_per_minute,
                json.dumps(snap.queues, sort_keys=True),
            ),
        )
        snapshot_id = int(cur.lastrowid)
        conn.executemany(
            "INSERT INTO cluster_workers(worker_id, host, pid, started_at, first_seen_at, "
            "last_seen_at, pages_extracted, pages_fetched, state, last_snapshot_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'up', ?) "
            "ON CONFLICT(worker_id) DO UPDATE SET host = excluded.host, pid = excluded.pid, "
            "started_at = coalesce(excluded.started_at, started_at), "
            "last_seen_at = coalesce(excluded.last_seen_at, last_seen_at), "
            "pages_extracted = coalesce(excluded.pages_extracted, pages_extracted), "
            "pages_fetched = coalesce(excluded.pages_fetched, pages_fetched), "
            "state = 'up', last_snapshot_id = excluded.last_snapshot_id",
            [
                (
                    w.worker_id,
                    w.host,
                    w.pid,
                    w.started_at,
                    snap.taken_at,
                    w.last_seen_at,
                    w.pages_extracted,
                    w.pages_fetched,
                    snapshot_id,
                )
                for w in snap.workers
            ],
        )
        conn.execute(
            "UPDATE cluster_workers SET state = 'gone' "
            "WHERE state != 'gone' AND coalesce(last_snapshot_id, -1) != ?",
            (snapshot_id,),
        )
    return snapshot_id


def cluster_workers(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every worker ever recorded, up ones first, then by when they last reported."""
    try:
        cur = conn.execute(
            "SELECT * FROM cluster_workers ORDER BY state = 'gone', last_seen_at DESC, worker_id"
        )
    except sqlite3.OperationalError:  # an archive from before migration 5, opened read-only
        return []
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur]


def cluster_snapshots(conn: sqlite3.Connection, limit: int = 100) -> list[dict[str, Any]]:
    """The latest snapshots, newest first, with `queues` decoded."""
    try:
        cur = conn.execute("SELECT * FROM cluster_snapshots ORDER BY id DESC LIMIT ?", (limit,))
    except sqlite3.OperationalError:
        return []
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, row, strict=True)) for row in cur]
    for row in rows:
        row["queues"] = json.loads(row["queues"] or "{}")
    return rows
