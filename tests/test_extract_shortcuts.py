"""Extraction's speed shortcuts give exactly what the full path gives (pipeline/extract.py).

Two shortcuts: the page is parsed with element classes looked up in C, and trafilatura's
comparison with readability/justext is skipped when it could not change the result. Each page
here is extracted with the shortcut and without it; the articles (or rejections) must be equal.
Only development pages are used (tests/extraction/cases_io.py): the trust rule was set on them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pytest
import trafilatura
import trafilatura.external

from pantau.pipeline import extract as E
from tests.extraction.cases_io import load_cases

ROOT = Path(__file__).resolve().parent
CASES = [c for c in load_cases() if c.group == "development"]
# a page whose own trafilatura result the comparison replaces (readability finds it twice)
SEED = ROOT / "dates_cases" / "seeds" / "seed002_kalteng.html"


@pytest.fixture
def readability_calls(monkeypatch):
    calls: list[int] = []
    real = trafilatura.external.try_readability

    def counted(tree):
        calls.append(1)
        return real(tree)

    monkeypatch.setattr(trafilatura.external, "try_readability", counted)
    return calls


def _pages():
    for c in CASES:
        yield c.name, c.html, c.expect["url"], c.expect.get("template") or "generic", c
    yield SEED.name, SEED.read_bytes(), "https://kalteng.example.id/berita/1/a", "generic", None


def _extract(html, url, template, case):
    return E.extract_or_reject(
        html,
        url,
        fetched_at=case.fetched_at if case else datetime(2024, 5, 1, tzinfo=UTC),
        template=template,
        source_region=case.expect.get("source_region") if case else None,
        extra_pages=(case.extra_pages or None) if case else None,
    )


def test_skipping_the_comparison_changes_no_article(monkeypatch, readability_calls):
    fast = {name: _extract(h, u, t, c) for name, h, u, t, c in _pages()}
    skipped = len(fast) - len(readability_calls)
    # the shortcut is in use: most pages never ran readability
    assert skipped > len(fast) // 2, f"readability ran on {len(readability_calls)} pages"
    monkeypatch.setattr(E, "TRUST_PARAGRAPH_SHARE", float("inf"))  # trust nothing: full path
    for name, h, u, t, c in _pages():
        assert _extract(h, u, t, c) == fast[name], name


def test_the_comparison_still_runs_where_it_changes_the_result(readability_calls):
    art = _extract(SEED.read_bytes(), "https://kalteng.example.id/berita/1/a", "generic", None)
    assert readability_calls, "the page whose result readability replaces skipped it"
    assert not isinstance(art, E.Rejection)


def test_plain_trafilatura_keeps_its_comparison(readability_calls):
    """The hook only skips for Pantau's own calls; `trafilatura.extract` compares as always."""
    E.warm_up()  # installs the hook
    html = CASES[0].html.decode("utf-8", "replace")
    readability_calls.clear()
    assert trafilatura.extract(html)
    assert readability_calls


@pytest.mark.parametrize("case", CASES[:8], ids=lambda c: c.name)
def test_the_c_lookup_parser_builds_the_same_tree(case):
    """Same markup and text as lxml.html's own parser, and every element an HtmlElement."""
    tree = E.parse_html(case.html)
    text = E._repair_markup(E._XML_DECL.sub("", E.decode_html(case.html)))
    plain = lxml.html.document_fromstring(text)
    lxml.etree.strip_tags(plain, lxml.etree.Comment)
    assert lxml.html.tostring(tree) == lxml.html.tostring(plain)
    assert all(isinstance(el, lxml.html.HtmlElement) for el in tree.iter(lxml.etree.Element))
