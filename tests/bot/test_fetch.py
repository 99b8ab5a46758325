"""Fetching from the loopback server: conditional requests, limits, failures, the guard."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

from bot.errors import SourceError
from bot.fetch import MAX_REDIRECTS, Fetcher
from bot.netguard import FetchPolicy
from tests.webserver import LoopbackForTests, WebServer


async def test_get_returns_body_and_validators(web_server: WebServer) -> None:
    """A page comes back with its ETag and Last-Modified."""
    url = web_server.serve("a.html", "<p>hello</p>")
    async with Fetcher(policy=web_server.policy) as fetcher:
        page = await fetcher.get(url)
    assert (page.status, page.body) == (200, b"<p>hello</p>")
    assert page.etag and page.last_modified
    assert "filmclub/" in web_server.hits("a.html")[0].headers["User-Agent"]


async def test_conditional_request_gets_not_modified(web_server: WebServer) -> None:
    """Sending the ETag and Last-Modified back gets a 304 with no body."""
    url = web_server.serve("feed.xml", "<rss/>")
    async with Fetcher(policy=web_server.policy) as fetcher:
        first = await fetcher.get(url)
        second = await fetcher.get(url, etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.body == b""
    sent = web_server.hits("feed.xml")[1].headers
    assert sent["If-None-Match"] == first.etag
    assert sent["If-Modified-Since"] == first.last_modified


async def test_changed_resource_is_fetched_again(web_server: WebServer) -> None:
    """After the resource changes, the old validators get the new body."""
    url = web_server.serve("feed.xml", "<rss>1</rss>")
    async with Fetcher(policy=web_server.policy) as fetcher:
        first = await fetcher.get(url)
        web_server.serve("feed.xml", "<rss>2</rss>")
        second = await fetcher.get(url, etag=first.etag, last_modified=first.last_modified)
    assert (second.status, second.body) == (200, b"<rss>2</rss>")


@pytest.mark.parametrize(("setup", "problem"), [
    (lambda w: w.url("missing"), "HTTP 404"),
    (lambda w: w.serve("boom", "x", status=500), "HTTP 500"),
    (lambda w: w.serve("slow", "x", delay=0.8), "no answer within 0.2 s"),
    (lambda w: w.serve("big", b"x" * 5000), "over the 4000-byte limit"),
    (lambda w: "http://127.0.0.1:9/closed", "cannot connect"),
    (lambda w: "ftp://example.org/file", "not an http(s) URL"),
])
async def test_failures_are_one_line_naming_the_url(web_server: WebServer, setup, problem) -> None:
    """Missing, failing, slow, huge, unreachable or non-http: one line naming the URL."""
    url = setup(web_server)
    policy = LoopbackForTests(web_server.port, 9)  # 9: a closed port
    async with Fetcher(timeout=0.2, max_bytes=4000, policy=policy) as fetcher:
        with pytest.raises(SourceError) as info:
            await fetcher.get(url)
    message = str(info.value)
    assert message.startswith(f"{url}: ") and problem in message and "\n" not in message


# --- the guard on: nothing on this machine is fetched, however it is named -------------

class FixedResolver:
    """Answers every name with the given addresses, and counts the lookups."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = addresses
        self.lookups: list[str] = []

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[dict[str, Any]]:
        self.lookups.append(host)
        return [{"hostname": host, "host": address, "port": port,
                 "family": socket.AF_INET6 if ":" in address else socket.AF_INET,
                 "proto": 0, "flags": socket.AI_NUMERICHOST} for address in self.addresses]

    async def close(self) -> None:
        return None


# Ways to write "this machine" in a URL: (host as written in the URL, what the refusal says)
LOOPBACK_FORMS = [
    ("127.0.0.1", "127.0.0.1 is a loopback address"),
    ("localhost", "localhost resolves to"),
    ("127.1", "non-standard form (it means 127.0.0.1)"),
    ("2130706433", "non-standard form (it means 127.0.0.1)"),
    ("0x7f.1", "non-standard form (it means 127.0.0.1)"),
    ("0x7f000001", "non-standard form (it means 127.0.0.1)"),
    ("017700000001", "non-standard form (it means 127.0.0.1)"),
    ("0177.0.0.1", "non-standard form (it means 127.0.0.1)"),
    ("[::1]", "::1 is a loopback address"),
    ("[::ffff:127.0.0.1]", "loopback address (this machine), inside an IPv6 form (127.0.0.1)"),
    ("[::ffff:7f00:1]", "loopback address (this machine), inside an IPv6 form (127.0.0.1)"),
    ("[64:ff9b::7f00:1]", "loopback address (this machine), inside an IPv6 form"),
    ("[2002:7f00:1::]", "loopback address (this machine), inside an IPv6 form"),
    ("0.0.0.0", "0.0.0.0 is an unspecified address"),  # noqa: S104 - Linux routes it here
]


@pytest.mark.parametrize(("host", "problem"), LOOPBACK_FORMS, ids=[h for h, _ in LOOPBACK_FORMS])
async def test_this_machine_is_refused_however_it_is_written(
        web_server: WebServer, host: str, problem: str) -> None:
    """Guard on, the server's port allowed: every form of loopback is refused before a request."""
    web_server.serve("secret", "internal admin page")
    url = f"http://{host}:{web_server.port}/secret"
    async with Fetcher(timeout=2, policy=FetchPolicy(ports=[web_server.port])) as fetcher:
        with pytest.raises(SourceError) as info:
            await fetcher.get(url)
    assert str(info.value).startswith(f"{url}: ") and problem in str(info.value)
    assert "\n" not in str(info.value) and web_server.requests == []


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "10.0.0.5", "169.254.169.254",
                                     "100.64.3.2", "::ffff:127.0.0.1", "fd00::7"])
