"""The page classifier rejects only on positive evidence of an index page (issue 13, point 2).

Real pages of the development outlets: every article case must be an article and every index
page (home, listing, tag) must not be, under its real URL and under an unseen outlet's
article-shaped URL (so content evidence alone decides). Article-shaped variants built from real
pages (a body cut to 120 words, a sidebar of real headlines, a long related box, a /kategori/
URL, a photo story of lede and captions, a video story) must stay articles. Every verdict says
why in plain words and carries the signals that decided it.
"""

from __future__ import annotations

import copy
import re

import lxml.html
import pytest

from pantau.pipeline.extract import extract_or_reject, parse_html, story_type_of
from pantau.pipeline.models import ExtractedArticle, Rejection
from pantau.pipeline.pagekind import classify_page, page_kind
from tests.extraction.cases_io import load_cases, load_nonarticle, squash
from tests.extraction.variants.mutate import UNSEEN_HOST, Variant, anchors, mutate, unseen_url

CASES = [c for c in load_cases() if c.group == "development"]
NONARTICLE = load_nonarticle("development")
# pages whose body paragraphs are siblings (the mutation toolkit can cut and extend them)
SHAPED = [c for c in CASES if anchors(parse_html(c.html), c) is not None][:8]
# pages printing the body once (beritamanado-1 carries a second copy: no photo story base)
PHOTO_BASES = [c for c in SHAPED if c.name in ("antaranews-3", "detik-2", "kapanlagi-1",
                                               "kompas-2", "kompas-5", "liputan6-4")]  # fmt: skip
SIGNALS = {
    "longest_paragraph_run",
    "body_words",
    "headline_links",
    "teaser_links",
    "teaser_groups",
    "link_density",
    "pagination",
    "url_rule",
    "declared_type",
    "template_rule",
}
ARTICLE_SHAPED_URL = f"https://{UNSEEN_HOST}/berita/daerah/pemkab-gelar-apel-kesadaran-nasional"


def _headlines(page: bytes, n: int) -> list[tuple[str, str]]:
    """The first n distinct headline links (href, text) of a real listing page."""
    out: list[tuple[str, str]] = []
    for a in parse_html(page).iter("a"):
        text = " ".join(a.text_content().split())
        href = a.get("href") or ""
        if len(text.split()) >= 5 and href.startswith("http") and href not in dict(out):
            out.append((href, text))
        if len(out) == n:
            break
    assert len(out) == n
    return out


def _listing(name: str) -> bytes:
    return next(p.html for p in NONARTICLE if p.name == name)


def popular_posts(n: int = 8) -> str:
    """A Blogger "Popular Posts" sidebar widget holding real headlines of a real listing."""
    items = "".join(
        f'<li><div class="item-title"><a href="{h}">{t}</a></div></li>'
        for h, t in _headlines(_listing("kedirikab-go-id-home-1"), n)
    )
    return (
        '<div class="widget PopularPosts" id="PopularPosts1"><h2>Postingan Populer</h2>'
        f'<div class="widget-content popular-posts"><ul>{items}</ul></div></div>'
    )


def related_box(n: int = 30) -> str:
    """A long "Berita Terkait" box: real headlines of a real index page, each with a thumb."""
    items = "".join(
        f'<div class="terkait-item"><a href="{h}"><img src="x.jpg"></a>'
        f'<h3 class="terkait-title"><a href="{h}">{t}</a></h3></div>'
        for h, t in _headlines(_listing("detik-listing-2"), n)
    )
    return f'<div class="berita-terkait"><h2>Berita Terkait</h2>{items}</div>'


def shorten(words: int, kept: list[int] | None = None):
    """Reshape: keep the body's paragraphs up to about `words` words, drop the rest (and
    append the number of words kept to `kept`)."""

    def reshape(tree, a) -> None:
        parent = a.first.getparent()
        kids = list(parent)
        body = kids[kids.index(a.first) : kids.index(a.last)]  # the last paragraph stays
        total = len(a.last.text_content().split())
        for kid in body:
            n = len(kid.text_content().split())
            if kid is not a.first and (total + n > words or kid.find(".//a") is not None):
                parent.remove(kid)  # and inline related links of the cut body
            else:
                total += n
        if kept is not None:
            kept.append(total)

    return reshape


# --------------------------------------------------------------------------- real pages


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_real_articles_are_articles_with_reason_and_signals(case) -> None:
    v = classify_page(parse_html(case.html), case.expect["url"], case.expect["template"])
    assert v.kind == "article", v.reason
    assert v.reason and "run of body paragraphs" in v.reason
    assert SIGNALS <= set(v.signals)


