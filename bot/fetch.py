"""Fetching web pages and feeds over HTTP: timeouts, a size cap, conditional requests.

The extractors and the feed parser never fetch anything themselves: they parse the
bytes fetched here. Every failure is a ``SourceError`` whose message is one line
naming the URL, so a poll of many feeds can report one and go on with the rest.

Every URL, every address connected to and every redirect is checked against a
``FetchPolicy`` (``bot.netguard``): public addresses on ports 80 and 443 only,
unless the owner allowed more. Redirects are followed here, one hop at a time, so
each new address is checked before anything is sent to it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from types import TracebackType
from typing import Self
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver

from bot import __version__
from bot.errors import SourceError
from bot.netguard import FetchPolicy, FetchRefused, GuardedResolver

log = logging.getLogger(__name__)

#: Bytes read at most from one page or feed.
MAX_BYTES = 5 * 1024 * 1024
#: Seconds a whole request (connect, headers, body) may take.
TIMEOUT = 20.0
#: Redirects followed at most for one fetch.
MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
USER_AGENT = f"filmclub/{__version__} (a film discussion bot)"
PAGE_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
FEED_ACCEPT = ("application/rss+xml,application/atom+xml,application/feed+xml;q=0.9,"
               "application/xml;q=0.8,text/xml;q=0.8,*/*;q=0.3")


@dataclass(frozen=True, slots=True)
class Fetched:
    """What a GET returned: the body (empty for 304 Not Modified) and its caching headers."""

    url: str  # the final URL, after redirects
    status: int
    body: bytes
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def is_web_url(text: str) -> bool:
    """Whether ``text`` is an http(s) URL with a host."""
    parts = urlsplit(text.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


class Fetcher:
    """One aiohttp session for pages and feeds; use as ``async with Fetcher() as fetch``.

    ``policy`` says where it may go (default: public addresses on ports 80 and 443).
    """

    def __init__(self, *, timeout: float = TIMEOUT, max_bytes: int = MAX_BYTES,
                 policy: FetchPolicy | None = None,
                 resolver: AbstractResolver | None = None) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.policy = policy if policy is not None else FetchPolicy()
        #: Where names are looked up before the policy judges the answer (default:
        #: the system's resolver); tests give one that answers what they need.
        self.resolver = resolver
        self._guard = GuardedResolver(self.policy, resolver)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            await self._guard.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # The guarded resolver is the only way to an address: what it returns is
            # what the connection uses, so the check and the connect see the same
            # answer. No proxies from the environment (trust_env is off).
            self._guard = GuardedResolver(self.policy, self.resolver)
            connector = aiohttp.TCPConnector(resolver=self._guard)
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=self.timeout, connect=min(self.timeout, 10)),
                headers={"User-Agent": USER_AGENT},
                trust_env=False,
            )
        return self._session

    async def get(self, url: str, *, accept: str = PAGE_ACCEPT, etag: str | None = None,
                  last_modified: str | None = None, max_bytes: int | None = None) -> Fetched:
        """GET ``url``; a 304 (when ``etag``/``last_modified`` are given) has an empty body.

        ``max_bytes`` overrides the fetcher's cap for this download (a feed's budget).
        """
        if not is_web_url(url):
            raise SourceError(f"{url}: not an http(s) URL")
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        cap = self.max_bytes if max_bytes is None else max_bytes
        try:
            async with asyncio.timeout(self.timeout):
                return await self._follow(url, headers, cap, etag, last_modified)
        except SourceError:
            raise
        except FetchRefused as exc:
            raise SourceError(f"{url}: {exc}") from None
        except TimeoutError:
            raise SourceError(f"{url}: no answer within {self.timeout:g} s") from None
        except aiohttp.InvalidURL:
            raise SourceError(f"{url}: not a valid URL") from None
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, FetchRefused):
                raise SourceError(f"{url}: {exc.os_error}") from None
            raise SourceError(f"{url}: cannot connect ({_reason(exc)})") from None
        except (aiohttp.ClientError, OSError, asyncio.IncompleteReadError) as exc:
            raise SourceError(f"{url}: the download failed ({_reason(exc)})") from None

    async def _follow(self, url: str, headers: dict[str, str], cap: int, etag: str | None,
                      last_modified: str | None) -> Fetched:
        """GET ``url``, following redirects hop by hop, each hop checked by the policy."""
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                self.policy.check_url(current)
            except FetchRefused as exc:
                shown = "" if current == url else f"redirected to {current}: "
                raise SourceError(f"{url}: {shown}{exc}") from None
            try:
                response = await self._client().get(current, headers=headers,
                                                    allow_redirects=False)
            except aiohttp.ClientConnectorError as exc:
                if current != url and isinstance(exc.os_error, FetchRefused):
                    raise SourceError(f"{url}: redirected to {current}: {exc.os_error}") from None
                raise
            async with response:
                location = response.headers.get("Location")
                if response.status in _REDIRECTS and location:
                    current = urljoin(current, location.strip())
                    continue
                if response.status == 304:
                    return Fetched(current, 304, b"",
                                   etag=response.headers.get("ETag") or etag,
                                   last_modified=response.headers.get("Last-Modified")
                                   or last_modified)
                if response.status >= 400:
                    reason = response.reason or ""
                    raise SourceError(f"{url}: the server answered HTTP {response.status} {reason}"
                                      .rstrip())
                declared = response.content_length
                if declared is not None and declared > cap:
                    raise SourceError(f"{url}: {declared} bytes, over the {cap}-byte limit")
                body = await self._read_capped(url, response, cap)
                return Fetched(
                    url=current, status=response.status, body=body,
                    content_type=response.headers.get("Content-Type"),
                    etag=response.headers.get("ETag"),
                    last_modified=response.headers.get("Last-Modified"),
                )
        raise SourceError(f"{url}: too many redirects (over {MAX_REDIRECTS})")

    @staticmethod
    async def _read_capped(url: str, response: aiohttp.ClientResponse, cap: int) -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > cap:
                raise SourceError(f"{url}: over the {cap}-byte limit")
            chunks.append(chunk)
        return b"".join(chunks)


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
