"""Build the bundled fixture sites from the real corpus pages and the seed articles.

The output is committed; nothing here runs at install or run time. `make fixtures` rebuilds it
(with the other generated fixtures) and tests/test_fixtures_rebuild.py checks that a rebuild
gives the committed files byte for byte:

    .venv/bin/python pantau/sample_sites/_build.py [--out DIR] [--shared DIR]

Article pages are real page templates (corpus HTML) with the title, body, dates, metadata and
related links swapped; furniture (header, nav, share bars, related boxes, comments, footer) is
kept. Links the fixture does not host keep pointing at the original outlet (off-site), so a
crawl stays small. See README.md for what each site exercises.
"""

from __future__ import annotations

import copy
import json
import re
import sys
import zlib
from pathlib import Path

import lxml.html

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root
from pantau.sample_sites._toolkit import (  # noqa: E402
    B,
    SiteFiles,
    cli,
    corpus,
    drop,
    esc,
    id_date,
    link_rel,
    meta,
    one,
    paras,
    parse,
    robots,
    seed_lines,
    serialize,
    set_inner,
    slugify,
    urlset,
)

HERE = Path(__file__).resolve().parent

# ----------------------------------------------------------------------------- helpers


def set_title(doc, text: str) -> None:
    one(doc, "//title").text = text


def jsonld(a: dict, site_title: str, url: str) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "headline": a["title"],
        "datePublished": a["published"],
        "dateModified": a.get("modified", a["published"]),
        "author": {"@type": "Person", "name": a.get("author", "Redaksi")},
        "publisher": {"@type": "Organization", "name": site_title},
        "description": a.get("summary", ""),
        "inLanguage": "id-ID",
    }
    return (
        '<script type="application/ld+json">' + json.dumps(data, ensure_ascii=False) + "</script>"
    )


def add_head(doc, fragment: str) -> None:
    head = one(doc, "//head")
    for fr in lxml.html.fragments_fromstring(fragment):
        if not isinstance(fr, str):
            head.append(fr)


def common_head(doc, a: dict, site_title: str, *, published_meta: bool, ld: bool) -> None:
    """Swap the per-article head metadata of a corpus template for article `a`."""
    url = B + a["path"]
    set_title(doc, f"{a['title']} - {site_title}")
    drop(doc, '//script[@type="application/ld+json"]')
    drop(doc, '//meta[@http-equiv="Refresh" or @http-equiv="refresh"]')
    drop(doc, '//link[@rel="shortlink" or @rel="alternate" and contains(@type,"json")]')
    meta(doc, "name", "description", a.get("summary", ""))
    for key in ("og:title", "twitter:title"):
        meta(doc, "property" if key.startswith("og") else "name", key, a["title"])
    for key in ("og:description",):
        meta(doc, "property", key, a.get("summary", ""))
    drop(doc, '//meta[@name="twitter:description"]')
    meta(doc, "property", "og:url", url)
    meta(doc, "property", "og:site_name", site_title)
    meta(doc, "property", "og:type", "article")
    link_rel(doc, "canonical", url)
    link_rel(doc, "amphtml", B + a["amp"] if a.get("amp") else None)
    for key in ("article:published_time", "article:modified_time", "og:updated_time"):
        meta(doc, "property", key, None)
    for key in ("datePublished", "dateModified", "name", "headline", "description", "author"):
        meta(doc, "itemprop", key, None)
    if published_meta:
        meta(doc, "property", "article:published_time", a["published"])
        meta(doc, "property", "article:modified_time", a.get("modified", a["published"]))
    if ld:
        add_head(doc, jsonld(a, site_title, url))


def listing_shell(doc, content_xp: str, site_title: str) -> str:
    """A listing-page shell from an article template: the main column becomes {{LISTING}}."""
    doc = copy.deepcopy(doc)
    set_title(doc, "{{LISTING_TITLE}} - " + site_title)
    drop(doc, '//script[@type="application/ld+json"]')
    drop(doc, '//meta[starts-with(@property,"og:") or starts-with(@property,"article:")]')
    drop(doc, '//meta[@itemprop or starts-with(@name,"twitter:") or @name="description"]')
    drop(doc, '//link[@rel="canonical" or @rel="amphtml" or @rel="alternate"]')
    add_head(doc, '<meta name="x-fixture-head" content="">')
    set_inner(one(doc, content_xp), '<div id="x-fixture-listing"></div>')
    out = serialize(doc)
    out = re.sub(r'<meta name="x-fixture-head" content="">', "{{HEAD}}", out)
    return out.replace('<div id="x-fixture-listing"></div>', "{{LISTING}}")


class Site(SiteFiles):
    """A bundled site: articles are entries of site.json with the file that serves them."""

    def article(self, entry: dict, rel: str, text: str) -> None:
        self.meta["articles"].append(entry)
        self.add(rel, text)


# ============================================================================ beritarafflesia

RAFFLESIA_TITLE = "Beritarafflesia.com: Berita Terkini Bengkulu"

RAFFLESIA_OTHERS = [
    {
        "path": "/asisten-ii-setda-provinsi-bengkulu-hadiri-sertijab-kepala-disperindag/",
        "title": "Asisten II Setda Provinsi Bengkulu Hadiri Sertijab Kepala Disperindag",
        "published": "2021-06-18T10:12:00+07:00",
        "category": "pemprov",
        "author": "Redaksi",
        "tags": ["disperindag", "pemprov-bengkulu"],
        "summary": "Asisten II Setda Provinsi Bengkulu menghadiri serah terima jabatan Kepala Dinas "
        "Perindustrian dan Perdagangan.",
        "body": [
            "Bengkulu, (Beritarafflesia.com) Asisten II Setda Provinsi Bengkulu Yuliswani "
            "menghadiri serah terima jabatan (sertijab) Kepala Dinas Perindustrian dan "
            "Perdagangan (Disperindag) Provinsi Bengkulu di aula dinas tersebut, Jumat (18/6/2021).",
            "Sertijab dilakukan dari pejabat lama kepada pejabat baru yang dilantik gubernur pekan "
            "lalu. Yuliswani meminta pejabat baru segera menyesuaikan diri dengan program kerja "
            "dinas, terutama pengawasan harga bahan pokok menjelang hari besar keagamaan.",
            "\u201cKetersediaan dan harga bahan pokok harus terus dipantau bersama kabupaten dan "
            "kota. Jangan sampai ada lonjakan harga yang memberatkan masyarakat,\u201d kata Yuliswani.",
            "Ia juga meminta Disperindag memperkuat pembinaan industri kecil dan menengah agar "
            "produk lokal Bengkulu mampu bersaing di pasar yang lebih luas.",
        ],
    },
    {
        "path": "/hadapi-cuaca-ekstrem-pemprov-bengkulu-perkuat-mitigasi-teknis-dan-langit/",
        "title": "Hadapi Cuaca Ekstrem, Pemprov Bengkulu Perkuat Mitigasi Teknis dan Langit",
        "published": "2021-06-20T16:40:00+07:00",
        "category": "pemprov",
        "author": "Redaksi",
        "tags": ["cuaca-ekstrem", "bpbd"],
        "summary": "Pemprov Bengkulu menyiapkan langkah mitigasi menghadapi cuaca ekstrem.",
        "body": [
            "Bengkulu, (Beritarafflesia.com) Pemerintah Provinsi Bengkulu memperkuat langkah "
            "mitigasi menghadapi cuaca ekstrem yang diperkirakan masih terjadi hingga akhir bulan.",
            "Kepala Pelaksana BPBD Provinsi Bengkulu mengatakan, pihaknya telah memetakan "
            "daerah rawan banjir dan longsor di sepanjang daerah aliran sungai serta jalur "
            "lintas barat Sumatera.",
            "Selain mitigasi teknis berupa kesiapan alat berat, perahu karet dan logistik, "
            "pemerintah daerah juga mengajak masyarakat menggelar doa bersama. \u201cMitigasi "
            "teknis kita perkuat, mitigasi langit juga kita lakukan,\u201d ujarnya.",
            "Warga yang tinggal di bantaran sungai diimbau waspada dan segera melapor ke posko "
            "terdekat bila terjadi kenaikan debit air.",
        ],
    },
    {
        "path": "/gerakan-revolusi-mental-masuk-sekolah-di-kota-bengkulu/",
        "title": "Gerakan Revolusi Mental Masuk Sekolah di Kota Bengkulu",
        "published": "2021-06-15T09:05:00+07:00",
        "category": "pendidikan",
        "author": "Redaksi",
        "tags": ["revolusi-mental", "pendidikan"],
        "summary": "Pelajar SMP di Kota Bengkulu mengikuti sosialisasi gerakan revolusi mental.",
        "body": [
            "Bengkulu, (Beritarafflesia.com) Ratusan pelajar sekolah menengah pertama di Kota "
            "Bengkulu mengikuti sosialisasi Gerakan Nasional Revolusi Mental yang digelar Dinas "
            "Pendidikan dan Kebudayaan, Selasa (15/6/2021).",
            "Sosialisasi menekankan tiga nilai, yakni integritas, etos kerja dan gotong royong, "
            "yang dikenalkan melalui permainan, lomba poster dan cerita bergambar.",
            "\u201cRevolusi mental dimulai dari kebiasaan kecil: datang tepat waktu, antre, dan "
            "menjaga kebersihan kelas,\u201d kata seorang guru pendamping.",
            "Kegiatan serupa akan dilanjutkan ke sekolah dasar di setiap kecamatan pada tahun "
            "ajaran baru.",
        ],
    },
    {
        "path": "/pemprov-bengkulu-usulkan-formasi-pppk-tenaga-guru/",
        "title": "Pemprov Bengkulu Usulkan Formasi PPPK Tenaga Guru",
        "published": "2021-06-10T13:30:00+07:00",
        "category": "pemprov",
        "author": "Redaksi",
        "tags": ["asn", "pppk"],
        "summary": "Pemprov Bengkulu mengusulkan formasi PPPK untuk tenaga guru.",
        "body": [
            "Bengkulu, (Beritarafflesia.com) Pemerintah Provinsi Bengkulu mengusulkan formasi "
            "Pegawai Pemerintah dengan Perjanjian Kerja (PPPK) untuk tenaga guru SMA dan SMK.",
            "Kepala Badan Kepegawaian Daerah menyebut kebutuhan guru masih tinggi karena banyak "
            "ASN yang memasuki masa pensiun dalam tiga tahun terakhir.",
            "Menurutnya, penataan birokrasi kepegawaian dilakukan bertahap dengan "
            "memperhatikan kemampuan anggaran daerah.",
            "Pendaftaran seleksi direncanakan dibuka secara nasional pada pertengahan tahun.",
        ],
    },
]


