"""One bot per database: the run lock, its one-line refusal, and locks of dead processes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path

import pytest

from bot.store.lock import AlreadyRunning, BotLock, lock_path

ROOT = Path(__file__).parents[2]
HOLD = ("import sys, time\n"
        "from pathlib import Path\n"
        "from bot.store.lock import BotLock\n"
        "with BotLock(Path(sys.argv[1])):\n"
        "    print('holding', flush=True)\n"
        "    time.sleep(600)\n")


async def holder(db: Path) -> asyncio.subprocess.Process:
    """Another process holding the lock of ``db`` (it says so before it sleeps)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLD, str(db), cwd=ROOT, stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout is not None
    assert await asyncio.wait_for(proc.stdout.readline(), 60) == b"holding\n"
    return proc


def test_a_second_lock_on_the_same_database_is_refused(tmp_path: Path) -> None:
    """While one holds the lock, the next is refused naming the holder's pid and host."""
    db = tmp_path / "filmclub.db"
    with BotLock(db):
        note = json.loads(lock_path(db).read_text())
        assert (note["pid"], note["host"]) == (os.getpid(), socket.gethostname())
        with pytest.raises(AlreadyRunning) as info:
            BotLock(db).acquire()
    message = str(info.value)
    assert f"pid {os.getpid()} on {socket.gethostname()}, since " in message
    assert str(db) in message and "\n" not in message
    with BotLock(db):  # released: free again
        pass


async def test_a_lock_held_by_another_process_names_it(tmp_path: Path) -> None:
    """The refusal names the other process's pid and host."""
    db = tmp_path / "filmclub.db"
    proc = await holder(db)
    try:
        with pytest.raises(AlreadyRunning, match=f"pid {proc.pid} on {socket.gethostname()}"):
            BotLock(db).acquire()
    finally:
        proc.kill()
        await proc.wait()


async def test_the_lock_of_a_killed_process_does_not_block(tmp_path: Path) -> None:
    """SIGKILL leaves the lock file with the dead pid in it; the next bot takes it anyway."""
    db = tmp_path / "filmclub.db"
    proc = await holder(db)
    os.kill(proc.pid, signal.SIGKILL)
    await proc.wait()
    assert json.loads(lock_path(db).read_text())["pid"] == proc.pid  # stale note
    with BotLock(db):
        assert json.loads(lock_path(db).read_text())["pid"] == os.getpid()


def test_an_unreadable_note_still_refuses_in_one_line(tmp_path: Path) -> None:
    """A holder whose note is missing is still refused, and says it cannot name it."""
    db = tmp_path / "filmclub.db"
    with BotLock(db):
        lock_path(db).write_text("garbage")
        with pytest.raises(AlreadyRunning, match="not recorded in the lock file"):
            BotLock(db).acquire()
