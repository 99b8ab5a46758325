"""Article library: the folder of article files, and the catalog of every postable article.

Files are Markdown with YAML front matter, or plain text (the first line is the
title, then a blank line, then the body). A Markdown file looks like::

    ---
    title: Why Vertigo keeps falling
    film: Vertigo
    year: 1958
    question: Does knowing the twist early change whose story it is?
    ---
    The Markdown body...

A plain-text file is just::

    Why Vertigo keeps falling

    The body...

The slug is the file's stem. When the front matter asks no question, the
article's own closing questions are used (``bot.questions``). Every problem
with a file becomes an ``ArticleError`` whose message is one line naming the file
and the problem, so a loader can report a broken file and carry on with the rest.

Articles read from web pages and feeds are kept in the store; ``Catalog`` puts them
together with the folder's files, and knows what makes two articles the same one
(``article_keys``: canonical URL, feed entry id, content hash).

Plain Python: nothing here knows about Discord. Reads are small and cached, but they
are blocking file I/O; an async caller that cares can wrap them in ``asyncio.to_thread``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import re
import threading
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import yaml

from bot.errors import FilmclubError
from bot.models import QUESTION_FROM_ARTICLE, QUESTION_FROM_FRONT_MATTER, Article, StoredArticle
from bot.prose import EXCERPT_CHARS, excerpt, has_text
from bot.questions import closing_questions
from bot.spoilers import check_released
from bot.store.base import Store

log = logging.getLogger(__name__)

#: Files bigger than this are refused rather than read.
MAX_FILE_BYTES = 1024 * 1024
#: File name endings the library reads: Markdown with front matter, and plain text.
SUFFIXES = (".md", ".txt")

__all__ = ["EXCERPT_CHARS", "MAX_FILE_BYTES", "ArticleError", "ArticleLibrary",
           "ArticleNotFound", "Catalog", "article_keys", "canonical_url", "check_slug",
           "parse_article", "with_question"]

_FENCE = "---"
_KNOWN_KEYS = frozenset(
    {
        "title",
        "url",
        "film",
        "year",
        "director",
        "author",
        "source",
        "published",
        "image",
        "tags",
        "question",
        "questions",
        "excerpt",
        "spoilers",
        "released",
    }
)
#: Text fields where a bare YAML number is taken as text (``film: 1917``, ``title: 2046``).
_NAME_KEYS = ("title", "film", "director", "author", "source")
#: Text fields that must be written as strings.
_STRING_KEYS = ("url", "image", "excerpt")


class ArticleError(FilmclubError):
    """A problem with one article file; ``str()`` is one line: ``<name>: <problem>``.

    ``path`` is where the file is; the message names it as ``shown`` says (the library
    names its files relative to its folder, so no absolute path reaches Discord).
    """

    def __init__(self, path: Path | str, problem: str, *, shown: str | None = None) -> None:
        self.path = Path(path)
        self.problem = _one_line(problem)
        super().__init__(f"{shown or path}: {self.problem}")


class ArticleNotFound(ArticleError):
    """No article with that slug in the library's folder (or the slug is not a valid name)."""

    def __init__(self, slug: str, root: Path, problem: str | None = None) -> None:
        self.slug = slug
        self.path = Path(root)
        self.problem = _one_line(problem or f"no article {slug!r} in the library")
        FilmclubError.__init__(self, self.problem)  # no folder path: this reaches Discord


def _one_line(text: str) -> str:
    return " ".join(text.split())


# ---------------------------------------------------------------------------
# Parsing one file
# ---------------------------------------------------------------------------


def parse_article(path: Path) -> Article:
    """Read one article file; raise ``ArticleError`` naming the file if it is unusable."""
    text = _read_text(path)
    if path.suffix.lower() == ".txt":
        return _plain_article(path, text)
    meta, body = _split_front_matter(path, text)
    return _build_article(path, meta, body)


