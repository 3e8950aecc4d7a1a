"""Clean text and metadata of one Indonesian news page: the entry point of extraction.

The page is parsed once with lxml; that tree feeds the page-kind check, the metadata readers,
trafilatura (which copies it before pruning) and date resolution. Trafilatura finds the body;
`pipeline.cleaning` removes the furniture Indonesian templates put inside it.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from pantau.pipeline import cleaning_rules as R
from pantau.pipeline import htmlcodec
from pantau.pipeline.canonical import canonicalize_url, registrable_domain
from pantau.pipeline.cleaning import Block, blocks_from_body, clean_blocks, norm, prune_tree
from pantau.pipeline.dates import MONTH_NAMES, WEEKDAY_NAMES, ZONES
from pantau.pipeline.models import ExtractedArticle, Rejection
from pantau.pipeline.pagekind import classify_page
from pantau.pipeline.pagekind import page_kind as _page_kind
from pantau.pipeline.regions import refine_region

log = logging.getLogger(__name__)

MIN_WORDS = 25  # a body shorter than this is no usable article text
NO_BODY_CHARS = 150  # paragraph and caption text below this on a page: no body at all
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_TITLE_SEP = re.compile(r"\s+[|\-–—:»•]\s+|\s*\|\s*")
_ID_WORD = re.compile(r"[a-z]+")

__all__ = ["extract_article", "extract_or_reject", "page_kind", "warm_up"]


# --- one-time setup -------------------------------------------------------------------------------


@lru_cache(maxsize=2)
def _options(with_metadata: bool = True):  # trafilatura type, imported lazily
    """The single trafilatura options object (one with metadata, one for pages 2..n)."""
    from trafilatura.settings import Extractor

    _guard_comparison()
    return Extractor(
        comments=False,
        with_metadata=with_metadata,
        links=True,  # kept so link density can be measured; links are not in the output text
        formatting=False,
        tables=True,
        images=False,
    )


# --- trafilatura's comparison with readability and justext ---------------------------------------

# Trafilatura checks its own result against readability's and sometimes justext's
# (`trafilatura.external.compare_extraction`), a fifth of its time, and keeps its own unless
# that one is short, has no paragraphs, holds furniture elements (aside, figure, nav ...) or
# readability finds twice as much. The last needs readability to run, unless the own result
# already holds most of the page's paragraph text: then readability, whose output is paragraph
# text of the page, would need more than the page has. On the test pages and fixture sites
# every result the comparison replaced had under 0.5 of it; the trusted ones 0.6 or more.
TRUST_PARAGRAPH_SHARE = 0.6
_page = threading.local()  # paragraph_chars of the page being extracted, on this thread


def _own_result_holds(body: etree._Element, text: str, options, paragraph_chars: int) -> bool:
    """Would `compare_extraction` keep trafilatura's own result? True only when it surely
    would: the same tests as its own, with the page's paragraph text bounding readability's."""
    from trafilatura.external import SANITIZED_XPATH

    n = len(text)
    return (
        options.focus == "balanced"
        and paragraph_chars > 0
        and n >= options.min_extracted_size
        and n >= TRUST_PARAGRAPH_SHARE * paragraph_chars
        and not body.xpath(SANITIZED_XPATH)
        and bool(body.xpath(".//p//text()"))
        and len(body.findall(".//table")) <= len(body.findall(".//p"))
    )


def _guard_comparison() -> None:
    """Route trafilatura's comparison through `_own_result_holds` (once per process).

    Only Pantau's own calls are affected (`_body_blocks` sets the page's paragraph text);
    any other `trafilatura.extract` in the process compares as always. Without the hook (a
    trafilatura that renamed it) every page simply takes the full comparison.
    """
    import trafilatura.core as core

    real = getattr(core, "compare_extraction", None)
    if real is None or getattr(real, "pantau_guard", False):
        return

    def compare_extraction(cleaned_tree, raw_tree, body, text, options):
        paragraph_chars = getattr(_page, "paragraph_chars", None)
        if paragraph_chars is not None and _own_result_holds(body, text, options, paragraph_chars):
            return body, text
        return real(cleaned_tree, raw_tree, body, text, options)

    compare_extraction.pantau_guard = True  # type: ignore[attr-defined]
    core.compare_extraction = compare_extraction


def warm_up() -> None:
    """Import and initialise the heavy pieces once per process (trafilatura, htmldate, dates)."""
    import trafilatura

    _options(True)
    _options(False)
    registrable_domain("https://warm.up.example.co.id/")  # loads the public suffix list
    html = (
        "<html><head><title>Uji</title></head><body><article><h1>Uji</h1>"
        + "<p>Ini adalah kalimat uji yang cukup panjang untuk diekstrak oleh trafilatura.</p>" * 5
        + "</article></body></html>"
    )
    trafilatura.bare_extraction(lxml.html.fromstring(html), options=_options(True))
    resolver = _date_resolver()
    if resolver is not None:
        try:
            resolver(
                lxml.html.fromstring(html), "Jakarta, Senin (7/10/2019)", "", datetime.now(UTC)
            )
        except Exception:  # warming up must never break a run
            log.debug("date resolver warm-up failed", exc_info=True)


def _date_resolver():
    try:
        from pantau.pipeline.dates import resolve_dates
    except ImportError:  # written in parallel; extraction still works without dates
        return None
    return resolve_dates


# --- decoding and parsing ---------------------------------------------------------------------


def decode_html(html: str | bytes, content_type: str | None = None) -> str:
    """Text of the page. Bytes go through the crawl's own decoder (`pipeline.htmlcodec`), so a
    file or a stored page decodes as the crawl decoded it; `content_type` is the HTTP header."""
    if isinstance(html, str):
        return html
    return htmlcodec.decode_html(html, content_type)[0]


_C0_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HTML_TAG = re.compile(r"</?html\b[^>]*>", re.I)


def _repair_markup(text: str) -> str:
    """Undo two kinds of broken markup that make lxml lose the body.

    C0 control characters (ESC, BEL, VT, FF ...) make trafilatura drop the whole tree, and a
    stray `</html><html>` pasted mid-page makes lxml put everything after it into <head>.
    """
    text = _C0_CONTROLS.sub(" ", text)
    first = _HTML_TAG.search(text)
    if first is not None and not first.group(0).startswith("</"):
        head, rest = text[: first.end()], text[first.end() :]
        return head + _HTML_TAG.sub("", rest)
    return _HTML_TAG.sub("", text)


def _html_parser() -> lxml.html.HTMLParser:
    """lxml.html's parser with every element's Python class looked up in C, not in Python.

    lxml.html names each element's class in a Python method (`HtmlElementClassLookup.lookup`),
    run whenever a pass touches an element: thousands of calls a page in trafilatura's passes,
    about a tenth of extraction's time. Here every element is an `HtmlElement`; form controls
    lose the FormElement/InputElement helpers, which nothing in extraction reads.
    """
    parser = lxml.html.HTMLParser()
    parser.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=lxml.html.HtmlElement,
            comment=lxml.html.HtmlComment,
            pi=lxml.html.HtmlProcessingInstruction,
            entity=lxml.html.HtmlEntity,
        )
    )
    return parser


_PARSER = _html_parser()


def parse_html(html: str | bytes) -> etree._Element | None:
    """One lxml tree for the whole page (None when there is no HTML)."""
    text = _repair_markup(_XML_DECL.sub("", decode_html(html)))
    if not text.strip():
        return None
    try:
        tree = lxml.html.document_fromstring(text, parser=_PARSER)
    except (etree.ParserError, ValueError):
        return None
    # comments go, their tail text stays ("<p><!--StartFragment-->Komisi ..." lost its start)
    etree.strip_tags(tree, etree.Comment)
    return tree


def page_kind(
    html_or_tree: str | bytes | etree._Element, url: str, template: str = "generic"
) -> str:
    """ "article" | "listing" | "home" | "search" | "tag" | "gallery" | "other"."""
    if not isinstance(html_or_tree, etree._Element):
        html_or_tree = parse_html(html_or_tree)
        if html_or_tree is None:
            return "other"
    return _page_kind(html_or_tree, url, template)


# --- metadata readers -------------------------------------------------------------------------


def _meta(tree: etree._Element, *names: str) -> str | None:
    for name in names:
        for val in tree.xpath(f"//meta[@property='{name}' or @name='{name}']/@content"):
            val = " ".join(val.split())
            if val:
                return val
    return None


def _jsonld(tree: etree._Element) -> list[dict]:
    out: list[dict] = []
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        try:
            data = json.loads(script)
        except (json.JSONDecodeError, ValueError):
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                out.append(item)
                if isinstance(item.get("@graph"), list):
                    stack.extend(item["@graph"])
    return out


def _jsonld_article(items: list[dict]) -> dict:
    for item in items:
        t = item.get("@type")
        types = t if isinstance(t, list) else [t]
        if any(isinstance(x, str) and x.lower().endswith(("article", "posting")) for x in types):
            return item
    return {}


def _person_names(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return _person_names(value.get("name"))
    if isinstance(value, list):
        return [n for v in value for n in _person_names(v)]
    return []


def _squash(text: str) -> str:
    return norm(text).replace(" ", "")


def _site_like(segment: str, site_name: str | None, url: str) -> bool:
    """Does this title segment name the site ("Antara News", "Tribunnews.com", "Tribun Solo")?"""
    seg = _squash(segment)
    if not seg:
        return True
    host = _squash(urlsplit(url).hostname or "")
    brand = _squash(registrable_domain(url).split(".")[0])
    if site_name and seg == _squash(site_name):
        return True
    if re.search(r"\.(com|co\.id|id|net|org)\s*$", segment.strip(), re.I):
        return True
    if len(segment.split()) <= 4 and (seg in host or (brand and brand in seg)):
        return True
    return False


def clean_title(raw: str | None, site_name: str | None, url: str) -> str | None:
    """A title without the site-name prefix or suffix, never the site name itself."""
    if not raw:
        return None
    title = " ".join(raw.split())
    # "KapanLagi.com: Judul" -- a domain-like prefix before a colon
    m = re.match(r"^([\w-]+\.(?:com|co\.id|id|net))\s*:\s+(.+)$", title, re.I)
    if m and _site_like(m.group(1), site_name, url):
        title = m.group(2)
    parts = _TITLE_SEP.split(title)
    seps = _TITLE_SEP.findall(title)
    while len(parts) > 1 and _site_like(parts[-1], site_name, url):
        parts.pop()
        seps.pop()
    while len(parts) > 1 and _site_like(parts[0], site_name, url):
        parts.pop(0)
        seps.pop(0)
    out = parts[0] + "".join(s + p for s, p in zip(seps, parts[1:], strict=True))
    out = out.strip(" -|–—")
    if not out or _site_like(out, site_name, url) and len(out.split()) <= 4:
        return None
    return out


def _title(tree: etree._Element, ld: dict, site_name: str | None, url: str) -> str | None:
    h1s = [" ".join(h.text_content().split()) for h in tree.iter("h1")]
    candidates = [
        _meta(tree, "og:title", "twitter:title"),
        ld.get("headline") if isinstance(ld.get("headline"), str) else None,
        *h1s,
        " ".join((tree.findtext(".//title") or "").split()) or None,
    ]
    for cand in candidates:
        t = clean_title(cand, site_name, url)
        if t and len(t.split()) >= 2:
            return t
    return None


def _site_name(tree: etree._Element, doc_site: str | None, url: str) -> str | None:
    name = _meta(tree, "og:site_name", "application-name") or doc_site
    if name and not name.startswith("http"):
        return name
    host = urlsplit(url).hostname or ""
    return registrable_domain(url) or host or None


def _canonical(tree: etree._Element, url: str) -> str:
    """rel=canonical or og:url when it lies on the fetched page's registrable domain."""
    for href in [
        *tree.xpath("//link[@rel='canonical']/@href"),
        *tree.xpath("//meta[@property='og:url']/@content"),
    ]:
        href = urljoin(url, href.strip())
        if href.startswith("http") and registrable_domain(href) == registrable_domain(url):
            return canonicalize_url(href)
    return canonicalize_url(url) if url else url


