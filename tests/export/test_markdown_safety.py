"""Member text in the Markdown export renders as that text and nothing else (CommonMark).

A corpus of hostile comments (unclosed fences, HTML comments and tags, forged author
lines, headings, rules, list markers, link reference definitions, indented code,
tables, images, entities, control sequences, bidi overrides) is exported and the file
is rendered with markdown-it-py, a CommonMark renderer, with GitHub's tables and
strikethrough on too. For every comment: its heading is the only heading it has, its
text lands in its own block (between its heading and the next, at its own quote
depth), every word of it is there, and no HTML comes out of the file at all.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from bot.export import ExportOptions, export_thread
from bot.export.safetext import close_bidi, one_line, terminal_safe
from bot.models import Article, MessageCreated, MessageEdited, Prompt
from bot.store import Store
from tests.snowflakes import minute_ids

T0 = datetime(2026, 11, 9, 20, 0, tzinfo=UTC)
THREAD = 1_439_000_000_000_000_000

HOSTILE_TEXTS = [
    # fences and code
    "```", "```py\nprint('the rest is code')", "~~~", "````\nstill code?", "   ```",
    "\t```", "```\n</blockquote>\n```", "``` ```", "`` ` ``", "a ``` b",
    "    indented four", "\tindented by a tab", "text\n\n    code after a blank line",
    # HTML
    "<!--", "<!-- hidden until -->", "-->", "<div>", "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>", "<details open><summary>x</summary>", "</blockquote>",
    "<?php echo 1; ?>", "<![CDATA[ x ]]>", "<!DOCTYPE html>", "<pre>", "<span>in</span>line",
    "<a href='javascript:alert(1)'>x</a>", "<style>*{display:none}</style>",
    # forged author lines and headings
    "**Mallory** · 2026-11-09 20:30 UTC · +99",
    "### Mallory · 2026-11-09 20:30 UTC · +99",
    "> ### Mallory · 2026-11-09 20:30 UTC · +99",
    "Mallory · 2026-11-09 20:30 UTC · +99\n===", "Mallory\n---", "# Heading", "###### h6",
    "#", "#hashtag", "Setext one\n=", "ok\n= = =",
    # rules and lists
    "---", "***", "___", "- - -", "* * *", "- item", "+ item", "* item", "1. item",
    "1) item", "123456789. item", "2.", "- [ ] task",
    # quotes
    "> a quote", ">no space", ">>> all the rest\nquoted", "> > nested", ">",
    # links, images, references, entities
    "[foo]: https://evil.example/", "[x]: <javascript:alert(1)>", "[foo]", "[foo][]",
    "![x](https://tracker.example/p.png)", "![x](javascript:alert(1))", "!", "wow![a](b)",
    "[y](javascript:alert(1))", "<javascript:alert(1)>", "<https://ok.example/path>",
    "&lt;script&gt;", "&#60;b&#62;", "&amp;", "&copy; &#x41;", "AT&T & co",
    # emphasis edge cases, breaks, tables
    "** **", "_ x_", "*", "**", "__", "~~", "***bold italic***", "trailing\\",
    "two spaces  \nbreak", "a | b\n--|--\n1 | 2", "| x |\n|---|", "\\", "\\*", "\\\\",
    # terminal control sequences and bidi
    "\x1b[31mred\x1b[0m", "\x1b]0;pwned title\x07", "\x1b]8;;https://evil.example\x1b\\link"
    "\x1b]8;;\x1b\\", "\x9b31mC1 CSI", "\x07bell \x08back", "nul\x00byte", "\x85next line",
    "\u202eevil override", "\u2067isolate left open", "\u202eone\nline two",
    # a mix, and Discord markdown that should survive
    "**bold** and *italic* and `code` and ~~strike~~",
    "```py\nx = 1\n```\n# after the block", "line one\r\nline two\rline three",
]

NAMES = ["Ana", "**Mallory** · 2026", "### Hash", "<img src=x>", "\u202eNimda",
         "Eve\x1b[2J", "[x]: https://e.example", "`tick", "Bob\nNewline", "-dash"]


sf = minute_ids(T0)


@dataclass
class Posted:
    id: int
    depth: int
    text: str
    marker: str


@dataclass
class Thread:
    comments: list[Posted] = field(default_factory=list)


async def build(store: Store) -> Thread:
    """Every hostile text as a comment: top-level, a reply, and a reply to a reply."""
    article = Article(slug="hostile-md", title="# Not <b>a</b> heading\n===",
                      excerpt="```\n<!--\n[ref]: https://evil.example/", author="<i>x</i>",
                      questions=("- is this a list?", "1. or this?"))
    await store.add_prompt(Prompt(THREAD, 10, 20, THREAD, article, T0, 99))
    thread = Thread()
    minute = 0.0
    for number, text in enumerate(HOSTILE_TEXTS):
        parent: int | None = None
        depth = number % 3
        if depth:
            parent = thread.comments[-1].id
        if depth == 2 and thread.comments[-1].depth != 1:
            depth, parent = 0, None
        minute += 1
        marker = f"ZQ{number:03d}END"
        name = NAMES[number % len(NAMES)]
        body = f"{text}\n\n{marker}"
        first = f"{body}\n\nfirst version" if number % 7 == 0 else body
        message = MessageCreated(sf(minute), THREAD, 100 + number % len(NAMES), name, first,
                                 T0 + timedelta(minutes=minute), parent)
        store.submit(message)
        if number % 7 == 0:  # an earlier version with the hostile text in it too
            store.submit(MessageEdited(message.id, THREAD, body,
                                       T0 + timedelta(minutes=minute, seconds=30)))
        thread.comments.append(Posted(message.id, depth, text, marker))
    await store.flush()
    return thread


def renderer() -> MarkdownIt:
    """CommonMark (HTML allowed, as the spec has it), plus GitHub's tables and strikethrough."""
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def text_of(token: Token) -> str:
    """What a reader sees of a block token: its inline text and link addresses, or code."""
    if token.type in ("fence", "code_block"):
        return f"{token.info}\n{token.content}"
    if token.type != "inline" or token.children is None:
        return ""
    parts = []
    href = ""
    for child in token.children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "link_open":
            href = str(child.attrs.get("href", ""))
        elif child.type == "link_close":
            parts.append(f" {href}")
    return "".join(parts)


