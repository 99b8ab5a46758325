"""`filmclub db copy` with PostgreSQL at either end (issue 15): exact both ways, triggers
and identities right afterwards, nothing written over data, nothing half-written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.dbcopy.base import CopyError
from bot.dbcopy.postgres import PostgresDestination
from bot.dbcopy.run import copy_database
from bot.store import SQLiteStore
from bot.store.postgres import PostgresStore
from tests import copydata, discussion
from tests.pgserver import PostgresServer, fresh_database
from tests.store.test_copying import contents, leftovers


@pytest.fixture
async def source(tmp_path: Path) -> Path:
    """A filmclub SQLite database with a bit of everything in it."""
    path = tmp_path / "club.db"
    async with SQLiteStore(path) as store:
        await copydata.build(store)
    return path


async def club_rows(url: str) -> int:
    """How many rows a PostgreSQL database holds outside meta and export_state."""
    conn = await asyncpg.connect(url)
    try:
        tables = [r[0] for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            " AND tablename NOT IN ('meta', 'export_state')")]
        return sum([await conn.fetchval(f'SELECT count(*) FROM "{t}"') for t in tables])  # noqa: S608
    finally:
        await conn.close()


async def table_count(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval(
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"))
    finally:
        await conn.close()


async def test_round_trip_through_postgres_is_exact(source: Path, tmp_path: Path,
                                                    postgres_server: PostgresServer) -> None:
    """SQLite → PostgreSQL → PostgreSQL → SQLite gives back the same file contents, every
    table (export marks, names, /forget's placeholders) included, each copy verified."""
    with fresh_database(postgres_server) as first, fresh_database(postgres_server) as second:
        there = await copy_database(source, first)
        across = await copy_database(first, second)
        back = await copy_database(second, tmp_path / "back.db")
    assert contents(tmp_path / "back.db") == contents(source)
    assert there.rows == across.rows == back.rows
    assert there.total > 60 and there.threads == across.threads == back.threads == 2
    assert back.exports == there.exports == 20
    assert leftovers(tmp_path) == []


async def test_postgres_copy_runs_on(source: Path, postgres_url: str) -> None:
    """After the copy, the bot's store on PostgreSQL numbers new rows after the copied ids
    and its triggers are on again: a new comment is marked changed, a name is kept."""
    await copy_database(source, postgres_url)
    conn = await asyncpg.connect(postgres_url)
    try:
        disabled = await conn.fetchval(
            "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgenabled = 'D'")
        generation = await conn.fetchval("SELECT generation FROM export_state")
    finally:
        await conn.close()
    assert disabled == 0
    async with PostgresStore(postgres_url, create=False) as store:
        entry = await store.add_audit(copydata.AuditEntry(copydata.GUILD, 99, "close", "x",
                                                          copydata.LATER))
        store.submit(discussion.say(30, 8, "Flo", "Late to this one."))
        await store.flush()
    assert entry.id == 2
    conn = await asyncpg.connect(postgres_url)
    try:
        marked = await conn.fetchval("SELECT generation FROM comment_changes"
                                     " WHERE comment_id = $1", discussion.sf(30))
        named = await conn.fetchval("SELECT name FROM member_names WHERE user_id = 8")
    finally:
        await conn.close()
    assert (marked, named) == (generation, "Flo")


async def test_database_with_data_is_refused(source: Path, tmp_path: Path,
                                             postgres_url: str) -> None:
    """A second copy into the same database is refused, and the first stays whole."""
    first = await copy_database(source, postgres_url)
    with pytest.raises(CopyError, match=r"already holds data .*; db copy writes only into an "
                                        "empty database"):
        await copy_database(source, postgres_url)
    assert await club_rows(postgres_url) == first.total - first.rows["meta"] - 1
    await copy_database(postgres_url, tmp_path / "again.db")
    assert contents(tmp_path / "again.db") == contents(source)


async def test_bot_made_schema_is_empty_enough(source: Path, postgres_url: str) -> None:
    """A database a bot has started on once (its schema, no rows) takes the copy."""
    async with PostgresStore(postgres_url):
        pass
    result = await copy_database(source, postgres_url)
    assert result.threads == 2


async def test_foreign_and_empty_databases_are_refused(source: Path, tmp_path: Path,
                                                       postgres_url: str) -> None:
    """A database with other tables is neither written nor copied; an empty one is no source."""
    with pytest.raises(CopyError, match=r"is not a filmclub database .*empty.*not copying"):
        await copy_database(postgres_url, tmp_path / "copy.db")
    conn = await asyncpg.connect(postgres_url)
    await conn.execute("CREATE TABLE notes (id int PRIMARY KEY)")
    await conn.close()
    with pytest.raises(CopyError, match="not a filmclub database \\(it has other tables\\)"):
        await copy_database(source, postgres_url)
    with pytest.raises(CopyError, match="not a filmclub database; not copying it"):
        await copy_database(postgres_url, tmp_path / "copy.db")
    assert await table_count(postgres_url) == 1
    assert not (tmp_path / "copy.db").exists() and leftovers(tmp_path) == []


async def test_newer_postgres_schema_is_refused(source: Path, tmp_path: Path,
                                                postgres_url: str) -> None:
    """A PostgreSQL database from a newer filmclub is neither a source nor a destination."""
    async with PostgresStore(postgres_url):
        pass
    conn = await asyncpg.connect(postgres_url)
    await conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    await conn.close()
    for args in ((source, postgres_url), (postgres_url, tmp_path / "copy.db")):
        with pytest.raises(CopyError, match=r"at PostgreSQL schema 99, .*upgrade filmclub"):
            await copy_database(*args)
    assert not (tmp_path / "copy.db").exists()


async def test_unreachable_server_is_one_line(source: Path, tmp_path: Path,
                                              postgres_server: PostgresServer) -> None:
    """A server out of reach is one line naming it, without its password."""
    url = f"postgresql://filmclub:secret@127.0.0.1:{_closed_port()}/filmclub"
    for args in ((source, url), (url, tmp_path / "copy.db")):
        with pytest.raises(CopyError) as failed:
            await copy_database(*args)
        message = str(failed.value)
        assert message.startswith("cannot connect to PostgreSQL at postgresql://filmclub:***@")
        assert "secret" not in message and "\n" not in message
    assert not (tmp_path / "copy.db").exists() and leftovers(tmp_path) == []


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_lost_connection_leaves_the_database_empty(
        source: Path, postgres_url: str, postgres_server: PostgresServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The server ending the copy's connection midway is one line; the database is as it
    was (no tables: the schema was in the same transaction), and a new copy then works."""
    real = PostgresDestination.write
    batches: list[int] = []

    async def write(self: PostgresDestination, table: Any, rows: list[Any]) -> None:
        batches.append(len(rows))
        if len(batches) == 4:
            name = postgres_url.rsplit("/", 1)[1]
            ours = f"datname = '{name}' AND pid <> pg_backend_pid()"
            postgres_server.psql(
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE {ours}")  # noqa: S608
        await real(self, table, rows)

    monkeypatch.setattr(PostgresDestination, "write", write)
    with pytest.raises(CopyError) as failed:
        await copy_database(source, postgres_url, batch=5)
    assert str(failed.value).startswith(f"{postgres_url}: ")
    assert "\n" not in str(failed.value)
    assert await table_count(postgres_url) == 0
    monkeypatch.setattr(PostgresDestination, "write", real)
    assert (await copy_database(source, postgres_url)).threads == 2


async def test_unverified_copy_is_taken_out(source: Path, postgres_url: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A copy that commits but exports differently is emptied again; a later copy works."""
    real = PostgresDestination.write

    async def altered(self: PostgresDestination, table: Any, rows: list[Any]) -> None:
        if table.name == "versions":
            rows = [(*rows[0][:-1], rows[0][-1] + " (altered)"), *rows[1:]]
        await real(self, table, rows)

    monkeypatch.setattr(PostgresDestination, "write", altered)
    with pytest.raises(CopyError, match=r"^thread \d+ exports differently as md"):
        await copy_database(source, postgres_url)
    assert await club_rows(postgres_url) == 0
    monkeypatch.setattr(PostgresDestination, "write", real)
    assert (await copy_database(source, postgres_url)).threads == 2


def test_cli_copies_to_postgres_and_back(source: Path, tmp_path: Path,
                                         postgres_url: str) -> None:
    """`filmclub db copy` to a URL and back: a line each, the URL shown as given."""
    from tests.clirun import filmclub

    there = filmclub("db", "copy", str(source), postgres_url, cwd=tmp_path)
    assert there.returncode == 0, there.stderr
    assert there.stdout.startswith(f"{postgres_url}: copied from {source} (schema ")
    back = filmclub("db", "copy", postgres_url, "back.db", cwd=tmp_path)
    assert back.returncode == 0, back.stderr
    assert contents(tmp_path / "back.db") == contents(source)
    again = filmclub("db", "copy", str(source), postgres_url, cwd=tmp_path)
    assert again.returncode == 2 and again.stdout == ""
    assert len(again.stderr.splitlines()) == 1 and "already holds data" in again.stderr
