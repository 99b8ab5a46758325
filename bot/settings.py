"""The core side of ``/filmclub settings`` (``cogs/settings.py`` is its Discord side): the one
place that checks a value before it goes into a server's settings.

``apply_changes`` takes what a moderator typed, checks every value (vote emoji, time zone,
how long threads stay open, the default question, who may export, who may suggest films,
a poll's default length, whether charts name members) and returns the new
record, or raises InvalidValue in one line and changes nothing. What only Discord can
judge (may the bot post in that channel, is that role a real one) the adapter checks
before it calls here. The record and its defaults are ``bot.records.server_settings``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from bot.errors import FilmclubError, InvalidValue
from bot.records.server_settings import (
    ARCHIVE_CHOICES,
    EXPORT_ACCESS,
    MAX_POLL_HOURS,
    MIN_POLL_HOURS,
    SETTING_FIELDS,
    SUGGEST_ACCESS,
    GuildSettings,
    changed_settings,
)
from bot.spoilers import MAX_SPOILER_DAYS
from bot.timezones import check_timezone

MAX_VOTE_EMOJI = 10
#: The longest default question (a prompt's question must fit Discord's embed).
MAX_DEFAULT_QUESTION = 1000
#: Each setting's value reset to its default.
DEFAULTS = GuildSettings(0)

# -- vote emoji ---------------------------------------------------------------------------

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


# -- one change of settings ----------------------------------------------------------------


def apply_changes(current: GuildSettings, values: Mapping[str, Any], *,
                  reset: Iterable[str] = (), at: datetime, by: int) -> GuildSettings:
    """``current`` with ``values`` (record fields, as typed) checked and applied, and the
    settings named in ``reset`` put back to their defaults.

    Typed values: ``upvote_emoji``/``downvote_emoji`` as text ("👍 🔥"), ``timezone`` as
    a name in any case, ``archive_minutes`` one of ARCHIVE_CHOICES' values,
    ``default_question`` as text; ``suggest_access`` one of SUGGEST_ACCESS, ``poll_hours``
    an int of hours, ``anonymise_members`` a bool; ids as ints. InvalidValue names what is wrong;
    FilmclubError when nothing would change or a setting is both set and reset.
    """
    changes: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            continue
        if name in ("upvote_emoji", "downvote_emoji"):
            value = parse_emoji_list(value, what=name.removesuffix("_emoji") + "s")
        elif name == "timezone":
            value = check_timezone(value)
        elif name == "export_access" and value not in EXPORT_ACCESS:
            raise InvalidValue(f"Who may export is {' or '.join(EXPORT_ACCESS)}, not {value!r}.")
        elif name == "archive_minutes" and value not in ARCHIVE_CHOICES.values():
            raise InvalidValue("Threads archive after "
                               f"{', '.join(ARCHIVE_CHOICES)} without activity, not {value!r}.")
        elif name == "default_question":
            value = " ".join(str(value).split())
            if not value:
                raise InvalidValue("Give the default question some words.")
            if len(value) > MAX_DEFAULT_QUESTION:
                raise InvalidValue(f"The default question is at most {MAX_DEFAULT_QUESTION} "
                                   "characters.")
        elif name == "spoiler_days":
            if not 0 <= value <= MAX_SPOILER_DAYS:
                raise InvalidValue(f"Spoiler days are 0 (off) to {MAX_SPOILER_DAYS}, not {value}.")
            value = value or None
        elif name == "suggest_access" and value not in SUGGEST_ACCESS:
            raise InvalidValue(f"Who may suggest films is {' or '.join(SUGGEST_ACCESS)}, "
                               f"not {value!r}.")
        elif name == "poll_hours" and (isinstance(value, bool) or not isinstance(value, int)
                                       or not MIN_POLL_HOURS <= value <= MAX_POLL_HOURS):
            raise InvalidValue(f"Polls run {MIN_POLL_HOURS} to {MAX_POLL_HOURS} hours by "
                               f"default, not {value!r}.")
        elif name == "anonymise_members" and not isinstance(value, bool):
            raise InvalidValue(f"Charts show members by name or anonymised, not {value!r}.")
        elif name not in {f for held in SETTING_FIELDS.values() for f in held}:
            raise ValueError(f"no setting is kept in {name!r}")
        changes[name] = value
    for setting in reset:
        held = SETTING_FIELDS.get(setting)
        if held is None:
            raise InvalidValue(f"There is no setting {setting!r} to reset.")
        if any(f in changes for f in held):
            raise FilmclubError(f"Either set {setting} or reset it, not both.")
        changes.update({f: getattr(DEFAULTS, f) for f in held})
    if not changes:
        raise FilmclubError("Nothing to change: give at least one setting, or reset one.")
    new = current.changes(**changes, updated_at=at, updated_by=by)
    check_vote_emoji(new.upvote_emoji, new.downvote_emoji)
    return new


__all__ = ["apply_changes", "changed_settings", "check_vote_emoji", "is_emoji",
           "parse_emoji_list"]
