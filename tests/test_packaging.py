"""Installed, Pantau is one package: `pantau`, with `pantau.pipeline`, `pantau.spiders` and
`pantau.config` mapped from the repository's root folders (issue 16). These tests read the
packaging config the way setuptools does, and the sources the way Python imports them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from setuptools.config.pyprojecttoml import read_configuration

ROOT = Path(__file__).resolve().parent.parent
MAPPED = {"pantau.pipeline": "pipeline", "pantau.spiders": "spiders", "pantau.config": "config"}
OLD_IMPORT = re.compile(r"^\s*(?:from|import)\s+(?:pipeline|spiders|config)\b", re.M)


def _setuptools() -> dict:
    return read_configuration(ROOT / "pyproject.toml")["tool"]["setuptools"]


def _folder(package: str, package_dir: dict[str, str]) -> Path:
    for prefix in sorted(package_dir, key=len, reverse=True):
        if package == prefix or package.startswith(prefix + "."):
            rest = package[len(prefix) :].lstrip(".").replace(".", "/")
            return ROOT / package_dir[prefix] / rest
    return ROOT / package.replace(".", "/")


def test_every_installed_package_is_under_pantau():
    packages = _setuptools()["packages"]
    assert all(p == "pantau" or p.startswith("pantau.") for p in packages), packages


def test_the_root_folders_are_mapped_into_the_namespace():
    assert _setuptools()["package-dir"] == MAPPED


def test_every_package_folder_is_installed():
    """A new sub-package (pipeline/archive/, say) that pyproject forgets would be missing
    from a wheel while every test in a checkout still passes."""
    cfg = _setuptools()
    listed = {str(_folder(p, cfg["package-dir"])) for p in cfg["packages"]}
    for top in ("pantau", *MAPPED.values()):
        for init in (ROOT / top).rglob("__init__.py"):
            assert str(init.parent) in listed, f"{init.parent.relative_to(ROOT)} is not packaged"
    for folder in listed:
        assert (Path(folder) / "__init__.py").is_file(), folder


def test_no_module_imports_the_old_top_level_names():
    """`import pipeline.x` beside `import pantau.pipeline.x` would load the module twice:
    two Rejection classes, two sets of settings."""
    tracked = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "*.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    offenders = [
        f"{name}: {m.group(0).strip()}"
        for name in tracked
        if (ROOT / name).is_file()
        for m in [OLD_IMPORT.search((ROOT / name).read_text(encoding="utf-8"))]
        if m
    ]
    assert not offenders, offenders


def test_the_namespace_imports_from_a_checkout_in_a_fresh_interpreter():
    code = (
        "import pantau.pipeline.archive.store as s, pantau.spiders.news as n, pantau.config.settings as c;"
        "import sys; print(s.__file__); print(n.__file__); print(c.__file__);"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pipeline','spiders','config')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT / "tests", capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert Path(out[0]).parent == ROOT / "pipeline" / "archive"
    assert Path(out[1]).parent == ROOT / "spiders"
    assert Path(out[2]).parent == ROOT / "config"
    assert out[3] == "[]"  # nothing loaded under the old top-level names


def test_every_module_path_in_the_scrapy_settings_imports():
    """Scrapy loads spiders, pipelines, middlewares and extensions by dotted strings, which
    no import checker sees: a string still naming `spiders` fails only when a crawl starts."""
    import importlib

    from scrapy.utils.misc import load_object

    settings = importlib.import_module("pantau.config.settings")
    paths = [*settings.SPIDER_MODULES, settings.NEWSPIDER_MODULE]
    for name in dir(settings):
        value = getattr(settings, name)
        if name.isupper() and isinstance(value, dict):
            paths += [k for k in value if isinstance(k, str) and "." in k]
    assert paths, "no module path found in the settings"
    for path in paths:
        assert path.split(".")[0] in ("pantau", "scrapy"), path
        if path in (*settings.SPIDER_MODULES, settings.NEWSPIDER_MODULE):
            importlib.import_module(path)
        else:
            load_object(path)
