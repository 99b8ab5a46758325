"""Fetching web pages and feeds over HTTP: timeouts, a size cap, conditional requests.

The extractors and the feed parser never fetch anything themselves: they parse the
bytes fetched here. Every failure is a ``SourceError`` whose message is one line
naming the URL, so a poll of many feeds can report one and go on with the rest.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

import aiohttp

from bot import __version__
from bot.errors import SourceError

log = logging.getLogger(__name__)

#: Bytes read at most from one page or feed.
MAX_BYTES = 5 * 1024 * 1024
#: Seconds a whole request (connect, headers, body) may take.
TIMEOUT = 20.0
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
    """One aiohttp session for pages and feeds; use as ``async with Fetcher() as fetch``."""

    def __init__(self, *, timeout: float = TIMEOUT, max_bytes: int = MAX_BYTES) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout, connect=min(self.timeout, 10)),
                headers={"User-Agent": USER_AGENT},
            )
        return self._session

    async def get(self, url: str, *, accept: str = PAGE_ACCEPT, etag: str | None = None,
                  last_modified: str | None = None) -> Fetched:
        """GET ``url``; a 304 (when ``etag``/``last_modified`` are given) has an empty body."""
        if not is_web_url(url):
            raise SourceError(f"{url}: not an http(s) URL")
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            async with self._client().get(url, headers=headers, max_redirects=5) as response:
                if response.status == 304:
                    return Fetched(str(response.url), 304, b"",
                                   etag=response.headers.get("ETag") or etag,
                                   last_modified=response.headers.get("Last-Modified")
                                   or last_modified)
                if response.status >= 400:
                    reason = response.reason or ""
                    raise SourceError(f"{url}: the server answered HTTP {response.status} {reason}"
                                      .rstrip())
                declared = response.content_length
                if declared is not None and declared > self.max_bytes:
                    raise SourceError(f"{url}: {declared} bytes, over the {self.max_bytes}-byte"
                                      " limit")
                body = await self._read_capped(url, response)
                return Fetched(
                    url=str(response.url), status=response.status, body=body,
                    content_type=response.headers.get("Content-Type"),
                    etag=response.headers.get("ETag"),
                    last_modified=response.headers.get("Last-Modified"),
                )
        except SourceError:
            raise
        except TimeoutError:
            raise SourceError(f"{url}: no answer within {self.timeout:g} s") from None
        except aiohttp.TooManyRedirects:
            raise SourceError(f"{url}: too many redirects") from None
        except aiohttp.InvalidURL:
            raise SourceError(f"{url}: not a valid URL") from None
        except aiohttp.ClientConnectorError as exc:
            raise SourceError(f"{url}: cannot connect ({_reason(exc)})") from None
        except (aiohttp.ClientError, OSError, asyncio.IncompleteReadError) as exc:
            raise SourceError(f"{url}: the download failed ({_reason(exc)})") from None

    async def _read_capped(self, url: str, response: aiohttp.ClientResponse) -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > self.max_bytes:
                raise SourceError(f"{url}: over the {self.max_bytes}-byte limit")
            chunks.append(chunk)
        return b"".join(chunks)


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
