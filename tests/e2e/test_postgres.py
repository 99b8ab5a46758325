"""The real bot on PostgreSQL (issue 15): started as `filmclub run` is, with FILMCLUB_DB a
postgresql:// URL, through the emulator: a prompt posted, its discussion captured (replies,
an edit, a deletion, votes), exported through /export, and all of it still there after a
restart. The rest of the end-to-end suite runs on SQLite; the store's own behaviour is
the contract suite's, on both backends."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from bot.store.postgres import PostgresStore
from tests.e2e.harness import RunningBot, World
from tests.e2e.moderating import post, run, text
from tests.export.test_json import validator


@pytest.fixture
async def on_postgres(world: World, postgres_url: str) -> AsyncIterator[RunningBot]:
    """The bot on a PostgreSQL database of its own, stopped (exit 0) after the test."""
    world.db_url = postgres_url
    runner = RunningBot(world)
    await runner.start()
    yield runner
    if runner.task is not None and not runner.task.done():
        assert await runner.stop() == 0


async def test_prompt_capture_and_export_on_postgresql(world: World, on_postgres: RunningBot,
                                                       postgres_url: str) -> None:
    """Prompt → replies, edit, delete, votes stored in PostgreSQL → /export → kept on restart."""
    runner = on_postgres
    assert runner.bot is not None and isinstance(runner.bot.store, PostgresStore)
    emu = world.emu
    thread = await post(world)
    ana, ben, cy, _dee, eve = world.members
    a = await emu.say(ana.id, thread, "Judy performs, and we wait.")
    b = await emu.say(ben.id, thread, "I disagree: the suspense is gone.", reply_to=a["id"])
    c = await emu.say(cy.id, thread, "It moves from what to when.", reply_to=a["id"])
    e = await emu.say(eve.id, thread, "oops, wrong thread")
    await emu.edit(cy.id, c["id"], "It moves from *what* to *when*.")
    await emu.delete(e["id"])
    for who, target, emoji in ((ben, a, "👍"), (cy, a, "👍"), (ana, b, "👎")):
        await emu.react(who.id, target["id"], emoji)
    comments = await runner.comments(thread)
    by_id = {cm.id: cm for cm in comments}
    assert [cm.author_name for cm in comments] == ["Ana", "Ben", "Cy", "Eve"]
    assert by_id[int(a["id"])].score == 2 and by_id[int(b["id"])].score == -1
    assert by_id[int(b["id"])].parent_id == int(a["id"]) and by_id[int(b["id"])].depth == 1
    edited = by_id[int(c["id"])]
    assert edited.content == "It moves from *what* to *when*."
    assert [r.content for r in edited.revisions] == ["It moves from what to when."]
    assert by_id[int(e["id"])].deleted_at is not None

    inter = await run(world, world.mod, thread, "export", {"format": "json"})
    assert len(inter.files) == 1, inter.summary()
    name, data = inter.files[0]
    assert name.endswith(f"-{thread}.json")
    document = json.loads(data)
    validator().validate(document)
    shown = [(m["author"]["name"], m["filmclub"]["depth"]) for m in document["messages"]]
    assert shown == [("Ana", 0), ("Ben", 1), ("Cy", 1), ("Eve", 0)]  # Eve's: a tombstone
    assert text(inter).startswith(f"<#{thread}>: 3 comments as json")  # the deleted not counted

    assert await runner.stop() == 0
    again = RunningBot(world)
    await again.start()
    try:
        after = await again.comments(thread)
        assert [(cm.id, cm.content, cm.score) for cm in after] == [
            (cm.id, cm.content, cm.score) for cm in comments]
    finally:
        assert await again.stop() == 0
