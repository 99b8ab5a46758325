"""Shards end to end (issue 15), in one process on SQLite: the real bot as discord.py's
AutoShardedBot against the emulator's sharded gateway, servers spread over two shards.

(The two-process test on PostgreSQL is ``test_shard_processes.py``.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.emulator import DiscordEmulator
from bot.schedule import make_schedule
from bot.store import SQLiteStore
from tests.e2e.catchup_helpers import caught_up
from tests.e2e.harness import RunningBot
from tests.e2e.prompting import FIRST_SLOT, MONDAY, Clock, cog, prompts_in
from tests.e2e.sharding import (
    add_servers,
    barrier,
    comments_of,
    discuss,
    post_prompt,
    stored_once,
    world_of,
)
from tests.e2e.test_operations import free_port, scrape, until_health


@pytest.fixture
async def runners() -> AsyncIterator[list[RunningBot]]:
    """Bots a test started; those still running at its end (it failed) are stopped."""
    started: list[RunningBot] = []
    yield started
    for runner in started:
        if runner.task is not None and not runner.task.done():
            await runner.stop()


def commands_synced(emu: DiscordEmulator) -> int:
    """How many times the bot registered its application commands."""
    return sum(1 for method, path, _ in emu.requests
               if method == "PUT" and path.endswith("/commands"))


async def test_one_process_runs_two_shards(emu: DiscordEmulator, tmp_path: Path,
                                           runners: list[RunningBot]) -> None:
    """Shards 0-1 of 2 in one process: two sessions, each server on its shard; prompts,
    comments, edits and votes in all three servers stored once; a scheduled prompt once."""
    servers = add_servers(emu)
    world = world_of(emu, servers, tmp_path / "filmclub.db",
                     FILMCLUB_SHARD_COUNT="2", FILMCLUB_SHARD_IDS="0-1")
    clock = Clock()
    runner = RunningBot(world, configure=lambda bot: setattr(bot, "clock", clock))
    runners.append(runner)
    bot = await runner.start(timeout=30)
    assert type(bot).__name__ == "ShardedFilmClub"
    assert emu.connected_shards() == {(0, 2), (1, 2)}
    assert {g.id: g.shard_id for g in bot.guilds} == {s.guild.id: s.shard for s in servers}
    assert commands_synced(emu) == 1  # this process runs shard 0

    threads = [await post_prompt(emu, server) for server in servers]
    for n, (server, thread) in enumerate(zip(servers, threads, strict=True)):
        await discuss(emu, server, thread, f"server {n + 1}")
    await barrier(emu, bot.store)
    assert len(await bot.store.list_prompts()) == 3
    for thread in threads:
        comments = await comments_of(bot.store, thread)
        assert len(comments) == 3
        assert stored_once(emu, thread, comments) == []
        assert [len(c.revisions) for c in comments] == [0, 1, 0]  # the edit, seen live

    # A schedule in the server on shard 1: its slot posts one prompt, in that server.
    second = servers[1]
    await bot.store.set_schedule(make_schedule(
        second.guild.id, second.channel.id, "daily", "19:30", "Europe/Paris", None, now=MONDAY))
    clock.move_to(FIRST_SLOT + timedelta(seconds=1))
    cog(runner).wake()
    await emu.wait_until(lambda: len(prompts_in(world, second.channel.id)) == 2, 30)
    cog(runner).wake()
    await barrier(emu, bot.store)
    assert len(prompts_in(world, second.channel.id)) == 2  # /prompt post's and the slot's
    assert all(len(prompts_in(world, s.channel.id)) == 1 for s in (servers[0], servers[2]))
    assert await runner.stop() == 0


async def test_a_process_looks_after_its_own_shards_only(
        emu: DiscordEmulator, tmp_path: Path, runners: list[RunningBot],
        caplog: pytest.LogCaptureFixture) -> None:
    """Shard 0 of 2 alone posts the due slots of its servers, not shard 1's, and syncs the
    commands; shard 1 of 2 alone then posts shard 1's slot and syncs nothing. Each start
    warns that on SQLite the other shard's servers have no bot meanwhile."""
    servers = add_servers(emu)
    db = tmp_path / "filmclub.db"
    async with SQLiteStore(db) as store:
        for server in servers:
            await store.set_schedule(make_schedule(
                server.guild.id, server.channel.id, "daily", "19:30", "Europe/Paris", None,
                now=MONDAY))
    clock = Clock(FIRST_SLOT + timedelta(seconds=1))
    for shard in (0, 1):
        world = world_of(emu, servers, db, FILMCLUB_SHARD_COUNT="2",
                         FILMCLUB_SHARD_IDS=str(shard))
        synced = commands_synced(emu)
        runner = RunningBot(world, configure=lambda bot: setattr(bot, "clock", clock))
        runners.append(runner)
        caplog.clear()
        bot = await runner.start(timeout=30)
        assert emu.connected_shards() == {(shard, 2)}
        assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"
                and "which no other process can share" in r.getMessage()] == [
            f"this process runs shards {shard} of 2 on a SQLite file, which no other process "
            "can share: the servers of the other shards have no bot until it runs them too; "
            "several shard processes need FILMCLUB_DB=postgresql://…"]
        assert {g.id for g in bot.guilds} == {s.guild.id for s in servers if s.shard == shard}
        mine = [s for s in servers if s.shard == shard]
        await emu.wait_until(lambda mine=mine, world=world: all(
            len(prompts_in(world, s.channel.id)) == 1 for s in mine), 30)
        cog(runner).wake()
        await barrier(emu, bot.store)
        for server in servers:
            posted = len(prompts_in(world, server.channel.id))
            assert posted == (1 if server.shard <= shard else 0), (shard, server.shard, posted)
        assert commands_synced(emu) - synced == (1 if shard == 0 else 0)
        assert await runner.stop() == 0


