"""Extraction quality: Pantau against plain trafilatura.extract on tests/extraction/.

Two groups of outlets (tests/extraction/cases_io.py): *development*, the pages rules are
written from, and *hold-out*, outlets no rule was written from, measured to tell how Pantau
does on sites it has not seen. For each group, Pantau beside plain trafilatura on the same
pages: pass rate (a page passes when it is not rejected, the first and last body sentence are
right, every must_contain sentence is kept and no must_not_contain furniture is present),
furniture leaks, day of publication, title and author right, token F1 against the
hand-checked reference body, article pages rejected, and index pages archived as articles.

    .venv/bin/python bench/extraction_quality.py [--quick] [--write-docs]

--quick runs a third of the article cases; --write-docs puts the tables into docs/benchmarks.md
between the markers <!-- extraction_quality --> and <!-- /extraction_quality -->.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from pantau.pipeline.extract import extract_article, extract_or_reject, warm_up  # noqa: E402
from pantau.pipeline.models import Rejection  # noqa: E402
from tests.extraction.cases_io import (  # noqa: E402
    GROUPS,
    Case,
    Judgement,
    NonArticle,
    judge,
    load_cases,
    load_nonarticle,
)

DOCS = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- extraction_quality -->", "<!-- /extraction_quality -->"
_TOKEN = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> Counter[str]:
    return Counter(t.casefold() for t in _TOKEN.findall(text or ""))


def prf(output: str, reference: str) -> tuple[float, float, float]:
    out, ref = tokens(output), tokens(reference)
    common = sum((out & ref).values())
    p = common / max(1, sum(out.values()))
    r = common / max(1, sum(ref.values()))
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


@dataclass
class Output:
    """What one extractor made of one article page."""

    text: str | None  # None: no article (Pantau rejected it; trafilatura returned nothing)
    title: str | None
    date: str | None
    author: str | None
    seconds: float
    note: str = ""  # Pantau's rejection, in its own words


def run_pantau(case: Case) -> Output:
    e = case.expect
    t0 = time.perf_counter()
    art = extract_or_reject(
        case.html,
        e["url"],
        fetched_at=case.fetched_at,
        template=e["template"],
        source_region=e.get("source_region"),
        extra_pages=case.extra_pages or None,
    )
    dt = time.perf_counter() - t0
    if isinstance(art, Rejection):
        return Output(None, None, None, None, dt, art.describe())
    return Output(art.text, art.title, (art.published_at or "")[:10] or None, art.author, dt)


def run_trafilatura(case: Case) -> Output:
    """What a pipeline built on plain trafilatura gets: extract() per page, pages joined."""
    url = case.expect["url"]
    t0 = time.perf_counter()
    texts = [
        trafilatura.extract(page, url=url, include_comments=False) or ""
        for page in [case.html, *case.extra_pages]
    ]
    dt = time.perf_counter() - t0
    meta = trafilatura.bare_extraction(case.html, url=url, with_metadata=True)
    text = "\n".join(t for t in texts if t) or None
    return Output(
        text,
        meta.title if meta else None,
        meta.date[:10] if meta and meta.date else None,
        meta.author if meta else None,
        dt,
    )


def archived(page: NonArticle) -> tuple[bool, bool]:
    """(Pantau made an article of this index page, trafilatura.extract returned text for it)."""
    pantau = extract_article(page.html, page.url, template=page.template) is not None
    plain = bool((trafilatura.extract(page.html, url=page.url) or "").strip())
    return pantau, plain


@dataclass
class Tally:
    """One extractor's totals over one group."""

    pages: int = 0
    passed: int = 0
    leaks: int = 0
    dates: int = 0
    titles: int = 0
    authors: int = 0
    with_author: int = 0
    rejected: int = 0
    tokens: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    def add(self, case: Case, out: Output, verdict: Judgement) -> None:
        e = case.expect
        self.pages += 1
        self.passed += verdict.passed
        self.leaks += len(verdict.leaked)
        self.rejected += verdict.rejected
        self.dates += out.date == e["published_date"]
        self.titles += out.title == e["title"]
        if e.get("author"):
            self.with_author += 1
            self.authors += bool(out.author and e["author"] in out.author)
        o, r = tokens(out.text or ""), tokens(case.reference or "")
        self.tokens["common"] += sum((o & r).values())
        self.tokens["out"] += sum(o.values())
        self.tokens["ref"] += sum(r.values())
        self.seconds += out.seconds

    def f1(self) -> float:
        p = self.tokens["common"] / max(1, self.tokens["out"])
        r = self.tokens["common"] / max(1, self.tokens["ref"])
        return 2 * p * r / (p + r) if p + r else 0.0


