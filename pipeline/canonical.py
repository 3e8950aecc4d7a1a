"""Canonical form of article URLs, so one article seen under many URLs is stored once.

News sites hand out the same article under tracking parameters (utm_*, fbclid), AMP and mobile
variants (`m.host`, `amp.host`, `/amp/` path segments, `?amp=1`), and page views (`?page=2`,
`?page=all`). The archive keys articles by the canonical URL; `variant_urls` lists the other
spellings worth looking up when asking "is this article known already?".

Rules are structural (host prefixes, whole path segments, parameter names), never copied from
one outlet, so they hold for sites not yet seen.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

# Query parameters that never change what article a URL names.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "ref_src",
        "amp",
        "amp_js_v",
        "amp_gsa",
        "usqp",
        "outputtype",
        "_ht",
        "share",
        "src",
        "medium",
        "utm",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "at_")
# Parameters that choose a page of a multi-page article (or its single-page view).
PAGE_PARAMS = frozenset({"page", "halaman", "hal", "single", "showpage", "singlepage"})
# Host prefixes of mobile and AMP mirrors of a site.
MOBILE_HOST_PREFIXES = ("m.", "mobile.", "amp.", "wap.")
DEFAULT_PORTS = {"http": 80, "https": 443}
_IP_HOST = re.compile(r"^[\d.]+$|:")  # IPv4, or IPv6 (urlsplit drops the brackets)


@lru_cache(maxsize=1)
def _suffix_list():  # tldextract type, imported lazily (it costs ~0.1 s)
    """The Public Suffix List as shipped inside tldextract (a Scrapy dependency): never fetched,
    never cached to disk, so it works offline and the same on every machine."""
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@lru_cache(maxsize=8192)
def _registrable_labels(host: str) -> int:
    """How many labels the registrable domain of `host` has: its public suffix plus one (2 for
    example.com, 3 for pemda.go.id or example.co.id); 2 when it has no known suffix."""
    suffix = _suffix_list()(host.lower().rstrip(".")).suffix
    return suffix.count(".") + 2 if suffix else 2


def registrable_domain(url: str) -> str:
    """The domain a site registered: example.com for news.example.com, pemda.go.id for
    web.pemda.go.id ("" without a host; an IP address as it is). Takes a URL or a bare host."""
    host = (urlsplit(url if "//" in url else f"//{url}").hostname or "").lower().rstrip(".")
    if not host or _IP_HOST.search(host):
        return host
    return ".".join(host.split(".")[-_registrable_labels(host) :])


def _canonical_host(host: str) -> str:
    host = host.lower().rstrip(".")
    for prefix in MOBILE_HOST_PREFIXES:
        if host.startswith(prefix):
            rest = host[len(prefix) :]
            if rest.count(".") + 1 < _registrable_labels(rest):
                break
            # m.example.com mirrors www.example.com; m.news.example.com mirrors news.example.com
            if rest.count(".") + 1 == _registrable_labels(rest):
                return "www." + rest
            return rest
    return host


def _canonical_path(path: str) -> str:
    if not path:
        return "/"
    segments = path.split("/")
    kept = [s for s in segments if s.lower() not in ("amp", "amp_version")]
    if len(kept) < len(segments) and kept == [""]:
        kept = ["", ""]
    path = "/".join(kept) or "/"
    # /slug.amp.html, /slug.amp -> /slug.html, /slug
    path = re.sub(r"\.amp(\.html?)?$", lambda m: m.group(1) or "", path)
    path = re.sub(r"/{2,}", "/", path)
    return quote(unquote(path), safe="/%:@!$&'()*+,;=~-._")


def _mobile_switch(name: str, value: str) -> bool:
    """Blogger's `?m=1` / `?m=0` (mobile / desktop view of the same page); WordPress's
    `?m=202403` month archive is another page and stays."""
    return name.lower() == "m" and value in ("0", "1")


def _keep_param(name: str) -> bool:
    low = name.lower()
    if low in TRACKING_PARAMS or low in PAGE_PARAMS:
        return False
    return not low.startswith(TRACKING_PREFIXES)


def canonicalize_url(url: str) -> str:
    """The canonical spelling of an article URL (idempotent).

    Lower-cases scheme and host, drops default ports, fragments, tracking and page parameters,
    maps mobile/AMP hosts and `/amp/` path segments to the desktop page, sorts what query
    parameters remain.
    """
    url = url.strip()
    parts = urlsplit(url)
    scheme = (parts.scheme or "http").lower()
    host = _canonical_host(parts.hostname or "")
    netloc = host
    try:
        port = parts.port
    except ValueError:
        port = None
    if port and DEFAULT_PORTS.get(scheme) != port:
        netloc = f"{host}:{port}"
    path = _canonical_path(parts.path)
    params = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if _keep_param(k) and not _mobile_switch(k, v)
    ]
    params.sort()
    query = urlencode(params, quote_via=quote, safe="/:@!$'()*,;~")
    return urlunsplit((scheme, netloc, path, query, ""))


def strip_tracking(url: str) -> str:
    """The URL to fetch: tracking parameters and the fragment dropped, nothing else changed
    (host and path stay as the site wrote them, since a guessed desktop host may not exist)."""
    parts = urlsplit(url.strip())
    params = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in params if k.lower() not in TRACKING_PARAMS - {"amp"}
            and not k.lower().startswith(TRACKING_PREFIXES)]  # fmt: skip
    query = parts.query if len(kept) == len(params) else urlencode(kept, quote_via=quote)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def variant_urls(url: str) -> list[str]:
    """Spellings of the same article worth looking up: canonical first, then www/non-www,
    trailing-slash and http/https twins. Used by the incremental crawl's known-URL check."""
    canon = canonicalize_url(url)
    parts = urlsplit(canon)
    hosts = [parts.netloc]
    if parts.netloc.startswith("www."):
        hosts.append(parts.netloc[4:])
    elif parts.netloc.count(".") + 1 == _registrable_labels(parts.netloc.split(":")[0]):
        hosts.append("www." + parts.netloc)
    paths = [parts.path]
    if parts.path.endswith("/") and len(parts.path) > 1:
        paths.append(parts.path.rstrip("/"))
    elif not parts.path.endswith("/") and not re.search(r"\.\w{2,5}$", parts.path):
        paths.append(parts.path + "/")
    schemes = [parts.scheme, "https" if parts.scheme == "http" else "http"]
    out: list[str] = []
    for scheme in schemes:
        for host in hosts:
            for path in paths:
                u = urlunsplit((scheme, host, path, parts.query, ""))
                if u not in out:
                    out.append(u)
    return out


