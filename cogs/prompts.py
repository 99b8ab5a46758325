"""/prompt: film articles posted as discussion prompts, by hand, from a queue, on a schedule.

Commands (moderators only, enforced): ``post``, ``preview``, ``queue add|list|remove|move``,
``schedule set|off``, ``skip`` and ``settings``. Two background loops run while the bot
is connected: the scheduler (posts a server's next prompt when its slot is due, and
anything a feed in "post" mode brought) and the feed poller. Both are
``bot.services.scheduler`` and read the time from ``bot.clock``, so tests move time
instead of waiting for it; :class:`DiscordPrompts` posts for them.

A prompt is an embed (``bot.card``) in a text channel with a thread opened on it, or a
forum post tagged from the article's tags. One article is one prompt per server: the
store remembers every key of what was posted, and a repost needs ``force``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.articles import ArticleError, Catalog
from bot.card import forum_tags, prompt_card, prompt_question, thread_name
from bot.errors import AlreadyPosted, FilmclubError, NotFound
from bot.feeds import FeedPoller
from bot.fetch import Fetcher
from bot.filmlookup import film_within
from bot.films import FilmRecord, released_on
from bot.models import Article, Prompt
from bot.records.server_settings import ARCHIVE_CHOICES, GuildSettings
from bot.schedule import make_schedule
from bot.services.platform import Published
from bot.services.scheduler import PromptScheduler, timestamp
from bot.settings import apply_changes, changed_settings
from bot.spoilers import MAX_SPOILER_DAYS, prompt_spoilers
from bot.spoilers import NOTICE as SPOILER_NOTICE
from bot.timezones import timezone_choices
from cogs.support.checks import (
    PROMPT_CHANNEL,
    SERVER,
    ChannelOption,
    ServerAnd,
    may,
    moderators_only,
    target_of,
)
from cogs.support.delivery import open_thread_once, send_once

if TYPE_CHECKING:
    from cogs.support.client import FilmClub

log = logging.getLogger(__name__)

AUTOCOMPLETE_LIMIT = 25
QUEUE_LIST_LIMIT = 20

Postable = discord.TextChannel | discord.ForumChannel

#: Queueing is the server's business, and the channel named (if any) is judged too.
QUEUE_TARGET = ServerAnd(ChannelOption(default=False))
#: The schedule is the server's; the channel it posts to (named, the prompt channel,
#: else here) is judged too.
SCHEDULE_TARGET = ServerAnd(ChannelOption())


class PromptChannel(app_commands.Transformer):
    """A text (or announcement) channel or a forum: where a prompt can go."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return [discord.ChannelType.text, discord.ChannelType.news, discord.ChannelType.forum]

    async def transform(self, interaction: discord.Interaction[FilmClub],
                        value: object) -> Postable:
        channel_id = getattr(value, "id", None)
        channel = interaction.guild.get_channel(channel_id or 0) if interaction.guild else None
        if not isinstance(channel, discord.TextChannel | discord.ForumChannel):
            raise FilmclubError("Prompts go in a text or forum channel of this server.")
        return channel


ChannelOption = app_commands.Transform[Postable, PromptChannel]


@dataclass(frozen=True, slots=True)
class Composed:
    """Exactly what a prompt will be: the message, its thread and how it is filed."""

    embed: discord.Embed
    content: str | None
    mentions: discord.AllowedMentions
    name: str
    tags: list[discord.ForumTag]
    archive_minutes: int
    spoilers: bool = False


#: Seconds /prompt preview waits for the article's film (Discord wants an answer in 3).
PREVIEW_FILM_BUDGET = 2.0


def _archive_name(minutes: int) -> str:
    return next((name for name, value in ARCHIVE_CHOICES.items() if value == minutes),
                f"{minutes} minutes")


