"""Ingest: the real bot storing a burst, against discord.py alone reading the same frames.

    python -m benchmarks.ingest [--quick] [--rounds N]

The ceiling is an unchanged discord.py Client, with the bot's intents and no
handlers, reading the same frames from the same emulator (in its own process).
Each round measures both, taking turns at going first; the rates are the medians
of the rounds, the ratio the median of each round's own ratio. The bot's
time runs until every event of the burst is committed to SQLite; every event is
then checked to be in the store exactly once.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.common import (
    EmulatorProcess,
    ceiling_client,
    emulator_process,
    median,
    real_bot,
    report,
    rounds_args,
    sentinel_waiter,
    temp_folder,
)
from bot.client import FilmClub

FULL = {"messages": 20_000, "reactions": 2_000, "edits": 1_000, "deletes": 500}
SETTLE = 0.5  # seconds after connecting, for both sides alike
QUICK = {"messages": 2_000, "reactions": 200, "edits": 100, "deletes": 50}


def check_store(db_path: Path, thread: int, sizes: dict[str, int],
                expected: dict[str, Any]) -> dict[str, int]:
    """Every event of the burst is in the store once; returns what was found."""
    with sqlite3.connect(db_path) as db:
        def one(sql: str) -> int:
            return db.execute(sql, (thread,)).fetchone()[0]

        found = {
            "comments": one("SELECT count(*) FROM comments WHERE thread_id = ? AND seen = 1"),
            "deleted": one("SELECT count(*) FROM comments WHERE thread_id = ?"
                           " AND deleted_at IS NOT NULL"),
            "edited": one("SELECT count(*) FROM comments WHERE thread_id = ?"
                          " AND edited_at IS NOT NULL"),
            "versions": one("SELECT count(*) FROM versions JOIN comments ON id = comment_id"
                            " WHERE thread_id = ?"),
            "reactions": one("SELECT count(*) FROM reactions JOIN comments ON id = comment_id"
                             " WHERE thread_id = ?"),
            "replies": one("SELECT count(*) FROM comments WHERE thread_id = ?"
                           " AND parent_id IS NOT NULL"),
        }
    want = {
        "comments": sizes["messages"] + 1,  # and the sentinel
        "deleted": sizes["deletes"],
        "edited": sizes["edits"],
        "versions": 2 * sizes["edits"],  # the first text and the edit, of edited ones only
        "reactions": expected["distinct_reactions"],
        "replies": expected["replies"],
    }
    if found != want:
        raise AssertionError(f"store does not hold the burst exactly once: {found} != {want}")
    return found


def events_of(sizes: dict[str, int]) -> int:
    return sum(sizes.values()) + 1  # and the sentinel


async def ceiling_side(emu: EmulatorProcess, thread: int, sizes: dict[str, int]) -> float:
    """discord.py alone reads the burst: its rate in events a second."""
    async with ceiling_client(emu.info) as client:
        await asyncio.sleep(SETTLE)
        built = await emu.ask("build", thread=thread, **sizes)
        done = sentinel_waiter(client)
        started = time.perf_counter()
        await emu.ask("send")
        await done
        return built["frames"] / (time.perf_counter() - started)


async def bot_side(emu: EmulatorProcess, thread: int, sizes: dict[str, int], folder: str,
                   switch_off: Callable[[FilmClub], None] | None = None) -> float:
    """The real bot stores the burst, checked to be all there: its rate in events a second.

    ``switch_off`` (benchmarks.ingest_breakdown) turns parts of the bot off; the store
    is then not checked, since it is not meant to hold the burst.
    """
    async with real_bot(emu.info, thread, Path(folder)) as run_:
        await asyncio.sleep(SETTLE)  # start-up catch-up of the empty thread
        if switch_off is not None:
            switch_off(run_.bot)
        built = await emu.ask("build", thread=thread, **sizes)
        done = sentinel_waiter(run_.bot)
        started = time.perf_counter()
        await emu.ask("send")
        await done
        await run_.bot.store.flush()
        rate = built["frames"] / (time.perf_counter() - started)
    if switch_off is None:
        check_store(run_.db_path, thread, sizes, built)
    return rate


async def run(quick: bool, rounds: int) -> dict[str, Any]:
    sizes = QUICK if quick else FULL
    with temp_folder() as folder:
        async with emulator_process(threads=2 * rounds) as emu:
            threads = emu.info["threads"]
            ceiling_rates, bot_rates = [], []
            for index in range(rounds):
                # Each side gets its own thread, built once it is connected: the bot
                # catches up at start, and a thread already full of the burst would
                # have it reading the burst twice, once by REST. The sides take turns
                # going first, so neither gains from what the other left behind.
                ceiling_thread, bot_thread = threads[2 * index], threads[2 * index + 1]
                for ceiling_turn in (True, False) if index % 2 == 0 else (False, True):
                    if ceiling_turn:
                        ceiling_rates.append(await ceiling_side(emu, ceiling_thread, sizes))
                    else:
                        bot_rates.append(await bot_side(emu, bot_thread, sizes, folder))
                report(f"round {index + 1}: {events_of(sizes):,} events; discord.py alone "
                       f"{ceiling_rates[-1]:,.0f}/s, filmclub stored {bot_rates[-1]:,.0f}/s "
                       f"(ratio {bot_rates[-1] / ceiling_rates[-1]:.2f})")
    # The ratio is the median of each round's own ratio: both sides of a round ran a
    # minute apart on the same machine, where rounds minutes apart can differ by 20%.
    ratios = [bot / ceiling for bot, ceiling in zip(bot_rates, ceiling_rates, strict=True)]
    return {"events": events_of(sizes), "ceiling": median(ceiling_rates),
            "bot": median(bot_rates), "ratio": median(ratios),
            "ratios": (min(ratios), max(ratios))}


def main(argv: list[str] | None = None) -> int:
    quick, rounds = rounds_args(__doc__, argv)
    result = asyncio.run(run(quick, rounds))
    sys.stdout.write(
        f"ingest: {result['events']:,} events a round, medians of {rounds} round(s)\n"
        f"  discord.py alone (ceiling): {result['ceiling']:,.0f} events/s\n"
        f"  filmclub, stored and committed: {result['bot']:,.0f} events/s\n"
        f"  ratio: {result['ratio']:.2f}, the median of the rounds' ratios "
        f"({result['ratios'][0]:.2f} to {result['ratios'][1]:.2f}; goal >= 0.80, "
        "never below 0.50)\n"
        "  every event of every burst found in the store exactly once\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
