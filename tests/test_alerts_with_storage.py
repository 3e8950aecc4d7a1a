"""The sender on rows queued by the real archive code (pipeline.archive.store) and seed text."""

from __future__ import annotations

import base64
from pathlib import Path

from pantau.pipeline.alerts.outbox import list_alerts
from pantau.pipeline.alerts.policy import RetryPolicy
from pantau.pipeline.alerts.sender import deliver_due
from pantau.pipeline.archive.store import Archive
from pantau.pipeline.config import PantauConfig, Subscription, Topic
from pantau.pipeline.models import ExtractedArticle, TopicMatch
from tests.receivers import WebhookReceiver, verify_standard_webhook

SEEDS = Path(__file__).parent / "data" / "seeds"
SECRET = "whsec_" + base64.b64encode(b"storage-integration-secret").decode()
MATCH = [TopicMatch("revolusi-mental-asn", ["revolusi mental", "ASN"], "…revolusi mental ASN…")]


def body(name: str) -> tuple[str, str]:
    lines = (SEEDS / name).read_text("utf-8").splitlines()
    text = "\n".join(ln.strip() for ln in lines[1:] if len(ln.split()) > 8)
    return lines[0].strip(), text


def test_syndicated_copy_and_update_from_storage(tmp_path):
    rx = WebhookReceiver(secret=SECRET)
    try:
        config = PantauConfig(
            directory=".",
            sources=[],
            topics=[Topic(name="revolusi-mental-asn", query='"revolusi mental" AND ASN')],
            smtp=None,
            subscriptions=[
                Subscription(
                    name="integrasi",
                    topics=["revolusi-mental-asn"],
                    channel="webhook",
                    url=rx.url,
                    secret=SECRET,
                    on_update="notify",
                    allow_private_network=True,
                )
            ],
        )
        title, text = body("003_86b1aa17d938dc51.txt")
        db_path = tmp_path / "pantau.db"
        archive = Archive(db_path)
        original = "https://kalteng.antaranews.com/berita/1/workshop"
        copy = "https://sumselnews.example.id/workshop-revolusi-mental"

        def store(url: str, source: str, txt: str, now: str):
            art = ExtractedArticle(url=url, title=title, text=txt, region="Kalimantan Tengah")
            archive.store_article(
                art, source=source, fetched_url=url, matches=MATCH, config=config, now=now
            )

        store(original, "kalteng-antara", text, "2026-11-22T01:00:00Z")
        store(copy, "sumselnews", text, "2026-11-22T02:00:00Z")
        archive.close()

        first = deliver_due(str(db_path), config, policy=RetryPolicy(base_seconds=0))
        assert first.sent == 1  # one story, one alert, however many copies
        msg = rx.requests[0]
        assert verify_standard_webhook(SECRET, msg.headers, msg.body)
        data = msg.json["data"]
        assert msg.json["type"] == "article.matched"
        assert data["article"]["url"] == original and data["article"]["title"] == title
        assert data["also_published_by"] == [{"source": "sumselnews", "url": copy}]

        archive = Archive(db_path)
        store(
            original,
            "kalteng-antara",
            text + "\nPembaruan: kegiatan diikuti 120 ASN.",
            "2026-11-22T03:00:00Z",
        )
        archive.close()
        second = deliver_due(str(db_path), config, policy=RetryPolicy(base_seconds=0))
        assert second.sent == 1
        assert rx.requests[1].json["type"] == "article.updated"
        assert rx.requests[1].header("webhook-id") != msg.header("webhook-id")
        assert [a["status"] for a in list_alerts(str(db_path))] == ["sent", "sent"]
        assert deliver_due(str(db_path), config, policy=RetryPolicy(base_seconds=0)).sent == 0
    finally:
        rx.stop()
