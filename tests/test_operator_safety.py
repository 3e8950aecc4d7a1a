"""Issue 14, points 12 and 14: `pantau demo` never wipes a real archive, and CSV exports cannot
smuggle spreadsheet formulas from scraped titles."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from pantau.lock import RunLock
from pantau.pipeline.archive.store import open_db
from tests.conftest import run_pantau

GOLD = json.loads((Path(__file__).parent / "data" / "seeds" / "gold.json").read_text("utf-8"))


def _archive(path: Path, titles: list[str]) -> None:
    db = open_db(path)
    for i, title in enumerate(titles, 1):
        g = GOLD["articles"][i % len(GOLD["articles"])]
        db.conn.execute(
            "INSERT INTO articles(id, url, source, region, title, text, published_at, "
            "first_seen_at) VALUES (?,?,?,?,?,?,?,?)",
            (
                i,
                f"https://berita.example.id/{i}",
                "beritarafflesia",
                g["region"],
                title,
                g["body_first"] + " revolusi mental",
                "2024-05-01T08:00:00+07:00",
                "2024-05-01T02:00:00Z",
            ),
        )
    db.conn.commit()
    db.conn.close()


def test_csv_export_neutralises_formula_cells(tmp_path):
    hostile = [
        '=HYPERLINK("http://evil.example/","klik")',
        "+62 revolusi",
        "-1+1",
        "@SUM(A1)",
        "\tTab",
        "Revolusi mental ASN",
    ]
    db = tmp_path / "a.db"
    _archive(db, hostile)
    proc = run_pantau("--db", str(db), "search", "revolusi", "--format", "csv", "--limit", "20")
    assert proc.returncode == 0, proc.stderr
    titles = {row["title"] for row in csv.DictReader(io.StringIO(proc.stdout))}
    assert titles == {"'" + t for t in hostile[:5]} | {"Revolusi mental ASN"}


def test_demo_refuses_an_archive_it_did_not_create(tmp_path):
    db = tmp_path / "pantau.db"
    _archive(db, ["Revolusi mental ASN"])
    before = db.read_bytes()
    proc = run_pantau("demo", "--db", str(db), timeout=60)
    assert proc.returncode == 2 and "not a demo archive" in proc.stderr
    assert db.read_bytes() == before


def test_demo_takes_the_run_lock(tmp_path):
    db = tmp_path / "demo.db"
    db.write_bytes(b"")
    with RunLock(db):  # a run in progress on this archive
        proc = run_pantau("demo", "--db", str(db), timeout=60)
    assert proc.returncode == 3, proc.stderr
    assert db.exists()


def test_demo_archive_is_recognised_and_replaced(tmp_path):
    from pantau.demo import _fresh_demo_archive, is_demo_archive

    db = tmp_path / "demo.db"
    _fresh_demo_archive(db)
    assert is_demo_archive(db)
    _fresh_demo_archive(db)  # a second demo replaces the first
    assert is_demo_archive(db)
    assert not is_demo_archive(tmp_path / "missing.db")
