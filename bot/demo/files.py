"""The demo's output folder: it never replaces a file unless asked, nor anything but a file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from bot.errors import FilmclubError

DATABASE = "filmclub-demo.db"
#: SQLite's companions of the database file, removed with it under --force.
DATABASE_SIDES = ("-wal", "-shm", "-journal")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class OutputError(FilmclubError):
    """The output folder cannot be used as asked; the message is one line."""


class OutputFolder:
    """Where the demo writes its database and exports (``demo-output/`` by default)."""

    def __init__(self, path: Path, *, force: bool = False) -> None:
        self.path = path
        self.force = force

    @property
    def database(self) -> Path:
        return self.path / DATABASE

    def prepare(self, names: Iterable[str]) -> None:
        """Check the folder and every file the demo will write, before anything starts.

        Without ``force`` an existing file is refused; with it, a file is replaced but a
        folder, link or device of the same name still is not. The old database goes now:
        the demo starts from an empty one.
        """
        if self.path.is_symlink() and not self.path.is_dir():
            raise OutputError(f"{self.path} is a link to nothing, not a folder")
        if self.path.exists() and not self.path.is_dir():
            raise OutputError(f"{self.path} exists and is not a folder; give --out a folder")
        database = [DATABASE + side for side in ("", *DATABASE_SIDES)]
        for name in [*database, *names]:
            target = self.path / name
            if not (target.exists() or target.is_symlink()):
                continue
            if not self.force:
                raise OutputError(f"{target} already exists; add --force to replace the "
                                  "demo's files there, or choose another --out folder")
            if target.is_symlink() or not target.is_file():
                raise OutputError(f"{target} is not a regular file; the demo will not replace "
                                  "it, even with --force")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create {self.path}: {exc.strerror or exc}") from exc
        if not os.access(self.path, os.W_OK | os.X_OK):
            raise OutputError(f"{self.path} is not writable")
        if self.force:
            for name in database:
                with contextlib.suppress(FileNotFoundError):
                    (self.path / name).unlink()

    def write(self, name: str, data: bytes) -> Path:
        """Write ``name`` through a temporary file renamed into place (replacing only if forced)."""
        target = self.path / name
        fd, temp = tempfile.mkstemp(dir=self.path, prefix=f".{name}.", suffix=".tmp")
        try:
            os.chmod(temp, 0o666 & ~_umask())  # an ordinary file, not mkstemp's private one
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            if self.force and (target.is_file() and not target.is_symlink()):
                os.replace(temp, target)
            else:
                self._place_new(Path(temp), target)
        except OSError as exc:
            raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from exc
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
        return target

    def write_new(self, name: str, data: bytes) -> Path:
        """Write under ``name``, or ``stem-2.ext``, ``stem-3.ext``... whichever is free."""
        stem, dot, ext = name.partition(".")
        for n in range(1, 1000):
            candidate = name if n == 1 else f"{stem}-{n}{dot}{ext}"
            target = self.path / candidate
            if target.exists() or target.is_symlink():
                continue
            try:
                return OutputFolder(self.path).write(candidate, data)
            except OutputError:
                if target.exists():
                    continue  # taken meanwhile
                raise
        raise OutputError(f"no free file name for {name} in {self.path}")

    @staticmethod
    def _place_new(temp: Path, target: Path) -> None:
        """Give ``temp`` the name ``target`` only if nothing has that name (a hard link is
        atomic about it); where links are not supported, check, then rename."""
        try:
            os.link(temp, target)
        except FileExistsError:
            raise OutputError(f"{target} already exists; not replacing it") from None
        except OSError:
            if target.exists() or target.is_symlink():
                raise OutputError(f"{target} already exists; not replacing it") from None
            os.replace(temp, target)
