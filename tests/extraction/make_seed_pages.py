"""Build the seed articles' pages (tests/extraction/cases/seed-*.html) from ../shared/seeds.

The five seed .txt files are text copied off their pages. Each page is rebuilt here in the
markup family of a real corpus template (WordPress portal, Antara, Tribun, a Kalteng daily on the
Newspaper theme) with the furniture the copied text shows, so extraction is tested on HTML, and
the fixture web can serve the same pages. The output is committed; `make fixtures` rebuilds it
and tests/test_fixtures_rebuild.py checks that a rebuild gives the committed files byte for byte:

    .venv/bin/python tests/extraction/make_seed_pages.py [--out DIR] [--shared DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root
from pantau.sample_sites._toolkit import cli, esc, seed_path

OUT = Path(__file__).parent / "cases"


def paras(ps: list[str]) -> str:
    """<p> per item, unescaped: the seed texts hold no markup characters (kept as first built)."""
    return "\n".join(f"<p>{p}</p>" for p in ps)


def wordpress(
    *, title, url, site, date_iso, cats, views, body_html, related_box, region_sidebar
) -> str:
    return f"""<!DOCTYPE html>
<html lang="id-ID">
<head>
<meta charset="UTF-8">
<title>{esc(title)} - {esc(site)}</title>
<link rel="canonical" href="{url}">
<meta property="og:locale" content="id_ID">
<meta property="og:type" content="article">
<meta property="og:title" content="{esc(title)} - {esc(site)}">
<meta property="og:url" content="{url}">
<meta property="og:site_name" content="{esc(site)}">
<meta property="article:published_time" content="{date_iso}">
<script type="application/ld+json">{{"@context":"https://schema.org","@graph":[{{"@type":"WebSite","name":"{esc(site)}"}},{{"@type":"Article","headline":"{esc(title)}","datePublished":"{date_iso}","author":{{"@type":"Person","name":"Redaksi"}}}}]}}</script>
</head>
<body class="post-template-default single single-post">
<div class="jeg_viewport">
<header class="jeg_header"><div class="jeg_topbar"><div class="jeg_top_date">Selasa, 9 Juli 2024</div></div>
<div class="jeg_logo"><a href="/">{esc(site)}</a></div>
<nav class="jeg_main_menu"><ul><li><a href="/category/pemprov/">Pemprov</a></li><li><a href="/category/daerah/">Daerah</a></li><li><a href="/category/politik/">Politik</a></li></ul></nav>
</header>
<div class="jeg_main"><div class="jeg_container"><div class="jeg_content">
<div class="jeg_inner_content">
<div class="entry-header">
<div class="jeg_meta_category">{"".join(f'<a href="/category/{c.lower()}/" rel="category tag">{c}</a>' for c in cats)}</div>
<h1 class="jeg_post_title">{esc(title)}</h1>
<div class="jeg_meta_container"><div class="jeg_post_meta"><div class="jeg_meta_date"><a href="{url}">{date_iso[:10]}</a></div><div class="jeg_meta_views">{views}</div></div></div>
</div>
<div class="jeg_share_top_container"><div class="jeg_share_button"><a href="#" class="jeg_btn-facebook">Share</a><a href="#" class="jeg_btn-twitter">Tweet</a></div></div>
<div class="entry-content no-share">
<div class="content-inner">
{body_html}
</div>
</div>
<div class="jeg_share_bottom_container"><div class="jeg_share_button share-bottom"><a href="#">Share</a></div></div>
{related_box}
<div id="comments" class="comment-respond"><h3 id="reply-title" class="comment-reply-title">Tinggalkan Balasan</h3>
<form action="/wp-comments-post.php" method="post"><p class="comment-notes">Alamat email Anda tidak akan dipublikasikan.</p><textarea name="comment"></textarea><input type="submit" value="Kirim Komentar"></form></div>
</div>
</div>
<div class="jeg_sidebar"><div class="widget"><h3 class="widget-title">Terpopuler</h3><ul>{region_sidebar}</ul></div></div>
</div></div>
<footer class="jeg_footer"><p>© 2021 {esc(site)}. All Rights Reserved.</p></footer>
</div>
</body>
</html>
"""


def seed_000(lines: list[str]) -> str:
    body = [
        "Bengkulu, (Beritarafflesia.com)  Gubernur Bengkulu Rohidin Mersyah menyampaikan bahwa road map reformasi birokrasi merupakan salah satu program yang mendapat prioritas utama.",
        "Revolusi mental yang dimaksud ujar Rohidin, untuk pelayanan publik bagi Apratur Sipil Negara (ASN) dalam konteks birokrasi.",
        lines[0],
    ]
    related = lambda t, slug: (  # noqa: E731
        f'<div class="jnews_inline_related_post_wrapper"><p><strong>Baca Juga</strong>&nbsp; '
        f'<a href="https://beritarafflesia.com/{slug}/">{t}</a></p></div>'
    )
    html_body = paras(body[:3])
    html_body += related(
        "Asisten II Setda Provinsi Bengkulu Hadiri Sertijab Kepala Disperindag",
        "asisten-ii-sertijab",
    )
    html_body += paras(lines[1:3])
    # the second and third "Baca Juga" as the plain inline paragraphs many WP sites print
    html_body += (
        '<p><strong>Baca Juga</strong>&nbsp; <a href="https://beritarafflesia.com/hadapi-cuaca-ekstrem/">'
        "Hadapi Cuaca Ekstrem, Pemprov Bengkulu Perkuat Mitigasi Teknis dan Langit</a></p>"
    )
    html_body += paras(lines[3:5])
    html_body += (
        '<p><strong>Baca Juga</strong>&nbsp; <a href="https://beritarafflesia.com/hadapi-cuaca-ekstrem/">'
        "Hadapi Cuaca Ekstrem, Pemprov Bengkulu Perkuat Mitigasi Teknis dan Langit</a></p>"
    )
    html_body += paras(lines[5:])
    return wordpress(
        title="Revolusi Mental Untuk ASN Modal Dasar Birokrasi Bersih dan Akuntabel",
        url="https://beritarafflesia.com/revolusi-mental-untuk-asn-modal-dasar-birokrasi-bersih-dan-akuntabel/",
        site="Beritarafflesia.com",
        date_iso="2021-06-21T15:12:00+07:00",
        cats=["Bengkulu", "Pemprov"],
        views="331 Dilihat",
        body_html=html_body,
        related_box="",
        region_sidebar='<li><a href="/gubernur-rohidin-lantik-pejabat/">Gubernur Rohidin Lantik Pejabat Eselon II di Balai Raya Semarak</a></li>',
    )


def seed_001(lines: list[str]) -> str:
    related = (
        '<div class="jnews_related_post_container"><div class="jeg_postblock">'
        '<div class="jeg_block_heading"><h3 class="jeg_block_title"><span>Berita Terkait</span></h3></div>'
        '<div class="jeg_posts"><article class="jeg_post"><h3 class="jeg_post_title">'
        '<a href="/hengky-lantik-pejabat-kbb/">Hengky Lantik Puluhan Pejabat Pemkab Bandung Barat</a></h3></article>'
        '<article class="jeg_post"><h3 class="jeg_post_title"><a href="/jumat-bersih-kbb/">'
        "Jumat Bersih, ASN KBB Turun ke Jalan</a></h3></article></div></div></div>"
    )
    return wordpress(
        title="Revolusi Mental ASN Harus Berdarah Daging di Bandung Barat",
        url="https://jabarekspres.com/berita/2022/12/30/revolusi-mental-asn-harus-berdarah-daging-di-bandung-barat/",
        site="Jabar Ekspres",
        date_iso="2022-12-30T17:40:00+07:00",
        cats=["Bandung Barat"],
        views="1.204 Dilihat",
        body_html=paras(lines),
        related_box=related,
        region_sidebar='<li><a href="/persib-menang/">Persib Menang Tipis atas Persija di Stadion GBLA</a></li>',
    )


def seed_002(lines: list[str]) -> str:
    """Kalteng daily on the Newspaper (tagDiv) theme: today/weather widget, body printed twice."""
    body = []
    for p in lines:
        if p.startswith("Baca Juga"):
            title = p.split(":", 1)[1].strip()
            body.append(
                '<div class="td_block_wrap tdb_single_related"><p><strong>Baca Juga :</strong>&nbsp; '
                f'<a href="https://kaltengpos.jawapos.com/{title.lower().replace(" ", "-")[:40]}/">{title}</a></p></div>'
            )
        else:
            body.append(f"<p>{p}</p>")
    body_html = "\n".join(body)
    title = "Wujudkan Revolusi Mental di Pemprov Kalteng"
    url = "https://kaltengpos.jawapos.com/pemerintahan/wujudkan-revolusi-mental-di-pemprov-kalteng/"
    return f"""<!DOCTYPE html>
