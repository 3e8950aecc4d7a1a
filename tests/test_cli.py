"""The command line as scripts meet it: `pantau extract` output contract and usage errors."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import ROOT, run_pantau

CASES = ROOT / "tests" / "extraction" / "cases"
REQUIRED = {
    "url",
    "title",
    "author",
    "site_name",
    "published_at",
    "published_at_source",
    "language",
    "region",
    "text",
}


def test_extract_json_has_the_contract_fields():
    url = "https://kalteng.antaranews.com/berita/272591/workshop-revolusi-mental"
    proc = run_pantau(
        "extract",
        str(CASES / "seed-003.html"),
        "--url",
        url,
        "--format",
        "json",
        "--template",
        "antara",
    )
    assert proc.returncode == 0, proc.stderr
    obj = json.loads(proc.stdout)
    assert REQUIRED <= obj.keys()
    assert (
        obj["title"]
        == "Workshop Revolusi Mental Digelar Untuk Bangun Pelayanan Publik ASN Sukamara"
    )
    assert obj["published_at"].startswith("2016-12-06")
    assert obj["published_at_source"] in {"metadata", "jsonld"}
    assert obj["language"] == "id"
    assert "(Foto Antara Kalteng/Gusti Jainal)" not in obj["text"]


def test_extract_explain_says_what_was_removed_and_why():
    proc = run_pantau("extract", str(CASES / "seed-002.html"), "--format", "json", "--explain")
    assert proc.returncode == 0, proc.stderr
    obj = json.loads(proc.stdout)
    removed = obj["removed"]
    assert removed and all(r["rule"] and r["text"] for r in removed)
    assert any("Jumat, September 20, 2024" in r["text"] for r in removed)  # the "today" widget
    assert any(r["text"].startswith("Artikel Terkait") for r in removed)
    assert obj["text"].count("Aparatur sipil negara (ASN) berbudaya") == 1


def test_extract_text_format_and_missing_file(tmp_path: Path):
    proc = run_pantau("extract", str(CASES / "seed-000.html"))
    assert proc.returncode == 0 and proc.stdout.startswith("Title:")
    missing = run_pantau("extract", str(tmp_path / "nope.html"))
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_extract_of_a_listing_page_is_not_an_article():
    listing = ROOT / "tests" / "extraction" / "nonarticle"
    page = sorted(listing.glob("*.html"))[0]
    proc = run_pantau("extract", str(page), "--url", "https://www.example.co.id/")
    assert proc.returncode == 1
    assert "no article" in proc.stderr


def test_usage_errors_exit_2():
    assert run_pantau("frobnicate").returncode == 2
    assert run_pantau("search").returncode == 2
