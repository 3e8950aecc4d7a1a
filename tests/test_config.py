"""Config loading: every error class names the file, the entry and the field (exit 2)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pantau.pipeline.config import ConfigError, load_config
from tests.conftest import ROOT, run_pantau

TOPICS = """
topics:
  - name: revolusi-mental-asn
    query: '"revolusi mental" AND (ASN OR PNS)'
    search_terms: ["revolusi mental"]
"""
SOURCES = """
sources:
  - name: kalteng-antara
    url: https://kalteng.antaranews.com/
    region: Kalimantan Tengah
    template: antara
"""
SUBS = """
smtp:
  host: localhost
  port: 2525
  from: pantau@example.go.id
subscriptions:
  - name: integrasi
    topics: [revolusi-mental-asn]
    channel: webhook
    url: https://example.org/hooks/pantau
    secret: ${PANTAU_TEST_SECRET}
"""


def write_config(d: Path, sources=SOURCES, topics=TOPICS, subs=SUBS) -> Path:
    (d / "sources.yaml").write_text(textwrap.dedent(sources))
    (d / "topics.yaml").write_text(textwrap.dedent(topics))
    (d / "subscriptions.yaml").write_text(textwrap.dedent(subs))
    return d


@pytest.fixture
def secret_env(monkeypatch):
    monkeypatch.setenv("PANTAU_TEST_SECRET", "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==")


def test_valid_config_loads(tmp_path, secret_env):
    cfg = load_config(write_config(tmp_path))
    assert cfg.source("kalteng-antara").template == "antara"
    assert cfg.subscription("integrasi").secret.startswith("whsec_")
    assert "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==" in cfg.secrets


def test_repository_default_config_is_valid():
    cfg = load_config(ROOT / "config")
    assert any(t.name == "revolusi-mental-asn" for t in cfg.topics)
    assert len(cfg.sources) >= 5


@pytest.mark.parametrize(
    "file,content,entry,field,words",
    [
        ("sources.yaml", "sources:\n  - name: a\n    url: [unclosed\n", None, None, "invalid YAML"),
        ("sources.yaml", SOURCES + "    colour: red\n", "kalteng-antara", "colour", "unknown key"),
        ("sources.yaml", "sources:\n  - name: x\n", "x", "url", "required"),
        (
            "sources.yaml",
            SOURCES + "    article_url_pattern: '(['\n",
            "kalteng-antara",
            "article_url_pattern",
            "regular expression",
        ),
        (
            "sources.yaml",
            SOURCES.replace("kalteng-antara", "Kalteng Antara"),
            "Kalteng Antara",
            "name",
            "[a-z0-9-]+",
        ),
        (
            "sources.yaml",
            SOURCES + SOURCES.replace("sources:\n", ""),
            "kalteng-antara",
            "name",
            "duplicate",
        ),
        (
            "topics.yaml",
            TOPICS.replace("AND (ASN OR PNS)", "AND (ASN OR"),
            "revolusi-mental-asn",
            "query",
            "bad query",
        ),
        (
            "subscriptions.yaml",
            SUBS.replace("${PANTAU_TEST_SECRET}", "${PANTAU_UNSET_VAR_X}"),
            "integrasi",
            "secret",
            "PANTAU_UNSET_VAR_X",
        ),
        (
            "subscriptions.yaml",
            SUBS.replace("channel: webhook", "channel: pigeon"),
            "integrasi",
            "channel",
            "",
        ),
        (
            "subscriptions.yaml",
            SUBS.replace("[revolusi-mental-asn]", "[no-such-topic]"),
            "integrasi",
            "topics",
            "unknown topic",
        ),
        (
            "subscriptions.yaml",
            SUBS.replace("    url: https://example.org/hooks/pantau\n", ""),
            "integrasi",
            "url",
            "required",
        ),
    ],
)
def test_config_errors_name_file_entry_field(
    tmp_path, secret_env, file, content, entry, field, words
):
    write_config(tmp_path)
    (tmp_path / file).write_text(textwrap.dedent(content))
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    err = info.value
    assert err.file.endswith(file)
    assert err.entry == entry
    assert err.field == field
    assert words in str(err)


def test_cli_config_error_exits_2_and_names_it(tmp_path):
    write_config(tmp_path, subs=SUBS.replace("${PANTAU_TEST_SECRET}", "${PANTAU_UNSET_VAR_Y}"))
    proc = run_pantau("--config-dir", str(tmp_path), "check-config")
    assert proc.returncode == 2
    assert "subscriptions.yaml" in proc.stderr
    assert "integrasi" in proc.stderr and "secret" in proc.stderr
    assert "PANTAU_UNSET_VAR_Y" in proc.stderr


def test_check_config_masks_secrets(tmp_path):
    subs = SUBS.replace(
        "https://example.org/hooks/pantau", "https://example.org/hooks/${HOOK_TOKEN}"
    )
    write_config(tmp_path, subs=subs)
    proc = run_pantau(
        "--config-dir",
        str(tmp_path),
        "check-config",
        env={
            "PANTAU_TEST_SECRET": "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==",
            "HOOK_TOKEN": "tok-98765",
        },
    )
    assert proc.returncode == 0, proc.stderr
    assert "kalteng-antara" in proc.stdout and "integrasi" in proc.stdout
    assert "tok-98765" not in proc.stdout
    assert "***" in proc.stdout


# -- issue 14: weak webhook secrets, plaintext SMTP AUTH, secrets in output -----------------


@pytest.mark.parametrize("secret", ["whsec_", "whsec_${PANTAU_EMPTY_VAR}", "whsec_c2hvcnQ="])
def test_weak_webhook_secret_exits_2_naming_the_subscription(tmp_path, secret):
    write_config(tmp_path, subs=SUBS.replace("${PANTAU_TEST_SECRET}", secret))
    proc = run_pantau("--config-dir", str(tmp_path), "check-config", env={"PANTAU_EMPTY_VAR": ""})
    assert proc.returncode == 2, proc.stdout
    assert "subscriptions.yaml" in proc.stderr and "'integrasi'" in proc.stderr
    assert "field 'secret'" in proc.stderr and "24-64 bytes" in proc.stderr


def test_smtp_username_without_tls_is_refused_unless_allowed(tmp_path, secret_env):
    plain = SUBS.replace("  from: pantau@example.go.id\n", "  from: a@b.id\n  username: u\n")
    write_config(tmp_path, subs=plain)
    env = {"PANTAU_TEST_SECRET": "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ=="}
    proc = run_pantau("--config-dir", str(tmp_path), "check-config", env=env)
    assert proc.returncode == 2
    assert "subscriptions.yaml" in proc.stderr and "'smtp'" in proc.stderr
    assert "field 'username'" in proc.stderr and "allow_plaintext_auth" in proc.stderr
    for extra in ("  starttls: true\n", "  ssl: true\n", "  allow_plaintext_auth: true\n"):
        write_config(tmp_path, subs=plain.replace("  username: u\n", "  username: u\n" + extra))
        assert load_config(tmp_path).smtp.username == "u"


def test_config_error_does_not_echo_a_substituted_slack_url(tmp_path, secret_env, monkeypatch):
    token = "hooks.slack.com/services/T0AAA/B0BBB/xoxSecret77"
    monkeypatch.setenv("PANTAU_T_SLACK", token)
    subs = SUBS + "  - name: tim\n    topics: [revolusi-mental-asn]\n    channel: slack\n"
    subs += "    url: ${PANTAU_T_SLACK}\n"  # no scheme: a config error
    write_config(tmp_path, subs=subs)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert "tim" in str(info.value) and "url" in str(info.value)
    assert "xoxSecret77" not in str(info.value) and "B0BBB" not in str(info.value)


def test_check_config_masks_literal_slack_url_and_password(tmp_path):
    subs = SUBS.replace(
        "  from: pantau@example.go.id\n", "  from: a@b.id\n  password: pw-L1teral\n"
    )
    subs += "  - name: tim\n    topics: [revolusi-mental-asn]\n    channel: slack\n"
    subs += "    url: https://hooks.slack.com/services/T0AAA/B0BBB/xoxLiteral88?x=q1\n"
    write_config(tmp_path, subs=subs)
    env = {"PANTAU_TEST_SECRET": "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ=="}
    proc = run_pantau("--config-dir", str(tmp_path), "check-config", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "https://hooks.slack.com***" in proc.stdout
    for needle in ("xoxLiteral88", "B0BBB", "x=q1", "pw-L1teral", "/hooks/pantau"):
        assert needle not in proc.stdout + proc.stderr