@pytest.mark.parametrize("page", NONARTICLE, ids=lambda p: p.name)
def test_real_index_pages_are_rejected_on_evidence(page) -> None:
    tree = parse_html(page.html)
    for url, template in (
        (page.url, page.template),
        (ARTICLE_SHAPED_URL, "generic"),  # the URL says "article": the page must say otherwise
        (f"https://{UNSEEN_HOST}/kanal/berita-daerah", "generic"),
    ):
        v = classify_page(tree, url, template)
        assert v.kind != "article", (url, v.signals)
        assert SIGNALS <= set(v.signals)
        rej = v.rejection()
        assert isinstance(rej, Rejection) and rej.stage == "classifier"
        assert rej.reason == v.reason and rej.signals["teaser_links"] == v.signals["teaser_links"]
    # under an article-shaped URL the decision rests on the page: teasers, posts or pagination
    v = classify_page(tree, ARTICLE_SHAPED_URL, "generic")
    assert re.search(r"teaser links|post bodies|pagination", v.reason), v.reason
    assert v.signals["url_rule"] == "none"


def test_url_rules_name_the_kind_of_a_listing_page() -> None:
    listing = _listing("detik-listing-1")
    assert page_kind(listing, "https://example.com/search?q=revolusi+mental") == "search"
    assert page_kind(listing, "https://example.com/tag/revolusi-mental") == "tag"
    assert page_kind(listing, "https://example.com/") == "home"
    assert page_kind(listing, "https://example.com/?m=1") == "home"
    assert page_kind(listing, "https://example.com/foto/") == "gallery"
    assert page_kind(listing, "https://example.com/2024/03/") == "listing"
    v = classify_page(listing, "https://example.com/")
    assert v.signals["url_rule"] == "home page path /"


def test_a_bodiless_page_with_no_index_evidence_is_left_to_extraction() -> None:
    """No teasers, no pager, no listing URL: "article" (when in doubt, keep), and extraction
    records it as a not-article rejection with the signals."""
    html = (
        "<html><head><title>Pengumuman</title></head><body><h1>Pengumuman Seleksi</h1>"
        "<p>Lihat lampiran.</p></body></html>"
    )
    url = f"https://{UNSEEN_HOST}/pengumuman-seleksi-calon-asn-2024"
    assert classify_page(html, url).kind == "article"
    rej = extract_or_reject(html, url)
    assert isinstance(rej, Rejection) and rej.kind == "not-article" and rej.stage == "extraction"


# --------------------------------------------------------------------------- article variants


@pytest.mark.parametrize("case", SHAPED, ids=lambda c: c.name)
def test_short_post_with_a_popular_posts_sidebar_is_an_article(case) -> None:
    kept: list[int] = []
    html = mutate(case, Variant("short+sidebar", html=popular_posts(), where="end",
                                reshape=shorten(120, kept)))  # fmt: skip
    assert 0 < kept[0] < 200  # the body really is a short post
    v = classify_page(parse_html(html), unseen_url(case.expect["url"]), "generic")
    assert v.kind == "article", (v.reason, v.signals)
    assert v.signals["headline_links"] >= 8


@pytest.mark.parametrize("case", SHAPED, ids=lambda c: c.name)
def test_short_body_above_a_long_related_box_is_an_article(case) -> None:
    html = mutate(case, Variant("short+related", html=related_box(), where="end",
                                reshape=shorten(120)))  # fmt: skip
    v = classify_page(parse_html(html), unseen_url(case.expect["url"]), "generic")
    assert v.kind == "article", (v.reason, v.signals)
    assert v.signals["teaser_links"] >= 30


@pytest.mark.parametrize("case", SHAPED[:4], ids=lambda c: c.name)
def test_category_segment_before_the_slug_keeps_the_article(case) -> None:
    html = mutate(case, Variant("short", reshape=shorten(120)))
    for path in ("/kategori/pemerintahan/", "/berita/", "/kanal/daerah/", "/index.php/"):
        url = f"https://{UNSEEN_HOST}{path}pemkab-gelar-apel-asn-revolusi-mental"
        v = classify_page(parse_html(html), url, "generic")
        assert v.kind == "article", (url, v.reason)


