"""The errback of every request: classify a failure, count it once, and say what it means.

A 404 of a guessed feed or sitemap is a miss, not an error; a dead article link is remembered
as gone; a missing single-page or desktop variant falls back on the URL as found; a failed
article request tells the frontier whether its URL stays owed or is given up.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from pantau.spiders.article_callbacks import ARTICLE_META
from pantau.spiders.middlewares import BlockedError, BudgetExceeded, OffsiteRefused, TooLarge

logger = logging.getLogger(__name__)


class ErrorCallbacks:
    """Error handling of the news spider (a mixin of NewsSpider; state set up in its _setup)."""

    @staticmethod
    def _article_retry(meta: dict, status: int) -> str | None:
        """The URL to try next when an article's first request got a 404/410."""
        if status not in (404, 410) or "article_item" in meta or "discovered_url" not in meta:
            return None
        request_url = meta.get("requested_as")
        if meta.get("single_view"):
            return meta.get("plain_url") or meta["discovered_url"]
        if request_url and request_url != meta["discovered_url"]:
            return meta["discovered_url"]
        return None

    def on_error(self, failure: Failure) -> Iterator[Any]:
        request = failure.request
        meta = request.meta
        kind = meta.get("pantau_kind", "other")
        if failure.check(BlockedError, BudgetExceeded, OffsiteRefused):
            pass  # counted by the middlewares as blocked / budget / offsite_dropped
        elif failure.check(HttpError):
            status = failure.value.response.status
            retry = self._article_retry(meta, status) if kind == "article" else None
            if retry:
                # no single-page view after all, or the desktop guess for an AMP/mobile link
                # is missing: fetch the article as it was found
                self._inc("missing/article_variant")
                yield self._article_request(
                    retry,
                    single_view=False,
                    plain_url=None,
                    **{k: meta.get(k) for k in ARTICLE_META},
                )
            elif kind == "article" and status in (404, 410) and "article_item" not in meta:
                # remembered (pages.kind "gone") so the dead link is not fetched on every run
                self._inc("missing/article")
                yield self._gone_item(failure.value.response)
            elif meta.get("guessed") and status in (404, 410):
                self._inc(f"missing/{kind}")
            else:
                logger.warning("HTTP %s on %s %s", status, kind, request.url)
                self._error(kind, f"http_{status}")
            if kind == "robots":
                yield from self._next_fallback_sitemap(None)
            if kind == "sitemap" and meta.get("fallback_of") and status in (404, 410):
                yield from self._next_fallback_sitemap(meta["fallback_of"])
        elif failure.check(TooLarge):
            self._error(kind)  # detail counted by the middleware
        elif failure.check(IgnoreRequest):
            if "robots" in str(failure.value).lower():
                self._inc("robots/forbidden")
            else:
                self._error(kind, "ignored")
        else:
            logger.warning("network error on %s %s: %s", kind, request.url, failure.value)
            self._error(kind, "network")
            if kind == "robots":
                yield from self._next_fallback_sitemap(None)
        if "article_item" in meta:  # a later page of a multi-page article failed: keep the rest
            self._inc("articles/yielded")
            yield meta["article_item"]
        elif kind == "article" and meta.get("frontier_url"):
            outcome = self._frontier_outcome(failure)
            if outcome is not None:
                yield self._frontier_item(**{outcome[0]: [(meta["frontier_url"], outcome[1])]})

    @staticmethod
    def _frontier_outcome(failure: Failure) -> tuple[str, str] | None:
        """What a failed article request means for its owed URL: ("failed", error) counts an
        attempt, ("gave_up", reason) ends it; None leaves it as it is (a budget refusal:
        still owed and due; a 404/410: remembered as gone or retried as found)."""
        if failure.check(BudgetExceeded):
            return None
        if failure.check(BlockedError):
            return "failed", "blocked"
        if failure.check(HttpError):
            status = failure.value.response.status
            return None if status in (404, 410) else ("failed", f"http_{status}")
        if failure.check(TooLarge):
            return "failed", "too_large"
        if failure.check(IgnoreRequest):
            if "robots" in str(failure.value).lower():
                return "gave_up", "robots.txt forbids it"
            return "failed", "ignored"
        return "failed", f"network: {type(failure.value).__name__}"
