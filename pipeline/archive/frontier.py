"""The frontier: article URLs the crawl owes the archive, written before they are fetched.

Why: a link found once may not be found again (its listing answers 304, the feed moves on, the
run is killed, the request budget runs out). Every article URL discovery decides to fetch is
recorded here as `owed` *before* its request is sent (in the same transaction as the page that
named it); a stored or answered article resolves it (`done`), a failed fetch counts an attempt
and sets the next one after a backoff (1 h, 2 h, 4 h ... capped), and after `max_attempts` the
URL is `gave-up` with the reason in words (`pantau status`, Datasette's `frontier` table).

The same rows keep the site's own modification date for each URL (`site_date`), which the
spider compares with the dates discovery gives later (spiders/incremental.py), so edits are
found by the site's clock, not ours.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from pantau.pipeline.timestamps import utc_z

BACKOFF_S = 3600.0  # first retry after an hour (PANTAU_FRONTIER_BACKOFF)
BACKOFF_MAX_S = 24 * 3600.0  # never wait more than a day (PANTAU_FRONTIER_BACKOFF_MAX)
MAX_ATTEMPTS = 6  # failed fetches before an owed URL is given up (PANTAU_FRONTIER_MAX_ATTEMPTS)


@dataclass(frozen=True)
class Policy:
    """How long an owed URL waits after its n-th failure, and when it is given up."""

    backoff_s: float = BACKOFF_S
    backoff_max_s: float = BACKOFF_MAX_S
    max_attempts: int = MAX_ATTEMPTS

    def wait(self, attempts: int) -> timedelta:
        """The wait after `attempts` failures: backoff, doubled each time, capped."""
        seconds = self.backoff_s * (2 ** max(0, min(attempts - 1, 30)))
        return timedelta(seconds=min(seconds, self.backoff_max_s))


@contextmanager
def _writing(conn: sqlite3.Connection) -> Iterator[None]:
    """Inside the caller's transaction, part of it; outside one, committed at once (the
    sqlite3 module would otherwise leave an implicit transaction open, holding the lock)."""
    outer = conn.in_transaction
    try:
        yield
    except BaseException:
        if not outer and conn.in_transaction:
            conn.rollback()
        raise
    if not outer and conn.in_transaction:
        conn.commit()


def owe(conn: sqlite3.Connection, rows: Iterable[dict], now: str | None = None) -> int:
    """Record article URLs as owed (one executemany; the caller's transaction, if any).

    A row has `url` (canonical), `source`, and optionally `discovered_url`, `discovered_via`,
    `listed_date` and `site_date` (ISO text). A URL already owed keeps its attempts and
    backoff; a resolved one becomes owed again with a fresh count (an update to fetch). The
    newest site date wins.
    """
    now = now or utc_z()
    params = [
        (
            r["url"],
            r.get("source"),
            r.get("discovered_url"),
            r.get("discovered_via"),
            r.get("listed_date"),
            r.get("site_date"),
            now,
            now,
        )
        for r in rows
    ]
    if not params:
        return 0
    with _writing(conn):
        conn.executemany(
            "INSERT INTO frontier(url, source, discovered_url, discovered_via, listed_date, "
            "site_date, status, attempts, first_seen_at, next_attempt_at) "
            "VALUES (?,?,?,?,?,?,'owed',0,?,?) ON CONFLICT(url) DO UPDATE SET "
            "attempts = CASE WHEN frontier.status = 'owed' THEN frontier.attempts ELSE 0 END, "
            "next_attempt_at = CASE WHEN frontier.status = 'owed' THEN frontier.next_attempt_at "
            "ELSE excluded.next_attempt_at END, "
            "status = 'owed', reason = NULL, resolved_at = NULL, "
            "discovered_url = COALESCE(excluded.discovered_url, frontier.discovered_url), "
            "discovered_via = COALESCE(excluded.discovered_via, frontier.discovered_via), "
            "listed_date = COALESCE(excluded.listed_date, frontier.listed_date), "
            "site_date = " + _NEWEST_SITE_DATE,
            params,
        )
    return len(params)


# ISO texts of one zone compare as text; across zones they do not, so the newest is picked by
# SQLite's julianday() (it reads "+07:00" offsets), keeping the text of the winner.
_NEWEST_SITE_DATE = (
    "CASE WHEN frontier.site_date IS NULL THEN excluded.site_date "
    "WHEN excluded.site_date IS NULL THEN frontier.site_date "
    "WHEN julianday(excluded.site_date) > julianday(frontier.site_date) "
    "THEN excluded.site_date ELSE frontier.site_date END"
)


def remember_dates(conn: sqlite3.Connection, rows: Iterable[dict], now: str | None = None) -> int:
    """Keep the site's date of URLs that were not fetched (already archived, not changed):
    a resolved row is created if the URL has none, else only a newer date is kept."""
    now = now or utc_z()
    params = [
        (r["url"], r.get("source"), r.get("discovered_url"), r.get("discovered_via"),
         r.get("site_date"), now, now)
        for r in rows
    ]  # fmt: skip
    if not params:
        return 0
    with _writing(conn):
        conn.executemany(
            "INSERT INTO frontier(url, source, discovered_url, discovered_via, site_date, status, "
            "attempts, first_seen_at, resolved_at, reason) VALUES (?,?,?,?,?,'done',0,?,?,"
            "'already archived') ON CONFLICT(url) DO UPDATE SET site_date = " + _NEWEST_SITE_DATE,
            params,
        )
    return len(params)


def resolve(conn: sqlite3.Connection, url: str | None, reason: str, now: str | None = None) -> bool:
    """The URL was answered for good (stored, rejected, gone, moved): not owed any more."""
    if not url:
        return False
    with _writing(conn):
        cur = conn.execute(
            "UPDATE frontier SET status = 'done', reason = ?, resolved_at = ?, last_error = NULL, "
            "next_attempt_at = NULL WHERE url = ? AND status != 'done'",
            (reason, now or utc_z(), url),
        )
    return cur.rowcount > 0


def failed(
    conn: sqlite3.Connection,
    url: str | None,
    error: str,
    policy: Policy = Policy(),
    now: datetime | None = None,
) -> str | None:
    """One failed fetch of an owed URL: count it and set the next attempt after the backoff,
    or give it up after `policy.max_attempts`. Returns the row's new status (None: unknown)."""
    if not url:
        return None
    row = conn.execute("SELECT attempts, status FROM frontier WHERE url = ?", (url,)).fetchone()
    if row is None or row[1] == "done":
        return None
    moment = now or datetime.now().astimezone()
    attempts = int(row[0] or 0) + 1
    if attempts >= policy.max_attempts:
        status = "gave-up"
        reason = f"gave up after {attempts} failed attempts; last: {error}"
        next_at = None
    else:
        status, reason = "owed", None
        next_at = utc_z(moment + policy.wait(attempts))
    with _writing(conn):
        conn.execute(
            "UPDATE frontier SET attempts = ?, status = ?, last_attempt_at = ?, "
            "next_attempt_at = ?, "
            "last_error = ?, reason = ?, resolved_at = ? WHERE url = ?",
            (
                attempts,
                status,
                utc_z(moment),
                next_at,
                error,
                reason,
                utc_z(moment) if status == "gave-up" else None,
                url,
            ),
        )
    return status


def give_up(conn: sqlite3.Connection, url: str | None, reason: str, now: str | None = None) -> None:
    """Give an owed URL up at once (robots.txt forbids it): no attempt would ever succeed."""
    if url:
        with _writing(conn):
            conn.execute(
                "UPDATE frontier SET status = 'gave-up', reason = ?, resolved_at = ?, "
                "next_attempt_at = NULL WHERE url = ? AND status = 'owed'",
                (reason, now or utc_z(), url),
            )


def summary(conn: sqlite3.Connection, source: str | None = None) -> dict[str, int]:
    """Rows per status (owed, done, gave-up), for one source or all."""
    sql = "SELECT status, count(*) FROM frontier"
    args: tuple = ()
    if source:
        sql += " WHERE source = ?"
        args = (source,)
    try:
        return {s: n for s, n in conn.execute(sql + " GROUP BY status", args).fetchall()}
    except sqlite3.OperationalError:  # an archive from before the frontier
        return {}
