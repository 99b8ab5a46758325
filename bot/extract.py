"""A web page (fetched, or saved as an HTML file) read into an ``Article`` with trafilatura.

trafilatura finds the main text, title, author, date, image and canonical URL; this
module only turns its result into an Article: debris removed, the excerpt and the
closing questions taken. It parses bytes it is given and never fetches anything.
Parsing is CPU work: async callers run ``extract_page`` in ``asyncio.to_thread``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import trafilatura
from lxml import html as lxml_html
from lxml.etree import ParserError, XMLSyntaxError

from bot.errors import SourceError
from bot.fetch import is_web_url
from bot.models import Article
from bot.prose import blocks, clean_text, excerpt
from bot.questions import closing_questions

log = logging.getLogger(__name__)

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
    head = data[:2048].lstrip().lower()
    if head.startswith((b"<?xml", b"<rss", b"<feed", b"<rdf")):
        raise SourceError(f"{name}: this is a feed, not a web page (add it with `feeds add`)")
    try:
        document = trafilatura.bare_extraction(
            data, url=url, with_metadata=True, include_comments=False, include_tables=False,
            favor_precision=True,
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
    )


def article_from_text(*, title: str, text: str, url: str | None = None,
                      author: str | None = None, source: str | None = None,
                      published: str | None = None, image: str | None = None,
                      tags: Iterable[str] = ()) -> Article:
    """An Article from extracted text (one paragraph per line) and what is known about it."""
    title = _one_line(title)[:TITLE_CHARS]
    body = clean_text(text.replace("\0", ""))  # a NUL byte from a page or feed: dropped
    first = blocks(body)[:1]
    if first and first[0].text.casefold() == title.casefold():
        body = body.split("\n\n", 1)[1] if "\n\n" in body else ""
    return Article(
        slug="",
        title=title,
        body=body,
        url=url if url and is_web_url(url) else None,
        author=_one_line(author) or None,
        source=_one_line(source) or None,
        published=published or None,
        image=image if image and is_web_url(image) else None,
        excerpt=excerpt(body),
        questions=closing_questions(body),
        tags=tuple(dict.fromkeys(t for t in (_one_line(t) for t in tags) if t)),
    )


def html_text(fragment: str) -> str:
    """The text of an HTML fragment (a feed entry's content), one paragraph per line.

    trafilatura reads it; a fragment too short for it to call main text falls back
    to the plain text of its paragraphs.
    """
    if not fragment.strip():
        return ""
    try:
        text = trafilatura.extract(fragment, favor_recall=True, include_comments=False,
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
