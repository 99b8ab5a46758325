"""Schema migrations: applied once, atomically; newer or foreign databases refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.errors import StoreError
from bot.store import SQLiteStore
from bot.store.migrations import APPLICATION_ID, SCHEMA_VERSION, load_migrations


async def test_new_database_gets_current_schema(tmp_path: Path) -> None:
    """A new file is created, marked as filmclub's, at the current version, in WAL mode."""
    path = tmp_path / "sub" / "new.db"
    async with SQLiteStore(path):
        pass
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_newer_database_is_refused(tmp_path: Path) -> None:
    """A database from a newer filmclub is refused with a message naming both versions."""
    path = tmp_path / "newer.db"
    async with SQLiteStore(path):
        pass
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match=f"newer filmclub \\(schema {SCHEMA_VERSION + 1}"):
        await SQLiteStore(path).open()


async def test_foreign_database_is_refused_and_untouched(tmp_path: Path) -> None:
    """Another program's SQLite file is refused, and left exactly as it was."""
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (x)")
    before = path.read_bytes()
    with pytest.raises(StoreError, match="is not a filmclub database"):
        await SQLiteStore(path).open()
    assert path.read_bytes() == before


async def test_garbage_file_is_refused(tmp_path: Path) -> None:
    """A file that is not SQLite at all gets a one-line error."""
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="not a usable SQLite database"):
        await SQLiteStore(path).open()


def test_failed_migration_leaves_old_schema(tmp_path: Path) -> None:
    """A migration that fails half-way rolls back entirely, version unchanged."""
    from bot.store import migrations

    path = tmp_path / "half.db"
    good = load_migrations()
    broken = (*good, "CREATE TABLE extra (x);\nTHIS IS NOT SQL;")
    original = migrations.MIGRATIONS, migrations.SCHEMA_VERSION
    migrations.MIGRATIONS, migrations.SCHEMA_VERSION = good, len(good)
    with sqlite3.connect(path, isolation_level=None) as db:
        migrations.migrate(db, str(path))
    try:
        migrations.MIGRATIONS, migrations.SCHEMA_VERSION = broken, len(broken)
        with sqlite3.connect(path, isolation_level=None) as db, pytest.raises(sqlite3.Error):
            migrations.migrate(db, str(path))
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA user_version").fetchone()[0] == len(good)
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_schema")}
            assert "extra" not in tables
    finally:
        migrations.MIGRATIONS, migrations.SCHEMA_VERSION = original
