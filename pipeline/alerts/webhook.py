"""Generic webhook messages, signed the way Standard Webhooks does it (spec section 4).

The signature covers "{id}.{timestamp}.{body}" with the secret's decoded bytes, so a receiver
can check origin and freshness, and the stable `webhook-id` lets it drop a repeat delivery.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import string
from datetime import datetime
from typing import Any

from pantau.pipeline.alerts.payload import AlertItem
from pantau.pipeline.timestamps import utc_z

_ID_ALPHABET = string.ascii_letters + string.digits


def new_message_id() -> str:
    """A fresh "msg_" + 27 character id, for messages that are not one alert row (tests)."""
    return "msg_" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(27))


def derived_message_id(member_ids: list[str]) -> str:
    """A stable id for a message carrying several alerts: same members, same id."""
    digest = hashlib.sha256("\n".join(sorted(member_ids)).encode()).digest()
    raw = base64.b32encode(digest).decode().lower().rstrip("=")
    return "msg_" + raw[:27]


def decode_secret(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix("whsec_"))


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value: "v1,<base64 HMAC-SHA256>"."""
    to_sign = f"{msg_id}.{timestamp}.".encode() + body
    mac = hmac.new(decode_secret(secret), to_sign, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def _event_type(items: list[AlertItem]) -> str:
    return "article.updated" if items[0].kind == "updated" else "article.matched"


def instant_body(item: AlertItem, subscription: str, topics: list[str], now: datetime) -> dict:
    return {
        "type": _event_type([item]),
        "timestamp": utc_z(now),
        "data": {
            "subscription": subscription,
            "topics": topics,
            "story_id": item.story_id,
            "article": item.article,
            "also_published_by": item.also_published_by,
        },
    }


def digest_body(
    items: list[AlertItem], subscription: str, topics: list[str], now: datetime
) -> dict:
    articles = []
    for it in items:
        art = dict(it.article)
        # Keep per-article context a digest reader needs; extra keys are allowed by the spec.
        art["story_id"] = it.story_id
        art["kind"] = it.kind
        art["topics"] = it.topics or topics
        art["also_published_by"] = it.also_published_by
        articles.append(art)
    return {
        "type": "digest",
        "timestamp": utc_z(now),
        "data": {"subscription": subscription, "topics": topics, "articles": articles},
    }


def test_body(subscription: str, topics: list[str], now: datetime) -> dict:
    return {
        "type": "test",
        "timestamp": utc_z(now),
        "data": {
            "subscription": subscription,
            "topics": topics,
            "message": "[TEST] Pesan uji dari Pantau: webhook ini berfungsi.",
        },
    }


def operator_body(subscription: str, sources: list[dict[str, Any]], now: datetime) -> dict:
    """An operator alert: sources whose crawl is unhealthy (`pantau status --notify`).

    `sources` holds {"source", "region", "reasons"} dicts; "reason" joins them for display.
    """
    return {
        "type": "operator.source_health",
        "timestamp": utc_z(now),
        "data": {
            "subscription": subscription,
            "flagged": len(sources),
            "sources": [
                {
                    "source": s["source"],
                    "region": s.get("region"),
                    "reason": "; ".join(s["reasons"]),
                    "reasons": list(s["reasons"]),
                }
                for s in sources
            ],
        },
    }


def encode(body: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON: the bytes signed are exactly the bytes sent."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signed_request(
    body: dict[str, Any], secret: str, msg_id: str, now: datetime
) -> tuple[bytes, dict[str, str]]:
    """Body bytes and headers for one POST; the timestamp is the send time, not the alert's."""
    raw = encode(body)
    ts = int(now.timestamp())
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": sign(secret, msg_id, ts, raw),
    }
    return raw, headers
