"""Distributed mode (docs/scaling.md): a real redis-server, a coordinator (`pantau run` with a
`cluster:` section) and `pantau worker` subprocesses against the loopback sample sites.

The cluster's archive and alerts must equal a single-machine run of the same sites (same
articles, stories, matches, exactly one alert per story and subscription), with every page
extracted by a worker, and, when workers fetch, every request fetched by a worker (the sites'
own request log against the workers' counters). A worker killed with SIGKILL while it holds
pages or requests loses nothing: Dramatiq puts its unacknowledged messages back on the queue
once its heartbeat is stale, and the surviving workers do them. Politeness holds across the
cluster: one site's requests, whichever worker made them, keep the download delay and never
overlap. A fetch failure on a worker is recorded exactly as on one machine.
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
import threading
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
FETCH_QUEUE = "pantau-fetch"
DEAD_AFTER = 4  # seconds: a killed worker's pages go back to the queue after about this
SENT_RE = re.compile(r"cluster: (\d+) page\(s\) sent to workers, (\d+) extracted here")
FETCHED_RE = re.compile(
    r"cluster: (\d+) request\(s\) fetched by workers, (\d+) here, (\d+) without a reply"
)
WORKERS_KEY = "pantau:workers"


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


def timed_web():
    """The loopback sample sites, logging when each request began and ended (monotonic
    seconds, one clock for every process on this machine) and optionally answering slowly."""
    from pantau.fixtureweb import FixtureWeb

    class TimedWeb(FixtureWeb):
        slow = 0.0  # seconds to wait before answering
        times: list[tuple[str, str, float, float]] = []  # site, path, began, ended
        _times_lock = threading.Lock()

        def _serve(self, req, site, head):
            began = time.monotonic()
            if self.slow:
                time.sleep(self.slow)
            super()._serve(req, site, head)
            with self._times_lock:
                self.times.append((site, req.path, began, time.monotonic()))

        def clear_log(self) -> None:
            super().clear_log()
            with self._times_lock:
                self.times = []

    return TimedWeb()


@pytest.fixture(scope="module")
def web():
    w = timed_web()
    w.start()
    yield w
    w.stop()


def cluster_yaml(redis_url: str, fetch: str) -> str:
    return textwrap.dedent(f"""
        cluster:
          redis_url: {redis_url}
          dead_worker_after: {DEAD_AFTER}
          result_timeout: 120
          fetch: {fetch}
    """)


def write_config(
    folder: Path, web, hook_url: str, redis_url: str | None, fetch: str = "coordinator"
) -> Path:
    from pantau.fixtureweb import sources_yaml

    folder.mkdir()
    sources = sources_yaml(web)
    if redis_url:
        sources += cluster_yaml(redis_url, fetch)
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


def wait_for_workers(client, n: int) -> dict[str, dict]:
    """Until `n` workers have reported to Redis; their lines (id -> info)."""
    seen: dict[str, dict] = {}

    def up() -> bool:
        seen.clear()
        seen.update({k.decode(): json.loads(v) for k, v in client.hgetall(WORKERS_KEY).items()})
        return len(seen) >= n

    _wait(up, 60, f"{n} worker(s) to report")
    return seen


@pytest.mark.parametrize("fetch", ["coordinator", "workers"])
def test_three_workers_give_the_single_machine_archive_and_alerts(
    tmp_path, web, redis_server, single, fetch
):
    url, client = redis_server
    client.flushall()
    ref, ref_stories = single
    hook = WebhookReceiver(secret=SECRET)
    cfg = write_config(tmp_path / "config", web, f"{hook.url}/hooks/pantau", url, fetch)
    workers = [start_worker(cfg, tmp_path / f"worker-{i}.log") for i in range(3)]
    try:
        wait_for_workers(client, 3)
        web.clear_log()
        db = tmp_path / "pantau.db"
        proc = run_pantau("--config-dir", str(cfg), "--db", str(db), "run")
        assert proc.returncode == 0, proc.stderr[-3000:]
        site_requests = len(web.request_log)
        status = run_pantau("--config-dir", str(cfg), "--db", str(db), "status")
    finally:
        stop_workers(workers)
    m = SENT_RE.search(proc.stderr)
    assert m, proc.stderr[-3000:]
    sent, inline = int(m.group(1)), int(m.group(2))
    assert sent == len(ref["articles"]) and inline == 0  # every page went to a worker
    fetched = [int(x) for x in re.findall(r"^worker=\S+ .* fetched=(\d+)", status.stdout, re.M)]
    assert len(fetched) == 3, status.stdout
    f = FETCHED_RE.search(proc.stderr)
    if fetch == "workers":
        # every request the sites saw came from a worker, none from the coordinator itself
        assert f, proc.stderr[-3000:]
        by_workers, here, no_reply = (int(x) for x in f.groups())
        assert site_requests > len(ref["articles"])  # robots.txt, feeds, listings too
        assert by_workers == site_requests == sum(fetched), (f.group(0), fetched)
        assert here == 0 and no_reply == 0
    else:
        assert f is None and sum(fetched) == 0  # the coordinator fetched, as before
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
    assert "fetch=coordinator" in shown.stdout  # who fetches is shown
    bad = tmp_path / "bad"
    shutil.copytree(cfg, bad)
    text = (bad / "sources.yaml").read_text().replace("${REDIS_URL}", "http://10.0.0.5/")
    text = text.replace("fetch: coordinator", "fetch: everyone")
    (bad / "sources.yaml").write_text(text + "  speed: 3\n")
    with pytest.raises(ConfigError) as exc:
        load_config(bad)
    message = str(exc.value)
    assert "redis_url" in message and "redis://" in message
    assert "speed" in message and "unknown key" in message
    assert "field 'fetch'" in message and "'workers' or 'coordinator'" in message
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


# --- workers fetch ----------------------------------------------------------------------------


def test_a_worker_killed_while_fetching_loses_nothing(tmp_path, web, redis_server, single):
    """Workers fetch: the sites answer slowly, so the one worker up holds requests in flight
    when it is SIGKILLed; Dramatiq gives them back once its heartbeat is stale, two workers
    started after it fetch them while the coordinator still waits (no request goes without a
    reply, none is fetched by the coordinator) and the archive is the single-machine one."""
    url, client = redis_server
    client.flushall()
    ref, ref_stories = single
    hook = WebhookReceiver(secret=SECRET)
    cfg = write_config(tmp_path / "config", web, f"{hook.url}/hooks/pantau", url, "workers")
    db = tmp_path / "pantau.db"
    victim = start_worker(cfg, tmp_path / "victim.log", "--fetch-threads", "4")
    workers: list[subprocess.Popen] = []
    coordinator = None
    try:
        (info,) = wait_for_workers(client, 1).values()
        acks = f"pantau:__acks__.{info['broker_id']}.{FETCH_QUEUE}"
        web.slow = 0.5
        coordinator = subprocess.Popen(
            [*PANTAU, "--config-dir", str(cfg), "--db", str(db), "run"],
            stdout=subprocess.PIPE,
            stderr=(tmp_path / "coordinator.log").open("w"),
            text=True,
            cwd=ROOT,
            env=_crawl_env(),
        )
        held: list[int] = []
        _wait(lambda: held.append(client.scard(acks)) or held[-1] >= 2, 60, "requests held")
        victim.kill()  # SIGKILL: the requests it holds are neither answered nor given back
        victim.wait(10)
        web.slow = 0.0
        held_at_kill = client.scard(acks)
        assert held_at_kill >= 1, held
        workers = [start_worker(cfg, tmp_path / f"worker-{i}.log") for i in range(2)]
        coordinator.communicate(timeout=180)
        assert coordinator.returncode == 0, (tmp_path / "coordinator.log").read_text()[-3000:]
    finally:
        web.slow = 0.0
        if coordinator is not None and coordinator.poll() is None:
            coordinator.kill()
        if victim.poll() is None:
            victim.kill()
        stop_workers(workers)
    log = (tmp_path / "coordinator.log").read_text()
    f = FETCHED_RE.search(log)
    assert f, log[-3000:]
    assert int(f.group(2)) == 0 and int(f.group(3)) == 0, f.group(0)
    assert client.scard(acks) == 0  # what the victim held was given back and done
    view = archive_view(db)
    for key in ("articles", "stories", "matches", "alerts", "aliases"):
        assert view[key] == ref[key], key
    stories = received_stories(hook, view)
    hook.stop()
    assert stories == ref_stories


POLITE_DELAY = 0.4
POLITE_TOLERANCE = 0.1  # a request waits 0-50 ms in the queue for a worker (FETCH_POLL_MS)


def test_politeness_holds_across_workers(tmp_path, web, redis_server):
    """One site, a download delay, three workers: the site's own log of when each request began
    and ended shows them at least the delay apart and never two at once, whichever worker
    fetched them: the site's download slot is the coordinator's, not a worker's."""
    import yaml

    from pantau.fixtureweb import sources_yaml

    url, client = redis_server
    client.flushall()
    site = "sumselnews"
    (entry,) = [e for e in yaml.safe_load(sources_yaml(web))["sources"] if e["name"] == site]
    entry["max_requests"] = 14
    cfg = tmp_path / "config"
    cfg.mkdir()
    (cfg / "sources.yaml").write_text(
        yaml.safe_dump({"sources": [entry]}) + cluster_yaml(url, "workers")
    )
    (cfg / "topics.yaml").write_text((ROOT / "config" / "topics.yaml").read_text())
    (cfg / "subscriptions.yaml").write_text("subscriptions: []\n")
    workers = [start_worker(cfg, tmp_path / f"worker-{i}.log") for i in range(3)]
    settings = {
        "DOWNLOAD_DELAY": POLITE_DELAY,
        "DOWNLOAD_DELAY_JITTER": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
    }
    try:
        wait_for_workers(client, 3)
        web.clear_log()
        proc = run_pantau(
            "--config-dir",
            str(cfg),
            "--db",
            str(tmp_path / "pantau.db"),
            "crawl",
            env={"PANTAU_SCRAPY_SETTINGS": json.dumps(settings)},
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        times = sorted((began, ended) for s, _, began, ended in web.times if s == site)
        fetched: dict = {}

        def counted() -> bool:  # a worker reports just after its reply: wait for the last one
            fetched.update(
                {k: json.loads(v)["fetched"] for k, v in client.hgetall(WORKERS_KEY).items()}
            )
            return sum(fetched.values()) >= len(times)

        _wait(counted, 10, "the workers' fetch counts")
    finally:
        stop_workers(workers)
    assert len(times) >= 8, times
    f = FETCHED_RE.search(proc.stderr)
    assert f and int(f.group(1)) == len(times) == sum(fetched.values()), (f, fetched)
    assert int(f.group(2)) == 0
    for (began0, ended0), (began1, _) in zip(times, times[1:], strict=False):
        assert began1 - began0 >= POLITE_DELAY - POLITE_TOLERANCE, times
        assert began1 >= ended0, times  # never two requests to the site at once


def test_fetch_failures_are_recorded_as_on_one_machine(tmp_path, redis_server):
    """The fault site (5xx then recovery, a reset mid-body, a stall
    past the timeout, a truncated body, a redirect loop, a page over the size limit, a gzip
    bomb, an empty page) plus an article on a port nobody listens on (connection refused),
    crawled on one machine and by workers, each against its own copy of the site: the same
    requests reach each site, and the archive, the frontier and the run rows are the same."""
    from tests.faultweb import FAULTS, FaultWeb, build_fault_site, free_port, serve
    from tests.faultweb import write_config as fault_config

    url, client = redis_server
    client.flushall()
    maxsize = 1 << 20
    settings = {
        "DOWNLOAD_TIMEOUT": 2,
        "RETRY_TIMES": 1,  # one retry shows the same as two, in less time
        "DOWNLOAD_MAXSIZE": maxsize,
        "DOWNLOAD_WARNSIZE": 0,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
        "PANTAU_RETRY_BACKOFF_BASE": 0.2,
        "PANTAU_EXTRACT_WORKERS": 0,
    }
    env = {"PANTAU_SCRAPY_SETTINGS": json.dumps(settings)}
    # every fault but Retry-After's: those slow the site's slot to 1 s a request for the rest
    # of the crawl, in the coordinator's middleware, whoever fetches (a quarter of a minute)
    faults = [f[2] for f in FAULTS if "Retry-After" not in f[2]]
    dead = f"http://127.0.0.1:{free_port()}"
    gone = f"{dead}/2024/09/30/berita-di-server-yang-mati/"
    runs = {}
    webs = []
    try:
        for mode in ("single", "workers"):
            fw = FaultWeb().start()
            webs.append(fw)
            site = build_fault_site(fw, maxsize, faults)
            links = "".join(f'<li><a href="{fw.url(p.path)}">{p.path}</a></li>' for p in site.pages)
            fw.add(
                "/",
                serve(
                    '<!DOCTYPE html><html lang="id"><head><meta charset="utf-8"><title>Fault '
                    f'Daily</title></head><body><ul>{links}<li><a href="{gone}">mati</a></li>'
                    "</ul></body></html>"
                ),
            )
            entry = {**site.source_entry(), "listings": [f"{dead}/kanal/"]}
            cfg = fault_config(tmp_path / mode, [entry])
            if mode == "workers":
                with (cfg / "sources.yaml").open("a") as fh:
                    fh.write(cluster_yaml(url, "workers"))
            runs[mode] = (fw, cfg, tmp_path / f"{mode}.db")
        workers = [start_worker(runs["workers"][1], tmp_path / f"worker-{i}.log") for i in range(2)]
        try:
            wait_for_workers(client, 2)
            procs = {
                mode: subprocess.Popen(
                    [*PANTAU, "--config-dir", str(cfg), "--db", str(db), "crawl"],
                    stdout=subprocess.DEVNULL,
                    stderr=(tmp_path / f"{mode}.log").open("w"),
                    cwd=ROOT,
                    env={**_crawl_env(), **env},
                )
                for mode, (_, cfg, db) in runs.items()
            }
            for p in procs.values():
                p.wait(180)
        finally:
            stop_workers(workers)
        logs = {mode: (tmp_path / f"{mode}.log").read_text() for mode in runs}
        f = FETCHED_RE.search(logs["workers"])
        assert f and int(f.group(2)) == 0, logs["workers"][-3000:]
        hits = {
            mode: {p: fw.hits(p) for p in fw.routes if fw.hits(p)}
            for mode, (fw, _, _) in runs.items()
        }
    finally:
        for fw in webs:
            fw.stop()
    assert hits["single"] == hits["workers"]
    got = {mode: _failure_view(db, fw.url("/").rstrip("/")) for mode, (fw, _, db) in runs.items()}
    for key in got["single"]:
        assert got["workers"][key] == got["single"][key], key
    errors = {row[3] for row in got["single"]["frontier"]}
    assert "network: DownloadConnectionRefusedError" in errors, errors
    assert "network: DownloadTimeoutError" in errors, errors


def _failure_view(db: Path, base: str) -> dict:
    """Articles, frontier and run rows with the site's address taken out (each run had its
    own copy of the site, on its own port)."""
    con = sqlite3.connect(db)

    def local(rows) -> list[tuple]:
        return sorted(
            tuple(str(v).replace(base, "") if v is not None else None for v in r) for r in rows
        )

    try:
        return {
            "articles": local(con.execute("SELECT url, title, text, word_count FROM articles")),
            "frontier": local(
                con.execute("SELECT url, status, attempts, last_error, reason FROM frontier")
            ),
            "pages": local(con.execute("SELECT url, status, kind, reason FROM pages")),
            "runs": local(
                con.execute(
                    "SELECT source, status, requests, pages, articles_new, errors, blocked, "
                    "error_summary "
                    "FROM crawl_runs"
                )
            ),
        }
    finally:
        con.close()


def test_a_worker_fetches_only_what_the_source_may_reach(web):
    """The worker's own address guard (no Redis needed): a loopback site is refused unless the
    message says the source itself is on loopback; what it fetches comes back whole, with the
    site's validators, and without Content-Encoding when it decoded the body."""
    import gzip

    import httpx

    from pantau.cluster_fetch import _decoded, fetch

    site = sorted(web.urls)[0]
    page = web.url(site, "/robots.txt")
    message = {"url": page, "headers": [["User-Agent", "Pantau/test"]], "timeout": 10}
    refused = fetch({**message, "allow": []})
    assert refused["error"] == "address", refused
    metadata = fetch({**message, "url": "http://169.254.169.254/latest/", "allow": ["loopback"]})
    assert metadata["error"] == "address", metadata
    answered = fetch({**message, "allow": ["loopback"]})
    assert answered["status"] == 200 and base64.b64decode(answered["body"]), answered
    too_big = fetch({**message, "allow": ["loopback"], "maxsize": 10})
    assert too_big["error"] == "too_large", too_big
    refused_port = fetch({**message, "url": "http://127.0.0.1:9/", "allow": ["loopback"]})
    assert refused_port["error"] == "refused", refused_port

    body = b"<html>" + b"kabar " * 1000 + b"</html>"
    headers = httpx.Headers({"Content-Encoding": "gzip", "Content-Length": "99", "ETag": '"v1"'})
    pairs, content = _decoded(headers, gzip.compress(body), 1 << 20)
    assert content == body and {k.lower() for k, _ in pairs} == {"etag"}
    pairs, content = _decoded(headers, gzip.compress(body), 1000)  # a bomb: left to Scrapy
    assert content == gzip.compress(body) and "content-encoding" in {k.lower() for k, _ in pairs}
