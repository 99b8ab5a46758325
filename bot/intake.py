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
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from bot.articles import (
    SUFFIXES,
    Catalog,
    article_keys,
    check_slug,
    parse_article,
    with_question,
)
from bot.errors import SourceError
from bot.extract import extract_page
from bot.fetch import MAX_BYTES, Fetcher, is_web_url
from bot.models import QUESTION_FROM_GIVEN, Article

log = logging.getLogger(__name__)

HTML_SUFFIXES = (".html", ".htm", ".xhtml")
_PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "application/xml", "text/xml")


@dataclass(frozen=True, slots=True)
class Choices:
    """What the person adding an article chose: its slug, its question."""

    slug: str | None = None
    question: str | None = None

    def apply(self, article: Article) -> Article:
        if self.question is None:
            return article
        return replace(article, questions=(self.question,), question_from=QUESTION_FROM_GIVEN)


#: The longest question one may give (Discord shows at most 1,024 characters of a field).
QUESTION_CHARS = 1000


@dataclass(frozen=True, slots=True)
class Added:
    """What ``add_source`` did."""

    slug: str
    title: str
    origin: str  # "file", "page" or "html-file"
    source: str
    added: bool  # False: the same article was already in the catalog under ``slug``
    chosen: Choices = Choices()

    def line(self) -> str:
        if self.added:
            return f"added {self.slug!r}: {self.title} (from {self.source})"
        unused = [f"--{name}" for name in ("slug", "question")
                  if getattr(self.chosen, name) is not None]
        note = f"; {' and '.join(unused)} not applied" if unused else ""
        return f"already in the library as {self.slug!r}: {self.title} (nothing added{note})"


def choices(*, slug: str | None = None, question: str | None = None) -> Choices:
    """Check a chosen slug and question; ``FilmclubError`` in one line if one is unusable."""
    if slug is not None:
        slug = check_slug(slug.strip())
    if question is not None:
        question = " ".join(question.split())
        if not question:
            raise SourceError("--question is empty: give the question the prompt should ask")
        if len(question) > QUESTION_CHARS:
            raise SourceError(f"--question is {len(question)} characters; at most "
                              f"{QUESTION_CHARS} fit in a prompt")
    return Choices(slug, question)


async def add_source(source: str, catalog: Catalog, fetcher: Fetcher, *,
                     now: datetime, chosen: Choices = Choices()) -> Added:
    """Add the article at ``source`` (a file path or an http(s) URL) to the catalog.

    ``chosen`` overrides the slug it would get and the question it would ask.
    """
    if is_web_url(source):
        return await _add_page(source, catalog, fetcher, now=now, chosen=chosen)
    path = Path(source).expanduser()
    if not path.is_file():
        raise SourceError(f"{source}: no such file, and not an http(s) URL")
    suffix = path.suffix.lower()
    if suffix in SUFFIXES:
        return await _add_file(path, catalog, chosen)
    if suffix in HTML_SUFFIXES:
        return await _add_html_file(path, catalog, now=now, chosen=chosen)
    raise SourceError(
        f"{source}: not an article file (use .md, .txt or a saved .html page)"
    )


async def _add_page(url: str, catalog: Catalog, fetcher: Fetcher, *, now: datetime,
                    chosen: Choices) -> Added:
    page = await fetcher.get(url)
    kind = (page.content_type or "text/html").split(";")[0].strip().lower()
    if "rss" in kind or "atom" in kind:
        raise SourceError(f"{url}: this is a feed, not a web page (add it with `feeds add`)")
    if kind not in _PAGE_TYPES:
        raise SourceError(f"{url}: not a web page (the server sent {kind})")
    article = await asyncio.to_thread(extract_page, page.body, name=url, url=page.url)
    entry, added = await catalog.add(chosen.apply(article), origin="page", source=url, now=now,
                                     slug=chosen.slug)
    return Added(entry.article.slug, entry.article.title, "page", url, added, chosen)


async def _add_html_file(path: Path, catalog: Catalog, *, now: datetime,
                         chosen: Choices) -> Added:
    data = await asyncio.to_thread(_read_capped, path)
    article = await asyncio.to_thread(extract_page, data, name=str(path))
    entry, added = await catalog.add(chosen.apply(article), origin="html-file",
                                     source=str(path), now=now, slug=chosen.slug)
    return Added(entry.article.slug, entry.article.title, "html-file", str(path), added, chosen)


def _read_capped(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise SourceError(f"{path}: cannot read file: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise SourceError(f"{path}: file is over the {MAX_BYTES}-byte limit")
    return data


async def _add_file(path: Path, catalog: Catalog, chosen: Choices = Choices()) -> Added:
    """Check an article file, then copy it into the library folder under its name.

    With a chosen slug, the copy is named after it; with a chosen question, the copy's
    front matter asks it (a plain-text file becomes Markdown for that). The file given
    is only read.
    """
    article = await asyncio.to_thread(parse_article, path)  # ArticleError names the file
    existing = await catalog.find(article_keys(article))
    if existing is not None:
        return Added(existing.article.slug, existing.article.title, existing.origin,
                     existing.source, False, chosen)
    library = catalog.library
    slug = chosen.slug or article.slug
    suffix = ".md" if chosen.question is not None else path.suffix.lower()
    data = None
    if chosen.question is not None:
        data = (await asyncio.to_thread(with_question, path, chosen.question)).encode()
    held = library.path_of(slug)
    if held is not None:
        same = data == held.read_bytes() if data is not None else (
            held.resolve() == path.resolve() or held.read_bytes() == path.read_bytes())
        if same:
            return Added(slug, article.title, "file", str(held), False, chosen)
        how = "choose another --slug" if chosen.slug else "rename the file"
        raise SourceError(f"{path}: the library already has a different {held.name}; "
                          f"{how} to add it")
    if await catalog.store.get_article(slug) is not None:
        how = "choose another --slug" if chosen.slug else "rename the file"
        raise SourceError(f"{path}: the slug {slug!r} is taken by an article added "
                          f"from the web; {how} to add it")
    target = library.root / f"{slug}{suffix}"
    await asyncio.to_thread(_copy_new, path, target, data)
    log.info("copied %s into the library as %s", path, target)
    return Added(slug, article.title, "file", str(target), True, chosen)


def _copy_new(source: Path, target: Path, data: bytes | None = None) -> None:
    """Copy ``source`` (or write ``data``) to ``target`` through a temporary file.

    Never replaces a file.
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if data is None:
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
