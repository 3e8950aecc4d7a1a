"""Every generated fixture is what its builder makes today, so anyone can rebuild it from a clone.

`make fixtures` runs the four builders over the committed folders; here they write into a
temporary folder instead and each file must equal the committed one byte for byte. A fixture
edited by hand, a site rebuilt alone after a builder change, or a builder that reads a file
outside the repository and ../shared/ fails here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"  # corpus pages and seeds the builders read, beside the clone
CASES = ROOT / "tests" / "extraction" / "cases"

# committed folder of fixture sites -> the builders that write its sites
SITE_BUILDERS = {
    "pantau/sample_sites": ["pantau/sample_sites/_build.py"],
    "tests/fixtures/sites": [
        "tests/fixtures/sites/_build.py",
        "tests/fixtures/sites/_build_blogger.py",
    ],
}
SEED_BUILDER = "tests/extraction/make_seed_pages.py"


@pytest.fixture(autouse=True)
def _needs_shared() -> None:
    if not (SHARED / "corpus" / "pages").is_dir() or not (SHARED / "seeds").is_dir():
        pytest.skip(
            "../shared/ (corpus/pages and seeds, beside the repository root) is missing: "
            "the fixture builders read it, so the rebuild cannot be compared"
        )


def build(script: str, out: Path) -> None:
    subprocess.run(
        [sys.executable, script, "--out", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=240,
    )


def files(folder: Path) -> dict[str, bytes]:
    """Relative path -> bytes of every file under folder (compiled Python left out)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def differing(built: dict[str, bytes], committed: dict[str, bytes]) -> list[str]:
    """Paths missing on either side or whose bytes differ, for a readable failure."""
    names = built.keys() | committed.keys()
    return sorted(n for n in names if built.get(n) != committed.get(n))


@pytest.mark.parametrize("folder", sorted(SITE_BUILDERS))
def test_fixture_sites_rebuild_identical(folder: str, tmp_path: Path):
    for script in SITE_BUILDERS[folder]:
        build(script, tmp_path)
    committed_sites = sorted(p.parent.name for p in (ROOT / folder).glob("*/site.json"))
    built_sites = sorted(p.name for p in tmp_path.iterdir())
    assert built_sites == committed_sites
    for site in built_sites:
        built, committed = files(tmp_path / site), files(ROOT / folder / site)
        assert len(built) > 3
        assert differing(built, committed) == [], f"{folder}/{site} differs from a rebuild"


def test_seed_pages_rebuild_identical(tmp_path: Path):
    build(SEED_BUILDER, tmp_path)
    built = files(tmp_path)
    committed = {p.name: p.read_bytes() for p in CASES.glob("seed-*.html")}
    assert sorted(built) == sorted(committed)
    assert len(built) == 7  # seeds 000-003, and 004's three pages
    assert differing(built, committed) == []