<html lang="id-ID">
<head>
<meta charset="UTF-8">
<title>{title} | Kalteng Pos</title>
<link rel="canonical" href="{url}">
<meta property="og:type" content="article">
<meta property="og:title" content="{title}">
<meta property="og:site_name" content="Kalteng Pos">
<meta property="og:url" content="{url}">
</head>
<body class="post-template-default single td-standard-pack">
<div class="td-header-wrap">
 <div class="td-header-top-menu">
  <div class="td_data_time"><div>Jumat, September 20, 2024</div></div>
  <div class="td-weather-top-widget"><div class="td-weather-now"><span class="td-big-degrees">29.1</span><span class="td-weather-unit">C</span></div><div class="td-weather-header"><div class="td-weather-city">Palangkaraya</div></div></div>
 </div>
 <div class="td-header-menu-wrap"><ul class="sf-menu"><li><a href="/pemerintahan/">Pemerintahan</a></li><li><a href="/hukum-kriminal/">Hukum &amp; Kriminal</a></li></ul></div>
</div>
<div class="td-main-content-wrap">
<div class="td-ss-main-content">
<article class="post type-post">
<div class="td-post-header"><ul class="td-category"><li><a class="td-post-category" href="/pemerintahan/">Pemerintahan</a></li></ul>
<header class="td-post-title"><h1 class="entry-title">{title}</h1>
<div class="td-module-meta-info"><div class="td-post-author-name">Oleh <a href="/author/redaksi/">Redaksi</a></div><span class="td-post-views">412</span></div></header></div>
<div class="td-post-content tagdiv-type">
{body_html}
</div>
<div class="td-post-source-tags"><ul class="td-tags"><li><span>TAGS</span></li><li><a href="/tag/revolusi-mental/">revolusi mental</a></li></ul></div>
<div class="td-post-sharing-bottom"><a class="td-social-sharing-button">Facebook</a><a class="td-social-sharing-button">Twitter</a></div>
</article>
<div class="td-post-content td-print-version">
{body_html}
</div>
<div class="td_block_wrap td_block_related_posts"><h4 class="td-related-title"><a class="td-related-left td-cur-simple-item">Artikel Terkait</a></h4>
<div class="td_module_related_posts"><h3 class="entry-title td-module-title"><a href="/kalteng-vaksinasi/">Kalteng Genjot Vaksinasi ASN dan Pelayan Publik</a></h3></div></div>
</div>
<div class="td-pb-span4 td-main-sidebar">
<div class="td_block_wrap td_block_popular"><h4 class="block-title"><span>Terpopuler</span></h4><div class="td_module_6"><h3><a href="/banjir-katingan/">Banjir Rendam Puluhan Rumah di Katingan</a></h3></div></div>
<div class="td_block_wrap td_block_latest"><h4 class="block-title"><span>Artikel Terbaru</span></h4><div class="td_module_6"><h3><a href="/harga-karet/">Harga Karet Petani Naik Lagi</a></h3></div></div>
</div>
</div>
<div class="td-footer-wrapper"><div class="td-footer-copy">/ © Kalteng Pos</div></div>
</body>
</html>
"""


def seed_003(lines: list[str]) -> str:
    """kalteng.antaranews.com, the Antara regional template of the 2016 era."""
    title = "Workshop Revolusi Mental Digelar Untuk Bangun Pelayanan Publik ASN Sukamara"
    url = "https://kalteng.antaranews.com/berita/260912/workshop-revolusi-mental-digelar-untuk-bangun-pelayanan-publik-asn-sukamara"
    caption = (
        "Bupati Sukamara H Ahmad Dirman (kanan) menyerahkan secara simbolis SK ASN kepada CASN "
        "yang diambil sumpah janji. (Foto Antara Kalteng/Gusti Jainal)"
    )
    body_html = "<br /><br />".join(esc(p) for p in lines)
    return f"""<!DOCTYPE html>
