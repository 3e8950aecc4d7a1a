"""Article extraction and topic matching in worker processes, so a big crawl uses every core.

Extraction is CPU work (tens of milliseconds a page, mostly trafilatura and lxml); inline, it
runs on Scrapy's one thread and the crawl goes no faster than one core extracts. A pool lets
the reactor keep fetching and storing while workers extract.

The pool is shared by every crawler of a run (one process runs all sources) and starts only
once the run has extracted `start_after` articles inline, so an hourly run that finds a few new
articles never pays for starting workers. Workers are spawned, not forked: they inherit no file
descriptor (the run lock among them), and each one exits when its parent dies.
"""

from __future__ import annotations

import atexit
import concurrent.futures as cf
import logging
import multiprocessing as mp
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from pantau.pipeline.config import Topic
from pantau.pipeline.extract import extract_or_reject
from pantau.pipeline.matching import TopicMatcher
from pantau.pipeline.models import ExtractedArticle, Rejection, TopicMatch

log = logging.getLogger(__name__)


@dataclass
class ExtractJob:
    """What extraction needs from a crawled item (picklable, for a worker)."""

    html: str | bytes
    url: str
    fetched_at: datetime
    template: str
    source_region: str | None
    extra_pages: list[str] | None = None


ExtractResult = tuple[ExtractedArticle | Rejection, list[TopicMatch]]


def extract_and_match(job: ExtractJob, matcher: TopicMatcher) -> ExtractResult:
    """The per-page CPU work: the clean article (or why the page gave none) and its topics."""
    art = extract_or_reject(
        job.html,
        job.url,
        fetched_at=job.fetched_at,
        template=job.template,
        source_region=job.source_region,
        extra_pages=job.extra_pages,
    )
    if isinstance(art, Rejection):
        return art, []
    return art, matcher.match(art.title, art.text)


# --- in the worker -----------------------------------------------------------------------------

_matchers: dict[tuple, TopicMatcher] = {}


def _worker_init(parent_pid: int) -> None:
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()


def _exit_with_parent(parent_pid: int) -> None:
    """A killed crawl must not leave workers behind (they would wait on its queue forever)."""
    while True:
        time.sleep(0.5)
        if os.getppid() != parent_pid:
            os._exit(0)


def _work(job: ExtractJob, topics: tuple[Topic, ...]) -> ExtractResult:
    key = tuple((t.name, t.query, str(t.synonyms)) for t in topics)
    matcher = _matchers.get(key)
    if matcher is None:
        matcher = _matchers[key] = TopicMatcher(list(topics))
    return extract_and_match(job, matcher)


# --- in the crawl ------------------------------------------------------------------------------


class ExtractionPool:
    """One pool of worker processes per crawl process, shared by its pipelines."""

    _lock = threading.Lock()
    _executor: cf.ProcessPoolExecutor | None = None
    _users = 0
    _inline_done = 0  # articles this process extracted inline, over all its sources

    def __init__(self, workers: int, start_after: int):
        self.workers = workers
        self.start_after = start_after

    @classmethod
    def attach(cls) -> None:
        with cls._lock:
            cls._users += 1

    @classmethod
    def detach(cls) -> None:
        """The last pipeline to close shuts the workers down."""
        with cls._lock:
            cls._users -= 1
            if cls._users <= 0:
                if cls._executor is not None:
                    cls._executor.shutdown(wait=False, cancel_futures=True)
                cls._executor = None
                cls._users = 0
                cls._inline_done = 0

    def executor(self) -> cf.ProcessPoolExecutor | None:
        """The shared executor once this run has earned one, else None (extract inline)."""
        if self.workers < 1:
            return None
        with ExtractionPool._lock:
            if ExtractionPool._executor is not None:
                return ExtractionPool._executor
            if ExtractionPool._inline_done < self.start_after:
                return None
            log.info("extracting in %d worker processes", self.workers)
            ExtractionPool._executor = cf.ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=mp.get_context("spawn"),
                initializer=_worker_init,
                initargs=(os.getpid(),),
            )
            return ExtractionPool._executor

    def submit(self, job: ExtractJob, topics: list[Topic]) -> cf.Future[ExtractResult] | None:
        ex = self.executor()
        if ex is None:
            with ExtractionPool._lock:
                ExtractionPool._inline_done += 1
            return None
        try:
            return ex.submit(_work, job, tuple(topics))
        except (RuntimeError, cf.BrokenExecutor):  # shut down or a worker died: go inline
            self.give_up()
            return None

    def give_up(self) -> None:
        """A worker died (killed, out of memory): extract inline for the rest of the run."""
        log.warning("extraction workers unavailable; extracting inline")
        with ExtractionPool._lock:
            if ExtractionPool._executor is not None:
                ExtractionPool._executor.shutdown(wait=False, cancel_futures=True)
            ExtractionPool._executor = None
        self.workers = 0


def default_workers() -> int:
    """One worker per core but one: the crawl's own thread (fetching, parsing, storing) keeps
    a core. Each worker holds about 100 MB (trafilatura, dateparser, the stemmer)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cores or 1) - 1)


@atexit.register
def _shutdown() -> None:
    if ExtractionPool._executor is not None:
        ExtractionPool._executor.shutdown(wait=False, cancel_futures=True)
