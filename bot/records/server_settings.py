"""One server's settings: the one record, its defaults and how vote emoji are keyed.

Every setting has a default here, so a server that never changed one needs no row;
``bot.settings`` checks what a moderator types before a value gets into the record;
the store keeps it (``Store.get_settings``, ``Store.save_settings``).
"""

from __future__ import annotations

import json
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any, Literal

from bot.timezones import DEFAULT_TIMEZONE, zone

ExportAccess = Literal["moderators", "everyone"]
EXPORT_ACCESS: tuple[ExportAccess, ...] = ("moderators", "everyone")
DEFAULT_EXPORT_ACCESS: ExportAccess = "moderators"

#: The reactions that count as votes unless a server chooses its own.
DEFAULT_UPVOTES = ("👍", "⬆️")
DEFAULT_DOWNVOTES = ("👎", "⬇️")

#: How long a prompt's thread stays open without activity, by name (Discord's four).
ARCHIVE_CHOICES: Mapping[str, int] = {"1 hour": 60, "1 day": 1440, "3 days": 4320,
                                      "1 week": 10080}
DEFAULT_ARCHIVE_MINUTES = 10080

#: Who may suggest films for the watchlists (issue 17).
SuggestAccess = Literal["everyone", "moderators"]
SUGGEST_ACCESS: tuple[SuggestAccess, ...] = ("everyone", "moderators")
#: A film poll's length unless told (hours), and its bounds (Discord's: 1 hour to 32 days).
DEFAULT_POLL_HOURS = 24
MIN_POLL_HOURS, MAX_POLL_HOURS = 1, 768

_SKIN_TONES = "".join(chr(c) for c in range(0x1F3FB, 0x1F400))
_VARIATION = "\ufe0f\ufe0e"
_NOT_IN_VOTE_KEY = {ord(c): None for c in _SKIN_TONES + _VARIATION}


def vote_key(emoji: str) -> str:
    """The emoji without variation selectors and skin tones: 👍🏽 and 👍 are one vote."""
    return emoji.translate(_NOT_IN_VOTE_KEY)


def keyed_votes(up: tuple[str, ...], down: tuple[str, ...]) -> dict[str, int]:
    """Each vote emoji's key (``vote_key``) with its value, +1 or -1."""
    values = {vote_key(emoji): 1 for emoji in up}
    values.update({vote_key(emoji): -1 for emoji in down})
    return values


#: The default vote emoji, keyed as the store looks reactions up.
DEFAULT_VOTE_VALUES: Mapping[str, int] = keyed_votes(DEFAULT_UPVOTES, DEFAULT_DOWNVOTES)


@dataclass(frozen=True, slots=True)
class GuildSettings:
    """One server's settings; every field has a default, so a new server needs none."""

    guild_id: int
    prompt_channel_id: int | None = None
    moderator_role_id: int | None = None
    upvote_emoji: tuple[str, ...] = DEFAULT_UPVOTES
    downvote_emoji: tuple[str, ...] = DEFAULT_DOWNVOTES
    timezone: str = DEFAULT_TIMEZONE
    export_access: ExportAccess = DEFAULT_EXPORT_ACCESS
    log_channel_id: int | None = None
    updated_at: datetime | None = None
    updated_by: int | None = None
    #: How prompts are posted (``/prompt settings`` until issue 20).
    archive_minutes: int = DEFAULT_ARCHIVE_MINUTES
    mention_role_id: int | None = None
    default_question: str | None = None
    #: Prompts about films released fewer than this many days ago are spoiler threads
    #: (issue 18); None: no such default.
    spoiler_days: int | None = None
    #: The film club's (``/club settings`` until issue 20): who may suggest films, and
    #: how long a poll runs unless told.
    suggest_access: SuggestAccess = "everyone"
    poll_hours: int = DEFAULT_POLL_HOURS
    #: Whether charts show the most active members as "Member 1", "Member 2"… (issue 19).
    anonymise_members: bool = False

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


#: Each setting a moderator can change, in the order /filmclub settings show lists them,
#: with the record's fields that hold it.
SETTING_FIELDS: Mapping[str, tuple[str, ...]] = {
    "prompt_channel": ("prompt_channel_id",),
    "moderator_role": ("moderator_role_id",),
    "vote_emoji": ("upvote_emoji", "downvote_emoji"),
    "timezone": ("timezone",),
    "export_access": ("export_access",),
    "log_channel": ("log_channel_id",),
    "archive": ("archive_minutes",),
    "mention_role": ("mention_role_id",),
    "default_question": ("default_question",),
    "spoiler_days": ("spoiler_days",),
    "suggestions": ("suggest_access",),
    "poll_hours": ("poll_hours",),
    "chart_members": ("anonymise_members",),
}
SETTING_NAMES = tuple(SETTING_FIELDS)
_NOT_SETTINGS = {"guild_id", "updated_at", "updated_by"}
assert {f for held in SETTING_FIELDS.values() for f in held} == {  # noqa: S101 - a record check
    f.name for f in fields(GuildSettings)} - _NOT_SETTINGS


def changed_settings(old: GuildSettings, new: GuildSettings) -> list[str]:
    """Names (as in SETTING_NAMES) of the settings that differ between ``old`` and ``new``."""
    return [name for name, held in SETTING_FIELDS.items()
            if any(getattr(old, f) != getattr(new, f) for f in held)]


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