def rafflesia_seed_entry() -> tuple[dict, list[str]]:
    lines = seed_lines(0)
    title = lines[0]
    body_lines = [ln for ln in lines[2:] if not ln.startswith(("Baca Juga", "Share", "Tinggalkan"))]
    entry = {
        "path": "/revolusi-mental-untuk-asn-modal-dasar-birokrasi-bersih-dan-akuntabel/",
        "title": title,
        "published": "2021-06-21T15:47:00+07:00",
        "modified": "2021-06-21T15:52:00+07:00",
        "category": "pemprov",
        "author": "Redaksi",
        "tags": ["revolusi-mental", "asn", "rohidin-mersyah"],
        "summary": "Gubernur Bengkulu Rohidin Mersyah menyampaikan road map reformasi birokrasi "
        "merupakan program prioritas utama.",
    }
    return entry, body_lines


def jnews_related(items: list[dict], heading: str = "Baca Juga") -> str:
    posts = "".join(
        f'<div class="jeg_post jeg_pl_sm format-standard"><div class="jeg_postblock_content">'
        f'<h3 class="jeg_post_title"><a href="{B}{a["path"]}">{esc(a["title"])}</a></h3>'
        f"</div></div>"
        for a in items
    )
    return (
        '<div class="jnews_inline_related_post_wrapper"><div class="jnews_inline_related_post">'
        '<div class="jeg_postblock_21 jeg_postblock jeg_module_hook jeg_pagination_disable">'
        f'<div class="jeg_block_heading jeg_block_heading_6"><h3 class="jeg_block_title"><span>'
        f"{heading}</span></h3></div>"
        f'<div class="jeg_block_container"><div class="jeg_posts">{posts}</div></div>'
        "</div></div></div>"
    )


def jnews_related_grid(items: list[dict]) -> str:
    return "".join(
        '<article class="jeg_post jeg_pl_md_5 format-standard"><div class="jeg_postblock_content">'
        f'<h3 class="jeg_post_title"><a href="{B}{a["path"]}">{esc(a["title"])}</a></h3>'
        f'<div class="jeg_post_meta"><div class="jeg_meta_date"><a href="{B}{a["path"]}">'
        f'<i class="fa fa-clock-o"></i> {id_date(a["published"])}</a></div></div></div></article>'
        for a in items
    )


WP_COMMENTS = (
    '<div class="comments-area"><div id="respond" class="comment-respond">'
    '<h3 id="reply-title" class="comment-reply-title">Tinggalkan Balasan '
    '<small><a rel="nofollow" id="cancel-comment-reply-link" href="#respond" style="display:none;">'
    "Batalkan balasan</a></small></h3>"
    '<form action="{{BASE}}/wp-comments-post.php" method="post" id="commentform" class="comment-form">'
    '<p class="comment-notes"><span id="email-notes">Alamat email Anda tidak akan dipublikasikan.'
    '</span> Ruas yang wajib ditandai <span class="required">*</span></p>'
    '<p class="comment-form-comment"><label for="comment">Komentar</label>'
    '<textarea id="comment" name="comment" cols="45" rows="8" maxlength="65525" required>'
    "</textarea></p>"
    '<p class="comment-form-author"><label for="author">Nama <span class="required">*</span>'
    '</label><input id="author" name="author" type="text" value="" size="30" required></p>'
    '<p class="comment-form-email"><label for="email">Email <span class="required">*</span>'
    '</label><input id="email" name="email" type="email" value="" size="30" required></p>'
    '<p class="form-submit"><input name="submit" type="submit" id="submit" class="submit" '
    'value="Kirim Komentar"></p></form></div></div>'
)


def rafflesia_page(tpl: str, a: dict, body_html: str, related: list[dict], views: int) -> str:
    orig = "https://beritamanado.com/forkopimda-mitra-koordinasikan-penanganan-covid-19-dan-keamanan-kebun-raya-megawati/"
    doc = parse(tpl, orig)
    common_head(doc, a, RAFFLESIA_TITLE, published_meta=True, ld=True)
    meta(doc, "property", "article:section", a["category"].title())
    meta(doc, "property", "og:image", None)
    drop(doc, '//meta[starts-with(@property,"og:image")]')
    one(doc, '//h1[contains(@class,"jeg_post_title")]').text = a["title"]
    author = one(doc, '//div[contains(@class,"jeg_meta_author")]/a')
    author.text = a["author"]
    author.set("href", f"{B}/author/redaksi/")
    date = one(
        doc, '//div[contains(@class,"entry-header")]//div[contains(@class,"jeg_meta_date")]/a'
    )
    date.text = id_date(a["published"])
    date.set("href", B + a["path"])
    set_inner(
        one(doc, '//div[@class="meta_right"]'),
        '<div class="jeg_meta_category"><span><span class="meta_text">in</span> '
        f'<a href="{B}/kategori/{a["category"]}/" rel="category tag">Bengkulu, '
        f"{esc(a['category'].title())}</a></span></div>"
        f'<div class="jeg_meta_views"><i class="fa fa-eye"></i> {views} Dilihat</div>',
    )
    crumbs = one(doc, '//div[@id="breadcrumbs"]')
    set_inner(
        crumbs,
        f'<span><a href="{B}/">Home</a></span><i class="fa fa-angle-right"></i>'
        f'<span class="breadcrumb_last_link"><a href="{B}/kategori/{a["category"]}/">'
        f"{esc(a['category'].title())}</a></span>",
    )
    inner = one(doc, '//div[contains(@class,"content-inner")]')
    for child in list(inner):
        if child.tag == "p" or "jeg_ad" in (child.get("class") or ""):
            inner.remove(child)
    top_share = inner[0]
    frag = lxml.html.fragments_fromstring(body_html)
    pos = inner.index(top_share) + 1
    for k, fr in enumerate(x for x in frag if not isinstance(x, str)):
        inner.insert(pos + k, fr)
    tags = "".join(
        f'<a href="{B}/tag/{t}/" rel="tag">{esc(t.replace("-", " ").title())}</a>'
        for t in a["tags"]
    )
    inner.insert(
        pos + len(frag),
        lxml.html.fragment_fromstring(
            f'<div class="jeg_post_tags"><span>Tags:</span> {tags}</div>'
        ),
    )
    set_inner(
        one(doc, '//div[contains(@class,"jeg_posts") and contains(@class,"jeg_load_more_flag")]'),
        jnews_related_grid(related),
    )
    set_inner(one(doc, '//div[@class="jnews_comment_container"]'), WP_COMMENTS)
    for el in doc.xpath(
        '//a[@href="https://beritamanado.com/" or @href="https://beritamanado.com"]'
    ):
        el.set("href", B + "/")
    out = serialize(doc)
    return out.replace("BeritaManado.com: Berita Terkini Manado, Sulawesi Utara", RAFFLESIA_TITLE)


