"""The SQLite store: ``SQLStore``'s logic on a SQLite file in WAL mode.

What is SQLite's own is here: the file (refusing a missing one when asked not to
create it, and one that is not a usable SQLite database), the connections (the
writer's ``sqlite3`` connection with its PRAGMAs, an aiosqlite reader) and the
numbered migrations (``bot.store.migrations``). Everything else, the writer thread
and its batches, the event SQL and the reads, is ``bot.store.sql_store.SQLStore``,
shared with PostgreSQL; backup and the health check are ``bot.store.maintenance``.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Mapping
from pathlib import Path

import aiosqlite

from bot.errors import StoreError
from bot.records.server_settings import DEFAULT_VOTE_VALUES
from bot.store.migrations import migrate
from bot.store.sql_store import SQLStore


class SQLiteStore(SQLStore):
    """The embedded store: a SQLite file in WAL mode."""

    def __init__(
        self,
        path: Path | str,
        *,
        vote_values: Mapping[str, int] = DEFAULT_VOTE_VALUES,
        max_batch: int = 2000,
        max_delay: float = 0.05,
        max_pending: int = 50_000,
        create: bool = True,
        busy_timeout: float = 5.0,
        retry_first: float = 0.1,
        retry_max: float = 30.0,
        close_grace: float = 10.0,
    ) -> None:
        self.path = Path(path)
        super().__init__(vote_values=vote_values, max_batch=max_batch, max_delay=max_delay,
                         max_pending=max_pending, create=create, retry_first=retry_first,
                         retry_max=retry_max, close_grace=close_grace)
        #: How long SQLite waits for another connection's lock before the writer retries.
        self.busy_timeout = busy_timeout

    # -- life cycle ------------------------------------------------------------
    async def open(self) -> None:
        if not self.create and not self.path.exists():
            raise StoreError(f"no database at {self.path}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._wconn = await asyncio.to_thread(self._open_writer)
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            # A damaged schema's message may quote its bytes, not always UTF-8.
            reason = (exc.object.decode("utf-8", "replace")
                      if isinstance(exc, UnicodeDecodeError) and isinstance(exc.object, bytes)
                      else exc)
            raise StoreError(f"{self.path}: not a usable SQLite database ({reason})") from exc
        self._reader = await aiosqlite.connect(self.path)
        await self._reader.execute("PRAGMA foreign_keys = ON")
        self._start_writer()

    def _open_writer(self) -> sqlite3.Connection:
        # Room in the statement cache for every size of every multi-row statement.
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                               cached_statements=256)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            migrate(conn, str(self.path))
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            self._load_guild_votes(conn)
        except BaseException:
            conn.close()
            raise
        return conn