def _byline_author(tree: etree._Element) -> str | None:
    """Trafilatura's byline finder, run only when the page's own metadata names nobody.

    Cheaper than trafilatura's whole metadata pass (about 3.5 ms a page), which would repeat
    the title, site-name and date work Pantau already does. It prunes a copy of its own
    (`deepcopy` in trafilatura.metadata.extract_author), so the page's tree stays whole.
    """
    from trafilatura.metadata import extract_author

    try:
        return extract_author(tree)
    except Exception:  # a byline heuristic must never lose the article
        return None


_PERSON_LABEL = re.compile(
    r"^(?:(?:diposting|diposkan|dipost|ditulis|dipublikasikan|diterbitkan|posted|written|published)"
    r"\s+(?:oleh|by)|oleh|by|penulis|reporter|pewarta|wartawan)\b\s*:?\s*",
    re.I,
)
# words of a date or time printed next to a byline ("Admin Jumat, 8 Maret 2024 10:15 WIB")
_DATE_WORD = re.compile(
    rf"^(?:{'|'.join(map(re.escape, (*WEEKDAY_NAMES, *ZONES)))}|pukul|pkl)$|\d", re.I
)
_MONTH_WORD = re.compile(rf"^(?:{'|'.join(map(re.escape, MONTH_NAMES))})$", re.I)
_NOBODY = frozenset({"unknown", "anonymous", "anonim"})  # Blogger's value for a hidden profile


