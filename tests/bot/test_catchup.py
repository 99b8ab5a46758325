"""Catch-up's core: comparing stored messages with Discord's, against a plain fake source."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest

from bot.catchup import (
    CatchUp,
    CatchUpReport,
    FetchedMessage,
    ThreadInfo,
    ThreadReport,
    message_changes,
    snowflake_at,
    vanished,
)
from bot.errors import NotFound, ThreadUnavailable
from bot.models import (
    DELETED_OFFLINE,
    Article,
    MessageCreated,
    MessageDeleted,
    MessageEdited,
    MessageVanished,
    Prompt,
    ReactionAdded,
    ReactionRemoved,
    ReactionsReconciled,
    snowflake_time,
    utcnow,
)
from bot.store import Store
from bot.store.base import StoredMessage, ThreadStatus
from tests.snowflakes import snowflake

NOW = utcnow()
GUILD = 10
ARTICLE = Article(slug="stalker", title="Stalker: the room")


def sf(minutes_ago: float) -> int:
    """A message id from ``minutes_ago`` minutes before now."""
    return snowflake(NOW - timedelta(minutes=minutes_ago)) + 1


THREAD = sf(60 * 24 * 30)  # a thread started a month ago
OTHER = sf(60 * 24 * 29)


def message(minutes_ago: float, text: str = "hi", *, author: int = 1,
            edited: datetime | None = None, emojis: tuple[str, ...] = (),
            thread: int = THREAD) -> FetchedMessage:
    mid = sf(minutes_ago)
    return FetchedMessage(MessageCreated(mid, thread, author, f"member{author}", text,
                                         snowflake_time(mid), edited_at=edited), emojis)


@dataclass
class FakeSource:
    """Discord as plain records: threads, their messages and who reacted with what."""

    threads: dict[int, ThreadInfo] = field(default_factory=dict)
    history: dict[int, list[FetchedMessage]] = field(default_factory=dict)
    reactions: dict[tuple[int, str], list[int]] = field(default_factory=dict)
    refuse: dict[int, ThreadUnavailable] = field(default_factory=dict)
    asked: list[int] = field(default_factory=list)

    async def open_threads(self, guild_ids: Collection[int]) -> dict[int, ThreadInfo]:
        return {t: i for t, i in self.threads.items() if not i.archived and t not in self.refuse}

    async def thread(self, thread_id: int) -> ThreadInfo:
        self.asked.append(thread_id)
        if thread_id in self.refuse:
            raise self.refuse[thread_id]
        if thread_id not in self.threads:
            raise ThreadUnavailable(thread_id, "no such thread", gone=True)
        return self.threads[thread_id]

    async def messages(self, thread_id: int, after_id: int) -> AsyncIterator[FetchedMessage]:
        if thread_id in self.refuse:
            raise self.refuse[thread_id]
        for item in self.history.get(thread_id, []):
            if item.id > after_id:
                yield item

    async def reactors(self, thread_id: int, message_id: int, emoji: str) -> list[int]:
        return self.reactions.get((message_id, emoji), [])


@pytest.fixture
async def prompted(store: Store) -> Store:
    for thread in (THREAD, OTHER):
        await store.add_prompt(Prompt(thread, GUILD, 20, thread, ARTICLE, NOW, 99))
    return store


async def play(store: Store, *events: object) -> None:
    for event in events:
        store.submit(event)  # type: ignore[arg-type]
    await store.flush()


async def comments(store: Store, thread: int = THREAD) -> dict[int, object]:
    return {c.id: c async for c in store.iter_comments(thread)}


# --- pure comparisons -----------------------------------------------------------------------


@pytest.mark.parametrize("minutes_ago", [0, 1, 60 * 24 * 7, 60 * 24 * 365 * 3])
def test_snowflake_at_is_the_first_id_of_its_moment(minutes_ago: int) -> None:
    """An id from snowflake_at decodes to the same millisecond."""
    moment = NOW - timedelta(minutes=minutes_ago)
    assert abs(snowflake_time(snowflake_at(moment)) - moment) < timedelta(milliseconds=1)


EDIT_1 = NOW - timedelta(minutes=5)
EDIT_2 = NOW - timedelta(minutes=1)


@pytest.mark.parametrize(("stored", "edited", "expected"), [
    (None, None, "create"),
    (StoredMessage(sf(9), seen=False, content="x", edited_at=EDIT_1, deleted=False), EDIT_1,
     "create"),
    (StoredMessage(sf(9), True, "hi", None, False), EDIT_1, "edit"),
    (StoredMessage(sf(9), True, "hi", EDIT_1, False), EDIT_2, "edit"),
    (StoredMessage(sf(9), True, "hi", EDIT_2, False), EDIT_2, None),
    (StoredMessage(sf(9), True, "hi", EDIT_2, False), EDIT_1, None),
    (StoredMessage(sf(9), True, "hi", None, False), None, None),
], ids=["missing", "placeholder", "first-edit", "newer-edit", "same-edit", "older-edit",
        "unchanged"])
def test_message_changes(stored: StoredMessage | None, edited: datetime | None,
                         expected: str | None) -> None:
    """A missing message becomes a create, a newer edited_timestamp an edit, else nothing."""
    fetched = message(9, "now", edited=edited)
    changes = message_changes(stored, fetched)
    kinds = {MessageCreated: "create", MessageEdited: "edit"}
    assert [kinds[type(c)] for c in changes] == ([expected] if expected else [])
    if expected == "edit":
        assert changes[0] == MessageEdited(fetched.id, THREAD, "now", edited)


def test_vanished_only_for_live_stored_messages() -> None:
    """Tombstones only for stored, seen, not yet deleted messages Discord did not return."""
    stored = {
        1: StoredMessage(1, True, "kept", None, False),
        2: StoredMessage(2, True, "gone", None, False),
        3: StoredMessage(3, True, "deleted live", None, True),
        4: StoredMessage(4, False, None, None, False),
    }
    assert vanished(stored, {1}, THREAD, NOW) == [MessageVanished(2, THREAD, NOW)]


def test_summary_is_one_line() -> None:
    """The report's summary names threads, additions, edits, deletions and reactions."""
    report = CatchUpReport([ThreadReport(1, 10, 3, 2, 1, 4)], skipped=[2],
                           unavailable={3: "gone"})
    assert report.summary() == (
        "1 threads caught up: 3 messages added, 2 edits, 1 deletions, 4 reaction changes; "
        "1 closed before the window; 1 unavailable")


