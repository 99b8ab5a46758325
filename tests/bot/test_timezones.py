"""The one time-zone helper (issue 20): names checked, spelled, loaded and offered."""

from __future__ import annotations

import pytest

from bot.errors import InvalidValue
from bot.timezones import check_timezone, timezone_choices, zone


@pytest.mark.parametrize(("typed", "spelled"), [
    ("Europe/Paris", "Europe/Paris"), ("europe/paris", "Europe/Paris"),
    ("America/New York", "America/New_York"), ("utc", "UTC"), ("  Asia/Tokyo ", "Asia/Tokyo"),
])
def test_check_timezone_spells_the_zone(typed: str, spelled: str) -> None:
    """Zones are found whatever the case, with spaces for underscores."""
    assert check_timezone(typed) == spelled


@pytest.mark.parametrize("name", ["Mars/Olympus", "../etc/passwd", "", "Europe/", "/etc/localtime"])
def test_unknown_time_zones_are_refused_in_one_line(name: str) -> None:
    """Only IANA names of this machine are accepted, never a path; one line says so."""
    with pytest.raises(InvalidValue, match="is not a time zone I know: use an IANA time zone") as e:
        check_timezone(name)
    assert "\n" not in str(e.value)
    with pytest.raises(InvalidValue):
        zone(name)


def test_zone_loads_the_checked_name() -> None:
    """zone() reads a name in any case and gives the zone under its IANA spelling."""
    assert zone("europe/paris").key == "Europe/Paris"


def test_choices_prefer_prefix_then_city_and_cap() -> None:
    """Names or city names starting with what was typed come first; never over the limit."""
    assert timezone_choices("paris") == ["Europe/Paris"]
    assert timezone_choices("europe/l")[0] == "Europe/Lisbon"
    assert timezone_choices("new york")[0] == "America/New_York"
    europe = timezone_choices("europe/")
    assert len(europe) == 25 and all(z.startswith("Europe/") for z in europe)
    assert len(timezone_choices("a", limit=10)) == 10


def test_nothing_typed_offers_the_common_zones_first() -> None:
    """An empty option offers UTC and the common zones, then others, 25 in all."""
    offered = timezone_choices("")
    assert offered[:3] == ["UTC", "Europe/London", "Europe/Paris"] and len(offered) == 25
