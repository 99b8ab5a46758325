"""`filmclub export` as a user runs it: scopes, options, files, one-line errors, progress."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import os
import sys
import zipfile
from pathlib import Path

import pytest

from bot.cli import main
from bot.models import MessageCreated
from bot.store import SQLiteStore
from tests import discussion, hostile
from tests.bot.test_cli import filmclub
from tests.clirun import forget_settings

#: A server id as Discord makes them (the CLI refuses ids that are not snowflake-shaped).
GUILD = 1_200_000_000_000_000_010


async def build(store: SQLiteStore) -> None:
    """Both sample discussions, posted in GUILD."""
    for sample in (discussion, hostile):
        await store.add_prompt(dataclasses.replace(sample.PROMPT, guild_id=GUILD))
        for event in sample.EVENTS:
            store.submit(event)
    await store.flush()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Both sample discussions in a database; the CLI run from tmp_path, without a token."""
    path = tmp_path / "filmclub.db"

    async def fill() -> None:
        async with SQLiteStore(path) as store:
            await build(store)

    asyncio.run(fill())
    forget_settings(monkeypatch)
    monkeypatch.setenv("FILMCLUB_DB", str(path))
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    monkeypatch.chdir(tmp_path)
    return path


def export(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `filmclub export ...` in this process: (status, stdout, stderr)."""
    status = main(["export", *args])
    out, err = capsys.readouterr()
    return status, out, err


def add_comment(path: Path, text: str) -> None:
    async def write() -> None:
        async with SQLiteStore(path) as store:
            store.submit(MessageCreated(discussion.sf(50), discussion.THREAD, 6, "Fay", text,
                                        discussion.at(50)))

    asyncio.run(write())


def test_thread_is_written_under_its_default_name(database: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """--thread: the file is named after the title, and one line says where and what."""
    status, out, err = export(capsys, "--thread", str(discussion.THREAD))
    name = f"vertigo-and-the-second-fall-{discussion.THREAD}.md"
    assert (status, err) == (0, "")
    assert out == (f"{name} (4 comments, 1 deleted, {(tmp_path / name).stat().st_size} "
                   "bytes)\n")


def test_prompt_is_found_by_its_message_id(database: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """--prompt takes the prompt's message id and exports its thread."""
    status, out, _ = export(capsys, "--prompt", str(discussion.PROMPT.message_id),
                            "--format", "json", "--out", "p.json")
    assert status == 0 and out.startswith("p.json (4 comments, 1 deleted, ")
    assert '"threadId": "1437000000000000000"' in (tmp_path / "p.json").read_text("utf-8")


@pytest.mark.parametrize("out", ["exports", "exports/"])
def test_out_folder_gets_the_default_name(database: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str], out: str) -> None:
    """--out an existing folder (with or without a final /): the file goes in it, default name."""
    (tmp_path / "exports").mkdir()
    status, _, _ = export(capsys, "--thread", str(discussion.THREAD), "--out", out,
                          "--format", "txt")
    assert status == 0
    assert [p.name for p in (tmp_path / "exports").iterdir()] == [
        f"vertigo-and-the-second-fall-{discussion.THREAD}.txt"]


