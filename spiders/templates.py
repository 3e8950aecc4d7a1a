"""Per-family site adapters: what an article URL looks like, which URLs are never articles,
the single-page view of multi-page articles, their page links, and site search.

A new family is one more small subclass registered in TEMPLATES; `generic` must work on any
news site, so its rules are structural (dates and ids in paths, hyphenated slugs), not names
copied from one outlet.
"""

from __future__ import annotations

import re
from typing import ClassVar
from urllib.parse import parse_qsl, quote_plus, urlencode, urljoin, urlsplit, urlunsplit

from lxml import etree

from pantau.pipeline.canonical import canonicalize_url, registrable_domain
from pantau.spiders.discovery import _html, same_site

# Path segments that mark index pages (home sections, tags, authors, search, galleries).
NONARTICLE_SEGMENTS = frozenset(
    {
        "tag", "tags", "topik", "topic", "topics", "category", "categories", "kategori", "kanal",
        "rubrik", "author", "authors", "penulis", "reporter", "editor", "search", "cari",
        "pencarian", "indeks", "index", "terkini", "terpopuler", "populer", "archive", "arsip",
        "page", "halaman", "feed", "rss", "sitemap", "login", "register", "wp-admin",
        "wp-content", "wp-includes", "wp-json", "amp-stories", "about", "tentang-kami",
        "redaksi", "kontak", "contact", "pedoman-media-siber", "disclaimer", "privacy-policy",
        "kebijakan-privasi", "iklan", "karir", "subscribe", "epaper", "e-paper",
        # the static pages every Indonesian news site has (Dewan Pers rules, ads, staff)
        "pedoman-pemberitaan-media-siber", "kode-etik-jurnalistik", "syarat-dan-ketentuan",
        "ketentuan-layanan", "hubungi-kami", "susunan-redaksi", "info-iklan", "tentang",
        "standar-perlindungan-profesi-wartawan", "sitemap.xml", "users", "user", "member",
    }
)  # fmt: skip
# Sections of photo and video stories. The section itself ("/foto", "/video?page=2",
# "/galeri/daerah") is a gallery index; a story under it ("/foto/2024/03/06/slug",
# "/video/412290/slug", "/readfoto/123/slug") is an article candidate like any other: a photo
# story about the topic is a story about the topic.
MEDIA_SEGMENTS = frozenset(
    {"foto", "photo", "photos", "galeri", "gallery", "galleries", "video", "videos", "readfoto",
     "foto-news", "photo-news", "fotografi", "multimedia", "tv"}
)  # fmt: skip
# What names one story after a media segment: a numeric id or a slug of two or more words.
MEDIA_STORY_RE = re.compile(r"^(?:\d{5,}|[a-z0-9]+(?:-[a-z0-9]+)+)(?:\.html?)?$", re.I)
# Static-page slugs that start with a word of this set are service pages, whatever follows
# ("info-iklan-dan-kerja-sama-media", "kebijakan-privasi-dan-cookie").
STATIC_PREFIXES = ("info-iklan", "kebijakan-privasi", "syarat-dan-ketentuan", "pedoman-media",
                   "pedoman-pemberitaan", "tentang-kami", "hubungi-kami")  # fmt: skip
# Path segments of section and index pages worth following when a site has no feed/sitemap.
LISTING_SEGMENTS = frozenset(
    {"kategori", "category", "kanal", "rubrik", "section", "sections", "indeks", "index",
     "index-news", "indeks-berita", "terkini", "berita-terkini", "terbaru", "berita-terbaru"}
)  # fmt: skip
# WordPress marks a static page (not a post) in <body class>: "page page-id-12".
WP_PAGE_BODY_RE = re.compile(r"(?:^|\s)page-id-\d+(?:\s|$)")
WP_POST_BODY_RE = re.compile(r"(?:^|\s)(?:single|postid-\d+|single-post)(?:\s|$)")
ASSET_RE = re.compile(
    r"\.(jpe?g|png|gif|webp|svg|ico|pdf|docx?|xlsx?|pptx?|zip|rar|mp[34]|m4a|avi|mov|css|js|xml|json|txt)$",
    re.I,
)
DATE_PATH_RE = re.compile(r"/(19|20)\d{2}/[01]?\d/[0-3]?\d/")
SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+){3,}", re.I)  # four or more hyphenated words
SHORT_SLUG_RE = re.compile(r"[a-z]+(?:-[a-z0-9]+)+", re.I)  # with an id, two words will do
ID_RE = re.compile(r"(?:^|[/-])\d{5,}(?:[/-]|$|\.html?)")


