"""Shared helpers of the benchmark scripts: corpus pages, timing, output protocol, fixture webs.

Output protocol (what `bench/run_all.py` reads): a script prints its markdown section between
`<!-- NAME -->` and `<!-- /NAME -->` lines, and its one-line headline as the LAST stdout line.
Figures are ratios against baselines measured in the same run, never absolute thresholds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import shutil
import socket
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PAGES_DIR = ROOT / "tests" / "extraction" / "cases"  # shared with the extraction tests
SEEDS = [ROOT / "tests" / "data" / "seeds"]  # copies of ../shared/seeds
PYTHON = sys.executable
PANTAU = str(Path(sys.executable).with_name("pantau"))

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# --- arguments and output -------------------------------------------------------------------------


def parse_args(description: str, extra: Callable[[argparse.ArgumentParser], None] | None = None):
    """Every bench script takes --quick (a run under a minute) and nothing else is required."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--quick", action="store_true", help="small sizes, finishes in under a minute")
    if extra:
        extra(ap)
    return ap.parse_args()


def emit(name: str, markdown: str, headline: str) -> None:
    """Print the section between markers, then the headline as the last line."""
    print(f"<!-- {name} -->")
    print(markdown.strip())
    print(f"<!-- /{name} -->")
    print(headline, flush=True)


