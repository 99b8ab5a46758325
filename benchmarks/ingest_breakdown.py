"""Where the ingest time goes: the real bot with parts of its work switched off.

    python -m benchmarks.ingest_breakdown [--quick] [--rounds N]

A diagnostic beside ``benchmarks.ingest``, with the same burst. Its ceiling is
discord.py with its message cache off, as the bot runs it, so that what is left
is the bot's own work. Each round runs the ceiling and every variant once,
starting one further along each round; each variant's ratio is the median of its
rounds' ratios to that round's ceiling:

- ``no store``: the capture handlers run and build their events; nothing is queued.
- ``no writes``: events are queued and handed to the writer thread, which commits
  nothing.
- ``no writes, CPU burner``: as ``no writes``, with another process keeping a core
  busy a third of the time (about what the writer's SQLite work costs in CPU), to
  tell the cost of the CPU the writer uses from that of sharing Python's lock.
- ``full``: the bot as it is (the one variant checked against the store).

The burner runs from the bot's start to its stop; only the burst itself is timed.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Any

from benchmarks.common import (
    EmulatorProcess,
    emulator_process,
    median,
    report,
    rounds_args,
    temp_folder,
    timed_rounds,
)
from benchmarks.ingest import FULL, QUICK, bot_side, ceiling_side
from cogs.support.client import FilmClub

BURNER = """
import sys, time
busy, period, until = float(sys.argv[1]), 0.03, time.monotonic() + float(sys.argv[2])
while time.monotonic() < until:
    stop = time.monotonic() + busy * period
    while time.monotonic() < stop:
        pass
    time.sleep((1 - busy) * period)
"""


def no_store(bot: FilmClub) -> None:
    bot.store.submit = lambda event: None  # type: ignore[method-assign]


def no_writes(bot: FilmClub) -> None:
    bot.store._apply = lambda batch: [None] * len(batch)  # type: ignore[method-assign]


VARIANTS: dict[str, Callable[[FilmClub], None] | None] = {
    "no store": no_store,
    "no writes": no_writes,
    "no writes, CPU burner": no_writes,
    "full": None,
}


async def variant_side(emu: EmulatorProcess, thread: int, sizes: dict[str, int],
                       folder: str, name: str) -> float:
    """The bot with ``name``'s parts switched off: its rate in events a second."""
    switch_off = VARIANTS[name]
    if not name.endswith("CPU burner"):
        return await bot_side(emu, thread, sizes, folder, switch_off)
    burner = await asyncio.create_subprocess_exec(sys.executable, "-c", BURNER, "0.33", "60")
    try:
        return await bot_side(emu, thread, sizes, folder, switch_off)
    finally:
        burner.kill()
        await burner.wait()


async def run(quick: bool, rounds: int) -> dict[str, Any]:
    sizes = QUICK if quick else FULL
    sides = ["ceiling", *VARIANTS]
    ratios: dict[str, list[float]] = {name: [] for name in VARIANTS}
    with temp_folder() as folder:
        async with emulator_process(threads=len(sides) * rounds) as emu:

            async def time_one(name: str, thread: int) -> float:
                if name == "ceiling":
                    return await ceiling_side(emu, thread, sizes, max_messages=None)
                return await variant_side(emu, thread, sizes, folder, name)

            async for index, rates in timed_rounds(emu, sides, rounds, time_one):
                ceiling = rates.pop("ceiling")
                for name, rate in rates.items():
                    ratios[name].append(rate / ceiling)
                report(f"round {index}: ceiling {ceiling:,.0f}/s; " + "; ".join(
                    f"{name} {rates[name] / ceiling:.2f}" for name in VARIANTS))
    return {name: median(values) for name, values in ratios.items()}


def main(argv: list[str] | None = None) -> int:
    quick, rounds = rounds_args(__doc__, argv)
    result = asyncio.run(run(quick, rounds))
    lines = [f"ingest breakdown, medians of {rounds} round(s), ratio to discord.py alone"
             " (message cache off):"]
    lines += [f"  {name}: {ratio:.2f}" for name, ratio in result.items()]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