class Template:
    """The generic adapter, base of the others."""

    name: ClassVar[str] = "generic"
    article_re: ClassVar[re.Pattern[str] | None] = None
    single_page_param: ClassVar[tuple[str, str] | None] = None  # e.g. ("page", "all")

    def __init__(self, article_url_pattern: str | None = None):
        self.custom_re = re.compile(article_url_pattern) if article_url_pattern else None

    # ---- URL rules

    def is_nonarticle_url(self, url: str) -> bool:
        """Index, tag, search, author, gallery-index, asset and service URLs."""
        parts = urlsplit(url)
        path = parts.path.lower()
        if path in ("", "/") or ASSET_RE.search(path):
            return True
        segments = [s for s in path.split("/") if s]
        if any(s in NONARTICLE_SEGMENTS for s in segments[:-1]):
            return True
        if segments and segments[-1] in NONARTICLE_SEGMENTS:
            return True
        if len(segments) == 1 and segments[0].startswith(STATIC_PREFIXES):
            return True
        if is_gallery_index(segments):
            return True
        query = dict(parse_qsl(parts.query))
        return "s" in query or "q" in query or "tag" in query or "cat" in query

    def is_article_url(self, url: str) -> bool:
        """Does this URL name a single article? `article_url_pattern` wins when configured."""
        if self.custom_re is not None:
            return bool(self.custom_re.search(url))
        if self.is_nonarticle_url(url):
            return False
        if self.article_re is not None:
            return bool(self.article_re.search(url))
        return self.generic_article_url(url)

    @staticmethod
    def generic_article_url(url: str) -> bool:
        path = urlsplit(url).path
        segments = [s for s in path.split("/") if s]
        if not segments:
            return False
        last = segments[-1]
        if DATE_PATH_RE.search(path + "/") and len(segments) >= 4:
            return True
        if ID_RE.search(path) and any(SHORT_SLUG_RE.search(s) for s in segments):
            return True
        if re.search(r"/(read|berita|news|artikel|post)/\d+", path, re.I):
            return True
        return bool(SLUG_RE.fullmatch(re.sub(r"\.html?$", "", last)))

    def same_site(self, url: str, base_url: str) -> bool:
        """Which links belong to the source: the same host (ignoring www./m./amp.)."""
        return same_site(url, base_url)

    def is_listing_url(self, url: str) -> bool:
        """A section/index page (`/kategori/x`, `/indeks`, `/terkini`) worth following when
        the site offers neither feed nor sitemap."""
        parts = urlsplit(url)
        segments = [s for s in parts.path.lower().split("/") if s]
        if not segments or ASSET_RE.search(parts.path) or "s" in dict(parse_qsl(parts.query)):
            return False
        return segments[0] in LISTING_SEGMENTS and len(segments) <= 3

    def page_signal(self, html: str) -> str | None:
        """A family's own page-level sign that a fetched page is not an article (None: no
        opinion). WordPress says so in <body class> on every theme: "page page-id-N" for a
        static page, "single postid-N" for a post."""
        m = re.search(r"<body[^>]*\bclass\s*=\s*[\"']([^\"']*)", html[:200000], re.I)
        if m and WP_PAGE_BODY_RE.search(m.group(1)) and not WP_POST_BODY_RE.search(m.group(1)):
            return "static"
        return None

    # ---- multi-page articles

    def single_page_url(self, url: str) -> str | None:
        """URL of the whole article on one page, when the family has such a view."""
        if self.single_page_param is None:
            return None
        key, value = self.single_page_param
        parts = urlsplit(url)
        q = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != key]
        q.append((key, value))
        return urlunsplit(parts._replace(query=urlencode(q), fragment=""))

    def article_page_urls(self, html: str | etree._Element, url: str) -> list[str]:
        """Pages 2..n of a multi-page article, in order (empty for a one-page article).

        A page link is a link to the same article with a page number: `?page=N` (or halaman,
        hal, paged), a trailing `/N/` path segment (WordPress `<!--nextpage-->`), or `rel=next`.
        """
        doc = html if isinstance(html, etree._Element) else _html(html)
        if doc is None:
            return []
        base = first_page_url(url)
        found: dict[int, str] = {}
        for a in doc.xpath("//body//a[@href] | //link[@rel='next'][@href]"):
            raw = (a.get("href") or "").strip()
            if not _PAGE_LINK_HINT.search(raw):  # most of a page's hundreds of links: cheap no
                continue
            href = urljoin(url, raw).split("#", 1)[0]
            if not same_site(href, url):
                continue
            n = page_number(href)
            if n is None or n < 2 or n > 50:
                continue
            if canonicalize_url(first_page_url(href)) == canonicalize_url(base):
                found.setdefault(n, href)
        if not found:
            return []
        # a pager shows every page, or at least a "next" link: fill gaps up to the last one
        last = max(found)
        out = []
        for n in range(2, last + 1):
            out.append(found.get(n) or _with_page_like(found[last], last, n))
        return out

    # ---- search and feeds

    def search_urls(self, home: str, term: str, search_url: str | None) -> list[tuple[str, str]]:
        """(url, kind) pairs asking the site's own search for `term`; kind is search or feed."""
        out: list[tuple[str, str]] = []
        if search_url:
            out.append((search_url.replace("{query}", quote_plus(term)), "search"))
        return out

    def default_feeds(self, home: str) -> list[str]:
        """Feed URLs worth trying when none is configured or announced."""
        return []

    # Sitemaps tried in turn when robots.txt names none: the common name, then Yoast/Rank
    # Math's index, then the WordPress core sitemap (WP 5.5+), each only if the one before
    # is missing.
    fallback_sitemap_paths: ClassVar[tuple[str, ...]] = (
        "/sitemap.xml",
        "/sitemap_index.xml",
        "/wp-sitemap.xml",
    )

    def fallback_sitemaps(self, home: str) -> list[str]:
        return [urljoin(home, p) for p in self.fallback_sitemap_paths]


