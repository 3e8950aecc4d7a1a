"""Decoding bodies: header, meta, then the byte-wise UTF-8 test; never mojibake."""

from __future__ import annotations

from spiders.charset import decode_html
from tests.conftest import corpus_file

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
