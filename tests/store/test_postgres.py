"""What only the PostgreSQL store has (issue 15): its migrations, refusals, the factory's
choice, `db check` and `db backup`, a connection lost mid-run, and the shard locks.

The store's behaviour itself is the contract suite's, run on both backends
(tests/conftest.py); these run on the session's throw-away server (tests/pgserver.py).
"""

from __future__ import annotations

import asyncio
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest

from bot.config import ConfigError, from_env
from bot.errors import StoreError
from bot.models import Article, MessageCreated, Prompt
from bot.store import SQLiteStore, make_store
from bot.store import pg_maintenance as pgm
from bot.store.base import StorageNotice
from bot.store.factory import parse_target
from bot.store.lock import AlreadyRunning
from bot.store.postgres import MIGRATIONS, SCHEMA_VERSION, PostgresStore, migrate
from tests.clirun import filmclub, one_line
from tests.pgserver import PostgresServer
from tests.snowflakes import snowflake

T0 = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)
THREAD = 1_450_000_000_000_000_000


def name_of(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def message(n: int) -> MessageCreated:
    return MessageCreated(snowflake(T0) + n * 4096, THREAD, 5 + n % 3, "Ana", f"comment {n}",
                          T0 + timedelta(seconds=n))


async def with_prompt(store: Any) -> None:
    await store.add_prompt(Prompt(THREAD, 1, 2, THREAD, Article(slug="jaws", title="Jaws"),
                                  T0, 9))


async def tables(url: str) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        return {r[0] for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}
    finally:
        await conn.close()


async def until(condition: Any, what: str, timeout: float = 90) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


# -- migrations --------------------------------------------------------------------------

async def test_a_new_database_gets_the_whole_schema_and_filmclubs_mark(postgres_url: str
                                                                      ) -> None:
    """A first open creates every table and marks the database filmclub's, newest schema."""
    async with PostgresStore(postgres_url) as store:
        assert await store.get_meta("application") == "filmclub"
        assert await store.get_meta("schema_version") == str(SCHEMA_VERSION)
        assert await store.get_meta("forgotten_name") is not None
    assert {"prompts", "comments", "reactions", "versions", "meta", "films"} <= await tables(
        postgres_url)


async def test_a_failing_migration_leaves_nothing(postgres_url: str) -> None:
    """All pending migrations run in one transaction: one failing leaves the database empty."""
    broken = [*MIGRATIONS, "CREATE TABLE half_done (id BIGINT); SELECT 1 / 0;"]
    conn = await asyncpg.connect(postgres_url)
    try:
        with pytest.raises(asyncpg.DivisionByZeroError):
            await migrate(conn, "test", migrations=broken)
    finally:
        await conn.close()
    assert await tables(postgres_url) == set()


async def test_a_newer_schema_is_refused_in_one_line(postgres_url: str) -> None:
    """A database written by a newer filmclub is not opened."""
    async with PostgresStore(postgres_url) as store:
        await store.set_meta("schema_version", str(SCHEMA_VERSION + 5))
    with pytest.raises(StoreError) as refused:
        await PostgresStore(postgres_url).open()
    text = str(refused.value)
    assert "newer filmclub" in text and f"schema {SCHEMA_VERSION + 5}" in text
    assert "\n" not in text


async def test_a_foreign_database_is_refused_in_one_line(postgres_url: str) -> None:
    """A database with tables that is not filmclub's is left alone."""
    conn = await asyncpg.connect(postgres_url)
    try:
        await conn.execute("CREATE TABLE invoices (id BIGINT PRIMARY KEY)")
    finally:
        await conn.close()
    with pytest.raises(StoreError, match="not a filmclub database") as refused:
        await PostgresStore(postgres_url).open()
    assert "\n" not in str(refused.value)
    assert await tables(postgres_url) == {"invoices"}


async def test_create_false_refuses_an_empty_database(postgres_url: str) -> None:
    """Commands that only read do not create filmclub's tables in an empty database."""
    with pytest.raises(StoreError, match="no filmclub database"):
        await PostgresStore(postgres_url, create=False).open()
    assert await tables(postgres_url) == set()


async def test_an_unreachable_server_is_one_line() -> None:
    """No server at the address: one StoreError line naming it, without the password."""
    with pytest.raises(StoreError) as refused:
        await PostgresStore("postgresql://bot:secret@127.0.0.1:1/filmclub").open()
    text = str(refused.value)
    assert "cannot connect to PostgreSQL at postgresql://bot:***@127.0.0.1:1/filmclub" in text
    assert "secret" not in text and "\n" not in text


# -- the factory -------------------------------------------------------------------------

async def test_the_factory_picks_the_backend_from_the_target(postgres_url: str,
                                                             tmp_path: Path) -> None:
    """A postgresql:// URL opens PostgreSQL; anything else is a SQLite file, as before."""
    assert parse_target(postgres_url) == postgres_url
    assert parse_target("data/filmclub.db") == Path("data/filmclub.db")
    assert parse_target("postgres://u@h/db") == "postgres://u@h/db"
    async with make_store(postgres_url) as store:
        assert isinstance(store, PostgresStore)
        await with_prompt(store)
        assert (await store.get_prompt(THREAD)) is not None
    async with make_store(tmp_path / "x.db") as store:
        assert type(store) is SQLiteStore
    config = from_env({"FILMCLUB_DB": postgres_url}, discord=False)
    assert config.database == postgres_url
    assert from_env({}, discord=False).database == Path("data/filmclub.db")


# -- db check and db backup --------------------------------------------------------------

async def test_db_check_and_backup_on_postgresql(postgres_url: str, tmp_path: Path,
                                                 postgres_server: PostgresServer) -> None:
    """`filmclub db check` reports the schema and counts; `db backup` writes a pg_dump archive."""
    async with PostgresStore(postgres_url) as store:
        await with_prompt(store)
        for n in range(3):
            await store.put(message(n))
        await store.flush()
    checked = await asyncio.to_thread(filmclub, "db", "check", "--db", postgres_url,
                                      cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert f"ok (filmclub schema {SCHEMA_VERSION}, 1 prompts, 3 comments" in checked.stdout
    backup = tmp_path / "filmclub.dump"
    done = await asyncio.to_thread(filmclub, "db", "backup", str(backup), "--db", postgres_url,
                                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    listing = (await asyncio.to_thread(
        subprocess.run, ["pg_restore", "--list", str(backup)], capture_output=True, text=True,
        check=True)).stdout
    assert "TABLE DATA public comments" in listing
    again = await asyncio.to_thread(filmclub, "db", "backup", str(backup), "--db",
                                    postgres_url, cwd=tmp_path)
    assert again.returncode != 0 and "already exists" in one_line(again)
    # A trigger gone is a problem the check names.
    postgres_server.psql("DROP TRIGGER forgotten_reaction ON reactions",
                         database=name_of(postgres_url))
    broken = await asyncio.to_thread(pgm.check, postgres_url)
    assert broken.problems == ["integrity: trigger forgotten_reaction is missing or disabled"]


async def test_backup_without_pg_dump_says_so(postgres_url: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Without pg_dump the backup is one clear line and writes nothing."""
    async with PostgresStore(postgres_url):
        pass
    monkeypatch.setattr(pgm, "pg_dump_program", lambda: None)
    with pytest.raises(StoreError, match="pg_dump was not found"):
        await asyncio.to_thread(pgm.backup, postgres_url, tmp_path / "b.dump")
    assert list(tmp_path.iterdir()) == []


async def test_db_check_names_a_foreign_database(postgres_url: str, tmp_path: Path) -> None:
    """`db check` on someone else's database says so in one line and exits 1."""
    conn = await asyncpg.connect(postgres_url)
    try:
        await conn.execute("CREATE TABLE invoices (id BIGINT PRIMARY KEY)")
    finally:
        await conn.close()
    result = await asyncio.to_thread(filmclub, "db", "check", "--db", postgres_url,
                                     cwd=tmp_path)
    assert result.returncode == 1
    assert "is not a filmclub database (1 tables of something else)" in one_line(result)


# -- a connection lost mid-run -----------------------------------------------------------

async def test_a_lost_connection_is_kept_and_retried_with_nothing_lost(
        postgres_url: str, postgres_server: PostgresServer) -> None:
    """The server drops the bot's connections and refuses new ones for a while: events are
    kept, the storage notice says so once, and everything is written once it comes back."""
    name = name_of(postgres_url)
    role = f"{name}_bot"  # not a superuser: NOLOGIN keeps it out until it is let back in
    postgres_server.psql(f'CREATE ROLE "{role}" LOGIN')
    postgres_server.psql(f'ALTER DATABASE "{name}" OWNER TO "{role}"')
    url = postgres_url.replace(f"{postgres_server.user}@", f"{role}@", 1)
    notices: list[StorageNotice] = []
    store = PostgresStore(url, retry_first=0.05, retry_max=0.5)
    store.add_storage_listener(notices.append)
    try:
        async with store:
            await with_prompt(store)
            for n in range(40):
                store.submit(message(n))
            await store.flush()
            postgres_server.psql(f'ALTER ROLE "{role}" NOLOGIN')
            postgres_server.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"  # noqa: S608 - a test's own role name
                                 " WHERE usename = " + _quoted(role))
            for n in range(40, 80):
                store.submit(message(n))
            await until(lambda: store.trouble is not None, "the writer to find the server gone")
            with pytest.raises(StoreError, match="cannot be written"):
                await store.flush()
            postgres_server.psql(f'ALTER ROLE "{role}" LOGIN')
            await until(lambda: store.trouble is None, "the writer to write again")
            await store.flush()
            stored = [c.id async for c in store.iter_comments(THREAD)]
    finally:
        postgres_server.psql(f'ALTER DATABASE "{name}" OWNER TO "{postgres_server.user}"')
    assert stored == [message(n).id for n in range(80)]
    assert [n.kind for n in notices] == ["failing", "recovered"]
    assert "connection" in notices[0].problem.lower()


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# -- one process per shard ---------------------------------------------------------------

async def test_a_shard_is_held_by_one_process(postgres_url: str) -> None:
    """Two stores on one database: each shard once; the second claim of a shard is refused."""
    first, second = PostgresStore(postgres_url), PostgresStore(postgres_url)
    async with first:
        await first.hold_shard_lock(0)
        async with second:
            with pytest.raises(AlreadyRunning) as refused:
                await second.hold_shard_lock(0)
            assert "shard 0 is already running" in str(refused.value)
            assert "\n" not in str(refused.value)
            await second.hold_shard_lock(1)  # another shard is free
            with pytest.raises(AlreadyRunning):
                await first.hold_shard_lock(1)
            await first.release_shard_lock(0)
            await second.hold_shard_lock(0)  # let go: another process may take it
    third = PostgresStore(postgres_url)
    async with third:  # closing the stores let go of every shard they held
        await third.hold_shard_lock(0)
        await third.hold_shard_lock(1)


def test_a_postgresql_url_without_the_driver_is_one_config_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """FILMCLUB_DB a PostgreSQL URL and asyncpg not installed: one line saying what to install."""
    import bot.config

    monkeypatch.setattr(bot.config, "postgres_available", lambda: False)
    with pytest.raises(ConfigError) as refused:
        from_env({"FILMCLUB_DB": "postgresql://bot@db/filmclub"}, discord=False)
    assert refused.value.problems == [
        "FILMCLUB_DB is a PostgreSQL URL and the PostgreSQL driver is not installed: "
        "pip install -e '.[postgres]'"]
