"""Live per-source progress for interactive runs (rich); cron runs never load it.

A Scrapy extension, enabled by the runner only when stderr is a terminal: one progress line
per source showing responses, articles and the request budget it is spending.
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

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RichProgress:
        ext = cls(crawler)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.response, signal=signals.response_received)
        crawler.signals.connect(ext.item, signal=signals.item_scraped)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def opened(self, spider: Any) -> None:
        budget = getattr(getattr(spider, "source", None), "max_requests", None) or 500
        name = getattr(spider, "source_name", None) or spider.name
        self.task = shared_progress().add_task(name, total=budget, articles=0)

    def response(self, response: Any, request: Any, spider: Any) -> None:
        if self.task is not None:
            shared_progress().advance(self.task)

    def item(self, item: Any, response: Any, spider: Any) -> None:
        if self.task is not None and isinstance(item, dict) and item.get("type") == "article":
            task = shared_progress().tasks[self.task]
            shared_progress().update(self.task, articles=task.fields["articles"] + 1)

    def closed(self, spider: Any, reason: str) -> None:
        if self.task is not None:
            prog = shared_progress()
            done = prog.tasks[self.task].completed
            prog.update(self.task, total=done, description=f"{prog.tasks[self.task].description} ✓")
