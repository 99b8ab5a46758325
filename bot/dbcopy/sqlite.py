"""The SQLite ends of ``filmclub db copy`` (see :mod:`bot.dbcopy.run`)."""

from __future__ import annotations

import contextlib
import sqlite3
import stat
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bot.dbcopy.base import (
    SEEDED,
    CopyError,
    Schema,
    Table,
    blame,
    live,
    names,
    same_tables,
    same_version,
)
from bot.errors import StoreError
from bot.files import DestinationError, kind_of, put_in_place
from bot.store.base import Store
from bot.store.maintenance import (
    _open_read_only,
    _remove_with_companions,
    _temp_name,
    check,
    clear_stale_temporaries,
)
from bot.store.migrations import APPLICATION_ID, migrate


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
            same_version(self.label, version, schema.version)
            conn.execute("BEGIN")
            found = {name for (name,) in conn.execute(
                "SELECT name FROM sqlite_schema WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite^_%' ESCAPE '^'")}
        same_tables(self.label, found, schema)

    async def count(self, table: Table) -> int:
        with blame(self.label):
            return int(live(self._conn).execute(
                f'SELECT count(*) FROM "{table.name}"').fetchone()[0])  # noqa: S608

    async def batches(self, table: Table, size: int) -> AsyncIterator[list[tuple[Any, ...]]]:
        with blame(self.label):
            cursor = live(self._conn).execute(
                f'SELECT {names(table.columns)} FROM "{table.name}"'  # noqa: S608
                f" ORDER BY {names(table.key)}")
            rows = cursor.fetchmany(size)
        while rows:
            yield rows
            with blame(self.label):
                rows = cursor.fetchmany(size)

    async def end_snapshot(self) -> None:
        if self._conn is not None and self._conn.in_transaction:
            live(self._conn).execute("COMMIT")

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
            live(self._conn).executemany(
                f'INSERT INTO "{table.name}" ({names(table.columns)})'  # noqa: S608
                f" VALUES ({marks})",
                [tuple(int(v) if isinstance(v, bool) else v for v in row) for row in rows])

    async def commit(self) -> None:
        with blame(self.label):
            for _, sql in self._triggers:
                live(self._conn).execute(sql)
            broken = live(self._conn).execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise CopyError(f"{broken[0][0]} refers to a missing row of {broken[0][2]} "
                                "(the source breaks its own foreign keys); nothing was copied")
            live(self._conn).execute("COMMIT")
            live(self._conn).close()
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
