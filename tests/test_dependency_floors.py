"""The dependency floors in pyproject.toml are the versions CI tests (issue 14, point 15).

A floor nobody runs drifts: `sqlite-utils>=3.38` let an install drop every article and
`scrapy>=2.13` let one call `process_item(item, spider)`. `ci/constraints-min.txt` pins every
dependency of pyproject.toml (core and extras) to its floor and `make test-min` runs a subset of
the suite in a venv built from it. These tests keep the two files in step, and, inside that
venv (`PANTAU_MIN_VERSIONS=1`, set by `make test-min`), check the pins were really installed.
"""

from __future__ import annotations

import os
import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = ROOT / "ci" / "constraints-min.txt"


def norm(name: str) -> str:
    """PEP 503 name: `PyYAML` and `pyyaml`, `lxml_html_clean` and `lxml-html-clean` are one."""
    return re.sub(r"[-_.]+", "-", name).lower()


def declared() -> dict[str, list[Requirement]]:
    """Every requirement of pyproject.toml (core and all extras) by normalised name."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        reqs += extra
    out: dict[str, list[Requirement]] = {}
    for text in reqs:
        req = Requirement(text)
        out.setdefault(norm(req.name), []).append(req)
    return out


def floor(req: Requirement) -> Version | None:
    lows = [Version(s.version) for s in req.specifier if s.operator == ">="]
    return lows[0] if len(lows) == 1 else None


def pinned(text: str | None = None) -> dict[str, Version]:
    """`name==version` lines of the constraints file (comments and blank lines skipped)."""
    out: dict[str, Version] = {}
    for line in (text if text is not None else CONSTRAINTS.read_text()).splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        assert sep and version.strip(), f"not a name==version pin: {line!r}"
        assert norm(name.strip()) not in out, f"pinned twice: {name}"
        out[norm(name.strip())] = Version(version.strip())
    return out


def test_every_dependency_has_one_floor():
    for name, reqs in declared().items():
        floors = {floor(r) for r in reqs}
        assert None not in floors, f"{name}: needs exactly one '>=' floor: {reqs}"
        assert len(floors) == 1, f"{name}: different floors in different lists: {reqs}"


def test_constraints_pin_each_dependency_to_its_floor():
    deps = declared()
    pins = pinned()
    assert set(pins) == set(deps), (
        f"only in pyproject.toml: {sorted(set(deps) - set(pins))}; "
        f"only in ci/constraints-min.txt: {sorted(set(pins) - set(deps))}"
    )
    for name, reqs in deps.items():
        assert floor(reqs[0]) == pins[name], (
            f"{name}: pyproject floor {floor(reqs[0])}, constraints pin {pins[name]}"
        )
        assert all(r.specifier.contains(pins[name], prereleases=True) for r in reqs), name


def test_versions_known_to_break_pantau_are_below_the_floors():
    """Found the hard way: sqlite-utils 3.38/3.39 leave store_page's transaction open (every
    article lost, 'database is locked'); scrapy before 2.19 ignores LOG_INSTALL_ROOT_HANDLER
    (plain lines in --log-format json) and 2.13 calls process_item(item, spider); trafilatura
    before 2.3.1 extracts the corpus pages differently."""
    deps = declared()
    for name, bad in [("sqlite-utils", "3.39"), ("sqlite-utils", "3.38"), ("scrapy", "2.18.0"),
                      ("scrapy", "2.13.4"), ("trafilatura", "2.3.0")]:  # fmt: skip
        assert not deps[name][0].specifier.contains(bad), f"{name} {bad} is allowed"


def test_the_drift_check_sees_a_disagreement():
    """The comparison itself: a pin that is not the floor, or a missing pin, is caught."""
    deps = declared()
    text = CONSTRAINTS.read_text()
    assert pinned(text) != pinned(text.replace(f"=={pinned(text)['scrapy']}", "==2.13.0"))
    short = pinned("\n".join(ln for ln in text.splitlines() if not ln.startswith("httpx")))
    assert set(short) != set(deps)


@pytest.mark.skipif(
    os.environ.get("PANTAU_MIN_VERSIONS") != "1",
    reason="checks the venv `make test-min` builds from ci/constraints-min.txt",
)
def test_the_min_venv_has_exactly_the_floors():
    wrong = {}
    for name, version in pinned().items():
        try:
            got = Version(metadata.version(name))
        except metadata.PackageNotFoundError:
            got = None
        if got != version:
            wrong[name] = (str(version), str(got))
    assert not wrong, f"installed versions differ from the pins: {wrong}"
