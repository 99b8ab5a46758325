"""Numbered schema migrations for the SQLite store.

Migration N is ``schema/NNNN_name.sql``; it takes a database at ``user_version``
N-1 to N. All pending ones run in one transaction that also sets ``user_version``,
so a crash leaves the old schema or the new one, never half of it.
``application_id`` marks the file as filmclub's. A few migrations have a Python step
run before their SQL, in the same transaction (``BEFORE``), to say what they decide.
Values the schema's triggers read (``CONSTANTS``) are written to ``meta`` from Python,
their one source, whenever they differ.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path

from bot.errors import StoreError
from bot.records.member_data import PLACEHOLDER, REMOVED_NAME

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

#: meta rows the triggers read: /forget's placeholder text and name (migration 14).
CONSTANTS: Mapping[str, str] = {"forgotten_text": PLACEHOLDER, "forgotten_name": REMOVED_NAME}


def _note_zone_conflicts(conn: sqlite3.Connection) -> None:
    """Migration 11 keeps one time zone per server, the schedule's where both were set:
    log each server whose settings said otherwise."""
    rows = conn.execute(
        "SELECT s.guild_id, g.timezone, s.timezone FROM schedules s"
        " JOIN guild_settings g ON g.guild_id = s.guild_id"
        " WHERE g.timezone IS NOT NULL AND g.timezone IS NOT s.timezone"
    ).fetchall()
    for guild_id, settings_zone, schedule_zone in rows:
        log.warning("server %s had the time zone %s in its settings and %s in its schedule: "
                    "it keeps %s, the schedule's, for both", guild_id, settings_zone,
                    schedule_zone, schedule_zone)


#: Python steps run just before a migration's SQL, by migration number.
BEFORE: Mapping[int, Callable[[sqlite3.Connection], None]] = {14: _note_zone_conflicts}


def _constants_differ(conn: sqlite3.Connection) -> bool:
    kept = dict(conn.execute(
        f"SELECT key, value FROM meta WHERE key IN ({', '.join('?' * len(CONSTANTS))})",  # noqa: S608
        tuple(CONSTANTS)).fetchall())
    return kept != dict(CONSTANTS)


def _keep_constants(conn: sqlite3.Connection) -> None:
    conn.executemany(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        list(CONSTANTS.items()))


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
        if _constants_differ(conn):
            conn.execute("BEGIN IMMEDIATE")
            try:
                _keep_constants(conn)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return version
    log.info("migrating %s from schema %d to %d", path, version, SCHEMA_VERSION)
    conn.execute("BEGIN IMMEDIATE")
    try:
        for number in range(version + 1, SCHEMA_VERSION + 1):
            if number in BEFORE:
                BEFORE[number](conn)
            for statement in _statements(MIGRATIONS[number - 1]):
                conn.execute(statement)
        _keep_constants(conn)
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
