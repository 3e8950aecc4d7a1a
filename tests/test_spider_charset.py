"""Decoding bodies: header, meta, then the byte-wise UTF-8 test; never mojibake."""

from __future__ import annotations

from pathlib import Path

import pytest

from pantau.pipeline.htmlcodec import decode_html
from tests.conftest import corpus_file
from tests.faultweb import relabel_charset
from tests.test_spider_crawl import (  # the scripted server and crawl helpers
    HTML,
    ROBOTS,
    article_html,
    crawl,
    home_html,
    server,  # noqa: F401 - a fixture
    source,
    write_config,
)

TEXT = "Gubernur: “ASN harus bersih” — café, naïve"


def test_utf8_as_declared() -> None:
    assert decode_html(TEXT.encode("utf-8"), "text/html; charset=UTF-8")[0] == TEXT


def test_windows1252_mislabelled_as_utf8() -> None:
    text, used = decode_html(TEXT.encode("cp1252"), "text/html; charset=utf-8")
    assert text == TEXT
    assert "â€" not in text and "\ufffd" not in text
    assert used != "utf-8"


def test_meta_charset_wins_over_lying_header() -> None:
    body = ('<html><head><meta charset="windows-1252"></head><body>' + TEXT).encode("cp1252")
    text, used = decode_html(body, "text/html; charset=UTF-8")
    assert TEXT in text and used == "cp1252"


def test_utf8_under_a_latin1_label() -> None:
    text, _ = decode_html(TEXT.encode("utf-8"), "text/html; charset=ISO-8859-1")
    assert text == TEXT


def test_mixed_page_keeps_both_parts() -> None:
    body = TEXT.encode("utf-8") + " | Pojok “opini”".encode("cp1252")
    text, _ = decode_html(body, "text/html; charset=utf-8")
    assert text == TEXT + " | Pojok “opini”"


def test_no_label_at_all() -> None:
    assert decode_html(TEXT.encode("cp1252"), None)[0] == TEXT
    assert decode_html(TEXT.encode("utf-8"), None)[0] == TEXT


def test_bom_and_real_page() -> None:
    assert (
        decode_html(b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "text/html; charset=cp1252")[0] == TEXT
    )
    html, used = decode_html(corpus_file("beritamanado-1.html").read_bytes(), "text/html")
    assert used == "utf-8" and "Forkopimda" in html


# --------------------------------------------------------------------------- strange labels
# Python's codec registry knows names that are no text encoding (hex, base64, zlib ...) or that
# no page is written in (undefined, idna): a label naming one must count as no label, never
# raise inside a spider callback and lose the page.

STRANGE = ["hex", "base64", "rot13", "zlib", "undefined", "bz2", "uu", "quopri", "idna"]
PAGE = corpus_file("beritamanado-1.html").read_bytes()  # real page, meta says UTF-8
PAGE_TEXT = PAGE.decode("utf-8")


@pytest.mark.parametrize("label", STRANGE)
def test_strange_header_label_falls_back_to_meta(label: str) -> None:
    text, used = decode_html(PAGE, f"text/html; charset={label}")
    assert (text, used) == (PAGE_TEXT, "utf-8")


@pytest.mark.parametrize("label", STRANGE)
def test_strange_labels_everywhere_fall_back_to_detection(label: str) -> None:
    page = relabel_charset(PAGE_TEXT, label)
    assert f"charset={label}" in page
    for codec in ("utf-8", "cp1252"):  # the page has “ ” – ©: right either way, no mojibake
        text, _ = decode_html(page.encode(codec), f"text/html; charset={label}")
        assert text == page


def test_utf16_label_over_single_byte_markup_is_a_lie() -> None:
    page = relabel_charset(PAGE_TEXT, "utf-16")
    assert decode_html(page.encode("utf-8"), "text/html")[0] == page
    assert decode_html(page.encode("utf-8"), "text/html; charset=utf-16")[0] == page
    # a real UTF-16 body (no BOM) is still read as declared
    assert decode_html(TEXT.encode("utf-16-le"), "text/html; charset=utf-16-le")[0] == TEXT


# --------------------------------------------------------------------------- one decoder


def test_extraction_decodes_bytes_as_the_crawl_does() -> None:
    """`pantau extract FILE` and the crawl read the same bytes the same way (no header)."""
    import pantau.pipeline.extract

    lying_meta = relabel_charset(PAGE_TEXT, "windows-1252").encode("utf-8")
    for body in (PAGE, PAGE_TEXT.encode("cp1252"), lying_meta, TEXT.encode("cp1252")):
        assert pantau.pipeline.extract.decode_html(body) == decode_html(body, None)[0]
    # the UTF-8 text under a windows-1252 meta is read as declared without a header, and as
    # UTF-8 with the header the pipeline stores beside it: what reextract relies on
    stored = "text/html; charset=utf-8"
    assert pantau.pipeline.extract.decode_html(lying_meta, stored) == lying_meta.decode("utf-8")


# --------------------------------------------------------------------------- in a real crawl


@pytest.mark.slow
def test_strange_labels_lose_no_article_in_a_crawl(tmp_path: Path, server) -> None:  # noqa: F811
    """Header and meta labels that name no text codec: every page, and every page of a
    multi-page article, is still decoded and stored (they raised in the callback before)."""
    real = "/berita/daerah/forkopimda-mitra-koordinasikan-penanganan-covid"
    multi = "/berita/daerah/pemkab-gelar-apel-kesadaran-nasional"
    pager = f"<div class='paging'><a href='{multi}?page=2'>2</a></div>"
    page2 = "<p>Halaman dua: “ASN harus bersih” — café.</p>"
    routes = {
        "/robots.txt": ROBOTS,
        "/": (200, HTML, home_html([real, multi])),
        # a real page: header says hex, meta says zlib, the bytes are windows-1252
        real: (
            200,
            {"Content-Type": "text/html; charset=hex"},
            relabel_charset(PAGE_TEXT, "zlib").encode("cp1252"),
        ),
        multi: (
            200,
            {"Content-Type": "text/html; charset=base64"},
            article_html(TEXT, extra=pager),
        ),
        f"{multi}?page=2": (
            200,
            {"Content-Type": "text/html; charset=undefined"},
            article_html("Dua", page2).decode().encode("cp1252"),
        ),
    }
    srv = server(routes)
    cfg = write_config(tmp_path, [source("aneh", srv.base)])
    result = crawl(tmp_path, cfg, "aneh")  # asserts no Traceback in the log
    by_url = {a["url"]: a for a in result.articles()}
    assert set(by_url) == {srv.base + real, srv.base + multi}
    assert "Kebun Raya Megawati Soekarnoputri" in by_url[srv.base + real]["html"]
    assert "Ratatotok – Pemerintah Kabupaten" in by_url[srv.base + real]["html"]
    assert TEXT in by_url[srv.base + multi]["html"]
    (extra,) = by_url[srv.base + multi]["extra_pages"]
    assert page2 in extra