def compose(article: Article, settings: GuildSettings, question: str | None,
            channel: discord.abc.GuildChannel | None, spoilers: bool = False,
            film: FilmRecord | None = None) -> Composed:
    """The prompt as it will be posted in ``channel`` with the server's settings;
    ``spoilers``: a spoiler thread (issue 18), decided by ``bot.spoilers.prompt_spoilers``."""
    asked, _ = prompt_question(article, question, settings.default_question)
    embed = discord.Embed.from_dict(prompt_card(article, asked, film, spoilers=spoilers))
    content = SPOILER_NOTICE if spoilers else None
    mentions = None
    if settings.mention_role_id:
        content = "\n".join(filter(None, (f"<@&{settings.mention_role_id}>", content)))
        mentions = discord.AllowedMentions(roles=[discord.Object(settings.mention_role_id)],
                                           users=False, everyone=False)
    tags: list[discord.ForumTag] = []
    if isinstance(channel, discord.ForumChannel):
        names = forum_tags([t.name for t in channel.available_tags], article.tags)
        tags = [t for name in names for t in channel.available_tags if t.name == name][:5]
    return Composed(embed, content, mentions or discord.AllowedMentions.none(),
                    thread_name(article, spoilers=spoilers), tags, settings.archive_minutes,
                    spoilers)


class DiscordPrompts:
    """Prompts on Discord: a message with its thread, or a forum post
    (``bot.services.platform.PromptPoster`` for ``bot.services.scheduler``)."""

    def __init__(self, bot: FilmClub) -> None:
        self.bot = bot

    def problem(self, exc: BaseException) -> str | None:
        return _problem(exc) if isinstance(exc, discord.HTTPException) else None

    def knows_server(self, guild_id: int) -> bool:
        return self.bot.get_guild(guild_id) is not None

    def server_available(self, guild_id: int) -> bool:
        guild = self.bot.get_guild(guild_id)
        return guild is not None and not guild.unavailable

    def server_of_channel(self, channel_id: int) -> int | None:
        guild = getattr(self.bot.get_channel(channel_id), "guild", None)
        return guild.id if guild is not None else None

    def channel(self, guild_id: int, channel_id: int | None) -> Postable:
        guild = self.bot.get_guild(guild_id)
        channel = guild.get_channel(channel_id or 0) if guild is not None else None
        if not isinstance(channel, discord.TextChannel | discord.ForumChannel):
            raise NotFound(f"channel {channel_id} is not a text or forum channel of this server "
                           "(set the schedule again with a channel)")
        return channel

    def check_channel(self, guild_id: int, channel_id: int | None) -> int:
        return self.channel(guild_id, channel_id).id

    async def tell_moderators(self, guild_id: int, text: str) -> None:
        await self.bot.log_channels.tell_moderators(guild_id, text)

    async def tell_every_server(self, text: str) -> None:
        await self.bot.log_channels.tell_every_server(text)

    async def publish(self, guild_id: int, channel_id: int, article: Article,
                      settings: GuildSettings, question: str | None,
                      spoilers: bool = False, film: FilmRecord | None = None) -> Published:
        channel = self.channel(guild_id, channel_id)
        made = compose(article, settings, question, channel, spoilers, film)
        archive = made.archive_minutes
        if isinstance(channel, discord.ForumChannel):
            created = await channel.create_thread(
                name=made.name, content=made.content, embed=made.embed,
                applied_tags=made.tags, auto_archive_duration=archive,  # type: ignore[arg-type]
                allowed_mentions=made.mentions)
            thread, message = created.thread, created.message
        else:
            wait = self.bot.config.discord_timeout  # a retry never posts twice
            message = await send_once(channel, wait=wait, content=made.content,
                                      embed=made.embed, allowed_mentions=made.mentions)
            try:
                thread = await open_thread_once(
                    message, wait=wait, name=made.name, auto_archive_duration=archive)
            except (discord.HTTPException, FilmclubError):
                with contextlib.suppress(discord.HTTPException):
                    await message.delete()  # no prompt without its thread
                raise
        return Published(channel.id, message.id, thread.id, handle=(message, thread))

    def published(self, prompt: Prompt, posted: Published) -> None:
        # Watchlists mark the film watched, ratings put their menu on the message (issue
        # 17), cogs.names keeps the thread's name (issue 14).
        message, thread = posted.handle  # type: ignore[misc]
        self.bot.dispatch("filmclub_prompt_posted", prompt, message, thread)


