"""A small loopback news site whose pages change between runs, for the frontier and update
tests (tests/test_frontier.py, tests/test_updates.py).

Pages are real corpus markup: articles are corpus article pages (tests/extraction/cases/), the
home page is a real home page (tests/extraction/nonarticle/), a listing is a real listing page
with the site's own links put in its body, the RSS feed keeps the real Republika channel and
item layout (tests/fixtures/spider/republika-feed-1.xml) and the Atom feed the real Blogger
layout (tests/fixtures/sites/blogger-sintang). Each path answers what its `Page` says *now*, so
a test edits a page, a date or a status between two `pantau crawl` runs over one archive. A page
with an ETag answers 304 to a matching If-None-Match (or If-Modified-Since), and every request's
headers are logged, so a test can see the conditional GET.
"""

from __future__ import annotations

import html
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from tests.conftest import run_pantau
from tests.faultweb import FaultWeb, corpus_page, scrapy_env, send, title_of, write_config

HERE = Path(__file__).resolve().parent
RSS_HEAD = (HERE / "fixtures" / "spider" / "republika-feed-1.xml").read_text(encoding="utf-8")
ATOM_HEAD = (
    HERE / "fixtures" / "sites" / "blogger-sintang" / "feeds" / "posts" / "default"
).read_text(encoding="utf-8")
HOME = (HERE / "extraction" / "nonarticle" / "kompas-home-1.html").read_text(encoding="utf-8")
LISTING = (HERE / "extraction" / "nonarticle" / "merdeka-listing-1.html").read_text(
    encoding="utf-8"
)
XML = "application/xml; charset=utf-8"


@dataclass
class Page:
    """What one path answers now: `status` with `body`, or a redirect to `location`."""

    body: str = ""
    status: int = 200
    ctype: str = "text/html; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None
    location: str | None = None


@dataclass
class Newsroom:
    web: FaultWeb
    pages: dict[str, Page] = field(default_factory=dict)
    headers: list[tuple[str, dict[str, str], int]] = field(
        default_factory=list
    )  # path, hdrs, status

    @classmethod
    def start(cls) -> Newsroom:
        room = cls(FaultWeb().start())
        room.set("/", Page(HOME))
        room.set("/robots.txt", Page("User-agent: *\nAllow: /\n", ctype="text/plain"))
        return room

    def stop(self) -> None:
        self.web.stop()

    def url(self, path: str) -> str:
        return self.web.url(path)

    def set(self, path: str, page: Page) -> None:
        self.pages[path] = page
        self.web.add(path, self._route(path))

    def hits(self, path: str) -> int:
        return self.web.hits(path)

    def requests_for(self, path: str) -> list[tuple[dict[str, str], int]]:
        return [(h, s) for p, h, s in self.headers if p == path]

    def _route(self, path: str):
        def route(req: BaseHTTPRequestHandler, web: FaultWeb, n: int) -> None:
            page = self.pages[path]
            sent = {k.lower(): v for k, v in req.headers.items()}
            status = page.status
            if page.location:
                self.headers.append((path, sent, status))
                send(req, status, b"", page.ctype, {"Location": self.url(page.location)})
                return
            validators = {}
            if page.etag:
                validators["ETag"] = page.etag
            if page.last_modified:
                validators["Last-Modified"] = page.last_modified
            fresh = status == 200 and (
                (page.etag and sent.get("if-none-match") == page.etag)
                or (page.last_modified and sent.get("if-modified-since") == page.last_modified)
            )
            if fresh:
                status = 304
            self.headers.append((path, sent, status))
            if status == 304:
                req.send_response(304)
                for k, v in validators.items():
                    req.send_header(k, v)
                req.end_headers()
                return
            send(req, status, page.body.encode("utf-8"), page.ctype, validators)

        return route


# --------------------------------------------------------------------------- page makers


def article(name: str) -> str:
    """A real corpus article page."""
    return corpus_page(name)


