"""The SQLite store's writer thread: back-pressure, a locked database, shutdown."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import StoreError
from bot.models import (
    MessageCreated,
    MessageDeleted,
    MessageEdited,
    Prompt,
    ReactionAdded,
    ReactionRemoved,
    snowflake_time,
)
from bot.store import SQLiteStore
from bot.store.events_sql import _flat_values, snowflake_ts
from bot.store.sql_values import ts
from tests.store.test_contract import ARTICLE, T0, THREAD, at, sf


def message(i: int, text: str = "hello") -> MessageCreated:
    """A create as the gateway path makes it: no created_at, the store takes the id's."""
    return MessageCreated(sf(i), THREAD, 1 + i % 7, f"member {i % 7}", f"{text} {i}")


async def open_store(path: Path, **options: object) -> SQLiteStore:
    store = SQLiteStore(path, **options)  # type: ignore[arg-type]
    await store.open()
    await store.add_prompt(Prompt(THREAD, 10, 20, THREAD, ARTICLE, T0, 99))
    return store


def count(path: Path, sql: str) -> int:
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchone()[0]


async def test_created_at_comes_from_the_id_when_not_given(tmp_path: Path) -> None:
    """The store works out a create's time from its snowflake, exactly as ts() writes it."""
    store = await open_store(tmp_path / "db")
    try:
        ids = [sf(1), sf(1.0005), (1 << 62) + 12345]
        for i in ids:
            store.submit(MessageCreated(i, THREAD, 1, "m", "x"))
        await store.flush()
        for i in ids:
            comment = await store.get_comment(i)
            assert comment is not None and comment.created_at == snowflake_time(i)
    finally:
        await store.close()


