"""Discord's message markup as safe HTML, for the HTML export.

Every character a member wrote reaches the page escaped: the renderer only ever adds
markup of its own around escaped text, so nothing in a comment can run or inject tags.
Internally it builds plain strings for speed (a long thread has millions of pieces),
under one rule: text from the message enters only through :func:`escape_text`, and
everything else is a fixed tag written here. :meth:`HtmlRenderer.render` wraps the
result in Markup once, at the end.

The message is read by :mod:`bot.export.markup_parser`; here is what each construct
becomes:

- ``**bold**`` ``<strong>``, ``*italics*`` and ``_italics_`` ``<em>``, ``__underline__``
  ``<u>``, ``~~strike~~`` ``<s>``;
- ```` `code` ```` ``<code>`` and fenced blocks ``<pre class="code">``, their text as is;
- quotes ``<blockquote>``;
- ``||spoilers||``, hidden until clicked, focused or tapped (CSS only, no script);
- links to http(s) addresses ``<a href>`` (with ``rel="nofollow noopener"``); any other
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

from markupsafe import Markup

from bot.export.markup_parser import Emphasis, MarkupParser, blocks
from bot.spoilers import segments

#: Looks up a member's display name by user id; None when the member is not known.
NameLookup = Callable[[int], str | None]

UNKNOWN_MEMBER = "@unknown member"
LINK_REL = "nofollow noopener"

_TAGS: dict[Emphasis, tuple[str, str]] = {
    "bold": ("<strong>", "</strong>"),
    "underline": ("<u>", "</u>"),
    "italic": ("<em>", "</em>"),
    "strike": ("<s>", "</s>"),
}

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def escape_text(text: str) -> str:
    """``text`` safe as HTML content or a quoted attribute value (as markupsafe escapes it)."""
    if not _NEEDS_ESCAPE.search(text):
        return text
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&#34;").replace("'", "&#39;"))


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


_NEEDS_ESCAPE = re.compile("[&<>\"']")


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


class HtmlRenderer(MarkupParser):
    """Renders one comment's text; holds what rendering needs to know (names, zone)."""

    def __init__(self, names: NameLookup, zone: tzinfo = UTC) -> None:
        self.names = names
        self.zone = zone

    def render(self, text: str) -> Markup:
        """The whole message: code blocks and quotes, then the inline markup in them."""
        pieces: list[str] = []
        for block in blocks(text):
            if block[0] == "code":
                pieces.append(self._code_block(block[1], block[2]))
            elif block[0] == "quote":
                # a quote is a block: no line break around it
                pieces.append(f"<blockquote>{self.inline(block[1])}</blockquote>")
            else:
                pieces.append(self.inline(block[1]))
        # Safe by construction: every piece is escaped text or a fixed tag (see above).
        return Markup("".join(pieces))  # noqa: S704

    @staticmethod
    def _code_block(language: str | None, code: str) -> str:
        if language:
            return (f'<pre class="code" data-lang="{escape_text(language)}"><code>'
                    f"{escape_text(code)}</code></pre>")
        return f'<pre class="code"><code>{escape_text(code)}</code></pre>'

    # -- the constructs (see MarkupParser) -------------------------------------------
    def escape(self, text: str) -> str:
        return escape_text(text)

    def on_code(self, code: str) -> str:
        return f"<code>{escape_text(code)}</code>"

    def on_spoiler(self, inner: str) -> str:
        return spoiler_html(inner)

    def on_masked_link(self, url: str, label: str) -> str:
        return _link(url, label)

    def on_link(self, url: str) -> str:
        return _link(url, escape_text(url))

    def on_mention(self, user_id: int, written: str) -> str:
        name = self.names(user_id)
        shown = f"@{name}" if name else UNKNOWN_MEMBER
        return f'<span class="mention">{escape_text(shown)}</span>'

    def on_emoji(self, name: str, written: str) -> str:
        return f'<span class="emoji">:{escape_text(name)}:</span>'

    def on_timestamp(self, moment: datetime | None, style: str, written: str) -> str | None:
        if moment is None:
            return None  # out of range: the text as written
        shown = format_discord_time(moment, style, self.zone)
        return f'<time datetime="{moment.isoformat()}">{escape_text(shown)}</time>'

    def on_emphasis(self, kind: Emphasis, inner: str) -> str:
        opening, closing = _TAGS[kind]
        return f"{opening}{inner}{closing}"
