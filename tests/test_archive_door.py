"""The archive has one door: only pipeline/archive/ opens the SQLite file or runs SQL.

A change to a table, a pragma or a query must be made in one place, so any other module that
calls `sqlite3.connect` or hands SQL text to `execute`/`executemany`/`executescript`/`query`
fails this test. tests/ and bench/ build and inspect archives by hand on purpose and are not
scanned; the few other exceptions are listed with their reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ["pantau", "pipeline", "spiders", "config"]
DOOR = ROOT / "pipeline" / "archive"
SQL_CALLS = {"execute", "executemany", "executescript", "query"}

# file (relative to the repository root) -> why it may hold SQL outside the archive package
ALLOWED: dict[str, str] = {}


def _is_text(node: ast.AST) -> bool:
    """A string literal, f-string, concatenation or variable: what SQL text is passed as."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr | ast.Name | ast.Subscript):
        return True
    if isinstance(node, ast.BinOp):
        return _is_text(node.left) or _is_text(node.right)
    return False


def doors_in(source: str) -> list[tuple[int, str]]:
    """(line, what) of every archive access in Python source: sqlite3.connect, SQL calls."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        func = node.func
        if func.attr == "connect" and isinstance(func.value, ast.Name):
            if func.value.id == "sqlite3":
                found.append((node.lineno, "sqlite3.connect"))
        elif func.attr in SQL_CALLS and node.args and _is_text(node.args[0]):
            found.append((node.lineno, f".{func.attr}(<SQL>)"))
    return found


def _modules() -> list[Path]:
    files = []
    for top in SCANNED:
        files += [p for p in (ROOT / top).rglob("*.py") if DOOR not in p.parents]
    return sorted(files)


def test_nothing_outside_the_archive_package_opens_the_archive_or_runs_sql():
    strays = []
    for path in _modules():
        rel = path.relative_to(ROOT).as_posix()
        if rel in ALLOWED:
            continue
        strays += [f"{rel}:{line}: {what}" for line, what in doors_in(path.read_text("utf-8"))]
    assert not strays, "SQL or a connection outside pipeline/archive/:\n" + "\n".join(strays)


def test_every_exception_still_needs_its_place():
    for rel, why in ALLOWED.items():
        assert why, rel
        assert doors_in((ROOT / rel).read_text("utf-8")), f"{rel} no longer needs an exception"


def test_the_check_sees_each_way_in():
    """The scanner itself: each form of access is caught, ordinary calls are not."""
    caught = doors_in(
        "import sqlite3\n"
        "c = sqlite3.connect('x.db')\n"
        "c.execute('SELECT 1')\n"
        "c.executemany(f'INSERT INTO t VALUES ({marks})', rows)\n"
        "c.executescript(SCRIPT)\n"
        "db.query('SELECT ' + cols)\n"
        "cur = c.execute(sql, args)\n"
    )
    assert [line for line, _ in caught] == [2, 3, 4, 5, 6, 7]
    assert doors_in("pool.submit(job)\nconnect('x.db')\nq = parse_query('a AND b')\n") == []


def test_store_article_reads_as_its_steps():
    """`store_article` was one 86-line method; it stays a short list of named steps (place the
    article, record matches, queue alerts), each small enough to read at once."""
    import inspect

    from pantau.pipeline.archive.store import Archive

    steps = ["store_article", "_place", "_revisit", "_add", "_story_for", "_record_matches"]
    for name in steps:
        lines = inspect.getsource(getattr(Archive, name)).splitlines()
        assert len(lines) <= 40, f"Archive.{name} has {len(lines)} lines"
