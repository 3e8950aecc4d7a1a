"""Finding article URLs: feeds, sitemaps, robots.txt, listing pages and their pagination.

Pure functions over bytes/str so they are tested on real pages without a crawler. Malformed
input raises `DiscoveryError` (the spider logs and counts it, and the run goes on); a feed that
lxml can only read in recovery mode still yields its links, flagged `salvaged`.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import lxml.etree as etree
import lxml.html

# Dates have one grammar (months, weekdays, zones, relative phrases, the WIB rule for a naive
# time), shared with article extraction: never a table of their own here.
from pantau.pipeline.dates import parse_feed_date, parse_listing_date, parse_timestamp

MAX_XML_BYTES = 20 * 1024 * 1024  # inflated; config.settings PANTAU_SITEMAP_MAX_BYTES
MAX_SITEMAP_ENTRIES = 50_000  # the sitemap protocol's own limit; PANTAU_SITEMAP_MAX_ENTRIES
_CHUNK = 64 * 1024


class DiscoveryError(ValueError):
    """A feed, sitemap or page that cannot be read at all."""


@dataclass
class Entry:
    """One URL found by discovery, with the date the source gave for it (if any)."""

    url: str
    date: datetime | None = None
    title: str | None = None
    # when the source says the item last changed (Atom <updated>, RSS atom:updated/dc:modified,
    # sitemap <lastmod> beside a news publication date): a newer one means an edit to fetch
    modified: datetime | None = None


@dataclass
class FeedResult:
    entries: list[Entry]
    salvaged: bool = False  # parsed only in lxml recovery mode: count as an error, keep links


@dataclass
class SitemapResult:
    kind: str  # "urlset" | "index"
    entries: list[Entry] = field(default_factory=list)
    salvaged: bool = False
    cut: str | None = None  # why entries were left out: "too_large" or "entries"
    cut_detail: str = ""  # the same in words, for the log


# --------------------------------------------------------------------------- XML helpers


def maybe_gunzip(body: bytes, max_size: int = MAX_XML_BYTES) -> bytes:
    """Sitemaps are often served as .xml.gz files (not Content-Encoding): inflate, bounded."""
    if body[:2] != b"\x1f\x8b":
        return body
    out = io.BytesIO()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as gz:
            while chunk := gz.read(65536):
                out.write(chunk)
                if out.tell() > max_size:
                    raise DiscoveryError(f"gzipped body inflates past {max_size} bytes")
    except (OSError, EOFError) as exc:
        raise DiscoveryError(f"bad gzip data: {exc}") from None
    return out.getvalue()


def _parse_xml(body: bytes) -> tuple[etree._Element, bool]:
    body = maybe_gunzip(body).lstrip()
    if not body:
        raise DiscoveryError("empty document")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        return etree.fromstring(body, parser), False
    except etree.XMLSyntaxError:
        pass
    recover = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
    try:
        root = etree.fromstring(body, recover)
    except etree.XMLSyntaxError as exc:
        raise DiscoveryError(f"not XML: {exc}") from None
    if root is None:
        raise DiscoveryError("not XML")
    return root, True


def _local(tag: object) -> str:
    """`{namespace}name` -> `name`, lower-cased ("" for comments and processing instructions)."""
    return tag.rpartition("}")[2].lower() if isinstance(tag, str) else ""


def _child_text(el: etree._Element, *names: str) -> str | None:
    for child in el:
        if _local(child.tag) in names and (child.text or "").strip():
            return child.text.strip()
    return None


# --------------------------------------------------------------------------- feeds


def parse_feed(body: bytes, base_url: str) -> FeedResult:
    """Links and dates of an RSS 2.0, RSS 1.0 (RDF) or Atom feed."""
    root, salvaged = _parse_xml(body)
    kind = _local(root.tag)
    if kind not in ("rss", "rdf", "feed", "channel"):
        raise DiscoveryError(f"not a feed (root element <{kind}>)")
    entries: list[Entry] = []
    for el in root.iter():
        name = _local(el.tag)
        if name == "item":
            link = _child_text(el, "link")
            if not link:
                guid = [c for c in el if _local(c.tag) == "guid"]
                if guid and guid[0].get("isPermaLink", "true") != "false":
                    link = (guid[0].text or "").strip() or None
            date = parse_feed_date(_child_text(el, "pubdate", "date", "published", "updated"))
            modified = parse_feed_date(_child_text(el, "updated", "modified"))
        elif name == "entry":
            link = None
            for c in el:
                if _local(c.tag) == "link" and c.get("rel", "alternate") == "alternate":
                    link = c.get("href")
                    break
            date = parse_feed_date(_child_text(el, "published", "updated", "issued"))
            modified = parse_feed_date(_child_text(el, "updated", "modified"))
        else:
            continue
        if link and re.match(r"^(https?:)?//|^/", link.strip()):
            entries.append(
                Entry(urljoin(base_url, link.strip()), date, _child_text(el, "title"), modified)
            )
    if not entries and salvaged:
        raise DiscoveryError("malformed feed with no readable items")
    return FeedResult(entries, salvaged)


def feed_links_from_html(html: str, base_url: str) -> list[str]:
    """Feeds a page announces with <link rel="alternate" type="application/rss+xml">."""
    doc = _html(html)
    if doc is None:
        return []
    out: list[str] = []
    for link in doc.xpath("//link[@href]"):
        rel = (link.get("rel") or "").lower().split()
        typ = (link.get("type") or "").lower()
        if "alternate" in rel and typ in ("application/rss+xml", "application/atom+xml"):
            url = urljoin(base_url, link.get("href").strip())
            # comment feeds are not news
            if not re.search(r"/comments/feed/?$|[?&]feed=comments", url) and url not in out:
                out.append(url)
    return out


# --------------------------------------------------------------------------- sitemaps


def _inflated_chunks(body: bytes):
    """The document in chunks: a gzip body (sitemaps are often .xml.gz files, not
    Content-Encoding) is inflated as it is read, so nothing holds the whole inflated text."""
    if body[:2] != b"\x1f\x8b":
        for i in range(0, len(body), _CHUNK):
            yield body[i : i + _CHUNK]
        return
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    data = body
    while data:
        try:
            out = inflater.decompress(data, _CHUNK)
        except zlib.error as exc:
            raise DiscoveryError(f"bad gzip data: {exc}") from None
        data = inflater.unconsumed_tail
        if out:
            yield out
        if inflater.eof:  # a second gzip member is not read: sitemaps are one member
            return
    out = inflater.flush()
    if out:
        yield out


def _sitemap_entry(el: etree._Element, base_url: str) -> Entry | None:
    loc = _child_text(el, "loc")
    if not loc:
        return None
    url = loc if loc.startswith(("http://", "https://")) else urljoin(base_url, loc)
    if not url.lower().startswith(("http://", "https://")):
        return None  # file://, ftp://, data: ... in a sitemap is hostile or broken, never fetched
    lastmod = date = parse_timestamp(_child_text(el, "lastmod"))
    title = None
    for sub in el.iter():
        if _local(sub.tag) == "news":
            date = parse_timestamp(_child_text(sub, "publication_date")) or date
            title = _child_text(sub, "title")
    return Entry(url, date, title, lastmod)  # lastmod: what the spider compares for edits


def _stream_sitemap(
    body: bytes, base_url: str, max_bytes: int, max_entries: int, recover: bool
) -> SitemapResult:
    parser = etree.XMLPullParser(
        events=("end",), resolve_entities=False, no_network=True, huge_tree=False, recover=recover
    )
    result = SitemapResult("", salvaged=recover)
    root: etree._Element | None = None
    child_tag = ""

    def take(events) -> bool:  # False once max_entries entries are read
        nonlocal root, child_tag
        for _event, el in events:
            if root is None:
                root = el.getroottree().getroot()
                result.kind = _local(root.tag)
                if result.kind not in ("urlset", "sitemapindex"):
                    raise DiscoveryError(f"not a sitemap (root element <{result.kind}>)")
                child_tag = "url" if result.kind == "urlset" else "sitemap"
            if el.getparent() is not root or _local(el.tag) != child_tag:
                continue
            entry = _sitemap_entry(el, base_url)
            el.clear()
            while el.getprevious() is not None:  # read entries leave the tree: memory stays flat
                del root[0]
            if entry is None:
                continue
            if len(result.entries) >= max_entries:
                result.cut = "entries"
                result.cut_detail = f"over {max_entries} entries: the rest not read"
                return False
            result.entries.append(entry)
        return True

    size = 0
    started = False
    for chunk in _inflated_chunks(body):
        if not started:
            chunk = chunk.lstrip()
            if not chunk:
                continue
            started = True
        size += len(chunk)
        if size > max_bytes:
            result.cut = "too_large"
            result.cut_detail = f"over {max_bytes} bytes of XML once inflated: the rest not read"
            break
        parser.feed(chunk)
        if not take(parser.read_events()):
            break
    if not started:
        raise DiscoveryError("empty document")
    if result.cut is None:
        last = parser.close()
        take(parser.read_events())
        if root is None and last is not None:
            result.kind = _local(last.tag)
            if result.kind not in ("urlset", "sitemapindex"):
                raise DiscoveryError(f"not a sitemap (root element <{result.kind}>)")
    if root is None and result.kind not in ("urlset", "sitemapindex"):
        raise DiscoveryError(f"no sitemap read ({result.cut_detail or 'not XML'})")
    result.kind = "urlset" if result.kind == "urlset" else "index"
    return result


def parse_sitemap(
    body: bytes,
    base_url: str,
    *,
    max_bytes: int = MAX_XML_BYTES,
    max_entries: int = MAX_SITEMAP_ENTRIES,
) -> SitemapResult:
    """A sitemap <urlset> (with Google News publication dates) or a <sitemapindex>.

    Read as a stream: gzip is inflated chunk by chunk and each entry leaves the tree once read,
    so memory stays flat whatever the document's size. Reading stops past `max_bytes` of XML
    or `max_entries` entries (`cut` says which; the entries read so far are returned), so
    neither a gzip bomb nor a million <loc>s costs more than the caps. A document that is not
    well-formed is read again in lxml's recovery mode and flagged `salvaged`.
    """
    try:
        return _stream_sitemap(body, base_url, max_bytes, max_entries, recover=False)
    except etree.XMLSyntaxError:
        pass
    try:
        result = _stream_sitemap(body, base_url, max_bytes, max_entries, recover=True)
    except etree.XMLSyntaxError as exc:
        raise DiscoveryError(f"not XML: {exc}") from None
    if not result.entries:
        raise DiscoveryError("malformed sitemap with no readable entries")
    return result


def sitemaps_from_robots(text: str, base_url: str) -> list[str]:
    """`Sitemap:` lines of a robots.txt, in order."""
    out: list[str] = []
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "sitemap" and value.strip():
            url = urljoin(base_url, value.strip())
            if url not in out:
                out.append(url)
    return out


# --------------------------------------------------------------------------- HTML pages


def _html(html: str) -> lxml.html.HtmlElement | None:
    if not html or not html.strip():
        return None
    try:
        return lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        try:
            return lxml.html.document_fromstring(html.encode("utf-8", "replace"))
        except (etree.ParserError, ValueError):
            return None


def same_site(url: str, base_url: str) -> bool:
    """Same host, ignoring www. and m. prefixes."""
    a = (urlsplit(url).hostname or "").lower()
    b = (urlsplit(base_url).hostname or "").lower()
    strip = re.compile(r"^(www|m|amp|mobile)\.")
    return bool(a) and strip.sub("", a) == strip.sub("", b)


def _nearby_date(a: lxml.html.HtmlElement, now: datetime | None) -> datetime | None:
    """The date printed next to a listing link: inside the link, or in its item container."""
    node = a
    for _ in range(4):
        for t in node.xpath(".//time[@datetime]"):
            d = parse_timestamp(t.get("datetime"))
            if d:
                return d
        text = " ".join(node.itertext())  # spaced: "Kota<span>12 Mei 2024" is two words
        if len(text) > 600:
            break
        d = parse_listing_date(text, now)
        if d:
            return d
        parent = node.getparent()
        if parent is None or len(parent.xpath(".//a[@href]")) > 6:
            break
        node = parent
    return None


def page_links(
    html: str,
    base_url: str,
    now: datetime | None = None,
    same: Callable[[str, str], bool] | None = None,
) -> list[Entry]:
    """Every same-site link of a page, in document order, with a date found next to it.

    Callers filter them by the template's article URL rules. `now` lets relative dates
    ("3 jam lalu") resolve; without it they are left undated. `same(url, base)` says which
    hosts belong to the site (default: the same host, ignoring www./m.).
    """
    same = same or same_site
    doc = _html(html)
    if doc is None:
        return []
    base = doc.xpath("//base[@href]/@href")
    base_url = urljoin(base_url, base[0].strip()) if base else base_url
    seen: dict[str, Entry] = {}
    for a in doc.xpath("//body//a[@href]"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "whatsapp:")):
            continue
        url = urljoin(base_url, href).split("#", 1)[0]
        if not url.startswith(("http://", "https://")) or not same(url, base_url):
            continue
        if url in seen:
            if seen[url].date is None:
                seen[url].date = _nearby_date(a, now)
            continue
        title = " ".join(a.text_content().split()) or a.get("title")
        seen[url] = Entry(url, _nearby_date(a, now), title)
    return list(seen.values())


_NEXT_TEXT = re.compile(
    r"^(next|selanjutnya|berikutnya|lanjut|older|sebelumnya ?»|›|»|>|>>|→)\b|^[›»>→]+$", re.I
)


_PAGE_QUERY_KEYS = ("page", "paged", "halaman", "hal")
_PATH_PAGE_RE = re.compile(r"/(?:page|halaman|hal)/(\d+)/?$")
# A bare trailing number is a page too (/terkini/2, /kanal/daerah/3), but not a date
# archive (/2024/03/) nor an id (/berita/412345).
_BARE_PAGE_RE = re.compile(r"/([a-z][a-z0-9_-]*)/(\d{1,3})/?$", re.I)


def current_page_number(url: str) -> int:
    """The page a listing URL shows: ?page=N / ?paged=N / .../page/N/ / .../section/N ; 1 if
    none."""
    parts = urlsplit(url)
    for k, v in parse_qsl(parts.query):
        if k.lower() in _PAGE_QUERY_KEYS and v.isdigit():
            return int(v)
    m = _PATH_PAGE_RE.search(parts.path) or _BARE_PAGE_RE.search(parts.path)
    return int(m.group(m.lastindex)) if m else 1


def listing_base(url: str) -> str:
    """A listing URL without its page part: what every page of the listing shares."""
    parts = urlsplit(url)
    q = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
         if k.lower() not in _PAGE_QUERY_KEYS]  # fmt: skip
    path = _PATH_PAGE_RE.sub("", parts.path)
    if path == parts.path:
        m = _BARE_PAGE_RE.search(path)
        if m:
            path = path[: m.start(2) - 1]
    return urlunsplit(("", parts.netloc.lower(), path.rstrip("/"), urlencode(sorted(q)), ""))


def next_page_url(html: str, url: str) -> str | None:
    """The next page of a listing: rel=next, a "Next/Selanjutnya/»" link, or the link to page
    N+1 in a numbered pager (".../page/N+1/", "?page=N+1")."""
    doc = _html(html)
    if doc is None:
        return None
    for el in doc.xpath("//link[@rel='next'][@href] | //a[@rel='next'][@href]"):
        return urljoin(url, el.get("href").strip())
    n = current_page_number(url)
    want = n + 1
    base = listing_base(url)
    candidates: list[str] = []
    for a in doc.xpath("//body//a[@href]"):
        href = urljoin(url, a.get("href").strip()).split("#", 1)[0]
        if not same_site(href, url) or href == url or listing_base(href) != base:
            continue
        text = " ".join(a.text_content().split())
        if current_page_number(href) == want and (
            text == str(want) or _NEXT_TEXT.search(text) or "next" in (a.get("class") or "")
        ):
            return href
        if current_page_number(href) == want:
            candidates.append(href)
    return candidates[0] if candidates else None
