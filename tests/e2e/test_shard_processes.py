"""Two shard processes on one PostgreSQL (issue 15): `python -m bot run` as shard 0 and as
shard 1 of 2, the emulator's sharded gateway, three servers spread over both shards.

Prompts, comments, edits and votes are each delivered to one process and stored once; a
due scheduled prompt is posted once, by the process owning its server; one process is
killed with SIGKILL while members go on talking, restarted, and after its catch-up the
database holds every server's discussion as Discord has it.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

from bot.emulator import DiscordEmulator
from bot.models import utcnow
from bot.schedule import make_schedule
from bot.store import make_store
from bot.store.base import Store
from tests.e2e.catchup_helpers import eventually
from tests.e2e.sharding import (
    Server,
    add_servers,
    comments_of,
    discuss,
    post_prompt,
    stored_once,
    world_of,
)
from tests.e2e.test_crash import BotProcess

SCHEDULED = "stalker-the-room"
CAUGHT_UP = "catch-up: 2 threads caught up"  # shard 1 owns two: prompted, scheduled


@contextlib.asynccontextmanager
async def opened(url: str) -> AsyncIterator[Store]:
    """The PostgreSQL store at ``url``, as the bot opens it (FILMCLUB_DB's factory)."""
    async with make_store(url) as store:
        yield store


@contextlib.asynccontextmanager
async def shard_processes(emu: DiscordEmulator, servers: list[Server], url: str,
                          tmp_path: Path, shards: tuple[int, ...] = (0, 1)
                          ) -> AsyncIterator[dict[int, BotProcess]]:
    """Shard 0 and shard 1 of 2 (or ``shards``), each `python -m bot run`, started and
    connected."""
    processes: dict[int, BotProcess] = {}
    try:
        for shard in shards:
            folder = tmp_path / f"shard{shard}"
            folder.mkdir()
            world = world_of(emu, servers, folder / "unused.db", FILMCLUB_DB=url,
                             FILMCLUB_SHARD_COUNT="2", FILMCLUB_SHARD_IDS=str(shard))
            processes[shard] = BotProcess(world)
            await start(processes[shard], emu, shard)
        yield processes
    finally:
        for process in processes.values():  # as SIGTERM stops them; a test that failed
            if process.proc is not None and process.proc.returncode is None:  # may leave one
                with contextlib.suppress(Exception):
                    await process.stop(signal.SIGTERM)
            await process.ensure_dead()


async def start(process: BotProcess, emu: DiscordEmulator, shard: int) -> None:
    """Start ``process`` and wait until its shard's session is up and its bot is ready."""
    await process.start()
    await emu.wait_until(lambda: (shard, 2) in emu.connected_shards(), 30)
    await process.wait_for_line("connected as", timeout=60)


def delivered_to(emu: DiscordEmulator, message_id: int) -> int:
    """How many gateway sessions were sent the MESSAGE_CREATE of ``message_id``."""
    marker = f'"id":"{message_id}"'
    return sum(any('"t":"MESSAGE_CREATE"' in frame and marker in frame
                   for _, frame in session.buffer)
               for session in emu.gateway.sessions.values())


async def test_two_shard_processes_on_one_postgresql(
        emu: DiscordEmulator, postgres_url: str, tmp_path: Path) -> None:
    """Shards 0 and 1 of 2 in two processes: everything stored once, the scheduled prompt
    posted once, and a SIGKILLed process restarted loses nothing after its catch-up."""
    servers = add_servers(emu)
    on_shard_1 = servers[1]
    weekly = emu.add_text_channel(on_shard_1.guild.id, "weekly")
    async with opened(postgres_url) as store:
        # A schedule whose slot passed while no bot ran: due as soon as its owner starts.
        await store.set_schedule(make_schedule(
            on_shard_1.guild.id, weekly.id, "daily", "00:00", "UTC", None,
            now=utcnow() - timedelta(days=2)))
        await store.enqueue(on_shard_1.guild.id, SCHEDULED, added_at=utcnow())

        async with shard_processes(emu, servers, postgres_url, tmp_path) as processes:
            await emu.wait_until(lambda: bool(emu.messages_in(weekly.id)), 60)
            threads = [await post_prompt(emu, server) for server in servers]
            for n, (server, thread) in enumerate(zip(servers, threads, strict=True)):
                await discuss(emu, server, thread, f"server {n + 1}")

            async def stored() -> bool:
                for thread in threads:
                    if stored_once(emu, thread, await comments_of(store, thread)):
                        return False
                return True

            await eventually(stored, timeout=60)
            prompts = await store.list_prompts()
            assert sorted(p.guild_id for p in prompts) == sorted(
                [s.guild.id for s in servers] + [on_shard_1.guild.id])
            scheduled = [p for p in prompts if p.channel_id == weekly.id]
            assert [p.article.slug for p in scheduled] == [SCHEDULED]
            assert len(emu.messages_in(weekly.id)) == 1  # the prompt, posted once
            assert any("scheduler: server" in line for line in processes[1].lines)
            assert not any("scheduler: server" in line for line in processes[0].lines)
            for thread in threads:  # each member's message went to one process only
                for message in emu.messages_in(thread):
                    if not message["author"].get("bot"):
                        assert delivered_to(emu, int(message["id"])) == 1
            syncs = [line for p in processes.values() for line in p.lines
                     if "global commands" in line or "commands unchanged" in line]
            assert len(syncs) == 1 and syncs[0] in "\n".join(processes[0].lines)

            # Shard 1's process dies mid-discussion; members of every server go on.
            killed = processes[1]
            talking = asyncio.gather(*(discuss(emu, s, t, f"during {n}") for n, (s, t) in
                                       enumerate(zip(servers, threads, strict=True))))
            assert await killed.stop(signal.SIGKILL) == -signal.SIGKILL
            await talking
            dropped = "gateway: the bot's connection dropped without a close frame"
            assert dropped in emu.problems
            emu.problems.remove(dropped)
            for n, (server, thread) in enumerate(zip(servers, threads, strict=True)):
                await discuss(emu, server, thread, f"while down {n}")
            await start(killed, emu, 1)
            await killed.wait_for_line(CAUGHT_UP, timeout=90)
            await eventually(stored, timeout=60)
            for thread in threads:
                assert stored_once(emu, thread, await comments_of(store, thread)) == []
                assert len(await comments_of(store, thread)) == 9
            assert len(emu.messages_in(weekly.id)) == 1
            for process in processes.values():
                assert await process.stop(signal.SIGTERM) == 0
    assert emu.problems == []


async def test_a_shard_already_running_elsewhere_is_refused(
        emu: DiscordEmulator, postgres_url: str, tmp_path: Path) -> None:
    """Shard 0 of 2 runs; a process for shards 0-1 of 2 on the same database stops at start
    with one line naming shard 0 (the store's lock of each shard it would run)."""
    import os
    import sys

    from tests.e2e.harness import ROOT

    servers = add_servers(emu)
    async with shard_processes(emu, servers, postgres_url, tmp_path, shards=(0,)):
        identified = emu.identify_count
        world = world_of(emu, servers, tmp_path / "unused.db", FILMCLUB_DB=postgres_url,
                         FILMCLUB_SHARD_COUNT="2", FILMCLUB_SHARD_IDS="0-1")
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=str(tmp_path),
            env={**os.environ, **world.env(), "PYTHONPATH": str(ROOT)},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 2 and out == b""
        line = err.decode()
        assert line.startswith("filmclub: shard 0 is already running on "), line
        assert line.count("\n") == 1 and "Traceback" not in line
        assert emu.identify_count == identified  # it never connected
