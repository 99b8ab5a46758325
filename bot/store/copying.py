"""``filmclub db copy SRC DST``: a whole database from one store to another, verified.

Either end is a SQLite file or a PostgreSQL URL. The copy goes table by table in
batches, parents before the tables that refer to them, from one consistent snapshot of
the source. It writes only into something empty: a SQLite file that does not exist yet,
or a PostgreSQL database with no filmclub rows in it (no tables, or the tables a bot's
first start made). There is no ``--replace``: a moderator moving to PostgreSQL copies
once, into a new database, and a copy that fails leaves nothing to clear away; replacing
a database full of discussions is what a command should never do by accident, and
dropping one is one deliberate ``dropdb`` (or ``rm``) away.

Nothing is half-written. SQLite: the copy is made in a temporary file beside the
destination and linked into place only once it is complete and verified. PostgreSQL:
schema and rows are written in one transaction; if the verification that follows finds
a difference, the rows are taken out again, so the database is as empty as it was.

Triggers. The schema's triggers keep derived rows: what changed since the last export
(``comment_changes``, ``prompt_changes``), the names members were last seen with
(``member_names``), and ``/forget``'s placeholders. Those rows are copied as they are,
so the triggers must not fire while the copy inserts: they would stamp every comment as
changed at the destination's generation and rewrite names with older ones. SQLite has no
switch for triggers: they are dropped inside the copy's transaction and created again
from their own text before it commits, so no other connection ever sees them missing.
PostgreSQL: each table's triggers are disabled inside the transaction (``ALTER TABLE
... DISABLE TRIGGER USER``, which the tables' owner may do, where ``SET
session_replication_role`` needs a superuser) and enabled again before it commits.

Verification, before the copy is kept: every table has as many rows at the destination
as in the source, and every prompt thread exports byte for byte the same from both, in
every format of the registry, once as members read it and once with deleted comments,
earlier texts and hidden comments included.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import sqlite3
import stat
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from bot.errors import FilmclubError, StoreError
from bot.export import ExportOptions, export_thread, formats
from bot.files import DestinationError, kind_of, put_in_place
from bot.store.base import Store
from bot.store.maintenance import (
    _open_read_only,
    _remove_with_companions,
    _temp_name,
    check,
    clear_stale_temporaries,
    error_text,
)
from bot.store.migrations import APPLICATION_ID, SCHEMA_VERSION, migrate

log = logging.getLogger(__name__)

#: Rows read and written at a time.
BATCH = 2000

#: The moment every verifying export says it was made at: the same on both sides.
EXPORTED_AT = datetime(2000, 1, 1, tzinfo=UTC)

#: The ways each thread is exported to compare the two sides: as members read it, and
#: with everything a moderator can ask for (deleted texts, earlier texts, hidden comments).
VARIANTS: tuple[tuple[ExportOptions, bool], ...] = (
    (ExportOptions(), False),
    (ExportOptions(include_deleted=True, include_revisions=True), True),
)

#: Tables a new database already has rows in (written by the migrations): an empty
#: destination may hold these; the source's rows take their place.
SEEDED = ("meta", "export_state")

#: The copy's progress: (what is being done: "copying" or "verifying", how much of it is
#: done, of how much, a note on what was just done).
Progress = Callable[[str, int, int, str], None]


class CopyError(StoreError):
    """The copy cannot be made or kept; the message is one line and names the database."""


def is_url(target: str | Path) -> bool:
    """Whether ``target`` names a PostgreSQL database (a URL) rather than a SQLite file."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def shown(target: str | Path) -> str:
    """``target`` fit to print: a URL without its password."""
    text = str(target)
    if not is_url(text):
        return text
    scheme, _, rest = text.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if at and ":" in userinfo:
        userinfo = userinfo.split(":", 1)[0] + ":***"
    return f"{scheme}://{userinfo}{at}{host}"


