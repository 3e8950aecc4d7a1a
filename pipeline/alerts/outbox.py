"""The sender's side of the `alerts` table: reading, claiming and recording, in tiny transactions.

Each write is one `BEGIN IMMEDIATE` transaction of a few rows (busy_timeout absorbs a crawler
writing at the same time) and none is ever open while a message is on the wire.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from pipeline.alerts import webhook
from pipeline.alerts.payload import AlertItem
from pipeline.config import Subscription
from pipeline.timestamps import utc_z


def parse_ts(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace(" ", "T"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def connect(db_path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(db_path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


class Tx:
    """A short `BEGIN IMMEDIATE` write transaction: commit on success, roll back on error."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")


def has_table(conn: sqlite3.Connection, name: str) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)
        ).fetchone()
        is not None
    )


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
    conn = connect(db_path)
    try:
        if not has_table(conn, "alerts"):
            return []
        sql = (
            "SELECT al.*, a.title AS title, a.url AS url FROM alerts al "
            "LEFT JOIN articles a ON a.id = al.article_id"
        )
        args: list[str] = []
        if status:
            sql += " WHERE al.status = ?"
            args.append(status)
        sql += " ORDER BY al.id"
        return [dict(r) for r in conn.execute(sql, args)]
    finally:
        conn.close()


def _marks(ids: list[int]) -> str:
    return ",".join("?" * len(ids))


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
    with Tx(conn):
        rows = conn.execute(
            f"SELECT id, status, next_attempt_at, lease_until FROM alerts "
            f"WHERE id IN ({_marks(ids)})",
            ids,
        ).fetchall()
        free = {
            r["id"]
            for r in rows
            if r["status"] == "pending"
            and (parse_ts(r["next_attempt_at"]) or now) <= now
            and (ignore_leases or (parse_ts(r["lease_until"]) or now) <= now)
        }
        items = [it for it in unit.items if it.alert_id in free]
        if not items:
            return None
        unit = Unit(sub=unit.sub, kind=unit.kind, items=items, pinned=unit.pinned)
        claimed = [it.alert_id for it in items]
        lease = utc_z(now + timedelta(seconds=lease_seconds))
        conn.execute(
            f"UPDATE alerts SET lease_until = ? WHERE id IN ({_marks(claimed)})",
            [lease, *claimed],
        )
        if unit.kind == "digest" and not unit.pinned:
            msg_id = unit.message_id
            conn.execute(
                f"UPDATE alerts SET delivery_id = ? WHERE id IN ({_marks(claimed)})",
                [msg_id, *claimed],
            )
            for it in items:
                it.delivery_id = msg_id
            unit.pinned = True
    return unit


def record_sent(conn: sqlite3.Connection, unit: Unit, now: datetime) -> None:
    """The receiver accepted: mark every row of the unit sent (and the digest period)."""
    ids = [it.alert_id for it in unit.items]
    with Tx(conn):
        conn.execute(
            "UPDATE alerts SET status = 'sent', sent_at = ?, attempts = attempts + 1, "
            "last_error = NULL, lease_until = NULL, delivery_id = ? "
            f"WHERE id IN ({_marks(ids)}) AND status = 'pending'",
            [utc_z(now), unit.message_id, *ids],
        )
        if unit.kind == "digest":
            conn.execute(
                "INSERT INTO digest_state(subscription, last_sent_at) VALUES (?, ?) "
                "ON CONFLICT(subscription) DO UPDATE SET last_sent_at = excluded.last_sent_at",
                (unit.sub.name, utc_z(now)),
            )


def record_failure(
    conn: sqlite3.Connection, unit: Unit, error: str, next_attempt_at: datetime | None
) -> None:
    """Count the round; `next_attempt_at` None means dead-letter."""
    ids = [it.alert_id for it in unit.items]
    with Tx(conn):
        if next_attempt_at is None:
            conn.execute(
                "UPDATE alerts SET status = 'dead', attempts = attempts + 1, last_error = ?, "
                f"next_attempt_at = NULL, lease_until = NULL WHERE id IN ({_marks(ids)}) AND status = 'pending'",
                [error, *ids],
            )
        else:
            conn.execute(
                "UPDATE alerts SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, "
                "lease_until = NULL "
                f"WHERE id IN ({_marks(ids)}) AND status = 'pending'",
                [error, utc_z(next_attempt_at), *ids],
            )


def defer(conn: sqlite3.Connection, unit: Unit, next_attempt_at: datetime) -> None:
    """Nothing was sent (the receiver asked for a long pause): release the claim, due again at
    `next_attempt_at`, with no attempt counted."""
    ids = [it.alert_id for it in unit.items]
    with Tx(conn):
        conn.execute(
            "UPDATE alerts SET next_attempt_at = ?, lease_until = NULL "
            f"WHERE id IN ({_marks(ids)}) AND status = 'pending'",
            [utc_z(next_attempt_at), *ids],
        )
