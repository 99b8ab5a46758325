"""Charts (issue 19): a 100,000-comment thread charted, and the command line's start-up.

    python -m benchmarks.charts [--quick] [--comments N] [--rounds N]

A thread is generated into a fresh store as ``benchmarks.export`` makes it (a comment a
second, about a vote each: 28 hours of hourly buckets for 100,000). Then, each round:
the store's per-hour counts and the chart's data (:func:`bot.charts.stats_chart`), the
PNG and the SVG drawn, and the whole of what /stats does for its picture (data + PNG),
with a ticker on the event loop recording how late it woke while the drawing thread
ran. The first drawing in the process, with matplotlib's import, is timed apart.

Start-up: ``filmclub --help``, ``filmclub stats --help`` and ``filmclub export --help``
(every module of the command line imported, the parsers built) run as fresh processes,
with this tree and with the tree of the commit before issue 19 (``git archive`` of BASE
into a temporary folder), alternated, in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.export import THREAD, generate, report
from bot.charts import draw, render, stats_chart
from bot.records.visibility import EVERY_THREAD
from bot.store import SQLiteStore

ROOT = Path(__file__).parents[1]
#: The commit issue 19 started from: the "before" of the start-up comparison.
BASE = "4763078"
GOAL_SECONDS = 1.0


async def _lag_while(work: asyncio.Future[object]) -> float:
    """The longest the event loop was late for a 5 ms tick while ``work`` ran (ms)."""
    worst = 0.0
    while not work.done():
        start = time.perf_counter()
        await asyncio.sleep(0.005)
        worst = max(worst, time.perf_counter() - start - 0.005)
    return worst * 1000


async def chart_rounds(db: Path, rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {k: [] for k in ("data", "png", "svg", "stats", "lag")}
    async with SQLiteStore(db, create=False) as store:
        chart = await stats_chart(store, 1, visible=EVERY_THREAD, thread_id=THREAD,
                                  subject="A very long discussion",
                                  now=datetime.now(UTC))
        cold = time.perf_counter()
        first = await draw(chart, "png")
        report(f"first chart in the process (matplotlib's import included): "
               f"{time.perf_counter() - cold:.3f} s, {len(first):,} bytes")
        report(f"chart: {sum(chart.comments):,} comments and {sum(chart.votes):,} votes in "
               f"{len(chart.starts)} {chart.unit}s")
        for _ in range(rounds):
            t = time.perf_counter()
            chart = await stats_chart(store, 1, visible=EVERY_THREAD, thread_id=THREAD,
                                      subject="A very long discussion",
                                      now=datetime.now(UTC))
            times["data"].append(time.perf_counter() - t)
            t = time.perf_counter()
            render(chart, "png")
            times["png"].append(time.perf_counter() - t)
            t = time.perf_counter()
            render(chart, "svg", "page")
            times["svg"].append(time.perf_counter() - t)
            t = time.perf_counter()

            async def whole() -> bytes:
                found = await stats_chart(store, 1, visible=EVERY_THREAD, thread_id=THREAD,
                                          subject="x", now=datetime.now(UTC))
                return await draw(found, "png")

            task = asyncio.ensure_future(whole())
            times["lag"].append(await _lag_while(task))
            await task
            times["stats"].append(time.perf_counter() - t)
    return times


def _startup(tree: Path, argv: list[str], db: Path) -> float:
    """Seconds for a fresh ``filmclub ARGV`` from ``tree``."""
    code = ("import sys, time; t = time.perf_counter(); import bot.cli\n"
            "try:\n    bot.cli.main(sys.argv[1:])\nexcept SystemExit:\n    pass\n")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, *argv], cwd=tree, check=False,
                   capture_output=True, env={"PYTHONPATH": str(tree), "FILMCLUB_DB": str(db),
                                             "PATH": "/usr/bin:/bin"})
    return time.perf_counter() - start


def startup(db: Path, rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="filmclub-base-") as folder:
        before = Path(folder)
        git = shutil.which("git") or "/usr/bin/git"
        archive = subprocess.run([git, "archive", BASE], cwd=ROOT, capture_output=True,
                                 check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(before, filter="data")
        # Commands that read no database: the code before issue 19 refuses the benchmark's
        # (it carries issue 19's migration), which would time a refusal, not a start-up.
        for argv in (["--help"], ["stats", "--help"], ["export", "--help"]):
            runs: dict[str, list[float]] = {"before": [], "after": []}
            for _ in range(rounds):  # alternated, so both sides see the same machine
                runs["before"].append(_startup(before, argv, db))
                runs["after"].append(_startup(ROOT, argv, db))
            b, a = statistics.median(runs["before"]), statistics.median(runs["after"])
            report(f"start-up `filmclub {' '.join(argv)}`: before issue 19 ({BASE}) "
                   f"{b * 1000:.0f} ms, after {a * 1000:.0f} ms (medians of {rounds}; "
                   f"after/before {a / b:.2f})")


def reference() -> float:
    """Seconds for a fixed pure-Python loop: how busy this machine was during the run."""
    start = time.perf_counter()
    total = 0
    for step in range(5_000_000):
        total += step
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 comments, 2 rounds")
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", type=Path, metavar="DB",
                        help="generate the thread into DB and keep it; reuse DB if it exists")
    args = parser.parse_args(argv)
    comments, rounds = (5_000, 2) if args.quick else (args.comments, args.rounds)
    with tempfile.TemporaryDirectory(prefix="filmclub-bench-") as folder:
        db = args.keep or Path(folder) / "charts.db"
        if db.exists():
            report(f"reusing {db}")
        else:
            t = time.perf_counter()
            asyncio.run(generate(db, comments))
            report(f"generated {comments:,} comments in {time.perf_counter() - t:.1f} s")
        times = asyncio.run(chart_rounds(db, rounds))
        med = {k: statistics.median(v) for k, v in times.items()}
        report(f"per round (median of {rounds}): data {med['data']:.3f} s, PNG "
               f"{med['png']:.3f} s, SVG {med['svg']:.3f} s")
        report(f"charts: {comments:,} comments; /stats' picture (data + PNG, off the loop) "
               f"{med['stats']:.3f} s against the goal of {GOAL_SECONDS:.1f} s "
               f"(worst round {max(times['stats']):.3f} s); event loop at most "
               f"{max(times['lag']):.1f} ms late meanwhile")
        startup(db, 3 if args.quick else 7)
    report(f"machine reference: a 5,000,000-step Python loop took {reference():.2f} s in this "
           "run (the busier the machine, the longer)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
