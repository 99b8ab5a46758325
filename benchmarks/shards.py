"""Shards: two shard processes on PostgreSQL against one process running both shards.

    python -m benchmarks.shards [--quick] [--rounds N]

The emulator (in its own process) has a server on each of two shards, each with a
prompt thread per side and round. A burst like the ingest benchmark's goes to both
servers at once, frames interleaved, each frame to the session of its server's shard.
**One process:** `python -m bot run` with FILMCLUB_SHARD_COUNT=2 (both shards, two
gateway sessions, one writer). **Two processes:** shard 0 and shard 1, each its own
`python -m bot run`. Both write to the same throw-away PostgreSQL (a fresh database a
side and round). A side's time runs from the first frame sent until the last
message of every thread is committed, seen by polling the database; then every event is
checked to be stored exactly once. The figure is events stored a second, aggregate;
the ratio is the median of the rounds' own two-process / one-process ratios.

The PostgreSQL comes from FILMCLUB_TEST_POSTGRES (a URL) or a throw-away cluster of the
machine's own PostgreSQL (tests/pgserver.py), as in the tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from benchmarks.common import (
    ROOT,
    EmulatorProcess,
    check_postgres,
    emulator_process,
    median,
    report,
    rounds_args,
)
from bot.models import Article, Prompt, utcnow

SENTINEL = "benchmark-done"
FULL = {"messages": 10_000, "reactions": 1_000, "edits": 500, "deletes": 250}  # a server
QUICK = {"messages": 1_000, "reactions": 100, "edits": 50, "deletes": 25}
SIDES = ("one process", "two processes")
SHARDS = 2
SETTLE = 1.0  # seconds after every shard is ready (start-up catch-up), for both sides


@contextlib.contextmanager
def postgres() -> Iterator[Any]:
    """A PostgreSQL server: the one FILMCLUB_TEST_POSTGRES names, or a throw-away cluster."""
    from tests import pgserver

    try:
        with pgserver.running_server() as server:
            yield server
    except pgserver.NoPostgres as exc:
        raise SystemExit(f"benchmarks.shards: {exc}; {pgserver.HOW}") from exc


@contextlib.asynccontextmanager
async def pg_store(url: str) -> AsyncIterator[Any]:
    from bot.store import make_store

    async with make_store(url) as store:
        yield store


async def prepare(url: str, servers: list[dict[str, Any]], threads: list[int]) -> None:
    """The database's schema, and each thread a prompt of its server."""
    async with pg_store(url) as store:
        for server in servers:
            for thread in server["threads"]:
                if thread in threads:
                    await store.add_prompt(Prompt(
                        thread_id=thread, guild_id=server["guild"],
                        channel_id=server["channel"], message_id=thread,
                        article=Article(slug=f"benchmark-{thread}", title="Benchmark"),
                        posted_at=utcnow()))


class BotProcesses:
    """`python -m bot run` processes for the shard ids given, on ``url``."""

    def __init__(self, info: dict[str, Any], url: str, shard_ids: list[str],
                 folder: Path) -> None:
        self.info = info
        self.url = url
        self.shard_ids = shard_ids
        self.folder = folder
        self.procs: list[asyncio.subprocess.Process] = []

    async def __aenter__(self) -> BotProcesses:
        for ids in self.shard_ids:
            env = {**os.environ, "PYTHONPATH": str(ROOT), "DISCORD_TOKEN": self.info["token"],
                   "FILMCLUB_DB": self.url, "DISCORD_API_BASE": self.info["api_base"],
                   "DISCORD_GATEWAY_URL": self.info["gateway_url"],
                   "FILMCLUB_ARTICLES": str(ROOT / "data" / "articles"),
                   "FILMCLUB_GUILD_READY_TIMEOUT": "0.05", "LOG_LEVEL": "WARNING",
                   "FILMCLUB_FILM_LOOKUP": "off", "FILMCLUB_SHARD_COUNT": str(SHARDS),
                   "FILMCLUB_SHARD_IDS": ids}
            log = (self.folder / f"bot-{ids}.log").open("ab")
            self.procs.append(await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=env, cwd=self.folder,
                stdout=asyncio.subprocess.DEVNULL, stderr=log))
            log.close()
        return self

    async def __aexit__(self, *exc: object) -> None:
        for proc in self.procs:
            if proc.returncode is None:
                proc.terminate()
        for proc in self.procs:
            try:
                await asyncio.wait_for(proc.wait(), 60)
            except TimeoutError:
                proc.kill()
                await proc.wait()

    def check_alive(self) -> None:
        for proc in self.procs:
            if proc.returncode is not None:
                raise RuntimeError(f"a bot process ended ({proc.returncode}); see "
                                   f"{self.folder}/bot-*.log")


