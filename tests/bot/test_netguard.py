"""The fetch guard's rules: which addresses, URLs and allow-list entries pass, and why not."""

from __future__ import annotations

import ipaddress

import pytest

from bot.config import ConfigError, from_env
from bot.netguard import (
    DOCUMENTATION,
    LINK_LOCAL,
    LOOPBACK,
    MULTICAST,
    PRIVATE,
    RESERVED,
    SHARED,
    UNIQUE_LOCAL,
    UNSPECIFIED,
    FetchPolicy,
    FetchRefused,
    address_kind,
    legacy_ipv4,
    split_host_port,
)

# (address, the kind it is, or None for a public address)
ADDRESSES = [
    ("127.0.0.1", LOOPBACK), ("127.255.255.254", LOOPBACK), ("10.0.0.1", PRIVATE),
    ("172.16.5.4", PRIVATE), ("172.31.255.255", PRIVATE), ("192.168.1.1", PRIVATE),
    ("100.64.0.1", SHARED), ("100.127.255.254", SHARED), ("169.254.169.254", LINK_LOCAL),
    ("0.0.0.0", UNSPECIFIED), ("0.1.2.3", UNSPECIFIED),  # noqa: S104 - the address judged ("224.0.0.251", MULTICAST),
    ("239.255.255.250", MULTICAST), ("240.0.0.1", RESERVED), ("255.255.255.255", RESERVED),
    ("192.0.0.8", RESERVED), ("198.18.0.1", RESERVED), ("192.0.2.1", DOCUMENTATION),
    ("198.51.100.7", DOCUMENTATION), ("203.0.113.9", DOCUMENTATION),
    ("::1", LOOPBACK), ("::", UNSPECIFIED), ("fe80::1", LINK_LOCAL), ("fe80::1%2", LINK_LOCAL),
    ("fc00::1", UNIQUE_LOCAL), ("fd12:3456::1", UNIQUE_LOCAL), ("ff02::1", MULTICAST),
    ("fec0::1", RESERVED), ("2001:db8::1", DOCUMENTATION), ("2001::1", RESERVED),
    ("100::1", RESERVED), ("64:ff9b:1::1", RESERVED), ("4000::1", RESERVED),
    # public
    ("8.8.8.8", None), ("1.1.1.1", None), ("100.63.255.255", None), ("100.128.0.0", None),
    ("172.32.0.1", None), ("192.169.0.1", None), ("2606:4700:4700::1111", None),
    ("2a00:1450:4001::200e", None), ("::ffff:8.8.8.8", None), ("64:ff9b::808:808", None),
    ("2002:808:808::1", None),
]
# IPv6 forms that carry an IPv4 address inside: judged by that address.
EMBEDDED = [
    ("::ffff:127.0.0.1", LOOPBACK), ("::ffff:7f00:1", LOOPBACK), ("::ffff:10.1.2.3", PRIVATE),
    ("::127.0.0.1", LOOPBACK), ("64:ff9b::7f00:1", LOOPBACK), ("64:ff9b::a9fe:a9fe", LINK_LOCAL),
    ("2002:7f00:1::", LOOPBACK), ("2002:c0a8:101::1", PRIVATE), ("2002:6440:1::", SHARED),
]


