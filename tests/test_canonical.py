"""URL canonicalisation on the AMP/canonical pairs real Indonesian pages declare."""

from __future__ import annotations

import re

import pytest

from pantau.pipeline.canonical import (
    canonicalize_url,
    registrable_domain,
    strip_tracking,
    variant_urls,
)
from tests.conftest import corpus_file


def _link(html: str, rel: str) -> str:
    m = re.search(rf'<link[^>]*rel="{rel}"[^>]*href="([^"]+)"', html)
    assert m, rel
    return m.group(1)


@pytest.mark.parametrize(
    "page", ["tribunsolo-1.html", "beritamanado-1.html", "pikiranrakyat-zonajakarta-1.html"]
)
def test_amphtml_of_real_pages_maps_to_their_canonical(page: str) -> None:
    html = corpus_file(page).read_text(encoding="utf-8", errors="replace")
    amp = _link(html, "amphtml")
    canonical = re.search(r'rel="canonical"[^>]*href="([^"]+)"', html)
    assert amp != (canonical.group(1) if canonical else None)
    want = canonical.group(1) if canonical else amp.replace("/amp/", "/")
    assert canonicalize_url(amp) == canonicalize_url(want)


def test_mobile_amp_host_and_path_segment() -> None:
    assert (
        canonicalize_url("https://m.merdeka.com/amp/jatim/cuma-ada-di-pamekasan.html")
        == "https://www.merdeka.com/jatim/cuma-ada-di-pamekasan.html"
    )
    # a deeper mobile host keeps its section
    assert canonicalize_url("http://m.news.detik.com/d-123/x") == "http://news.detik.com/d-123/x"


def test_amp_inside_a_slug_is_not_a_variant() -> None:
    url = "https://www.merdeka.com/gaya/hedy-lamarr-bintang-hollywood-amp-penemu.html"
    assert canonicalize_url(url) == url


def test_tracking_page_params_fragment_case_and_port() -> None:
    got = canonicalize_url(
        "HTTPS://WWW.Example.CO.ID:443/Berita/Satu?utm_source=fb&b=2&fbclid=x&a=1&gclid=y"
        "&page=2#komentar"
    )
    assert got == "https://www.example.co.id/Berita/Satu?a=1&b=2"
    assert canonicalize_url("https://x.id/a?page=all") == "https://x.id/a"
    assert canonicalize_url("https://x.id/a?amp=1") == "https://x.id/a"
    assert canonicalize_url("http://x.id:8080/a") == "http://x.id:8080/a"
    # WordPress post ids are content, not tracking
    assert canonicalize_url("https://x.id/?p=123") == "https://x.id/?p=123"


def test_idempotent() -> None:
    for url in [
        "https://m.merdeka.com/amp/jatim/x.html?utm_medium=a",
        "https://beritamanado.com/forko/amp/",
        "https://solo.tribunnews.com/amp/2020/10/09/slug?page=all",
    ]:
        once = canonicalize_url(url)
        assert canonicalize_url(once) == once


def test_variants_cover_www_slash_and_scheme() -> None:
    v = variant_urls("http://beritarafflesia.com/revolusi-mental/?utm_source=x")
    assert v[0] == "http://beritarafflesia.com/revolusi-mental/"
    assert "https://www.beritarafflesia.com/revolusi-mental" in v
    assert len(v) == len(set(v))


def test_strip_tracking_keeps_everything_else() -> None:
    url = "http://m.x.id/berita/1/slug?utm_source=a&id=3#top"
    assert strip_tracking(url) == "http://m.x.id/berita/1/slug?id=3"
    assert strip_tracking("http://x.id/a?b=1") == "http://x.id/a?b=1"


@pytest.mark.parametrize(
    "url,expected",
    [
        ("https://regional.kompas.com/read/2024/03/04/x", "kompas.com"),
        ("https://web.pemda.go.id/berita/1", "pemda.go.id"),
        ("https://diskominfo.kedirikab.go.id/baca/1", "kedirikab.go.id"),
        ("http://news.example.co.id/a", "example.co.id"),
        ("https://desa.sukamaju.desa.id/", "sukamaju.desa.id"),
        ("https://m.beritasatu.com:8443/x", "beritasatu.com"),
        ("https://www.bbc.co.uk/news", "bbc.co.uk"),  # any public suffix, not only .id ones
        ("https://lampung.antaranews.com", "antaranews.com"),
        ("http://127.0.0.1:8123/berita/1", "127.0.0.1"),
        ("http://localhost:8000/", "localhost"),
        ("kompas.com", "kompas.com"),
        ("", ""),
    ],
)
def test_registrable_domain(url: str, expected: str) -> None:
    assert registrable_domain(url) == expected


def test_one_registrable_domain_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Spider templates and extraction share one function; its suffix list is the snapshot
    shipped with tldextract: no network, no cache file."""
    import socket

    import pantau.pipeline.extract
    import pantau.spiders.templates
    from pantau.pipeline.canonical import _registrable_labels, _suffix_list

    assert pantau.spiders.templates.registrable_domain is registrable_domain
    assert pantau.pipeline.extract.registrable_domain is registrable_domain

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the suffix list must not be fetched")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    _suffix_list.cache_clear()
    _registrable_labels.cache_clear()
    assert registrable_domain("https://berita.bandungbaratkab.go.id/x") == "bandungbaratkab.go.id"
    assert tuple(_suffix_list().suffix_list_urls) == ()
