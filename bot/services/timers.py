"""Close timers: a prompt thread locks itself when its timer is due, restarts or not.

Timers live in the store, so a restart picks them up (an overdue one fires at once,
and says how late). Firing a timer and logging it happen in one transaction: fired
once, logged once, and a timer cancelled meanwhile stays cancelled. The platform
locks the thread (:class:`bot.services.platform.ThreadCloser`; for Discord,
``cogs.discussion.DiscordThreads``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.card import fit
from bot.moderation import format_duration
from bot.records.audit import AuditEntry, CloseTimer
from bot.services.audit import AuditTrail
from bot.services.platform import ThreadCloser, TryLater
from bot.shards import EVERYWHERE, Shards
from bot.store.base import Store

log = logging.getLogger(__name__)

#: The loop sleeps at most this long between looks at the timers.
TIMER_POLL_SECONDS = 60.0
#: After a server error from the platform, a timer is tried again this much later.
TIMER_RETRY_SECONDS = 60.0
#: A timer fired later than this says so in the audit log (the bot was offline).
LATE_AFTER = timedelta(minutes=5)

#: What the thread reads when its timer closes it.
CLOSE_NOTICE = ("⏰ This discussion is now closed, as scheduled: it stays readable, "
                "but no new replies.")


def with_reason(text: str, reason: str | None) -> str:
    """A notice with the moderator's reason under it, if they gave one."""
    return text if not reason else f"{text}\nReason: {fit(reason, 300)}"


class CloseTimers:
    """Set, cancel and fire close timers; :meth:`run` is the loop."""

    def __init__(self, store: Store, closer: ThreadCloser, audit: AuditTrail,
                 clock: Callable[[], datetime], *, shards: Shards = EVERYWHERE) -> None:
        self.store = store
        #: Issue 15: only the timers of servers this process's shards own are fired here.
        self.shards = shards
        self.closer = closer
        self.audit = audit
        self.clock = clock
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look at the timers now (one was set, or the clock moved)."""
        self._wake.set()

    async def set(self, timer: CloseTimer, entry: AuditEntry) -> None:
        """Set (or replace) a thread's timer and record who set it."""
        await self.store.set_close_timer(timer)
        self.wake()
        await self.audit.record(entry)

    async def cancel(self, thread_id: int, entry: AuditEntry) -> bool:
        """Cancel a thread's timer, storing ``entry`` with it; False when there was none.

        The entry is stored, not yet announced: announce it with :meth:`announce` once
        the moderator's answer is under way."""
        return await self.store.cancel_close_timer(thread_id, audit=entry) is not None

    async def announce(self, entry: AuditEntry) -> None:
        """Announce a cancellation stored by :meth:`cancel`."""
        await self.audit.announce(entry)

    async def run(self, running: Callable[[], bool]) -> None:
        """Lock each thread when its timer is due, while ``running()``."""
        while running():
            self._wake.clear()
            try:
                delay = await self.fire_due()
            except Exception:
                log.exception("close timers: a round failed; trying again later")
                delay = TIMER_RETRY_SECONDS
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)

    async def fire_due(self) -> float:
        """Fire the due timers; returns seconds until the next one (at most a poll)."""
        now = self.clock()
        soonest = TIMER_POLL_SECONDS
        for timer in await self.store.close_timers():
            if not self.shards.owns(timer.guild_id):
                continue
            if timer.due_at > now:
                soonest = min(soonest, (timer.due_at - now).total_seconds())
                continue
            if not await self.close(timer, now):
                soonest = min(soonest, TIMER_RETRY_SECONDS)
        return max(soonest, 0.0)

    async def close(self, timer: CloseTimer, now: datetime) -> bool:
        """Lock the timer's thread once; False when the platform should be asked again later."""
        try:
            outcome = await self.closer.close_thread(timer.thread_id,
                                                     with_reason(CLOSE_NOTICE, timer.reason))
        except TryLater as exc:
            log.warning("close timer for thread %d: %s; will retry", timer.thread_id, exc)
            return False
        prompt = await self.store.get_prompt(timer.thread_id)
        title = prompt.article.title if prompt else f"thread {timer.thread_id}"
        late = now - timer.due_at
        notes = [timer.reason, outcome]
        if late > LATE_AFTER:
            notes.append(f"{format_duration(late)} late: the bot was offline when it was due")
        entry = AuditEntry(
            guild_id=timer.guild_id, actor_id=timer.set_by, action="close", target=title,
            at=now, thread_id=timer.thread_id, reason="; ".join(n for n in notes if n) or None,
        )
        # The timer goes and the action is logged in one transaction: fired once, logged once.
        if await self.store.cancel_close_timer(timer.thread_id, audit=entry) is None:
            return True  # cancelled meanwhile: whoever cancelled it recorded that
        await self.audit.announce(entry)
        return True
