"""Adding one article to the catalog from a file or a URL (``filmclub articles add``).

- A Markdown (``.md``) or plain-text (``.txt``) file is checked, then copied into the
  library folder under its own name: the library stays a folder of files.
- A saved HTML file, or a web page by URL, is read with trafilatura and kept in the
  store as an article with its source.

The same article twice (a canonical URL, feed entry or content hash already known)
is not added again. Any problem is one ``FilmclubError`` line naming the file or URL,
raised before anything is written: nothing is ever half-added.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.articles import SUFFIXES, Catalog, article_keys, parse_article
from bot.errors import SourceError
from bot.extract import extract_page
from bot.fetch import MAX_BYTES, Fetcher, is_web_url

log = logging.getLogger(__name__)

HTML_SUFFIXES = (".html", ".htm", ".xhtml")
_PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "application/xml", "text/xml")


@dataclass(frozen=True, slots=True)
class Added:
    """What ``add_source`` did."""

    slug: str
    title: str
    origin: str  # "file", "page" or "html-file"
    source: str
    added: bool  # False: the same article was already in the catalog under ``slug``

    def line(self) -> str:
        if self.added:
            return f"added {self.slug!r}: {self.title} (from {self.source})"
        return f"already in the library as {self.slug!r}: {self.title} (nothing added)"


async def add_source(source: str, catalog: Catalog, fetcher: Fetcher, *,
                     now: datetime) -> Added:
    """Add the article at ``source`` (a file path or an http(s) URL) to the catalog."""
    if is_web_url(source):
        return await _add_page(source, catalog, fetcher, now=now)
    path = Path(source).expanduser()
    if not path.is_file():
        raise SourceError(f"{source}: no such file, and not an http(s) URL")
    suffix = path.suffix.lower()
    if suffix in SUFFIXES:
        return await _add_file(path, catalog)
    if suffix in HTML_SUFFIXES:
        return await _add_html_file(path, catalog, now=now)
    raise SourceError(
        f"{source}: not an article file (use .md, .txt or a saved .html page)"
    )


async def _add_page(url: str, catalog: Catalog, fetcher: Fetcher, *, now: datetime) -> Added:
    page = await fetcher.get(url)
    kind = (page.content_type or "text/html").split(";")[0].strip().lower()
    if "rss" in kind or "atom" in kind:
        raise SourceError(f"{url}: this is a feed, not a web page (add it with `feeds add`)")
    if kind not in _PAGE_TYPES:
        raise SourceError(f"{url}: not a web page (the server sent {kind})")
    article = await asyncio.to_thread(extract_page, page.body, name=url, url=page.url)
    entry, added = await catalog.add(article, origin="page", source=url, now=now)
    return Added(entry.article.slug, entry.article.title, "page", url, added)


async def _add_html_file(path: Path, catalog: Catalog, *, now: datetime) -> Added:
    data = await asyncio.to_thread(_read_capped, path)
    article = await asyncio.to_thread(extract_page, data, name=str(path))
    entry, added = await catalog.add(article, origin="html-file", source=str(path), now=now)
    return Added(entry.article.slug, entry.article.title, "html-file", str(path), added)


def _read_capped(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise SourceError(f"{path}: cannot read file: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise SourceError(f"{path}: file is over the {MAX_BYTES}-byte limit")
    return data


async def _add_file(path: Path, catalog: Catalog) -> Added:
    """Check an article file, then copy it into the library folder under its name."""
    article = await asyncio.to_thread(parse_article, path)  # ArticleError names the file
    existing = await catalog.find(article_keys(article))
    if existing is not None:
        return Added(existing.article.slug, existing.article.title, existing.origin,
                     existing.source, False)
    library = catalog.library
    held = library.path_of(article.slug)
    if held is not None:
        if held.resolve() == path.resolve() or held.read_bytes() == path.read_bytes():
            return Added(article.slug, article.title, "file", str(held), False)
        raise SourceError(f"{path}: the library already has a different {held.name}; "
                          "rename the file to add it")
    if await catalog.store.get_article(article.slug) is not None:
        raise SourceError(f"{path}: the slug {article.slug!r} is taken by an article added "
                          "from the web; rename the file to add it")
    target = library.root / f"{article.slug}{path.suffix.lower()}"
    await asyncio.to_thread(_copy_new, path, target)
    log.info("copied %s into the library as %s", path, target)
    return Added(article.slug, article.title, "file", str(target), True)


def _copy_new(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` through a temporary file; never replaces a file."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        data = source.read_bytes()
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".adding-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.link(temp, target)  # fails if the target appeared meanwhile
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temp)
    except FileExistsError:
        raise SourceError(f"{source}: {target.name} appeared in the library meanwhile") from None
    except OSError as exc:
        raise SourceError(f"{source}: cannot copy into {target.parent}: "
                          f"{exc.strerror or exc}") from None
