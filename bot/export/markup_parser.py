"""Discord's message markup, parsed once for every format that renders it.

Members write Discord's markdown; the HTML export shows it as safe HTML
(:mod:`bot.export.markup_html`) and the Markdown export as safe CommonMark
(:mod:`bot.export.markup_commonmark`). Both read a message the same way, so the
reading lives here: :class:`MarkupParser` walks the text and asks its renderer, through
one method per construct, what to write for each; a renderer never matches text itself.

What is read, as Discord shows it:

- fenced code blocks (```` ```lang ... ``` ````), ``> quote`` lines, and ``>>> `` which
  quotes the rest of the message (:func:`blocks`);
- ``**bold**``, ``*italics*`` and ``_italics_`` (at the start of a word only, never in
  snake_case), ``__underline__``, ``~~strike~~``, ```` `code` ````, ``||spoilers||``;
- links: bare ``http(s)://`` addresses (a closing bracket that balances one in the address
  belongs to it), ``<https://...>`` and ``[label](https://...)``; only addresses that pass
  :func:`is_web_url` are links, any other scheme stays text;
- user mentions ``<@id>``, custom emoji ``<:name:id>``, timestamps ``<t:seconds:style>``;
- a backslash before punctuation: that character, literally.

Spans nest up to :data:`MAX_NESTING` deep; deeper text is shown as text.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import urlsplit

#: Nested spans deeper than this are shown as text: a guard against pathological input.
MAX_NESTING = 12

_CODE_BLOCK = re.compile(r"```(?:([A-Za-z0-9_+#.-]+)\n)?\n?([\s\S]+?)\n?```")
_SPECIAL = re.compile(r"[\\`|\[<*_~]|https?://", re.IGNORECASE)

_ESCAPED = re.compile(r"\\([^\sA-Za-z0-9])")
_INLINE_CODE = re.compile(r"(``?)(?!`)([\s\S]+?)(?<!`)\1(?!`)")
_SPOILER = re.compile(r"\|\|([\s\S]+?)\|\|")
_MASKED_LINK = re.compile(
    r"\[([^\[\]\n]+)\]\(\s*<?((?:[^\s()<>]|\([^\s()<>]*\))+)>?\s*\)"
)
_ANGLE_LINK = re.compile(r"<(https?://[^\s<>\"]+)>", re.IGNORECASE)
# A bare address ends before trailing punctuation; a quote mark is never part of one.
_BARE_LINK = re.compile(r"https?://[^\s<>\"]*[^\s<>\".,:;')\]!?*_~|]", re.IGNORECASE)
_USER = re.compile(r"<@!?([0-9]{1,20})>")
_EMOJI = re.compile(r"<a?:([A-Za-z0-9_~]{1,32}):[0-9]{1,20}>")
_TIMESTAMP = re.compile(r"<t:(-?[0-9]{1,13})(?::([tTdDfFR]))?>")
_BOLD = re.compile(r"\*\*([\s\S]+?)\*\*(?!\*)")
_UNDERLINE = re.compile(r"__([\s\S]+?)__(?!_)")
_STAR_ITALIC = re.compile(
    r"\*(?=\S)((?:\*\*|\\[\s\S]|\s+(?:\\[\s\S]|[^\s*\\]|\*\*)|[^\s*\\])+?)\*(?!\*)"
)
_UNDERSCORE_ITALIC = re.compile(r"_((?:__|\\[\s\S]|[^\\_])+?)_(?![A-Za-z0-9])")
_STRIKE = re.compile(r"~~([\s\S]+?)~~")

Emphasis = Literal["bold", "underline", "italic", "strike"]

# The spans whose content is itself markup, in order of precedence.
_SPANS: tuple[tuple[re.Pattern[str], Emphasis], ...] = (
    (_BOLD, "bold"),
    (_UNDERLINE, "underline"),
    (_STAR_ITALIC, "italic"),
    (_STRIKE, "strike"),
)

_NOT_IN_URLS = re.compile(r"[\s\x00-\x1f\x7f]")


def is_web_url(url: str) -> bool:
    """True for an absolute http or https address with a host: the only links made."""
    if _NOT_IN_URLS.search(url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in {"http", "https"} and bool(parts.hostname)


#: A message's blocks, in order: ("code", language or None, code), ("plain", text) and
#: ("quote", text), the text of plain and quoted blocks still to be read inline.
Block = tuple[Literal["code"], str | None, str] | tuple[Literal["plain", "quote"], str]


def blocks(text: str) -> Iterator[Block]:
    """The code blocks, quotes and runs of plain lines of a message, as Discord reads them.

    The line break before and after a code block belongs to the block; a quote is
    consecutive ``> `` lines, or everything after a line starting ``>>> ``.
    """
    last = 0
    for match in _CODE_BLOCK.finditer(text):
        before = text[last:match.start()]
        if before.endswith("\n"):
            before = before[:-1]
        yield from _lines(before)
        yield ("code", match.group(1), match.group(2))
        last = match.end()
        if text.startswith("\n", last):
            last += 1
    yield from _lines(text[last:])


def _lines(text: str) -> Iterator[Block]:
    if not text:
        return
    lines = text.split("\n")
    plain: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith(">>> "):
            if plain:
                yield ("plain", "\n".join(plain))
                plain = []
            yield ("quote", "\n".join([line[4:], *lines[index + 1:]]))
            break
        if line.startswith("> "):
            if plain:
                yield ("plain", "\n".join(plain))
                plain = []
            quoted = []
            while index < len(lines) and lines[index].startswith("> "):
                quoted.append(lines[index][2:])
                index += 1
            yield ("quote", "\n".join(quoted))
            continue
        plain.append(line)
        index += 1
    if plain:
        yield ("plain", "\n".join(plain))


class MarkupParser(ABC):
    """Reads the inline markup of a message's text; a subclass says what each construct
    becomes in its format, and how plain text is escaped there.

    Each ``on_*`` method gets what was read, the text inside already rendered; one that
    returns None refuses the construct, whose first character is then read as text.
    """

    def inline(self, text: str, *, depth: int = 0, links: bool = True) -> str:
        """Spans, links and mentions in ``text`` rendered; everything else escaped text.

        ``links=False`` inside a link's label: no link is made there.
        """
        if depth > MAX_NESTING:
            return self.escape(text)
        out: list[str] = []
        plain_from = position = 0
        while (found := _SPECIAL.search(text, position)) is not None:
            position = found.start()
            rendered = self._span_at(text, position, depth, links)
            if rendered is None:
                position += 1
                continue
            piece, end = rendered
            if plain_from < position:
                out.append(self.escape(text[plain_from:position]))
            self.append(out, piece)
            position = plain_from = end
        if plain_from < len(text):
            out.append(self.escape(text[plain_from:]))
        return "".join(out)

    def append(self, out: list[str], piece: str) -> None:
        """Add a rendered construct after what ``out`` holds (escaped text, constructs)."""
        out.append(piece)

    # -- what a format makes of each construct ---------------------------------------
    @abstractmethod
    def escape(self, text: str) -> str:
        """Plain text, shown as itself."""

    def on_escaped(self, char: str) -> str:
        """A backslash-escaped punctuation character."""
        return self.escape(char)

    @abstractmethod
    def on_code(self, code: str) -> str:
        """An inline code span's text, as written."""

    @abstractmethod
    def on_spoiler(self, inner: str) -> str:
        """A spoiler around rendered ``inner``."""

    @abstractmethod
    def on_masked_link(self, url: str, label: str) -> str | None:
        """``[label](url)``: ``url`` is a web address, ``label`` rendered without links."""

    @abstractmethod
    def on_link(self, url: str) -> str:
        """A web address written bare or in angle brackets."""

    @abstractmethod
    def on_mention(self, user_id: int, written: str) -> str:
        """A user mention as written (``<@123>``)."""

    @abstractmethod
    def on_emoji(self, name: str, written: str) -> str:
        """A custom emoji as written (``<:film:123>``)."""

    @abstractmethod
    def on_timestamp(self, moment: datetime | None, style: str, written: str) -> str | None:
        """A ``<t:seconds:style>`` timestamp (style ``f`` when none is given); ``moment``
        is None when the seconds are out of any date's range."""

    @abstractmethod
    def on_emphasis(self, kind: Emphasis, inner: str) -> str:
        """Bold, underline, italics or strike around rendered ``inner``."""

    # -- reading ---------------------------------------------------------------------
    def _span_at(self, text: str, pos: int, depth: int,
                 links: bool) -> tuple[str, int] | None:
        """The rendering of the construct that starts at ``pos``, and where it ends."""
        char = text[pos]
        if char == "\\":
            if m := _ESCAPED.match(text, pos):
                return self.on_escaped(m.group(1)), m.end()
            return None
        if char == "`":
            if m := _INLINE_CODE.match(text, pos):
                return self.on_code(m.group(2)), m.end()
            return None
        if char == "|":
            if m := _SPOILER.match(text, pos):
                inner = self.inline(m.group(1), depth=depth + 1, links=links)
                return self.on_spoiler(inner), m.end()
            return None
        if char == "[":
            if links and (m := _MASKED_LINK.match(text, pos)) and is_web_url(m.group(2)):
                label = self.inline(m.group(1), depth=depth + 1, links=False)
                rendered = self.on_masked_link(m.group(2), label)
                return None if rendered is None else (rendered, m.end())
            return None
        if char == "<":
            return self._angle_at(text, pos, links)
        if char in "*_~":
            return self._emphasis_at(text, pos, depth, links)
        if links and (m := _BARE_LINK.match(text, pos)):
            url, end = m.group(0), m.end()
            # "https://en.wikipedia.org/wiki/Rashomon_(film)": a closing bracket that
            # balances one in the address belongs to it.
            while text.startswith(")", end) and url.count("(") > url.count(")"):
                url, end = url + ")", end + 1
            if is_web_url(url):
                return self.on_link(url), end
        return None

    def _angle_at(self, text: str, pos: int, links: bool) -> tuple[str, int] | None:
        if m := _USER.match(text, pos):
            return self.on_mention(int(m.group(1)), m.group(0)), m.end()
        if m := _EMOJI.match(text, pos):
            return self.on_emoji(m.group(1), m.group(0)), m.end()
        if m := _TIMESTAMP.match(text, pos):
            try:
                moment: datetime | None = datetime.fromtimestamp(int(m.group(1)), tz=UTC)
            except (OverflowError, OSError, ValueError):
                moment = None
            rendered = self.on_timestamp(moment, m.group(2) or "f", m.group(0))
            return None if rendered is None else (rendered, m.end())
        if links and (m := _ANGLE_LINK.match(text, pos)) and is_web_url(m.group(1)):
            return self.on_link(m.group(1)), m.end()
        return None

    def _emphasis_at(self, text: str, pos: int, depth: int,
                     links: bool) -> tuple[str, int] | None:
        for pattern, kind in _SPANS:
            if m := pattern.match(text, pos):
                inner = self.inline(m.group(1), depth=depth + 1, links=links)
                return self.on_emphasis(kind, inner), m.end()
        # _italics_ only at the start of a word, as in "a _word_", never in snake_case.
        if (text[pos] == "_" and (pos == 0 or not text[pos - 1].isalnum())
                and (m := _UNDERSCORE_ITALIC.match(text, pos))):
            inner = self.inline(m.group(1), depth=depth + 1, links=links)
            return self.on_emphasis("italic", inner), m.end()
        return None
