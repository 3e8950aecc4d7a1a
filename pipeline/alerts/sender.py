"""Deliver due alerts from the transactional outbox (the `alerts` table).

The crawl inserts alert rows in the same transaction as the match; this module only reads them
and moves them from `pending` to `sent` or `dead`. What keeps "exactly one alert":

- a row is claimed (a lease in `lease_until`) in a tiny write transaction before sending,
  so two senders running at once never pick the same row;
- no write transaction is open during network I/O;
- right after the receiver answers, one small `BEGIN IMMEDIATE` transaction records the result,
  so the duplicate window after a crash is the moment between that answer and that commit.

`attempts` counts delivery rounds: one per `deliver_due` call that tried the alert. Inside one
round a transient failure is retried a few times within a few seconds (so `pantau run` can
deliver before it exits); after that the alert waits for an exponential, jittered backoff or
the receiver's `Retry-After`, and goes to dead-letter after `max_attempts` rounds.
"""

from __future__ import annotations

import json
import logging
import smtplib
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from pantau.pipeline.alerts import mail, outbox, slack, transport, webhook
from pantau.pipeline.alerts.netguard import describe
from pantau.pipeline.alerts.outbox import Unit
from pantau.pipeline.alerts.payload import AlertItem
from pantau.pipeline.alerts.plan import make_plan
from pantau.pipeline.alerts.policy import RetryPolicy
from pantau.pipeline.alerts.transport import USER_AGENT, Outcome
from pantau.pipeline.archive.outbox import has_table, open_outbox
from pantau.pipeline.config import PantauConfig, Subscription

__all__ = [
    "DeliveryError",
    "DeliveryReport",
    "deliver_due",
    "OneOff",
    "send_one_off",
    "send_operator",
    "send_test",
]

log = logging.getLogger("pantau.alerts")


@dataclass
class DeliveryReport:
    """What one `deliver_due` call did; counts are alerts (rows), not messages."""

    sent: int = 0
    failed: int = 0  # tried, failed, still owed (pending with a later next_attempt_at)
    dead: int = 0  # moved to dead-letter in this call
    skipped: int = 0  # pending but not tried: backoff, digest period, receiver down, disabled
    errors: list[str] = field(default_factory=list)


class DeliveryError(Exception):
    """A test message could not be delivered."""


def _topics_of(sub: Subscription, items: list[AlertItem]) -> list[str]:
    topics: list[str] = []
    for it in items:
        for t in it.topics:
            if t not in topics:
                topics.append(t)
    return topics or list(sub.topics)


