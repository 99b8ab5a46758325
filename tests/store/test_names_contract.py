"""The store's names (issue 14): places and members as Discord showed them, newest first;
prompts at a glance; counts over an export's selection."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from bot.models import MessageCreated, ReactionAdded
from bot.records.names import MemberName, PlaceName
from bot.store import SQLiteStore, Store
from bot.store.migrations import MIGRATIONS, _statements
from tests import discussion
from tests.discussion import at, say

GUILD = discussion.PROMPT.guild_id
SEEN = datetime(2026, 11, 2, tzinfo=UTC)


async def test_places_are_kept_newest_first(store: Store) -> None:
    """A rename (a newer sighting) replaces the name; a late, older one does not."""
    await store.save_names([PlaceName(GUILD, "guild", GUILD, "Film Club", SEEN),
                            PlaceName(20, "channel", GUILD, "films", SEEN)])
    await store.save_names([PlaceName(GUILD, "guild", GUILD, "Cinema Club", at(60 * 24 * 2))])
    await store.save_names([PlaceName(GUILD, "guild", GUILD, "Old Name", at(0))])
    names = await store.guild_names(GUILD)
    assert (names.guild, dict(names.places)) == ("Cinema Club", {20: "films"})
    assert (await store.guild_names(GUILD + 1)).guild is None


async def test_members_are_named_from_comments_and_reactions(store: Store) -> None:
    """Each comment names its author (the newest comment wins); a reaction names its member."""
    await discussion.build(store)
    store.submit(say(30, 1, "Ana Renamed", "Still here."))
    store.submit(ReactionAdded(discussion.ANA.id, discussion.THREAD, 77, "👍", at(31), "Gus"))
    store.submit(say(0.5, 2, "Ben (long ago)", "Replayed late."))
    await store.flush()
    members = (await store.guild_names(GUILD)).members
    assert members[1] == "Ana Renamed" and members[77] == "Gus"
    assert members[2] == "Ben"  # a replay of an older message does not rename him


async def test_forgotten_members_lose_their_names(store: Store) -> None:
    """/forget removes the member's stored names, and a replay does not bring them back."""
    await discussion.build(store)
    await store.forget_member(1, at(20))
    store.submit(discussion.ANA)  # the gateway replays her old message
    await store.flush()
    assert 1 not in (await store.guild_names(GUILD)).members
    await store.save_names(members=[MemberName(GUILD, 1, "Ana", at(10))])
    assert 1 not in (await store.guild_names(GUILD)).members


async def test_prompt_overview_counts_like_an_export(store: Store) -> None:
    """Comments shown (not deleted, not hidden) and the latest write or edit."""
    await discussion.build(store)
    [overview] = await store.prompt_overview()
    assert overview.prompt.thread_id == discussion.THREAD
    assert overview.comments == 4  # Dee's comment was deleted
    assert overview.last_activity == at(6)  # Ana's edit
    assert await store.prompt_overview(GUILD + 1) == []


async def test_thread_counts_follow_the_selection(store: Store) -> None:
    """Counts over exactly the comments a selection keeps."""
    await discussion.build(store)
    counts = await store.thread_counts(discussion.THREAD)
    assert (counts.comments, counts.deleted, counts.participants) == (4, 1, 4)
    counts = await store.thread_counts(discussion.THREAD, include_deleted=True)
    assert (counts.comments, counts.deleted, counts.participants) == (5, 1, 5)
    counts = await store.thread_counts(discussion.THREAD, after=discussion.BEN.id)
    assert (counts.comments, counts.deleted, counts.participants) == (2, 1, 2)
    counts = await store.thread_counts(discussion.THREAD, min_score=1)
    assert (counts.comments, counts.deleted, counts.participants) == (1, 0, 1)


def test_migration_names_the_members_who_wrote_before_it(tmp_path: Path) -> None:
    """A database at schema 5 gets its members' names from their newest comments."""
    path = tmp_path / "old.db"
    with sqlite3.connect(path, isolation_level=None) as db:
        for script in MIGRATIONS[:5]:
            for statement in _statements(script):
                db.execute(statement)
        db.execute("PRAGMA user_version = 5")
        db.execute("PRAGMA application_id = 1179208781")
        db.execute("INSERT INTO prompts (thread_id, guild_id, channel_id, message_id,"
                   " article_slug, article, posted_at) VALUES (1, 10, 2, 1, 'a',"
                   " '{\"slug\": \"a\", \"title\": \"A\"}', '2026-11-01T20:00:00+00:00')")
        for cid, name, when in ((5, "Ana", "20:01"), (6, "Ana B.", "20:05")):
            db.execute("INSERT INTO comments (id, thread_id, seen, author_id, author_name,"
                       " created_at, content) VALUES (?, 1, 1, 7, ?, ?, 'hi')",
                       (cid, name, f"2026-11-01T{when}:00+00:00"))

    async def check() -> dict[int, str]:
        async with SQLiteStore(path) as store:
            return dict((await store.guild_names(10)).members)

    import asyncio

    assert asyncio.run(check()) == {7: "Ana B."}


async def test_an_unknown_reaction_name_changes_nothing(store: Store) -> None:
    """A reaction without a name (outside a server) leaves the stored name alone."""
    await discussion.build(store)
    store.submit(ReactionAdded(discussion.BEN.id, discussion.THREAD, 3, "🎬", at(40)))
    store.submit(MessageCreated(discussion.sf(41), discussion.THREAD, 4, "Dee", "back", at(41)))
    await store.flush()
    members = (await store.guild_names(GUILD)).members
    assert members[3] == "Cy" and members[4] == "Dee"
