"""Time zones: the one place a server's zone is named, checked, loaded and offered.

A server has one time zone (``/filmclub settings set timezone``, or the ``timezone`` of
``/prompt schedule set``); the schedule, /stats and exports all read it. Names are IANA's
(Europe/Paris), found whatever the case, with spaces for underscores; only names in the
system's zone database are loaded, never a path. Plain Python, no Discord, no store.
"""

from __future__ import annotations

import zoneinfo
from functools import cache

from bot.errors import InvalidValue

#: The zone of a server that never chose one.
DEFAULT_TIMEZONE = "UTC"

#: Offered first when nothing is typed yet.
COMMON_TIMEZONES = ("UTC", "Europe/London", "Europe/Paris", "America/New_York",
                    "America/Los_Angeles", "Asia/Tokyo", "Australia/Sydney")


@cache
def timezone_names() -> tuple[str, ...]:
    """Every IANA time zone name this system knows, sorted."""
    return tuple(sorted(zoneinfo.available_timezones()))


@cache
def _by_fold() -> dict[str, str]:
    return {name.casefold(): name for name in timezone_names()}


def check_timezone(name: str) -> str:
    """The IANA zone name as it is spelled ('europe/paris' -> 'Europe/Paris').

    InvalidValue, in one line, for a name that is no zone of this machine.
    """
    cleaned = name.strip().replace(" ", "_")
    found = _by_fold().get(cleaned.casefold())
    if found is None and cleaned.upper() in ("UTC", "GMT", "Z"):
        found = DEFAULT_TIMEZONE
    if found is None:
        raise InvalidValue(
            f"{name[:60]!r} is not a time zone I know: use an IANA time zone name like "
            "Europe/Paris or America/New_York (the list autocompletes)."
        )
    try:
        zoneinfo.ZoneInfo(found)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise InvalidValue(f"The time zone {found} cannot be loaded on this machine.") from exc
    return found


@cache
def zone(name: str) -> zoneinfo.ZoneInfo:
    """The zone called ``name`` (checked as ``check_timezone`` does)."""
    return zoneinfo.ZoneInfo(check_timezone(name))


def timezone_choices(typed: str, limit: int = 25) -> list[str]:
    """Zone names for what was typed (any case; spaces match underscores): names or city
    names starting with it first, then names containing it. Nothing typed: the common
    zones, then the others by region."""
    needle = typed.strip().casefold().replace(" ", "_")
    names = timezone_names()
    if not needle:
        common = [n for n in COMMON_TIMEZONES if n in names or n == DEFAULT_TIMEZONE]
        regions = [n for n in names if "/" in n and not n.startswith("Etc/")
                   and n not in common]
        return [*common, *regions][:limit]
    first = [n for n in names if n.casefold().startswith(needle)
             or n.casefold().rsplit("/", 1)[-1].startswith(needle)]
    rest = [n for n in names if needle in n.casefold() and n not in first]
    return (first + rest)[:limit]
