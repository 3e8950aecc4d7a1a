"""Run every benchmark and write docs/benchmarks.md (what `make bench` runs).

Each `bench/*.py` script (not starting with `_`, not this one) runs as its own subprocess.
Its LAST stdout line is its headline; its markdown section is what it printed between
`<!-- NAME -->` and `<!-- /NAME -->` (or, for a script without markers, everything before the
headline). Sections keep their markers in the doc, so naming scripts reruns only those and
replaces only their sections:

    .venv/bin/python bench/run_all.py [--quick] [NAME ...]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    BENCH,
    PYTHON,
    ROOT,
    cpu_model,
    env_for_child,
    environment_versions,
    ram_gb,
)

DOC = ROOT / "docs" / "benchmarks.md"
ORDER = [
    "extraction_speed",
    "extraction_quality",
    "crawl_speed",
    "crawl_ab",
    "cluster_speed",
    "incremental",
    "archive_scale",
]
TITLES = {
    "extraction_speed": "Extraction speed",
    "extraction_quality": "Extraction quality",
    "crawl_speed": "Crawl speed and memory",
    "crawl_ab": "Crawl cost of a change (two commits, A/B)",
    "cluster_speed": "Cluster speed (Redis workers)",
    "incremental": "Incremental re-crawl",
    "archive_scale": "Archive at scale",
}
HEADER_BEGIN, HEADER_END = "<!-- header -->", "<!-- /header -->"
SUMMARY_BEGIN, SUMMARY_END = "<!-- summary -->", "<!-- /summary -->"
TIMEOUT_S = 45 * 60


def scripts() -> list[str]:
    found = [p.stem for p in BENCH.glob("*.py") if not p.stem.startswith("_")]
    found = [n for n in found if n not in {"run_all", "fetch_only_spider"}]
    return [n for n in ORDER if n in found] + sorted(n for n in found if n not in ORDER)


def split_output(name: str, stdout: str) -> tuple[str, str]:
    """(section markdown, headline) of one script's stdout."""
    lines = [ln for ln in stdout.rstrip("\n").splitlines()]
    while lines and not lines[-1].strip():
        lines.pop()
    headline = lines[-1].strip() if lines else f"{name}: no output"
    body = "\n".join(lines[:-1])
    m = re.search(rf"<!-- {re.escape(name)} -->\n(.*?)\n<!-- /{re.escape(name)} -->", body, re.S)
    section = m.group(1) if m else body
    section = re.sub(r"^## [^\n]*\n+", "", section.strip())  # the doc adds its own heading
    return section.strip(), headline


def run_one(name: str, quick: bool) -> tuple[str, str, float, int]:
    cmd = [PYTHON, str(BENCH / f"{name}.py")] + (["--quick"] if quick else [])
    print(f"== {name} ({'quick' if quick else 'full'})", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd,
            cwd=ROOT,
            env=env_for_child(),
            stdout=subprocess.PIPE,
            stderr=None,  # progress shows live
            text=True,
            timeout=TIMEOUT_S,
        )
        stdout, rc = proc.stdout, proc.returncode
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout or ""
        stdout, rc = (out.decode("utf-8", "replace") if isinstance(out, bytes) else out), -1
        stdout += f"\n{name}: timed out after {TIMEOUT_S} s"
    elapsed = time.perf_counter() - t0
    section, headline = split_output(name, stdout)
    if rc != 0:
        section = f"**This benchmark failed (exit code {rc}).**\n\n{section}"
        headline = f"{name}: FAILED (exit {rc})" if not headline.startswith(name) else headline
    print(f"   {headline}  [{elapsed:.0f} s]", file=sys.stderr, flush=True)
    return section, headline, elapsed, rc