# --- against the store ----------------------------------------------------------------------


async def test_missing_messages_are_added(prompted: Store) -> None:
    """Messages newer than the newest stored one are stored, with authors and text."""
    first = message(50, "stored live")
    await play(prompted, first.comment)
    source = FakeSource({THREAD: ThreadInfo(THREAD, False)},
                        {THREAD: [first, message(40, "missed"), message(30, "missed too")]})
    report = await CatchUp(prompted, source).run()
    assert [t.added for t in report.threads] == [2]
    assert [c.content for c in (await comments(prompted)).values()] == [
        "stored live", "missed", "missed too"]


async def test_edit_and_deletion_found(prompted: Store) -> None:
    """A newer edit becomes a revision; a message Discord lacks a marked tombstone."""
    a, b = message(50, "first text"), message(40, "to be deleted")
    await play(prompted, a.comment, b.comment)
    edited = message(50, "second text", edited=EDIT_1)
    source = FakeSource({THREAD: ThreadInfo(THREAD, False)}, {THREAD: [edited]})
    await CatchUp(prompted, source).run()
    stored = await comments(prompted)
    assert stored[a.id].content == "second text"  # type: ignore[attr-defined]
    assert [r.content for r in stored[a.id].revisions] == ["first text"]  # type: ignore[attr-defined]
    assert stored[b.id].deleted_reason == DELETED_OFFLINE  # type: ignore[attr-defined]


async def test_live_delete_keeps_its_time_and_no_reason(prompted: Store) -> None:
    """A vanish of a message already deleted live changes nothing."""
    a = message(50)
    await play(prompted, a.comment, MessageDeleted(a.id, THREAD, EDIT_1),
               MessageVanished(a.id, THREAD, NOW))
    (stored,) = (await comments(prompted)).values()
    assert (stored.deleted_at, stored.deleted_reason) == (EDIT_1, None)  # type: ignore[attr-defined]


async def test_reactions_reconciled_both_ways(prompted: Store) -> None:
    """Missing reactions are added, absent ones removed; votes follow."""
    a = message(50, emojis=("👍", "🎬"))
    await play(prompted, a.comment, ReactionAdded(a.id, THREAD, 7, "👎", EDIT_1),
               ReactionAdded(a.id, THREAD, 8, "🎬", EDIT_1))
    source = FakeSource({THREAD: ThreadInfo(THREAD, False)}, {THREAD: [a]},
                        {(a.id, "👍"): [5, 6], (a.id, "🎬"): [8]})
    report = await CatchUp(prompted, source).run()
    (stored,) = (await comments(prompted)).values()
    assert {(r.user_id, r.emoji) for r in stored.reactions} == {  # type: ignore[attr-defined]
        (5, "👍"), (6, "👍"), (8, "🎬")}
    assert stored.score == 2  # type: ignore[attr-defined]
    assert report.total("reactions") == 1


@pytest.mark.parametrize("live", ["added", "removed"])
async def test_live_reaction_newer_than_listing_wins(prompted: Store, live: str) -> None:
    """A live reaction event stored after the listing was taken is not undone by it."""
    a = message(50)
    listed_at = NOW - timedelta(seconds=30)
    if live == "added":  # listed without it, added live just after
        events: list[object] = [ReactionAdded(a.id, THREAD, 5, "👍", NOW)]
        listing: frozenset[tuple[int, str]] = frozenset()
    else:  # listed with it, removed live just after
        events = [ReactionAdded(a.id, THREAD, 5, "👍", EDIT_1),
                  ReactionRemoved(a.id, THREAD, 5, "👍", NOW)]
        listing = frozenset({(5, "👍")})
    await play(prompted, a.comment, *events,
               ReactionsReconciled(a.id, THREAD, listed_at, listing))
    (stored,) = (await comments(prompted)).values()
    assert len(stored.reactions) == (1 if live == "added" else 0)  # type: ignore[attr-defined]


