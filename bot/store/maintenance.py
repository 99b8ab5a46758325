"""Database care for the command line: an online backup, and a health check.

Both open the SQLite file on their own connection, so they are safe while the bot runs:
the backup copies one consistent snapshot (SQLite's online backup API inside a single
read transaction; the bot's writer carries on in the WAL), and the check only reads.

A damaged file is reported, never raised as a traceback: SQLite's own messages about
a damaged schema can quote the damaged bytes, which are not always UTF-8, so every
connection here decodes text leniently. :func:`describe_failure` turns a database
error met by any command into one line naming the file and what the check finds.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import is_postgres_url
from bot.errors import StoreError
from bot.files import DestinationError, put_in_place
from bot.store.migrations import APPLICATION_ID, SCHEMA_VERSION

log = logging.getLogger(__name__)


def schema_mismatch(version: int, current: int) -> str | None:
    """What ``db check`` says of a database at schema ``version`` when this filmclub writes
    ``current`` (either backend's numbering); None when they agree."""
    if version > current:
        return f"schema {version} is newer than this filmclub knows ({current}); upgrade filmclub"
    if version < current:
        return f"schema {version} is older than {current}; the bot migrates it at its next start"
    return None


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What ``filmclub db check`` found."""

    path: Path | str  # a file, or a PostgreSQL database as messages show it (issue 15)
    schema: int
    filmclub: bool
    problems: list[str] = field(default_factory=list)
    prompts: int = 0
    comments: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


#: What SQLite reports as damage (a malformed file, a bad schema, a page out of place).
_DAMAGE = re.compile(r"malformed|corrupt|not a database|out of range|disk image", re.IGNORECASE)


def _lenient(data: bytes) -> str:
    """Text from a damaged file may not be UTF-8: show it with replacement characters."""
    return data.decode("utf-8", "replace")


def _one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"


def error_text(exc: BaseException) -> str:
    """A database error as one short line (its message may quote damaged bytes)."""
    if isinstance(exc, UnicodeDecodeError):
        # sqlite3 could not decode SQLite's own message: it quotes damaged bytes.
        if isinstance(exc.object, bytes):
            return _one_line(exc.object.decode("utf-8", "replace"))
        return "its text is not readable as UTF-8 (damaged bytes)"
    return _one_line(str(exc) or type(exc).__name__)


def _open_read_only(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise StoreError(f"no database at {path}")
    conn = None
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        conn.text_factory = _lenient
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        if conn is not None:
            conn.close()
        raise StoreError(f"{path}: not a usable SQLite database ({error_text(exc)})") from exc
    return conn


def _schema_damage(conn: sqlite3.Connection) -> list[str]:
    """Schema entries SQLite could not read back: each is replayed into an empty database.

    A read-only connection tolerates a damaged schema (and the integrity check skips the
    tables it could not read), where the bot's read-write one refuses the whole file.
    """
    problems: list[str] = []
    try:
        rows = conn.execute(
            "SELECT name, sql FROM sqlite_schema WHERE sql IS NOT NULL"
            " AND name NOT LIKE 'sqlite^_%' ESCAPE '^'"
            " ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2"
            " ELSE 3 END, rowid").fetchall()
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        return [f"schema: {error_text(exc)}"]
    replay = sqlite3.connect(":memory:")
    try:
        for name, sql in rows:
            try:
                replay.execute(sql)
            except sqlite3.Error as exc:
                problems.append(f"schema: {_one_line(str(name), 60)}: {error_text(exc)}")
    finally:
        replay.close()
    return problems


def _damage(conn: sqlite3.Connection, *, quick: bool = False, limit: int = 20) -> list[str]:
    """What SQLite's integrity check finds, and what of the schema cannot be read back
    (nothing: an empty list)."""
    schema = _schema_damage(conn)
    pragma = "quick_check" if quick else "integrity_check"
    try:
        rows = [str(r[0]) for r in conn.execute(f"PRAGMA {pragma}({int(limit)})")]
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        rows = [error_text(exc)]
    # A finding may hold several lines, under a "*** in database main ***" heading.
    lines = [_one_line(line) for row in rows for line in row.splitlines()
             if line.strip() and not line.startswith("*** in database")]
    found = schema + ([] if lines == ["ok"] else lines)
    return found[:limit]


def damage(path: Path) -> str | None:
    """The first damage SQLite's quick check finds in the file at ``path``, or None.

    A file that cannot be opened as a database at all is damage too. ``StoreError``
    when there is no file.
    """
    try:
        conn = _open_read_only(path)
    except StoreError as exc:
        if not path.is_file():
            raise
        cause = exc.__cause__
        return error_text(cause) if cause is not None else str(exc)
    try:
        found = _damage(conn, quick=True, limit=1)
    finally:
        conn.close()
    return found[0] if found else None


def describe_failure(path: Path | str, exc: BaseException) -> str:
    """One line for a database error a command met: the file, and what the check says.

    Damage gets the check's first finding; anything else (a locked or read-only file,
    text that is not UTF-8) is said as it is.
    """
    if is_postgres_url(path):
        from bot.store.postgres import describe

        return f"{describe(str(path))}: {error_text(exc)}"
    path = Path(path)
    try:
        found = damage(path)
    except StoreError as missing:
        return str(missing)
    if found is not None:
        return f"{path} is damaged; `filmclub db check` says: {found}"
    if isinstance(exc, UnicodeDecodeError) or "decode" in str(exc):
        return (f"{path} cannot be read: some of its text is not UTF-8 (damaged bytes that "
                "the integrity check does not see)")
    if isinstance(exc, sqlite3.DatabaseError) and _DAMAGE.search(str(exc)):
        return f"{path} is damaged: {error_text(exc)}"
    return f"{path}: {error_text(exc)}"


def check(path: Path | str) -> CheckResult:
    """Integrity, owner and schema version of the database at ``path`` (read only)."""
    if is_postgres_url(path):
        raise StoreError("PostgreSQL databases are checked by bot.store.pg_maintenance")
    path = Path(path)
    conn = _open_read_only(path)
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        problems: list[str] = []
        filmclub = app_id == APPLICATION_ID
        if not filmclub:
            problems.append(f"{path} is not a filmclub database (application id {app_id:#x})")
        elif (mismatch := schema_mismatch(version, SCHEMA_VERSION)) is not None:
            problems.append(mismatch)
        found = _damage(conn)
        problems.extend(row if row.startswith("schema: ") else f"integrity: {row}"
                        for row in found)
        prompts = comments = 0
        if filmclub and version >= 1 and not found:
            try:
                prompts = conn.execute("SELECT count(*) FROM prompts").fetchone()[0]
                comments = conn.execute(
                    "SELECT count(*) FROM comments WHERE seen = 1").fetchone()[0]
            except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
                problems.append(f"integrity: {error_text(exc)}")
        return CheckResult(path, version, filmclub, problems, prompts, comments)
    finally:
        conn.close()


#: SQLite's companions of a database file: a rollback journal, or a WAL and its index.
_COMPANIONS = ("-journal", "-wal", "-shm")


def _temp_name(destination: Path) -> Path:
    """``.<name>.<pid>.<random>.tmp`` beside ``destination``: the pid tells a stale one."""
    return destination.with_name(
        f".{destination.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


temp_name = _temp_name


def _remove_with_companions(temp: Path) -> list[Path]:
    """Delete a temporary copy and whatever SQLite left beside it; returns what was there."""
    removed = []
    for candidate in (temp, *(Path(f"{temp}{suffix}") for suffix in _COMPANIONS)):
        try:
            candidate.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            log.warning("could not remove %s: %s", candidate, exc.strerror or exc)
            continue
        removed.append(candidate)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, owned by someone else: not ours to judge
        return True
    return True


def clear_stale_temporaries(destination: Path) -> list[Path]:
    """Remove the temporary copies (and their journals) that killed backups to
    ``destination`` left behind: those whose process is gone. Returns what was removed."""
    pattern = re.compile(rf"\.{re.escape(destination.name)}\.([0-9]+)\.[0-9a-f]+\.tmp")
    removed: list[Path] = []
    try:
        names = [entry.name for entry in os.scandir(destination.parent)]
    except OSError:
        return removed
    for name in names:
        match = pattern.fullmatch(name)
        if match is not None and not _alive(int(match.group(1))):
            removed += _remove_with_companions(destination.parent / name)
    for path in removed:
        log.info("removed %s, left by a backup that did not finish", path)
    return removed


def backup(path: Path | str, destination: Path) -> CheckResult:
    """Copy the database at ``path`` to a new file ``destination``, safely while in use.

    The copy is written to a temporary file next to ``destination``, checked, and
    linked into place; an existing file is never overwritten. Temporary copies that
    earlier backups left behind when they were killed are cleared first; a backup
    that fails removes its own (and SQLite's journal beside it). (PostgreSQL:
    bot.store.pg_maintenance.)
    """
    if is_postgres_url(path):
        raise StoreError("PostgreSQL databases are backed up by bot.store.pg_maintenance")
    path = Path(path)
    if destination.exists() or destination.is_symlink():
        raise StoreError(f"{destination} already exists; give the backup a new file name")
    if not destination.parent.is_dir():
        raise StoreError(f"{destination.parent} is not a folder")
    clear_stale_temporaries(destination)
    source = _open_read_only(path)
    temp = _temp_name(destination)
    try:
        if source.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            raise StoreError(f"{path} is not a filmclub database; not backing it up")
        target = sqlite3.connect(temp)
        try:
            source.backup(target)  # every page in one step: one consistent snapshot
            target.execute("PRAGMA journal_mode = DELETE")  # a single self-contained file
        finally:
            target.close()
        result = check(temp)
        if not result.ok:
            raise StoreError(f"the backup failed its check: {result.problems[0]}")
        try:
            put_in_place(temp, destination)  # never replaces what appeared meanwhile
        except DestinationError:
            raise StoreError(f"{destination} appeared meanwhile; not overwriting it") from None
    except (sqlite3.Error, OSError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise StoreError(f"backup to {destination} failed: {reason}") from exc
    finally:
        source.close()
        _remove_with_companions(temp)
    log.info("backed up %s to %s", path, destination)
    return CheckResult(destination, result.schema, True, [], result.prompts, result.comments)