def _plain_article(path: Path, text: str) -> Article:
    """A plain-text article: the first line is the title, a blank line, then the body."""
    lines = text.strip("\n").split("\n")
    title = _one_line(lines[0])
    if len(lines) > 1 and lines[1].strip():
        raise ArticleError(path, "plain-text article: line 2 must be blank (line 1 is the title)")
    if len(title) > 300:
        raise ArticleError(path, "plain-text article: line 1 (the title) is over 300 characters")
    body = "\n".join(lines[2:]).strip("\n")
    if not has_text(body):
        raise ArticleError(path, "the article has a title but no text: write its body after "
                                 "line 2")
    questions = closing_questions(body, known=(title,))
    return Article(slug=path.stem, title=title, body=body,
                   excerpt=_excerpt_from_body(body, known=(title,)), questions=questions,
                   question_from=QUESTION_FROM_ARTICLE if questions else "")


def _read_text(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ArticleError(path, f"file is {size} bytes, over the {MAX_FILE_BYTES}-byte limit")
        with path.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ArticleError(path, f"cannot read file: {exc.strerror or exc}") from exc
    if len(data) > MAX_FILE_BYTES:
        raise ArticleError(path, f"file is over the {MAX_FILE_BYTES}-byte limit")
    if not data.strip():
        raise ArticleError(path, "file is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArticleError(path, f"file is not valid UTF-8 (byte {exc.start})") from exc
    if "\0" in text:
        raise ArticleError(path, f"file holds a NUL byte (byte {data.index(0)}): not a text "
                                 "article")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _split_front_matter(path: Path, text: str) -> tuple[dict[str, Any], str]:
    lines = text.split("\n")
    if lines[0].rstrip() != _FENCE:
        raise ArticleError(path, "no front matter: the first line must be '---'")
    for end in range(1, len(lines)):
        if lines[end].rstrip() == _FENCE:
            break
    else:
        raise ArticleError(path, "front matter is not closed: no '---' line after line 1")

    source = "\n".join(lines[1:end])
    try:
        meta = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        problem = getattr(exc, "problem", None)
        detail = f": {problem}" if problem else ""
        raise ArticleError(path, f"front matter is not valid YAML{where}{detail}") from exc
    except (ValueError, RecursionError) as exc:
        # PyYAML raises ValueError for values that look like dates but are not (2024-13-45).
        raise ArticleError(path, f"front matter has an invalid value: {exc}") from exc

    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise ArticleError(
            path, f"front matter must be a mapping of keys to values, not {_kind(meta)}"
        )
    body = "\n".join(lines[end + 1 :]).strip("\n")
    return meta, body


def _build_article(path: Path, meta: dict[Any, Any], body: str) -> Article:
    for key in meta:
        if key not in _KNOWN_KEYS:
            log.debug("%s: ignoring unknown front-matter key %r", path, key)

    fields: dict[str, Any] = {}
    for key in _NAME_KEYS:
        fields[key] = _text(path, meta, key, numbers_ok=True)
    for key in _STRING_KEYS:
        fields[key] = _text(path, meta, key)

    if not fields["title"]:
        raise ArticleError(path, "front matter has no title")

    given = fields.pop("excerpt")
    year = _year(path, meta.get("year"))
    published = _published(path, meta.get("published"))
    tags = _string_list(path, meta, "tags")
    questions, origin = _questions(path, meta), QUESTION_FROM_FRONT_MATTER
    spoilers, released = _spoilers(path, meta.get("spoilers")), _released(path, meta)
    if not has_text(body):
        raise ArticleError(path, "the article has no text after its front matter")
    known = tuple(k for k in (fields["title"], fields["film"]) if k)
    if not questions:
        questions, origin = closing_questions(body, known=known), QUESTION_FROM_ARTICLE
    return Article(
        slug=path.stem,
        body=body,
        year=year,
        published=published,
        tags=tags,
        questions=questions,
        question_from=origin if questions else "",
        excerpt=given or _excerpt_from_body(body, known=known),
        spoilers=spoilers,
        released=released,
        **fields,
    )


def _kind(value: object) -> str:
    """A short name for a YAML value's type, for messages."""
    names = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
        date: "a date",
        datetime: "a date and time",
    }
    return names.get(type(value), type(value).__name__)


def _text(path: Path, meta: dict[Any, Any], key: str, *, numbers_ok: bool = False) -> str | None:
    value = meta.get(key)
    if value is None:
        return None
    if numbers_ok and isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ArticleError(path, f"{key} must be a string, not {_kind(value)}")
    return value.strip() or None


def _year(path: Path, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArticleError(path, f"year must be an integer, not {_kind(value)}")
    if not 1800 <= value <= 2200:
        raise ArticleError(path, f"year {value} is not a plausible film year")
    return value


def _spoilers(path: Path, value: object) -> bool | None:
    """Front matter's ``spoilers: true|false`` (issue 18); None when it does not say."""
    if value is None or isinstance(value, bool):
        return value
    raise ArticleError(path, f"spoilers must be true or false, not {_kind(value)}")


def _released(path: Path, meta: dict[Any, Any]) -> str | None:
    """Front matter's ``released`` (issue 18): 'YYYY-MM-DD', a year 'YYYY', or None."""
    try:
        return check_released(meta.get("released"))
    except ValueError as exc:
        raise ArticleError(path, f"{exc}, not {_kind(meta.get('released'))}") from None


def _published(path: Path, value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):  # datetime is a date too; YAML makes these from bare dates
        return value.isoformat()
    if not isinstance(value, str):
        raise ArticleError(path, f"published must be a date or a string, not {_kind(value)}")
    return value.strip() or None


def _string_list(path: Path, meta: dict[Any, Any], key: str) -> tuple[str, ...]:
    value = meta.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ArticleError(path, f"{key} must be a list of strings, not {_kind(value)}")
    items = []
    for index, item in enumerate(value, start=1):
        if not isinstance(item, str) or not item.strip():
            what = "an empty string" if isinstance(item, str) else _kind(item)
            raise ArticleError(path, f"{key} item {index} must be a non-empty string, not {what}")
        items.append(item.strip())
    return tuple(items)


def _questions(path: Path, meta: dict[Any, Any]) -> tuple[str, ...]:
    has_one = meta.get("question") is not None
    has_many = meta.get("questions") is not None
    if has_one and has_many:
        raise ArticleError(path, "give either question or questions, not both")
    if has_one:
        question = _text(path, meta, "question")
        return (question,) if question else ()
    return _string_list(path, meta, "questions")


def _excerpt_from_body(body: str, *, known: tuple[str, ...] = ()) -> str:
    """The first real paragraph of ``body`` on one line, cut to at most 600 characters."""
    return excerpt(body, EXCERPT_CHARS, known=known)


# ---------------------------------------------------------------------------
# The library
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Cached:
    mtime_ns: int
    size: int
    result: Article | ArticleError


class ArticleLibrary:
    """The articles in one folder (``<slug>.md`` and ``<slug>.txt``), parsed on demand, cached.

    A missing folder is an empty library. Parsed files (and their errors) are kept,
    keyed by path, modification time and size, so that repeated calls such as
    autocomplete only ``stat`` the files.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._cache: dict[Path, _Cached] = {}
        self._lock = threading.RLock()  # callers may use worker threads (asyncio.to_thread)

    def __repr__(self) -> str:
        return f"ArticleLibrary({str(self.root)!r})"

    def _paths(self) -> list[Path]:
        try:
            candidates = sorted(
                (p for suffix in SUFFIXES for p in self.root.glob(f"*{suffix}")),
                key=lambda p: (p.stem, SUFFIXES.index(p.suffix)),
            )
        except OSError as exc:
            log.warning("cannot list articles in %s: %s", self.root, exc)
            return []
        return [p for p in candidates if not p.name.startswith(".") and p.is_file()]

    def _load(self, path: Path) -> Article | ArticleError:
        """The article at ``path`` or its error, parsed again only if the file changed."""
        with self._lock:
            return self._load_unlocked(path)

    def shown(self, path: Path) -> str:
        """How a file of the library is named in messages: relative to the folder."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.name

    def _outside(self, path: Path) -> bool:
        """Whether ``path`` is a link (or under one) to something outside the folder."""
        try:
            path.resolve(strict=True).relative_to(self.root.resolve(strict=True))
        except (OSError, ValueError, RuntimeError):
            return True
        return False

    def _load_unlocked(self, path: Path) -> Article | ArticleError:
        shown = self.shown(path)
        try:
            stat = path.stat()
        except OSError as exc:
            return ArticleError(path, f"cannot read file: {exc.strerror or exc}", shown=shown)
        if self._outside(path):
            self._cache.pop(path, None)
            return ArticleError(path, "is a link to a file outside the library; not read",
                                shown=shown)
        cached = self._cache.get(path)
        if cached and (cached.mtime_ns, cached.size) == (stat.st_mtime_ns, stat.st_size):
            return cached.result
        result: Article | ArticleError
        try:
            result = parse_article(path)
        except ArticleError as exc:
            result = ArticleError(path, exc.problem, shown=shown)
        self._cache[path] = _Cached(stat.st_mtime_ns, stat.st_size, result)
        return result

    def _load_all(self) -> list[Article | ArticleError]:
        with self._lock:
            return self._load_all_unlocked()

    def _load_all_unlocked(self) -> list[Article | ArticleError]:
        paths = self._paths()
        results: list[Article | ArticleError] = []
        seen: dict[str, Path] = {}
        for path in paths:
            if path.stem in seen:  # notes.md and notes.txt: the Markdown file is the article
                results.append(ArticleError(
                    path, f"slug {path.stem!r} is already taken by {seen[path.stem].name}",
                    shown=self.shown(path)))
                continue
            seen[path.stem] = path
            results.append(self._load(path))
        for gone in self._cache.keys() - set(paths):
            del self._cache[gone]
        return results

    def slugs(self) -> list[str]:
        """The slugs of all article files, sorted, without parsing them."""
        return list(dict.fromkeys(path.stem for path in self._paths()))

    def path_of(self, slug: str) -> Path | None:
        """The file that holds ``slug``, if there is one (Markdown before plain text)."""
        if not _plain_name(slug):
            return None
        for suffix in SUFFIXES:
            path = self.root / f"{slug}{suffix}"
            if path.is_file():
                return path
        return None

    def get(self, slug: str) -> Article:
        """The article named ``slug``; ``ArticleNotFound`` if there is none."""
        if not _plain_name(slug):
            raise ArticleNotFound(
                slug, self.root, f"invalid article slug {slug!r}: not a plain file name"
            )
        path = self.path_of(slug)
        if path is None:
            raise ArticleNotFound(slug, self.root)
        result = self._load(path)
        if isinstance(result, ArticleError):
            raise result
        return result

    def all(self) -> tuple[list[Article], list[ArticleError]]:
        """Every article that parses, sorted by slug, and an error for each file that does not."""
        articles: list[Article] = []
        errors: list[ArticleError] = []
        for result in self._load_all():
            if isinstance(result, ArticleError):
                errors.append(result)
            else:
                articles.append(result)
        return articles, errors

    def search(self, text: str, limit: int = 25) -> list[Article]:
        """Articles whose slug or title contains ``text`` (any case), prefix matches first.

        Within each group articles are ordered by title. Broken files are skipped.
        An empty ``text`` matches every article.
        """
        if limit <= 0:
            return []
        found = [r for r in self._load_all() if not isinstance(r, ArticleError)]
        return rank_articles(found, text, limit)


def _plain_name(slug: str) -> bool:
    return not (
        not slug or "/" in slug or "\\" in slug or ".." in slug or "\0" in slug
        or slug.startswith(".")
    )


def rank_articles(articles: list[Article], text: str, limit: int = 25) -> list[Article]:
    """Articles whose slug or title contains ``text`` (any case): prefix matches, then others.

    Within each group articles are ordered by title; an empty ``text`` matches all.
    """
    if limit <= 0:
        return []
    needle = text.strip().casefold()
    ranked: list[tuple[int, str, str, Article]] = []
    for article in articles:
        slug, title = article.slug.casefold(), article.title.casefold()
        if slug.startswith(needle) or title.startswith(needle):
            rank = 0
        elif needle in slug or needle in title:
            rank = 1
        else:
            continue
        ranked.append((rank, title, slug, article))
    ranked.sort(key=lambda item: item[:3])
    return [item[3] for item in ranked[:limit]]


# ---------------------------------------------------------------------------
# What makes two articles the same one
# ---------------------------------------------------------------------------

#: Query parameters that track a click rather than name a page.
_TRACKING = re.compile(
    r"(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|igshid|ref|ref_src|cmpid|src|share)",
    re.IGNORECASE,
)
#: Bodies shorter than this many words get no content hash (too likely to collide).
HASH_MIN_WORDS = 40
SLUG_CHARS = 60


def canonical_url(url: str | None) -> str | None:
    """``url`` reduced to what names the page: https, no www., no fragment or tracking query.

    ``http://www.Example.com/a/?utm_source=x#top`` and ``https://example.com/a`` are the
    same page. Returns None for anything that is not an http(s) URL.
    """
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    host = host.removeprefix("www.")
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = re.sub(r"/{2,}", "/", parts.path or "/")
    if len(path) > 1:
        path = path.rstrip("/")
    query = urlencode(sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _TRACKING.fullmatch(k)
    ))
    return urlunsplit(("https", netloc, path, query, ""))


def content_hash(body: str) -> str | None:
    """A hash of the body's words (no markup, links or case); None for a short body."""
    text = re.sub(r"\]\([^)]*\)", "]", body)
    text = re.sub(r"https?://\S+", " ", text)
    words = re.findall(r"\w+", text.casefold())
    if len(words) < HASH_MIN_WORDS:
        return None
    return hashlib.sha256(" ".join(words).encode()).hexdigest()[:32]


def article_keys(article: Article, *, entry_id: str | None = None) -> tuple[str, ...]:
    """What identifies an article wherever it came from: canonical URL, feed entry, content hash."""
    keys = []
    url = canonical_url(article.url)
    if url:
        keys.append(f"url:{url}")
    if entry_id:
        keys.append(f"entry:{entry_id}")
    digest = content_hash(article.body)
    if digest:
        keys.append(f"hash:{digest}")
    return tuple(keys)


#: A slug one may choose: what ``slugify`` makes, and underscores.
_CHOSEN_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,79}")


