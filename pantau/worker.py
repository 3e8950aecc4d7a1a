"""`pantau worker`: extract and match pages taken from the cluster's Redis queue.

A worker holds no archive and no config beyond the Redis URL: each message carries the page and
the coordinator's topics, and the result goes back through Redis to the coordinator, which stores
it. Run as many as there are cores, on as many machines as there are (docs/scaling.md). Each
process runs one Dramatiq consumer with one worker thread (the work is CPU-bound: threads would
only share one core); `--processes N` starts N such processes.
"""

from __future__ import annotations

import json
import logging
import multiprocessing as mp
import os
import signal
import threading
import time
from typing import Any

from pantau.pipeline.config import Cluster, Topic
from pantau.pipeline.matching import TopicMatcher

log = logging.getLogger(__name__)

REPORT_EVERY_S = 5.0  # how often an idle worker tells Redis it is up

_matchers: dict[tuple, TopicMatcher] = {}


def extract_message(payload: dict[str, Any]) -> dict[str, Any]:
    """The Dramatiq actor's body: one page in, the JSON of (article or rejection, matches) out."""
    from pantau.cluster import encode_result, job_from_payload
    from pantau.pipeline.extract_pool import extract_and_match

    job, topics = job_from_payload(payload)
    result = extract_and_match(job, _matcher(topics))
    _Stats.done_one()
    return encode_result(result)


def _matcher(topics: tuple[Topic, ...]) -> TopicMatcher:
    key = tuple((t.name, t.query, str(t.synonyms)) for t in topics)
    matcher = _matchers.get(key)
    if matcher is None:
        matcher = _matchers[key] = TopicMatcher(list(topics))
    return matcher


class _Stats:
    """Pages this process finished, reported to Redis for `pantau status`."""

    lock = threading.Lock()
    done = 0
    pending = 0  # finished since the last report

    @classmethod
    def done_one(cls) -> None:
        with cls.lock:
            cls.done += 1
            cls.pending += 1


def _report(client, wid: str, info: dict[str, Any]) -> None:
    """Write this worker's line in the workers hash and add its recent pages to the minute."""
    from pantau.cluster import DONE_KEY, WORKERS_KEY

    with _Stats.lock:
        done, pending = _Stats.done, _Stats.pending
        _Stats.pending = 0
    now = time.time()
    pipe = client.pipeline()
    pipe.hset(WORKERS_KEY, wid, json.dumps({**info, "done": done, "last_seen": now}))
    if pending:
        key = f"{DONE_KEY}:{int(now // 60)}"
        pipe.incrby(key, pending)
        pipe.expire(key, 3600)
    pipe.execute()


def _reporter(client, wid: str, info: dict[str, Any]):
    """A Dramatiq middleware that reports to Redis after each page, so counts are current."""
    from dramatiq import Middleware

    class Reporter(Middleware):
        def after_process_message(self, broker, message, *, result=None, exception=None):
            try:
                _report(client, wid, info)
            except Exception as exc:  # the page is done; its count waits for the next report
                log.warning("worker %s: could not report to Redis: %s", wid, exc)

    return Reporter()


def serve(cluster: Cluster, prefetch: int = 1, stop: threading.Event | None = None) -> None:
    """Run one worker process until SIGTERM/SIGINT (or `stop`): take pages, extract, answer."""
    import dramatiq

    from pantau.cluster import WORKERS_KEY, make_broker, worker_id

    broker, _actor, _backend = make_broker(cluster)
    dramatiq.set_broker(broker)
    stop = stop or threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    wid = worker_id()
    info = {"host": wid.rsplit(":", 1)[0], "pid": os.getpid(), "broker_id": broker.broker_id}
    info["started"] = time.time()
    broker.add_middleware(_reporter(broker.client, wid, info))
    worker = dramatiq.Worker(broker, worker_threads=1)
    worker.queue_prefetch = max(1, prefetch)  # Dramatiq's default is twice the threads
    worker.start()
    log.info("worker %s: taking pages from queue %r", wid, cluster.queue)
    try:
        while not stop.is_set():
            try:
                _report(broker.client, wid, info)
            except Exception as exc:  # Redis away for a moment: Dramatiq reconnects itself
                log.warning("worker %s: could not report to Redis: %s", wid, exc)
            stop.wait(REPORT_EVERY_S)
    finally:
        log.info("worker %s: stopping; unfinished pages go back to the queue", wid)
        worker.stop(timeout=10_000)
        try:
            _report(broker.client, wid, info)
            broker.client.hdel(WORKERS_KEY, wid)
        except Exception:
            pass
        broker.close()


def _child(cluster_json: str, prefetch: int, parent: int, level: int, log_format: str) -> None:
    """One of `--processes N`: exits with its parent, as the local extraction pool's workers."""
    from pantau.logs import configure_logging

    configure_logging(level, log_format)
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            if os.getppid() != parent:
                stop.set()
            time.sleep(0.5)

    threading.Thread(target=watch, daemon=True).start()
    serve(Cluster.model_validate_json(cluster_json), prefetch, stop)


def run_workers(
    cluster: Cluster,
    processes: int,
    prefetch: int = 2,
    level: int = logging.INFO,
    log_format: str = "text",
) -> int:
    """`pantau worker`: one process serves in place; more are spawned and watched."""
    if processes <= 1:
        serve(cluster, prefetch)
        return 0
    ctx = mp.get_context("spawn")
    args = (cluster.model_dump_json(), prefetch, os.getpid(), level, log_format)
    children = [ctx.Process(target=_child, args=args) for _ in range(processes)]
    for c in children:
        c.start()
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    while not stopping.is_set() and any(c.is_alive() for c in children):
        stopping.wait(1.0)
    for c in children:
        if c.is_alive():
            c.terminate()  # SIGTERM: the child finishes its page and requeues what it holds
    for c in children:
        c.join(timeout=30)
    return 0


def cluster_from_args(args: Any) -> Cluster:
    """The cluster a `pantau worker` joins: `--redis-url` (or PANTAU_REDIS_URL) alone needs no
    config directory; otherwise sources.yaml's `cluster:` section. Options override it."""
    from pantau.errors import UsageError
    from pantau.pipeline.config import load_config

    url = args.redis_url or os.environ.get("PANTAU_REDIS_URL")
    base: dict[str, Any] = {}
    if not url:
        config = load_config(args.config_dir)
        if config.cluster is None:
            raise UsageError(
                "worker: no cluster: give --redis-url, set PANTAU_REDIS_URL, or add "
                "'cluster: {redis_url: ...}' to sources.yaml (docs/scaling.md)"
            )
        base = config.cluster.model_dump()
    else:
        base = {"redis_url": url}
    if args.queue:
        base["queue"] = args.queue
    if args.dead_after is not None:
        base["dead_worker_after"] = args.dead_after
    try:
        return Cluster.model_validate(base)
    except ValueError as exc:
        raise UsageError(f"worker: {exc}") from None


def cmd_worker(args: Any, level: int = logging.INFO) -> int:
    cluster = cluster_from_args(args)
    processes = args.processes or _cores()
    log.info("pantau worker: %d process(es) on %s", processes, _redacted(cluster.redis_url))
    return run_workers(cluster, processes, args.prefetch, level, args.log_format)


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _redacted(url: str) -> str:
    from pantau.cluster import _redacted as redact

    return redact(url)
