"""`pantau status --notify SUB`: one signed operator alert when sources are flagged, none else."""

from __future__ import annotations

import base64
import json
import textwrap
from pathlib import Path

import pytest

from pantau.pipeline.archive.store import Archive
from tests.conftest import run_pantau
from tests.receivers import SmtpReceiver, WebhookReceiver, verify_standard_webhook

SECRET = "whsec_" + base64.b64encode(b"pantau-operator-secret-012345").decode()
FAILED = dict(status="failed", pages=0, articles_new=0, not_articles=0, with_date=0, errors=4)
GOOD = dict(status="ok", pages=40, articles_new=10, not_articles=1, with_date=10)


def _config_dir(tmp: Path, hook_url: str, slack_url: str, smtp: SmtpReceiver) -> Path:
    cfg = tmp / "config"
    cfg.mkdir()
    (cfg / "sources.yaml").write_text(
        textwrap.dedent("""
        sources:
          - name: beritasehat
            url: https://beritasehat.example.id/
            region: Bengkulu
          - name: beritamacet
            url: https://beritamacet.example.id/
            region: Lampung
    """)
    )
    (cfg / "topics.yaml").write_text(Path("config/topics.yaml").read_text())
    (cfg / "subscriptions.yaml").write_text(
        textwrap.dedent(f"""
        smtp:
          host: {smtp.host}
          port: {smtp.port}
          from: pantau@example.go.id
        subscriptions:
          - name: ops-webhook
            topics: [revolusi-mental-asn]
            channel: webhook
            url: {hook_url}
            secret: {SECRET}
            allow_private_network: true
          - name: ops-slack
            topics: [revolusi-mental-asn]
            channel: slack
            url: {slack_url}
            allow_private_network: true
          - name: ops-mail
            topics: [revolusi-mental-asn]
            channel: email
            to: [ops@example.go.id]
    """)
    )
    return cfg


def _archive(db_path: Path, histories: dict[str, list[dict]]) -> None:
    """crawl_runs rows as the crawler writes them, oldest first per source."""
    archive = Archive(db_path)
    for name, runs in histories.items():
        for n, run in enumerate(runs):
            archive.db.execute(
                "INSERT INTO crawl_runs(run_id, started_at, finished_at, status, source, "
                "requests, pages, articles_new, articles_updated, errors, blocked, "
                "not_articles, with_date, error_summary) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    f"run{n}",
                    f"2026-01-{n + 1:02d}T01:00:00Z",
                    f"2026-01-{n + 1:02d}T01:05:00Z",
                    run["status"],
                    name,
                    0,
                    run["pages"],
                    run["articles_new"],
                    0,
                    run.get("errors", 0),
                    0,
                    run["not_articles"],
                    run["with_date"],
                    "DNS lookup failed" if run["status"] == "failed" else "",
                ),
            )
    archive.db.conn.commit()
    archive.close()


@pytest.fixture
def env(tmp_path):
    hook = WebhookReceiver(secret=SECRET)
    slack = WebhookReceiver()
    smtp = SmtpReceiver()
    cfg = _config_dir(tmp_path, hook.url, slack.url, smtp)
    yield {"tmp": tmp_path, "cfg": cfg, "hook": hook, "slack": slack, "smtp": smtp}
    hook.stop()
    slack.stop()
    smtp.stop()


def _status(env, db: Path, *extra: str):
    return run_pantau(
        "--config-dir", str(env["cfg"]), "--db", str(db), "status", "--format", "json", *extra
    )


def _failing_archive(env) -> Path:
    db = env["tmp"] / "pantau.db"
    _archive(db, {"beritasehat": [GOOD] * 4, "beritamacet": [GOOD] * 2 + [FAILED] * 3})
    return db


def test_webhook_gets_one_signed_operator_message(env):
    db = _failing_archive(env)
    proc = _status(env, db, "--notify", "ops-webhook")
    assert proc.returncode == 1, proc.stderr  # status's own code: a source is flagged
    health = json.loads(proc.stdout)  # stdout stays pure JSON
    assert [h["source"] for h in health if h["flagged"]] == ["beritamacet"]
    hook = env["hook"]
    assert len(hook.requests) == 1
    req = hook.requests[0]
    assert verify_standard_webhook(SECRET, req.headers, req.body)
    body = req.json
    assert body["type"] == "operator.source_health"
    assert body["data"]["subscription"] == "ops-webhook"
    sources = body["data"]["sources"]
    assert [s["source"] for s in sources] == ["beritamacet"]
    assert "3 failed runs in a row" in sources[0]["reason"]
    assert "DNS lookup failed" in sources[0]["reason"]
    assert "operator alert accepted" in proc.stderr
    assert not env["slack"].requests and not env["smtp"].messages


def test_nothing_sent_for_a_healthy_archive(env):
    db = env["tmp"] / "pantau.db"
    _archive(db, {"beritasehat": [GOOD] * 4, "beritamacet": [FAILED] * 2 + [GOOD]})
    proc = _status(env, db, "--notify", "ops-webhook")
    assert proc.returncode == 0, proc.stderr
    assert not any(h["flagged"] for h in json.loads(proc.stdout))
    assert env["hook"].requests == []


def test_slack_and_email_operator_messages(env):
    db = _failing_archive(env)
    proc = _status(env, db, "--notify", "ops-slack")
    assert proc.returncode == 1, proc.stderr
    assert len(env["slack"].requests) == 1
    message = env["slack"].requests[0].json
    assert "1 sumber bermasalah" in message["text"]
    assert "beritamacet" in message["text"]
    assert "beritasehat" not in message["text"]
    assert any("beritamacet" in b.get("text", {}).get("text", "") for b in message["blocks"])

    proc = _status(env, db, "--notify", "ops-mail")
    assert proc.returncode == 1, proc.stderr
    assert len(env["smtp"].messages) == 1
    msg = env["smtp"].messages[0].message
    assert msg["Subject"] == "[Pantau] operator: 1 sumber bermasalah"
    text = msg.get_body(preferencelist=("plain",)).get_content()
    assert "beritamacet" in text and "3 failed runs in a row" in text
    assert "beritasehat" not in text


def test_failed_notification_is_a_clear_error(env):
    db = _failing_archive(env)
    env["hook"].reject(500)
    proc = _status(env, db, "--notify", "ops-webhook")
    assert proc.returncode == 1
    assert "operator alert not delivered" in proc.stderr
    assert "HTTP 500" in proc.stderr
    assert len(env["hook"].requests) == 1  # one try, no retry loop


def test_healthy_archive_ignores_a_dead_receiver_and_unknown_subscription_fails(env):
    """A healthy archive sends nothing, so a dead receiver cannot fail it; an unknown
    subscription is a usage error, caught before anything is read."""
    db = env["tmp"] / "pantau.db"
    _archive(db, {"beritasehat": [GOOD] * 4})
    env["hook"].stop()
    assert _status(env, db, "--notify", "ops-webhook").returncode == 0
    proc = _status(env, db, "--notify", "no-such-sub")
    assert proc.returncode == 2
    assert "no-such-sub" in proc.stderr