def _without_date_words(part: str) -> str:
    """The name without the date a byline printed beside it: weekdays, clock times, zones,
    and month names next to a number go ("Admin Jumat" -> "Admin"); "Admin" alone stays."""
    tokens = part.replace(":", " ").split()
    bare = [t.strip(".,()|-–—") for t in tokens]
    keep = []
    for i, t in enumerate(bare):
        near_digit = any(
            any(c.isdigit() for c in bare[j]) for j in (i - 1, i + 1) if 0 <= j < len(bare)
        )
        if _DATE_WORD.search(t) or (_MONTH_WORD.match(t) and near_digit):
            continue
        keep.append(tokens[i])
    return " ".join(keep)


def _clean_person(name: str | None, site_name: str | None, url: str) -> str | None:
    """Person names of a byline, without labels ("Diposting oleh"), dates or the site name."""
    if not name:
        return None
    names = []
    for part in re.split(r"\s*[;,|]\s*|\s+dan\s+", name):
        part = _PERSON_LABEL.sub("", part.strip())
        part = re.sub(r"^kontributor(\s+[A-Z][\w-]*){1,3}$", "", part.strip())
        part = _without_date_words(part).strip(" .:|-–—")
        part = re.sub(r"\s+(?:di|pada|at|on)$", "", part)  # "Diposting oleh Admin di <date>"
        if part.casefold() in _NOBODY:
            continue
        if part and not _site_like(part, site_name, url) and not part.startswith("http"):
            if len(part.split()) <= 6 and part not in names:
                names.append(part)
    return ", ".join(names) or None


