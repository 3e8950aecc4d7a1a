"""`pantau worker`: fetch requests and extract pages for a cluster's coordinator, through Redis.

A worker holds no archive and no config beyond the Redis URL: a fetch message carries the request
(pantau.cluster_fetch) and an extraction message the page and the coordinator's topics; the
answer goes back through Redis to the coordinator, which schedules every request and stores every
result. Run as many as there are cores, on as many machines as there are (docs/scaling.md). Each
process runs one Dramatiq worker thread for extraction (CPU-bound: threads would only share one
core) and `--fetch-threads` for fetches (network-bound); `--processes N` starts N such processes.
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
FETCH_THREADS = 8  # fetches one process does at once (default of --fetch-threads)
FETCH_POLL_MS = 50  # an idle fetch consumer looks at the queue at least this often

_matchers: dict[tuple, TopicMatcher] = {}


def extract_message(payload: dict[str, Any]) -> dict[str, Any]:
    """The Dramatiq actor's body: one page in, the JSON of (article or rejection, matches) out."""
    from pantau.cluster import encode_result, job_from_payload
    from pantau.pipeline.extract_pool import extract_and_match

    job, topics = job_from_payload(payload)
    result = extract_and_match(job, _matcher(topics))
    _Stats.done_one()
    return encode_result(result)


def fetch_message(payload: dict[str, Any]) -> dict[str, Any]:
    """The fetch actor's body: one request in, the response (or the error kind) out."""
    from pantau.cluster_fetch import fetch

    reply = fetch(payload)
    if "error" not in reply:  # a request the site answered, whatever its status
        _Stats.fetched_one()
    return reply


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
    fetched = 0
    pending_fetched = 0

    @classmethod
    def done_one(cls) -> None:
        with cls.lock:
            cls.done += 1
            cls.pending += 1

    @classmethod
    def fetched_one(cls) -> None:
        with cls.lock:
            cls.fetched += 1
            cls.pending_fetched += 1


def _report(client, wid: str, info: dict[str, Any]) -> None:
    """Write this worker's line in the workers hash and add its recent pages to the minute."""
    from pantau.cluster import DONE_KEY, FETCHED_KEY, WORKERS_KEY

    with _Stats.lock:
        done, pending = _Stats.done, _Stats.pending
        fetched, pending_fetched = _Stats.fetched, _Stats.pending_fetched
        _Stats.pending = _Stats.pending_fetched = 0
    now = time.time()
    pipe = client.pipeline()
    line = {**info, "done": done, "fetched": fetched, "last_seen": now}
    pipe.hset(WORKERS_KEY, wid, json.dumps(line))
    for prefix, n in ((DONE_KEY, pending), (FETCHED_KEY, pending_fetched)):
        if n:
            key = f"{prefix}:{int(now // 60)}"
            pipe.incrby(key, n)
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


def serve(
    cluster: Cluster,
    prefetch: int = 1,
    stop: threading.Event | None = None,
    fetch_threads: int = FETCH_THREADS,
) -> None:
    """Run one worker process until SIGTERM/SIGINT (or `stop`): take requests and pages, fetch
    and extract, answer."""
    import dramatiq

    from pantau.cluster import WORKERS_KEY, make_broker, worker_id
    from pantau.cluster_fetch import fetch_queue

    broker, _actor, _backend = make_broker(cluster)
    dramatiq.set_broker(broker)
    stop = stop or threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    wid = worker_id()
    info = {"host": wid.rsplit(":", 1)[0], "pid": os.getpid(), "broker_id": broker.broker_id}
    info["started"] = time.time()
    info["fetch_threads"] = max(0, fetch_threads)  # the coordinator sends requests only if > 0
    broker.add_middleware(_reporter(broker.client, wid, info))
    # two Dramatiq workers on one broker: one thread for the CPU-bound extraction, several for
    # the network-bound fetches, each on its own queue, so a slow site never holds up a page
    worker = dramatiq.Worker(broker, queues={cluster.queue}, worker_threads=1)
    worker.queue_prefetch = max(1, prefetch)  # Dramatiq's default is twice the threads
    workers = [worker]
    if fetch_threads > 0:
        level = broker.logger.level  # Dramatiq warns of a second Worker on one broker: intended
        broker.logger.setLevel(logging.ERROR)
        try:
            fetcher = dramatiq.Worker(
                broker,
                queues={fetch_queue(cluster)},
                worker_threads=fetch_threads,
                worker_timeout=FETCH_POLL_MS,  # an idle consumer's longest sleep: queue latency
            )
        finally:
            broker.logger.setLevel(level)
        fetcher.queue_prefetch = fetch_threads  # take no more than it can start at once
        workers.append(fetcher)
    for w in workers:
        w.start()
    log.info(
        "worker %s: extracting from queue %r, fetching from %r with %d thread(s)",
        wid,
        cluster.queue,
        fetch_queue(cluster),
        fetch_threads,
    )
    try:
        while not stop.is_set():
            try:
                _report(broker.client, wid, info)
            except Exception as exc:  # Redis away for a moment: Dramatiq reconnects itself
                log.warning("worker %s: could not report to Redis: %s", wid, exc)
            stop.wait(REPORT_EVERY_S)
    finally:
        log.info("worker %s: stopping; unfinished pages go back to the queue", wid)
        for w in workers:
            w.stop(timeout=10_000)
        try:
            _report(broker.client, wid, info)
            broker.client.hdel(WORKERS_KEY, wid)
        except Exception:
            pass
        broker.close()


def _child(
    cluster_json: str, prefetch: int, parent: int, level: int, log_format: str, fetch_threads: int
) -> None:
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
    serve(Cluster.model_validate_json(cluster_json), prefetch, stop, fetch_threads)


def run_workers(
    cluster: Cluster,
    processes: int,
    prefetch: int = 2,
    level: int = logging.INFO,
    log_format: str = "text",
    fetch_threads: int = FETCH_THREADS,
) -> int:
    """`pantau worker`: one process serves in place; more are spawned and watched."""
    if processes <= 1:
        serve(cluster, prefetch, fetch_threads=fetch_threads)
        return 0
    ctx = mp.get_context("spawn")
    args = (cluster.model_dump_json(), prefetch, os.getpid(), level, log_format, fetch_threads)
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
    threads = getattr(args, "fetch_threads", None)
    threads = FETCH_THREADS if threads is None else threads
    return run_workers(cluster, processes, args.prefetch, level, args.log_format, threads)


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _redacted(url: str) -> str:
    from pantau.cluster import _redacted as redact

    return redact(url)
