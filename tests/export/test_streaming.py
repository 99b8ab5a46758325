"""Exports stream: peak memory does not grow with the number of comments.

Each test traces Python allocations, brings the process to a steady state (the
template compiled, the store's few statements prepared: each batch binds its ids as one
parameter, so reading prepares the same five statements however long the thread), then
measures how far above the starting point an export of 2,000 and of 20,000 comments goes.
"""

from __future__ import annotations

import gc
import logging
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from bot.export import ExportOptions, export_thread
from bot.export.archive import export_archive
from bot.models import Comment, utcnow
from bot.records.visibility import EVERY_THREAD
from bot.store import SQLiteStore, Store
from tests.export import generated
from tests.export.conftest import FORMATS

log = logging.getLogger(__name__)

pytestmark = pytest.mark.asyncio(loop_scope="module")

SMALL, LARGE = generated.thread_id(1), generated.thread_id(2)
SIZES = {SMALL: 2_000, LARGE: 20_000}
#: Each thread in a server of its own, so a server's archive holds one of them.
GUILDS = {SMALL: 11, LARGE: 12}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def long_threads(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Store]:
    """One store with a 2,000-comment and a 20,000-comment thread."""
    async with SQLiteStore(tmp_path_factory.mktemp("long") / "long.db") as store:
        for thread, count in SIZES.items():
            await generated.build(store, thread, count, guild=GUILDS[thread])
        yield store


async def warm_up(store: Store) -> None:
    """Read a long thread once while tracing, so the store's caches hold traced entries."""
    async for _ in store.iter_comments(LARGE):
        pass


async def growth(store: Store, thread: int, fmt: str, folder: Path) -> int:
    """Peak traced bytes above the starting point while exporting ``thread`` (garbage
    collected first, as in ``peak_growth``)."""
    gc.collect()
    tracemalloc.reset_peak()
    start = tracemalloc.get_traced_memory()[0]
    result = await export_thread(store, thread, fmt, folder / f"{thread}.{fmt}", replace=True)
    assert result.entries == SIZES[thread]
    return tracemalloc.get_traced_memory()[1] - start


@pytest.mark.parametrize("fmt", FORMATS)
async def test_export_memory_does_not_grow_with_the_thread(
        long_threads: Store, tmp_path: Path, fmt: str) -> None:
    """Peak memory for 20,000 comments is under twice that for 2,000."""
    tracemalloc.start()
    try:
        await growth(long_threads, SMALL, fmt, tmp_path)  # compiles, caches, first imports
        small = await growth(long_threads, SMALL, fmt, tmp_path)
        large = await growth(long_threads, LARGE, fmt, tmp_path)
    finally:
        tracemalloc.stop()
    log.info("%s: peak above start %.0f KiB for 2,000 comments, %.0f KiB for 20,000 (x%.2f)",
             fmt, small / 1024, large / 1024, large / small)
    assert large / small < 2


async def peak_growth(export: Callable[[], Awaitable[object]]) -> int:
    """Peak traced bytes above the starting point while ``export`` runs (garbage of what
    ran before is collected first, so freeing it cannot hide part of the peak)."""
    gc.collect()
    tracemalloc.reset_peak()
    start = tracemalloc.get_traced_memory()[0]
    await export()
    return tracemalloc.get_traced_memory()[1] - start


async def test_archive_with_options_keeps_memory_flat(long_threads: Store,
                                                     tmp_path: Path) -> None:
    """A server's zip, sorted by score, filtered and anonymised: 20,000 comments peak under
    twice 2,000 (the zip, the sort, the filter and the pseudonyms all stream)."""
    options = ExportOptions(sort="top", min_score=0, anonymise=True)

    def export(thread: int) -> Callable[[], Awaitable[object]]:
        return lambda: export_archive(long_threads, GUILDS[thread], "md",
                                      tmp_path / f"{thread}.zip", options=options,
                                      exported_at=utcnow(), visible=EVERY_THREAD, replace=True)

    tracemalloc.start()
    try:
        await peak_growth(export(SMALL))  # first imports, prepared statements
        small, large = await peak_growth(export(SMALL)), await peak_growth(export(LARGE))
    finally:
        tracemalloc.stop()
    log.info("archive, top + anonymised: %.0f KiB for 2,000, %.0f KiB for 20,000 (x%.2f)",
             small / 1024, large / 1024, large / small)
    assert large / small < 2


async def test_the_measurement_notices_memory_that_grows(long_threads: Store) -> None:
    """Keeping every comment (what a non-streaming exporter would do) fails the same check."""
    kept: list[Comment] = []

    async def hoard(thread: int) -> int:
        kept.clear()
        tracemalloc.reset_peak()
        start = tracemalloc.get_traced_memory()[0]
        kept.extend([c async for c in long_threads.iter_comments(thread)])
        return tracemalloc.get_traced_memory()[1] - start

    tracemalloc.start()
    try:
        await warm_up(long_threads)
        small, large = await hoard(SMALL), await hoard(LARGE)
    finally:
        tracemalloc.stop()
    assert large / small > 5
