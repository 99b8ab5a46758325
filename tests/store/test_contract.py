"""The store contract: every backend must pass these."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.models import (
    Article,
    Attachment,
    MessageCreated,
    MessageDeleted,
    MessageEdited,
    Prompt,
    ReactionAdded,
    ReactionRemoved,
    ReactionsCleared,
)
from bot.store import Store
from tests.snowflakes import minute_ids

T0 = datetime(2026, 11, 1, 20, 0, tzinfo=UTC)
THREAD = 1_300_000_000_000_000_000
ARTICLE = Article(slug="vertigo", title="Vertigo at 68", questions=("Why does Scottie fall?",))


sf = minute_ids(T0)  # the id of T0 + minutes, so ids sort like times


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def created(minutes: float, author: int = 1, text: str = "hi", parent: int | None = None,
            **kw: object) -> MessageCreated:
    return MessageCreated(id=sf(minutes), thread_id=THREAD, author_id=author,
                          author_name=f"member{author}", content=text, created_at=at(minutes),
                          parent_id=parent, **kw)  # type: ignore[arg-type]


async def snapshot(store: Store) -> list[tuple]:
    """Everything observable about the thread, as plain tuples."""
    rows = []
    async for c in store.iter_comments(THREAD):
        rows.append((c.id, c.depth, c.author_name, c.content, c.edited_at, c.deleted_at, c.score,
                     tuple(c.revisions), tuple((r.user_id, r.emoji) for r in c.reactions),
                     tuple(c.attachments)))
    return rows


@pytest.fixture
async def prompt_store(store: Store) -> Store:
    await store.add_prompt(Prompt(THREAD, 10, 20, THREAD, ARTICLE, T0, 99))
    return store


async def play(store: Store, events: list) -> list[tuple]:
    for e in events:
        store.submit(e)
    await store.flush()
    return await snapshot(store)


async def test_prompt_round_trips(prompt_store: Store) -> None:
    """A prompt comes back with its article intact."""
    prompt = await prompt_store.get_prompt(THREAD)
    assert prompt is not None and prompt.article == ARTICLE and prompt.posted_at == T0
    assert await prompt_store.prompt_thread_ids() == {THREAD}


async def test_comment_with_attachment_and_reply_tree(prompt_store: Store) -> None:
    """Replies come right after what they answer, with depth."""
    a = created(1, 1, "first")
    b = created(2, 2, "second")
    c = created(3, 3, "reply to first", parent=a.id,
                attachments=(Attachment(sf(3) + 1, "still.png", "https://x/still.png", 42),))
    d = created(4, 1, "reply to reply", parent=c.id)
    rows = await play(prompt_store, [a, b, c, d])
    assert [(r[0], r[1]) for r in rows] == [(a.id, 0), (c.id, 1), (d.id, 2), (b.id, 0)]
    assert rows[1][9][0].filename == "still.png"


async def test_edit_adds_revision_only_when_text_changes(prompt_store: Store) -> None:
    """An edit keeps the old text as a revision; a no-change edit adds nothing."""
    a = created(1, text="orig")
    rows = await play(prompt_store, [a, MessageEdited(a.id, THREAD, "orig", at(2))])
    assert rows[0][4] is None and rows[0][7] == ()
    rows = await play(prompt_store, [MessageEdited(a.id, THREAD, "new", at(3))])
    assert rows[0][3] == "new" and rows[0][4] == at(3)
    assert [(r.content, r.replaced_at) for r in rows[0][7]] == [("orig", at(3))]


async def test_duplicates_and_disorder_equal_once_in_order(store: Store, tmp_path) -> None:
    """Every event twice, and edits/deletes/reactions before their create, give the same rows."""
    a, b = created(1, text="v1"), created(2, 2, "other")
    in_order = [
        a, b,
        MessageEdited(a.id, THREAD, "v2", at(3)),
        MessageEdited(a.id, THREAD, "v3", at(4)),
        ReactionAdded(a.id, THREAD, 2, "👍", at(5)),
        ReactionAdded(a.id, THREAD, 3, "👎", at(5)),
        ReactionAdded(a.id, THREAD, 4, "🎬", at(5)),
        ReactionRemoved(a.id, THREAD, 3, "👎", at(6)),
        MessageDeleted(b.id, THREAD, at(7)),
    ]
    await store.add_prompt(Prompt(THREAD, 10, 20, THREAD, ARTICLE, T0, 99))
    expected = await play(store, in_order)
    assert expected[0][3] == "v3" and expected[0][6] == 1 and expected[1][5] == at(7)
    assert [r.content for r in expected[0][7]] == ["v1", "v2"]

    from bot.store import SQLiteStore
    for name, events in {
        "twice": [e for e in in_order for _ in range(2)],
        "replayed": in_order + in_order,
        "edits first": [in_order[3], in_order[2], in_order[8], in_order[4], a, b, *in_order[5:8]],
    }.items():
        async with SQLiteStore(tmp_path / f"{name}.db") as other:
            await other.add_prompt(Prompt(THREAD, 10, 20, THREAD, ARTICLE, T0, 99))
            assert await play(other, events) == expected, name


async def test_votes_once_per_member_latest_wins(prompt_store: Store) -> None:
    """Two vote emoji from one member count once; removing restores; skin tones count."""
    a = created(1)
    rows = await play(prompt_store, [
        a,
        ReactionAdded(a.id, THREAD, 2, "👍", at(2)),
        ReactionAdded(a.id, THREAD, 2, "⬆️", at(3)),
        ReactionAdded(a.id, THREAD, 3, "👍🏽", at(3)),
        ReactionAdded(a.id, THREAD, 4, "⬇️", at(3)),
    ])
    assert rows[0][6] == 1 + 1 - 1
    rows = await play(prompt_store, [ReactionsCleared(a.id, THREAD, at(4), emoji="⬇️")])
    assert rows[0][6] == 2
    rows = await play(prompt_store, [ReactionsCleared(a.id, THREAD, at(5))])
    assert rows[0][6] == 0 and rows[0][8] == ()


async def test_delete_of_unseen_message_is_not_a_comment(prompt_store: Store) -> None:
    """A delete for a message never stored leaves no visible comment until its create arrives."""
    a = created(1)
    assert await play(prompt_store, [MessageDeleted(a.id, THREAD, at(2))]) == []
    rows = await play(prompt_store, [a])
    assert rows[0][5] == at(2)


async def test_meta_round_trips(store: Store) -> None:
    """Named values are stored and replaced."""
    assert await store.get_meta("k") is None
    await store.set_meta("k", "1")
    await store.set_meta("k", "2")
    assert await store.get_meta("k") == "2"


async def test_event_for_unknown_thread_is_dropped_alone(prompt_store: Store) -> None:
    """A bad event in a batch is dropped without losing the others."""
    good = created(1)
    bad = MessageCreated(sf(2), 5, 1, "x", "lost", at(2))
    rows = await play(prompt_store, [bad, good])
    assert [r[0] for r in rows] == [good.id]


@pytest.mark.parametrize("text", [
    "nul \x00 inside", "😀👍🏽👨‍👩‍👧 and ⬆️", "\u202eevil\u202c text", "e\u0301\u0301\u0301\u0301",
    "zero\u200b\u200cwidth\ufeff", 'quote " back \\ slash \\u0041', "tab\tnl\ncr\r",
    "x" * 2000, "", "\x01\x1f\x7f controls",
])
async def test_text_round_trips_exactly(prompt_store: Store, text: str) -> None:
    """Whatever a member wrote comes back byte for byte, in a batch with ordinary rows."""
    odd = created(1, 7, text)
    odd = MessageCreated(odd.id, THREAD, 7, f"name {text[:20]}", text, odd.created_at)
    rows = await play(prompt_store, [created(0.5, 1, "plain"), odd, created(2, 2, "plain")])
    assert [r[3] for r in rows] == ["plain", text, "plain"]
    assert rows[1][2] == f"name {text[:20]}"


async def test_late_edit_does_not_hide_a_later_one(prompt_store: Store) -> None:
    """An edit arriving after a newer one that restored the text: the newest text wins."""
    a = created(1, text="A")
    rows = await play(prompt_store, [
        a,
        MessageEdited(a.id, THREAD, "A", at(2)),  # an edit that changed nothing
        MessageEdited(a.id, THREAD, "A", at(4)),  # back to A, after B below
        MessageEdited(a.id, THREAD, "B", at(3)),  # late
    ])
    assert rows[0][3] == "A" and rows[0][4] == at(4)
    assert [(r.content, r.replaced_at) for r in rows[0][7]] == [("A", at(3)), ("B", at(4))]
