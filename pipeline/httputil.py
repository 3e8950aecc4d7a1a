"""HTTP details shared by the crawler and the alert sender."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# A week. Callers cap lower for their own purposes; this bound only keeps every value a number
# that datetime/timedelta arithmetic and sleep() accept ("99999999999999" overflows timedelta).
RETRY_AFTER_CEILING = 7 * 86400.0


def retry_after_seconds(
    value: bytes | str | None, now: datetime | None = None, cap: float = RETRY_AFTER_CEILING
) -> float | None:
    """Seconds a Retry-After header asks for: delta-seconds or an HTTP date (None if unreadable).

    The result is at most `cap`: a server's absurd value must not overflow date arithmetic.
    """
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return min(float(text), cap)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(cap, max(0.0, (when - (now or datetime.now(UTC))).total_seconds()))
