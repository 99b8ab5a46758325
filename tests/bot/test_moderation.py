"""The rules for what moderators type: durations, vote emoji, settings."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.errors import InvalidValue
from bot.moderation import format_duration, parse_duration
from bot.records.server_settings import (
    GuildSettings,
    changed_settings,
    votes_from_json,
    votes_to_json,
)
from bot.settings import check_vote_emoji, is_emoji, parse_emoji_list


@pytest.mark.parametrize(("text", "expected"), [
    ("1h", timedelta(hours=1)),
    ("6h", timedelta(hours=6)),
    ("2d", timedelta(days=2)),
    ("1d12h", timedelta(days=1, hours=12)),
    ("1d 12h", timedelta(days=1, hours=12)),
    ("90m", timedelta(minutes=90)),
    ("2 weeks", timedelta(days=14)),
    ("30d", timedelta(days=30)),
    ("3 DAYS", timedelta(days=3)),
    ("off", None),
    ("Cancel", None),
])
def test_parse_duration_accepts(text: str, expected: timedelta | None) -> None:
    """Durations from 1h to 30d in the usual spellings; off/cancel mean no timer."""
    assert parse_duration(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("59m", "59m is out of range"),
    ("30d1m", "30d 1m is out of range"),
    ("5y", "'y' is not a unit"),
    ("soon", "'soon' is not a duration"),
    ("", "'' is not a duration"),
    ("12", "'12' is not a duration"),
    ("9999999d", "is not a duration"),
])
def test_parse_duration_refuses(text: str, message: str) -> None:
    """Out of range, unknown units and non-durations are one-line InvalidValue errors."""
    with pytest.raises(InvalidValue, match=message) as error:
        parse_duration(text)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(("duration", "shown"), [
    (timedelta(hours=36), "1d 12h"), (timedelta(minutes=45), "45m"), (timedelta(), "0m"),
])
def test_format_duration(duration: timedelta, shown: str) -> None:
    """Days, hours and minutes, largest first."""
    assert format_duration(duration) == shown


@pytest.mark.parametrize(("token", "expected"), [
    ("👍", True), ("⬆️", True), ("⬆", True), ("👍🏽", True), ("🇫🇷", True), ("1️⃣", True),
    ("👩‍👩‍👧", True), ("<:meh:123456789012345678>", True), ("<a:dance:123456789012345678>", True),
    ("up", False), (":thumbsup:", False), ("1", False), ("👍x", False), ("", False),
])
def test_is_emoji(token: str, expected: bool) -> None:
    """Unicode emoji (with modifiers) and custom emoji count; words and digits do not."""
    assert is_emoji(token) is expected


def test_parse_emoji_list_splits_and_deduplicates() -> None:
    """Spaces or commas separate; a repeated emoji counts once."""
    assert parse_emoji_list("🔥, 👍 🔥", what="upvotes") == ("🔥", "👍")


def test_vote_emoji_cannot_count_both_ways() -> None:
    """An emoji in both lists is refused."""
    with pytest.raises(InvalidValue, match="cannot count both"):
        check_vote_emoji(("👍", "🔥"), ("🔥",))


def test_vote_emoji_round_trip_and_defaults_stored_as_null() -> None:
    """The defaults are kept as NULL; chosen emoji come back as chosen."""
    assert votes_to_json(GuildSettings(1)) is None
    chosen = GuildSettings(1, upvote_emoji=("🔥",), downvote_emoji=("🧊", "👎"))
    assert votes_from_json(votes_to_json(chosen)) == (("🔥",), ("🧊", "👎"))
    assert chosen.vote_values() == {"🔥": 1, "🧊": -1, "👎": -1}


def test_changed_settings_names_each_setting_once() -> None:
    """Both vote lists are one setting; ids are named without their suffix."""
    old = GuildSettings(1)
    new = old.changes(upvote_emoji=("🔥",), downvote_emoji=("🧊",), log_channel_id=5,
                      updated_by=9)
    assert changed_settings(old, new) == ["vote_emoji", "log_channel"]
