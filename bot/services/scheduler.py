"""The prompt scheduler and the feed poller: what is posted when, and publishing itself.

Two loops run while the bot is connected: the scheduler posts a server's next prompt
when its slot is due (the queue first, else an unposted library article, else the
moderators are told once that there is nothing left), and anything a feed in "post"
mode brought; the feed loop polls the feeds that are due. Both read the time from
``clock``, so tests move time instead of waiting for it, and both are woken early
when something changes (:meth:`PromptScheduler.wake`, :meth:`PromptScheduler.wake_feeds`).

One article is one prompt per server: the store remembers every key of what was
posted, and a repost needs ``force``. The platform composes and posts the prompt
(:class:`bot.services.platform.PromptPoster`; for Discord, ``cogs.prompts.DiscordPrompts``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.articles import Catalog
from bot.errors import AlreadyPosted, FilmclubError
from bot.feeds import FeedPoller
from bot.filmlookup import FilmLookup, film_within
from bot.films import released_on
from bot.models import Article, Prompt, QueueItem
from bot.records.posting_schedule import Schedule
from bot.services.platform import PromptPoster, Published
from bot.shards import EVERYWHERE, Shards
from bot.spoilers import prompt_spoilers
from bot.store.base import Store

log = logging.getLogger(__name__)

#: Seconds between the scheduler's checks at most (it also wakes for the next slot).
TICK_SECONDS = 30.0
#: Seconds between checks for feeds that are due.
FEED_CHECK_SECONDS = 60.0


def timestamp(moment: datetime, style: str = "F") -> str:
    """A moment as chat markup that each reader sees in their own time zone."""
    return f"<t:{int(moment.timestamp())}:{style}>"


class PromptScheduler:
    """Posts prompts: on request, from the queue at each slot, from feeds; and polls feeds."""

    def __init__(self, store: Store, catalog: Catalog, poller: FeedPoller, poster: PromptPoster,
                 *, clock: Callable[[], datetime],
                 prompt_threads: Callable[[], set[int]],
                 film_lookup: FilmLookup | None = None,
                 shards: Shards = EVERYWHERE) -> None:
        self.store = store
        #: Issue 15: this process posts and polls for the servers its shards own only
        #: (feeds whose server is not known yet: the process running shard 0).
        self.shards = shards
        #: Finds an article's film (issue 18); None: the films already known only.
        self.film_lookup = film_lookup
        self.catalog = catalog
        self.poller = poller
        self.poster = poster
        self.clock = clock
        #: The threads whose messages are comments (the adapter's live set).
        self.prompt_threads = prompt_threads
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._wake = asyncio.Event()
        self._feeds_wake = asyncio.Event()
        self._absent: set[int] = set()  # servers with a schedule that the bot cannot see

    # -- the loops ---------------------------------------------------------------------------

    def wake(self) -> None:
        """Make the scheduler check now (a schedule changed, or a test moved the clock)."""
        self._wake.set()

    def wake_feeds(self) -> None:
        """Make the feed poller check now."""
        self._feeds_wake.set()

    async def schedule_loop(self, ready: Callable[[], Awaitable[object]],
                            running: Callable[[], bool]) -> None:
        """Once ``ready``, post what is due at each tick while ``running()``."""
        await ready()
        while running():
            self._wake.clear()
            try:
                await self.tick()
            except Exception:
                log.exception("scheduler: a tick failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(await self.sleep_time()):
                    await self._wake.wait()

    async def sleep_time(self) -> float:
        """Seconds until the next slot of any server (at most a tick, at least half a second)."""
        now = self.clock()
        delay = TICK_SECONDS
        for schedule in await self._schedules():
            until = (schedule.next_slot(now) - now).total_seconds()
            delay = min(delay, until + 0.05)
        return max(delay, 0.5)

    async def feed_loop(self, ready: Callable[[], Awaitable[object]],
                        running: Callable[[], bool]) -> None:
        """Once ``ready``, poll the feeds that are due while ``running()``."""
        await ready()
        while running():
            self._feeds_wake.clear()
            try:
                await self.resolve_channels()
                outcomes = await self.poller.poll_due(owned=self.shards.owns)
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
        await self.resolve_channels()
        await self._post_pending()
        for schedule in await self._schedules():
            try:
                await self._run_schedule(schedule)
            except Exception:
                log.exception("scheduler: server %d failed", schedule.guild_id)

    async def _schedules(self) -> list[Schedule]:
        """The schedules of the servers this process owns."""
        return [s for s in await self.store.list_schedules() if self.shards.owns(s.guild_id)]

    async def resolve_channels(self) -> None:
        """Feeds added offline know their channel only: learn its server from the platform."""
        for feed in await self.store.list_feeds():
            if feed.guild_id is None:
                guild_id = self.poster.server_of_channel(feed.channel_id)
                if guild_id is not None:
                    await self.store.set_channel_guild(feed.channel_id, guild_id)

    async def _post_pending(self) -> None:
        for item in await self.store.pending_posts():
            if item.guild_id is None or not self.shards.owns(item.guild_id) \
                    or not self.poster.knows_server(item.guild_id):
                continue
            await self._post_item(item.guild_id, item, item.channel_id)

    async def _run_schedule(self, schedule: Schedule) -> None:
        slot = schedule.due(self.clock())
        if slot is None:
            return
        guild_id = schedule.guild_id
        if not self.poster.server_available(guild_id):  # not claimed: tried at the next tick
            if guild_id not in self._absent:
                self._absent.add(guild_id)
                log.warning("scheduler: server %d is not available for the slot %s; its "
                            "schedule waits until it is", guild_id, slot)
            return
        self._absent.discard(guild_id)
        store = self.store
        if not await store.claim_slot(guild_id, slot):
            return
        if schedule.skip_slot is not None and schedule.skip_slot == slot:
            log.info("scheduler: server %d skipped the slot %s", guild_id, slot)
            return
        log.info("scheduler: server %d, slot %s", guild_id, slot)
        queued = await store.list_queue(guild_id)
        for item in [i for i in queued if not i.post_now]:
            outcome = await self._post_item(guild_id, item, item.channel_id or schedule.channel_id)
            if outcome is not False:  # posted, or failed and reported: the slot is used
                if outcome and schedule.empty_notified:
                    await store.set_empty_notified(guild_id, False)
                return
        exclude = {i.slug for i in queued}
        for article in await self.catalog.unposted(guild_id, exclude=exclude):
            try:
                channel_id = self.poster.check_channel(guild_id, schedule.channel_id)
                await self.publish(guild_id, channel_id, article, question=None, posted_by=None)
            except AlreadyPosted:
                continue
            except Exception as exc:
                await self.poster.tell_moderators(
                    guild_id, f"The scheduled prompt could not be posted: {self._problem(exc)}")
                return
            if schedule.empty_notified:  # the library grew since moderators were told
                await store.set_empty_notified(guild_id, False)
            return
        if not schedule.empty_notified:
            await self.poster.tell_moderators(
                guild_id,
                f"Nothing was posted for the slot of {timestamp(slot)}: the prompt queue is "
                "empty and every article in the library has been posted here. Add articles "
                "(`filmclub articles add`, a feed) or queue one with `/prompt queue add`.",
            )
            await store.set_empty_notified(guild_id, True)

    async def _post_item(self, guild_id: int, item: QueueItem,
                         channel_id: int | None) -> bool | None:
        """Post a queued item: True when posted, None when it failed (reported), False to skip.

        An item that cannot be posted (its article is gone or was posted meanwhile, its
        channel does not exist) leaves the queue, so it is not tried at every slot.
        """
        try:
            article = await self.catalog.get(item.slug)
            channel = self.poster.check_channel(guild_id, channel_id)
            await self.publish(guild_id, channel, article, question=item.question,
                               posted_by=None, queue_item_id=item.id)
        except AlreadyPosted:
            await self.store.unqueue(guild_id, item.id)
            return False
        except Exception as exc:
            problem = self._problem(exc)
            await self.store.unqueue(guild_id, item.id)
            await self.poster.tell_moderators(guild_id, f"The queued prompt {item.slug!r} could "
                                                        f"not be posted and left the queue: "
                                                        f"{problem}")
            return None
        return True

    def _problem(self, exc: Exception) -> str:
        """Why a post failed, in one line; a fault that is no refusal propagates."""
        if isinstance(exc, FilmclubError):
            return str(exc)
        problem = self.poster.problem(exc)
        if problem is None:
            raise exc
        return problem

    # -- posting ---------------------------------------------------------------------------

    async def publish(self, guild_id: int, channel_id: int, article: Article, *,
                      question: str | None, posted_by: int | None, force: bool = False,
                      queue_item_id: int | None = None,
                      spoilers: bool | None = None) -> tuple[Prompt, Published]:
        """Post ``article`` as a prompt with its thread; AlreadyPosted unless ``force``.

        ``spoilers`` is the moderator's choice; None leaves it to the article's front
        matter, else the server's spoiler days (``bot.spoilers.prompt_spoilers``)."""
        store = self.store
        keys = await self.catalog.keys_of(article)
        async with self._locks[guild_id]:
            if not force:
                earlier = await store.posted_thread(guild_id, keys)
                if earlier is not None:
                    raise AlreadyPosted(
                        f"“{article.title}” was already posted in this server (<#{earlier}>); "
                        "post it with force:True to post it again.", earlier)
            settings = await store.get_settings(guild_id)
            film = (await film_within(store, self.film_lookup, article, at=self.clock())).film
            spoiler = prompt_spoilers(article, asked=spoilers,
                                      spoiler_days=settings.spoiler_days, on=self.clock(),
                                      film_date=released_on(film))
            posted = await self.poster.publish(guild_id, channel_id, article, settings, question,
                                               spoiler, film)
            prompt = Prompt(thread_id=posted.thread_id, guild_id=guild_id,
                            channel_id=posted.channel_id, message_id=posted.message_id,
                            article=article, posted_at=self.clock(), posted_by=posted_by,
                            spoilers=spoiler)
            await store.record_prompt(prompt, keys, queue_item_id=queue_item_id)
            if film is not None and film.id is not None:  # issue 18
                await store.set_prompt_film(posted.thread_id, film.id)
            self.prompt_threads().add(posted.thread_id)
        self.poster.published(prompt, posted)
        log.info("prompt %r posted in %d (server %d): thread %d", article.slug,
                 posted.channel_id, guild_id, posted.thread_id)
        return prompt, posted
