"""Distributed mode (docs/scaling.md): a real redis-server, a coordinator (`pantau run` with a
`cluster:` section) and `pantau worker` subprocesses against the loopback sample sites.

The cluster's archive and alerts must equal a single-machine run of the same sites (same
articles, stories, matches, exactly one alert per story and subscription), with every page
extracted by a worker; and a worker killed with SIGKILL while it holds pages loses nothing:
Dramatiq puts its unacknowledged pages back on the queue once its heartbeat is stale, and
the surviving workers extract them.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import signal
import sqlite3
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

from tests.conftest import PANTAU, ROOT, run_pantau
from tests.receivers import WebhookReceiver

pytestmark = pytest.mark.slow

redis = pytest.importorskip("redis", reason="the `redis` client is missing: pip install -e .[test]")
pytest.importorskip("dramatiq", reason="dramatiq is missing: pip install -e .[test]")

SECRET = "whsec_" + base64.b64encode(b"pantau-cluster-test-secret-key!!").decode()
QUEUE_KEY = "pantau:pantau-extract"
DEAD_AFTER = 4  # seconds: a killed worker's pages go back to the queue after about this
SENT_RE = re.compile(r"cluster: (\d+) page\(s\) sent to workers, (\d+) extracted here")


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    """Our own redis-server on a unix socket in a temp dir: no daemon, no persistence."""
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    tmp = tmp_path_factory.mktemp("redis")
    sock = tmp / "redis.sock"
    proc = subprocess.Popen(
        [exe, "--port", "0", "--unixsocket", str(sock), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp,
    )
    url = f"unix://{sock}"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
    yield url, client
    client.close()
    proc.kill()
    proc.wait(10)


@pytest.fixture(scope="module")
def web():
    from pantau.fixtureweb import FixtureWeb

    w = FixtureWeb()
    w.start()
    yield w
    w.stop()


def write_config(folder: Path, web, hook_url: str, redis_url: str | None) -> Path:
    from pantau.fixtureweb import sources_yaml

    folder.mkdir()
    sources = sources_yaml(web)
    if redis_url:
        sources += textwrap.dedent(f"""
            cluster:
              redis_url: {redis_url}
              dead_worker_after: {DEAD_AFTER}
              result_timeout: 120
        """)
    (folder / "sources.yaml").write_text(sources)
    (folder / "topics.yaml").write_text((ROOT / "config" / "topics.yaml").read_text())
    (folder / "subscriptions.yaml").write_text(
        textwrap.dedent(f"""
        subscriptions:
          - name: integrasi
            topics: [revolusi-mental-asn]
            channel: webhook
            url: {hook_url}
            secret: {SECRET}
            allow_private_network: true
        """)
    )
    return folder


def start_worker(cfg: Path, log: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*PANTAU, "--config-dir", str(cfg), "worker", "--processes", "1", *extra],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for w in workers:
        if w.poll() is None:
            w.send_signal(signal.SIGTERM)
    for w in workers:
        try:
            w.wait(30)
        except subprocess.TimeoutExpired:
            w.kill()
            w.wait(10)


def archive_view(db: Path) -> dict:
    """What must not depend on where pages were extracted: articles, stories as sets of
    URLs (ids are allocated in arrival order), matches, and the alert outbox."""
    con = sqlite3.connect(db)
    try:
        articles = {
            row[0]: row[1:]
            for row in con.execute(
                "SELECT url, source, title, author, site_name, published_at, "
                "published_at_source, language, region, text, word_count, content_hash "
                "FROM articles"
            )
        }
        story_of = dict(con.execute("SELECT url, story_id FROM articles"))
        members: dict[int, set[str]] = {}
        for url, sid in story_of.items():
            members.setdefault(sid, set()).add(url)
        story_key = {sid: frozenset(urls) for sid, urls in members.items()}
        matches = set(
            con.execute(
                "SELECT a.url, m.topic, m.snippet FROM matches m JOIN articles a "
                "ON a.id = m.article_id"
            )
        )
        alerts = sorted(
            (sub, sorted(story_key[sid]), kind, status)
            for sub, sid, kind, status in con.execute(
                "SELECT subscription, story_id, kind, status FROM alerts"
            )
        )
        aliases = set(
            con.execute(
                "SELECT u.url, a.url FROM url_aliases u JOIN articles a ON a.id = u.article_id"
            )
        )
        return {
            "articles": articles,
            "stories": set(story_key.values()),
            "matches": matches,
            "alerts": alerts,
            "aliases": aliases,
            "story_key": story_key,
        }
    finally:
        con.close()


def received_stories(receiver: WebhookReceiver, view: dict) -> list[frozenset[str]]:
    """The story (as its set of URLs) of every webhook the receiver accepted."""
    for r in receiver.accepted:
        assert receiver.verify(r), "bad webhook signature"
    return sorted(
        (view["story_key"][r.json["data"]["story_id"]] for r in receiver.accepted),
        key=sorted,
    )


@pytest.fixture(scope="module")
def single(tmp_path_factory, web):
    """The reference: the same sites on one machine, no cluster."""
    tmp = tmp_path_factory.mktemp("single")
    hook = WebhookReceiver(secret=SECRET)
    cfg = write_config(tmp / "config", web, f"{hook.url}/hooks/pantau", None)
    db = tmp / "pantau.db"
    proc = run_pantau("--config-dir", str(cfg), "--db", str(db), "run")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "cluster:" not in proc.stderr  # no cluster config: nothing of it runs
    view = archive_view(db)
    stories = received_stories(hook, view)
    hook.stop()
    assert view["matches"] and stories, "the reference run matched nothing: a useless reference"
    return view, stories


def test_three_workers_give_the_single_machine_archive_and_alerts(
    tmp_path, web, redis_server, single
):
    url, client = redis_server
    client.flushall()
    ref, ref_stories = single
    hook = WebhookReceiver(secret=SECRET)
    cfg = write_config(tmp_path / "config", web, f"{hook.url}/hooks/pantau", url)
    workers = [start_worker(cfg, tmp_path / f"worker-{i}.log") for i in range(3)]
    try:
        db = tmp_path / "pantau.db"
        proc = run_pantau("--config-dir", str(cfg), "--db", str(db), "run")
        assert proc.returncode == 0, proc.stderr[-3000:]
        status = run_pantau("--config-dir", str(cfg), "--db", str(db), "status")
    finally:
        stop_workers(workers)
    m = SENT_RE.search(proc.stderr)
    assert m, proc.stderr[-3000:]
    sent, inline = int(m.group(1)), int(m.group(2))
    assert sent == len(ref["articles"]) and inline == 0  # every page went to a worker
    view = archive_view(db)
    for key in ("articles", "stories", "matches", "alerts", "aliases"):
        assert view[key] == ref[key], key
    assert {a[3] for a in view["alerts"]} == {"sent"}
    stories = received_stories(hook, view)
    hook.stop()
    assert stories == ref_stories
    assert len(stories) == len(set(stories))  # exactly one alert per story and subscription
    # the workers did the work, and `pantau status` shows them
    cluster_line = next(x for x in status.stdout.splitlines() if x.startswith("cluster:"))
    assert "queued=0" in cluster_line and "workers=3" in cluster_line, status.stdout
    done = [int(x) for x in re.findall(r"^worker=\S+ .* done=(\d+)", status.stdout, re.M)]
    assert len(done) == 3 and sum(done) == sent, status.stdout
    ppm = float(re.search(r"pages_per_min=([\d.]+)", cluster_line).group(1))
    assert ppm > 0


def _acks(client) -> dict[str, int]:
    """Pages each worker (Dramatiq broker id) has taken and not yet acknowledged."""
    out = {}
    for key in client.scan_iter("pantau:__acks__.*.pantau-extract"):
        n = client.scard(key)
        if n:
            out[key.decode().split("__acks__.", 1)[1].rsplit(".", 1)[0]] = n
    return out


def test_a_worker_killed_mid_crawl_loses_nothing(tmp_path, web, redis_server, single):
    """The coordinator queues every page before any worker runs; the first worker takes them
    all (prefetch) and is SIGKILLed holding them; two workers started after it must get them
    back from Redis, and the archive must be the single-machine one."""
    url, client = redis_server
    client.flushall()
    ref, ref_stories = single
    hook = WebhookReceiver(secret=SECRET)
    cfg = write_config(tmp_path / "config", web, f"{hook.url}/hooks/pantau", url)
    db = tmp_path / "pantau.db"
    coordinator = subprocess.Popen(
        [*PANTAU, "--config-dir", str(cfg), "--db", str(db), "run"],
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "coordinator.log").open("w"),
        text=True,
        cwd=ROOT,
        env=_crawl_env(),
    )
    workers: list[subprocess.Popen] = []
    try:
        total = len(ref["articles"])
        _wait(lambda: client.llen(QUEUE_KEY) >= total, 120, "the coordinator to queue every page")
        victim = start_worker(cfg, tmp_path / "victim.log", "--prefetch", str(total))
        held: dict[str, int] = {}
        _wait(lambda: held.update(_acks(client)) or held, 60, "the victim to take pages")
        victim.kill()  # SIGKILL: no chance to give anything back
        victim.wait(10)
        held_at_kill = sum(_acks(client).values())
        assert held_at_kill >= 2, held
        workers = [start_worker(cfg, tmp_path / f"worker-{i}.log") for i in range(2)]
        out, _ = coordinator.communicate(timeout=180)
        assert coordinator.returncode == 0, (tmp_path / "coordinator.log").read_text()[-3000:]
        status = run_pantau("--config-dir", str(cfg), "--db", str(db), "status")
    finally:
        if coordinator.poll() is None:
            coordinator.kill()
        stop_workers(workers)
    log = (tmp_path / "coordinator.log").read_text()
    m = SENT_RE.search(log)
    assert m and int(m.group(2)) == 0, log[-3000:]  # nothing fell back to the coordinator
    # the survivors extracted what the victim held when it died
    done = {
        int(pid): int(n)
        for pid, n in re.findall(r"^worker=\S+ .* pid=(\d+) done=(\d+)", status.stdout, re.M)
    }
    survivors = [n for pid, n in done.items() if pid != victim.pid]
    assert len(survivors) == 2 and sum(survivors) >= held_at_kill, status.stdout
    view = archive_view(db)
    for key in ("articles", "stories", "matches", "alerts", "aliases"):
        assert view[key] == ref[key], key
    stories = received_stories(hook, view)
    hook.stop()
    assert stories == ref_stories


def _crawl_env() -> dict:
    import os

    env = dict(os.environ)
    env.setdefault("PANTAU_RETRY_BASE_SECONDS", "0")
    env.setdefault(
        "PANTAU_SCRAPY_SETTINGS",
        '{"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": false, "CONCURRENT_REQUESTS_PER_DOMAIN": 8}',
    )
    return env


def _wait(cond, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)


def url_env() -> str:
    return "redis://:s3cret-pass@10.0.0.5:6379/0"


def test_cluster_config_is_checked_and_its_password_masked(tmp_path, web, monkeypatch):
    from pantau.pipeline.config import ConfigError, load_config

    monkeypatch.setenv("REDIS_URL", url_env())
    cfg = write_config(tmp_path / "config", web, "http://127.0.0.1:9/hook", "${REDIS_URL}")
    config = load_config(cfg)
    assert config.cluster is not None and config.cluster.dead_worker_after == DEAD_AFTER
    assert "s3cret-pass" not in config.mask(f"connecting to {config.cluster.redis_url}")
    shown = run_pantau("--config-dir", str(cfg), "check-config", env={"REDIS_URL": url_env()})
    assert shown.returncode == 0, shown.stderr
    assert "cluster: redis://:***@10.0.0.5:6379/0 queue=pantau-extract" in shown.stdout
    assert "s3cret-pass" not in shown.stdout + shown.stderr
    bad = tmp_path / "bad"
    shutil.copytree(cfg, bad)
    text = (bad / "sources.yaml").read_text().replace("${REDIS_URL}", "http://10.0.0.5/")
    (bad / "sources.yaml").write_text(text + "  speed: 3\n")
    with pytest.raises(ConfigError) as exc:
        load_config(bad)
    message = str(exc.value)
    assert "redis_url" in message and "redis://" in message
    assert "speed" in message and "unknown key" in message
    assert json.loads(json.dumps(config.cluster.model_dump()))["queue"] == "pantau-extract"


def test_a_page_and_its_result_survive_the_queue_unchanged():
    """What a worker sends back, through JSON, is what the coordinator would have computed
    itself: for an article (with removals and matches) and for a rejected listing."""
    from datetime import datetime

    from pantau.cluster import decode_result, encode_result, job_from_payload, job_payload
    from pantau.pipeline.config import Topic
    from pantau.pipeline.extract_pool import ExtractJob, extract_and_match
    from pantau.pipeline.matching import TopicMatcher
    from pantau.pipeline.models import ExtractedArticle, Rejection

    cases = ROOT / "tests" / "extraction"
    meta = json.loads((cases / "cases" / "antaranews-1.json").read_text())
    topics = [Topic(name="lombok", query="bandara AND (lombok OR mataram)")]
    pages = [
        (cases / "cases" / "antaranews-1.html", meta["url"], "antara", ExtractedArticle),
        (
            cases / "nonarticle" / "detik-listing-1.html",
            "https://news.detik.com/berita",
            "detik",
            Rejection,
        ),
    ]
    for path, url, template, kind in pages:
        job = ExtractJob(
            html=path.read_text(encoding="utf-8"),
            url=url,
            fetched_at=datetime.fromisoformat(meta["fetched_at"]),
            template=template,
            source_region="Nusa Tenggara Barat",
        )
        local = extract_and_match(job, TopicMatcher(topics))
        assert isinstance(local[0], kind)
        wire = json.loads(json.dumps(job_payload(job, topics)))
        job2, topics2 = job_from_payload(wire)
        assert job2 == job and list(topics2) == topics
        remote = decode_result(
            json.loads(
                json.dumps(encode_result(extract_and_match(job2, TopicMatcher(list(topics2)))))
            )
        )
        assert remote == local
    assert local[0].reason  # the listing's rejection kept its reason through the queue
    article = extract_and_match(
        ExtractJob(
            html=pages[0][0].read_text(encoding="utf-8"),
            url=meta["url"],
            fetched_at=datetime.fromisoformat(meta["fetched_at"]),
            template="antara",
            source_region=None,
        ),
        TopicMatcher(topics),
    )
    assert article[1] and article[1][0].topic == "lombok"
    assert decode_result(json.loads(json.dumps(encode_result(article))))[1] == article[1]


def test_hundreds_of_pages_can_wait_on_the_workers_at_once(tmp_path, redis_server):
    """A big crawl has hundreds of pages out at once, each waited for on its own Redis
    connection: none may fall back to the coordinator for want of connections (redis-py 8
    caps a default pool at 100)."""
    import concurrent.futures as cf
    from datetime import datetime

    from pantau.cluster import ClusterExtractor
    from pantau.pipeline.config import Cluster, Topic
    from pantau.pipeline.extract_pool import ExtractJob

    url, client = redis_server
    client.flushall()
    cluster = Cluster(redis_url=url, dead_worker_after=DEAD_AFTER, result_timeout=120)
    page = ROOT / "tests" / "extraction" / "cases" / "antaranews-1.html"
    meta = json.loads(page.with_suffix(".json").read_text())
    topics = [Topic(name="lombok", query="bandara AND lombok")]
    ext = ClusterExtractor(cluster)
    futures = [
        ext.submit(
            ExtractJob(
                html=page.read_text(encoding="utf-8"),
                url=f"{meta['url']}?n={i}",
                fetched_at=datetime.fromisoformat(meta["fetched_at"]),
                template="antara",
                source_region=None,
            ),
            topics,
        )
        for i in range(150)
    ]
    _wait(lambda: client.llen(QUEUE_KEY) >= 150, 60, "150 pages in the queue at once")
    worker = subprocess.Popen(
        [*PANTAU, "worker", "--redis-url", url, "--processes", "2"],
        stdout=(tmp_path / "worker.log").open("w"),
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    try:
        results = [f.result(timeout=180) for f in cf.as_completed(futures, timeout=180)]
    finally:
        stop_workers([worker])
        ext.close()
    assert len(results) == 150 and ext.sent == 150 and ext.inline == 0
    assert {r[0].title for r in results} == {meta["title"]}
    assert all(r[1] and r[1][0].topic == "lombok" for r in results)