# -- the schema this filmclub writes -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Table:
    """One table of the schema: its columns in order, and the key its rows are read in."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Schema:
    """The tables of schema SCHEMA_VERSION, each after the tables it refers to."""

    version: int
    tables: tuple[Table, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tables)


def code_schema() -> Schema:
    """The schema this filmclub writes, read from a new database in memory: tables, their
    columns, their keys, and the order that puts every parent before its children."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        migrate(conn, ":memory:")
        names = [name for (name,) in conn.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite^_%' ESCAPE '^' ORDER BY name")]
        tables: dict[str, Table] = {}
        parents: dict[str, set[str]] = {}
        for name in names:
            info = conn.execute(f'PRAGMA table_info("{name}")').fetchall()
            columns = tuple(row[1] for row in info)
            key = tuple(row[1] for row in sorted((r for r in info if r[5]), key=lambda r: r[5]))
            tables[name] = Table(name, columns, key or columns)
            parents[name] = {row[2] for row in conn.execute(
                f'PRAGMA foreign_key_list("{name}")')} - {name}
    finally:
        conn.close()
    ordered: list[Table] = []
    placed: set[str] = set()
    while len(ordered) < len(tables):
        ready = [n for n in names if n not in placed and parents[n] <= placed]
        if not ready:  # pragma: no cover - the schema has no cycles
            raise RuntimeError(f"foreign keys form a cycle among {sorted(set(names) - placed)}")
        for name in ready:
            ordered.append(tables[name])
            placed.add(name)
    return Schema(SCHEMA_VERSION, tuple(ordered))


# -- the two ends ---------------------------------------------------------------------------


class Source(Protocol):
    """A database read from one consistent snapshot."""

    label: str

    async def open(self, schema: Schema) -> None:
        """Refuse a database that is not filmclub's or not at ``schema``'s version; begin
        the snapshot."""

    async def count(self, table: Table) -> int: ...

    def batches(self, table: Table, size: int) -> AsyncIterator[list[tuple[Any, ...]]]: ...

    async def end_snapshot(self) -> None: ...

    async def close(self) -> None: ...

    def store(self) -> contextlib.AbstractAsyncContextManager[Store]:
        """The store on this database, for the verifying exports."""


class Destination(Protocol):
    """A database written in one transaction, kept only once verified."""

    label: str

    async def open(self, schema: Schema) -> None:
        """Refuse a destination that holds data or cannot be reached; begin the transaction
        with the schema in place and the triggers off."""

    async def write(self, table: Table, rows: list[tuple[Any, ...]]) -> None: ...

    async def commit(self) -> None:
        """Triggers back on, identity sequences past the copied ids, and commit."""

    async def count(self, table: Table) -> int: ...

    def store(self) -> contextlib.AbstractAsyncContextManager[Store]: ...

    async def keep(self) -> None:
        """Make the verified copy the destination (SQLite: put the file in place)."""

    async def undo(self) -> None:
        """Leave the destination as it was: nothing written, whatever happened."""


@dataclass(slots=True)
class CopyResult:
    """What ``filmclub db copy`` did."""

    source: str
    destination: str
    schema: int
    rows: dict[str, int] = field(default_factory=dict)
    threads: int = 0
    exports: int = 0

    @property
    def total(self) -> int:
        return sum(self.rows.values())


# -- SQLite --------------------------------------------------------------------------------


class SQLiteSource:
    """A SQLite file, read in one read transaction (a snapshot, even beside a running bot)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.label = str(path)
        self._conn: sqlite3.Connection | None = None

    async def open(self, schema: Schema) -> None:
        try:
            conn = _open_read_only(self.path)
        except CopyError:
            raise
        except StoreError as exc:  # no file, or not a SQLite database
            raise CopyError(str(exc)) from exc.__cause__
        self._conn = conn
        with blame(self.label):
            conn.text_factory = str  # the copy is exact: damaged text is an error, not replaced
            conn.isolation_level = None
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if app_id != APPLICATION_ID:
                raise CopyError(f"{self.path} is not a filmclub database; not copying it")
            _same_version(self.label, version, schema.version)
            conn.execute("BEGIN")
            found = {name for (name,) in conn.execute(
                "SELECT name FROM sqlite_schema WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite^_%' ESCAPE '^'")}
        _same_tables(self.label, found, schema)

    async def count(self, table: Table) -> int:
        with blame(self.label):
            return int(_live(self._conn).execute(
                f'SELECT count(*) FROM "{table.name}"').fetchone()[0])  # noqa: S608

    async def batches(self, table: Table, size: int) -> AsyncIterator[list[tuple[Any, ...]]]:
        with blame(self.label):
            cursor = _live(self._conn).execute(
                f'SELECT {_names(table.columns)} FROM "{table.name}"'  # noqa: S608
                f" ORDER BY {_names(table.key)}")
            rows = cursor.fetchmany(size)
        while rows:
            yield rows
            with blame(self.label):
                rows = cursor.fetchmany(size)

    async def end_snapshot(self) -> None:
        if self._conn is not None and self._conn.in_transaction:
            _live(self._conn).execute("COMMIT")

    async def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @contextlib.asynccontextmanager
    async def store(self) -> AsyncIterator[Store]:
        from bot.store.sqlite import SQLiteStore

        async with SQLiteStore(self.path, create=False) as store:
            yield store


class SQLiteDestination:
    """A new SQLite file: made under a temporary name beside it, put in place when verified."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.label = str(path)
        self.temp = _temp_name(path)
        self._conn: sqlite3.Connection | None = None
        self._triggers: list[tuple[str, str]] = []

    async def open(self, schema: Schema) -> None:
        try:
            found = self.path.lstat()
        except FileNotFoundError:
            found = None
        if found is not None:
            what = ("already exists" if stat.S_ISREG(found.st_mode)
                    else f"is {kind_of(found.st_mode)}")
            raise CopyError(f"{self.path} {what}; db copy writes only a new file (give "
                            "another name, or move that one away first)")
        if not self.path.parent.is_dir():
            raise CopyError(f"cannot write to {self.path.parent}: no such folder")
        clear_stale_temporaries(self.path)
        with blame(self.label):
            conn = sqlite3.connect(self.temp, isolation_level=None)
            self._conn = conn
            conn.execute("PRAGMA foreign_keys = ON")
            migrate(conn, str(self.temp))
            conn.execute("BEGIN IMMEDIATE")
            self._triggers = conn.execute(
                "SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' ORDER BY name"
            ).fetchall()
            for name, _ in self._triggers:
                conn.execute(f'DROP TRIGGER "{name}"')
            for name in SEEDED:  # the source's rows take the place of the new file's
                conn.execute(f'DELETE FROM "{name}"')  # noqa: S608

    async def write(self, table: Table, rows: list[tuple[Any, ...]]) -> None:
        marks = ", ".join("?" * len(table.columns))
        with blame(self.label):
            _live(self._conn).executemany(
                f'INSERT INTO "{table.name}" ({_names(table.columns)})'  # noqa: S608
                f" VALUES ({marks})",
                [tuple(int(v) if isinstance(v, bool) else v for v in row) for row in rows])

    async def commit(self) -> None:
        with blame(self.label):
            for _, sql in self._triggers:
                _live(self._conn).execute(sql)
            broken = _live(self._conn).execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise CopyError(f"{broken[0][0]} refers to a missing row of {broken[0][2]} "
                                "(the source breaks its own foreign keys); nothing was copied")
            _live(self._conn).execute("COMMIT")
            _live(self._conn).close()
            self._conn = None

    async def count(self, table: Table) -> int:
        with blame(self.label):
            conn = sqlite3.connect(f"{self.temp.resolve().as_uri()}?mode=ro", uri=True)
            try:
                return int(conn.execute(
                    f'SELECT count(*) FROM "{table.name}"').fetchone()[0])  # noqa: S608
            finally:
                conn.close()

    @contextlib.asynccontextmanager
    async def store(self) -> AsyncIterator[Store]:
        from bot.store.sqlite import SQLiteStore

        async with SQLiteStore(self.temp, create=False) as store:
            yield store

    async def keep(self) -> None:
        with blame(self.label):  # one self-contained file, as `db backup` writes
            conn = sqlite3.connect(self.temp, isolation_level=None)
            try:
                conn.execute("PRAGMA journal_mode = DELETE")
            finally:
                conn.close()
        result = check(self.temp)
        if not result.ok:
            raise CopyError(f"the copy failed its check: {result.problems[0]}")
        try:
            with blame(self.label):
                put_in_place(self.temp, self.path)  # never replaces what appeared meanwhile
        except DestinationError:
            raise CopyError(f"{self.path} appeared meanwhile; not overwriting it") from None
        _remove_with_companions(self.temp)

    async def undo(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None
        _remove_with_companions(self.temp)


# -- shared checks ---------------------------------------------------------------------------


def _live(conn: sqlite3.Connection | None) -> sqlite3.Connection:
    if conn is None:  # pragma: no cover - a method called out of order
        raise RuntimeError("the database is not open")
    return conn


def _names(columns: Sequence[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


def _same_version(label: str, version: int, wanted: int) -> None:
    if version != wanted:
        newer = version > wanted
        raise CopyError(
            f"{label} is at schema {version}, this filmclub writes schema {wanted}; "
            + ("upgrade filmclub before copying it" if newer
               else "start the bot on it once (it migrates it), then copy it"))


def _same_tables(label: str, found: set[str], schema: Schema) -> None:
    missing = sorted(set(schema.names) - found)
    extra = sorted(found - set(schema.names))
    if missing or extra:
        what = (f"lacks the table {missing[0]}" if missing
                else f"has a table filmclub does not know ({extra[0]})")
        raise CopyError(f"{label} {what}; not copying a schema that is not filmclub's own")


def source_for(target: str | Path) -> Source:
    if is_url(target):
        from bot.store.copying_pg import PostgresSource

        return PostgresSource(str(target))
    return SQLiteSource(Path(target))


def destination_for(target: str | Path) -> Destination:
    if is_url(target):
        from bot.store.copying_pg import PostgresDestination

        return PostgresDestination(str(target))
    return SQLiteDestination(Path(target))


# -- the copy ----------------------------------------------------------------------------------


def _quiet(_phase: str, _done: int, _total: int, _note: str) -> None:
    return None


async def copy_database(source: str | Path, destination: str | Path, *,
                        progress: Progress = _quiet, batch: int = BATCH) -> CopyResult:
    """Copy the filmclub database ``source`` into the empty ``destination`` and verify it.

    Each is a SQLite path or a ``postgresql://`` URL. A CopyError (one line) when either
    cannot be used, when the copy fails (a full disk, a lost connection) or when the
    verification finds a difference; the destination is then left as it was.
    """
    if str(source) == str(destination) or (
            not is_url(source) and not is_url(destination)
            and Path(source).resolve() == Path(destination).resolve()):
        raise CopyError("the source and the destination are the same database")
    schema = code_schema()
    src, dst = source_for(source), destination_for(destination)
    result = CopyResult(shown(source), shown(destination), schema.version)
    try:
        await src.open(schema)
        counts = {t.name: await src.count(t) for t in schema.tables}
        await dst.open(schema)
        try:
            await _copy_rows(src, dst, schema, counts, progress, batch)
            result.rows = counts
            result.threads, result.exports = await verify_exports(src, dst, progress)
            await dst.keep()
        except BaseException:
            await dst.undo()
            raise
    finally:
        await src.close()
    log.info("copied %s to %s: %d rows, %d threads verified", result.source,
             result.destination, result.total, result.threads)
    return result


async def _copy_rows(src: Source, dst: Destination, schema: Schema, counts: dict[str, int],
                     progress: Progress, batch: int) -> None:
    """Every table in batches, in one transaction at the destination; then the counts."""
    total, done = sum(counts.values()), 0
    progress("copying", 0, total, "")
    for table in schema.tables:
        async for rows in src.batches(table, batch):
            await dst.write(table, rows)
            done += len(rows)
            progress("copying", done, total, table.name)
    await src.end_snapshot()
    await dst.commit()
    for table in schema.tables:
        written = await dst.count(table)
        if written != counts[table.name]:
            raise CopyError(f"{table.name}: {counts[table.name]} rows in the source, "
                            f"{written} in the copy; the copy was not kept")


@contextlib.contextmanager
def blame(label: str) -> Iterator[None]:
    """Turn what SQLite or the disk raises into one CopyError line naming the database."""
    try:
        yield
    except FilmclubError:
        raise
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        raise CopyError(f"{label}: {error_text(exc)}") from exc
    except OSError as exc:
        raise CopyError(f"{label}: {exc.strerror or exc}") from exc
    except Exception as exc:
        if not type(exc).__module__.startswith("asyncpg"):
            raise
        # PostgreSQL's own error, met through a store (which may not translate them all)
        raise CopyError(f"{label}: {error_text(exc)}") from exc


async def _digest(store: Store, label: str, thread_id: int, fmt: str,
                  options: ExportOptions, include_hidden: bool) -> str:
    buffer = io.BytesIO()
    with blame(label):
        await export_thread(store, thread_id, fmt, buffer, options=options,
                            exported_at=EXPORTED_AT, include_hidden=include_hidden)
    return hashlib.sha256(buffer.getvalue()).hexdigest()


async def verify_exports(src: Source, dst: Destination, progress: Progress = _quiet
                         ) -> tuple[int, int]:
    """Export every prompt thread from both sides in every format: the same bytes, or a
    CopyError naming the first thread and format that differ. Returns (threads, exports)."""
    names = formats.names()
    async with src.store() as before, dst.store() as after:
        threads = sorted(await before.prompt_thread_ids())
        copied = sorted(await after.prompt_thread_ids())
        if threads != copied:
            raise CopyError(f"the copy has {len(copied)} prompt threads, the source "
                            f"{len(threads)}; the copy was not kept")
        exports = 0
        progress("verifying", 0, len(threads), "")
        for done, thread_id in enumerate(threads, 1):
            for fmt in names:
                for options, hidden in VARIANTS:
                    if (await _digest(before, src.label, thread_id, fmt, options, hidden)
                            != await _digest(after, dst.label, thread_id, fmt, options, hidden)):
                        raise CopyError(f"thread {thread_id} exports differently as {fmt} from "
                                        "the copy; the copy was not kept")
                    exports += 1
            progress("verifying", done, len(threads), str(thread_id))
    return len(threads), exports


