"""A loopback web of small, realistic Indonesian news sites served from files.

Why: crawl tests and `pantau demo` need real HTTP (robots.txt, feeds, sitemaps, paginated
listings, site search, conditional requests) without the internet. Each site is a folder under
`pantau/sample_sites/` with a `site.json`; every site gets its own port on 127.0.0.1, so sites
are separate origins exactly as on the real web.

How a request is answered, in this order (see `pantau/sample_sites/README.md`):

1. an override set with `FixtureWeb.fail()` (status, headers, for the next N requests);
2. `redirects` in site.json (301 to another path);
3. a static file for the path *with* its query string (`query_filename`), e.g.
   `/2019/10/07/slug?page=2` -> `2019/10/07/slug@page=2.html`;
4. the site's search route (`?s=...`, `?s=...&feed=rss2`), generated from the articles;
5. a generated route of site.json `routes`: home page, RSS feed, listing pages with their
   pagination (`/page/2/` or `?page=2`), sitemap, sitemap index, Google News sitemap;
6. the static file for the path, ignoring any other query string (as most servers do);
7. 404.

`{{BASE}}` in any text body is replaced by the site's base URL *without* a trailing slash
(`http://127.0.0.1:41234`), so files write `{{BASE}}/path/`.
"""

from __future__ import annotations

import argparse
import copy
import email.utils
import hashlib
import html
import json
import re
import sys
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

BASE_TOKEN = "{{BASE}}"
DEFAULT_ROOT = Path(__file__).resolve().parent / "sample_sites"
DEFAULT_LAST_MODIFIED = "2024-09-20T00:00:00+00:00"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
}
HTML_TYPE = CONTENT_TYPES[".html"]
RSS_TYPE = "application/rss+xml; charset=utf-8"
XML_TYPE = CONTENT_TYPES[".xml"]


# --------------------------------------------------------------------------- path mapping


def normalize_query(query: str) -> str:
    """The deterministic key of a query string: pairs sorted by key, values lower-cased,
    spaces (and '+') turned into '-'. `s=Revolusi+Mental&feed=rss2` -> `feed=rss2&s=revolusi-mental`.
    """
    pairs = parse_qsl(query, keep_blank_values=True)
    norm = []
    for k, v in sorted(pairs):
        v = re.sub(r"\s+", "-", v.strip().lower())
        norm.append(f"{k}={v}")
    return "&".join(norm)


def path_candidates(path: str, query: str = "") -> list[str]:
    """Relative file names that may hold `path` (+ `query`), best first.

    `/` -> `index.html`; `/a/b/` -> `a/b/index.html`; `/a/b.html` -> `a/b.html`;
    `/a/b` -> `a/b`, `a/b.html`, `a/b/index.html`. With a query key K the name gets `@K`
    before its extension: `a/b/index@page=2.html`, `a/b@page=2.html`.
    """
    rel = path.lstrip("/")
    key = normalize_query(query) if query else ""
    suffix = f"@{key}" if key else ""
    if rel == "" or rel.endswith("/"):
        return [f"{rel}index{suffix}.html"]
    stem, dot, ext = rel.rpartition(".")
    has_ext = bool(dot) and "/" not in ext and len(ext) <= 5
    out = []
    if has_ext:
        out.append(f"{stem}{suffix}.{ext}")
    else:
        out.append(f"{rel}{suffix}")
        out.append(f"{rel}{suffix}.html")
        out.append(f"{rel}/index{suffix}.html")
    return out


def content_type_for(name: str) -> str:
    ext = Path(name).suffix.lower()
    return CONTENT_TYPES.get(ext, HTML_TYPE if ext in ("", ".php") else "application/octet-stream")


def parse_time(value: str | None) -> datetime:
    """An ISO 8601 string (or a date) as an aware datetime; naive values are taken as UTC."""
    if not value:
        value = DEFAULT_LAST_MODIFIED
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt


def http_date(dt: datetime) -> str:
    return email.utils.format_datetime(dt.astimezone(UTC).replace(microsecond=0), usegmt=True)