def md_table(header: list[str], rows: Iterable[Iterable[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        lines.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(lines)


def fmt(x: float, digits: int = 1) -> str:
    return f"{x:,.{digits}f}"


def quantiles(values: list[float]) -> tuple[float, float]:
    """(median, p95) of a sample."""
    s = sorted(values)
    if not s:
        return (float("nan"), float("nan"))
    p95 = s[min(len(s) - 1, int(round(0.95 * (len(s) - 1))))]
    return statistics.median(s), p95


@contextmanager
def timer() -> Iterable[list[float]]:
    """`with timer() as t: ...` then t[0] is the elapsed wall time in seconds."""
    box: list[float] = [0.0]
    start = time.perf_counter()
    try:
        yield box
    finally:
        box[0] = time.perf_counter() - start


def log(msg: str) -> None:
    """Progress goes to stderr so stdout stays the report."""
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --- corpus --------------------------------------------------------------------------------------


def corpus_pages() -> list[Path]:
    """The 31 real corpus article pages of the extraction evaluation set (seed rebuilds left out)."""
    return sorted(p for p in PAGES_DIR.glob("*.html") if not p.name.startswith("seed-"))


def page_urls() -> dict[str, str]:
    """file name -> original URL, from each evaluation case's expectation file."""
    out: dict[str, str] = {}
    for page in corpus_pages():
        meta = page.with_suffix(".json")
        if meta.exists():
            url = json.loads(meta.read_text(encoding="utf-8")).get("url")
            if url:
                out[page.name] = url
    return out


def seed_texts() -> list[str]:
    for d in SEEDS:
        files = sorted(d.glob("*.txt"))
        if files:
            return [f.read_text(encoding="utf-8") for f in files]
    return []


_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]|[A-Za-z]")


def corpus_words() -> list[str]:
    """Words of the real Indonesian texts (seeds and corpus paragraphs), in reading order."""
    import lxml.html

    words: list[str] = []
    for text in seed_texts():
        words += _WORD.findall(text)
    for page in corpus_pages():
        try:
            tree = lxml.html.fromstring(page.read_bytes())
        except Exception:  # a broken page just contributes nothing
            continue
        for p in tree.iter("p"):
            words += _WORD.findall(p.text_content())
    return words


# --- synthetic Indonesian-like text ----------------------------------------------------------


def build_vocabulary(tail: int = 150_000, seed: int = 7) -> list[str]:
    """Corpus words by frequency rank, then a long tail of name-like words (people, places)."""
    counts = Counter(w.lower() if not w.isupper() else w for w in corpus_words())
    vocab = [w for w, _ in counts.most_common()]
    rng = random.Random(seed)
    syll = [c + v for c in "bcdghjklmnprstwy" for v in "aiueo"] + ["ng", "an", "in", "ar"]
    seen = set(vocab)
    while len(vocab) < len(counts) + tail:
        w = "".join(rng.choice(syll) for _ in range(rng.randint(2, 4)))
        if w not in seen:
            seen.add(w)
            vocab.append(w.capitalize() if rng.random() < 0.5 else w)
    return vocab


# Phrases a monitor is asked about, injected at realistic (low) rates so queries have hits.
INJECT = [
    ("revolusi mental", 0.004),
    ("aparatur sipil negara", 0.01),
    ("ASN", 0.03),
    ("PNS", 0.02),
    ("reformasi birokrasi", 0.01),
    ("korupsi", 0.03),
    ("bupati", 0.05),
    ("gubernur", 0.05),
    ("banjir", 0.02),
    ("longsor", 0.01),
    ("pelayanan publik", 0.02),
    ("vaksinasi", 0.01),
    ("netralitas", 0.005),
    ("pilkada", 0.02),
]


class TextGen:
    """Zipf-Mandelbrot word draws (p ~ 1/(rank+2.7)^1.05) with sentences and paragraphs."""

    def __init__(self, vocab: list[str], words_per_article: int = 300):
        self.words_per_article = words_per_article
        self.vocab = np.array(vocab, dtype=object)
        ranks = np.arange(1, len(vocab) + 1, dtype=float)
        p = 1.0 / (ranks + 2.7) ** 1.05
        self.cdf = np.cumsum(p / p.sum())

    def words(self, rng: np.random.Generator, n: int) -> list[str]:
        idx = np.searchsorted(self.cdf, rng.random(n))
        return list(self.vocab[np.minimum(idx, len(self.vocab) - 1)])

    def article(self, rng: np.random.Generator) -> tuple[str, str]:
        n = int(rng.normal(self.words_per_article, self.words_per_article / 5))
        words = self.words(rng, max(80, n))
        for phrase, rate in INJECT:
            if rng.random() < rate * 3:  # an article mentioning it, usually more than once
                for _ in range(int(rng.integers(1, 4))):
                    pos = int(rng.integers(0, len(words)))
                    words[pos : pos + 1] = phrase.split()
        sentences, i = [], 0
        while i < len(words):
            k = int(rng.integers(10, 24))
            s = words[i : i + k]
            s[0] = s[0][:1].upper() + s[0][1:]
            sentences.append(" ".join(s) + ".")
            i += k
        paras = [" ".join(sentences[j : j + 3]) for j in range(0, len(sentences), 3)]
        title_words = self.words(rng, int(rng.integers(6, 12)))
        for phrase, rate in INJECT:
            if rng.random() < rate:
                title_words[int(rng.integers(0, len(title_words)))] = phrase
        title = " ".join(w[:1].upper() + w[1:] for w in title_words)
        return title, "\n\n".join(paras)


# --- machine -------------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def ram_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return float("nan")


def children_peak_rss_mb() -> float:
    """Largest peak RSS of any waited-for child so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# --- a minimal static web server (fallback when pantau.fixtureweb is not usable) ----------------


class _QuietHandler(SimpleHTTPRequestHandler):
    counter: list[int]

    def log_message(self, format: str, *args: object) -> None:  # stdlib signature
        pass

    def do_GET(self) -> None:  # stdlib name
        self.counter[0] += 1
        super().do_GET()


class StaticServer:
    """One threaded loopback server per folder; counts requests. `.start()` -> base URL."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.requests = [0]
        self._srv: ThreadingHTTPServer | None = None

    def start(self) -> str:
        root, counter = str(self.root), self.requests

        class H(_QuietHandler):
            def __init__(self, *a, **kw):
                self.counter = counter
                super().__init__(*a, directory=root, **kw)

        self._srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self._srv.daemon_threads = True
        threading.Thread(target=self._srv.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._srv.server_address[1]}/"

    def stop(self) -> None:
        if self._srv:
            self._srv.shutdown()
            self._srv.server_close()


def environment_versions() -> dict[str, str]:
    from importlib import metadata

    out = {"python": platform.python_version()}
    for pkg in ["scrapy", "trafilatura", "lxml", "dateparser", "htmldate", "numpy"]:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "-"
    import sqlite3

    out["sqlite"] = sqlite3.sqlite_version
    return out


def env_for_child() -> dict[str, str]:
    """Environment for pantau/scrapy subprocesses: the repo importable, no stray config."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("PANTAU_CONFIG_DIR", None)
    env.pop("PANTAU_DB", None)
    return env


# --- a generated fixture web (crawl_speed, incremental) ------------------------------------------

# One real corpus page per site: its furniture (menus, related boxes, share bars, scripts) stays,
# its title, date and body paragraphs are replaced by generated text.
WEB_TEMPLATES = [
    ("antaranews-3.html", "antara"),
    ("beritamanado-1.html", "wordpress"),
    ("detik-1.html", "generic"),
    ("kompas-2.html", "generic"),
    ("liputan6-7.html", "generic"),
    ("mediaindonesia-1.html", "generic"),
    ("merdeka-4.html", "generic"),
    ("okezone-1.html", "generic"),
    ("republika-1.html", "generic"),
    ("viva-1.html", "generic"),
]
REGIONS = [
    "Kalimantan Tengah",
    "Sulawesi Utara",
    "Jawa Barat",
    "Bengkulu",
    "Sumatera Selatan",
    "Kalimantan Barat",
    "Jawa Timur",
    "Bali",
    "Papua",
    "Nusa Tenggara Barat",
]


def article_skeleton(html: bytes) -> str:
    """The page with {{TITLE}}, {{DATE}} and {{BODY}} slots and no canonical/JSON-LD identity."""
    import lxml.html
    from lxml import etree

    tree = lxml.html.fromstring(html)
    for el in tree.xpath(
        "//link[@rel='canonical' or @rel='amphtml' or @rel='shortlink']"
        " | //meta[@property='og:url' or @property='og:title' or @name='twitter:title'"
        " or @property='og:description' or @name='description' or @name='twitter:description'"
        " or contains(@name, 'title') or contains(@property, 'title')]"
        " | //script[@type='application/ld+json']"
        " | //meta[contains(@property, 'published_time') or contains(@property, 'modified_time')"
        " or contains(@name, 'date') or contains(@name, 'pubdate')]"
    ):
        el.getparent().remove(el)
    head = tree.find("head")
    if head is None:
        head = etree.SubElement(tree, "head")
    for t in tree.iter("title"):
        t.text = "{{TITLE}}"
    meta = etree.SubElement(head, "meta", property="article:published_time", content="{{DATE}}")
    meta.tail = "\n"
    h1s = tree.xpath("//h1")
    for h in h1s[:1]:
        for child in list(h):
            h.remove(child)
        h.text = "{{TITLE}}"
    # The body: the element holding the most long paragraphs.
    parents: dict = {}
    for p in tree.iter("p"):
        if len(p.text_content().strip()) >= 60 and p.getparent() is not None:
            parents.setdefault(p.getparent(), []).append(p)
    if not parents:
        raise ValueError("no body paragraphs")
    paras = max(parents.values(), key=len)
    first = paras[0]
    for p in paras[1:]:
        p.getparent().remove(p)
    for child in list(first):
        first.remove(child)
    first.text = "{{BODY}}"
    out = lxml.html.tostring(tree, encoding="unicode", doctype="<!DOCTYPE html>")
    return re.sub(r"<p[^>]*>\{\{BODY\}\}</p>", "{{BODY}}", out, count=1)


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:70]


def render_article(skeleton: str, title: str, text: str, published: str) -> str:
    body = "".join(f"<p>{html_escape(p)}</p>\n" for p in text.split("\n\n"))
    return (
        skeleton.replace("{{TITLE}}", html_escape(title))
        .replace("{{DATE}}", published)
        .replace("{{BODY}}", body)
    )


def html_escape(s: str) -> str:
    import html

    return html.escape(s, quote=True)


def build_fixture_web(
    root: Path,
    n_sites: int,
    per_site: int,
    *,
    seed: int = 1,
    words: int = 350,
    rss_items: int = 50,
) -> dict[str, list[dict]]:
    """Write `n_sites` FixtureWeb site folders of `per_site` articles each under `root`.

    Each site: robots.txt naming its sitemap, a sitemap of every article, an RSS feed of the
    newest `rss_items`, a home page listing; articles dated within the last days (inside the
    spider's window). Returns {site: site.json articles}.
    """
    import json
    from datetime import UTC, datetime, timedelta, timezone

    pages = {p.name: p for p in corpus_pages()}
    gen = TextGen(build_vocabulary(tail=20_000), words)
    rng = np.random.default_rng(seed)
    now = datetime.now(UTC).astimezone(timezone(timedelta(hours=7)))
    out: dict[str, list[dict]] = {}
    for s in range(n_sites):
        page_name, template = WEB_TEMPLATES[s % len(WEB_TEMPLATES)]
        site = f"situs-{s:02d}"
        sdir = root / site
        sdir.mkdir(parents=True, exist_ok=True)
        skeleton = article_skeleton(pages[page_name].read_bytes())
        (sdir / "_skeleton.html").write_text(skeleton, encoding="utf-8")  # never served
        articles = []
        for i in range(per_site):
            title, text = gen.article(rng)
            title = " ".join(title.split()[:12])
            published = (now - timedelta(minutes=7 * i + s)).replace(microsecond=0).isoformat()
            n = 100_000 + s * 10_000 + i
            path = f"/berita/{n}/{slugify(title)}"
            (sdir / path.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
            (sdir / (path.lstrip("/") + ".html")).write_text(
                render_article(skeleton, title, text, published), encoding="utf-8"
            )
            articles.append(
                {
                    "path": path,
                    "title": title,
                    "published": published,
                    "category": "berita",
                    "summary": text[:160],
                }
            )
        (sdir / "robots.txt").write_text(
            "User-agent: *\nDisallow: /admin/\n\nSitemap: {{BASE}}/sitemap.xml\n", encoding="utf-8"
        )
        meta = {
            "name": site,
            "title": f"Situs Berita {s:02d}",
            "template": template,
            "region": REGIONS[s % len(REGIONS)],
            "language": "id",
            "feeds": ["{{BASE}}/feed/"],
            "sitemaps": ["{{BASE}}/sitemap.xml"],
            "article_url_pattern": r"/berita/\d+/",
            "articles": articles,
            "routes": [
                {"path": "/", "kind": "home", "title": f"Situs Berita {s:02d}", "per_page": 20},
                {"path": "/feed/", "kind": "rss", "limit": rss_items},
                {"path": "/sitemap.xml", "kind": "sitemap"},
                # WordPress sites answer `/?s=term` (and its feed); the template asks for it.
                {
                    "path": "/",
                    "kind": "search",
                    "param": "s",
                    "feed_param": "feed",
                    "feed_value": "rss2",
                },
            ],
        }
        (sdir / "site.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        out[site] = articles
    return out


def write_config_dir(cfg: Path, sources_text: str, max_requests: int) -> None:
    """sources.yaml from the fixture web (with a request budget), the real topics, no subs."""
    import yaml

    cfg.mkdir(parents=True, exist_ok=True)
    doc = yaml.safe_load(sources_text)
    for src in doc["sources"]:
        src["max_requests"] = max_requests
    (cfg / "sources.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    shutil.copy2(ROOT / "config" / "topics.yaml", cfg / "topics.yaml")
    (cfg / "subscriptions.yaml").write_text("subscriptions: []\n", encoding="utf-8")


# Loopback benchmark settings: no politeness delays (one host, our own server), same
# concurrency for Pantau's crawl and the fetch-only baseline. All sites share 127.0.0.1, which
# Scrapy treats as one download slot, so the per-domain limit equals the global one.
LOOPBACK_SETTINGS = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "LOG_LEVEL": "WARNING",
}


def tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants now (Linux /proc), in KiB."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, AttributeError, ValueError):
            continue
    return total


def tree_cpu_s(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) so far of a process and each of its descendants (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[int, float] = {}
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            out[p] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, IndexError, ValueError):
            continue
    return out


def run_measured(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> dict:
    """Run a child to completion: wall seconds, its peak RSS in MiB, CPU seconds, exit code,
    stdout and the tail of stderr.

    The child's own peak RSS comes from wait4()'s rusage, so earlier children do not mix in.
    `main_cpu` and `helpers_cpu` split the CPU seconds between the child itself and its own
    children (extraction workers), sampled every 0.2 s (the last fraction of a second is lost).
    """
    import subprocess

    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, cwd=str(cwd or ROOT), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    # Drain pipes in threads so a chatty child never blocks, then reap it with wait4.
    chunks: dict[str, list[bytes]] = {"out": [], "err": []}

    def drain(stream, key: str) -> None:
        for line in iter(stream.readline, b""):
            chunks[key].append(line)

    threads = [
        threading.Thread(target=drain, args=(proc.stdout, "out"), daemon=True),
        threading.Thread(target=drain, args=(proc.stderr, "err"), daemon=True),
    ]
    for t in threads:
        t.start()
    tree_peak = [0]
    cpu_seen: dict[int, float] = {}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            tree_peak[0] = max(tree_peak[0], tree_rss_kib(proc.pid))
            for pid, secs in tree_cpu_s(proc.pid).items():
                cpu_seen[pid] = max(cpu_seen.get(pid, 0.0), secs)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    done.set()
    sampler.join(timeout=5)
    for t in threads:
        t.join(timeout=5)
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = b"".join(chunks["err"]).decode("utf-8", "replace")
    return {
        "wall": wall,
        "rss_mb": usage.ru_maxrss / 1024,
        "tree_rss_mb": max(tree_peak[0], usage.ru_maxrss) / 1024,
        "cpu": usage.ru_utime + usage.ru_stime,
        "main_cpu": cpu_seen.get(proc.pid, 0.0),
        "helpers_cpu": sum(v for k, v in cpu_seen.items() if k != proc.pid),
        "rc": proc.returncode,
        "stdout": b"".join(chunks["out"]).decode("utf-8", "replace"),
        "stderr": err[-3000:],
    }
