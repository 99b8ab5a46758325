"""Ingest: the real bot storing a burst, against discord.py alone reading the same frames.

    python -m benchmarks.ingest [--quick] [--rounds N]

The ceiling is an unchanged discord.py Client, with the bot's intents and no
handlers, reading the same frames from the same emulator (in its own process).
The bot's time runs until every event of the burst is committed to SQLite; every
event is then checked to be in the store exactly once.

filmclub turns discord.py's message cache off (it reads edits, deletes and
reactions as raw events), which spares discord.py a scan of up to 1,000 cached
messages for each such event. So that this saving is not mistaken for the bot's
own speed, each round also times a second ceiling: the same Client with its
message cache off too. The ratio against it is printed beside the goal's.

Each round runs the three sides, starting one further along each round; the rates
are the medians of the rounds, each ratio the median of the rounds' own ratios.
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
    BURST_COUNTS,
    EmulatorProcess,
    burst_check,
    ceiling_client,
    check_postgres,
    emulator_process,
    median,
    real_bot,
    report,
    rounds_args,
    sentinel_waiter,
    temp_folder,
    timed_rounds,
)
from cogs.support.client import FilmClub

FULL = {"messages": 20_000, "reactions": 2_000, "edits": 1_000, "deletes": 500}
SETTLE = 0.5  # seconds after connecting, for both sides alike
QUICK = {"messages": 2_000, "reactions": 200, "edits": 100, "deletes": 50}


def check_store(db_path: Path, thread: int, sizes: dict[str, int],
                expected: dict[str, Any]) -> dict[str, int]:
    """Every event of the burst is in the SQLite store once; returns what was found."""
    with sqlite3.connect(db_path) as db:
        found = {name: db.execute(sql, (thread,)).fetchone()[0]
                 for name, sql in BURST_COUNTS.items()}
    return burst_check(found, sizes, expected, "the store")


def events_of(sizes: dict[str, int]) -> int:
    return sum(sizes.values()) + 1  # and the sentinel


async def ceiling_side(emu: EmulatorProcess, thread: int, sizes: dict[str, int],
                       **options: Any) -> float:
    """discord.py alone reads the burst: its rate in events a second.

    ``options`` go to discord.Client (none: discord.py as it comes).
    """
    async with ceiling_client(emu.info, **options) as client:
        await asyncio.sleep(SETTLE)
        built = await emu.ask("build", thread=thread, **sizes)
        done = sentinel_waiter(client)
        started = time.perf_counter()
        await emu.ask("send")
        await done
        return built["frames"] / (time.perf_counter() - started)


async def bot_side(emu: EmulatorProcess, thread: int, sizes: dict[str, int], folder: str,
                   switch_off: Callable[[FilmClub], None] | None = None,
                   database: str | None = None) -> float:
    """The real bot stores the burst, checked to be all there: its rate in events a second.

    ``database``: a PostgreSQL URL to store it in (benchmarks.ingest_postgres), else a
    SQLite file in ``folder``.

    ``switch_off`` (benchmarks.ingest_breakdown) turns parts of the bot off; the store
    is then not checked, since it is not meant to hold the burst.
    """
    async with real_bot(emu.info, thread, Path(folder), database=database) as run_:
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
    if switch_off is None and database is None:
        check_store(run_.db_path, thread, sizes, built)
    elif switch_off is None and database is not None:
        await check_postgres(database, thread, sizes, built)
    return rate


#: What each round times: the goal's ceiling, the stricter one, and the bot.
SIDES = ("ceiling", "ceiling without cache", "filmclub")


async def time_side(emu: EmulatorProcess, side: str, thread: int, sizes: dict[str, int],
                    folder: str) -> float:
    if side == "filmclub":
        return await bot_side(emu, thread, sizes, folder)
    options = {"max_messages": None} if side == "ceiling without cache" else {}
    return await ceiling_side(emu, thread, sizes, **options)


async def run(quick: bool, rounds: int) -> dict[str, Any]:
    sizes = QUICK if quick else FULL
    rates: dict[str, list[float]] = {side: [] for side in SIDES}
    with temp_folder() as folder:
        async with emulator_process(threads=len(SIDES) * rounds) as emu:

            async def time_one(side: str, thread: int) -> float:
                return await time_side(emu, side, thread, sizes, folder)

            async for index, now in timed_rounds(emu, SIDES, rounds, time_one):
                for side, rate in now.items():
                    rates[side].append(rate)
                bot, ceiling, strict = now["filmclub"], now["ceiling"], now["ceiling without cache"]
                report(f"round {index}: {events_of(sizes):,} events; discord.py alone "
                       f"{ceiling:,.0f}/s, without its message cache {strict:,.0f}/s, "
                       f"filmclub stored {bot:,.0f}/s (ratios {bot / ceiling:.2f}, "
                       f"{bot / strict:.2f})")
    # Ratios are medians of each round's own: the sides of a round ran seconds apart
    # on the same machine, where rounds minutes apart can differ by 20%.
    result: dict[str, Any] = {"events": events_of(sizes)}
    for name, ceiling_name in (("ratio", "ceiling"), ("strict", "ceiling without cache")):
        ratios = [bot / ceiling for bot, ceiling in
                  zip(rates["filmclub"], rates[ceiling_name], strict=True)]
        result[name] = (median(ratios), min(ratios), max(ratios))
    result.update({side: median(values) for side, values in rates.items()})
    return result


def main(argv: list[str] | None = None) -> int:
    quick, rounds = rounds_args(__doc__, argv)
    result = asyncio.run(run(quick, rounds))
    ratio, strict = result["ratio"], result["strict"]
    sys.stdout.write(
        f"ingest: {result['events']:,} events a round, medians of {rounds} round(s)\n"
        f"  discord.py alone (ceiling): {result['ceiling']:,.0f} events/s\n"
        f"  discord.py alone, message cache off: {result['ceiling without cache']:,.0f}"
        " events/s\n"
        f"  filmclub, stored and committed: {result['filmclub']:,.0f} events/s\n"
        f"  ratio: {ratio[0]:.2f}, the median of the rounds' ratios "
        f"({ratio[1]:.2f} to {ratio[2]:.2f}; goal >= 0.80, never below 0.50)\n"
        f"  ratio to discord.py with its message cache off, as filmclub runs it: "
        f"{strict[0]:.2f} ({strict[1]:.2f} to {strict[2]:.2f})\n"
        "  every event of every burst found in the store exactly once\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
