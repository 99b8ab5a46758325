"""Start-up, restart and shutdown of the real bot: command sync, uncached events, SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys

from bot.store import make_store
from tests.e2e.harness import ROOT, RunningBot, World
from tests.e2e.test_discussion import post_prompt


def command_syncs(world: World) -> list[str]:
    return [path for method, path, _ in world.emu.requests
            if method == "PUT" and path.endswith("/commands")]


async def test_global_sync_only_when_commands_changed(world: World) -> None:
    """Without a dev guild, the first start syncs globally; a restart with no change does not."""
    for _ in range(2):
        runner = RunningBot(world)
        await runner.start()
        assert await runner.stop() == 0
    syncs = command_syncs(world)
    assert syncs == [f"/applications/{world.emu.application_id}/commands"]


async def test_dev_guild_sync_happens_every_start(world: World) -> None:
    """With FILMCLUB_DEV_GUILD_ID, commands go to that server at every start."""
    world.extra_env["FILMCLUB_DEV_GUILD_ID"] = str(world.guild.id)
    for _ in range(2):
        runner = RunningBot(world)
        await runner.start()
        assert await runner.stop() == 0
    guild_path = f"/applications/{world.emu.application_id}/guilds/{world.guild.id}/commands"
    assert command_syncs(world) == [guild_path, guild_path]


async def test_after_restart_uncached_delete_and_reaction_are_kept(world: World) -> None:
    """After a restart the bot has no cache; deleting or voting on old messages still counts."""
    first = RunningBot(world)
    await first.start()
    thread = await post_prompt(world, first)
    ana, ben = world.members[:2]
    old = await world.emu.say(ana.id, thread, "from before the restart")
    keep = await world.emu.say(ben.id, thread, "me too")
    await first.settle()
    assert await first.stop() == 0

    second = RunningBot(world)
    await second.start()
    await world.emu.delete(old["id"])
    await world.emu.react(ana.id, keep["id"], "👍")
    await world.emu.edit(ben.id, keep["id"], "me too, edited")
    comments = await second.comments(thread)
    assert [(c.deleted, c.score, c.content) for c in comments] == [
        (True, 0, "from before the restart"), (False, 1, "me too, edited")]
    assert [r.content for r in comments[1].revisions] == ["me too"]
    assert await second.stop() == 0


async def test_sigterm_flushes_and_exits_zero(world: World) -> None:
    """`python -m bot run` as a process: SIGTERM after a burst exits 0 with every comment stored."""
    first = RunningBot(world)  # posts the prompt, then hands over to the real process
    await first.start()
    thread = await post_prompt(world, first)
    assert await first.stop() == 0

    env = {**os.environ, **world.env(), "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=str(world.db_path.parent), env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        identified = world.emu.identify_count
        for _ in range(300):
            if world.emu.identify_count > identified:
                break
            await asyncio.sleep(0.05)
        await world.emu.wait_connected(timeout=15)
        sent = [await world.emu.say(world.members[i % 5].id, thread, f"burst {i}")
                for i in range(200)]
        await asyncio.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, stderr.decode()[-2000:]
    if world.db_url is not None:  # issue 15: the bot on PostgreSQL
        async with make_store(world.db_url, create=False) as store:
            stored = {c.id async for c in store.iter_comments(thread, include_hidden=True)}
    else:
        with sqlite3.connect(world.db_path) as db:
            stored = {row[0] for row in db.execute(
                "SELECT id FROM comments WHERE thread_id = ? AND seen = 1", (thread,))}
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert stored == {int(m["id"]) for m in sent}
