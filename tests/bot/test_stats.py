"""Ranking, periods and the busiest hour behind /top, /leaderboard and /stats."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.records.counts import BusiestHour, MemberTotals, busiest_hour, parse_hour_bucket
from bot.stats import period_start, rank_members

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TOTALS = [
    MemberTotals(1, "Ana", comments=2, votes=1, first_comment_id=10),
    MemberTotals(2, "Ben", comments=2, votes=2, first_comment_id=30),
    MemberTotals(3, "Cy", comments=1, votes=2, first_comment_id=50),
    MemberTotals(4, "Dee", comments=1, votes=0, first_comment_id=60),
    MemberTotals(5, "Eve", comments=1, votes=0, first_comment_id=70),
]


@pytest.mark.parametrize(("by", "order"), [
    ("comments", ["Ben", "Ana", "Cy", "Dee", "Eve"]),
    ("votes", ["Ben", "Cy", "Ana", "Dee", "Eve"]),
])
def test_rank_members_breaks_ties_the_same_way(by: str, order: list[str]) -> None:
    """Ties go to the other measure, then to who commented first."""
    assert [t.name for t in rank_members(TOTALS, by)] == order  # type: ignore[arg-type]
    assert [t.name for t in rank_members(reversed(TOTALS), by)] == order  # type: ignore[arg-type]


@pytest.mark.parametrize(("period", "start"), [
    ("week", datetime(2026, 11, 13, 12, 0, tzinfo=UTC)),
    ("month", datetime(2026, 10, 21, 12, 0, tzinfo=UTC)),
    ("all", None),
])
def test_period_start(period: str, start: datetime | None) -> None:
    """Periods count back from now: 7 days, 30 days, or all time."""
    assert period_start(period, NOW) == start  # type: ignore[arg-type]


def test_busiest_hour_in_the_server_zone() -> None:
    """UTC hour counts are added up by local hour; the earlier hour wins a tie."""
    counts = {
        parse_hour_bucket("2026-11-01T20"): 3,  # 21:00 in Paris (UTC+1 in November)
        parse_hour_bucket("2026-11-02T20"): 2,
        parse_hour_bucket("2026-11-01T08"): 5,  # 09:00 in Paris
    }
    paris = ZoneInfo("Europe/Paris")
    assert busiest_hour(counts, paris, "Europe/Paris") == BusiestHour(9, 5, "Europe/Paris")
    counts[parse_hour_bucket("2026-11-03T20")] = 1
    found = busiest_hour(counts, paris, "Europe/Paris")
    assert found == BusiestHour(21, 6, "Europe/Paris")
    assert found.label == "21:00–22:00 Europe/Paris"
    assert busiest_hour({}, UTC, "UTC") is None


def test_busiest_hour_label_wraps_at_midnight() -> None:
    """The hour before midnight reads 23:00–00:00."""
    assert BusiestHour(23, 1, "UTC").label == "23:00–00:00 UTC"
