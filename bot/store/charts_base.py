"""The store's interface for issue 19 (charts): activity per hour (whether charts name
members is a server setting, ``GuildSettings.anonymise_members``).
``Store`` inherits it; the SQL lives in ``charts_sql``."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime

from bot.records.visibility import Visible


@dataclass(frozen=True, slots=True)
class ActivityHours:
    """Comments and votes that count, per UTC hour (keys: the hours' starts).

    The same comments and votes /stats counts: no hidden, deleted or forgotten comment,
    no vote on one's own comment, each member's latest vote on a comment; a vote falls
    in the hour it was cast.
    """

    comments: dict[datetime, int] = field(default_factory=dict)
    votes: dict[datetime, int] = field(default_factory=dict)


class ChartStore(ABC):
    """What the charts read."""

    @abstractmethod
    async def activity_hours(self, *, visible: Visible, thread_id: int | None = None,
                             guild_id: int | None = None) -> ActivityHours:
        """A thread's (``thread_id``) or a server's (``guild_id``) activity per hour, over
        the threads ``visible`` allows (nothing when it leaves the thread out)."""
