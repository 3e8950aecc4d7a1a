"""Extraction quality: Pantau against plain trafilatura.extract on tests/extraction/.

Per page and in total: token precision/recall/F1 of the body against the hand-checked reference
(NAME.reference.txt), furniture leaks (the case's must_not_contain strings found in the output),
day of publication and title right or wrong, and the time each side took.

    .venv/bin/python bench/extraction_quality.py [--quick] [--write-docs]

--quick runs a third of the cases; --write-docs puts the results table into docs/benchmarks.md
between the markers <!-- extraction_quality --> and <!-- /extraction_quality -->.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from pipeline.extract import extract_article, warm_up  # noqa: E402
from tests.extraction.cases_io import Case, load_cases, squash  # noqa: E402

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


def leaks(output: str, case: Case) -> int:
    text = squash(output or "")
    return sum(squash(f) in text for f in case.expect["must_not_contain"])


def run_pantau(case: Case) -> tuple[str, str | None, str | None, float]:
    e = case.expect
    t0 = time.perf_counter()
    art = extract_article(
        case.html,
        e["url"],
        fetched_at=case.fetched_at,
        template=e["template"],
        source_region=e.get("source_region"),
        extra_pages=case.extra_pages or None,
    )
    dt = time.perf_counter() - t0
    if art is None:
        return "", None, None, dt
    return art.text, art.title, (art.published_at or "")[:10] or None, dt


def run_trafilatura(case: Case) -> tuple[str, str | None, str | None, float]:
    """What a pipeline built on plain trafilatura gets: extract() per page, pages joined."""
    url = case.expect["url"]
    t0 = time.perf_counter()
    texts = [
        trafilatura.extract(page, url=url, include_comments=False) or ""
        for page in [case.html, *case.extra_pages]
    ]
    dt = time.perf_counter() - t0
    meta = trafilatura.bare_extraction(case.html, url=url, with_metadata=True)
    title = meta.title if meta else None
    date = meta.date[:10] if meta and meta.date else None
    return "\n".join(texts), title, date, dt


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a third of the cases")
    ap.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = ap.parse_args()

    cases = [c for c in load_cases() if c.reference]
    if args.quick:
        cases = cases[::3]
    warm_up()
    trafilatura.extract(cases[0].html)  # warm trafilatura/htmldate up for a fair timing

    rows = []
    tot = {"p": Counter(), "t": Counter()}
    time_p = time_t = 0.0
    for case in cases:
        p_text, p_title, p_date, p_dt = run_pantau(case)
        t_text, t_title, t_date, t_dt = run_trafilatura(case)
        time_p += p_dt
        time_t += t_dt
        ref = case.reference or ""
        row = [case.name]
        for key, text, title, date in (
            ("p", p_text, p_title, p_date),
            ("t", t_text, t_title, t_date),
        ):
            out, rf = tokens(text), tokens(ref)
            tot[key]["common"] += sum((out & rf).values())
            tot[key]["out"] += sum(out.values())
            tot[key]["ref"] += sum(rf.values())
            n_leak = leaks(text, case)
            tot[key]["leaks"] += n_leak
            tot[key]["dates"] += date == case.expect["published_date"]
            tot[key]["titles"] += title == case.expect["title"]
            _, _, f1 = prf(text, ref)
            row += [f"{f1:.3f}", str(n_leak)]
        rows.append(row)

    def total(key: str) -> tuple[float, float, float]:
        t = tot[key]
        p = t["common"] / max(1, t["out"])
        r = t["common"] / max(1, t["ref"])
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)

    n = len(cases)
    pp, pr, pf = total("p")
    tp, tr, tf = total("t")
    lines = [
        f"Extraction quality on {n} pages of `tests/extraction/` "
        f"(token overlap with the hand-checked reference body).",
        "",
        "| page | Pantau F1 | Pantau leaks | trafilatura F1 | trafilatura leaks |",
        "| --- | ---: | ---: | ---: | ---: |",
        *(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} |" for r in rows),
        "",
        "| total | precision | recall | F1 | furniture leaks | dates right | titles right | seconds |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| Pantau | {pp:.3f} | {pr:.3f} | {pf:.3f} | {tot['p']['leaks']} | "
        f"{tot['p']['dates']}/{n} | {tot['p']['titles']}/{n} | {time_p:.2f} |",
        f"| trafilatura.extract | {tp:.3f} | {tr:.3f} | {tf:.3f} | {tot['t']['leaks']} | "
        f"{tot['t']['dates']}/{n} | {tot['t']['titles']}/{n} | {time_t:.2f} |",
        "",
        "Pantau's time is its whole per-page work (page kind, metadata, extraction, cleaning, "
        "dates, region); trafilatura's is `extract()` alone.",
    ]
    table = "\n".join(lines)
    print(table)
    summary = (
        f"extraction_quality: pantau F1 {pf:.2f}, trafilatura F1 {tf:.2f}, "
        f"leaks {tot['p']['leaks']} vs {tot['t']['leaks']}, dates {tot['p']['dates']}/{n}"
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