def build_rafflesia() -> Site:
    site = Site(
        "beritarafflesia",
        title="Beritarafflesia.com",
        description="Berita Terkini Bengkulu",
        template="wordpress",
        region="Bengkulu",
        language="id",
        last_modified="2021-06-21T16:00:00+07:00",
        feeds=[f"{B}/feed/"],
        sitemaps=[f"{B}/wp-sitemap.xml"],
        listings=[f"{B}/kategori/pemprov/"],
        search_url=f"{B}/?s={{query}}",
        article_url_pattern=r"^https?://[^/]+/[a-z0-9-]+/$",
        listing_shell="_listing_shell.html",
    )
    tpl = corpus("beritamanado-1.html")
    entry, body_lines = rafflesia_seed_entry()
    others = RAFFLESIA_OTHERS
    sertijab, cuaca = others[0], others[1]
    # Body: paragraphs of the seed with the JNews inline "Baca Juga" blocks where the seed has
    # them, and the dateline in <strong> as the theme prints it.
    out = []
    for k, ln in enumerate(body_lines):
        if k == 0:
            dl, rest = ln.split(")", 1)
            out.append(f"<p><strong>{esc(dl)})</strong> {esc(rest.strip())}</p>")
        else:
            out.append(f"<p>{esc(ln)}</p>")
        if ln.startswith("\u201cRevolusi mental dimaknai"):
            out.append(jnews_related([sertijab]))
        if ln.startswith("\u201cDimaklumi") or ln.startswith("\u201cSaya berharap"):
            out.append(jnews_related([cuaca]))
    out.append(
        '<p><img src="https://beritarafflesia.com/wp-content/uploads/2021/06/rohidin-asn.jpg" alt=""></p>'
    )
    seed_html = "\n".join(out)
    site.article(
        entry,
        entry["path"].strip("/") + "/index.html",
        rafflesia_page(tpl, entry, seed_html, others[:3], 331),
    )
    for k, a in enumerate(others):
        body = a.pop("body")
        html_body = paras(body[:2]) + jnews_related([entry if k else cuaca]) + paras(body[2:])
        rel = [x for x in [entry, *others] if x["path"] != a["path"]][:3]
        site.article(
            a,
            a["path"].strip("/") + "/index.html",
            rafflesia_page(tpl, a, html_body, rel, 120 + 37 * k),
        )
    # A page behind robots.txt Disallow, listed only in the sitemap.
    hidden = {
        "path": "/arsip-internal/draf-revolusi-mental-asn-pemprov/",
        "title": "Draf: Revolusi Mental ASN Pemprov (Internal)",
        "published": "2021-06-22T08:00:00+07:00",
        "category": "internal",
        "author": "Redaksi",
        "tags": [],
        "summary": "Draf internal.",
        "hide_from_home": True,
        "hide_from_rss": True,
        "hide_from_listing": True,
    }
    site.article(
        hidden,
        "arsip-internal/draf-revolusi-mental-asn-pemprov/index.html",
        rafflesia_page(
            tpl,
            hidden,
            paras(
                [
                    "Draf internal redaksi: revolusi mental ASN dan reformasi birokrasi di "
                    "lingkungan Pemprov Bengkulu. Tidak untuk dipublikasikan.",
                ]
            ),
            [],
            0,
        ),
    )
    shell = listing_shell(
        parse(tpl), '//div[contains(@class,"jeg_inner_content")]', RAFFLESIA_TITLE
    )
    shell = shell.replace(
        "BeritaManado.com: Berita Terkini Manado, Sulawesi Utara", RAFFLESIA_TITLE
    )
    shell = shell.replace('href="https://beritamanado.com/"', f'href="{B}/"')
    site.add("_listing_shell.html", shell)
    site.add("robots.txt", robots(["/wp-admin/", "/arsip-internal/"], ["/wp-sitemap.xml"]))
    site.meta["routes"] = [
        {"path": "/", "kind": "home", "title": "Beritarafflesia.com", "per_page": 4, "paging": "path"},
        {"path": "/", "kind": "search", "param": "s", "feed_param": "feed", "feed_value": "rss2"},
        {"path": "/feed/", "kind": "rss"},
        {"path": "/kategori/pemprov/", "kind": "listing", "category": "pemprov", "per_page": 2,
         "paging": "path", "title": "Pemprov"},
        {"path": "/tag/revolusi-mental/", "kind": "listing", "tag": "revolusi-mental",
         "per_page": 10, "title": "Revolusi Mental"},
        {"path": "/wp-sitemap.xml", "kind": "sitemap_index",
         "sitemaps": ["/wp-sitemap-posts-post-1.xml"]},
        {"path": "/wp-sitemap-posts-post-1.xml", "kind": "sitemap", "include_hidden": True},
    ]  # fmt: skip
    site.meta["redirects"] = {
        "/?p=1234": "/revolusi-mental-untuk-asn-modal-dasar-birokrasi-bersih-dan-akuntabel/"
    }
    site.meta["expect"] = {
        "match": [entry["path"]],
        "no_match": [a["path"] for a in others],
        "never_fetched": [hidden["path"]],
    }
    return site


# ============================================================================ hand-written themes
# Furniture beyond the corpus: a WordPress "newsup"-style theme (bandungbarat), a tagDiv
# "Newspaper"-style theme with a date/weather header widget (kaltengdaily) and a small generic
# CMS (sumselnews). Each returns a whole page; {body} is the article body HTML.


def wp_page(
    site_title: str,
    nav: list[tuple[str, str]],
    a: dict,
    body: str,
    related: list[dict],
    *,
    time_tag: bool = True,
    head_extra: str = "",
    tags: list[str] = (),
) -> str:
    navs = "".join(f'<li class="menu-item"><a href="{B}{p}">{esc(t)}</a></li>' for t, p in nav)
    rel = "".join(
        f'<li><a href="{B}{r["path"]}" rel="bookmark">{esc(r["title"])}</a>'
        f' <span class="date">{id_date(r["published"])}</span></li>'
        for r in related
    )
    tag_links = "".join(f'<a href="{B}/tag/{t}/" rel="tag">{esc(t)}</a> ' for t in tags)
    date_html = (
        f'<time class="entry-date published" datetime="{a["published"]}">{id_date(a["published"])}</time>'
        if time_tag
        else f'<span class="entry-date">{id_date(a["published"])}</span>'
    )
    return f"""<!DOCTYPE html>
<html lang="id-ID">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(a["title"])} &#8211; {esc(site_title)}</title>
<link rel="canonical" href="{B}{a["path"]}">
<link rel="alternate" type="application/rss+xml" title="{esc(site_title)} &raquo; Feed" href="{B}/feed/">
<meta property="og:type" content="article">
<meta property="og:title" content="{esc(a["title"])}">
<meta property="og:url" content="{B}{a["path"]}">
<meta property="og:site_name" content="{esc(site_title)}">
<meta name="description" content="{esc(a.get("summary", ""))}">
{head_extra}
<link rel="stylesheet" href="{B}/wp-content/themes/newsup/style.css?ver=5.8" media="all">
</head>
<body class="post-template-default single single-post">
<div id="page" class="site">
<header class="mg-headwidget">
 <div class="mg-head-detail hidden-xs"><div class="container-fluid">
  <ul class="info-left"><li>{id_date("2024-09-20T08:00:00+07:00")}</li></ul>
  <ul class="mg-social info-right"><li><a href="https://facebook.com/"><i class="fab fa-facebook"></i></a></li>
  <li><a href="https://twitter.com/"><i class="fab fa-twitter"></i></a></li></ul></div></div>
 <div class="site-branding"><p class="site-title"><a href="{B}/" rel="home">{esc(site_title)}</a></p>
 <p class="site-description">Berita Bandung Barat Terkini</p></div>
 <nav class="navbar mg-main-menu"><ul id="menu-primary" class="nav navbar-nav">
  <li class="menu-item"><a href="{B}/">Beranda</a></li>{navs}</ul>
  <form role="search" method="get" class="search-form" action="{B}/"><input type="search" name="s" placeholder="Cari &hellip;"></form></nav>
</header>
<div id="content" class="container-fluid"><div class="row">
<div class="col-md-9">
<article id="post-{zlib.crc32(a["path"].encode()) % 90000 + 1000}" class="post type-post status-publish format-standard hentry">
 <div class="mg-blog-post-box">
  <div class="mg-header">
   <div class="mg-blog-category"><a class="newsup-categories category-color-1" href="{B}/category/{a.get("category", "berita")}/">{esc(a.get("category", "berita").title())}</a></div>
   <h1 class="title single"><a title="Permalink to: {esc(a["title"])}">{esc(a["title"])}</a></h1>
   <div class="media mg-info-author-block"><div class="media-body">
    <h4 class="media-heading"><span>By</span> <a href="{B}/author/admin/">{esc(a.get("author", "Admin"))}</a></h4>
    <span class="mg-blog-date"><i class="fas fa-clock"></i> {date_html}</span>
   </div></div>
  </div>
  <article class="small single entry-content">
{body}
   <div class="post-share"><div class="post-share-icons cf"><span>Bagikan:</span>
    <a href="https://www.facebook.com/sharer.php?u={B}{a["path"]}" class="link facebook" target="_blank"><i class="fab fa-facebook"></i></a>
    <a href="http://twitter.com/share?url={B}{a["path"]}" class="link twitter" target="_blank"><i class="fab fa-twitter"></i></a>
    <a href="https://api.whatsapp.com/send?text={B}{a["path"]}" class="link whatsapp"><i class="fab fa-whatsapp"></i></a></div></div>
   <div class="tags-links">{tag_links}</div>
  </article>
 </div>
 <div class="mg-featured-slider p-3 mb-4"><div class="mg-sec-title"><h4>Berita Terkait</h4></div>
  <ul class="related-posts">{rel}</ul></div>
 {WP_COMMENTS}
</article>
</div>
<aside class="col-md-3"><div id="sidebar-right" class="mg-sidebar">
 <div id="recent-posts-2" class="mg-widget widget_recent_entries"><div class="mg-wid-title"><h6>Pos-pos Terbaru</h6></div>
 <ul>{rel}</ul></div>
 <div id="archives-2" class="mg-widget widget_archive"><div class="mg-wid-title"><h6>Arsip</h6></div>
 <ul><li><a href="{B}/2022/12/">Desember 2022</a></li><li><a href="{B}/2021/06/">Juni 2021</a></li></ul></div>
</div></aside>
</div></div>
<footer><div class="mg-footer-copyright"><p>&copy; 2022 {esc(site_title)}. Hak cipta dilindungi.</p>
<p><a href="{B}/redaksi/">Redaksi</a> | <a href="{B}/pedoman-media-siber/">Pedoman Media Siber</a></p></div></footer>
</div>
</body>
</html>
"""


def wp_listing_shell(site_title: str, nav: list[tuple[str, str]]) -> str:
    fake = {"path": "/", "title": "{{LISTING_TITLE}}", "published": "2022-12-30T00:00:00+07:00"}
    page = wp_page(site_title, nav, fake, "<div>{{LISTING}}</div>", [])
    page = re.sub(r'<link rel="canonical"[^>]*>\n', "", page)
    page = re.sub(r"<meta property=\"og:[^>]*>\n", "", page)
    page = page.replace(
        '<link rel="alternate" type="application/rss+xml"', '{{HEAD}}\n<link rel="x"', 1
    )
    return re.sub(r'<link rel="x"[^>]*>\n', "", page)


# ============================================================================ bandungbarat

BANDUNG_TITLE = "Bandung Barat Ekspres"
BANDUNG_NAV = [("Pemerintahan", "/category/pemerintahan/"), ("Peristiwa", "/category/peristiwa/")]


