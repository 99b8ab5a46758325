"""The PostgreSQL store (issue 15): the store's shared logic on asyncpg.

``PostgresStore`` is, like ``SQLiteStore``, a ``SQLStore`` (``bot.store.sql_store``: the
writer thread with its batches, group commits, idempotent event SQL, storage-trouble
keeping and retrying, and every read) given PostgreSQL's connections:

- the writer thread owns one asyncpg connection, run on an event loop of its own
  (:class:`WriterConnection`), shaped like the ``sqlite3`` connection the shared
  writes are functions of (``execute``, ``executemany``, ``fetchone``, ``rowcount``);
- reads go through one asyncpg connection on the bot's event loop (:class:`Reader`),
  shaped like aiosqlite's (``async with db.execute(sql, params) as cur``);
- every statement is translated once to PostgreSQL's dialect (``bot.store.pg_dialect``)
  and prepared once per connection; values are bound as the prepared statement's
  parameter types want them (SQLite converts them itself), and results come back as
  SQLite gives them (integers for booleans and integral sums).

PostgreSQL's errors reach the shared logic as ``sqlite3`` errors carrying the SQLite code
of the same kind, so it classifies them as it does SQLite's: a lost connection, a full
disk (SQLSTATE 53100) or a read-only server are storage trouble (the batch is kept and
retried, the connection reopened); a serialization failure or deadlock is retried like a
locked SQLite file; anything else isolates the item that caused it.

The schema is ``bot/store/schema_pg/NNNN_*.sql``, applied in one transaction under an
advisory lock (several shard processes may start at once); ``meta`` marks the database
as filmclub's (``application``) and holds its ``schema_version``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import socket
import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from bot.errors import StoreError
from bot.store.events_sql import _UNREACT, _UNREACT_ROW
from bot.store.migrations import CONSTANTS, load_migrations
from bot.store.pg_dialect import OVERRIDES, Translated, translate
from bot.store.sql_store import SQLStore

log = logging.getLogger(__name__)

SCHEMA_DIR = Path(__file__).with_name("schema_pg")
MIGRATIONS = load_migrations(SCHEMA_DIR)
SCHEMA_VERSION = len(MIGRATIONS)
#: meta's mark of a filmclub database.
APPLICATION = "filmclub"
#: The first key of filmclub's advisory locks ('FILM', as SQLite's application_id).
LOCK_CLASS = 0x46494C4D
#: The second key of the lock migrations run under (shard locks use the shard id, >= 0).
_MIGRATION_LOCK = -1
#: Tables whose ids the database numbers (identity columns).
IDENTITY_TABLES = ("audit_log", "feeds", "queue", "export_history", "watchlists",
                   "watch_entries", "films")


def describe(url: str) -> str:
    """``url`` without its password, to show in messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


# Removals of reactions, one row per statement: PostgreSQL cannot type the parameters of
# SQLite's UPDATE ... FROM (VALUES ...), and pipelines one row at a time as well.
OVERRIDES[_UNREACT.format(values=f"VALUES {_UNREACT_ROW}")] = (
    "UPDATE reactions SET removed_at = ? WHERE comment_id = ? AND user_id = ? AND emoji = ?"
    " AND removed_at IS NULL")


# -- errors: PostgreSQL's, as the sqlite3 errors of the same kind ----------------------

#: SQLSTATE classes and codes of a server that cannot be written now but may be later.
_STORAGE_STATES = {"53100": sqlite3.SQLITE_FULL, "25006": sqlite3.SQLITE_READONLY,
                   "53200": sqlite3.SQLITE_NOMEM, "57P01": sqlite3.SQLITE_IOERR,
                   "57P02": sqlite3.SQLITE_IOERR, "57P03": sqlite3.SQLITE_IOERR,
                   "58030": sqlite3.SQLITE_IOERR}
_BUSY_STATES = frozenset({"40001", "40P01", "55P03"})


#: What a statement can fail with: the server's errors and the network's.
_FAULTS = (TimeoutError, asyncpg.PostgresError, asyncpg.exceptions.InterfaceError, OSError)


def _lost(exc: BaseException) -> bool:
    """Whether ``exc`` means the connection is gone."""
    if isinstance(exc, (OSError, asyncpg.exceptions.ConnectionDoesNotExistError,
                        asyncpg.exceptions.InterfaceError, TimeoutError)):
        return True
    state = getattr(exc, "sqlstate", None) or ""
    return state.startswith("08") or state in ("57P01", "57P02", "57P03")


