"""A one-line progress bar for long exports at a terminal.

Drawn on stderr and only when stderr is a terminal: piped or redirected, the command's
output stays exactly its result lines. Twenty lines of code do not justify a
dependency (tqdm), and this bar has nothing to configure.
"""

from __future__ import annotations

import shutil
from typing import TextIO


class ProgressBar:
    """``[#########.........]  3/10 threads  Vertigo and the second fall``, redrawn in place."""

    def __init__(self, total: int, stream: TextIO, *, unit: str = "threads",
                 enabled: bool | None = None, width: int | None = None) -> None:
        self.total = total
        self.stream = stream
        self.unit = unit
        self.enabled = stream.isatty() if enabled is None else enabled
        self.width = width
        self._drawn = False

    def update(self, done: int, note: str = "") -> None:
        """Show ``done`` of ``total``, with ``note`` (what was just done) after it."""
        if not self.enabled:
            return
        columns = self.width or shutil.get_terminal_size((80, 24)).columns
        cells = 24
        filled = cells * done // self.total if self.total else cells
        line = f"[{'#' * filled}{'.' * (cells - filled)}] {done}/{self.total} {self.unit}"
        if note:
            line += f"  {note}"
        line = line[: max(columns - 1, 10)]
        self.stream.write(f"\r{line}\x1b[K")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """End the bar's line, so what is written next starts on its own."""
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False
