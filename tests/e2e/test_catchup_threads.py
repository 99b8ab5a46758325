"""Catch-up over threads: which ones it reads, deleted and forbidden threads, and on demand.

`/discussion resync` and `filmclub catch-up` run the same catch-up as the bot's start.
"""

from __future__ import annotations

import asyncio
import os
import sys

from tests.e2e.catchup_helpers import catch_up_cog, caught_up, eventually, restart
from tests.e2e.harness import ROOT, RunningBot, World
from tests.e2e.test_discussion import post_prompt
from tests.e2e.test_event_order import post_prompt_in


async def two_threads(world: World, runner: RunningBot) -> tuple[int, int]:
    """Two prompt threads with one stored comment each."""
    first = await post_prompt_in(world, runner, "vertigo-the-second-fall")
    second = await post_prompt_in(world, runner, "stalker-the-room")
    for thread in (first, second):
        await world.emu.say(world.members[0].id, thread, f"first words in {thread}")
    await runner.settle()
    return first, second


async def test_recently_archived_thread_is_caught_up(world: World, running: RunningBot) -> None:
    """A thread archived within the window is read like an open one."""
    _, second = await two_threads(world, running)
    assert await running.stop() == 0
    world.emu.build_message(world.members[1].id, second, "said just before it closed")
    await world.emu.archive_thread(second)
    later = await restart(world)
    assert [c.content for c in await later.comments(second)] == [
        f"first words in {second}", "said just before it closed"]
    assert await later.stop() == 0


async def test_thread_archived_before_window_is_left_alone(world: World,
                                                          running: RunningBot) -> None:
    """With a zero-day window, an archived thread is skipped and not read at all."""
    world.extra_env["FILMCLUB_CATCHUP_DAYS"] = "0"
    first, second = await two_threads(world, running)
    assert await running.stop() == 0
    await world.emu.archive_thread(second)
    world.emu.build_message(world.members[1].id, first, "missed in the open thread")
    requests_before = len(world.emu.requests)
    later = await restart(world)
    read = [path for method, path, _ in world.emu.requests[requests_before:]
            if method == "GET" and path.startswith(f"/channels/{second}/messages")]
    assert read == []
    assert catch_up_cog(later).last_report.skipped == [second]  # type: ignore[union-attr]
    assert len(await later.comments(first)) == 2
    assert await later.stop() == 0


async def test_deleted_thread_keeps_its_history(world: World, running: RunningBot) -> None:
    """A prompt thread deleted on Discord keeps every stored comment, none marked deleted."""
    _, second = await two_threads(world, running)
    await world.emu.say(world.members[2].id, second, "a second comment")
    await running.settle()
    await world.emu.delete_thread(second)
    store = running.bot.store  # type: ignore[union-attr]

    async def marked_gone() -> bool:
        status = (await store.thread_statuses()).get(second)
        return status is not None and status.gone_at is not None

    await eventually(marked_gone)
    later = await restart(world, running)
    comments = await later.comments(second)
    assert [(c.content, c.deleted) for c in comments] == [
        (f"first words in {second}", False), ("a second comment", False)]
    assert second in catch_up_cog(later).last_report.skipped  # type: ignore[union-attr]
    assert await later.stop() == 0


async def test_thread_deleted_while_away_keeps_its_history(world: World,
                                                           running: RunningBot) -> None:
    """Deleted while the bot was stopped: catch-up finds it gone and keeps what is stored."""
    _, second = await two_threads(world, running)
    assert await running.stop() == 0
    await world.emu.delete_thread(second)
    later = await restart(world)
    report = catch_up_cog(later).last_report
    assert report is not None and "no longer exists" in report.unavailable[second]
    assert [(c.deleted, c.deleted_reason) for c in await later.comments(second)] == [
        (False, None)]
    assert (await later.bot.store.thread_statuses())[second].gone_at is not None  # type: ignore[union-attr]
    assert await later.stop() == 0


async def test_lost_access_keeps_history_and_is_reported(world: World,
                                                         running: RunningBot) -> None:
    """Discord refusing the history (403) leaves the thread's comments as they are."""
    first, second = await two_threads(world, running)
    assert await running.stop() == 0
    world.emu.fail_next("GET", f"^/channels/{second}/messages", status=403, count=1)
    later = await restart(world)
    report = catch_up_cog(later).last_report
    assert report is not None and "refuses me access" in report.unavailable[second]
    assert [c.deleted for c in await later.comments(second)] == [False]
    assert (await later.bot.store.thread_statuses())[second].no_access_at is not None  # type: ignore[union-attr]
    assert [t.thread_id for t in report.threads] == [first]
    assert await later.stop() == 0


