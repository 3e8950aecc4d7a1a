"""Logging set-up: plain text for people, one JSON object a line for log collectors."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime


class JsonFormatter(logging.Formatter):
    def __init__(self, mask=lambda s: s):
        super().__init__()
        self.mask = mask

    def format(self, record: logging.LogRecord) -> str:
        obj = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": self.mask(record.getMessage()),
        }
        if record.exc_info:
            obj["exc"] = self.mask(self.formatException(record.exc_info))
        return json.dumps(obj, ensure_ascii=False)


class MaskingFormatter(logging.Formatter):
    def __init__(self, fmt: str, mask=lambda s: s):
        super().__init__(fmt)
        self.mask = mask

    def format(self, record: logging.LogRecord) -> str:
        return self.mask(super().format(record))


def _quiet_scrapy_info(record: logging.LogRecord) -> bool:
    """Scrapy's INFO lines (stats dumps, engine chatter) belong to -v; our summary says it all."""
    return not (record.name.startswith("scrapy") and record.levelno < logging.WARNING)


def configure_logging(level: int, fmt: str = "text", mask=lambda s: s) -> None:
    """Route every logger (Scrapy's included) to stderr in the chosen format."""
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter(mask))
    else:
        handler.setFormatter(
            MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", mask)
        )
    if level > logging.DEBUG:
        handler.addFilter(_quiet_scrapy_info)
    root.addHandler(handler)
    logging.captureWarnings(True)  # library warnings become log lines in the chosen format
    root.setLevel(level)
    # Scrapy is chatty at INFO; its per-request lines are only useful when debugging.
    for noisy in (
        "scrapy.core.engine",
        "scrapy.extensions",
        "scrapy.middleware",
        "scrapy.crawler",
        "scrapy.statscollectors",
        "scrapy.addons",
        "scrapy.utils.log",
        "py.warnings",
    ):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    for noisy in ("httpx", "httpcore", "trafilatura", "htmldate", "courlan", "charset_normalizer"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
