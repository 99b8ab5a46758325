"""Issue 15: a shard process does the once-per-server work of its own servers only (the
schedule, feed polls, close timers, catch-up), by the one rule in ``bot.shards``."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Collection
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.articles import ArticleLibrary, Catalog
from bot.catchup import CatchUp, FetchedMessage, ThreadInfo
from bot.errors import ThreadUnavailable
from bot.feeds import FeedPoller, PollOutcome
from bot.fetch import Fetcher
from bot.models import Article, Feed, Prompt
from bot.records.audit import CloseTimer
from bot.schedule import make_schedule
from bot.services.audit import AuditTrail
from bot.services.scheduler import PromptScheduler
from bot.services.timers import CloseTimers
from bot.shards import EVERYWHERE, Shards
from bot.store import Store
from tests.bot.services.fakes import FakePlatform

T0 = datetime(2026, 11, 1, 20, 0, tzinfo=UTC)
ON_0, ON_1 = 10 << 22, 11 << 22  # servers on shard 0 and shard 1 of 2
CHANNEL = {ON_0: 20, ON_1: 21}
THREAD = {ON_0: 1_300_000_000_000_000_000, ON_1: 1_300_000_000_000_000_001}
LIBRARY = Path(__file__).parents[2] / "library"
FIRST, SECOND = Shards(2, (0,)), Shards(2, (1,))


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def owned(shards: Shards) -> set[int]:
    return {g for g in (ON_0, ON_1) if shards.owns(g)}


@pytest.mark.parametrize("shards", [FIRST, SECOND, EVERYWHERE])
async def test_the_scheduler_posts_the_slots_of_its_servers_only(
        store: Store, tmp_path: Path, shards: Shards) -> None:
    """Both servers due, the platform reaching both: each process posts its servers' slot."""
    for name in ("cta-only-parasite.md", "no-questions-stalker.md"):
        shutil.copy(LIBRARY / name, tmp_path / name)
    clock = Clock()
    platform = FakePlatform(servers={ON_0, ON_1}, channels={v: k for k, v in CHANNEL.items()})
    catalog = Catalog(ArticleLibrary(tmp_path), store)
    scheduler = PromptScheduler(store, catalog, FeedPoller(store, catalog, Fetcher(timeout=1)),
                                platform, clock=clock, prompt_threads=set, shards=shards)
    for guild in (ON_0, ON_1):
        await store.set_schedule(make_schedule(guild, CHANNEL[guild], "daily", "21:00", "UTC",
                                               None, now=T0))
    clock.now = T0 + timedelta(hours=1, minutes=1)
    await scheduler.tick()
    assert {post[0] for post in platform.posts} == owned(shards)
    assert len(platform.posts) == len(owned(shards))
    for schedule in await store.list_schedules():  # the other's slot is left for its owner
        assert (schedule.last_slot is not None) == shards.owns(schedule.guild_id)


async def test_claiming_a_slot_twice_gives_it_once(store: Store) -> None:
    """claim_slot is one conditional write: a second claim of the same slot is refused."""
    await store.set_schedule(make_schedule(ON_0, CHANNEL[ON_0], "daily", "21:00", "UTC", None,
                                           now=T0))
    slot = T0 + timedelta(hours=1)
    assert await store.claim_slot(ON_0, slot) is True
    assert await store.claim_slot(ON_0, slot) is False
    assert await store.claim_slot(ON_0, slot + timedelta(days=1)) is True


@pytest.mark.parametrize("shards", [FIRST, SECOND])
async def test_close_timers_fire_in_the_process_owning_their_server(
        store: Store, shards: Shards) -> None:
    """Two overdue timers, one per server: each process closes its own server's thread."""
    platform, clock = FakePlatform(), Clock()
    timers = CloseTimers(store, platform, AuditTrail(store, platform, clock=clock), clock=clock,
                         shards=shards)
    for guild in (ON_0, ON_1):
        await store.add_prompt(Prompt(THREAD[guild], guild, CHANNEL[guild], THREAD[guild],
                                      Article(slug=f"a{guild}", title="Vertigo"), T0, 99))
        await store.set_close_timer(CloseTimer(THREAD[guild], guild, T0, 99, T0))
    clock.now = T0 + timedelta(minutes=1)
    await timers.fire_due()
    assert [thread for thread, _ in platform.closed] == [THREAD[g] for g in owned(shards)]
    assert [t.guild_id for t in await store.close_timers()] == [
        g for g in (ON_0, ON_1) if not shards.owns(g)]


