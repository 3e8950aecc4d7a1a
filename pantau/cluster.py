"""Distributed mode over Redis (docs/scaling.md): the coordinator's side and what both sides
share.

The coordinator (`pantau run`/`crawl` with `cluster:` in sources.yaml) schedules the crawl as on
one machine and stays the archive's only writer; the network fetch (pantau.cluster_fetch, unless
`fetch: coordinator`) and the per-page CPU work (`extract_and_match`) go to Dramatiq queues in
Redis, and `pantau worker` processes on any machine take them from there.
Dramatiq acknowledges a message only after its result is stored: what a killed worker had taken
goes back to the queue once its heartbeat is `dead_worker_after` seconds old. Results come back
through Dramatiq's Redis result backend. Nothing here runs without a `cluster:` config.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import logging
import os
import socket
import threading
import time
from datetime import datetime
from typing import Any

from pantau.pipeline.config import Cluster, Topic
from pantau.pipeline.extract_pool import ExtractJob, ExtractResult
from pantau.pipeline.models import ExtractedArticle, Rejection, Removal, TopicMatch

log = logging.getLogger(__name__)

NAMESPACE = "pantau"  # prefix of every Redis key: Dramatiq's queues and Pantau's counters
ACTOR = "pantau_extract_and_match"
WORKERS_KEY = f"{NAMESPACE}:workers"  # hash: worker id -> JSON of host, pid, done, last_seen
DONE_KEY = f"{NAMESPACE}:pages-done"  # + ":<unix minute>": pages extracted in that minute
FETCHED_KEY = f"{NAMESPACE}:pages-fetched"  # + ":<unix minute>": requests fetched in that minute
WORKER_SEEN_S = 30  # a worker that reported within this time is listed as up
WAIT_SLICE_MS = 2000  # one blocking wait for a result; below redis-py's 5 s socket timeout
MAX_WAITING = 256  # pages one coordinator has in the queue and waits for at once


# --- the message and the result, as JSON (Dramatiq's default encoder) -------------------------


def job_payload(job: ExtractJob, topics: list[Topic] | tuple[Topic, ...]) -> dict[str, Any]:
    """What a worker needs for one page: the page and the coordinator's topics (a worker
    holds no config and no archive)."""
    html = job.html.decode("utf-8", "replace") if isinstance(job.html, bytes) else job.html
    return {
        "html": html,
        "url": job.url,
        "fetched_at": job.fetched_at.isoformat(),
        "template": job.template,
        "source_region": job.source_region,
        "extra_pages": job.extra_pages,
        "topics": [t.model_dump() for t in topics],
    }


def job_from_payload(payload: dict[str, Any]) -> tuple[ExtractJob, tuple[Topic, ...]]:
    job = ExtractJob(
        html=payload["html"],
        url=payload["url"],
        fetched_at=datetime.fromisoformat(payload["fetched_at"]),
        template=payload["template"],
        source_region=payload.get("source_region"),
        extra_pages=payload.get("extra_pages"),
    )
    return job, tuple(Topic.model_validate(t) for t in payload.get("topics") or [])


def encode_result(result: ExtractResult) -> dict[str, Any]:
    art, matches = result
    kind = "rejection" if isinstance(art, Rejection) else "article"
    return {
        "kind": kind,
        "value": dataclasses.asdict(art),
        "matches": [dataclasses.asdict(m) for m in matches],
    }


def decode_result(data: dict[str, Any]) -> ExtractResult:
    value = dict(data["value"])
    matches = [TopicMatch(**m) for m in data.get("matches") or []]
    if data["kind"] == "rejection":
        return Rejection(**value), matches
    value["removed"] = [Removal(**r) for r in value.get("removed") or []]
    return ExtractedArticle(**value), matches


# --- the broker, the same on both sides --------------------------------------------------------


def make_broker(cluster: Cluster, *, maintenance_every: float | None = None):
    """A Dramatiq Redis broker with the result backend, and the extraction actor bound to it
    (returned) and the fetch actor (`broker.get_actor(cluster_fetch.FETCH_ACTOR)`).

    Dramatiq requeues a dead worker's unacknowledged messages during "maintenance", which it
    runs on a random 0.1% of its Redis calls: too rare for a small cluster. Here every process
    also runs it whenever `maintenance_every` seconds have passed (by default half of
    `dead_worker_after`), so a killed worker's pages go back within about that time.
    """
    import dramatiq
    from dramatiq.brokers.redis import MAINTENANCE_COMMAND_BLACKLIST, RedisBroker
    from dramatiq.results import Results
    from dramatiq.results.backends.redis import RedisBackend

    every = maintenance_every if maintenance_every is not None else cluster.dead_worker_after / 2

    class TimelyBroker(RedisBroker):
        """Maintenance runs on the queue of the call that carries it: each queue (extraction,
        fetch) keeps its own clock, or the busier consumer would take every turn."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._last_maintenance: dict[str | None, float] = {}
            self._call = threading.local()  # the queue of this thread's dispatch call

        def _dispatch(self, command: str):
            inner = super()._dispatch(command)

            def do_dispatch(queue_name: str, *args: Any):
                self._call.queue = queue_name
                return inner(queue_name, *args)

            return do_dispatch

        def _should_do_maintenance(self, command: str) -> int:
            if command in MAINTENANCE_COMMAND_BLACKLIST:
                return 0
            queue = getattr(self._call, "queue", None)
            now = time.monotonic()
            if now - self._last_maintenance.get(queue, 0.0) >= every:
                self._last_maintenance[queue] = now
                return 1
            return super()._should_do_maintenance(command)

    import redis

    from pantau.cluster_fetch import FETCH_ACTOR, fetch_queue, start_within
    from pantau.cluster_fetch import MAX_WAITING as MAX_FETCHING

    # one connection per page or request being waited for (redis-py 8 caps a pool at 100)
    pool = redis.ConnectionPool.from_url(
        cluster.redis_url, max_connections=MAX_WAITING + MAX_FETCHING + 32
    )
    broker = TimelyBroker(
        client=redis.Redis(connection_pool=pool),
        namespace=NAMESPACE,
        heartbeat_timeout=int(cluster.dead_worker_after * 1000),
        dead_message_ttl=86_400_000,  # a page that failed in a worker: kept a day for a look
    )
    backend = RedisBackend(client=broker.client, namespace=f"{NAMESPACE}-results")
    broker.add_middleware(Results(backend=backend))
    from pantau.worker import extract_message, fetch_message

    actor = dramatiq.Actor(
        extract_message,
        broker=broker,
        actor_name=ACTOR,
        queue_name=cluster.queue,
        priority=0,
        options={
            "store_results": True,
            "max_retries": 0,  # a page that fails is extracted by the coordinator instead
            "time_limit": int(cluster.result_timeout * 1000),
            "result_ttl": int(cluster.result_timeout * 1000) + 60_000,
        },
    )
    dramatiq.Actor(
        fetch_message,
        broker=broker,
        actor_name=FETCH_ACTOR,
        queue_name=fetch_queue(cluster),
        priority=0,
        options={
            "store_results": True,
            "max_retries": 0,  # a failed fetch is Scrapy's to retry, in the site's slot
            # not started by then: dropped, since the coordinator stops waiting soon after
            "max_age": int(start_within(cluster) * 1000),
            "time_limit": 15 * 60_000,  # httpx's own timeouts end a fetch long before
            "result_ttl": int(start_within(cluster) * 1000) + 15 * 60_000,
        },
    )
    return broker, actor, backend


