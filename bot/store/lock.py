"""One running bot per database: a lock that dies with the process holding it.

Two bots on one database would both answer every interaction and both post every
scheduled prompt. ``filmclub run`` therefore takes an exclusive ``flock`` on a file
beside the database (``filmclub.db.lock``) and writes who holds it (pid, host, since
when) into it. A second bot finds the lock taken and refuses to start, in one line
naming the holder. The operating system drops the lock when the holder's process
ends, however it ends (SIGKILL, a crash, a reboot), so a stale file never blocks:
the next bot takes the lock and writes itself in.

The command-line tools that are safe beside a running bot (``catch-up``, ``export``,
``db backup``) do not take it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Self

from bot.errors import StoreError

log = logging.getLogger(__name__)

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt


class AlreadyRunning(StoreError):
    """Another bot holds the database's lock; the message names its pid and host."""


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


class BotLock:
    """``with BotLock(db_path):`` (or ``async with``): hold the run lock, or AlreadyRunning."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = Path(db_path)
        self.path = lock_path(self.db_path)
        self._fd: int | None = None

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(f"cannot create the lock file {self.path}: "
                             f"{exc.strerror or exc}") from None
        try:
            _lock(fd)
        except OSError:
            holder = _read_holder(fd)
            os.close(fd)
            raise AlreadyRunning(
                f"another filmclub bot is running on {self.db_path} ({holder}); "
                "stop it first, or give this one its own FILMCLUB_DB") from None
        self._fd = fd
        record = {"pid": os.getpid(), "host": socket.gethostname(),
                  "since": datetime.now(UTC).isoformat(timespec="seconds")}
        try:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, json.dumps(record).encode())
        except OSError as exc:  # the lock holds even if its note cannot be written
            log.warning("could not write %s: %s", self.path, exc)
        log.info("holding %s (pid %d)", self.path, os.getpid())

    async def __aenter__(self) -> Self:
        self.acquire()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self.release()

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # closing the descriptor drops the lock


def _lock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    else:  # pragma: no cover - Windows: lock a byte past anything written
        os.lseek(fd, 1 << 20, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)


def _read_holder(fd: int) -> str:
    """'pid 1234 on host-a, since 2026-11-08T19:30:00+00:00', from the holder's note."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        data = json.loads(os.read(fd, 4096) or b"{}")
        pid, host, since = int(data["pid"]), str(data["host"]), str(data.get("since", "?"))
    except (OSError, ValueError, KeyError, TypeError):
        return "its pid and host are not recorded in the lock file"
    return f"pid {pid} on {' '.join(host.split())[:100]}, since {since}"
