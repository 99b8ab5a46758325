"""Names: what servers, their channels and prompt threads are called, kept as Discord shows them.

The store keeps the names (``bot.records.names``) so that an export made anywhere, the command
line included, names the server, the channel and the thread. A server's names are
taken when it becomes available (every start, and on joining it) and whenever one
changes (GUILD_UPDATE, CHANNEL_UPDATE, THREAD_UPDATE). Members' names come with what
they do: each comment keeps its author's name (the store keeps the newest), each
reaction its member's. The bot has no members intent, so a renamed member who neither
writes nor reacts again keeps the name the bot last saw.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.models import utcnow
from bot.records.names import PlaceName

if TYPE_CHECKING:
    from cogs.support.client import FilmClub

log = logging.getLogger(__name__)


class Names(commands.Cog):
    def __init__(self, bot: FilmClub) -> None:
        self.bot = bot

    async def _save(self, places: list[PlaceName]) -> None:
        if places:
            await self.bot.store.save_names(places)

    def _server(self, guild: discord.Guild) -> list[PlaceName]:
        """The server, its channels and the prompt threads Discord showed with it."""
        now = utcnow()
        places = [PlaceName(guild.id, "guild", guild.id, guild.name, now)]
        places += [PlaceName(c.id, "channel", guild.id, c.name, now) for c in guild.channels]
        places += [PlaceName(t.id, "thread", guild.id, t.name, now) for t in guild.threads
                   if t.id in self.bot.prompt_threads]
        return places

    @commands.Cog.listener()
    async def on_guild_available(self, guild: discord.Guild) -> None:
        await self._save(self._server(guild))

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self._save(self._server(guild))

    @commands.Cog.listener()
    async def on_guild_update(self, before: discord.Guild, after: discord.Guild) -> None:
        if before.name != after.name:
            await self._save([PlaceName(after.id, "guild", after.id, after.name, utcnow())])

    @commands.Cog.listener()
    async def on_guild_channel_create(self, channel: discord.abc.GuildChannel) -> None:
        await self._save([PlaceName(channel.id, "channel", channel.guild.id, channel.name,
                                    utcnow())])

    @commands.Cog.listener()
    async def on_guild_channel_update(self, before: discord.abc.GuildChannel,
                                      after: discord.abc.GuildChannel) -> None:
        if before.name != after.name:
            await self._save([PlaceName(after.id, "channel", after.guild.id, after.name,
                                        utcnow())])

    @commands.Cog.listener()
    async def on_raw_thread_update(self, payload: discord.RawThreadUpdateEvent) -> None:
        """A prompt thread renamed (raw: the thread may not be in discord.py's cache)."""
        name = payload.data.get("name")
        if payload.thread_id in self.bot.prompt_threads and isinstance(name, str):
            await self._save([PlaceName(payload.thread_id, "thread", payload.guild_id, name,
                                        utcnow())])

    @commands.Cog.listener()
    async def on_filmclub_prompt_posted(self, prompt: object, message: object,
                                        thread: discord.Thread) -> None:
        """The bot opened a prompt thread (``cogs.prompts`` dispatches it)."""
        await self._save([PlaceName(thread.id, "thread", thread.guild.id, thread.name,
                                    utcnow())])


async def setup(bot: FilmClub) -> None:
    await bot.add_cog(Names(bot))
