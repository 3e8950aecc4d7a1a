"""The command line says what it wants: help on every option, examples, and exit 2 that names
bad input (dates, templates, a doubled --db, every config error at once)."""

from __future__ import annotations

import argparse
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pantau.cli import DEMO_DB, build_parser, resolve_db
from pantau.pipeline.archive.store import open_db
from pantau.pipeline.archive.upkeep import record_words
from pantau.search import parse_since
from tests.conftest import run_pantau
from tests.test_config import SOURCES, SUBS, TOPICS, write_config


def _parsers(
    p: argparse.ArgumentParser, name: str = "pantau"
) -> list[tuple[str, argparse.ArgumentParser]]:
    found = [(name, p)]
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                found += _parsers(sub, f"{name} {sub_name}")
    return found


PARSERS = _parsers(build_parser())


def test_the_walk_finds_every_command():
    names = {n for n, _ in PARSERS}
    assert {"pantau search", "pantau alerts send", "pantau demo", "pantau check-config"} <= names
    assert len(names) >= 14


@pytest.mark.parametrize("name,parser", PARSERS, ids=[n for n, _ in PARSERS])
def test_every_option_has_help_and_every_command_ends_with_examples(name, parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            continue
        assert action.help and action.help.strip(), f"{name}: {action.dest} has no help"
    lines = (parser.epilog or "").rstrip().splitlines()
    start = lines.index("examples:") if "examples:" in lines else None
    assert start is not None, f"{name} --help ends without examples"
    examples = lines[start + 1 :]
    assert 1 <= len(examples) <= 2
    assert all("pantau" in e for e in examples)


def test_sub_command_help_ends_with_its_examples():
    proc = run_pantau("search", "--help")
    assert proc.returncode == 0
    tail = proc.stdout.rstrip().splitlines()[-3:]
    assert tail[0] == "examples:"
    assert "--since" in tail[1] and tail[2].strip().startswith("pantau search")


def test_main_help_names_environment_and_exit_codes():
    proc = run_pantau("--help")
    assert proc.returncode == 0
    out = proc.stdout
    for var in ("PANTAU_CONFIG_DIR", "PANTAU_DB", "PANTAU_LOG_FORMAT", "PANTAU_SCRAPY_SETTINGS"):
        assert var in out
    codes = out.split("exit codes:", 1)[1]
    for code, words in [("0", "done"), ("1", "dead-letter"), ("2", "config"), ("3", "lock")]:
        assert any(ln.strip().startswith(code) and words in ln for ln in codes.splitlines())


# -- dates --------------------------------------------------------------------------------------

NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)  # 10:00 WIB


@pytest.mark.parametrize(
    "text,day",
    [
        ("kemarin", "2026-03-09"),
        ("yesterday", "2026-03-09"),
        ("7 hari lalu", "2026-03-03"),
        ("3 hari yang lalu", "2026-03-07"),
        ("2 weeks ago", "2026-02-24"),
        ("hari ini", "2026-03-10"),
        ("1 Maret 2026", "2026-03-01"),
        ("2026-03-01", "2026-03-01"),
        ("2026-03-01T08:00:00+07:00", "2026-03-01T08:00:00+07:00"),
    ],
)
def test_since_understands_indonesian_and_english(text, day):
    assert parse_since(text, now=NOW) == day


def test_since_days_are_wib_days():
    late = datetime(2026, 3, 9, 18, 0, tzinfo=UTC)  # already 10 March, 01:00 WIB
    assert parse_since("kemarin", now=late) == "2026-03-09"


@pytest.mark.parametrize("text", ["minggu depan lalu", "2026-13-01", "soon"])
def test_since_refuses_what_it_cannot_read_listing_the_forms(text):
    with pytest.raises(ValueError, match="kemarin.*7 hari lalu"):
        parse_since(text, now=NOW)


def _archive(path: Path) -> None:
    """Two articles on 'revolusi mental': one from yesterday (WIB), one from ten days ago."""
    db = open_db(path)
    today = datetime.now(UTC) + timedelta(hours=7)
    for aid, days in [(1, 1), (2, 10)]:
        day = (today - timedelta(days=days)).date().isoformat()
        title, text = f"Berita {days} hari", "Pemkab gelar workshop revolusi mental bagi ASN."
        db.conn.execute(
            "INSERT INTO articles(id, url, source, region, title, text, published_at, "
            "first_seen_at) VALUES (?,?,?,?,?,?,?,?)",
            (
                aid,
                f"https://e.test/{aid}",
                "s",
                "Lampung",
                title,
                text,
                f"{day}T12:00:00+07:00",
                f"{day}T05:00:00Z",
            ),
        )
        record_words(db.conn, title, text)
    db.conn.commit()
    db.conn.close()


@pytest.mark.parametrize("since", ["kemarin", "yesterday", "7 hari lalu"])
def test_search_since_in_words_filters_by_date(tmp_path, since):
    db = tmp_path / "a.db"
    _archive(db)
    proc = run_pantau(
        "--db", str(db), "search", '"revolusi mental"', "--since", since, "--format", "json"
    )
    assert proc.returncode == 0, proc.stderr
    assert [r["id"] for r in json.loads(proc.stdout)] == [1]


