"""Is a page an article, or a home/listing/tag/search/gallery index?

Crawls reach many index pages; extracting them as "articles" would archive a pile of headlines
(and match topics on them). The decision combines the URL's shape, the page's own declarations
(og:type, JSON-LD @type, article:published_time) and its structure: an article has one long run
of paragraph text; an index has many headline links and little running text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from pipeline.models import Rejection

_SEARCH_URL = re.compile(r"(/search\b|/cari\b|/pencarian\b|[?&](q|s|query|keyword|search)=)", re.I)
_TAG_URL = re.compile(r"/(tag|tags|topic|topik|label|keyword|kata-kunci)(/|$)", re.I)
_GALLERY_URL = re.compile(
    r"/(foto|photo|photos|galeri|gallery|galleries|video|videos|tv)(/|$)", re.I
)
_LISTING_URL = re.compile(
    r"/(category|kategori|kanal|rubrik|section|indeks|index|arsip|archive|terpopuler|terkini|"
    r"berita-terkini|page|author|penulis)(/|$|\.)",
    re.I,
)
_HOME_PATHS = {"", "/", "/index.html", "/index.php", "/index.htm", "/home"}
# URL shapes of article pages: a date path, "/read/", a numeric id, or a long slug
_ARTICLE_URL = re.compile(
    r"(/20\d\d/\d\d/\d\d/|/read/|/berita/|/\d{5,}|-\d{5,}|/[a-z0-9]+(-[a-z0-9]+){4,}(\.html?)?/?$)",
    re.I,
)
_ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "reportagenewsarticle",
    "blogposting",
    "analysisnewsarticle",
}
_INDEX_TYPES = {
    "collectionpage",
    "itemlist",
    "searchresultspage",
    "website",
    "webpage",
    "imagegallery",
}


def _tree(html_or_tree: str | bytes | etree._Element) -> etree._Element | None:
    if isinstance(html_or_tree, etree._Element):
        return html_or_tree
    try:
        return lxml.html.fromstring(html_or_tree)
    except (etree.ParserError, ValueError):
        return None


def _declared_types(tree: etree._Element) -> set[str]:
    types: set[str] = set()
    og = tree.xpath("//meta[@property='og:type']/@content")
    types.update(t.strip().lower() for t in og)
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        for m in re.finditer(r'"@type"\s*:\s*(\[[^\]]*\]|"[^"]*")', script):
            try:
                val = json.loads(m.group(1))
            except json.JSONDecodeError:
                continue
            for v in val if isinstance(val, list) else [val]:
                if isinstance(v, str):
                    types.add(v.lower())
    return types


def _paragraph_text(tree: etree._Element) -> int:
    """Characters in the longest container's run of paragraph text (the article body)."""
    best = 0
    per_parent: dict[etree._Element, int] = {}
    for p in tree.iter("p"):
        parent = p.getparent()
        if parent is None:
            continue
        text = p.text_content()
        links = sum(len(a.text_content()) for a in p.iter("a"))
        n = len(text.strip()) - links
        if n > 40:
            per_parent[parent] = per_parent.get(parent, 0) + n
    if per_parent:
        best = max(per_parent.values())
    # bodies written as bare text with <br> inside a div or span
    for div in tree.iter("div", "span", "td", "section", "article", "font"):
        # its own text nodes (what xpath "text()" gives), read without an XPath call each
        own = [div.text, *(child.tail for child in div)]
        n = sum(len(t.strip()) for t in own if t and len(t.strip()) > 40)
        best = max(best, n)
    return best


def _headline_links(tree: etree._Element) -> int:
    """Distinct links whose anchor looks like a headline (several words)."""
    seen: set[str] = set()
    for a in tree.iter("a"):
        text = " ".join(a.text_content().split())
        if len(text) >= 25 and len(text.split()) >= 4:
            seen.add(a.get("href") or text)
    return len(seen)


@dataclass
class PageVerdict:
    """The classifier's answer: the page's kind, why, and the measurements that decided it."""

    kind: str  # article | listing | home | search | tag | gallery | other
    reason: str
    signals: dict[str, object] = field(default_factory=dict)

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
    kind = _old_kind(tree, url, template)
    return PageVerdict(kind, "classified as " + kind)


def _old_kind(tree: etree._Element, url: str, template: str) -> str:
    parts = urlsplit(url or "")
    path = parts.path or "/"
    pathq = path + ("?" + parts.query if parts.query else "")
    types = _declared_types(tree)
    body_chars = _paragraph_text(tree)
    headlines = _headline_links(tree)
    declared_article = bool(types & _ARTICLE_TYPES) or bool(
        tree.xpath("//meta[@property='article:published_time']")
    )
    article_url = bool(_ARTICLE_URL.search(path))

    if _SEARCH_URL.search(pathq) and not declared_article:
        return "search"
    if path in _HOME_PATHS and not parts.query:
        return "home"
    long_body = body_chars >= 700
    if declared_article and body_chars >= 300:
        if _GALLERY_URL.search(path) and body_chars < 500:
            return "gallery"
        return "article"
    if _TAG_URL.search(path):
        return "tag"
    if _GALLERY_URL.search(path) and not long_body:
        return "gallery"
    if _LISTING_URL.search(path) and not (article_url and long_body):
        return "listing"
    if long_body and (article_url or headlines < 40 or body_chars >= 1500):
        return "article"
    if body_chars >= 400 and article_url:
        return "article"
    if headlines >= 10 or types & _INDEX_TYPES:
        return "listing"
    return "other"
