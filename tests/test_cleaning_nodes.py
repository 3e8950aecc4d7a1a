"""Cleaning removes furniture as nodes, never body text that happens to equal furniture text.

Tribun-style pages print a caption under the lead photo that often repeats the first paragraph
word for word. The caption element must go and the paragraph must stay, and `--explain` must
name the caption, not the paragraph. The photo boxes here are the real lead-photo markup of
tests/extraction/cases/tribunsolo-1.html (image, credit line, caption), inserted before the first
paragraph of real pages of other template families, with the caption set to that paragraph's
text (or left as it is: a caption nothing repeats goes too).
"""

from __future__ import annotations

import copy
import re

import lxml.html
import pytest

from pantau.pipeline.cleaning import Block, clean_blocks
from pantau.pipeline.extract import extract_or_reject, parse_html
from tests.conftest import run_pantau
from tests.extraction.cases_io import load_cases, squash
from tests.extraction.variants.mutate import (
    Variant,
    anchors,
    body_twice,
    mutate,
    rename_classes,
    unseen_url,
)

BASE_NAMES = ["seed-000", "seed-002", "kompas-2", "antaranews-3", "tribunsolo-1", "merdeka-4"]
BASES = {c.name: c for c in load_cases() if c.name in BASE_NAMES}
IMG = '<img src="/foto/bank/images/kebakaran-gudang.jpg" alt="kebakaran">'
CREDIT = "WARTADAERAH.COM/ISTIMEWA"


def _lead_photo_box() -> lxml.html.HtmlElement:
    """Tribun's lead photo as the page prints it: <div class="pb20 ovh"> holding the image,
    the credit line ("Tribun Jateng/Hermawan Handaka") and the caption div."""
    tree = parse_html(BASES["tribunsolo-1"].html)
    img = tree.xpath("//img[@class='imgfull']")[0]
    box = next(a for a in img.iterancestors() if "pb20" in (a.get("class") or ""))
    return copy.deepcopy(box)


