"""Decide what is due in one `deliver_due` call, grouped into messages ("units").

Instant alerts are due when their next_attempt_at has come; a digest when digest_every has
passed since the last one, or, with digest_at, at that local time of day (see digest_due_at). Webhooks get one message per alert (each has its own stable id);
Slack and email fold many new stories of one run into a list message rather than flood a
channel.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from pantau.pipeline.alerts import slack
from pantau.pipeline.alerts.outbox import Unit, parse_ts
from pantau.pipeline.alerts.payload import AlertItem, load_item
from pantau.pipeline.alerts.policy import RetryPolicy
from pantau.pipeline.archive import outbox
from pantau.pipeline.config import PantauConfig, Subscription

log = logging.getLogger("pantau.alerts")


@dataclass
class Plan:
    jobs: list[list[Unit]] = field(default_factory=list)
    skipped: int = 0  # pending alerts not due in this call
    errors: list[str] = field(default_factory=list)


def digest_due_at(sub: Subscription, last: datetime | None, oldest: datetime) -> datetime:
    """When a digest is due, given the last digest (None before the first) and the time the
    oldest alert it owes was queued.

    Without digest_at: `last` + digest_every (before the first digest: `oldest` + digest_every).
    With digest_at: the first digest_at time, in the subscription's timezone, after both
    `last` + (digest_every - 1 day) and `oldest`; digest_every is whole days then, so 1d means
    every day at that time and 1w once a week. Counting from the last digest rather than from
    a run keeps a cron run a few minutes late from skipping a day, and counting from `oldest`
    keeps a story that arrives after a quiet spell for the next digest_at, not the next run.
    """
    if sub.digest_at is None:
        return (last or oldest) + timedelta(seconds=sub.digest_seconds)
    after = oldest
    if last is not None:
        after = max(after, last + timedelta(seconds=sub.digest_seconds - 86400))
    zone = ZoneInfo(sub.timezone)
    local = after.astimezone(zone)
    hour, minute = (int(p) for p in sub.digest_at.split(":"))
    day = local.date()
    while True:
        slot = datetime.combine(day, time(hour, minute), tzinfo=zone)
        if slot > local:
            return slot
        day += timedelta(days=1)


def _digest_due(
    conn: sqlite3.Connection, sub: Subscription, items: list[AlertItem], now: datetime
) -> bool:
    """Due at digest_due_at() (from the last digest and the oldest pending alert), and no
    failed attempt is still backing off."""
    last = parse_ts(outbox.last_digest_at(conn, sub.name))
    created = [c for c in (parse_ts(it.created_at) for it in items) if c is not None]
    if now < digest_due_at(sub, last, min(created) if created else now):
        return False
    for it in items:
        if it.attempts > 0 or it.delivery_id:
            nxt = parse_ts(it.next_attempt_at)
            if nxt is not None and nxt > now:
                return False
    return True


def make_plan(
    conn: sqlite3.Connection,
    config: PantauConfig,
    policy: RetryPolicy,
    now: datetime,
    only: list[str] | None,
) -> Plan:
    """Units to send, one list per subscription (sent in order, subscriptions in parallel)."""
    plan = Plan()
    subs = {s.name: s for s in config.subscriptions}
    if only is not None:
        for name in only:
            if name not in subs:
                plan.errors.append(f"unknown subscription {name!r}")
    rows = outbox.pending_alerts(conn)
    by_sub: dict[str, list[sqlite3.Row]] = {}
    for r in rows:
        by_sub.setdefault(r["subscription"], []).append(r)
    for name, sub_rows in by_sub.items():
        if only is not None and name not in only:
            continue
        sub = subs.get(name)
        if sub is None or not sub.enabled:
            plan.skipped += len(sub_rows)
            if sub is None:
                log.warning("%d pending alert(s) for unknown subscription %r", len(sub_rows), name)
            continue
        if sub.mode == "digest":
            items = [load_item(conn, r) for r in sub_rows]
            pinned = [it for it in items if it.delivery_id]
            if not _digest_due(conn, sub, items, now):
                plan.skipped += len(items)
                continue
            if pinned:
                first_id = pinned[0].delivery_id
                members = [it for it in pinned if it.delivery_id == first_id]
                plan.skipped += len(items) - len(members)
                plan.jobs.append([Unit(sub=sub, kind="digest", items=members, pinned=True)])
            elif sub.channel == "slack":  # Block Kit caps a message: split long digests
                size = slack.ARTICLES_PER_MESSAGE
                plan.jobs.append(
                    [
                        Unit(sub=sub, kind="digest", items=items[i : i + size])
                        for i in range(0, len(items), size)
                    ]
                )
            else:
                plan.jobs.append([Unit(sub=sub, kind="digest", items=items)])
            continue
        due_rows = [r for r in sub_rows if (parse_ts(r["next_attempt_at"]) or now) <= now]
        plan.skipped += len(sub_rows) - len(due_rows)
        if not due_rows:
            continue
        due = [load_item(conn, r) for r in due_rows]
        if sub.channel == "webhook" or len(due) <= policy.batch_threshold:
            plan.jobs.append([Unit(sub=sub, kind="instant", items=[it]) for it in due])
        elif sub.channel == "slack":
            size = slack.ARTICLES_PER_MESSAGE
            plan.jobs.append(
                [
                    Unit(sub=sub, kind="list", items=due[i : i + size])
                    for i in range(0, len(due), size)
                ]
            )
        else:
            plan.jobs.append([Unit(sub=sub, kind="list", items=due)])
    return plan
