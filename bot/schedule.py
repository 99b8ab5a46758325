"""When prompts are posted: reading the schedule a moderator types.

The record and the arithmetic of its slots are ``bot.records.posting_schedule.Schedule``;
its time zone is the server's one (``bot.timezones``). Plain Python, no Discord.
"""

from __future__ import annotations

import re
from datetime import datetime, time

from bot.errors import ScheduleError
from bot.records.posting_schedule import CADENCES, WEEKDAY_NAMES, Cadence, Schedule
from bot.timezones import check_timezone

_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_GROUPS = {"weekdays": (0, 1, 2, 3, 4), "weekends": (5, 6), "weekend": (5, 6),
           "everyday": tuple(range(7)), "daily": tuple(range(7))}
_TIME = re.compile(r"(\d{1,2})(?:[:.h](\d{2}))?\s*([ap]\.?m\.?)?", re.IGNORECASE)


# ---------------------------------------------------------------------------
# Reading what a moderator typed
# ---------------------------------------------------------------------------


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
    timezone = check_timezone(timezone)
    return Schedule(
        guild_id=guild_id, channel_id=channel_id, cadence=cadence,  # type: ignore[arg-type]
        weekdays=() if len(days) == 7 else days, at=when, timezone=timezone,
        set_at=now,
    )


__all__ = ["CADENCES", "Cadence", "Schedule", "make_schedule", "parse_time", "parse_weekdays"]
