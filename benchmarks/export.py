"""Export: time against json.dumps of the same rows, and peak memory on a huge thread.

    python -m benchmarks.export [--quick] [--comments N] [--huge N]

A thread is generated into a fresh store (a reply tree, edits, votes, deletions).
The baseline reads the same comments from the store and json.dumps each one; every
format is then timed against it, in the same run. Peak memory is the resident set
of a separate process that exports the huge thread to each format, next to that of
a process that only opens the store (Python, discord-free imports, SQLite).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.export import export_thread, formats
from bot.models import (
    DISCORD_EPOCH_MS,
    Article,
    MessageCreated,
    MessageDeleted,
    MessageEdited,
    Prompt,
    ReactionAdded,
)
from bot.store import SQLiteStore

# Not benchmarks.common: that imports discord.py, which would count in the children's memory.
ROOT = Path(__file__).parents[1]
THREAD = 1_300_000_000_000_000_000
T0 = datetime(2026, 1, 1, tzinfo=UTC)
GOALS = {"json": 3.0, "csv": 3.0, "md": 3.0, "txt": 3.0, "html": 6.0}
WORDS = ("scene", "shot", "cut", "frame", "score", "light", "colour", "actor", "ending",
         "opening", "dialogue", "silence", "tracking", "close-up", "montage", "sound")


def report(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def snowflake(index: int) -> int:
    return ((int(T0.timestamp() * 1000) - DISCORD_EPOCH_MS + index * 7) << 22) | (index & 0xFFF)


async def generate(path: Path, comments: int, seed: int = 11) -> None:
    """A thread of ``comments``: a third are replies, 5% edited, 1% deleted, ~1 vote each."""
    rng = random.Random(seed)
    async with SQLiteStore(path, max_batch=5000) as store:
        await store.add_prompt(Prompt(THREAD, 1, 2, THREAD, Article(
            slug="huge", title="A very long discussion", excerpt="Generated for a benchmark.",
            questions=("What does the last shot mean?",)), T0, 3))
        for i in range(comments):
            cid = snowflake(i)
            parent = snowflake(rng.randrange(i)) if i and i % 3 == 0 else None
            at = T0 + timedelta(seconds=i)
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 40)))
            await store.put(MessageCreated(cid, THREAD, 100 + i % 500, f"Member {i % 500}",
                                           text, at, parent))
            if i % 20 == 7:
                await store.put(MessageEdited(cid, THREAD, text + " (edited)",
                                              at + timedelta(seconds=30)))
            if i % 100 == 42:
                await store.put(MessageDeleted(cid, THREAD, at + timedelta(minutes=5)))
            await store.put(ReactionAdded(cid, THREAD, 100 + rng.randrange(500),
                                          rng.choice(("👍", "👍", "👎", "🎬")), at))
        await store.flush()


async def baseline(path: Path, sink: Path) -> tuple[float, int]:
    """Read the thread's comments from the store and json.dumps each one."""
    async with SQLiteStore(path, create=False) as store:
        started = time.perf_counter()
        count = 0
        with sink.open("w", encoding="utf-8") as out:
            async for c in store.iter_comments(THREAD):
                out.write(json.dumps({
                    "id": c.id, "parent": c.parent_id, "depth": c.depth,
                    "author": c.author_name, "author_id": c.author_id, "content": c.content,
                    "created": c.created_at.isoformat(),
                    "edited": c.edited_at.isoformat() if c.edited_at else None,
                    "deleted": c.deleted_at.isoformat() if c.deleted_at else None,
                    "score": c.score,
                    "revisions": [[r.content, r.replaced_at.isoformat()] for r in c.revisions],
                    "reactions": [[r.user_id, r.emoji] for r in c.reactions],
                    "attachments": [[a.filename, a.url, a.size] for a in c.attachments],
                }, ensure_ascii=False))
                out.write("\n")
                count += 1
        return time.perf_counter() - started, count


