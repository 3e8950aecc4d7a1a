"""Reliability, part 3: alert delivery against receivers that fail, end to end through the CLI.

One `pantau crawl` of the sample sites queues alerts for a signed webhook and an email
subscription; every scenario starts from a copy of that archive, points the subscriptions at
loopback receivers that misbehave in one way, and runs `pantau alerts send` or `pantau run`.
Nothing may be sent twice: with no crash involved, not even a raw repeat is allowed.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import run_pantau
from tests.faultweb import HookReceiver, free_port, sample_sources, scrapy_env, write_config
from tests.receivers import SmtpReceiver, verify_standard_webhook

pytestmark = pytest.mark.slow

SECRET = "whsec_" + "YWxlcnQtZmF1bHQtdGVzdC1zZWNyZXQtMzJieXRlcw=="
ENV = scrapy_env()


def subscriptions(hook_url: str, smtp_port: int) -> str:
    return f"""
smtp:
  host: 127.0.0.1
  port: {smtp_port}
  from: pantau@example.go.id
subscriptions:
  - name: hook
    topics: [revolusi-mental-asn]
    channel: webhook
    url: {hook_url}
    secret: {SECRET}
    allow_private_network: true
  - name: mail
    topics: [revolusi-mental-asn]
    channel: email
    to: [analis@example.go.id]
"""


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """An archive with pending alerts for `hook` and `mail`, crawled once."""
    from pantau.fixtureweb import FixtureWeb

    tmp = tmp_path_factory.mktemp("alerts")
    web = FixtureWeb()
    web.start()
    sources = sample_sources(web)
    cfg = write_config(tmp / "config", sources, subscriptions("http://127.0.0.1:9/x", 9))
    db = tmp / "template.db"
    proc = run_pantau("--config-dir", str(cfg), "--db", str(db), "crawl", env=ENV)
    assert proc.returncode == 0, proc.stderr[-3000:]
    con = sqlite3.connect(db)
    counts = dict(con.execute("SELECT subscription, count(*) FROM alerts GROUP BY subscription"))
    con.close()
    assert counts.get("hook", 0) >= 5 and counts["mail"] == counts["hook"], counts
    yield {"db": db, "web": web, "sources": sources, "n": counts["hook"]}
    web.stop()


class Scenario:
    """A copy of the template archive plus a config pointing at this scenario's receivers."""

    def __init__(self, template: dict, tmp: Path, hook: HookReceiver, smtp: SmtpReceiver):
        self.n = template["n"]
        self.db = tmp / "pantau.db"
        src = sqlite3.connect(template["db"])
        dst = sqlite3.connect(self.db)
        src.backup(dst)
        src.close()
        dst.close()
        cfg = write_config(
            tmp / "config", template["sources"], subscriptions(f"{hook.url}/hook", smtp.port)
        )
        self.args = ("--config-dir", str(cfg), "--db", str(self.db))
        self.hook, self.smtp = hook, smtp

    def pantau(self, *args: str):
        return run_pantau(*self.args, *args, env=ENV)

    def statuses(self, sub: str) -> dict[str, int]:
        con = sqlite3.connect(self.db)
        try:
            return dict(
                con.execute(
                    "SELECT status, count(*) FROM alerts WHERE subscription = ? GROUP BY status",
                    (sub,),
                )
            )
        finally:
            con.close()

    def accepted_ids(self) -> dict[str, int]:
        ids = self.hook.distinct_ids("/hook")
        for d in self.hook.accepted("/hook"):
            assert verify_standard_webhook(SECRET, d.headers, d.body)
        return ids

    def mail_ids(self) -> list[str]:
        return [str(m.message["Message-ID"]) for m in self.smtp.messages]


@pytest.fixture
def scenario(template, tmp_path):
    made: list[tuple[HookReceiver, SmtpReceiver]] = []

    def make(hook: HookReceiver | None = None) -> Scenario:
        hook = hook or HookReceiver().start()
        smtp = SmtpReceiver()
        made.append((hook, smtp))
        return Scenario(template, tmp_path, hook, smtp)

    yield make
    for hook, smtp in made:
        hook.stop()
        smtp.stop()