async def test_a_shard_starting_a_fresh_session_alone_is_caught_up(
        emu: DiscordEmulator, tmp_path: Path, runners: list[RunningBot]) -> None:
    """Shard 1's session invalidated, shard 0's kept: what its servers said meanwhile is
    read back by a catch-up after shard 1 identifies again (discord.py says only
    shard_ready then, not ready)."""
    servers = add_servers(emu)
    world = world_of(emu, servers, tmp_path / "filmclub.db",
                     FILMCLUB_SHARD_COUNT="2", FILMCLUB_SHARD_IDS="0-1")
    runner = RunningBot(world)
    runners.append(runner)
    bot = await runner.start(timeout=30)
    second = servers[1]
    thread = await post_prompt(emu, second)
    await caught_up(runner)
    runs = bot.catch_ups.runs
    identified = emu.identify_count
    await emu.disconnect_bot(resumable=False, wait=False, shard=(1, 2))
    missed = [await emu.say(second.members[0].id, thread, f"while shard 1 was away {n}")
              for n in range(3)]  # no session of shard 1: Discord keeps these from the bot
    await emu.wait_until(lambda: emu.identify_count > identified, 30)
    await caught_up(runner, runs=runs + 1, timeout=60)
    await barrier(emu, bot.store)
    stored = await comments_of(bot.store, thread)
    assert [c.id for c in stored] == [int(m["id"]) for m in missed]
    assert stored_once(emu, thread, stored) == []
    assert emu.connected_shards() == {(0, 2), (1, 2)}
    assert await runner.stop() == 0


async def test_metrics_and_health_report_each_shard(emu: DiscordEmulator, tmp_path: Path,
                                                    runners: list[RunningBot]) -> None:
    """Shards 0-1 of 2 with FILMCLUB_METRICS_PORT: /healthz names both shards connected,
    /metrics gives each its gateway latency and connection."""
    servers = add_servers(emu)
    port = free_port()
    world = world_of(emu, servers, tmp_path / "filmclub.db", FILMCLUB_SHARD_COUNT="2",
                     FILMCLUB_SHARD_IDS="0-1", FILMCLUB_METRICS_PORT=str(port))
    runner = RunningBot(world)
    runners.append(runner)
    await runner.start(timeout=30)
    body = await until_health(port, 200, timeout=60)
    assert body["gateway"] == {"connected": True,
                               "shards": {"0": "connected", "1": "connected"}}, body
    samples = await scrape(port)
    shards_seen = {dict(labels).get("shard") for name, labels in samples
                   if name == "filmclub_gateway_latency_seconds"}
    assert shards_seen == {"0", "1"}, sorted(samples)
    assert await runner.stop() == 0
