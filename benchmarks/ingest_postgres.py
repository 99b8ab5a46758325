"""Ingest on PostgreSQL against SQLite: the real bot storing the same burst into each.

    python -m benchmarks.ingest_postgres [--quick] [--rounds N] [--postgres URL]
                                         [--synchronous-commit on|off]

The burst is benchmarks.ingest's (20,000 messages, 2,000 reactions, 1,000 edits, 500
deletes), sent by the emulator in its own process. Each round the real bot, started
through ``serve()``, stores a burst of its own once with ``FILMCLUB_DB`` a new SQLite
file and once with it a new PostgreSQL database, the order alternating; each time runs
until every event is committed, and every event is then checked to be in the store
exactly once. The ratio is PostgreSQL's rate over SQLite's, taken within each round
(their sides ran seconds apart), and its median over the rounds is the figure.

PostgreSQL: the server at ``--postgres URL`` (databases are created on it and dropped),
else a throw-away cluster started like the tests' (tests/pgserver.py) but with
PostgreSQL's durability left on (fsync, full-page writes). ``synchronous_commit`` is
``off`` unless asked: the same promise as SQLite's WAL with ``synchronous = NORMAL``,
which filmclub runs, where a crash of the process loses nothing and a power cut may
lose the last commits, never the database's consistency. ``--synchronous-commit on``
waits for every commit to reach the disk.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

from benchmarks.common import (
    emulator_process,
    median,
    quiet_logging,
    report,
    temp_folder,
    timed_rounds,
)
from benchmarks.ingest import FULL, QUICK, bot_side, events_of
from tests import pgserver

SIDES = ("sqlite", "postgresql")
GOAL = 0.5


@contextlib.contextmanager
def postgres(given: str | None, synchronous_commit: str) -> Iterator[pgserver.PostgresServer]:
    """The server the benchmark creates its databases on: ``given``, or a throw-away cluster
    with PostgreSQL's durability as it ships (fsync on)."""
    try:
        with pgserver.running_server(given, durable=True,
                                     synchronous_commit=synchronous_commit) as server:
            yield server
    except pgserver.NoPostgres as exc:
        raise SystemExit(f"benchmarks.ingest_postgres: {exc} (Debian: apt install "
                         "postgresql), and no --postgres URL given") from exc


_names = itertools.count()


@contextlib.asynccontextmanager
async def database(server: pgserver.PostgresServer, synchronous_commit: str
                   ) -> AsyncIterator[str]:
    """A new database on ``server`` for one side of one round (dropped afterwards)."""
    name = f"filmclub_bench_{os.getpid()}_{next(_names)}"
    server.psql(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\'')
    server.psql(f'ALTER DATABASE "{name}" SET synchronous_commit = {synchronous_commit}')
    try:
        yield server.url(name)
    finally:
        server.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def run(quick: bool, rounds: int, server: pgserver.PostgresServer,
              synchronous_commit: str) -> dict[str, Any]:
    sizes = QUICK if quick else FULL
    rates: dict[str, list[float]] = {side: [] for side in SIDES}
    with temp_folder() as folder:
        async with emulator_process(threads=len(SIDES) * rounds) as emu:

            async def time_one(side: str, thread: int) -> float:
                if side == "sqlite":
                    return await bot_side(emu, thread, sizes, folder)
                async with database(server, synchronous_commit) as url:
                    return await bot_side(emu, thread, sizes, folder, database=url)

            async for index, now in timed_rounds(emu, SIDES, rounds, time_one):
                for side, rate in now.items():
                    rates[side].append(rate)
                report(f"round {index}: {events_of(sizes):,} events; SQLite {now['sqlite']:,.0f}"
                       f"/s, PostgreSQL {now['postgresql']:,.0f}/s "
                       f"(ratio {now['postgresql'] / now['sqlite']:.2f})")
    ratios = [pg / lite for pg, lite in zip(rates["postgresql"], rates["sqlite"], strict=True)]
    return {"events": events_of(sizes), "ratio": (median(ratios), min(ratios), max(ratios)),
            **{side: median(values) for side, values in rates.items()}}


def _load() -> str:
    try:
        return " ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:  # pragma: no cover - no load average on this system
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small run, to prove it works")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--postgres", metavar="URL",
                        help="a server to create the databases on (default: a throw-away one)")
    parser.add_argument("--synchronous-commit", choices=("on", "off"), default="off")
    args = parser.parse_args(argv)
    quiet_logging()
    rounds = args.rounds or (1 if args.quick else 5)
    load_before = _load()
    with postgres(args.postgres, args.synchronous_commit) as server:
        result = asyncio.run(run(args.quick, rounds, server, args.synchronous_commit))
    ratio = result["ratio"]
    sys.stdout.write(
        f"ingest on PostgreSQL: {result['events']:,} events a round, medians of {rounds} "
        f"round(s), synchronous_commit {args.synchronous_commit}\n"
        f"  filmclub on SQLite, stored and committed: {result['sqlite']:,.0f} events/s\n"
        f"  filmclub on PostgreSQL, stored and committed: {result['postgresql']:,.0f} events/s\n"
        f"  ratio PostgreSQL / SQLite: {ratio[0]:.2f}, the median of the rounds' ratios "
        f"({ratio[1]:.2f} to {ratio[2]:.2f}; goal >= {GOAL:.2f})\n"
        f"  load average before: {load_before}, after: {_load()}\n"
        "  every event of every burst found in its store exactly once\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
