"""Crashes: `python -m bot run` killed with SIGKILL mid-burst, then restarted; Ctrl-C.

The real bot process runs against the emulator. Members keep talking through the crash
and while the bot is down; after the restart's catch-up, the store must equal the
emulator's own record of the discussion: every message, edit, deletion and vote once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from typing import Any

from bot.store import make_store
from tests.e2e.catchup_helpers import discord_view, eventually, store_view
from tests.e2e.harness import ROOT, RunningBot, World
from tests.e2e.test_discussion import post_prompt

log = logging.getLogger(__name__)

FLOOD = 2000  # messages sent back to back just before the kill
BURST = 2000  # member actions (messages, edits, deletions, votes) around the kill
CAUGHT_UP = "catch-up: 1 threads caught up"


class BotProcess:
    """`python -m bot run` as a child process; its log lines are collected as they come."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.proc: asyncio.subprocess.Process | None = None
        self.lines: list[str] = []
        self._reader: asyncio.Task[None] | None = None
        self._new_line = asyncio.Event()

    async def start(self) -> None:
        identified = self.world.emu.identify_count
        env = {**os.environ, **self.world.env(), "PYTHONPATH": str(ROOT)}
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=str(self.world.db_path.parent), env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        self._reader = asyncio.create_task(self._read())
        await self.world.emu.wait_until(lambda: self.world.emu.identify_count > identified, 30)
        await self.world.emu.wait_connected(timeout=15)

    async def _read(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        async for raw in self.proc.stderr:
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))
            self._new_line.set()
            self._new_line = asyncio.Event()

    async def wait_for_line(self, text: str, timeout: float = 60) -> str:
        async with asyncio.timeout(timeout):
            while True:
                waiter = self._new_line
                found = next((line for line in self.lines if text in line), None)
                if found is not None:
                    return found
                if self.proc is not None and self.proc.returncode is not None:
                    raise AssertionError("the bot exited:\n" + "\n".join(self.lines[-30:]))
                await waiter.wait()

    async def stop(self, signum: int) -> int:
        assert self.proc is not None
        self.proc.send_signal(signum)
        code = await asyncio.wait_for(self.proc.wait(), 30)
        if self._reader is not None:
            await self._reader
        return code

    async def ensure_dead(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


@contextlib.asynccontextmanager
async def bot_process(world: World) -> AsyncIterator[BotProcess]:
    process = BotProcess(world)
    try:
        yield process
    finally:
        await process.ensure_dead()


class Burst:
    """Members talking fast: messages, replies, edits, deletions, votes and unvotes."""

    def __init__(self, world: World, thread: int, seed: int = 6) -> None:
        self.world = world
        self.thread = thread
        self.rng = random.Random(seed)
        self.live: list[dict[str, Any]] = []  # messages not deleted
        self.created: list[int] = []
        self.counts = {"messages": 0, "edits": 0, "deletions": 0, "votes": 0, "unvotes": 0}

    async def flood(self, n: int) -> None:
        """``n`` new messages sent back to back, faster than any bot can store them."""
        emu, members = self.world.emu, self.world.members
        built = [emu.build_message(members[i % len(members)].id, self.thread,
                                   f"flood {len(self.created) + i}") for i in range(n)]
        for msg in built:
            self.live.append(msg)
            self.created.append(int(msg["id"]))
        self.counts["messages"] += n
        await emu.dispatch_many([("MESSAGE_CREATE", msg) for msg in built])

    async def act(self, n: int) -> None:
        emu, rng, members = self.world.emu, self.rng, self.world.members
        for _ in range(n):
            roll = rng.random()
            if roll < 0.6 or len(self.live) < 10:
                author = rng.choice(members)
                parent = rng.choice(self.live)["id"] if self.live and roll < 0.15 else None
                text = f"take {len(self.created)}: " + rng.choice(
                    ["the tower", "Madeleine", "green light", "a nightmare", "é ü 😀"])
                msg = await emu.say(author.id, self.thread, text, reply_to=parent)
                self.live.append(msg)
                self.created.append(int(msg["id"]))
                self.counts["messages"] += 1
            elif roll < 0.72:
                msg = rng.choice(self.live)
                await emu.edit(msg["author"]["id"], msg["id"], msg["content"] + " (edited)")
                msg["content"] += " (edited)"
                self.counts["edits"] += 1
            elif roll < 0.78:
                msg = self.live.pop(rng.randrange(len(self.live)))
                await emu.delete(msg["id"])
                self.counts["deletions"] += 1
            elif roll < 0.94:
                msg = rng.choice(self.live)
                await emu.react(rng.choice(members).id, msg["id"], rng.choice(["👍", "👎", "🎬"]))
                self.counts["votes"] += 1
            else:
                msg = rng.choice(self.live)
                held = world_reactions(self.world, msg["id"])
                if held:
                    user, emoji = rng.choice(sorted(held))
                    await emu.unreact(user, msg["id"], emoji)
                    self.counts["unvotes"] += 1


def world_reactions(world: World, message_id: str) -> set[tuple[int, str]]:
    return {(u, e) for e, users in world.emu.reactions_of(message_id).items() for u in users}


async def stored_comments(world: World) -> int:
    """Comments committed so far (read beside the running bot, as WAL allows; on
    PostgreSQL, on a connection of its own)."""
    if world.db_url is not None:
        import asyncpg

        conn = await asyncpg.connect(world.db_url)
        try:
            if await conn.fetchval("SELECT to_regclass('comments') IS NULL"):
                return 0
            return int(await conn.fetchval("SELECT count(*) FROM comments WHERE seen = 1"))
        finally:
            await conn.close()
    if not world.db_path.exists():
        return 0
    with contextlib.closing(sqlite3.connect(world.db_path)) as db:
        try:
            return db.execute("SELECT count(*) FROM comments WHERE seen = 1").fetchone()[0]
        except sqlite3.OperationalError:  # not created yet
            return 0


async def integrity(world: World) -> str:
    """SQLite's integrity check; on PostgreSQL, `db check`'s (tables, triggers, indexes)."""
    if world.db_url is not None:
        from bot.store import pg_maintenance

        found = await asyncio.to_thread(pg_maintenance.check, world.db_url)
        return "ok" if found.ok else "; ".join(found.problems)
    with contextlib.closing(sqlite3.connect(world.db_path)) as db:
        return db.execute("PRAGMA integrity_check").fetchone()[0]


async def test_sigkill_mid_burst_then_restart_loses_nothing(world: World) -> None:
    """SIGKILL mid-burst: integrity ok; after catch-up the store equals Discord's record."""
    first = RunningBot(world)
    await first.start()
    thread = await post_prompt(world, first)
    assert await first.stop() == 0
    burst = Burst(world, thread)
    async with bot_process(world) as bot:
        await bot.start()
        await burst.flood(FLOOD)
        acting = asyncio.create_task(burst.act(BURST // 2))  # and members go on talking

        async def storing() -> bool:
            return await stored_comments(world) >= FLOOD // 10

        # Killed as soon as the first of the flood is committed: the writer keeps up with
        # a flood within a fraction of a second, so waiting longer would kill an idle bot.
        await eventually(storing, timeout=30)
        assert await bot.stop(signal.SIGKILL) == -signal.SIGKILL
        sent_at_kill = burst.counts["messages"]
        await acting
    dropped = "gateway: the bot's connection dropped without a close frame"
    assert dropped in world.emu.problems  # what a killed process does; nothing else may be
    world.emu.problems.remove(dropped)
    assert await integrity(world) == "ok"
    stored_at_kill = await stored_comments(world)
    await burst.act(BURST - BURST // 2)  # members keep talking while the bot is down

    async with bot_process(world) as bot:
        await bot.start()
        summary = await bot.wait_for_line(CAUGHT_UP)
        assert await bot.stop(signal.SIGTERM) == 0

    assert await integrity(world) == "ok"
    async with make_store(world.database) as store:
        comments = [c async for c in store.iter_comments(thread)]
    expected = discord_view(world.emu, thread)
    got = store_view(comments)
    lost = [i for i in expected if got.get(i) != expected[i]]
    lost += [i for i in got if i not in expected]
    ids = [c.id for c in comments]
    duplicates = len(ids) - len(set(ids)) + sum(
        a.content == b.content for c in comments for a, b in zip(c.revisions, c.revisions[1:],
                                                                  strict=False))
    unseen = set(burst.created) - set(ids)  # created and deleted while the bot was down
    assert not unseen & set(expected)
    deleted = {c.id for c in comments if c.deleted}
    assert deleted <= set(burst.created) - set(expected)
    log.info("crash test: %d actions (%s); killed with %d messages sent, %d stored; after "
             "restart %s; lost %d, duplicates %d, never seen (created and deleted while down) "
             "%d", FLOOD + BURST, burst.counts, sent_at_kill, stored_at_kill,
             summary.split("catch-up: ")[-1], len(lost), duplicates, len(unseen))
    assert lost == []
    assert duplicates == 0
    assert 0 < stored_at_kill < sent_at_kill


async def test_ctrl_c_flushes_and_exits_zero(world: World) -> None:
    """Ctrl-C (SIGINT) after a burst: exit status 0 and every comment of the burst stored."""
    first = RunningBot(world)
    await first.start()
    thread = await post_prompt(world, first)
    assert await first.stop() == 0
    async with bot_process(world) as bot:
        await bot.start()
        sent = [await world.emu.say(world.members[i % 5].id, thread, f"burst {i}")
                for i in range(300)]
        await world.emu.ping_bot()
        assert await bot.stop(signal.SIGINT) == 0
        assert any("stopped cleanly" in line for line in bot.lines)
    async with make_store(world.database, create=False) as store:
        stored = {c.id async for c in store.iter_comments(thread, include_hidden=True)}
    assert stored == {int(m["id"]) for m in sent}
    assert await integrity(world) == "ok"


async def test_sigterm_during_catch_up_exits_zero(world: World) -> None:
    """SIGTERM while catch-up reads a long missed history: exit 0, the database sound."""
    first = RunningBot(world)
    await first.start()
    thread = await post_prompt(world, first)
    assert await first.stop() == 0
    for i in range(1500):
        world.emu.build_message(world.members[i % 5].id, thread, f"missed {i}")
    async with bot_process(world) as bot:
        await bot.start()
        await bot.wait_for_line("catch-up: 1 prompt threads to look at")
        assert await bot.stop(signal.SIGTERM) == 0
        assert not any("threads caught up" in line for line in bot.lines)
        assert any("catch-up: stopped" in line for line in bot.lines)
        assert any("stopped cleanly" in line for line in bot.lines)
    assert await integrity(world) == "ok"
    assert await stored_comments(world) < 1500
