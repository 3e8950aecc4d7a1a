"""Reliability, part 5: which URLs Pantau will talk to.

Alerts: only http(s); a webhook or Slack URL resolving to a private, link-local, CGNAT or
unspecified address is refused (dead-letter, nothing sent) unless the subscription says
`allow_private_network: true` (loopback, the operator's own machine, is allowed); redirects from a receiver are not followed. Sources: a feed,
sitemap, page link or redirect that points at `file://` (or any non-http scheme) is never
fetched, so a hostile site cannot make Pantau read and archive local files.
"""

from __future__ import annotations

import json
import sqlite3
import textwrap

import pytest

from pantau.pipeline.alerts.netguard import UnsafeURL, check_url
from tests.conftest import run_pantau
from tests.faultweb import FaultWeb, HookReceiver, redirect, scrapy_env, serve, write_config
from tests.receivers import Outbox

ENV = scrapy_env()
SECRET = "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ=="

LOOPBACK = [
    "http://127.0.0.1:8080/hook",
    "http://localhost/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",  # IPv4-mapped loopback
]
REFUSED = [
    "http://10.0.0.5/hook",
    "http://172.16.3.4/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
    "http://100.64.0.1/hook",  # carrier-grade NAT: not global
    "http://0.0.0.0:8000/",
    "http://[fe80::1]/hook",
    "http://[::ffff:10.0.0.5]/hook",  # IPv4-mapped private
    "http://[fd00::1]/hook",
]
NOT_HTTP = ["file:///etc/passwd", "ftp://example.org/x", "gopher://127.0.0.1/", "javascript:1",
            "http:///no-host", "data:text/plain,hi"]  # fmt: skip
ALLOWED = ["http://8.8.8.8/hook", "https://1.1.1.1/services/T000/B000/xyz"]


@pytest.mark.parametrize("url", REFUSED)
def test_private_addresses_are_refused_by_default(url):
    with pytest.raises(UnsafeURL):
        check_url(url)
    check_url(url, allow_private=True)  # the explicit opt-in allows them


@pytest.mark.parametrize("url", LOOPBACK)
def test_loopback_is_the_operators_own_machine_and_allowed(url):
    check_url(url)


@pytest.mark.parametrize("url", NOT_HTTP)
def test_only_http_urls_even_when_private_networks_are_allowed(url):
    with pytest.raises(UnsafeURL):
        check_url(url, allow_private=True)


@pytest.mark.parametrize("url", ALLOWED)
def test_public_addresses_pass(url):
    check_url(url)


def _outbox(tmp_path, n: int = 2) -> str:
    db = str(tmp_path / "pantau.db")
    box = Outbox(db)
    for i in range(n):
        art, story = box.article(f"Revolusi mental ASN ke-{i}", source="contoh")
        box.alert("hook", "webhook", art, story)
    box.close()
    return db


def _config(tmp_path, url: str, allow: bool) -> str:
    subs = textwrap.dedent(f"""
        subscriptions:
          - name: hook
            topics: [revolusi-mental-asn]
            channel: webhook
            url: {url}
            secret: {SECRET}
    """)
    if allow:
        subs += "    allow_private_network: true\n"
    source = {"name": "contoh", "url": "http://127.0.0.1:9/"}
    return str(write_config(tmp_path / "config", [source], subs))


def _statuses(db: str) -> dict[str, int]:
    con = sqlite3.connect(db)
    try:
        return dict(con.execute("SELECT status, count(*) FROM alerts GROUP BY status"))
    finally:
        con.close()


def test_private_webhook_without_opt_in_is_dead_lettered_and_never_contacted(tmp_path):
    """10.x is refused before any connection is made (no packet leaves this machine)."""
    rx = HookReceiver().start()
    try:
        db = _outbox(tmp_path)
        cfg = _config(tmp_path, "http://10.255.255.1:9/hook", allow=False)
        proc = run_pantau("--config-dir", cfg, "--db", db, "alerts", "send", env=ENV)
        assert proc.returncode == 1, proc.stderr[-2000:]
        assert _statuses(db) == {"dead": 2}
        assert not rx.deliveries
        listed = run_pantau("--config-dir", cfg, "--db", db, "alerts", "list", "--status",
                            "dead", "--format", "json", env=ENV)  # fmt: skip
        errors = [r["last_error"] for r in json.loads(listed.stdout)]
        assert all("allow_private_network" in e for e in errors), errors
        test = run_pantau("--config-dir", cfg, "--db", db, "alerts", "test", "hook", env=ENV)
        assert test.returncode == 1 and not rx.deliveries, test.stderr
    finally:
        rx.stop()


