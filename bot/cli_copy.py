"""``filmclub db copy SRC DST``: the command's face on :mod:`bot.dbcopy.run`.

At a terminal, a progress bar on stderr (rows copied, then threads verified); piped or
redirected, a line as each stage starts instead. The result is one line on stdout; any
failure is one line on stderr, status 2, with the destination left as it was.
"""

from __future__ import annotations

import asyncio
import sys

from bot.dbcopy.run import copy_database, shown
from bot.export.progress import ProgressBar


def _say(line: str) -> None:
    sys.stderr.write(f"filmclub: {line}\n")


class _Stages:
    """Progress as a bar at a terminal, else one line per stage."""

    def __init__(self, source: str, destination: str) -> None:
        self.terminal = sys.stderr.isatty()
        self.bar: ProgressBar | None = None
        self.phase = ""
        self.source, self.destination = source, destination

    def __call__(self, phase: str, done: int, total: int, note: str) -> None:
        if phase != self.phase:
            self.close()
            self.phase = phase
            unit = "rows" if phase == "copying" else "threads"
            if self.terminal:
                self.bar = ProgressBar(total, sys.stderr, unit=unit, enabled=True)
            elif phase == "copying":
                _say(f"copying {total} rows from {self.source} to {self.destination}")
            else:
                _say(f"verifying: exporting {total} threads from both")
        if self.bar is not None:
            self.bar.update(done, f"{phase} {note}".rstrip())

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def copy(source: str, destination: str) -> int:
    """Run the copy; the answer is one line on stdout."""
    stages = _Stages(shown(source), shown(destination))
    try:
        result = asyncio.run(copy_database(source, destination, progress=stages))
    finally:
        stages.close()
    tables = sum(1 for n in result.rows.values() if n)
    sys.stdout.write(
        f"{result.destination}: copied from {result.source} (schema {result.schema}, "
        f"{result.total} rows in {tables} tables; {result.threads} threads export the same "
        f"from both in {result.exports} exports)\n")
    return 0
