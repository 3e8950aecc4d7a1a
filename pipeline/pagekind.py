"""Is a page an article, or a home/listing/tag/search/gallery index?

Crawls reach many index pages; extracting them as "articles" would archive a pile of headlines
(and match topics on them). Losing a real story is as bad, so the classifier rejects a page
only on positive evidence of an index: many same-shaped teaser links with no run of body
paragraphs, pagination with no body, a URL the rules know as a listing/tag/search/home page
that declares no article and holds no body, or an index type declared with no body. A short
article, a Blogger post, a photo or video story and a small government CMS page have none of
these, so when in doubt the verdict is "article" (extraction then decides whether the page
has a usable body, and records it as a "not-article" rejection when it has none).

Every verdict carries a plain-words reason and the measurements that decided it; they are
collected in one pass over the tree (the classifier runs on every fetched page).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import lxml.html
from lxml import etree

from pantau.pipeline.models import Rejection

_SEARCH_URL = re.compile(r"(/search\b|/cari\b|/pencarian\b|[?&](q|s|query|keyword|search)=)", re.I)
_TAG_URL = re.compile(r"/(tag|tags|topic|topik|label|keyword|kata-kunci)(/|$)", re.I)
# a photo/video section with no story named after it: "/foto", "/video/", "/galeri/page/2"
_GALLERY_INDEX_URL = re.compile(
    r"/(foto|photo|photos|galeri|gallery|galleries|video|videos|tv)"
    r"(/(page/\d+/?|[a-z]+/?)?)?$",
    re.I,
)
_LISTING_URL = re.compile(
    r"/(category|categories|kategori|kanal|rubrik|section|indeks|index|arsip|archive|"
    r"terpopuler|terkini|berita-terkini|page|author|penulis)(/|$|\.)",
    re.I,
)
_DATE_ARCHIVE_URL = re.compile(r"^/(19|20)\d\d(/[01]\d)?(/[0-3]\d)?/?$")  # Blogger, WordPress
_HOME_PATHS = {"", "/", "/index.html", "/index.php", "/index.htm", "/home"}
_PAGER_QUERY = re.compile(r"(?:^|[?&;])(page|halaman|hal|paged|p)=(\d{1,3})\b", re.I)
_PAGE_URL_QUERY = re.compile(r"(?:^|&)(page|halaman|hal|paged)=\d+", re.I)  # ?p=N: a post id
_PAGER_PATH = re.compile(r"/(page|halaman|hal)/(\d+)/?$", re.I)
# class names of a pager, and Blogger/WordPress marks of one post's body
_PAGER_CLASSES = ("blog-pager", "pagination", "pager", "paging", "page-numbers", "nav-links")
_POST_CLASSES = ("post-body", "entry-content", "hentry", "single-post", "post-content")
_POST_BODIES = ("post-body", "entry-content")
_CLASS_MARK = re.compile("|".join(_PAGER_CLASSES + _POST_CLASSES))
_ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "reportagenewsarticle",
    "blogposting",
    "analysisnewsarticle",
    "imagegallery",  # a photo story (lede plus captions) declares itself so
    "videoobject",
    "video.other",
}
_INDEX_TYPES = {"collectionpage", "itemlist", "searchresultspage"}
_STRONG = ("post-body", "entry-content", "single-post", "itemprop=articleBody")
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_RUN_TAGS = frozenset({"div", "span", "td", "section", "article", "font"})
_CLASS_TAGS = frozenset({"div", "ul", "nav", "section", "article", "span", "body", "main", "p"})
# What the one pass visits: these and the inline tags whose tails carry <br>-separated body
# text; li, img, svg, headings ... (often half a page's elements) are skipped.
_MEASURED = (*_RUN_TAGS, *_CLASS_TAGS, "a", "script", "style", "meta", "link", "br", "b",
             "strong", "em", "i", "figcaption")  # fmt: skip

# Thresholds (characters of paragraph text; links)
BODY_CHARS = 400  # a run this long is a body: about 60 words, less than the shortest post
SHORT_BODY_CHARS = 200  # enough when the page declares itself an article
MANY_TEASERS = 12  # same-shaped headline links that make an index when there is no body
MANY_POSTS = 3  # post-body containers on one page: a blog's archive, label or home page
TEASER_GROUP = 4  # headline links sharing one shape make a group


def _tree(html_or_tree: str | bytes | etree._Element) -> etree._Element | None:
    if isinstance(html_or_tree, etree._Element):
        return html_or_tree
    try:
        return lxml.html.fromstring(html_or_tree)
    except (etree.ParserError, ValueError):
        return None


def _ld_types(script: str) -> set[str]:
    out: set[str] = set()
    for m in re.finditer(r'"@type"\s*:\s*(\[[^\]]*\]|"[^"]*")', script):
        try:
            val = json.loads(m.group(1))
        except json.JSONDecodeError:
            continue
        for v in val if isinstance(val, list) else [val]:
            if isinstance(v, str):
                out.add(v.lower())
    return out


def _shape(el: etree._Element) -> str:
    """Tag and class of an element: what makes teasers of one list look alike."""
    return f"{el.tag}.{el.get('class') or ''}"


@dataclass
class _Measure:
    """What one pass over the page found."""

    runs: dict = field(default_factory=dict)  # paragraph container -> [chars, words]
    bare_run: int = 0  # longest bare-text (<br>) run of one element
    headline_hrefs: set = field(default_factory=set)
    shapes: Counter = field(default_factory=Counter)
    link_chars: int = 0
    script_chars: int = 0  # text of scripts and styles (not page text)
    pagination: str = ""
    post_marker: str = ""
    og_types: set = field(default_factory=set)
    ld_types: set = field(default_factory=set)
    published_meta: bool = False  # article:published_time holding a date
    caption_chars: int = 0  # text of <figcaption>s: a photo story's body is lede plus captions
    posts: int = 0  # elements that each hold one post's body (post-body, articleBody ...)


def _is_full_post(el: etree._Element) -> bool:
    """A post body holding a whole post, not a snippet (Blogger's popular-posts widget prints
    its snippets in "post-body entry-content" boxes too)."""
    return len(el.text_content()) >= BODY_CHARS


def _measure(tree: etree._Element) -> _Measure:
    m = _Measure()
    bare: dict[etree._Element, int] = {}  # element -> its own text in long pieces (<br> bodies)
    for el in tree.iter(*_MEASURED):
        tail = el.tail
        if tail:
            if len(tail) > 40 and len(tail.strip()) > 40:
                parent = el.getparent()
                if parent is not None and parent.tag in _RUN_TAGS:
                    bare[parent] = bare.get(parent, 0) + len(tail.strip())
        tag = el.tag
        if tag == "a":
            text = el.text_content().strip()
            m.link_chars += len(text)
            href = el.get("href") or ""
            if len(text) >= 25 and text.count(" ") >= 3 and href not in m.headline_hrefs:
                m.headline_hrefs.add(href or text)
                parent = el.getparent()
                if parent is not None:
                    gp = parent.getparent()
                    key = _shape(parent) + ("/" + _shape(gp) if gp is not None else "")
                    m.shapes[key] += 1
            elif not m.pagination and ("=" in href or "/pa" in href or "/ha" in href):
                q = _PAGER_QUERY.search(href) or _PAGER_PATH.search(href)
                if q and q.group(2) not in ("0", "1") and len(text) < 25:
                    m.pagination = "page link " + q.group(0).strip("?&;/")
        elif tag == "p":
            parent = el.getparent()
            if parent is None:
                continue
            prev = el.getprevious()
            if prev is not None and (prev.tag in _HEADINGS or prev.tag == "a"):
                # a teaser's snippet right under its headline, not a body paragraph
                if prev.find(".//a") is not None or prev.tag == "a":
                    continue
            text = el.text_content()
            links = sum(len(a.text_content()) for a in el.iter("a"))
            n = len(text.strip()) - links
            if n > 40:
                run = m.runs.setdefault(parent, [0, 0])
                run[0] += n
                run[1] += len(text.split())
        elif tag in _RUN_TAGS:
            # bodies written as bare text with <br> inside a div or span
            text = el.text
            if text and len(text) > 40 and len(text.strip()) > 40:
                bare[el] = bare.get(el, 0) + len(text.strip())
        elif tag == "figcaption":
            m.caption_chars += len(el.text_content().strip())
        elif tag in ("script", "style"):
            m.script_chars += len(el.text or "")
            if tag == "script" and el.get("type") == "application/ld+json" and el.text:
                m.ld_types |= _ld_types(el.text)
        elif tag == "meta":
            prop = el.get("property") or el.get("name") or ""
            if prop == "og:type":
                m.og_types.add((el.get("content") or "").strip().lower())
            elif prop == "article:published_time":
                m.published_meta = bool(re.match(r"\s*(19|20)\d\d", el.get("content") or ""))
        elif tag == "link" and (el.get("rel") or "").lower() == "next" and not m.pagination:
            m.pagination = "rel=next"
        if tag in _CLASS_TAGS:
            cls = el.get("class")
            hit = _CLASS_MARK.search(cls) if cls else None
            if hit is not None:
                mark = hit.group(0)
                if mark in _PAGER_CLASSES:
                    m.pagination = m.pagination or "pager " + mark
                else:
                    m.post_marker = m.post_marker or mark
                    m.posts += mark in _POST_BODIES and _is_full_post(el)
            elif el.get("itemprop") == "articleBody":
                m.post_marker = m.post_marker or "itemprop=articleBody"
                m.posts += _is_full_post(el)
    m.bare_run = max(bare.values(), default=0)
    return m


_MEDIA_STORY_URL = re.compile(
    r"(/(?:foto|photo|photos|galeri|gallery|video|videos|readfoto|foto-news|photo-news)"
    r"/(?:[a-z0-9-]+/)*(?:\d{5,}|[a-z0-9]+(?:-[a-z0-9]+)+)(?:\.html?)?/?$)",
    re.I,
)
_MEDIA_HOST = re.compile(r"^(foto|photo|video|tv)\.", re.I)


def _media_story(url: str) -> str:
    """The rule naming a photo/video story URL ("/foto/2024/03/06/slug", "photo.site.com/...",
    "/video/123/slug"), or ""."""
    parts = urlsplit(url or "")
    m = _MEDIA_STORY_URL.search(parts.path)
    if m:
        return "photo/video story URL " + m.group(1)[:40]
    if _MEDIA_HOST.match(parts.hostname or "") and len(parts.path.strip("/")) > 8:
        return "photo/video host " + (parts.hostname or "")
    return ""


def _url_rule(url: str) -> tuple[str, str]:
    """(kind the URL names, the rule that said so); ("", "") when the URL says nothing."""
    parts = urlsplit(url or "")
    path = parts.path or "/"
    pathq = path + ("?" + parts.query if parts.query else "")
    query = [k for k, _ in parse_qsl(parts.query)]
    if _SEARCH_URL.search(pathq):
        return "search", "search URL " + _SEARCH_URL.search(pathq).group(1)
    if path in _HOME_PATHS and set(query) <= {"m", "amp"}:
        return "home", "home page path " + (path or "/")
    if _TAG_URL.search(path):
        return "tag", "tag URL /" + _TAG_URL.search(path).group(1) + "/"
    if _GALLERY_INDEX_URL.search(path):
        return "gallery", "gallery index URL /" + _GALLERY_INDEX_URL.search(path).group(1)
    if _LISTING_URL.search(path):
        return "listing", "listing URL /" + _LISTING_URL.search(path).group(1)
    if _DATE_ARCHIVE_URL.search(path):
        return "listing", "date archive URL " + path
    if _PAGE_URL_QUERY.search(parts.query) or _PAGER_PATH.search(path):
        return "listing", "numbered page URL"
    return "", ""


@dataclass
class PageVerdict:
    """The classifier's answer: the page's kind, why, and the measurements that decided it."""

    kind: str  # article | listing | home | search | tag | gallery | other
    reason: str
    signals: dict[str, object] = field(default_factory=dict)
    # all paragraph text of the page (every run, not only the longest): extraction compares
    # trafilatura's result with it (pipeline.extract); not a signal, rejections do not show it
    paragraph_chars: int = 0

    def rejection(self) -> Rejection:
        return Rejection(self.kind, self.reason, dict(self.signals), stage="classifier")


def page_kind(
    html_or_tree: str | bytes | etree._Element, url: str, template: str = "generic"
) -> str:
    """Classify a page: "article" | "listing" | "home" | "search" | "tag" | "gallery" | "other"."""
    return classify_page(html_or_tree, url, template).kind


def classify_page(
    html_or_tree: str | bytes | etree._Element, url: str, template: str = "generic"
) -> PageVerdict:
    """The page's kind with its reason and signals (what a rejection records)."""
    tree = _tree(html_or_tree)
    if tree is None:
        return PageVerdict("other", "no HTML could be parsed")
    m = _measure(tree)
    best = max(m.runs.values(), default=[0, 0], key=lambda r: r[0])
    run = max(best[0], m.bare_run)
    words = best[1] if best[0] >= m.bare_run else run // 7
    teasers = sum(n for n in m.shapes.values() if n >= TEASER_GROUP)
    groups = sum(1 for n in m.shapes.values() if n >= TEASER_GROUP)
    types = m.og_types | m.ld_types
    declared = sorted(types & _ARTICLE_TYPES) or sorted(types & _INDEX_TYPES)
    # og:type "article" is printed on home and index pages too (detik, kompas, merdeka): only
    # JSON-LD, articleBody, a post-body class or a real publication time declare one article
    strong = (
        bool(m.ld_types & _ARTICLE_TYPES)
        or m.published_meta
        or (m.post_marker in _STRONG and m.posts <= 1)
    )
    declared_index = bool(m.ld_types & _INDEX_TYPES) and not strong
    url_kind, url_rule = _url_rule(url)
    media_story = _media_story(url)
    if media_story and not url_rule:
        url_rule = media_story
    has_body = (
        run >= BODY_CHARS
        or (strong and run >= SHORT_BODY_CHARS)
        or (bool(media_story) and run + m.caption_chars >= BODY_CHARS)
    )
    signals: dict[str, object] = {
        "longest_paragraph_run": run,
        "body_words": words,
        "headline_links": len(m.headline_hrefs),
        "teaser_links": teasers,
        "teaser_groups": groups,
        "link_density": round(m.link_chars / max(len(tree.text_content()) - m.script_chars, 1), 2),
        "pagination": m.pagination or "none",
        "url_rule": url_rule or "none",
        "declared_type": ",".join(declared)
        or ("article:published_time" if m.published_meta else "none"),
        "template_rule": m.post_marker or "none",
        "post_bodies": m.posts,
        "caption_chars": m.caption_chars,
        "template": template,
    }

    paragraph_chars = sum(r[0] for r in m.runs.values()) + m.bare_run

    def verdict(kind: str, reason: str) -> PageVerdict:
        return PageVerdict(kind, reason, signals, paragraph_chars)

    if url_kind == "search" and not strong:
        return verdict("search", f"a site-search URL ({url_rule}) that declares no article")
    if url_kind == "home":
        return verdict("home", f"the site's home page ({url_rule})")
    if m.posts >= MANY_POSTS:
        return verdict(
            "listing", f"{m.posts} post bodies on one page (an archive or label page of a blog)"
        )
    if not has_body:
        # a declared article or a photo/video story URL outweighs a related box, not a flood
        vouched = strong or bool(media_story)
        if teasers >= (3 * MANY_TEASERS if vouched else MANY_TEASERS):
            return verdict(
                url_kind or "listing",
                f"{teasers} same-shaped teaser links and no run of body paragraphs "
                f"(longest run {run} characters)",
            )
        if m.pagination and not strong and not media_story:
            return verdict(
                url_kind or "listing",
                f"pagination ({m.pagination}) and no run of body paragraphs "
                f"(longest run {run} characters)",
            )
        if url_kind and not strong:
            return verdict(
                url_kind,
                f"a {url_kind} URL ({url_rule}) with no article declaration and no body "
                f"(longest run {run} characters)",
            )
        if declared_index:
            return verdict(
                "listing", f"declares an index type ({', '.join(declared)}) and has no body"
            )
    reason = (
        f"a run of body paragraphs ({run} characters, about {words} words)"
        if has_body
        else "no evidence of an index page (extraction decides whether it has a body)"
    )
    return verdict("article", reason)