class History:
    """A history source that records what catch-up asks of it; every thread is gone."""

    def __init__(self) -> None:
        self.guilds: set[int] = set()
        self.threads: list[int] = []

    async def open_threads(self, guild_ids: Collection[int]) -> dict[int, ThreadInfo]:
        self.guilds |= set(guild_ids)
        return {}

    async def thread(self, thread_id: int) -> ThreadInfo:
        self.threads.append(thread_id)
        raise ThreadUnavailable(thread_id, "gone", gone=True)

    async def messages(self, thread_id: int, after_id: int) -> AsyncIterator[FetchedMessage]:
        return
        yield  # pragma: no cover

    async def reactors(self, thread_id: int, message_id: int, emoji: str) -> list[int]:
        return []


@pytest.mark.parametrize("shards", [FIRST, SECOND])
async def test_catch_up_reads_the_threads_of_its_servers(store: Store, shards: Shards) -> None:
    """A run of every thread looks at the owned servers' threads; asked for one, that one."""
    for guild in (ON_0, ON_1):
        await store.add_prompt(Prompt(THREAD[guild], guild, CHANNEL[guild], THREAD[guild],
                                      Article(slug=f"a{guild}", title="Vertigo"), T0, 99))
    history = History()
    catch_up = CatchUp(store, history, owns=shards.owns)
    report = await catch_up.run()
    assert history.guilds == owned(shards)
    assert history.threads == [THREAD[g] for g in owned(shards)]
    assert set(report.unavailable) == {THREAD[g] for g in owned(shards)}
    other = next(g for g in (ON_0, ON_1) if not shards.owns(g))
    await catch_up.run(only=[THREAD[other]])  # what a moderator asks for is read
    assert history.threads[-1] == THREAD[other]


@pytest.mark.parametrize("shards", [FIRST, SECOND])
async def test_feeds_are_polled_by_the_process_owning_their_server(
        store: Store, shards: Shards, monkeypatch: pytest.MonkeyPatch) -> None:
    """Due feeds of both servers and one whose server is unknown: each process polls its
    servers' feeds, and the one running shard 0 the unknown one."""
    for guild in (ON_0, ON_1, None):
        await store.add_feed(f"https://films.example/{guild}.xml", 30 + (guild or 0) % 7,
                             guild_id=guild, mode="queue", interval_minutes=60, added_at=T0)
    poller = FeedPoller(store, Catalog(ArticleLibrary(LIBRARY), store), Fetcher(timeout=1),
                        clock=lambda: T0 + timedelta(hours=2))
    polled: list[int | None] = []

    async def poll(feed: Feed) -> PollOutcome:
        polled.append(feed.guild_id)
        return PollOutcome(feed)

    monkeypatch.setattr(poller, "poll", poll)
    await poller.poll_due(owned=shards.owns)
    expected = [g for g in (ON_0, ON_1) if shards.owns(g)] + ([None] if shards.holds_first
                                                               else [])
    assert sorted(polled, key=str) == sorted(expected, key=str)


async def test_two_processes_claiming_the_same_slots_get_each_once(
        postgres_url: str) -> None:
    """Two stores on one PostgreSQL (two shard processes' connections) claim the same 40
    slots side by side: each slot is won by exactly one, as the conditional write is one
    statement PostgreSQL re-checks under the row's lock."""
    import asyncio

    from bot.store.postgres import PostgresStore

    async with PostgresStore(postgres_url) as first, PostgresStore(postgres_url) as second:
        await first.set_schedule(make_schedule(ON_0, CHANNEL[ON_0], "daily", "21:00", "UTC",
                                               None, now=T0))
        won = {id(first): 0, id(second): 0}
        for day in range(40):
            slot = T0 + timedelta(days=day, hours=1)
            results = await asyncio.gather(first.claim_slot(ON_0, slot),
                                           second.claim_slot(ON_0, slot))
            assert sorted(results) == [False, True], (day, results)
            won[id(first if results[0] else second)] += 1
        schedule = await second.get_schedule(ON_0)
        assert schedule is not None and schedule.last_slot == T0 + timedelta(days=39, hours=1)
    assert sum(won.values()) == 40
