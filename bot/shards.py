"""Which servers this process looks after, when the bot runs as several shard processes.

Discord splits a large bot's servers into shards: a server belongs to shard
``(guild_id >> 22) % shard_count``, and each shard is one gateway session. A process
runs some of the shards (``FILMCLUB_SHARD_IDS`` of ``FILMCLUB_SHARD_COUNT``); the work
that must happen once per server (the schedule, feed polls, close timers, catch-up,
film polls ending) happens only in the process that owns the server's shard, and
what belongs to no server (a feed whose channel is not known yet, the application
commands) in the process holding shard 0, where Discord sends direct messages too.

Without sharding settings one process owns everything, as before.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

#: The most shards the settings accept (Discord's largest bots run a few thousand).
MAX_SHARDS = 65_536


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard a server belongs to, by Discord's rule."""
    return (guild_id >> 22) % shard_count


@dataclass(frozen=True, slots=True)
class Shards:
    """The shards this process runs: ``ids`` of ``count``; ``count`` None: not sharded."""

    count: int | None = None
    ids: tuple[int, ...] | None = None

    @property
    def sharded(self) -> bool:
        return self.count is not None

    @property
    def running(self) -> tuple[int, ...]:
        """The shard ids this process runs (every one of ``count`` when ids are not given)."""
        if self.count is None:
            return (0,)
        return self.ids if self.ids is not None else tuple(range(self.count))

    def owns(self, guild_id: int | None) -> bool:
        """Whether this process looks after ``guild_id`` (None: nobody's server, shard 0's)."""
        if self.count is None:
            return True
        shard = 0 if guild_id is None else shard_of(guild_id, self.count)
        return self.ids is None or shard in self.ids

    @property
    def holds_first(self) -> bool:
        """Whether this process runs shard 0 (application commands are synced there)."""
        return self.owns(None)

    def describe(self) -> str:
        """'shards 0, 1 of 4', or 'not sharded'."""
        if self.count is None:
            return "not sharded"
        return f"shards {', '.join(map(str, self.running))} of {self.count}"


EVERYWHERE = Shards()


def parse_ids(text: str) -> tuple[int, ...]:
    """``0-3``, ``4,5`` or ``0-2,7`` (spaces allowed) as ids in order; ValueError saying why."""
    ids: list[int] = []
    for part in text.replace(" ", "").split(","):
        if not part:
            raise ValueError(f"{text!r} has an empty item; write ids like 0-3 or 4,5")
        low, dash, high = part.partition("-")
        if not low.isdigit() or (dash and not high.isdigit()):
            raise ValueError(f"{part!r} is not a shard id or a range like 0-3")
        first, last = int(low), int(high) if dash else int(low)
        if last < first:
            raise ValueError(f"the range {part!r} runs backwards")
        if last - first >= MAX_SHARDS:
            raise ValueError(f"the range {part!r} is longer than {MAX_SHARDS} shards")
        ids.extend(range(first, last + 1))
    return tuple(ids)


def check_ids(ids: Iterable[int], count: int) -> list[str]:
    """What is wrong with running ``ids`` of ``count`` shards (empty: nothing)."""
    ids = list(ids)
    problems = []
    outside = sorted({i for i in ids if i >= count})
    if outside:
        problems.append(f"{', '.join(map(str, outside))} outside 0-{count - 1} "
                        f"(there are {count} shards)")
    twice = sorted(i for i, n in Counter(ids).items() if n > 1)
    if twice:
        problems.append(f"{', '.join(map(str, twice))} given twice")
    return problems
