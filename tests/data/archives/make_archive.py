"""Make a saved archive with the code of an earlier Pantau, for tests/test_archive_migrations.py.

An archive written by an older release must upgrade in place, so the test needs archives that
older code wrote, not ones imitated by today's. Run this with that release's code first on the
path (from the repository root, COMMIT being the release):

    git archive COMMIT | tar -x -C OLD
    PYTHONPATH=OLD .venv/bin/python tests/data/archives/make_archive.py tests/data/archives/NAME.db.gz

It runs that code's `pantau demo` (a real crawl of the bundled sample sites, matches, alerts
delivered to a local sink), then through that code's own Archive stores a new text of one article
(a revision and an "updated" story) and one article under a second URL (an alias). Raw page
bodies are kept for three article pages only, to keep the file small.
"""

from __future__ import annotations

import gzip
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

from pantau.cli import main as pantau_main
from pantau.pipeline import storage
from pantau.pipeline.models import ExtractedArticle


def _demo(db: Path) -> None:
    sys.argv = ["pantau", "-q", "demo", "--db", str(db)]
    try:
        pantau_main()
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise


def _revise(db: Path) -> None:
    archive = storage.Archive(db)
    try:
        url, source, title, text = archive.db.execute(
            "SELECT url, source, title, text FROM articles ORDER BY id LIMIT 1"
        ).fetchone()
        now = "2026-01-02T03:04:05Z"
        changed = ExtractedArticle(url=url, title=title, text=text + "\n\nPembaruan: ralat nama.")
        archive.store_article(
            changed, source=source, fetched_url=url, matches=[], config=None, now=now
        )
        url, source, title, text = archive.db.execute(
            "SELECT url, source, title, text FROM articles ORDER BY id DESC LIMIT 1"
        ).fetchone()
        same = ExtractedArticle(url=url, title=title, text=text)
        archive.store_article(
            same, source=source, fetched_url=url + "?page=all", matches=[], config=None, now=now
        )
    finally:
        archive.close()


def _thin(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute(
        "UPDATE pages SET html = NULL WHERE url NOT IN "
        "(SELECT url FROM pages WHERE kind = 'article' AND html IS NOT NULL ORDER BY url LIMIT 3)"
    )
    conn.commit()
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("VACUUM")
    conn.close()


def main(out: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "archive.db"
        _demo(db)
        _revise(db)
        _thin(db)
        with db.open("rb") as src, gzip.GzipFile(out, "wb", mtime=0) as dst:
            shutil.copyfileobj(src, dst)


if __name__ == "__main__":
    main(sys.argv[1])
