"""The audit log on the Discord side: record an action, post it to the log channel, show it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.card import fit
from bot.moderation import AuditEntry
from cogs.ui import NO_MENTIONS, message_link

if TYPE_CHECKING:
    from bot.client import FilmClub

log = logging.getLogger(__name__)


def audit_line(entry: AuditEntry) -> str:
    """'<time> @mod locked “Vertigo” in #thread — why', for the log channel and /discussion log."""
    parts = [f"<t:{int(entry.at.timestamp())}:f>", f"<@{entry.actor_id}>", entry.verb,
             discord.utils.escape_markdown(fit(entry.target, 120))]
    if entry.thread_id is not None and entry.comment_id is not None:
        link = message_link(entry.guild_id, entry.thread_id, entry.comment_id)
        parts.append(f"([message]({link}) in <#{entry.thread_id}>)")
    elif entry.thread_id is not None:
        parts.append(f"in <#{entry.thread_id}>")
    line = " ".join(parts)
    if entry.reason:
        line += " — " + discord.utils.escape_markdown(fit(entry.reason, 300))
    return line


async def record(bot: FilmClub, entry: AuditEntry) -> AuditEntry:
    """Store the action, then post it to the server's log channel if it has one."""
    saved = await bot.store.add_audit(entry)
    await announce(bot, saved)
    return saved


async def announce(bot: FilmClub, saved: AuditEntry) -> None:
    """Log a stored action, and post it to the server's log channel if it has one."""
    entry = saved
    log.info("audit: guild %d user %d %s %r (thread %s, reason %r)", entry.guild_id,
             entry.actor_id, entry.action, entry.target, entry.thread_id, entry.reason)
    settings = await bot.store.get_settings(entry.guild_id)
    if settings.log_channel_id is None:
        return
    channel = bot.get_channel(settings.log_channel_id)
    if not isinstance(channel, discord.TextChannel):
        log.warning("guild %d: log channel %d is gone; action not posted", entry.guild_id,
                    settings.log_channel_id)
        return
    try:
        await channel.send(fit("📋 " + audit_line(saved), 2000), allowed_mentions=NO_MENTIONS)
    except discord.HTTPException as exc:
        log.warning("guild %d: could not post to the log channel %d: %s", entry.guild_id,
                    channel.id, exc)


async def tell_log_channels(bot: FilmClub, text: str) -> None:
    """Post ``text`` in every server's log channel (a problem of the bot's own, not one
    server's); the log gets it too, once."""
    log.warning("telling the log channels: %s", text)
    for guild in bot.guilds:
        try:
            settings = await bot.store.get_settings(guild.id)
        except Exception as exc:  # a broken store must not stop the others being told
            log.warning("guild %d: cannot read its log channel setting: %s", guild.id, exc)
            continue
        channel = bot.get_channel(settings.log_channel_id or 0)
        if not isinstance(channel, discord.TextChannel):
            continue
        try:
            await channel.send(fit(text, 2000), allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            log.warning("guild %d: could not post to the log channel %d: %s", guild.id,
                        channel.id, exc)
