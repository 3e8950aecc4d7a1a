"""Feed exporters that can write page items: their raw `body` is bytes, which JSON cannot hold.

`scrapy crawl news -O items.jsonl` writes a body as text (UTF-8, undecodable bytes replaced);
the archive itself gets the exact bytes from the item pipeline, not from these files.
"""

from __future__ import annotations

from typing import Any

from scrapy.exporters import JsonItemExporter, JsonLinesItemExporter
from scrapy.utils.serialize import ScrapyJSONEncoder


class BytesJSONEncoder(ScrapyJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, bytes | bytearray):
            return bytes(o).decode("utf-8", "replace")
        return super().default(o)


class JsonLinesExporter(JsonLinesItemExporter):
    def __init__(self, file: Any, **kwargs: Any):
        super().__init__(file, **kwargs)
        self.encoder = BytesJSONEncoder(**self._kwargs)


class JsonExporter(JsonItemExporter):
    def __init__(self, file: Any, **kwargs: Any):
        super().__init__(file, **kwargs)
        self.encoder = BytesJSONEncoder(**self._kwargs)
