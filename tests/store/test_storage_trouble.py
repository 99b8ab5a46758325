"""A database that cannot be written: the writer keeps, retries, tells once, reports no lie.

The real conditions are made where the machine allows it: a 1 MiB tmpfs that fills up
(needs root to mount; the test says so when it skips). The writer's own logic (keep
the batch, back off, notices, shedding, closing) is also checked with SQLite errors
raised from inside the writer, as SQLite raises them (I/O error, read-only), which runs
everywhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.errors import StoreError
from bot.models import Article, MessageCreated, Prompt, ReactionAdded
from bot.store import SQLiteStore
from bot.store.base import StorageNotice
from tests.snowflakes import snowflake

T0 = datetime(2026, 11, 9, 20, 0, tzinfo=UTC)
THREADS = (1_440_000_000_000_000_000, 1_440_000_000_000_000_001)


def sf(n: int) -> int:
    return snowflake(T0) + n * 4096


def message(n: int, thread: int = THREADS[0], size: int = 200) -> MessageCreated:
    return MessageCreated(sf(n), thread, 5 + n % 3, "Ana", f"{n:06d} " + "x" * size,
                          T0 + timedelta(seconds=n))


async def with_prompts(store: SQLiteStore) -> None:
    for thread in THREADS:
        await store.add_prompt(Prompt(thread, 1, 2, thread, Article(slug=f"a{thread % 10}",
                                                                    title="A"), T0, 9))


async def stored_ids(store: SQLiteStore) -> set[int]:
    return {c.id for thread in THREADS async for c in store.iter_comments(thread)}


async def until(condition: Any, what: str, timeout: float = 60) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


class Breakage:
    """Makes the writer's SQL fail as SQLite does when the storage fails, until mended."""

    def __init__(self, store: SQLiteStore, code: int, text: str) -> None:
        self.store = store
        self.code = code
        self.text = text
        self.broken = False
        self.failures = 0
        apply_items, probe = store._apply_items, store._probe

        def failing_apply(conn: sqlite3.Connection, batch: Any) -> list[Any]:
            self._maybe_fail()
            return apply_items(conn, batch)

        def failing_probe() -> None:
            if self.broken:
                self.failures += 1
                return
            probe()

        store._apply_items = failing_apply  # type: ignore[method-assign]
        store._probe = failing_probe  # type: ignore[method-assign]

    def _maybe_fail(self) -> None:
        if self.broken:
            self.failures += 1
            error = sqlite3.OperationalError(self.text)
            error.sqlite_errorcode = self.code  # type: ignore[attr-defined]
            raise error


@pytest.fixture
async def store(tmp_path: Path) -> Any:
    opened = SQLiteStore(tmp_path / "filmclub.db", max_pending=300, retry_first=0.01,
                         retry_max=0.05, close_grace=0.3)
    await opened.open()
    await with_prompts(opened)
    yield opened
    await opened.close()


@pytest.mark.parametrize(("code", "text"), [
    (sqlite3.SQLITE_IOERR_WRITE, "disk I/O error"),
    (sqlite3.SQLITE_READONLY, "attempt to write a readonly database"),
    (sqlite3.SQLITE_FULL, "database or disk is full"),
])
async def test_events_are_kept_and_written_once_the_storage_works(
        store: SQLiteStore, code: int, text: str) -> None:
    """Failing writes: one notice, flush refuses, nothing dropped; mended: all written."""
    notices: list[StorageNotice] = []
    store.add_storage_listener(notices.append)
    breakage = Breakage(store, code, text)
    breakage.broken = True
    for n in range(200):
        store.submit(message(n))
    await until(lambda: store.trouble is not None, "the writer to notice")
    with pytest.raises(StoreError, match=text):
        await store.flush()
    await until(lambda: breakage.failures >= 5, "a few retries")
    assert [n.kind for n in notices] == ["failing"] and notices[0].problem == text
    assert store.failed_events == 0 and store.shed_events == 0
    breakage.broken = False
    await until(lambda: store.trouble is None, "the writer to recover")
    await store.flush()
    assert await stored_ids(store) == {sf(n) for n in range(200)}
    await until(lambda: len(notices) == 2, "the recovery notice")
    assert notices[1].kind == "recovered" and notices[1].threads == frozenset()


async def test_commands_that_write_fail_at_once_and_change_nothing(store: SQLiteStore) -> None:
    """An op during the outage is refused in one line; queued ones are failed, not lost."""
    breakage = Breakage(store, sqlite3.SQLITE_IOERR, "disk I/O error")
    breakage.broken = True
    queued = asyncio.create_task(store.set_meta("queued", "1"))  # in the failing batch
    with pytest.raises(StoreError, match="nothing was changed"):
        await queued
    with pytest.raises(StoreError, match="nothing was changed, try again later"):
        await store.set_meta("later", "1")  # refused before it is queued
    breakage.broken = False
    await until(lambda: store.trouble is None, "the writer to recover")
    assert await store.get_meta("queued") is None and await store.get_meta("later") is None
    await store.set_meta("after", "1")
    assert await store.get_meta("after") == "1"


