"""Cooldowns and the export line (issue 13, finding 6): the rules, without Discord."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.limits import Cooldowns, CoolingDown, ExportBusy, ExportLine, Rate
from bot.records.visibility import EVERY_THREAD, Visible

T0 = datetime(2026, 11, 1, 20, 0, tzinfo=UTC)
RATE = Rate("export", 3, 60)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_cooldown_allows_the_rate_then_says_how_long_to_wait() -> None:
    """Three uses in a minute pass; the fourth waits until the first leaves the window."""
    limits = Cooldowns()
    assert [limits.take(RATE, 1, 7, at(s)) for s in (0, 10, 20)] == [None, None, None]
    assert limits.take(RATE, 1, 7, at(30)) == pytest.approx(30.0)
    assert limits.take(RATE, 1, 7, at(59.5)) == pytest.approx(0.5)
    assert limits.take(RATE, 1, 7, at(60)) is None  # the first use has left the window
    assert limits.take(RATE, 1, 7, at(61)) == pytest.approx(9.0)


def test_a_refused_use_does_not_count() -> None:
    """Asking again while refused does not push the wait further out."""
    limits = Cooldowns()
    for s in (0, 1, 2):
        limits.take(RATE, 1, 7, at(s))
    for s in (3, 4, 5, 50):
        assert limits.take(RATE, 1, 7, at(s)) is not None
    assert limits.take(RATE, 1, 7, at(60)) is None


def test_cooldowns_are_per_member_server_and_bucket() -> None:
    """Another member, another server or another bucket has its own count."""
    limits = Cooldowns()
    for s in (0, 1, 2):
        limits.take(RATE, 1, 7, at(s))
    assert limits.take(RATE, 1, 7, at(3)) is not None
    assert limits.take(RATE, 1, 8, at(3)) is None
    assert limits.take(RATE, 2, 7, at(3)) is None
    assert limits.take(Rate("numbers", 3, 60), 1, 7, at(3)) is None


@pytest.mark.parametrize(("rate", "wait", "expected"), [
    (Rate("export", 4, 60), 41.2, "Slow down: /export can be used 4 times a minute. "
                                  "Try again in 42 s."),
    (Rate("mydata", 2, 600), 301, "Slow down: /mydata can be used 2 times in 10 minutes. "
                                  "Try again in 6 minutes."),
    (Rate("x", 1, 30), 0.2, "Slow down: /x can be used once in 30 seconds. Try again in 1 s."),
])
def test_cooldown_message_says_the_rate_and_the_wait(rate: Rate, wait: float,
                                                     expected: str) -> None:
    """One line: what the rate is and when to try again."""
    assert str(CoolingDown(rate.name, rate, wait)) == expected


async def test_exports_take_turns_in_order_and_say_their_place() -> None:
    """One export at a time per server; the others wait in the order they came, told where."""
    line = ExportLine(waiting=3)
    order: list[str] = []
    places: dict[str, int] = {}
    all_waiting = asyncio.Event()
    await line.lock(1).acquire()  # an export is running

    async def export(name: str, user: int) -> None:
        async def queued(place: int) -> None:
            places[name] = place
            if len(places) == 3:
                all_waiting.set()

        async with line.turn(1, user, queued=queued):
            order.append(name)

    waiting = [asyncio.create_task(export(n, u)) for n, u in (("a", 1), ("b", 2), ("c", 3))]
    await asyncio.wait_for(all_waiting.wait(), 10)
    assert places == {"a": 1, "b": 2, "c": 3} and order == []
    with pytest.raises(ExportBusy, match="3 more are waiting"):
        line.check(1, 4)
    line.check(2, 4)  # another server is free
    with pytest.raises(ExportBusy, match="still running or waiting"):
        line.check(1, 2)
    line.lock(1).release()
    await asyncio.gather(*waiting)
    assert order == ["a", "b", "c"]
    line.check(1, 4)  # the line is empty again
    assert not line.busy(1)


async def test_an_export_that_waits_too_long_is_told_so() -> None:
    """Past its patience, a waiting export gives up with one line and leaves the line."""
    line = ExportLine(waiting=3, patience=0.01)
    await line.lock(1).acquire()
    with pytest.raises(ExportBusy, match="took too long"):
        async with line.turn(1, 5):
            pytest.fail("it should not have had its turn")
    line.check(1, 5)  # no longer counted as waiting


def test_visible_allows_its_threads_or_every_thread() -> None:
    """A Visible set allows its ids only; EVERY_THREAD allows all and filters nothing."""
    only = Visible.only([3, 1])
    assert only.allows(1) and not only.allows(2)
    assert only.sql() == "[1, 3]" and not only.everything
    assert EVERY_THREAD.allows(2) and EVERY_THREAD.sql() is None and EVERY_THREAD.everything
    assert Visible.only([]).sql() == "[]"