# --- the coordinator's side --------------------------------------------------------------------


class ClusterUnavailable(cf.BrokenExecutor):
    """No worker answered in time, or Redis is unreachable: this page is extracted here."""


class ClusterExtractor:
    """Stands in for `ExtractionPool` in `ArchivePipeline`: `submit` returns a future of the
    same result, computed by some `pantau worker`. One per coordinator process, shared by all
    its crawlers. A page the cluster cannot do (timeout, Redis down) fails its future with
    `ClusterUnavailable`, and the pipeline extracts it inline: the run never stalls."""

    _shared: ClusterExtractor | None = None
    _shared_lock = threading.Lock()

    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        self.broker, self.actor, self.backend = make_broker(cluster)
        # each waiting page blocks one thread on Redis (BRPOPLPUSH) until its result comes
        self.waiters = cf.ThreadPoolExecutor(MAX_WAITING, thread_name_prefix="pantau-cluster")
        self.sent = 0
        self.inline = 0
        self._count_lock = threading.Lock()

    @classmethod
    def shared(cls, cluster: Cluster) -> ClusterExtractor:
        with cls._shared_lock:
            if cls._shared is None or cls._shared.cluster != cluster:
                cls._shared = cls(cluster)
            return cls._shared

    def submit(self, job: ExtractJob, topics: list[Topic]) -> cf.Future[ExtractResult]:
        payload = job_payload(job, topics)
        return self.waiters.submit(self._round_trip, payload)

    def _round_trip(self, payload: dict[str, Any]) -> ExtractResult:
        from dramatiq.results import ResultFailure, ResultTimeout

        try:
            message = self.actor.send(payload)
            with self._count_lock:
                self.sent += 1
            deadline = time.monotonic() + self.cluster.result_timeout
            while True:  # in slices: redis-py gives up reading a socket after 5 s by default
                try:
                    data = self.backend.get_result(message, block=True, timeout=WAIT_SLICE_MS)
                    break
                except ResultTimeout:
                    if time.monotonic() >= deadline:
                        raise
            self.broker.client.delete(self.backend.build_message_key(message))
        except ResultTimeout:
            why = f"no worker answered within {self.cluster.result_timeout:g} s"
            log.warning("cluster: %s: %s", payload["url"], why)
            raise ClusterUnavailable(why) from None
        except ResultFailure as exc:
            log.warning("cluster: %s: a worker failed on the page: %s", payload["url"], exc)
            raise ClusterUnavailable(str(exc)) from None
        except Exception as exc:  # Redis unreachable, connection dropped
            log.warning("cluster: %s: cluster unavailable: %s", payload["url"], exc)
            raise ClusterUnavailable(str(exc)) from None
        return decode_result(data)

    def give_up(self) -> None:
        """One page came back without a result: the pipeline extracts it inline (counted)."""
        with self._count_lock:
            self.inline += 1
        log.warning("cluster: a page is extracted here (no worker result)")

    def close(self) -> None:
        self.waiters.shutdown(wait=False, cancel_futures=True)


