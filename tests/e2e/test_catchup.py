"""Catch-up after downtime: each kind of change made while the bot was away ends up stored.

The bot is stopped (exit 0), members keep talking in the emulator, and a new bot
process-equivalent is started through `serve()`; its background catch-up must bring the
store level with what Discord (the emulator) holds.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.models import DELETED_OFFLINE
from tests.e2e.catchup_helpers import (
    catch_up_cog,
    caught_up,
    discord_view,
    restart,
    store_view,
)
from tests.e2e.harness import RunningBot, World
from tests.e2e.test_discussion import post_prompt

log = logging.getLogger(__name__)


async def discussion(world: World, runner: RunningBot) -> tuple[int, list[dict[str, Any]]]:
    """A prompt thread with three comments (one a reply) and a vote, all stored live."""
    thread = await post_prompt(world, runner)
    ana, ben, cy = world.members[:3]
    a = await world.emu.say(ana.id, thread, "The tower scene is a confession.")
    b = await world.emu.say(ben.id, thread, "Of what, though?", reply_to=a["id"])
    c = await world.emu.say(cy.id, thread, "Of wanting to be fooled.")
    await world.emu.react(ben.id, a["id"], "👍")
    await runner.settle()
    return thread, [a, b, c]


async def test_messages_sent_while_away_are_stored(world: World, running: RunningBot) -> None:
    """New messages, a reply and an attachment posted while the bot was stopped are stored."""
    thread, (a, _, _) = await discussion(world, running)
    assert await running.stop() == 0
    dee, eve = world.members[3:5]
    d = await world.emu.say(dee.id, thread, "Back from holiday: I agree with Ana.",
                            reply_to=a["id"])
    e = await world.emu.say(eve.id, thread, "", attachments=[{"filename": "still.png",
                                                               "size": 512}])
    later = await restart(world)
    comments = await later.comments(thread)
    by_id = {c.id: c for c in comments}
    assert by_id[int(d["id"])].content == "Back from holiday: I agree with Ana."
    assert by_id[int(d["id"])].parent_id == int(a["id"])
    assert by_id[int(d["id"])].author_name == "Dee"
    assert [x.filename for x in by_id[int(e["id"])].attachments] == ["still.png"]
    assert store_view(comments) == discord_view(world.emu, thread)
    report = catch_up_cog(later).last_report
    assert report is not None and report.total("added") == 2
    assert await later.stop() == 0


async def test_edit_while_away_becomes_a_revision(world: World, running: RunningBot) -> None:
    """An edit made while the bot was stopped is stored with the old text as a revision."""
    thread, (a, _, _) = await discussion(world, running)
    assert await running.stop() == 0
    edited = await world.emu.edit(a["author"]["id"], a["id"], "The tower scene is a trap.")
    later = await restart(world)
    (comment,) = [c for c in await later.comments(thread) if c.id == int(a["id"])]
    assert comment.content == "The tower scene is a trap."
    assert [r.content for r in comment.revisions] == ["The tower scene is a confession."]
    assert comment.edited_at is not None
    assert comment.edited_at.isoformat() == edited["edited_timestamp"]
    assert catch_up_cog(later).last_report.total("edited") == 1  # type: ignore[union-attr]
    assert await later.stop() == 0


async def test_delete_while_away_is_a_marked_tombstone(world: World,
                                                       running: RunningBot) -> None:
    """A message deleted while the bot was stopped stays, marked deleted while offline."""
    thread, (_, b, c) = await discussion(world, running)
    assert await running.stop() == 0
    await world.emu.delete(c["id"])
    later = await restart(world)
    comments = {x.id: x for x in await later.comments(thread)}
    gone = comments[int(c["id"])]
    assert gone.deleted and gone.deleted_reason == DELETED_OFFLINE
    assert gone.content == "Of wanting to be fooled."
    assert not comments[int(b["id"])].deleted
    assert catch_up_cog(later).last_report.total("deleted") == 1  # type: ignore[union-attr]
    assert await later.stop() == 0


async def test_live_delete_has_no_offline_mark(world: World, running: RunningBot) -> None:
    """A delete the bot saw live is a plain tombstone; catch-up afterwards leaves it so."""
    thread, (_, _, c) = await discussion(world, running)
    await world.emu.delete(c["id"])
    await running.settle()
    later = await restart(world, running)
    (gone,) = [x for x in await later.comments(thread) if x.id == int(c["id"])]
    assert gone.deleted and gone.deleted_reason is None
    assert await later.stop() == 0


async def test_reactions_while_away_are_reconciled_both_ways(world: World,
                                                             running: RunningBot) -> None:
    """Votes added, taken back and cleared while the bot was away: store equals Discord."""
    thread, (a, b, c) = await discussion(world, running)
    ana, ben, cy, dee, _ = world.members
    await world.emu.react(cy.id, b["id"], "🍿")
    await world.emu.react(dee.id, c["id"], "👎")
    await running.settle()
    assert await running.stop() == 0
    await world.emu.unreact(ben.id, a["id"], "👍")  # a vote taken back
    await world.emu.react(cy.id, a["id"], "⬆️")  # votes added
    await world.emu.react(dee.id, a["id"], "👍")
    await world.emu.react(ana.id, b["id"], "<:vertigo:987654321098765432>")
    await world.emu.clear_reaction_emoji(b["id"], "🍿")  # one emoji cleared
    await world.emu.clear_reactions(c["id"])  # everything cleared
    later = await restart(world)
    comments = {x.id: x for x in await later.comments(thread)}
    assert store_view(list(comments.values())) == discord_view(world.emu, thread)
    assert comments[int(a["id"])].score == 2
    assert comments[int(c["id"])].score == 0
    assert {r.emoji for r in comments[int(b["id"])].reactions} == {
        "<:vertigo:987654321098765432>"}
    assert await later.stop() == 0


async def test_reconnect_without_resume_catches_up(world: World, running: RunningBot) -> None:
    """A session Discord invalidates (op 9) is followed by a catch-up of what it missed."""
    thread, _ = await discussion(world, running)
    await caught_up(running)

    async def at_once(shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py waits 5 s before identifying again (Discord's limit); no need here."""

    running.bot.before_identify_hook = at_once  # type: ignore[union-attr, method-assign]
    missed = world.emu.build_message(world.members[4].id, thread, "sent during the outage")
    identifies = world.emu.identify_count
    await world.emu.disconnect_bot(resumable=False)
    assert world.emu.identify_count == identifies + 1
    await caught_up(running, runs=2)
    ids = {c.id for c in await running.comments(thread)}
    assert int(missed["id"]) in ids


