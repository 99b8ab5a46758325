"""Where the fetcher may go: public internet addresses on ports 80 and 443, nothing else.

A feed entry's link, a redirect or a name in DNS is chosen by whoever writes the feed
or runs the site, not by the bot's owner. Without a guard, a link to
``http://127.0.0.1:8080/admin`` (or a name that resolves there, or a redirect to it)
would have the bot read a service of the machine it runs on, or of its network, and
post that page's text as a prompt's excerpt. So every fetch is checked against a
:class:`FetchPolicy`:

- the URL: http or https, no ``user:password@``, a port of 80 or 443 (or one the
  owner allowed), no IPv4 address in a legacy numeric form (``2130706433``,
  ``0x7f.1``, ``017700000001``, ``127.1``), and an IP literal only if it is public;
- the address actually connected to: :class:`GuardedResolver` is the connector's
  resolver, so the addresses it returns (the only ones the connection may use) are
  the ones it checked. A name that resolves to a public address for the check and to
  a private one for the connection (DNS rebinding) cannot slip between the two;
- every redirect, which the fetcher follows itself, hop by hop, with the same checks.

Refused: loopback, private (RFC 1918, IPv6 unique-local), link-local, shared
address space (CGNAT, 100.64.0.0/10), multicast, unspecified, documentation and
other reserved blocks; IPv4-mapped, IPv4-compatible, NAT64 and 6to4 IPv6 addresses
are judged by the IPv4 address inside them. A self-hoster can allow named hosts of
their own network (``FILMCLUB_FETCH_ALLOW_HOSTS``); loopback stays refused even
then, because it is this machine. The tests reach their own loopback servers
through a policy object made in test code (``tests/webserver.py``), which no
setting can produce.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import SplitResult, urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Ports fetched from without being allowed.
WEB_PORTS = frozenset({80, 443})

# Kinds of address. The LAN kinds may be allowed for a named host; the rest never.
LOOPBACK = "a loopback address (this machine)"
PRIVATE = "a private network address"
SHARED = "a shared (carrier-grade NAT) address"
LINK_LOCAL = "a link-local address"
UNIQUE_LOCAL = "a unique-local (private) IPv6 address"
MULTICAST = "a multicast address"
UNSPECIFIED = "an unspecified address"
RESERVED = "a reserved address"
DOCUMENTATION = "a documentation-only address"
LAN_KINDS = frozenset({PRIVATE, SHARED, LINK_LOCAL, UNIQUE_LOCAL})

_V4_BLOCKS: tuple[tuple[ipaddress.IPv4Network, str], ...] = tuple(
    (ipaddress.IPv4Network(net), kind) for net, kind in (
        ("0.0.0.0/8", UNSPECIFIED),
        ("10.0.0.0/8", PRIVATE),
        ("100.64.0.0/10", SHARED),
        ("127.0.0.0/8", LOOPBACK),
        ("169.254.0.0/16", LINK_LOCAL),
        ("172.16.0.0/12", PRIVATE),
        ("192.0.0.0/24", RESERVED),  # IETF protocol assignments
        ("192.0.2.0/24", DOCUMENTATION),
        ("192.88.99.0/24", RESERVED),  # the old 6to4 relay anycast
        ("192.168.0.0/16", PRIVATE),
        ("198.18.0.0/15", RESERVED),  # benchmarking
        ("198.51.100.0/24", DOCUMENTATION),
        ("203.0.113.0/24", DOCUMENTATION),
        ("224.0.0.0/4", MULTICAST),
        ("240.0.0.0/4", RESERVED),  # future use, and 255.255.255.255 (broadcast)
    ))

_V6_BLOCKS: tuple[tuple[ipaddress.IPv6Network, str], ...] = tuple(
    (ipaddress.IPv6Network(net), kind) for net, kind in (
        ("64:ff9b:1::/48", RESERVED),  # local-use NAT64: a private translator
        ("100::/64", RESERVED),  # discard-only
        ("2001::/23", RESERVED),  # IETF protocol assignments: Teredo, ORCHID, ...
        ("2001:db8::/32", DOCUMENTATION),
        ("3fff::/20", DOCUMENTATION),
        ("fc00::/7", UNIQUE_LOCAL),
        ("fe80::/10", LINK_LOCAL),
        ("fec0::/10", RESERVED),  # the old site-local
        ("ff00::/8", MULTICAST),
    ))
_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")
_V4_COMPATIBLE = ipaddress.IPv6Network("::/96")

#: A host made only of digits, hex digits, 'x' and dots: an IPv4 address in some form.
_NUMERIC_HOST = re.compile(r"[0-9a-fx.]+", re.IGNORECASE)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, compatible, NAT64, 6to4)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64 or (ip in _V4_COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF)
    return None


def address_kind(ip: IPAddress) -> str | None:
    """Why ``ip`` is not a public address (one of the kinds above), or None when it is."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            ip = ipaddress.IPv6Address(str(ip).split("%", 1)[0])
        if ip == ipaddress.IPv6Address("::"):
            return UNSPECIFIED
        if ip == ipaddress.IPv6Address("::1"):
            return LOOPBACK
        inner = embedded_ipv4(ip)
        if inner is not None:
            kind = address_kind(inner)
            return None if kind is None else f"{kind}, inside an IPv6 form ({inner})"
        if ip not in _GLOBAL_UNICAST:
            return _v6_block(ip) or RESERVED
        return _v6_block(ip)
    for network, kind in _V4_BLOCKS:
        if ip in network:
            return kind
    return None


