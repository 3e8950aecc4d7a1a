"""Live per-source progress for interactive runs (rich); cron runs never load it.

A Scrapy extension, enabled by the runner only when stderr is a terminal: one progress line
per source showing responses against the requests queued so far, and articles. The total is
the work discovered so far, not the source's budget: most runs (incremental ones above all)
end far below max_requests, and a bar against the budget would never look finished.
"""

from __future__ import annotations

from typing import Any

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from scrapy import signals
from scrapy.crawler import Crawler

_progress: Progress | None = None


def shared_progress() -> Progress:
    """One Progress display for every crawler of the process (sources crawl concurrently)."""
    global _progress
    if _progress is None:
        _progress = Progress(
            TextColumn("{task.description:<24}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} requests"),
            TextColumn("{task.fields[articles]} articles"),
            TimeElapsedColumn(),
            transient=False,
        )
        _progress.start()
    return _progress


def stop_progress() -> None:
    global _progress
    if _progress is not None:
        _progress.stop()
        _progress = None


class RichProgress:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.task: Any = None
        self.queued = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RichProgress:
        ext = cls(crawler)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(ext.dropped, signal=signals.request_dropped)
        crawler.signals.connect(ext.response, signal=signals.response_received)
        crawler.signals.connect(ext.item, signal=signals.item_scraped)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def opened(self, spider: Any) -> None:
        name = getattr(spider, "source_name", None) or spider.name
        self.queued = 0
        self.task = shared_progress().add_task(name, total=0, articles=0)

    def scheduled(self, request: Any, spider: Any) -> None:
        """A request entered the scheduler: one more unit of known work."""
        self.queued += 1
        self._grow()

    def dropped(self, request: Any, spider: Any) -> None:
        """The scheduler refused it (a duplicate): it was never work."""
        self.queued -= 1
        self._grow()

    def response(self, response: Any, request: Any, spider: Any) -> None:
        if self.task is not None:
            shared_progress().advance(self.task)
            self._grow()

    def _grow(self) -> None:
        """Total = requests queued so far; never below what is done (robots.txt skips the
        scheduler but is fetched all the same)."""
        if self.task is not None:
            prog = shared_progress()
            done = prog.tasks[self.task].completed
            prog.update(self.task, total=max(self.queued, done))

    def item(self, item: Any, response: Any, spider: Any) -> None:
        if self.task is not None and isinstance(item, dict) and item.get("type") == "article":
            task = shared_progress().tasks[self.task]
            shared_progress().update(self.task, articles=task.fields["articles"] + 1)

    def closed(self, spider: Any, reason: str) -> None:
        if self.task is not None:
            prog = shared_progress()
            done = prog.tasks[self.task].completed
            prog.update(self.task, total=done, description=f"{prog.tasks[self.task].description} ✓")
