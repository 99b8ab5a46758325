"""Numbered schema migrations for the SQLite store.

Migration N takes a database at ``user_version`` N-1 to N. All pending ones run in
one transaction that also sets ``user_version``, so a crash leaves the old schema or
the new one, never half of it. ``application_id`` marks the file as filmclub's.
"""

from __future__ import annotations

import logging
import sqlite3

from bot.errors import StoreError

log = logging.getLogger(__name__)

#: 'FILM' in ASCII: PRAGMA application_id of every filmclub database.
APPLICATION_ID = 0x46494C4D

MIGRATIONS: tuple[str, ...] = (
    # 1: prompts, comments with their versions, attachments and reactions, key/value meta.
    """
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE prompts (
        thread_id    INTEGER PRIMARY KEY,
        guild_id     INTEGER NOT NULL,
        channel_id   INTEGER NOT NULL,
        message_id   INTEGER NOT NULL,
        article_slug TEXT NOT NULL,
        article      TEXT NOT NULL,          -- the Article as JSON, as it was when posted
        posted_at    TEXT NOT NULL,
        posted_by    INTEGER
    );
    CREATE INDEX prompts_guild ON prompts (guild_id, posted_at);

    -- One row per message in a prompt thread. A row can exist before its create
    -- event arrives (an edit, delete or reaction came first): seen = 0 until then.
    CREATE TABLE comments (
        id          INTEGER PRIMARY KEY,
        thread_id   INTEGER NOT NULL REFERENCES prompts (thread_id) ON DELETE CASCADE,
        seen        INTEGER NOT NULL DEFAULT 0,
        author_id   INTEGER,
        author_name TEXT,
        parent_id   INTEGER,
        created_at  TEXT NOT NULL,
        content     TEXT,                    -- the newest text
        content_at  TEXT,                    -- when the newest text was written
        edited_at   TEXT,
        deleted_at  TEXT
    );
    CREATE INDEX comments_thread ON comments (thread_id, id);
    CREATE INDEX comments_parent ON comments (parent_id) WHERE parent_id IS NOT NULL;

    -- Every text a comment has had, keyed by when it was written: the revisions are
    -- derived from it, so an edit arriving before its create still lands in order.
    CREATE TABLE versions (
        comment_id INTEGER NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
        at         TEXT NOT NULL,
        content    TEXT NOT NULL,
        PRIMARY KEY (comment_id, at)
    ) WITHOUT ROWID;

    CREATE TABLE attachments (
        id           INTEGER PRIMARY KEY,
        comment_id   INTEGER NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
        filename     TEXT NOT NULL,
        url          TEXT NOT NULL,
        size         INTEGER NOT NULL,
        content_type TEXT
    );
    CREATE INDEX attachments_comment ON attachments (comment_id);

    -- Who reacted with what and when; a removed reaction keeps its row with removed_at.
    CREATE TABLE reactions (
        comment_id INTEGER NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
        user_id    INTEGER NOT NULL,
        emoji      TEXT NOT NULL,
        value      INTEGER NOT NULL DEFAULT 0,
        added_at   TEXT NOT NULL,
        removed_at TEXT,
        PRIMARY KEY (comment_id, user_id, emoji)
    ) WITHOUT ROWID;
    """,
)

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