# --------------------------------------------------------------------------- generated pages


def _esc(text: str) -> str:
    return html.escape(text or "", quote=True)


def render_rss(site: dict, items: list[dict], title: str, self_url: str) -> str:
    """RSS 2.0 of `items` (site.json article entries), in the given order."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">',
        "<channel>",
        f"<title>{_esc(title)}</title>",
        f'<atom:link href="{_esc(self_url)}" rel="self" type="application/rss+xml" />',
        f"<link>{BASE_TOKEN}/</link>",
        f"<description>{_esc(site.get('description', site.get('title', '')))}</description>",
        f"<language>{site.get('language', 'id')}</language>",
    ]
    if items:
        parts.append(f"<lastBuildDate>{http_date(_item_time(items[0]))}</lastBuildDate>")
    for a in items:
        url = BASE_TOKEN + a["path"]
        parts += [
            "<item>",
            f"<title>{_esc(a['title'])}</title>",
            f"<link>{url}</link>",
            f'<guid isPermaLink="true">{url}</guid>',
            f"<pubDate>{email.utils.format_datetime(parse_time(a['published']))}</pubDate>",
        ]
        if a.get("author"):
            parts.append(f"<dc:creator><![CDATA[{a['author']}]]></dc:creator>")
        if a.get("category"):
            parts.append(f"<category><![CDATA[{a['category']}]]></category>")
        parts.append(f"<description><![CDATA[{a.get('summary', '')}]]></description>")
        parts.append("</item>")
    parts += ["</channel>", "</rss>", ""]
    return "\n".join(parts)


def render_sitemap(items: list[dict]) -> str:
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for a in items:
        lastmod = a.get("modified") or a["published"]
        parts.append(
            f"<url><loc>{BASE_TOKEN}{_esc(a['path'])}</loc><lastmod>{lastmod}</lastmod></url>"
        )
    parts += ["</urlset>", ""]
    return "\n".join(parts)


def render_sitemap_index(sitemaps: list[str], lastmod: str) -> str:
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for sm in sitemaps:
        parts.append(
            f"<sitemap><loc>{BASE_TOKEN}{_esc(sm)}</loc><lastmod>{lastmod}</lastmod></sitemap>"
        )
    parts += ["</sitemapindex>", ""]
    return "\n".join(parts)


def render_news_sitemap(site: dict, items: list[dict]) -> str:
    """A Google News sitemap: the item's date is in `news:publication_date`."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">',
    ]
    for a in items:
        parts += [
            "<url>",
            f"<loc>{BASE_TOKEN}{_esc(a['path'])}</loc>",
            "<news:news>",
            "<news:publication>",
            f"<news:name>{_esc(site.get('title', site['name']))}</news:name>",
            f"<news:language>{site.get('language', 'id')}</news:language>",
            "</news:publication>",
            f"<news:publication_date>{a['published']}</news:publication_date>",
            f"<news:title>{_esc(a['title'])}</news:title>",
            "</news:news>",
            "</url>",
        ]
    parts += ["</urlset>", ""]
    return "\n".join(parts)


def _item_time(a: dict) -> datetime:
    return parse_time(a.get("modified") or a.get("published"))


def _teaser(a: dict) -> str:
    date = parse_time(a["published"]).strftime("%d/%m/%Y %H:%M")
    cat = f'<span class="post-category">{_esc(a["category"])}</span> ' if a.get("category") else ""
    return (
        '<article class="post-item">'
        f'<h3 class="post-title"><a href="{BASE_TOKEN}{_esc(a["path"])}">{_esc(a["title"])}</a></h3>'
        f'<div class="post-meta">{cat}<time>{date}</time></div>'
        f'<p class="post-excerpt">{_esc(a.get("summary", ""))}</p>'
        "</article>"
    )


