"""Site templates: article URL rules, single-page views and multi-page articles, on real pages."""

from __future__ import annotations

import pytest

from pantau.pipeline.htmlcodec import decode_html
from pantau.spiders.templates import get_template
from tests.conftest import corpus_file

TRIBUN = (
    "https://solo.tribunnews.com/2020/10/09/"
    "protokol-kesehatan-3m-adalah-vaksin-terbaik-cegah-covid-19-simak-penjelasan-dokter"
)
MERDEKA = (
    "https://www.merdeka.com/jabar/"
    "5-penyebab-pusing-setelah-makan-dan-cara-mencegahnya-perlu-diketahui-kln.html"
)
ZONA = (
    "https://zonajakarta.pikiran-rakyat.com/internasional/pr-18808737/"
    "walau-kena-covid-19-donald-trump-masih-berbahaya-karena-disampingnya-ada-pemicu-kiamat-dunia"
)


def page(name: str) -> str:
    return decode_html(corpus_file(name).read_bytes())[0]


@pytest.mark.parametrize(
    ("template", "url", "article"),
    [
        ("tribun", TRIBUN, True),
        ("tribun", "https://pontianak.tribunnews.com/amp/2024/01/15/pemkot-gelar-apel-asn", True),
        ("tribun", "https://pontianak.tribunnews.com/tag/asn", False),
        # a photo/video story is an article candidate; the photo/video section is an index
        ("tribun", "https://pontianak.tribunnews.com/foto/2024/01/15/galeri-apel", True),
        ("tribun", "https://pontianak.tribunnews.com/video/2024/01/15/gubernur-lantik", True),
        ("tribun", "https://pontianak.tribunnews.com/foto", False),
        ("tribun", "https://pontianak.tribunnews.com/video?page=2", False),
        ("antara", "https://kalteng.antaranews.com/foto/412300/apel-kesadaran-nasional", True),
        ("antara", "https://kalteng.antaranews.com/foto/", False),
        ("generic", "https://x.id/galeri/page/2", False),
        ("generic", "https://x.id/foto/daerah", False),
        ("generic", "https://x.id/readfoto/123456/apel-asn-pemkab", True),
        ("generic", "https://foto.x.id/read/2024/03/06/123456/apel-asn-pemkab", True),
        ("tribun", "https://pontianak.tribunnews.com/", False),
        ("antara", "https://kalteng.antaranews.com/berita/272591/workshop-revolusi-mental", True),
        ("antara", "https://kalteng.antaranews.com/terkini", False),
        ("antara", "https://kalteng.antaranews.com/tag/revolusi-mental", False),
        ("kompas", "http://regional.kompas.com/read/2015/11/04/21040031/Polres.Lhokseumawe", True),
        ("kompas", "http://regional.kompas.com/indeks", False),
        ("wordpress", "https://beritarafflesia.com/revolusi-mental-untuk-asn-modal-dasar/", True),
        ("wordpress", "https://x.id/2021/06/21/revolusi-mental/", True),
        ("wordpress", "https://x.id/?p=4412", True),
        ("wordpress", "https://beritarafflesia.com/category/pemprov/", False),
        ("wordpress", "https://beritarafflesia.com/page/2/", False),
        ("wordpress", "https://beritarafflesia.com/author/redaksi/", False),
        ("wordpress", "https://beritarafflesia.com/wp-content/uploads/a-b-c-d.jpg", False),
        ("wordpress", "https://beritarafflesia.com/?s=revolusi+mental", False),
        ("generic", "https://x.id/berita/daerah/pemkab-gelar-apel-kesadaran-nasional", True),
        ("generic", "https://x.id/read/2016/12/07/workshop-revolusi-mental/", True),
        ("generic", "https://x.id/daerah/123456/pemkab-gelar-apel", True),
        ("generic", "https://x.id/kategori/daerah", False),
        ("generic", "https://x.id/indeks?page=2", False),
        ("generic", "https://x.id/redaksi", False),
        ("detik", "https://news.detik.com/berita/d-7123456/judul-berita", True),
    ],
)
def test_article_url_rules(template: str, url: str, article: bool) -> None:
    assert get_template(template).is_article_url(url) is article


def test_configured_pattern_wins() -> None:
    t = get_template("generic", r"/artikel/\d+")
    assert t.is_article_url("https://x.id/artikel/55")
    assert not t.is_article_url("https://x.id/pemkab-gelar-apel-kesadaran-nasional-hari-ini")


def test_single_page_views() -> None:
    assert get_template("tribun").single_page_url(TRIBUN + "?page=2") == TRIBUN + "?page=all"
    assert (
        get_template("kompas").single_page_url("http://a.kompas.com/read/x").endswith("?page=all")
    )
    assert get_template("wordpress").single_page_url("https://x.id/a-b-c-d/") is None


def test_tribun_page_links_on_real_page() -> None:
    assert get_template("tribun").article_page_urls(page("tribunsolo-1.html"), TRIBUN) == [
        TRIBUN + "?page=2"
    ]


def test_merdeka_relative_page_links_in_order() -> None:
    pages = get_template("generic").article_page_urls(page("merdeka-1.html"), MERDEKA)
    assert pages == [f"{MERDEKA}?page={n}" for n in (2, 3, 4)]


def test_page_two_of_three_gives_the_rest_in_order() -> None:
    pages = get_template("generic").article_page_urls(
        page("pikiranrakyat-zonajakarta-1.html"), ZONA + "?page=2"
    )
    assert pages == [ZONA + "?page=2", ZONA + "?page=3"]


def test_wordpress_nextpage_links() -> None:
    html = """<body><article><p>Isi halaman satu.</p>
      <div class="page-links">Halaman: <span>1</span>
      <a href="https://x.id/pemkab-gelar-apel-asn/2/" class="post-page-numbers">2</a>
      <a href="https://x.id/pemkab-gelar-apel-asn/3/" class="post-page-numbers">3</a></div>
      <a href="https://x.id/berita-lain-yang-berbeda/2/">Berita lain</a></article></body>"""
    assert get_template("wordpress").article_page_urls(
        html, "https://x.id/pemkab-gelar-apel-asn/"
    ) == [
        "https://x.id/pemkab-gelar-apel-asn/2/",
        "https://x.id/pemkab-gelar-apel-asn/3/",
    ]


def test_one_page_article_has_no_pages() -> None:
    url = "https://beritamanado.com/forkopimda-mitra-koordinasikan-penanganan-covid-19-dan-keamanan-kebun-raya-megawati/"
    assert get_template("wordpress").article_page_urls(page("beritamanado-1.html"), url) == []


def test_search_urls() -> None:
    wp = get_template("wordpress").search_urls("https://x.id/", "revolusi mental", None)
    assert ("https://x.id/?s=revolusi+mental&feed=rss2", "feed") in wp
    assert ("https://x.id/?s=revolusi+mental", "search") in wp
    generic = get_template("generic").search_urls(
        "https://x.id/", "revolusi mental", "https://x.id/cari?q={query}"
    )
    assert generic == [("https://x.id/cari?q=revolusi+mental", "search")]