<html lang="id">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<title>{title} - ANTARA News Kalimantan Tengah</title>
<meta name="description" content="Pemerintah Kabupaten Sukamara menggelar workshop revolusi mental dalam membangun karakter kepemimpinan" />
<meta name="keywords" content="id sukamara, revolusi mental, revolusi mnetal bangun pelayanan publik ASN sukamara" />
<meta property="og:type" content="article" />
<meta property="og:title" content="{title}" />
<meta property="og:url" content="{url}" />
<meta property="og:site_name" content="ANTARA News Kalimantan Tengah" />
<meta property="article:published_time" content="2016-12-06T17:56:00+07:00" />
<link rel="canonical" href="{url}" />
</head>
<body>
<div id="header"><div class="logo"><a href="https://kalteng.antaranews.com/">ANTARA Kalteng</a></div>
<ul class="menu"><li><a href="/kalteng-terkini">Kalteng Terkini</a></li><li><a href="/sampit">Sampit</a></li></ul></div>
<div class="container"><div class="row"><div class="col-md-8">
<div class="post-header">
<ol class="breadcrumb"><li><a href="/">Beranda</a></li><li><a href="/kalteng-terkini">Kalteng Terkini</a></li></ol>
<h1 class="post-title">{title}</h1>
<p class="simple-share"><i class="fa fa-clock-o"></i> Selasa, 6 Desember 2016 17:56 WIB</p>
</div>
<div class="tags-wrapper"><ul class="tags-widget"><li><a href="/tag/id-sukamara">id sukamara</a></li><li><a href="/tag/revolusi-mental">revolusi mental</a></li><li><a href="/tag/revolusi-mnetal">revolusi mnetal bangun pelayanan publik ASN sukamara</a></li></ul></div>
<header class="post-content"><figure class="image-overlay"><img src="https://img.antaranews.com/cache/730x487/2016/12/sukamara.jpg" alt="{title}" title="{title}" /></figure>
<div class="wp-caption-text"><p>{esc(caption)}</p></div></header>
<div class="post-content clearfix">
{body_html}
<br /><br /><p class="text-muted small mt10">Pewarta: Gusti Jainal<br />Editor: Ronny NT<br />COPYRIGHT © ANTARA 2016</p>
</div>
<div class="quick-share"><a href="#">Facebook</a><a href="#">Twitter</a></div>
</div>
<div class="col-md-4"><div class="widget"><h3 class="widget-title">Terpopuler</h3><ul><li><a href="/berita/260900/harga-sembako">Harga Sembako di Sampit Stabil Jelang Natal</a></li></ul></div></div>
</div></div>
<footer><p>Copyright © 2016 ANTARA</p></footer>
</body>
</html>
"""


TRIBUN_TITLE = "Kepala BPSDM: ASN Harus Miliki Nilai dan Jiwa Melayani Masyarakat"
TRIBUN_URL = (
    "https://pontianak.tribunnews.com/2019/10/07/"
    "kepala-bpsdm-asn-harus-miliki-nilai-dan-jiwa-melayani-masyarakat"
)


def tribun_page(n: int, body_ps: list[str]) -> str:
    """One page of a Tribun network article (after the tribunsolo-1 template), 'Halaman 1 2 3'."""
    excerpt = (
        "Ia mengatakan secara teoritis makna atau arti dari aparat birokrasi pemerintahan adalah "
        "civil servant, yang maknanya adalah pelayan masyarakat."
    )
    caption = (
        "Foto bersama usai pembukaan acara Pelatihan Revolusi Mental dan Pelatihan Kehumasan di "
        "Aula BPSDM Kalbar , Senin (7/10/2019),"
    )
    parts = []
    for p in body_ps:
        if p.startswith("Baca:"):
            t = p[len("Baca:") :].strip()
            slug = t.lower().replace(" ", "-").replace(",", "").replace(":", "")[:60]
            parts.append(
                f'<p class="baca"><strong>Baca: <a href="https://pontianak.tribunnews.com/2019/10/07/{slug}" '
                f'title="{esc(t)}">{esc(t)}</a></strong></p>'
            )
        else:
            parts.append(f"<p>{esc(p)}</p>")
    active = ' class="active"'
    pages = " ".join(
        f'<a href="{TRIBUN_URL}{"" if i == 1 else f"?page={i}"}"{active if i == n else ""}>{i}</a>'
        for i in (1, 2, 3)
    )
    return f"""<!DOCTYPE html>
