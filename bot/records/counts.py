"""The club's numbers as the store counts them: members' totals, scored comments,
thread and server figures, the busiest hour.

Records and the arithmetic the store does on them; the rules for ranking and what /stats
shows are in ``bot.stats``. Hidden and deleted comments do not count, nor does a
member's vote on their own comment.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

#: A member who commented within this many days counts as active in /stats.
ACTIVE_DAYS = 30


@dataclass(frozen=True, slots=True)
class MemberTotals:
    """A member's comments in a period, and the net votes others gave them."""

    user_id: int
    name: str
    comments: int
    votes: int
    first_comment_id: int  # their earliest comment in the period: snowflakes sort by time


@dataclass(frozen=True, slots=True)
class ScoredComment:
    """A comment with the score /top ranks it by."""

    id: int
    thread_id: int
    guild_id: int
    author_id: int
    author_name: str
    content: str
    score: int
    created_at: datetime
    article_title: str
    #: From a spoiler thread (issue 18): quoted elsewhere only inside spoiler markup.
    spoilers: bool = False


@dataclass(frozen=True, slots=True)
class BusiestHour:
    hour: int  # 0..23 in ``timezone``
    comments: int
    timezone: str

    @property
    def label(self) -> str:
        """'21:00–22:00 Europe/Paris'."""
        return f"{self.hour:02d}:00–{(self.hour + 1) % 24:02d}:00 {self.timezone}"


def busiest_hour(hour_counts: Mapping[datetime, int], tz: tzinfo,
                 tz_name: str) -> BusiestHour | None:
    """The hour of the day (in ``tz``) with the most comments; the earlier hour on a tie.

    ``hour_counts`` counts comments per UTC hour (keys are the hours' starts).
    """
    local: Counter[int] = Counter()
    for start, count in hour_counts.items():
        local[start.astimezone(tz).hour] += count
    if not local:
        return None
    hour, count = min(local.items(), key=lambda item: (-item[1], item[0]))
    return BusiestHour(hour, count, tz_name)


def parse_hour_bucket(text: str) -> datetime:
    """A 'YYYY-MM-DDTHH' bucket (the store's UTC timestamps cut at the hour) as a datetime."""
    return datetime.strptime(text, "%Y-%m-%dT%H").replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ThreadStats:
    thread_id: int
    comments: int
    participants: int
    upvotes: int
    downvotes: int
    busiest: BusiestHour | None

    @property
    def votes(self) -> int:
        return self.upvotes + self.downvotes


@dataclass(frozen=True, slots=True)
class ServerStats:
    guild_id: int
    prompts: int
    comments: int
    members: int  # everyone who ever commented
    active_members: int  # those who commented in the last ACTIVE_DAYS days
    busiest: BusiestHour | None