@app_commands.guild_only()
@app_commands.default_permissions(manage_messages=True)
class Prompts(commands.GroupCog, group_name="prompt", group_description="Film prompts"):
    queue = app_commands.Group(name="queue", description="Prompts waiting for the schedule")
    schedule = app_commands.Group(name="schedule", description="When prompts are posted")

    def __init__(self, bot: FilmClub) -> None:
        self.bot = bot
        self.catalog = Catalog(bot.library, bot.store)
        self.fetcher = Fetcher(timeout=bot.config.fetch_timeout, policy=bot.fetch_policy)
        self.poller = FeedPoller(bot.store, self.catalog, self.fetcher, clock=self.now)
        self.scheduler = PromptScheduler(bot.store, self.catalog, self.poller,
                                         DiscordPrompts(bot), clock=self.now,
                                         prompt_threads=lambda: bot.prompt_threads,
                                         film_lookup=bot.film_lookup,
                                         shards=bot.config.shards)
        self._tasks: list[asyncio.Task[None]] = []
        super().__init__()

    # -- life cycle ----------------------------------------------------------------------

    def now(self) -> datetime:
        return self.bot.clock()

    async def cog_load(self) -> None:
        ready, running = self.bot.wait_until_ready, lambda: not self.bot.is_closed()
        self._tasks = [
            asyncio.create_task(self.scheduler.schedule_loop(ready, running),
                                name="filmclub-scheduler"),
            asyncio.create_task(self.scheduler.feed_loop(ready, running),
                                name="filmclub-feeds"),
        ]

    async def cog_unload(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await self.fetcher.close()

    def wake(self) -> None:
        """Make the scheduler check now (a schedule changed, or a test moved the clock)."""
        self.scheduler.wake()

    def wake_feeds(self) -> None:
        """Make the feed poller check now."""
        self.scheduler.wake_feeds()

    async def tell_moderators(self, guild: discord.Guild, text: str) -> None:
        """Say something in the server's log channel (``/filmclub settings``), else in the log
        (cogs.polls tells them what a poll chose that the library lacks)."""
        await self.bot.log_channels.tell_moderators(guild.id, text)

    # -- commands: posting -----------------------------------------------------------------

    @app_commands.command(name="post", description="Post a film article as a discussion prompt")
    @app_commands.describe(article="The article (its slug or title)",
                           channel="A text or forum channel (default: the prompt channel, "
                                   "else here)",
                           question="Your question, used when the article asks none",
                           force="Post it even if it was posted here before",
                           spoilers="A spoiler thread: its text is hidden outside it (default: "
                                    "the article's, else the server's spoiler days)")
    @moderators_only(PROMPT_CHANNEL, manage_messages=True)
    async def post(self, interaction: discord.Interaction[FilmClub],
                   article: app_commands.Range[str, 1, 100],
                   channel: ChannelOption | None = None,
                   question: app_commands.Range[str, 1, 1000] | None = None,
                   force: bool = False,
                   spoilers: Literal["on", "off"] | None = None) -> None:
        guild = _guild(interaction)
        target = _checked_channel(interaction)
        found = await self.catalog.get(article)  # ArticleNotFound is a one-line FilmclubError
        await interaction.response.defer(ephemeral=True, thinking=True)
        prompt, posted = await self.scheduler.publish(
            guild.id, target.id, found, question=question, posted_by=interaction.user.id,
            force=force, spoilers=_on_off(spoilers))
        _, thread = posted.handle  # type: ignore[misc]
        kind = " as a spoiler thread" if prompt.spoilers else ""
        await interaction.followup.send(
            f"Posted **{discord.utils.escape_markdown(found.title)}**{kind}: {thread.jump_url}",
            ephemeral=True,
        )

    @app_commands.command(name="preview", description="See privately exactly what a prompt "
                                                      "would look like")
    @app_commands.describe(article="The article (its slug or title)",
                           channel="Where it would go (default: the prompt channel, else here)",
                           question="Your question, used when the article asks none",
                           spoilers="As a spoiler thread (default: the article's, else the "
                                    "server's spoiler days)")
    @moderators_only(PROMPT_CHANNEL, manage_messages=True)
    async def preview(self, interaction: discord.Interaction[FilmClub],
                      article: app_commands.Range[str, 1, 100],
                      channel: ChannelOption | None = None,
                      question: app_commands.Range[str, 1, 1000] | None = None,
                      spoilers: Literal["on", "off"] | None = None) -> None:
        guild = _guild(interaction)
        target = _checked_channel(interaction)
        found = await self.catalog.get(article)
        settings = await self.bot.store.get_settings(guild.id)
        film = await film_within(self.bot.store, self.bot.film_lookup, found, at=self.now(),
                                 budget=PREVIEW_FILM_BUDGET)
        spoiler = prompt_spoilers(found, asked=_on_off(spoilers),
                                  spoiler_days=settings.spoiler_days, on=self.now(),
                                  film_date=released_on(film.film))
        made = compose(found, settings, question, target, spoiler, film.film)
        kind = "a forum post" if isinstance(target, discord.ForumChannel) else \
            "a message with a thread"
        lines = [f"Preview: {kind} in {target.mention}, thread “{made.name}”, archived after "
                 f"{_archive_name(made.archive_minutes)} without activity"
                 + (", a spoiler thread." if made.spoilers else "."),
                 f"Film: {film.line()}"]
        if made.tags:
            lines.append("Forum tags: " + ", ".join(t.name for t in made.tags))
        earlier = await self.bot.store.posted_thread(guild.id, await self.catalog.keys_of(found))
        if earlier is not None:
            lines.append(f"Already posted here (<#{earlier}>): posting needs force:True.")
        if made.content:
            lines.append(made.content)
        await interaction.response.send_message(
            "\n".join(lines), embed=made.embed, ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none())

    # -- commands: the queue -----------------------------------------------------------------

    @queue.command(name="add", description="Queue an article for the next free slot")
    @app_commands.describe(article="The article (its slug or title)",
                           position="Where in the queue (default: last)",
                           question="Your question, used when the article asks none",
                           channel="Post it there instead of the schedule's channel")
    @moderators_only(QUEUE_TARGET, manage_messages=True)
    async def queue_add(self, interaction: discord.Interaction[FilmClub],
                        article: app_commands.Range[str, 1, 100],
                        position: app_commands.Range[int, 1, 1000] | None = None,
                        question: app_commands.Range[str, 1, 1000] | None = None,
                        channel: ChannelOption | None = None) -> None:
        guild = _guild(interaction)
        store = self.bot.store
        found = await self.catalog.get(article)
        earlier = await store.posted_thread(guild.id, await self.catalog.keys_of(found))
        if earlier is not None:
            raise AlreadyPosted(f"“{found.title}” was already posted in this server "
                                f"(<#{earlier}>); use /prompt post with force:True to repost it.",
                                earlier)
        item = await store.enqueue(guild.id, found.slug, added_at=self.now(),
                                   added_by=interaction.user.id, question=question,
                                   channel_id=channel.id if channel else None)
        items = await store.move_queued(guild.id, item.id, position) if position \
            else await store.list_queue(guild.id)
        await store.set_empty_notified(guild.id, False)
        place = next(n for n, i in enumerate(items, 1) if i.id == item.id)
        await interaction.response.send_message(
            f"Queued **{discord.utils.escape_markdown(found.title)}** at #{place}. "
            + await self._next_line(guild.id), ephemeral=True)

    @queue.command(name="list", description="Show the prompt queue and the next slot")
    @moderators_only(SERVER, manage_messages=True)
    async def queue_list(self, interaction: discord.Interaction[FilmClub]) -> None:
        guild = _guild(interaction)
        items = await self.bot.store.list_queue(guild.id)
        lines = []
        for number, item in enumerate(items[:QUEUE_LIST_LIMIT], 1):
            title = await self._title(item.slug)
            extra = " (posting now)" if item.post_now else ""
            lines.append(f"{number}. **{discord.utils.escape_markdown(title)}** "
                         f"(`{item.slug}`){extra}")
        if len(items) > QUEUE_LIST_LIMIT:
            lines.append(f"… and {len(items) - QUEUE_LIST_LIMIT} more")
        if not items:
            left = len(await self.catalog.unposted(guild.id))
            lines.append(f"The queue is empty: each slot posts an unposted library article "
                         f"({left} left).")
        embed = discord.Embed(title="Prompt queue", description="\n".join(lines)[:4096])
        embed.set_footer(text=(await self._next_line(guild.id, markup=False))[:2048])
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @queue.command(name="remove", description="Take an article off the queue")
    @app_commands.describe(item="The queued article")
    @moderators_only(SERVER, manage_messages=True)
    async def queue_remove(self, interaction: discord.Interaction[FilmClub],
                           item: app_commands.Range[str, 1, 20]) -> None:
        guild = _guild(interaction)
        removed = await self.bot.store.unqueue(guild.id, _item_id(item))
        if removed is None:
            raise NotFound(f"There is no queued item {item!r} here: pick one from the list.")
        title = await self._title(removed.slug)
        await interaction.response.send_message(
            f"Removed **{discord.utils.escape_markdown(title)}** from the queue.", ephemeral=True)

    @queue.command(name="move", description="Move a queued article to another place")
    @app_commands.describe(item="The queued article", position="Its new place (1 = next)")
    @moderators_only(SERVER, manage_messages=True)
    async def queue_move(self, interaction: discord.Interaction[FilmClub],
                         item: app_commands.Range[str, 1, 20],
                         position: app_commands.Range[int, 1, 1000]) -> None:
        guild = _guild(interaction)
        item_id = _item_id(item)
        try:
            items = await self.bot.store.move_queued(guild.id, item_id, position)
        except NotFound:
            raise NotFound(f"There is no queued item {item!r} here: pick one from the list.") \
                from None
        place = next(n for n, i in enumerate(items, 1) if i.id == item_id)
        title = await self._title(items[place - 1].slug)
        await interaction.response.send_message(
            f"**{discord.utils.escape_markdown(title)}** is now #{place} in the queue.",
            ephemeral=True)

    # -- commands: the schedule ------------------------------------------------------------

    @schedule.command(name="set", description="Post the next queued prompt on a schedule")
    @app_commands.describe(cadence="Every day, or on chosen weekdays",
                           time="Time of day, like 19:30 or 7:30pm",
                           timezone="IANA time zone, like Europe/Paris (default: the server's)",
                           weekdays="Days, like mon,thu or weekdays (needed for weekly)",
                           channel="Where prompts go (default: the prompt channel, else here)")
    @moderators_only(SCHEDULE_TARGET, manage_messages=True)
    async def schedule_set(self, interaction: discord.Interaction[FilmClub],
                           cadence: Literal["daily", "weekly"],
                           time: app_commands.Range[str, 1, 20],
                           timezone: app_commands.Range[str, 1, 64] | None = None,
                           weekdays: app_commands.Range[str, 1, 100] | None = None,
                           channel: ChannelOption | None = None) -> None:
        guild = _guild(interaction)
        target = _checked_channel(interaction)
        zone_name = timezone or (await self.bot.store.get_settings(guild.id)).timezone
        now = self.now()
        schedule = make_schedule(guild.id, target.id, cadence, time, zone_name, weekdays,
                                 now=now)
        await self.bot.store.set_schedule(schedule)
        self.wake()
        upcoming = schedule.upcoming(now)
        await interaction.response.send_message(
            f"Prompts will be posted {schedule.describe()} in {target.mention}. "
            f"Next: {timestamp(upcoming)} ({timestamp(upcoming, 'R')}).", ephemeral=True)

    @schedule.command(name="off", description="Stop posting on a schedule (the queue stays)")
    @moderators_only(SERVER, manage_messages=True)
    async def schedule_off(self, interaction: discord.Interaction[FilmClub]) -> None:
        guild = _guild(interaction)
        if not await self.bot.store.clear_schedule(guild.id):
            raise NotFound("There is no schedule to turn off.")
        await interaction.response.send_message(
            "The schedule is off. Queued prompts stay queued.", ephemeral=True)

    @app_commands.command(name="skip", description="Skip the next scheduled post")
    @moderators_only(SERVER, manage_messages=True)
    async def skip(self, interaction: discord.Interaction[FilmClub]) -> None:
        guild = _guild(interaction)
        store = self.bot.store
        schedule = await store.get_schedule(guild.id)
        if schedule is None:
            raise NotFound("There is no schedule: set one with /prompt schedule set.")
        now = self.now()
        if schedule.skip_slot is not None and schedule.skip_slot > now:
            raise ScheduleSkipPending(schedule.skip_slot)
        slot = schedule.upcoming(now)
        await store.set_skip_slot(guild.id, slot)
        after = schedule.next_slot(slot)
        await interaction.response.send_message(
            f"The post due {timestamp(slot)} will be skipped; the next one is "
            f"{timestamp(after)}.", ephemeral=True)

    # -- commands: settings -------------------------------------------------------------------

    @app_commands.command(name="settings",
                          description="How prompts are posted (all settings: /filmclub settings)")
    @app_commands.describe(archive="Archive a prompt's thread after this long without activity",
                           mention="A role to mention in every prompt",
                           no_mention="Stop mentioning a role",
                           default_question="The question for articles that ask none",
                           spoiler_days="Films released fewer than this many days ago get "
                                        "spoiler threads (0: no such default)")
    @app_commands.choices(archive=[app_commands.Choice(name=n, value=v)
                                   for n, v in ARCHIVE_CHOICES.items()])
    @moderators_only(SERVER, manage_messages=True)
    async def settings(self, interaction: discord.Interaction[FilmClub],
                       archive: app_commands.Choice[int] | None = None,
                       mention: discord.Role | None = None,
                       no_mention: bool = False,
                       default_question: app_commands.Range[str, 1, 1000] | None = None,
                       spoiler_days: app_commands.Range[int, 0, MAX_SPOILER_DAYS] | None = None,
                       ) -> None:
        """The prompt-posting part of the server's settings (kept from before issue 20:
        the whole family is /filmclub settings); the same record, checked by the same
        core function."""
        guild = _guild(interaction)
        store = self.bot.store
        current = await store.get_settings(guild.id)
        values = {"archive_minutes": archive.value if archive else None,
                  "mention_role_id": None if no_mention or mention is None else mention.id,
                  "default_question": default_question, "spoiler_days": spoiler_days}
        reset = ["mention_role"] if no_mention and current.mention_role_id else []
        updated = current
        if any(v is not None for v in values.values()) or reset:
            updated = apply_changes(current, values, reset=reset, at=self.now(),
                                    by=interaction.user.id)
            if changed_settings(current, updated):
                await store.save_settings(updated)
            else:
                updated = current
        await interaction.response.send_message(
            _describe_settings(updated), ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none())

    # -- autocomplete ------------------------------------------------------------------------

    @post.autocomplete("article")
    @preview.autocomplete("article")
    @queue_add.autocomplete("article")
    async def article_choices(self, interaction: discord.Interaction[FilmClub],
                              current: str) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=_choice_name(a.title, a.slug), value=a.slug)
            for a in await self.catalog.search(current, limit=AUTOCOMPLETE_LIMIT)
        ]

    @queue_remove.autocomplete("item")
    @queue_move.autocomplete("item")
    async def item_choices(self, interaction: discord.Interaction[FilmClub],
                           current: str) -> list[app_commands.Choice[str]]:
        # Autocompletes run without the command's check: the queue is for moderators.
        if interaction.guild_id is None or not await may(interaction, SERVER,
                                                         manage_messages=True):
            return []
        needle = current.strip().casefold()
        choices = []
        for number, item in enumerate(await self.bot.store.list_queue(interaction.guild_id), 1):
            title = await self._title(item.slug)
            name = _choice_name(f"#{number} {title}", item.slug)
            if needle in name.casefold():
                choices.append(app_commands.Choice(name=name, value=str(item.id)))
        return choices[:AUTOCOMPLETE_LIMIT]

    @schedule_set.autocomplete("timezone")
    async def zone_choices(self, interaction: discord.Interaction[FilmClub],
                               current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=name, value=name)
                for name in timezone_choices(current, AUTOCOMPLETE_LIMIT)]

    # -- helpers ------------------------------------------------------------------------------

    async def _title(self, slug: str) -> str:
        try:
            return (await self.catalog.get(slug)).title
        except ArticleError:
            return slug

    async def _next_line(self, guild_id: int, *, markup: bool = True) -> str:
        schedule = await self.bot.store.get_schedule(guild_id)
        if schedule is None:
            return "No schedule yet: set one with /prompt schedule set."
        upcoming = schedule.upcoming(self.now())
        when = timestamp(upcoming) if markup else \
            upcoming.astimezone(schedule.zone).strftime("%a %d %b %Y %H:%M %Z")
        return f"Schedule: {schedule.describe()}; next post {when}."


