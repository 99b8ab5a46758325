"""Reading article prose: blocks, sentences, scraping debris, excerpts.

Article bodies arrive as hand-written Markdown, as text extracted from a web page,
or as a feed entry turned into text. All of them are read the same way here: split
into blocks (paragraphs, list items, quotes), with what a scraper leaves behind
(share and comment widgets, "[via …]" lines, image captions glued to the first
word) recognised and left out.

Plain Python: nothing here knows about Discord or about where the text came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

#: Longest excerpt taken from a body when none is given.
EXCERPT_CHARS = 600

BlockKind = Literal["paragraph", "item", "quote", "other"]


@dataclass(frozen=True, slots=True)
class Block:
    """A run of text lines: a paragraph, one list item, a quote, or other markup."""

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
_LEADING_IMAGES = re.compile(rf"^(?:\s*\[?{_IMAGE}(?:\]\([^)]*\))?)+\s*")
_LINK_DEFINITION = re.compile(r"\[[^\]]+\]:\s")
_LIST_ITEM = re.compile(r"([-*+]|\d{1,9}[.)])(\s+|$)")
_CODE_FENCE = re.compile(r"(```|~~~)")

#: "[via IndieWire]", "(via Letterboxd)", "[Via: Variety]" on a line of their own.
_VIA_LINE = re.compile(r"[\[(]\s*via\b[^\])]*[\])]\s*\.?", re.IGNORECASE)

#: Lines a page's share, like and comment widgets leave in scraped text.
_WIDGET_LINE = re.compile(
    r"""(
        share\ (this|on\ \w+|via\ \w+)(\ (post|article|story|page|review))?
      | share
      | tweet | pin\ it | email | print | reddit | whatsapp | facebook | twitter
      | (click|tap)\ to\ (share|email|print)\b.*
      | like\ this | like\ loading\.* | loading\.*
      | related( (posts|articles|stories|reading))?
      | (\d+\ )?comments?(\ \(\d+\))? | no\ comments( yet)?
      | (leave|post|add|write)\ a\ (comment|reply)\b.* | cancel\ reply
      | (\d+\ )?(responses|replies) | join\ the\ (conversation|discussion)
      | advertisement | sponsored | skip\ to\ (main\ )?content
      | read\ more | continue\ reading.* | read\ the\ full\ (review|article|story)\b.*
      | (posted|filed)\ (in|under)\b.* | tags?: .* | categories: .*
      | sign\ up\ for\ (our|the)\ newsletter\b.* | subscribe( now| today)?
    )\s*[:.!…]*""",
    re.IGNORECASE | re.VERBOSE,
)
_WIDGET_MAX = 90

#: A sentence ends at . ! ? or …, perhaps followed by closing quotes, brackets or emphasis.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]*_]*(?=\s|$)")
#: Words that end in a full stop without ending the sentence.
_ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "st", "mt", "vs", "dir", "e.g", "i.e", "cf", "no", "vol", "jr", "sr"}
)

#: Words a photo caption or credit carries; a glued prefix must contain one to be dropped.
_CREDIT = re.compile(
    r"\b(photo(graph)?s?|image|picture|still|credit|courtesy|illustration|getty|alamy"
    r"|shutterstock|afp|reuters|ap photo|rex features)\b|©|\(\d{4}\)|\.(jpe?g|png|gif|webp)\b",
    re.IGNORECASE,
)
#: A word glued onto the one before it: "PicturesThe", "2023)When", "A24Charlotte".
_GLUE = re.compile(r"(?<=[a-z0-9)\].:’'\"”])(?=[A-Z][a-z’'])")
_GLUE_WINDOW = 240


def is_debris(line: str) -> bool:
    """Whether a line is scraping debris: a "[via …]" credit or a share/comment widget."""
    text = line.strip().strip("*_")
    if not text:
        return False
    if _VIA_LINE.fullmatch(text):
        return True
    return len(text) <= _WIDGET_MAX and _WIDGET_LINE.fullmatch(text) is not None


def unglue_caption(text: str) -> str:
    """``text`` without a caption or image title glued to its first word.

    "Paul Mescal in Aftersun. Photograph: A24Charlotte Wells's debut…" becomes
    "Charlotte Wells's debut…". Only a prefix that reads like a caption (a credit,
    a year in brackets, an image file name) is dropped, so "McQueen" stays whole.
    """
    text = _LEADING_IMAGES.sub("", text)
    for match in _GLUE.finditer(text, 0, _GLUE_WINDOW):
        prefix = text[: match.start()]
        if _CREDIT.search(prefix):
            return text[match.start():]
    return text


# ---------------------------------------------------------------------------
# Blocks and sentences
# ---------------------------------------------------------------------------


def blocks(body: str) -> list[Block]:
    """The body's blocks, in order, without headings, images, rules, code and debris."""
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
        if current and _SETEXT_UNDERLINE.fullmatch(line):
            current.clear()  # the lines above were a heading
            continue
        if (
            not line
            or _HEADING.match(line)
            or _RULE.fullmatch(line)
            or _IMAGE_LINE.fullmatch(line)
            or _LINK_DEFINITION.match(line)
            or is_debris(_without_marker(line))
        ):
            flush()
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


_FINAL_STOP = re.compile(r"[.!?…][\"'”’)\]*_]*$")


def ends_sentence(text: str) -> bool:
    """Whether ``text`` ends with sentence punctuation (perhaps inside quotes or emphasis)."""
    return _FINAL_STOP.search(text.rstrip()) is not None


# ---------------------------------------------------------------------------
# Excerpts
# ---------------------------------------------------------------------------


def is_real_paragraph(block: Block) -> bool:
    """A paragraph of prose: not a list, quote, byline or caption (those end without a stop)."""
    if block.kind != "paragraph":
        return False
    if len(block.text.split()) < 3:
        return False
    return ends_sentence(block.text) or len(block.text) >= 120


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


def excerpt(body: str, limit: int = EXCERPT_CHARS) -> str:
    """The first real paragraph of ``body`` on one line, cleaned of debris, cut to ``limit``."""
    for block in blocks(body):
        cleaned = Block(block.kind, unglue_caption(block.text).strip())
        if is_real_paragraph(cleaned):
            return cut_at_sentence(cleaned.text, limit)
    return ""


def clean_text(text: str) -> str:
    """Extracted page or feed text as Markdown-ish paragraphs, without debris.

    Each input line is a paragraph (that is how extractors hand text over); the
    result separates them with blank lines, and the first paragraph loses a
    caption glued onto it.
    """
    paragraphs = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = " ".join(line.split())
        if not line or is_debris(line):
            continue
        if not paragraphs:
            line = unglue_caption(line)
        paragraphs.append(line)
    return "\n\n".join(paragraphs)