# --- what `pantau status` shows ----------------------------------------------------------------


def cluster_status(cluster: Cluster, now: float | None = None) -> dict[str, Any]:
    """Workers seen lately, queue depths, and pages extracted and requests fetched per minute
    (the average over this minute and the 4 before it)."""
    import json

    import redis

    from pantau.cluster_fetch import fetch_queue

    now = time.time() if now is None else now
    client = redis.Redis.from_url(cluster.redis_url, socket_timeout=5)
    try:
        raw = client.hgetall(WORKERS_KEY)
        queued = client.llen(f"{NAMESPACE}:{cluster.queue}")
        in_progress = sum(
            client.scard(k) for k in client.scan_iter(f"{NAMESPACE}:__acks__.*.{cluster.queue}")
        )
        fq = fetch_queue(cluster)
        fetch_queued = client.llen(f"{NAMESPACE}:{fq}")
        fetching = sum(client.scard(k) for k in client.scan_iter(f"{NAMESPACE}:__acks__.*.{fq}"))
        minute = int(now // 60)
        counts = client.mget([f"{DONE_KEY}:{m}" for m in range(minute - 4, minute + 1)])
        fetched = client.mget([f"{FETCHED_KEY}:{m}" for m in range(minute - 4, minute + 1)])
    finally:
        client.close()
    workers = []
    for wid, value in raw.items():
        info = json.loads(value)
        age = now - float(info.get("last_seen", 0))
        if age <= WORKER_SEEN_S:
            workers.append({"id": wid.decode(), **info, "seen_s_ago": round(age, 1)})
    workers.sort(key=lambda w: (w.get("host", ""), w.get("pid", 0)))
    return {
        "redis": _redacted(cluster.redis_url),
        "queue": cluster.queue,
        "queued": int(queued),
        "in_progress": int(in_progress),
        "workers": workers,
        "pages_per_minute": round(sum(int(c or 0) for c in counts) / 5, 1),
        "queues": {  # every queue's depths (pantau.cluster_view records them all)
            cluster.queue: {"queued": int(queued), "in_progress": int(in_progress)},
            fq: {"queued": int(fetch_queued), "in_progress": int(fetching)},
        },
        "fetch": cluster.fetch,
        "fetch_queue": fq,
        "fetch_queued": int(fetch_queued),
        "fetching": int(fetching),
        "fetched_per_minute": round(sum(int(c or 0) for c in fetched) / 5, 1),
    }


def _redacted(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password:
        return url.replace(parts.password, "***")
    return url


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def print_cluster_status(cluster: Cluster) -> None:
    """The cluster lines of `pantau status` (text formats): one summary, one line a worker."""
    try:
        st = cluster_status(cluster)
    except Exception as exc:  # status must still show the sources with Redis away
        print(f"cluster: redis={_redacted(cluster.redis_url)} unreachable: {exc}")
        return
    print(
        f"cluster: redis={st['redis']} queue={st['queue']} queued={st['queued']} "
        f"in_progress={st['in_progress']} workers={len(st['workers'])} "
        f"pages_per_min={st['pages_per_minute']:g} fetch={st['fetch']} "
        f"fetch_queued={st['fetch_queued']} fetching={st['fetching']} "
        f"fetched_per_min={st['fetched_per_minute']:g}"
    )
    for w in st["workers"]:
        print(
            f"worker={w['id']} host={w.get('host')} pid={w.get('pid')} done={w.get('done', 0)} "
            f"fetched={w.get('fetched', 0)} seen={w['seen_s_ago']:g}s_ago"
        )
