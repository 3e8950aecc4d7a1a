"""Refuse alert URLs that would make Pantau probe its own network.

Webhook and Slack URLs come from config (often from environment variables an operator pastes),
so a typo or a hostile value could aim Pantau at a metadata endpoint or an internal admin page.
Only http(s) URLs whose every resolved address is public or loopback are allowed, unless the
subscription explicitly opts in with `allow_private_network: true`. Loopback is allowed because
it is the operator's own machine (a local relay, a receiver next to Pantau), which Pantau's
operator already controls; private ranges, link-local (cloud metadata), CGNAT, multicast and
unspecified addresses reach other machines and are refused.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit


class UnsafeURL(Exception):
    """The URL is not one Pantau will POST to; the alert goes to dead-letter."""


# Cloud metadata services (AWS, GCP, Azure, OpenStack share the IPv4 one; AWS's IPv6 one).
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")


def address_class(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """`public`, or which kind of non-public address `addr` is: metadata, loopback, 6to4,
    site-local, unspecified, cgnat, link-local, multicast, private or reserved. The one home
    of this question: the alert URL guard and the crawler's scope (spiders/scope.py) ask it."""
    if addr in METADATA_ADDRESSES:
        return "metadata"
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return address_class(addr.ipv4_mapped)
        if addr.sixtofour is not None:
            # 6to4 (2002::/16) reaches the IPv4 address it embeds through a relay, so it is as
            # public as that address: 2002:a9fe:a9fe:: is the metadata address. Python calls
            # the whole prefix global; loopback is not "this machine" through a relay.
            return "public" if addr.sixtofour.is_global else "6to4"
        if addr.is_site_local:  # fec0::/10: deprecated, yet still routed inside some sites
            return "site-local"
    if addr.is_loopback:
        return "loopback"
    if addr.is_unspecified:
        return "unspecified"
    if isinstance(addr, ipaddress.IPv4Address) and addr in _CGNAT:
        return "cgnat"
    if addr.is_link_local:
        return "link-local"
    if addr.is_multicast:
        return "multicast"
    if addr.is_private:
        return "private"
    if addr.is_reserved or not addr.is_global:
        return "reserved"
    return "public"


def _is_private(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Refused for alerts: every non-public class but loopback (the operator's own machine)."""
    return address_class(addr) not in ("public", "loopback")


def describe(url: str) -> str:
    """scheme://host[:port] only: Slack webhook paths are secrets and must stay out of logs."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}" if parts.netloc else "<bad url>"


def check_url(url: str, *, allow_private: bool = False) -> None:
    """Raise UnsafeURL unless `url` is http(s) and (when required) resolves to public addresses.

    Resolution happens here and again inside the HTTP client, so a DNS answer that changes in
    between is not caught; this guard is against mistakes and plain hostile config, not against
    an attacker who controls a DNS zone.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeURL(f"refusing URL {describe(url)}: only http(s) URLs with a host are allowed")
    if allow_private:
        return
    host = parts.hostname
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeURL(f"refusing URL {describe(url)}: bad port") from None
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        # Unresolvable now may be resolvable later: let the HTTP client fail and retry.
        raise LookupError(f"cannot resolve {host}: {exc}") from None
    for info in infos:
        addr = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if _is_private(addr):
            raise UnsafeURL(
                f"refusing URL {describe(url)}: {host} resolves to non-public address {addr} "
                "(set allow_private_network: true on the subscription to allow it)"
            )