def _bare_host(host: str) -> str:
    host = _canonical_host(host or "")
    return host[4:] if host.startswith("www.") else host


def desktop_url(url: str, home: str) -> str:
    """The URL worth fetching for a mobile or AMP copy of a page of the site at `home`.

    A link to `m.host/x`, `/amp/x`, `x.amp.html` or `x?amp=1` names the same article as the
    desktop page; fetching the desktop page (on the host the source is configured with) gets
    the full text and avoids fetching one story twice. Other URLs come back unchanged, and so
    does the rest of the URL (a guessed spelling that 404s is retried as found).
    """
    parts = urlsplit(url)
    home_parts = urlsplit(home)
    netloc = parts.netloc
    try:
        same_port = parts.port == home_parts.port
    except ValueError:
        same_port = False
    if (
        parts.hostname
        and home_parts.hostname
        and parts.hostname != home_parts.hostname
        and same_port
        and _bare_host(parts.hostname) == _bare_host(home_parts.hostname)
        and (parts.hostname or "").startswith(MOBILE_HOST_PREFIXES)
    ):
        netloc = home_parts.netloc
    segments = parts.path.split("/")
    kept = [s for s in segments if s.lower() not in ("amp", "amp_version")]
    path = "/".join(kept) if len(kept) < len(segments) else parts.path
    if kept == [""] or not path:
        path = "/"
    path = re.sub(r"\.amp(\.html?)?$", lambda m: m.group(1) or "", path)
    params = parse_qsl(parts.query, keep_blank_values=True)
    kept_q = [
        (k, v)
        for k, v in params
        if not (k.lower() in ("amp", "amp_js_v") or (k.lower() == "outputtype" and "amp" in v))
        and not _mobile_switch(k, v)
    ]
    query = parts.query if len(kept_q) == len(params) else urlencode(kept_q, quote_via=quote)
    return urlunsplit((parts.scheme, netloc, path, query, parts.fragment))
