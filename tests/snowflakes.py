"""Discord ids for test data, from the one definition of Discord's epoch (``bot.models``).

Ids that encode their moment sort like times, as Discord's do:

    sf = minute_ids(T0)
    MessageCreated(sf(3), ...)      # the id of a message posted at T0 + 3 minutes
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.models import DISCORD_EPOCH_MS


def snowflake(moment: datetime, low: int = 0) -> int:
    """The id Discord would give at ``moment`` (to the millisecond), ``low`` in its 22 low bits."""
    return ((int(moment.timestamp() * 1000) - DISCORD_EPOCH_MS) << 22) | low


def minute_ids(start: datetime) -> Callable[[float], int]:
    """``sf(minutes)``: the id of the moment ``minutes`` after ``start``."""

    def sf(minutes: float) -> int:
        return snowflake(start + timedelta(minutes=minutes))

    return sf
