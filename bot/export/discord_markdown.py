"""Discord's message markdown as safe HTML, for the HTML export.

Every character a member wrote reaches the page escaped: the renderer only ever adds
markup of its own around escaped text, so nothing in a comment can run or inject tags.
Internally it builds plain strings for speed (a long thread has millions of pieces),
under one rule: text from the message enters only through :func:`escape_text`, and
everything else is a fixed tag written here. :meth:`DiscordMarkdown.render` wraps the
result in Markup once, at the end.

What is understood, as Discord shows it:

- ``**bold**``, ``*italics*`` and ``_italics_``, ``__underline__``, ``~~strike~~``;
- ```` `code` ```` and fenced blocks (```` ```lang ... ``` ````), whose text is shown as is;
- ``> quote`` lines, and ``>>> `` which quotes the rest of the message;
- ``||spoilers||``, hidden until hovered, focused or tapped (CSS only, no script);
- links: bare ``http(s)://`` addresses, ``<https://...>`` and ``[label](https://...)``.
  Only http and https become ``<a href>`` (with ``rel="nofollow noopener"``); any other
  scheme, ``javascript:`` included, stays text;
- user mentions ``<@id>`` / ``<@!id>`` as ``@Name`` when the name is known, otherwise
  ``@unknown member``; custom emoji ``<:name:id>`` as ``:name:`` (no remote image);
  timestamps ``<t:seconds:style>`` as a ``<time>`` in the reader's time zone;
- a backslash before punctuation shows that character literally.

Channel ``<#id>`` and role ``<@&id>`` mentions are left as the plain text that was
written: the export knows no channel or role names. Line breaks are kept as they are;
the page shows them with ``white-space: pre-wrap``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from urllib.parse import urlsplit

from markupsafe import Markup

from bot.spoilers import segments

#: Looks up a member's display name by user id; None when the member is not known.
NameLookup = Callable[[int], str | None]

UNKNOWN_MEMBER = "@unknown member"
LINK_REL = "nofollow noopener"

# Nested spans deeper than this are shown as text: a guard against pathological input.
_MAX_NESTING = 12

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

# The spans whose content is itself markdown, in order of precedence, with their tags.
_SPANS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (_BOLD, "<strong>", "</strong>"),
    (_UNDERLINE, "<u>", "</u>"),
    (_STAR_ITALIC, "<em>", "</em>"),
    (_STRIKE, "<s>", "</s>"),
)

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def escape_text(text: str) -> str:
    """``text`` safe as HTML content or a quoted attribute value (as markupsafe escapes it)."""
    if not _NEEDS_ESCAPE.search(text):
        return text
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&#34;").replace("'", "&#39;"))


_NEEDS_ESCAPE = re.compile("[&<>\"']")
_NOT_IN_URLS = re.compile(r"[\s\x00-\x1f\x7f]")


#: A spoiler on the page: hidden until clicked or focused (CSS only, see thread.css).
_SPOILER_OPEN = '<span class="spoiler" tabindex="0">'


def spoiler_html(inner_html: str) -> str:
    """HTML (already safe) as a spoiler that a click, a tap or the keyboard reveals."""
    return f"{_SPOILER_OPEN}{inner_html}</span>"


def text_with_spoilers(text: str, *, cut: bool = False, hide_all: bool = False) -> Markup:
    """Plain text (an excerpt) escaped, its ``||spoilers||`` hidden as on Discord; with
    ``cut`` a spoiler left open by the cut hides the rest; ``hide_all`` hides it whole
    (text from a spoiler thread, shown outside it)."""
    if hide_all:
        pieces = [spoiler_html(escape_text(text))] if text.strip() else []
    else:
        pieces = [spoiler_html(escape_text(piece)) if hidden else escape_text(piece)
                  for piece, hidden in segments(text, cut=cut)]
    return Markup("".join(pieces))  # noqa: S704 - every piece of text went through escape_text


def is_web_url(url: str) -> bool:
    """True for an absolute http or https address with a host: the only links made."""
    if _NOT_IN_URLS.search(url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in {"http", "https"} and bool(parts.hostname)


def _link(url: str, label_html: str) -> str:
    """An outgoing link: ``url`` is checked by the caller, ``label_html`` already safe."""
    return f'<a href="{escape_text(url)}" rel="{LINK_REL}">{label_html}</a>'


def format_discord_time(moment: datetime, style: str, zone: tzinfo) -> str:
    """A ``<t:...:style>`` timestamp as text, in English, in ``zone``."""
    local = moment.astimezone(zone)
    short = f"{local:%H:%M}"
    date = f"{local.day} {_MONTHS[local.month - 1]} {local.year}"
    if style == "t":
        return short
    if style == "T":
        return f"{local:%H:%M:%S}"
    if style == "d":
        return f"{local:%Y-%m-%d}"
    if style == "D":
        return date
    if style == "F":
        return f"{_WEEKDAYS[local.weekday()]}, {date} {short}"
    return f"{date} {short}"  # "f", the default, and "R" (no "now" to be relative to)


class DiscordMarkdown:
    """Renders one comment's text; holds what rendering needs to know (names, zone)."""

    def __init__(self, names: NameLookup, zone: tzinfo = UTC) -> None:
        self.names = names
        self.zone = zone

    def render(self, text: str) -> Markup:
        """The whole message: code blocks and quotes, then the inline markdown in them."""
        pieces: list[str] = []
        last = 0
        for match in _CODE_BLOCK.finditer(text):
            before = text[last:match.start()]
            if before.endswith("\n"):
                before = before[:-1]
            pieces.append(self._lines(before))
            pieces.append(self._code_block(match.group(1), match.group(2)))
            last = match.end()
            if text.startswith("\n", last):
                last += 1
        pieces.append(self._lines(text[last:]))
        # Safe by construction: every piece is escaped text or a fixed tag (see above).
        return Markup("".join(pieces))  # noqa: S704

    # -- blocks --------------------------------------------------------------------
    @staticmethod
    def _code_block(language: str | None, code: str) -> str:
        if language:
            return (f'<pre class="code" data-lang="{escape_text(language)}"><code>'
                    f"{escape_text(code)}</code></pre>")
        return f'<pre class="code"><code>{escape_text(code)}</code></pre>'

    def _lines(self, text: str) -> str:
        """Plain lines and quoted lines; a quote is a block, so no line break around it."""
        if not text:
            return ""
        lines = text.split("\n")
        pieces: list[str] = []
        plain: list[str] = []

        def flush_plain() -> None:
            if plain:
                pieces.append(self.inline("\n".join(plain)))
                plain.clear()

        index = 0
        while index < len(lines):
            line = lines[index]
            if line.startswith(">>> "):
                flush_plain()
                rest = "\n".join([line[4:], *lines[index + 1:]])
                pieces.append(f"<blockquote>{self.inline(rest)}</blockquote>")
                break
            if line.startswith("> "):
                flush_plain()
                quoted = []
                while index < len(lines) and lines[index].startswith("> "):
                    quoted.append(lines[index][2:])
                    index += 1
                pieces.append(f"<blockquote>{self.inline(chr(10).join(quoted))}</blockquote>")
                continue
            plain.append(line)
            index += 1
        flush_plain()
        return "".join(pieces)

    # -- inline ----------------------------------------------------------------------
    def inline(self, text: str, *, depth: int = 0, links: bool = True) -> str:
        """Spans, links and mentions in ``text`` as safe HTML; the rest escaped as it is."""
        if depth > _MAX_NESTING:
            return escape_text(text)
        out: list[str] = []
        plain_from = 0
        position = 0
        while (found := _SPECIAL.search(text, position)) is not None:
            position = found.start()
            rendered = self._span_at(text, position, depth, links)
            if rendered is None:
                position += 1
                continue
            html, end = rendered
            if plain_from < position:
                out.append(escape_text(text[plain_from:position]))
            out.append(html)
            position = plain_from = end
        if plain_from < len(text):
            out.append(escape_text(text[plain_from:]))
        return "".join(out)

    def _span_at(self, text: str, pos: int, depth: int,
                 links: bool) -> tuple[str, int] | None:
        """The HTML for the construct that starts at ``pos``, and where it ends."""
        char = text[pos]
        if char == "\\":
            if m := _ESCAPED.match(text, pos):
                return escape_text(m.group(1)), m.end()
            return None
        if char == "`":
            if m := _INLINE_CODE.match(text, pos):
                return f"<code>{escape_text(m.group(2))}</code>", m.end()
            return None
        if char == "|":
            if m := _SPOILER.match(text, pos):
                inner = self.inline(m.group(1), depth=depth + 1, links=links)
                return spoiler_html(inner), m.end()
            return None
        if char == "[":
            if links and (m := _MASKED_LINK.match(text, pos)) and is_web_url(m.group(2)):
                label = self.inline(m.group(1), depth=depth + 1, links=False)
                return _link(m.group(2), label), m.end()
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
                return _link(url, escape_text(url)), end
        return None

    def _angle_at(self, text: str, pos: int, links: bool) -> tuple[str, int] | None:
        if m := _USER.match(text, pos):
            name = self.names(int(m.group(1)))
            shown = f"@{name}" if name else UNKNOWN_MEMBER
            return f'<span class="mention">{escape_text(shown)}</span>', m.end()
        if m := _EMOJI.match(text, pos):
            return f'<span class="emoji">:{escape_text(m.group(1))}:</span>', m.end()
        if m := _TIMESTAMP.match(text, pos):
            try:
                moment = datetime.fromtimestamp(int(m.group(1)), tz=UTC)
            except (OverflowError, OSError, ValueError):
                return None
            shown = format_discord_time(moment, m.group(2) or "f", self.zone)
            return (f'<time datetime="{moment.isoformat()}">{escape_text(shown)}</time>',
                    m.end())
        if links and (m := _ANGLE_LINK.match(text, pos)) and is_web_url(m.group(1)):
            return _link(m.group(1), escape_text(m.group(1))), m.end()
        return None

    def _emphasis_at(self, text: str, pos: int, depth: int,
                     links: bool) -> tuple[str, int] | None:
        for pattern, opening, closing in _SPANS:
            if m := pattern.match(text, pos):
                inner = self.inline(m.group(1), depth=depth + 1, links=links)
                return f"{opening}{inner}{closing}", m.end()
        # _italics_ only at the start of a word, as in "a _word_", never in snake_case.
        if (text[pos] == "_" and (pos == 0 or not text[pos - 1].isalnum())
                and (m := _UNDERSCORE_ITALIC.match(text, pos))):
            inner = self.inline(m.group(1), depth=depth + 1, links=links)
            return f"<em>{inner}</em>", m.end()
        return None