def _same_person(a: str, b: str) -> bool:
    return norm(a) == norm(b)


def _language(tree: etree._Element, text: str) -> str | None:
    words = _ID_WORD.findall(text[:4000].lower())
    if words:
        hits = sum(w in R.ID_STOPWORDS for w in words)
        if hits / len(words) >= 0.06:
            return "id"
    lang = (tree.get("lang") or _meta(tree, "og:locale", "language") or "").strip()
    if lang:
        return re.split(r"[-_]", lang)[0].lower()
    return "id" if words else None


# --- photo and video stories -----------------------------------------------------------------

_PHOTO_PATH = re.compile(
    r"/(?:foto|photo|photos|galeri|gallery|readfoto|foto-news|photo-news|fotografi)/[^/]", re.I
)
_VIDEO_PATH = re.compile(r"/(?:video|videos|tv)/[^/]", re.I)
_MEDIA_HOST = re.compile(r"^(?:(foto|photo)|(video|tv))\.", re.I)
_CAPTION_XPATH = (
    "//figcaption | //*[contains(concat(' ', normalize-space(@class), ' '), ' caption ')"
    " or contains(@class, '-caption') or contains(@class, 'caption-') or contains(@class,"
    " '_caption') or contains(@class, 'keterangan') or contains(@class, 'wp-caption-text')]"
)
# boxes around captions that belong to other stories (a "video pilihan" or related box)
_OTHER_STORY_BOX = re.compile(
    r"(?:^|[\s_-])(sidebar|widget|related|terkait|pilihan|popular|populer|terpopuler|"
    r"recommended|rekomendasi|trending|footer|header|nav|menu|komentar|comments?|baca)(?:$|[\s_-])",
    re.I,
)
_PLAYER_XPATH = "//video | //iframe[contains(@src,'youtube') or contains(@src,'video')]"