class WordPress(Template):
    name = "wordpress"

    def is_article_url(self, url: str) -> bool:
        if self.custom_re is not None:
            return bool(self.custom_re.search(url))
        parts = urlsplit(url)
        if re.fullmatch(r"p=\d+", parts.query):
            return True
        if self.is_nonarticle_url(url):
            return False
        segments = [s for s in parts.path.split("/") if s]
        if segments and segments[-1].isdigit() and len(segments) > 1:  # /slug/2/ page view
            segments = segments[:-1]
        if not segments:
            return False
        return bool(DATE_PATH_RE.search(parts.path)) or bool(
            SLUG_RE.fullmatch(re.sub(r"\.html?$", "", segments[-1]))
        )

    def search_urls(self, home: str, term: str, search_url: str | None) -> list[tuple[str, str]]:
        out = super().search_urls(home, term, search_url)
        base = home if home.endswith("/") else home + "/"
        q = quote_plus(term)
        out.append((f"{base}?s={q}&feed=rss2", "feed"))
        out.append((f"{base}?s={q}", "search"))
        return out

    def default_feeds(self, home: str) -> list[str]:
        return [urljoin(home, "/feed/")]


class Tribun(Template):
    """Tribun Network (tribunnews.com and its regional subdomains): /YYYY/MM/DD/slug,
    single-page view ?page=all, AMP under /amp/."""

    name = "tribun"
    article_re = re.compile(r"/(?:amp/)?(?:[a-z-]+/)?(19|20)\d{2}/\d{2}/\d{2}/[a-z0-9-]{8,}", re.I)
    single_page_param = ("page", "all")
    fallback_sitemap_paths = ("/sitemap.xml",)

    def is_nonarticle_url(self, url: str) -> bool:
        path = urlsplit(url).path.lower()
        if re.search(r"/(tag|topic|index-news|tribunners|superskor)(/|$)", path):
            return True
        return super().is_nonarticle_url(url)

    def default_feeds(self, home: str) -> list[str]:
        return [urljoin(home, "/rss")]


