"""What the benchmarks share: the emulator process, the ceiling client and the real bot."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord

from bot.config import from_env
from bot.models import Article, Prompt, utcnow
from bot.store import make_store
from cogs.support.client import FilmClub, intents
from cogs.support.startup import serve

log = logging.getLogger(__name__)
ROOT = Path(__file__).parents[1]
SENTINEL = "benchmark-done"


class EmulatorProcess:
    """The emulator in a child process (see benchmarks/emulator_process.py)."""

    def __init__(self, proc: asyncio.subprocess.Process, info: dict[str, Any]) -> None:
        self.proc = proc
        self.info = info

    async def ask(self, op: str, **args: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write((json.dumps({"op": op, **args}) + "\n").encode())
        await self.proc.stdin.drain()
        line = await self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the emulator process ended")
        return json.loads(line)


@asynccontextmanager
async def emulator_process(threads: int, members: int = 50,
                           shards: int = 0) -> AsyncIterator[EmulatorProcess]:
    """The emulator process; ``shards``: a server on each of that many shards (each with
    ``threads`` threads), else one server."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.emulator_process", str(threads), str(members),
        str(shards),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env, cwd=ROOT,
        limit=2**24)
    try:
        assert proc.stdout is not None
        info = json.loads(await asyncio.wait_for(proc.stdout.readline(), 60))
        emulator = EmulatorProcess(proc, info)
        yield emulator
        problems = (await emulator.ask("problems"))["problems"]
        if problems:
            raise AssertionError(f"the emulator saw problems: {problems[:3]}")
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def timed_rounds(
    emu: EmulatorProcess, sides: Sequence[str], rounds: int,
    time_one: Callable[[str, int], Awaitable[float]],
) -> AsyncIterator[tuple[int, dict[str, float]]]:
    """Each round, ``time_one(side, thread)`` for every side: (round number, its rates).

    Every side gets a thread of its own (the emulator must have made
    ``len(sides) * rounds``), built once that side is connected: the bot catches up
    at start, and a thread already full of the burst would have it read the burst
    twice, once by REST. Each round starts one side further along, so that no side
    always runs right after the same other one (a side timed right after the bot
    had been the slower one).
    """
    threads = iter(emu.info["threads"])
    for index in range(rounds):
        shift = index % len(sides)
        rates = {}
        for side in [*sides[shift:], *sides[:shift]]:
            rates[side] = await time_one(side, next(threads))
        yield index + 1, rates


def point_discord_at(info: dict[str, Any]) -> None:
    import yarl

    discord.http.Route.BASE = info["api_base"]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(info["gateway_url"])


async def wait_ready(client: discord.Client, task: asyncio.Task[Any]) -> None:
    ready = asyncio.ensure_future(client.wait_until_ready())
    done, _ = await asyncio.wait({ready, task}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
    if ready not in done:
        ready.cancel()
        if task.done():
            task.result()
        raise TimeoutError("client not ready")


def sentinel_waiter(client: discord.Client) -> asyncio.Future[Any]:
    """A future for the burst's last message.

    The ceiling client uses wait_for (a plain Client schedules nothing else for a
    message). The bot gets an inline listener instead: a wait_for listener would
    make it hand every message to commands.Bot.on_message, which it skips in
    production where no one waits for messages.
    """
    if not isinstance(client, FilmClub):
        return asyncio.ensure_future(client.wait_for(
            "message", check=lambda m: m.content == SENTINEL, timeout=600))
    seen: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def check(message: discord.Message) -> None:
        if message.content == SENTINEL and not seen.done():
            seen.set_result(message)
            client.remove_inline_listener("message", check)

    client.add_inline_listener("message", check)
    return seen


@asynccontextmanager
async def ceiling_client(info: dict[str, Any], **options: Any) -> AsyncIterator[discord.Client]:
    """discord.py alone: a Client with the bot's intents and no handlers of its own.

    ``options`` go to discord.Client; with none, it is discord.py as it comes.
    """
    point_discord_at(info)
    client = discord.Client(intents=intents(), guild_ready_timeout=0.05, **options)
    task = asyncio.create_task(client.start(info["token"]))
    try:
        await wait_ready(client, task)
        yield client
    finally:
        await client.close()
        await asyncio.gather(task, return_exceptions=True)


@dataclass
class BotRun:
    bot: FilmClub
    db_path: Path


@asynccontextmanager
async def real_bot(info: dict[str, Any], thread: int, folder: Path,
                   database: str | None = None) -> AsyncIterator[BotRun]:
    """The real bot, through serve(), with ``thread`` already a prompt in its database:
    a new SQLite file in ``folder``, or ``database`` (an empty PostgreSQL database's URL)."""
    db_path = folder / f"bench-{thread}.db"
    async with make_store(database or db_path) as store:
        await store.add_prompt(Prompt(
            thread_id=thread, guild_id=info["guild"], channel_id=info["channel"],
            message_id=thread, article=Article(slug="benchmark", title="Benchmark"),
            posted_at=utcnow()))
    config = from_env({
        "DISCORD_TOKEN": info["token"], "FILMCLUB_DB": database or str(db_path),
        "FILMCLUB_ARTICLES": str(ROOT / "data" / "articles"),
        "DISCORD_API_BASE": info["api_base"], "DISCORD_GATEWAY_URL": info["gateway_url"],
        "FILMCLUB_GUILD_READY_TIMEOUT": "0.05", "LOG_LEVEL": "WARNING",
        # issue 15: FILMCLUB_METRICS_PORT=9464 python -m benchmarks.ingest times the bot
        # with its metrics endpoint on (counting every event and every commit).
        **({"FILMCLUB_METRICS_PORT": port}
           if (port := os.environ.get("FILMCLUB_METRICS_PORT", "").strip()) else {}),
    })
    stop = asyncio.Event()
    bots: list[FilmClub] = []
    task = asyncio.create_task(serve(config, stop=stop, on_start=bots.append))
    while not bots:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        await wait_ready(bots[0], task)
        yield BotRun(bots[0], db_path)
    finally:
        stop.set()
        await task


def temp_folder() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="filmclub-bench-")


