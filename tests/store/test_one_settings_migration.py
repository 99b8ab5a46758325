"""Migration 14 (issue 20) on a database made by schema 10: the two settings tables become
one without loss, one time zone per server, /forget's placeholder read from Python."""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.models import Article, MessageCreated, Prompt
from bot.records.member_data import PLACEHOLDER, REMOVED_NAME
from bot.records.server_settings import GuildSettings
from bot.store import SQLiteStore, migrations

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
FORGOTTEN = 99
THREAD = 500


def schema_10(path: Path) -> None:
    """A database exactly as filmclub made it before migration 14, with settings in both
    tables, schedules, and a member who asked to be forgotten."""
    with sqlite3.connect(path, isolation_level=None) as db:
        db.execute("BEGIN")
        for script in migrations.MIGRATIONS[:10]:
            for statement in migrations._statements(script):
                db.execute(statement)
        db.execute(f"PRAGMA application_id = {migrations.APPLICATION_ID}")
        db.execute("PRAGMA user_version = 10")
        db.executemany(
            "INSERT INTO guild_settings (guild_id, prompt_channel_id, moderator_role_id,"
            " vote_emoji, timezone, export_access, log_channel_id, updated_at, updated_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
                (1, 11, 12, '{"up": ["🔥"], "down": ["🧊"]}', "Europe/Paris", "everyone", 13,
                 T0.isoformat(), 7),
                (4, None, None, None, "Europe/Paris", None, None, None, None),
                (5, None, 52, None, None, None, None, None, None),
            ])
        db.executemany(
            "INSERT INTO prompt_settings (guild_id, archive_minutes, mention_role_id,"
            " default_question) VALUES (?, ?, ?, ?)", [
                (1, 1440, 14, "Why now?"),
                (2, 10080, None, "What stays with you?"),
            ])
        db.executemany(
            "INSERT INTO schedules (guild_id, channel_id, cadence, weekdays, at, timezone,"
            " set_at) VALUES (?, 20, 'daily', '', '19:30', ?, ?)", [
                (1, "America/New_York", T0.isoformat()),
                (3, "Asia/Tokyo", T0.isoformat()),
                (4, "Europe/Paris", T0.isoformat()),
                (5, "UTC", T0.isoformat()),
            ])
        db.execute("INSERT INTO forgotten_members (user_id, forgotten_at) VALUES (?, ?)",
                   (FORGOTTEN, T0.isoformat()))
        db.execute("COMMIT")


@pytest.fixture
def old_db(tmp_path: Path) -> Path:
    path = tmp_path / "schema10.db"
    schema_10(path)
    return path


async def test_every_setting_is_carried_over(old_db: Path,
                                             caplog: pytest.LogCaptureFixture) -> None:
    """Each server's settings from both tables come back in the one record, none lost."""
    caplog.set_level(logging.INFO, logger="bot.store.migrations")
    async with SQLiteStore(old_db) as store:
        one = await store.get_settings(1)
        assert one == GuildSettings(
            1, prompt_channel_id=11, moderator_role_id=12, upvote_emoji=("🔥",),
            downvote_emoji=("🧊",), timezone="America/New_York", export_access="everyone",
            log_channel_id=13, updated_at=T0, updated_by=7, archive_minutes=1440,
            mention_role_id=14, default_question="Why now?")
        assert await store.get_settings(2) == GuildSettings(
            2, default_question="What stays with you?")
        assert await store.get_settings(5) == GuildSettings(5, moderator_role_id=52)
        assert await store.get_settings(6) == GuildSettings(6)
    with sqlite3.connect(old_db) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_schema WHERE type='table'")}
        assert "server_settings" in tables
        assert not tables & {"guild_settings", "prompt_settings"}
        assert db.execute("PRAGMA user_version").fetchone()[0] == migrations.SCHEMA_VERSION


async def test_one_time_zone_the_schedules_wins_and_is_logged(
        old_db: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The schedule's zone becomes the server's; only a real disagreement is logged."""
    caplog.set_level(logging.INFO, logger="bot.store.migrations")
    async with SQLiteStore(old_db) as store:
        zones = {g: (await store.get_settings(g)).timezone for g in (1, 3, 4, 5)}
        assert zones == {1: "America/New_York", 3: "Asia/Tokyo", 4: "Europe/Paris", 5: "UTC"}
        schedules = {s.guild_id: s.timezone for s in await store.list_schedules()}
        assert schedules == zones
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warned == ["server 1 had the time zone Europe/Paris in its settings and "
                      "America/New_York in its schedule: it keeps America/New_York, the "
                      "schedule's, for both"]


async def test_forgotten_member_stays_forgotten_with_the_python_placeholder(
        old_db: Path) -> None:
    """The recreated triggers still blank a replayed message of a forgotten member, with
    the placeholder Python defines, and do not name them again."""
    async with SQLiteStore(old_db) as store:
        article = Article(slug="jaws", title="Jaws")
        await store.add_prompt(Prompt(THREAD, 1, 20, THREAD, article, T0))
        old = (int((T0.timestamp() * 1000) - 1_420_070_400_000 - 60_000) << 22)
        store.submit(MessageCreated(old, THREAD, FORGOTTEN, "Ana", "my secret take"))
        store.submit(MessageCreated(old + 1, THREAD, 5, "Ben", "a reply"))
        await store.flush()
        kept = await store.get_comment(old)
        assert kept is not None
        assert (kept.content, kept.author_name) == (PLACEHOLDER, REMOVED_NAME)
        names = await store.guild_names(1)
        assert FORGOTTEN not in names.members and names.members.get(5) == "Ben"
    with sqlite3.connect(old_db) as db:
        meta = dict(db.execute("SELECT key, value FROM meta WHERE key LIKE 'forgotten_%'"))
        assert meta == {"forgotten_text": PLACEHOLDER, "forgotten_name": REMOVED_NAME}
        triggers = " ".join(r[0] for r in db.execute(
            "SELECT sql FROM sqlite_schema WHERE type = 'trigger'"))
        assert PLACEHOLDER.replace("'", "''") not in triggers and "'[removed]'" not in triggers


async def test_a_changed_placeholder_reaches_the_triggers(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Python is the one source: a new placeholder text is written to meta at the next open."""
    path = tmp_path / "new.db"
    async with SQLiteStore(path):
        pass
    monkeypatch.setattr(migrations, "CONSTANTS", {"forgotten_text": "[gone]",
                                                  "forgotten_name": "[nobody]"})
    async with SQLiteStore(path):
        pass
    with sqlite3.connect(path) as db:
        assert dict(db.execute("SELECT key, value FROM meta WHERE key LIKE 'forgotten_%'")) == {
            "forgotten_text": "[gone]", "forgotten_name": "[nobody]"}