def check_slug(slug: str) -> str:
    """``slug`` if one may name an article so; ``ArticleError`` in one line otherwise."""
    if not _CHOSEN_SLUG.fullmatch(slug):
        raise ArticleError(slug or "''", "a slug is lowercase letters, digits, hyphens and "
                                         "underscores, up to 80 (like her-documentary)")
    return slug


def with_question(path: Path, question: str) -> str:
    """The text of the article file at ``path`` with ``question`` as its front matter's.

    A Markdown file's front matter is written again with the question (its other keys
    kept, in order); a plain-text file becomes Markdown with a title and the question.
    The file at ``path`` is only read.
    """
    text = _read_text(path)
    if path.suffix.lower() == ".txt":
        article = _plain_article(path, text)
        meta: dict[str, Any] = {"title": article.title}
        body = article.body
    else:
        meta, body = _split_front_matter(path, text)
        meta = {k: v for k, v in meta.items() if k not in ("question", "questions")}
    meta["question"] = question
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=100)
    return f"{_FENCE}\n{front}{_FENCE}\n\n{body}\n"


def slugify(title: str) -> str:
    """A file-name-safe slug: 'Vertigo: the second fall' → 'vertigo-the-second-fall'."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > SLUG_CHARS:
        slug = slug[:SLUG_CHARS].rsplit("-", 1)[0] or slug[:SLUG_CHARS]
    return slug or "article"


# ---------------------------------------------------------------------------
# The catalog: files and stored articles together
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """An article and where it lives: a file in the folder, or the store."""

    article: Article
    origin: str  # "file", "page", "html-file" or "feed"
    source: str  # the file's path, or the URL / file it was read from
    keys: tuple[str, ...]


class Catalog:
    """Every article the club can post: the library folder's files and the stored articles.

    A slug names one article in either place (new stored articles get a slug no file
    has). Files win if a file is later given a stored article's slug.
    """

    def __init__(self, library: ArticleLibrary, store: Store) -> None:
        self.library = library
        self.store = store

    async def get(self, slug: str) -> Article:
        """The article named ``slug``; ``ArticleNotFound`` (or the file's error) otherwise."""
        try:
            return await asyncio.to_thread(self.library.get, slug)
        except ArticleNotFound as missing:
            if _plain_name(slug):
                stored = await self.store.get_article(slug)
                if stored is not None:
                    return stored.article
            raise missing from None

    async def search(self, text: str, limit: int = 25) -> list[Article]:
        """Articles whose slug or title contains ``text``, prefix matches first (autocomplete)."""
        files = await asyncio.to_thread(self.library.search, text, limit)
        taken = {a.slug for a in files}
        stored = [s.article for s in await self.store.list_articles()
                  if s.article.slug not in taken]
        return rank_articles(files + stored, text, limit)

    async def entries(self) -> tuple[list[CatalogEntry], list[ArticleError]]:
        """Every article (files by slug, then stored ones oldest first) and each file's error."""
        files, errors = await asyncio.to_thread(self.library.all)
        found = [
            CatalogEntry(a, "file", str(self.library.path_of(a.slug) or a.slug), article_keys(a))
            for a in files
        ]
        taken = {a.slug for a in files}
        for stored in await self.store.list_articles():
            if stored.article.slug not in taken:
                found.append(CatalogEntry(stored.article, stored.origin, stored.source,
                                          stored.keys))
        return found, errors

    async def entry(self, slug: str) -> CatalogEntry | None:
        """The catalog entry (the article and where it lives) named ``slug``, if any."""
        found, _ = await self.entries()
        return next((e for e in found if e.article.slug == slug), None)

    async def find(self, keys: tuple[str, ...]) -> CatalogEntry | None:
        """An article that shares an identity key with ``keys`` (the same article), if any."""
        if not keys:
            return None
        stored = await self.store.find_article(keys)
        if stored is not None:
            return CatalogEntry(stored.article, stored.origin, stored.source, stored.keys)
        wanted = set(keys)
        files, _ = await asyncio.to_thread(self.library.all)
        for article in files:
            if wanted & set(article_keys(article)):
                path = self.library.path_of(article.slug)
                return CatalogEntry(article, "file", str(path or article.slug),
                                    article_keys(article))
        return None

    async def keys_of(self, article: Article) -> tuple[str, ...]:
        """Every key a prompt of ``article`` is remembered by: its slug and identity keys."""
        stored = await self.store.get_article(article.slug)
        identity = stored.keys if stored is not None else article_keys(article)
        return (f"slug:{article.slug}", *identity)

    async def free_slug(self, title: str, *, taken: set[str] | frozenset[str] = frozenset(),
                        ) -> str:
        """A slug for ``title`` that no file, no stored article and nothing in ``taken`` has."""
        base = slugify(title)
        taken = set(taken) | set(await asyncio.to_thread(self.library.slugs))
        taken.update(s.article.slug for s in await self.store.list_articles())
        slug, number = base, 1
        while slug in taken:
            number += 1
            slug = f"{base}-{number}"
        return slug

    async def slug_taken(self, slug: str) -> str | None:
        """What holds ``slug`` already ("the file x.md", "an article added from …"), or None."""
        path = await asyncio.to_thread(self.library.path_of, slug)
        if path is not None:
            return f"the file {path.name}"
        stored = await self.store.get_article(slug)
        if stored is not None:
            return f"an article added from {stored.source}"
        return None

    async def add(self, article: Article, *, origin: str, source: str, now: datetime,
                  entry_id: str | None = None, feed_id: int | None = None,
                  slug: str | None = None) -> tuple[StoredArticle | CatalogEntry, bool]:
        """Keep ``article`` in the store under ``slug`` or a free one: ``(stored, True)``.

        When the same article is already in the catalog (a key matches), nothing is
        added and ``(existing, False)`` is returned. A ``slug`` that is taken is refused
        (``ArticleError``).
        """
        keys = article_keys(article, entry_id=entry_id)
        existing = await self.find(keys)
        if existing is not None:
            return existing, False
        if slug is not None:
            holder = await self.slug_taken(slug)
            if holder is not None:
                raise ArticleError(source, f"the slug {slug!r} is taken by {holder}")
        slug = slug or await self.free_slug(article.title)
        stored = StoredArticle(dataclasses.replace(article, slug=slug), origin, source, keys,
                               now, feed_id)
        await self.store.add_article(stored)
        return stored, True

    async def unposted(self, guild_id: int, *, exclude: set[str] | frozenset[str] = frozenset(),
                       ) -> list[Article]:
        """Articles never posted in the server (by any key), minus the slugs in ``exclude``."""
        posted = await self.store.posted_keys(guild_id)
        found, _ = await self.entries()
        return [
            entry.article for entry in found
            if entry.article.slug not in exclude
            and f"slug:{entry.article.slug}" not in posted
            and not posted.intersection(entry.keys)
        ]