def test_options_reach_the_file(database: Path, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    """Sort, window, score, deleted, revisions and anonymise all apply."""
    status, out, _ = export(
        capsys, "--thread", str(discussion.THREAD), "--out", "o.md", "--sort", "top",
        "--after", "2026-11-01", "--before", "2026-11-02 00:00", "--min-score", "-1",
        "--include-deleted", "--include-revisions", "--anonymise")
    text = (tmp_path / "o.md").read_text("utf-8")
    assert status == 0 and out.startswith("o.md (5 comments, 1 deleted, ")
    assert ("*Selection: best score first; written after 2026-11-01 00:00 UTC; written before "
            "2026-11-02 00:00 UTC; score −1 or more; members anonymised.*") in text
    assert "Mistake, wrong thread" in text and "Earlier versions:" in text
    assert "### Ana · " not in text and "### Member 1 · " in text


def test_guild_archive_goes_in_the_folder(database: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """--guild: a zip of every thread and an index, in the --out folder."""
    (tmp_path / "archive").mkdir()
    status, out, err = export(capsys, "--guild", str(GUILD), "--format", "html",
                              "--out", "archive")
    path = tmp_path / "archive" / f"server-{GUILD}-html.zip"
    assert (status, err) == (0, "")
    assert out == (f"{Path('archive') / path.name} (2 threads, 18 comments, "
                   f"{path.stat().st_size} bytes)\n")
    assert len(zipfile.ZipFile(path).namelist()) == 3


def test_since_last_exports_only_the_changes(database: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """First everything (and it says so), then only what changed since, with its date."""
    args = ("--thread", str(discussion.THREAD), "--since-last", "--out", "s.md", "--force")
    first = export(capsys, *args)
    assert first[1].endswith("no earlier export like it, so everything)\n")
    add_comment(database, "Late to the party.")
    status, out, _ = export(capsys, *args)
    text = (tmp_path / "s.md").read_text("utf-8")
    assert status == 0 and "(1 comment," in out and "changes since the export of " in out
    assert "Late to the party." in text and "Ana" not in text


UNKNOWN = "1300000000000000005"


@pytest.mark.parametrize(("args", "line"), [
    (("--thread", UNKNOWN), f"filmclub: there is no prompt thread {UNKNOWN} in the database"),
    (("--prompt", UNKNOWN), f"filmclub: no prompt has the message or thread id {UNKNOWN}"),
    (("--guild", UNKNOWN), f"filmclub: server {UNKNOWN} has no prompts in the database"),
    (("--thread", str(discussion.THREAD), "--after", "last week"),
     "filmclub: after: 'last week' is neither a date (2026-11-01, 2026-11-01 20:30) "
     "nor a message id"),
    (("--thread", str(discussion.THREAD), "--sort", "loud"),
     "filmclub: sort: 'loud' is not one of oldest, newest, top"),
    (("--thread", str(discussion.THREAD), "--out", "notes.txt/x.md"),
     "filmclub: cannot write to notes.txt: a file is in the way of that folder"),
])
def test_mistakes_are_one_line_and_status_2(database: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str],
                                            args: tuple[str, ...], line: str) -> None:
    """Unknown ids, bad options and unwritable paths: one line on stderr, status 2, no file."""
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    before = sorted(p.name for p in tmp_path.iterdir())
    status, out, err = export(capsys, *args)
    assert (status, out, err) == (2, "", line + "\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders")
def test_read_only_folder_is_one_line(database: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    """A folder without write permission: one line naming it."""
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    status, _, err = export(capsys, "--thread", str(discussion.THREAD), "--out", "locked/x.md")
    assert status == 2 and err == "filmclub: cannot write to locked: Permission denied\n"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_archive_draws_a_progress_bar_on_a_terminal(database: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """On a terminal, stderr shows the bar thread by thread, then ends its line."""
    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    assert main(["export", "--guild", str(GUILD), "--out", "a.zip"]) == 0
    drawn = screen.getvalue()
    assert "\r[############............] 1/2 threads  Vertigo and the second fall" in drawn
    assert "2/2 threads" in drawn and drawn.endswith("\n")


def test_offline_archive_from_a_real_process(database: Path, tmp_path: Path) -> None:
    """The installed command, no token, stderr piped: the zip, one stdout line, no bar."""
    result = filmclub("export", "--guild", str(GUILD), "--format", "csv", cwd=tmp_path,
                      env={"FILMCLUB_DB": str(database), "LOG_LEVEL": "WARNING"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"server-{GUILD}-csv.zip (2 threads, 18 comments, ")
    assert result.stderr == ""
