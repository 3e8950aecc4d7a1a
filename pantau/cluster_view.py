"""Record the cluster in the archive while the coordinator crawls, so Datasette can show it.

Why: `pantau status` asks Redis, but an analyst or operator browsing `pantau serve` sees only
the SQLite archive. The coordinator is the archive's only writer, so this Scrapy extension
takes `pantau.cluster.cluster_status` every `PANTAU_CLUSTER_SNAPSHOT_SECONDS` (30 s) and once
more when the crawl ends, and stores it (pipeline/archive/cluster.py): the workers seen, the
queue depths, pages per minute (docs/dashboard.md, "The cluster").

A run crawls each source with its own spider in one process; the snapshots are the process's,
not a spider's: one recorder per process and archive, started by the first spider to open and
finished (with the last snapshot) by the last to close. Without a `cluster:` section the
extension is not configured, so nothing of Redis is imported on one machine.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from pantau.pipeline.archive.cluster import ClusterSnapshot, WorkerSeen, record_snapshot
from pantau.pipeline.archive.db import connect
from pantau.pipeline.config import Cluster
from pantau.pipeline.timestamps import utc_z

log = logging.getLogger(__name__)

SNAPSHOT_SECONDS = 30.0  # PANTAU_CLUSTER_SNAPSHOT_SECONDS; 0 switches the snapshots off


def _z(epoch: Any) -> str | None:
    """A worker's own Unix time as UTC text with a Z (None when it gave none)."""
    try:
        return utc_z(datetime.fromtimestamp(float(epoch), UTC))
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _queues(status: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Queue name -> depths. `cluster_status` reports its queue's `queued` and `in_progress`;
    a status that lists several queues (`queues`: a mapping or a list of dicts naming `queue`)
    gives each."""
    listed = status.get("queues")
    if isinstance(listed, dict):
        items = list(listed.items())
    elif isinstance(listed, list):
        items = [(q.get("queue") or q.get("name"), q) for q in listed if isinstance(q, dict)]
    else:
        items = [(status.get("queue"), status)]
    return {
        str(name): {
            "queued": _int(q.get("queued")) or 0,
            "in_progress": _int(q.get("in_progress")) or 0,
        }
        for name, q in items
        if name and isinstance(q, dict)
    }


def snapshot_from_status(
    status: dict[str, Any], run_id: str | None, taken_at: str | None = None
) -> ClusterSnapshot:
    """What the archive keeps of one `cluster_status` answer (pure)."""
    workers = [
        WorkerSeen(
            worker_id=str(w["id"]),
            host=w.get("host"),
            pid=_int(w.get("pid")),
            started_at=_z(w.get("started")),
            last_seen_at=_z(w.get("last_seen")),
            pages_extracted=_int(w.get("done")),
            pages_fetched=_int(w.get("fetched")),
        )
        for w in status.get("workers") or []
        if w.get("id")
    ]
    return ClusterSnapshot(
        taken_at=taken_at or utc_z(),
        run_id=run_id,
        redis=status.get("redis"),
        queues=_queues(status),
        pages_per_minute=float(status.get("pages_per_minute") or 0.0),
        workers=workers,
        fetched_per_minute=_float(status.get("fetched_per_minute")),
    )


StatusFn = Callable[[Cluster], dict[str, Any]]


class SnapshotRecorder:
    """Snapshots of one cluster into one archive, for one process: a thread takes one every
    `every` seconds while any spider is open, and the last spider to close takes the final one.
    `status` is `pantau.cluster.cluster_status` unless given (tests without Redis)."""

    _shared: dict[tuple[str, str, str | None], SnapshotRecorder] = {}
    _shared_lock = threading.Lock()

    def __init__(
        self,
        db_path: str | Path,
        cluster: Cluster,
        every: float,
        run_id: str | None,
        status: StatusFn | None = None,
    ):
        self.db_path = str(db_path)
        self.cluster = cluster
        self.every = every
        self.run_id = run_id
        self.status = status
        self.users = 0
        self.taken = 0  # snapshots stored by this recorder
        self._lock = threading.Lock()
        self._take_lock = threading.Lock()
        self._stop: threading.Event | None = None
        self._thread: threading.Thread | None = None

    @classmethod
    def shared(
        cls, db_path: str | Path, cluster: Cluster, every: float, run_id: str | None
    ) -> SnapshotRecorder:
        """The process's recorder for this archive, cluster and run (made on first use)."""
        key = (str(db_path), cluster.model_dump_json(), run_id)
        with cls._shared_lock:
            rec = cls._shared.get(key)
            if rec is None:
                rec = cls._shared[key] = cls(db_path, cluster, every, run_id)
            return rec

    def acquire(self) -> None:
        """A spider opened: the first one starts the periodic snapshots."""
        with self._lock:
            self.users += 1
            if self.users == 1 and self.every > 0:
                self._stop = threading.Event()
                self._thread = threading.Thread(
                    target=self._loop, args=(self._stop,), name="pantau-cluster-view", daemon=True
                )
                self._thread.start()

    def release(self) -> None:
        """A spider closed: the last one stops the thread and takes the final snapshot."""
        with self._lock:
            self.users -= 1
            if self.users > 0:
                return
            self.users = 0
            stop, thread = self._stop, self._thread
            self._stop = self._thread = None
        if stop is not None:
            stop.set()
        if thread is not None:
            thread.join()
        self.take()

    def _loop(self, stop: threading.Event) -> None:
        while not stop.wait(self.every):
            self.take()

    def take(self) -> int | None:
        """Ask Redis and store what it says; the id of the snapshot, or None when Redis or the
        archive could not be reached (logged: the crawl goes on either way)."""
        with self._take_lock:
            try:
                status = self._status()
            except Exception as exc:
                log.warning("cluster view: no snapshot, Redis unreachable: %s", exc)
                return None
            snap = snapshot_from_status(status, self.run_id)
            try:
                conn = connect(self.db_path)
                try:
                    snapshot_id = record_snapshot(conn, snap)
                finally:
                    conn.close()
            except Exception as exc:  # the archive busy past its timeout: the next one will do
                log.warning("cluster view: could not store a snapshot: %s", exc)
                return None
            self.taken += 1
            log.debug(
                "cluster view: snapshot %d: %d worker(s), %d queued, %.1f pages/min",
                snapshot_id,
                len(snap.workers),
                snap.queued,
                snap.pages_per_minute,
            )
            return snapshot_id

    def _status(self) -> dict[str, Any]:
        if self.status is not None:
            return self.status(self.cluster)
        from pantau.cluster import cluster_status

        return cluster_status(self.cluster)


_config_cache: dict[str, tuple[tuple, Cluster | None]] = {}


def cluster_of(config_dir: str | Path) -> Cluster | None:
    """The `cluster:` section of the config directory, or None (also for a config that does
    not load: the archive pipeline reports that). Read once per directory and file version:
    a run opens one crawler per source."""
    from pantau.pipeline.config import load_config

    folder = Path(config_dir)
    stamp = tuple(
        (p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(folder.glob("*.yaml"))
    )
    cached = _config_cache.get(str(folder))
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        cluster = load_config(folder).cluster
    except Exception as exc:
        log.debug("cluster view: config %s not loaded: %s", folder, exc)
        cluster = None
    _config_cache[str(folder)] = (stamp, cluster)
    return cluster


class ClusterView:
    """The Scrapy extension (config/settings.py EXTENSIONS): snapshots of the cluster in the
    archive while a coordinator crawls. Not configured on one machine (no `cluster:`), with the
    archive off (`PANTAU_ARCHIVE_ENABLED`), or with `PANTAU_CLUSTER_SNAPSHOT_SECONDS = 0`."""

    def __init__(self, recorder: SnapshotRecorder):
        self.recorder = recorder
        self.opened = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ClusterView:
        from pantau.pipeline.scrapy_pipeline import _settings_paths

        # a bare NotConfigured: Scrapy logs a warning for one with a message, and one machine
        # (the usual case) is nothing to warn about
        s = crawler.settings
        if not s.getbool("PANTAU_ARCHIVE_ENABLED", True):
            raise NotConfigured
        every = s.getfloat("PANTAU_CLUSTER_SNAPSHOT_SECONDS", SNAPSHOT_SECONDS)
        if every <= 0:
            raise NotConfigured
        db_path, cfg_dir = _settings_paths(crawler)
        cluster = cluster_of(cfg_dir)
        if cluster is None:
            raise NotConfigured
        ext = cls(SnapshotRecorder.shared(db_path, cluster, every, s.get("PANTAU_RUN_ID")))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Any) -> None:
        self.opened = True
        self.recorder.acquire()

    def spider_closed(self, spider: Any) -> Any:
        """The last spider's close waits (in a thread) for the final snapshot."""
        if not self.opened:
            return None
        self.opened = False
        from twisted.internet.threads import deferToThread

        return deferToThread(self.recorder.release)
