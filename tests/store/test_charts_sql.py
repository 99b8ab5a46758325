"""Issue 19's store side: the charts count exactly what /stats counts, and keep the setting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.records.audit import HiddenComment
from bot.records.visibility import EVERY_THREAD, Visible
from bot.store import Store
from tests import discussion, hostile
from tests.chartcheck import LIVELY_THREAD, THREAD, known_thread, lively_thread

LATER = datetime(2026, 12, 1, tzinfo=UTC)


async def build_all(store: Store) -> list[int]:
    await discussion.build(store)
    await hostile.build(store)
    await known_thread(store)
    await lively_thread(store)
    return [discussion.THREAD, hostile.THREAD, THREAD, LIVELY_THREAD]


@pytest.mark.parametrize("twist", ["as built", "a comment hidden", "a member forgotten"])
async def test_hours_add_up_to_what_stats_counts(store: Store, twist: str) -> None:
    """For each sample thread and each server: the hours' comments and votes sum to
    thread_stats' and server_stats' figures, whatever was hidden or forgotten."""
    threads = await build_all(store)
    if twist == "a comment hidden":
        await store.hide_comment(HiddenComment(discussion.ANA.id, 99, LATER, "test"))
    elif twist == "a member forgotten":
        await store.forget_member(discussion.ANA.author_id, LATER)
    checked = 0
    for thread in threads:
        hours = await store.activity_hours(thread_id=thread, visible=EVERY_THREAD)
        stats = await store.thread_stats(thread, UTC, "UTC", visible=EVERY_THREAD)
        assert (sum(hours.comments.values()), sum(hours.votes.values())) == (
            stats.comments, stats.votes), thread
        assert all(h.minute == 0 and h.tzinfo is UTC for h in (*hours.comments, *hours.votes))
        checked += 1
    for guild in {p.guild_id for p in await store.list_prompts()}:
        hours = await store.activity_hours(guild_id=guild, visible=EVERY_THREAD)
        server = await store.server_stats(guild, now=LATER, zone=UTC, zone_name="UTC",
                                          visible=EVERY_THREAD)
        assert sum(hours.comments.values()) == server.comments
        checked += 1
    assert checked == 5  # four threads, and the one server they are all in


async def test_hours_keep_to_the_visible_threads(store: Store) -> None:
    """A server's hours from the visible threads only; a thread left out has none."""
    await build_all(store)
    guild = discussion.PROMPT.guild_id
    only = Visible.only([discussion.THREAD])
    hours = await store.activity_hours(guild_id=guild, visible=only)
    alone = await store.activity_hours(thread_id=discussion.THREAD, visible=EVERY_THREAD)
    assert hours.comments == alone.comments and hours.votes == alone.votes
    hidden = await store.activity_hours(thread_id=hostile.THREAD, visible=only)
    assert hidden.comments == {} and hidden.votes == {}


async def test_a_vote_counts_in_the_hour_of_the_latest_one(store: Store) -> None:
    """A member who votes, takes it back and votes again an hour later counts once, then."""
    from bot.models import ReactionAdded, ReactionRemoved

    await discussion.build(store)
    later = discussion.T0 + timedelta(hours=2, minutes=5)
    store.submit(ReactionRemoved(discussion.EVE.id, discussion.THREAD, 2, "👍", later))
    store.submit(ReactionAdded(discussion.EVE.id, discussion.THREAD, 2, "👍",
                               later + timedelta(minutes=1)))
    await store.flush()
    hours = await store.activity_hours(thread_id=discussion.THREAD, visible=EVERY_THREAD)
    assert hours.votes == {discussion.T0: 3, discussion.T0 + timedelta(hours=2): 1}


async def anonymised(store: Store, guild_id: int) -> bool:
    return (await store.get_settings(guild_id)).anonymise_members


async def test_chart_setting_round_trip(store: Store) -> None:
    """Off by default; on and off again per server in the one settings record, the other
    servers untouched, when and by whom kept."""
    assert await anonymised(store, 1) is False
    on = (await store.get_settings(1)).changes(anonymise_members=True, updated_at=LATER,
                                              updated_by=5)
    await store.save_settings(on)
    await store.save_settings((await store.get_settings(2)).changes(anonymise_members=False))
    assert (await anonymised(store, 1), await anonymised(store, 2)) == (True, False)
    kept = await store.get_settings(1)
    assert (kept.updated_at, kept.updated_by) == (LATER, 5)
    await store.save_settings(on.changes(anonymise_members=False))
    assert await anonymised(store, 1) is False
