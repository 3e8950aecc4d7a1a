"""End-to-end alert delivery against real receivers on 127.0.0.1 (HTTP and SMTP)."""

from __future__ import annotations

import base64
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pantau.pipeline.alerts.outbox import list_alerts
from pantau.pipeline.alerts.policy import RetryPolicy
from pantau.pipeline.alerts.sender import deliver_due, send_test
from pantau.pipeline.config import PantauConfig, Smtp, Subscription, Topic
from tests.receivers import Outbox, SmtpReceiver, WebhookReceiver, verify_standard_webhook

GOLD = json.loads((Path(__file__).parent / "data" / "seeds" / "gold.json").read_text("utf-8"))
SECRET = "whsec_" + base64.b64encode(b"pantau-test-secret-0123456789").decode()
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
# Real timing rules, but waits short enough for tests; backoff 0 makes retries due at once.
FAST = RetryPolicy(base_seconds=0, quick_wait=0.05, quick_budget=3.0, slack_interval=0.2)


def sub(name: str, channel: str, **kw) -> Subscription:
    kw.setdefault("allow_private_network", True)
    if channel == "webhook":
        kw.setdefault("secret", SECRET)
    return Subscription(name=name, topics=["revolusi-mental-asn"], channel=channel, **kw)


def make_config(*subs: Subscription, smtp: SmtpReceiver | None = None) -> PantauConfig:
    return PantauConfig(
        directory=".",
        sources=[],
        topics=[Topic(name="revolusi-mental-asn", query='"revolusi mental"')],
        smtp=Smtp(host=smtp.host, port=smtp.port, **{"from": "pantau@example.go.id"})
        if smtp
        else None,
        subscriptions=list(subs),
    )


@pytest.fixture
def outbox(tmp_path):
    box = Outbox(str(tmp_path / "pantau.db"))
    yield box
    box.close()


@pytest.fixture
def hook():
    receiver = WebhookReceiver(secret=SECRET)
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp():
    server = SmtpReceiver()
    yield server
    server.stop()


def seed_article(outbox: Outbox, i: int = 0, **kw) -> tuple[int, int]:
    g = GOLD["articles"][i]
    return outbox.article(
        g["title"], region=g["region"], text=" ".join([g["body_first"], *g["must_contain"]]), **kw
    )


# -- webhooks -------------------------------------------------------------------------------


def test_webhook_delivery_signed_and_shaped_as_spec(outbox, hook):
    art, story = seed_article(outbox, 0)
    outbox.article(
        "Salinan sindikasi", source="antaranews", story_id=story, url="https://antara.example.id/x"
    )
    alert = outbox.alert("integrasi", "webhook", art, story)
    config = make_config(sub("integrasi", "webhook", url=hook.url))

    report = deliver_due(outbox.path, config, now=T0, policy=FAST)

    assert (report.sent, report.failed, report.dead) == (1, 0, 0)
    assert len(hook.requests) == 1
    req = hook.requests[0]
    assert verify_standard_webhook(SECRET, req.headers, req.body)
    assert not verify_standard_webhook(SECRET.replace("whsec_", "whsec_A"), req.headers, req.body)
    row = outbox.row(alert)
    assert req.header("webhook-id") == row["webhook_id"]
    body = req.json
    assert body["type"] == "article.matched"
    assert body["timestamp"] == "2026-03-01T08:00:00Z"
    data = body["data"]
    assert data["subscription"] == "integrasi"
    assert data["topics"] == ["revolusi-mental-asn"]
    assert data["story_id"] == story
    article = data["article"]
    assert set(article) >= {
        "url",
        "title",
        "source",
        "site_name",
        "region",
        "published_at",
        "author",
        "snippet",
        "matched_terms",
    }
    assert article["title"] == GOLD["articles"][0]["title"]
    assert article["region"] == "Bengkulu"
    assert article["matched_terms"] == ["revolusi mental", "ASN"]
    assert data["also_published_by"] == [
        {"source": "antaranews", "url": "https://antara.example.id/x"}
    ]
    assert row["status"] == "sent" and row["attempts"] == 1 and row["sent_at"]