def as_sqlite_error(exc: BaseException) -> sqlite3.Error:
    """``exc`` (asyncpg's or the network's) as the sqlite3 error of the same kind."""
    message = " ".join(str(exc).split()) or type(exc).__name__
    state = getattr(exc, "sqlstate", None) or ""
    error: sqlite3.Error
    if state.startswith("23"):
        error = sqlite3.IntegrityError(message)
        code = sqlite3.SQLITE_CONSTRAINT
    else:
        error = sqlite3.OperationalError(message)
        if _lost(exc):
            code = sqlite3.SQLITE_IOERR
            error = sqlite3.OperationalError(f"connection to PostgreSQL lost: {message}")
        elif state in _STORAGE_STATES:
            code = _STORAGE_STATES[state]
        elif state.startswith("53"):
            code = sqlite3.SQLITE_FULL
        elif state in _BUSY_STATES:
            code = sqlite3.SQLITE_BUSY
        else:
            code = sqlite3.SQLITE_ERROR
    error.sqlite_errorcode = code  # type: ignore[attr-defined]
    error.sqlstate = state  # type: ignore[attr-defined]
    return error


# -- values in and out -------------------------------------------------------------------

def _to_int(value: Any) -> Any:
    if value is None or type(value) is int:
        return value
    if isinstance(value, (bool, float)):
        return int(value)
    if isinstance(value, str):
        return int(value)
    return value


#: PostgreSQL's text cannot hold NUL, which SQLite's can (a message may contain one): in
#: the database, NUL is U+FFFF '0' and U+FFFF itself (a noncharacter) U+FFFF '1'.
_ESCAPE = "\uffff"
_ESCAPED = re.compile("\uffff([01])")


def escape_text(value: str) -> str:
    """``value`` as PostgreSQL's text keeps it (see _ESCAPE)."""
    if "\x00" in value or _ESCAPE in value:
        return value.replace(_ESCAPE, _ESCAPE + "1").replace("\x00", _ESCAPE + "0")
    return value


def unescape_text(value: Any) -> Any:
    """A text read back as it was written (see _ESCAPE)."""
    if value is not None and _ESCAPE in value:
        return _ESCAPED.sub(lambda m: "\x00" if m.group(1) == "0" else _ESCAPE, value)
    return value


def _to_text(value: Any) -> Any:
    if value is None:
        return value
    if type(value) is str:
        return escape_text(value)
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


def _to_bool(value: Any) -> Any:
    return value if value is None or type(value) is bool else bool(value)


def _to_float(value: Any) -> Any:
    return value if value is None or type(value) is float else float(value)


_IN: dict[str, Callable[[Any], Any]] = {
    "int2": _to_int, "int4": _to_int, "int8": _to_int, "text": _to_text, "varchar": _to_text,
    "json": _to_text, "jsonb": _to_text, "bool": _to_bool, "float4": _to_float,
    "float8": _to_float,
}


def _from_numeric(value: Any) -> Any:
    """sum() of integers is numeric in PostgreSQL; SQLite gives an integer (avg: a float)."""
    if value is None:
        return None
    if value == value.to_integral_value() and value.as_tuple().exponent >= 0:
        return int(value)
    return float(value)


def _from_bool(value: Any) -> Any:
    return None if value is None else int(value)


_OUT: dict[str, Callable[[Any], Any]] = {"numeric": _from_numeric, "bool": _from_bool,
                                         "text": unescape_text, "varchar": unescape_text}


class _Statement:
    """A prepared statement with its value conversions."""

    __slots__ = ("convert_in", "convert_out", "prepared", "translated")

    def __init__(self, translated: Translated, prepared: Any) -> None:
        self.translated = translated
        self.prepared = prepared
        self.convert_in = [_IN.get(p.name) for p in prepared.get_parameters()]
        outs = [_OUT.get(a.type.name) for a in prepared.get_attributes()]
        self.convert_out = outs if any(outs) else None

    def args(self, params: Any) -> list[Any]:
        values = self.translated.args(params)
        if len(values) != len(self.convert_in):
            raise sqlite3.ProgrammingError(
                f"{len(values)} values for {len(self.convert_in)} parameters")
        return [value if convert is None else convert(value)
                for convert, value in zip(self.convert_in, values, strict=True)]

    def rows(self, records: Sequence[Any]) -> list[tuple[Any, ...]]:
        outs = self.convert_out
        if outs is None:
            return [tuple(record) for record in records]
        return [tuple(value if convert is None else convert(value)
                      for convert, value in zip(outs, record, strict=True))
                for record in records]


