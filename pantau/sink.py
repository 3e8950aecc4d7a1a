"""A local alert sink for `pantau demo`: receives webhook and Slack posts on loopback.

It verifies Standard Webhooks signatures, so the demo shows the same signed requests a real
integration would get, and it drops a repeated `webhook-id` as a receiver should.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def verify_signature(secret: str, msg_id: str, timestamp: str, body: bytes, header: str) -> bool:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        part.startswith("v1,") and hmac.compare_digest(part[3:], expected)
        for part in header.split()
    )


class AlertSink:
    """Threaded HTTP receiver on 127.0.0.1; `received` holds every accepted request."""

    def __init__(self, secret: str | None = None, host: str = "127.0.0.1"):
        self.secret = secret
        self.received: list[dict[str, Any]] = []
        self.rejected: list[str] = []
        self._ids: set[str] = set()
        self._lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status = sink._accept(self.path, dict(self.headers.items()), body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _accept(self, path: str, headers: dict[str, str], body: bytes) -> int:
        lower = {k.lower(): v for k, v in headers.items()}
        msg_id = lower.get("webhook-id")
        if msg_id and self.secret:
            ok = verify_signature(
                self.secret,
                msg_id,
                lower.get("webhook-timestamp", ""),
                body,
                lower.get("webhook-signature", ""),
            )
            if not ok:
                self.rejected.append(f"bad signature on {msg_id}")
                return 401
        with self._lock:
            if msg_id and msg_id in self._ids:
                return 200  # a repeat of a delivered message: accept, do not record twice
            if msg_id:
                self._ids.add(msg_id)
            try:
                payload = json.loads(body)
            except ValueError:
                payload = None
            self.received.append({"path": path, "webhook_id": msg_id, "json": payload})
        return 200

    def start(self) -> AlertSink:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> AlertSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