def test_search_since_unreadable_exits_2_with_the_accepted_forms(tmp_path):
    db = tmp_path / "a.db"
    _archive(db)
    proc = run_pantau("--db", str(db), "search", "revolusi", "--since", "dulu sekali")
    assert proc.returncode == 2
    assert "--since" in proc.stderr and "'dulu sekali'" in proc.stderr
    assert "kemarin" in proc.stderr and "7 hari lalu" in proc.stderr and proc.stdout == ""


# -- templates ----------------------------------------------------------------------------------


def test_extract_unknown_template_exits_2_listing_the_templates(tmp_path):
    page = tmp_path / "p.html"
    page.write_text("<html><body><p>x</p></body></html>")
    proc = run_pantau("extract", str(page), "--template", "bogus")
    assert proc.returncode == 2 and proc.stdout == ""
    assert "'bogus'" in proc.stderr
    for name in ("generic", "wordpress", "tribun", "antara", "kompas", "detik", "blogger"):
        assert f"'{name}'" in proc.stderr


def test_cli_templates_are_the_crawlers_templates():
    from pantau.spiders.templates import TEMPLATES

    parser = dict(PARSERS)["pantau extract"]
    choices = next(a.choices for a in parser._actions if a.dest == "template")
    assert set(choices) == set(TEMPLATES)


# -- demo --db ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv,env_db,expected",
    [
        (["demo"], "/srv/real.db", DEMO_DB),  # PANTAU_DB is the real archive: never the demo's
        (["--db", "g.db", "demo"], None, "g.db"),  # the global --db is no longer shadowed
        (["demo", "--db", "d.db"], None, "d.db"),
        (["--db", "same.db", "demo", "--db", "same.db"], None, "same.db"),
    ],
)
def test_demo_takes_the_global_or_its_own_db(monkeypatch, argv, env_db, expected):
    if env_db:
        monkeypatch.setenv("PANTAU_DB", env_db)
    parser = build_parser()
    args = parser.parse_args(argv)
    resolve_db(parser, args)
    assert args.demo_db == expected and args.db == expected


def test_other_commands_still_read_pantau_db(monkeypatch):
    monkeypatch.setenv("PANTAU_DB", "from-env.db")
    parser = build_parser()
    args = parser.parse_args(["status"])
    resolve_db(parser, args)
    assert args.db == "from-env.db"


def test_demo_with_two_different_dbs_exits_2(tmp_path):
    proc = run_pantau("--db", str(tmp_path / "a.db"), "demo", "--db", str(tmp_path / "b.db"))
    assert proc.returncode == 2
    assert "--db given twice" in proc.stderr
    assert not (tmp_path / "a.db").exists() and not (tmp_path / "b.db").exists()


# -- check-config -------------------------------------------------------------------------------


def test_check_config_reports_every_error_with_file_line_entry_field(tmp_path):
    sources = SOURCES + "    colour: red\n  - name: Bad Name\n    url: ftp://x\n"
    subs = SUBS.replace("[revolusi-mental-asn]", "[no-such-topic]") + (
        "  - name: pagi\n"
        "    topics: [revolusi-mental-asn]\n"
        "    channel: email\n"
        "    to: [a@example.go.id]\n"
        "    mode: digest\n"
        '    digest_at: "7 pagi"\n'
    )
    write_config(tmp_path, sources=sources, topics=TOPICS, subs=subs)
    proc = run_pantau(
        "--config-dir",
        str(tmp_path),
        "check-config",
        env={"PANTAU_TEST_SECRET": "whsec_cGFudGF1LXRlc3Qtc2VjcmV0LTAxMjM0NTY3ODlhYmM="},
    )
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("pantau: config error:")]
    want = [
        ("sources.yaml, line 7", "entry 'kalteng-antara', field 'colour'", "unknown key"),
        ("sources.yaml, line 8", "entry 'Bad Name', field 'name'", "[a-z0-9-]+"),
        ("sources.yaml, line 9", "entry 'Bad Name', field 'url'", "http(s) URL"),
        ("subscriptions.yaml, line 17", "entry 'pagi', field 'digest_at'", "HH:MM"),
        ("subscriptions.yaml, line 8", "entry 'integrasi', field 'topics'", "unknown topic"),
    ]
    assert len(lines) == len(want), proc.stderr
    for where, what, words in want:
        assert any(where in ln and what in ln and words in ln for ln in lines), (where, lines)


def test_config_errors_carry_lines_for_missing_fields_and_unset_variables(tmp_path):
    from pantau.pipeline.config import ConfigErrors, load_config

    subs = SUBS.replace("${PANTAU_TEST_SECRET}", "${PANTAU_UNSET_Q}") + (
        "  - name: tanpa-url\n    topics: [revolusi-mental-asn]\n    channel: slack\n"
    )
    write_config(tmp_path, subs=subs)
    with pytest.raises(ConfigErrors) as info:
        load_config(tmp_path)
    got = {(e.entry, e.field, e.line) for e in info.value.errors}
    # the unset variable where it is used; the missing url at its entry's first line
    assert got == {("integrasi", "secret", 11), ("tanpa-url", "url", 12)}


def test_sqlite_file_check(tmp_path):  # the archive helper used above makes a real archive
    _archive(tmp_path / "a.db")
    rows = sqlite3.connect(tmp_path / "a.db").execute("SELECT id FROM articles").fetchall()
    assert sorted(rows) == [(1,), (2,)]
