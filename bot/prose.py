"""Reading article prose: blocks, sentences, where the prose begins and ends, excerpts.

Article bodies arrive as hand-written Markdown, as text extracted from a web page,
or as a feed entry turned into text. All of them are read the same way here: split
into blocks (paragraphs, list items, quotes, headings), then the article's *prose*
is found between the matter pages put before it (bylines, captions, spoiler notes)
and after it (link and source lines, credits, bios, tags, related links, widgets,
newsletter footers, comment sections: ``bot.matter``). The excerpt is the first real
paragraph of that prose; the closing questions (``bot.questions``) are read from its
last paragraphs.

Plain Python: nothing here knows about Discord or about where the text came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from bot import matter
from bot.captions import unglue_caption

__all__ = ["EXCERPT_CHARS", "Block", "blocks", "clean_text", "cut_at_sentence",
           "ends_sentence", "excerpt", "has_text", "is_debris", "is_real_paragraph",
           "prose_blocks", "sentences", "unglue_caption"]

#: Longest excerpt taken from a body when none is given.
EXCERPT_CHARS = 600
#: Blocks after a "Related" line this short are its links' titles, not the article.
RELATED_TITLE_WORDS = 16

BlockKind = Literal["paragraph", "item", "quote", "heading", "other"]


@dataclass(frozen=True, slots=True)
class Block:
    """A run of text lines: a paragraph, one list item, a quote, a heading or other markup."""

    kind: BlockKind
    text: str  # the lines joined by single spaces


# ---------------------------------------------------------------------------
# Line shapes
# ---------------------------------------------------------------------------

_HEADING = re.compile(r"#{1,6}(\s|$)")
_SETEXT_UNDERLINE = re.compile(r"(=+|-+)\s*")
_RULE = re.compile(r"([-*_])(\s*\1){2,}\s*")
_IMAGE = r"!\[[^\]]*\](?:\([^)]*\)|\[[^\]]*\])"
_IMAGE_LINE = re.compile(rf"\[?{_IMAGE}(\]\([^)]*\)|\]\[[^\]]*\])?\s*")
_LINK_DEFINITION = re.compile(r"\[[^\]]+\]:\s")
_LIST_ITEM = re.compile(r"([-*+•]|\d{1,9}[.)]|[a-z][.)](?=\s))(\s+|$)")
_CODE_FENCE = re.compile(r"(```|~~~)")

#: A sentence ends at . ! ? or …, perhaps followed by closing quotes, brackets or emphasis.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]*_]*(?=\s|$)")
#: Words that end in a full stop without ending the sentence.
_ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "st", "mt", "vs", "dir", "e.g", "i.e", "cf", "no", "vol", "jr", "sr",
     "prof", "gen", "sgt", "capt", "lt", "col", "rev", "approx", "etc.,", "feat", "ft", "pt"}
)


def is_debris(line: str) -> bool:
    """Whether a line is scraping debris: a "[via …]" credit or a share/comment widget."""
    text = line.strip().strip("*_")
    if not text:
        return False
    return matter.is_credit_line(text) or matter.is_widget(text)


# ---------------------------------------------------------------------------
# Blocks and sentences
# ---------------------------------------------------------------------------


def all_blocks(body: str) -> list[Block]:
    """Every block of the body in order, headings included; images, rules and code left out.

    A line that is a widget's, a credit's or a trailing section's ("Share this:",
    "[via …]", "4 Comments") is a block of its own even inside a run of lines, as
    scraped text runs them together.
    """
    found: list[Block] = []
    current: list[str] = []
    kind: BlockKind = "paragraph"
    in_code = False

    def flush() -> None:
        if current:
            found.append(Block(kind, " ".join(" ".join(current).split())))
            current.clear()

    for raw in body.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip()
        if _CODE_FENCE.match(line):
            flush()
            in_code = not in_code
            continue
        if in_code:
            continue
        if current and kind == "paragraph" and _SETEXT_UNDERLINE.fullmatch(line):
            text = " ".join(current)
            current.clear()
            found.append(Block("heading", text))  # the lines above were a heading
            continue
        if (not line or _RULE.fullmatch(line) or _IMAGE_LINE.fullmatch(line)
                or _LINK_DEFINITION.match(line)):
            flush()
            continue
        if is_debris(_without_marker(line)) or matter.is_section_break(line):
            flush()  # a widget's, a credit's or a section's line, even in a run of lines
            found.append(Block("paragraph", " ".join(line.split())))
            continue
        if _HEADING.match(line):
            flush()
            text = line.lstrip("#").strip().rstrip("#").strip()
            if text:
                found.append(Block("heading", text))
            continue
        item = _LIST_ITEM.match(line)
        if item:
            flush()
            kind = "item"
            current.append(line[item.end():])
            continue
        if not current:
            kind = "quote" if line.startswith(">") else (
                "other" if line.startswith(("<", "|")) else "paragraph")
        current.append(line)
    flush()
    return [b for b in found if b.text]


def blocks(body: str) -> list[Block]:
    """The body's blocks, in order, without headings, images, rules, code and debris."""
    return [b for b in all_blocks(body)
            if b.kind != "heading" and not is_debris(_without_marker(b.text))]


