"""What every end of ``filmclub db copy`` shares: the schema it copies, its one error, and
the small checks and helpers both backends use (see :mod:`bot.dbcopy.run`)."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from bot.errors import FilmclubError, StoreError
from bot.export import ExportOptions
from bot.store.base import Store
from bot.store.maintenance import error_text
from bot.store.migrations import SCHEMA_VERSION, migrate

log = logging.getLogger(__name__)

#: A database connection of either backend.
Connection = TypeVar("Connection")

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



# -- shared checks ---------------------------------------------------------------------


def live(conn: Connection | None) -> Connection:
    if conn is None:  # pragma: no cover - a method called out of order
        raise RuntimeError("the database is not open")
    return conn


def names(columns: Sequence[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


def same_version(label: str, version: int, wanted: int) -> None:
    if version != wanted:
        newer = version > wanted
        raise CopyError(
            f"{label} is at schema {version}, this filmclub writes schema {wanted}; "
            + ("upgrade filmclub before copying it" if newer
               else "start the bot on it once (it migrates it), then copy it"))


def same_tables(label: str, found: set[str], schema: Schema) -> None:
    missing = sorted(set(schema.names) - found)
    extra = sorted(found - set(schema.names))
    if missing or extra:
        what = (f"lacks the table {missing[0]}" if missing
                else f"has a table filmclub does not know ({extra[0]})")
        raise CopyError(f"{label} {what}; not copying a schema that is not filmclub's own")


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