def edited(page: str, old: str, new: str) -> str:
    """The page with one sentence of its body rewritten (a correction)."""
    assert old in page, old
    return page.replace(old, new, 1)


def rss(room: Newsroom, items: list[tuple[str, datetime, str | None]]) -> str:
    """An RSS 2.0 feed in Republika's own layout: (path, pubDate, atom:updated or None)."""
    head = RSS_HEAD.split("<item>", 1)[0]
    parts = [head]
    for path, date, updated in items:
        link = room.url(path)
        upd = f"\n\t\t<atom:updated>{updated}</atom:updated>" if updated else ""
        parts.append(
            f"<item>\n\t\t<title>{html.escape(path.strip('/').rsplit('/', 1)[-1])}</title>"
            f"\n\t\t<link>{link}</link>\n\t\t<pubDate>{format_datetime(date)}</pubDate>{upd}"
            f'\n\t\t<dc:creator>Redaksi</dc:creator>\n\t\t<guid isPermaLink="false">{link}</guid>'
            "\n\t\t<description><![CDATA[Ringkasan berita.]]></description>\n\t</item>\n"
        )
    parts.append("</channel>\n</rss>\n")
    return "".join(parts)


def atom(room: Newsroom, entries: list[tuple[str, str, str, str]]) -> str:
    """An Atom feed in Blogger's own layout: (path, title, published, updated) ISO texts."""
    head = ATOM_HEAD.split("<entry>", 1)[0].replace("{{BASE}}", room.url("").rstrip("/"))
    parts = [head]
    for n, (path, title, published, updated) in enumerate(entries):
        parts.append(
            f"<entry><id>tag:blogger.com,1999:blog-7310.post-{9000 + n}</id>"
            f"<published>{published}</published><updated>{updated}</updated>"
            f"<title type='text'>{html.escape(title)}</title>"
            "<content type='html'>&lt;p&gt;Ringkasan.&lt;/p&gt;</content>"
            f"<link rel='alternate' type='text/html' href='{room.url(path)}' "
            f"title='{html.escape(title)}'/><author><name>Admin</name></author></entry>"
        )
    parts.append("</feed>")
    return "".join(parts)


def sitemap(room: Newsroom, entries: list[tuple[str, str]]) -> str:
    """A sitemap <urlset> (sitemaps.org protocol): (path, lastmod ISO text)."""
    urls = "".join(
        f"<url><loc>{room.url(p)}</loc><lastmod>{lastmod}</lastmod></url>" for p, lastmod in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>\n'
    )


def listing(room: Newsroom, paths: list[str]) -> str:
    """A real listing page (Merdeka's) with links to these article paths in its list."""
    items = "".join(
        f'<li><a href="{room.url(p)}">{html.escape(title_of(room.pages[p].body) or p)}</a></li>'
        for p in paths
    )
    return re.sub(r"(<body[^>]*>)", rf'\1<ul class="news-list">{items}</ul>', LISTING, count=1)


# --------------------------------------------------------------------------- runs


def source(room: Newsroom, name: str = "newsroom", **kw: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": name,
        "url": room.url("/"),
        "region": "Jawa Barat",
        "template": "generic",
        "feeds": [room.url("/feed/")],
        "sitemaps": [room.url("/sitemap.xml")],
    }
    entry.update(kw)
    return entry


def crawl(cfg: Path, db: Path, **settings: Any):
    """One `pantau crawl` over the archive `db` (a subprocess, as every crawl test does)."""
    settings.setdefault("PANTAU_EXTRACT_WORKERS", 0)
    proc = run_pantau(
        "--config-dir", str(cfg), "--db", str(db), "crawl", env=scrapy_env(**settings), timeout=180
    )
    assert "Traceback" not in proc.stderr, proc.stderr[-4000:]
    return proc


def config(
    tmp: Path, sources: list[dict], topics: str | None = None, subs: str | None = None
) -> Path:
    return write_config(tmp / "config", sources, subs or "subscriptions: []\n", topics)


def rows(db: Path, sql: str, *args: Any) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()
