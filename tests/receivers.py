"""Real alert receivers on 127.0.0.1 for tests: an HTTP webhook/Slack receiver and an SMTP server.

They speak the real protocols, so tests exercise the same sockets, status codes, headers and
SMTP replies the sender meets in production. Signature checking is written here independently
of pipeline.alerts.webhook, so a bug in the signer cannot be mirrored by the checker.
"""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import hmac
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def verify_standard_webhook(
    secret: str, headers: dict[str, str], body: bytes, tolerance: int | None = 300
) -> bool:
    """Check a Standard Webhooks signature as a receiver would (any v1 signature may match)."""
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id, ts, sig = (
        lower.get("webhook-id"),
        lower.get("webhook-timestamp"),
        lower.get("webhook-signature"),
    )
    if not (msg_id and ts and sig):
        return False
    if tolerance is not None and abs(time.time() - int(ts)) > tolerance:
        return False
    key = base64.b64decode(secret.split("_", 1)[1] if secret.startswith("whsec_") else secret)
    expected = base64.b64encode(
        hmac.new(key, msg_id.encode() + b"." + ts.encode() + b"." + body, hashlib.sha256).digest()
    ).decode()
    for part in sig.split(" "):
        version, _, value = part.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return True
    return False


@dataclass
class Received:
    """One HTTP request as the receiver saw it, and what it answered."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() on arrival
    status: int

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return {k.lower(): v for k, v in self.headers.items()}.get(name.lower())


@dataclass
class _Rule:
    status: int
    count: int | None  # None = for ever
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


class WebhookReceiver:
    """Threaded HTTP server on 127.0.0.1 that records every POST.

    Answers 200 by default; `fail_first(n)`, `throttle(n, retry_after)`, `reject(status)` queue
    scripted answers (first in, first used). `stop()` closes the port, so clients get
    "connection refused" as with a receiver that is down.
    """

    def __init__(self, secret: str | None = None):
        self.secret = secret
        self.requests: list[Received] = []
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()
        self._gate = threading.Event()
        self._gate.set()
        self.arrived = threading.Event()  # set when any request body has been read
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server naming
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.arrived.set()
                receiver._gate.wait(timeout=60)
                status, headers, answer = receiver._answer()
                with receiver._lock:
                    receiver.requests.append(
                        Received(
                            method="POST",
                            path=self.path,
                            headers=dict(self.headers.items()),
                            body=body,
                            at=time.monotonic(),
                            status=status,
                        )
                    )
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    # scripting

    def _answer(self) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            while self._rules:
                rule = self._rules[0]
                if rule.count is not None and rule.count <= 0:
                    self._rules.pop(0)
                    continue
                if rule.count is not None:
                    rule.count -= 1
                return rule.status, rule.headers, rule.body
        return 200, {}, b"ok"

    def fail_first(self, n: int, status: int = 500) -> None:
        self._rules.append(_Rule(status, n, body=b"server error"))

    def throttle(self, n: int, retry_after: str) -> None:
        self._rules.append(_Rule(429, n, headers={"Retry-After": retry_after}, body=b"slow down"))

    def reject(self, status: int = 400, n: int | None = None, body: bytes = b"bad request") -> None:
        self._rules.append(_Rule(status, n, body=body))

    def hold(self) -> None:
        """Keep requests waiting (body read, no answer) until release(): a slow receiver."""
        self.arrived.clear()
        self._gate.clear()

    def release(self) -> None:
        self._gate.set()

    def stop(self) -> None:
        self._gate.set()
        self._server.shutdown()
        self._server.server_close()

    # inspection

    @property
    def accepted(self) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if 200 <= r.status < 300]

    def verify(self, request: Received) -> bool:
        assert self.secret, "receiver has no secret"
        return verify_standard_webhook(self.secret, request.headers, request.body)


@dataclass
class Mail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


class _SmtpHandler:
    def __init__(self, server: SmtpReceiver):
        self.server = server

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.server._lock:
            self.server.attempts += 1
            if self.server._replies:
                reply, left = self.server._replies[0]
                if left is not None:
                    left -= 1
                    if left <= 0:
                        self.server._replies.pop(0)
                    else:
                        self.server._replies[0] = (reply, left)
                return reply
            msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.server.messages.append(
                Mail(envelope.mail_from, list(envelope.rcpt_tos), msg)  # type: ignore[arg-type]
            )
        return "250 OK"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        return self.server.quit_reply


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpReceiver:
    """aiosmtpd server on 127.0.0.1 recording every accepted message.

    `reply_with("451 4.3.0 Try again later", n)` answers the next n DATA commands with that
    reply instead of accepting (n=None: always). `quit_reply` is the answer to QUIT (a server
    that closes with 421 or 5xx after it accepted the message).
    """

    def __init__(self, users: dict[str, str] | None = None) -> None:
        self.messages: list[Mail] = []
        self.logins: list[str] = []
        self.attempts = 0
        self.quit_reply = "221 Bye"
        self._replies: list[tuple[str, int | None]] = []
        self._lock = threading.Lock()
        self.host = "127.0.0.1"
        self.port = _free_port()
        kwargs: dict[str, Any] = {}
        if users is not None:

            def authenticate(server, session, envelope, mechanism, auth_data):
                user = auth_data.login.decode()
                ok = users.get(user) == auth_data.password.decode()
                if ok:
                    self.logins.append(user)
                return AuthResult(success=ok, handled=False)

            kwargs = {"authenticator": authenticate, "auth_require_tls": False}
        self._controller = Controller(
            _SmtpHandler(self), hostname=self.host, port=self.port, **kwargs
        )
        self._controller.start()

    def reply_with(self, reply: str, n: int | None = 1) -> None:
        with self._lock:
            self._replies.append((reply, n))

    def stop(self) -> None:
        self._controller.stop()


class Outbox:
    """The crawler's side of the outbox, for alert tests: articles, stories, matches and
    pending alert rows written the way pipeline.archive.store writes them (the schema from
    pipeline.archive.migrations), so the sender is tested against the real tables."""

    def __init__(self, path: str):
        import sqlite_utils

        from pantau.pipeline.archive.migrations import migrate

        self.path = path
        self.db = sqlite_utils.Database(path)
        self.db.execute("PRAGMA journal_mode = WAL")
        migrate(self.db.conn)
        self._n = 0

    def article(
        self,
        title: str,
        *,
        source: str = "beritarafflesia",
        region: str | None = "Bengkulu",
        text: str = "Revolusi mental bagi ASN dimaknai sebagai perubahan cara berpikir.",
        story_id: int | None = None,
        url: str | None = None,
        published_at: str = "2021-06-21T10:00:00+07:00",
        topic: str = "revolusi-mental-asn",
        snippet: str | None = None,
        terms: list[str] | None = None,
        first_seen_at: str = "2026-01-01T00:00:00Z",
    ) -> tuple[int, int]:
        """Store one matched article (a new story unless story_id is given)."""
        self._n += 1
        if story_id is None:
            story_id = (
                self.db.table("stories")
                .insert({"title": title, "first_seen_at": first_seen_at, "article_count": 0})
                .last_pk
            )
        art_id = (
            self.db.table("articles")
            .insert(
                {
                    "url": url or f"https://{source}.example.id/berita/{self._n}",
                    "source": source,
                    "title": title,
                    "author": "Redaksi",
                    "site_name": source.title(),
                    "published_at": published_at,
                    "published_at_source": "metadata",
                    "language": "id",
                    "region": region,
                    "text": text,
                    "word_count": len(text.split()),
                    "content_hash": f"h{self._n}",
                    "story_id": story_id,
                    "first_seen_at": first_seen_at,
                    "last_seen_at": first_seen_at,
                }
            )
            .last_pk
        )
        self.db.execute(
            "UPDATE stories SET article_count = article_count + 1, "
            "first_article_id = coalesce(first_article_id, ?) WHERE id = ?",
            (art_id, story_id),
        )
        self.db.table("matches").insert(
            {
                "article_id": art_id,
                "topic": topic,
                "snippet": snippet if snippet is not None else text[:200],
                "matched_terms": json.dumps(terms or ["revolusi mental", "ASN"]),
                "content_hash": f"h{self._n}",
                "matched_at": first_seen_at,
            }
        )
        self.db.conn.commit()
        return art_id, story_id

    def alert(
        self,
        subscription: str,
        channel: str,
        article_id: int,
        story_id: int,
        *,
        kind: str = "new",
        topics: list[str] | None = None,
        created_at: str = "2026-01-01T00:00:00Z",
    ) -> int:
        """Queue one pending alert row as the crawler would (stable webhook_id fixed here)."""
        key = f"{subscription}/{story_id}/{kind}/{article_id}".encode()
        wid = "msg_" + base64.b32encode(hashlib.sha256(key).digest()).decode().lower()[:27]
        pk = (
            self.db.table("alerts")
            .insert(
                {
                    "subscription": subscription,
                    "channel": channel,
                    "story_id": story_id,
                    "article_id": article_id,
                    "kind": kind,
                    "status": "pending",
                    "topics": json.dumps(topics or ["revolusi-mental-asn"]),
                    "content_hash": f"c{article_id}",
                    "webhook_id": wid,
                    "attempts": 0,
                    "next_attempt_at": created_at,
                    "created_at": created_at,
                }
            )
            .last_pk
        )
        self.db.conn.commit()
        return int(pk)

    def row(self, alert_id: int) -> dict[str, Any]:
        return dict(self.db.table("alerts").get(alert_id))

    def close(self) -> None:
        self.db.conn.close()