def render_listing(
    site: dict,
    shell: str | None,
    title: str,
    items: list[dict],
    prev_url: str | None,
    next_url: str | None,
    page: int,
    pages: int,
    page_url=None,
) -> str:
    """A listing page (home, category, tag, search results) inside the site's own shell."""
    teasers = "\n".join(_teaser(a) for a in items) or '<p class="no-results">Tidak ditemukan.</p>'
    nav = []
    if prev_url:
        nav.append(
            f'<a class="prev page-numbers" rel="prev" href="{prev_url}">&laquo; Sebelumnya</a>'
        )
    if page_url and pages > 1:
        for n in range(1, pages + 1):
            if n == page:
                nav.append(f'<span aria-current="page" class="page-numbers current">{n}</span>')
            else:
                nav.append(f'<a class="page-numbers" href="{page_url(n)}">{n}</a>')
    if next_url:
        nav.append(
            f'<a class="next page-numbers" rel="next" href="{next_url}">Selanjutnya &raquo;</a>'
        )
    body = (
        f'<div class="archive-listing"><h1 class="archive-title">{_esc(title)}</h1>\n'
        f"{teasers}\n"
        f'<nav class="pagination">{" ".join(nav)}</nav></div>'
    )
    head = []
    for feed in site.get("feeds", []):
        head.append(
            f'<link rel="alternate" type="application/rss+xml" title="Feed" href="{feed}" />'
        )
    if prev_url:
        head.append(f'<link rel="prev" href="{prev_url}" />')
    if next_url:
        head.append(f'<link rel="next" href="{next_url}" />')
    head_html = "\n".join(head)
    if shell:
        return (
            shell.replace("{{LISTING_TITLE}}", _esc(title))
            .replace("{{HEAD}}", head_html)
            .replace("{{LISTING}}", body)
        )
    return (
        '<!DOCTYPE html>\n<html lang="id"><head><meta charset="utf-8">'
        f"<title>{_esc(title)} - {_esc(site.get('title', ''))}</title>{head_html}</head><body>"
        f'<header><a href="{BASE_TOKEN}/">{_esc(site.get("title", ""))}</a></header>'
        f"<main>{body}</main><footer>&copy; {_esc(site.get('title', ''))}</footer></body></html>"
    )


# --------------------------------------------------------------------------- the server


class _Response:
    __slots__ = ("status", "body", "ctype", "last_modified", "headers")

    def __init__(
        self,
        status: int,
        body: bytes = b"",
        ctype: str = HTML_TYPE,
        last_modified: datetime | None = None,
        headers: dict[str, str] | None = None,
    ):
        self.status, self.body, self.ctype = status, body, ctype
        self.last_modified, self.headers = last_modified, headers or {}


