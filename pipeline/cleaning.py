"""Indonesian news cleaning passes over the paragraph list trafilatura extracted.

Trafilatura finds the body; these passes remove what Indonesian templates put *inside* it:
"Baca juga" links, captions and credits, bylines (kept as metadata), tag lines, counters,
share/comment furniture, pagination, header blocks before the dateline, and repeated blocks.
Each pass prefers structure (link density, position, repetition, shape of the line) over
strings from one outlet; the phrase table lives in `pipeline.cleaning_rules`. Structural
signals that work on templates never seen: a label followed by linked lines (the run ends at
the first unlinked line), an italic line right after an image (caption), what follows a closing
line such as a comment heading, a dateline or date-only row ending the header, and repeats.
The text is NFKC-normalised so the rules, FTS5 and the topic matcher see the same letters.

Furniture is removed as a node, never as a string: a photo's credit and caption are recognised
in the tree by their place after the image (`_photo_furniture`), so a body paragraph whose text
equals a caption (Tribun's caption under the lead photo repeats the lede) is another node and
stays. The text rules left are repeats on purpose: a paragraph or run printed twice, the title
printed again, and page 1's furniture recurring on pages 2..n.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import islice

from lxml import etree

from pantau.pipeline import cleaning_rules as R
from pantau.pipeline.models import Removal

_WS = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"[.!?…\"”’')\]]\W{0,2}$")
_SIGNATURE = re.compile(r"^\((?:[\w*.' ]{1,30}/)*[\w*.' ]{1,30}\)$")
_SIGNATURE_END = re.compile(r"\((?=[^)]*[^\W\d_])(?:[\w*.' ]{1,30}/)+[\w*.' ]{1,30}\)\W{0,2}$")
_BYLINE_ANYWHERE = re.compile(
    r"\b(?P<field>penulis|pewarta|reporter|editor|penyunting)\s*:\s*(?P<name>[^|:()\n]{2,60}?)"
    r"\s*(?=\||$|\b(?:penulis|pewarta|reporter|editor|penyunting)\b)",
    re.IGNORECASE,
)
_FIELD = {
    "penulis": "author",
    "pewarta": "author",
    "reporter": "author",
    "editor": "editor",
    "penyunting": "editor",
}
_LETTER = re.compile(r"[^\W\d_]")
# a line that closes as prose does: a full stop or closing quote, or a colon introducing more
# (a caption under a photo credit ends in a comma, a date or nothing)
_CLOSED = re.compile(r"([.!?…:]|[.!?,]?[\"”’])\s*$")
_CAPTION = re.compile(R.CAPTION_CREDIT, re.IGNORECASE)
_CREDIT_LINE = re.compile(R.CREDIT_LINE)
_DATELINES = [re.compile(p) for p in R.DATELINE_PATTERNS]
_DATELINE_STUB = re.compile(R.DATELINE_STUB)
_BYLINES = [(f, re.compile(rx, re.IGNORECASE)) for f, rx in R.BYLINE_RULES]
_BLOCK_TAGS = frozenset({"p", "head", "list", "item", "table", "row", "quote", "div"})
_PIPES = re.compile(r"\s*\|\s*")


@dataclass
class Block:
    """One paragraph-level unit of the extracted body."""

    tag: str
    text: str
    link_chars: int = 0
    after_marker: str | None = None  # the closing line (comment heading, tags) this follows

    @property
    def words(self) -> int:
        return len(self.text.split())

    @property
    def link_density(self) -> float:
        return self.link_chars / max(1, len(self.text))


@dataclass
class Cleaned:
    """Result of cleaning: kept blocks, metadata found in bylines, and what was removed."""

    blocks: list[Block]
    meta: dict[str, str] = field(default_factory=dict)
    removed: list[Removal] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\n".join(b.text for b in self.blocks)


@lru_cache(maxsize=4096)
def norm(text: str) -> str:
    """Comparison key: case-folded, accents and punctuation dropped, spaces collapsed."""
    text = unicodedata.normalize("NFKD", text).casefold()
    text = "".join(c for c in text if c.isalnum() or c.isspace())
    return _WS.sub(" ", text).strip()


# --- pruning the page before extraction ------------------------------------------------------


def _drop_element(el: etree._Element) -> None:
    """Remove an element but keep its tail text (the words after it belong to its parent)."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail and el.tail.strip():
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def _short_text(el: etree._Element, limit: int = 40) -> str | None:
    """The element's text if shorter than `limit` characters, else None (stops reading early)."""
    out: list[str] = []
    n = 0
    for t in el.itertext():
        n += len(t.strip())
        if n >= limit:
            return None
        out.append(t)
    return " ".join("".join(out).split())