async def timed_export(path: Path, fmt: str, out: Path) -> tuple[float, int]:
    async with SQLiteStore(path, create=False) as store:
        started = time.perf_counter()
        result = await export_thread(store, THREAD, fmt, out)
        return time.perf_counter() - started, result.entries  # placeholders included


def peak_rss_mb(args: list[str]) -> float:
    """Run this module as a child with ``args``; return the child's peak resident set."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "benchmarks.export", *args], env=env,
                          cwd=ROOT, capture_output=True, text=True, check=False, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"child {args} failed: {done.stderr.strip()[-500:]}")
    return float(done.stdout.strip().splitlines()[-1])


async def child(mode: str, path: Path, fmt: str, out: Path) -> None:
    if mode == "export":
        async with SQLiteStore(path, create=False) as store:
            await export_thread(store, THREAD, fmt, out)
    else:
        async with SQLiteStore(path, create=False) as store:
            await store.get_prompt(THREAD)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sys.stdout.write(f"{peak_kb / 1024:.1f}\n")


async def speed(folder: Path, comments: int) -> dict[str, Any]:
    db = folder / "speed.db"
    started = time.perf_counter()
    await generate(db, comments)
    report(f"generated {comments:,} comments in {time.perf_counter() - started:.1f} s")
    base, count = await baseline(db, folder / "baseline.jsonl")
    if count != comments:
        raise AssertionError(f"baseline read {count} comments, expected {comments}")
    report(f"  baseline (read from the store + json.dumps): {base:.2f} s")
    ratios = {}
    for fmt in formats.names():
        took, written = await timed_export(db, fmt, folder / f"thread.{fmt}")
        if written != comments:
            raise AssertionError(f"{fmt}: wrote {written} comments, expected {comments}")
        ratios[fmt] = took / base
        report(f"  {fmt:>4}: {took:.2f} s = {ratios[fmt]:.2f}x baseline "
               f"(goal <= {GOALS.get(fmt, 3.0):g}x)")
    return ratios


async def memory(folder: Path, comments: int) -> dict[str, float]:
    db = folder / "huge.db"
    started = time.perf_counter()
    await generate(db, comments)
    report(f"generated {comments:,} comments in {time.perf_counter() - started:.1f} s "
           f"({db.stat().st_size / 2**20:.0f} MB database)")
    peaks = {"(open only)": peak_rss_mb(["--child", "open", str(db), "md", os.devnull])}
    report(f"  peak memory, a process that only opens the store: {peaks['(open only)']:.0f} MB")
    for fmt in formats.names():
        out = folder / f"huge.{fmt}"
        peaks[fmt] = peak_rss_mb(["--child", "export", str(db), fmt, str(out)])
        report(f"  {fmt:>4}: peak {peaks[fmt]:.0f} MB for a {out.stat().st_size / 2**20:.0f} MB "
               "file (goal <= 150 MB)")
        out.unlink()
    return peaks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small run, to prove it works")
    parser.add_argument("--comments", type=int, default=None)
    parser.add_argument("--huge", type=int, default=None)
    parser.add_argument("--child", nargs=4, metavar=("MODE", "DB", "FORMAT", "OUT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.child:
        mode, db, fmt, out = args.child
        asyncio.run(child(mode, Path(db), fmt, Path(out)))
        return 0
    comments = args.comments or (5_000 if args.quick else 100_000)
    huge = args.huge or (20_000 if args.quick else 1_000_000)
    with tempfile.TemporaryDirectory(prefix="filmclub-bench-") as name:
        folder = Path(name)
        ratios = asyncio.run(speed(folder, comments))
        peaks = asyncio.run(memory(folder, huge))
    worst = max(ratios, key=lambda f: ratios[f] / GOALS.get(f, 3.0))
    top = max(v for k, v in peaks.items() if k in formats.FORMATS)
    sys.stdout.write(
        f"export: {comments:,} comments; slowest against its goal: {worst} at "
        f"{ratios[worst]:.2f}x; {huge:,} comments exported with peak memory {top:.0f} MB\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
