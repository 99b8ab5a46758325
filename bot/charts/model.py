"""What a chart shows, before anything is drawn: plain records and the bucketing rules.

Nothing here imports the plotting library, so building a chart's data costs the command
line nothing. The store counts per UTC hour (``YYYY-MM-DDTHH`` buckets); this module turns
those counts into the buckets a reader wants: hours while a discussion is young, days
while it runs for weeks, weeks beyond that, in the server's time zone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Literal

Unit = Literal["hour", "day", "week"]

#: Hour bars while the discussion is this young (from the post to its last activity).
HOUR_SPAN = timedelta(hours=72)
#: Day bars up to this span; weeks beyond.
DAY_SPAN = timedelta(days=120)
#: The server chart's weekly bars reach back this many weeks at most.
MAX_WEEKS = 104
#: Members in the "most active" panel.
TOP_MEMBERS = 8


@dataclass(frozen=True, slots=True)
class Busiest:
    """The single busiest hour of a discussion (by comments), and its bucket on the chart."""

    index: int  # the bar it falls in
    hour: datetime  # the hour's start (UTC)
    comments: int


@dataclass(frozen=True, slots=True)
class ThreadChart:
    """A prompt thread's life: comments and votes per bucket from the post, and ratings.

    ``ratings`` counts the ratings per half-star step 1..10 (empty: nobody rated yet).
    """

    title: str
    posted_at: datetime
    unit: Unit
    starts: tuple[datetime, ...]  # each bucket's start, in ``zone``
    comments: tuple[int, ...]
    votes: tuple[int, ...]
    busiest: Busiest | None
    ratings: tuple[int, ...]
    zone_name: str

    @property
    def total_comments(self) -> int:
        return sum(self.comments)

    @property
    def total_votes(self) -> int:
        return sum(self.votes)

    def describe(self) -> str:
        """One sentence saying what the chart shows (its alt text)."""
        text = (f"“{self.title}”: {_count(self.total_comments, 'comment')} and "
                f"{_count(self.total_votes, 'vote')} per {self.unit} over "
                f"{_count(len(self.starts), self.unit)} from the post")
        if self.busiest is not None:
            text += (f"; busiest hour {self.busiest.hour.strftime('%Y-%m-%d %H:00')} UTC with "
                     f"{_count(self.busiest.comments, 'comment')}")
        if any(self.ratings):
            text += f"; {_count(sum(self.ratings), 'rating')}"
        return text + "."


@dataclass(frozen=True, slots=True)
class ServerChart:
    """A server's weeks (prompts and comments) and its most active members.

    ``members`` are (label, comments), most active first; with ``anonymised`` the labels
    are "Member 1", "Member 2"... by rank.
    """

    title: str
    starts: tuple[datetime, ...]  # each week's Monday, in ``zone``
    prompts: tuple[int, ...]
    comments: tuple[int, ...]
    members: tuple[tuple[str, int], ...]
    anonymised: bool
    zone_name: str
    clipped: bool = False  # older weeks were left out (MAX_WEEKS)

    def describe(self) -> str:
        """One sentence saying what the chart shows, its members' labels included (the
        picture's alt text, so whoever cannot see it reads what it draws)."""
        people = ", ".join(f"{label} ({count})" for label, count in self.members)
        return (f"{_count(sum(self.prompts), 'prompt')} and "
                f"{_count(sum(self.comments), 'comment')} per week over "
                f"{_count(len(self.starts), 'week')}; most active: {people or 'nobody yet'}.")


@dataclass(frozen=True, slots=True)
class ArchiveChart:
    """The archive index's picture: the server's weeks and each prompt's comment count."""

    server: ServerChart
    prompts: tuple[tuple[str, int], ...]  # (title, comments), in the index's order

    def describe(self) -> str:
        return (f"{self.server.describe()[:-1]}; comments in each of {len(self.prompts)} "
                "discussions.")

    def describe_weeks(self) -> str:
        """The archive chart draws no members: its alt text names none."""
        server = self.server
        return (f"{_count(sum(server.prompts), 'prompt')} and "
                f"{_count(sum(server.comments), 'comment')} per week over "
                f"{_count(len(server.starts), 'week')}; comments in each of "
                f"{_count(len(self.prompts), 'discussion')}.")


