"""What one feed may cost a poll: bytes, entries, parse time, and time spent on its pages.

A feed is written by someone else, and a hostile or broken one must not hold up the
bot or the other feeds. Each feed gets a budget (:class:`FeedBudget`):

- **bytes**: the download is cut off past ``max_bytes``;
- **structure**: the XML is read once with lxml (C, no entities fetched or expanded
  beyond libxml2's limits) before feedparser sees it; elements nested deeper than
  libxml2 allows (256) are refused at once, and a feed with more than
  ``max_entries`` entries is cut to its first ones (feeds list the newest first);
- **parse time**: feedparser runs in a worker process that is killed when
  ``parse_seconds`` have passed, so a pathological document costs at most that much
  CPU, on another core, while the event loop goes on;
- **entry pages**: a summary-only entry's page is fetched with at most
  ``page_concurrency`` downloads of that feed at once, and all of them within
  ``pages_seconds``; entries whose page is not there by then keep their summary.

Polls of different feeds run side by side (``feeds_at_once``), so a slow feed holds up
only itself. Plain Python, no Discord.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import multiprocessing.connection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lxml import etree

from bot.errors import SourceError

if TYPE_CHECKING:
    from bot.feedparse import ParsedFeed

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FeedBudget:
    """Limits on one feed's poll; the defaults suit real feeds with room to spare."""

    max_bytes: int = 5 * 1024 * 1024  # the feed document's size at most
    max_entries: int = 500  # entries read from one document (the first ones)
    parse_seconds: float = 10.0  # wall-clock time feedparser may take on one document
    page_concurrency: int = 4  # entry pages of one feed downloaded at once
    pages_seconds: float = 60.0  # for all entry pages of one poll
    feeds_at_once: int = 4  # feeds polled side by side


DEFAULT_BUDGET = FeedBudget()

_ENTRY_TAGS = frozenset({"item", "entry"})


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def bounded_document(data: bytes, *, url: str, max_entries: int) -> bytes:
    """``data`` as feedparser may read it: refused when nested too deep, cut to ``max_entries``.

    Runs in the worker. A document lxml cannot read for another reason (broken XML)
    is returned as it is: whether to accept it is the feed parser's call.
    """
    # No network, no DTD, no entity expansion; libxml2's own limits on depth (256)
    # and on entity amplification stay on (no huge_tree).
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                             load_dtd=False, remove_blank_text=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        if "depth" in str(exc).lower():
            raise SourceError(f"{url}: the feed nests its tags more than 256 deep; not read"
                              ) from None
        return data
    except ValueError:
        return data
    entries = [element for element in root.iter() if _local(element.tag) in _ENTRY_TAGS]
    if len(entries) <= max_entries:
        return data
    for extra in entries[max_entries:]:
        parent = extra.getparent()
        if parent is not None:
            parent.remove(extra)
    log.info("feed %s: %d entries, reading the first %d", url, len(entries), max_entries)
    encoding = root.getroottree().docinfo.encoding or "utf-8"
    return bytes(etree.tostring(root.getroottree(), encoding=encoding, xml_declaration=True))


def _worker(conn: multiprocessing.connection.Connection, data: bytes, url: str,
            content_type: str | None, max_entries: int) -> None:
    """In the worker process: bound the document, parse it, send back the feed or the error."""
    from bot.feedparse import parse_feed

    try:
        bounded = bounded_document(data, url=url, max_entries=max_entries)
        conn.send(("ok", parse_feed(bounded, url=url, content_type=content_type)))
    except SourceError as exc:
        conn.send(("error", str(exc)))
    except Exception as exc:  # anything feedparser raises on hostile input: one line
        conn.send(("error", f"{url}: the feed could not be parsed ({type(exc).__name__})"))
    finally:
        conn.close()


_context: Any = None


def _mp_context() -> Any:
    """Worker processes forked from a server that has the parser imported already."""
    global _context
    if _context is None:
        methods = multiprocessing.get_all_start_methods()
        if "forkserver" in methods:
            _context = multiprocessing.get_context("forkserver")
            _context.set_forkserver_preload(["bot.feeds", "bot.feedbudget"])
        else:
            _context = multiprocessing.get_context("spawn")
    return _context


async def parse_within_budget(data: bytes, *, url: str, content_type: str | None,
                              budget: FeedBudget = DEFAULT_BUDGET) -> ParsedFeed:
    """Parse a fetched feed in a worker process, killed after ``budget.parse_seconds``."""
    context = _mp_context()
    receive, send = context.Pipe(duplex=False)
    worker = context.Process(target=_worker, name="filmclub-feed-parser", daemon=True,
                             args=(send, data, url, content_type, budget.max_entries))
    started = False
    try:
        await asyncio.to_thread(worker.start)
        started = True
        send.close()
        ready = await asyncio.to_thread(receive.poll, budget.parse_seconds)
        if not ready:
            raise SourceError(f"{url}: the feed took over {budget.parse_seconds:g} s to parse; "
                              "not read")
        try:
            kind, value = await asyncio.to_thread(receive.recv)
        except EOFError:
            raise SourceError(f"{url}: the feed parser stopped before it finished (the feed "
                              "is too big or too complex)") from None
    finally:
        if started:
            if worker.is_alive():
                worker.kill()
            await asyncio.to_thread(worker.join, 5)
            with contextlib.suppress(ValueError):  # still running: left to the OS
                worker.close()
        send.close()
        receive.close()
    if kind == "error":
        raise SourceError(value)
    return value  # type: ignore[no-any-return]