def test_updated_alert_has_updated_type(outbox, hook):
    art, story = seed_article(outbox, 1)
    outbox.alert("integrasi", "webhook", art, story, kind="updated")
    deliver_due(outbox.path, make_config(sub("integrasi", "webhook", url=hook.url)), policy=FAST)
    assert hook.requests[0].json["type"] == "article.updated"


def test_fail_first_then_success_keeps_webhook_id_and_delivers_once(outbox, hook):
    art, story = seed_article(outbox)
    alert = outbox.alert("integrasi", "webhook", art, story)
    hook.fail_first(2, status=500)
    config = make_config(sub("integrasi", "webhook", url=hook.url))

    report = deliver_due(outbox.path, config, policy=FAST)

    assert report.sent == 1
    assert [r.status for r in hook.requests] == [500, 500, 200]
    assert len({r.header("webhook-id") for r in hook.requests}) == 1
    assert all(hook.verify(r) for r in hook.requests)
    assert len(hook.accepted) == 1
    assert outbox.row(alert)["status"] == "sent"
    # Nothing is sent twice, however often delivery runs afterwards.
    for _ in range(3):
        again = deliver_due(outbox.path, config, policy=FAST)
        assert again.sent == 0
    assert len(hook.requests) == 3


def test_webhook_id_is_stable_across_calls(outbox, hook):
    art, story = seed_article(outbox)
    alert = outbox.alert("integrasi", "webhook", art, story)
    hook.fail_first(3, status=503)  # the whole first round fails
    config = make_config(sub("integrasi", "webhook", url=hook.url))

    first = deliver_due(outbox.path, config, now=T0, policy=FAST)
    assert (first.sent, first.failed) == (0, 1)
    row = outbox.row(alert)
    assert row["status"] == "pending" and row["attempts"] == 1
    assert "503" in row["last_error"]

    second = deliver_due(outbox.path, config, now=T0 + timedelta(hours=2), policy=FAST)
    assert second.sent == 1
    ids = {r.header("webhook-id") for r in hook.requests}
    assert ids == {row["webhook_id"]}
    assert outbox.row(alert)["attempts"] == 2


def test_429_retry_after_seconds_is_honoured(outbox, hook):
    art, story = seed_article(outbox)
    outbox.alert("integrasi", "webhook", art, story)
    hook.throttle(1, retry_after="1")
    config = make_config(sub("integrasi", "webhook", url=hook.url))

    report = deliver_due(outbox.path, config, policy=FAST)

    assert report.sent == 1
    assert [r.status for r in hook.requests] == [429, 200]
    assert hook.requests[1].at - hook.requests[0].at >= 1.0


def test_long_retry_after_leaves_alert_owed_until_then(outbox, hook):
    art, story = seed_article(outbox)
    alert = outbox.alert("integrasi", "webhook", art, story)
    hook.throttle(1, retry_after="600")
    config = make_config(sub("integrasi", "webhook", url=hook.url))

    first = deliver_due(outbox.path, config, now=T0, policy=FAST)
    assert (first.sent, first.failed) == (0, 1)
    assert len(hook.requests) == 1  # did not hammer a throttling receiver
    row = outbox.row(alert)
    assert row["next_attempt_at"] == "2026-03-01T08:10:00Z"

    early = deliver_due(outbox.path, config, now=T0 + timedelta(seconds=599), policy=FAST)
    assert early.sent == 0 and early.skipped == 1 and len(hook.requests) == 1
    late = deliver_due(outbox.path, config, now=T0 + timedelta(seconds=600), policy=FAST)
    assert late.sent == 1
    assert outbox.row(alert)["status"] == "sent"


def test_429_retry_after_http_date(outbox, hook):
    from email.utils import format_datetime

    art, story = seed_article(outbox)
    alert = outbox.alert("integrasi", "webhook", art, story)
    retry_at = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=20)
    hook.throttle(1, retry_after=format_datetime(retry_at, usegmt=True))
    config = make_config(sub("integrasi", "webhook", url=hook.url))

    report = deliver_due(outbox.path, config, policy=FAST)

    assert report.failed == 1 and len(hook.requests) == 1
    next_at = datetime.fromisoformat(outbox.row(alert)["next_attempt_at"])
    assert abs((next_at - retry_at).total_seconds()) <= 1