_LABELS = frozenset(R.RELATED_LABELS)


def _is_label_box(el: etree._Element) -> bool:
    """A container opened by a short related-stories label and holding no long paragraph."""
    first = el[0]
    if not isinstance(first.tag, str):
        return False
    label = _short_text(first)
    if not label:
        return False
    label = label.casefold().rstrip(" :")
    if label not in _LABELS:
        return False
    return not any(len(p.text_content()) > 300 for p in el.iter("p"))


_WHOLE, _SUBSTRING = 1, 2


@lru_cache(maxsize=16)
def _prune_ids(template: str) -> tuple[frozenset[str], tuple[str, ...]]:
    rules = R.prune_rules(template)
    return frozenset(rules.get("ids", [])), tuple(rules.get("prefixes", []))


@lru_cache(maxsize=16)
def _class_rules(template: str) -> tuple[frozenset[str], tuple[str, ...], re.Pattern[str] | None]:
    rules = R.prune_rules(template)
    subs = rules.get("substrings", [])
    rx = re.compile("|".join(re.escape(x) for x in subs), re.IGNORECASE) if subs else None
    return frozenset(rules.get("classes", [])), tuple(rules.get("prefixes", [])), rx


@lru_cache(maxsize=16384)
def _class_verdict(template: str, cls: str) -> int:
    """Does a class attribute name furniture: 0 no, _WHOLE yes, _SUBSTRING if the element is
    small. Cached: a page repeats the same few class strings hundreds of times."""
    classes, prefixes, substrings = _class_rules(template)
    tokens = cls.split()
    if classes.intersection(tokens) or (prefixes and any(t.startswith(prefixes) for t in tokens)):
        return _WHOLE
    if substrings is not None and substrings.search(cls):
        return _SUBSTRING
    return 0


_ITALIC = frozenset({"em", "i", "small", "figcaption", "cite"})
_IMAGES = frozenset({"img", "amp-img"})
_NOT_TEXT = frozenset({"script", "style", "noscript", "br", "hr"})
_BOX_TAGS = frozenset({"div", "p", "span", "small", "em", "i", "figcaption", "cite"})
_CREDIT_ONLY = [
    re.compile(rx, re.IGNORECASE) for n, rx in R.LINE_RULES["generic"] if n == "credit_only"
]
_PHOTO_BOX_DEPTH = 3  # wrappers the image may end before its credit/caption follow
_REPEAT_LOOKAHEAD = 12  # paragraphs after a caption where the lede it repeats may stand


def _image_holder(img: etree._Element) -> etree._Element:
    """The outermost element that holds nothing but this image (<p><a><img></a></p>)."""
    el = img
    while True:
        parent = el.getparent()
        if parent is None or parent.tag in ("body", "article", "html") or len(parent) != 1:
            return el
        if (parent.text or "").strip() or (el.tail or "").strip():
            return el
        el = parent


def _has_text(el: etree._Element) -> bool:
    return any(t.strip() for t in el.itertext())


def _next_with_text(el: etree._Element) -> etree._Element | None:
    """The next sibling element that holds text, skipping empty spacers (<div class="cl2">);
    None when text (a tail) or nothing comes first."""
    if (el.tail or "").strip():
        return None
    nxt = el.getnext()
    while nxt is not None:
        if isinstance(nxt.tag, str) and nxt.tag not in _NOT_TEXT and _has_text(nxt):
            return nxt
        if (nxt.tail or "").strip():
            return None
        nxt = nxt.getnext()
    return None


