"""Latency: at a steady rate, from a frame leaving the emulator to its row being committed.

    python -m benchmarks.latency [--quick] [--rate N] [--seconds S]

The emulator (its own process) sends MESSAGE_CREATEs in 10 ms ticks, each stamped
with the wall-clock time it left. For reference, discord.py alone is measured
first: from the stamp to the moment its client dispatches the message. Then the
real bot: from the stamp to the commit of the transaction holding the row.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import discord

from benchmarks.common import (
    ceiling_client,
    emulator_process,
    quiet_logging,
    real_bot,
    report,
    sentinel_waiter,
    temp_folder,
)
from bot.models import MessageCreated

GOAL_P99_MS = 100.0


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no samples")
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def stamp_of(content: str) -> float | None:
    return float(content[2:]) if content.startswith("t=") else None


def summary(name: str, samples: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in samples]
    figures = {"n": len(ms), "p50": percentile(ms, 0.50), "p99": percentile(ms, 0.99),
               "max": max(ms)}
    report(f"  {name}: {figures['n']:,} messages, p50 {figures['p50']:.1f} ms, "
           f"p99 {figures['p99']:.1f} ms, max {figures['max']:.1f} ms")
    return figures


async def run(rate: int, seconds: float) -> dict[str, Any]:
    with temp_folder() as folder:
        async with emulator_process(threads=2) as emu:
            thread_a, thread_b = emu.info["threads"]
            expected = int(rate * seconds)

            received: list[float] = []
            async with ceiling_client(emu.info) as client:
                @client.event
                async def on_message(message: discord.Message) -> None:
                    sent = stamp_of(message.content)
                    if sent is not None:
                        received.append(time.time() - sent)

                done = sentinel_waiter(client)
                await emu.ask("pace", thread=thread_a, rate=rate, seconds=seconds)
                await done
                await asyncio.sleep(0.05)

            # By message id, first commit only: the bot's start-up catch-up may read a
            # message the gateway already brought and submit it again (the store keeps
            # one row; the hook sees both commits).
            first_commit: dict[int, float] = {}
            async with real_bot(emu.info, thread_b, Path(folder)) as bot_run:
                def on_commit(batch: Sequence[Any], at: float) -> None:
                    for item in batch:
                        if isinstance(item, MessageCreated):
                            sent = stamp_of(item.content)
                            if sent is not None and item.id not in first_commit:
                                first_commit[item.id] = at - sent

                bot_run.bot.store.commit_hooks.append(on_commit)
                done = sentinel_waiter(bot_run.bot)
                await emu.ask("pace", thread=thread_b, rate=rate, seconds=seconds)
                await done
                await bot_run.bot.store.flush()
    committed = list(first_commit.values())
    if len(received) != expected or len(committed) != expected:
        raise AssertionError(f"lost messages: sent {expected}, discord.py saw {len(received)}, "
                             f"filmclub committed {len(committed)}")
    report(f"latency at {rate:,} messages/s for {seconds:g} s:")
    alone = summary("discord.py alone, frame to dispatch", received)
    bot = summary("filmclub, frame to committed row", committed)
    return {"alone": alone, "bot": bot}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run, to prove it works")
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=None)
    args = parser.parse_args(argv)
    quiet_logging()
    seconds = args.seconds or (1.0 if args.quick else 10.0)
    result = asyncio.run(run(args.rate, seconds))
    p99 = result["bot"]["p99"]
    sys.stdout.write(
        f"  p99 {p99:.1f} ms against the goal of {GOAL_P99_MS:.0f} ms "
        f"(ratio {p99 / GOAL_P99_MS:.2f}); discord.py's own p99 {result['alone']['p99']:.1f} ms\n"
        "  every message sent was committed exactly once\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
