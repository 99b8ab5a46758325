"""Schedules: slots in a time zone, missed slots, skips, and what moderators type."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest

from bot.errors import ScheduleError
from bot.records.posting_schedule import Schedule
from bot.schedule import make_schedule, parse_time, parse_weekdays

SET = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)  # a Monday


def weekly(days: tuple[int, ...] = (0, 3), at: time = time(19, 30), tz: str = "Europe/Paris",
           **changes: object) -> Schedule:
    schedule = Schedule(guild_id=1, channel_id=2, cadence="weekly", weekdays=days, at=at,
                        timezone=tz, set_at=SET)
    return replace(schedule, **changes)  # type: ignore[arg-type]


def test_next_slot_is_local_time_on_a_chosen_weekday() -> None:
    """Mon/Thu 19:30 Paris, set Monday morning: the next slot is Monday 18:30 UTC."""
    assert weekly().next_slot(SET) == datetime(2024, 3, 4, 18, 30, tzinfo=UTC)


def test_slots_follow_daylight_saving_time() -> None:
    """19:30 in Paris is 18:30 UTC in winter and 17:30 UTC after the clocks change."""
    schedule = weekly(days=())
    assert schedule.next_slot(datetime(2024, 3, 30, 19, 0, tzinfo=UTC)) == \
        datetime(2024, 3, 31, 17, 30, tzinfo=UTC)


def test_a_time_in_the_spring_gap_still_posts_that_day() -> None:
    """02:30 does not exist in Paris on 31 March 2024; the slot is that day's 03:30 (01:30 UTC)."""
    schedule = weekly(days=(6,), at=time(2, 30))
    assert schedule.next_slot(datetime(2024, 3, 30, 12, 0, tzinfo=UTC)) == \
        datetime(2024, 3, 31, 1, 30, tzinfo=UTC)


def test_nothing_is_due_before_the_first_slot() -> None:
    """A minute before the slot, nothing is due."""
    assert weekly().due(datetime(2024, 3, 4, 18, 29, tzinfo=UTC)) is None


def test_a_slot_is_due_from_its_moment() -> None:
    """At the slot and after it, the slot is due."""
    slot = datetime(2024, 3, 4, 18, 30, tzinfo=UTC)
    assert weekly().due(slot) == slot
    assert weekly().due(slot + timedelta(minutes=5)) == slot


def test_many_missed_slots_are_one_due_slot() -> None:
    """Down for two weeks: only the latest missed slot is due, once."""
    now = datetime(2024, 3, 19, 9, 0, tzinfo=UTC)  # Tuesday, after Mon 18 March's slot
    latest = datetime(2024, 3, 18, 18, 30, tzinfo=UTC)
    assert weekly().due(now) == latest
    assert weekly(last_slot=latest).due(now) is None


def test_slots_before_the_schedule_was_set_never_fire() -> None:
    """Setting a schedule after today's slot does not post for it."""
    schedule = weekly(set_at=datetime(2024, 3, 4, 20, 0, tzinfo=UTC))
    assert schedule.due(datetime(2024, 3, 4, 21, 0, tzinfo=UTC)) is None


def test_upcoming_skips_the_skipped_slot() -> None:
    """With the next slot skipped, the upcoming post is the one after."""
    skipped = datetime(2024, 3, 4, 18, 30, tzinfo=UTC)
    assert weekly(skip_slot=skipped).upcoming(SET) == datetime(2024, 3, 7, 18, 30, tzinfo=UTC)


@pytest.mark.parametrize(("text", "expected"), [
    ("19:30", time(19, 30)), ("7:30pm", time(19, 30)), ("9am", time(9, 0)), ("12am", time(0, 0)),
    ("12pm", time(12, 0)), ("21h15", time(21, 15)), ("8.05", time(8, 5)), (" 06:00 ", time(6)),
])
def test_parse_time(text: str, expected: time) -> None:
    """Times of day in the ways people write them."""
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["25:00", "19:75", "13pm", "noonish", "", "7:3"])
def test_parse_time_refuses_nonsense(text: str) -> None:
    """Impossible times are one clear line naming what was typed."""
    with pytest.raises(ScheduleError, match="is not a time of day"):
        parse_time(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("mon,thu", (0, 3)), ("Monday Thursday", (0, 3)), ("weekdays", (0, 1, 2, 3, 4)),
    ("sat and sun", (5, 6)), ("tu/th", (1, 3)), ("", ()), (None, ()),
])
def test_parse_weekdays(text: str | None, expected: tuple[int, ...]) -> None:
    """Weekdays by short or full name, or a group."""
    assert parse_weekdays(text) == expected


def test_parse_weekdays_refuses_unknown_words() -> None:
    """A word that is no weekday is named in the error."""
    with pytest.raises(ScheduleError, match="'funday' is not a weekday"):
        parse_weekdays("mon, funday")


def test_weekly_needs_weekdays() -> None:
    """A weekly schedule without days is refused."""
    with pytest.raises(ScheduleError, match="needs weekdays"):
        make_schedule(1, 2, "weekly", "19:30", "UTC", None, now=SET)


def test_make_schedule_reads_what_was_typed() -> None:
    """A daily schedule from text: time, zone, every day."""
    schedule = make_schedule(1, 2, "daily", "7pm", "America/New_York", None, now=SET)
    assert (schedule.at, schedule.timezone, schedule.days) == (time(19), "America/New_York",
                                                               tuple(range(7)))
    assert schedule.describe() == "daily at 19:00 (America/New_York)"
