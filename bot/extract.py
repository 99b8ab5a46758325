"""A web page (fetched, or saved as an HTML file) read into an ``Article`` with trafilatura.

trafilatura finds the main text, title, author, date, image and canonical URL; this
module only turns its result into an Article: debris removed, the excerpt and the
closing questions taken. It parses bytes it is given and never fetches anything.
Parsing is CPU work: async callers run ``extract_page`` in ``asyncio.to_thread``.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterable

import trafilatura
from lxml import html as lxml_html
from lxml.etree import ParserError, XMLSyntaxError

from bot.errors import SourceError
from bot.fetch import is_web_url
from bot.models import QUESTION_FROM_ARTICLE, Article
from bot.prose import blocks, clean_text, excerpt
from bot.questions import closing_questions

log = logging.getLogger(__name__)


#: Libraries the extraction runs, whose loggers report inputs they found no text in.
QUIET_LOGGERS = ("trafilatura", "htmldate", "courlan", "justext")


def quiet_libraries() -> None:
    """Keep the extraction libraries' ERROR and WARNING records out of filmclub's log.

    trafilatura logs "empty HTML tree", "discarding data" and the like for inputs it
    finds no text in; filmclub says that itself, in one line naming the page or feed,
    so those records would only repeat it (or, for a summary with no text worth
    extracting, alarm for nothing). They still show when filmclub logs at DEBUG.
    """
    debugging = logging.getLogger().isEnabledFor(logging.DEBUG)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET if debugging else logging.CRITICAL)

#: Fewer words than this in the main text: the page is not an article.
MIN_ARTICLE_WORDS = 60
TITLE_CHARS = 300


def extract_page(data: bytes, *, name: str, url: str | None = None) -> Article:
    """The article in an HTML page; ``SourceError`` naming ``name`` if there is none.

    ``url`` is where the page was fetched from (None for a saved file); the page's
    canonical URL, when it declares one, wins over it. The slug is left empty.
    """
    if not data.strip():
        raise SourceError(f"{name}: the page is empty")
    quiet_libraries()
    head = data[:2048].lstrip().lower()
    if head.startswith((b"<?xml", b"<rss", b"<feed", b"<rdf")):
        raise SourceError(f"{name}: this is a feed, not a web page (add it with `feeds add`)")
    try:
        tree = trafilatura.load_html(data)
        captions = _unglue_in_page(tree) if tree is not None else []
        document = trafilatura.bare_extraction(
            tree if tree is not None else data, url=url, with_metadata=True,
            include_comments=False, include_tables=False, favor_precision=True,
        )
    except (ValueError, TypeError, ParserError, XMLSyntaxError) as exc:
        raise SourceError(f"{name}: not readable as HTML ({exc})") from None
    text = getattr(document, "text", None) or ""
    if len(text.split()) < MIN_ARTICLE_WORDS:
        raise SourceError(f"{name}: no article found on this page (too little main text)")
    title = _one_line(getattr(document, "title", None) or "")
    if not title:
        raise SourceError(f"{name}: the page has no title")
    canonical = getattr(document, "url", None)
    link = canonical if canonical and is_web_url(canonical) else url
    return article_from_text(
        title=title, text=text, url=link,
        author=getattr(document, "author", None),
        source=getattr(document, "sitename", None),
        published=getattr(document, "date", None),
        image=getattr(document, "image", None),
        tags=_tags(getattr(document, "tags", None), getattr(document, "categories", None)),
        captions=captions,
    )


#: A tag: what tells an HTML fragment from plain text.
_TAG = re.compile(r"<\s*/?[a-zA-Z][a-zA-Z0-9-]*(\s[^>]*)?/?>|<!--")
#: An element's text glued to the next word: ``<em>Her</em>One of the most…``.
_GLUED_TAIL = re.compile(r"[A-Z][a-z’']")
_CAPTION_CLASS = re.compile(r"caption|credit", re.IGNORECASE)
_NOT_TEXT = frozenset({"html", "head", "body", "br", "script", "style", "noscript", "title",
                       "meta", "link", "img"})
#: Captions longer than this are not looked for at the start of the text.
CAPTION_CHARS = 300


def _unglue_in_page(tree: lxml_html.HtmlElement) -> list[str]:
    """Break the page's glued captions into lines of their own; return the page's captions.

    An element whose text runs straight into a capitalised word (``<i>Her</i>One of…``)
    is shown by the page as a block of its own (a caption, a label), or the words would
    read glued on screen too: a line break is put after it, so that the extractor keeps
    the two apart. The captions returned are what the page declares as such: figure
    captions, images' alt and title texts, elements whose class says caption or credit.
    """
    captions: list[str] = []
    for element in tree.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        if not tag:
            continue
        if tag == "img":
            captions.extend(element.get(key) or "" for key in ("alt", "title"))
        elif tag == "figcaption" or _CAPTION_CLASS.search(element.get("class") or ""):
            captions.append(element.text_content())
        tail = element.tail or ""
        if tag in _NOT_TEXT or not _GLUED_TAIL.match(tail) or element.getparent() is None:
            continue
        text = element.text_content()
        if text and not text[-1].isspace():
            br = lxml_html.Element("br")
            br.tail, element.tail = tail, None
            element.addnext(br)
    found = (" ".join(c.split()) for c in captions)
    return list(dict.fromkeys(c for c in found if c and len(c) <= CAPTION_CHARS))


def article_from_text(*, title: str, text: str, url: str | None = None,
                      author: str | None = None, source: str | None = None,
                      published: str | None = None, image: str | None = None,
                      tags: Iterable[str] = (), captions: Iterable[str] = ()) -> Article:
    """An Article from extracted text (one paragraph per line) and what is known about it.

    ``captions`` are the page's captions and image texts: lines that are one of them are
    left out, and one glued to the first word is taken off.
    """
    title = _one_line(title)[:TITLE_CHARS]
    captions = tuple(captions)
    # a NUL byte from a page or feed: dropped
    body = clean_text(text.replace("\0", ""), known=captions, titles=(title,))
    first = blocks(body)[:1]
    if first and first[0].text.casefold() == title.casefold():
        body = body.split("\n\n", 1)[1] if "\n\n" in body else ""
    known = (*captions, title)
    questions = closing_questions(body, known=known)
    return Article(
        slug="",
        title=title,
        body=body,
        url=url if url and is_web_url(url) else None,
        author=_one_line(author) or None,
        source=_one_line(source) or None,
        published=published or None,
        image=image if image and is_web_url(image) else None,
        excerpt=excerpt(body, known=known),
        questions=questions,
        question_from=QUESTION_FROM_ARTICLE if questions else "",
        tags=tuple(dict.fromkeys(t for t in (_one_line(t) for t in tags) if t)),
    )


def html_text(fragment: str) -> str:
    """The text of a feed entry's content or summary, one paragraph per line.

    Plain text (many feeds' summaries are) is taken as it is: its lines are the
    paragraphs, entities decoded. HTML is read by trafilatura, as the body of a page
    of its own (a bare fragment is no document to it); one too short for it to call
    main text falls back to the plain text of its paragraphs.
    """
    if not fragment.strip():
        return ""
    quiet_libraries()
    if not _TAG.search(fragment):
        lines = (" ".join(line.split()) for line in html.unescape(fragment).splitlines())
        return "\n".join(line for line in lines if line)
    try:
        tree = lxml_html.document_fromstring(
            f"<html><body><article>{fragment}</article></body></html>")
        _unglue_in_page(tree)
        text = trafilatura.extract(tree, favor_recall=True, include_comments=False,
                                   include_tables=False)
    except (ValueError, TypeError, ParserError, XMLSyntaxError):
        text = None
    if text and text.strip():
        return text
    try:
        root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    except (ParserError, XMLSyntaxError, ValueError):
        return " ".join(fragment.split())
    for bad in root.xpath(".//script|.//style|.//figure|.//figcaption|.//iframe|.//noscript"):
        bad.drop_tree()
    for br in root.xpath(".//br"):
        br.tail = "\n" + (br.tail or "")
    lines: list[str] = []
    blocks_xpath = ".//p|.//li|.//blockquote|.//h1|.//h2|.//h3|.//h4|.//h5|.//h6|.//pre"
    found = [el for el in root.xpath(blocks_xpath)
             if not el.xpath("ancestor::p|ancestor::li|ancestor::blockquote")]
    if not found:
        return "\n".join(" ".join(part.split()) for part in root.text_content().split("\n"))
    for element in found:
        for part in element.text_content().split("\n"):
            line = " ".join(part.split())
            if line:
                lines.append(line)
    return "\n".join(lines)


def _tags(*groups: object) -> list[str]:
    tags: list[str] = []
    for group in groups:
        if isinstance(group, str):
            tags.extend(t.strip() for t in group.split(",") if t.strip())
        elif isinstance(group, list | tuple):
            tags.extend(str(t).strip() for t in group if str(t).strip())
    return tags


def _one_line(text: str | None) -> str:
    return " ".join((text or "").replace("\0", "").split())
