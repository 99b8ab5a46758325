"""`filmclub db backup|check` and the refusal to start on a database that is not ours."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.cli import main
from bot.models import Article, MessageCreated, Prompt, utcnow
from bot.store import SQLiteStore
from bot.store.maintenance import backup, check
from bot.store.migrations import APPLICATION_ID, SCHEMA_VERSION
from tests.clirun import forget_settings

ROOT = Path(__file__).parents[2]
THREAD = 1_300_000_000_000_000_000


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No filmclub settings from the environment; a folder of our own."""
    forget_settings(monkeypatch)
    monkeypatch.chdir(tmp_path)


async def _fill(path: Path, comments: int) -> None:
    async with SQLiteStore(path) as store:
        await store.add_prompt(Prompt(THREAD, 1, 2, THREAD, Article("a", "A"), utcnow()))
        for i in range(comments):
            store.submit(MessageCreated(THREAD + i + 1, THREAD, 7, "Ana", f"comment {i}",
                                        utcnow()))
        await store.flush()


def database(tmp_path: Path, comments: int = 3) -> Path:
    path = tmp_path / "filmclub.db"
    asyncio.run(_fill(path, comments))
    return path


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_check_healthy_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A healthy database: status 0 and one line with schema, counts and integrity."""
    path = database(tmp_path)
    code, out, err = run_cli(capsys, "db", "check", "--db", str(path))
    assert (code, err) == (0, "")
    assert out == (f"{path}: ok (filmclub schema {SCHEMA_VERSION}, 1 prompts, 3 comments, "
                   "integrity ok)\n")


@pytest.mark.parametrize(("damage", "expected"), [
    ("newer", "is newer than this filmclub knows"),
    ("foreign", "is not a filmclub database"),
    ("corrupt", "integrity:"),
], ids=["newer", "foreign", "corrupt"])
def test_check_reports_problems_in_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         damage: str, expected: str) -> None:
    """A newer, foreign or damaged database: status 1 and the problem, one line each."""
    path = database(tmp_path, comments=400)
    if damage == "newer":
        with sqlite3.connect(path) as db:
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    elif damage == "foreign":
        path = tmp_path / "other.db"
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE notes (x)")
    else:
        with sqlite3.connect(path) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            page_size = db.execute("PRAGMA page_size").fetchone()[0]
            root = db.execute("SELECT rootpage FROM sqlite_schema WHERE name = 'comments'"
                              ).fetchone()[0]
        with path.open("r+b") as handle:  # scribble over the comments table's first page
            handle.seek((root - 1) * page_size + 8)
            handle.write(b"\xff" * 64)
    code, out, err = run_cli(capsys, "db", "check", "--db", str(path))
    assert code == 1 and out == ""
    assert expected in err and all(line.startswith("filmclub: ") for line in err.splitlines())


@pytest.mark.parametrize(("make", "expected"), [
    (None, "no database at"),
    (b"this is not a database" * 100, "not a usable SQLite database"),
], ids=["missing", "garbage"])
def test_check_of_no_database_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          make: bytes | None, expected: str) -> None:
    """A missing file or one that is not SQLite: one line, status 2."""
    path = tmp_path / "filmclub.db"
    if make is not None:
        path.write_bytes(make)
    code, _, err = run_cli(capsys, "db", "check", "--db", str(path))
    assert code == 2 and len(err.splitlines()) == 1 and expected in err


def test_backup_is_a_checked_copy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The backup is a complete, self-contained database with the same rows."""
    path = database(tmp_path)
    target = tmp_path / "copies" / "monday.db"
    target.parent.mkdir()
    code, out, err = run_cli(capsys, "db", "backup", str(target), "--db", str(path))
    assert (code, err) == (0, "")
    assert out == f"{target} (schema {SCHEMA_VERSION}, 1 prompts, 3 comments, integrity ok)\n"
    assert not Path(f"{target}-wal").exists()
    assert sorted(p.name for p in target.parent.iterdir()) == ["monday.db"]
    with sqlite3.connect(target) as db:
        assert [r[0] for r in db.execute("SELECT content FROM comments ORDER BY id")] == [
            "comment 0", "comment 1", "comment 2"]


@pytest.mark.parametrize("case", ["exists", "no-folder", "foreign"])
def test_backup_refusals_are_one_line_and_touch_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str) -> None:
    """An existing target, a missing folder or a foreign source: one line, nothing written."""
    path = database(tmp_path)
    target = tmp_path / "backup.db"
    if case == "exists":
        target.write_bytes(b"last week's backup")
    elif case == "no-folder":
        target = tmp_path / "nowhere" / "backup.db"
    else:
        path = tmp_path / "other.db"
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE notes (x)")
    before = sorted(p.name for p in tmp_path.iterdir())
    code, out, err = run_cli(capsys, "db", "backup", str(target), "--db", str(path))
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    if case == "exists":
        assert target.read_bytes() == b"last week's backup"


def test_backup_while_the_writer_commits(tmp_path: Path) -> None:
    """A backup taken while the bot's writer commits is consistent and passes its check."""
    path = database(tmp_path, comments=0)
    results = []

    async def write_and_back_up() -> int:
        async with SQLiteStore(path) as store:
            done = threading.Event()

            def copies() -> None:
                for n in range(5):
                    results.append(backup(path, tmp_path / f"copy{n}.db"))
                done.set()

            copier = asyncio.get_running_loop().run_in_executor(None, copies)
            written = 0
            while not done.is_set():
                for _ in range(50):
                    written += 1
                    store.submit(MessageCreated(THREAD + written, THREAD, 7, "Ana", "hi",
                                                utcnow()))
                await store.flush()
            await copier
            return written

    written = asyncio.run(write_and_back_up())
    counts = [r.comments for r in results]
    assert all(r.ok for r in results) and counts == sorted(counts)
    assert counts[-1] <= written
    assert all(check(tmp_path / f"copy{n}.db").ok for n in range(5))


@pytest.mark.parametrize(("damage", "expected"), [
    ("newer", "was written by a newer filmclub"),
    ("foreign", "is not a filmclub database"),
])
def test_run_refuses_a_database_it_must_not_use(tmp_path: Path, damage: str,
                                                expected: str) -> None:
    """`filmclub run` on a newer or foreign database: one line, status 2, file untouched."""
    path = tmp_path / "filmclub.db"
    with sqlite3.connect(path) as db:
        if damage == "newer":
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
            db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        else:
            db.execute("CREATE TABLE notes (x)")
    before = path.read_bytes()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "FILMCLUB_"))}
    env.update(PYTHONPATH=str(ROOT), DISCORD_TOKEN="emulated.bot.token-0123456789",
               FILMCLUB_DB=str(path), DISCORD_API_BASE="http://127.0.0.1:9/api/v10",
               DISCORD_GATEWAY_URL="ws://127.0.0.1:9/gateway")
    result = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len([line for line in lines if line.startswith("filmclub: ")]) == 1
    assert expected in lines[-1] and "Traceback" not in result.stderr
    assert path.read_bytes() == before