async def test_a_flush_waiting_in_the_failing_batch_is_not_told_success(
        store: SQLiteStore) -> None:
    """A flush queued before the failure is failed: rows it covers were not written."""
    breakage = Breakage(store, sqlite3.SQLITE_FULL, "database or disk is full")
    breakage.broken = True
    store.submit(message(1))
    with pytest.raises(StoreError, match="disk is full"):
        await store.flush()
    assert await stored_ids(store) == set()
    breakage.broken = False
    await until(lambda: store.trouble is None, "the writer to recover")
    await store.flush()
    assert await stored_ids(store) == {sf(1)}


async def test_past_its_memory_the_store_names_threads_for_catch_up(store: SQLiteStore) -> None:
    """Beyond max_pending, events are not kept: their threads come in the recovery notice."""
    notices: list[StorageNotice] = []
    store.add_storage_listener(notices.append)
    breakage = Breakage(store, sqlite3.SQLITE_FULL, "database or disk is full")
    breakage.broken = True
    sent = [message(n, THREADS[n % 2]) for n in range(2000)]
    for event in sent[:100]:
        store.submit(event)
    await until(lambda: store.trouble is not None, "the writer to notice")
    for event in sent[100:]:
        store.submit(event)  # never blocks the caller while the database is failing
    store.submit(ReactionAdded(sent[0].id, THREADS[0], 7, "👍", T0))
    assert store.shed_events > 1000
    breakage.broken = False
    await until(lambda: len(notices) == 2, "the recovery notice")
    await store.flush()
    stored = await stored_ids(store)
    recovered = notices[1]
    assert recovered.kind == "recovered" and recovered.threads == frozenset(THREADS)
    assert recovered.shed == store.shed_events
    assert len(stored) + recovered.shed == len(sent) + 1  # every event: written or named
    assert stored <= {e.id for e in sent}


async def test_closing_while_failing_ends_and_names_what_to_catch_up(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Stopping during an outage does not hang: after the grace time, one line names threads."""
    store = SQLiteStore(tmp_path / "filmclub.db", retry_first=0.01, retry_max=0.05,
                        close_grace=0.3)
    await store.open()
    await with_prompts(store)
    breakage = Breakage(store, sqlite3.SQLITE_IOERR, "disk I/O error")
    breakage.broken = True
    store.submit(message(1, THREADS[1]))
    await until(lambda: store.trouble is not None, "the writer to notice")
    await asyncio.wait_for(store.close(), 30)
    lines = [r.getMessage() for r in caplog.records if "catch-up reads threads" in r.getMessage()]
    assert len(lines) == 1 and str(THREADS[1]) in lines[0] and "1 events" in lines[0]


# --- the real thing: a filesystem that fills up ---------------------------------------------


@contextlib.contextmanager
def small_filesystem(where: Path, size: str = "1m") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``where`` (skips the test when it cannot be mounted)."""
    where.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a 1 MiB tmpfs needs root (run the tests as root to include it)")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def grow(where: Path, size: str) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(where)], check=True)


def fill(where: Path) -> Path:
    """Fill ``where``'s filesystem to its last block with a file ``ballast``; its path."""
    ballast = where / "ballast"
    fd = os.open(ballast, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, b"\0" * 4096)
    finally:
        os.close(fd)
    return ballast


async def test_a_full_filesystem_loses_nothing(tmp_path: Path) -> None:
    """A 1 MiB filesystem fills up: every event is stored or named for catch-up; none lost."""
    with small_filesystem(tmp_path / "disk") as disk:
        store = SQLiteStore(disk / "filmclub.db", max_pending=2000, retry_max=0.2)
        notices: list[StorageNotice] = []
        store.add_storage_listener(notices.append)
        await store.open()
        try:
            await with_prompts(store)
            sent = [message(n, THREADS[n % 2]) for n in range(20_000)]
            for number, event in enumerate(sent, 1):
                store.submit(event)
                if number % 500 == 0:
                    await asyncio.sleep(0)
            await until(lambda: store.trouble is not None, "the disk to fill")
            with pytest.raises(StoreError, match="database or disk is full"):
                await store.flush()
            assert [n.kind for n in notices] == ["failing"]
            grow(disk, "64m")
            await until(lambda: len(notices) == 2, "the recovery notice")
            await store.flush()
            stored = await stored_ids(store)
            recovered = notices[1]
            lost = len(sent) - len(stored) - recovered.shed
            print(f"1 MiB filesystem: {len(sent)} messages sent, {len(stored)} stored, "
                  f"{recovered.shed} named for catch-up in {len(recovered.threads)} threads, "
                  f"lost {lost}")
            assert lost == 0 and store.failed_events == 0
            assert recovered.shed == 0 or recovered.threads == frozenset(THREADS)
        finally:
            await store.close()