class _Deliverer:
    """Sends the units of one subscription, in order, recording each result at once."""

    def __init__(
        self,
        db_path: str,
        config: PantauConfig,
        policy: RetryPolicy,
        clock: Callable[[], datetime],
        report: DeliveryReport,
    ):
        self.db_path, self.config, self.policy, self.clock = db_path, config, policy, clock
        self.report = report
        self.lock = threading.Lock()
        self.holds_lock = False  # set by deliver_due: may take over leases of dead senders

    # -- sending

    def _send_once(self, client: httpx.Client, unit: Unit) -> Outcome:
        sub = unit.sub
        topics = _topics_of(sub, unit.items)
        try:
            if sub.channel == "webhook":
                return self._send_webhook(client, unit, topics)
            if sub.channel == "slack":
                return self._send_slack(client, unit, topics)
            return self._send_mail(unit, topics)
        except Exception as exc:  # a bug or odd data must not stop the other alerts
            log.exception("unexpected error delivering %s", sub.name)
            return Outcome(ok=False, error=f"internal error: {type(exc).__name__}: {exc}")

    def _send_webhook(self, client: httpx.Client, unit: Unit, topics: list[str]) -> Outcome:
        sub, now = unit.sub, self.clock()
        if unit.kind == "instant":
            body = webhook.instant_body(unit.items[0], sub.name, topics, now)
        else:  # webhooks are batched only as digests
            body = webhook.digest_body(unit.items, sub.name, topics, now)
        # The signature's timestamp is the wall clock: receivers check it for freshness.
        raw, headers = webhook.signed_request(
            body, sub.secret or "", unit.message_id, datetime.now(UTC)
        )
        headers["user-agent"] = USER_AGENT
        return transport.post(client, sub, raw, headers)

    def _send_slack(self, client: httpx.Client, unit: Unit, topics: list[str]) -> Outcome:
        sub = unit.sub
        if unit.kind == "instant":
            message = slack.instant_message(unit.items[0], topics)
        else:
            message = slack.list_messages(unit.items, topics, digest=unit.kind == "digest")[0]
        raw = json.dumps(message, ensure_ascii=False).encode("utf-8")
        url = sub.url or ""
        left = transport.PACER.wait_turn(
            url, self.policy.slack_interval, self.policy.slack_max_wait
        )
        if left:  # Slack asked for a long pause: owe it to a later run, keep the run short
            return Outcome(
                ok=False,
                retry_after=left,
                deferred=True,
                error=f"Slack asked for a pause of {left:.0f}s (over slack_max_wait)",
            )
        headers = {"content-type": "application/json", "user-agent": USER_AGENT}
        outcome = transport.post(client, sub, raw, headers)
        if outcome.retry_after:
            transport.PACER.push_back(url, outcome.retry_after)
        return outcome

    def _send_mail(self, unit: Unit, topics: list[str]) -> Outcome:
        smtp = self.config.smtp
        if smtp is None:
            return Outcome(ok=False, permanent=True, error="no smtp: section in subscriptions.yaml")
        sub = unit.sub
        topic = ", ".join(topics)
        if unit.kind == "instant":
            item = unit.items[0]
            subject = mail.subject_instant(item, topics)
            label = "Berita diperbarui (updated)" if item.kind == "updated" else "Berita baru"
            intro = f"{label} untuk topik {topic}:"
        else:
            subject = mail.subject_list(len(unit.items), topics)
            label = "Ringkasan" if unit.kind == "digest" else "Berita baru"
            intro = f"{label}: {len(unit.items)} berita untuk topik {topic}."
        msg = mail.build_message(
            smtp=smtp,
            to=sub.to,
            subject=subject,
            intro=intro,
            items=unit.items,
            message_id=unit.message_id,
        )
        try:
            refused = mail.send(smtp, msg, sub.to)
        except (smtplib.SMTPException, OSError) as exc:
            return transport.smtp_outcome(exc)
        if refused:
            log.warning("%s: some recipients refused: %s", sub.name, refused)
        return Outcome(ok=True)

    def _attempt(self, client: httpx.Client, unit: Unit) -> tuple[Outcome, int]:
        """Quick tries within one round; returns the last outcome and how many tries ran."""
        start = time.monotonic()
        tries = max(1, self.policy.quick_tries)
        for n in range(tries):
            outcome = self._send_once(client, unit)
            if outcome.ok or outcome.permanent or outcome.deferred or n == tries - 1:
                return outcome, n + 1
            wait = outcome.retry_after
            if wait is None:
                wait = self.policy.quick_wait * 2**n
            if time.monotonic() - start + wait > self.policy.quick_budget:
                return outcome, n + 1  # a long Retry-After: leave it owed, do not stall the run
            log.info("%s: %s; retrying in %.1fs", unit.sub.name, outcome.error, wait)
            time.sleep(wait)
        raise AssertionError("unreachable")

    # -- recording

    def _record(self, conn, unit: Unit, outcome: Outcome, tries: int) -> None:
        sub, now, n = unit.sub, self.clock(), len(unit.items)
        if outcome.ok:
            outbox.record_sent(conn, unit, now)
            with self.lock:
                self.report.sent += n
            log.info("%s: delivered %d alert(s) by %s", sub.name, n, sub.channel)
            return
        error = self.config.mask(outcome.error)[:1000]
        if outcome.deferred:  # nothing was sent: no attempt counted, due when the pause ends
            when = now + timedelta(seconds=outcome.retry_after or 0.0)
            outbox.defer(conn, unit, when)
            with self.lock:
                self.report.skipped += n
            log.warning("%s: %s; left owed until %s", sub.name, error, when)
            return
        rounds = max(it.attempts for it in unit.items) + 1
        dead = outcome.permanent or rounds >= sub.max_attempts
        if dead:
            why = error if outcome.permanent else f"{error} (gave up after {rounds} attempts)"
            outbox.record_failure(conn, unit, why, None)
        else:
            when = self.policy.next_attempt(rounds, now, outcome.retry_after, outcome.retry_at)
            outbox.record_failure(conn, unit, error, when)
        ids = ",".join(str(it.alert_id) for it in unit.items)
        line = f"{sub.name} ({sub.channel}, alert {ids}): {error} after {tries} tries"
        with self.lock:
            if dead:
                self.report.dead += n
                self.report.errors.append(line + " -> dead-letter")
            else:
                self.report.failed += n
                self.report.errors.append(line + " -> will retry")
        log.log(
            logging.ERROR if dead else logging.WARNING,
            "%s -> %s",
            line,
            "dead" if dead else "retry",
        )

    def run(self, units: list[Unit]) -> None:
        conn = open_outbox(self.db_path)
        timeout = httpx.Timeout(self.policy.read_timeout, connect=self.policy.connect_timeout)
        try:
            with httpx.Client(timeout=timeout, follow_redirects=False) as client:
                for i, unit in enumerate(units):
                    claimed = outbox.claim(
                        conn,
                        unit,
                        self.clock(),
                        self.policy.lease_seconds,
                        ignore_leases=self.holds_lock,
                    )
                    if claimed is None:  # another sender has it
                        with self.lock:
                            self.report.skipped += len(unit.items)
                        continue
                    outcome, tries = self._attempt(client, claimed)
                    self._record(conn, claimed, outcome, tries)
                    if not outcome.ok and not outcome.permanent:
                        # The receiver is down or throttling: leave the rest owed and untried
                        # rather than burn their attempts (and the run's time) on it.
                        rest = sum(len(u.items) for u in units[i + 1 :])
                        if rest:
                            with self.lock:
                                self.report.skipped += rest
                            log.warning(
                                "%s: %d alert(s) left for the next run", unit.sub.name, rest
                            )
                        break
        finally:
            conn.close()


