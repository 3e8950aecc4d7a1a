"""Issue 14, points 7, 8, 9 and 13: receivers that answer in ways that used to wedge or repeat
an alert, and alert URLs that used to pass the network guard. Real receivers on 127.0.0.1."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from pantau.pipeline.alerts import transport
from pantau.pipeline.alerts.netguard import UnsafeURL, check_url
from pantau.pipeline.alerts.sender import RetryPolicy, deliver_due
from pantau.pipeline.httputil import RETRY_AFTER_CEILING, retry_after_seconds
from tests.receivers import SmtpReceiver, WebhookReceiver
from tests.test_alerts_delivery import FAST, T0, hook, make_config, outbox, seed_article, sub

__all__ = ["hook", "outbox"]  # fixtures used by name


# -- 7: Retry-After too large for a timedelta -----------------------------------------------


def test_huge_retry_after_is_parsed_and_capped():
    for value in ("99999999999999", "9" * 400, b"99999999999999.5"):
        seconds = retry_after_seconds(value)
        assert seconds == RETRY_AFTER_CEILING
    assert retry_after_seconds("Fri, 31 Dec 9999 23:59:59 GMT") == RETRY_AFTER_CEILING
    assert retry_after_seconds("120", cap=60) == 60


def test_huge_retry_after_leaves_alert_owed_not_wedged(outbox, hook):
    """Used to raise OverflowError while recording: the row kept its lease, pending for ever."""
    art, story = seed_article(outbox)
    alert = outbox.alert("integrasi", "webhook", art, story)
    hook.throttle(1, retry_after="99999999999999")
    config = make_config(sub("integrasi", "webhook", url=hook.url, max_attempts=2))

    report = deliver_due(outbox.path, config, now=T0, policy=FAST)

    assert (report.failed, report.errors[0].endswith("-> will retry")) == (1, True)
    row = outbox.row(alert)
    assert row["status"] == "pending" and row["lease_until"] is None
    assert row["attempts"] == 1 and "HTTP 429" in row["last_error"]
    assert row["next_attempt_at"] == "2026-03-02T08:00:00Z"  # a day, the sender's cap

    hook.throttle(1, retry_after="99999999999999")
    later = deliver_due(outbox.path, config, now=T0 + timedelta(days=1), policy=FAST)
    assert later.dead == 1 and outbox.row(alert)["status"] == "dead"  # reaches dead-letter


# -- 8: a Slack 429 asking for a day must not stall the run --------------------------------


def _in_thread(fn, timeout: float):
    """Run fn in a daemon thread; (finished, result). A stalled call fails the test, not CI."""
    out: dict = {}
    t = threading.Thread(target=lambda: out.setdefault("r", fn()), daemon=True)
    t.start()
    t.join(timeout)
    return not t.is_alive(), out.get("r")


def test_slack_429_for_a_day_leaves_alerts_owed_without_sleeping(outbox):
    slack_rx = WebhookReceiver()
    try:
        art, story = seed_article(outbox, 0)
        first = outbox.alert("tim-a", "slack", art, story)
        art2, story2 = seed_article(outbox, 1)
        second = outbox.alert("tim-b", "slack", art2, story2)
        slack_rx.throttle(1, retry_after="86400")
        policy = RetryPolicy(base_seconds=0, quick_wait=0.05, slack_interval=0.2)
        # Two subscriptions posting to one Slack URL (one channel): the second comes after
        # the 429, in the same process, so it shares the pacer's pause.
        config = make_config(
            sub("tim-a", "slack", url=slack_rx.url), sub("tim-b", "slack", url=slack_rx.url)
        )

        def deliver(name: str):
            return deliver_due(outbox.path, config, policy=policy, only=[name])

        done, report = _in_thread(lambda: deliver("tim-a"), 20)
        assert done and report.failed == 1
        assert outbox.row(first)["next_attempt_at"] > outbox.row(first)["created_at"]

        start = time.monotonic()
        done, report = _in_thread(lambda: deliver("tim-b"), 20)
        assert done, "the pacer slept through Slack's Retry-After inside the run"
        assert time.monotonic() - start < 10
        assert report.sent == 0 and report.skipped == 1 and not report.dead
        assert len(slack_rx.requests) == 1  # nothing posted during the pause
        row = outbox.row(second)
        assert row["status"] == "pending" and row["lease_until"] is None
        assert row["attempts"] == 0  # not tried, so no attempt burnt
        owed_until = row["next_attempt_at"]
        assert owed_until[:10] != row["created_at"][:10]  # about a day later: the server's time
    finally:
        slack_rx.stop()


def test_pacer_refuses_a_turn_beyond_max_wait_without_sleeping():
    pacer = transport.SlackPacer()
    pacer.push_back("http://slack.test/x", 3600)
    start = time.monotonic()
    left = pacer.wait_turn("http://slack.test/x", 1.0, max_wait=60)
    assert 3500 < left <= 3600 and time.monotonic() - start < 1
    assert pacer.wait_turn("http://slack.test/other", 1.0, max_wait=60) == 0.0


# -- 9: SMTP QUIT after the message was accepted --------------------------------------------


@pytest.mark.parametrize("quit_reply", ["421 4.3.2 Shutting down", "554 5.0.0 Closing oddly"])
def test_odd_quit_reply_after_acceptance_counts_as_delivered(outbox, quit_reply):
    """The mail was accepted at end of DATA; a 4xx used to resend it, a 5xx dead-letter it."""
    server = SmtpReceiver()
    server.quit_reply = quit_reply
    try:
        art, story = seed_article(outbox)
        alert = outbox.alert("redaksi", "email", art, story)
        config = make_config(sub("redaksi", "email", to=["redaksi@example.go.id"]), smtp=server)

        report = deliver_due(outbox.path, config, policy=FAST)
        again = deliver_due(outbox.path, config, policy=FAST)

        assert (report.sent, report.failed, report.dead) == (1, 0, 0)
        assert again.sent == 0
        assert len(server.messages) == 1 and server.attempts == 1
        row = outbox.row(alert)
        assert row["status"] == "sent" and row["attempts"] == 1
    finally:
        server.stop()


# -- 13: URL guard gaps ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://[2002:a9fe:a9fe::1]/",  # 6to4 of 169.254.169.254, the metadata address
        "http://[2002:0a00:0001::1]/hook",  # 6to4 of 10.0.0.1
        "http://[2002:7f00:1::1]/",  # 6to4 of loopback goes through a relay, not to us
        "http://[fec0::1]/",  # site-local
        "http://[fec0:1:2::3]:8080/hook",
    ],
)
def test_netguard_refuses_6to4_of_private_and_site_local(url):
    with pytest.raises(UnsafeURL):
        check_url(url)


def test_netguard_allows_6to4_of_a_public_address():
    check_url("http://[2002:5db8:d822::1]/hook")  # 93.184.216.34 inside 6to4
