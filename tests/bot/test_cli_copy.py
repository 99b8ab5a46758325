"""`filmclub db copy SRC DST` as a user runs it: its lines, its progress, its refusals."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from bot.cli import main
from bot.store import SQLiteStore
from tests import copydata
from tests.clirun import filmclub, forget_settings, one_line


@pytest.fixture
def club(tmp_path: Path) -> Path:
    """A filmclub database with a bit of everything in it."""
    path = tmp_path / "club.db"

    async def fill() -> None:
        async with SQLiteStore(path) as store:
            await copydata.build(store)

    asyncio.run(fill())
    return path


def test_copy_answers_in_one_line(club: Path, tmp_path: Path) -> None:
    """A copy prints what it copied and verified; piped, its stages are a few lines."""
    result = filmclub("db", "copy", str(club), "copy.db", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"copy.db: copied from {club} (schema ")
    assert "2 threads export the same from both in 20 exports" in result.stdout
    assert result.stderr.splitlines() == [
        f"filmclub: copying {result.stdout.split(', ')[1].split()[0]} rows from {club} "
        "to copy.db",
        "filmclub: verifying: exporting 2 threads from both"]
    assert (tmp_path / "copy.db").stat().st_size > 0


@pytest.mark.parametrize(("source", "destination", "said"), [
    ("none.db", "copy.db", "filmclub: no database at none.db"),
    ("club.db", "club.db", "filmclub: the source and the destination are the same database"),
    ("club.db", "nowhere/copy.db", "filmclub: cannot write to nowhere: no such folder"),
])
def test_failures_are_one_line(club: Path, tmp_path: Path, source: str, destination: str,
                               said: str) -> None:
    """Each refusal is one line on stderr, status 2, nothing on stdout."""
    result = filmclub("db", "copy", source, destination, cwd=tmp_path)
    assert (result.returncode, result.stdout, one_line(result)) == (2, "", said)
    assert not (tmp_path / "copy.db").exists()


def test_existing_destination_is_kept(club: Path, tmp_path: Path) -> None:
    """A second copy to the same file is refused and the first copy is untouched."""
    assert filmclub("db", "copy", "club.db", "copy.db", cwd=tmp_path).returncode == 0
    kept = (tmp_path / "copy.db").read_bytes()
    again = filmclub("db", "copy", "club.db", "copy.db", cwd=tmp_path)
    assert again.returncode == 2
    assert one_line(again).startswith("filmclub: copy.db already exists; db copy writes only")
    assert (tmp_path / "copy.db").read_bytes() == kept


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_at_a_terminal(club: Path, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    """At a terminal the stages are a bar redrawn in place, rows then threads."""
    forget_settings(monkeypatch)
    monkeypatch.chdir(tmp_path)
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert main(["db", "copy", str(club), "copy.db"]) == 0
    drawn = terminal.getvalue()
    assert "\r[" in drawn and " rows  copying " in drawn and " 2/2 threads  verifying " in drawn
    assert "filmclub: copying" not in drawn
    assert drawn.endswith("\n")
    assert capsys.readouterr().out.startswith("copy.db: copied from")
