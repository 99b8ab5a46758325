"""Catch-up, the Discord side: the events that start it (``bot.catchup`` is the core side).

``bot.catchup`` reconciles a thread with Discord's history, read through
``cogs.support.history.DiscordHistory``; ``bot.services.catchup_runs`` decides when,
one run at a time. This extension starts a background run whenever discord.py
reports a fresh session (``on_ready`` follows every new IDENTIFY; a resumed session
replays what it missed and needs none), and notes prompt threads that were deleted on
Discord, so catch-up leaves their stored history as it is. Moderators ask for one
with ``/discussion resync`` (``cogs.discussion``).

It also listens to the store: when the database cannot be written (a full disk), the
log channels are told once, and when it can again, the threads whose events the
store could not keep meanwhile are caught up.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.models import utcnow
from bot.store.base import StorageNotice

if TYPE_CHECKING:
    from cogs.support.client import FilmClub

log = logging.getLogger(__name__)


class CatchUpCog(commands.Cog):
    """Starts catch-up on Discord's events: each fresh session, a deleted prompt thread."""

    def __init__(self, bot: FilmClub) -> None:
        self.bot = bot
        self.runs = bot.catch_ups
        bot.store.add_storage_listener(self.storage_notice)
        super().__init__()

    async def cog_unload(self) -> None:
        await self.runs.stop()

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        self.runs.schedule("a new gateway session")

    @commands.Cog.listener()
    async def on_shard_ready(self, shard_id: int) -> None:
        """One shard of a sharded bot started a fresh session after the bot was ready (the
        others kept theirs): discord.py says ``ready`` only once, when all are up."""
        if self.bot.is_ready():
            self.runs.schedule(f"a new gateway session of shard {shard_id}")

    def storage_notice(self, notice: StorageNotice) -> None:
        """The store cannot write, or can again: tell the log channels (once each way) and
        catch up the threads whose events it could not keep."""
        self.runs.storage_notice(notice, storage_line(notice))

    @commands.Cog.listener()
    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        if payload.thread_id in self.bot.prompt_threads:
            await self.runs.mark_gone([payload.thread_id], "deleted on Discord")

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        prompts = await self.bot.store.list_prompts(channel.guild.id)
        threads = [p.thread_id for p in prompts if p.channel_id == channel.id]
        if threads:
            await self.runs.mark_gone(threads, f"their channel {channel.id} was deleted")


def storage_line(notice: StorageNotice) -> str:
    """What the log channel is told about a database that cannot be written, or can again."""
    since = f"<t:{int(notice.since.timestamp())}:T>"
    if notice.kind == "failing":
        return (f"⚠️ I cannot write to my database ({notice.problem}) since {since}. I keep "
                "what arrives and keep trying; what I cannot keep is read back from Discord "
                "once writing works again. Commands that change something fail until then.")
    minutes = max(1, round((utcnow() - notice.since).total_seconds() / 60))
    line = f"✅ My database can be written again (after about {minutes} min)."
    if notice.threads:
        line += (f" {notice.shed} messages, edits or reactions in {len(notice.threads)} "
                 "thread(s) could not be kept meanwhile; I am reading them back from Discord.")
    return line


async def setup(bot: FilmClub) -> None:
    await bot.add_cog(CatchUpCog(bot))