def pct(k: int, n: int) -> str:
    return f"{k}/{n} ({100 * k / n:.0f}%)" if n else "0/0"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a third of the article cases")
    ap.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = ap.parse_args()

    cases = [c for c in load_cases() if c.reference]
    if args.quick:  # every hold-out page stays: the hold-out is what this measures
        cases = [c for i, c in enumerate(cases) if c.group == "holdout" or i % 3 == 0]
    nonarticle = load_nonarticle()
    warm_up()
    trafilatura.extract(cases[0].html)  # warm trafilatura/htmldate up for a fair timing

    tally = {(g, who): Tally() for g in GROUPS for who in ("p", "t")}
    rows: dict[str, list[str]] = {g: [] for g in GROUPS}
    for case in cases:
        p_out, t_out = run_pantau(case), run_trafilatura(case)
        p_v, t_v = judge(case, p_out.text), judge(case, t_out.text)
        tally[case.group, "p"].add(case, p_out, p_v)
        tally[case.group, "t"].add(case, t_out, t_v)
        e, ref = case.expect, case.reference or ""
        p_why = p_v.why() if not p_v.rejected else f"rejected: {p_out.note}"
        misses = [
            what
            for what, ok in (
                ("date", p_out.date == e["published_date"]),
                ("title", p_out.title == e["title"]),
                ("author", not e.get("author") or e["author"] in (p_out.author or "")),
            )
            if not ok
        ]
        rows[case.group].append(
            f"| {case.name} | {'pass' if p_v.passed else 'FAIL'} | "
            f"{prf(p_out.text or '', ref)[2]:.3f} | {len(p_v.leaked)} | "
            f"{'; '.join(filter(None, [p_why, *misses])) or '-'} | "
            f"{'pass' if t_v.passed else 'FAIL'} | {prf(t_out.text or '', ref)[2]:.3f} | "
            f"{len(t_v.leaked)} |"
        )
    listing = {g: {"n": 0, "p": [], "t": []} for g in GROUPS}
    for page in nonarticle:
        by_pantau, by_plain = archived(page)
        listing[page.group]["n"] += 1
        if by_pantau:
            listing[page.group]["p"].append(page.name)
        if by_plain:
            listing[page.group]["t"].append(page.name)

    names = {"development": "Development outlets", "holdout": "Hold-out outlets"}
    lines = [
        "Real pages of `tests/extraction/`, split by outlet in `tests/extraction/cases_io.py`: "
        "**development** outlets are the ones extraction and classification rules are written "
        "from; **hold-out** outlets ("
        + ", ".join(
            sorted(
                {c.outlet for c in cases if c.group == "holdout"}
                | {p.outlet for p in nonarticle if p.group == "holdout"}
            )
        )
        + ") were kept out of rule writing and are measured as unseen sites. Each group runs "
        "through Pantau and, beside it, plain `trafilatura.extract` on the same pages.",
        "",
        "A page **passes** when it is not rejected, its first and last body sentence are right "
        "(found at the start and at the end of the output, whitespace-insensitive; a reporter's "
        "sign-off such as `(boy/jpnn)` may follow the last one), every must-keep sentence is "
        'kept and none of its furniture strings (captions, "Baca juga" lines, tags, share '
        "text, related titles, archive banners) is present. F1 is token overlap with the "
        "hand-checked reference body. *Rejected* counts article pages that gave no article; "
        "*archived listing* counts index, home and tag pages that gave one (for trafilatura: "
        "`extract()` returned text).",
        "",
        "| group | extractor | pages | pass | furniture leaks | dates right | titles right "
        "| authors right | F1 | rejected articles | archived listings | seconds |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for g in GROUPS:
        for who, label in (("p", "Pantau"), ("t", "trafilatura.extract")):
            t = tally[g, who]
            lines.append(
                f"| {names[g]} | {label} | {t.pages} | {pct(t.passed, t.pages)} | {t.leaks} | "
                f"{t.dates}/{t.pages} | {t.titles}/{t.pages} | {t.authors}/{t.with_author} | "
                f"{t.f1():.3f} | {t.rejected} | {len(listing[g][who])}/{listing[g]['n']} | "
                f"{t.seconds:.2f} |"
            )
    for g in GROUPS:
        lines += [
            "",
            f"{names[g]}, per page (Pantau's failures in words):",
            "",
            "| page | Pantau | Pantau F1 | Pantau leaks | what is wrong | trafilatura | "
            "trafilatura F1 | trafilatura leaks |",
            "| --- | --- | ---: | ---: | --- | --- | ---: | ---: |",
            *rows[g],
        ]
        if listing[g]["p"]:
            lines.append(f"\nIndex pages Pantau archived as articles: {', '.join(listing[g]['p'])}")
    lines += [
        "",
        "Pantau's time is its whole per-page work (page kind, metadata, extraction, cleaning, "
        "dates, region); trafilatura's is `extract()` alone.",
    ]
    table = "\n".join(lines)
    print(table)
    d, h = tally["development", "p"], tally["holdout", "p"]
    dt_, ht = tally["development", "t"], tally["holdout", "t"]
    summary = (
        f"extraction_quality: development pass {d.passed}/{d.pages} (trafilatura "
        f"{dt_.passed}), hold-out pass {h.passed}/{h.pages} (trafilatura {ht.passed}), "
        f"F1 {d.f1():.2f}/{h.f1():.2f} vs {dt_.f1():.2f}/{ht.f1():.2f}, "
        f"leaks {d.leaks + h.leaks} vs {dt_.leaks + ht.leaks}, "
        f"rejected {d.rejected + h.rejected}, "
        f"listings archived {sum(len(listing[g]['p']) for g in GROUPS)}/{len(nonarticle)}"
    )
    if args.write_docs:
        section = f"{BEGIN}\n## Extraction quality\n\n{table}\n\n`{summary}`\n{END}"
        old = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
        if BEGIN in old and END in old:
            new = old[: old.index(BEGIN)] + section + old[old.index(END) + len(END) :]
        else:
            new = old.rstrip("\n") + "\n\n" + section + "\n"
        DOCS.parent.mkdir(parents=True, exist_ok=True)
        DOCS.write_text(new)
    print(summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
