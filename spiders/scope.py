"""Which URLs a source's crawl may fetch: its own site, never another host or the local network.

Feeds, sitemaps, robots.txt and redirects are written by the site, so a hostile or hacked site
could aim the crawler at anything (another server, a cloud metadata address, an admin page on
the operator's network) and have the answer archived as an article. A source's scope is:

- its own site: every host under the registrable domain of its `url` (news.x.id, m.x.id ...),
  on the standard ports or a port its config names for that domain;
- the hosts its config names (`url`, `feeds`, `sitemaps`, `listings`, `search_url`), on their
  ports;
- an IP-address host only as the config names it, port included: another port of 127.0.0.1 is
  another server, not the same site.

Addresses: a host in scope that resolves to a non-public address (private, link-local, CGNAT,
metadata, loopback ...) is refused too, unless the source itself is on that class of address
(a portal on the operator's intranet, the loopback test sites). The classes come from
`pipeline.alerts.netguard.address_class`, the one home of that question.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pantau.pipeline.alerts.netguard import address_class
from pantau.pipeline.canonical import registrable_domain

logger = logging.getLogger(__name__)

STANDARD_PORTS = frozenset({80, 443})
LOG_FIRST = 20  # drops logged as warnings per crawl; the rest at debug level (all counted)


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


def _host_port(url: str) -> tuple[str, int] | None:
    """(lower-cased host without a trailing dot, effective port) of an http(s) URL; None if
    it is not one, has no host or has a bad port."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        return None
    return parts.hostname.lower().rstrip("."), port


def host_class(host: str) -> str | None:
    """The address class of an IP-literal or `localhost` host; None for a DNS name (its class
    is known only once resolved)."""
    if host == "localhost" or host.endswith(".localhost"):
        return "loopback"
    addr = _ip(host)
    return address_class(addr) if addr is not None else None


@dataclass(frozen=True)
class CrawlScope:
    """The hosts and ports one source may fetch; `refusal(url)` says why a URL is outside."""

    domains: frozenset[str]  # registrable domain of the source's url (an IP has none)
    named: frozenset[tuple[str, int]]  # (host, port) of every URL the config names
    own_classes: frozenset[str]  # non-public address classes the source itself is on
    site_ports: frozenset[int] = STANDARD_PORTS  # ports of the site's DNS hosts

    @classmethod
    def for_urls(cls, home: str, others: list[str] | tuple[str, ...] = ()) -> CrawlScope:
        named: set[tuple[str, int]] = set()
        classes: set[str] = set()
        for url in [home, *others]:
            hp = _host_port(str(url))
            if hp is None:
                continue
            named.add(hp)
            klass = host_class(hp[0])
            if klass and klass != "public":
                classes.add(klass)
        home_hp = _host_port(str(home))
        domains = set()
        if home_hp and _ip(home_hp[0]) is None:
            domains.add(registrable_domain(home_hp[0]))
        ports = STANDARD_PORTS | {p for h, p in named if _ip(h) is None}
        return cls(frozenset(domains), frozenset(named), frozenset(classes), frozenset(ports))

    @classmethod
    def for_source(cls, source: Any) -> CrawlScope:
        """The scope of a `pipeline.config.Source`: its url and every URL its config names."""
        others = [*source.feeds, *source.sitemaps, *source.listings]
        if source.search_url:
            others.append(str(source.search_url).replace("{query}", "x"))
        return cls.for_urls(str(source.url), [str(u) for u in others])

    def refusal(self, url: str) -> str | None:
        """None if `url` is inside the scope, else the reason in a word: `scheme` (not
        http(s), no host, bad port), `offsite` (another host or port) or `address` (a host
        of a non-public address class the source is not on)."""
        hp = _host_port(url)
        if hp is None:
            return "scheme"
        if hp in self.named:
            return None
        host, port = hp
        klass = host_class(host)
        if _ip(host) is not None:  # an IP site is exactly the host:port the config names
            return "address" if self.address_refusal(klass or "public") else "offsite"
        in_site = registrable_domain(host) in self.domains or any(h == host for h, _ in self.named)
        if not in_site or port not in self.site_ports:
            return "offsite"
        if klass and self.address_refusal(klass):  # *.localhost for a source that is not
            return "address"
        return None

    def address_refusal(self, klass: str) -> bool:
        """A resolved address of this class may not be fetched by this source."""
        return klass != "public" and klass not in self.own_classes


def note_dropped(crawler: Any, url: str, reason: str, where: str) -> None:
    """Count a URL kept out of the crawl (`pantau/offsite_dropped`, `.../<reason>`) and log it:
    an operator sees in the run what a site tried to make Pantau fetch."""
    stats = crawler.stats
    stats.inc_value("pantau/offsite_dropped")
    stats.inc_value(f"pantau/offsite_dropped/{reason}")
    n = stats.get_value("pantau/offsite_dropped", 0)
    log = logger.warning if n <= LOG_FIRST else logger.debug
    log("not fetching %s (%s, from %s): outside the source's site", url, reason, where)
