"""One way to open the store (issue 15): ``FILMCLUB_DB`` or ``--db`` names a SQLite file or a
PostgreSQL database (``postgresql://user@host:port/name``), and this picks the backend.

``make_store(target)`` gives a store to open with ``async with``; ``open_store(target)``
opens it. SQLite stays the default, created on first use; PostgreSQL needs the
``postgres`` extra (asyncpg) and a database the bot may create tables in.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from bot.config import is_postgres_url, postgres_available
from bot.errors import StoreError
from bot.store.base import Store
from bot.store.lock import BotLock
from bot.store.sqlite import SQLiteStore

#: What FILMCLUB_DB and --db name: a SQLite file, or a PostgreSQL URL.
DatabaseTarget = Path | str

is_postgres = is_postgres_url


def parse_target(text: str) -> DatabaseTarget:
    """FILMCLUB_DB's or --db's text: a PostgreSQL URL as it is, anything else a file path."""
    text = text.strip()
    return text if is_postgres(text) else Path(text)


def describe_target(target: DatabaseTarget) -> str:
    """``target`` as messages show it (a URL without its password)."""
    if is_postgres(target):
        from bot.store.postgres import describe

        return describe(str(target))
    return str(target)


def make_store(target: DatabaseTarget, *, create: bool = True, **options: Any) -> Store:
    """The store for ``target``, not opened yet (``async with make_store(...) as store``).

    ``create=False``: refuse a database that does not exist yet (a SQLite file that is not
    there, a PostgreSQL database without filmclub's tables) instead of making it.
    """
    if is_postgres(target):
        if not postgres_available():
            raise StoreError(f"{describe_target(target)} is a PostgreSQL database, and the "
                             "PostgreSQL driver is not installed (pip install -e '.[postgres]')")
        from bot.store.postgres import PostgresStore

        return PostgresStore(str(target), create=create, **options)
    return SQLiteStore(Path(target), create=create, **options)


async def open_store(target: DatabaseTarget, *, create: bool = True, **options: Any) -> Store:
    """The store for ``target``, opened (created and migrated if needed and allowed)."""
    store = make_store(target, create=create, **options)
    await store.open()
    return store


def process_lock(target: DatabaseTarget) -> contextlib.AbstractAsyncContextManager[Any]:
    """One bot per SQLite file: the file lock beside it (bot/store/lock.py).

    On PostgreSQL several processes share the database, one per shard: the store holds a
    lock per shard instead (``PostgresStore.hold_shard_lock``), so there is nothing here.
    """
    if is_postgres(target):
        return contextlib.nullcontext()
    return BotLock(Path(target))
