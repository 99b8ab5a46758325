"""Member text as CommonMark that renders as that text, and nothing else.

The Markdown export puts what members wrote into a document of its own structure:
a heading per comment, replies quoted under what they answer. Written verbatim, a
comment could break out of its place: an unclosed code fence turns every later
comment into code, ``<!--`` hides them, raw HTML goes to whatever renders the file,
a line shaped like a heading, a rule, a list item or a link reference definition
changes the document's blocks, and ``**Name** · date · +99`` forges an author line.

So member text is rendered here from Discord's markdown (read by
:mod:`bot.export.markup_parser`, as for the HTML export) into CommonMark built by rule:

- the formatting Discord shows becomes its CommonMark form: ``**bold**``,
  ``*italics*``, ``~~strike~~``, code spans and fenced code blocks (fences longer than
  any run of backticks inside), ``> quotes``, and links to http(s) addresses only
  (``<https://...>``, ``[label](<https://...>)``);
- every other character is text: the punctuation CommonMark (or GitHub's tables and
  strikethrough) could read as markup is backslash-escaped, an ``&`` that would start
  a character reference too, so no HTML, entity, emphasis, link or image comes from
  a member;
- each line's start is made inert: a ``#``, ``>``, ``-``, ``+``, ``=``, ``|``, list
  number, fence or rule is escaped, and leading spaces start with ``&#32;`` so four
  of them cannot make a code block. No block a member writes can end the comment's
  own block or start another.

Author lines are headings, which member text can never produce, so none can be
forged. Everything also goes through ``terminal_safe`` (no control sequences, bidi
runs closed per line).
"""

from __future__ import annotations

import re
from datetime import datetime

from bot.export.markup_parser import Emphasis, MarkupParser, blocks
from bot.export.safetext import one_line, terminal_safe

#: Punctuation that is escaped wherever it appears in text.
_ALWAYS = re.compile(r"([\\`*_\[\]<~|])")
#: An ``&`` that would start a character reference (``&amp;``, ``&#35;``, ``&#x23;``).
_ENTITY = re.compile(r"&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{0,31};)")
_ORDERED = re.compile(r"([0-9]{1,9})([.)])")
_RULE = re.compile(r"[*_-](?:[ \t]*[*_-]){2,}[ \t]*")
_FENCE = re.compile(r"`{3,}|~{3,}")


def escape_text(text: str) -> str:
    """Plain text as CommonMark text: every character shows as itself, nothing is markup."""
    text = _ALWAYS.sub(r"\\\1", text)
    return _ENTITY.sub(r"\\&", text)


def guard_line(line: str) -> str:
    """A rendered line whose start can open no block: no heading, quote, list, rule, fence,
    table, code block, HTML block or setext underline."""
    if not line or line.isspace():
        return ""
    first = line[0]
    if first in " \t":
        return ("&#32;" if first == " " else "&#9;") + line[1:]
    if first in "#>+-=|":
        return "\\" + line
    if first in "*_" and (len(line) == 1 or line[1] in " \t" or _RULE.fullmatch(line)):
        return "\\" + line
    if _FENCE.match(line):
        return "\\" + line
    if m := _ORDERED.match(line):
        return f"{m.group(1)}\\{m.group(2)}{line[m.end():]}"
    return line


def inline_text(text: str) -> str:
    """One-line text (a name, a title, a label) as CommonMark text, safe at a line start."""
    return guard_line(escape_text(one_line(text))) or ""


def heading_text(text: str) -> str:
    """Text for inside a heading: as :func:`inline_text`, with ``#`` escaped too."""
    return escape_text(one_line(text)).replace("#", "\\#")


def link_destination(url: str) -> str:
    """An http(s) address as a ``<...>`` link destination: nothing in it can end it early."""
    return "<" + url.replace("\\", "%5C").replace("<", "%3C").replace(">", "%3E") + ">"


#: Discord's emphasis as CommonMark; underline has no CommonMark form (its text is kept).
_MARKERS: dict[Emphasis, str] = {"bold": "**", "underline": "", "italic": "*", "strike": "~~"}


class CommonMarkRenderer(MarkupParser):
    """Renders one member's text (Discord's markdown) as lines of safe CommonMark."""

    def render(self, text: str) -> list[str]:
        """The lines of the rendered text; blank lines separate paragraphs."""
        lines: list[str] = []
        for block in blocks(terminal_safe(text)):
            if block[0] == "code":
                lines += self._code_block(block[1], block[2])
            elif block[0] == "quote":
                lines += _quoted(self._paragraphs(block[1]))
            else:
                lines += self._paragraphs(block[1])
        return lines

    @staticmethod
    def _code_block(language: str | None, code: str) -> list[str]:
        longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
        fence = "`" * max(3, longest + 1)
        return [fence + (language or ""), *code.split("\n"), fence]

    def _paragraphs(self, text: str) -> list[str]:
        return [guard_line(line) for line in self.inline(text).split("\n")]

    def append(self, out: list[str], piece: str) -> None:
        if piece.startswith("[") and out and _bare_bang(out[-1]):
            out[-1] = out[-1][:-1] + "\\!"  # "!" before a link would make it an image
        out.append(piece)

    # -- the constructs (see MarkupParser) -------------------------------------------
    def escape(self, text: str) -> str:
        return escape_text(text)

    def on_code(self, code: str) -> str:
        return _code_span(code)

    def on_spoiler(self, inner: str) -> str:
        return f"\\|\\|{inner}\\|\\|"

    def on_masked_link(self, url: str, label: str) -> str | None:
        if not label.strip():
            return None
        return f"[{label}]({link_destination(url)})"

    def on_link(self, url: str) -> str:
        return link_destination(url)

    # Mentions, custom emoji and timestamps stay the text that was written.
    def on_mention(self, user_id: int, written: str) -> str:
        return escape_text(written)

    def on_emoji(self, name: str, written: str) -> str:
        return escape_text(written)

    def on_timestamp(self, moment: datetime | None, style: str, written: str) -> str:
        return escape_text(written)

    def on_emphasis(self, kind: Emphasis, inner: str) -> str:
        """``marker inner marker``; markers only around text CommonMark can emphasise."""
        marker = _MARKERS[kind]
        if not marker:
            return inner
        if not inner.strip() or inner[0].isspace() or inner[-1].isspace() or "\n\n" in inner:
            shown = escape_text(marker)
            return f"{shown}{inner}{shown}"
        return f"{marker}{inner}{marker}"


def _code_span(code: str) -> str:
    """``code`` as a code span whose delimiters no backtick inside can close."""
    code = code.replace("\n", " ")
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    if longest >= 2:  # a delimiter of three would open a fence at a line start
        return escape_text(code)
    ticks = "`" * (longest + 1)
    pad = code.startswith("`") or code.endswith("`") or (
        code.startswith(" ") and code.endswith(" ") and not code.isspace())
    return f"{ticks} {code} {ticks}" if pad else f"{ticks}{code}{ticks}"


def _bare_bang(piece: str) -> bool:
    """Whether ``piece`` ends with a "!" that no backslash escapes."""
    if not piece.endswith("!"):
        return False
    body = piece[:-1]
    return (len(body) - len(body.rstrip("\\"))) % 2 == 0


def _quoted(lines: list[str]) -> list[str]:
    """Lines inside a quote of the member's own (one level deeper than the comment)."""
    return [f"> {line}" if line else ">" for line in lines]
