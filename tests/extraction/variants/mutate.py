"""Mutating real article pages the way other outlets' templates differ from them.

A variant takes a real page of `tests/extraction/cases/` (its hand-checked expectation says
where the body starts and ends), inserts furniture in another outlet's form at a position in
the body (start, middle, end), or reshapes the page (class names renamed, body printed twice),
and says which strings must then be absent from the clean text and which must be present.
Cleaning rules are judged on these pages as on an outlet never seen before: template "generic"
and a host name that is not in the corpus.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from tests.extraction.cases_io import Case, squash

UNSEEN_HOST = "warta-daerah.example.id"


@dataclass
class Anchors:
    """Where the body is in a page: its first and last paragraph and one in the middle."""

    first: etree._Element
    last: etree._Element
    mid: etree._Element


@dataclass
class Variant:
    """One way an unseen template differs: what it inserts or changes, and what must hold."""

    name: str
    html: str = ""  # fragment(s) to insert
    where: str = "end"  # start | mid | end | top (first thing inside <body>)
    forbid: list[str] = field(default_factory=list)  # must not be in the clean text
    keep: list[str] = field(default_factory=list)  # must be in the clean text
    once: list[str] = field(default_factory=list)  # exactly once (extra to the case's own)
    reshape: Callable[[etree._Element, Anchors], None] | None = None
    new_last: str | None = None  # the variant appends a new last body sentence
    allow_signature_tail: bool = False  # a standalone "(ant/rfa)" line may end the text
    check_date: bool = False
    once_mid: bool = False  # the middle paragraph must appear exactly once


def _smallest_containing(tree: etree._Element, needle: str) -> etree._Element | None:
    best, best_len = None, 0
    for el in tree.iter(etree.Element):
        if el.tag in ("html", "body", "script", "style"):
            continue
        t = squash(el.text_content())
        if needle in t and (best is None or len(t) < best_len):
            best, best_len = el, len(t)
    return best


def _block(el: etree._Element) -> etree._Element:
    """The paragraph-level element holding a text (climb out of inline wrappers)."""
    while el.tag in ("span", "strong", "b", "em", "i", "a", "font") and el.getparent() is not None:
        el = el.getparent()
    return el


def anchors(tree: etree._Element, case: Case) -> Anchors | None:
    """The body's first/last paragraphs; None when they are not siblings (bodies with <br>)."""
    e = case.expect
    first = _smallest_containing(tree, squash(e["body_first"])[:50])
    last = _smallest_containing(tree, squash(e["body_last"])[-50:])
    if first is None or last is None:
        return None
    first, last = _block(first), _block(last)
    parent = first.getparent()
    if parent is None or last.getparent() is not parent or first is last:
        return None
    kids = list(parent)
    i, j = kids.index(first), kids.index(last)
    reference = squash(case.reference or "")
    paras = [
        k
        for k in kids[i : j + 1]
        if k.tag == "p"
        and len(k.text_content()) > 80
        and squash(k.text_content())[:60] in reference  # a body paragraph, not furniture
    ]
    if len(paras) < 3:
        return None
    return Anchors(first, last, paras[len(paras) // 2])


def fragments(html: str) -> list[etree._Element]:
    return lxml.html.fragments_fromstring(html)


def insert(tree: etree._Element, a: Anchors, where: str, html: str) -> None:
    els = fragments(html)
    if where == "top":
        body = tree.find(".//body")
        for el in reversed(els):
            body.insert(0, el)
        return
    ref = {"start": a.first, "mid": a.mid, "end": a.last}[where]
    parent = ref.getparent()
    pos = parent.index(ref) + (0 if where == "start" else 1)
    for el in reversed(els):
        # the element's tail (text after it) must stay with it: fragments carry none
        parent.insert(pos, el)


def unseen_url(url: str) -> str:
    parts = urlsplit(url)
    return f"https://{UNSEEN_HOST}{parts.path}" + (f"?{parts.query}" if parts.query else "")


def mutate(case: Case, variant: Variant) -> str:
    """The page of `case` changed by `variant` (HTML text)."""
    from pantau.pipeline.extract import parse_html

    tree = parse_html(case.html)
    a = anchors(tree, case)
    assert a is not None, f"{case.name}: body paragraphs not found"
    if variant.reshape is not None:
        variant.reshape(tree, a)
    if variant.html:
        insert(tree, a, variant.where, variant.html)
    return lxml.html.tostring(tree, encoding="unicode", doctype="<!DOCTYPE html>")


# --- reshapes -----------------------------------------------------------------------------------


def _opaque(token: str) -> str:
    return "x" + hashlib.blake2s(token.encode(), digest_size=4).hexdigest()


def rename_classes(tree: etree._Element, a: Anchors) -> None:
    """Every class and id token becomes an opaque one: no class- or id-based rule can fire."""
    for el in tree.iter(etree.Element):
        for attr in ("class", "id"):
            val = el.get(attr)
            if val:
                el.set(attr, " ".join(_opaque(t) for t in val.split()))


def body_twice(tree: etree._Element, a: Anchors) -> None:
    """The whole body container printed again right after itself (a print/AMP copy)."""
    box = a.first.getparent()
    dup = copy.deepcopy(box)
    box.addnext(dup)


_DATELINE_SPLIT = re.compile(
    r"^([A-Z][\w.' ]{1,30}(?:,\s*[\w.]{2,30})?\s*[-–—]{1,2})\s+(\S.*)$", re.S
)


def dateline_on_own_line(tree: etree._Element, a: Anchors) -> None:
    """ "JAKARTA, KOMPAS.com — Menteri ..." becomes <p><strong>JAKARTA, KOMPAS.com —</strong></p>
    <p>Menteri ...</p>, as templates that style the dateline as a block print it."""
    p = a.first
    m = _DATELINE_SPLIT.match(" ".join(p.text_content().split()))
    if not m:
        return
    tail = p.tail
    p.clear()
    p.text, p.tail = m.group(2), tail
    stub = etree.Element("p")
    etree.SubElement(stub, "strong").text = m.group(1)
    p.addprevious(stub)


def paragraph_twice(tree: etree._Element, a: Anchors) -> None:
    a.mid.addnext(copy.deepcopy(a.mid))


def mid_text(case: Case) -> str:
    """The first sentence of the body's middle paragraph (what `paragraph_twice` repeats)."""
    from pantau.pipeline.extract import parse_html

    a = anchors(parse_html(case.html), case)
    text = squash(a.mid.text_content())
    return re.split(r"(?<=[.!?])\s", text)[0][:80]
