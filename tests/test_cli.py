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


NONARTICLE = ROOT / "tests" / "extraction" / "nonarticle"
TAG_URL = "https://news.detik.com/berita/d-7000001/pemkab-gelar-apel-revolusi-mental-asn"


def test_extract_explain_on_a_rejection_says_why_in_plain_words():
    """A detik tag page, even under an article-shaped URL: the decision, then each signal."""
    proc = run_pantau(
        "extract", str(NONARTICLE / "detik-tag-1.html"), "--url", TAG_URL, "--explain"
    )
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("rejected: listing page, not an article (classifier): ")
    assert len(lines[0]) > len("rejected: listing page, not an article (classifier): ") + 10
    assert lines[1] == "  decided by: classifier"
    signals = [line.strip().split(": ", 1) for line in lines[2:]]
    assert len(signals) >= 3 and all(len(s) == 2 and s[0] and s[1] for s in signals)
    assert "no article" in proc.stderr and "listing" in proc.stderr


def test_extract_rejection_as_json_and_without_explain():
    proc = run_pantau(
        "extract", str(NONARTICLE / "kompas-home-1.html"), "--url", TAG_URL, "--format", "json"
    )
    assert proc.returncode == 1
    obj = json.loads(proc.stdout)
    assert obj["rejected"] is True and obj["kind"] == "listing" and obj["url"] == TAG_URL
    assert obj["reason"].strip() and obj["stage"] == "classifier"
    assert isinstance(obj["signals"], dict) and len(obj["signals"]) >= 3
    plain = run_pantau("extract", str(NONARTICLE / "kompas-home-1.html"), "--url", TAG_URL)
    assert plain.returncode == 1 and plain.stdout == ""
    assert (
        plain.stderr.strip()
        == f"pantau: no article on this page: rejected as listing: {obj['reason']}"
    )


def test_extract_explain_on_a_page_without_a_body(tmp_path: Path):
    """A real article's page whose body never arrived: the extraction stage rejects it."""
    import lxml.html

    tree = lxml.html.fromstring((CASES / "kapanlagi-1.html").read_bytes())
    body = tree.find("body")
    for child in list(body):
        body.remove(child)
    page = tmp_path / "shell.html"
    page.write_bytes(lxml.html.tostring(tree, encoding="utf-8"))
    proc = run_pantau("extract", str(page), "--url", TAG_URL, "--explain")
    assert proc.returncode == 1
    assert proc.stdout.startswith("rejected: no usable article body (extraction): ")
    assert "  decided by: extraction" in proc.stdout.splitlines()
    assert "rejected as not-article" in proc.stderr
