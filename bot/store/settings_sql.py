"""The SQL of a server's settings for the SQLite store: the one row per server, and the
reactions to recount when its vote emoji change."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.records.server_settings import GuildSettings, votes_from_json, votes_to_json

# -- settings ---------------------------------------------------------------------------

SETTINGS_COLUMNS = (
    "prompt_channel_id, moderator_role_id, vote_emoji, timezone, export_access,"
    " log_channel_id, updated_at, updated_by"
)

SAVE_SETTINGS = f"""
INSERT INTO guild_settings (guild_id, {SETTINGS_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (guild_id) DO UPDATE SET
    prompt_channel_id = excluded.prompt_channel_id,
    moderator_role_id = excluded.moderator_role_id,
    vote_emoji = excluded.vote_emoji,
    timezone = excluded.timezone,
    export_access = excluded.export_access,
    log_channel_id = excluded.log_channel_id,
    updated_at = excluded.updated_at,
    updated_by = excluded.updated_by
"""  # noqa: S608 - column names are constants

GUILD_REACTIONS = """
SELECT r.comment_id, r.user_id, r.emoji, r.value FROM reactions r
JOIN comments c ON c.id = r.comment_id JOIN prompts p ON p.thread_id = c.thread_id
WHERE p.guild_id = ?
"""
SET_REACTION_VALUE = """
UPDATE reactions SET value = ? WHERE comment_id = ? AND user_id = ? AND emoji = ?
"""


def settings_row(settings: GuildSettings, updated_at: str | None) -> tuple[Any, ...]:
    """The guild_settings row of ``settings`` (defaults are kept as NULL)."""
    return (
        settings.guild_id, settings.prompt_channel_id, settings.moderator_role_id,
        votes_to_json(settings), None if settings.timezone == "UTC" else settings.timezone,
        None if settings.export_access == "moderators" else settings.export_access,
        settings.log_channel_id, updated_at, settings.updated_by,
    )


def settings_from_row(guild_id: int, row: Sequence[Any] | None) -> GuildSettings:
    if row is None:
        return GuildSettings(guild_id)
    prompt, role, votes, zone, access, log_channel, updated_at, updated_by = row
    up, down = votes_from_json(votes)
    return GuildSettings(
        guild_id=guild_id, prompt_channel_id=prompt, moderator_role_id=role, upvote_emoji=up,
        downvote_emoji=down, timezone=zone or "UTC", export_access=access or "moderators",
        log_channel_id=log_channel,
        updated_at=None if updated_at is None else datetime.fromisoformat(updated_at),
        updated_by=updated_by,
    )


CUSTOM_VOTES = "SELECT guild_id, vote_emoji FROM guild_settings WHERE vote_emoji IS NOT NULL"
