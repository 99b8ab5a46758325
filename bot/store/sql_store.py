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

Writes are events queued in memory and committed by a single thread that owns
the only write connection. The thread takes its work straight from a
thread-safe queue: whatever has queued while one transaction commits goes into
the next, up to ``max_batch`` events, and while events stream in it waits up to
``max_delay`` for a batch to fill (group commit). A quiet bot commits at once;
the event loop is not woken for each batch unless someone waits for it. Every
event is applied idempotently and in a way that does not depend on the order of
arrival (see the SQL below), so replays and reorderings are harmless.

When the database cannot be written (a full disk, an I/O error, a read-only file),
the writer keeps the batch and retries it with back-off, says so once (the log and a
``StorageNotice`` to listeners), and fails ops and flushes at once rather than
report what it did not write. Events keep queueing up to ``max_pending``; past that
the gateway is not held (the bot would stop answering): an event is dropped and its
thread named for catch-up, which reads it back from Discord once writes work again.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bot.errors import StoreError
from bot.models import Event
from bot.records.server_settings import DEFAULT_VOTE_VALUES, vote_key
from bot.store import charts_sql, club_sql, film_sql
from bot.store.base import StorageListener, StorageNotice, Store
from bot.store.events_sql import EventsSQL
from bot.store.library_sql import LibrarySQL
from bot.store.moderation_sql import ModerationSQL
from bot.store.reports_sql import ReportsSQL
from bot.store.writer import SQLWriter, _Op

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
        #: While the database cannot be written, the ``failing`` notice (set by the writer).
        self.trouble: StorageNotice | None = None
        self.shed_events = 0  # events not kept in all (their threads go to catch-up)
        self._storage_listeners: list[StorageListener] = []
        self._shed_threads: set[int] = set()  # event loop side, until the next recovery
        self._shed_now = 0
        self._retry_wake = threading.Event()
        self._abandoned = False
        self._given_up = 0  # events let go when the store closed while it could not write
        self._given_up_threads: set[int] = set()
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()  # chunks, then _STOP
        self._chunk: list[Any] = []  # what the event loop gathers before handing it over
        self._submitted = 0  # events, ops and flushes queued (event loop side)
        self._handed = 0  # how many of them were handed to the writer
        self._committed = 0  # items committed (written by the writer thread only)
        self._space = asyncio.Event()  # set by the writer once a full queue has drained
        self._drained = threading.Event()
        self._space_wanted = False
        self._held_warned = 0.0
        self._writer: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wconn: sqlite3.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._closing = False
        self.failed_events = 0
        #: Vote emoji of servers that chose their own (vote_key -> value), and which
        #: server each prompt thread is in; both used by the writer thread only.
        self._guild_votes: dict[int, dict[str, int]] = {}
        self._thread_guilds: dict[int, int] = {}
        #: Called on the event loop after each commit with the batch and the wall-clock
        #: time the commit finished (the latency benchmark).
        self.commit_hooks: list[Callable[[Sequence[Event | _Op], float], None]] = []
        #: Told in the writer thread after each commit: the events committed by record
        #: type and the seconds the transaction took (``bot.metrics``); counted per
        #: batch, so the gateway's hot path is the same with or without it.
        self.commit_observer: Callable[[Mapping[type, int], float], None] | None = None

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
