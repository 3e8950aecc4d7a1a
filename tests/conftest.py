"""Shared test helpers: paths, the venv's `pantau`, and a config directory builder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "tests" / "data" / "seeds"
CORPUS_COPIES = [  # real corpus files copied into tests/, each kept once
    ROOT / "tests" / "extraction" / "cases",
    ROOT / "tests" / "extraction" / "nonarticle",
    ROOT / "tests" / "fixtures" / "spider",  # the feeds, which the extraction set has no use for
]


def corpus_file(name: str) -> Path:
    """A real corpus page or feed by file name, wherever the test data keeps it."""
    for folder in CORPUS_COPIES:
        if (folder / name).exists():
            return folder / name
    raise FileNotFoundError(name)


PANTAU = [str(Path(sys.executable).parent / "pantau")]


def run_pantau(*args: str, env: dict | None = None, timeout: int = 240, cwd: Path | None = None):
    """Run the real `pantau` CLI in a subprocess (Scrapy's reactor cannot restart in-process)."""
    full_env = {**os.environ, **(env or {})}
    full_env.setdefault("PANTAU_RETRY_BASE_SECONDS", "0")
    full_env.setdefault(
        "PANTAU_SCRAPY_SETTINGS",
        '{"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": false, "CONCURRENT_REQUESTS_PER_DOMAIN": 8}',
    )
    return subprocess.run(
        [*PANTAU, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        cwd=str(cwd or ROOT),
    )


@pytest.fixture
def seed_texts() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}