def photo_story(case) -> tuple[str, str, list[str]]:
    """A photo story made of a real page: its first paragraph as the lede, and three later
    sentences of the same article as the captions of three photos (the body is removed)."""
    tree = parse_html(case.html)
    a = anchors(tree, case)
    parent = a.first.getparent()
    paras = [p for p in parent if p.tag == "p" and len(p.text_content().split()) > 8]
    lede = squash(a.first.text_content())
    captions = [re.split(r"(?<=[.!?])\s", squash(p.text_content()))[0] for p in paras[1:4]]
    for kid in list(parent)[parent.index(a.first) + 1 :]:
        parent.remove(kid)
    for n, cap in enumerate(captions):
        fig = lxml.html.fragment_fromstring(
            f'<figure class="foto"><img src="foto-{n}.jpg"><figcaption></figcaption></figure>'
        )
        fig.find("figcaption").text = cap
        parent.append(fig)
    return lxml.html.tostring(tree, encoding="unicode"), lede, captions


@pytest.mark.parametrize("case", PHOTO_BASES, ids=lambda c: c.name)
def test_photo_story_is_an_article_whose_text_is_lede_and_captions(case) -> None:
    html, lede, captions = photo_story(case)
    url = f"https://{UNSEEN_HOST}/foto/2024/03/06/apel-kesadaran-nasional-asn-pemkab"
    v = classify_page(parse_html(html), url, "generic")
    assert v.kind == "article", (v.reason, v.signals)
    art = extract_or_reject(html, url)
    assert isinstance(art, ExtractedArticle), art.describe()
    assert art.story_type == "photo"
    text = squash(art.text)
    assert lede[:60] in text
    for cap in captions:
        assert text.count(squash(cap)) == 1, cap
    assert art.title


def test_story_type_from_url_and_declarations() -> None:
    page = lambda extra: parse_html(f"<html><head>{extra}</head><body><p>x</p></body></html>")  # noqa: E731
    plain, player = page(""), page("")
    player.find("body").append(lxml.html.fragment_fromstring('<video src="a.mp4"></video>'))
    assert story_type_of(plain, "https://x.id/foto/2024/03/06/apel-asn") == "photo"
    assert story_type_of(plain, "https://x.id/readfoto/123456/apel-asn") == "photo"
    assert story_type_of(plain, "https://photo.x.id/view/2024/03/06/apel-asn") == "photo"
    assert story_type_of(player, "https://x.id/video/123456/apel-asn") == "video"
    assert story_type_of(plain, "https://x.id/video/123456/apel-asn") == "article"  # no player
    og_video = page('<meta property="og:type" content="video.other">')
    assert story_type_of(og_video, "https://x.id/apel-asn-pemkab-2024") == "video"
    gallery = page('<script type="application/ld+json">{"@type": "ImageGallery"}</script>')
    assert story_type_of(gallery, "https://x.id/apel-asn-pemkab-2024") == "photo"
    # an article embedding a clip (VideoObject) is still an article
    clip = page('<script type="application/ld+json">[{"@type": "NewsArticle"},'
                '{"@type": "VideoObject"}]</script>')  # fmt: skip
    assert story_type_of(clip, "https://x.id/berita/apel-asn-pemkab-2024") == "article"


def test_a_real_article_is_not_a_photo_story() -> None:
    case = next(c for c in CASES if c.name == "kompas-2")
    art = extract_or_reject(case.html, case.expect["url"], template=case.expect["template"])
    assert isinstance(art, ExtractedArticle) and art.story_type == "article"


def test_classifier_reads_a_tree_without_copying_or_changing_it() -> None:
    tree = parse_html(CASES[0].html)
    before = lxml.html.tostring(tree)
    classify_page(copy.deepcopy(tree), CASES[0].expect["url"])
    classify_page(tree, CASES[0].expect["url"])
    assert lxml.html.tostring(tree) == before


def test_a_declared_index_type_without_a_body_is_a_listing() -> None:
    """Five real headlines (too few teasers to decide alone), no pager, no body, and a JSON-LD
    CollectionPage declaration: a listing; without the declaration, left to extraction."""
    items = "".join(
        f'<li><a href="{h}">{t}</a></li>' for h, t in _headlines(_listing("kompas-listing-1"), 5)
    )
    ld = '<script type="application/ld+json">{"@type": "CollectionPage"}</script>'
    url = f"https://{UNSEEN_HOST}/pemkab-gelar-apel-asn-revolusi-mental"
    page = f"<html><head>{{}}</head><body><h1>Pemerintahan</h1><ul>{items}</ul></body></html>"
    v = classify_page(page.format(ld), url)
    assert v.signals["teaser_links"] == 5 and v.signals["pagination"] == "none", v.signals
    assert v.kind == "listing" and "collectionpage" in v.reason
    assert classify_page(page.format(""), url).kind == "article"
