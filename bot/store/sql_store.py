"""The store's logic shared by its SQL backends: ``SQLStore``.

``SQLStore`` is the whole store but its connections: one writer thread committing
batches of events through one write connection, every read through one reader
connection. A backend (``SQLiteStore`` in ``bot.store.sqlite``, ``PostgresStore`` in
``bot.store.postgres``) subclasses it and gives it those two connections: ``open``
makes them (``_wconn``, ``_reader``) and calls ``_start_writer``.

The connections are shaped like SQLite's, the dialect the SQL here is written in:
the writer's like a ``sqlite3`` connection (``execute``, ``executemany``,
``in_transaction``; its errors are ``sqlite3`` errors carrying a SQLite
``sqlite_errorcode``, which is how the writer tells storage trouble and a busy
database from a bad item), the reader's like aiosqlite's. PostgreSQL's connections
translate each statement (``bot.store.pg_dialect``) and each error to that shape.

Each role is a mixin in a module of its own, which says in its docstring what it
holds: ``writer`` (the writer thread, batches, storage trouble), ``events_sql`` (the SQL
of each event, catch-up), ``library_sql`` (articles, prompts, feeds, queue, schedule),
``moderation_sql`` (settings, hiding, audit, close timers, member data), ``reports_sql``
(comment reads for exports, names, stats, export marks), and ``club_sql``, ``film_sql``,
``charts_sql``. ``SQLStore`` itself holds the options, the state they share, and
``meta``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.errors import StoreError
from bot.records.server_settings import DEFAULT_VOTE_VALUES, vote_key
from bot.store import charts_sql, club_sql, film_sql
from bot.store.base import Store
from bot.store.events_sql import EventsSQL
from bot.store.library_sql import LibrarySQL
from bot.store.moderation_sql import ModerationSQL
from bot.store.reports_sql import ReportsSQL
from bot.store.writer import SQLWriter

if TYPE_CHECKING:
    import aiosqlite


class SQLStore(SQLWriter, EventsSQL, LibrarySQL, ModerationSQL, ReportsSQL,
               club_sql.ClubSQL, charts_sql.ChartsSQL, film_sql.FilmSQL, Store):
    """The store's logic on a SQL database; a backend subclass gives it its connections."""

    def __init__(
        self,
        *,
        vote_values: Mapping[str, int] = DEFAULT_VOTE_VALUES,
        max_batch: int = 2000,
        max_delay: float = 0.05,
        max_pending: int = 50_000,
        create: bool = True,
        retry_first: float = 0.1,
        retry_max: float = 30.0,
        close_grace: float = 10.0,
    ) -> None:
        self.vote_values = {vote_key(k): v for k, v in vote_values.items()}
        self.max_batch = max_batch
        self.max_delay = max_delay
        self.max_pending = max_pending
        self.create = create
        #: When the database cannot be written: the first wait before a retry (doubling
        #: up to ``retry_max``), and how long closing keeps trying before it gives up.
        self.retry_first = retry_first
        self.retry_max = retry_max
        self.close_grace = close_grace
        self._init_writer()
        #: Vote emoji of servers that chose their own (vote_key -> value), and which
        #: server each prompt thread is in; both used by the writer thread only.
        self._guild_votes: dict[int, dict[str, int]] = {}
        self._thread_guilds: dict[int, int] = {}

    async def set_meta(self, key: str, value: str) -> None:
        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

        await self._call(write)

    # -- reads (each role's own are in its module) --------------------------------
    @property
    def _db(self) -> aiosqlite.Connection:
        if self._reader is None:
            raise StoreError("the store is not open")
        return self._reader

    async def get_meta(self, key: str) -> str | None:
        async with self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)) as cur:
            row = await cur.fetchone()
        return None if row is None else row[0]