def test_absurd_retry_after_is_capped_at_a_day(outbox, hook):
    art, story = seed_article(outbox)
    alert = outbox.alert("integrasi", "webhook", art, story)
    hook.throttle(1, retry_after="Wed, 21 Oct 2099 07:28:00 GMT")
    config = make_config(sub("integrasi", "webhook", url=hook.url))
    deliver_due(outbox.path, config, now=T0, policy=FAST)
    assert outbox.row(alert)["next_attempt_at"] == "2026-03-02T08:00:00Z"


def test_400_goes_dead_and_is_listed(outbox, hook):
    art, story = seed_article(outbox)
    alert = outbox.alert("integrasi", "webhook", art, story)
    hook.reject(400, body=b"unknown field")
    config = make_config(sub("integrasi", "webhook", url=hook.url))

    report = deliver_due(outbox.path, config, policy=FAST)

    assert (report.sent, report.dead) == (0, 1)
    assert len(hook.requests) == 1  # permanent: no quick retries
    assert any("400" in e for e in report.errors)
    dead = list_alerts(outbox.path, status="dead")
    assert [d["id"] for d in dead] == [alert]
    assert "HTTP 400" in dead[0]["last_error"] and "unknown field" in dead[0]["last_error"]
    assert dead[0]["title"] == GOLD["articles"][0]["title"]
    assert list_alerts(outbox.path, status="pending") == []
    assert deliver_due(outbox.path, config, policy=FAST).sent == 0
    assert len(hook.requests) == 1


def test_max_attempts_then_dead(outbox, hook):
    art, story = seed_article(outbox)
    alert = outbox.alert("integrasi", "webhook", art, story)
    hook.reject(500)  # for ever
    config = make_config(sub("integrasi", "webhook", url=hook.url, max_attempts=2))
    policy = RetryPolicy(base_seconds=0, quick_tries=1)

    r1 = deliver_due(outbox.path, config, policy=policy)
    assert (r1.failed, r1.dead) == (1, 0)
    r2 = deliver_due(outbox.path, config, policy=policy)
    assert (r2.failed, r2.dead) == (0, 1)
    row = outbox.row(alert)
    assert row["status"] == "dead" and row["attempts"] == 2
    assert "gave up after 2" in row["last_error"]


def test_receiver_down_for_a_whole_call_then_back(outbox, hook, tmp_path):
    art, story = seed_article(outbox)
    alert = outbox.alert("integrasi", "webhook", art, story)
    art2, story2 = seed_article(outbox, 1)
    alert2 = outbox.alert("integrasi", "webhook", art2, story2)
    url = hook.url
    hook.stop()
    config = make_config(sub("integrasi", "webhook", url=url))

    down = deliver_due(outbox.path, config, now=T0, policy=FAST)

    assert down.sent == 0 and down.dead == 0
    assert down.failed + down.skipped == 2
    assert {outbox.row(a)["status"] for a in (alert, alert2)} == {"pending"}
    assert outbox.row(alert)["last_error"]

    back = WebhookReceiver(secret=SECRET)
    try:
        config = make_config(sub("integrasi", "webhook", url=back.url))
        up = deliver_due(outbox.path, config, now=T0 + timedelta(hours=1), policy=FAST)
        assert up.sent == 2
        assert sorted(r.header("webhook-id") for r in back.accepted) == sorted(
            outbox.row(a)["webhook_id"] for a in (alert, alert2)
        )
    finally:
        back.stop()


def test_backoff_is_not_due_before_its_time(outbox, hook):
    art, story = seed_article(outbox)
    alert = outbox.alert("integrasi", "webhook", art, story)
    hook.fail_first(3)
    config = make_config(sub("integrasi", "webhook", url=hook.url))
    policy = RetryPolicy(base_seconds=30, jitter=0, quick_wait=0.01)

    deliver_due(outbox.path, config, now=T0, policy=policy)
    assert outbox.row(alert)["next_attempt_at"] == "2026-03-01T08:00:30Z"
    assert (
        deliver_due(outbox.path, config, now=T0 + timedelta(seconds=10), policy=policy).skipped == 1
    )
    assert len(hook.requests) == 3


