"""The sender's side of the `alerts` table: reading, claiming and recording, in tiny transactions.

Each write is one `BEGIN IMMEDIATE` transaction of a few rows (busy_timeout absorbs a crawler
writing at the same time) and none is ever open while a message is on the wire. The decisions
are here; the statements are the archive's (pipeline/archive/outbox.py).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from pantau.pipeline.alerts import webhook
from pantau.pipeline.alerts.payload import AlertItem
from pantau.pipeline.archive import outbox as rows
from pantau.pipeline.archive.db import transaction
from pantau.pipeline.config import Subscription
from pantau.pipeline.timestamps import utc_z


def parse_ts(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace(" ", "T"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


UnitKind = Literal["instant", "list", "digest"]


@dataclass
class Unit:
    """One message to send: a single alert, a batch of instant alerts, or a digest."""

    sub: Subscription
    kind: UnitKind
    items: list[AlertItem]
    pinned: bool = False  # a digest retried with its original members and id

    @property
    def message_id(self) -> str:
        if self.kind == "instant":
            return self.items[0].webhook_id
        if self.pinned and self.items[0].delivery_id:
            return self.items[0].delivery_id
        return webhook.derived_message_id([it.webhook_id for it in self.items])


def list_alerts(db_path: str, status: str | None = None) -> list[dict]:
    """The outbox, oldest first, with each alert's article title and URL."""
    if not Path(db_path).exists():
        return []
    conn = rows.open_outbox(db_path)
    try:
        if not rows.has_table(conn, "alerts"):
            return []
        return rows.alerts_with_articles(conn, status)
    finally:
        conn.close()


def claim(
    conn: sqlite3.Connection,
    unit: Unit,
    now: datetime,
    lease_seconds: float,
    ignore_leases: bool = False,
) -> Unit | None:
    """Take the unit's rows for this sender; drop rows another sender took meanwhile.

    The lease (`lease_until`) hides the rows from a concurrent `deliver_due`; after a crash
    they become due again when it runs out, or at once for a sender that holds the archive's
    run lock (`ignore_leases`): no other sender can be alive then. A digest's members are
    pinned (delivery_id) so its retry carries the same set under the same webhook-id.
    """
    ids = [it.alert_id for it in unit.items]
    with transaction(conn):
        free = {
            r["id"]
            for r in rows.claim_states(conn, ids)
            if r["status"] == "pending"
            and (parse_ts(r["next_attempt_at"]) or now) <= now
            and (ignore_leases or (parse_ts(r["lease_until"]) or now) <= now)
        }
        items = [it for it in unit.items if it.alert_id in free]
        if not items:
            return None
        unit = Unit(sub=unit.sub, kind=unit.kind, items=items, pinned=unit.pinned)
        claimed = [it.alert_id for it in items]
        rows.lease(conn, claimed, utc_z(now + timedelta(seconds=lease_seconds)))
        if unit.kind == "digest" and not unit.pinned:
            msg_id = unit.message_id
            rows.pin_delivery(conn, claimed, msg_id)
            for it in items:
                it.delivery_id = msg_id
            unit.pinned = True
    return unit


def record_sent(conn: sqlite3.Connection, unit: Unit, now: datetime) -> None:
    """The receiver accepted: mark every row of the unit sent (and the digest period)."""
    ids = [it.alert_id for it in unit.items]
    with transaction(conn):
        rows.mark_sent(conn, ids, utc_z(now), unit.message_id)
        if unit.kind == "digest":
            rows.mark_digest_sent(conn, unit.sub.name, utc_z(now))


def record_failure(
    conn: sqlite3.Connection, unit: Unit, error: str, next_attempt_at: datetime | None
) -> None:
    """Count the round; `next_attempt_at` None means dead-letter."""
    ids = [it.alert_id for it in unit.items]
    with transaction(conn):
        if next_attempt_at is None:
            rows.mark_dead(conn, ids, error)
        else:
            rows.mark_failed_attempt(conn, ids, error, utc_z(next_attempt_at))


def defer(conn: sqlite3.Connection, unit: Unit, next_attempt_at: datetime) -> None:
    """Nothing was sent (the receiver asked for a long pause): release the claim, due again at
    `next_attempt_at`, with no attempt counted."""
    ids = [it.alert_id for it in unit.items]
    with transaction(conn):
        rows.release(conn, ids, utc_z(next_attempt_at))