def _without_marker(line: str) -> str:
    item = _LIST_ITEM.match(line)
    return line[item.end():] if item else line


def sentences(text: str) -> list[str]:
    """``text`` split into sentences (initials and abbreviations do not end one)."""
    found: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if text[match.start()] == "." and _is_abbreviation(text[start: match.start()]):
            continue
        sentence = text[start: match.end()].strip()
        if sentence:
            found.append(sentence)
        start = match.end()
    rest = text[start:].strip()
    if rest:
        found.append(rest)
    return found


def _is_abbreviation(before: str) -> bool:
    words = before.split()
    if not words:
        return False
    word = words[-1].lstrip("(\"'“‘*_")
    is_initial = len(word) == 1 and word.isupper()
    return is_initial or word.lower() in _ABBREVIATIONS


def ends_sentence(text: str) -> bool:
    """Whether ``text`` ends with sentence punctuation (perhaps inside quotes or emphasis)."""
    return matter.ends_sentence(text)


def has_text(body: str) -> bool:
    """Whether ``body`` holds any text at all besides headings, images, rules and code."""
    return any(b.kind != "heading" and any(ch.isalnum() for ch in b.text)
               for b in all_blocks(body))


# ---------------------------------------------------------------------------
# Where the prose is
# ---------------------------------------------------------------------------


def is_real_paragraph(block: Block) -> bool:
    """A paragraph of prose: not a list, quote, byline or caption (those end without a stop)."""
    if block.kind != "paragraph":
        return False
    if len(block.text.split()) < 3:
        return False
    return ends_sentence(block.text) or len(block.text) >= 120


def prose_blocks(body: str, *, known: Iterable[str] = ()) -> list[Block]:
    """The article's own blocks: without the matter pages put before, around and after it.

    Matter blocks (``bot.matter.block_kind``) are left out wherever they are; a line that
    opens a page's trailing sections ("You may also like", "3 comments", "About the
    author"), once the prose has begun, ends it; the titles after a "Related" line are
    left out; and what trails the last paragraph without being prose (a heading, a
    title, a name) goes too. Before the first real paragraph, a caption glued to the
    first word is taken off (``known``: the page's captions, the title and the film).
    Headings are kept where the prose goes on after them: they introduce lists.
    """
    known = tuple(known)
    found: list[Block] = []
    begun = False  # a real paragraph has been seen
    in_related = False
    for block in all_blocks(body):
        text = block.text
        if not begun and block.kind != "heading":
            text = unglue_caption(text, known=known)
            block = Block(block.kind, text)
        if begun and matter.is_section_break(text):
            break
        if matter.is_related_line(text):
            in_related = True
            continue
        if in_related:
            if len(matter.plain(text).split()) <= RELATED_TITLE_WORDS or block.kind == "heading":
                continue
            in_related = False
        if block.kind == "heading":
            found.append(block)
            continue
        if block.kind == "other" or matter.block_kind(_without_marker(text)) is not None:
            continue
        found.append(block)
        begun = begun or is_real_paragraph(block)
    while found and (found[-1].kind == "heading" or _trails(found[-1])):
        found.pop()
    return found


def _trails(block: Block) -> bool:
    """A block after the prose that is not prose: a title, a name, a link's words."""
    return matter.is_stub(block.text)


# ---------------------------------------------------------------------------
# Excerpts
# ---------------------------------------------------------------------------


def cut_at_sentence(text: str, limit: int = EXCERPT_CHARS) -> str:
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


def excerpt(body: str, limit: int = EXCERPT_CHARS, *, known: Iterable[str] = ()) -> str:
    """The first real paragraph of the article's prose, on one line, cut to ``limit``."""
    for block in prose_blocks(body, known=known):
        if is_real_paragraph(block):
            return cut_at_sentence(block.text, limit)
    return ""


def clean_text(text: str, *, known: Iterable[str] = (), titles: Iterable[str] = ()) -> str:
    """Extracted page or feed text as Markdown-ish paragraphs, without debris.

    Each input line is a paragraph (that is how extractors hand text over); the
    result separates them with blank lines. Widget lines and lines that are one of
    the page's ``known`` captions vanish, and the first paragraph loses a caption (or
    one of the ``titles``) glued onto it.
    """
    known = tuple(" ".join(k.split()) for k in known if k and k.strip())
    captions = {k.casefold() for k in known}
    known = (*known, *titles)
    paragraphs = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = " ".join(line.split())
        if not line or is_debris(line) or line.casefold() in captions:
            continue
        if not paragraphs:
            line = unglue_caption(line, known=known)
        paragraphs.append(line)
    return "\n\n".join(paragraphs)