class Kompas(Template):
    """Kompas: sections live on subdomains (regional.kompas.com), /read/[xml/]YYYY/MM/DD/id/."""

    name = "kompas"
    fallback_sitemap_paths = ("/sitemap.xml",)
    article_re = re.compile(r"/read/(?:xml/)?(19|20)\d{2}/\d{2}/\d{2}/\d+", re.I)
    single_page_param = ("page", "all")

    def same_site(self, url: str, base_url: str) -> bool:
        return registrable_domain(url) == registrable_domain(base_url)


class Antara(Template):
    """Antara national and regional sites: /berita/<id>/<slug>; photo and video stories under
    /foto/<id>/<slug> and /video/<id>/<slug>."""

    name = "antara"
    # /foto/<id>/slug and /video/<id>/slug are photo and video stories: articles too
    article_re = re.compile(r"/(?:berita|foto|video)/\d{3,}/[a-z0-9-]+", re.I)
    fallback_sitemap_paths = ("/sitemap.xml",)

    def default_feeds(self, home: str) -> list[str]:
        return [urljoin(home, "/rss/terkini.xml")]


class Detik(Template):
    name = "detik"
    fallback_sitemap_paths = ("/sitemap.xml",)
    article_re = re.compile(r"/d-\d{5,}/|/read/(19|20)\d{2}/\d{2}/\d{2}/\d+", re.I)

    def single_page_url(self, url: str) -> str | None:
        parts = urlsplit(url)
        q = [(k, v) for k, v in parse_qsl(parts.query) if k != "single"] + [("single", "1")]
        return urlunsplit(parts._replace(query=urlencode(q), fragment=""))


class Blogger(Template):
    """Blogger / Blogspot, on *.blogspot.com or a custom domain (kabupaten and dinas news very
    often is). Posts live at /YYYY/MM/slug.html; /p/slug.html is a static page; /YYYY/ and
    /YYYY/MM/ are archive pages; /search, /search/label/X and the older-posts link
    (/search?updated-max=...) are listings that every Blogger robots.txt disallows, so the
    feed (/feeds/posts/default, ?alt=rss) and the sitemap index (/sitemap.xml ->
    sitemap.xml?page=N) carry discovery. `?m=1` is the mobile view of the same page."""

    name = "blogger"
    post_path_re = re.compile(r"^/(?:19|20)\d{2}/[01]\d/[^/]+\.html$", re.I)
    archive_path_re = re.compile(
        r"^/(?:19|20)\d{2}(?:/[01]\d(?:/[0-3]\d)?)?/?$|_archive\.html$", re.I
    )
    fallback_sitemap_paths = ("/sitemap.xml",)

    def is_nonarticle_url(self, url: str) -> bool:
        path = urlsplit(url).path.lower()
        if path.startswith(("/search", "/p/", "/feeds/")) or self.archive_path_re.search(path):
            return True
        return super().is_nonarticle_url(url)

    def is_article_url(self, url: str) -> bool:
        """A post: /YYYY/MM/slug.html, whatever the query (`?m=1`, `?showComment=`)."""
        if self.custom_re is not None:
            return bool(self.custom_re.search(url))
        return bool(self.post_path_re.match(urlsplit(url).path))

    def is_listing_url(self, url: str) -> bool:
        """The older-posts pages and archive months (robots.txt decides if they are read)."""
        parts = urlsplit(url)
        if parts.path == "/search" and "updated-max" in parts.query:
            return True
        return bool(self.archive_path_re.search(parts.path)) or super().is_listing_url(url)

    def default_feeds(self, home: str) -> list[str]:
        return [urljoin(home, "/feeds/posts/default?alt=rss")]


