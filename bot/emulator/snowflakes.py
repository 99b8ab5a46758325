"""Time-based, strictly increasing snowflakes and Discord's ISO-8601 timestamps."""

from __future__ import annotations

import time
from datetime import UTC, datetime

DISCORD_EPOCH_MS = 1_420_070_400_000
_COUNTER_BITS = 12


class SnowflakeFactory:
    """Hands out ``((ms - DISCORD_EPOCH) << 22) | counter`` ids, never the same one twice."""

    def __init__(self) -> None:
        self._last = 0
        self._counter = 0

    def next(self) -> int:
        """A new snowflake, greater than every one handed out before."""
        ms = time.time_ns() // 1_000_000 - DISCORD_EPOCH_MS
        self._counter = (self._counter + 1) % (1 << _COUNTER_BITS)
        value = (ms << 22) | self._counter
        if value <= self._last:
            value = self._last + 1
        self._last = value
        return value

    def next_on_shard(self, shard_id: int, shard_count: int) -> int:
        """A new snowflake that, as a guild id, belongs to ``shard_id`` of ``shard_count``
        (``(id >> 22) % count``): the next one, moved up to ``count - 1`` ms on."""
        value = self.next()
        while (value >> 22) % shard_count != shard_id:
            value += 1 << 22
        self._last = value
        return value


def snowflake_datetime(snowflake: int) -> datetime:
    """When a snowflake was made, as an aware UTC datetime."""
    return datetime.fromtimestamp(((int(snowflake) >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)


def iso(moment: datetime) -> str:
    """Discord's timestamp format: ``2026-07-20T12:34:56.789000+00:00``."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def snowflake_iso(snowflake: int) -> str:
    """The ISO timestamp a snowflake encodes (how Discord stamps messages)."""
    return iso(snowflake_datetime(snowflake))


def now_iso() -> str:
    """The current time in Discord's timestamp format."""
    return iso(datetime.now(UTC))