def story_type_of(tree: etree._Element, url: str, jsonld: list[dict] | None = None) -> str:
    """ "photo", "video" or "article": what the URL, og:type and JSON-LD say the story is.

    A photo story (lede plus captions) is named by its URL (/foto/, /readfoto/, photo.* host)
    or declares ImageGallery; a video story declares og:type video.* / VideoObject on a video
    URL, or is a /video/ URL with a player. A VideoObject on an article page (an embedded clip)
    does not make the article a video story.
    """
    parts = urlsplit(url or "")
    host = _MEDIA_HOST.match(parts.hostname or "")
    og = (_meta(tree, "og:type") or "").lower()
    types = {
        str(t).lower()
        for item in (_jsonld(tree) if jsonld is None else jsonld)
        for t in (item.get("@type") if isinstance(item.get("@type"), list) else [item.get("@type")])
        if t
    }
    video_url = bool(_VIDEO_PATH.search(parts.path)) or bool(host and host.group(2))
    if og.startswith("video") or (
        video_url and ("videoobject" in types or tree.xpath(_PLAYER_XPATH))
    ):
        return "video"
    if _PHOTO_PATH.search(parts.path) or (host and host.group(1)) or "imagegallery" in types:
        return "photo"
    return "article"


def _with_captions(text: str, tree: etree._Element, title: str | None) -> str:
    """The lede with the page's captions after it, each once, in page order."""
    seen = {norm(p) for p in text.split("\n") if p.strip()}
    if title:
        seen.add(norm(title))
    out = [text] if text.strip() else []
    taken: list[str] = []
    for el in tree.xpath(_CAPTION_XPATH):
        cap = " ".join(el.text_content().split())
        key = norm(cap)
        if len(cap.split()) < 4 or key in seen or any(key in t for t in taken):
            continue
        if el.find(".//a[@href]") is not None or any(
            _OTHER_STORY_BOX.search(f"{a.get('class') or ''} {a.get('id') or ''}")
            for a in el.iterancestors()
        ):
            continue  # a caption of another story's teaser
        if any(key in s for s in seen):  # already a body paragraph (or part of one)
            continue
        taken.append(key)
        seen.add(key)
        out.append(cap)
    return "\n\n".join(out)


# --- the entry point --------------------------------------------------------------------------


def _body_blocks(
    tree: etree._Element,
    template: str,
    with_metadata: bool,
    removed: list | None = None,
    paragraph_chars: int | None = None,
):
    """trafilatura's body of the pruned page and its blocks; `paragraph_chars` (the page's
    paragraph text, from the classifier) lets its fallback comparison be skipped when moot."""
    import trafilatura

    pruned = prune_tree(tree, template, removed)
    options = _options(with_metadata)
    _page.paragraph_chars = paragraph_chars
    try:
        doc = trafilatura.bare_extraction(
            pruned, options=options, prune_xpath=R.prune_rules(template)["xpaths"]
        )
    finally:
        _page.paragraph_chars = None
    if doc is None:
        return None, []
    return doc, blocks_from_body(doc.body)


def extract_article(
    html: str | bytes,
    url: str,
    *,
    fetched_at: datetime | None = None,
    template: str = "generic",
    source_region: str | None = None,
    extra_pages: list[str] | None = None,
    explain: bool = False,
) -> ExtractedArticle | None:
    """Clean text and metadata of an article page; None for index pages or pages without a body.

    extra_pages holds the HTML of pages 2..n of a multi-page article, stitched in page order
    (paragraphs repeated across pages are kept once). `extract_or_reject` says why on None.
    """
    result = extract_or_reject(
        html,
        url,
        fetched_at=fetched_at,
        template=template,
        source_region=source_region,
        extra_pages=extra_pages,
        explain=explain,
    )
    return result if isinstance(result, ExtractedArticle) else None