def deliver_due(
    db_path: str,
    config: PantauConfig,
    *,
    now: datetime | None = None,
    only: list[str] | None = None,
    policy: RetryPolicy | None = None,
    holds_lock: bool = False,
) -> DeliveryReport:
    """Send every alert that is due: new instant alerts, due digests and due retries.

    Subscriptions are delivered concurrently (a thread each), so Slack's one-message-a-second
    pacing never delays a webhook or an email; within a subscription, messages go in order.
    `now` fixes the clock (tests); `policy` defaults to RetryPolicy.from_env(). A caller that
    holds the archive's run lock passes `holds_lock=True`: leases left by a killed sender are
    then taken over at once, so a re-run delivers what the crash left owed.
    """
    policy = policy or RetryPolicy.from_env()
    report = DeliveryReport()
    if not Path(db_path).exists():
        return report
    if now is not None and now.tzinfo is None:
        now = now.replace(tzinfo=UTC)

    def clock() -> datetime:
        return now if now is not None else datetime.now(UTC)

    conn = open_outbox(db_path)
    try:
        if not has_table(conn, "alerts"):
            return report
        plan = make_plan(conn, config, policy, clock(), only)
    finally:
        conn.close()
    report.skipped, report.errors = plan.skipped, plan.errors
    if not plan.jobs:
        return report
    deliverer = _Deliverer(db_path, config, policy, clock, report)
    deliverer.holds_lock = holds_lock
    with ThreadPoolExecutor(
        max_workers=min(32, len(plan.jobs)), thread_name_prefix="alerts"
    ) as pool:
        for future in [pool.submit(deliverer.run, units) for units in plan.jobs]:
            try:
                future.result()
            except Exception as exc:  # e.g. the database vanished: report, keep the rest
                log.exception("alert delivery job failed")
                report.errors.append(f"delivery job failed: {type(exc).__name__}: {exc}")
    return report


