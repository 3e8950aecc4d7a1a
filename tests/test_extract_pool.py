"""Extraction in worker processes: same archive as inline, and no worker outlives its crawl."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pantau.pipeline.config import Topic
from pantau.pipeline.extract_pool import ExtractionPool, ExtractJob, extract_and_match
from pantau.pipeline.matching import TopicMatcher
from tests.conftest import corpus_file, run_pantau

ROOT = Path(__file__).resolve().parent.parent
TOPICS = [Topic(name="rm", query='"revolusi mental" OR pemerintah OR presiden')]
PAGES = ["antaranews-1", "kompas-2", "tribunsolo-1", "liputan6-3"]


def _job(name: str) -> ExtractJob:
    return ExtractJob(
        html=corpus_file(f"{name}.html").read_text(encoding="utf-8"),
        url=f"https://example.test/berita/{name}",
        fetched_at=datetime(2024, 5, 1, tzinfo=UTC),
        template="generic",
        source_region="Jawa Tengah",
    )


@pytest.fixture
def pool():
    ExtractionPool.attach()
    p = ExtractionPool(workers=1, start_after=0)
    yield p
    ExtractionPool.detach()


def test_worker_gives_what_inline_extraction_gives(pool):
    matcher = TopicMatcher(TOPICS)
    futures = {name: pool.submit(_job(name), TOPICS) for name in PAGES}
    assert all(f is not None for f in futures.values()), "the pool did not start"
    for name, fut in futures.items():
        art, matches = fut.result(timeout=120)
        want_art, want_matches = extract_and_match(_job(name), matcher)
        assert art is not None and art == want_art, name
        assert matches == want_matches, name


def test_pool_waits_for_its_threshold():
    ExtractionPool.attach()
    try:
        p = ExtractionPool(workers=1, start_after=2)
        assert p.submit(_job("kompas-2"), TOPICS) is None  # 1st: inline
        assert p.submit(_job("kompas-2"), TOPICS) is None  # 2nd: inline
        fut = p.submit(_job("kompas-2"), TOPICS)  # the run has earned a pool
        assert fut is not None and fut.result(timeout=120)[0] is not None
    finally:
        ExtractionPool.detach()
    assert ExtractionPool._executor is None


def test_a_dead_worker_sends_the_run_back_inline(pool):
    fut = pool.submit(_job("kompas-2"), TOPICS)
    fut.result(timeout=120)
    for proc in list(ExtractionPool._executor._processes.values()):
        os.kill(proc.pid, signal.SIGKILL)
    time.sleep(0.5)
    broken = pool.submit(_job("kompas-2"), TOPICS)
    if broken is not None:  # the executor may not have noticed yet: its future fails
        with pytest.raises(Exception, match="terminated abruptly|process pool"):
            broken.result(timeout=60)
        pool.give_up()
    assert pool.submit(_job("kompas-2"), TOPICS) is None


CHILD = textwrap.dedent("""
    import sys, time
    from datetime import UTC, datetime
    from pantau.pipeline.config import Topic
    from pantau.pipeline.extract_pool import ExtractionPool, ExtractJob
    ExtractionPool.attach()
    p = ExtractionPool(workers=2, start_after=0)
    job = ExtractJob("<html><body><p>x</p></body></html>", "https://e.test/a",
                     datetime.now(UTC), "generic", None)
    [f.result() for f in [p.submit(job, [Topic(name="t", query="x")]) for _ in range(4)]]
    print(" ".join(str(pid) for pid in ExtractionPool._executor._processes), flush=True)
    time.sleep(600)
""")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def test_workers_exit_when_the_crawl_is_killed():
    """kill -9 of a crawl must not leave extraction workers running (or holding anything)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        pids = [int(x) for x in proc.stdout.readline().split()]
        assert len(pids) == 2 and all(_alive(p) for p in pids)
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 15
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(p) for p in pids), "orphaned extraction workers"


ARTICLE_COLUMNS = (
    "url, title, text, author, site_name, published_at, published_at_source, language, region, "
    "word_count, content_hash"
)


@pytest.mark.slow
def test_crawl_with_workers_archives_what_an_inline_crawl_does(tmp_path):
    """The sample sites crawled twice, inline and with the pool from the first article."""
    from pantau.fixtureweb import FixtureWeb, sources_yaml

    web = FixtureWeb()
    web.start()
    try:
        cfg = tmp_path / "config"
        cfg.mkdir()
        (cfg / "sources.yaml").write_text(sources_yaml(web))
        (cfg / "topics.yaml").write_text((ROOT / "config/topics.yaml").read_text())
        results = {}
        for label, workers in (("inline", 0), ("pool", 2)):
            db = tmp_path / f"{label}.db"
            settings = {
                "DOWNLOAD_DELAY": 0,
                "AUTOTHROTTLE_ENABLED": False,
                "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
                "PANTAU_EXTRACT_WORKERS": workers,
                "PANTAU_EXTRACT_POOL_AFTER": 0,
                "LOG_LEVEL": "INFO",
            }
            proc = run_pantau(
                "--config-dir", str(cfg), "--db", str(db), "-v", "crawl",
                env={"PANTAU_SCRAPY_SETTINGS": json.dumps(settings)},
            )  # fmt: skip
            assert proc.returncode == 0, proc.stderr[-3000:]
            assert ("extracting in 2 worker processes" in proc.stderr) == (workers > 0)
            con = sqlite3.connect(db)
            results[label] = (
                con.execute(f"SELECT {ARTICLE_COLUMNS} FROM articles ORDER BY url").fetchall(),
                con.execute(
                    "SELECT a.url, m.topic, m.snippet FROM matches m "
                    "JOIN articles a ON a.id = m.article_id ORDER BY a.url, m.topic"
                ).fetchall(),
                con.execute("SELECT count(*) FROM stories").fetchone(),
            )
            con.close()
    finally:
        web.stop()
    assert results["pool"][0], "nothing archived"
    assert results["pool"] == results["inline"]
