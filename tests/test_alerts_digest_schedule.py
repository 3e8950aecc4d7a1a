"""Digests at a local time of day (digest_at, timezone), on a clock the tests control."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from pantau.pipeline.alerts.plan import digest_due_at
from pantau.pipeline.alerts.sender import deliver_due
from pantau.pipeline.config import Subscription
from tests.receivers import Outbox, SmtpReceiver
from tests.test_alerts_delivery import FAST, make_config, seed_article, sub

WIB = ZoneInfo("Asia/Jakarta")
EARLIER = datetime(2026, 2, 1, tzinfo=UTC)  # an owed alert older than every `last` below


def wib(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=WIB)


def digest(**kw) -> Subscription:
    return sub("email-pagi", "email", to=["a@example.go.id"], mode="digest", **kw)


@pytest.fixture
def outbox(tmp_path):
    box = Outbox(str(tmp_path / "pantau.db"))
    yield box
    box.close()


@pytest.fixture
def smtp():
    server = SmtpReceiver()
    yield server
    server.stop()


@pytest.mark.parametrize(
    "last,expected",
    [
        (wib(1, 6, 59), wib(1, 7)),  # before 07:00: the same morning
        (wib(1, 7, 0), wib(2, 7)),  # a digest sent at 07:00 sharp: the next morning
        (wib(1, 7, 4), wib(2, 7)),  # sent by a cron run 4 minutes late: still tomorrow 07:00
        (wib(1, 23, 30), wib(2, 7)),
    ],
)
def test_daily_digest_at_is_the_next_local_time_after_the_last(last, expected):
    due = digest_due_at(digest(digest_at="07:00"), last.astimezone(UTC), EARLIER)
    assert due == expected
    assert due.astimezone(UTC).hour == 0  # 07:00 WIB is 00:00 UTC


def test_weekly_digest_at_keeps_its_weekday_and_time():
    s = digest(digest_at="07:00", digest_every="1w")
    assert digest_due_at(s, wib(2, 7, 3), wib(3, 9)) == wib(9, 7)  # Mon 07:03 -> next Mon 07:00


def test_timezone_moves_the_hour():
    s = digest(digest_at="08:00", timezone="Asia/Jayapura")  # WIT, UTC+9
    assert digest_due_at(s, datetime(2026, 3, 1, 0, 0, tzinfo=UTC), EARLIER) == datetime(
        2026, 3, 1, 23, 0, tzinfo=UTC
    )


def test_without_digest_at_digest_every_counts_from_the_last():
    assert digest_due_at(digest(digest_every="6h"), wib(1, 7, 4), EARLIER) == wib(1, 13, 4)
    assert digest_due_at(digest(digest_every="6h"), None, wib(1, 9)) == wib(1, 15)


def test_a_story_after_a_quiet_spell_waits_for_the_next_digest_at():
    """Last digest Monday 07:00, nothing owed until Wednesday 10:00: Thursday 07:00, not the
    next run (Tuesday's 07:00 passed with nothing to send)."""
    s = digest(digest_at="07:00")
    assert digest_due_at(s, wib(2, 7, 0), wib(4, 10, 0)) == wib(5, 7)
    assert digest_due_at(s, None, wib(4, 6, 30)) == wib(4, 7)  # first digest: same morning


def test_first_digest_goes_out_at_the_first_digest_at_after_the_oldest_owed_alert(outbox, smtp):
    config = make_config(digest(digest_at="07:00"), smtp=smtp)
    # Owed since 09:15 WIB on 1 March: not at 09:15 the next day (digest_every alone), but at
    # 07:00 WIB on 2 March, the first 07:00 after it.
    created = wib(1, 9, 15).astimezone(UTC).isoformat().replace("+00:00", "Z")
    for i in range(2):
        art, story = seed_article(outbox, i)
        outbox.alert("email-pagi", "email", art, story, created_at=created)

    early = deliver_due(outbox.path, config, now=wib(2, 6, 59), policy=FAST)
    assert early.sent == 0 and early.skipped == 2 and smtp.messages == []

    first = deliver_due(outbox.path, config, now=wib(2, 7, 5), policy=FAST)
    assert first.sent == 2 and len(smtp.messages) == 1
    assert "2 berita baru" in smtp.messages[0].message["Subject"]

    # A story in the afternoon waits for the next morning, even though a run is late (07:05).
    art, story = seed_article(outbox, 2)
    outbox.alert("email-pagi", "email", art, story, created_at="2026-03-02T08:00:00Z")
    assert deliver_due(outbox.path, config, now=wib(3, 6, 58), policy=FAST).sent == 0
    nxt = deliver_due(outbox.path, config, now=wib(3, 7, 0), policy=FAST)
    assert nxt.sent == 1 and len(smtp.messages) == 2

    # Two quiet mornings, then a story at 10:00 WIB on 5 March: the 11:00 run keeps it for
    # the next 07:00 rather than sending a mid-morning digest.
    art, story = seed_article(outbox, 3)
    outbox.alert("email-pagi", "email", art, story, created_at="2026-03-05T03:00:00Z")
    assert deliver_due(outbox.path, config, now=wib(5, 11, 0), policy=FAST).sent == 0
    assert deliver_due(outbox.path, config, now=wib(6, 7, 1), policy=FAST).sent == 1
    assert len(smtp.messages) == 3


@pytest.mark.parametrize(
    "kw,words",
    [
        ({"digest_at": "7am"}, "HH:MM"),
        ({"digest_at": "24:00"}, "HH:MM"),
        ({"digest_at": "07:00", "timezone": "Asia/Bandung"}, "time zone"),
        ({"digest_at": "07:00", "digest_every": "6h"}, "whole days"),
        ({"timezone": "Asia/Makassar"}, "only with digest_at"),
    ],
)
def test_digest_at_and_timezone_are_validated(kw, words):
    with pytest.raises(ValidationError, match=words):
        digest(**kw)


def test_digest_at_needs_mode_digest():
    with pytest.raises(ValidationError, match="mode: digest"):
        sub("slack", "slack", url="https://hooks.example/x", digest_at="07:00")


def test_unquoted_yaml_time_is_read_back_as_a_time():
    import yaml

    raw = yaml.safe_load("digest_at: 07:30")["digest_at"]  # YAML 1.1: base 60, i.e. 450
    assert digest(digest_at=raw).digest_at == "07:30"


def test_a_dumped_subscription_loads_again():
    """Subprocess senders get the config as JSON: the defaults must survive the round trip."""
    for s in (
        digest(digest_at="07:00", timezone="Asia/Makassar"),
        sub("i", "slack", url="http://h/x"),
    ):
        assert Subscription.model_validate_json(s.model_dump_json()) == s
