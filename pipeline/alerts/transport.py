"""One delivery attempt over HTTP or SMTP, classified as ok, transient or permanent.

Classification is the whole retry contract: 2xx ok; 408, 429 and 5xx (and network errors)
transient, with Retry-After kept; any other 4xx, a redirect, or a refused URL permanent.
SMTP: 4xx transient, 5xx permanent.
"""

from __future__ import annotations

import smtplib
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from pantau.pipeline.alerts.netguard import UnsafeURL, check_url, describe
from pantau.pipeline.config import Subscription
from pantau.pipeline.httputil import retry_after_seconds

USER_AGENT = "Pantau-Alerts/0.1"
MAX_ERROR_BODY = 4096


@dataclass
class Outcome:
    ok: bool
    permanent: bool = False
    retry_after: float | None = None  # seconds, from the receiver's Retry-After
    retry_at: datetime | None = None  # when Retry-After was an HTTP date: that moment
    error: str = ""
    deferred: bool = False  # not sent at all (Slack pacing): owed, no attempt counted


class SlackPacer:
    """At most one message per `interval` per Slack URL, across threads and calls."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next: dict[str, float] = {}

    def wait_turn(self, url: str, interval: float, max_wait: float = float("inf")) -> float:
        """Sleep until this URL's turn and return 0; if that is more than `max_wait` away,
        take no turn and return the seconds left (the caller leaves the message owed)."""
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next.get(url, 0.0))
            if slot - now > max_wait:
                return slot - now
            self._next[url] = slot + interval
        if slot > now:
            time.sleep(slot - now)
        return 0.0

    def push_back(self, url: str, seconds: float) -> None:
        """After a 429, nobody else posts to that URL before Retry-After has passed."""
        with self._lock:
            self._next[url] = max(self._next.get(url, 0.0), time.monotonic() + seconds)


PACER = SlackPacer()


def http_outcome(code: int, retry_after_header: str | None, body: bytes = b"") -> Outcome:
    """Classify one HTTP answer (status, Retry-After, start of the body)."""
    if 200 <= code < 300:
        return Outcome(ok=True)
    snippet = " ".join(body[:200].decode("utf-8", "replace").split())
    error = f"HTTP {code}" + (f": {snippet}" if snippet else "")
    retry_after = retry_after_seconds(retry_after_header)  # capped: no date overflow downstream
    retry_at = None
    if retry_after is not None and retry_after_header and not retry_after_header.strip().isdigit():
        retry_at = datetime.now(UTC) + timedelta(seconds=retry_after)
    if code in (408, 429) or code >= 500:
        return Outcome(ok=False, retry_after=retry_after, retry_at=retry_at, error=error)
    if 300 <= code < 400:
        return Outcome(ok=False, permanent=True, error=f"{error} (redirects are not followed)")
    return Outcome(ok=False, permanent=True, error=error)


def post(client: httpx.Client, sub: Subscription, body: bytes, headers: dict[str, str]) -> Outcome:
    url = sub.url or ""
    try:
        check_url(url, allow_private=sub.allow_private_network)
    except UnsafeURL as exc:
        return Outcome(ok=False, permanent=True, error=str(exc))
    except LookupError as exc:
        return Outcome(ok=False, error=str(exc))
    try:
        with client.stream("POST", url, content=body, headers=headers) as response:
            head = _read_head(response)
    except httpx.TimeoutException as exc:
        return Outcome(ok=False, error=f"timeout talking to {describe(url)}: {type(exc).__name__}")
    except httpx.HTTPError as exc:
        return Outcome(ok=False, error=f"cannot reach {describe(url)}: {exc or type(exc).__name__}")
    return http_outcome(response.status_code, response.headers.get("retry-after"), head)


def _read_head(response: httpx.Response) -> bytes:
    """The first few KB of a response: enough for an error message, and a receiver answering
    with an endless body cannot exhaust memory."""
    if 200 <= response.status_code < 300:
        return b""
    head = b""
    for chunk in response.iter_bytes():
        head += chunk
        if len(head) >= MAX_ERROR_BODY:
            break
    return head[:MAX_ERROR_BODY]


def smtp_outcome(exc: Exception) -> Outcome:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [c for c, _ in exc.recipients.values()]
        detail = "; ".join(f"{r}: {c} {m!r}" for r, (c, m) in exc.recipients.items())
        permanent = bool(codes) and all(500 <= c < 600 for c in codes)
        return Outcome(ok=False, permanent=permanent, error=f"SMTP recipients refused: {detail}")
    if isinstance(exc, smtplib.SMTPResponseException):
        msg = (
            exc.smtp_error.decode(errors="replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        permanent = 500 <= exc.smtp_code < 600
        return Outcome(ok=False, permanent=permanent, error=f"SMTP {exc.smtp_code} {msg}")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return Outcome(ok=False, permanent=True, error=f"SMTP: {exc}")
    return Outcome(ok=False, error=f"SMTP: {type(exc).__name__}: {exc}")