def _rowcount(status: str | None) -> int:
    if not status:
        return -1
    verb, _, rest = status.partition(" ")
    if verb in ("INSERT", "UPDATE", "DELETE", "MERGE"):
        return int(rest.rsplit(" ", 1)[-1])
    return -1


class Cursor:
    """Rows of one statement, shaped like a sqlite3 cursor."""

    lastrowid = None

    def __init__(self, rows: list[tuple[Any, ...]], rowcount: int = -1) -> None:
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount

    def fetchone(self) -> tuple[Any, ...] | None:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchmany(self, size: int = 1) -> list[tuple[Any, ...]]:
        rows = self._rows[self._next:self._next + size]
        self._next += len(rows)
        return rows

    def fetchall(self) -> list[tuple[Any, ...]]:
        rows = self._rows[self._next:]
        self._next = len(self._rows)
        return rows

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        while (row := self.fetchone()) is not None:
            yield row


class Unreachable(StoreError):
    """The server could not be reached (or refused the connection)."""


#: What the server shows of this process's connections (pg_stat_activity), and what a
#: second process on a shard this one holds is told.
APPLICATION_NAME = f"filmclub pid {os.getpid()} on {socket.gethostname()}"[:63]

#: How long a connection attempt may take.
CONNECT_TIMEOUT = 10.0


async def connect(url: str) -> asyncpg.Connection:
    """A connection to ``url``; a failure is one StoreError line."""
    try:
        return await asyncpg.connect(url, timeout=CONNECT_TIMEOUT,
                                     server_settings={"application_name": APPLICATION_NAME})
    except _FAULTS as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise Unreachable(f"cannot connect to PostgreSQL at {describe(url)}: {reason}") from exc


_NULL_TEST = re.compile(r"\$(\d+)(\s+IS\s+(?:NOT\s+)?NULL\b)", re.IGNORECASE)
_AMBIGUOUS = re.compile(r"parameter \$(\d+)")
_UNTYPED = (asyncpg.exceptions.AmbiguousParameterError,
            asyncpg.exceptions.IndeterminateDatatypeError)


async def _prepare(conn: asyncpg.Connection, sql: str) -> Any:
    """``conn.prepare(sql)``; inside a transaction, a refusal does not abort it."""
    if not conn.is_in_transaction():
        return await conn.prepare(sql)
    await conn.execute("SAVEPOINT filmclub_prepare")
    try:
        prepared = await conn.prepare(sql)
    except asyncpg.PostgresError:
        await conn.execute("ROLLBACK TO SAVEPOINT filmclub_prepare")
        raise
    await conn.execute("RELEASE SAVEPOINT filmclub_prepare")
    return prepared


async def _typed_nulls(conn: asyncpg.Connection, sql: str) -> str:
    """``sql`` with each ``$n IS NULL`` cast to the type ``$n`` has elsewhere.

    SQLite's ``(:after IS NULL OR id > :after)`` leaves PostgreSQL without a type for the
    first use of the parameter. A probe with those tests taken out lets PostgreSQL infer
    each parameter from its other uses; a parameter used nowhere else is text.
    """
    texts: set[int] = set()
    for _ in range(64):
        probe = _NULL_TEST.sub(
            lambda m: f"CAST(${m.group(1)} AS text){m.group(2)}"
            if int(m.group(1)) in texts else "TRUE", sql)
        try:
            prepared = await _prepare(conn, probe)
            break
        except _UNTYPED as exc:
            found = _AMBIGUOUS.search(str(exc))
            if found is None or int(found.group(1)) in texts:
                raise
            texts.add(int(found.group(1)))
    else:  # pragma: no cover - more parameters than any statement has
        raise StoreError("PostgreSQL could not type a statement's parameters")
    types = {index + 1: param.name for index, param in enumerate(prepared.get_parameters())}
    return _NULL_TEST.sub(
        lambda m: f"CAST(${m.group(1)} AS {types.get(int(m.group(1)), 'text')}){m.group(2)}",
        sql)


_MAX_STATEMENTS = 512


