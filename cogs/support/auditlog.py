"""The audit log on the Discord side: post an action to the log channel, show it.

The Discord side of :mod:`bot.services.audit` (which stores the entries and decides
which commands are audited): :class:`LogChannels` is its announcer, and what the
bot tells moderators goes to the same channel.

The log channel is read by whoever the server lets in, which need not be everyone who
may read a thread or channel an action was about (a staff channel). An action about
a place some reader of the log channel cannot see is posted there without its title,
target or reason; ``/discussion log`` shows the whole entry to those who can see it.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.card import fit
from bot.records.audit import ACTIONS, AuditEntry
from bot.services.audit import CompletedCommand
from bot.spoilers import shown as spoiler_text
from cogs.support.checks import audience_of
from cogs.support.ui import LINE_LIMIT, NO_MENTIONS, message_link

if TYPE_CHECKING:
    from cogs.support.client import FilmClub

log = logging.getLogger(__name__)

#: A spoiler thread's command options take at most this much of an audit line.
SPOILER_TARGET_ROOM = 100
#: Less room than this for a spoiler thread's reason, and the line only points to it.
MIN_SPOILER_ROOM = 12


def audit_line(entry: AuditEntry, *, spoilers: bool = False) -> str:
    """'<time> @mod locked “Vertigo” in #thread — why', for the log channel and /discussion log.

    About a spoiler thread (issue 18), what was written (the reason, a command's options)
    is shown as a Discord spoiler, and the line fits a list's line (``LINE_LIMIT``) whole,
    so no cut can drop a closing mark.
    """
    target = discord.utils.escape_markdown(fit(entry.target, 120))
    if spoilers and entry.action not in ACTIONS:  # a command's options: what was typed
        target = spoiler_text(target, True, SPOILER_TARGET_ROOM)
    parts = [f"<t:{int(entry.at.timestamp())}:f>", f"<@{entry.actor_id}>", entry.verb, target]
    if entry.thread_id is not None and entry.comment_id is not None:
        link = message_link(entry.guild_id, entry.thread_id, entry.comment_id)
        parts.append(f"([message]({link}) in <#{entry.thread_id}>)")
    elif entry.thread_id is not None:
        parts.append(f"in <#{entry.thread_id}>")
    line = " ".join(parts)
    if entry.reason:
        reason = discord.utils.escape_markdown(fit(entry.reason, 300))
        if spoilers:
            room = LINE_LIMIT - len(line) - len(" — ")
            reason = spoiler_text(reason, True, room) if room >= MIN_SPOILER_ROOM \
                else "(reason not shown: a spoiler thread)"
        line += " — " + reason
    return line


async def spoiler_threads(bot: FilmClub, entries: Iterable[AuditEntry]) -> set[int]:
    """The spoiler threads (issue 18) among the threads ``entries`` are about."""
    found = set()
    for thread_id in {e.thread_id for e in entries if e.thread_id is not None}:
        prompt = await bot.store.get_prompt(thread_id)
        if prompt is not None and prompt.spoilers:
            found.add(thread_id)
    return found


async def record(bot: FilmClub, entry: AuditEntry) -> AuditEntry:
    """Store the action, then post it to the server's log channel if it has one."""
    return await bot.audit.record(entry)


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
    spoilers = saved.thread_id in await spoiler_threads(bot, [saved])
    line = redacted_line(saved) if await private_to_log_readers(bot, saved, channel) \
        else audit_line(saved, spoilers=spoilers)
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


class LogChannels:
    """The servers' log channels: where audit entries and the bot's notices are posted
    (:class:`bot.services.platform.AuditAnnouncer` and ``ModeratorNotices`` for Discord)."""

    def __init__(self, bot: FilmClub) -> None:
        self.bot = bot

    async def announce(self, entry: AuditEntry) -> None:
        await announce(self.bot, entry)

    async def tell_moderators(self, guild_id: int, text: str) -> None:
        """Say something in the server's log channel (``/filmclub settings``), else in the log."""
        settings = await self.bot.store.get_settings(guild_id)
        guild = self.bot.get_guild(guild_id)
        channel = guild.get_channel(settings.log_channel_id or 0) if guild else None
        if not isinstance(channel, discord.TextChannel):
            log.warning("server %d (no log channel set): %s", guild_id, text)
            return
        try:
            await channel.send(text[:2000], allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException as exc:
            log.warning("server %d: could not write to the log channel (%s): %s", guild_id, exc,
                        text)

    async def tell_every_server(self, text: str) -> None:
        await tell_log_channels(self.bot, text)


def records_own_audit(bot: FilmClub, cog: commands.Cog, *, but: Collection[str] = ()) -> None:
    """The cog's commands record their own audit entries (except those named in ``but``):
    the audit of completed moderator commands leaves them out."""
    names = {c.qualified_name for c in cog.walk_app_commands()
             if isinstance(c, app_commands.Command)}
    bot.audit.records_own(names - set(but))


def completed_command(interaction: discord.Interaction[FilmClub],
                      command: app_commands.Command[Any, ..., Any]) -> CompletedCommand | None:
    """A completed slash command as the audit service reads it (None outside a server)."""
    if interaction.guild_id is None:
        return None
    checked = interaction.extras.get("filmclub_target")
    options = _leaf_options((interaction.data or {}).get("options", []))  # type: ignore[arg-type]
    prompt = getattr(checked, "prompt", None)  # the thread it acted on, if one
    return CompletedCommand(
        guild_id=interaction.guild_id, actor_id=interaction.user.id,
        name=command.qualified_name, audience=audience_of(command),
        moderator=bool(getattr(checked, "moderator", False)), options=tuple(options),
        thread_id=prompt.thread_id if prompt is not None else None,
        channel_id=_channel_of(checked) if prompt is None else None,
    )


def _leaf_options(options: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for option in options:
        if "options" in option:
            found.extend(_leaf_options(option["options"]))
        elif "value" in option:
            found.append((option["name"], option["value"]))
    return found


def _channel_of(checked: object) -> int | None:
    """The channel a checked command acted on (a prompt's, a schedule's), if any."""
    channel = getattr(checked, "channel", None)
    if channel is None:
        named = getattr(checked, "channels", ())
        channel = named[0].channel if named else None
    return channel.id if channel is not None else None
