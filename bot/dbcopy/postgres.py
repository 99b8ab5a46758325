"""The PostgreSQL ends of ``filmclub db copy`` (see :mod:`bot.dbcopy.run`).

A source is read in one ``REPEATABLE READ`` read-only transaction: one snapshot, however
long the copy takes and whatever the bots write meanwhile. A destination is written in
one transaction: the schema (when the database is empty), every table through ``COPY``
(asyncpg's ``copy_records_to_table``), the identities moved past the copied ids, and
the triggers disabled for the copy and enabled again before it commits (``ALTER TABLE
... DISABLE TRIGGER USER`` is transactional: no other session ever sees them off).

Texts go in and come out as the store writes and reads them: PostgreSQL's text cannot
hold NUL, which SQLite's can, so the store keeps it escaped (``postgres.escape_text``).

PostgreSQL's ``meta`` holds two rows of its own, the database's mark (``application``)
and its ``schema_version``: they are not copied from a PostgreSQL source, and are kept
at a PostgreSQL destination, so both sides count the same rows.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg

from bot.dbcopy.base import SEEDED, CopyError, Schema, Table, live, names, same_tables, shown
from bot.errors import FilmclubError, StoreError
from bot.store import postgres
from bot.store.base import Store
from bot.store.migrations import CONSTANTS

log = logging.getLogger(__name__)

#: meta's rows that belong to the PostgreSQL database itself, not to what it holds.
OWN_META = ("application", "schema_version")


def _filter(table: Table) -> str:
    """The rows of ``table`` that are the club's (meta without PostgreSQL's own)."""
    return " WHERE key <> ALL($1::text[])" if table.name == "meta" else ""


def _args(table: Table) -> tuple[Any, ...]:
    return (list(OWN_META),) if table.name == "meta" else ()


@contextlib.contextmanager
def blame(label: str) -> Iterator[None]:
    """Turn what PostgreSQL or the network raises into one CopyError line naming the side."""
    try:
        yield
    except FilmclubError:
        raise
    except (asyncpg.PostgresError, asyncpg.exceptions.InterfaceError, OSError,
            TimeoutError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise CopyError(f"{label}: {reason}") from exc


async def _connect(url: str) -> asyncpg.Connection:
    try:
        return await postgres.connect(url)
    except StoreError as exc:
        raise CopyError(str(exc)) from exc.__cause__


async def _tables(conn: asyncpg.Connection) -> set[str]:
    return {row[0] for row in await conn.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}


def same_version(label: str, version: int) -> None:
    wanted = postgres.SCHEMA_VERSION
    if version != wanted:
        raise CopyError(
            f"{label} is at PostgreSQL schema {version}, this filmclub writes schema {wanted}; "
            + ("upgrade filmclub before copying it" if version > wanted
               else "start the bot on it once (it migrates it), then copy it"))


class PostgresSource:
    """A PostgreSQL database, read from one snapshot."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.label = shown(url)
        self._conn: asyncpg.Connection | None = None
        self._snapshot: Any = None

    async def open(self, schema: Schema) -> None:
        self._conn = conn = await _connect(self.url)
        with blame(self.label):
            self._snapshot = conn.transaction(isolation="repeatable_read", readonly=True)
            await self._snapshot.start()
            version, tables = await postgres.schema_state(conn)
            if version is None:
                raise CopyError(f"{self.label} is not a filmclub database"
                                + ("" if tables else " (it is empty)") + "; not copying it")
            same_version(self.label, version)
            same_tables(self.label, await _tables(conn), schema)

    async def count(self, table: Table) -> int:
        with blame(self.label):
            return int(await live(self._conn).fetchval(
                f'SELECT count(*) FROM "{table.name}"{_filter(table)}', *_args(table)))  # noqa: S608

    async def batches(self, table: Table, size: int) -> AsyncIterator[list[tuple[Any, ...]]]:
        conn = live(self._conn)
        query = (f'SELECT {names(table.columns)} FROM "{table.name}"{_filter(table)}'  # noqa: S608
                 f" ORDER BY {names(table.key)}")
        with blame(self.label):
            cursor = await conn.cursor(query, *_args(table))
            rows = _read(await cursor.fetch(size))
        while rows:
            yield rows
            with blame(self.label):
                rows = _read(await cursor.fetch(size))

    async def end_snapshot(self) -> None:
        if self._snapshot is not None:
            snapshot, self._snapshot = self._snapshot, None
            with blame(self.label):
                await snapshot.commit()

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with contextlib.suppress(asyncpg.PostgresError, OSError,
                                     asyncpg.exceptions.InterfaceError):
                await conn.close()

    @contextlib.asynccontextmanager
    async def store(self) -> AsyncIterator[Store]:
        async with postgres.PostgresStore(self.url, create=False) as store:
            yield store