def build_bandungbarat() -> Site:
    site = Site(
        "bandungbarat",
        title=BANDUNG_TITLE,
        description="Berita Bandung Barat Terkini",
        template="wordpress",
        region="Jawa Barat",
        language="id",
        last_modified="2022-12-30T18:00:00+07:00",
        feeds=[f"{B}/feed/"],
        listings=[f"{B}/category/pemerintahan/"],
        listing_shell="_listing_shell.html",
    )
    lines = seed_lines(1)
    title = lines[0]
    body = [ln for ln in lines[1:] if ln not in ("Berita Terkait", "Tinggalkan Balasan")]
    seed = {
        "path": "/2022/12/30/revolusi-mental-asn-harus-berdarah-daging-di-bandung-barat/",
        "title": title,
        "published": "2022-12-30T17:05:00+07:00",
        "category": "pemerintahan",
        "author": "Admin",
        "tags": ["revolusi-mental", "asn", "hengky-kurniawan"],
        "summary": "Bupati Bandung Barat Hengky Kurniawan: revolusi mental ASN harus mengubah budaya kerja.",
    }
    # The off-topic story: real text of a corpus page (merdeka-4), re-hosted with this theme.
    import trafilatura

    text = trafilatura.extract(corpus("merdeka-4.html")) or ""
    covid_body = []
    for ln in text.splitlines():
        if ln.startswith("Baca juga") or ln.startswith("Banyak orang hebat"):
            break
        covid_body.append(ln.replace("Merdeka.com - ", "BANDUNG \u2013 "))
    covid = {
        "path": "/2021/06/17/kasus-aktif-covid-19-melonjak-pemkot-bandung-batasi-kegiatan-masyarakat/",
        "title": "Kasus Aktif Covid-19 Melonjak, Pemkot Bandung Batasi Kegiatan Masyarakat",
        "published": "2021-06-17T11:20:00+07:00",
        "category": "peristiwa",
        "author": "Admin",
        "tags": ["covid-19", "ppkm"],
        "summary": "Pemerintah Kota Bandung membatasi dan memperketat kegiatan masyarakat.",
    }
    site.article(
        seed,
        seed["path"].strip("/") + "/index.html",
        wp_page(
            BANDUNG_TITLE,
            BANDUNG_NAV,
            seed,
            paras(body),
            [covid],
            time_tag=False,
            tags=seed["tags"],
        ),
    )
    site.article(
        covid,
        covid["path"].strip("/") + "/index.html",
        wp_page(BANDUNG_TITLE, BANDUNG_NAV, covid, paras(covid_body), [seed], tags=covid["tags"]),
    )
    site.add("_listing_shell.html", wp_listing_shell(BANDUNG_TITLE, BANDUNG_NAV))
    # No Sitemap: line on purpose: discovery must fall back to /sitemap.xml.
    site.add("robots.txt", robots(["/wp-admin/"], []))
    site.add(
        "redaksi/index.html",
        wp_page(
            BANDUNG_TITLE,
            BANDUNG_NAV,
            {
                "path": "/redaksi/",
                "title": "Redaksi",
                "published": "2020-01-01T00:00:00+07:00",
                "summary": "Susunan redaksi.",
            },
            paras(
                [
                    "Pemimpin Redaksi: Asep Sunandar. Redaktur: Neng Rina. Reporter: tim Bandung Barat Ekspres.",
                    "Alamat redaksi: Jl. Raya Padalarang No. 10, Kabupaten Bandung Barat.",
                ]
            ),
            [],
        ),
    )
    site.meta["routes"] = [
        {"path": "/", "kind": "home", "title": BANDUNG_TITLE, "per_page": 10},
        {"path": "/", "kind": "search", "param": "s"},
        {"path": "/feed/", "kind": "rss"},
        {"path": "/sitemap.xml", "kind": "sitemap"},
        {"path": "/category/pemerintahan/", "kind": "listing", "category": "pemerintahan",
         "per_page": 10, "title": "Pemerintahan"},
        {"path": "/category/peristiwa/", "kind": "listing", "category": "peristiwa",
         "per_page": 10, "title": "Peristiwa"},
    ]  # fmt: skip
    site.meta["expect"] = {"match": [seed["path"]], "no_match": [covid["path"], "/redaksi/"]}
    return site


# ============================================================================ kaltengdaily

KALTENG_TITLE = "Kalteng Daily"


def td_page(
    a: dict | None,
    title: str,
    main: str,
    recent: list[dict],
    popular: list[dict],
    head_extra: str = "",
) -> str:
    """tagDiv 'Newspaper'-style page: the header shows the viewing day, temperature and city."""

    def items(xs: list[dict]) -> str:
        return "".join(
            f'<div class="td_module_6 td_module_wrap"><h3 class="entry-title td-module-title">'
            f'<a href="{B}{x["path"]}" rel="bookmark" title="{esc(x["title"])}">{esc(x["title"])}</a>'
            f"</h3></div>"
            for x in xs
        )

    canonical = f'<link rel="canonical" href="{B}{a["path"]}">' if a else ""
    og = (
        f'<meta property="og:type" content="article"><meta property="og:title" content="{esc(a["title"])}">'
        f'<meta property="og:url" content="{B}{a["path"]}"><meta name="description" content="{esc(a.get("summary", ""))}">'
        if a
        else ""
    )
    return f"""<!doctype html>
<html lang="id-ID">
<head>
<title>{esc(title)} | {KALTENG_TITLE}</title>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
{canonical}
{og}
<meta property="og:site_name" content="{KALTENG_TITLE}">
{head_extra}
<link rel="stylesheet" id="td-theme-css" href="{B}/wp-content/themes/Newspaper/style.css?ver=10.3" type="text/css" media="all">
</head>
<body class="post-template-default single single-post td-standard-pack global-block-template-1">
<div id="td-outer-wrap" class="td-theme-wrap">
<div class="td-header-wrap td-header-style-1">
 <div class="td-header-top-menu-full td-container-wrap"><div class="td-container td-header-row td-header-top-menu">
  <div class="top-bar-style-1"><div class="td-header-sp-top-menu">
   <div class="td_data_time"><div>Jumat, September 20, 2024</div></div>
   <div class="td-weather-top-widget" id="td_top_weather_uid"><i class="td-icons clear-sky-d"></i>
    <div class="td-weather-now" data-block-uid="td_top_weather_uid"><span class="td-big-degrees">29.1</span>
    <span class="td-weather-unit">C</span></div><div class="td-weather-header"><div class="td-weather-city">Palangkaraya</div></div></div>
   <div class="menu-top-container"><ul id="menu-top-menu" class="top-header-menu">
    <li class="menu-item"><a href="{B}/redaksi/">Redaksi</a></li><li class="menu-item"><a href="{B}/galeri/">Galeri</a></li></ul></div>
  </div></div></div></div>
 <div class="td-banner-wrap-full td-logo-wrap-full"><div class="td-header-sp-logo">
  <a class="td-main-logo" href="{B}/"><span class="td-visual-hidden">{KALTENG_TITLE}</span></a></div></div>
 <div class="td-header-menu-wrap-full"><div class="td-header-main-menu"><ul id="menu-main" class="sf-menu">
  <li class="menu-item"><a href="{B}/">Beranda</a></li>
  <li class="menu-item"><a href="{B}/kategori/pemerintahan/">Pemerintahan</a></li>
  <li class="menu-item"><a href="{B}/kategori/ekonomi/">Ekonomi</a></li></ul></div></div>
</div>
<div class="td-main-content-wrap td-container-wrap"><div class="td-container td-post-template-default">
<div class="td-pb-row"><div class="td-pb-span8 td-main-content" role="main"><div class="td-ss-main-content">
{main}
</div></div>
<div class="td-pb-span4 td-main-sidebar" role="complementary"><div class="td-ss-main-sidebar">
 <div class="td_block_wrap td_block_9"><h4 class="block-title"><span class="td-pulldown-size">Terpopuler</span></h4>
 <div class="td_block_inner">{items(popular)}</div></div>
 <div class="td_block_wrap td_block_7"><h4 class="block-title"><span class="td-pulldown-size">Artikel Terbaru</span></h4>
 <div class="td_block_inner">{items(recent)}</div></div>
</div></div></div></div></div>
<div class="td-footer-wrapper td-container-wrap"><div class="td-container"><div class="td-pb-row">
 <div class="footer-text-wrap">Kalteng Daily - Koran Harian Kalimantan Tengah. <div class="footer-email-wrap">Hubungi kami: redaksi@kaltengdaily.example</div></div>
</div></div></div>
<div class="td-sub-footer-container"><div class="td-sub-footer-copy">&copy; Kalteng Daily 2024</div></div>
</div>
</body>
</html>
"""