def _after_image(img: etree._Element) -> list[etree._Element]:
    """The (at most two) text elements a template prints right after an image: where a credit
    line and a caption stand. Climbs out of wrappers the image ends (<div><a><img></a></div>)
    and opens a bare wrapper of blocks (<div><div>CREDIT</div><div>caption</div></div>)."""
    el = _image_holder(img)
    first = None
    for _ in range(_PHOTO_BOX_DEPTH):
        first = _next_with_text(el)
        parent = el.getparent()
        if first is not None or (el.tail or "").strip() or parent is None:
            break
        if parent.tag in ("body", "article", "main", "html"):
            break
        el = parent
    out: list[etree._Element] = []
    while first is not None and len(out) < 2:
        bare = not (first.text or "").strip() and not any((k.tail or "").strip() for k in first)
        kids = [k for k in first if isinstance(k.tag, str) and _has_text(k)] if bare else []
        if kids and all(k.tag in _BOX_TAGS for k in kids):
            out.extend(kids)
        else:
            out.append(first)
        first = _next_with_text(first)
    return out[:2]


def _is_credit(el: etree._Element) -> bool:
    """A photo credit as a node: a short "KOMPAS.com/Ira", "Foto: Dok. Humas" element."""
    text = _short_text(el, 90)
    if not text or not _LETTER.search(text):
        return False
    if _CREDIT_LINE.match(text) and sum(c.isupper() for c in text) >= 4:
        return True
    return any(rx.match(text) for rx in _CREDIT_ONLY)


def _is_italic(el: etree._Element) -> bool:
    """Entirely italic/small: <em>..</em>, or <p><em>..</em></p>."""
    if el.tag in _ITALIC:
        return True
    if el.tag in ("p", "div", "span") and len(el) == 1 and not (el.text or "").strip():
        child = el[0]
        return child.tag in _ITALIC and not (child.tail or "").strip()
    return False


def _following_blocks(el: etree._Element, limit: int) -> list[etree._Element]:
    """The first `limit` <p>/<div> elements after `el` in document order (XPath's following::
    axis, walked by hand: libxml2 builds the whole axis before taking its first few)."""

    def walk() -> Iterator[etree._Element]:
        node: etree._Element | None = el
        while node is not None:
            for sibling in node.itersiblings():
                yield from sibling.iter("p", "div")
            node = node.getparent()

    return list(islice(walk(), limit))


