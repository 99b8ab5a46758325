"""The store contract for the prompt library: stored articles, feeds, queue, settings, schedule."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from bot.errors import NotFound, StoreError
from bot.models import Article, Prompt, StoredArticle
from bot.records.posting_schedule import Schedule
from bot.records.server_settings import GuildSettings
from bot.store import Store
from bot.store.base import PollRecord

T0 = datetime(2024, 3, 4, 12, 0, tzinfo=UTC)
GUILD = 10
CHANNEL = 20


def stored(slug: str, *keys: str, origin: str = "page") -> StoredArticle:
    return StoredArticle(Article(slug=slug, title=slug.title(), body="Body."), origin,
                         f"https://example.org/{slug}", keys, T0)


def prompt(slug: str, thread: int, guild: int = GUILD) -> Prompt:
    return Prompt(thread_id=thread, guild_id=guild, channel_id=CHANNEL, message_id=thread,
                  article=Article(slug=slug, title=slug), posted_at=T0)


async def test_stored_article_round_trips_with_keys(store: Store) -> None:
    """An added article comes back with its keys, and is found by any of them."""
    await store.add_article(stored("aftersun", "url:https://a.example/x", "hash:abc"))
    got = await store.get_article("aftersun")
    assert got is not None and got.keys == ("url:https://a.example/x", "hash:abc")
    assert got.article.title == "Aftersun" and got.added_at == T0
    found = await store.find_article(["hash:nope", "hash:abc"])
    assert found is not None and found.article.slug == "aftersun"
    assert await store.find_article(["url:other"]) is None


async def test_a_key_cannot_belong_to_two_articles(store: Store) -> None:
    """Adding a second article with a known key fails and adds nothing."""
    await store.add_article(stored("one", "url:https://a.example/x"))
    with pytest.raises(StoreError, match="already stored"):
        await store.add_article(stored("two", "hash:new", "url:https://a.example/x"))
    assert [s.article.slug for s in await store.list_articles()] == ["one"]
    assert await store.find_article(["hash:new"]) is None


async def test_record_prompt_remembers_keys_per_server(store: Store) -> None:
    """A posted article's keys are remembered for its server only."""
    await store.record_prompt(prompt("aftersun", 100), ["slug:aftersun", "url:u"])
    assert await store.posted_thread(GUILD, ["url:u"]) == 100
    assert await store.posted_thread(GUILD + 1, ["url:u"]) is None
    assert await store.posted_keys(GUILD) == {"slug:aftersun", "url:u"}
    assert (await store.get_prompt(100)) is not None


async def test_record_prompt_takes_the_article_off_the_queue(store: Store) -> None:
    """Posting an article removes its queue item, and any other item for the same article."""
    first = await store.enqueue(GUILD, "aftersun", added_at=T0)
    await store.enqueue(GUILD, "burning", added_at=T0)
    await store.record_prompt(prompt("aftersun", 100), ["slug:aftersun"],
                              queue_item_id=first.id)
    assert [i.slug for i in await store.list_queue(GUILD)] == ["burning"]
    await store.record_prompt(prompt("burning", 101), ["slug:burning"])
    assert await store.list_queue(GUILD) == []


async def test_queue_order_add_move_remove(store: Store) -> None:
    """Items keep their order; move puts one at a place; remove takes it out."""
    a, b, c = [await store.enqueue(GUILD, s, added_at=T0) for s in ("a", "b", "c")]
    await store.enqueue(GUILD + 1, "elsewhere", added_at=T0)
    moved = await store.move_queued(GUILD, c.id, 1)
    assert [i.slug for i in moved] == ["c", "a", "b"]
    assert [i.slug for i in await store.move_queued(GUILD, c.id, 99)] == ["a", "b", "c"]
    removed = await store.unqueue(GUILD, b.id)
    assert removed is not None and removed.slug == "b"
    assert [i.slug for i in await store.list_queue(GUILD)] == ["a", "c"]
    assert await store.unqueue(GUILD + 1, a.id) is None  # another server's item
    with pytest.raises(NotFound):
        await store.move_queued(GUILD, 12345, 1)


async def test_the_same_article_is_queued_once(store: Store) -> None:
    """Queueing an article already waiting in the server is refused."""
    await store.enqueue(GUILD, "a", added_at=T0)
    with pytest.raises(StoreError, match="already in the queue"):
        await store.enqueue(GUILD, "a", added_at=T0)


async def test_feed_add_is_unique_per_channel(store: Store) -> None:
    """The same feed twice on one channel is refused; on another channel it is fine."""
    feed = await store.add_feed("https://f.example/rss", CHANNEL, guild_id=None, mode="queue",
                                interval_minutes=30, added_at=T0, seen=["entry:1"])
    assert (feed.guild_id, feed.mode, feed.interval_minutes) == (None, "queue", 30)
    assert await store.feed_seen(feed.id) == {"entry:1"}
    with pytest.raises(StoreError, match="already a feed"):
        await store.add_feed("https://f.example/rss", CHANNEL, guild_id=None, mode="queue",
                             interval_minutes=30, added_at=T0)
    await store.add_feed("https://f.example/rss", CHANNEL + 1, guild_id=None, mode="post",
                         interval_minutes=30, added_at=T0)
    assert len(await store.list_feeds()) == 2


