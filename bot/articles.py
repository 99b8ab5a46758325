"""Article library: Markdown files with YAML front matter, read into ``Article`` records.

An article file looks like::

    ---
    title: Why Vertigo keeps falling
    film: Vertigo
    year: 1958
    question: Does knowing the twist early change whose story it is?
    ---
    The Markdown body...

The slug is the file's stem. Every problem with a file becomes an ``ArticleError``
whose message is one line naming the file and the problem, so a loader can report
a broken file and carry on with the rest.

Plain Python: nothing here knows about Discord. Reads are small and cached, but they
are blocking file I/O; an async caller that cares can wrap them in ``asyncio.to_thread``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from bot.errors import FilmclubError
from bot.models import Article

log = logging.getLogger(__name__)

#: Files bigger than this are refused rather than read.
MAX_FILE_BYTES = 1024 * 1024
#: Longest excerpt taken from the body when the front matter gives none.
EXCERPT_CHARS = 600

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
    }
)
#: Text fields where a bare YAML number is taken as text (``film: 1917``, ``title: 2046``).
_NAME_KEYS = ("title", "film", "director", "author", "source")
#: Text fields that must be written as strings.
_STRING_KEYS = ("url", "image", "excerpt")


class ArticleError(FilmclubError):
    """A problem with one article file; ``str()`` is one line: ``<path>: <problem>``."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = Path(path)
        self.problem = _one_line(problem)
        super().__init__(f"{path}: {self.problem}")


class ArticleNotFound(ArticleError):
    """No article with that slug in the library's folder (or the slug is not a valid name)."""

    def __init__(self, slug: str, root: Path, problem: str | None = None) -> None:
        self.slug = slug
        super().__init__(root, problem or f"no article {slug!r}")


def _one_line(text: str) -> str:
    return " ".join(text.split())


# ---------------------------------------------------------------------------
# Parsing one file
# ---------------------------------------------------------------------------


def parse_article(path: Path) -> Article:
    """Read one article file; raise ``ArticleError`` naming the file if it is unusable."""
    meta, body = _split_front_matter(path, _read_text(path))
    return _build_article(path, meta, body)


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

    excerpt = fields.pop("excerpt") or _excerpt_from_body(body)
    return Article(
        slug=path.stem,
        body=body,
        year=_year(path, meta.get("year")),
        published=_published(path, meta.get("published")),
        tags=_string_list(path, meta, "tags"),
        questions=_questions(path, meta),
        excerpt=excerpt,
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


# ---------------------------------------------------------------------------
# Excerpts
# ---------------------------------------------------------------------------

_HEADING = re.compile(r"#{1,6}(\s|$)")
_SETEXT_UNDERLINE = re.compile(r"(=+|-+)\s*")
_RULE = re.compile(r"([-*_])(\s*\1){2,}\s*")
_IMAGE_LINE = re.compile(r"\[?!\[[^\]]*\](\([^)]*\)|\[[^\]]*\])(\]\([^)]*\)|\]\[[^\]]*\])?\s*")
_LINK_DEFINITION = re.compile(r"\[[^\]]+\]:\s")
_LIST_ITEM = re.compile(r"([-*+]|\d{1,9}[.)])(\s|$)")
_CODE_FENCE = re.compile(r"(```|~~~)")
#: A sentence ends at . ! ? or …, perhaps followed by closing quotes, brackets or emphasis.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]*_]*(?=\s|$)")
#: Words that end in a full stop without ending the sentence.
_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "st", "mt", "vs", "dir", "e.g", "i.e", "cf"})


def _paragraphs(body: str) -> list[list[str]]:
    """The body's blocks of ordinary lines, with headings, images, rules and code removed."""
    blocks: list[list[str]] = []
    current: list[str] = []
    in_code = False

    def flush() -> None:
        if current:
            blocks.append(current.copy())
            current.clear()

    for raw in body.split("\n"):
        line = raw.strip()
        if _CODE_FENCE.match(line):
            flush()
            in_code = not in_code
            continue
        if in_code:
            continue
        if current and _SETEXT_UNDERLINE.fullmatch(line):
            current.clear()  # the lines above were a heading
            continue
        if (
            not line
            or _HEADING.match(line)
            or _RULE.fullmatch(line)
            or _IMAGE_LINE.fullmatch(line)
            or _LINK_DEFINITION.match(line)
        ):
            flush()
            continue
        current.append(line)
    flush()
    return blocks


