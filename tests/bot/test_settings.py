"""bot.settings.apply_changes: the one place a server's settings are checked (issue 20)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import FilmclubError, InvalidValue
from bot.records.server_settings import (
    DEFAULT_VOTE_VALUES,
    SETTING_NAMES,
    GuildSettings,
    changed_settings,
    vote_key,
)
from bot.settings import apply_changes

NOW = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
BASE = GuildSettings(1)


def apply(values: dict[str, object], reset: tuple[str, ...] = ()) -> GuildSettings:
    return apply_changes(BASE, values, reset=reset, at=NOW, by=42)


def test_typed_values_are_read_and_stamped() -> None:
    """Emoji text, a zone in any case, an archive choice and a question become the record."""
    new = apply({"upvote_emoji": "🔥 👍", "timezone": "europe/paris", "archive_minutes": 1440,
                 "default_question": "  Why   now? ", "mention_role_id": 5})
    assert (new.upvote_emoji, new.timezone, new.archive_minutes, new.default_question,
            new.mention_role_id) == (("🔥", "👍"), "Europe/Paris", 1440, "Why now?", 5)
    assert (new.updated_at, new.updated_by) == (NOW, 42)
    assert changed_settings(BASE, new) == ["vote_emoji", "timezone", "archive", "mention_role",
                                           "default_question"]


@pytest.mark.parametrize(("values", "message"), [
    ({"timezone": "Mars/Olympus"}, "is not a time zone I know"),
    ({"upvote_emoji": "up"}, "is not an emoji"),
    ({"downvote_emoji": "👍"}, "cannot count both"),
    ({"archive_minutes": 90}, "Threads archive after 1 hour, 1 day, 3 days, 1 week"),
    ({"default_question": "   "}, "some words"),
    ({"default_question": "?" * 1001}, "at most 1000"),
    ({"export_access": "nobody"}, "Who may export is moderators or everyone"),
])
def test_bad_values_are_one_line_and_change_nothing(values: dict[str, object],
                                                    message: str) -> None:
    """Each bad value is refused in one line."""
    with pytest.raises(InvalidValue, match=message) as refused:
        apply(values)
    assert "\n" not in str(refused.value)


def test_reset_puts_defaults_back_and_cannot_meet_a_set() -> None:
    """reset restores each setting's default; setting and resetting one is refused."""
    chosen = GuildSettings(1, upvote_emoji=("🔥",), archive_minutes=60, mention_role_id=9)
    back = apply_changes(chosen, {}, reset=["vote_emoji", "archive", "mention_role"], at=NOW,
                         by=42)
    assert changed_settings(back, GuildSettings(1)) == []
    with pytest.raises(FilmclubError, match="Either set timezone or reset it"):
        apply({"timezone": "UTC"}, reset=("timezone",))
    with pytest.raises(InvalidValue, match="no setting 'colour'"):
        apply({}, reset=("colour",))
    with pytest.raises(FilmclubError, match="Nothing to change"):
        apply({"timezone": None})


def test_every_setting_can_be_reset() -> None:
    """Each name /filmclub settings lists resets without error."""
    for name in SETTING_NAMES:
        assert apply({}, reset=(name,)).guild_id == 1


def test_default_votes_are_defined_once() -> None:
    """The store's default vote values are the record's default emoji, keyed."""
    defaults = GuildSettings(1)
    assert {vote_key(e): v for e, v in defaults.vote_values().items()} == DEFAULT_VOTE_VALUES


def test_club_and_chart_settings_are_checked_and_kept() -> None:
    """Who may suggest, a poll's default length and chart anonymising go into the one
    record, named as /filmclub settings names them, and reset to their defaults."""
    new = apply({"suggest_access": "moderators", "poll_hours": 768,
                 "anonymise_members": True})
    assert (new.suggest_access, new.poll_hours, new.anonymise_members) == (
        "moderators", 768, True)
    assert changed_settings(BASE, new) == ["suggestions", "poll_hours", "chart_members"]
    back = apply_changes(new, {}, reset=("poll_hours",), at=NOW, by=42)
    assert back.poll_hours == 24 and back.suggest_access == "moderators"


@pytest.mark.parametrize(("values", "message"), [
    ({"suggest_access": "admins"}, "Who may suggest films is everyone or moderators"),
    ({"poll_hours": 0}, "Polls run 1 to 768 hours"),
    ({"poll_hours": 769}, "Polls run 1 to 768 hours"),
    ({"poll_hours": True}, "Polls run 1 to 768 hours"),
    ({"anonymise_members": "yes"}, "Charts show members by name or anonymised"),
])
def test_bad_club_and_chart_values_are_refused(values: dict[str, object], message: str) -> None:
    """A value outside what the old tables allowed is one line, and nothing changes."""
    with pytest.raises(InvalidValue, match=message) as refused:
        apply(values)
    assert "\n" not in str(refused.value)