class PostgresDestination:
    """An empty PostgreSQL database, filled in one transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.label = shown(url)
        self._conn: asyncpg.Connection | None = None
        self._transaction: Any = None
        self._committed = False
        self._triggered: list[str] = []

    async def open(self, schema: Schema) -> None:
        self._conn = conn = await _connect(self.url)
        with blame(self.label):
            version, tables = await postgres.schema_state(conn)
            if version is None and tables:
                raise CopyError(f"{self.label} is not a filmclub database (it has other "
                                "tables); not writing into it")
            if version is not None:
                same_version(self.label, version)
                same_tables(self.label, await _tables(conn), schema)
                await self._refuse_data(schema)
            self._transaction = conn.transaction()
            await self._transaction.start()
            await conn.execute("SET LOCAL lock_timeout = '10s'")
            await postgres.migrate(conn, self.label)
            if version is None:
                same_tables(self.label, await _tables(conn), schema)
            else:  # a bot may have started on it since: look again, under the lock
                await self._refuse_data(schema)
            self._triggered = [row[0] for row in await conn.fetch(
                "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c"
                " ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE NOT t.tgisinternal AND n.nspname = current_schema()"
                " ORDER BY c.relname")]
            for name in self._triggered:
                await conn.execute(f'ALTER TABLE "{name}" DISABLE TRIGGER USER')
            await conn.execute("DELETE FROM meta WHERE key <> ALL($1::text[])", list(OWN_META))
            for name in SEEDED:
                if name != "meta":
                    await conn.execute(f'DELETE FROM "{name}"')  # noqa: S608

    async def _refuse_data(self, schema: Schema) -> None:
        """A CopyError when the database holds anything a bot or a member wrote."""
        conn = live(self._conn)
        for table in schema.tables:
            if table.name in SEEDED:
                continue
            if await conn.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{table.name}")'):  # noqa: S608
                raise CopyError(f"{self.label} already holds data ({table.name} has rows); "
                                "db copy writes only into an empty database")
        extra = await conn.fetchval("SELECT min(key) FROM meta WHERE key <> ALL($1::text[])",
                                    [*OWN_META, *CONSTANTS])
        if extra is not None:
            raise CopyError(f"{self.label} already holds data (meta has {extra!r}); "
                            "db copy writes only into an empty database")

    async def write(self, table: Table, rows: list[tuple[Any, ...]]) -> None:
        with blame(self.label):
            await live(self._conn).copy_records_to_table(
                table.name, records=[tuple(_written(v) for v in row) for row in rows],
                columns=list(table.columns))

    async def commit(self) -> None:
        conn = live(self._conn)
        with blame(self.label):
            for name in self._triggered:
                await conn.execute(f'ALTER TABLE "{name}" ENABLE TRIGGER USER')
            await postgres.reset_identities(conn)
            await self._transaction.commit()
        self._transaction = None
        self._committed = True

    async def count(self, table: Table) -> int:
        with blame(self.label):
            return int(await live(self._conn).fetchval(
                f'SELECT count(*) FROM "{table.name}"{_filter(table)}', *_args(table)))  # noqa: S608

    @contextlib.asynccontextmanager
    async def store(self) -> AsyncIterator[Store]:
        async with postgres.PostgresStore(self.url, create=False) as store:
            yield store

    async def keep(self) -> None:
        await self.close()

    async def undo(self) -> None:
        """Roll the transaction back; a copy committed but not verified is emptied again."""
        try:
            if self._transaction is not None:
                transaction, self._transaction = self._transaction, None
                with contextlib.suppress(asyncpg.PostgresError, OSError,
                                         asyncpg.exceptions.InterfaceError):
                    await transaction.rollback()
            elif self._committed and self._conn is not None:
                await self._empty()
        finally:
            await self.close()

    async def _empty(self) -> None:
        """Take the copied rows out again, in one transaction: as a bot's first start left it."""
        conn = live(self._conn)
        with blame(self.label):
            async with conn.transaction():
                names = ", ".join(f'"{n}"' for n in await _tables(conn)
                                  if n not in ("meta", "export_state"))
                await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
                await conn.execute("DELETE FROM meta WHERE key <> ALL($1::text[])",
                                   list(OWN_META))
                await conn.executemany("INSERT INTO meta (key, value) VALUES ($1, $2)",
                                       list(CONSTANTS.items()))
                await conn.execute("UPDATE export_state SET generation = 1")
        log.info("%s: the copy was not kept; its rows were taken out again", self.label)

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with contextlib.suppress(asyncpg.PostgresError, OSError,
                                     asyncpg.exceptions.InterfaceError):
                await conn.close()


def _read(records: list[Any]) -> list[tuple[Any, ...]]:
    """Rows as the store reads them: a text's NUL as it was (PostgreSQL keeps it escaped)."""
    return [tuple(postgres.unescape_text(v) if isinstance(v, str) else v for v in record)
            for record in records]


def _written(value: Any) -> Any:
    """A value as the store writes it: NUL escaped in text, booleans as integers."""
    if isinstance(value, str):
        return postgres.escape_text(value)
    return int(value) if isinstance(value, bool) else value
