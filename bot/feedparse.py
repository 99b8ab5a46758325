"""Reading an RSS or Atom document: feedparser's findings as plain records.

The one part of feeds that runs in the feed parser's worker process
(``bot.feedbudget``): bytes in, a :class:`ParsedFeed` out, nothing fetched and nothing
stored. Polling, and what an entry becomes, are ``bot.feeds``. Plain Python, no Discord.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import logging
import xml.sax
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from xml.parsers import expat

import feedparser

from bot.errors import SourceError
from bot.fetch import is_web_url

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One entry of a feed, as read from the XML."""

    id: str  # the entry's id (guid), or its link, or a hash: stable across polls
    title: str
    link: str | None
    html: str  # the entry's content, or its summary
    author: str | None = None
    published: datetime | None = None
    image: str | None = None
    tags: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The key the entry is remembered by, and one of its article's identity keys."""
        return f"entry:{self.id}"


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str
    entries: tuple[FeedEntry, ...]  # oldest first
    #: Not None when the XML is not well-formed: why, and where. ``entries`` are then
    #: only those the document closed before the error.
    error: str | None = None


# ---------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------


def parse_feed(data: bytes, *, url: str, content_type: str | None = None) -> ParsedFeed:
    """The feed in ``data``; ``SourceError`` naming ``url`` if it is not an RSS or Atom feed."""
    if not data.strip():
        raise SourceError(f"{url}: the feed is empty")
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(io.BytesIO(data), response_headers=headers,
                              resolve_relative_uris=True, sanitize_html=True)
    if not parsed.get("version"):
        head = data[:1024].lstrip().lower()
        if "html" in (content_type or "").lower() or head.startswith((b"<!doctype html", b"<html")):
            raise SourceError(f"{url}: this is a web page, not a feed "
                              "(add it with `articles add`)")
        problem = _xml_problem(parsed.get("bozo_exception"))
        detail = f" ({problem})" if problem else ""
        raise SourceError(f"{url}: not an RSS or Atom feed{detail}")
    problem, complete = _well_formed(data, parsed.get("encoding") or "utf-8")
    raws = list(parsed.entries)
    if problem is not None:
        raws = raws[:complete]  # the entries the document closed before the error
    elif parsed.get("bozo") and not raws and _is_syntax_error(parsed.get("bozo_exception")):
        problem = _xml_problem(parsed.get("bozo_exception")) or "broken XML"
    title = _one_line(parsed.feed.get("title") or "") or url
    entries = [_entry(raw, url) for raw in raws]
    dated = all(e.published for e in entries)
    if dated:
        entries.sort(key=lambda e: e.published or datetime.min.replace(tzinfo=UTC))
    else:
        entries.reverse()  # feeds list the newest first
    error = f"{url}: the feed is not well-formed XML ({problem})" if problem else None
    return ParsedFeed(title, tuple(entries), error)


#: Elements that hold one entry: RSS's item (RSS 2.0 and 1.0) and Atom's entry.
_ENTRY_ELEMENTS = frozenset({"item", "entry"})


def _well_formed(data: bytes, encoding: str) -> tuple[str | None, int]:
    """``(problem, entries)``: why the XML is not well-formed (None: it is), and how many
    entry elements were closed before the problem.

    The bytes are read in the encoding feedparser found (feeds declare one and send
    another often enough), so only the XML itself is judged. expat never fetches
    external entities, and limits entity expansion.
    """
    try:
        text = data.decode(encoding, errors="replace")
    except LookupError:
        text = data.decode("utf-8", errors="replace")
    parser = expat.ParserCreate(encoding="utf-8", namespace_separator=" ")
    closed = 0

    def end(name: str) -> None:
        nonlocal closed
        if name.rsplit(" ", 1)[-1] in _ENTRY_ELEMENTS:
            closed += 1

    parser.EndElementHandler = end
    try:
        parser.Parse(text.encode("utf-8"), True)
    except expat.ExpatError as exc:
        where = f"line {exc.lineno}, column {exc.offset + 1}"
        return f"{expat.ErrorString(exc.code)} at {where}", closed
    return None, closed


def _is_syntax_error(exc: object) -> bool:
    """Whether feedparser's complaint is about the XML itself (not its encoding or type)."""
    return isinstance(exc, xml.sax.SAXParseException)


def _entry(raw: Any, feed_url: str) -> FeedEntry:
    link = raw.get("link") if is_web_url(raw.get("link") or "") else None
    contents = raw.get("content") or []
    html = max((c.get("value") or "" for c in contents), key=len, default="")
    if not html:
        html = raw.get("summary") or ""
    title = _one_line(raw.get("title") or "")
    ident = (raw.get("id") or link or "").strip()
    if not ident:
        ident = hashlib.sha256(f"{title}\n{html}".encode()).hexdigest()[:24]
    if "://" not in ident and not ident.startswith(("tag:", "urn:")):
        ident = f"{feed_url}#{ident}"
    stamp = raw.get("published_parsed") or raw.get("updated_parsed")
    published = datetime.fromtimestamp(calendar.timegm(stamp), UTC) if stamp else None
    return FeedEntry(
        id=ident,
        title=title or (link or "Untitled"),
        link=link,
        html=html,
        author=_one_line(raw.get("author") or "") or None,
        published=published,
        image=_image(raw),
        tags=tuple(t for t in (_one_line(tag.get("term") or "") for tag in raw.get("tags") or [])
                   if t),
    )


def _image(raw: Any) -> str | None:
    for group in ("media_content", "media_thumbnail"):
        for media in raw.get(group) or []:
            url = media.get("url") or ""
            if is_web_url(url) and media.get("medium", "image") == "image":
                return str(url)
    for link in raw.get("links") or []:
        if link.get("rel") == "enclosure" and (link.get("type") or "").startswith("image/"):
            url = link.get("href") or ""
            if is_web_url(url):
                return str(url)
    return None


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _xml_problem(exc: object) -> str:
    """'syntax error at line 2' from an XML parser's exception (no '<unknown>:2:0:' noise)."""
    if exc is None:
        return ""
    get_message = getattr(exc, "getMessage", None)
    line = getattr(exc, "getLineNumber", None)
    if callable(get_message) and callable(line):
        return f"{_one_line(str(get_message()))} at line {line()}"
    return _one_line(str(exc))