async def test_resumed_session_needs_no_catch_up(world: World, running: RunningBot) -> None:
    """A resumed session replays what it missed; no catch-up runs for it."""
    thread, _ = await discussion(world, running)
    await caught_up(running)
    await world.emu.disconnect_bot(code=4000, resumable=True, wait=False)
    said = await world.emu.say(world.members[0].id, thread, "while reconnecting")
    await world.emu.wait_until(lambda: world.emu.resume_count == 1)
    assert int(said["id"]) in {c.id for c in await running.comments(thread)}
    assert catch_up_cog(running).runs == 1


async def test_catch_up_twice_changes_nothing(world: World, running: RunningBot) -> None:
    """With nothing missed, a catch-up adds, edits, deletes and reconciles nothing."""
    thread, _ = await discussion(world, running)
    await caught_up(running)
    before = await running.comments(thread)
    report = await catch_up_cog(running).catch_up.run()
    assert (report.total("added"), report.total("edited"), report.total("deleted"),
            report.total("reactions")) == (0, 0, 0, 0)
    assert await running.comments(thread) == before


async def test_live_events_and_catch_up_of_same_messages_leave_one_row(
        world: World, running: RunningBot) -> None:
    """Live messages, edits and votes racing a catch-up of the same thread: one row each."""
    thread, _ = await discussion(world, running)
    await caught_up(running)
    members = world.members
    cog = catch_up_cog(running)

    async def talk() -> list[dict[str, Any]]:
        sent = []
        for i in range(60):
            msg = await world.emu.say(members[i % 5].id, thread, f"live {i}")
            sent.append(msg)
            if i % 3 == 0:
                await world.emu.edit(msg["author"]["id"], msg["id"], f"live {i}, edited")
            if i % 4 == 0:
                await world.emu.react(members[(i + 1) % 5].id, msg["id"], "👍")
            await asyncio.sleep(0)
        return sent

    sent, _ = await asyncio.gather(talk(), cog.catch_up.run())
    await cog.catch_up.run()
    comments = await running.comments(thread)
    assert len({c.id for c in comments}) == len(comments) == 3 + len(sent)
    assert store_view(comments) == discord_view(world.emu, thread)
    for c in comments:
        assert len(c.revisions) == (1 if c.content.endswith(", edited") else 0)


async def test_live_events_keep_flowing_during_a_long_catch_up(world: World,
                                                               running: RunningBot) -> None:
    """While catch-up reads a long missed history, a live message is stored at once."""
    thread, _ = await discussion(world, running)
    assert await running.stop() == 0
    for i in range(600):
        world.emu.build_message(world.members[i % 5].id, thread, f"missed {i}")
    later = RunningBot(world)
    await later.start()
    cog = catch_up_cog(later)
    await world.emu.wait_until(lambda: cog.busy, timeout=10)  # started at on_ready
    live = await world.emu.say(world.members[0].id, thread, "live during catch-up")
    started = asyncio.get_running_loop().time()
    await later.settle()
    waited = asyncio.get_running_loop().time() - started
    assert cog.busy, "catch-up finished before the live message; make the history longer"
    log.info("live message stored %.0f ms after it was sent, during catch-up", waited * 1000)
    assert await later.bot.store.get_comment(int(live["id"])) is not None  # type: ignore[union-attr]
    assert waited < 2
    await caught_up(later)
    assert len(await later.comments(thread)) == 3 + 600 + 1
    assert await later.stop() == 0