def td_article(a: dict, body: str, related: list[dict], print_copy: bool) -> str:
    rel = "".join(
        f'<div class="td-related-span4"><div class="td_module_related_posts"><h3 class="entry-title td-module-title">'
        f'<a href="{B}{r["path"]}" rel="bookmark">{esc(r["title"])}</a></h3></div></div>'
        for r in related
    )
    copy_html = (
        f'<div class="td-post-content td-print-content" id="print-version">{body}</div>'
        if print_copy
        else ""
    )
    return f"""<article id="post-{zlib.crc32(a["path"].encode()) % 90000}" class="post type-post status-publish">
 <div class="td-post-header"><ul class="td-category"><li class="entry-category"><a href="{B}/kategori/{a["category"]}/">{esc(a["category"].title())}</a></li></ul>
  <header class="td-post-title"><h1 class="entry-title">{esc(a["title"])}</h1>
  <div class="td-module-meta-info"><div class="td-post-author-name"><div class="td-author-by">Oleh</div> <a href="{B}/author/redaksi/">Redaksi</a></div>
  <div class="td-post-views"><i class="td-icon-views"></i><span class="td-nr-views-{zlib.crc32(a["path"].encode()) % 999}">1.204</span></div></div>
  </header></div>
 <div class="td-post-sharing-top"><div class="td-post-sharing-classic"><span class="td-social-but-text">Bagikan</span>
  <a class="td-social-sharing-button td-social-facebook" href="https://www.facebook.com/sharer.php?u={B}{a["path"]}">Facebook</a>
  <a class="td-social-sharing-button td-social-whatsapp" href="https://api.whatsapp.com/send?text={B}{a["path"]}">WhatsApp</a></div></div>
 <div class="td-post-content tagdiv-type">{body}</div>
 {copy_html}
 <footer><div class="td-post-source-tags"><ul class="td-tags td-post-small-box clearfix"><li><span>TAGS</span></li>
 {"".join(f'<li><a href="{B}/tag/{t}/">{esc(t)}</a></li>' for t in a.get("tags", []))}</ul></div></footer>
 <div class="td_block_wrap td_block_related_posts"><h4 class="td-related-title"><a class="td-related-left td-cur-simple-item" href="#">Artikel Terkait</a>
  <a class="td-related-right" href="#">Lebih Banyak Dari Penulis</a></h4>
 <div class="td_block_inner td-related-row">{rel}</div></div>
</article>"""


