"""The store's side of issue 17: watchlists, club settings and ratings (contract suite)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.models import Article, Prompt
from bot.records.member_data import REMOVED_NAME
from bot.records.server_settings import GuildSettings
from bot.store import Store
from bot.watchlist import read_film

T0 = datetime(2026, 11, 1, 20, 0, tzinfo=UTC)
GUILD, OTHER_GUILD = 10, 11
ANA, BEN = 1, 2


def prompt(thread_id: int, film: str | None, year: int | None, title: str = "An essay",
           guild: int = GUILD, days: int = 0) -> Prompt:
    article = Article(slug=f"a{thread_id}", title=title, film=film, year=year)
    return Prompt(thread_id=thread_id, guild_id=guild, channel_id=5, message_id=thread_id,
                  article=article, posted_at=T0 + timedelta(days=days))


async def test_same_film_at_once_is_one_entry(store: Store) -> None:
    """Two members suggesting one film at the same moment make one entry."""
    results = await asyncio.gather(*(
        store.add_watch_entry(GUILD, "Watchlist", read_film(typed), note=None, user_id=who,
                              user_name=str(who), at=T0)
        for who, typed in ((ANA, "Her"), (BEN, "her (2013)"), (ANA, "HER"))))
    assert sum(new for _, new in results) == 1
    entries = await store.watch_entries(GUILD)
    assert [(e.title, e.year) for e in entries] == [("Her", 2013)]  # the year filled in


async def test_lists_are_per_server_and_any_case(store: Store) -> None:
    """'Halloween' and 'halloween' are one list; another server's lists are apart."""
    for name, guild in (("Halloween", GUILD), ("halloween ", GUILD), ("Halloween", OTHER_GUILD)):
        await store.add_watch_entry(guild, name.strip(), read_film(f"Film {name}{guild}"),
                                    note="n", user_id=ANA, user_name="Ana", at=T0)
    mine = await store.watchlists(GUILD)
    assert [(i.name, i.films) for i in mine] == [("Halloween", 2)]
    assert len(await store.watch_entries(GUILD, "HALLOWEEN")) == 2
    assert await store.watchlist_guilds() == [GUILD, OTHER_GUILD]


async def test_watched_by_hand_and_by_prompt(store: Store) -> None:
    """set_watched marks and unmarks; mark_film_watched marks every list's waiting entry."""
    one, _ = await store.add_watch_entry(GUILD, "A", read_film("Vertigo"), note=None,
                                         user_id=ANA, user_name="Ana", at=T0)
    await store.add_watch_entry(GUILD, "B", read_film("Vertigo (1958)"), note=None,
                                user_id=BEN, user_name="Ben", at=T0)
    await store.add_watch_entry(GUILD, "B", read_film("Vertigo (2001)"), note=None,
                                user_id=BEN, user_name="Ben", at=T0)
    marked = await store.set_watched(one.id, T0)
    assert marked is not None and marked.watched_at == T0
    assert (await store.set_watched(one.id, None)).watched_at is None  # type: ignore[union-attr]
    done = await store.mark_film_watched(GUILD, read_film("Vertigo", 1958), T0, 77)
    assert sorted((e.list_name, e.year) for e in done) == [("A", None), ("B", 1958)]
    assert all(e.watched_thread_id == 77 for e in done)
    assert await store.mark_film_watched(GUILD, read_film("Vertigo", 1958), T0, 78) == []
    assert await store.remove_watch_entry(one.id) and not await store.remove_watch_entry(one.id)


async def test_club_settings_round_trip(store: Store) -> None:
    """The club's settings are the server's record: defaults until saved, saved values
    come back, the other server untouched."""
    current = await store.get_settings(GUILD)
    assert (current.suggest_access, current.poll_hours) == ("everyone", 24)
    await store.save_settings(current.changes(suggest_access="moderators", poll_hours=72))
    assert await store.get_settings(GUILD) == GuildSettings(GUILD, suggest_access="moderators",
                                                            poll_hours=72)
    assert await store.get_settings(OTHER_GUILD) == GuildSettings(OTHER_GUILD)
    await store.save_settings(GuildSettings(GUILD))
    assert await store.get_settings(GUILD) == GuildSettings(GUILD)


async def test_ratings_one_per_member_changeable_removable(store: Store) -> None:
    """rate() keeps one rating per member; summaries, film rows and /forget follow."""
    await store.add_prompt(prompt(100, "Vertigo", 1958))
    await store.add_prompt(prompt(101, None, None, title="On Stalker", days=-40))
    assert await store.rate(100, ANA, 8, T0) is None
    assert await store.rate(100, ANA, 9, T0) == 8
    await store.rate(100, BEN, 4, T0)
    await store.rate(101, BEN, 10, T0)
    summary = await store.rating_summary(100)
    assert (summary.count, summary.total, summary.average) == (2, 13, 3.25)
    assert await store.rating_of(100, ANA) == 9
    assert sorted(await store.guild_ratings(GUILD)) == [
        (100, "Vertigo", 1958, 4), (100, "Vertigo", 1958, 9), (101, "On Stalker", None, 10)]
    assert sorted(await store.guild_ratings(GUILD, since=T0 - timedelta(days=30))) == [
        (100, "Vertigo", 1958, 4), (100, "Vertigo", 1958, 9)]
    assert await store.rate(100, BEN, None, T0) == 4
    assert (await store.rating_summary(100)).count == 1
    await store.add_watch_entry(GUILD, "W", read_film("Her"), note=None, user_id=ANA,
                                user_name="Ana", at=T0)
    data = await store.member_data(ANA)
    assert [(r.thread_id, r.half_stars) for r in data.ratings] == [(100, 9)]
    assert [e.title for e in data.suggestions] == ["Her"]
    report = await store.forget_member(ANA, T0)
    assert (report.ratings, report.suggestions) == (1, 1)
    assert (await store.rating_summary(100)).count == 0
    assert [e.suggested_by_name for e in await store.watch_entries(GUILD)] == [REMOVED_NAME]


async def test_rating_controls_noted_once(store: Store) -> None:
    """Prompts without a note come newest first, per server; a note (any outcome) settles
    one, a second note replaces the first, and a removed prompt takes its note along."""
    for thread_id, guild, days in ((1, GUILD, 0), (2, GUILD, 2), (3, OTHER_GUILD, 1),
                                   (4, GUILD, 1)):
        await store.add_prompt(prompt(thread_id, "Her", 2013, guild=guild, days=days))
    waiting = await store.prompts_without_rating_control([GUILD])
    assert [p.thread_id for p in waiting] == [2, 4, 1]
    assert [p.thread_id for p in await store.prompts_without_rating_control([])] == []
    await store.note_rating_control(2, "added", T0)
    await store.note_rating_control(1, "gone", T0)
    await store.note_rating_control(1, "present", T0)
    await store.note_rating_control(99, "added", T0)  # no such prompt: nothing noted
    assert [p.thread_id for p in await store.prompts_without_rating_control(
        [GUILD, OTHER_GUILD])] == [4, 3]  # same day: the later thread first
