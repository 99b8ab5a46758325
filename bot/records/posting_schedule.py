"""A server's posting schedule, as the store keeps it, and the arithmetic of its slots.

A schedule is a time of day in the server's time zone, every day or on chosen weekdays.
A *slot* is one such moment, as a UTC datetime. The scheduler asks ``due(now)``:
the latest slot at or before ``now`` that has not been handled yet. However many
slots passed while the bot was down, that is one slot, so a restart posts once.
Reading what a moderator typed is ``bot.schedule``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.timezones import zone

Cadence = Literal["daily", "weekly"]
CADENCES: tuple[Cadence, ...] = ("daily", "weekly")
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


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
