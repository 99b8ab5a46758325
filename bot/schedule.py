"""When prompts are posted: a server's schedule and the arithmetic of its slots.

A schedule is a time of day in an IANA time zone, every day or on chosen weekdays.
A *slot* is one such moment, as a UTC datetime. The scheduler asks ``due(now)``:
the latest slot at or before ``now`` that has not been handled yet. However many
slots passed while the bot was down, that is one slot, so a restart posts once.

All arithmetic is done on aware datetimes; ``now`` comes from an injectable clock,
so tests move time instead of waiting for it. Plain Python, no Discord.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.errors import ScheduleError

Cadence = Literal["daily", "weekly"]
CADENCES: tuple[Cadence, ...] = ("daily", "weekly")
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_GROUPS = {"weekdays": (0, 1, 2, 3, 4), "weekends": (5, 6), "weekend": (5, 6),
           "everyday": tuple(range(7)), "daily": tuple(range(7))}
_TIME = re.compile(r"(\d{1,2})(?:[:.h](\d{2}))?\s*([ap]\.?m\.?)?", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Schedule:
    """A server's posting schedule and what it has done so far."""

    guild_id: int
    channel_id: int
    cadence: Cadence
    weekdays: tuple[int, ...]  # 0 = Monday; empty = every day
    at: time  # wall-clock time in ``timezone``
    timezone: str
    set_at: datetime  # slots at or before this moment are not due
    last_slot: datetime | None = None  # the latest slot handled (posted, skipped or failed)
    skip_slot: datetime | None = None  # a slot a moderator asked to skip
    empty_notified: bool = False  # moderators were told the queue and library are empty

    @property
    def zone(self) -> ZoneInfo:
        return zone(self.timezone)

    @property
    def days(self) -> tuple[int, ...]:
        return self.weekdays or tuple(range(7))

    def slot_on(self, day: date) -> datetime:
        """The slot on a local calendar day, in UTC (a time in a DST gap moves forward)."""
        local = datetime.combine(day, self.at, tzinfo=self.zone)
        return local.astimezone(UTC)

    def next_slot(self, after: datetime) -> datetime:
        """The first slot strictly after ``after``."""
        today = after.astimezone(self.zone).date()
        for offset in range(-1, 9):
            day = today + timedelta(days=offset)
            if day.weekday() in self.days:
                slot = self.slot_on(day)
                if slot > after:
                    return slot
        raise AssertionError("a schedule has a slot every week")  # pragma: no cover

    def latest_slot(self, now: datetime) -> datetime | None:
        """The last slot at or before ``now``."""
        today = now.astimezone(self.zone).date()
        for offset in range(-1, 9):
            day = today - timedelta(days=offset)
            if day.weekday() in self.days:
                slot = self.slot_on(day)
                if slot <= now:
                    return slot
        return None  # pragma: no cover - every week has a slot

    def due(self, now: datetime) -> datetime | None:
        """The slot to handle at ``now``, if any: the latest one not handled yet.

        Slots from before the schedule was set never fire; of several slots missed
        while the bot was down, only the latest is due.
        """
        slot = self.latest_slot(now)
        if slot is None or slot <= self.set_at:
            return None
        if self.last_slot is not None and slot <= self.last_slot:
            return None
        return slot

    def upcoming(self, now: datetime) -> datetime:
        """The next slot that will post: after ``now`` and not the one being skipped."""
        slot = self.next_slot(now)
        if self.skip_slot is not None and slot == self.skip_slot:
            slot = self.next_slot(slot)
        return slot

    def describe(self) -> str:
        """'daily at 19:30 (Europe/Paris)' or 'weekly on Mon, Thu at 19:30 (Europe/Paris)'."""
        when = self.at.strftime("%H:%M")
        if self.weekdays and len(self.weekdays) < 7:
            names = ", ".join(WEEKDAY_NAMES[d].title() for d in self.weekdays)
            return f"{self.cadence} on {names} at {when} ({self.timezone})"
        return f"{self.cadence} at {when} ({self.timezone})"