def _repeated_later(el: etree._Element, text: str) -> bool:
    """Is this text printed again as a paragraph after the element (a caption repeating the
    lede)? Then the element is the photo's caption and the later paragraph is the body."""
    key = norm(text)
    if len(key) < 30 or el.tag == "a":
        return False
    links = sum(len(a.text_content()) for a in el.iter("a"))
    if links * 2 >= len(text):
        return False  # a teaser title under its picture, not a caption
    for other in _following_blocks(el, _REPEAT_LOOKAHEAD):
        other_text = _short_text(other, len(text) + len(text) // 4 + 10)
        if other_text is None:
            if other.tag == "p":
                return False  # body prose comes first: a body printed twice, not a caption
            continue  # a wrapper holding the body
        if abs(len(other_text) - len(text)) <= len(text) // 4 + 10 and norm(other_text) == key:
            return True
    return False


_PICTURE_HREF = re.compile(r"\.(?:jpe?g|png|gif|webp|avif)(?:[?#]|$)", re.I)


def _is_teaser_thumbnail(img: etree._Element) -> bool:
    """An image inside a link to another page (a teaser's thumbnail, not the story's photo,
    which stands alone or links to its own picture file): it has no caption of the story's."""
    el = img.getparent()
    for _ in range(3):
        if el is None:
            return False
        if el.tag == "a":
            href = el.get("href") or ""
            return bool(href) and not href.startswith("#") and not _PICTURE_HREF.search(href)
        el = el.getparent()
    return False


def _photo_furniture(img: etree._Element) -> list[tuple[etree._Element, str]]:
    """The credit and caption nodes that belong to an image, recognised by their place and form.

    Structural: right after the image (or the element holding only it) may come a credit line
    ("KOMPAS.com/Ira") and then a caption. A caption is entirely italic/small, or, after a
    credit, a short line that does not close as prose, or (anywhere after the image) a text that
    a later paragraph repeats word for word. Only these nodes go: a body paragraph whose text
    equals the caption is another node and stays. A short plain paragraph after an image that
    nothing repeats stays too: ledes often follow a photo.
    """
    parts = _after_image(img)
    out: list[tuple[etree._Element, str]] = []
    credit = bool(parts) and _is_credit(parts[0])
    if credit:
        out.append((parts[0], "prune:credit"))
        parts = parts[1:]
    if not parts:
        return out
    cap = parts[0]
    text = _short_text(cap, 1500)
    if not text:
        return out
    words = len(text.split())
    # a dateline line ("ISTANBUL, 23 Februari 2016 (Antara) --") opens the body, unclosed
    dateline = any(rx.match(text) for rx in _DATELINES) or _DATELINE_STUB.match(text)
    plain_caption = credit and not dateline and not _CLOSED.search(text)
    if words <= R.CAPTION_MAX_WORDS and (_is_italic(cap) or plain_caption):
        out.append((cap, "prune:caption"))
    elif R.DEDUP_MIN_WORDS <= words <= R.REPEATED_CAPTION_MAX_WORDS and _repeated_later(cap, text):
        out.append((cap, "prune:caption"))
    return out


def prune_tree(
    tree: etree._Element, template: str = "generic", removed: list[Removal] | None = None
) -> etree._Element:
    """A copy of the page without the furniture the prune rules name (one pass over the tree).

    Equivalent to `cleaning_rules.prune_xpaths(template)` minus its "xpaths" part, which is left
    to trafilatura's prune_xpath. With `removed`, each pruned block's text is recorded there
    (for `pantau extract --explain`).
    """
    ids, prefixes = _prune_ids(template)
    tree = copy.deepcopy(tree)
    doomed = []
    for el in tree.iter(etree.Element):
        if el.tag in _IMAGES:
            if not _is_teaser_thumbnail(el):
                doomed.extend(_photo_furniture(el))
            continue
        cls = el.get("class")
        if cls:
            verdict = _class_verdict(template, cls)
            if verdict == _WHOLE or (
                verdict == _SUBSTRING and _short_text(el, R.SUBSTRING_PRUNE_MAX_CHARS) is not None
            ):
                doomed.append((el, "prune:class"))
                continue
        ident = el.get("id")
        if ident and (ident in ids or (prefixes and ident.startswith(prefixes))):
            doomed.append((el, "prune:id"))
            continue
        if el.tag in ("div", "section", "aside", "ul") and len(el) and _is_label_box(el):
            doomed.append((el, "prune:label-box"))
    for el, rule in doomed:
        if el.getparent() is not None:
            if removed is not None:
                text = " ".join(" ".join(el.itertext()).split())
                if text:
                    removed.append(Removal(rule, text if len(text) <= 300 else text[:297] + "..."))
            _drop_element(el)
    return tree


# --- tree -> blocks -----------------------------------------------------------------------------


def _segments(el: etree._Element) -> list[tuple[str, int]]:
    """Text of an element split at line breaks (<lb/>), with the link characters of each part.

    Many templates write the whole body as one element with <br> between paragraphs.
    """
    parts: list[list[str]] = [[]]
    links = [0]

    def walk(e: etree._Element, in_ref: bool) -> None:
        if e.tag == "lb":
            parts.append([])
            links.append(0)
        elif e is not el and e.tag in _BLOCK_TAGS:
            for t, lk in _segments(e) if e.tag != "row" else [_row_text(e)]:
                parts.append([t])
                links.append(lk)
            parts.append([])
            links.append(0)
        else:
            here = in_ref or e.tag == "ref"
            if e.text:
                parts[-1].append(e.text)
                links[-1] += len(e.text.strip()) if here else 0
            for child in e:
                walk(child, here)
        if e.tail and e is not el:
            parts[-1].append(e.tail)
            links[-1] += len(e.tail.strip()) if in_ref else 0

    walk(el, False)
    out = []
    for chunk, lk in zip(parts, links, strict=True):
        text = _WS.sub(" ", "".join(chunk)).strip()
        if text:
            out.append((text, min(lk, len(text))))
    return out


def _row_text(row: etree._Element) -> tuple[str, int]:
    cells = [_WS.sub(" ", "".join(c.itertext())).strip() for c in row]
    links = sum(len("".join(r.itertext())) for r in row.iter("ref"))
    return " | ".join(c for c in cells if c), links


def blocks_from_body(body: etree._Element | None) -> list[Block]:
    """Flatten trafilatura's output tree into blocks (list items and table rows one each)."""
    out: list[Block] = []
    if body is None:
        return out
    for el in body:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag == "list":
            children = [c for c in el.iter("item")] or [el]
            for item in children:
                out.extend(Block("item", t, lk) for t, lk in _segments(item))
        elif tag == "table":
            for row in el.iter("row"):
                t, lk = _row_text(row)
                out.append(Block("row", t, lk))
        elif tag == "quote" and len(el) and all(c.tag == "p" for c in el):
            for p in el:
                out.extend(Block("quote", t, lk) for t, lk in _segments(p))
        elif tag == "graphic":
            continue
        else:
            out.extend(Block(tag or "p", t, lk) for t, lk in _segments(el))
    return [b for b in out if b.text]


# --- the passes ---------------------------------------------------------------------------------


class _Cleaner:
    def __init__(self, template: str, title: str | None, explain: bool) -> None:
        self.rules = R.line_rules(template)
        self.title_key = norm(title) if title else ""
        self.explain = explain
        self.meta: dict[str, str] = {}
        self.removed: list[Removal] = []
        self.date_row: int | None = None  # kept blocks before page 1's first date-only line

    def drop(self, rule: str, block: Block) -> None:
        self.removed.append(Removal(rule, block.text))
        # a removed header line may still carry the byline ("Senin 21:14 Penulis: X | Editor: Y")
        if block.words <= 24 and not rule.startswith("byline"):
            for m in _BYLINE_ANYWHERE.finditer(block.text):
                name = m.group("name").strip(" .,")
                if name:
                    self.meta.setdefault(_FIELD[m.group("field").lower()], name)

    # a single line: which rule (if any) says it is furniture
    def line_rule(self, b: Block) -> str | None:
        text = b.text
        if not _LETTER.search(text):
            return "no_letters"
        for field_, rx in _BYLINES:
            m = rx.match(_PIPES.sub(" : ", text) if "|" in text else text)
            if m and b.words <= 14:
                # "Penulis: X | Editor: Y": each labelled field on its own, never "X Editor Y"
                fields = [
                    (_FIELD[f.group("field").lower()], f.group("name").strip(" .,"))
                    for f in _BYLINE_ANYWHERE.finditer(text)
                ]
                if not fields and field_ in ("author", "editor"):
                    fields = [(field_, m.group("name").strip(" :|"))]
                for key, name in fields:
                    if name:
                        self.meta.setdefault(key, name)
                return f"byline_{field_}"
        for name, rx in self.rules:
            if rx.search(text):
                # a long paragraph that merely mentions a label word is content
                if b.words > 40 and name not in ("syndication", "follow_us"):
                    continue
                return name
        if b.link_density >= R.LINK_DENSITY_MAX and b.words <= R.LINK_LINE_MAX_WORDS:
            return "link_line"
        if b.words <= 50 and _CAPTION.search(text) and not any(rx.match(text) for rx in _DATELINES):
            return "caption"
        if _CREDIT_LINE.match(text) and sum(c.isupper() for c in text) >= 4:
            return "photo_credit"
        if self.title_key and norm(text) == self.title_key:
            return "title_repeat"
        return None

    def lines(self, blocks: list[Block]) -> list[Block]:
        kept: list[Block] = []
        # after a bare label ("Baca Juga", "Berita Terkait"): how many list lines it has headed
        under_label: int | None = None
        prev_rule: str | None = None
        marker: str | None = None
        for i, b in enumerate(blocks):
            rule = self.line_rule(b)
            if rule is None and under_label is not None and self._is_list_like(b, under_label):
                rule = "related_block"
            # the words under a lone credit line ("KOMPAS.com/ISTIMEWA") describe the photo
            # when they read as a caption, not as a sentence, or when a later paragraph repeats
            # them (the caption copy of the lede). A sentence that nothing repeats may be the
            # lede under a header photo: it stays.
            if (
                rule is None
                and prev_rule == "photo_credit"
                and b.words <= 45
                and (not _CLOSED.search(b.text) or _repeats(b, blocks[i + 1 : i + 6]))
                and not _DATELINE_STUB.match(b.text)
                and not any(rx.match(b.text) for rx in _DATELINES)
            ):
                rule = "caption"
            prev_rule = rule
            if rule is not None:
                self.drop(rule, b)
                if rule in ("read_also", "related_heading") and b.words <= 4:
                    under_label = 0
                elif under_label is not None and (rule == "related_block" or b.link_density >= 0.5):
                    under_label += 1
                else:
                    under_label = None
                if rule in R.END_MARKERS:
                    marker = rule
                if rule == "date_line" and self.date_row is None and i < R.DATE_ROW_MAX_BLOCK:
                    self.date_row = len(kept)
                continue
            under_label = None
            if marker is not None:
                b = replace(b, after_marker=marker)
            kept.append(b)
        return kept

    @staticmethod
    def _is_list_like(b: Block, seen: int) -> bool:
        """A line of the list a label heads: linked, or (as its first line) a bare title.

        Once linked lines have been seen, the first line without links ends the list: the
        body resumes there (a label inserted mid-body).
        """
        if b.link_density >= 0.5:
            return True
        return seen == 0 and b.words <= 15 and not _SENTENCE_END.search(b.text)

    def header_zone(self, blocks: list[Block]) -> list[Block]:
        """Drop the title/excerpt/caption blocks a template prints before the dateline.

        A dateline on a line of its own ("Jakarta -") is joined to the paragraph it opens.
        Without a dateline, an early date-only line (the header's "Selasa, 16 Februari 2016 |
        13:01 WIB" row, already removed) closes the header when little precedes it.
        """
        for i, b in enumerate(blocks[: R.HEADER_ZONE_MAX_BLOCKS]):
            stub = _DATELINE_STUB.match(b.text) is not None and i + 1 < len(blocks)
            if stub or any(rx.match(b.text) for rx in _DATELINES):
                if stub:
                    nxt = blocks[i + 1]
                    joined = Block(nxt.tag, f"{b.text} {nxt.text}", b.link_chars + nxt.link_chars)
                    blocks = [*blocks[:i], joined, *blocks[i + 2 :]]
                before = blocks[:i]
                if before and sum(x.words for x in before) <= R.HEADER_ZONE_MAX_WORDS:
                    for x in before:
                        self.drop("header_zone", x)
                    return blocks[i:]
                return blocks
        k = self.date_row
        if k and sum(x.words for x in blocks[:k]) <= R.DATE_ROW_MAX_WORDS:
            for x in blocks[:k]:
                self.drop("header_zone", x)
            return blocks[k:]
        return blocks

    def duplicates(
        self, blocks: list[Block], seen: set[str] | None = None, min_words: int = R.DEDUP_MIN_WORDS
    ) -> list[Block]:
        """Keep the first copy of repeated paragraphs, and drop a whole repeated run."""
        seen = set() if seen is None else seen
        keys = [norm(b.text) for b in blocks]
        first: dict[str, int] = {}
        repeat = [False] * len(blocks)
        for i, k in enumerate(keys):
            if k in seen or k in first:
                repeat[i] = True
            else:
                first[k] = i
        drop = [False] * len(blocks)
        i = 0
        while i < len(blocks):
            if repeat[i]:
                j = i
                while j < len(blocks) and repeat[j]:
                    j += 1
                run = j - i
                for k in range(i, j):
                    if run >= R.DUPLICATE_RUN or blocks[k].words >= min_words:
                        drop[k] = True
                i = j
            else:
                i += 1
        # a body printed twice often has its short lines (labels) interleaved: catch the run
        # by looking at how much of the tail after the first long repeat is itself repeated
        kept = []
        for b, d, k in zip(blocks, drop, keys, strict=True):
            if d:
                self.drop("duplicate", b)
            else:
                kept.append(b)
                seen.add(k)
        return kept

    def after_end_marker(self, blocks: list[Block]) -> list[Block]:
        """Cut what follows the last closing line (comment heading, tag line) when it is short.

        "Tinggalkan Balasan" is followed by the comment form's sentences ("Alamat email Anda
        tidak akan dipublikasikan.") and by the comments themselves; none of it is the article.
        """
        if not blocks or blocks[-1].after_marker is None:
            return blocks
        marker = blocks[-1].after_marker
        i = len(blocks)
        while i > 0 and blocks[i - 1].after_marker is not None:
            i -= 1
        tail_words = sum(b.words for b in blocks[i:])
        total = sum(b.words for b in blocks)
        limit = R.END_MARKER_TAIL_WORDS
        if marker == "comment_widget":
            limit = max(limit, int(total * R.END_MARKER_TAIL_SHARE))
        if i == 0 or tail_words > limit:
            return blocks
        for b in blocks[i:]:
            self.drop("after_" + marker, b)
        return blocks[:i]

    def tail(self, blocks: list[Block]) -> list[Block]:
        """Strip body-end furniture: short unpunctuated lines, and promos after a signature."""
        # promo text after a reporter signature such as "(mdk/ank)" at the very end
        for i in range(len(blocks) - 1, max(-1, len(blocks) - 6), -1):
            sig = _SIGNATURE.match(blocks[i].text) or _SIGNATURE_END.search(blocks[i].text)
            if sig and i >= len(blocks) * 0.6:
                after = blocks[i + 1 :]
                if after and sum(b.words for b in after) <= 60:
                    for b in after:
                        self.drop("after_signature", b)
                    blocks = blocks[: i + 1]
                break
        while blocks:
            b = blocks[-1]
            if _SIGNATURE.match(b.text) or _SIGNATURE_END.search(b.text):
                break
            short = b.words <= R.TAIL_MAX_WORDS and not _SENTENCE_END.search(b.text)
            if (short and b.tag not in ("item",)) or b.link_density >= 0.5:
                self.drop("tail_furniture", b)
                blocks = blocks[:-1]
                continue
            break
        return blocks


def _repeats(b: Block, later: list[Block]) -> bool:
    """Does one of the next blocks print this block's text again?"""
    key = norm(b.text)
    return any(norm(x.text) == key for x in later)


def _nfkc(b: Block) -> Block:
    """The block with NFKC text: full-width letters, ligatures and NBSP become plain ones, so
    the rules here, FTS5 and the topic matcher all see the same letters."""
    if unicodedata.is_normalized("NFKC", b.text):
        return b
    text = _WS.sub(" ", unicodedata.normalize("NFKC", b.text)).strip()
    return Block(b.tag, text, min(b.link_chars, len(text)), b.after_marker)


def clean_blocks(
    pages: list[list[Block]],
    *,
    template: str = "generic",
    title: str | None = None,
    explain: bool = False,
) -> Cleaned:
    """Run every pass over the blocks of each page, then stitch pages in order.

    Paragraphs repeated across pages (a template's header or excerpt printed on every page)
    are kept once; furniture removed on page 1 is also removed where it recurs later.
    """
    c = _Cleaner(template, title, explain)
    stitched: list[Block] = []
    seen: set[str] = set()
    for n, blocks in enumerate(pages):
        blocks = c.lines([_nfkc(b) for b in blocks])
        if n == 0:
            blocks = c.header_zone(blocks)
        # on pages 2..n a template's header (excerpt, reporter box) recurs: any repeat goes
        blocks = c.duplicates(blocks, seen if n else None, 2 if n else R.DEDUP_MIN_WORDS)
        if n == 0:
            seen.update(norm(b.text) for b in blocks)
            # a text rule on purpose: what page 1's template printed as furniture and pages
            # 2..n print again is the template's chrome (captions and credits went as nodes)
            seen.update(norm(r.text) for r in c.removed if len(r.text.split()) >= 2)
        stitched.extend(blocks)
    stitched = c.tail(c.after_end_marker(stitched))
    return Cleaned(stitched, c.meta, c.removed if explain else [])