@pytest.mark.parametrize(("address", "kind"), ADDRESSES, ids=[a for a, _ in ADDRESSES])
def test_address_kinds(address: str, kind: str | None) -> None:
    """Each special block is named; public addresses are not."""
    assert address_kind(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize(("address", "kind"), EMBEDDED, ids=[a for a, _ in EMBEDDED])
def test_ipv6_forms_are_judged_by_the_ipv4_inside(address: str, kind: str) -> None:
    """Mapped, compatible, NAT64 and 6to4 addresses count as the IPv4 address they carry."""
    found = address_kind(ipaddress.ip_address(address))
    assert found is not None and found.startswith(kind) and "IPv6 form" in found


LEGACY = ["127.1", "127.0.1", "2130706433", "0x7f000001", "0x7f.1", "0x7F.0.0.1",
          "017700000001", "0177.0.0.1", "0177.1", "127.0x0.1", "0x7f.0x0.0x0.0x1"]


@pytest.mark.parametrize("host", LEGACY)
def test_legacy_ipv4_forms_are_recognised(host: str) -> None:
    """Decimal, octal, hex and short forms of 127.0.0.1 are read as the address they mean."""
    assert legacy_ipv4(host) == ipaddress.IPv4Address("127.0.0.1")


@pytest.mark.parametrize("host", ["127.0.0.1", "8.8.8.8", "example.com", "cafe", "x.org",
                                  "deadbeef", "1.2.3.4.5"])
def test_canonical_addresses_and_names_are_not_legacy_forms(host: str) -> None:
    """A dotted quad or a name is not mistaken for a legacy numeric form."""
    assert legacy_ipv4(host) is None


REFUSED_URLS = [
    ("http://user:secret@example.com/", "user name or password"),
    ("http://user@example.com/", "user name or password"),
    ("https://@example.com/", "user name or password"),
    ("http://example.com:8080/", "port 8080"),
    ("https://example.com:22/", "port 22"),
    ("ftp://example.com/", "not an http(s) URL"),
    ("file:///etc/passwd", "not an http(s) URL"),
    ("gopher://example.com/", "not an http(s) URL"),
    ("http://example.com:99999/", "not a valid URL"),
    ("http://127.0.0.1/", LOOPBACK),
    ("http://[::1]/", LOOPBACK),
    ("http://[::ffff:127.0.0.1]/", LOOPBACK),
    ("http://[0:0:0:0:0:ffff:7f00:1]/", LOOPBACK),
    ("http://0.0.0.0/", UNSPECIFIED),
    ("http://10.0.0.1/", PRIVATE),
    ("http://169.254.169.254/latest/meta-data/", LINK_LOCAL),
    ("http://100.64.1.1/", SHARED),
    ("http://[fd00::1]/", UNIQUE_LOCAL),
    ("http://[fe80::1%25eth0]/", LINK_LOCAL),
    ("http://224.0.0.1/", MULTICAST),
    *((f"http://{host}/", "non-standard form") for host in LEGACY),
]


@pytest.mark.parametrize(("url", "problem"), REFUSED_URLS, ids=[u for u, _ in REFUSED_URLS])
def test_refused_urls(url: str, problem: str) -> None:
    """Credentials, other ports and schemes, non-public and legacy literals: refused, one line."""
    with pytest.raises(FetchRefused) as info:
        FetchPolicy().check_url(url)
    assert problem in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("url", ["http://example.com/", "https://example.com/a?b=c",
                                 "http://example.com:80/", "https://example.com:443/",
                                 "http://8.8.8.8/", "http://[2606:4700:4700::1111]/"])
def test_public_urls_on_web_ports_pass(url: str) -> None:
    """A public name or address on port 80 or 443 passes the URL check."""
    FetchPolicy().check_url(url)


def test_allowed_host_may_use_its_lan_addresses_and_its_port() -> None:
    """A named host reaches its private address and its own port; others stay refused."""
    policy = FetchPolicy(allow_hosts=["blog.lan:8080", "nas.lan"])
    policy.check_url("http://blog.lan:8080/feed")
    private = ipaddress.ip_address("192.168.1.20")
    assert policy.refusal("blog.lan", 8080, private) is None
    assert policy.refusal("NAS.lan.", 80, ipaddress.ip_address("100.64.0.9")) is None
    with pytest.raises(FetchRefused, match="port 8080"):
        policy.check_url("http://nas.lan:8080/")
    other = policy.refusal("evil.example", 80, private)
    assert other is not None and "FILMCLUB_FETCH_ALLOW_HOSTS" in other
    # Loopback, multicast and reserved stay refused for an allowed host.
    for address in ("127.0.0.1", "::1", "224.0.0.1", "0.0.0.0", "240.0.0.1"):  # noqa: S104
        assert policy.refusal("blog.lan", 8080, ipaddress.ip_address(address)) is not None


def test_extra_ports_apply_to_every_host() -> None:
    """FILMCLUB_FETCH_PORTS opens a port for public hosts; the address rules still hold."""
    policy = FetchPolicy(ports=[8080])
    policy.check_url("http://example.com:8080/")
    with pytest.raises(FetchRefused, match="loopback"):
        policy.check_url("http://127.0.0.1:8080/")


@pytest.mark.parametrize(("entry", "parsed"), [
    ("blog.lan", ("blog.lan", None)), ("Blog.LAN.:8080", ("blog.lan", 8080)),
    ("192.168.1.20:81", ("192.168.1.20", 81)), ("[fd00::5]:8443", ("fd00::5", 8443)),
    ("fd00::5", ("fd00::5", None)),
])
def test_allow_list_entries(entry: str, parsed: tuple[str, int | None]) -> None:
    """Entries are host or host:port, IPv6 in brackets with a port."""
    assert split_host_port(entry) == parsed


def test_settings_read_the_allow_list_and_ports() -> None:
    """FILMCLUB_FETCH_ALLOW_HOSTS and FILMCLUB_FETCH_PORTS become the bot's policy."""
    config = from_env({"FILMCLUB_FETCH_ALLOW_HOSTS": "blog.lan, 192.168.1.20:8080",
                       "FILMCLUB_FETCH_PORTS": "8443"})
    policy = FetchPolicy.from_config(config)
    assert policy.hosts == {"blog.lan": frozenset(), "192.168.1.20": frozenset({8080})}
    assert policy.ports == {80, 443, 8443}
    assert FetchPolicy.from_config(from_env({})).hosts == {}


def test_settings_cannot_open_loopback() -> None:
    """Naming this machine in the allow list is a configuration error, one line each."""
    with pytest.raises(ConfigError) as info:
        from_env({"FILMCLUB_FETCH_ALLOW_HOSTS": "localhost,127.0.0.1:8080 [::1] app.localhost",
                  "FILMCLUB_FETCH_PORTS": "0 http"})
    problems = info.value.problems
    assert len(problems) == 6
    assert all("FILMCLUB_FETCH" in p and "\n" not in p for p in problems)
    assert sum("loopback" in p for p in problems) == 4