async def test_a_name_resolving_to_a_forbidden_address_is_refused(
        web_server: WebServer, address: str) -> None:
    """The address DNS gives is what is judged (and the only one the connection may use)."""
    web_server.serve("secret", "internal admin page")
    resolver = FixedResolver(address)
    url = f"http://intranet.example:{web_server.port}/secret"
    async with Fetcher(timeout=2, policy=FetchPolicy(ports=[web_server.port]),
                       resolver=resolver) as fetcher:
        with pytest.raises(SourceError) as info:
            await fetcher.get(url)
    assert f"intranet.example resolves to {ipaddress.ip_address(address)}, " in str(info.value)
    assert resolver.lookups == ["intranet.example"] and web_server.requests == []


async def test_only_the_checked_answer_is_connected_to(web_server: WebServer) -> None:
    """A name answering a forbidden and an allowed address connects only to the allowed one."""
    web_server.serve("page", "the page")
    # The test policy allows 127.0.0.1 on the server's port for the name "127.0.0.1" only;
    # for this name both answers are judged as production would: both refused.
    resolver = FixedResolver("10.0.0.5", "127.0.0.1")
    async with Fetcher(timeout=2, policy=web_server.policy, resolver=resolver) as fetcher:
        with pytest.raises(SourceError, match=r"10\.0\.0\.5, a private network address"):
            await fetcher.get(f"http://mixed.example:{web_server.port}/page")
    assert web_server.requests == []


async def test_credentials_in_the_url_are_refused(web_server: WebServer) -> None:
    """user@host and user:password@host are not fetched, even from an allowed server."""
    web_server.serve("page", "the page")
    async with Fetcher(timeout=2, policy=web_server.policy) as fetcher:
        for userinfo in ("admin@", "admin:hunter2@", ":@"):
            url = f"http://{userinfo}127.0.0.1:{web_server.port}/page"
            with pytest.raises(SourceError, match="user name or password"):
                await fetcher.get(url)
    assert web_server.requests == []


@pytest.mark.parametrize("url", ["http://example.com:8080/feed", "https://example.com:8443/",
                                 "http://example.com:22/", "http://example.com:6379/"])
async def test_ports_other_than_80_and_443_are_refused(url: str) -> None:
    """Other ports are refused before any lookup or connection."""
    resolver = FixedResolver("93.184.215.14")
    async with Fetcher(timeout=2, resolver=resolver) as fetcher:
        with pytest.raises(SourceError, match="port"):
            await fetcher.get(url)
    assert resolver.lookups == []


# A redirect from the allowed test server to each of these is refused before it is followed.
FORBIDDEN_TARGETS = [
    ("http://localhost:{port}/secret", "localhost resolves to"),
    ("http://[::1]:{port}/secret", "::1 is a loopback address"),
    ("http://2130706433:{port}/secret", "non-standard form"),
    ("http://0x7f.1:{port}/secret", "non-standard form"),
    ("http://[::ffff:127.0.0.1]:{port}/secret", "loopback"),
    ("http://127.0.0.1:{other}/secret", "port {other} is not fetched"),
    ("http://admin@127.0.0.1:{port}/secret", "user name or password"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://10.1.2.3/", "private network"),
    ("file:///etc/passwd", "not an http(s) URL"),
]


@pytest.mark.parametrize(("target", "problem"), FORBIDDEN_TARGETS,
                         ids=[t for t, _ in FORBIDDEN_TARGETS])
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_redirects_to_forbidden_places_are_refused(
        web_server: WebServer, target: str, problem: str, status: int) -> None:
    """An allowed server redirecting into this machine or the network: refused at that hop."""
    other = web_server.port + 1 if web_server.port < 65535 else web_server.port - 1
    web_server.serve("secret", "internal admin page")
    to = target.format(port=web_server.port, other=other)
    url = web_server.redirect("go", to, status=status)
    async with Fetcher(timeout=2, policy=web_server.policy) as fetcher:
        with pytest.raises(SourceError) as info:
            await fetcher.get(url)
    message = str(info.value)
    assert message.startswith(f"{url}: redirected to {to}: ")
    assert problem.format(other=other) in message and "\n" not in message
    assert [seen.path for seen in web_server.requests] == ["/go"]


async def test_allowed_redirects_are_followed_hop_by_hop(web_server: WebServer) -> None:
    """Relative and absolute redirects within what is allowed are followed, each hop checked."""
    web_server.serve("final", "the page")
    web_server.redirect("b", "/final", status=301)
    url = web_server.redirect("a", web_server.url("b"), status=307)
    async with Fetcher(timeout=2, policy=web_server.policy) as fetcher:
        page = await fetcher.get(url)
    assert (page.body, page.url) == (b"the page", web_server.url("final"))
    assert [seen.path for seen in web_server.requests] == ["/a", "/b", "/final"]


async def test_redirect_chains_are_bounded(web_server: WebServer) -> None:
    """A redirect loop stops after a few hops, in one line."""
    url = web_server.redirect("loop", "/loop")
    async with Fetcher(timeout=2, policy=web_server.policy) as fetcher:
        with pytest.raises(SourceError, match="too many redirects"):
            await fetcher.get(url)
    assert len(web_server.hits("loop")) == MAX_REDIRECTS + 1


async def test_default_fetcher_refuses_the_test_server(web_server: WebServer) -> None:
    """Without the test's own policy, the fetcher cannot reach the loopback server at all."""
    url = web_server.serve("page", "the page")
    async with Fetcher(timeout=2) as fetcher:
        with pytest.raises(SourceError, match="port"):
            await fetcher.get(url)
    assert web_server.requests == []