@dataclass
class OneOff:
    """A message tied to no alert row (a test, an operator alert), in each channel's form."""

    label: str  # for the result line: "test message", "operator alert"
    webhook_body: Callable[[Subscription, datetime], dict]
    slack_message: Callable[[Subscription], dict]
    subject: Callable[[Subscription], str]
    intro: Callable[[Subscription], str]


def send_one_off(config: PantauConfig, subscription: str, message: OneOff) -> str:
    """Send one message through a subscription's channel, once, no outbox and no retries.

    Returns what happened; raises DeliveryError (secrets masked) on failure, KeyError for an
    unknown subscription.
    """
    sub = config.subscription(subscription)
    now = datetime.now(UTC)
    if sub.channel in ("webhook", "slack"):
        if sub.channel == "webhook":
            raw, headers = webhook.signed_request(
                message.webhook_body(sub, now), sub.secret or "", webhook.new_message_id(), now
            )
        else:
            raw = json.dumps(message.slack_message(sub), ensure_ascii=False).encode("utf-8")
            headers = {"content-type": "application/json"}
        headers["user-agent"] = USER_AGENT
        timeout = httpx.Timeout(15.0, connect=5.0)
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            outcome = transport.post(client, sub, raw, headers)
        if not outcome.ok:
            raise DeliveryError(config.mask(f"{sub.name}: {outcome.error}"))
        where = describe(sub.url or "")
        return f"{sub.channel} {sub.name}: {message.label} accepted by {where}"
    smtp = config.smtp
    if smtp is None:
        raise DeliveryError(f"{sub.name}: no smtp: section in subscriptions.yaml")
    msg = mail.build_message(
        smtp=smtp, to=sub.to, subject=message.subject(sub), intro=message.intro(sub), items=[]
    )
    try:
        mail.send(smtp, msg, sub.to)
    except (smtplib.SMTPException, OSError) as exc:
        error = transport.smtp_outcome(exc).error
        raise DeliveryError(config.mask(f"{sub.name}: {error}")) from exc
    return (
        f"email {sub.name}: {message.label} accepted by {smtp.host}:{smtp.port} "
        f"for {', '.join(sub.to)}"
    )


def send_test(config: PantauConfig, subscription: str) -> str:
    """Send one clearly marked "[TEST]" message; return what happened, raise on failure."""

    def topic(sub: Subscription) -> str:
        return ", ".join(sub.topics)

    return send_one_off(
        config,
        subscription,
        OneOff(
            label="test message",
            webhook_body=lambda sub, now: webhook.test_body(sub.name, list(sub.topics), now),
            slack_message=lambda sub: slack.test_message(sub.name, list(sub.topics)),
            subject=lambda sub: f"[TEST] [Pantau] {topic(sub)}: pesan uji",
            intro=lambda sub: (
                f"[TEST] Pesan uji dari Pantau untuk langganan {sub.name} (topik {topic(sub)})."
            ),
        ),
    )


def send_operator(config: PantauConfig, subscription: str, sources: list[dict]) -> str:
    """Send one operator alert listing unhealthy sources ({"source", "region", "reasons"})."""
    n = len(sources)
    lines = "\n".join(f"- {s['source']}: {'; '.join(s['reasons'])}" for s in sources)
    return send_one_off(
        config,
        subscription,
        OneOff(
            label="operator alert",
            webhook_body=lambda sub, now: webhook.operator_body(sub.name, sources, now),
            slack_message=lambda sub: slack.operator_message(sources),
            subject=lambda sub: f"[Pantau] operator: {n} sumber bermasalah",
            intro=lambda sub: (
                f"Pantau: {n} sumber bermasalah (pemantauan crawl, `pantau status`):\n{lines}"
            ),
        ),
    )