class FixtureWeb:
    """Serve every site folder under `root` on its own loopback port (a context manager)."""

    def __init__(self, root: Path | str | None = None, host: str = "127.0.0.1"):
        self.root = Path(root) if root is not None else DEFAULT_ROOT
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("FixtureWeb binds loopback only")
        self.host = host
        self.urls: dict[str, str] = {}
        self.sites: dict[str, dict] = {}
        self.request_log: list[tuple[str, str, int]] = []
        self._raw: dict[str, dict] = {}  # site.json as read, {{BASE}} unresolved, + runtime edits
        self._overlay: dict[str, dict[str, tuple[bytes, datetime]]] = {}
        self._overrides: dict[tuple[str, str], list] = {}
        self._lock = threading.RLock()
        self._servers: list[ThreadingHTTPServer] = []
        self._threads: list[threading.Thread] = []
        self._load()

    # -- setup ---------------------------------------------------------------------------

    def _load(self) -> None:
        for meta_file in sorted(self.root.glob("*/site.json")):
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
            name = meta.setdefault("name", meta_file.parent.name)
            meta.setdefault("articles", [])
            meta.setdefault("routes", [])
            meta["_dir"] = str(meta_file.parent)
            self._raw[name] = meta
            self._overlay[name] = {}
        if not self._raw:
            raise FileNotFoundError(f"no */site.json under {self.root}")

    def start(self) -> dict[str, str]:
        """Bind one ephemeral port per site and serve in daemon threads; returns `urls`."""
        if self._servers:
            return self.urls
        for name in self._raw:
            server = ThreadingHTTPServer((self.host, 0), self._handler_class(name))
            server.daemon_threads = True
            port = server.server_address[1]
            host = f"[{self.host}]" if ":" in self.host else self.host
            self.urls[name] = f"http://{host}:{port}/"
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.1},
                daemon=True,
                name=f"fixtureweb-{name}",
            )
            thread.start()
            self._servers.append(server)
            self._threads.append(thread)
        self._refresh_sites()
        return dict(self.urls)

    def stop(self) -> None:
        """Shut every server down and close its socket; safe to call twice."""
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers, self._threads = [], []

    def __enter__(self) -> FixtureWeb:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def base(self, site: str) -> str:
        """The value of `{{BASE}}` for `site`: its URL without the trailing slash."""
        return self.urls[site].rstrip("/")

    def url(self, site: str, path: str = "/") -> str:
        return self.base(site) + "/" + path.lstrip("/")

    def _refresh_sites(self) -> None:
        with self._lock:
            for name, raw in self._raw.items():
                public = {k: v for k, v in raw.items() if not k.startswith("_")}
                self.sites[name] = self._resolve(copy.deepcopy(public), name)

    def _resolve(self, value: Any, site: str) -> Any:
        if isinstance(value, str):
            return value.replace(BASE_TOKEN, self.base(site)) if site in self.urls else value
        if isinstance(value, list):
            return [self._resolve(v, site) for v in value]
        if isinstance(value, dict):
            return {k: self._resolve(v, site) for k, v in value.items()}
        return value

    # -- runtime changes -----------------------------------------------------------------

    def clear_log(self) -> None:
        with self._lock:
            self.request_log.clear()

    def requests_for(self, site: str) -> list[tuple[str, int]]:
        """(path, status) of every request made to `site` so far."""
        with self._lock:
            return [(p, s) for n, p, s in self.request_log if n == site]

    def add_file(
        self, site: str, path: str, content: str | bytes, last_modified: str | None = None
    ) -> None:
        """Add or replace the page at URL `path` (may carry a query) until stop; nothing on disk
        changes. Its Last-Modified is `last_modified` or now."""
        if site not in self._raw:
            raise KeyError(site)
        body = content.encode("utf-8") if isinstance(content, str) else content
        when = parse_time(last_modified) if last_modified else datetime.now(UTC)
        split = urlsplit(path)
        key = path_candidates(split.path or "/", split.query)[0]
        with self._lock:
            self._overlay[site][key] = (body, when)

    def publish_article(
        self,
        site: str,
        path: str,
        html_text: str,
        title: str,
        published: str | None = None,
        summary: str = "",
        category: str | None = None,
        tags: list[str] | tuple[str, ...] = (),
        author: str | None = None,
    ) -> dict:
        """Serve a new article and put it at the top of the site's feeds, sitemaps, home page and
        first page of its listings (those of its category/tag, and unfiltered ones)."""
        now = datetime.now(UTC).astimezone().replace(microsecond=0)
        entry = {
            "path": path,
            "title": title,
            "published": published or now.isoformat(),
            "summary": summary,
            "tags": list(tags),
        }
        if category:
            entry["category"] = category
        if author:
            entry["author"] = author
        self.add_file(site, path, html_text)
        with self._lock:
            articles = self._raw[site]["articles"]
            articles[:] = [a for a in articles if a["path"] != path]
            articles.insert(0, entry)
        self._refresh_sites()
        return entry

    def fail(
        self,
        site: str,
        path: str,
        status: int = 503,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: str = "",
    ) -> None:
        """Answer the next `times` requests for `path` (query included) with `status`."""
        with self._lock:
            self._overrides[(site, path)] = [status, times, headers or {}, body.encode()]

    # -- answering -----------------------------------------------------------------------

    def _handler_class(self, site: str) -> type[BaseHTTPRequestHandler]:
        web = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "FixtureWeb/1.0"
            protocol_version = "HTTP/1.0"

            def do_GET(self) -> None:  # http.server naming
                web._serve(self, site, head=False)

            def do_HEAD(self) -> None:
                web._serve(self, site, head=True)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler

    def _serve(self, req: BaseHTTPRequestHandler, site: str, head: bool) -> None:
        split = urlsplit(req.path)
        path = split.path or "/"
        logged = path + (f"?{split.query}" if split.query else "")
        try:
            resp = self.respond(site, path, split.query)
        except Exception as exc:  # a fixture bug must show as a 500, not a hung test
            resp = _Response(
                500, f"fixtureweb error: {exc!r}".encode(), "text/plain; charset=utf-8"
            )
        etag = self._etag(resp.body)
        if resp.status == 200:
            resp = self._conditional(req, resp, etag)
        with self._lock:
            self.request_log.append((site, logged, resp.status))
        try:
            req.send_response(resp.status)
            if resp.status != 304:
                req.send_header("Content-Type", resp.ctype)
                req.send_header("Content-Length", str(len(resp.body)))
            if resp.status in (200, 304) and resp.last_modified is not None:
                req.send_header("ETag", etag)
                req.send_header("Last-Modified", http_date(resp.last_modified))
                req.send_header("Cache-Control", "no-cache")
            for k, v in resp.headers.items():
                req.send_header(k, v)
            req.end_headers()
            if not head and resp.status != 304:
                req.wfile.write(resp.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    @staticmethod
    def _etag(body: bytes) -> str:
        return '"' + hashlib.sha1(body).hexdigest()[:20] + '"'

    def _conditional(self, req: BaseHTTPRequestHandler, resp: _Response, etag: str) -> _Response:
        """304 when If-None-Match names our ETag, or (without it) If-Modified-Since is not older
        than Last-Modified (RFC 9110 13.2.2: If-None-Match wins)."""
        inm = req.headers.get("If-None-Match")
        ims = req.headers.get("If-Modified-Since")
        not_modified = False
        if inm is not None:
            tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
            not_modified = "*" in tags or etag in tags
        elif ims and resp.last_modified is not None:
            try:
                since = email.utils.parsedate_to_datetime(ims)
                if since.tzinfo is None:
                    since = since.replace(tzinfo=UTC)
                not_modified = resp.last_modified.replace(microsecond=0) <= since
            except (TypeError, ValueError):
                not_modified = False
        if not_modified:
            return _Response(304, b"", resp.ctype, resp.last_modified, resp.headers)
        return resp

    def respond(self, site: str, path: str, query: str = "") -> _Response:
        """The response for `path`?`query` on `site` (no HTTP involved; used by the handler)."""
        meta = self._raw[site]
        full = path + (f"?{query}" if query else "")
        with self._lock:
            ov = self._overrides.get((site, full)) or self._overrides.get((site, path))
            if ov and ov[1] > 0:
                ov[1] -= 1
                return _Response(ov[0], ov[3], "text/plain; charset=utf-8", None, dict(ov[2]))
        target = meta.get("redirects", {}).get(full) or meta.get("redirects", {}).get(path)
        if target:
            loc = self._fill(site, target if "://" in target else BASE_TOKEN + target)
            return _Response(301, b"", HTML_TYPE, None, {"Location": loc})
        if query:
            found = self._static(site, path, query)
            if found:
                return found
            found = self._search(site, path, query)
            if found:
                return found
        found = self._route(site, path, query)
        if found:
            return found
        found = self._static(site, path, "")
        if found:
            return found
        return _Response(404, b"<html><body><h1>404 Not Found</h1></body></html>", HTML_TYPE)

    def _fill(self, site: str, text: str) -> str:
        return text.replace(BASE_TOKEN, self.base(site)) if site in self.urls else text

    def _text(self, site: str, text: str, ctype: str, when: datetime) -> _Response:
        return _Response(200, self._fill(site, text).encode("utf-8"), ctype, when)

    def _static(self, site: str, path: str, query: str) -> _Response | None:
        meta = self._raw[site]
        site_dir = Path(meta["_dir"])
        for name in path_candidates(path, query):
            with self._lock:
                hit = self._overlay[site].get(name)
            if hit is not None:
                body, when = hit
            else:
                file = (site_dir / name).resolve()
                if site_dir.resolve() not in file.parents or not file.is_file():
                    continue
                if name == "site.json" or name.startswith("_"):
                    continue
                body = file.read_bytes()
                when = self._file_time(meta, "/" + name)
            ctype = content_type_for(name)
            if ctype.startswith(
                ("text/", "application/xml", "application/json", "application/rss")
            ):
                body = self._fill(site, body.decode("utf-8")).encode("utf-8")
            return _Response(200, body, ctype, when)
        return None

    def _file_time(self, meta: dict, file_path: str) -> datetime:
        """A fixed Last-Modified: the article's modified/published time, a per-file entry of
        site.json `last_modified_files`, or the site's `last_modified`."""
        per_file = meta.get("last_modified_files", {})
        if file_path in per_file:
            return parse_time(per_file[file_path])
        name = file_path.lstrip("/")
        for a in meta["articles"]:
            if name in path_candidates(a["path"]):
                return _item_time(a)
        return parse_time(meta.get("last_modified"))

    # -- generated routes ----------------------------------------------------------------

    def _articles(self, site: str, route: dict | None = None) -> list[dict]:
        with self._lock:
            items = [dict(a) for a in self._raw[site]["articles"]]
        if route:
            if route.get("category"):
                items = [a for a in items if a.get("category") == route["category"]]
            if route.get("tag"):
                items = [a for a in items if route["tag"] in a.get("tags", [])]
            if not route.get("include_hidden"):
                items = [a for a in items if not a.get(f"hide_from_{route['kind']}")]
        return items

    def _latest(self, site: str, items: list[dict]) -> datetime:
        if not items:
            return parse_time(self._raw[site].get("last_modified"))
        return max(_item_time(a) for a in items)

    def _shell(self, site: str, route: dict) -> str | None:
        name = route.get("shell", self._raw[site].get("listing_shell"))
        if not name:
            return None
        return (Path(self._raw[site]["_dir"]) / name).read_text(encoding="utf-8")

    def _route(self, site: str, path: str, query: str) -> _Response | None:
        params = dict(parse_qsl(query))
        for route in self._raw[site]["routes"]:
            kind = route["kind"]
            rpath = route["path"]
            page = 1
            if kind in ("listing", "home"):
                paging = route.get("paging", "path")
                if paging == "path":
                    m = re.fullmatch(re.escape(rpath.rstrip("/")) + r"/page/(\d+)/?", path)
                    if m:
                        page = int(m.group(1))
                    elif path != rpath:
                        continue
                else:
                    if path != rpath:
                        continue
                    page_param = route.get("page_param", "page")
                    if page_param in params:
                        if not params[page_param].isdigit():
                            continue
                        page = int(params[page_param])
                return self._listing(site, route, page)
            if path != rpath:
                continue
            if kind == "search":
                continue
            items = self._articles(site, route)
            when = self._latest(site, items)
            if kind == "rss":
                limit = route.get("limit", 20)
                text = render_rss(
                    self._raw[site],
                    items[:limit],
                    route.get("title", self._raw[site].get("title", site)),
                    BASE_TOKEN + rpath,
                )
                return self._text(site, text, RSS_TYPE, when)
            if kind == "sitemap":
                return self._text(site, render_sitemap(items), XML_TYPE, when)
            if kind == "news_sitemap":
                return self._text(site, render_news_sitemap(self._raw[site], items), XML_TYPE, when)
            if kind == "sitemap_index":
                lastmod = when.isoformat()
                return self._text(
                    site, render_sitemap_index(route["sitemaps"], lastmod), XML_TYPE, when
                )
        return None

    def _listing(self, site: str, route: dict, page: int) -> _Response | None:
        items = self._articles(site, route)
        per = route.get("per_page", 10)
        pages = max(1, -(-len(items) // per))
        if page < 1 or page > pages:
            return _Response(404, b"<html><body><h1>404 Not Found</h1></body></html>", HTML_TYPE)
        rpath = route["path"]

        def page_url(n: int) -> str:
            if n == 1:
                return BASE_TOKEN + rpath
            if route.get("paging", "path") == "path":
                return f"{BASE_TOKEN}{rpath.rstrip('/')}/page/{n}/"
            return f"{BASE_TOKEN}{rpath}?{route.get('page_param', 'page')}={n}"

        chunk = items[(page - 1) * per : page * per]
        title = route.get("title", self._raw[site].get("title", site))
        if page > 1:
            title = f"{title} - Halaman {page}"
        text = render_listing(
            self._raw[site],
            self._shell(site, route),
            title,
            chunk,
            page_url(page - 1) if page > 1 else None,
            page_url(page + 1) if page < pages else None,
            page,
            pages,
            page_url,
        )
        return self._text(site, text, HTML_TYPE, self._latest(site, chunk or items))

    def _search(self, site: str, path: str, query: str) -> _Response | None:
        params = dict(parse_qsl(query, keep_blank_values=True))
        for route in self._raw[site]["routes"]:
            if route["kind"] != "search" or route["path"] != path:
                continue
            term = params.get(route.get("param", "s"))
            if term is None:
                continue
            hits = self._search_hits(site, term)
            when = self._latest(site, hits)
            feed_param, feed_value = (
                route.get("feed_param", "feed"),
                route.get("feed_value", "rss2"),
            )
            if params.get(feed_param) == feed_value:
                title = f"{self._raw[site].get('title', site)} - Hasil pencarian \u201c{term}\u201d"
                self_url = BASE_TOKEN + path + "?" + f"s={quote(term)}&feed={feed_value}"
                return self._text(
                    site, render_rss(self._raw[site], hits, title, self_url), RSS_TYPE, when
                )
            text = render_listing(
                self._raw[site],
                self._shell(site, route),
                f"Hasil pencarian untuk: {term}",
                hits,
                None,
                None,
                1,
                1,
            )
            return self._text(site, text, HTML_TYPE, when)
        return None

    def _search_hits(self, site: str, term: str) -> list[dict]:
        """Articles whose served page contains every word of `term` (case-insensitive), as a
        WordPress search over post content would: boilerplate mentions count too."""
        words = [w for w in re.split(r"\s+", term.lower()) if w]
        hits = []
        for a in self._articles(site):
            found = self._static(site, a["path"], "")
            text = found.body.decode("utf-8", "replace").lower() if found else ""
            text = re.sub(r"<[^>]+>", " ", text)
            if words and all(w in text for w in words):
                hits.append(a)
        return hits


def sources_yaml(web: FixtureWeb) -> str:
    """A sources.yaml text with one source per running site and its real loopback URLs."""
    import yaml

    entries = []
    for name in sorted(web.sites):
        meta = web.sites[name]
        entry: dict[str, Any] = {"name": name, "url": web.urls[name]}
        for key in ("region", "template"):
            if meta.get(key):
                entry[key] = meta[key]
        for key in ("feeds", "sitemaps", "listings"):
            if meta.get(key):
                entry[key] = list(meta[key])
        for key in ("search_url", "article_url_pattern"):
            if meta.get(key):
                entry[key] = meta[key]
        entries.append(entry)
    header = "# Generated by pantau.fixtureweb for the loopback sample sites.\n"
    return header + yaml.safe_dump({"sources": entries}, sort_keys=False, allow_unicode=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pantau.fixtureweb", description="Serve the sample news sites on loopback."
    )
    parser.add_argument("--root", default=None, help="folder of site folders (default: bundled)")
    parser.add_argument("--print-sources", action="store_true", help="print a sources.yaml")
    args = parser.parse_args(argv)
    web = FixtureWeb(args.root)
    web.start()
    try:
        for name, url in web.urls.items():
            print(f"{name:20s} {url}", flush=True)
        if args.print_sources:
            print(sources_yaml(web), flush=True)
        print("Ctrl-C to stop.", file=sys.stderr, flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        web.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