class _Session:
    """One asyncpg connection with its prepared statements (either side's)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn: asyncpg.Connection | None = None
        #: Prepared statements, most recently used last. Lists of marks (``IN (?, ?)``)
        #: make a text per length: the least used go past _MAX_STATEMENTS (asyncpg closes
        #: them on the server once they are collected).
        self._statements: OrderedDict[str, _Statement] = OrderedDict()

    async def open(self) -> asyncpg.Connection:
        if self.conn is None or self.conn.is_closed():
            self._statements = OrderedDict()
            self.conn = await connect(self.url)
        return self.conn

    async def statement(self, sql: str) -> _Statement:
        translated = translate(sql)
        found = self._statements.get(translated.sql)
        if found is not None:
            self._statements.move_to_end(translated.sql)
        else:
            conn = await self.open()
            try:
                try:
                    prepared = await _prepare(conn, translated.sql)
                except _UNTYPED:
                    prepared = await _prepare(conn, await _typed_nulls(conn, translated.sql))
            except asyncpg.PostgresError:
                log.debug("PostgreSQL refused the statement %r (from %r)", translated.sql, sql)
                raise
            found = _Statement(translated, prepared)
            self._statements[translated.sql] = found
            if len(self._statements) > _MAX_STATEMENTS:
                self._statements.popitem(last=False)
        return found

    async def run(self, sql: str, params: Any) -> Cursor:
        statement = await self.statement(sql)
        records = await statement.prepared.fetch(*statement.args(params))
        return Cursor(statement.rows(records), _rowcount(statement.prepared.get_statusmsg()))

    async def run_many(self, sql: str, rows: Sequence[Any]) -> None:
        if not rows:
            return
        statement = await self.statement(sql)
        await statement.prepared.executemany([statement.args(row) for row in rows])

    async def drop(self) -> None:
        """Forget the connection (lost, or closing)."""
        conn, self.conn = self.conn, None
        self._statements = OrderedDict()
        if conn is not None and not conn.is_closed():
            try:
                await asyncio.wait_for(conn.close(), 5)
            except Exception:  # a dying connection: let it go
                conn.terminate()


class WriterConnection:
    """The writer thread's connection, shaped like sqlite3's, on a loop of its own."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._loop = asyncio.new_event_loop()
        self._session = _Session(url)
        self.in_transaction = False

    def _run(self, coro: Any) -> Any:
        try:
            return self._loop.run_until_complete(coro)
        except _FAULTS as exc:
            if _lost(exc):
                self.in_transaction = False
                self._loop.run_until_complete(self._session.drop())
            raise as_sqlite_error(exc) from exc
        except Unreachable as exc:  # could not (re)connect: the server is away
            self.in_transaction = False
            error = sqlite3.OperationalError(str(exc))
            error.sqlite_errorcode = sqlite3.SQLITE_IOERR  # type: ignore[attr-defined]
            raise error from exc

    def run_async(self, fn: Callable[[asyncpg.Connection], Any]) -> Any:
        """``await fn(conn)`` on this connection (migrations, maintenance)."""
        async def call() -> Any:
            return await fn(await self._session.open())
        return self._run(call())

    def open(self) -> None:
        self._loop.run_until_complete(self._session.open())

    def execute(self, sql: str, params: Any = None) -> Cursor:
        verb = sql.lstrip()[:8].upper()
        if verb.startswith("BEGIN"):
            self._run(self._raw("BEGIN"))
            self.in_transaction = True
            return Cursor([])
        if verb.startswith(("COMMIT", "ROLLBACK")):
            if self._session.conn is None:
                self.in_transaction = False
                if verb.startswith("COMMIT"):
                    raise as_sqlite_error(ConnectionError("the connection was lost"))
                return Cursor([])
            try:
                self._run(self._raw(verb.split()[0]))
            finally:
                self.in_transaction = False
            return Cursor([])
        if self.in_transaction and self._session.conn is None:
            raise as_sqlite_error(ConnectionError("the connection was lost"))
        return self._run(self._session.run(sql, params))  # type: ignore[no-any-return]

    async def _raw(self, sql: str) -> None:
        conn = await self._session.open()
        await conn.execute(sql)

    def executemany(self, sql: str, rows: Sequence[Any]) -> Cursor:
        rows = list(rows)
        if self.in_transaction and self._session.conn is None:
            raise as_sqlite_error(ConnectionError("the connection was lost"))
        self._run(self._session.run_many(sql, rows))
        return Cursor([])

    def rows_one_by_one(self, template: str, row: str, values: list[Any]) -> None:
        """``template`` with its ``{values}`` as one row, for each row of ``values``."""
        width = row.count("?")
        rows = [values[i:i + width] for i in range(0, len(values), width)]
        self.executemany(template.format(values=f"VALUES {row}"), rows)

    def close(self) -> None:
        try:
            self._loop.run_until_complete(self._session.drop())
        finally:
            self._loop.close()