def build_kaltengdaily() -> Site:
    site = Site(
        "kaltengdaily",
        title=KALTENG_TITLE,
        description="Koran Harian Kalimantan Tengah",
        template="generic",
        region="Kalimantan Tengah",
        language="id",
        last_modified="2024-09-20T06:00:00+07:00",
        sitemaps=[f"{B}/sitemap_index.xml", f"{B}/news-sitemap.xml"],
        listings=[f"{B}/kategori/pemerintahan/"],
        listing_shell="_listing_shell.html",
    )
    lines = seed_lines(2)
    title = lines[3]
    start = lines.index(title) + 1
    stop = lines.index("Artikel Terkait")
    half = lines[start:stop][: (stop - start) // 2]
    bansos = {
        "path": "/peduli-warga-terdampak-ppkm-bagikan-1-400-paket-bansos/",
        "title": "Peduli Warga Terdampak PPKM, Bagikan 1.400 Paket Bansos",
        "published": "2021-07-27T14:00:00+07:00",
        "category": "pemerintahan",
        "tags": ["ppkm", "bansos"],
        "summary": "Sebanyak 1.400 paket bantuan sosial dibagikan kepada warga terdampak PPKM.",
        "body": [
            "PALANGKA RAYA \u2013 Sebanyak 1.400 paket bantuan sosial berisi beras, minyak goreng "
            "dan gula dibagikan kepada warga terdampak pemberlakuan pembatasan kegiatan masyarakat "
            "(PPKM) di Kota Palangka Raya, Selasa (27/7).",
            "Pembagian dilakukan dari rumah ke rumah untuk menghindari kerumunan. Sasaran utamanya "
            "pekerja harian, pedagang kecil dan warga yang sedang menjalani isolasi mandiri.",
            "\u201cKami berharap bantuan ini sedikit meringankan beban warga selama masa "
            "pembatasan,\u201d kata koordinator kegiatan. (abw/ens)",
        ],
    }
    bank = {
        "path": "/gubernur-minta-perbankan-dukung-sektor-produktif/",
        "title": "Gubernur Minta Perbankan Dukung Sektor Produktif",
        "published": "2021-07-28T10:30:00+07:00",
        "category": "ekonomi",
        "tags": ["perbankan", "ekonomi"],
        "summary": "Gubernur Kalteng meminta perbankan menyalurkan kredit ke sektor produktif.",
        "body": [
            "PALANGKA RAYA \u2013 Gubernur Kalimantan Tengah meminta perbankan di daerah itu "
            "memperbesar penyaluran kredit ke sektor produktif seperti pertanian, perikanan dan "
            "usaha mikro.",
            "Menurut dia, pemulihan ekonomi daerah membutuhkan dukungan pembiayaan yang mudah "
            "dijangkau pelaku usaha kecil, terutama di kabupaten yang jauh dari ibu kota provinsi.",
            "Pihak perbankan menyatakan siap memperluas layanan hingga ke desa melalui agen "
            "laku pandai. (ens)",
        ],
    }
    seed = {
        "path": "/wujudkan-revolusi-mental-di-pemprov-kalteng/",
        "title": title,
        "published": "2021-07-29T19:20:00+07:00",
        "category": "pemerintahan",
        "tags": ["revolusi-mental", "asn", "bpsdm"],
        "summary": "Penjabat Sekda Kalteng Nuryakin menghadiri workshop revolusi mental.",
    }
    baca = {"Peduli": bansos, "Gubernur": bank}
    body = []
    for ln in half:
        if ln.startswith("Baca Juga"):
            t = ln.split(":", 1)[1].strip()
            r = baca[t.split()[0]]
            body.append(
                f'<p><strong>Baca Juga :</strong>&nbsp; <a href="{B}{r["path"]}">{esc(r["title"])}</a></p>'
            )
        else:
            body.append(f"<p>{esc(ln)}</p>")
    body_html = "\n".join(body)
    everything = [seed, bank, bansos]
    page = td_page(
        seed, title, td_article(seed, body_html, [bank, bansos], True), everything, [bansos, bank]
    )
    site.article(seed, "wujudkan-revolusi-mental-di-pemprov-kalteng/index.html", page)
    for a in (bansos, bank):
        b = a.pop("body")
        other = [x for x in everything if x is not a]
        site.article(
            a,
            a["path"].strip("/") + "/index.html",
            td_page(a, a["title"], td_article(a, paras(b), other, False), everything, other),
        )
    gallery = (
        '<div class="td-gallery"><h1 class="entry-title">Galeri: Pelantikan Pejabat Pemprov Kalteng</h1>'
        + "".join(
            f'<figure class="td-gallery-item"><img src="{B}/wp-content/uploads/2021/07/pelantikan-{k}.jpg" '
            f'alt="Pelantikan {k}"><figcaption>Foto {k}: suasana pelantikan pejabat administrator '
            f"di Aula Jayang Tingang. (Foto: Humas Pemprov)</figcaption></figure>"
            for k in range(1, 7)
        )
        + "</div>"
    )
    site.add("galeri/index.html", td_page(None, "Galeri Foto", gallery, everything, [bansos, bank]))
    site.add(
        "redaksi/index.html",
        td_page(
            None,
            "Redaksi",
            "<h1>Redaksi</h1><p>Pemimpin Redaksi: "
            "Andreas. Alamat: Jl. RTA Milono, Palangka Raya.</p>",
            everything,
            [bank],
        ),
    )
    site.add(
        "page-sitemap.xml",
        urlset(["/", "/galeri/", "/redaksi/"]),
    )
    shell = td_page(
        None, "{{LISTING_TITLE}}", "{{LISTING}}", everything, [bansos, bank], head_extra="{{HEAD}}"
    )
    site.add("_listing_shell.html", shell)
    site.add(
        "robots.txt",
        robots(["/wp-admin/", "/preview/"], ["/sitemap_index.xml", "/news-sitemap.xml"]),
    )
    site.meta["routes"] = [
        {"path": "/", "kind": "home", "title": KALTENG_TITLE, "per_page": 10},
        {"path": "/sitemap_index.xml", "kind": "sitemap_index",
         "sitemaps": ["/post-sitemap.xml", "/page-sitemap.xml"]},
        {"path": "/post-sitemap.xml", "kind": "sitemap"},
        {"path": "/news-sitemap.xml", "kind": "news_sitemap"},
        {"path": "/kategori/pemerintahan/", "kind": "listing", "category": "pemerintahan",
         "per_page": 10, "title": "Pemerintahan"},
        {"path": "/kategori/ekonomi/", "kind": "listing", "category": "ekonomi",
         "per_page": 10, "title": "Ekonomi"},
    ]  # fmt: skip
    site.meta["expect"] = {
        "match": [seed["path"]],
        "no_match": [bansos["path"], bank["path"], "/galeri/"],
    }
    return site


# ============================================================================ kalteng-antara

ANTARA_TITLE = "ANTARA News Kalimantan Tengah"


def antara_rehost(name: str, path: str) -> tuple[dict, str]:
    """A real corpus Antara page served as-is, canonical/og:url moved to the fixture URL."""
    src = corpus(name)
    doc = parse(src, "http://www.antaranews.com/")
    title = one(doc, '//h1[@itemprop="headline"]').text_content().strip()
    published = one(doc, '//time[@itemprop="datePublished"]').get("datetime")
    for el in doc.xpath('//a[@itemprop="url"]'):
        el.set("href", B + path)
    link_rel(doc, "canonical", B + path)
    meta(doc, "property", "og:url", B + path)
    entry = {
        "path": path,
        "title": title,
        "published": published,
        "category": "nasional",
        "summary": (doc.xpath('//meta[@name="description"]/@content') or [""])[0][:200],
    }
    return entry, serialize(doc)


def build_antara() -> Site:
    site = Site(
        "kalteng-antara",
        title=ANTARA_TITLE,
        description="Berita Kalimantan Tengah dari ANTARA",
        template="antara",
        region="Kalimantan Tengah",
        language="id",
        last_modified="2016-12-06T18:00:00+07:00",
        feeds=[f"{B}/rss/terkini.xml"],
        sitemaps=[f"{B}/sitemap.xml"],
        listings=[f"{B}/terkini"],
        article_url_pattern=r"/berita/\d+/",
        listing_shell="_listing_shell.html",
    )
    lines = seed_lines(3)
    title = lines[0]
    keywords = lines[1]
    caption = lines[3]
    body = lines[4:]
    path = (
        "/berita/272591/workshop-revolusi-mental-digelar-untuk-bangun-pelayanan-publik-asn-sukamara"
    )
    seed = {
        "path": path,
        "title": title,
        "published": "2016-12-06T17:56:00+07:00",
        "category": "kalteng",
        "author": "Gusti Jainal",
        "tags": ["sukamara", "revolusi-mental"],
        "summary": body[0][:180],
    }
    others = []
    for k, name in enumerate(["antaranews-1.html", "antaranews-2.html", "antaranews-3.html"]):
        entry, _ = antara_rehost(name, "")
        slug = slugify(entry["title"], limit=None)  # Antara keeps the whole title
        entry, text = antara_rehost(name, f"/berita/{271100 + k * 7}/{slug}")
        others.append(entry)
        site.article(entry, entry["path"].lstrip("/"), text)

    tpl = corpus("antaranews-1.html")
    doc = parse(tpl, "http://www.antaranews.com/")
    common_head(doc, seed, ANTARA_TITLE, published_meta=True, ld=False)
    meta(doc, "name", "keywords", keywords.removeprefix("id ").strip())
    meta(doc, "itemprop", "datePublished", seed["published"])
    drop(doc, '//link[@rel="image_src"]')
    drop(doc, '//meta[starts-with(@property,"og:image")]')
    one(doc, '//h1[@itemprop="headline"]/strong').text = title
    t = one(doc, '//time[@itemprop="datePublished"]')
    t.set("datetime", seed["published"])
    t.text = id_date(seed["published"], True, "WIB")
    t.tail = " | 2.117 Views"
    one(doc, '//span[@itemprop="keywords"]').text = keywords.removeprefix("id ").strip()
    one(doc, '//a[@itemprop="url"]').set("href", B + path)
    # the visible keyword line under the date, as Antara regional pages print it
    kw = one(doc, '//div[contains(@class,"date mt10")]')
    kw.addnext(
        lxml.html.fragment_fromstring(
            '<div class="tags mt5"><span class="hide">id</span> '
            + ", ".join(
                f'<a href="{B}/tag/{esc(x.strip().replace(" ", "-"))}">{esc(x.strip())}</a>'
                for x in keywords.removeprefix("id ").split(",")
            )
            + "</div>"
        )
    )
    set_inner(
        one(doc, '//div[@class="byline"]'), 'Pewarta: <span itemprop="author">Gusti Jainal</span>'
    )
    set_inner(
        one(doc, '//div[@id="image_news"]'),
        f'<img src="http://img.antaranews.com/kalteng/2016/12/ori/workshop-revolusi-mental-sukamara.jpg" '
        f'alt="{esc(title)}" title="{esc(title)}" class="img_default" />'
        f'<div id="image_desc" class="flashnews">{esc(caption)}</div>',
    )
    content = "<br />\n<br />\n".join(esc(p) for p in body)
    content += (
        '<p class="mt10">Editor: <span itemprop="editor">Ronny NT</span></p>'
        '<p class="date">COPYRIGHT &copy; <span itemprop="copyrightHolder">ANTARA</span> 2016</p>'
    )
    set_inner(one(doc, '//div[@id="content_news"]'), content)
    set_inner(
        one(doc, '//div[contains(@class,"terkait_bottom")]//div[@class="brtall"]'),
        "".join(
            f'<div class="topbox" itemscope itemtype="http://schema.org/WebPage"><h3 itemprop="name">'
            f'<a itemprop="relatedLink" href="{B}{o["path"]}?utm_source=related_news&amp;utm_medium=related'
            f'&amp;utm_campaign=news" title="{esc(o["title"])}">{esc(o["title"])}</a></h3></div>'
            for o in others
        ),
    )
    for fb in doc.xpath(
        "//*[local-name()='comments' or @href and contains(@href,'facebook.com/plugins')]"
    ):
        if fb.get("href") and "antaranews.com/berita" in fb.get("href"):
            fb.set("href", B + path)
    site.article(
        seed,
        path.lstrip("/"),
        serialize(doc).replace("ANTARA News</title>", f"{ANTARA_TITLE}</title>"),
    )
    shell = listing_shell(parse(tpl), '//div[contains(@class,"bjbrt")]', ANTARA_TITLE)
    site.add("_listing_shell.html", shell)
    site.add("robots.txt", robots(["/search", "/user/"], ["/sitemap.xml"]))
    site.meta["routes"] = [
        {"path": "/", "kind": "home", "title": ANTARA_TITLE, "per_page": 10},
        {"path": "/rss/terkini.xml", "kind": "rss"},
        {"path": "/sitemap.xml", "kind": "sitemap"},
        {"path": "/terkini", "kind": "listing", "per_page": 2, "paging": "query",
         "title": "Berita Terkini"},
    ]  # fmt: skip
    site.meta["expect"] = {"match": [path], "no_match": [o["path"] for o in others]}
    return site


# ============================================================================ tribunpontianak

TRIBUN_TITLE = "Tribun Pontianak"


def build_tribun() -> Site:
    site = Site(
        "tribunpontianak",
        title=TRIBUN_TITLE,
        description="Berita Pontianak dan Kalimantan Barat",
        template="tribun",
        region="Kalimantan Barat",
        language="id",
        last_modified="2019-10-07T18:00:00+07:00",
        feeds=[f"{B}/rss"],
        sitemaps=[f"{B}/sitemap/news.xml"],
        listings=[f"{B}/kalbar"],
        article_url_pattern=r"/\d{4}/\d{2}/\d{2}/[a-z0-9-]+",
        listing_shell="_listing_shell.html",
    )
    lines = seed_lines(4)
    title = lines[0]
    lead = lines[1]
    photo_credit, caption = lines[3], lines[4]
    start = lines.index("Humas Pemprov Kalbar, Rinto") + 1
    stop = lines.index("Halaman")
    body = lines[start:stop]
    baca_lines = [ln for ln in body if ln.startswith("Baca:")]
    text = [ln for ln in body if not ln.startswith("Baca:")]
    guru = {
        "path": "/2019/10/06/guru-smk-smti-pontianak-mewakili-kalbar-menjadi-finalis-lomba-keahlian-guru-tingkat-nasional",
        "title": baca_lines[0].removeprefix("Baca: "),
        "published": "2019-10-06T09:10:00+07:00",
        "category": "kalbar",
        "author": "Citizen Reporter",
        "tags": ["pendidikan"],
        "summary": "Guru SMK SMTI Pontianak menjadi finalis lomba keahlian guru tingkat nasional.",
        "body": [
            "PONTIANAK - Seorang guru SMK SMTI Pontianak terpilih menjadi finalis Lomba "
            "Keahlian Guru tingkat nasional yang digelar di Jakarta.",
            "Ia bersaing dengan puluhan guru dari berbagai provinsi dalam bidang teknik "
            "kimia industri, mulai dari penyusunan modul hingga praktik mengajar.",
            "Kepala sekolah berharap capaian itu memotivasi guru lain untuk terus "
            "mengembangkan kompetensi.",
        ],
    }
    fgd = {
        "path": "/2019/10/05/fgd-penanganan-karhutla-dan-solusi-kapolda-maksimal-pembukaan-lahan-2-hektare-per-kk",
        "title": baca_lines[1].removeprefix("Baca: "),
        "published": "2019-10-05T16:45:00+07:00",
        "category": "kalbar",
        "author": "Ferryanto",
        "tags": ["karhutla"],
        "summary": "Kapolda Kalbar: pembukaan lahan maksimal 2 hektare per KK.",
        "body": [
            "PONTIANAK - Kapolda Kalimantan Barat menegaskan pembukaan lahan dengan cara "
            "membakar hanya dibolehkan maksimal dua hektare per kepala keluarga dan wajib "
            "dilaporkan kepada kepala desa.",
            "Hal itu disampaikan dalam diskusi kelompok terfokus penanganan kebakaran hutan "
            "dan lahan bersama pemerintah daerah, akademisi dan perusahaan perkebunan.",
            "Peserta sepakat memperkuat patroli terpadu dan edukasi kepada petani.",
        ],
    }
    path = "/2019/10/07/kepala-bpsdm-asn-harus-miliki-nilai-dan-jiwa-melayani-masyarakat"
    seed = {
        "path": path,
        "title": title,
        "published": "2019-10-07T15:20:00+07:00",
        "category": "kalbar",
        "author": "Anggita Putri",
        "tags": ["bpsdm-kalbar", "asn", "revolusi-mental"],
        "summary": lead,
    }
    # Three pages: the seed's text split, plus written continuation on pages 2 and 3; the last
    # sentence of page 3 is the gold body_last.
    p1 = text[:5]
    p2 = text[5:7] + [
        "Menurut dia, pelatihan revolusi mental yang diikuti para ASN bertujuan menanamkan "
        "nilai integritas, etos kerja dan gotong royong dalam pelaksanaan tugas sehari-hari.",
        "Peserta pelatihan berasal dari berbagai organisasi perangkat daerah di lingkungan "
        "Pemerintah Provinsi Kalimantan Barat serta perwakilan kabupaten dan kota.",
    ]
    p3 = [
        "Selama pelatihan, peserta mendapat materi tentang pelayanan publik, etika birokrasi, "
        "serta penyusunan rencana aksi perubahan di unit kerja masing-masing.",
        "Ia berharap setiap alumni pelatihan menjadi agen perubahan yang memberi contoh bagi "
        "rekan kerjanya.",
    ] + text[7:]
    assert p3[-1].endswith("menghilangkan ego sektoral."), p3[-1]
    pages = [p1, p2, p3]
    baca = [guru, fgd]

    tpl = corpus("tribunsolo-1.html")
    orig = "https://solo.tribunnews.com/2020/10/09/protokol-kesehatan-3m-adalah-vaksin-terbaik-cegah-covid-19-simak-penjelasan-dokter"

    def page(
        a: dict,
        chunks: list[list[str]],
        n: int | None,
        with_baca: bool,
        caption_html: str,
        reporter: str,
    ) -> str:
        """Page n of a.chunks (None: the single-page view ?page=all)."""
        doc = parse(tpl, orig)
        self_url = B + a["path"] + (f"?page={n}" if n and n > 1 else "")
        common_head(doc, a, TRIBUN_TITLE, published_meta=False, ld=True)
        link_rel(doc, "canonical", self_url if n else B + a["path"])
        meta(doc, "name", "news_keywords", ", ".join(a["tags"]))
        drop(doc, '//meta[starts-with(@property,"og:image") or starts-with(@name,"twitter:image")]')
        drop(doc, '//link[@rel="image_src"]')
        topic = one(doc, '//h2[contains(@class,"red")]/a')
        topic.text = a["tags"][0].replace("-", " ").title()
        topic.set("href", f"{B}/topic/{a['tags'][0]}")
        one(doc, '//h1[@id="arttitle"]').text = a["title"]
        one(doc, '//div[@id="article"]/h4').text = a["summary"]
        one(doc, '//div[@id="article"]//time').text = id_date(a["published"], True)
        set_inner(one(doc, '//div[@id="artimg"]'), caption_html + reporter)
        paras_n = chunks[n - 1] if n else [p for c in chunks for p in c]
        out = []
        for k, p in enumerate(paras_n):
            out.append(f"<p>{esc(p)}</p>")
            if with_baca and k == 4:
                out += [
                    f'<p class="baca"><strong>Baca: <a title="{esc(b["title"])}" href="{B}{b["path"]}">'
                    f"{esc(b['title'])}</a></strong></p>"
                    for b in baca
                ]
        if out and out[0].startswith("<p>") and (n in (None, 1)):
            first = paras_n[0]
            city, rest = first.split("-", 1) if "-" in first[:20] else ("", first)
            if city:
                out[0] = f"<p><strong>{esc(city.strip())}</strong> -{esc(rest)}</p>"
        set_inner(one(doc, '//div[contains(@class,"txt-article")]'), "\n".join(out))
        paging = one(doc, '//div[contains(@class,"side-article") and contains(@class,"mb5")]')
        total = len(chunks)
        bits = []
        if n and n < total:
            bits.append(
                f'<div class="mb20"><a class="bgblue white ptb5 plr10 f18" href="{B}{a["path"]}?page={n + 1}">'
                'Halaman selanjutnya <i class="fa fa-arrow-right"></i></a></div>'
            )
        if n and total > 1:
            nums = "".join(
                f'<a href="{B}{a["path"]}{"" if k == 1 else f"?page={k}"}"'
                + (' id="pagecurrent" class="white bgblue"' if k == n else "")
                + f' style="font-size:14px">{k}</a>'
                for k in range(1, total + 1)
            )
            bits.append(
                "<div class='paging mb20'><div class='pt10 pb5 plr10 ovh bggrey'>"
                f"<div class='pr5 pt7 fbo2 grey2 fl f14'>Halaman</div>{nums}"
                f'<a href="{B}{a["path"]}?page=all" style="font-size:14px">Tampilkan Semua</a>'
                "<div class='cl2'></div></div></div>"
            )
        tags = "".join(
            f"<h5 class='tagcload3 tagcloud3'><a class='rd2' href='{B}/tag/{t}' title='{t}'>{t}</a></h5>"
            for t in a["tags"]
        )
        bits.append(
            f'<div class="mb10"><div class="fbo2 pr10 grey fl">Tags <i class="fa fa-tags grey"></i></div>{tags}</div>'
        )
        rel = "".join(
            f'<li><a href="{B}{r["path"]}" title="{esc(r["title"])}" class="fbo2 f15">{esc(r["title"])}</a></li>'
            for r in baca
            if r["path"] != a["path"]
        )
        bits.append(
            f'<div class="mb10"><div class="f18 fbo2 pb10"><span class="fbo2 pr5 grey f16">Berita Terkait :</span></div><div class="f14"><ul>{rel}</ul></div></div>'
        )
        bits.append(
            f'<div class="f12 grey mb15"><div id="penulis">Penulis: {esc(a["author"])}</div>'
            '<div id="editor">Editor: Jamadin</div></div>'
        )
        set_inner(paging, "".join(bits))
        for el in doc.xpath(
            '//a[@href="https://solo.tribunnews.com" or @href="https://solo.tribunnews.com/"]'
        ):
            el.set("href", B + "/")
        out_html = (
            serialize(doc)
            .replace("Tribun Solo", TRIBUN_TITLE)
            .replace("TRIBUNSOLO.COM", "TRIBUNPONTIANAK.CO.ID")
        )
        return out_html

    cap = (
        f'<div class="pb20 ovh"><img src="https://cdn-2.tstatic.net/pontianak/foto/bank/images/pelatihan-revolusi-mental-bpsdm-kalbar.jpg" '
        f'alt="{esc(title)}" width="700"/><div class="arial f12 grey2 pt5 pb5">'
        f'<span class="bold">{esc(photo_credit)}</span><br>{esc(caption)}</div></div>'
    )
    reporter = (
        '<div class="f14 pb10 ovh"><span class="bold">Citizen Reporter</span><br>'
        "<span>Humas Pemprov Kalbar, Rinto</span></div>"
    )
    slug_file = path.lstrip("/")
    site.article(seed, slug_file, page(seed, pages, 1, True, cap, reporter))
    site.add(f"{slug_file}@page=2", page(seed, pages, 2, False, cap, reporter))
    site.add(f"{slug_file}@page=3", page(seed, pages, 3, False, cap, reporter))
    site.add(f"{slug_file}@page=all", page(seed, pages, None, True, cap, reporter))
    for a in (guru, fgd):
        b = a.pop("body")
        site.article(a, a["path"].lstrip("/"), page(a, [b], 1, False, "", ""))
    shell_doc = parse(tpl, orig)
    for el in shell_doc.xpath(
        '//a[@href="https://solo.tribunnews.com" or @href="https://solo.tribunnews.com/"]'
    ):
        el.set("href", B + "/")
    shell = listing_shell(shell_doc, '//div[@id="article"]', TRIBUN_TITLE)
    site.add("_listing_shell.html", shell.replace("Tribun Solo", TRIBUN_TITLE))
    site.add("robots.txt", robots(["/search/", "/member/"], ["/sitemap/news.xml"]))
    site.meta["routes"] = [
        {"path": "/", "kind": "home", "title": TRIBUN_TITLE, "per_page": 10},
        {"path": "/rss", "kind": "rss"},
        {"path": "/sitemap/news.xml", "kind": "news_sitemap"},
        {"path": "/kalbar", "kind": "listing", "category": "kalbar", "per_page": 2,
         "paging": "query", "title": "Kalbar"},
    ]  # fmt: skip
    site.meta["expect"] = {
        "match": [path],
        "no_match": [guru["path"], fgd["path"]],
        "multipage": {
            path: [f"{path}?page=2", f"{path}?page=3"],
            "single_page_view": f"{path}?page=all",
        },
    }
    return site


# ============================================================================ sumselnews

SUMSEL_TITLE = "Sumsel News"
SUMSEL_NAV = [
    ("Daerah", "/kategori/daerah/"),
    ("Nasional", "/kategori/nasional/"),
    ("Indeks", "/indeks/"),
]


def sumsel_page(a: dict, body: str, related: list[dict], tags: list[str], amp: bool = False) -> str:
    rel = "".join(f'<li><a href="{B}{r["path"]}">{esc(r["title"])}</a></li>' for r in related)
    tag_html = "".join(
        f'<a class="tag" href="{B}/tag/{t}/">{esc(t.replace("-", " "))}</a>' for t in tags
    )
    head = (
        f'<link rel="canonical" href="{B}{a["path"]}">'
        + ("" if amp else (f'<link rel="amphtml" href="{B}{a["amp"]}">' if a.get("amp") else ""))
        + f'<meta property="og:title" content="{esc(a["title"])}"><meta property="og:type" content="article">'
        f'<meta property="article:published_time" content="{a["published"]}">'
        + jsonld(a, SUMSEL_TITLE, B + a["path"])
    )
    if amp:
        return f"""<!doctype html>
<html amp lang="id">
<head><meta charset="utf-8"><script async src="https://cdn.ampproject.org/v0.js"></script>
<title>{esc(a["title"])} - {SUMSEL_TITLE}</title>
{head}
<meta name="viewport" content="width=device-width,minimum-scale=1,initial-scale=1">
<style amp-boilerplate>body{{visibility:hidden}}</style><style amp-custom>.amp-header{{background:#0a4}}</style>
</head>
<body>
<header class="amp-header"><a href="{B}/">{SUMSEL_TITLE}</a></header>
<article class="amp-article"><h1>{esc(a["title"])}</h1>
<div class="amp-meta"><span class="author">{esc(a.get("author", "Redaksi"))}</span> &middot; <time datetime="{a["published"]}">{id_date(a["published"], True, "WIB")}</time></div>
<amp-img src="{B}/img/{a["path"].strip("/").split("/")[-1]}.jpg" width="640" height="360" layout="responsive" alt=""></amp-img>
<div class="amp-content">{body}</div></article>
<div class="amp-related"><h3>Baca Juga</h3><ul>{rel}</ul></div>
<footer>&copy; 2016 {SUMSEL_TITLE} &middot; <a href="{B}{a["path"]}">Versi non-AMP</a></footer>
</body></html>
"""
    navs = "".join(f'<a href="{B}{p}">{esc(t)}</a>' for t, p in SUMSEL_NAV)
    return f"""<!DOCTYPE html>
<html lang="id">
<head><meta charset="utf-8"><title>{esc(a["title"])} - {SUMSEL_TITLE}</title>
<meta name="description" content="{esc(a.get("summary", ""))}">
{head}
<link rel="alternate" type="application/rss+xml" href="{B}/feed">
</head>
<body class="single">
<div class="topbar">Palembang, Sumatera Selatan &middot; <a href="{B}/login">Masuk</a></div>
<header class="site-header"><a class="logo" href="{B}/">{SUMSEL_TITLE}</a><nav class="main-nav">{navs}</nav></header>
<div class="breadcrumb"><a href="{B}/">Home</a> &rsaquo; <a href="{B}/kategori/{a.get("category", "daerah")}/">{esc(a.get("category", "daerah").title())}</a></div>
<main class="content">
 <div class="read-article">
  <h1 class="read-title">{esc(a["title"])}</h1>
  <div class="read-meta">Penulis: <b>{esc(a.get("author", "Redaksi"))}</b> | {id_date(a["published"], True, "WIB")}</div>
  <div class="share-top">Bagikan: <a href="https://facebook.com/sharer?u={B}{a["path"]}">Facebook</a> <a href="https://wa.me/?text={B}{a["path"]}">WhatsApp</a></div>
  <div class="read-content">{body}</div>
  <div class="read-tags"><span>Tag:</span> {tag_html}</div>
 </div>
 <section class="related"><h3>Berita Lainnya</h3><ul>{rel}</ul></section>
 <section class="comments"><h3>Komentar</h3><div class="fb-comments" data-href="{B}{a["path"]}"></div></section>
</main>
<aside class="sidebar"><h3>Terpopuler</h3><ol>{rel}</ol></aside>
<footer class="site-footer">&copy; 2016 {SUMSEL_TITLE}. <a href="{B}/tentang-kami">Tentang Kami</a> &middot; <a href="{B}/pedoman-media-siber">Pedoman Media Siber</a></footer>
</body></html>
"""


def rehost(name: str, path: str, orig_url: str) -> tuple[str, str, str]:
    """A real corpus page served under `path`; returns (html, title, published)."""
    import trafilatura

    src = corpus(name)
    d = trafilatura.bare_extraction(src, with_metadata=True)
    doc = parse(src, orig_url)
    link_rel(doc, "canonical", B + path)
    meta(doc, "property", "og:url", B + path)
    title = (d.title or "").split(" - ")[0].strip()
    return serialize(doc), title, d.date


def build_sumsel() -> Site:
    site = Site(
        "sumselnews",
        title=SUMSEL_TITLE,
        description="Berita Sumatera Selatan",
        template="generic",
        region="Sumatera Selatan",
        language="id",
        last_modified="2016-12-08T12:00:00+07:00",
        feeds=[f"{B}/feed"],
        sitemaps=[f"{B}/sitemap.xml"],
        listings=[f"{B}/indeks/"],
        article_url_pattern=r"/read/\d{4}/\d{2}/\d{2}/",
        listing_shell="_listing_shell.html",
    )
    lines = seed_lines(3)
    body = lines[4:]
    # Syndicated copy of the Antara story: new dateline, a word changed here and there, one
    # sentence dropped, a source line added. The same story for dedup purposes.
    synd_body = [
        body[0]
        .replace("Sukamara (Antara Kalteng) - ", "SUKAMARA, SUMSELNEWS \u2013 ")
        .replace("menggelar workshop", "menyelenggarakan workshop"),
        body[1],
        body[2].replace("tidaklah ringan", "tidak ringan"),
        body[3],
        body[4],
        body[5],
        "Sumber: Antara",
    ]
    synd = {
        "path": "/read/2016/12/07/workshop-revolusi-mental-untuk-bangun-pelayanan-publik-asn-sukamara/",
        "amp": "/amp/read/2016/12/07/workshop-revolusi-mental-untuk-bangun-pelayanan-publik-asn-sukamara/",
        "title": "Workshop Revolusi Mental untuk Bangun Pelayanan Publik ASN Sukamara",
        "published": "2016-12-07T09:15:00+07:00",
        "category": "nasional",
        "author": "Redaksi",
        "tags": ["revolusi-mental", "asn"],
        "summary": synd_body[0][:180],
    }
    boiler = {
        "path": "/read/2016/12/08/pemkot-palembang-percepat-pelayanan-izin-usaha-satu-pintu/",
        "title": "Pemkot Palembang Percepat Pelayanan Izin Usaha Satu Pintu",
        "published": "2016-12-08T10:40:00+07:00",
        "category": "daerah",
        "author": "Rizal",
        "tags": ["revolusi-mental", "pelayanan-publik", "asn"],
        "summary": "Pemkot Palembang memangkas waktu pelayanan izin usaha menjadi tiga hari.",
    }
    boiler_body = [
        "PALEMBANG, SUMSELNEWS \u2013 Pemerintah Kota Palembang memangkas waktu pengurusan izin "
        "usaha di Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu menjadi paling lama tiga "
        "hari kerja.",
        "Kepala dinas mengatakan, seluruh ASN di loket pelayanan telah dilatih menggunakan sistem "
        "perizinan daring sehingga pemohon tidak perlu datang berulang kali.",
        f'<p class="baca-juga"><strong>Baca Juga:</strong> <a href="{B}{synd["path"]}">{esc(synd["title"])}</a></p>',
        "Menurut dia, pemangkasan birokrasi perizinan diharapkan menarik lebih banyak investor "
        "ke Palembang menjelang tahun 2017.",
        "Warga yang mengalami kendala dapat menyampaikan pengaduan melalui layanan pesan singkat "
        "yang disediakan pemerintah kota.",
    ]
    others = []
    for name, path, orig in [
        (
            "kompas-1.html",
            "/read/2015/11/04/polres-lhokseumawe-serahkan-anggota-di-minimi-ke-kejaksaan/",
            "http://regional.kompas.com/read/2015/11/04/21040031/",
        ),
        (
            "kompas-2.html",
            "/read/2016/02/16/menteri-yuddy-ancam-pns-yang-rankingnya-terendah-akan-dipangkas/",
            "http://nasional.kompas.com/read/2016/02/16/14382361/",
        ),
        (
            "detik-1.html",
            "/read/2015/11/05/google-umbar-kelemahan-galaxy-s6-edge/",
            "http://inet.detik.com/read/2015/11/05/100026/3062623/323/",
        ),
        (
            "okezone-1.html",
            "/read/2015/11/05/sering-depresi-berat-hati-hati-diabetes/",
            "http://lifestyle.okezone.com/read/2015/11/05/481/1244264/",
        ),
    ]:
        text, title, date = rehost(name, path, orig)
        entry = {
            "path": path,
            "title": title,
            "published": f"{date}T12:00:00+07:00",
            "category": "nasional",
            "tags": [],
            "summary": title,
        }
        others.append(entry)
        site.article(entry, path.strip("/") + "/index.html", text)
    rel = [synd, boiler] + others[:2]
    site.article(
        synd,
        synd["path"].strip("/") + "/index.html",
        sumsel_page(synd, paras(synd_body), [boiler] + others[:2], synd["tags"]),
    )
    site.add(
        synd["amp"].strip("/") + "/index.html",
        sumsel_page(synd, paras(synd_body), [boiler] + others[:2], synd["tags"], amp=True),
    )
    site.article(
        boiler,
        boiler["path"].strip("/") + "/index.html",
        sumsel_page(boiler, paras(boiler_body), [synd] + others[:2], boiler["tags"]),
    )
    fake = {"path": "/", "title": "{{LISTING_TITLE}}", "published": "2016-12-08T00:00:00+07:00"}
    shell = sumsel_page(fake, "{{LISTING}}", rel, [])
    shell = re.sub(r'<link rel="canonical".*?</script>', "{{HEAD}}", shell, flags=re.S)
    site.add("_listing_shell.html", shell)
    site.add("robots.txt", robots(["/login", "/cari"], ["/sitemap.xml"]))
    site.meta["routes"] = [
        {"path": "/", "kind": "home", "title": SUMSEL_TITLE, "per_page": 5, "paging": "path"},
        {"path": "/feed", "kind": "rss"},
        {"path": "/sitemap.xml", "kind": "sitemap"},
        {"path": "/indeks/", "kind": "listing", "per_page": 3, "paging": "path", "title": "Indeks Berita"},
        {"path": "/kategori/daerah/", "kind": "listing", "category": "daerah", "per_page": 5,
         "title": "Daerah"},
        {"path": "/kategori/nasional/", "kind": "listing", "category": "nasional", "per_page": 5,
         "title": "Nasional"},
        {"path": "/tag/revolusi-mental/", "kind": "listing", "tag": "revolusi-mental", "per_page": 5,
         "title": "Tag: revolusi mental"},
    ]  # fmt: skip
    site.meta["redirects"] = {
        "/berita/2016/12/07/workshop-revolusi-mental-asn-sukamara": synd["path"]
    }
    site.meta["expect"] = {
        "match": [synd["path"], synd["amp"]],
        "same_story_as": {synd["path"]: "kalteng-antara"},
        "no_match": [boiler["path"]] + [o["path"] for o in others],
    }
    return site


def main() -> None:
    out = cli(__doc__, HERE)
    total = 0
    for build in (
        build_rafflesia,
        build_bandungbarat,
        build_kaltengdaily,
        build_antara,
        build_tribun,
        build_sumsel,
    ):
        site = build()
        n = site.write(out)
        total += n
        print(f"{site.name:18s} {n:3d} files, {len(site.meta['articles'])} articles")
    print(f"total {total} files")


if __name__ == "__main__":
    main()