def test_loopback_webhook_with_opt_in_is_delivered(tmp_path):
    rx = HookReceiver().start()
    try:
        db = _outbox(tmp_path)
        cfg = _config(tmp_path, f"{rx.url}/hook", allow=True)
        proc = run_pantau("--config-dir", cfg, "--db", db, "alerts", "send", env=ENV)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert _statuses(db) == {"sent": 2}
        assert len(rx.accepted("/hook")) == 2
    finally:
        rx.stop()


def test_receiver_redirects_are_not_followed(tmp_path):
    """A receiver answering 302 towards another address must not become a proxy for it."""
    target = HookReceiver().start()
    bouncer = FaultWeb()

    def bounce(req, web, n):  # POST too: FaultWeb answers GET only, so add a handler here
        req.send_response(302)
        req.send_header("Location", f"{target.url}/internal")
        req.send_header("Content-Length", "0")
        req.end_headers()

    bouncer._server.RequestHandlerClass.do_POST = lambda self: bounce(self, bouncer, 1)
    bouncer.start()
    try:
        db = _outbox(tmp_path, 1)
        cfg = _config(tmp_path, f"{bouncer.base}/hook", allow=True)
        proc = run_pantau("--config-dir", cfg, "--db", db, "alerts", "send", env=ENV)
        assert proc.returncode == 1, proc.stderr[-2000:]
        assert _statuses(db) == {"dead": 1}
        assert not target.deliveries
    finally:
        bouncer.stop()
        target.stop()


@pytest.mark.slow
def test_hostile_site_cannot_make_the_crawler_read_local_files(tmp_path):
    marker = "PANTAU-LOCAL-SECRET-7f3a"
    secret_dir = tmp_path / "rahasia" / "2024" / "09" / "20" / "dokumen-rahasia-revolusi-mental"
    secret_dir.mkdir(parents=True)
    paragraph = (
        "Revolusi mental bagi aparatur sipil negara (ASN) adalah perubahan cara berpikir, "
        "cara kerja dan cara melayani masyarakat di seluruh instansi pemerintah daerah. "
    )
    secret = secret_dir / "index.html"
    secret.write_text(
        f"<html><head><title>Revolusi mental ASN {marker}</title></head><body><article>"
        f"<h1>Revolusi mental ASN {marker}</h1>"
        + f"<p>{paragraph * 3} {marker}</p>" * 6
        + "</article></body></html>"
    )
    file_url = secret.as_uri()
    web = FaultWeb()
    web.add("/", serve(
        f'<html><head><link rel="alternate" type="application/rss+xml" href="{file_url}">'
        f'</head><body><a href="{file_url}">rahasia</a>'
        f'<a href="{web.url("/2024/09/20/lompat-ke-berkas-lokal-rahasia/")}">lompat</a>'
        "</body></html>"
    ))  # fmt: skip
    web.add("/robots.txt", serve(f"User-agent: *\nSitemap: {web.url('/post-sitemap.xml')}\n"))
    web.add("/post-sitemap.xml", serve(
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{file_url}</loc><lastmod>2024-09-20</lastmod></url></urlset>",
        "application/xml",
    ))  # fmt: skip
    web.add("/sitemap-index.xml", serve(
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{file_url}</loc></sitemap></sitemapindex>",
        "application/xml",
    ))  # fmt: skip
    web.add("/feed/", serve(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>'
        f"<item><title>rahasia</title><link>{file_url}</link></item></channel></rss>",
        "application/rss+xml",
    ))  # fmt: skip
    web.add("/2024/09/20/lompat-ke-berkas-lokal-rahasia/", redirect(file_url))
    web.start()
    try:
        source = {
            "name": "jahat",
            "url": web.url("/"),
            "template": "generic",
            "feeds": [web.url("/feed/")],
            "sitemaps": [web.url("/post-sitemap.xml"), web.url("/sitemap-index.xml")],
        }
        cfg = write_config(tmp_path / "config", [source])
        db = tmp_path / "pantau.db"
        proc = run_pantau("--config-dir", str(cfg), "--db", str(db), "crawl", env=ENV)
        assert proc.returncode in (0, 1), proc.stderr[-3000:]
        con = sqlite3.connect(db)
        leaked = con.execute(
            "SELECT url FROM articles WHERE instr(text, ?) OR instr(title, ?) "
            "UNION SELECT url FROM pages WHERE url NOT LIKE 'http%'",
            (marker, marker),
        ).fetchall()
        con.close()
        assert not leaked, leaked
        assert marker not in proc.stdout + proc.stderr
    finally:
        web.stop()
