"""Loading the extraction evaluation set (shared by tests and bench/extraction_quality.py).

The set is split by outlet into two groups, here and nowhere else:

- "development": the outlets whose pages extraction and classification rules may be written
  from (and tested against, case by case);
- "holdout": outlets kept out of rule writing. Nobody reads their pages to write or tune a
  rule; they are measured last, as a whole (bench/extraction_quality.py and the done-criteria
  test in tests/test_extraction.py), to tell how Pantau does on sites it has not seen.

A new page of a hold-out outlet joins the hold-out; moving an outlet out of HOLDOUT_OUTLETS
spends it (its pages can never again measure generalisation).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

CASES_DIR = Path(__file__).parent / "cases"
NONARTICLE_DIR = Path(__file__).parent / "nonarticle"
# url, outlet and kind (listing, home, tag) of every page of NONARTICLE_DIR, from the corpus
NONARTICLE_INDEX = NONARTICLE_DIR / "index.json"

HOLDOUT_OUTLETS = frozenset(
    {"jpnn", "tribunnews", "cnnindonesia", "lampost", "viva-lampung", "lampungpro", "rmollampung"}
)
GROUPS = ("development", "holdout")


def outlet_of(name: str) -> str:
    """'kompas-5' -> 'kompas', 'seed-004-p1' -> 'seed', 'detik-home-1' -> 'detik'."""
    base = re.sub(r"-\d+(?:-p\d+)?$", "", name)
    return re.sub(r"-(?:listing|home|tag|search)$", "", base)


def group_of(outlet: str) -> str:
    return "holdout" if outlet in HOLDOUT_OUTLETS else "development"


@dataclass
class Case:
    name: str
    html: bytes
    expect: dict
    extra_pages: list[str]
    reference: str | None

    @property
    def fetched_at(self) -> datetime:
        return datetime.fromisoformat(self.expect["fetched_at"])

    @property
    def outlet(self) -> str:
        return outlet_of(self.name)

    @property
    def group(self) -> str:
        return group_of(self.outlet)


@dataclass
class NonArticle:
    """A real page that must never become an article (index, home, tag page)."""

    name: str
    html: bytes
    url: str
    outlet: str
    kind: str
    template: str  # as a new user would configure the outlet in sources.yaml

    @property
    def group(self) -> str:
        return group_of(self.outlet)


def load_cases() -> list[Case]:
    """Every case: NAME.html + NAME.json (+ NAME.reference.txt, the hand-checked clean body)."""
    cases = []
    for exp_path in sorted(CASES_DIR.glob("*.json")):
        name = exp_path.stem
        expect = json.loads(exp_path.read_text())
        extra = [(CASES_DIR / p).read_text() for p in expect.get("extra_pages") or []]
        ref_path = CASES_DIR / f"{name}.reference.txt"
        ref = ref_path.read_text() if ref_path.exists() else None
        cases.append(Case(name, (CASES_DIR / f"{name}.html").read_bytes(), expect, extra, ref))
    return cases


def load_nonarticle(group: str | None = None) -> list[NonArticle]:
    """Every page of NONARTICLE_DIR with its real URL (or only those of one group)."""
    index = json.loads(NONARTICLE_INDEX.read_text())
    pages = []
    for path in sorted(NONARTICLE_DIR.glob("*.html")):
        meta = index[path.stem]  # a page without its URL is an error, not a skip
        pages.append(
            NonArticle(
                path.stem,
                path.read_bytes(),
                meta["url"],
                meta["outlet"],
                meta["kind"],
                meta["template"],
            )
        )
    return [p for p in pages if group is None or p.group == group]


def squash(text: str) -> str:
    """Whitespace-insensitive form used by every text comparison."""
    return " ".join(text.split())


# A reporter's sign-off after the last sentence: "(boy/jpnn)", "(fbn)", "(***/Jenly Wenur)".
_SIGN_OFF = re.compile(r"\s*\([\w*][\w*. ]{0,19}(?:/[\w*. ]{1,20}){0,3}\)$")


def ends_with(text: str, last: str) -> bool:
    """The squashed text ends with the last body sentence, or with it and a sign-off: initials
    are neither body nor furniture, and pages differ on whether they sit in the last paragraph."""
    text, last = squash(text), squash(last)
    return text.endswith(last) or _SIGN_OFF.sub("", text).endswith(last)


@dataclass
class Judgement:
    """How an extracted body meets a case's expectation (the pass rule of the benchmark)."""

    rejected: bool
    first_ok: bool = False
    last_ok: bool = False
    missing: list[str] = field(default_factory=list)
    leaked: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Not rejected, first and last sentence right, every must_contain kept, no furniture."""
        return (
            not self.rejected
            and self.first_ok
            and self.last_ok
            and not self.missing
            and not self.leaked
        )

    def why(self) -> str:
        """The failure in plain words ('' when it passed)."""
        if self.rejected:
            return "rejected (no article)"
        out = []
        if not self.first_ok:
            out.append("first sentence")
        if not self.last_ok:
            out.append("last sentence")
        out += [f"missing {m[:40]!r}" for m in self.missing]
        out += [f"leak {f[:40]!r}" for f in self.leaked]
        return "; ".join(out)


def judge(case: Case, text: str | None) -> Judgement:
    """Judge one output (None: the extractor gave no article) against the case."""
    if text is None or not text.strip():
        return Judgement(rejected=True, leaked=[])
    e = case.expect
    body = squash(text)
    return Judgement(
        rejected=False,
        first_ok=squash(e["body_first"]) in body[:600],
        last_ok=ends_with(body, e["body_last"]),
        missing=[s for s in e["must_contain"] if squash(s) not in body],
        leaked=[f for f in e["must_not_contain"] if squash(f) in body],
    )
