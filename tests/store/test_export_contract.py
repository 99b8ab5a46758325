"""The store's part in exports (issue 4): choosing and ordering comments, change marks,
the export history and finding a prompt by its message. Every backend must pass these."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.models import (
    Article,
    ExportRecord,
    MessageCreated,
    MessageDeleted,
    MessageEdited,
    Prompt,
    ReactionAdded,
    ReactionRemoved,
)
from bot.records.audit import HiddenComment
from bot.store import SQLiteStore, Store
from tests.snowflakes import minute_ids

T0 = datetime(2026, 11, 1, 20, 0, tzinfo=UTC)
THREAD = 1_440_000_000_000_000_000
OTHER = 1_440_000_000_000_000_001
GUILD = 10
ARTICLE = Article(slug="vertigo", title="Vertigo")


sf = minute_ids(T0)  # the id of T0 + minutes, so ids sort like times


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def say(minutes: float, name: str, parent: int | None = None,
        thread: int = THREAD) -> MessageCreated:
    return MessageCreated(sf(minutes), thread, ord(name[0]), name, f"{name} says", at(minutes),
                          parent)


# A (+2) with replies B (−1) and C (+1); C has a reply D (0); E (+1) and F (0) at the top.
A, E, F = say(1, "A"), say(5, "E"), say(6, "F")
B, C = say(2, "B", A.id), say(3, "C", A.id)
D = say(4, "D", C.id)
VOTES = [(A, 7, "👍"), (A, 8, "👍"), (B, 7, "👎"), (C, 9, "👍"), (E, 9, "👍")]


@pytest.fixture
async def thread(store: Store) -> Store:
    """The thread above, in a prompt of GUILD, with a second, empty prompt."""
    await store.add_prompt(Prompt(THREAD, GUILD, 20, THREAD - 5, ARTICLE, T0, 99))
    await store.add_prompt(Prompt(OTHER, GUILD, 20, OTHER, ARTICLE, at(30), 99))
    for event in (A, B, C, D, E, F):
        store.submit(event)
    for target, user, emoji in VOTES:
        store.submit(ReactionAdded(target.id, THREAD, user, emoji, at(10)))
    await store.flush()
    return store


async def read(store: Store, **options: Any) -> list[tuple[str, int]]:
    """(author, depth) in reading order."""
    return [(c.author_name, c.depth) async for c in store.iter_comments(THREAD, **options)]


ORDERS = {
    "oldest": ({}, [("A", 0), ("B", 1), ("C", 1), ("D", 2), ("E", 0), ("F", 0)]),
    "newest": ({"sort": "newest"}, [("F", 0), ("E", 0), ("A", 0), ("C", 1), ("D", 2), ("B", 1)]),
    "top": ({"sort": "top"}, [("A", 0), ("C", 1), ("D", 2), ("B", 1), ("E", 0), ("F", 0)]),
    "min_score": ({"min_score": 1}, [("A", 0), ("C", 1), ("E", 0)]),
    "min_score_negative": ({"min_score": -1}, [("A", 0), ("B", 1), ("C", 1), ("D", 2),
                                               ("E", 0), ("F", 0)]),
    "after_id": ({"after": B.id}, [("C", 0), ("D", 1), ("E", 0), ("F", 0)]),
    "before_id": ({"before": D.id}, [("A", 0), ("B", 1), ("C", 1)]),
    "after_time": ({"after": at(3.5)}, [("D", 0), ("E", 0), ("F", 0)]),
    "before_time": ({"before": at(1.5)}, [("A", 0)]),
    "window_top": ({"after": at(1.5), "before": at(5.5), "sort": "top"},
                   [("C", 0), ("D", 1), ("E", 0), ("B", 0)]),
    "empty_window": ({"after": at(10)}, []),
}


@pytest.mark.parametrize(("options", "expected"), list(ORDERS.values()), ids=list(ORDERS))
async def test_iter_comments_chooses_and_orders(thread: Store, options: dict[str, Any],
                                                expected: list[tuple[str, int]]) -> None:
    """sort, after, before and min_score; a reply whose parent is left out goes to the top."""
    assert await read(thread, **options) == expected


async def test_top_sort_breaks_ties_by_age(thread: Store) -> None:
    """Siblings with the same score keep the older first."""
    thread.submit(ReactionAdded(F.id, THREAD, 7, "👍", at(11)))
    await thread.flush()
    assert [name for name, depth in await read(thread, sort="top") if depth == 0] == [
        "A", "E", "F"]


async def test_unknown_sort_is_refused(thread: Store) -> None:
    """A sort the store does not know is a programming error, not an empty export."""
    with pytest.raises(ValueError, match="unknown comment order"):
        await read(thread, sort="loudest")


async def test_scores_match_the_votes(thread: Store) -> None:
    """The scores the filters use are the scores the comments carry."""
    scores = {c.author_name: c.score async for c in thread.iter_comments(THREAD)}
    assert scores == {"A": 2, "B": -1, "C": 1, "D": 0, "E": 1, "F": 0}


async def changed(store: Store, mark: int) -> list[str]:
    return [c.author_name async for c in store.iter_comments(THREAD, changed_after=mark)]


async def test_export_marks_grow(thread: Store) -> None:
    """Each mark is above the one before it."""
    first, second = await thread.export_mark(), await thread.export_mark()
    assert second > first


async def test_nothing_changed_after_a_fresh_mark(thread: Store) -> None:
    """Right after a mark, no comment has changed since it."""
    mark = await thread.export_mark()
    assert await changed(thread, mark) == []


CHANGES = {
    "new comment": [say(20, "G")],
    "edit": [MessageEdited(B.id, THREAD, "B thinks again", at(20))],
    "delete": [MessageDeleted(B.id, THREAD, at(20))],
    "vote": [ReactionAdded(B.id, THREAD, 70, "👍", at(20))],
    "vote removed": [ReactionRemoved(B.id, THREAD, 7, "👎", at(20))],
    "other reaction": [ReactionAdded(B.id, THREAD, 70, "🎬", at(20))],
}


@pytest.mark.parametrize("events", list(CHANGES.values()), ids=list(CHANGES))
async def test_each_kind_of_change_counts(thread: Store, events: list[Any]) -> None:
    """A comment written, edited, deleted, voted on or reacted to since the mark has changed."""
    mark = await thread.export_mark()
    for event in events:
        thread.submit(event)
    await thread.flush()
    expected = ["G"] if isinstance(events[0], MessageCreated) else ["B"]
    assert await changed(thread, mark) == expected


async def test_a_replayed_event_is_not_a_change(thread: Store) -> None:
    """The same create or vote again (a gateway replay) does not count as a change."""
    mark = await thread.export_mark()
    thread.submit(B)
    thread.submit(ReactionAdded(A.id, THREAD, 7, "👍", at(10)))
    await thread.flush()
    assert await changed(thread, mark) == []


async def test_hiding_and_restoring_count_as_changes(thread: Store) -> None:
    """A comment hidden, then restored, since the mark has changed."""
    mark = await thread.export_mark()
    await thread.hide_comment(HiddenComment(C.id, 99, at(20), "spoiler"))
    hidden = [c.author_name async for c in thread.iter_comments(
        THREAD, changed_after=mark, include_hidden=True)]
    assert hidden == ["C"]
    later = await thread.export_mark()
    await thread.restore_comment(C.id)
    assert await changed(thread, later) == ["C"]


async def test_a_late_comment_with_an_old_time_counts(thread: Store) -> None:
    """Stored after the mark with a time before it (catch-up after downtime): changed."""
    mark = await thread.export_mark()
    thread.submit(say(0.5, "Z"))
    await thread.flush()
    assert await changed(thread, mark) == ["Z"]


async def test_changed_threads_of_a_server(thread: Store) -> None:
    """Only threads with a change since the mark, and only the server's."""
    mark = await thread.export_mark()
    assert await thread.changed_thread_ids(GUILD, mark) == set()
    thread.submit(ReactionAdded(F.id, THREAD, 70, "👍", at(20)))
    await thread.flush()
    assert await thread.changed_thread_ids(GUILD, mark) == {THREAD}
    assert await thread.changed_thread_ids(GUILD + 1, mark) == set()


