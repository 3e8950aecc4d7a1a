"""Article pages: the first request of an article, its redirects, the page-kind check, and the
later pages of a multi-page article.

Redirects are followed here rather than by Scrapy, so a shortlink to an article already
queued is not fetched twice and a permanent one is remembered; an index page reached from an
article link is rejected with its reason before it costs an extraction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy.http import Request, Response

from pantau.pipeline.archive.store import body_hash
from pantau.pipeline.canonical import canonicalize_url, desktop_url, strip_tracking
from pantau.pipeline.dates import parse_timestamp
from pantau.pipeline.extract import parse_html
from pantau.pipeline.htmlcodec import decode_html
from pantau.pipeline.pagekind import PageVerdict, classify_page
from pantau.pipeline.timestamps import utc_z
from pantau.spiders.discovery import Entry
from pantau.spiders.page_requests import header_value
from pantau.spiders.templates import NONARTICLE_SEGMENTS, is_gallery_index

logger = logging.getLogger(__name__)

# page_kind() answers that are certainly not articles ("other" is left to the extractor)
NONARTICLE_KINDS = frozenset({"listing", "home", "search", "tag", "gallery", "static"})
MAX_ARTICLE_PAGES = 20
MAX_REDIRECTS = 5
REDIRECT_STATUSES = [301, 302, 303, 307, 308]
# Only these redirects are remembered (pages.kind "redirect", skipped by later runs); a 302/303/
# 307 (a maintenance page, a login wall) is followed now and the link tried again next run.
PERMANENT_REDIRECTS = frozenset({301, 308})
# request meta carried from an article's first request to its follow-ups and items
ARTICLE_META = ("discovered_url", "discovered_via", "listed_date", "frontier_url")


class ArticleCallbacks:
    """Article callbacks of the news spider (a mixin of NewsSpider; state set up in its
    _setup)."""

    def _article_request(
        self, url: str, priority: int = 0, headers: dict | None = None, **meta: Any
    ) -> Request:
        """The first page of an article. Redirects are handled by parse_article (not by
        Scrapy), so a `?p=123` shortlink or an old URL that leads to an article already
        queued is not fetched twice, and a permanent one is remembered for later runs."""
        statuses = REDIRECT_STATUSES + [304] if meta.get("recheck") else REDIRECT_STATUSES
        return Request(
            url,
            callback=self.parse_article,
            errback=self.on_error,
            priority=priority,
            headers=headers,
            dont_filter=True,  # de-duplicated by canonical URL in _consider
            meta={
                "pantau_kind": "article",
                "dont_redirect": True,
                "handle_httpstatus_list": statuses,
                "requested_as": url,
                **meta,
            },
        )

    def _follow_redirect(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        key = meta.get("frontier_url")
        location = header_value(response, "Location")
        hops = meta.get("hops", 0)
        if not location or hops >= MAX_REDIRECTS:
            self._error("article", "redirect")
            yield self._frontier_item(failed=[(key, f"redirect ({response.status}) not followed")])
            return
        target = strip_tracking(urljoin(response.url, location))
        self._redirect_sources.add(canonicalize_url(response.url))
        if canonicalize_url(target) in self._redirect_sources:
            # A -> B -> A: Scrapy would drop the second A silently as already seen
            logger.warning("redirect loop at %s -> %s", response.url, target)
            self._error("article", "redirect_loop")
            yield self._frontier_item(failed=[(key, "redirect loop")])
            return
        self._inc("articles/redirected")
        same = canonicalize_url(target) == canonicalize_url(response.url)
        if same or canonicalize_url(target) == canonicalize_url(meta.get("plain_url") or ""):
            # the same page under another spelling (https, www, a dropped ?page=all): follow
            yield self._article_request(target, hops=hops + 1, **{
                k: v for k, v in meta.items()
                if k in (*ARTICLE_META, "single_view", "plain_url", "recheck")
            })  # fmt: skip
            return
        permanent = response.status in PERMANENT_REDIRECTS
        if permanent:
            # a ?p= shortlink, a moved article: remember this URL as a redirect, so later runs
            # skip it (resolving its frontier row), and treat the target as a link found now
            yield self._gone_item(response) | {"kind": "redirect"}
        article = self.template.same_site(target, self.home) and (
            self.template.is_article_url(target)
            or self.template.is_article_url(desktop_url(target, self.home))
        )
        if not article:
            if not permanent:  # a maintenance page, a login wall: owed, tried again later
                self._inc("articles/temporary_redirect")
                yield self._frontier_item(
                    failed=[(key, f"temporary redirect ({response.status}) to {target}")]
                )
            return
        date = parse_timestamp(meta.get("listed_date"))
        found = self._consider(Entry(target, date), meta.get("discovered_via") or "redirect")
        # a temporary redirect to an article: the target carries the debt from here on
        item = None if permanent else self._frontier_item(
            resolve=[(key, f"temporary redirect ({response.status}) to {target}")]
        )  # fmt: skip
        yield from self._with_frontier(item, found)

    def _url_rule(self, url: str) -> str:
        """In words, which part of the URL the template's non-article rule matched."""
        parts = urlsplit(url)
        segments = [seg for seg in parts.path.lower().split("/") if seg]
        if not segments:
            return "the site's home page path"
        hit = next((seg for seg in segments if seg in NONARTICLE_SEGMENTS), None)
        if hit:
            return f"segment /{hit}/"
        if is_gallery_index(segments):
            return "a photo/video section index (no story named after its segment)"
        keys = [k for k in ("s", "q", "tag", "cat") if f"{k}=" in parts.query]
        if keys:
            return f"query parameter {keys[0]}="
        return f"path {parts.path}"

    def _is_article_page(self, html: str, tree: Any, url: str) -> PageVerdict:
        """The page's kind and, for a non-article, why: the template's URL rule, its page
        signal, or the page classifier (pipeline.pagekind.classify_page)."""
        verdict: PageVerdict | None = None
        if tree is not None:
            try:
                verdict = classify_page(tree, url, self.source.template)
            except Exception:  # the classifier must never stop a crawl
                logger.exception("classify_page failed on %s", url)
        if self.template.is_nonarticle_url(url) and not self.source.article_url_pattern:
            what = self._url_rule(url)
            kind = verdict.kind if verdict and verdict.kind in NONARTICLE_KINDS else "listing"
            return PageVerdict(
                kind,
                f"the {self.template.name} template knows this URL as a listing ({what})",
                {**(verdict.signals if verdict else {}), "url_rule": f"template: {what}"},
            )
        signal = self.template.page_signal(html)
        if signal:
            return PageVerdict(
                signal,
                f"the {self.template.name} template's page signal marks this page as {signal}",
                {
                    **(verdict.signals if verdict else {}),
                    "template_rule": f"{self.template.name}: {signal}",
                },
            )
        if verdict is None:  # nothing to classify: the extractor will say it has no body
            return PageVerdict("article", "not classified")
        return verdict

    def parse_article(self, response: Response) -> Iterator[Any]:
        if response.status == 304:  # a re-check of a recent article: not changed
            self._inc("pages/article")
            self._inc("unchanged/article")
            return
        if 300 <= response.status < 400:
            yield from self._follow_redirect(response)
            return
        self._inc("pages/article")
        html, _enc = decode_html(response.body, header_value(response, "Content-Type"))
        stored = response.meta.get("stored_hash")
        if stored and body_hash(html.encode("utf-8")) == stored:
            self._inc("unchanged/article")  # a re-check answered 200 with the same page
            return
        tree = parse_html(html)  # one parse for the classifier and the pager
        verdict = self._is_article_page(html, tree, response.url)
        if verdict.kind in NONARTICLE_KINDS:
            del tree
            # never silent: the page row keeps the kind, the reason and the signals
            self._inc("articles/not_article")
            self._inc(f"rejected/{verdict.kind}")
            logger.info("rejected %s: %s", response.url, verdict.rejection().describe())
            yield self._page_item(response, verdict.kind) | {
                "reason": verdict.reason,
                "signals": {"stage": "classifier", **verdict.signals},
            }
            return
        item = {
            "type": "article",
            "source": self.source_name,
            "template": self.template.name,
            "url": response.url,
            "requested_url": response.meta.get("discovered_url") or response.request.url,
            "html": html,
            "status": response.status,
            "fetched_at": utc_z(),
            "etag": header_value(response, "ETag"),
            "last_modified": header_value(response, "Last-Modified"),
            "extra_pages": [],
            "extra_page_urls": [],
            "listed_date": response.meta.get("listed_date"),
            "frontier_url": response.meta.get("frontier_url"),
        }
        pages = (
            []
            if response.meta.get("single_view") or tree is None
            else self.template.article_page_urls(tree, response.url)
        )
        # The tree (lxml holds several times the page in C memory) must not live on in this
        # suspended generator while the item waits for extraction: dozens wait at once.
        del tree
        pages = pages[: MAX_ARTICLE_PAGES - 1]
        if not pages:
            self._inc("articles/yielded")
            yield item
            return
        self._inc("articles/multipage")
        yield self._next_article_page(item, pages)

    def _next_article_page(self, item: dict, pages: list[str]) -> Request:
        self._scheduled += 1
        return Request(
            pages[0],
            callback=self.parse_article_page,
            errback=self.on_error,
            priority=10,
            dont_filter=True,
            meta={"pantau_kind": "article", "article_item": item, "remaining": pages[1:]},
        )

    def parse_article_page(self, response: Response) -> Iterator[Any]:
        self._inc("pages/article")
        item = response.meta["article_item"]
        html, _enc = decode_html(response.body, header_value(response, "Content-Type"))
        item["extra_pages"].append(html)
        item["extra_page_urls"].append(response.url)
        remaining = response.meta["remaining"]
        if remaining and self._budget_left():
            yield self._next_article_page(item, remaining)
        else:
            self._inc("articles/yielded")
            yield item