def test_private_address_refused_unless_allowed(outbox, hook):
    """A 192.168.x URL is refused before any connection (no packet leaves this machine)."""
    art, story = seed_article(outbox)
    alert = outbox.alert("integrasi", "webhook", art, story)
    url = "http://192.168.255.254:9/hook"
    config = make_config(sub("integrasi", "webhook", url=url, allow_private_network=False))

    report = deliver_due(outbox.path, config, policy=FAST)

    assert report.dead == 1 and hook.requests == []
    row = outbox.row(alert)
    assert row["status"] == "dead" and "non-public address 192.168.255.254" in row["last_error"]


def test_loopback_receiver_needs_no_opt_in(outbox, hook):
    art, story = seed_article(outbox)
    alert = outbox.alert("integrasi", "webhook", art, story)
    config = make_config(sub("integrasi", "webhook", url=hook.url, allow_private_network=False))
    assert deliver_due(outbox.path, config, policy=FAST).sent == 1
    assert len(hook.requests) == 1 and outbox.row(alert)["status"] == "sent"


def test_concurrent_senders_do_not_double_send(outbox, hook):
    """Two deliver_due calls at once (cron + run) still send each alert once."""
    import threading

    ids = []
    for i in range(5):
        art, story = seed_article(outbox, i)
        ids.append(outbox.alert("integrasi", "webhook", art, story))
    config = make_config(sub("integrasi", "webhook", url=hook.url))
    threads = [
        threading.Thread(target=deliver_due, args=(outbox.path, config), kwargs={"policy": FAST})
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(hook.requests) == 5
    assert len({r.header("webhook-id") for r in hook.requests}) == 5
    assert all(outbox.row(a)["status"] == "sent" for a in ids)


# -- slack ----------------------------------------------------------------------------------


def test_slack_instant_and_paced(outbox, hook):
    for i in range(3):
        art, story = seed_article(outbox, i)
        outbox.alert("analis-slack", "slack", art, story)
    config = make_config(sub("analis-slack", "slack", url=hook.url))
    policy = RetryPolicy(base_seconds=0, slack_interval=0.3)

    report = deliver_due(outbox.path, config, policy=policy)

    assert report.sent == 3 and len(hook.requests) == 3
    texts = [r.json["text"] for r in hook.requests]
    for i, text in enumerate(texts):
        assert GOLD["articles"][i]["title"].split()[0] in text
        assert "https://" in text
    gaps = [b.at - a.at for a, b in zip(hook.requests, hook.requests[1:], strict=False)]
    assert all(g >= 0.3 * 0.95 for g in gaps)


def test_slack_many_new_stories_batched(outbox, hook):
    ids = []
    for i in range(7):
        g = GOLD["articles"][i % 5]
        art, story = outbox.article(f"{g['title']} #{i}", url=f"https://berita.example.id/{i}")
        ids.append(outbox.alert("analis-slack", "slack", art, story))
    config = make_config(sub("analis-slack", "slack", url=hook.url))

    report = deliver_due(outbox.path, config, policy=FAST)

    assert report.sent == 7
    assert len(hook.requests) == 1
    body = hook.requests[0].json
    blob = json.dumps(body["blocks"])
    for i in range(7):
        assert f"https://berita.example.id/{i}" in blob
    assert "7 berita baru" in body["text"]
    assert all(outbox.row(a)["status"] == "sent" for a in ids)


def test_slack_does_not_slow_webhooks(outbox, hook):
    """Slack pacing happens per Slack URL; a webhook subscription is served meanwhile."""
    slack_rx = WebhookReceiver()
    try:
        for i in range(4):
            art, story = seed_article(outbox, i)
            outbox.alert("analis-slack", "slack", art, story)
            outbox.alert("integrasi", "webhook", art, story)
        config = make_config(
            sub("analis-slack", "slack", url=slack_rx.url),
            sub("integrasi", "webhook", url=hook.url),
        )
        policy = RetryPolicy(base_seconds=0, slack_interval=0.5)
        report = deliver_due(outbox.path, config, policy=policy)
        assert report.sent == 8
        assert len(slack_rx.requests) == 4 and len(hook.requests) == 4
        # All webhook posts arrived before Slack's pacing let its last message through.
        assert max(r.at for r in hook.requests) < slack_rx.requests[-1].at
    finally:
        slack_rx.stop()


# -- email ----------------------------------------------------------------------------------


def test_email_instant_multipart(outbox, smtp):
    art, story = seed_article(outbox, 2)
    alert = outbox.alert("email-analis", "email", art, story)
    config = make_config(sub("email-analis", "email", to=["analis@example.go.id"]), smtp=smtp)

    report = deliver_due(outbox.path, config, policy=FAST)

    assert report.sent == 1
    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert mail.rcpt_tos == ["analis@example.go.id"]
    msg = mail.message
    assert msg["Subject"].strip() == f"[Pantau] revolusi-mental-asn: {GOLD['articles'][2]['title']}"
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    url = list_alerts(outbox.path)[0]["url"]
    assert url in text and url in html
    assert outbox.row(alert)["webhook_id"] in msg["Message-ID"]


def test_smtp_4xx_retried_then_delivered(outbox, smtp):
    art, story = seed_article(outbox)
    alert = outbox.alert("email-analis", "email", art, story)
    smtp.reply_with("451 4.3.0 Try again later", n=1)
    config = make_config(sub("email-analis", "email", to=["a@example.go.id"]), smtp=smtp)

    report = deliver_due(outbox.path, config, policy=FAST)

    assert report.sent == 1 and smtp.attempts == 2 and len(smtp.messages) == 1
    assert outbox.row(alert)["status"] == "sent"


def test_smtp_4xx_whole_round_stays_pending(outbox, smtp):
    art, story = seed_article(outbox)
    alert = outbox.alert("email-analis", "email", art, story)
    smtp.reply_with("421 4.7.0 Busy", n=None)
    config = make_config(sub("email-analis", "email", to=["a@example.go.id"]), smtp=smtp)
    report = deliver_due(outbox.path, config, policy=FAST)
    assert report.failed == 1
    row = outbox.row(alert)
    assert row["status"] == "pending" and "421" in row["last_error"]


def test_smtp_5xx_dead(outbox, smtp):
    art, story = seed_article(outbox)
    alert = outbox.alert("email-analis", "email", art, story)
    smtp.reply_with("554 5.7.1 Message rejected", n=None)
    config = make_config(sub("email-analis", "email", to=["a@example.go.id"]), smtp=smtp)

    report = deliver_due(outbox.path, config, policy=FAST)

    assert report.dead == 1 and smtp.attempts == 1 and smtp.messages == []
    row = outbox.row(alert)
    assert row["status"] == "dead" and "554" in row["last_error"]


# -- digests --------------------------------------------------------------------------------


def test_digest_waits_for_its_period_then_sends_one_message(outbox, smtp):
    config = make_config(
        sub("email-harian", "email", to=["a@example.go.id"], mode="digest", digest_every="1d"),
        smtp=smtp,
    )
    created = "2026-03-01T08:00:00Z"
    ids = []
    for i in range(3):
        art, story = seed_article(outbox, i)
        ids.append(outbox.alert("email-harian", "email", art, story, created_at=created))

    early = deliver_due(outbox.path, config, now=T0 + timedelta(hours=23), policy=FAST)
    assert early.sent == 0 and early.skipped == 3 and smtp.messages == []

    due = deliver_due(outbox.path, config, now=T0 + timedelta(days=1), policy=FAST)
    assert due.sent == 3
    assert len(smtp.messages) == 1
    msg = smtp.messages[0].message
    assert msg["Subject"].strip() == "[Pantau] revolusi-mental-asn: 3 berita baru"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    for row in list_alerts(outbox.path):
        assert row["status"] == "sent"
        assert row["url"] in text and row["url"] in html

    # A new story right after: not before another day has passed since that digest.
    art, story = seed_article(outbox, 3)
    outbox.alert("email-harian", "email", art, story, created_at="2026-03-02T09:00:00Z")
    assert (
        deliver_due(outbox.path, config, now=T0 + timedelta(days=1, hours=5), policy=FAST).sent == 0
    )
    later = deliver_due(outbox.path, config, now=T0 + timedelta(days=2), policy=FAST)
    assert later.sent == 1 and len(smtp.messages) == 2
    assert (
        smtp.messages[1].message["Subject"].strip() == "[Pantau] revolusi-mental-asn: 1 berita baru"
    )


def test_webhook_digest_retry_keeps_members_and_id(outbox, hook):
    config = make_config(
        sub("integrasi", "webhook", url=hook.url, mode="digest", digest_every="1h")
    )
    for i in range(2):
        art, story = seed_article(outbox, i)
        outbox.alert("integrasi", "webhook", art, story, created_at="2026-03-01T06:00:00Z")
    hook.fail_first(3)

    first = deliver_due(outbox.path, config, now=T0, policy=FAST)
    assert first.failed == 2
    art, story = seed_article(outbox, 2)
    late = outbox.alert("integrasi", "webhook", art, story, created_at="2026-03-01T08:01:00Z")

    second = deliver_due(outbox.path, config, now=T0 + timedelta(minutes=5), policy=FAST)
    assert second.sent == 2
    bodies = [r.json for r in hook.requests]
    assert all(b["type"] == "digest" for b in bodies)
    assert len({r.header("webhook-id") for r in hook.requests}) == 1
    assert len(hook.accepted[0].json["data"]["articles"]) == 2
    assert outbox.row(late)["status"] == "pending"  # goes into the next digest
    assert all(hook.verify(r) for r in hook.requests)


# -- test messages --------------------------------------------------------------------------


def test_send_test_webhook_slack_email(hook, smtp):
    config = make_config(
        sub("integrasi", "webhook", url=hook.url),
        sub("analis-slack", "slack", url=hook.url),
        sub("email-analis", "email", to=["a@example.go.id"]),
        smtp=smtp,
    )
    assert "integrasi" in send_test(config, "integrasi")
    assert hook.verify(hook.requests[0])
    assert hook.requests[0].json["type"] == "test"
    send_test(config, "analis-slack")
    assert hook.requests[1].json["text"].startswith("[TEST]")
    send_test(config, "email-analis")
    assert smtp.messages[0].message["Subject"].strip().startswith("[TEST]")


def test_send_test_raises_on_failure(hook):
    hook.reject(403)
    config = make_config(sub("integrasi", "webhook", url=hook.url))
    with pytest.raises(Exception, match="403"):
        send_test(config, "integrasi")


# -- hostile content end to end, crash safety, misc -------------------------------------------

HOSTILE = "Bupati <script>alert(1)</script> *bold* <!channel> & _ASN_ ~x~"


def test_hostile_title_escaped_in_slack_and_email(outbox, hook, smtp):
    art, story = outbox.article(HOSTILE, url="https://berita.example.id/a?x=1&y=2")
    outbox.alert("analis-slack", "slack", art, story)
    outbox.alert("email-analis", "email", art, story)
    config = make_config(
        sub("analis-slack", "slack", url=hook.url),
        sub("email-analis", "email", to=["a@example.go.id"]),
        smtp=smtp,
    )

    assert deliver_due(outbox.path, config, policy=FAST).sent == 2

    raw = hook.requests[0].body.decode()
    body = json.loads(raw)
    parsed_texts = (
        [body["text"]]
        + [b.get("text", {}).get("text", "") for b in body["blocks"]]
        + [e["text"] for b in body["blocks"] for e in b.get("elements", [])]
    )
    joined = "\n".join(parsed_texts)
    for bad in ("<script>", "<!channel>", "*bold*", "_ASN_", "~x~"):
        assert bad not in joined
    assert "&lt;!channel&gt;" in joined
    assert "<https://berita.example.id/a?x=1&amp;y=2|" in joined

    msg = smtp.messages[0].message
    assert msg["Subject"].strip() == f"[Pantau] revolusi-mental-asn: {HOSTILE}"
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "https://berita.example.id/a?x=1&amp;y=2" in html
    assert "https://berita.example.id/a?x=1&y=2" in text


CRASH_SCRIPT = """
import sys
from datetime import datetime
from pantau.pipeline.alerts.policy import RetryPolicy
from pantau.pipeline.alerts.sender import deliver_due
from pantau.pipeline.config import PantauConfig
config = PantauConfig.model_validate_json(sys.argv[2])
deliver_due(sys.argv[1], config, now=datetime.fromisoformat(sys.argv[3]),
            policy=RetryPolicy(base_seconds=0, lease_seconds=300))
"""


def test_crash_while_receiver_answers_redelivers_with_same_id(outbox, hook):
    """kill -9 of the sender between the receiver's acceptance and Pantau's commit: the alert
    stays owed, comes back after the lease, and carries the same webhook-id (receiver dedups)."""
    import subprocess
    import sys

    art, story = seed_article(outbox)
    alert = outbox.alert("integrasi", "webhook", art, story)
    config = make_config(sub("integrasi", "webhook", url=hook.url))
    hook.hold()
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(
        [sys.executable, "-c", CRASH_SCRIPT, outbox.path, config.model_dump_json(), T0.isoformat()],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert hook.arrived.wait(60), "the sender never posted"
        proc.kill()
        proc.wait(30)
    finally:
        hook.release()
        if proc.poll() is None:
            proc.kill()
    row = outbox.row(alert)
    assert row["status"] == "pending" and row["attempts"] == 0
    assert row["lease_until"] == "2026-03-01T08:05:00Z"  # the lease

    during = deliver_due(outbox.path, config, now=T0 + timedelta(minutes=1), policy=FAST)
    assert during.sent == 0 and len(hook.requests) == 1  # another sender may still hold it
    after = deliver_due(outbox.path, config, now=T0 + timedelta(minutes=5), policy=FAST)
    assert after.sent == 1
    assert len(hook.requests) == 2
    assert {r.header("webhook-id") for r in hook.requests} == {row["webhook_id"]}
    assert outbox.row(alert)["status"] == "sent"


def test_run_lock_holder_takes_over_a_dead_senders_lease_at_once(outbox, hook):
    """After a kill mid-delivery the next `pantau run` (which holds the run lock, so no other
    sender lives) must deliver the leased alert before it exits, not 5 minutes later."""
    art, story = seed_article(outbox)
    alert = outbox.alert("integrasi", "webhook", art, story)
    config = make_config(sub("integrasi", "webhook", url=hook.url))
    lease = (T0 + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    con = sqlite3.connect(outbox.path)
    con.execute("UPDATE alerts SET lease_until = ? WHERE id = ?", (lease, alert))
    con.commit()
    con.close()
    assert deliver_due(outbox.path, config, now=T0, policy=FAST).sent == 0
    report = deliver_due(outbox.path, config, now=T0, policy=FAST, holds_lock=True)
    assert report.sent == 1 and len(hook.requests) == 1
    assert outbox.row(alert)["status"] == "sent" and outbox.row(alert)["lease_until"] is None


def test_unknown_or_disabled_subscription_is_left_pending(outbox, hook):
    art, story = seed_article(outbox)
    a1 = outbox.alert("gone", "webhook", art, story)
    a2 = outbox.alert("paused", "webhook", art, story)
    config = make_config(sub("paused", "webhook", url=hook.url, enabled=False))
    report = deliver_due(outbox.path, config, policy=FAST)
    assert report.skipped == 2 and report.sent == 0 and hook.requests == []
    assert outbox.row(a1)["status"] == outbox.row(a2)["status"] == "pending"


def test_only_limits_delivery_to_named_subscriptions(outbox, hook):
    art, story = seed_article(outbox)
    outbox.alert("a", "webhook", art, story)
    b = outbox.alert("b", "webhook", art, story)
    config = make_config(sub("a", "webhook", url=hook.url), sub("b", "webhook", url=hook.url))
    report = deliver_due(outbox.path, config, only=["a"], policy=FAST)
    assert report.sent == 1 and outbox.row(b)["status"] == "pending"


def test_smtp_login_and_bad_password(outbox, tmp_path):
    server = SmtpReceiver(users={"pantau": "rahasia"})
    try:
        art, story = seed_article(outbox)
        ok = outbox.alert("mail-ok", "email", art, story)
        bad = outbox.alert("mail-bad", "email", art, story)
        smtp_ok = Smtp(
            host=server.host,
            port=server.port,
            username="pantau",
            password="rahasia",
            allow_plaintext_auth=True,  # a loopback test server without TLS
            **{"from": "pantau@example.go.id"},
        )
        config = make_config(sub("mail-ok", "email", to=["a@example.go.id"]))
        config.smtp = smtp_ok
        assert deliver_due(outbox.path, config, policy=FAST).sent == 1
        assert server.logins == ["pantau"] and outbox.row(ok)["status"] == "sent"

        config = make_config(sub("mail-bad", "email", to=["a@example.go.id"]))
        config.smtp = smtp_ok.model_copy(update={"password": "salah"})
        report = deliver_due(outbox.path, config, policy=FAST)
        assert report.dead == 1
        assert "535" in outbox.row(bad)["last_error"]
    finally:
        server.stop()


def test_mixed_channels_repeated_calls_send_each_alert_once(outbox, hook, smtp):
    slack_rx = WebhookReceiver()
    try:
        config = make_config(
            sub("integrasi", "webhook", url=hook.url),
            sub("analis-slack", "slack", url=slack_rx.url),
            sub("email-analis", "email", to=["a@example.go.id"]),
            smtp=smtp,
        )
        for i in range(3):
            art, story = seed_article(outbox, i)
            for name, channel in (
                ("integrasi", "webhook"),
                ("analis-slack", "slack"),
                ("email-analis", "email"),
            ):
                outbox.alert(name, channel, art, story)
        policy = RetryPolicy(base_seconds=0, slack_interval=0.05)
        totals = [deliver_due(outbox.path, config, policy=policy).sent for _ in range(3)]
        assert totals == [9, 0, 0]
        assert len(hook.requests) == 3 and len(slack_rx.requests) == 3 and len(smtp.messages) == 3
        assert all(r["status"] == "sent" and r["attempts"] == 1 for r in list_alerts(outbox.path))
    finally:
        slack_rx.stop()


def test_slack_digest_is_one_message_listing_all(outbox, hook):
    config = make_config(
        sub("slack-harian", "slack", url=hook.url, mode="digest", digest_every="6h")
    )
    ids = []
    for i in range(4):
        art, story = seed_article(outbox, i, url=f"https://berita.example.id/d/{i}")
        ids.append(
            outbox.alert("slack-harian", "slack", art, story, created_at="2026-03-01T03:00:00Z")
        )
    early = deliver_due(outbox.path, config, now=T0, policy=FAST)  # 5 h after the first story
    assert early.sent == 0 and hook.requests == []
    due = deliver_due(outbox.path, config, now=T0 + timedelta(hours=1), policy=FAST)
    assert due.sent == 4 and len(hook.requests) == 1
    blob = json.dumps(hook.requests[0].json["blocks"])
    assert all(f"https://berita.example.id/d/{i}|" in blob for i in range(4))
    assert "4 berita baru" in hook.requests[0].json["text"]
    assert all(outbox.row(a)["status"] == "sent" for a in ids)


def test_many_instant_emails_become_one_list_message(outbox, smtp):
    config = make_config(sub("email-analis", "email", to=["a@example.go.id"]), smtp=smtp)
    for i in range(7):
        art, story = outbox.article(f"Berita ASN nomor {i}", url=f"https://b.example.id/{i}")
        outbox.alert("email-analis", "email", art, story)
    assert deliver_due(outbox.path, config, policy=FAST).sent == 7
    assert len(smtp.messages) == 1
    msg = smtp.messages[0].message
    assert msg["Subject"].strip() == "[Pantau] revolusi-mental-asn: 7 berita baru"
    text = msg.get_body(("plain",)).get_content()
    assert all(f"https://b.example.id/{i}" in text for i in range(7))
