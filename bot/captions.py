"""A photo caption glued to the first word of an article: "HerOne of the most glorious…".

Pages put a caption, a credit or an image's title above the text in an element of its
own; an extractor that does not see the element as a block joins its text to the
first word of the article. Two ways to find the join:

- From the page: the captions it declares (``<figcaption>``, an image's ``alt`` or
  ``title``, an element whose class says caption or credit) are known, and a text
  that begins with one of them glued to a capitalised word loses it (``bot.extract``
  also breaks the join in the HTML itself, before the text is extracted).
- From the text alone: at a join of a lowercase letter (or a digit, a bracket, a full
  stop) and a capitalised word, near the start, the part before the join is dropped
  when it reads like a caption: it holds a credit ("Photograph: A24", "(2018)", an
  image file name), or it is the article's known title or film, or it is a short run
  of names and title words and the part after the join opens a sentence ("One of",
  "The", "When"). A name particle (Mc, Mac, Di, De, La…) never ends a caption, so
  "McConaughey", "DiCaprio", "LaBeouf", "iPhone" and "YouTube" stay whole.

Plain Python, no Discord.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def _words(text: str) -> frozenset[str]:
    """The words of a block of text, as a set (for word lists written as prose)."""
    return frozenset(text.split())


#: Characters from the start of a text in which a glued caption is looked for.
GLUE_WINDOW = 240
#: A caption read from the text alone has at most this many words.
CAPTION_WORDS = 12

_IMAGE = r"!\[[^\]]*\](?:\([^)]*\)|\[[^\]]*\])"
_LEADING_IMAGES = re.compile(rf"^(?:\s*\[?{_IMAGE}(?:\]\([^)]*\))?)+\s*")

#: Words a photo caption or credit carries.
_CREDIT = re.compile(
    r"\b(photo(graph)?s?|image|picture|still|credit|courtesy|illustration|getty|alamy"
    r"|shutterstock|afp|reuters|ap photo|rex features|everett)\b|©|\(\d{4}\)"
    r"|\.(jpe?g|png|gif|webp|avif)\b",
    re.IGNORECASE,
)
#: A word glued onto the one before it: "HerOne", "PicturesThe", "2023)When", "A24Charlotte".
_GLUE = re.compile(r"(?<=[a-z0-9)\].:’'\"”])(?=[A-Z][a-z’'])")
#: Name particles that a capital follows inside one name: McQueen, DiCaprio, LaBeouf, O'Neil.
_PARTICLES = frozenset({
    "mc", "mac", "di", "de", "da", "du", "la", "le", "van", "von", "der", "den", "del",
    "della", "st", "fitz", "o", "d", "l", "i", "e", "j", "k", "al", "el", "ben", "bin",
})
#: CamelCase names whose second part is a word that may open a sentence.
_CAMEL_WORDS = frozenset({"linkedin", "nowthis", "wikihow", "gamesradar", "blackberry"})
#: Words that open English sentences: closed-class words and the commonest openers.
_OPENERS = _words("""
a an the this that these those there here it its it's i i'm i've i'd we we're our you
your he she they his her their my one two three some many most few several every each
all both no not nothing none another other such what when where why how who which while
if as at in on of for from by with without after before during since until till through
over under between among about against across along around behind beyond into onto upon
and but or so yet nor then now still even just only also perhaps maybe yes sometimes
often once never always few last first next early late long years decades months weeks
days ever almost nearly somewhere somehow
""")
#: Lowercase words a caption may hold between its names and titles.
_CAPTION_SMALL = _words("""
in as and of the on at with from for a an by de la le du des von van der to y e et
""")
_WORD = re.compile(r"[\w’'.-]+")


def strip_leading_images(text: str) -> str:
    """``text`` without Markdown images (and linked images) before its first word."""
    return _LEADING_IMAGES.sub("", text)


def unglue_caption(text: str, *, known: Iterable[str] = ()) -> str:
    """``text`` without a caption, credit or image name glued to its first word.

    ``known`` are captions and titles known to belong to the page (its figcaptions,
    image alt texts, the article's title and film). "Paul Mescal in Aftersun.
    Photograph: A24Charlotte Wells's debut…" becomes "Charlotte Wells's debut…";
    "HerOne of the most…" becomes "One of the most…"; "McConaughey" stays whole.
    """
    text = strip_leading_images(text)
    head = text.lstrip()
    for caption in sorted({" ".join(k.split()) for k in known if k and k.strip()},
                          key=len, reverse=True):
        if head.startswith(caption) and _glued_after(head, len(caption)):
            return head[len(caption):]
    folded_known = {_fold(k) for k in known if k and k.strip()}
    for match in _GLUE.finditer(text, 0, GLUE_WINDOW):
        prefix, rest = text[: match.start()], text[match.start():]
        if _is_caption(prefix, rest, folded_known):
            return rest
    return text


def _glued_after(text: str, end: int) -> bool:
    """Whether the text goes on at ``end`` with a capitalised word and no space."""
    following = text[end: end + 2]
    return len(following) == 2 and following[0].isupper() and following[1].islower()


def _fold(text: str) -> str:
    return " ".join(re.sub(r"[\"'“”‘’*_]", "", text).casefold().split())


def _is_caption(prefix: str, rest: str, known: set[str]) -> bool:
    """Whether ``prefix``, glued to ``rest``, reads like a caption rather than prose."""
    if _CREDIT.search(prefix):
        return True
    words = _WORD.findall(prefix)
    if not words or len(words) > CAPTION_WORDS:
        return False
    last = words[-1].casefold().rstrip(".")
    if last in _PARTICLES or len(last) == 1:
        return False  # McQueen, DiCaprio, iPhone: one name, not a caption and a word
    glued = (words[-1] + (_WORD.match(rest) or [""])[0]).casefold()
    if glued in _CAMEL_WORDS:
        return False
    folded = _fold(prefix)
    if folded and any(folded == k or (folded.endswith(" " + k) and len(k) > 2) for k in known):
        return True
    if prefix.rstrip().endswith((".", "!", "?")):
        return False  # a sentence run into the next one: prose, not a caption
    first = (_WORD.match(rest) or [""])[0].casefold().rstrip(".")
    if first not in _OPENERS:
        return False
    return all(w[0].isupper() or w[0].isdigit() or w.casefold() in _CAPTION_SMALL
               for w in words)