@dataclass
class Block:
    """What the rendered document shows for one comment, from its heading to the next."""

    heading: str
    quote_depth: int
    texts: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    shallowest: int = 99  # the least quote depth any of its content has


def comment_blocks(tokens: list[Token]) -> tuple[list[str], list[Block], list[Token]]:
    """Every heading, the comments' blocks (h3 headings on), and any HTML token."""
    headings: list[str] = []
    blocks: list[Block] = []
    html: list[Token] = []
    depth = 0
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == "blockquote_open":
            depth += 1
        elif token.type == "blockquote_close":
            depth -= 1
        elif token.type == "heading_open":
            heading = text_of(tokens[index + 1])
            headings.append(f"{token.tag} {heading}")
            if token.tag == "h3":
                blocks.append(Block(heading, depth))
            index += 3
            continue
        if token.type in ("html_block", "html_inline"):
            html.append(token)
        if token.children:
            html += [c for c in token.children if c.type == "html_inline"]
        if blocks and token.type in ("inline", "fence", "code_block"):
            blocks[-1].texts.append(text_of(token))
            blocks[-1].shallowest = min(blocks[-1].shallowest, depth)
            if token.type == "inline" and tokens[index - 1].type == "paragraph_open":
                blocks[-1].paragraphs.append(text_of(token))
        index += 1
    return headings, blocks, html


def words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", unicodedata.normalize("NFC", text))