# ---------------------------------------------------------------------------
# Reading what a moderator typed
# ---------------------------------------------------------------------------


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``; ScheduleError if there is no such zone."""
    cleaned = name.strip()
    if not cleaned or cleaned.startswith(("/", ".")) or ".." in cleaned:
        raise ScheduleError(f"{name!r} is not an IANA time zone (like Europe/Paris)")
    try:
        return ZoneInfo(cleaned)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ScheduleError(
            f"{name!r} is not an IANA time zone (like Europe/Paris or America/New_York)"
        ) from None


@lru_cache(maxsize=1)
def timezone_names() -> tuple[str, ...]:
    """Every IANA time zone name this system knows, sorted."""
    return tuple(sorted(available_timezones()))


def search_timezones(text: str, limit: int = 25) -> list[str]:
    """Zone names containing ``text`` (any case; spaces match underscores), prefixes first."""
    needle = text.strip().casefold().replace(" ", "_")
    names = timezone_names()
    if not needle:
        common = ("UTC", "Europe/London", "Europe/Paris", "America/New_York",
                  "America/Los_Angeles", "Asia/Tokyo", "Australia/Sydney")
        return [n for n in common if n in names][:limit]
    first = [n for n in names if n.casefold().startswith(needle)
             or n.casefold().split("/")[-1].startswith(needle)]
    rest = [n for n in names if needle in n.casefold() and n not in first]
    return (first + rest)[:limit]


def parse_time(text: str) -> time:
    """'19:30', '7:30pm', '9am', '21h15' as a time of day; ScheduleError otherwise."""
    match = _TIME.fullmatch(text.strip())
    if match is None:
        raise ScheduleError(f"{text!r} is not a time of day: write it like 19:30 or 7:30pm")
    hour, minute = int(match[1]), int(match[2] or 0)
    meridiem = (match[3] or "").lower().replace(".", "")
    if meridiem:
        if not 1 <= hour <= 12:
            raise ScheduleError(f"{text!r} is not a time of day: with am/pm, hours go 1 to 12")
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ScheduleError(f"{text!r} is not a time of day: hours go to 23, minutes to 59")
    return time(hour, minute)


def parse_weekdays(text: str | None) -> tuple[int, ...]:
    """'mon,thu', 'Monday Friday', 'weekdays' as sorted day numbers (0 = Monday)."""
    if text is None or not text.strip():
        return ()
    days: set[int] = set()
    for word in re.split(r"[\s,;/+&]+|\band\b", text.strip().casefold()):
        if not word:
            continue
        if word in _GROUPS:
            days.update(_GROUPS[word])
            continue
        for index, (short, full) in enumerate(zip(WEEKDAY_NAMES, _FULL_NAMES, strict=True)):
            if word in (full, short) or (len(word) >= 2 and full.startswith(word)):
                days.add(index)
                break
        else:
            raise ScheduleError(
                f"{word!r} is not a weekday: use mon, tue, wed, thu, fri, sat, sun (or weekdays)"
            )
    return tuple(sorted(days))


def make_schedule(
    guild_id: int, channel_id: int, cadence: str, at: str, timezone: str,
    weekdays: str | None, *, now: datetime,
) -> Schedule:
    """A new schedule from what a moderator typed; ScheduleError names what is wrong."""
    if cadence not in CADENCES:
        raise ScheduleError(f"cadence must be daily or weekly, not {cadence!r}")
    days = parse_weekdays(weekdays)
    if cadence == "weekly" and not days:
        raise ScheduleError("a weekly schedule needs weekdays, like mon or mon,thu")
    when = parse_time(at)
    zone(timezone)
    return Schedule(
        guild_id=guild_id, channel_id=channel_id, cadence=cadence,  # type: ignore[arg-type]
        weekdays=() if len(days) == 7 else days, at=when, timezone=timezone.strip(),
        set_at=now,
    )
