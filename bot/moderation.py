"""Moderation in the core: server settings, the audit log, close timers, hidden comments.

Plain records and the rules for what members may type (durations, vote emoji, time
zones); the Discord side lives in ``cogs/discussion.py``, ``cogs/comments.py`` and
``cogs/settings.py``.
"""

from __future__ import annotations

import json
import re
import unicodedata
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Literal

from bot.errors import InvalidValue

ExportAccess = Literal["moderators", "everyone"]
EXPORT_ACCESS: tuple[ExportAccess, ...] = ("moderators", "everyone")

#: The reactions that count as votes unless a server chooses its own.
DEFAULT_UPVOTES = ("👍", "⬆️")
DEFAULT_DOWNVOTES = ("👎", "⬇️")
MAX_VOTE_EMOJI = 10

#: How far ahead /discussion close-after may be set.
MIN_CLOSE_AFTER = timedelta(hours=1)
MAX_CLOSE_AFTER = timedelta(days=30)

#: Words that turn a close timer off instead of setting one.
OFF_WORDS = frozenset({"off", "cancel", "never", "none"})


# ---------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GuildSettings:
    """One server's settings; every field has a default, so a new server needs none."""

    guild_id: int
    prompt_channel_id: int | None = None
    moderator_role_id: int | None = None
    upvote_emoji: tuple[str, ...] = DEFAULT_UPVOTES
    downvote_emoji: tuple[str, ...] = DEFAULT_DOWNVOTES
    timezone: str = "UTC"
    export_access: ExportAccess = "moderators"
    log_channel_id: int | None = None
    updated_at: datetime | None = None
    updated_by: int | None = None

    @property
    def custom_votes(self) -> bool:
        """Whether the server chose its own vote emoji."""
        return (self.upvote_emoji, self.downvote_emoji) != (DEFAULT_UPVOTES, DEFAULT_DOWNVOTES)

    def vote_values(self) -> dict[str, int]:
        """Each vote emoji with its value: +1 or -1."""
        values = {emoji: 1 for emoji in self.upvote_emoji}
        values.update({emoji: -1 for emoji in self.downvote_emoji})
        return values

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zone(self.timezone)

    def changes(self, **values: Any) -> GuildSettings:
        """A copy with ``values`` applied (unknown names are a programming error)."""
        return replace(self, **values)


#: The settings a moderator can change, in the order /filmclub settings show lists them.
SETTING_NAMES = (
    "prompt_channel", "moderator_role", "vote_emoji", "timezone", "export_access", "log_channel",
)


def changed_settings(old: GuildSettings, new: GuildSettings) -> list[str]:
    """Names (as in SETTING_NAMES) of the settings that differ between ``old`` and ``new``."""
    names = []
    for f in fields(GuildSettings):
        if f.name in ("guild_id", "updated_at", "updated_by"):
            continue
        if getattr(old, f.name) != getattr(new, f.name):
            name = f.name.removesuffix("_id")
            if name in ("upvote_emoji", "downvote_emoji"):
                name = "vote_emoji"
            if name not in names:
                names.append(name)
    return names


def votes_to_json(settings: GuildSettings) -> str | None:
    """The vote emoji as the store keeps them: None for the defaults."""
    if not settings.custom_votes:
        return None
    return json.dumps({"up": list(settings.upvote_emoji), "down": list(settings.downvote_emoji)},
                      ensure_ascii=False)


