"""The live progress bar, as a person at a terminal sees it: driven through a pseudo-terminal.

Its total is the work discovered so far (requests queued), never the source's request budget.
"""

from __future__ import annotations

import os
import pty
import re
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from pantau.fixtureweb import FixtureWeb
from tests.conftest import PANTAU, ROOT

pytestmark = pytest.mark.slow

SITES_DIR = Path(__file__).parent / "fixtures" / "sites"
SITE = "wpcore-jambi"
BUDGET = 77  # a number no frame could show by accident
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
FRAME = re.compile(r"(\d+)/(\d+) requests")


def run_in_pty(args: list[str], env: dict[str, str], timeout: float = 180) -> str:
    """Run the CLI with stdin/stdout/stderr on a pseudo-terminal; everything it drew."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        args, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=str(ROOT), close_fds=True
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    proc.wait(timeout=30)
    assert proc.returncode == 0, b"".join(chunks).decode("utf-8", "replace")[-3000:]
    return ANSI.sub("", b"".join(chunks).decode("utf-8", "replace"))


def test_progress_total_is_requests_queued_not_the_budget(tmp_path):
    web = FixtureWeb(root=SITES_DIR)
    web.start()
    try:
        cfg = tmp_path / "config"
        cfg.mkdir()
        source = {
            "name": SITE,
            "url": web.urls[SITE],
            "max_requests": BUDGET,
            "template": "wordpress",
        }
        (cfg / "sources.yaml").write_text(yaml.safe_dump({"sources": [source]}))
        topics = {"topics": [{"name": "rm", "query": '"revolusi mental"'}]}
        (cfg / "topics.yaml").write_text(yaml.safe_dump(topics))
        (cfg / "subscriptions.yaml").write_text("subscriptions: []\n")
        env = {
            **os.environ,
            "TERM": "xterm-256color",
            "COLUMNS": "140",
            # One request at a time, a little apart: the bar is drawn many times meanwhile.
            "PANTAU_SCRAPY_SETTINGS": '{"DOWNLOAD_DELAY": 0.1, "AUTOTHROTTLE_ENABLED": false, '
            '"CONCURRENT_REQUESTS_PER_DOMAIN": 1, "RANDOMIZE_DOWNLOAD_DELAY": false}',
        }
        env.pop("PANTAU_DB", None)
        args = [*PANTAU, "--config-dir", str(cfg), "--db", str(tmp_path / "p.db"), "crawl"]
        screen = run_in_pty(args, env)
        fetched = len(web.requests_for(SITE))
    finally:
        web.stop()

    frames = [(int(a), int(b)) for a, b in FRAME.findall(screen)]
    assert len(frames) >= 3, screen[-2000:]
    totals = [t for _, t in frames]
    assert BUDGET not in totals, "the bar counts against the budget"
    assert all(done <= total for done, total in frames)
    # The total grows as links are discovered, and ends at the requests actually made.
    assert min(totals) < max(totals)
    done, total = frames[-1]
    assert done == total and 0 < total <= fetched
