"""Rules that used to be written twice, now in one place: each home is used by every caller."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from pantau import commands
from pantau.cli import build_parser
from pantau.errors import EXIT_LOCKED, EXIT_OK
from pantau.lock import RunLock
from pantau.pipeline.alerts import slack, webhook
from pantau.pipeline.archive.store import Archive, body_hash
from pantau.pipeline.timestamps import utc_z
from pantau.spiders.incremental import ArchiveState
from tests.conftest import ROOT

WIB = timezone(timedelta(hours=7))


# -- the UTC "Z" timestamp ------------------------------------------------------------------


def test_utc_z_is_utc_whole_seconds_with_a_z():
    moment = datetime(2026, 11, 22, 10, 0, 0, 987654, tzinfo=WIB)
    assert utc_z(moment) == "2026-11-22T03:00:00Z"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", utc_z())
    # the webhook JSON carries exactly this form (contract: "timestamp": "2026-11-22T03:00:00Z")
    assert webhook.test_body("s", ["t"], moment)["timestamp"] == "2026-11-22T03:00:00Z"


def test_the_archive_writes_the_same_timestamp_form(tmp_path):
    archive = Archive(tmp_path / "a.db")
    row_id = archive.start_run("run-1", "src")
    archive.finish_run(row_id, {}, "ok")
    started, finished = archive.db.execute(
        "SELECT started_at, finished_at FROM crawl_runs"
    ).fetchone()
    now = datetime.now(UTC)
    for text in (started, finished):
        assert text == utc_z(datetime.fromisoformat(text))  # already in the one form
        assert abs(datetime.fromisoformat(text) - now) < timedelta(minutes=1)


# -- the page body hash ---------------------------------------------------------------------


def test_stored_body_hash_is_what_the_spider_compares(tmp_path):
    feed = b"<rss><channel><item><link>https://a.example/1</link></item></channel></rss>"
    archive = Archive(tmp_path / "a.db")
    archive.store_page(
        "https://a.example/feed",
        source="a",
        kind="feed",
        status=200,
        body=feed,
        fetched_at="2026-11-22T01:00:00Z",
    )
    stored = archive.db.execute("SELECT body_hash FROM pages").fetchone()[0]
    assert stored == body_hash(feed) and len(stored) == 64
    state = ArchiveState(tmp_path / "a.db")
    try:
        assert state.unchanged("https://a.example/feed", feed)
        assert not state.unchanged("https://a.example/feed", feed + b" ")
    finally:
        state.close()


# -- Slack's section packing ----------------------------------------------------------------


def test_slack_section_packing_is_shared_and_splits_only_between_lines():
    reasons = [f"reason {i} " + "x" * 400 for i in range(20)]
    sources = [{"source": f"src-{i}", "reasons": [r]} for i, r in enumerate(reasons)]
    lines = [f"• *{s['source']}*: {slack.escape(s['reasons'][0])}" for s in sources]
    packed = slack.pack_sections(lines)
    assert len(packed) > 1
    assert all(len(s) <= slack.SECTION_LIMIT for s in packed)
    assert "\n".join(packed).split("\n") == lines  # no line cut, none lost, order kept
    message = slack.operator_message(sources)
    assert [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"] == packed
    assert slack.pack_sections(["y" * (slack.SECTION_LIMIT + 50)]) == ["y" * slack.SECTION_LIMIT]


# -- the run lock ---------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [["run"], ["crawl"], ["alerts", "send"], ["reextract"]])
def test_every_writing_command_exits_3_while_another_run_holds_the_lock(tmp_path, argv, capsys):
    db = str(tmp_path / "a.db")
    args = build_parser().parse_args(["--config-dir", str(ROOT / "config"), "--db", db, *argv])
    with RunLock(db):
        assert commands.dispatch(args, 20) == EXIT_LOCKED
    assert "another pantau run holds" in capsys.readouterr().err


def test_a_command_releases_the_lock_when_done(tmp_path):
    db = str(tmp_path / "a.db")
    Archive(db)
    args = build_parser().parse_args(
        ["--config-dir", str(ROOT / "config"), "--db", db, "alerts", "send"]
    )
    assert commands.dispatch(args, 20) == EXIT_OK
    with RunLock(db):  # would raise LockHeld if the command had kept it
        pass


# -- the import circle ----------------------------------------------------------------------


def test_only_the_entry_point_imports_the_cli():
    """Exit codes and UsageError live in pantau.errors, so no module needs pantau.cli."""
    importers = []
    for folder in ("pantau", "pipeline", "spiders", "config"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.ImportFrom):
                    names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
                elif isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                if "pantau.cli" in names:
                    importers.append(str(path.relative_to(ROOT)))
    assert importers == []


@pytest.mark.parametrize(
    ("byline", "name"),
    [
        ("Admin 8 Agst 2024", "Admin"),  # an abbreviation only pipeline.dates knew
        ("Rina Jum'at, 8 Nop 2024 10.15 WITA", "Rina"),
        ("Budi Santoso 12 Sept 2023", "Budi Santoso"),
        ("Mei", "Mei"),  # a month name with no number beside it is a name
    ],
)
def test_byline_date_words_come_from_the_date_grammar(byline, name):
    """The byline cleaner drops the month, weekday and zone spellings that pipeline.dates
    reads, and no others: one vocabulary for both."""
    from pantau.pipeline.dates import MONTH_NAMES, WEEKDAY_NAMES
    from pantau.pipeline.extract import _without_date_words

    assert "agst" in MONTH_NAMES and "jum'at" in WEEKDAY_NAMES
    assert _without_date_words(byline) == name
