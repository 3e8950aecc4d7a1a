"""The repository names no absolute path of a machine: builders and docs read `../shared/`
relative to the repository root, so a clone anywhere rebuilds and runs the same."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# a path that starts at a machine's root folder for homes, work trees or temp files
MACHINE_PATH = re.compile(r"(?:^|[^\w.{}/-])/(?:work|home|root|tmp|Users)/")
CHECKED = ("*.py", "*.md", "*.yaml", "*.yml", "*.json", "*.toml", "*.cfg", "Makefile", ".ci/run")


def _tracked_files() -> list[Path]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "--", *CHECKED],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [ROOT / line for line in out.splitlines() if line]


def test_no_absolute_machine_path_in_the_repository() -> None:
    offenders = []
    for path in _tracked_files():
        if not path.is_file():
            continue
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if MACHINE_PATH.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()[:120]}")
    assert not offenders, "absolute machine paths:\n" + "\n".join(offenders)


def test_the_pattern_catches_a_machine_path() -> None:
    root = "/"  # written apart, so this file does not hold the paths it tests
    assert MACHINE_PATH.search(f'CORPUS = Path("{root}work/shared/corpus")')
    assert MACHINE_PATH.search(f"needs {root}home/dev/corpus")
    assert not MACHINE_PATH.search("see ../shared/corpus and https://example.com/home/x")