def votes_from_json(text: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if not text:
        return DEFAULT_UPVOTES, DEFAULT_DOWNVOTES
    data = json.loads(text)
    return tuple(data.get("up") or ()), tuple(data.get("down") or ())


# ---------------------------------------------------------------------------
# Vote emoji
# ---------------------------------------------------------------------------

_CUSTOM_EMOJI = re.compile(r"<a?:[A-Za-z0-9_~]{2,32}:\d{15,21}>")
_SEPARATORS = re.compile(r"[\s,]+")
_ZERO_WIDTH = {0x200D, 0xFE0E, 0xFE0F, 0x20E3}  # joiner, variation selectors, keycap


def is_emoji(token: str) -> bool:
    """A server's custom emoji (``<:name:id>``) or one Unicode emoji (with its modifiers)."""
    if _CUSTOM_EMOJI.fullmatch(token):
        return True
    if not token or len(token) > 16:
        return False
    pictographs = 0
    for position, char in enumerate(token):
        code = ord(char)
        if code in _ZERO_WIDTH or 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F:
            continue  # modifiers: joiners, skin tones, flag tags
        if 0x1F1E6 <= code <= 0x1F1FF or unicodedata.category(char) == "So":
            pictographs += 1
            continue
        if position == 0 and char in "0123456789#*" and token.endswith("\u20e3"):
            pictographs += 1  # a keycap: 1️⃣
            continue
        return False
    return pictographs > 0


def parse_emoji_list(text: str, *, what: str) -> tuple[str, ...]:
    """Emoji separated by spaces or commas, each once, at most MAX_VOTE_EMOJI."""
    tokens = [t for t in _SEPARATORS.split(text.strip()) if t]
    if not tokens:
        raise InvalidValue(f"Give at least one emoji for {what}.")
    bad = [t for t in tokens if not is_emoji(t)]
    if bad:
        shown = ", ".join(repr(t[:20]) for t in bad[:3])
        raise InvalidValue(
            f"{shown} {'is not an emoji' if len(bad) == 1 else 'are not emoji'}: "
            f"give {what} as emoji separated by spaces, e.g. 👍 ⬆️."
        )
    unique = tuple(dict.fromkeys(tokens))
    if len(unique) > MAX_VOTE_EMOJI:
        raise InvalidValue(f"At most {MAX_VOTE_EMOJI} emoji for {what}, not {len(unique)}.")
    return unique


def check_vote_emoji(up: Iterable[str], down: Iterable[str]) -> None:
    """Refuse an emoji that would count both +1 and -1."""
    both = [e for e in up if e in set(down)]
    if both:
        raise InvalidValue(f"{' '.join(both)} cannot count both +1 and −1.")


# ---------------------------------------------------------------------------
# Time zones
# ---------------------------------------------------------------------------


@cache
def zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


@cache
def _zone_names() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def check_timezone(name: str) -> str:
    """The IANA zone name as it is spelled, e.g. 'europe/paris' -> 'Europe/Paris'."""
    cleaned = name.strip().replace(" ", "_")
    by_fold = {z.casefold(): z for z in _zone_names()}
    found = by_fold.get(cleaned.casefold())
    if found is None and cleaned.upper() in ("UTC", "GMT", "Z"):
        found = "UTC"
    if found is None:
        raise InvalidValue(
            f"{name[:60]!r} is not a time zone I know: use a name like Europe/Paris or "
            "America/New_York (the list autocompletes)."
        )
    try:
        zone(found)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidValue(f"The time zone {found} cannot be loaded on this machine.") from exc
    return found


def timezone_choices(current: str, limit: int = 25) -> list[str]:
    """Zone names containing what was typed, those starting with it first."""
    needle = current.strip().casefold().replace(" ", "_")
    names = _zone_names()
    if not needle:
        return ["UTC", *[z for z in names if "/" in z and not z.startswith("Etc/")]][:limit]
    starts = [z for z in names if z.casefold().startswith(needle)]
    contains = [z for z in names if needle in z.casefold() and z not in starts]
    return (starts + contains)[:limit]


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


# ---------------------------------------------------------------------------
# Records: the audit log, close timers, hidden comments
# ---------------------------------------------------------------------------

#: What each audited action is called in the log, by its key.
ACTIONS: Mapping[str, str] = {
    "lock": "locked",
    "unlock": "unlocked",
    "archive": "archived",
    "reopen": "reopened",
    "close-after": "set to close",
    "close-cancel": "cancelled the close of",
    "close": "closed on schedule",
    "hide": "hid",
    "restore": "restored",
    "settings": "changed settings",
}


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One moderator action: who (actor), what (action), on what, why (reason), when (at).

    "On what" is the thread and comment it touched, if any, and ``target``: a short
    description in plain text (a title, whose comment, which settings).
    """

    guild_id: int
    actor_id: int
    action: str
    target: str
    at: datetime
    thread_id: int | None = None
    reason: str | None = None
    id: int | None = None
    comment_id: int | None = None
    #: The channel it was about, when not a thread (a prompt posted or previewed there).
    channel_id: int | None = None

    @property
    def verb(self) -> str:
        return ACTIONS.get(self.action, f"ran /{self.action}")


@dataclass(frozen=True, slots=True)
class CloseTimer:
    """A thread to lock at ``due_at``; kept in the store so it survives restarts."""

    thread_id: int
    guild_id: int
    due_at: datetime
    set_by: int
    set_at: datetime
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class HiddenComment:
    """Why a comment is hidden: it stays stored, but is left out of exports and stats."""

    comment_id: int
    hidden_by: int
    hidden_at: datetime
    reason: str
    notice_id: int | None = None