def test_receiver_failing_twice_and_smtp_451_once_deliver_in_the_same_call(scenario):
    s = scenario()
    s.hook.status_for = lambda n: 500 if n <= 2 else 200
    s.smtp.reply_with("451 4.3.0 Try again later", 1)
    proc = s.pantau("alerts", "send")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert s.statuses("hook") == {"sent": s.n} and s.statuses("mail") == {"sent": s.n}
    ids = s.accepted_ids()
    assert len(ids) == s.n and set(ids.values()) == {1}  # each accepted exactly once
    assert len(s.hook.deliveries) == s.n + 2  # the two 500s were retried, nothing more
    assert len(s.smtp.messages) == s.n and len(set(s.mail_ids())) == s.n
    assert s.smtp.attempts == s.n + 1


def test_receiver_failing_longer_than_a_round_delivers_on_the_next_call(scenario):
    s = scenario()
    s.hook.status_for = lambda n: 503 if n <= 5 else 200
    first = s.pantau("alerts", "send")
    assert first.returncode == 0, first.stderr[-3000:]  # owed, not dead: not a failure yet
    assert s.statuses("hook").get("dead") is None
    assert s.statuses("hook").get("pending", 0) >= 1
    rounds = 0
    while s.statuses("hook").get("pending") and rounds < 5:
        rounds += 1
        again = s.pantau("alerts", "send")
        assert again.returncode == 0, again.stderr[-3000:]
    assert s.statuses("hook") == {"sent": s.n}
    ids = s.accepted_ids()
    assert len(ids) == s.n and set(ids.values()) == {1}
    assert len(s.hook.accepted("/hook")) == s.n


def test_receiver_down_for_a_whole_run_then_up(scenario, template):
    port = free_port()
    s = scenario(HookReceiver(port=port))  # not started: the port refuses connections
    down = s.pantau("run")
    assert down.returncode == 0, down.stderr[-3000:]
    assert s.statuses("hook") == {"pending": s.n}, s.statuses("hook")
    assert s.statuses("mail") == {"sent": s.n}  # one dead receiver does not hold up the other
    s.hook.start()
    up = s.pantau("run")
    assert up.returncode == 0, up.stderr[-3000:]
    assert s.statuses("hook") == {"sent": s.n}
    ids = s.accepted_ids()
    assert len(ids) == s.n and set(ids.values()) == {1}
    assert len(s.smtp.messages) == s.n  # mail was not sent again by the second run


def test_400_and_smtp_5xx_go_to_dead_letter_once(scenario):
    s = scenario()
    s.hook.status_for = lambda n: 400
    s.smtp.reply_with("554 5.7.1 Message rejected", None)
    proc = s.pantau("alerts", "send")
    assert proc.returncode == 1, proc.stdout + proc.stderr[-3000:]
    assert s.statuses("hook") == {"dead": s.n} and s.statuses("mail") == {"dead": s.n}
    assert len(s.hook.deliveries) == s.n  # a permanent error is not retried
    assert s.smtp.attempts == s.n and not s.smtp.messages
    listed = s.pantau("alerts", "list", "--status", "dead", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert len(rows) == 2 * s.n and {r["status"] for r in rows} == {"dead"}
    assert all(r["last_error"] for r in rows)
    assert any("400" in r["last_error"] for r in rows if r["subscription"] == "hook")
    assert any("554" in r["last_error"] for r in rows if r["subscription"] == "mail")
    table = s.pantau("alerts", "list", "--status", "dead")
    assert table.returncode == 0 and "dead" in table.stdout
    # dead letters are not retried by later calls
    s.hook.status_for = None
    s.smtp._replies.clear()
    again = s.pantau("alerts", "send")
    assert again.returncode == 0, again.stderr[-3000:]
    assert len(s.hook.deliveries) == s.n and not s.smtp.messages