class ScheduleSkipPending(FilmclubError):
    def __init__(self, slot: datetime) -> None:
        super().__init__(f"The post due {timestamp(slot)} is already being skipped; "
                         "run /prompt skip again after it.")


def _guild(interaction: discord.Interaction[FilmClub]) -> discord.Guild:
    if interaction.guild is None:  # guild_only: Discord never sends one, but be sure
        raise FilmclubError("This command works in a server.")
    return interaction.guild


def _checked_channel(interaction: discord.Interaction[FilmClub]) -> Postable:
    """The channel the check judged: the one named, else the prompt channel, else here."""
    target = target_of(interaction)
    found = target.channel if target.kind == "channel" else next(
        (t.channel for t in target.channels), None)
    if not isinstance(found, discord.TextChannel | discord.ForumChannel):  # pragma: no cover
        raise FilmclubError("Prompts go in a text or forum channel: run this in one or name one.")
    return found


def _item_id(text: str) -> int:
    digits = text.strip().lstrip("#")
    if not digits.isdigit():
        raise NotFound(f"There is no queued item {text!r} here: pick one from the list.")
    return int(digits)


def _problem(exc: BaseException) -> str:
    if isinstance(exc, discord.HTTPException):
        return f"Discord answered {exc.status} ({exc.text or exc.__class__.__name__})"
    return str(exc)


def _describe_settings(settings: GuildSettings) -> str:
    role = f"<@&{settings.mention_role_id}>" if settings.mention_role_id else "none"
    question = settings.default_question or "none (articles without a question ask none)"
    spoilers = (f"films released fewer than {settings.spoiler_days} days ago get spoiler "
                "threads" if settings.spoiler_days else "no spoiler default (spoiler days: off)")
    return (f"Prompt settings: threads archive after {_archive_name(settings.archive_minutes)}"
            f" without activity; mention {role}; default question: {question}; {spoilers}. "
            "The prompt channel, time zone and log channel are in /filmclub settings too.")[:2000]


def _on_off(choice: str | None) -> bool | None:
    return None if choice is None else choice == "on"


def _choice_name(title: str, slug: str) -> str:
    """'Title (slug)' within Discord's 100-character choice names."""
    suffix = f" ({slug})"
    room = 100 - len(suffix)
    if room < 10:
        return slug[:100]
    return (title if len(title) <= room else title[: room - 1] + "…") + suffix


async def setup(bot: FilmClub) -> None:
    await bot.add_cog(Prompts(bot))

