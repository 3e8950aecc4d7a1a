"""When to try an alert again: backoff, Retry-After, and the timing knobs tests can turn.

Every knob has an environment variable, so `pantau` subprocesses in tests (and operators) can
make retries due at once (PANTAU_RETRY_BASE_SECONDS=0) without code changes.
"""

from __future__ import annotations

import logging
import os
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

log = logging.getLogger("pantau.alerts")

MAX_RETRY_AFTER = 86400.0  # seconds; longer Retry-After values are capped


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError:
        log.warning("ignoring %s=%r: not a number", name, raw)
        return default


@dataclass
class RetryPolicy:
    """Timing knobs; the ones tests and operators need most can be set by environment."""

    base_seconds: float = 30.0  # backoff after round n: base * 2**(n-1), jittered
    cap_seconds: float = 3600.0
    jitter: float = 0.25  # +-25 %
    quick_tries: int = 3  # tries inside one round
    quick_wait: float = 0.5  # first wait between quick tries, doubling
    quick_budget: float = 5.0  # total seconds of quick waits per round
    slack_interval: float = 1.0  # Slack allows about one message a second per webhook URL
    # Longest in-run wait for a Slack URL's turn (after a 429's Retry-After); a longer pause
    # leaves the alert owed for a later run instead of holding the run lock meanwhile.
    slack_max_wait: float = 60.0
    batch_threshold: int = 5  # more pending instant alerts than this -> one list message
    lease_seconds: float = 300.0  # how long a claimed row is invisible to other senders
    connect_timeout: float = 5.0
    read_timeout: float = 15.0

    @classmethod
    def from_env(cls) -> RetryPolicy:
        d = cls()
        return cls(
            base_seconds=_env_float("PANTAU_RETRY_BASE_SECONDS", d.base_seconds),
            cap_seconds=_env_float("PANTAU_RETRY_CAP_SECONDS", d.cap_seconds),
            quick_wait=_env_float("PANTAU_QUICK_RETRY_WAIT", d.quick_wait),
            quick_budget=_env_float("PANTAU_QUICK_RETRY_BUDGET", d.quick_budget),
            slack_interval=_env_float("PANTAU_SLACK_INTERVAL", d.slack_interval),
            slack_max_wait=_env_float("PANTAU_SLACK_MAX_WAIT", d.slack_max_wait),
            read_timeout=_env_float("PANTAU_ALERT_TIMEOUT", d.read_timeout),
        )

    def next_attempt(
        self,
        rounds: int,
        now: datetime,
        retry_after: float | None = None,
        retry_at: datetime | None = None,
    ) -> datetime:
        """When to try again after `rounds` failed rounds: backoff or Retry-After, the later."""
        when = now + timedelta(seconds=self.backoff(rounds))
        if retry_at is not None:  # an HTTP date is a moment, whatever our clock says
            when = max(when, retry_at)
        elif retry_after is not None:  # delta-seconds count from this attempt
            # Capped before timedelta: a huge value would raise OverflowError and wedge the row.
            when = max(when, now + timedelta(seconds=min(retry_after, MAX_RETRY_AFTER)))
        # A receiver asking for days of silence gets a retry after a day all the same.
        return min(when, now + timedelta(seconds=MAX_RETRY_AFTER))

    def backoff(self, rounds: int, rng: random.Random | None = None) -> float:
        base = min(self.cap_seconds, self.base_seconds * 2 ** max(0, rounds - 1))
        r = (rng or random).uniform(1 - self.jitter, 1 + self.jitter)
        return max(0.0, min(self.cap_seconds, base * r))