class _Read:
    """``await db.execute(...)`` or ``async with db.execute(...) as cur``, as aiosqlite's."""

    def __init__(self, reader: Reader, sql: str, params: Any) -> None:
        self._reader, self._sql, self._params = reader, sql, params

    def __await__(self) -> Any:
        return self._reader.query(self._sql, self._params).__await__()

    async def __aenter__(self) -> AsyncCursor:
        return await self._reader.query(self._sql, self._params)

    async def __aexit__(self, *exc: object) -> None:
        return None


class AsyncCursor(Cursor):
    """Rows of one read, shaped like an aiosqlite cursor."""

    async def fetchone(self) -> tuple[Any, ...] | None:  # type: ignore[override]
        return Cursor.fetchone(self)

    async def fetchmany(self, size: int = 1) -> list[tuple[Any, ...]]:  # type: ignore[override]
        return Cursor.fetchmany(self, size)

    async def fetchall(self) -> list[tuple[Any, ...]]:  # type: ignore[override]
        return Cursor.fetchall(self)

    def __aiter__(self) -> AsyncCursor:
        return self

    async def __anext__(self) -> tuple[Any, ...]:
        row = Cursor.fetchone(self)
        if row is None:
            raise StopAsyncIteration
        return row


class Reader:
    """Reads on the bot's event loop, shaped like aiosqlite's connection.

    ``size`` connections, each with its prepared statements; a read takes a free one.
    One by default, as SQLite's reader: reads are answered in the order they were asked,
    which the bot's concurrent tasks (two polls ending at once) rely on for the order of
    what they post. Each read fetches its rows at once (a cursor over a long thread streams
    from memory).
    """

    def __init__(self, url: str, size: int = 1) -> None:
        self._sessions = [_Session(url) for _ in range(size)]
        self._free: asyncio.Queue[_Session] = asyncio.Queue()
        for session in self._sessions:
            self._free.put_nowait(session)

    async def open(self) -> None:
        await self._sessions[0].open()  # the others connect when first needed

    def execute(self, sql: str, params: Any = None) -> _Read:
        return _Read(self, sql, params)

    async def query(self, sql: str, params: Any) -> AsyncCursor:
        session = await self._free.get()
        try:
            for attempt in (1, 2):
                try:
                    found = await session.run(sql, params)
                    return AsyncCursor(found._rows, found.rowcount)
                except _FAULTS as exc:
                    if _lost(exc):
                        await session.drop()
                        if attempt == 1:  # a read is safe to repeat on a new connection
                            log.warning("reader: connection to PostgreSQL lost; reconnecting")
                            continue
                    raise as_sqlite_error(exc) from exc
        finally:
            self._free.put_nowait(session)
        raise AssertionError("unreachable")  # pragma: no cover

    async def close(self) -> None:
        for session in self._sessions:
            await session.drop()


# -- the schema ------------------------------------------------------------------------

async def schema_state(conn: asyncpg.Connection) -> tuple[int | None, int]:
    """(filmclub's schema version or None when not filmclub's, how many tables there are)."""
    tables = await conn.fetchval(
        "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")
    if await conn.fetchval("SELECT to_regclass('meta') IS NULL"):
        return None, tables
    try:
        rows = dict(await conn.fetch(
            "SELECT key, value FROM meta WHERE key IN ('application', 'schema_version')"))
    except asyncpg.PostgresError:  # someone else's meta
        return None, tables
    if rows.get("application") != APPLICATION:
        return None, tables
    return int(rows.get("schema_version") or 0), tables


