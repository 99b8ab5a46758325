"""The SQL of a server's settings for the SQLite store: the one row per server, and the
reactions to recount when its vote emoji change."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.records.server_settings import GuildSettings, votes_from_json, votes_to_json

#: A server that never changed a setting.
DEFAULTS = GuildSettings(0)

# -- settings ---------------------------------------------------------------------------

#: The columns after guild_id, in the order of ``settings_row`` and ``settings_from_row``.
SETTINGS_COLUMNS = (
    "prompt_channel_id, moderator_role_id, vote_emoji, timezone, export_access,"
    " log_channel_id, archive_minutes, mention_role_id, default_question, spoiler_days,"
    " suggest_access, poll_hours, anonymise_members, updated_at, updated_by"
)
_NAMES = [c.strip() for c in SETTINGS_COLUMNS.split(",")]

SAVE_SETTINGS = f"""
INSERT INTO server_settings (guild_id, {SETTINGS_COLUMNS})
VALUES ({", ".join("?" * (len(_NAMES) + 1))})
ON CONFLICT (guild_id) DO UPDATE SET
""" + ",\n".join(f"    {c} = excluded.{c}" for c in _NAMES)  # noqa: S608 - column names are constants

#: A schedule's time zone is its server's (one setting): set when the schedule is set.
SET_TIMEZONE = """
INSERT INTO server_settings (guild_id, timezone) VALUES (?, ?)
ON CONFLICT (guild_id) DO UPDATE SET timezone = excluded.timezone
"""
#: When the server's time zone changes, slots already past in the new zone are not due:
#: the schedule counts from the change (a day never posts twice).
ZONE_MOVED = "UPDATE schedules SET set_at = ? WHERE guild_id = ? AND set_at < ?"

GUILD_REACTIONS = """
SELECT r.comment_id, r.user_id, r.emoji, r.value FROM reactions r
JOIN comments c ON c.id = r.comment_id JOIN prompts p ON p.thread_id = c.thread_id
WHERE p.guild_id = ?
"""
SET_REACTION_VALUE = """
UPDATE reactions SET value = ? WHERE comment_id = ? AND user_id = ? AND emoji = ?
"""


def _or_null(value: Any, default: Any) -> Any:
    return None if value == default else value


def settings_row(settings: GuildSettings, updated_at: str | None) -> tuple[Any, ...]:
    """The server_settings row of ``settings`` (defaults are kept as NULL)."""
    return (
        settings.guild_id, settings.prompt_channel_id, settings.moderator_role_id,
        votes_to_json(settings), _or_null(settings.timezone, DEFAULTS.timezone),
        _or_null(settings.export_access, DEFAULTS.export_access), settings.log_channel_id,
        _or_null(settings.archive_minutes, DEFAULTS.archive_minutes), settings.mention_role_id,
        settings.default_question, settings.spoiler_days,
        _or_null(settings.suggest_access, DEFAULTS.suggest_access),
        _or_null(settings.poll_hours, DEFAULTS.poll_hours), int(settings.anonymise_members) or None,
        updated_at, settings.updated_by,
    )


def settings_from_row(guild_id: int, row: Sequence[Any] | None) -> GuildSettings:
    if row is None:
        return GuildSettings(guild_id)
    (prompt, role, votes, zone, access, log_channel, archive, mention, question, spoiler_days,
     suggest, poll_hours, anonymise, updated_at, updated_by) = row
    up, down = votes_from_json(votes)
    return GuildSettings(
        guild_id=guild_id, prompt_channel_id=prompt, moderator_role_id=role, upvote_emoji=up,
        downvote_emoji=down, timezone=zone or DEFAULTS.timezone,
        export_access=access or DEFAULTS.export_access, log_channel_id=log_channel,
        archive_minutes=archive or DEFAULTS.archive_minutes, mention_role_id=mention,
        default_question=question, spoiler_days=spoiler_days,
        suggest_access=suggest or DEFAULTS.suggest_access,
        poll_hours=poll_hours or DEFAULTS.poll_hours, anonymise_members=bool(anonymise),
        updated_at=None if updated_at is None else datetime.fromisoformat(updated_at),
        updated_by=updated_by,
    )


CUSTOM_VOTES = "SELECT guild_id, vote_emoji FROM server_settings WHERE vote_emoji IS NOT NULL"
