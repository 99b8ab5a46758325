"""Writing an export off the event loop: the store is read on the loop, the file is
rendered, compressed and written in a worker thread.

Rendering a big thread is CPU work (HTML through Jinja, Markdown, CSV, a zip's
deflate), and on the bot's event loop it would hold up every other command and the
gateway's heartbeat for as long as it runs. Here an exporter's ``write`` runs in a
worker thread with a small event loop of its own, and pulls the comments from the
caller's loop a batch at a time (``asyncio.run_coroutine_threadsafe``): the store
keeps being read where it lives, the caller's loop is free while a batch renders,
and memory stays one batch. The two sides take turns, so they never touch the
comments (or an anonymised export's pseudonyms) at the same time.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import AsyncIterator, Callable
from typing import TextIO, TypeVar

from bot.export.base import ExportContext, Exporter
from bot.models import Comment

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Comments handed to the worker at a time.
BATCH = 256
#: How often (seconds) a waiting worker looks whether the caller gave up.
_POLL = 0.5


class Abandoned(Exception):
    """The caller stopped waiting for the export (cancelled, or its loop closed)."""


async def write_off_loop(exporter: Exporter, context: ExportContext,
                         comments: AsyncIterator[Comment], out: TextIO) -> int:
    """``exporter.write(context, comments, out)``, rendered and written in a worker thread.

    Returns what ``write`` returns (the comments written); raises what it raises.
    """
    loop = asyncio.get_running_loop()
    source = aiter(comments)
    stop = threading.Event()

    async def next_batch() -> list[Comment]:
        batch: list[Comment] = []
        while len(batch) < BATCH:
            try:
                batch.append(await anext(source))
            except StopAsyncIteration:
                break
        return batch

    def fetch() -> list[Comment]:
        """Run ``next_batch`` on the caller's loop and wait for it (from the worker)."""
        if stop.is_set():
            raise Abandoned
        future = asyncio.run_coroutine_threadsafe(next_batch(), loop)
        while True:
            try:
                return future.result(timeout=_POLL)
            except concurrent.futures.TimeoutError:
                if stop.is_set():
                    future.cancel()
                    raise Abandoned from None

    async def stream() -> AsyncIterator[Comment]:
        while batch := fetch():
            for comment in batch:
                yield comment

    def work() -> int:
        return asyncio.run(exporter.write(context, stream(), out))

    try:
        written = await loop.run_in_executor(None, work)
    except asyncio.CancelledError:
        stop.set()  # the worker stops at its next batch; one may be in flight: no aclose
        raise
    except BaseException:
        await _close(source)  # the worker is done: nothing reads the source any more
        raise
    await _close(source)
    return written


async def _close(source: AsyncIterator[Comment]) -> None:
    close = getattr(source, "aclose", None)
    if close is not None:
        await close()


async def in_thread(function: Callable[..., T], *args: object) -> T:
    """Run a blocking step (gzip, a zip's index) in a worker thread."""
    return await asyncio.to_thread(function, *args)
