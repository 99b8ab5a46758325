"""Run the installed ``filmclub`` command as a user does, and damage databases as disks do.

``filmclub()`` starts the real entry point (the console script pip installed, else
``python -m bot``) in a folder of the test's, with no filmclub setting inherited from
the environment, so each test says exactly what the user has set.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sqlite3
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[1]
#: The server the sample discussions are put in: an id shaped like Discord's.
GUILD = 1_200_000_000_000_000_010
_SCRIPT = Path(sys.executable).with_name("filmclub")


def command() -> list[str]:
    """The filmclub command: the installed console script, else the module."""
    if _SCRIPT.exists():
        return [str(_SCRIPT)]
    return [sys.executable, "-m", "bot"]


def forget_settings(monkeypatch: Any) -> None:
    """Take this process's filmclub and Discord settings away for one test (an in-process
    CLI run then reads only what the test sets)."""
    for key in list(os.environ):
        if key.startswith(("DISCORD_", "FILMCLUB_")):
            monkeypatch.delenv(key)


def clean_env(**settings: str) -> dict[str, str]:
    """The process environment without filmclub's settings, plus ``settings``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DISCORD_", "FILMCLUB_", "LOG_LEVEL"))}
    env["PYTHONPATH"] = str(ROOT)
    env["FILMCLUB_FILM_LOOKUP"] = "off"  # no internet in tests
    env.update(settings)
    return env


async def afilmclub(*args: str, cwd: Path, timeout: float = 60, **settings: str
                    ) -> subprocess.CompletedProcess[str]:
    """:func:`filmclub` without blocking the event loop (a test's web server runs on it)."""
    proc = await asyncio.create_subprocess_exec(
        *command(), *args, cwd=cwd, env=clean_env(**settings),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return subprocess.CompletedProcess([*command(), *args], proc.returncode or 0,
                                       out.decode(), err.decode())


def filmclub(*args: str, cwd: Path, timeout: float = 60, umask: int | None = None,
             **settings: str) -> subprocess.CompletedProcess[str]:
    """Run ``filmclub ARGS`` in ``cwd`` with only ``settings`` set; stdout and stderr as text."""
    before: Callable[[], object] | None = None
    if umask is not None:
        mask = umask

        def before() -> object:
            return os.umask(mask)

    return subprocess.run([*command(), *args], cwd=cwd, env=clean_env(**settings),
                          capture_output=True, text=True, timeout=timeout, check=False,
                          preexec_fn=before)


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single line a failing command wrote on stderr (an AssertionError otherwise)."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


# -- damage, as a failing disk or a bad copy leaves it -----------------------------------


def _page_size(path: Path) -> int:
    return struct.unpack(">H", path.read_bytes()[16:18])[0]


def break_table(path: Path, table: str) -> None:
    """Scribble over the root page of ``table`` (a bad data page): its rows are unreadable."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        root = db.execute("SELECT rootpage FROM sqlite_schema WHERE name = ?",
                          (table,)).fetchone()[0]
    size = _page_size(path)
    with path.open("r+b") as handle:
        handle.seek((root - 1) * size)
        handle.write(bytes((i * 7 + 3) % 256 for i in range(size)))


def break_schema(path: Path, name: str = "export_state", *, where: str = "keyword") -> None:
    """Scribble over the stored SQL of one table (a bad schema page): SQLite cannot read
    the schema, and its message quotes the bytes, which are not UTF-8 (Python's sqlite3
    then raised UnicodeDecodeError, not even a DatabaseError). ``where="columns"``
    garbles the column list instead: a read-only connection then opens the file anyway,
    and SQLite's integrity check calls it ok."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("PRAGMA journal_mode = DELETE")
    data = bytearray(path.read_bytes())
    marker = f"CREATE TABLE {name} (".encode()
    at = data.find(marker)
    assert at > 0, f"no table {name} in {path}"
    while at > 0:  # free pages may hold older copies of the schema: all of them
        if where == "keyword":
            start = at + len(b"CREATE ")
            data[start:start + 5] = b"\xff\xfe\xfd\xff\xfe"  # the word TABLE
        else:
            start = at + len(marker)
            data[start:start + 6] = b"\xff\xfe\xfd\xff\xfe\xfd"  # its first column
        at = data.find(marker, start)
    path.write_bytes(bytes(data))


def sample_database(path: Path, *samples: Any) -> Path:
    """A database at ``path`` holding the sample discussions (modules with ``PROMPT`` and
    ``EVENTS``, such as ``tests.discussion``), moved into :data:`GUILD`."""
    from bot.store import SQLiteStore

    async def build() -> None:
        async with SQLiteStore(path) as store:
            for sample in samples:
                await store.add_prompt(dataclasses.replace(sample.PROMPT, guild_id=GUILD))
                for event in sample.EVENTS:
                    store.submit(event)
            await store.flush()

    asyncio.run(build())
    return path