async def migrate(conn: asyncpg.Connection, where: str, *,
                  migrations: Sequence[str] = MIGRATIONS, create: bool = True) -> int:
    """Bring the database to the newest schema in one transaction; the version it was at.

    Refuses a database written by a newer filmclub and one that has tables but is not
    filmclub's, in one line each.
    """
    newest = len(migrations)
    async with conn.transaction():
        # Shard processes starting together: one migrates, the others wait and find it done.
        await conn.execute("SELECT pg_advisory_xact_lock($1, $2)", LOCK_CLASS, _MIGRATION_LOCK)
        version, tables = await schema_state(conn)
        if version is None:
            if tables:
                raise StoreError(f"{where} is not a filmclub database (it has other tables); "
                                 "refusing to use it")
            if not create:
                raise StoreError(f"no filmclub database at {where} (it is empty)")
            version = 0
        if version > newest:
            raise StoreError(
                f"{where} was written by a newer filmclub (schema {version}, this version "
                f"knows up to {newest}); upgrade filmclub or use another FILMCLUB_DB")
        if version < newest:
            log.info("migrating %s from schema %d to %d", where, version, newest)
            for number in range(version + 1, newest + 1):
                await conn.execute(migrations[number - 1])
        rows = [("application", APPLICATION), ("schema_version", str(newest)),
                *CONSTANTS.items()]
        await conn.executemany(
            "INSERT INTO meta (key, value) VALUES ($1, $2)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
            " WHERE meta.value IS DISTINCT FROM excluded.value", rows)
    return version


async def reset_identities(conn: asyncpg.Connection) -> None:
    """Move each identity past the largest id stored (after rows were copied with their ids)."""
    for table in IDENTITY_TABLES:
        await conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608
            f" coalesce((SELECT max(id) FROM {table}), 0) + 1, false)")


# -- the store -------------------------------------------------------------------------

class PostgresStore(SQLStore):
    """The store on PostgreSQL: SQLStore's logic with PostgreSQL's connections."""

    def __init__(self, url: str, **options: Any) -> None:
        options.pop("busy_timeout", None)
        super().__init__(**options)
        self.url = url
        self.where = describe(url)
        self._shard_locks: dict[int, asyncpg.Connection] = {}

    def __repr__(self) -> str:
        return f"PostgresStore({self.where!r})"

    async def open(self) -> None:
        self._wconn = await asyncio.to_thread(self._open_writer)
        reader = Reader(self.url)
        try:
            await reader.open()
        except BaseException:
            await asyncio.to_thread(self._close_writer_conn)
            raise
        self._reader = reader  # type: ignore[assignment]
        self._start_writer()

    def _close_writer_conn(self) -> None:
        if self._wconn is not None:
            self._wconn.close()
            self._wconn = None

    def _open_writer(self) -> WriterConnection:  # type: ignore[override]
        conn = WriterConnection(self.url)
        try:
            conn.open()
            conn.run_async(lambda c: migrate(c, self.where, create=self.create))
            self._load_guild_votes(conn)  # type: ignore[arg-type]
        except BaseException:
            conn.close()
            raise
        return conn

    async def close(self) -> None:
        await super().close()
        for shard in list(self._shard_locks):
            await self.release_shard_lock(shard)

    # -- one process per shard ------------------------------------------------------
    async def hold_shard_lock(self, shard_id: int) -> None:
        """Hold PostgreSQL's session advisory lock of ``shard_id`` until the store closes.

        Another process holding it (the same shard running elsewhere) is refused in one
        line (``AlreadyRunning``). The lock lives on a connection of its own, so the
        writer reconnecting after a network fault does not let go of it.
        """
        from bot.store.lock import AlreadyRunning

        if shard_id < 0:
            raise ValueError("shard ids are 0 or more")
        if shard_id in self._shard_locks:
            return
        conn = await connect(self.url)
        try:
            held = await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", LOCK_CLASS,
                                       shard_id)
        except BaseException:
            await conn.close()
            raise
        if not held:
            holder = await conn.fetchval(
                "SELECT nullif(a.application_name, '') FROM pg_locks l"
                " JOIN pg_stat_activity a ON a.pid = l.pid"
                " WHERE l.locktype = 'advisory' AND l.classid = $1::oid AND l.objid = $2::oid"
                " AND l.granted LIMIT 1", LOCK_CLASS, shard_id)
            await conn.close()
            raise AlreadyRunning(
                f"shard {shard_id} is already running on {self.where} "
                f"(held by {holder or 'another process'}); stop that process first")
        self._shard_locks[shard_id] = conn

    async def release_shard_lock(self, shard_id: int) -> None:
        """Let go of ``shard_id``'s lock (closing the store does it for all)."""
        conn = self._shard_locks.pop(shard_id, None)
        if conn is not None and not conn.is_closed():
            try:
                await conn.execute("SELECT pg_advisory_unlock($1, $2)", LOCK_CLASS, shard_id)
            except (asyncpg.PostgresError, OSError, asyncpg.exceptions.InterfaceError):
                log.debug("shard lock %d: the connection went first", shard_id)
            await conn.close()
