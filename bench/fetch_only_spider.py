"""The crawl-speed baseline: fetch every URL of a list with Scrapy and do nothing else.

    scrapy runspider bench/fetch_only_spider.py -a urls=FILE [-a extract=1] [-s NAME=VALUE ...]

With `-a extract=1` it also runs plain `trafilatura.extract` on every article page: the
smallest crawler that produces text, a second baseline.

Run outside the project directory (no project settings), with the same concurrency settings as
Pantau's crawl. Prints `fetched N bytes B` when done.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import scrapy


class FetchOnlySpider(scrapy.Spider):
    name = "fetch_only"
    custom_settings = {"ROBOTSTXT_OBEY": False, "COOKIES_ENABLED": False, "RETRY_ENABLED": False}

    def __init__(self, urls: str = "", extract: str = "", *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.url_file = urls
        self.extract = extract not in ("", "0")
        self.fetched = 0
        self.bytes = 0

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for line in Path(self.url_file).read_text(encoding="utf-8").splitlines():
            if line.strip():
                yield scrapy.Request(line.strip(), callback=self.parse, dont_filter=True)

    def parse(self, response: scrapy.http.Response) -> None:
        self.fetched += 1
        self.bytes += len(response.body)
        if self.extract and response.url.rstrip("/").count("/") > 3:  # article pages only
            import trafilatura

            trafilatura.extract(response.body)

    def closed(self, reason: str) -> None:
        print(f"fetched {self.fetched} bytes {self.bytes}", flush=True)
