"""Numbered schema migrations for the SQLite store.

Migration N is ``schema/NNNN_name.sql``; it takes a database at ``user_version``
N-1 to N. All pending ones run in one transaction that also sets ``user_version``,
so a crash leaves the old schema or the new one, never half of it.
``application_id`` marks the file as filmclub's.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from bot.errors import StoreError

log = logging.getLogger(__name__)

#: 'FILM' in ASCII: PRAGMA application_id of every filmclub database.
APPLICATION_ID = 0x46494C4D

SCHEMA_DIR = Path(__file__).with_name("schema")


def load_migrations(folder: Path = SCHEMA_DIR) -> tuple[str, ...]:
    """The migration scripts ``NNNN_name.sql``, numbered from 1 without gaps."""
    scripts = sorted(folder.glob("[0-9][0-9][0-9][0-9]_*.sql"))
    numbers = [int(p.name[:4]) for p in scripts]
    if numbers != list(range(1, len(scripts) + 1)):
        raise RuntimeError(f"migrations in {folder} are not numbered 1..n: {numbers}")
    return tuple(p.read_text(encoding="utf-8") for p in scripts)


MIGRATIONS = load_migrations()
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, path: str) -> int:
    """Bring ``conn`` to SCHEMA_VERSION; returns the version it was at before.

    Refuses a database written by a newer filmclub, and a non-empty database that
    is not filmclub's.
    """
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    has_tables = conn.execute(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
    ).fetchone()[0]
    if app_id != APPLICATION_ID and (has_tables or version):
        raise StoreError(
            f"{path} is not a filmclub database (it has other tables); refusing to use it"
        )
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} was written by a newer filmclub (schema {version}, this version knows "
            f"up to {SCHEMA_VERSION}); upgrade filmclub or use another FILMCLUB_DB"
        )
    if version == SCHEMA_VERSION:
        return version
    log.info("migrating %s from schema %d to %d", path, version, SCHEMA_VERSION)
    conn.execute("BEGIN IMMEDIATE")
    try:
        for number in range(version + 1, SCHEMA_VERSION + 1):
            for statement in _statements(MIGRATIONS[number - 1]):
                conn.execute(statement)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return version


def _statements(script: str) -> list[str]:
    """Split a migration into statements (executescript would commit on its own)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return [s for s in statements if s]