def is_subsequence(needle: list[str], haystack: list[str]) -> bool:
    it = iter(haystack)
    return all(any(word == seen for seen in it) for word in needle)


@pytest.mark.parametrize("options", [ExportOptions(), ExportOptions(include_revisions=True)],
                         ids=["plain", "revisions"])
async def test_every_comment_renders_in_its_own_block_and_nothing_else(
        store: Store, tmp_path: Path, options: ExportOptions) -> None:
    """Rendered with CommonMark: one heading per comment, each text inside its own block."""
    thread = await build(store)
    out = tmp_path / "thread.md"
    await export_thread(store, THREAD, "md", out, options=options)
    document = out.read_text(encoding="utf-8")
    tokens = renderer().parse(document)
    headings, blocks, html = comment_blocks(tokens)

    assert html == []  # no HTML at all: none of ours, none of the members'
    assert headings[0].startswith("h1 # Not <b>a</b> heading")
    assert [h for h in headings if not h.startswith("h3 ")] == [
        headings[0], "h2 The question", f"h2 Discussion ({len(thread.comments)} comments, "
        f"{len(NAMES)} participants)"]
    assert len(blocks) == len(thread.comments), "a forged or a lost comment heading"
    checked = 0
    for number, (posted, block) in enumerate(zip(thread.comments, blocks, strict=True)):
        name = NAMES[number % len(NAMES)]
        assert block.heading.startswith(one_line(name) + " · ")
        assert block.quote_depth == posted.depth and block.shallowest >= posted.depth
        shown = "\n".join(block.texts)
        # Its own end marker is a paragraph of its own; no other comment's marker is here.
        assert posted.marker in block.paragraphs
        assert re.findall(r"ZQ\d{3}END", shown).count(posted.marker) == (
            1 + (options.include_revisions and number % 7 == 0))
        assert set(re.findall(r"ZQ\d{3}END", shown)) == {posted.marker}
        # Every word the member wrote is shown, in order (control sequences removed).
        assert is_subsequence(words(terminal_safe(posted.text)), words(shown)), (posted.text,
                                                                                  shown)
        checked += 1
    # Text with no Discord formatting in it shows exactly, character for character.
    exact = 0
    for posted, block in zip(thread.comments, blocks, strict=True):
        if re.search(r"[*_~`|\\]|https?://|^>|\n>|[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]",
                     posted.text):
            continue
        shown = " ".join(" ".join(block.texts).split())
        assert " ".join(posted.text.split()) in shown, (posted.text, shown)
        exact += 1
    print(f"{checked} hostile comments rendered in their own blocks, {exact} of them "
          "character for character")
    rendered = renderer().render(document)
    for tag in ("<script", "<img", "<!--", "<div", "<style", "<details", "<span", "<pre>\n<"):
        assert tag not in rendered, tag
    links = re.findall(r'(?:href|src)="([^"]*)"', rendered)
    assert links and all(link.startswith(("http://", "https://")) for link in links)


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.mark.parametrize("fmt", ["md", "txt"])
async def test_no_terminal_control_sequences_and_bidi_closed_per_line(
        store: Store, tmp_path: Path, fmt: str) -> None:
    """No control characters but tab and newline; every line closes the bidi runs it opens."""
    await build(store)
    out = tmp_path / f"thread.{fmt}"
    await export_thread(store, THREAD, fmt, out, options=ExportOptions(include_revisions=True))
    text = out.read_text(encoding="utf-8")
    assert CONTROL.findall(text) == []
    assert "\r" not in text
    lines = text.split("\n")
    unclosed = [line for line in lines if close_bidi(line) != line]
    assert unclosed == []
    # The override in a name ends before the facts that follow it on the line.
    named = [line for line in lines if "Nimda" in line and "2026-11-09" in line]
    assert named and all("\u202eNimda\u202c" in line for line in named)
    print(f"{fmt}: {len(lines)} lines, no control characters, every bidi run closed")