def _is_real_paragraph(block: list[str]) -> bool:
    first = block[0]
    return not (first.startswith((">", "<", "|")) or _LIST_ITEM.match(first))


def _cut_at_sentence(text: str, limit: int = EXCERPT_CHARS) -> str:
    """``text`` if it fits, else its longest run of whole sentences within ``limit``."""
    if len(text) <= limit:
        return text
    best = 0
    for match in _SENTENCE_END.finditer(text):
        if match.end() > limit:
            break
        if text[match.start()] == "." and _is_abbreviation(text[: match.start()]):
            continue
        best = match.end()
    if best:
        return text[:best]
    # One enormous sentence: cut at a word boundary and say so.
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-—") + "…"


def _is_abbreviation(before: str) -> bool:
    words = before.split()
    if not words:
        return False
    word = words[-1].lstrip("(\"'“‘*_")
    is_initial = len(word) == 1 and word.isupper()
    return is_initial or word.lower() in _ABBREVIATIONS


def _excerpt_from_body(body: str) -> str:
    """The first real paragraph of ``body`` on one line, cut to at most 600 characters."""
    for block in _paragraphs(body):
        if _is_real_paragraph(block):
            return _cut_at_sentence(" ".join(" ".join(block).split()))
    return ""


# ---------------------------------------------------------------------------
# The library
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Cached:
    mtime_ns: int
    size: int
    result: Article | ArticleError


class ArticleLibrary:
    """The articles in one folder (``<slug>.md`` files), parsed on demand and cached.

    A missing folder is an empty library. Parsed files (and their errors) are kept,
    keyed by path, modification time and size, so that repeated calls such as
    autocomplete only ``stat`` the files.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._cache: dict[Path, _Cached] = {}

    def __repr__(self) -> str:
        return f"ArticleLibrary({str(self.root)!r})"

    def _paths(self) -> list[Path]:
        try:
            candidates = sorted(self.root.glob("*.md"))
        except OSError as exc:
            log.warning("cannot list articles in %s: %s", self.root, exc)
            return []
        return [p for p in candidates if not p.name.startswith(".") and p.is_file()]

    def _load(self, path: Path) -> Article | ArticleError:
        """The article at ``path`` or its error, parsed again only if the file changed."""
        try:
            stat = path.stat()
        except OSError as exc:
            return ArticleError(path, f"cannot read file: {exc.strerror or exc}")
        cached = self._cache.get(path)
        if cached and (cached.mtime_ns, cached.size) == (stat.st_mtime_ns, stat.st_size):
            return cached.result
        result: Article | ArticleError
        try:
            result = parse_article(path)
        except ArticleError as exc:
            result = exc
        self._cache[path] = _Cached(stat.st_mtime_ns, stat.st_size, result)
        return result

    def _load_all(self) -> list[Article | ArticleError]:
        paths = self._paths()
        results = [self._load(path) for path in paths]
        for gone in self._cache.keys() - set(paths):
            del self._cache[gone]
        return results

    def slugs(self) -> list[str]:
        """The slugs of all article files, sorted, without parsing them."""
        return [path.stem for path in self._paths()]

    def get(self, slug: str) -> Article:
        """The article named ``slug``; ``ArticleNotFound`` if there is none."""
        if (
            not slug
            or "/" in slug
            or "\\" in slug
            or ".." in slug
            or "\0" in slug
            or slug.startswith(".")
        ):
            raise ArticleNotFound(
                slug, self.root, f"invalid article slug {slug!r}: not a plain file name"
            )
        path = self.root / f"{slug}.md"
        if not path.is_file():
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
        needle = text.strip().casefold()
        ranked: list[tuple[int, str, str, Article]] = []
        for result in self._load_all():
            if isinstance(result, ArticleError):
                continue
            slug, title = result.slug.casefold(), result.title.casefold()
            if slug.startswith(needle) or title.startswith(needle):
                rank = 0
            elif needle in slug or needle in title:
                rank = 1
            else:
                continue
            ranked.append((rank, title, slug, result))
        ranked.sort(key=lambda item: item[:3])
        return [item[3] for item in ranked[:limit]]
