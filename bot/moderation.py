"""Moderation in the core: the rules for close timers (/discussion close-after).

The records of moderation (the audit log, close timers, hidden comments) are in
``bot.records.audit``; a server's settings and their checks in ``bot.records.server_settings``
and ``bot.settings``; the Discord side lives in ``cogs/discussion.py`` and ``cogs/comments.py``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta

from bot.errors import InvalidValue

#: How far ahead /discussion close-after may be set.
MIN_CLOSE_AFTER = timedelta(hours=1)
MAX_CLOSE_AFTER = timedelta(days=30)

#: Words that turn a close timer off instead of setting one.
OFF_WORDS = frozenset({"off", "cancel", "never", "none"})


# ---------------------------------------------------------------------------
# Durations: /discussion close-after
# ---------------------------------------------------------------------------

_UNITS: Mapping[str, int] = {
    "w": 7 * 86400, "week": 7 * 86400, "weeks": 7 * 86400,
    "d": 86400, "day": 86400, "days": 86400,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
}
_PART = re.compile(r"(\d{1,6})\s*([a-z]+)")
_WHOLE = re.compile(r"(?:\s*\d{1,6}\s*[a-z]+\s*,?)+")


def parse_duration(text: str) -> timedelta | None:
    """'6h', '2d', '1d 12h', '90m' within 1h..30d; None for 'off' (cancel the timer)."""
    cleaned = text.strip().lower()
    if cleaned in OFF_WORDS:
        return None
    example = "write it like 6h, 2d or 1d12h (from 1h to 30d), or off to cancel"
    if not _WHOLE.fullmatch(cleaned):
        raise InvalidValue(f"{text[:40]!r} is not a duration: {example}.")
    seconds = 0
    for number, unit in _PART.findall(cleaned):
        if unit not in _UNITS:
            raise InvalidValue(f"{unit!r} is not a unit: {example}.")
        seconds += int(number) * _UNITS[unit]
    duration = timedelta(seconds=seconds)
    if not MIN_CLOSE_AFTER <= duration <= MAX_CLOSE_AFTER:
        raise InvalidValue(
            f"{format_duration(duration)} is out of range: a discussion can close after 1h to 30d."
        )
    return duration


def format_duration(duration: timedelta) -> str:
    """'1d 12h', '45m', '0m'."""
    seconds = int(duration.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return " ".join(parts) or "0m"


DURATION_SUGGESTIONS = ("1h", "6h", "12h", "1d", "2d", "3d", "1w", "2w", "30d", "off")
