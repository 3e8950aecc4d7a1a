"""The one text form of a moment that Pantau writes: UTC, whole seconds, a trailing "Z".

The archive's columns (`first_seen_at`, `next_attempt_at`, leases ...) are compared as text in
SQL, and the alert JSON carries `"timestamp": "2026-11-22T03:00:00Z"` (the contract), so every
writer must produce exactly the same shape; one function keeps them from drifting apart.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_z(moment: datetime | None = None) -> str:
    """`moment` (default: now) as "YYYY-MM-DDTHH:MM:SSZ" in UTC, fractions of a second dropped.

    A naive `moment` is taken as local time, as `datetime.astimezone` does.
    """
    moment = datetime.now(UTC) if moment is None else moment.astimezone(UTC)
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")