async def test_back_pressure_holds_the_caller_and_loses_nothing(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Far more events than ``max_pending`` at once: submit waits for the writer, keeps all."""
    store = await open_store(tmp_path / "db", max_pending=40, max_batch=8)
    caplog.set_level(logging.WARNING, logger="bot.store.writer")
    try:
        for i in range(2_000):
            store.submit(message(i))
            assert store._behind() <= 40  # never more than the limit queued
        await store.flush()
    finally:
        await store.close()
    assert count(tmp_path / "db", "SELECT count(*) FROM comments WHERE seen = 1") == 2_000
    assert any("holding the gateway" in r.message for r in caplog.records)


async def test_put_waits_without_blocking_the_loop(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The async path waits for space while other tasks go on running."""
    store = await open_store(tmp_path / "db", max_pending=20, max_batch=4)
    caplog.set_level(logging.WARNING, logger="bot.store.writer")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    try:
        for i in range(500):
            await store.put(message(i))
        await store.flush()
    finally:
        task.cancel()
        await store.close()
    assert count(tmp_path / "db", "SELECT count(*) FROM comments") == 500
    assert ticks > 0
    assert not any("holding the gateway" in r.message for r in caplog.records)  # never held


async def test_a_locked_database_is_waited_out_not_dropped(tmp_path: Path) -> None:
    """Another connection holding the write lock past busy_timeout: the batch is retried."""
    path = tmp_path / "db"
    store = await open_store(path, busy_timeout=0.1)
    locker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    locker.execute("BEGIN IMMEDIATE")
    release = threading.Timer(1.2, locker.execute, args=("COMMIT",))
    release.start()
    try:
        started = time.monotonic()
        for i in range(50):
            store.submit(message(i))
        await asyncio.wait_for(store.flush(), 30)
        assert time.monotonic() - started >= 1.0  # it did wait for the lock
        assert store.failed_events == 0
    finally:
        release.join()
        locker.close()
        await store.close()
    assert count(path, "SELECT count(*) FROM comments") == 50


async def test_every_kind_in_one_batch_matches_one_by_one(tmp_path: Path) -> None:
    """Groups applied with a few statements give the rows of applying each event alone."""
    a, b = message(1, "first"), message(2, "second")
    events = [
        a, b,
        MessageEdited(a.id, THREAD, "first, edited", at(3)),
        MessageEdited(a.id, THREAD, "first, edited again", at(4)),
        MessageEdited(b.id, THREAD, "nul \x00 kept", at(5)),
        MessageEdited(sf(9), THREAD, "edit before its create", at(10)),
        ReactionAdded(a.id, THREAD, 5, "👍", at(5)),
        ReactionAdded(a.id, THREAD, 6, "👍", at(5)),
        ReactionRemoved(a.id, THREAD, 5, "👍", at(6)),
        ReactionRemoved(a.id, THREAD, 5, "👍", at(7)),  # the first removal's time stays
        MessageDeleted(b.id, THREAD, at(8)),
        message(9, "late create"),
    ]

    async def rows(store_path: Path, one_by_one: bool) -> list[tuple]:
        store = await open_store(store_path)
        try:
            for event in events:
                store.submit(event)
                if one_by_one:
                    await store.flush()
            await store.flush()
        finally:
            await store.close()
        with sqlite3.connect(store_path) as db:
            return [
                *db.execute("SELECT * FROM comments ORDER BY id"),
                *db.execute("SELECT * FROM versions ORDER BY comment_id, at"),
                *db.execute("SELECT * FROM reactions ORDER BY comment_id, user_id"),
            ]

    together = await rows(tmp_path / "together", one_by_one=False)
    alone = await rows(tmp_path / "alone", one_by_one=True)
    assert together == alone
    assert any("nul \x00 kept" in row for row in together)  # the NUL went in as written


async def test_closed_store_refuses_events(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "db")
    store.submit(message(1))
    await store.close()
    assert count(tmp_path / "db", "SELECT count(*) FROM comments") == 1  # close flushed it
    with pytest.raises(StoreError, match="not open"):
        store.submit(message(2))


@settings(max_examples=2000, deadline=None)
@given(st.integers(min_value=0, max_value=(1 << 63) - 1))
def test_snowflake_ts_is_ts_of_snowflake_time(snowflake: int) -> None:
    """The store's shortcut for a create's time writes exactly what ts() would."""
    assert snowflake_ts(snowflake) == ts(snowflake_time(snowflake))


async def test_batch_filling_never_delays_a_flush(tmp_path: Path) -> None:
    """A busy writer waits for batches to fill, but not when someone waits for a commit."""
    store = await open_store(tmp_path / "db", max_batch=8, max_delay=30.0)
    try:
        for i in range(8):  # a full batch: the writer now counts as busy
            store.submit(message(i))
        await store.flush()
        for i in range(8, 11):  # a part batch, which the writer would wait to fill
            store.submit(message(i))
        started = time.monotonic()
        await asyncio.wait_for(store.flush(), 10)
        assert time.monotonic() - started < 5
    finally:
        await store.close()
    assert count(tmp_path / "db", "SELECT count(*) FROM comments") == 11


@pytest.mark.parametrize("rows", [0, 1, 15, 16, 17, 128, 129, 1023, 1024, 1025, 2100])
@pytest.mark.parametrize("limit", [32766, 999])
def test_values_go_in_once_each_in_a_few_statements(rows: int, limit: int) -> None:
    """Chunks padded with NULL rows: every row once, no padding row, few statements.

    ``limit``: SQLite's bound-parameter limit (999 where built with the old default).
    """
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, limit)
    conn.execute("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT, c INTEGER)")
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    values = [v for i in range(rows) for v in (i + 1, f"row {i}", None if i % 2 else i)]
    _flat_values(conn, "INSERT INTO t (a, b, c) {values}", "(?, ?, ?)", values)
    conn.set_trace_callback(None)
    assert conn.execute("SELECT count(*), count(DISTINCT a) FROM t").fetchone() == (rows, rows)
    assert conn.execute("SELECT count(*) FROM t WHERE b IS NOT 'row ' || (a - 1)"
                        " OR c IS NOT (CASE WHEN a % 2 = 1 THEN a - 1 END)").fetchone() == (0,)
    most = 1024 if limit > 1024 * 3 else 256
    assert len(statements) == -(-rows // most)