def extract_or_reject(
    html: str | bytes,
    url: str,
    *,
    fetched_at: datetime | None = None,
    template: str = "generic",
    source_region: str | None = None,
    extra_pages: list[str] | None = None,
    explain: bool = False,
) -> ExtractedArticle | Rejection:
    """The clean article, or the Rejection that says why this page gave none."""
    fetched_at = fetched_at or datetime.now(UTC)
    tree = parse_html(html)
    if tree is None:
        return Rejection("other", "the page holds no HTML that could be parsed", stage="extraction")
    verdict = classify_page(tree, url, template)
    if verdict.kind != "article":
        log.debug("not an article (%s): %s", verdict.kind, url)
        return verdict.rejection()

    # 25 words are some 170 characters: a page whose paragraphs and captions hold less has no
    # body, and any longer text trafilatura returns for it is the page's furniture
    shown = int(verdict.signals.get("longest_paragraph_run", 0)) + int(
        verdict.signals.get("caption_chars", 0)
    )
    if shown < NO_BODY_CHARS:
        return Rejection(
            "not-article",
            f"no run of body paragraphs or captions on the page (longest {shown} characters)",
            dict(verdict.signals),
            stage="extraction",
        )
    jsonld = _jsonld(tree)
    story_type = story_type_of(tree, url, jsonld)
    pruned_away: list | None = [] if explain else None
    doc, blocks = _body_blocks(tree, template, False, pruned_away, verdict.paragraph_chars)
    if doc is None and story_type == "article":
        return Rejection(
            "not-article",
            "trafilatura found no main text on the page",
            dict(verdict.signals),
            stage="extraction",
        )
    pages: list[list[Block]] = [blocks]
    for extra in extra_pages or []:
        extra_tree = parse_html(extra)
        if extra_tree is not None:
            _, more = _body_blocks(extra_tree, template, False)
            pages.append(more)

    ld = _jsonld_article(jsonld)
    site_name = _site_name(tree, doc.sitename if doc else None, url)
    title = _title(tree, ld, site_name, url) or clean_title(
        doc.title if doc else None, site_name, url
    )
    cleaned = clean_blocks(pages, template=template, title=title, explain=explain)
    text = cleaned.text
    if story_type != "article":
        # a photo or video story: the lede, then the captions (which cleaning removes as
        # furniture from an article, but which are this story's text)
        text = _with_captions(text, tree, title)
    if len(text.split()) < MIN_WORDS:
        what = "lede and captions" if story_type != "article" else "clean body"
        return Rejection(
            "not-article",
            f"the {what} of the page have fewer than {MIN_WORDS} words",
            {
                **verdict.signals,
                "words": len(text.split()),
                "min_words": MIN_WORDS,
                "story_type": story_type,
            },  # fmt: skip
            stage="extraction",
        )

    editor = cleaned.meta.get("editor") or _meta(tree, "content_editor", "editor")
    author = cleaned.meta.get("author")
    if not author:
        declared = ", ".join(_person_names(ld.get("author")))
        meta_author = _meta(tree, "content_author", "author", "article:author", "dable:author")
        if declared and meta_author and editor and _same_person(declared, editor):
            declared = ""  # JSON-LD names the editor as author; the page's own meta the writer
        author = declared or meta_author or _byline_author(tree)
    author = _clean_person(author, site_name, url)

    canonical = _canonical(tree, url)
    alternates = [url] if url and url != canonical else []

    tags: list[str] = []
    for raw in [
        *((doc.tags if doc else None) or []),
        *tree.xpath("//meta[@property='article:tag']/@content"),
    ]:
        for t in raw.split(","):
            t = t.strip()
            if t and t not in tags:
                tags.append(t)

    art = ExtractedArticle(
        url=canonical,
        title=title,
        text=text,
        author=author,
        editor=_clean_person(editor, site_name, url),
        site_name=site_name,
        language=_language(tree, text),
        region=refine_region(source_region, title, text),
        word_count=len(text.split()),
        tags=tags[:30],
        alternate_urls=alternates,
        removed=(pruned_away or []) + cleaned.removed,
        story_type=story_type,
    )
    resolver = _date_resolver()
    if resolver is not None:
        dates = resolver(tree, text, url, fetched_at)
        art.published_at = dates.published_at
        art.published_at_source = dates.source
        art.updated_at = dates.updated_at
    return art
