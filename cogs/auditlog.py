"""The audit log on the Discord side: record an action, post it to the log channel, show it.

The log channel is read by whoever the server lets in, which need not be everyone who
may read a thread or channel an action was about (a staff channel). An action about
a place some reader of the log channel cannot see is posted there without its title,
target or reason; ``/discussion log`` shows the whole entry to those who can see it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.card import fit
from bot.records.audit import AuditEntry
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


def redacted_line(entry: AuditEntry) -> str:
    """The log channel's line for an action about a place not all its readers can see."""
    return (f"<t:{int(entry.at.timestamp())}:f> <@{entry.actor_id}> {entry.verb} something in "
            "a channel not everyone here can see; /discussion log shows it to those who can.")


def _can_view(channel: discord.abc.GuildChannel, who: discord.Role | discord.Member) -> bool:
    return channel.permissions_for(who).view_channel


async def private_to_log_readers(bot: FilmClub, entry: AuditEntry,
                                 log_channel: discord.TextChannel) -> bool:
    """Whether someone who can read the log channel may not see the entry's thread or channel.

    Judged role by role (@everyone and each role: reading the log channel must imply
    seeing the place) and for each member let into the log channel by their own
    overwrite (a member the bot does not know counts as one who cannot see it).
    """
    place_id = entry.channel_id
    if entry.thread_id is not None:
        prompt = await bot.store.get_prompt(entry.thread_id)
        place_id = prompt.channel_id if prompt is not None else entry.thread_id
    if place_id is None:
        return False  # about the server itself
    guild = log_channel.guild
    place = guild.get_channel(place_id)
    if place is None:
        return True
    for role in guild.roles:
        if _can_view(log_channel, role) and not _can_view(place, role):
            return True
    for target, overwrite in log_channel.overwrites.items():
        if isinstance(target, discord.Role) or overwrite.view_channel is not True:
            continue
        member = guild.get_member(target.id)
        if member is None or not _can_view(place, member):
            return True
    return False


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
    line = redacted_line(saved) if await private_to_log_readers(bot, saved, channel) \
        else audit_line(saved)
    try:
        await channel.send(fit("📋 " + line, 2000), allowed_mentions=NO_MENTIONS)
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
