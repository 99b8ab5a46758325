"""A loopback HTTP server for pages and feeds: no internet in the tests.

Each path serves what the test put there, with an ETag and Last-Modified when asked
and 304 Not Modified to a matching conditional request. It records every request
(with its headers) and can answer slowly, with an error status, a redirect, or only
once the test opens a gate; it counts how many requests it holds at once.

The bot's fetcher refuses loopback addresses (``bot.netguard``), whatever the settings
say. ``server.policy`` is the one way through, for this server's own port: a
``FetchPolicy`` made here, in test code, which no setting can produce.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from aiohttp import web

from bot.netguard import FetchPolicy, IPAddress

RSS = "application/rss+xml; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
HTML = "text/html; charset=utf-8"


class LoopbackForTests(FetchPolicy):
    """The production policy, plus 127.0.0.1 on the given ports: for the tests' own servers.

    Only the literal address ``127.0.0.1`` on those ports gets through; ``localhost``,
    ``[::1]``, other ports and everything else are judged as in production.
    """

    def __init__(self, *ports: int) -> None:
        super().__init__(ports=ports)
        self.loopback_ports = frozenset(ports)

    def refusal(self, host: str, port: int, ip: IPAddress) -> str | None:
        if host == "127.0.0.1" and str(ip) == "127.0.0.1" and port in self.loopback_ports:
            return None
        return super().refusal(host, port, ip)


async def listen(app: web.Application) -> tuple[web.AppRunner, int]:
    """Serve ``app`` on 127.0.0.1 at a free port: its runner (to clean up) and the port."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


@dataclass
class Resource:
    body: bytes
    content_type: str
    status: int = 200
    delay: float = 0.0
    etag: str | None = None
    last_modified: str | None = None
    location: str | None = None  # where a redirect points
    gate: asyncio.Event | None = None  # answered only once the test sets it


@dataclass(frozen=True)
class Seen:
    """One request the server answered."""

    path: str
    headers: dict[str, str]
    status: int


class WebServer:
    """Serves ``Resource``s on 127.0.0.1; ``url(path)`` is where the bot fetches them."""

    def __init__(self) -> None:
        self.resources: dict[str, Resource] = {}
        self.requests: list[Seen] = []
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._version = 0
        self.in_flight = 0  # requests being answered right now
        self.peak = 0  # the most answered at once since the last reset_peak()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._handle)
        self._runner, self.port = await listen(app)

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    @property
    def policy(self) -> LoopbackForTests:
        """A fetch policy that lets the fetcher reach this server (and nothing else local)."""
        return LoopbackForTests(self.port)

    def redirect(self, path: str, to: str, *, status: int = 302) -> str:
        """Make ``path`` redirect to ``to``; returns its URL."""
        self.resources["/" + path.lstrip("/")] = Resource(b"", "text/plain", status,
                                                          location=to)
        return self.url(path)

    def reset_peak(self) -> None:
        self.peak = self.in_flight

    def serve(self, path: str, body: bytes | str, *, content_type: str = HTML, status: int = 200,
              delay: float = 0.0, validators: bool = True,
              gate: asyncio.Event | None = None) -> str:
        """Put ``body`` at ``path`` (with a fresh ETag and Last-Modified); returns its URL."""
        data = body.encode() if isinstance(body, str) else body
        self._version += 1
        etag = last_modified = None
        if validators:
            etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
            stamp = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=self._version)
            last_modified = format_datetime(stamp, usegmt=True)
        self.resources["/" + path.lstrip("/")] = Resource(data, content_type, status, delay,
                                                          etag, last_modified, gate=gate)
        return self.url(path)

    def hits(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path == "/" + path.lstrip("/")]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            return await self._answer(request)
        finally:
            self.in_flight -= 1

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        resource = self.resources.get(request.path)
        headers = dict(request.headers)
        if resource is None:
            self.requests.append(Seen(request.path, headers, 404))
            return web.Response(status=404, text="not found")
        if resource.delay:
            await asyncio.sleep(resource.delay)
        if resource.gate is not None:
            await resource.gate.wait()
        if resource.location is not None:
            self.requests.append(Seen(request.path, headers, resource.status))
            return web.Response(status=resource.status, headers={"Location": resource.location})
        validators: dict[str, Any] = {}
        if resource.etag:
            validators["ETag"] = resource.etag
        if resource.last_modified:
            validators["Last-Modified"] = resource.last_modified
        fresh = (resource.etag and request.headers.get("If-None-Match") == resource.etag) or (
            resource.last_modified
            and request.headers.get("If-Modified-Since") == resource.last_modified)
        if resource.status == 200 and fresh:
            self.requests.append(Seen(request.path, headers, 304))
            return web.Response(status=304, headers=validators)
        self.requests.append(Seen(request.path, headers, resource.status))
        return web.Response(status=resource.status, body=resource.body,
                            headers={"Content-Type": resource.content_type, **validators})


@pytest.fixture
async def web_server() -> AsyncIterator[WebServer]:
    """A loopback HTTP server for pages and feeds, closed after the test."""
    server = WebServer()
    await server.start()
    yield server
    await server.close()


def rss(title: str, items: list[dict[str, str]], *, link: str = "https://example.org/") -> str:
    """An RSS 2.0 document; each item may have title, link, guid, pubDate, description, content."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/">',
        f"<channel><title>{title}</title><link>{link}</link><description>{title}</description>",
    ]
    for item in items:
        parts.append("<item>")
        for key in ("title", "link", "guid", "pubDate", "category"):
            if key in item:
                parts.append(f"<{key}>{item[key]}</{key}>")
        if "author" in item:
            parts.append(f"<dc:creator>{item['author']}</dc:creator>")
        if "description" in item:
            parts.append(f"<description><![CDATA[{item['description']}]]></description>")
        if "content" in item:
            parts.append(f"<content:encoded><![CDATA[{item['content']}]]></content:encoded>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts)


def atom(title: str, entries: list[dict[str, str]]) -> str:
    """An Atom document; each entry may have title, link, id, updated, summary, content, author."""
    parts = ['<?xml version="1.0" encoding="utf-8"?>',
             '<feed xmlns="http://www.w3.org/2005/Atom">',
             f"<title>{title}</title><id>urn:test:{title}</id>"
             "<updated>2024-03-01T00:00:00Z</updated>"]
    for entry in entries:
        parts.append("<entry>")
        parts.append(f"<title>{entry.get('title', '')}</title>")
        if "link" in entry:
            parts.append(f'<link rel="alternate" href="{entry["link"]}"/>')
        parts.append(f"<id>{entry.get('id', entry.get('link', ''))}</id>")
        parts.append(f"<updated>{entry.get('updated', '2024-03-01T00:00:00Z')}</updated>")
        if "author" in entry:
            parts.append(f"<author><name>{entry['author']}</name></author>")
        if "summary" in entry:
            parts.append(f'<summary type="html"><![CDATA[{entry["summary"]}]]></summary>')
        if "content" in entry:
            parts.append(f'<content type="html"><![CDATA[{entry["content"]}]]></content>')
        parts.append("</entry>")
    parts.append("</feed>")
    return "\n".join(parts)
