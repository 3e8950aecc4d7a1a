"""Scheduling article links: consider or skip each link found, the frontier of URLs owed by
earlier runs, the re-checks of recent articles, and what runs when the crawl goes idle.

One place decides whether an article is fetched (queued already, known and unchanged,
waiting for its backoff, given up, over budget), so every discovery path obeys the same
rules and leaves the same frontier rows (pipeline/archive/frontier.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request

from pantau.pipeline.canonical import canonicalize_url, desktop_url, strip_tracking
from pantau.spiders.discovery import Entry
from pantau.spiders.page_requests import iso_or_none
from pantau.spiders.scope import note_dropped
from pantau.spiders.templates import first_page_url, page_number

logger = logging.getLogger(__name__)

GONE_RETRY_DAYS = 7  # a dead article link is tried again after this many days
# Stored kinds of fetched article links that are tried again after GONE_RETRY_DAYS: a dead
# link, a page that gave no usable body, and a classifier rejection on weak evidence ("other").
# Every other non-article kind (listing, home, tag, search, static, redirect ...) is skipped
# for good.
RETRY_KINDS = frozenset({"gone", "not-article", "other"})
RECHECK_HOURS = 48.0  # articles this recent get a conditional GET on every run (corrections)
BUDGET_OWED_MAX = 1000  # links a run may leave owed for lack of budget (not older than window)


def _newest(a: datetime | None, b: datetime | None) -> datetime | None:
    """The later of two dates, either may be missing (naive ones are read as UTC)."""
    a = a.replace(tzinfo=UTC) if a is not None and a.tzinfo is None else a
    b = b.replace(tzinfo=UTC) if b is not None and b.tzinfo is None else b
    if a is None or b is None:
        return a or b
    return max(a, b)


class FrontierScheduling:
    """Article scheduling and the frontier, for the news spider (a mixin of NewsSpider; state
    set up in its _setup)."""

    def on_idle(self) -> None:
        """Once everything else is done: (1) a site that offered no feed and no sitemap
        entries (and has no configured listings) is crawled through its home page's own
        pagination and the section pages it links (/kategori/x, /indeks, /terkini), page by
        page under the usual stop rule; (2) then the article URLs earlier runs still owe that
        discovery did not name again (behind a 304 listing, off the feed by now) and a
        conditional GET of the articles of the last PANTAU_RECHECK_HOURS. Each runs once."""
        requests: list[Request] = []
        if not self._home_fallback_done:
            self._home_fallback_done = True
            if not (self._index_entries or self.source.listings or self._home_page is None):
                requests = list(self._home_listing_requests(*self._home_page))
                if requests:
                    logger.info(
                        "no feed or sitemap entries: following %d listing pages", len(requests)
                    )
        if not requests and not self._debts_done:
            self._debts_done = True
            requests = [*self._owed_requests(), *self._recheck_requests()]
        if not requests:
            return
        for request in requests:
            self.crawler.engine.crawl(request)
        raise DontCloseSpider

    def _owed_requests(self) -> Iterator[Request]:
        """Owed article URLs whose backoff has run out and that this run has not fetched."""
        now = self._now()
        for owed in self._owed.values():
            if owed.url in self._fetching or owed.url in self._skipped:
                continue  # fetched, or weighed (waiting for its backoff) this run
            if owed.next_attempt_at is not None and owed.next_attempt_at > now:
                continue
            if not self._budget_left():
                self._inc("budget/unscheduled")
                continue
            self._inc("frontier/retried")
            yield self._schedule(
                owed.discovered_url, owed.url, owed.discovered_via or "frontier", owed.listed_date
            )

    def _recheck_requests(self) -> Iterator[Request]:
        """A conditional GET (If-None-Match / If-Modified-Since from the stored validators) of
        each article published, or first seen undated, within PANTAU_RECHECK_HOURS: the
        corrections of the first hours come without a date any feed or sitemap would move."""
        if self.full or self.recheck <= timedelta(0):
            return
        for art in self.state.recent_articles(self.source_name, self._now() - self.recheck):
            keys = {canonicalize_url(art.url), art.key}
            if keys & self._fetching:
                continue
            if not self._budget_left():
                self._inc("budget/unscheduled")
                break
            self._fetching |= keys
            self._scheduled += 1
            self._inc("articles/rechecked")
            headers = {}
            if art.etag:
                headers["If-None-Match"] = art.etag
            if art.last_modified:
                headers["If-Modified-Since"] = art.last_modified
            yield self._article_request(
                art.url,
                priority=-1000,
                headers=headers,
                recheck=True,
                stored_hash=art.body_hash,
                discovered_url=art.url,
                discovered_via="recheck",
            )

    def _with_frontier(self, item: dict | None, outputs: Iterable[Any]) -> Iterator[Any]:
        """Run a page's discovery (`outputs`), then yield the page item carrying the article
        URLs it made owed, then its requests: the item pipeline writes the owed rows in the
        page's own transaction before any of those requests is sent, so a run killed between
        storing a listing and fetching its articles leaves them owed."""
        out = list(outputs)
        rows = {"owe": self._owe_rows, "dates": self._date_rows}
        self._owe_rows, self._date_rows = [], []
        if item is None and (rows["owe"] or rows["dates"]):
            item = {"type": "frontier", "source": self.source_name}
        if item is not None:
            yield item | {k: v for k, v in rows.items() if v}
        yield from out

    def _known(self, url: str) -> bool:
        """Known to the archive as an article, or as a page that turned out not to be one."""
        if self.full:
            return False
        return self.state.last_seen(url) is not False or self._seen_as_nonarticle(url)

    def _seen_as_nonarticle(self, url: str) -> bool:
        """An earlier run fetched this "article" link and found an index page or no article
        (skip it), or a 404/410 or a page that gave no article (skip it for GONE_RETRY_DAYS,
        then try again)."""
        candidates = {url, canonicalize_url(url), self.template.single_page_url(url) or url}
        for candidate in candidates:
            record = self.state.page_record(candidate)
            if record is None or record[0] in (None, "article", "article-page"):
                continue
            kind, fetched_at = record
            # an index page stays an index page; a 404 or a page that yielded no article
            # (an empty or broken 200 on a bad day) is tried again after a while
            if kind not in RETRY_KINDS:
                return True
            if fetched_at and self._now() - fetched_at < timedelta(days=GONE_RETRY_DAYS):
                return True
        return False

    def _consider(
        self, entry: Entry, via: str, changed_at: datetime | None = None
    ) -> Iterator[Request]:
        """Schedule an article unless it is already queued, known and unchanged, waiting for
        its backoff, or over budget. `changed_at` is the site's own modification date for it
        from this path (Atom <updated>, RSS atom:updated, sitemap <lastmod>; a publication
        date is no sign of an edit): a later path of the same run with a newer date than the
        one that made it "known" is weighed again."""
        if not entry.url.lower().startswith(("http://", "https://")):
            self._inc("skipped/not_http")  # a sitemap or feed naming file://, ftp://, data: ...
            return
        refusal = self.scope.refusal(entry.url)
        if refusal:  # another host, another port, a private address: never fetched
            note_dropped(self.crawler, entry.url, refusal, f"a {via} link")
            return
        url = strip_tracking(entry.url)
        if page_number(url) and self.template.is_article_url(first_page_url(url)):
            url = first_page_url(url)  # always start a multi-page article at its first page
        canon = canonicalize_url(url)
        if canon in self._fetching:
            newest = _newest(changed_at, self._dates.get(canon))
            if newest != self._dates.get(canon):  # keep the newest date for the next run
                self._dates[canon] = newest
                self._date_rows.append(self._frontier_row(canon, url, via, None, newest))
            return
        if canon in self._skipped:
            before = self._skipped[canon]
            if changed_at is None or (before is not None and changed_at <= before):
                return
        owed = self._owed.get(canon)
        if owed is not None:
            if owed.next_attempt_at is not None and owed.next_attempt_at > self._now():
                self._skip(canon, changed_at, "frontier/waiting")  # its backoff still runs
                return
        elif canon in self._given_up and self._still_given_up(canon, changed_at):
            self._skip(canon, changed_at, "frontier/given_up")
            return
        elif not self.full:
            if self.state.last_seen(url) is not False:
                skip, remember = self.state.unchanged_article(url, canon, changed_at)
                if remember:
                    self._date_rows.append(self._frontier_row(canon, url, via, None, changed_at))
            else:
                skip = self._seen_as_nonarticle(url)
            if skip:
                self._skip(canon, changed_at, "articles/known")
                return
        if not self._budget_left():
            self._skip(canon, changed_at, "budget/unscheduled")
            if (
                owed is None
                and self._budget_owed < BUDGET_OWED_MAX
                and not self._is_old(entry.date)
            ):
                self._budget_owed += 1  # owed: a later run fetches it
                self._owe_rows.append(self._frontier_row(canon, url, via, entry.date, changed_at))
            return
        if owed is None or changed_at is not None:
            self._owe_rows.append(self._frontier_row(canon, url, via, entry.date, changed_at))
        yield self._schedule(url, canon, via, entry.date, changed_at)

    def _still_given_up(self, canon: str, changed_at: datetime | None) -> bool:
        """A URL the frontier gave up on stays given up for GONE_RETRY_DAYS, unless the site
        gives it a newer date than the one it had (then it is owed afresh)."""
        when, site_date = self._given_up[canon]
        if changed_at is not None and (
            site_date is None or _newest(changed_at, site_date) != site_date
        ):
            return False
        return when is None or self._now() - when < timedelta(days=GONE_RETRY_DAYS)

    def _skip(self, canon: str, changed_at: datetime | None, stat: str) -> None:
        if canon not in self._skipped:
            self._inc(stat)
        self._skipped[canon] = _newest(changed_at, self._skipped.get(canon))

    def _frontier_row(
        self,
        canon: str,
        url: str,
        via: str,
        listed: datetime | None,
        site_date: datetime | None,
    ) -> dict:
        return {
            "url": canon,
            "source": self.source_name,
            "discovered_url": url,
            "discovered_via": via,
            "listed_date": iso_or_none(listed),
            "site_date": iso_or_none(site_date),
        }

    def _schedule(
        self,
        url: str,
        canon: str,
        via: str,
        listed: datetime | None,
        changed_at: datetime | None = None,
    ) -> Request:
        """The request of an article link that is to be fetched now (budget counted)."""
        self._queued.add(canon)
        self._fetching.add(canon)
        self._dates[canon] = changed_at
        self._scheduled += 1
        self._inc("articles/queued")
        # an AMP or mobile-host link: fetch the desktop page (the guess falls back on a 404)
        plain = desktop_url(url, self.home)
        single = self.template.single_page_url(plain)
        age_days = (self._now() - listed).days if listed else self.window.days
        return self._article_request(
            single or plain,
            priority=max(-1000, min(0, -age_days)),
            discovered_url=url,
            discovered_via=via,
            listed_date=iso_or_none(listed),
            single_view=bool(single),
            plain_url=plain,
            frontier_url=canon,
        )

    def _frontier_item(self, **rows: list) -> dict:
        """What became of owed article URLs (resolve / failed / gave_up), for the pipeline."""
        return {"type": "frontier", "source": self.source_name, **rows}