<html lang="id">
<head>
<meta charset="UTF-8">
<title>{TRIBUN_TITLE} - Tribun Pontianak</title>
<link rel="canonical" href="{TRIBUN_URL}"/>
<meta property="og:type" content="article"/>
<meta property="og:title" content="{TRIBUN_TITLE} - Tribun Pontianak"/>
<meta property="og:site_name" content="Tribun Pontianak"/>
<meta property="og:url" content="{TRIBUN_URL}"/>
<meta name="author" content="Tribun Pontianak"/>
<meta property="article:published_time" content="2019-10-07T21:14:51+07:00"/>
<script type="application/ld+json">{{"@context":"http://schema.org","@type":"NewsArticle","headline":"{TRIBUN_TITLE}","datePublished":"2019-10-07T21:14:51+07:00","author":{{"@type":"Person","name":"Anggita Putri"}},"publisher":{{"@type":"Organization","name":"Tribun Pontianak"}}}}</script>
</head>
<body>
<div id="header"><div class="logo"><a href="https://pontianak.tribunnews.com/">TribunPontianak.co.id</a></div>
<ul class="menu"><li><a href="/kalbar">Kalbar</a></li><li><a href="/pontianak">Pontianak</a></li></ul></div>
<div class="main"><div id="article">
<div class="mb10 f16 ln24 mt5 grey"><a href="https://pontianak.tribunnews.com/topic/citizen-reporter">Citizen Reporter</a></div>
<h1 id="arttitle" class="f50 black2 f400 crimson">{TRIBUN_TITLE}</h1>
<h2 class="f16 f400 ln24 grey mt5">{excerpt}</h2>
<div class="mt10 f12 grey"><span>Senin, 7 Oktober 2019 21:14</span> <span>Penulis: Anggita Putri</span> | <span>Editor: Jamadin</span></div>
<div class="ovh imgfull_div"><img src="https://cdn-2.tstatic.net/pontianak/foto/bank/images/pelatihan-revolusi-mental.jpg" alt="{TRIBUN_TITLE}"/>
<div class="pos_abs bgwhite grey"><div class="f10 grey">TRIBUNPONTIANAK.CO.ID/ISTIMEWA</div><div class="f14">{caption}</div></div></div>
<div class="side-article txt-article">
<p><strong>Citizen Reporter</strong><br/>Humas Pemprov Kalbar, Rinto</p>
{"".join(parts)}
</div>
<div class="paging mt20 ac"><span>Halaman</span> {pages}</div>
<div class="mb20"><span>Penulis: <a href="/penulis/anggitaputri">Anggita Putri</a></span><br/><span>Editor: <a href="/editor/jamadin">Jamadin</a></span></div>
<div class="mb20 socmed"><span>Ikuti kami di</span> <a href="https://facebook.com/tribunpontianak">Facebook</a></div>
<div class="bottom-comment"><h3>KOMENTAR</h3><div class="fb-comments"></div></div>
<div class="mb20"><h3 class="f18">BERITA TERKINI</h3><ul>
<li><a href="https://pontianak.tribunnews.com/2019/10/07/guru-smk-smti">Guru SMK SMTI Pontianak Mewakili Kalbar Menjadi Finalis Lomba Keahlian Guru Tingkat Nasional</a></li>
<li><a href="https://pontianak.tribunnews.com/2019/10/07/fgd-karhutla">FGD Penanganan Karhutla dan Solusi, Kapolda: Maksimal Pembukaan Lahan 2 Hektare per KK</a></li>
</ul></div>
</div></div>
<div id="footer"><p>© 2019 TRIBUNnews.com Network,a subsidiary of KG Media.</p><p>All Right Reserved</p></div>
</body>
</html>
"""


def main() -> None:
    out = cli(__doc__, OUT)

    def body_lines(name: str) -> list[str]:
        text = seed_path(name).read_text(encoding="utf-8")
        return [ln.strip() for ln in text.splitlines() if ln.strip()]

    s0 = body_lines("000_142c9fa3561fec24.txt")
    i = s0.index(
        "“Revolusi mental dimaknai dengan adanya perubahan cara berpikir, berperilaku utama dalam birokrasi pemerintah,” ujar Rohidin pada arahannya di hadapan 120 orang ASN yang mengikuti acara Pengembangan ASN dalam Perspektif Revolusi Mental bertempat di Gedung Serba Guna Pemprov, 21/6/2021."
    )
    s0_body = [
        x
        for x in s0[i:]
        if not x.startswith("Baca Juga") and x not in ("Share", "Tinggalkan Balasan")
    ]
    (out / "seed-000.html").write_text(seed_000(s0_body), encoding="utf-8")

    s1 = body_lines("001_57a32c8282680bde.txt")
    s1_body = [x for x in s1[1:] if x not in ("Berita Terkait", "Tinggalkan Balasan")]
    (out / "seed-001.html").write_text(seed_001(s1_body), encoding="utf-8")

    s2 = body_lines("002_4160318acd4aaa77.txt")
    start = next(k for k, x in enumerate(s2) if x.startswith("PALANGKA RAYA"))
    end = next(k for k, x in enumerate(s2) if x.startswith("PALANGKA RAYA") and k > start)
    (out / "seed-002.html").write_text(seed_002(s2[start:end]), encoding="utf-8")

    s3 = body_lines("003_86b1aa17d938dc51.txt")
    start = next(k for k, x in enumerate(s3) if x.startswith("Sukamara (Antara Kalteng)"))
    (out / "seed-003.html").write_text(seed_003(s3[start:]), encoding="utf-8")

    s4 = body_lines("004_e4468d091c047cfe.txt")
    start = next(k for k, x in enumerate(s4) if x.startswith("PONTIANAK -"))
    stop = s4.index("Halaman")
    b = s4[start:stop]
    p2 = next(k for k, x in enumerate(b) if x.startswith("Dikatakannya"))
    p3 = next(k for k, x in enumerate(b) if x.startswith("Satu hal"))
    for n, chunk in enumerate((b[:p2], b[p2:p3], b[p3:]), start=1):
        (out / f"seed-004-p{n}.html").write_text(tribun_page(n, chunk), encoding="utf-8")


if __name__ == "__main__":
    main()
