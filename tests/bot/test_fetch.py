"""Fetching over HTTP from the loopback server: conditional requests, limits, failures."""

from __future__ import annotations

import pytest

from bot.errors import SourceError
from bot.fetch import Fetcher
from tests.webserver import WebServer


async def test_get_returns_body_and_validators(web_server: WebServer) -> None:
    """A page comes back with its ETag and Last-Modified."""
    url = web_server.serve("a.html", "<p>hello</p>")
    async with Fetcher() as fetcher:
        page = await fetcher.get(url)
    assert (page.status, page.body) == (200, b"<p>hello</p>")
    assert page.etag and page.last_modified
    assert "filmclub/" in web_server.hits("a.html")[0].headers["User-Agent"]


async def test_conditional_request_gets_not_modified(web_server: WebServer) -> None:
    """Sending the ETag and Last-Modified back gets a 304 with no body."""
    url = web_server.serve("feed.xml", "<rss/>")
    async with Fetcher() as fetcher:
        first = await fetcher.get(url)
        second = await fetcher.get(url, etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.body == b""
    sent = web_server.hits("feed.xml")[1].headers
    assert sent["If-None-Match"] == first.etag
    assert sent["If-Modified-Since"] == first.last_modified


async def test_changed_resource_is_fetched_again(web_server: WebServer) -> None:
    """After the resource changes, the old validators get the new body."""
    url = web_server.serve("feed.xml", "<rss>1</rss>")
    async with Fetcher() as fetcher:
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
    async with Fetcher(timeout=0.2, max_bytes=4000) as fetcher:
        with pytest.raises(SourceError) as info:
            await fetcher.get(url)
    message = str(info.value)
    assert message.startswith(f"{url}: ") and problem in message and "\n" not in message