def report(line: str) -> None:
    """A benchmark's figures are its output: to stdout, as they come."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def median(values: list[float]) -> float:
    return statistics.median(values)


def rounds_args(doc: str | None, argv: list[str] | None) -> tuple[bool, int]:
    """``--quick`` and ``--rounds N`` (default 1 when quick, else 5); logging quietened."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small run, to prove it works")
    parser.add_argument("--rounds", type=int, default=None)
    args = parser.parse_args(argv)
    quiet_logging()
    return args.quick, args.rounds or (1 if args.quick else 5)


def quiet_logging() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("discord").setLevel(logging.ERROR)


#: What a stored burst must hold in its thread, each a count by SQL (``?``: the thread).
BURST_COUNTS = {
    "comments": "SELECT count(*) FROM comments WHERE thread_id = ? AND seen = 1",
    "deleted": "SELECT count(*) FROM comments WHERE thread_id = ? AND deleted_at IS NOT NULL",
    "edited": "SELECT count(*) FROM comments WHERE thread_id = ? AND edited_at IS NOT NULL",
    "versions": "SELECT count(*) FROM versions JOIN comments ON id = comment_id"
                " WHERE thread_id = ?",
    "reactions": "SELECT count(*) FROM reactions JOIN comments ON id = comment_id"
                 " WHERE thread_id = ?",
    "replies": "SELECT count(*) FROM comments WHERE thread_id = ? AND parent_id IS NOT NULL",
}


def burst_check(found: dict[str, int], sizes: dict[str, int], expected: dict[str, Any],
                where: str) -> dict[str, int]:
    """Raise unless ``found`` (BURST_COUNTS' counts) is the burst stored exactly once."""
    want = {
        "comments": sizes["messages"] + 1,  # and the sentinel
        "deleted": sizes["deletes"],
        "edited": sizes["edits"],
        "versions": 2 * sizes["edits"],  # the first text and the edit, of edited ones only
        "reactions": expected["distinct_reactions"],
        "replies": expected["replies"],
    }
    if found != want:
        raise AssertionError(f"{where} does not hold the burst exactly once: "
                             f"{found} != {want}")
    return found


async def check_postgres(url: str, thread: int, sizes: dict[str, int],
                         expected: dict[str, Any]) -> dict[str, int]:
    """Every event of ``thread``'s burst is in the PostgreSQL database at ``url`` once."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        found = {name: int(await conn.fetchval(sql.replace("?", "$1"), thread))
                 for name, sql in BURST_COUNTS.items()}
    finally:
        await conn.close()
    return burst_check(found, sizes, expected, f"PostgreSQL (thread {thread})")
