"""Alert formats: webhook signing and body, Slack Block Kit escaping, email parts and subjects."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from pantau.pipeline.alerts import mail, slack, webhook
from pantau.pipeline.alerts.netguard import UnsafeURL, check_url
from pantau.pipeline.alerts.payload import AlertItem
from pantau.pipeline.alerts.policy import RetryPolicy
from pantau.pipeline.config import Smtp
from pantau.pipeline.httputil import retry_after_seconds
from tests.receivers import verify_standard_webhook

GOLD = json.loads((Path(__file__).parent / "data" / "seeds" / "gold.json").read_text("utf-8"))
HOSTILE = 'Bupati <script>alert(1)</script> *bold* _it_ ~s~ `c` <!channel> <@U123> & "kutip"'
NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def item(
    title: str = HOSTILE,
    *,
    kind: str = "new",
    url: str = "https://kalteng.example.id/b/1?a=1&b=2",
    n: int = 1,
) -> AlertItem:
    return AlertItem(
        alert_id=n,
        subscription="s",
        kind=kind,
        story_id=10 + n,
        webhook_id=f"msg_{n:027d}",
        topics=["revolusi-mental-asn"],
        attempts=0,
        created_at=None,
        next_attempt_at=None,
        delivery_id=None,
        article={
            "url": url,
            "title": title,
            "source": "kalteng-antara",
            "site_name": "ANTARA <Kalteng>",
            "region": "Kalimantan Tengah",
            "published_at": "2016-12-06T17:56:00+07:00",
            "author": "Redaksi & Tim",
            "snippet": "Snippet with <b>tag</b> & *stars* <!here>",
            "matched_terms": ["revolusi mental"],
        },
        also_published_by=[{"source": "mirror", "url": "https://mirror.example.id/x"}],
    )


# -- webhook --------------------------------------------------------------------------------


def test_signature_matches_standard_webhooks_reference_vector():
    # The example from the Standard Webhooks specification.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    msg_id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    ts = 1614265330
    body = b'{"test": 2432232314}'
    assert (
        webhook.sign(secret, msg_id, ts, body) == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_signed_request_verifies_independently():
    secret = "whsec_" + base64.b64encode(b"0123456789abcdef01234567").decode()
    body = webhook.instant_body(item(), "integrasi", ["revolusi-mental-asn"], NOW)
    raw, headers = webhook.signed_request(body, secret, "msg_abc", datetime.now(UTC))
    assert verify_standard_webhook(secret, headers, raw)
    assert not verify_standard_webhook(secret, headers, raw.replace(b"integrasi", b"integrasX"))
    assert json.loads(raw) == body
    assert headers["webhook-id"] == "msg_abc"


def test_digest_body_lists_article_objects():
    items = [item(GOLD["articles"][i]["title"], n=i) for i in range(3)]
    body = webhook.digest_body(items, "integrasi", ["revolusi-mental-asn"], NOW)
    assert body["type"] == "digest"
    assert [a["title"] for a in body["data"]["articles"]] == [
        g["title"] for g in GOLD["articles"][:3]
    ]
    assert all({"url", "snippet", "matched_terms"} <= set(a) for a in body["data"]["articles"])


def test_derived_message_id_is_stable_and_shaped():
    a = webhook.derived_message_id(["msg_b", "msg_a"])
    assert a == webhook.derived_message_id(["msg_a", "msg_b"])
    assert a != webhook.derived_message_id(["msg_a"])
    assert a.startswith("msg_") and len(a) == 31
    assert len(webhook.new_message_id()) == 31


# -- slack ----------------------------------------------------------------------------------


def _mrkdwn_texts(message: dict) -> list[str]:
    out = [message["text"]]
    for block in message["blocks"]:
        if "text" in block:
            out.append(block["text"]["text"])
        for el in block.get("elements", []):
            out.append(el["text"])
    return out


def test_slack_instant_escapes_hostile_content():
    msg = slack.instant_message(item(), ["revolusi-mental-asn"])
    texts = _mrkdwn_texts(msg)
    joined = "\n".join(texts)
    # No raw control sequences from the scraped content survive anywhere Slack parses.
    for bad in (
        "<script>",
        "<!channel>",
        "<!here>",
        "<@U123>",
        "*bold*",
        "_it_",
        "~s~",
        "`c`",
        "<b>",
    ):
        assert bad not in joined
    assert "&lt;!channel&gt;" in joined and "&lt;script&gt;" in joined
    assert "&amp; " in joined and "& " not in joined.replace("&amp; ", "")
    # The only link markup is ours, pointing at the article (with its & escaped).
    assert "<https://kalteng.example.id/b/1?a=1&amp;b=2|" in joined
    assert msg["text"].endswith("<https://kalteng.example.id/b/1?a=1&amp;b=2>")
    assert "Kalimantan Tengah" in joined and "2016-12-06" in joined
    assert "mirror.example.id" in joined


def test_slack_updated_is_marked():
    msg = slack.instant_message(item(kind="updated"), ["t"])
    assert "updated" in msg["text"]


def test_slack_list_message_holds_every_article_and_splits_when_long():
    items = [item(f"Judul {i}", url=f"https://x.example.id/{i}", n=i) for i in range(45)]
    msgs = slack.list_messages(items, ["t"], digest=True)
    assert len(msgs) == 2
    blob = json.dumps(msgs)
    for i in range(45):
        assert f"https://x.example.id/{i}|" in blob
    for m in msgs:
        assert len(m["blocks"]) <= 50
        assert all(len(b["text"]["text"]) <= 3000 for b in m["blocks"] if "text" in b)


# -- email ----------------------------------------------------------------------------------

SMTP = Smtp(**{"from": "pantau@example.go.id"})


def _parts(msg) -> tuple[str, str]:
    parsed = message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    return parsed.get_body(("plain",)).get_content(), parsed.get_body(("html",)).get_content()


def test_email_instant_subject_and_escaping():
    it = item()
    subject = mail.subject_instant(it, ["revolusi-mental-asn"])
    assert subject == f"[Pantau] revolusi-mental-asn: {HOSTILE}"
    msg = mail.build_message(
        smtp=SMTP,
        to=["a@x.id"],
        subject=subject,
        intro="Berita baru",
        items=[it],
        message_id="msg_1",
    )
    text, html = _parts(msg)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<!channel>" not in html and "<b>tag</b>" not in html
    assert "Redaksi &amp; Tim" in html
    assert HOSTILE in text  # plain text carries the title as it is
    assert it.url in text and "https://kalteng.example.id/b/1?a=1&amp;b=2" in html
    assert "https://mirror.example.id/x" in text and "https://mirror.example.id/x" in html
    assert msg["Message-ID"] == "<msg_1@example.go.id>"


def test_email_subject_has_no_header_injection():
    it = item("Judul\r\nBcc: korban@example.com")
    subject = mail.subject_instant(it, ["t"])
    assert "\n" not in subject and "\r" not in subject
    msg = mail.build_message(smtp=SMTP, to=["a@x.id"], subject=subject, intro="x", items=[it])
    parsed = message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert parsed["Bcc"] is None


def test_email_digest_subject_and_all_urls():
    items = [
        item(g["title"], url=f"https://b.example.id/{i}", n=i)
        for i, g in enumerate(GOLD["articles"])
    ]
    subject = mail.subject_list(len(items), ["revolusi-mental-asn"])
    assert subject == "[Pantau] revolusi-mental-asn: 5 berita baru"
    text, html = _parts(
        mail.build_message(
            smtp=SMTP, to=["a@x.id"], subject=subject, intro="Ringkasan", items=items
        )
    )
    for i, g in enumerate(GOLD["articles"]):
        assert f"https://b.example.id/{i}" in text and f"https://b.example.id/{i}" in html
        assert g["title"] in text


def test_email_updated_is_marked():
    it = item("Judul", kind="updated")
    assert "updated" in mail.subject_instant(it, ["t"])


# -- netguard, retry policy -----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://10.1.2.3/",
        "http://192.168.0.10/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:192.168.1.1]/",
        "http://0.0.0.0/",
        "ftp://example.org/x",
        "file:///etc/passwd",
    ],
)
def test_netguard_refuses_private_and_non_http(url):
    with pytest.raises(UnsafeURL):
        check_url(url)


def test_netguard_allows_public_ip_and_opt_in():
    check_url("https://93.184.216.34/hook")  # a literal public address: no DNS needed
    check_url("http://127.0.0.1:9/hook")  # loopback: the operator's own machine
    check_url("http://10.0.0.9:9/hook", allow_private=True)
    with pytest.raises(UnsafeURL):
        check_url("gopher://127.0.0.1/", allow_private=True)


def test_retry_after_parsing():
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds("Sun, 01 Mar 2026 08:01:00 GMT", now=NOW) == 60
    assert retry_after_seconds("Sun, 01 Mar 2026 07:00:00 GMT", now=NOW) == 0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_backoff_grows_and_is_capped():
    p = RetryPolicy(base_seconds=30, cap_seconds=3600, jitter=0)
    assert [p.backoff(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert p.backoff(20) == 3600
    jittered = {RetryPolicy(base_seconds=30).backoff(2) for _ in range(20)}
    assert len(jittered) > 1 and all(45 <= v <= 75 for v in jittered)