TEMPLATES: dict[str, type[Template]] = {
    t.name: t for t in (Template, WordPress, Tribun, Kompas, Antara, Detik, Blogger)
}


def get_template(name: str | None, article_url_pattern: str | None = None) -> Template:
    """The adapter for a `template:` value; unknown names fall back to generic."""
    return TEMPLATES.get(name or "generic", Template)(article_url_pattern)


_GENERATOR_TAG = re.compile(r"<meta\b[^>]*\bname\s*=\s*[\"']generator[\"'][^>]*>", re.I)


def detect_template(html: str) -> str | None:
    """The family a page's own `<meta name="generator">` names, when it has a template of its
    own (Blogger writes `<meta content='blogger' name='generator'/>` on every page), so a
    source left at `generic` on a Blogger blog still gets Blogger's rules."""
    for tag in _GENERATOR_TAG.findall(html[:100_000]):
        m = re.search(r"\bcontent\s*=\s*[\"']\s*([^\"']*)", tag, re.I)
        if m and m.group(1).lower().startswith("blogger"):
            return "blogger"
    return None


# --------------------------------------------------------------------------- helpers


def is_gallery_index(segments: list[str]) -> bool:
    """A photo/video section or gallery index: a media segment with no story named after it
    ("/foto", "/video/daerah"), as against a story ("/foto/2024/03/06/slug", "/video/123/x")."""
    for i, seg in enumerate(segments):
        if seg in MEDIA_SEGMENTS:
            rest = [s for s in segments[i + 1 :] if s not in MEDIA_SEGMENTS and s != "read"]
            return not any(MEDIA_STORY_RE.match(s) for s in rest)
    return False


_PAGE_KEYS = ("page", "halaman", "hal", "paged")
# What page_number() can accept, as one cheap test on the raw href: a page key with a number
# (any case), or a path ending in a number of one or two digits.
_PAGE_LINK_HINT = re.compile(r"(?i)(?:page|halaman|hal|paged)=\d|/\d{1,2}/?(?:[?#]|$)")


def page_number(url: str) -> int | None:
    parts = urlsplit(url)
    for k, v in parse_qsl(parts.query):
        if k.lower() in _PAGE_KEYS and v.isdigit():
            return int(v)
    m = re.search(r"/(\d{1,2})/?$", parts.path)
    if m and len([s for s in parts.path.split("/") if s]) >= 2:
        return int(m.group(1))
    return None


def first_page_url(url: str) -> str:
    parts = urlsplit(url)
    q = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in _PAGE_KEYS]
    path = parts.path
    if re.search(r"/\d{1,2}/?$", path) and len([s for s in path.split("/") if s]) >= 2:
        path = re.sub(r"/\d{1,2}(/?)$", r"\1", path)
    return urlunsplit(parts._replace(path=path, query=urlencode(q), fragment=""))


def _with_page_like(example: str, example_n: int, n: int) -> str:
    """Build page n's URL in the same spelling as page example_n's."""
    parts = urlsplit(example)
    q = parse_qsl(parts.query, keep_blank_values=True)
    if any(k in _PAGE_KEYS and v == str(example_n) for k, v in q):
        q = [(k, str(n) if k in _PAGE_KEYS and v == str(example_n) else v) for k, v in q]
        return urlunsplit(parts._replace(query=urlencode(q)))
    path = re.sub(rf"/{example_n}(/?)$", rf"/{n}\1", parts.path)
    return urlunsplit(parts._replace(path=path))
