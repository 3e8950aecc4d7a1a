"""Config loading: every error class names the file, the entry and the field (exit 2)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pipeline.config import ConfigError, load_config
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
    monkeypatch.setenv("PANTAU_TEST_SECRET", "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=")


def test_valid_config_loads(tmp_path, secret_env):
    cfg = load_config(write_config(tmp_path))
    assert cfg.source("kalteng-antara").template == "antara"
    assert cfg.subscription("integrasi").secret.startswith("whsec_")
    assert "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=" in cfg.secrets


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
        env={"PANTAU_TEST_SECRET": "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=", "HOOK_TOKEN": "tok-98765"},
    )
    assert proc.returncode == 0, proc.stderr
    assert "kalteng-antara" in proc.stdout and "integrasi" in proc.stdout
    assert "tok-98765" not in proc.stdout
    assert "***" in proc.stdout
