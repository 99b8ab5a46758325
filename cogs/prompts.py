"""/prompt: film articles posted as discussion prompts, by hand, from a queue, on a schedule.

Commands (moderators only, enforced): ``post``, ``preview``, ``queue add|list|remove|move``,
``schedule set|off``, ``skip`` and ``settings``. Two background loops run while the bot
is connected: the scheduler (posts a server's next prompt when its slot is due, and
anything a feed in "post" mode brought) and the feed poller. Both read the time from
``bot.clock``, so tests move time instead of waiting for it.

A prompt is an embed (``bot.card``) in a text channel with a thread opened on it, or a
forum post tagged from the article's tags. One article is one prompt per server: the
store remembers every key of what was posted, and a repost needs ``force``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
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
from bot.films import FilmRecord
from bot.models import Article, Prompt, PromptSettings, QueueItem
from bot.schedule import Schedule, make_schedule, search_timezones
from cogs.checks import (
    PROMPT_CHANNEL,
    SERVER,
    ChannelOption,
    ServerAnd,
    may,
    moderators_only,
    target_of,
)
from cogs.delivery import open_thread_once, send_once

if TYPE_CHECKING:
    from bot.client import FilmClub

log = logging.getLogger(__name__)

AUTOCOMPLETE_LIMIT = 25
#: Seconds between the scheduler's checks at most (it also wakes for the next slot).
TICK_SECONDS = 30.0
#: Seconds between checks for feeds that are due.
FEED_CHECK_SECONDS = 60.0
ARCHIVE_CHOICES = {"1 hour": 60, "1 day": 1440, "3 days": 4320, "1 week": 10080}
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


#: Seconds /prompt preview waits for the article's film (Discord wants an answer in 3).
PREVIEW_FILM_BUDGET = 2.0


def _timestamp(moment: datetime, style: str = "F") -> str:
    return f"<t:{int(moment.timestamp())}:{style}>"


def _archive_name(minutes: int) -> str:
    return next((name for name, value in ARCHIVE_CHOICES.items() if value == minutes),
                f"{minutes} minutes")


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
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._wake = asyncio.Event()
        self._feeds_wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._absent: set[int] = set()  # servers with a schedule that the bot cannot see
        super().__init__()

    # -- life cycle ----------------------------------------------------------------------

    def now(self) -> datetime:
        return self.bot.clock()

    async def cog_load(self) -> None:
        self._tasks = [
            asyncio.create_task(self._schedule_loop(), name="filmclub-scheduler"),
            asyncio.create_task(self._feed_loop(), name="filmclub-feeds"),
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
        self._wake.set()

    def wake_feeds(self) -> None:
        """Make the feed poller check now."""
        self._feeds_wake.set()

    async def _schedule_loop(self) -> None:
        await self.bot.wait_until_ready()
        while not self.bot.is_closed():
            self._wake.clear()
            try:
                await self.tick()
            except Exception:
                log.exception("scheduler: a tick failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(await self._sleep_time()):
                    await self._wake.wait()

    async def _sleep_time(self) -> float:
        now = self.now()
        delay = TICK_SECONDS
        for schedule in await self.bot.store.list_schedules():
            until = (schedule.next_slot(now) - now).total_seconds()
            delay = min(delay, until + 0.05)
        return max(delay, 0.5)

    async def _feed_loop(self) -> None:
        await self.bot.wait_until_ready()
        while not self.bot.is_closed():
            self._feeds_wake.clear()
            try:
                await self._resolve_channels()
                outcomes = await self.poller.poll_due()
                if any(item.post_now for o in outcomes for item in o.queued):
                    self.wake()
            except Exception:
                log.exception("feeds: polling failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(FEED_CHECK_SECONDS):
                    await self._feeds_wake.wait()

    # -- the scheduler -------------------------------------------------------------------

    async def tick(self) -> None:
        """Post what is due: feed entries to post at once, then each server's slot."""
        await self._resolve_channels()
        await self._post_pending()
        for schedule in await self.bot.store.list_schedules():
            try:
                await self._run_schedule(schedule)
            except Exception:
                log.exception("scheduler: server %d failed", schedule.guild_id)

    async def _resolve_channels(self) -> None:
        """Feeds added offline know their channel only: learn its server from Discord."""
        for feed in await self.bot.store.list_feeds():
            if feed.guild_id is None:
                channel = self.bot.get_channel(feed.channel_id)
                guild = getattr(channel, "guild", None)
                if guild is not None:
                    await self.bot.store.set_channel_guild(feed.channel_id, guild.id)

    async def _post_pending(self) -> None:
        for item in await self.bot.store.pending_posts():
            guild = self.bot.get_guild(item.guild_id or 0)
            if guild is None:
                continue
            await self._post_item(guild, item, item.channel_id)

    async def _run_schedule(self, schedule: Schedule) -> None:
        slot = schedule.due(self.now())
        if slot is None:
            return
        guild = self.bot.get_guild(schedule.guild_id)
        if guild is None or guild.unavailable:  # not claimed: tried again at the next tick
            if schedule.guild_id not in self._absent:
                self._absent.add(schedule.guild_id)
                log.warning("scheduler: server %d is not available for the slot %s; its "
                            "schedule waits until it is", schedule.guild_id, slot)
            return
        self._absent.discard(guild.id)
        store = self.bot.store
        if not await store.claim_slot(schedule.guild_id, slot):
            return
        if schedule.skip_slot is not None and schedule.skip_slot == slot:
            log.info("scheduler: server %d skipped the slot %s", schedule.guild_id, slot)
            return
        log.info("scheduler: server %d, slot %s", guild.id, slot)
        queued = await store.list_queue(guild.id)
        for item in [i for i in queued if not i.post_now]:
            outcome = await self._post_item(guild, item, item.channel_id or schedule.channel_id)
            if outcome is not False:  # posted, or failed and reported: the slot is used
                if outcome and schedule.empty_notified:
                    await store.set_empty_notified(guild.id, False)
                return
        exclude = {i.slug for i in queued}
        for article in await self.catalog.unposted(guild.id, exclude=exclude):
            try:
                await self.publish(guild, self._channel(guild, schedule.channel_id), article,
                                   question=None, posted_by=None)
            except AlreadyPosted:
                continue
            except (FilmclubError, discord.HTTPException) as exc:
                await self.tell_moderators(guild, f"The scheduled prompt could not be posted: "
                                                  f"{_problem(exc)}")
                return
            if schedule.empty_notified:  # the library grew since moderators were told
                await store.set_empty_notified(guild.id, False)
            return
        if not schedule.empty_notified:
            await self.tell_moderators(
                guild,
                f"Nothing was posted for the slot of {_timestamp(slot)}: the prompt queue is "
                "empty and every article in the library has been posted here. Add articles "
                "(`filmclub articles add`, a feed) or queue one with `/prompt queue add`.",
            )
            await store.set_empty_notified(guild.id, True)

    async def _post_item(self, guild: discord.Guild, item: QueueItem,
                         channel_id: int | None) -> bool | None:
        """Post a queued item: True when posted, None when it failed (reported), False to skip.

        An item that cannot be posted (its article is gone or was posted meanwhile, its
        channel does not exist) leaves the queue, so it is not tried at every slot.
        """
        store = self.bot.store
        try:
            article = await self.catalog.get(item.slug)
            channel = self._channel(guild, channel_id)
            await self.publish(guild, channel, article, question=item.question, posted_by=None,
                               queue_item_id=item.id)
        except AlreadyPosted:
            await store.unqueue(guild.id, item.id)
            return False
        except (FilmclubError, discord.HTTPException) as exc:
            await store.unqueue(guild.id, item.id)
            await self.tell_moderators(guild, f"The queued prompt {item.slug!r} could not be "
                                              f"posted and left the queue: {_problem(exc)}")
            return None
        return True

    def _channel(self, guild: discord.Guild, channel_id: int | None) -> Postable:
        channel = guild.get_channel(channel_id or 0)
        if not isinstance(channel, discord.TextChannel | discord.ForumChannel):
            raise NotFound(f"channel {channel_id} is not a text or forum channel of this server "
                           "(set the schedule again with a channel)")
        return channel

    async def tell_moderators(self, guild: discord.Guild, text: str) -> None:
        """Say something in the server's log channel (``/filmclub settings``), else in the log."""
        settings = await self.bot.store.get_settings(guild.id)
        channel = guild.get_channel(settings.log_channel_id or 0)
        if not isinstance(channel, discord.TextChannel):
            log.warning("server %d (no log channel set): %s", guild.id, text)
            return
        try:
            await channel.send(text[:2000], allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException as exc:
            log.warning("server %d: could not write to the log channel (%s): %s", guild.id, exc,
                        text)

    # -- posting ---------------------------------------------------------------------------

    def compose(self, article: Article, settings: PromptSettings, question: str | None,
                channel: discord.abc.GuildChannel | None,
                film: FilmRecord | None = None) -> Composed:
        """The prompt as it will be posted in ``channel`` with the server's settings."""
        asked, _ = prompt_question(article, question, settings.default_question)
        embed = discord.Embed.from_dict(prompt_card(article, asked, film))
        content = mentions = None
        if settings.mention_role_id:
            content = f"<@&{settings.mention_role_id}>"
            mentions = discord.AllowedMentions(roles=[discord.Object(settings.mention_role_id)],
                                               users=False, everyone=False)
        tags: list[discord.ForumTag] = []
        if isinstance(channel, discord.ForumChannel):
            names = forum_tags([t.name for t in channel.available_tags], article.tags)
            tags = [t for name in names for t in channel.available_tags if t.name == name][:5]
        return Composed(embed, content, mentions or discord.AllowedMentions.none(),
                        thread_name(article), tags, settings.archive_minutes)

    async def publish(self, guild: discord.Guild, channel: Postable, article: Article, *,
                      question: str | None, posted_by: int | None, force: bool = False,
                      queue_item_id: int | None = None) -> tuple[Prompt, discord.Thread]:
        """Post ``article`` as a prompt with its thread; AlreadyPosted unless ``force``."""
        store = self.bot.store
        keys = await self.catalog.keys_of(article)
        async with self._locks[guild.id]:
            if not force:
                earlier = await store.posted_thread(guild.id, keys)
                if earlier is not None:
                    raise AlreadyPosted(
                        f"“{article.title}” was already posted in this server (<#{earlier}>); "
                        "post it with force:True to post it again.", earlier)
            settings = await store.get_prompt_settings(guild.id)
            film = (await film_within(store, self.bot.film_lookup, article, at=self.now())).film
            made = self.compose(article, settings, question, channel, film)
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
            prompt = Prompt(thread_id=thread.id, guild_id=guild.id, channel_id=channel.id,
                            message_id=message.id, article=article, posted_at=self.now(),
                            posted_by=posted_by)
            await store.record_prompt(prompt, keys, queue_item_id=queue_item_id)
            if film is not None and film.id is not None:  # issue 18
                await store.set_prompt_film(thread.id, film.id)
            self.bot.prompt_threads.add(thread.id)
        # Watchlists mark the film watched, ratings put their menu on the message (issue
        # 17), cogs.names keeps the thread's name (issue 14).
        self.bot.dispatch("filmclub_prompt_posted", prompt, message, thread)
        log.info("prompt %r posted in %d (server %d): thread %d", article.slug, channel.id,
                 guild.id, thread.id)
        return prompt, thread

    # -- commands: posting -----------------------------------------------------------------

    @app_commands.command(name="post", description="Post a film article as a discussion prompt")
    @app_commands.describe(article="The article (its slug or title)",
                           channel="A text or forum channel (default: the prompt channel, "
                                   "else here)",
                           question="Your question, used when the article asks none",
                           force="Post it even if it was posted here before")
    @moderators_only(PROMPT_CHANNEL, manage_messages=True)
    async def post(self, interaction: discord.Interaction[FilmClub],
                   article: app_commands.Range[str, 1, 100],
                   channel: ChannelOption | None = None,
                   question: app_commands.Range[str, 1, 1000] | None = None,
                   force: bool = False) -> None:
        guild = _guild(interaction)
        target = _checked_channel(interaction)
        found = await self.catalog.get(article)  # ArticleNotFound is a one-line FilmclubError
        await interaction.response.defer(ephemeral=True, thinking=True)
        _, thread = await self.publish(guild, target, found, question=question,
                                       posted_by=interaction.user.id, force=force)
        await interaction.followup.send(
            f"Posted **{discord.utils.escape_markdown(found.title)}**: {thread.jump_url}",
            ephemeral=True,
        )

    @app_commands.command(name="preview", description="See privately exactly what a prompt "
                                                      "would look like")
    @app_commands.describe(article="The article (its slug or title)",
                           channel="Where it would go (default: the prompt channel, else here)",
                           question="Your question, used when the article asks none")
    @moderators_only(PROMPT_CHANNEL, manage_messages=True)
    async def preview(self, interaction: discord.Interaction[FilmClub],
                      article: app_commands.Range[str, 1, 100],
                      channel: ChannelOption | None = None,
                      question: app_commands.Range[str, 1, 1000] | None = None) -> None:
        guild = _guild(interaction)
        target = _checked_channel(interaction)
        found = await self.catalog.get(article)
        settings = await self.bot.store.get_prompt_settings(guild.id)
        film = await film_within(self.bot.store, self.bot.film_lookup, found, at=self.now(),
                                 budget=PREVIEW_FILM_BUDGET)
        made = self.compose(found, settings, question, target, film.film)
        kind = "a forum post" if isinstance(target, discord.ForumChannel) else \
            "a message with a thread"
        lines = [f"Preview: {kind} in {target.mention}, thread “{made.name}”, archived after "
                 f"{_archive_name(made.archive_minutes)} without activity.",
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
            f"Next: {_timestamp(upcoming)} ({_timestamp(upcoming, 'R')}).", ephemeral=True)

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
            f"The post due {_timestamp(slot)} will be skipped; the next one is "
            f"{_timestamp(after)}.", ephemeral=True)

    # -- commands: settings -------------------------------------------------------------------

    @app_commands.command(name="settings", description="How prompts are posted in this server")
    @app_commands.describe(archive="Archive a prompt's thread after this long without activity",
                           mention="A role to mention in every prompt",
                           no_mention="Stop mentioning a role",
                           default_question="The question for articles that ask none")
    @app_commands.choices(archive=[app_commands.Choice(name=n, value=v)
                                   for n, v in ARCHIVE_CHOICES.items()])
    @moderators_only(SERVER, manage_messages=True)
    async def settings(self, interaction: discord.Interaction[FilmClub],
                       archive: app_commands.Choice[int] | None = None,
                       mention: discord.Role | None = None,
                       no_mention: bool = False,
                       default_question: app_commands.Range[str, 1, 1000] | None = None,
                       ) -> None:
        guild = _guild(interaction)
        store = self.bot.store
        current = await store.get_prompt_settings(guild.id)
        role = None if no_mention else (mention.id if mention else current.mention_role_id)
        updated = PromptSettings(
            guild_id=guild.id,
            archive_minutes=archive.value if archive else current.archive_minutes,
            mention_role_id=role,
            default_question=default_question or current.default_question,
        )
        if updated != current:
            await store.set_prompt_settings(updated)
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
    async def timezone_choices(self, interaction: discord.Interaction[FilmClub],
                               current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=name, value=name)
                for name in search_timezones(current, AUTOCOMPLETE_LIMIT)]

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
        when = _timestamp(upcoming) if markup else \
            upcoming.astimezone(schedule.zone).strftime("%a %d %b %Y %H:%M %Z")
        return f"Schedule: {schedule.describe()}; next post {when}."


class ScheduleSkipPending(FilmclubError):
    def __init__(self, slot: datetime) -> None:
        super().__init__(f"The post due {_timestamp(slot)} is already being skipped; "
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


def _describe_settings(settings: PromptSettings) -> str:
    role = f"<@&{settings.mention_role_id}>" if settings.mention_role_id else "none"
    question = settings.default_question or "none (articles without a question ask none)"
    return (f"Prompt settings: threads archive after {_archive_name(settings.archive_minutes)}"
            f" without activity; mention {role}; default question: {question}. The prompt "
            "channel, time zone and log channel are in /filmclub settings.")[:2000]


def _choice_name(title: str, slug: str) -> str:
    """'Title (slug)' within Discord's 100-character choice names."""
    suffix = f" ({slug})"
    room = 100 - len(suffix)
    if room < 10:
        return slug[:100]
    return (title if len(title) <= room else title[: room - 1] + "…") + suffix


async def setup(bot: FilmClub) -> None:
    await bot.add_cog(Prompts(bot))

