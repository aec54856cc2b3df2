"""The address guard: feed URLs must not reach loopback, private, link-local or other internal addresses.

Feed URLs come from a config file and, through redirects, from the feed servers themselves, so a
hostile or compromised board could point us at 169.254.169.254 (cloud metadata), 127.0.0.1 (the
local Mongo/Redis/Prefect) or the office LAN. Every hop is checked here before we connect.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from urllib.parse import urlsplit

from jobfeed.reasons import FailureReason, FeedError
from jobfeed.redact import redact_url

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = ("http", "https")


def check_url_allowed(url: str, allow_hosts: Sequence[str]) -> None:
    """Raise FeedError(FORBIDDEN_ADDRESS) unless url is http(s) and every address of its host is public.

    A host is also accepted when its name is listed in `allow_hosts`, or when each of its addresses
    is either public or inside an allowed IP/CIDR entry (`127.0.0.1`, `10.0.0.0/8`, `::1`).
    Resolution failure raises FeedError(DNS_ERROR).

    This is the early check, on every hop before a request is sent. It is not the only one: the HTTP
    client's connections go through `allowed_addresses` again at connect time and connect to an
    address that check approved (httpclient.GuardedBackend), so a DNS answer that changes between the two
    lookups (DNS rebinding) cannot steer a connection to an internal address. Resolution itself is
    the system resolver's and cannot be interrupted, so a very slow DNS server can outlast the fetch
    deadline.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError as exc:  # e.g. "http://[::1" or a port that is not a number
        raise FeedError(FailureReason.FORBIDDEN_ADDRESS, f"invalid URL {redact_url(url)!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise FeedError(
            FailureReason.FORBIDDEN_ADDRESS, f"only http and https URLs are fetched, not {scheme or 'no scheme'}:"
        )
    if not host:
        raise FeedError(FailureReason.FORBIDDEN_ADDRESS, f"URL has no host: {redact_url(url)}")
    allowed_addresses(host, port or (443 if scheme == "https" else 80), allow_hosts)


def allowed_addresses(host: str, port: int, allow_hosts: Sequence[str]) -> list[IPAddress] | None:
    """The addresses of `host` that may be connected to (all of them: one forbidden address refuses
    the host), or None when the host is allow-listed by name and may be connected to by name.

    Raises FeedError(FORBIDDEN_ADDRESS) or FeedError(DNS_ERROR).
    """
    host = host.strip("[]").rstrip(".").lower()  # "localhost." is localhost
    names, networks = _parse_allow_list(allow_hosts)
    if host in names:
        return None
    addresses = _resolve(host, port)
    for address in addresses:
        problem = forbidden_reason(address)
        if problem and not any(address in net for net in networks if net.version == address.version):
            shown = host if str(address) == host else f"{host} ({address})"
            raise FeedError(
                FailureReason.FORBIDDEN_ADDRESS,
                f"{shown} is a {problem} address; to fetch it anyway, add {host} to FETCH_ALLOW_HOSTS",
            )
    return addresses


def forbidden_reason(address: IPAddress) -> str | None:
    """Why an address must not be fetched ("loopback", "private", ...), or None when it is public."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:  # ::ffff:127.0.0.1, 2002:7f00:1::, Teredo: judge the IPv4 inside
        return forbidden_reason(embedded)
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),  # includes 169.254.169.254, the cloud metadata service
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("site-local", isinstance(address, ipaddress.IPv6Address) and address.is_site_local),
        ("non-global", not address.is_global),  # e.g. 100.64.0.0/10 carrier-grade NAT, documentation ranges
    )
    return next((name for name, hit in checks if hit), None)


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address carried inside an IPv4-mapped, 6to4 or Teredo IPv6 address, if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # (server, client): the client is where traffic ends up
    if address in _NAT64:  # 64:ff9b::/96 translates to the IPv4 in its last 32 bits
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _parse_allow_list(allow_hosts: Sequence[str]) -> tuple[set[str], list[IPNetwork]]:
    """Split allow-list entries into host names and IP networks (a bare IP is a /32 or /128)."""
    names: set[str] = set()
    networks: list[IPNetwork] = []
    for raw in allow_hosts:
        entry = raw.strip().lower().rstrip(".")
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
        except ValueError:
            names.add(entry)
    return names, networks


def _resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the host resolves to (an IP literal resolves to itself, without DNS)."""
    literal = _ip_literal(host)
    if literal is not None:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FeedError(FailureReason.DNS_ERROR, f"cannot resolve {host}: {exc}") from None
    addresses = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        literal = _ip_literal(str(sockaddr[0]))
        if literal is not None:
            addresses.append(literal)
    if not addresses:
        raise FeedError(FailureReason.DNS_ERROR, f"{host} resolves to no IP address")
    return addresses


def _ip_literal(text: str) -> IPAddress | None:
    """The address when text is an IP literal (IPv6 scope ids dropped), else None."""
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
