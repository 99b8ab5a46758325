"""Database care for the command line: an online backup, and a health check.

Both open the SQLite file on their own connection, so they are safe while the bot runs:
the backup copies one consistent snapshot (SQLite's online backup API inside a single
read transaction; the bot's writer carries on in the WAL), and the check only reads.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import StoreError
from bot.store.migrations import APPLICATION_ID, SCHEMA_VERSION

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What ``filmclub db check`` found."""

    path: Path
    schema: int
    filmclub: bool
    problems: list[str] = field(default_factory=list)
    prompts: int = 0
    comments: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _open_read_only(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise StoreError(f"no database at {path}")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: not a usable SQLite database ({exc})") from exc
    return conn


def check(path: Path) -> CheckResult:
    """Integrity, owner and schema version of the database at ``path`` (read only)."""
    conn = _open_read_only(path)
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        problems: list[str] = []
        filmclub = app_id == APPLICATION_ID
        if not filmclub:
            problems.append(f"{path} is not a filmclub database (application id {app_id:#x})")
        elif version > SCHEMA_VERSION:
            problems.append(f"schema {version} is newer than this filmclub knows "
                            f"({SCHEMA_VERSION}); upgrade filmclub")
        elif version < SCHEMA_VERSION:
            problems.append(f"schema {version} is older than {SCHEMA_VERSION}; the bot migrates "
                            "it at its next start")
        try:
            rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        except sqlite3.DatabaseError as exc:
            rows = [str(exc)]
        if rows != ["ok"]:
            problems.extend(f"integrity: {row}" for row in rows[:20])
        prompts = comments = 0
        if filmclub and version >= 1 and rows == ["ok"]:
            prompts = conn.execute("SELECT count(*) FROM prompts").fetchone()[0]
            comments = conn.execute("SELECT count(*) FROM comments WHERE seen = 1").fetchone()[0]
        return CheckResult(path, version, filmclub, problems, prompts, comments)
    finally:
        conn.close()


def backup(path: Path, destination: Path) -> CheckResult:
    """Copy the database at ``path`` to a new file ``destination``, safely while in use.

    The copy is written to a temporary file next to ``destination``, checked, and
    renamed into place; an existing file is never overwritten.
    """
    if destination.exists():
        raise StoreError(f"{destination} already exists; give the backup a new file name")
    if not destination.parent.is_dir():
        raise StoreError(f"{destination.parent} is not a folder")
    source = _open_read_only(path)
    if source.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
        source.close()
        raise StoreError(f"{path} is not a filmclub database; not backing it up")
    handle, temp_name = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".tmp",
                                         dir=destination.parent)
    os.close(handle)
    temp = Path(temp_name)
    try:
        target = sqlite3.connect(temp)
        try:
            source.backup(target)  # every page in one step: one consistent snapshot
            target.execute("PRAGMA journal_mode = DELETE")  # a single self-contained file
        finally:
            target.close()
        result = check(temp)
        if not result.ok:
            raise StoreError(f"the backup failed its check: {result.problems[0]}")
        if destination.exists():
            raise StoreError(f"{destination} appeared meanwhile; not overwriting it")
        os.replace(temp, destination)
    except sqlite3.Error as exc:
        raise StoreError(f"backup to {destination} failed: {exc}") from exc
    finally:
        source.close()
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    log.info("backed up %s to %s", path, destination)
    return CheckResult(destination, result.schema, True, [], result.prompts, result.comments)
