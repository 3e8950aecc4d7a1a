"""`pantau status`: per-source health from synthetic crawl_runs histories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pantau.pipeline.archive.store import Archive
from pantau.pipeline.config import PantauConfig, Source
from pantau.pipeline.models import ExtractedArticle
from pantau.status import _run_rates, print_status, source_health
from tests.conftest import SEEDS, run_pantau

GOOD = dict(status="ok", pages=40, articles_new=10, not_articles=1, with_date=10)
SOURCES = {
    # name: list of runs, oldest first
    "steady": [GOOD] * 6,
    "yield-drift": [GOOD] * 5 + [dict(GOOD, articles_new=2, not_articles=10, with_date=2)],
    "date-drift": [GOOD] * 5 + [dict(GOOD, with_date=1)],
    "failing": [GOOD] * 2
    + [dict(status="failed", pages=0, articles_new=0, not_articles=0, with_date=0, errors=5)] * 2
    + [dict(status="blocked", pages=3, articles_new=0, not_articles=0, with_date=0, blocked=3)],
    "recovered": [dict(status="failed", pages=0, articles_new=0, not_articles=0, with_date=0)] * 3
    + [GOOD],
    "quiet": [GOOD] * 5 + [dict(GOOD, pages=2, articles_new=0, not_articles=1, with_date=0)],
    "crashed": [dict(status="running")] * 3 + [dict(status="running")],
    "off": [dict(status="failed", pages=0, articles_new=0, not_articles=0, with_date=0)] * 4,
}


def _config(tmp: Path) -> PantauConfig:
    sources = [
        Source(name=n, url=f"https://{n}.example/", region="Bengkulu", enabled=(n != "off"))
        for n in SOURCES
    ]
    return PantauConfig(directory=str(tmp), sources=sources, topics=[], smtp=None, subscriptions=[])


def _build(tmp: Path) -> tuple[Path, PantauConfig]:
    db_path = tmp / "status.db"
    config = _config(tmp)
    archive = Archive(db_path)
    archive.sync_sources(config.sources)
    for name, runs in SOURCES.items():
        for n, run in enumerate(runs):
            row = {"errors": 0, "blocked": 0, "articles_updated": 0, "requests": 0, **run}
            archive.db.execute(
                "INSERT INTO crawl_runs(run_id, started_at, finished_at, status, source, "
                "requests, pages, articles_new, articles_updated, errors, blocked, "
                "not_articles, with_date, error_summary) VALUES "
                "(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    f"run{n}",
                    f"2026-01-{n + 1:02d}T01:00:00Z",
                    None if row["status"] == "running" else f"2026-01-{n + 1:02d}T01:05:00Z",
                    row["status"],
                    name,
                    row["requests"],
                    row.get("pages"),
                    row.get("articles_new"),
                    row["articles_updated"],
                    row["errors"],
                    row["blocked"],
                    row.get("not_articles"),
                    row.get("with_date"),
                    "HTTP 403" if row["status"] == "blocked" else "",
                ),
            )
    archive.db.conn.commit()
    text = (SEEDS / "000_142c9fa3561fec24.txt").read_text(encoding="utf-8")
    art = ExtractedArticle(url="https://steady.example/a/1", title="Revolusi Mental", text=text)
    archive.store_article(
        art,
        source="steady",
        fetched_url="https://steady.example/a/1?utm_source=x",
        matches=[],
        config=None,
    )
    for url, etag in (
        ("https://steady.example/feed", '"abc"'),
        ("https://steady.example/sitemap.xml", None),
    ):
        kind = "feed" if url.endswith("feed") else "sitemap"
        archive.store_page(
            url,
            source="steady",
            kind=kind,
            status=200,
            body=b"<rss/>",
            fetched_at="2026-01-06T01:00:00Z",
            etag=etag,
        )
    archive.close()
    return db_path, config


@pytest.fixture
def archive(tmp_path):
    return _build(tmp_path)


def _by_source(health: list[dict]) -> dict[str, dict]:
    return {h["source"]: h for h in health}


def test_flags_exactly_the_unhealthy_sources(archive):
    db, config = archive
    health = _by_source(source_health(db, config, runs=5))
    flagged = {name for name, h in health.items() if h["flagged"]}
    assert flagged == {"yield-drift", "date-drift", "failing", "crashed"}
    assert list(health) == list(SOURCES)  # configured order


def test_yield_drift(archive):
    h = _by_source(source_health(*archive, runs=5))["yield-drift"]
    assert h["yield_last"] == pytest.approx(2 / 12)
    assert h["yield_median"] == pytest.approx(10 / 11)
    assert any("yield dropped" in f for f in h["flags"])
    assert not any("date" in f for f in h["flags"])  # 2 articles: too few for a date rate


def test_date_drift(archive):
    h = _by_source(source_health(*archive, runs=5))["date-drift"]
    assert h["date_rate_last"] == pytest.approx(0.1)
    assert h["date_rate_median"] == pytest.approx(1.0)
    assert [f for f in h["flags"] if "date rate dropped" in f]


def test_repeated_failure_and_recovery(archive):
    health = _by_source(source_health(*archive, runs=5))
    failing = health["failing"]
    assert failing["consecutive_failures"] == 3
    assert failing["last_status"] == "blocked"
    assert failing["last_ok_at"] == "2026-01-02T01:05:00Z"
    assert "3 blocked/failed runs in a row (last error: HTTP 403)" in failing["flags"]
    assert failing["blocked"] == 3
    assert health["recovered"]["consecutive_failures"] == 0
    assert not health["recovered"]["flagged"]
    # unfinished rows followed by a later run are crashes; the newest may still be running
    crashed = health["crashed"]
    assert crashed["running"] is True
    assert crashed["consecutive_failures"] == 3


def test_small_samples_and_disabled_sources_are_not_flagged(archive):
    health = _by_source(source_health(*archive, runs=5))
    assert health["quiet"]["yield_last"] is None
    assert not health["quiet"]["flagged"]
    assert health["off"]["consecutive_failures"] == 4
    assert not health["off"]["flagged"]


def test_totals_and_incremental_state(archive):
    steady = _by_source(source_health(*archive, runs=3))["steady"]
    assert steady["new_articles"] == 30 and steady["recent_runs"] == 3
    assert steady["runs"] == 6
    assert steady["known_articles"] == 1
    assert steady["known_urls"] == 2  # canonical URL plus the tracking-parameter variant
    assert steady["feeds"] == 2 and steady["feeds_with_validators"] == 1
    json.dumps(steady)  # plain data, ready for an operator alert


def test_rates_prefer_an_explicit_extracted_count():
    run = dict(articles_new=1, articles_updated=0, with_date=1, not_articles=1, articles_seen=9)
    assert _run_rates(run) == (pytest.approx(0.9), pytest.approx(1 / 9))


def test_mostly_rejected_last_run_flags_at_once(tmp_path, capsys):
    """No history needed: the first run whose article candidates were mostly rejected flags
    the source; a small sample or a minority of rejections does not."""
    names = {"changed": (2, 5), "few": (1, 1), "some": (6, 3)}  # (articles_seen, rejected)
    sources = [Source(name=n, url=f"https://{n}.example/") for n in names]
    config = PantauConfig(
        directory=str(tmp_path), sources=sources, topics=[], smtp=None, subscriptions=[]
    )
    archive = Archive(tmp_path / "r.db")
    for name, (seen, rejected) in names.items():
        archive.db.execute(
            "INSERT INTO crawl_runs(run_id, started_at, finished_at, status, source, "
            "articles_new, articles_seen, not_articles, rejected, rejected_kinds) "
            "VALUES ('r1', '2026-01-01T01:00:00Z', '2026-01-01T01:05:00Z', 'partial', ?, "
            "?, ?, ?, ?, ?)",
            (name, seen, seen, rejected, rejected, json.dumps({"listing": rejected})),
        )
    archive.db.conn.commit()
    archive.close()
    health = _by_source(source_health(tmp_path / "r.db", config))
    assert health["changed"]["flags"] == [
        "most article pages rejected on the last run (5 of 7): template changed?"
    ]
    assert not health["few"]["flagged"] and not health["some"]["flagged"]
    assert health["some"]["rejected_last"] == 3 and health["some"]["candidates_last"] == 9
    assert print_status(tmp_path / "r.db", config, fmt="json") == 1
    data = _by_source(json.loads(capsys.readouterr().out))
    assert data["changed"]["rejected_kinds_last"] == {"listing": 5}


def test_missing_archive(tmp_path, capsys):
    config = _config(tmp_path)
    health = source_health(tmp_path / "none.db", config)
    assert [h["runs"] for h in health] == [0] * len(SOURCES)
    assert print_status(tmp_path / "none.db", config) == 0
    assert not (tmp_path / "none.db").exists()


def test_print_status_plain(archive, capsys):
    db, config = archive
    assert print_status(db, config, runs=5) == 1
    out = capsys.readouterr().out
    assert "FLAG failing: 3 blocked/failed runs in a row" in out
    assert "FLAG steady" not in out
    assert "sources=8 flagged=4" in out


def test_print_status_json(archive, capsys):
    db, config = archive
    assert print_status(db, config, runs=5, fmt="json") == 1
    data = json.loads(capsys.readouterr().out)
    assert {h["source"] for h in data if h["flagged"]} == {
        "yield-drift",
        "date-drift",
        "failing",
        "crashed",
    }


def test_cli_status_exit_code(archive, tmp_path):
    db, config = archive
    conf = tmp_path / "conf"
    conf.mkdir()
    lines = ["sources:"]
    for s in config.sources:
        lines += [
            f"  - name: '{s.name}'",
            f"    url: {s.url}",
            f"    enabled: {str(s.enabled).lower()}",
        ]
    (conf / "sources.yaml").write_text("\n".join(lines) + "\n")
    (conf / "topics.yaml").write_text(
        "topics:\n  - name: revolusi-mental-asn\n    query: '\"revolusi mental\"'\n"
    )
    (conf / "subscriptions.yaml").write_text("subscriptions: []\n")
    res = run_pantau("--config-dir", str(conf), "--db", str(db), "status", "--runs", "3")
    assert res.returncode == 1, res.stderr
    assert "FLAG yield-drift: article yield dropped" in res.stdout
    assert "source=steady" in res.stdout and "new_last_3_runs=30" in res.stdout
