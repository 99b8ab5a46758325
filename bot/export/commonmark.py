"""Member text as CommonMark that renders as that text, and nothing else.

The Markdown export puts what members wrote into a document of its own structure:
a heading per comment, replies quoted under what they answer. Written verbatim, a
comment could break out of its place: an unclosed code fence turns every later
comment into code, ``<!--`` hides them, raw HTML goes to whatever renders the file,
a line shaped like a heading, a rule, a list item or a link reference definition
changes the document's blocks, and ``**Name** · date · +99`` forges an author line.

So member text is rendered here from Discord's markdown (the same reading as the
HTML export, ``bot.export.discord_markdown``) into CommonMark built by rule:

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

from bot.export.discord_markdown import (
    _ANGLE_LINK,
    _BARE_LINK,
    _BOLD,
    _CODE_BLOCK,
    _EMOJI,
    _ESCAPED,
    _INLINE_CODE,
    _MASKED_LINK,
    _SPECIAL,
    _SPOILER,
    _STAR_ITALIC,
    _STRIKE,
    _TIMESTAMP,
    _UNDERLINE,
    _UNDERSCORE_ITALIC,
    _USER,
    is_web_url,
)
from bot.export.safetext import one_line, terminal_safe

# Nested spans deeper than this are shown as text (as in the HTML renderer).
_MAX_NESTING = 12

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


class MemberMarkdown:
    """Renders one member's text (Discord's markdown) as lines of safe CommonMark."""

    def render(self, text: str) -> list[str]:
        """The lines of the rendered text; blank lines separate paragraphs."""
        text = terminal_safe(text)
        lines: list[str] = []
        last = 0
        for match in _CODE_BLOCK.finditer(text):
            before = text[last:match.start()]
            if before.endswith("\n"):
                before = before[:-1]
            lines += self._blocks(before)
            lines += self._code_block(match.group(1), match.group(2))
            last = match.end()
            if text.startswith("\n", last):
                last += 1
        lines += self._blocks(text[last:])
        return lines

    # -- blocks --------------------------------------------------------------------
    @staticmethod
    def _code_block(language: str | None, code: str) -> list[str]:
        longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
        fence = "`" * max(3, longest + 1)
        return [fence + (language or ""), *code.split("\n"), fence]

    def _blocks(self, text: str) -> list[str]:
        """Plain and quoted lines (``> `` and ``>>> ``), as Discord reads them."""
        if not text:
            return []
        lines = text.split("\n")
        out: list[str] = []
        plain: list[str] = []

        def flush_plain() -> None:
            if plain:
                out.extend(self._paragraphs("\n".join(plain)))
                plain.clear()

        index = 0
        while index < len(lines):
            line = lines[index]
            if line.startswith(">>> "):
                flush_plain()
                rest = "\n".join([line[4:], *lines[index + 1:]])
                out.extend(_quoted(self._paragraphs(rest)))
                break
            if line.startswith("> "):
                flush_plain()
                quoted = []
                while index < len(lines) and lines[index].startswith("> "):
                    quoted.append(lines[index][2:])
                    index += 1
                out.extend(_quoted(self._paragraphs("\n".join(quoted))))
                continue
            plain.append(line)
            index += 1
        flush_plain()
        return out

    def _paragraphs(self, text: str) -> list[str]:
        return [guard_line(line) for line in self.inline(text).split("\n")]

    # -- inline ----------------------------------------------------------------------
    def inline(self, text: str, *, depth: int = 0, links: bool = True) -> str:
        """Spans and links in ``text`` as CommonMark; everything else escaped text."""
        if depth > _MAX_NESTING:
            return escape_text(text)
        out: list[str] = []
        plain_from = position = 0
        while (found := _SPECIAL.search(text, position)) is not None:
            position = found.start()
            rendered = self._span_at(text, position, depth, links)
            if rendered is None:
                position += 1
                continue
            markdown, end = rendered
            if plain_from < position:
                out.append(escape_text(text[plain_from:position]))
            if markdown.startswith("[") and out and _bare_bang(out[-1]):
                out[-1] = out[-1][:-1] + "\\!"  # "!" before a link would make it an image
            out.append(markdown)
            position = plain_from = end
        if plain_from < len(text):
            out.append(escape_text(text[plain_from:]))
        return "".join(out)

    def _span_at(self, text: str, pos: int, depth: int,
                 links: bool) -> tuple[str, int] | None:
        char = text[pos]
        if char == "\\":
            if m := _ESCAPED.match(text, pos):
                return escape_text(m.group(1)), m.end()
            return None
        if char == "`":
            if m := _INLINE_CODE.match(text, pos):
                return _code_span(m.group(2)), m.end()
            return None
        if char == "|":
            if m := _SPOILER.match(text, pos):
                inner = self.inline(m.group(1), depth=depth + 1, links=links)
                return f"\\|\\|{inner}\\|\\|", m.end()
            return None
        if char == "[":
            if links and (m := _MASKED_LINK.match(text, pos)) and is_web_url(m.group(2)):
                label = self.inline(m.group(1), depth=depth + 1, links=False)
                if label.strip():
                    return f"[{label}]({link_destination(m.group(2))})", m.end()
            return None
        if char == "<":
            return self._angle_at(text, pos, links)
        if char in "*_~":
            return self._emphasis_at(text, pos, depth, links)
        if links and (m := _BARE_LINK.match(text, pos)):
            url, end = m.group(0), m.end()
            while text.startswith(")", end) and url.count("(") > url.count(")"):
                url, end = url + ")", end + 1
            if is_web_url(url):
                return link_destination(url), end
        return None

    @staticmethod
    def _angle_at(text: str, pos: int, links: bool) -> tuple[str, int] | None:
        # Mentions, custom emoji and timestamps stay the text that was written.
        for pattern in (_USER, _EMOJI, _TIMESTAMP):
            if m := pattern.match(text, pos):
                return escape_text(m.group(0)), m.end()
        if links and (m := _ANGLE_LINK.match(text, pos)) and is_web_url(m.group(1)):
            return link_destination(m.group(1)), m.end()
        return None

    def _emphasis_at(self, text: str, pos: int, depth: int,
                     links: bool) -> tuple[str, int] | None:
        spans = ((_BOLD, "**"), (_UNDERLINE, ""), (_STAR_ITALIC, "*"), (_STRIKE, "~~"))
        for pattern, marker in spans:
            if m := pattern.match(text, pos):
                return self._wrapped(m.group(1), marker, depth, links), m.end()
        if (text[pos] == "_" and (pos == 0 or not text[pos - 1].isalnum())
                and (m := _UNDERSCORE_ITALIC.match(text, pos))):
            return self._wrapped(m.group(1), "*", depth, links), m.end()
        return None

    def _wrapped(self, inner_text: str, marker: str, depth: int, links: bool) -> str:
        """``marker inner marker``; markers only around text CommonMark can emphasise.

        Underline has no CommonMark form: its text is kept, unmarked.
        """
        inner = self.inline(inner_text, depth=depth + 1, links=links)
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