async def test_record_poll_is_one_unit(store: Store) -> None:
    """A poll stores its articles, remembers entries and queues them for the feed's channel."""
    feed = await store.add_feed("https://f.example/rss", CHANNEL, guild_id=None, mode="post",
                                interval_minutes=30, added_at=T0)
    items = await store.record_poll(PollRecord(
        feed.id, T0 + timedelta(hours=1), etag='"v2"', last_modified="Mon",
        seen=("entry:a", "entry:b"), articles=(stored("a", "entry:a", origin="feed"),),
        queue=("a", "a")))
    assert [(i.slug, i.guild_id, i.channel_id, i.post_now) for i in items] == [
        ("a", None, CHANNEL, True)]
    (after,) = await store.list_feeds()
    assert (after.etag, after.last_modified, after.last_error) == ('"v2"', "Mon", None)
    assert await store.feed_seen(feed.id) == {"entry:a", "entry:b"}
    assert await store.pending_posts() == []  # the server is not known yet
    assert await store.set_channel_guild(CHANNEL, GUILD) == 1
    assert [i.slug for i in await store.pending_posts()] == ["a"]


async def test_failed_poll_keeps_validators_and_records_the_error(store: Store) -> None:
    """An error is recorded on the feed; its ETag stays for the next try."""
    feed = await store.add_feed("https://f.example/rss", CHANNEL, guild_id=GUILD, mode="queue",
                                interval_minutes=30, added_at=T0, etag='"v1"')
    await store.record_poll(PollRecord(feed.id, T0, error="https://f.example/rss: HTTP 500"))
    (after,) = await store.list_feeds()
    assert (after.etag, after.last_error) == ('"v1"', "https://f.example/rss: HTTP 500")


async def test_a_poll_that_fails_midway_writes_nothing(store: Store) -> None:
    """An article whose key is taken makes the whole poll fail: no entry seen, nothing queued."""
    await store.add_article(stored("old", "url:dup"))
    feed = await store.add_feed("https://f.example/rss", CHANNEL, guild_id=GUILD, mode="queue",
                                interval_minutes=30, added_at=T0)
    with pytest.raises(StoreError, match="was not stored"):
        await store.record_poll(PollRecord(
            feed.id, T0, seen=("entry:x",), articles=(stored("new", "url:dup"),),
            queue=("new",)))
    assert await store.feed_seen(feed.id) == set()
    assert await store.list_queue(GUILD) == []
    assert await store.get_article("new") is None


async def test_settings_default_then_saved(store: Store) -> None:
    """A server without settings gets the defaults; saved ones come back."""
    assert await store.get_settings(GUILD) == GuildSettings(GUILD)
    mine = GuildSettings(GUILD, archive_minutes=1440, mention_role_id=5,
                          default_question="Why?")
    await store.save_settings(mine)
    assert await store.get_settings(GUILD) == mine


async def test_schedule_zone_is_the_server_zone(store: Store) -> None:
    """Issue 20: one zone per server. Setting a schedule sets it; changing the server's
    moves the schedule's, which then counts its slots from the change (no double post)."""
    await store.set_schedule(Schedule(GUILD, CHANNEL, "daily", (), time(19, 30),
                                      "Europe/Paris", T0, last_slot=T0))
    assert (await store.get_settings(GUILD)).timezone == "Europe/Paris"
    changed = T0 + timedelta(hours=3)
    settings = await store.get_settings(GUILD)
    await store.save_settings(settings.changes(timezone="Asia/Tokyo", updated_at=changed))
    moved = await store.get_schedule(GUILD)
    assert moved is not None and (moved.timezone, moved.set_at) == ("Asia/Tokyo", changed)
    assert moved.due(changed + timedelta(minutes=1)) is None
    now = await store.get_settings(GUILD)
    await store.save_settings(now.changes(export_access="everyone",
                                          updated_at=changed + timedelta(days=9)))
    same = await store.get_schedule(GUILD)
    assert same is not None and same.set_at == changed  # the zone did not change: set_at stays


async def test_schedule_round_trip_and_slot_claims(store: Store) -> None:
    """A schedule comes back as set; a slot is claimed once; a later claim wins, an earlier not."""
    schedule = Schedule(GUILD, CHANNEL, "weekly", (0, 3), time(19, 30), "Europe/Paris", T0)
    await store.set_schedule(schedule)
    assert await store.get_schedule(GUILD) == schedule
    slot = T0 + timedelta(hours=6)
    await store.set_skip_slot(GUILD, slot)
    assert await store.claim_slot(GUILD, slot)
    assert not await store.claim_slot(GUILD, slot)
    assert not await store.claim_slot(GUILD, slot - timedelta(days=1))
    after = await store.get_schedule(GUILD)
    assert after is not None and (after.last_slot, after.skip_slot) == (slot, None)
    await store.set_empty_notified(GUILD, True)
    assert (await store.list_schedules())[0].empty_notified
    assert await store.clear_schedule(GUILD)
    assert await store.get_schedule(GUILD) is None
    assert not await store.clear_schedule(GUILD)