def _v6_block(ip: ipaddress.IPv6Address) -> str | None:
    for network, kind in _V6_BLOCKS:
        if ip in network:
            return kind
    return None


def legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The address a legacy numeric host means (``2130706433``, ``0x7f.1``, ``127.1``).

    None for a canonical dotted quad and for anything that is not a number: only the
    forms that C's ``inet_aton`` accepts and a dotted-quad parser does not.
    """
    if not _NUMERIC_HOST.fullmatch(host) or not any(ch.isdigit() for ch in host):
        return None
    try:
        ipaddress.IPv4Address(host)
        return None  # canonical
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


class FetchRefused(OSError):
    """A URL or address the policy refuses; ``str()`` is the reason, one line."""


class FetchPolicy:
    """What the fetcher may reach: public addresses on web ports, plus what the owner allowed.

    ``allow_hosts``: names (or LAN address literals) whose private, shared, link-local
    or unique-local addresses may be fetched, each ``host`` or ``host:port``; a port
    given there is allowed for that host. ``ports``: ports allowed for every host
    besides 80 and 443. Loopback, multicast, unspecified and reserved addresses are
    refused whatever is allowed.
    """

    def __init__(self, *, allow_hosts: Iterable[str] = (), ports: Iterable[int] = ()) -> None:
        self.hosts: dict[str, frozenset[int]] = {}
        for entry in allow_hosts:
            host, port = split_host_port(entry)
            self.hosts[host] = self.hosts.get(host, frozenset()) | (
                frozenset({port}) if port is not None else frozenset())
        self.ports = WEB_PORTS | frozenset(ports)

    @classmethod
    def from_config(cls, config: Any) -> FetchPolicy:
        """The policy a ``bot.config.Config`` describes (FILMCLUB_FETCH_ALLOW_HOSTS, _PORTS)."""
        return cls(allow_hosts=config.fetch_allow_hosts, ports=config.fetch_ports)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(hosts={sorted(self.hosts)}, ports={sorted(self.ports)})"

    # -- the checks ------------------------------------------------------------------
    def check_url(self, url: str) -> SplitResult:
        """The parts of ``url`` if it may be fetched; ``FetchRefused`` saying why not.

        An IP literal is checked here (a connector never resolves one); a name is
        checked when it is resolved, on the addresses connected to.
        """
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            raise FetchRefused("not a valid URL") from None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise FetchRefused("not an http(s) URL")
        if "@" in parts.netloc:
            raise FetchRefused("a URL with a user name or password in it is not fetched")
        host = normal_host(parts.hostname)
        port = port if port is not None else (443 if scheme == "https" else 80)
        if port not in self.ports and port not in self.hosts.get(host, ()):
            raise FetchRefused(f"port {port} is not fetched from (only 80 and 443 unless "
                               "FILMCLUB_FETCH_PORTS or FILMCLUB_FETCH_ALLOW_HOSTS allows it)")
        legacy = legacy_ipv4(host)
        if legacy is not None:
            raise FetchRefused(f"{host} is an IPv4 address in a non-standard form (it means "
                               f"{legacy}); not fetched")
        literal = ip_literal(host)
        if literal is not None:
            self.check_address(host, port, literal)
        return parts

    def check_address(self, host: str, port: int, ip: IPAddress) -> None:
        """``FetchRefused`` unless the connection to ``host`` may go to ``ip``."""
        problem = self.refusal(host, port, ip)
        if problem is not None:
            raise FetchRefused(problem)

    def refusal(self, host: str, port: int, ip: IPAddress) -> str | None:
        """Why the connection to ``host`` may not go to ``ip``, or None when it may."""
        kind = address_kind(ip)
        if kind is None:
            return None
        if normal_host(host) in self.hosts and kind in LAN_KINDS:
            return None
        hint = " (allow it with FILMCLUB_FETCH_ALLOW_HOSTS)" if kind in LAN_KINDS else ""
        if ip_literal(host) == ip:
            return f"{normal_host(host)} is {kind}: not fetched{hint}"
        return f"{host} resolves to {ip}, {kind}: not fetched{hint}"


def normal_host(host: str) -> str:
    """A host name as compared: lower case, no trailing dot, no IPv6 brackets."""
    return host.strip().strip("[]").rstrip(".").lower()


def ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(normal_host(host))
    except ValueError:
        return None


def split_host_port(entry: str) -> tuple[str, int | None]:
    """``host`` or ``host:port`` (``[v6]:port`` too) as ``(host, port)``; ValueError if neither."""
    text = entry.strip()
    if not text:
        raise ValueError("an empty host")
    port: int | None = None
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            if not rest.startswith(":"):
                raise ValueError(f"{entry!r} is not host or host:port")
            port = _port(rest[1:], entry)
    elif text.count(":") == 1:
        host, raw = text.split(":")
        port = _port(raw, entry)
    else:
        host = text
    host = normal_host(host)
    if not host or any(ch.isspace() or ch in "/@?#" for ch in host):
        raise ValueError(f"{entry!r} is not a host name")
    return host, port


def _port(raw: str, entry: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ValueError(f"{entry!r}: the port must be a number from 1 to 65535")
    return int(raw)


class GuardedResolver(AbstractResolver):
    """The connector's resolver: resolves a name, keeps only the addresses the policy allows.

    The connection can only use the addresses returned here, so what is checked is
    what is connected to. When none is left, ``FetchRefused`` says why.
    """

    def __init__(self, policy: FetchPolicy, inner: AbstractResolver | None = None) -> None:
        self.policy = policy
        self.inner = inner or DefaultResolver()

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        found = await self.inner.resolve(host, port, family)
        allowed: list[ResolveResult] = []
        problems: list[str] = []
        for result in found:
            try:
                ip = ipaddress.ip_address(str(result["host"]).split("%", 1)[0])
            except ValueError:
                problems.append(f"{host} resolves to {result['host']!r}, not an address")
                continue
            problem = self.policy.refusal(host, port, ip)
            if problem is None:
                allowed.append(result)
            else:
                problems.append(problem)
        if not allowed:
            log.info("fetch refused: %s", problems[0] if problems else host)
            raise FetchRefused(problems[0] if problems else f"{host} has no address")
        return allowed

    async def close(self) -> None:
        await self.inner.close()
