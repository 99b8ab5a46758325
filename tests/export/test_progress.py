"""The archive progress bar: drawn in place on a terminal, silent anywhere else."""

from __future__ import annotations

import io

from bot.export.progress import ProgressBar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bar_is_drawn_in_place_on_a_terminal() -> None:
    """Each update redraws one line (carriage return); close ends it with a newline."""
    screen = Terminal()
    bar = ProgressBar(4, screen, width=60)
    bar.update(1, "Vertigo")
    bar.update(4, "Stalker")
    bar.close()
    frames = screen.getvalue().split("\r")[1:]
    assert frames[0].startswith("[######..................] 1/4 threads  Vertigo")
    assert frames[1].startswith("[########################] 4/4 threads  Stalker")
    assert screen.getvalue().endswith("\n") and screen.getvalue().count("\n") == 1


def test_bar_fits_the_terminal_width() -> None:
    """A long title is cut so the line never wraps."""
    screen = Terminal()
    ProgressBar(2, screen, width=40).update(1, "A very long title " * 10)
    line = screen.getvalue().removeprefix("\r").removesuffix("\x1b[K")
    assert len(line) == 39


def test_nothing_is_written_when_not_a_terminal() -> None:
    """Piped or redirected: no bar, no newline."""
    pipe = io.StringIO()
    bar = ProgressBar(3, pipe)
    bar.update(1, "Vertigo")
    bar.close()
    assert pipe.getvalue() == ""
