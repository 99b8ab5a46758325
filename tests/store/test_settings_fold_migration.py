"""Migration 17 (issue 20) on a database made by schema 16: the club's and the charts'
settings become columns of the one server_settings row, none lost, and both old tables go."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.records.server_settings import GuildSettings
from bot.store import SQLiteStore, migrations

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
T1 = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def schema_16(path: Path) -> None:
    """A database exactly as filmclub made it before migration 17: servers with settings
    in server_settings only, in club_settings only, in chart_settings only, and in all."""
    with sqlite3.connect(path, isolation_level=None) as db:
        db.execute("BEGIN")
        for script in migrations.MIGRATIONS[:16]:
            for statement in migrations._statements(script):
                db.execute(statement)
        db.execute(f"PRAGMA application_id = {migrations.APPLICATION_ID}")
        db.execute("PRAGMA user_version = 16")
        db.executemany(
            "INSERT INTO server_settings (guild_id, moderator_role_id, timezone, updated_at,"
            " updated_by) VALUES (?, ?, ?, ?, ?)", [
                (1, 12, "Europe/Paris", T0.isoformat(), 7),   # all three tables
                (2, 22, None, T1.isoformat(), 8),             # settings newer than charts'
                (6, 62, None, None, None),                    # server_settings only
            ])
        db.executemany(
            "INSERT INTO club_settings (guild_id, suggest_access, poll_hours) VALUES (?, ?, ?)",
            [(1, "moderators", 72), (2, "everyone", 24), (3, "moderators", 1),
             (5, "everyone", 768)])
        db.executemany(
            "INSERT INTO chart_settings (guild_id, anonymise_members, updated_at, updated_by)"
            " VALUES (?, ?, ?, ?)",
            [(1, 1, T1.isoformat(), 9), (2, 1, T0.isoformat(), 9), (4, 1, T1.isoformat(), 10),
             (5, 0, None, None)])
        db.execute("COMMIT")


@pytest.fixture
def old_db(tmp_path: Path) -> Path:
    path = tmp_path / "schema16.db"
    schema_16(path)
    return path


async def test_every_club_and_chart_setting_is_carried_over(old_db: Path) -> None:
    """Each server's club and chart settings come back in its one record, beside the
    settings it had; the later change's time and author are kept."""
    async with SQLiteStore(old_db) as store:
        found = {g: await store.get_settings(g) for g in range(1, 8)}
    assert found[1] == GuildSettings(1, moderator_role_id=12, timezone="Europe/Paris",
                                     suggest_access="moderators", poll_hours=72,
                                     anonymise_members=True, updated_at=T1, updated_by=9)
    assert found[2] == GuildSettings(2, moderator_role_id=22, anonymise_members=True,
                                     updated_at=T1, updated_by=8)
    assert found[3] == GuildSettings(3, suggest_access="moderators", poll_hours=1)
    assert found[4] == GuildSettings(4, anonymise_members=True, updated_at=T1, updated_by=10)
    assert found[5] == GuildSettings(5, poll_hours=768)
    assert found[6] == GuildSettings(6, moderator_role_id=62)
    assert found[7] == GuildSettings(7)


async def test_old_tables_go_and_every_server_has_one_row(old_db: Path) -> None:
    """club_settings and chart_settings are dropped; a server known only to one of them
    got a server_settings row; the database is at the code's version."""
    async with SQLiteStore(old_db):
        pass
    with sqlite3.connect(old_db) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_schema WHERE type='table'")}
        guilds = [r[0] for r in db.execute("SELECT guild_id FROM server_settings ORDER BY 1")]
        version = db.execute("PRAGMA user_version").fetchone()[0]
    assert "server_settings" in tables
    assert not tables & {"club_settings", "chart_settings"}
    assert guilds == [1, 2, 3, 4, 5, 6]
    assert version == migrations.SCHEMA_VERSION


async def test_the_new_columns_refuse_what_the_old_tables_refused(old_db: Path) -> None:
    """The checks of the old tables hold on the new columns: no unknown access, no poll
    beyond 768 hours, anonymise only 0 or 1."""
    async with SQLiteStore(old_db):
        pass
    with sqlite3.connect(old_db) as db:
        for column, value in (("suggest_access", "nobody"), ("poll_hours", 769),
                              ("poll_hours", 0), ("anonymise_members", 2)):
            with pytest.raises(sqlite3.IntegrityError):
                db.execute(f"UPDATE server_settings SET {column} = ? WHERE guild_id = 1",  # noqa: S608
                           (value,))
