"""/feeds: moderators bind RSS and Atom feeds to channels where they moderate.

The Discord side of ``bot.feeds`` (polling) and ``bot.feed_admin`` (managing feeds).

``/feeds add url channel [post] [every] [backlog]``, ``/feeds list``, ``/feeds remove``
and ``/feeds poll`` do what ``filmclub feeds`` does on the server's shell, for this
server's feeds only, through the same core (``bot.feed_admin``): the same checks, the
same answers. Polling shares the prompts cog's poller, so a feed is never read twice at
once, and feeds in "post" mode are posted by its scheduler.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import FilmclubError, InvalidValue
from bot.feed_admin import (
    MAX_EVERY_MINUTES,
    Scope,
    Style,
    add_feed,
    count_line,
    feed_line,
    feeds_in,
    poll_feeds,
    poll_lines,
    remove_feed,
    removed_line,
)
from bot.feeds import MAX_NEW_PER_POLL, FeedPoller
from cogs.prompts import ChannelOption, Postable, Prompts
from cogs.support.checks import SERVER, ServerAnd, moderators_only
from cogs.support.checks import ChannelOption as ChannelTarget
from cogs.support.ui import pages_of, reply, send_pages

if TYPE_CHECKING:
    from cogs.support.client import FilmClub

log = logging.getLogger(__name__)

AUTOCOMPLETE_LIMIT = 25
#: What the bot needs where a feed's prompts go: a text channel's message and thread, or
#: a forum's post.
TEXT_NEEDS = ("view_channel", "send_messages", "embed_links", "create_public_threads",
              "send_messages_in_threads", "read_message_history")
FORUM_NEEDS = ("view_channel", "send_messages", "embed_links", "send_messages_in_threads",
               "read_message_history")
CHAT = Style(channel=lambda channel_id: f"<#{channel_id}>",
             time=lambda moment: f"<t:{int(moment.timestamp())}:R>",
             list_command="/feeds list", sep=" · ")


def _names(perms: list[str]) -> str:
    return ", ".join(p.replace("_", " ").title() for p in perms)


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Feeds(commands.GroupCog, group_name="feeds",
            group_description="RSS and Atom feeds whose new entries become prompts here"):
    def __init__(self, bot: FilmClub) -> None:
        self.bot = bot
        super().__init__()

    # -- shared pieces -----------------------------------------------------------------------

    def _prompts(self) -> Prompts:
        cog = self.bot.get_cog("Prompts")
        if cog is None or not hasattr(cog, "poller"):
            raise FilmclubError("Feeds need the prompt library, which is not running.")
        return cog  # type: ignore[return-value]

    def _poller(self) -> FeedPoller:
        poller: FeedPoller = self._prompts().poller
        return poller

    def _scope(self, interaction: discord.Interaction[FilmClub], *,
               only_visible: bool = True) -> Scope:
        """This server's feeds; with ``only_visible``, those in channels the member sees."""
        guild, member = _guild(interaction), interaction.user
        channels = frozenset(c.id for c in guild.channels)
        visible = None
        if only_visible:
            visible = frozenset(c.id for c in guild.channels if isinstance(member, discord.Member)
                                and c.permissions_for(member).view_channel)
        return Scope(guild.id, channels, visible)

    # -- commands -------------------------------------------------------------------------------

    @app_commands.command(name="add", description="Bind a feed to a channel: its new entries "
                                                  "become prompts there")
    @app_commands.describe(url="The feed's address (RSS or Atom)",
                           channel="The text or forum channel its prompts go to",
                           post="Post new entries at once instead of queueing them",
                           every="Minutes between polls (default: the bot's setting)",
                           backlog="Also take the feed's newest entries, up to this many")
    @moderators_only(ServerAnd(ChannelTarget(default=False), channel_needs=("view_channel",)),
                     manage_guild=True)
    async def add(self, interaction: discord.Interaction[FilmClub],
                  url: app_commands.Range[str, 1, 2048], channel: ChannelOption,
                  post: bool = False,
                  every: app_commands.Range[int, 1, MAX_EVERY_MINUTES] | None = None,
                  backlog: app_commands.Range[int, 0, MAX_NEW_PER_POLL] = 0) -> None:
        guild = _guild(interaction)
        self._check_target(interaction, channel)
        await interaction.response.defer(ephemeral=True, thinking=True)
        added = await add_feed(self._poller(), url, channel.id, guild_id=guild.id, post=post,
                               every=every, default_every=self.bot.config.feed_interval,
                               backlog=backlog, style=CHAT)
        if backlog:
            self._prompts().wake_feeds()  # the backlog comes with the first poll: now
        await reply(interaction, added.line(CHAT))

    def _check_target(self, interaction: discord.Interaction[FilmClub],
                      channel: Postable) -> None:
        """The member must see the channel, and the bot must be able to post prompts there."""
        member = interaction.user
        if not (isinstance(member, discord.Member)
                and channel.permissions_for(member).view_channel):
            raise InvalidValue("Pick a channel you can see.")
        needs = FORUM_NEEDS if isinstance(channel, discord.ForumChannel) else TEXT_NEEDS
        granted = channel.permissions_for(channel.guild.me)
        missing = [name for name in needs if not getattr(granted, name)]
        if missing:
            raise InvalidValue(f"I can't post prompts in {channel.mention}: I lack "
                               f"{_names(missing)} there. Give me those, or pick another "
                               "channel.")

    @app_commands.command(name="list", description="This server's feeds and their last poll")
    @moderators_only(SERVER, manage_guild=True)
    async def list_feeds(self, interaction: discord.Interaction[FilmClub]) -> None:
        shown = await feeds_in(self.bot.store, self._scope(interaction))
        every = await feeds_in(self.bot.store, self._scope(interaction, only_visible=False))
        hidden = len(every) - len(shown)
        intro = count_line(shown) + (f" ({hidden} more in channels you can't see)"
                                     if hidden else "")
        lines = [feed_line(feed, CHAT) for feed in shown]
        await send_pages(interaction, pages_of("Feeds", lines, intro=intro))

    @app_commands.command(name="remove", description="Stop polling one of this server's feeds")
    @app_commands.describe(feed="The feed (its number in /feeds list)")
    @moderators_only(SERVER, manage_guild=True)
    async def remove(self, interaction: discord.Interaction[FilmClub],
                     feed: app_commands.Range[int, 1, 2**31 - 1]) -> None:
        removed = await remove_feed(self.bot.store, feed, self._scope(interaction), CHAT)
        await reply(interaction, removed_line(removed, CHAT))

    @remove.autocomplete("feed")
    async def feed_choices(self, interaction: discord.Interaction[FilmClub],
                           current: str) -> list[app_commands.Choice[int]]:
        if interaction.guild is None:
            return []
        needle = current.strip().casefold()
        choices = []
        for feed in await feeds_in(self.bot.store, self._scope(interaction)):
            channel = interaction.guild.get_channel(feed.channel_id)
            name = f"{feed.id}: {feed.url} → #{getattr(channel, 'name', feed.channel_id)}"
            if needle in name.casefold():
                choices.append(app_commands.Choice(name=name[:100], value=feed.id))
        return choices[:AUTOCOMPLETE_LIMIT]

    @app_commands.command(name="poll", description="Poll this server's feeds now")
    @moderators_only(SERVER, manage_guild=True)
    async def poll(self, interaction: discord.Interaction[FilmClub]) -> None:
        scope = self._scope(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        outcomes = await poll_feeds(self._poller(), scope)
        if any(item.post_now for o in outcomes for item in o.queued):
            self._prompts().wake()  # feeds in "post" mode: the scheduler posts them now
        lines = [line if ok else f"⚠️ {line}" for ok, line in poll_lines(outcomes)]
        await send_pages(interaction, pages_of("Feeds polled", lines,
                                               intro=count_line(outcomes)))


def _guild(interaction: discord.Interaction[FilmClub]) -> discord.Guild:
    if interaction.guild is None:  # guild_only: Discord never sends one, but be sure
        raise app_commands.NoPrivateMessage()
    return interaction.guild


async def setup(bot: FilmClub) -> None:
    await bot.add_cog(Feeds(bot))