MOD_ID, MEMBER_ID = 900, 901


def record(key: str, mark: int, minutes: float, by: int | None = None) -> ExportRecord:
    return ExportRecord(scope_key=key, scope="thread", target_id=THREAD, format="md",
                        mark=mark, exported_at=at(minutes), comments=6, exported_by=by)


async def test_last_export_is_the_newest_of_its_key(thread: Store) -> None:
    """The history keeps every export; last_export is the newest with that key."""
    first = await thread.record_export(record("k", 1, 30))
    second = await thread.record_export(record("k", 2, 40))
    await thread.record_export(record("other", 3, 50))
    assert first.id is not None and second.id is not None and second.id > first.id
    assert await thread.last_export("k", exported_by=None) == second
    assert await thread.last_export("nothing", exported_by=None) is None


async def test_last_export_belongs_to_whoever_asked(thread: Store) -> None:
    """Each person's since_last marker is their own: another's export does not move it."""
    mine = await thread.record_export(record("k", 1, 30, by=MOD_ID))
    theirs = await thread.record_export(record("k", 2, 40, by=MEMBER_ID))
    cli = await thread.record_export(record("k", 3, 50))
    assert await thread.last_export("k", exported_by=MOD_ID) == mine
    assert await thread.last_export("k", exported_by=MEMBER_ID) == theirs
    assert await thread.last_export("k", exported_by=None) == cli
    assert await thread.last_export("k", exported_by=12345) is None


@pytest.mark.parametrize(("given", "found"), [
    (THREAD, THREAD), (THREAD - 5, THREAD), (OTHER, OTHER), (12345, None)])
async def test_find_prompt_by_thread_or_message(thread: Store, given: int,
                                                found: int | None) -> None:
    """A prompt is found by its thread id or its message id."""
    prompt = await thread.find_prompt(given)
    assert (prompt.thread_id if prompt else None) == found


async def test_reading_uses_the_same_statements_batch_after_batch(tmp_path: Any) -> None:
    """Batches bind their ids: a long read prepares a handful of SQL texts, not one per batch."""
    async with SQLiteStore(tmp_path / "long.db") as store:
        await store.add_prompt(Prompt(THREAD, GUILD, 20, THREAD, ARTICLE, T0, 99))
        for n in range(1, 401):
            store.submit(MessageCreated(sf(n), THREAD, n % 7, "m", "text", at(n), None))
            store.submit(ReactionAdded(sf(n), THREAD, 1, "👍", at(n)))
        await store.flush()
        texts: set[str] = set()
        await store._db.set_trace_callback(texts.add)
        count = len([c async for c in store.iter_comments(THREAD, batch_size=50)])
        await store._db.set_trace_callback(None)
    assert count == 400
    # The trace shows statements with their values filled in; put the placeholder back.
    shapes = {re.sub(r"json_each\('\[[0-9, ]*\]'\)", "json_each(?)", t) for t in texts}
    assert len(shapes) == 5  # the tree, then scores, attachments, versions and reactions