async def test_gone_and_long_archived_threads_are_not_asked_for(prompted: Store) -> None:
    """Known-deleted threads and threads archived before the window cost no request."""
    long_ago = NOW - timedelta(days=30)
    await prompted.save_thread_status(ThreadStatus(THREAD, gone_at=long_ago))
    await prompted.save_thread_status(ThreadStatus(OTHER, archived_at=long_ago))
    source = FakeSource({THREAD: ThreadInfo(THREAD, False), OTHER: ThreadInfo(OTHER, True)})
    source.threads.pop(THREAD)  # deleted on Discord
    report = await CatchUp(prompted, source).run()
    assert sorted(report.skipped) == sorted([THREAD, OTHER]) and source.asked == []


async def test_thread_archived_before_window_is_skipped_and_remembered(prompted: Store) -> None:
    """An archived thread past the window is skipped, and its archive time kept."""
    archived = NOW - timedelta(days=20)
    source = FakeSource({THREAD: ThreadInfo(THREAD, True, archived),
                         OTHER: ThreadInfo(OTHER, False)})
    report = await CatchUp(prompted, source).run()
    assert report.skipped == [THREAD] and [t.thread_id for t in report.threads] == [OTHER]
    assert (await prompted.thread_statuses())[THREAD].archived_at == archived


@pytest.mark.parametrize("gone", [True, False])
async def test_unavailable_thread_is_recorded_and_untouched(prompted: Store, gone: bool) -> None:
    """Deleted (404) or forbidden (403): comments stay, the status says which."""
    a = message(50)
    await play(prompted, a.comment)
    source = FakeSource({THREAD: ThreadInfo(THREAD, False), OTHER: ThreadInfo(OTHER, False)},
                        refuse={THREAD: ThreadUnavailable(THREAD, "nope", gone=gone)})
    report = await CatchUp(prompted, source).run()
    assert report.unavailable == {THREAD: "nope"}
    assert [c.deleted for c in (await comments(prompted)).values()] == [False]  # type: ignore[attr-defined]
    status = (await prompted.thread_statuses())[THREAD]
    assert (status.gone_at is not None, status.no_access_at is not None) == (gone, not gone)


async def test_only_an_unknown_thread_is_not_found(prompted: Store) -> None:
    """Asking for a thread that is not a prompt thread is a one-line NotFound."""
    with pytest.raises(NotFound, match="thread 5 is not a filmclub prompt thread"):
        await CatchUp(prompted, FakeSource()).run(only=[5])


async def test_only_reads_a_long_archived_thread_when_asked(prompted: Store) -> None:
    """Named explicitly, a thread archived before the window is caught up anyway."""
    source = FakeSource({THREAD: ThreadInfo(THREAD, True, NOW - timedelta(days=90))},
                        {THREAD: [message(60 * 24 * 20, "old but missed")]})
    report = await CatchUp(prompted, source).run(only=[THREAD])
    assert report.total("added") == 1 and report.skipped == []


async def test_messages_before_the_window_are_not_compared(prompted: Store) -> None:
    """A stored message older than the window is not marked deleted when not listed."""
    old = message(60 * 24 * 10, "ten days old")
    recent = message(10, "recent")
    await play(prompted, old.comment, recent.comment)
    source = FakeSource({THREAD: ThreadInfo(THREAD, False)}, {THREAD: [recent]})
    await CatchUp(prompted, source, window=timedelta(days=7)).run()
    assert [c.deleted for c in (await comments(prompted)).values()] == [False, False]  # type: ignore[attr-defined]



async def test_a_failing_thread_does_not_stop_the_others(prompted: Store) -> None:
    """An unexpected error in one thread is reported; the next thread is still caught up."""

    class Flaky(FakeSource):
        async def messages(self, thread_id: int, after_id: int) -> AsyncIterator[FetchedMessage]:
            if thread_id == THREAD:
                raise RuntimeError("503 Service Unavailable")
            async for item in super().messages(thread_id, after_id):
                yield item

    source = Flaky({THREAD: ThreadInfo(THREAD, False), OTHER: ThreadInfo(OTHER, False)},
                   {OTHER: [message(5, "still read", thread=OTHER)]})
    report = await CatchUp(prompted, source).run()
    assert report.failed == {THREAD: "503 Service Unavailable"}
    assert [(t.thread_id, t.added) for t in report.threads] == [(OTHER, 1)]
    assert report.summary().endswith("; 1 failed (see the log)")