async def wait_shards(emu: EmulatorProcess, bots: BotProcesses) -> None:
    """Until both shards' sessions are connected (a minute at most)."""
    async with asyncio.timeout(60):
        while len((await emu.ask("shards"))["connected"]) < SHARDS:
            bots.check_alive()
            await asyncio.sleep(0.1)


async def wait_committed(url: str, threads: list[int], bots: BotProcesses) -> None:
    """Until the last message of every thread is committed (one connection polls, every
    20 ms: a light load on PostgreSQL, the same for both sides)."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        while int(await conn.fetchval(
                "SELECT count(*) FROM comments WHERE content = $1"
                " AND thread_id = ANY($2::bigint[])", SENTINEL, threads)) < len(threads):
            bots.check_alive()
            await asyncio.sleep(0.02)
    finally:
        await conn.close()


async def check_store(url: str, threads: list[int], built: dict[str, Any],
                      sizes: dict[str, int]) -> None:
    """Every event of every thread's burst is in the database once."""
    for thread in threads:
        await check_postgres(url, thread, sizes, built["threads"][str(thread)])


async def side(emu: EmulatorProcess, server: Any, name: str, threads: list[int],
               sizes: dict[str, int], folder: Path) -> float:
    """One side of a round, on a fresh database: its aggregate rate in events a second."""
    from tests.pgserver import fresh_database

    info = emu.info
    with fresh_database(server) as url:
        await prepare(url, info["servers"], threads)
        ids = ["0-1"] if name == "one process" else ["0", "1"]
        async with BotProcesses(info, url, ids, folder) as bots:
            await wait_shards(emu, bots)
            await asyncio.sleep(SETTLE)
            built = await emu.ask("build_many", threads=threads, **sizes)
            started = time.perf_counter()
            await emu.ask("send_many")
            await wait_committed(url, threads, bots)
            elapsed = time.perf_counter() - started
            await check_store(url, threads, built, sizes)
        return built["frames"] / elapsed


async def run(quick: bool, rounds: int, folder: Path) -> dict[str, Any]:
    sizes = QUICK if quick else FULL
    rates: dict[str, list[float]] = {name: [] for name in SIDES}
    with postgres() as server:
        async with emulator_process(threads=len(SIDES) * rounds, shards=SHARDS) as emu:
            per_server = [iter(s["threads"]) for s in emu.info["servers"]]
            for index in range(rounds):
                order = SIDES if index % 2 == 0 else SIDES[::-1]
                now = {}
                for name in order:
                    threads = [next(it) for it in per_server]  # one in each server
                    now[name] = await side(emu, server, name, threads, sizes, folder)
                    rates[name].append(now[name])
                one, two = now["one process"], now["two processes"]
                report(f"round {index + 1}: one process {one:,.0f} events/s, two processes "
                       f"{two:,.0f} events/s (ratio {two / one:.2f})")
    ratios = [b / a for a, b in zip(rates["one process"], rates["two processes"], strict=True)]
    return {"one": median(rates["one process"]), "two": median(rates["two processes"]),
            "ratio": (median(ratios), min(ratios), max(ratios)),
            "events": 2 * (sum(sizes.values()) + 1)}


def main(argv: list[str] | None = None) -> int:
    import tempfile

    quick, rounds = rounds_args(__doc__, argv)
    with tempfile.TemporaryDirectory(prefix="filmclub-bench-") as folder:
        result = asyncio.run(run(quick, rounds, Path(folder)))
    ratio = result["ratio"]
    sys.stdout.write(
        f"shards: {result['events']:,} events a round over 2 servers on 2 shards, "
        f"medians of {rounds} round(s), on PostgreSQL\n"
        f"  one process, both shards: {result['one']:,.0f} events/s stored\n"
        f"  two processes, a shard each: {result['two']:,.0f} events/s stored\n"
        f"  ratio: {ratio[0]:.2f}, the median of the rounds' ratios ({ratio[1]:.2f} to "
        f"{ratio[2]:.2f}; goal >= 1.6)\n"
        f"  machine: {os.cpu_count()} cores, load average "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} at the end\n"
        "  every event of every burst found in the database exactly once\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