def section_block(name: str, section: str, headline: str, quick: bool, elapsed: float) -> str:
    size = "`--quick`" if quick else "full size"
    return (
        f"<!-- {name} -->\n## {TITLES.get(name, name)}\n\n{section}\n\n"
        f"Headline: `{headline}`\n\n"
        f"_Run at {size} on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC in {elapsed:.0f} s; rerun "
        f"alone with `.venv/bin/python bench/run_all.py {'--quick ' if quick else ''}{name}`._\n"
        f"<!-- /{name} -->"
    )


def header() -> str:
    v = environment_versions()
    import os

    libs = ", ".join(f"{k} {val}" for k, val in v.items() if k != "python")
    return "\n".join(
        [
            HEADER_BEGIN,
            "# Benchmarks",
            "",
            "Every figure below was measured by the scripts in `bench/` on this machine; speed "
            "figures are ratios against baselines measured in the same run (plain trafilatura, "
            "a fetch-only Scrapy spider, a bare lxml parse), so they carry over to other machines "
            "better than the absolute numbers. No test asserts a time.",
            "",
            f"- Machine: {os.cpu_count()} CPUs ({cpu_model()}), {ram_gb():.1f} GiB RAM, "
            f"Linux {os.uname().release}",
            f"- Python {v['python']}; {libs}",
            f"- Last run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            "",
            "Rerun everything with `make bench` (= `.venv/bin/python bench/run_all.py`; add "
            "`--quick` for small sizes, about a minute per script), one benchmark with "
            "`.venv/bin/python bench/run_all.py NAME` (only its section is replaced), or run a "
            "script alone: `.venv/bin/python bench/NAME.py [--quick]` prints its section and, "
            "as its last line, its headline.",
            HEADER_END,
        ]
    )


def replace_block(doc: str, begin: str, end: str, block: str) -> str:
    if begin in doc and end in doc:
        return doc[: doc.index(begin)] + block + doc[doc.index(end) + len(end) :]
    return doc.rstrip("\n") + "\n\n" + block + "\n"


def reorder(doc: str, names: list[str]) -> str:
    """Header, summary, then the benchmark sections in `names` order (others after them)."""
    blocks = {
        m.group(1): m.group(0)
        for m in re.finditer(r"<!-- ([a-z_]+) -->\n.*?\n<!-- /\1 -->", doc, re.S)
    }
    head = [blocks.pop(k) for k in ("header", "summary") if k in blocks]
    body = [blocks.pop(n) for n in names if n in blocks] + list(blocks.values())
    return "\n\n".join(head + body)


def summary_block(doc: str) -> str:
    heads = re.findall(r"^Headline: `([^`]*)`", doc, re.M)
    lines = [SUMMARY_BEGIN, "## Summary", "", *(f"- `{h}`" for h in heads), SUMMARY_END]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (each under a minute)")
    ap.add_argument("names", nargs="*", help="only these benchmarks (default: all)")
    args = ap.parse_args()
    available = scripts()
    names = args.names or available
    unknown = [n for n in names if n not in available]
    if unknown:
        ap.error(f"unknown benchmark(s): {', '.join(unknown)}; have {', '.join(available)}")

    doc = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    if not args.names:  # a full rerun starts the doc afresh
        doc = ""
    doc = replace_block(doc, HEADER_BEGIN, HEADER_END, header())
    if SUMMARY_BEGIN not in doc:
        doc = doc.rstrip("\n") + "\n\n" + SUMMARY_BEGIN + "\n" + SUMMARY_END + "\n"
    failed = 0
    for name in names:
        section, headline, elapsed, rc = run_one(name, args.quick)
        failed += rc != 0
        block = section_block(name, section, headline, args.quick, elapsed)
        doc = replace_block(doc, f"<!-- {name} -->", f"<!-- /{name} -->", block)
        doc = reorder(doc, available)
        doc = replace_block(doc, SUMMARY_BEGIN, SUMMARY_END, summary_block(doc))
        DOC.parent.mkdir(parents=True, exist_ok=True)
        DOC.write_text(doc.strip("\n") + "\n", encoding="utf-8")  # after each: partial results
    print(f"wrote {DOC.relative_to(ROOT)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