Chart = ThreadChart | ServerChart | ArchiveChart


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _floor(moment: datetime, unit: Unit, zone: tzinfo) -> datetime:
    """The start of the bucket holding ``moment``, in ``zone``."""
    local = moment.astimezone(zone)
    if unit == "hour":
        return local.replace(minute=0, second=0, microsecond=0)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "week":
        day -= timedelta(days=day.weekday())
    # Rebuild from the date: a day's midnight has its own offset around a DST change.
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def _step(start: datetime, unit: Unit, zone: tzinfo) -> datetime:
    if unit == "hour":
        return (start.astimezone(UTC) + timedelta(hours=1)).astimezone(zone)
    nxt = start.date() + timedelta(days=7 if unit == "week" else 1)
    return datetime(nxt.year, nxt.month, nxt.day, tzinfo=zone)


def _buckets(first: datetime, last: datetime, unit: Unit, zone: tzinfo) -> list[datetime]:
    starts = [_floor(first, unit, zone)]
    end = _floor(last, unit, zone)
    while starts[-1] < end:
        starts.append(_step(starts[-1], unit, zone))
    return starts


def _spread(counts: Mapping[datetime, int], starts: Sequence[datetime], unit: Unit,
            zone: tzinfo, *, clamp: bool = True) -> tuple[int, ...]:
    """Hour counts summed into the buckets. Counts outside them go in the first or last
    bucket with ``clamp`` (a clock a little off), else are left out."""
    index = {start: i for i, start in enumerate(starts)}
    out = [0] * len(starts)
    for hour, count in counts.items():
        i = index.get(_floor(hour, unit, zone))
        if i is None:
            if not clamp:
                continue
            i = 0 if hour < starts[0] else len(starts) - 1
        out[i] += count
    return tuple(out)


def choose_unit(span: timedelta) -> Unit:
    """Hours for a young discussion, days for weeks of it, weeks beyond."""
    if span <= HOUR_SPAN:
        return "hour"
    return "day" if span <= DAY_SPAN else "week"


def thread_chart(title: str, posted_at: datetime, comment_hours: Mapping[datetime, int],
                 vote_hours: Mapping[datetime, int], ratings: Iterable[int], zone: tzinfo,
                 zone_name: str) -> ThreadChart:
    """A thread's chart from its per-hour counts (UTC hour starts) and its ratings."""
    hours = [h for h, n in (*comment_hours.items(), *vote_hours.items()) if n]
    last = max([posted_at, *hours])
    unit = choose_unit(last - posted_at)
    starts = _buckets(posted_at, last, unit, zone)
    comments = _spread(comment_hours, starts, unit, zone)
    busiest = None
    if any(comment_hours.values()):
        hour, count = min(comment_hours.items(), key=lambda item: (-item[1], item[0]))
        index = _spread({hour: 1}, starts, unit, zone).index(1)
        busiest = Busiest(index, hour, count)
    counted = Counter(r for r in ratings if 1 <= r <= 10)
    steps = tuple(counted.get(step, 0) for step in range(1, 11)) if counted else ()
    return ThreadChart(title, posted_at, unit, tuple(starts), comments,
                       _spread(vote_hours, starts, unit, zone), busiest, steps, zone_name)


def server_chart(title: str, prompt_times: Iterable[datetime],
                 comment_hours: Mapping[datetime, int], members: Sequence[tuple[str, int]],
                 *, anonymised: bool, zone: tzinfo, zone_name: str,
                 now: datetime) -> ServerChart:
    """A server's chart: prompts and comments per week (up to ``now``), top members.

    ``members`` are (name, comments), most active first; only the first TOP_MEMBERS
    are kept, named "Member N" when ``anonymised``.
    """
    posted = list(prompt_times)
    moments = posted + [h for h, n in comment_hours.items() if n]
    first = min(moments, default=now)
    starts = _buckets(min(first, now), max([now, *moments]), "week", zone)
    clipped = len(starts) > MAX_WEEKS
    if clipped:
        starts = starts[-MAX_WEEKS:]
    prompts = _spread(Counter(posted), starts, "week", zone, clamp=not clipped)
    comments = _spread(comment_hours, starts, "week", zone, clamp=not clipped)
    top = [(f"Member {rank}" if anonymised else name, count)
           for rank, (name, count) in enumerate(members[:TOP_MEMBERS], start=1)]
    return ServerChart(title, tuple(starts), prompts, comments, tuple(top), anonymised,
                       zone_name, clipped)