def _caption_div(box: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    return box.xpath(".//div[contains(@class, 'grey2')]")[0]


def tribun_box(caption: str | None = None) -> str:
    """The real lead-photo box, its caption replaced when `caption` is given."""
    box = _lead_photo_box()
    if caption is not None:
        cap = _caption_div(box)
        for child in list(cap):
            cap.remove(child)
        cap.text = caption
    box.tail = None
    return lxml.html.tostring(box, encoding="unicode")


REAL_CAPTION = " ".join(_caption_div(_lead_photo_box()).text_content().split())
REAL_CREDIT = "Tribun Jateng/Hermawan Handaka"


def _first_paragraph(name: str) -> str:
    case = BASES[name]
    a = anchors(parse_html(case.html), case)
    assert a is not None
    return " ".join(a.first.text_content().split())


# where the caption repeats the lede: (variant name, builder of the inserted html)
REPEATED = {
    "tribun-photo-box": tribun_box,
    "figcaption": lambda t: f"<figure>{IMG}<figcaption>{t}</figcaption></figure>",
    "em-after-img": lambda t: f"<p>{IMG}</p><p><em>{t}</em></p>",
    "credit-then-caption-p": lambda t: f"<p>{IMG}</p><p>{CREDIT}</p><p>{t}</p>",
    "plain-div-after-img": lambda t: f"<div>{IMG}<div>{t}</div></div>",
}


def _extract(case, html: str):
    art = extract_or_reject(
        html, unseen_url(case.expect["url"]), fetched_at=case.fetched_at, explain=True
    )
    assert hasattr(art, "text"), f"rejected: {art}"
    return art


def _holding(removed: list, text: str) -> list:
    key = squash(text)[:60]
    return [r for r in removed if key in squash(r.text)]


@pytest.mark.parametrize("renamed", [False, True], ids=["classes", "opaque-classes"])
@pytest.mark.parametrize("shape", sorted(REPEATED))
@pytest.mark.parametrize("base", BASE_NAMES)
def test_caption_repeating_the_lede_goes_and_the_lede_stays(
    base: str, shape: str, renamed: bool
) -> None:
    case = BASES[base]
    first = _first_paragraph(base)
    variant = Variant(
        shape, REPEATED[shape](first), "start", reshape=rename_classes if renamed else None
    )
    art = _extract(case, mutate(case, variant))
    text = squash(art.text)
    assert squash(case.expect["body_first"]) in text[:700], "the lede must stay"
    assert text.count(squash(first)[:80]) == 1, "the lede exactly once"
    assert text.endswith(squash(case.expect["body_last"]))
    assert CREDIT not in art.text and "Hermawan Handaka" not in art.text
    # --explain names the caption node, never the paragraph under another rule
    removals = _holding(art.removed, first)
    assert [r.rule for r in removals] == ["prune:caption"], removals


@pytest.mark.parametrize("base", BASE_NAMES)
def test_caption_nothing_repeats_still_goes(base: str) -> None:
    """The opposite: the real lead photo with its own caption; caption and credit go."""
    case = BASES[base]
    art = _extract(case, mutate(case, Variant("real-box", tribun_box(), "start")))
    text = squash(art.text)
    assert squash(REAL_CAPTION)[:60] not in text
    assert squash(REAL_CREDIT) not in text
    assert squash(case.expect["body_first"]) in text[:700]
    assert text.endswith(squash(case.expect["body_last"]))


@pytest.mark.parametrize("base", BASE_NAMES)
def test_a_credit_line_over_the_lede_does_not_take_the_lede(base: str) -> None:
    """A photo with only a credit line above the first paragraph: the paragraph is the lede,
    not a caption (it used to go when nothing had been kept before it)."""
    case = BASES[base]
    html = mutate(case, Variant("credit-only", f"<p>{IMG}</p><p>{CREDIT}</p>", "start"))
    art = _extract(case, html)
    text = squash(art.text)
    assert squash(case.expect["body_first"]) in text[:700]
    assert CREDIT not in art.text
    assert [r.rule for r in _holding(art.removed, CREDIT)] == ["prune:credit"]


def test_tribun_page_whose_own_caption_repeats_its_lede() -> None:
    """tribunsolo-1 itself, its lead caption set to its first paragraph (as Tribun prints it)."""
    case = BASES["tribunsolo-1"]
    first = _first_paragraph("tribunsolo-1")
    tree = parse_html(case.html)
    img = tree.xpath("//img[@class='imgfull']")[0]
    box = next(a for a in img.iterancestors() if "pb20" in (a.get("class") or ""))
    cap = _caption_div(box)
    for child in list(cap):
        cap.remove(child)
    cap.text = first
    html = lxml.html.tostring(tree, encoding="unicode")
    art = extract_or_reject(html, case.expect["url"], template="tribun", explain=True)
    assert squash(art.text).startswith(squash(case.expect["body_first"]))
    assert squash(art.text).count(squash(first)[:80]) == 1
    assert all(r.rule.startswith("prune:") for r in _holding(art.removed, first))


def test_explain_lists_the_caption_not_the_paragraph(tmp_path) -> None:
    case = BASES["kompas-2"]
    first = _first_paragraph("kompas-2")
    page = tmp_path / "page.html"
    page.write_text(mutate(case, Variant("box", tribun_box(first), "start")))
    proc = run_pantau("extract", str(page), "--url", unseen_url(case.expect["url"]), "--explain")
    assert proc.returncode == 0, proc.stderr
    text, _, explain = proc.stdout.partition("--- removed ---")
    assert squash(first)[:80] in squash(text)
    lines = [ln for ln in explain.splitlines() if squash(first)[:50] in squash(ln)]
    assert len(lines) == 1 and lines[0].startswith("[prune:caption] "), lines
    assert re.search(r"^\[prune:credit\] Tribun Jateng/Hermawan Handaka$", explain, re.M)


def test_doubled_body_is_still_kept_once() -> None:
    """The `once` rule is a legitimate text rule: a paragraph or a whole run printed twice."""
    paras = [
        "Pemerintah kabupaten menggelar rapat koordinasi penanganan banjir di aula kantor bupati.",
        "Rapat dihadiri camat, lurah, dan kepala dinas dari seluruh wilayah terdampak banjir.",
        "Bupati meminta bantuan logistik segera disalurkan kepada warga di pengungsian.",
    ]
    blocks = [Block("p", t) for t in [*paras, *paras]]
    out = clean_blocks([blocks], explain=True)
    assert out.text == "\n\n".join(paras)
    assert [r.rule for r in out.removed] == ["duplicate"] * 3


@pytest.mark.parametrize("base", BASE_NAMES)
def test_lede_after_a_photo_in_a_body_printed_twice(base: str) -> None:
    """A lede under a photo whose body is printed again later is no caption: the repeat is a
    doubled body (long paragraphs stand between the copies), kept once and in order."""
    case = BASES[base]
    html = mutate(case, Variant("img-twice", f"<p>{IMG}</p>", "start", reshape=body_twice))
    art = _extract(case, html)
    text = squash(art.text)
    assert text.startswith(squash(case.expect["body_first"])[:80]) or (
        squash(case.expect["body_first"]) in text[:700]
    )
    assert text.count(squash(case.expect["body_first"])[:80]) == 1
    assert text.endswith(squash(case.expect["body_last"]))
