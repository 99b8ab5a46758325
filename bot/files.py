"""Writing a file for the user without destroying what they have.

A file is written under a temporary name beside its destination and put in place only
once complete. Putting it in place never replaces anything unless asked (``replace``),
and even then only a regular file: a symbolic link, a FIFO, a device or a folder at
the destination is refused, as the user may not know what writing there would do.
Folders are never created: a missing one is the user's mistake to hear about. New
files get the mode the user's umask gives (a temporary file made with ``mkstemp``
would be 0600); a regular file that is replaced keeps its own mode.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from bot.errors import FilmclubError

log = logging.getLogger(__name__)

#: Errors of a file system without hard links (os.link): fall back to a checked rename.
_NO_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK,
             errno.ENOSYS}


class DestinationError(FilmclubError):
    """The destination cannot take the file: it exists, it is not a regular file, its
    folder is missing or not writable. The message names it."""


def kind_of(mode: int) -> str:
    """'a symbolic link', 'a FIFO', 'a device'... for a message."""
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def check_destination(path: Path, *, replace: bool = False) -> os.stat_result | None:
    """Refuse a destination before any work is done; returns what is there now (or None).

    Its folder must exist; what is at ``path`` itself (not followed, if it is a link)
    must be nothing, or a regular file when ``replace``.
    """
    folder = path.parent
    if not folder.is_dir():
        if folder.exists():
            raise DestinationError(f"cannot write to {folder}: a file is in the way of that "
                                   "folder")
        raise DestinationError(f"cannot write to {folder}: no such folder (filmclub does not "
                               "create folders)")
    try:
        found = path.lstat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise DestinationError(f"cannot write {path}: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(found.st_mode):
        raise DestinationError(f"{path} is {kind_of(found.st_mode)}; not replacing it")
    if not replace:
        raise DestinationError(f"{path} already exists; give --force to replace it")
    return found


def _create_beside(path: Path) -> tuple[int, Path]:
    """A new temporary file beside ``path``, with the mode the umask gives."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(temp, flags, 0o666), temp
        except FileExistsError:
            continue
    raise DestinationError(f"cannot write {path}: no free temporary name beside it")


def put_in_place(temp: Path, path: Path, *, replace: bool = False) -> None:
    """Move the finished ``temp`` to ``path``, with the same rules as check_destination.

    Without ``replace``, a hard link makes "only if nothing is there" atomic, so a file
    that appeared during the work is not lost either.
    """
    if replace:
        found = check_destination(path, replace=True)
        if found is not None:
            os.chmod(temp, stat.S_IMODE(found.st_mode))
        os.replace(temp, path)
        return
    try:
        os.link(temp, path)
    except FileExistsError:
        raise DestinationError(f"{path} already exists; give --force to replace it") from None
    except OSError as exc:
        if exc.errno not in _NO_LINKS:
            raise
        check_destination(path)
        os.replace(temp, path)
        return
    os.unlink(temp)


@contextlib.contextmanager
def new_file(path: Path, *, replace: bool = False) -> Iterator[BinaryIO]:
    """A binary file for ``path``: written beside it, put in place only on success.

    Any failure (a missing or read-only folder, a full disk, a destination that is
    taken) is a DestinationError naming the path; the temporary file never outlives it.
    """
    check_destination(path, replace=replace)
    try:
        fd, temp = _create_beside(path)
    except OSError as exc:
        raise DestinationError(f"cannot write to {path.parent}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
        put_in_place(temp, path, replace=replace)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise DestinationError(f"cannot write {path}: {exc.strerror or exc}") from exc
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
