"""`filmclub watchlist export` as a user runs it (issue 17): stdout, files never
overwritten without --force, one-line errors."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.store import SQLiteStore
from bot.watchlist import read_film
from tests.clirun import forget_settings

GUILD = 4242
AT = datetime(2026, 12, 1, 19, 0, tzinfo=UTC)


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two lists of one server; the CLI run from tmp_path, without a token."""
    path = tmp_path / "filmclub.db"

    async def fill() -> None:
        async with SQLiteStore(path) as store:
            for name, film, who in (("Watchlist", "Her (2013)", "Ana"),
                                    ("Watchlist", "The Godfather", "Ben"),
                                    ("Halloween", "Halloween (1978)", "Ana")):
                await store.add_watch_entry(GUILD, name, read_film(film), note=None,
                                            user_id=len(who), user_name=who, at=AT)

    asyncio.run(fill())
    forget_settings(monkeypatch)
    monkeypatch.setenv("FILMCLUB_DB", str(path))
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    monkeypatch.chdir(tmp_path)
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["watchlist", "export", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_markdown_to_stdout(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without --out: every list of the only server, as Markdown, on stdout."""
    status, out, err = run(capsys)
    assert (status, err) == (0, "")
    assert out.startswith("# Watchlist\n")
    assert "1. **Her** (2013) — suggested by Ana" in out
    assert "# Halloween\n" in out


def test_csv_of_one_list_to_a_file(database: Path, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    """--list and --format csv into a new file; the answer names it and counts."""
    status, out, err = run(capsys, "--list", "halloween", "--format", "csv", "--out", "h.csv",
                           "--guild", str(GUILD))
    assert (status, err) == (0, "")
    assert out == "h.csv (1 list, 1 film)\n"
    rows = list(csv.reader(io.StringIO((tmp_path / "h.csv").read_text(encoding="utf-8"))))
    assert rows[1][:3] == ["Halloween", "Halloween", "1978"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_an_existing_file_is_kept_without_force(database: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """An existing file: refused in one line and untouched; --force replaces it."""
    target = tmp_path / "list.md"
    target.write_text("mine", encoding="utf-8")
    status, out, err = run(capsys, "--out", str(target))
    assert status == 2 and out == ""
    assert err == f"filmclub: {target} exists; add --force to replace it\n"
    assert target.read_text(encoding="utf-8") == "mine"
    status, out, err = run(capsys, "--out", str(target), "--force")
    assert status == 0 and target.read_text(encoding="utf-8").startswith("# Watchlist")


def test_a_folder_is_never_replaced(database: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Even with --force, a directory at the path is refused."""
    (tmp_path / "dir.md").mkdir()
    status, _, err = run(capsys, "--out", "dir.md", "--force")
    assert status == 2 and "is not a regular file" in err and err.count("\n") == 1
    assert (tmp_path / "dir.md").is_dir()


@pytest.mark.parametrize(("args", "problem"), [
    (["--guild", "1"], "server 1 has no watchlist"),
    (["--list", "Nope"], "has no list named 'Nope'"),
    (["--db", "missing.db"], "no database at missing.db"),
])
def test_one_line_errors(database: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                         problem: str) -> None:
    """Unknown server, list or database: one line, status 2, nothing written."""
    status, out, err = run(capsys, *args)
    assert status == 2 and out == "" and problem in err and err.count("\n") == 1