async def test_resync_command_catches_up_one_thread(world: World, running: RunningBot) -> None:
    """/discussion resync in a thread reads what the live events missed, answers in one line."""
    thread = await post_prompt(world, running)
    await caught_up(running)
    missed = world.emu.build_message(world.members[0].id, thread, "the gateway lost this one")
    inter = await world.emu.invoke(world.mod.id, thread, "discussion resync")
    await inter.wait_for(lambda i: bool(i.followups))
    answer = inter.followups[-1]["content"]
    assert inter.ephemeral and "\n" not in answer
    assert answer.startswith("Resynced: 1 threads caught up: 1 messages added")
    assert [c.id for c in await running.comments(thread)] == [int(missed["id"])]


async def test_resync_of_deleted_thread_says_why(world: World, running: RunningBot) -> None:
    """Resync of a thread Discord no longer has: one line saying so; history untouched."""
    thread = await post_prompt(world, running)
    await world.emu.say(world.members[0].id, thread, "kept")
    await running.settle()
    world.emu.fail_next("GET", f"^/channels/{thread}/messages", status=404, count=1)
    inter = await world.emu.invoke(world.mod.id, world.channel.id, "discussion resync",
                                   {"thread": thread})
    await inter.wait_for(lambda i: bool(i.followups))
    answer = inter.followups[-1]["content"]
    assert "no longer exists on Discord" in answer and "\n" not in answer
    assert [(c.content, c.deleted) for c in await running.comments(thread)] == [("kept", False)]


async def test_resync_refused_to_members(world: World, running: RunningBot) -> None:
    """A member without Manage Messages is refused privately; nothing is read."""
    thread = await post_prompt(world, running)
    await caught_up(running)
    before = len(world.emu.requests)
    inter = await world.emu.invoke(world.members[0].id, thread, "discussion resync")
    await inter.wait()
    assert inter.ephemeral and "Manage Messages" in inter.response["content"]
    assert not any(path.startswith(f"/channels/{thread}/messages")
                   for _, path, _ in world.emu.requests[before:])


async def test_resync_of_a_non_prompt_thread_is_one_line(world: World,
                                                         running: RunningBot) -> None:
    """Naming a thread that is not a prompt thread is refused in one line."""
    other = world.emu.add_thread(world.channel.id, "chit-chat")
    inter = await world.emu.invoke(world.mod.id, world.channel.id, "discussion resync",
                                   {"thread": other.id})
    await inter.wait()
    assert "is not a filmclub prompt thread" in inter.response["content"]


async def test_cli_catch_up_while_bot_is_stopped(world: World, running: RunningBot) -> None:
    """`filmclub catch-up` stores what was missed, through the HTTP API alone, and says so."""
    thread, _ = await two_threads(world, running)
    assert await running.stop() == 0
    missed = await world.emu.say(world.members[3].id, thread, "posted while nobody listened")
    await world.emu.edit(world.members[0].id, (await _first(world, thread))["id"],
                         "first words, edited")
    env = {**os.environ, **world.env(), "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "catch-up", "--thread", str(thread),
        cwd=str(world.db_path.parent), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert out.decode().strip() == (
        "1 threads caught up: 1 messages added, 1 edits, 0 deletions, 0 reaction changes")
    assert world.emu.identify_count == 1  # no gateway session: REST only
    later = RunningBot(world)
    await later.start()
    comments = await later.comments(thread)
    assert [c.content for c in comments] == ["first words, edited", missed["content"]]
    assert comments[0].revisions[0].content == f"first words in {thread}"
    assert await later.stop() == 0


async def _first(world: World, thread: int) -> dict[str, object]:
    return next(m for m in world.emu.messages_in(thread) if not m["author"].get("bot"))


async def test_cli_catch_up_of_unknown_thread_is_one_line(world: World,
                                                          running: RunningBot) -> None:
    """`filmclub catch-up --thread` with a thread that is not a prompt: one line, status 2."""
    await post_prompt(world, running)
    assert await running.stop() == 0
    env = {**os.environ, **world.env(), "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "catch-up", "--thread", "1300000000000012345",
        cwd=str(world.db_path.parent), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2
    assert err.decode().strip().splitlines()[-1] == (
        "filmclub: thread 1300000000000012345 is not a filmclub prompt thread")

