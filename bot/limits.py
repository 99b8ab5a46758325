"""Limits on expensive commands: per-member cooldowns, and one export at a time per server.

A cooldown lets a member use a command (or a family of commands sharing a bucket) at
most ``uses`` times in any ``seconds``; the time comes from the caller (the bot's
clock), so tests move it instead of waiting. An :class:`ExportLine` lets one export
run at a time in a server, a few more wait their turn in order, and each member have
one export running or waiting; anything more is refused with a line saying why.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.errors import FilmclubError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Rate:
    """At most ``uses`` uses of the bucket ``name`` in any ``seconds``, per member and server."""

    name: str
    uses: int
    seconds: float

    def describe(self) -> str:
        """'3 times a minute'."""
        times = "once" if self.uses == 1 else f"{self.uses} times"
        if self.seconds == 60:
            return f"{times} a minute"
        if self.seconds % 60 == 0:
            return f"{times} in {int(self.seconds // 60)} minutes"
        return f"{times} in {self.seconds:g} seconds"


#: /export and the "Export this thread" menu: enough for a moderator to save a thread in
#: every format (five) and the server archive in one minute.
EXPORTS = Rate("export", 6, 60)
#: /top, /leaderboard and /stats: each reads every counted comment of a scope.
NUMBERS = Rate("numbers", 6, 60)
#: /mydata: every comment the member wrote, with its versions, in every server.
OWN_DATA = Rate("mydata", 2, 600)
#: /discussion resync: reads whole threads back from Discord.
RESYNC = Rate("resync", 2, 60)


class CoolingDown(FilmclubError):
    """A member used a command too often; the message says when to try again."""

    def __init__(self, command: str, rate: Rate, wait: float) -> None:
        self.wait = wait
        seconds = max(1, int(wait + 0.999))
        when = f"{seconds} s" if seconds < 120 else f"{(seconds + 59) // 60} minutes"
        super().__init__(f"Slow down: /{command} can be used {rate.describe()}. "
                         f"Try again in {when}.")


class Cooldowns:
    """Uses of each bucket by each member in each server, within the bucket's window."""

    def __init__(self) -> None:
        self._used: dict[tuple[str, int, int], deque[datetime]] = {}

    def take(self, rate: Rate, guild_id: int, user_id: int, now: datetime) -> float | None:
        """Count a use and return None; or, over the rate, count nothing and return the
        seconds until the next use is allowed."""
        key = (rate.name, guild_id, user_id)
        window = timedelta(seconds=rate.seconds)
        used = self._used.setdefault(key, deque())
        while used and now - used[0] >= window:
            used.popleft()
        if len(used) >= rate.uses:
            return (used[0] + window - now).total_seconds()
        used.append(now)
        if len(self._used) > 10_000:  # forget idle members now and then
            self._forget_idle(now)
        return None

    def _forget_idle(self, now: datetime) -> None:
        longest = timedelta(hours=1)
        for key in [k for k, used in self._used.items() if not used or now - used[-1] > longest]:
            del self._used[key]


class ExportBusy(FilmclubError):
    """An export cannot start or wait its turn now; the message says why."""


class ExportLine:
    """One export running per server; up to ``waiting`` more in line; one per member.

    Locks are asyncio's, which hand over in the order they were asked for.
    """

    def __init__(self, waiting: int = 3, patience: float | None = 600.0) -> None:
        self.waiting = waiting
        #: Seconds an export waits in line at most (Discord lets a bot answer for 15 minutes).
        self.patience = patience
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._queued: defaultdict[int, int] = defaultdict(int)
        self._members: defaultdict[int, set[int]] = defaultdict(set)

    def lock(self, guild_id: int) -> asyncio.Lock:
        """The server's export lock (held while one of its exports runs)."""
        return self._locks[guild_id]

    def busy(self, guild_id: int) -> bool:
        return self._locks[guild_id].locked()

    def check(self, guild_id: int, user_id: int) -> None:
        """Refuse (ExportBusy) a member who has an export going, or a full line."""
        if user_id in self._members[guild_id]:
            raise ExportBusy("Your earlier export here is still running or waiting: its file "
                             "comes first, then ask again.")
        if self.busy(guild_id) and self._queued[guild_id] >= self.waiting:
            raise ExportBusy(f"An export is running here and {self._queued[guild_id]} more are "
                             "waiting: try again in a few minutes.")

    @contextlib.asynccontextmanager
    async def turn(self, guild_id: int, user_id: int, *,
                   queued: Callable[[int], Awaitable[None]] | None = None
                   ) -> AsyncIterator[None]:
        """Wait for the server's turn (telling ``queued`` the place in line), then hold it."""
        self.check(guild_id, user_id)
        lock = self._locks[guild_id]
        members = self._members[guild_id]
        members.add(user_id)
        try:
            if lock.locked():
                self._queued[guild_id] += 1
                try:
                    if queued is not None:
                        await queued(self._queued[guild_id])
                    async with asyncio.timeout(self.patience):
                        await lock.acquire()
                except TimeoutError:
                    raise ExportBusy("The exports before yours took too long: ask again in a "
                                     "while.") from None
                finally:
                    self._queued[guild_id] -= 1
            else:
                await lock.acquire()
            try:
                yield
            finally:
                lock.release()
        finally:
            members.discard(user_id)
