"""Secrets from ${ENV} never reach the archive, stdout or stderr, even when delivery fails.

The webhook secret, the Slack URL's path (Slack's incoming-webhook path is the credential)
and the SMTP password come from the environment; every receiver fails, so error strings are
built, logged and stored in `alerts.last_error`. Then the whole SQLite file (and its -wal)
and all output of the real CLI are searched for the secret values.
"""

from __future__ import annotations

import base64
import socket
import textwrap
from pathlib import Path

import pytest

from tests.conftest import run_pantau
from tests.receivers import Outbox, SmtpReceiver, WebhookReceiver

WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"zz-very-secret-webhook-key-7731").decode()
SLACK_PATH = "T0PANTAU/B0SECRET/xoxSecretSlackToken9k2Q"
SMTP_PASSWORD = "smtp-Pa55word-Q7zv"
ENV = {
    "PANTAU_T_WEBHOOK_SECRET": WEBHOOK_SECRET,
    "PANTAU_T_SLACK_PATH": SLACK_PATH,
    "PANTAU_T_SMTP_PASSWORD": SMTP_PASSWORD,
}
# What must never appear: each secret, and the pieces a careless formatter might print.
NEEDLES = [WEBHOOK_SECRET, WEBHOOK_SECRET.removeprefix("whsec_"), SLACK_PATH, SMTP_PASSWORD]
NEEDLES += ["xoxSecretSlackToken9k2Q", "B0SECRET/xox"]


def _free_port() -> int:
    """A loopback port nobody listens on: connecting to it is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(tmp: Path, hook_url: str, slack_port: int, smtp: SmtpReceiver) -> Path:
    cfg = tmp / "config"
    cfg.mkdir()
    (cfg / "sources.yaml").write_text(
        "sources:\n  - name: beritarafflesia\n    url: https://beritarafflesia.example.id/\n"
    )
    (cfg / "topics.yaml").write_text(Path("config/topics.yaml").read_text())
    (cfg / "subscriptions.yaml").write_text(
        textwrap.dedent(f"""
        smtp:
          host: {smtp.host}
          port: {smtp.port}
          username: pantau
          password: ${{PANTAU_T_SMTP_PASSWORD}}
          allow_plaintext_auth: true
          from: pantau@example.go.id
        subscriptions:
          - name: integrasi
            topics: [revolusi-mental-asn]
            channel: webhook
            url: {hook_url}
            secret: ${{PANTAU_T_WEBHOOK_SECRET}}
            allow_private_network: true
            max_attempts: 1
          - name: tim-slack
            topics: [revolusi-mental-asn]
            channel: slack
            url: http://127.0.0.1:{slack_port}/services/${{PANTAU_T_SLACK_PATH}}
            allow_private_network: true
          - name: redaksi
            topics: [revolusi-mental-asn]
            channel: email
            to: [redaksi@example.go.id]
    """)
    )
    return cfg


def _archive(path: Path) -> None:
    """Pending alerts for every subscription, and a source failing 3 runs in a row."""
    box = Outbox(str(path))
    art, story = box.article("Revolusi mental ASN di Bengkulu")
    for name, channel in (("integrasi", "webhook"), ("tim-slack", "slack"), ("redaksi", "email")):
        box.alert(name, channel, art, story)
    for n in range(3):
        box.db.execute(
            "INSERT INTO crawl_runs(run_id, started_at, finished_at, status, source, requests, "
            "pages, articles_new, articles_updated, errors, blocked, not_articles, with_date, "
            "error_summary) VALUES (?,?,?,'failed','beritarafflesia',0,0,0,0,1,0,0,0,'timeout')",
            (f"run{n}", f"2026-01-0{n + 1}T01:00:00Z", f"2026-01-0{n + 1}T01:05:00Z"),
        )
    box.db.conn.commit()
    box.close()


@pytest.fixture
def setup(tmp_path):
    hook = WebhookReceiver(secret=WEBHOOK_SECRET)
    hook.reject(500, n=None)  # always a server error: retried, error recorded
    smtp = SmtpReceiver(users={"pantau": SMTP_PASSWORD})
    smtp.reply_with("451 4.3.0 Try again later", n=None)
    cfg = _config(tmp_path, hook.url, _free_port(), smtp)
    db = tmp_path / "pantau.db"
    _archive(db)
    yield {"cfg": cfg, "db": db, "hook": hook, "smtp": smtp}
    hook.stop()
    smtp.stop()


def _leaks(text: str | bytes) -> list[str]:
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    return [n for n in NEEDLES if n.encode("utf-8") in data]


def test_secrets_stay_out_of_output_and_archive(setup):
    args = ("--config-dir", str(setup["cfg"]), "--db", str(setup["db"]))
    env = {**ENV, "PANTAU_QUICK_RETRY_WAIT": "0.01"}
    runs = [
        run_pantau(*args, "check-config", env=env),
        run_pantau(*args, "-v", "alerts", "send", env=env),
        run_pantau(*args, "-v", "--log-format", "json", "alerts", "send", env=env),
        run_pantau(*args, "alerts", "list", "--format", "json", env=env),
        run_pantau(*args, "status", "--notify", "tim-slack", env=env),
        run_pantau(*args, "alerts", "test", "tim-slack", env=env),
    ]
    check, send, _send2, listed, status, _test = runs
    assert check.returncode == 0, check.stderr
    assert "***" in check.stdout  # the secrets were there to mask
    # The deliveries really failed, so error strings were built, logged and stored.
    assert setup["hook"].requests and all(r.status == 500 for r in setup["hook"].requests)
    assert setup["hook"].verify(setup["hook"].requests[0])  # the env secret was used to sign
    assert setup["smtp"].logins and setup["smtp"].attempts >= 1  # the env password logged in
    assert "HTTP 500" in listed.stdout and "SMTP 451" in listed.stdout
    assert "cannot reach" in listed.stdout  # the Slack URL was refused
    assert send.returncode in (0, 1), send.stderr
    assert status.returncode == 1 and "operator alert not delivered" in status.stderr
    for proc in runs:
        assert not _leaks(proc.stdout), (proc.args, proc.stdout)
        assert not _leaks(proc.stderr), (proc.args, proc.stderr)
    files = [p for p in setup["db"].parent.iterdir() if p.name.startswith(setup["db"].name)]
    assert setup["db"] in files
    for path in files:
        assert not _leaks(path.read_bytes()), path


def test_the_leak_check_can_fail(setup):
    """Guard against a check that passes vacuously: a secret written to the archive is found."""
    import sqlite3

    conn = sqlite3.connect(setup["db"])
    conn.execute("UPDATE alerts SET last_error = ? WHERE id = 1", (f"boom {SLACK_PATH}",))
    conn.commit()
    conn.close()
    assert _leaks(setup["db"].read_bytes()) or _leaks(Path(str(setup["db"]) + "-wal").read_bytes())
