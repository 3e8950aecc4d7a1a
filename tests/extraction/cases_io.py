"""Loading the extraction evaluation set (shared by tests and bench/extraction_quality.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

CASES_DIR = Path(__file__).parent / "cases"


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


def squash(text: str) -> str:
    """Whitespace-insensitive form used by every text comparison."""
    return " ".join(text.split())
