"""When catch-up runs: in the background after each fresh session, on request, one at a time.

:mod:`bot.catchup` is how a thread is reconciled with the platform's history; this
service decides when that happens. Background runs queue up behind each other (a
fresh session during a run asks for one more run), a moderator's resync waits for
the run under way, and the store's storage notices are told to the moderators and
make catch-up read again the threads whose events the store could not keep. The
adapter (``cogs/catchup.py`` for Discord) calls :meth:`CatchUpRuns.schedule` on its
platform's events.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import datetime

from bot.catchup import CatchUp, CatchUpReport
from bot.services.platform import ModeratorNotices
from bot.store.base import StorageNotice, ThreadStatus

log = logging.getLogger(__name__)


class CatchUpRuns:
    """Runs :class:`bot.catchup.CatchUp` in the background and on request."""

    def __init__(self, catch_up: CatchUp, notices: ModeratorNotices, *,
                 prompt_threads: Callable[[], Collection[int]],
                 clock: Callable[[], datetime]) -> None:
        self.catch_up = catch_up
        self.store = catch_up.store
        self.notices = notices
        #: The prompt threads the bot knows now (prompts posted later show up).
        self.prompt_threads = prompt_threads
        self.clock = clock
        self._running = asyncio.Lock()  # one catch-up at a time, a thread at a time
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self.last_report: CatchUpReport | None = None
        self.runs = 0  # background runs finished
        self.busy = False  # a background run is under way or due
        self._idle = asyncio.Condition()
        self._every_thread = False  # the next background run: every thread in reach
        self._threads: set[int] = set()  # ... or at least these
        self._telling: set[asyncio.Task[None]] = set()

    async def stop(self) -> None:
        """Stop a background run under way (the bot is shutting down)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def schedule(self, reason: str, only: Collection[int] | None = None) -> None:
        """Start a background catch-up (of every thread, or ``only`` these), or another
        one after the current one."""
        self.busy = True
        if only is None:
            self._every_thread = True
        else:
            self._threads.update(only)
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.create_task(self._background(reason), name="filmclub-catch-up")

    async def wait_idle(self, runs: int = 1) -> None:
        """Return once ``runs`` background catch-ups have finished and none is due."""
        async with self._idle:
            await self._idle.wait_for(lambda: self.runs >= runs and not self.busy)

    async def run_now(self, only: Collection[int]) -> CatchUpReport:
        """Catch up ``only`` these threads now, after the run under way (a moderator's resync)."""
        async with self._running:
            return await self.catch_up.run(only=only)

    async def _background(self, reason: str) -> None:
        while True:
            self._again = False
            only = None if self._every_thread else set(self._threads)
            self._every_thread = False
            self._threads.clear()
            log.info("catch-up: starting after %s", reason)
            try:
                async with self._running:
                    self.last_report = await self.catch_up.run(only=only)
            except asyncio.CancelledError:
                log.info("catch-up: stopped (the bot is shutting down)")
                raise
            except Exception:
                log.exception("catch-up failed; it runs again at the next new session")
            self.runs += 1
            if not self._again:
                break
            reason = "a new gateway session during the last catch-up"
        async with self._idle:
            self.busy = False
            self._idle.notify_all()

    def storage_notice(self, notice: StorageNotice, told: str) -> None:
        """The store cannot write, or can again: tell every server's moderators ``told``
        (once each way) and catch up the threads whose events it could not keep."""
        task = asyncio.create_task(self.notices.tell_every_server(told),
                                   name="filmclub-storage-notice")
        self._telling.add(task)
        task.add_done_callback(self._telling.discard)
        known = set(notice.threads) & set(self.prompt_threads())
        if notice.kind == "recovered" and known:
            self.schedule("the database could be written again", only=known)

    async def mark_gone(self, thread_ids: Collection[int], why: str) -> None:
        """The threads were deleted on the platform: catch-up leaves their history as it is."""
        statuses = await self.store.thread_statuses()
        now = self.clock()
        for thread_id in thread_ids:
            status = statuses.get(thread_id) or ThreadStatus(thread_id)
            await self.store.save_thread_status(replace(status, gone_at=now))
        log.info("prompt threads %s %s; their stored history is kept", list(thread_ids), why)
