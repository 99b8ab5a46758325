"""The store's writer role: the one writer thread, its batches, and storage trouble.

``SQLWriter`` is mixed into ``SQLStore`` (``bot.store.sql_store``). Events are queued in
memory on the event loop (``submit``, ``put``) and committed by a single thread that
owns the only write connection. The thread takes its work straight from a thread-safe
queue: whatever has queued while one transaction commits goes into the next, up to
``max_batch`` events, and while events stream in it waits up to ``max_delay`` for a
batch to fill (group commit). One-off writes (``_call``) and flushes queue in order with
the events. How each kind of event is written is ``bot.store.events_sql``'s
(``_HANDLERS``).

When the database cannot be written (a full disk, an I/O error, a read-only file), the
writer keeps the batch and retries it with back-off, says so once (the log and a
``StorageNotice`` to listeners), and fails ops and flushes at once rather than report
what it did not write. Events keep queueing up to ``max_pending``; past that the gateway
is not held (the bot would stop answering): an event is dropped and its thread named for
catch-up, which reads it back from Discord once writes work again.

The write connection is shaped like ``sqlite3``'s, whatever the backend: its errors are
``sqlite3`` errors carrying a SQLite ``sqlite_errorcode`` (PostgreSQL's are translated
to them in ``bot.store.postgres``), and the codes tell storage trouble and a busy
database from a bad item (``_is_storage``, ``_is_busy``).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.errors import StoreError
from bot.models import Event, MessageCreated
from bot.store.base import StorageListener, StorageNotice
from bot.store.events_sql import _CREATE_WIDTH, _create_row, _Creates

if TYPE_CHECKING:
    import aiosqlite

log = logging.getLogger(__name__)


class _Op:
    """A one-off write (not an event) queued in order with the events."""

    __slots__ = ("fn", "future")

    def __init__(self, fn: Callable[[sqlite3.Connection], Any], future: asyncio.Future[Any]):
        self.fn = fn
        self.future = future


class _Flush:
    """A marker in the queue: its future is resolved once everything before it is committed."""

    __slots__ = ("future",)

    def __init__(self, future: asyncio.Future[Any]) -> None:
        self.future = future


def _is_busy(exc: Exception) -> bool:
    """SQLITE_BUSY or SQLITE_LOCKED (or one of their extended codes): another connection."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


#: SQLite's codes for a database that cannot be written now but may be later: a full
#: disk, an I/O error, a read-only file or filesystem, a file it cannot open, no memory.
_STORAGE_CODES = frozenset({sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY,
                            sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_NOMEM})


def _is_storage(exc: Exception) -> bool:
    """A failure of the storage under the database, not of the data written."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _STORAGE_CODES


class _StorageTrouble(Exception):
    """The writer could not write for a storage reason; the first ``done`` items were."""

    def __init__(self, cause: Exception, done: int = 0, results: list[Any] | None = None):
        super().__init__(str(cause))
        self.cause = cause
        self.done = done
        self.results = results or []


def _rollback(conn: sqlite3.Connection) -> None:
    """Roll back an open transaction; one that fails too (a dying disk) is left to SQLite."""
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            log.debug("writer: rollback failed: %s", exc)


def _units(items: Iterable[Any]) -> int:
    """How many submitted events, ops and flushes ``items`` stand for."""
    return sum(len(item.values) // _CREATE_WIDTH if type(item) is _Creates else 1
               for item in items)


def _threads_of(items: Iterable[Any]) -> set[int]:
    """The threads the events among ``items`` belong to."""
    threads: set[int] = set()
    for item in items:
        if type(item) is _Creates:
            threads.update(item.values[1::_CREATE_WIDTH])
        elif hasattr(item, "thread_id"):
            threads.add(item.thread_id)
    return threads


_STOP = object()  # the last item of the queue: the writer thread commits what is left and ends
_BUSY_RETRY_SECONDS = 1.0  # a locked database (a backup, the CLI) is waited out, not given up on
#: Settled by the event loop after a commit: an op's or flush's future and its result.
_Settled = list[tuple[asyncio.Future[Any], Any]]


class SQLWriter:
    """The writer thread and its queue (mixed into ``SQLStore``)."""

    def _init_writer(self) -> None:
        """The writer's state, before the store opens (from ``SQLStore.__init__``)."""
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
        #: Called on the event loop after each commit with the batch and the wall-clock
        #: time the commit finished (the latency benchmark).
        self.commit_hooks: list[Callable[[Sequence[Event | _Op], float], None]] = []
        #: Told in the writer thread after each commit: the events committed by record
        #: type and the seconds the transaction took (``bot.metrics``); counted per
        #: batch, so the gateway's hot path is the same with or without it.
        self.commit_observer: Callable[[Mapping[type, int], float], None] | None = None

    # -- life cycle ------------------------------------------------------------
    # ``open`` (the backend's) makes the connections, ``_wconn`` and ``_reader``, then
    # calls ``_start_writer``.
    def _start_writer(self) -> None:
        """Start the writer thread on the connections ``open`` made."""
        self._loop = asyncio.get_running_loop()
        self._closing = False
        self._writer = threading.Thread(target=self._write_forever, name="filmclub-writer",
                                        daemon=True)
        self._writer.start()

    async def close(self) -> None:
        writer = self._writer
        if writer is None:
            return
        self._closing = True
        self._hand_over()
        self._queue.put(_STOP)
        self._retry_wake.set()
        await asyncio.to_thread(writer.join)
        self._writer = None
        await asyncio.sleep(0)  # the writer's last call_soon_threadsafe callbacks run
        if self._shed_threads or self._given_up:
            log.error("store closed while the database could not be written: %d events were "
                      "not written; the next start's catch-up reads threads %s again",
                      self._shed_now + self._given_up,
                      sorted(self._shed_threads | self._given_up_threads))
        if self._reader is not None:
            await self._reader.close()
            self._reader = None

    # -- writes ----------------------------------------------------------------
    def add_storage_listener(self, listener: StorageListener) -> None:
        self._storage_listeners.append(listener)

    def _shed(self, event: Event) -> None:
        """Not keep ``event`` (the database cannot be written, memory is full): name its thread."""
        self._shed_threads.add(event.thread_id)
        self._shed_now += 1
        self.shed_events += 1

    def submit(self, event: Event) -> None:
        """Queue ``event``. When the writer is ``max_pending`` behind, wait for it here.

        This is the gateway hot path, called inline as discord.py dispatches. Events
        gather in a chunk that is handed to the writer once the event loop has run
        what is ready (or at ``max_batch``): one hand-over per chunk, not per event,
        keeps the writer thread from taking Python's lock away from the loop for each
        event. Waiting here when the writer is far behind holds the event loop, so the
        bot stops reading the gateway socket until the writer has caught up to half
        the limit: TCP then slows the sender, and nothing is dropped or kept in memory
        without bound.
        """
        if self._closing or self._loop is None:
            raise StoreError("the store is not open; event not accepted")
        if self.trouble is not None and self._behind() >= self.max_pending:
            self._shed(event)
            return
        chunk = self._chunk
        if not chunk:
            self._loop.call_soon(self._hand_over)
        if type(event) is MessageCreated and not event.attachments:
            # The bulk of any burst: queued as row values, not as the object.
            creates = chunk[-1] if chunk else None
            if type(creates) is not _Creates:
                creates = _Creates()
                chunk.append(creates)
            creates.values.extend(_create_row(event))
            if self.commit_hooks:
                if creates.events is None:
                    creates.events = []
                creates.events.append(event)
        else:
            chunk.append(event)
        self._submitted += 1
        if self._submitted - self._handed >= self.max_batch:
            self._hand_over()
        if self._behind() >= self.max_pending:
            self._hand_over()
            self._hold()

    def _hand_over(self, urgent: bool = False) -> None:
        """Give the writer thread the chunk gathered so far (on the event loop).

        ``urgent``: someone waits for it (an op or a flush), so no batch filling.
        """
        if self._chunk:
            chunk, self._chunk = self._chunk, []
            self._queue.put((chunk, self._submitted - self._handed, urgent))
            self._handed = self._submitted

    def _behind(self) -> int:
        return self._submitted - self._committed

    def _hold(self) -> None:
        now = time.monotonic()
        if now - self._held_warned > 60:
            self._held_warned = now
            log.warning("writer is %d events behind: holding the gateway until it catches up",
                        self._behind())
        while self._behind() >= self.max_pending // 2 and self.trouble is None:
            self._drained.clear()
            self._space_wanted = True
            if self._behind() < self.max_pending // 2 or self.trouble is not None:
                break
            if not self._drained.wait(1.0) and not self._writer_alive():
                raise StoreError("the store's writer has stopped; event not accepted")

    def _writer_alive(self) -> bool:
        return self._writer is not None and self._writer.is_alive()

    def pending_writes(self) -> int:
        """Events, ops and flushes queued and not yet committed (for ``bot.metrics``)."""
        return self._behind()

    def writer_running(self) -> bool:
        """Whether the writer thread is alive (for the health answer of ``bot.metrics``)."""
        return self._writer_alive()

    async def put(self, event: Event) -> None:
        if self._behind() + 1 >= self.max_pending:
            # Full: wait (without holding the loop) until the writer is half way down,
            # as submit() would, so bulk producers do not wake for every event.
            self._hand_over()
            while self._behind() >= self.max_pending // 2:
                if self.trouble is not None:
                    self._shed(event)
                    return
                self._space.clear()
                self._space_wanted = True
                if self._behind() < self.max_pending // 2:
                    break
                try:
                    await asyncio.wait_for(self._space.wait(), 1.0)
                except TimeoutError:
                    if not self._writer_alive():
                        raise StoreError("the store's writer has stopped") from None
        self.submit(event)

    def _enqueue_now(self, item: _Op | _Flush) -> None:
        """Queue an op or a flush behind every event submitted so far, and hand over now."""
        self._chunk.append(item)
        self._submitted += 1
        self._hand_over(urgent=True)

    async def flush(self) -> None:
        if self.trouble is not None:
            raise StoreError(f"the database cannot be written ({self.trouble.problem}); what "
                             "arrived is held and written once it can, not before")
        if self._committed >= self._submitted or self._writer is None:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._enqueue_now(_Flush(future))
        await future

    async def _call(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        if self._closing or self._writer is None:
            raise StoreError("the store is not open")
        if self.trouble is not None:
            raise StoreError(f"the database cannot be written right now "
                             f"({self.trouble.problem}); nothing was changed, try again later")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._enqueue_now(_Op(fn, future))
        return await future

    # -- the writer thread -------------------------------------------------------
    def _write_forever(self) -> None:
        """The writer thread: take what has queued, commit it, tell whoever waits; repeat.

        While events stream in (the last batch was at least a quarter of max_batch),
        the writer waits up to ``max_delay`` for a batch to fill before committing:
        a commit's cost is mostly per batch, and every bit of CPU the writer saves
        is the gateway's on a small machine. A quiet bot, or anyone waiting for a
        flush or an op, gets its commit at once.
        """
        get, get_nowait, limit = self._queue.get, self._queue.get_nowait, self.max_batch
        busy = max(1, limit // 4)
        last = 0
        stopping = False
        try:
            while not stopping:
                item = self._next(get)
                batch: list[Any] = []
                size = 0
                deadline = time.monotonic() + self.max_delay if last >= busy else 0.0
                while True:
                    if item is _STOP:
                        stopping = True
                        break
                    chunk, count, urgent = item  # as handed over by the event loop
                    batch.extend(chunk)
                    size += count
                    if size >= limit:
                        break
                    if urgent:
                        deadline = 0.0
                    try:
                        item = get_nowait()
                    except queue.Empty:
                        wait = deadline - time.monotonic()
                        if wait <= 0:
                            break
                        try:
                            item = get(timeout=wait)
                        except queue.Empty:
                            break
                if batch:
                    self._commit(batch, size)
                last = size
        finally:
            if self._wconn is not None:
                self._wconn.close()
                self._wconn = None

    def _commit(self, batch: list[Any], size: int) -> None:
        """Commit one batch (in the writer thread) and hand the outcome to the event loop.

        When the database cannot be written, the batch is kept and tried again with
        back-off until it can (or, once the store closes, until ``close_grace`` ends).
        """
        attempt = 0
        closing_since: float | None = None
        while True:
            try:
                started = time.perf_counter()
                results = self._apply(batch)
                if self.commit_observer is not None:
                    self._observe(batch, results, time.perf_counter() - started)
                break
            except _StorageTrouble as trouble:
                batch, size = self._keep(batch, size, trouble)
                if not batch:
                    return
                if self._closing:
                    closing_since = closing_since or time.monotonic()
                    if self._abandoned or time.monotonic() - closing_since >= self.close_grace:
                        self._abandon(batch, size)
                        return
                wait = min(self.retry_first * 2 ** attempt, self.retry_max)
                attempt += 1
                log.debug("writer: retrying in %.1f s", wait)
                if self._closing:
                    time.sleep(min(wait, 0.5))
                else:
                    self._retry_wake.wait(wait)
            except Exception as exc:  # the database itself failed: fail the waiters, go on
                log.exception("writer: a batch of %d could not be committed", size)
                results = [exc] * len(batch)
                break
        self._finish(batch, results, size)
        if self.trouble is not None:
            self._recovered(size)

    def _observe(self, batch: list[Any], results: list[Any], seconds: float) -> None:
        """Tell ``commit_observer`` what a batch committed, by record type (writer thread)."""
        kinds: dict[type, int] = {}
        for item, result in zip(batch, results, strict=True):
            kind = type(item)
            if kind is _Op or kind is _Flush or isinstance(result, BaseException):
                continue
            if kind is _Creates:
                kinds[MessageCreated] = kinds.get(MessageCreated, 0) + (
                    len(item.values) // _CREATE_WIDTH)
            else:
                kinds[kind] = kinds.get(kind, 0) + 1
        observer = self.commit_observer
        if observer is None:
            return
        try:
            observer(kinds, seconds)
        except Exception:
            log.exception("writer: the commit observer failed")

    def _next(self, get: Callable[..., Any]) -> Any:
        """The next item of the queue. While the database cannot be written and nothing
        is queued, a small write is tried now and then to learn when it can again."""
        attempt = 0
        while self.trouble is not None and not self._closing:
            try:
                return get(timeout=min(self.retry_first * 2 ** attempt, self.retry_max))
            except queue.Empty:
                attempt += 1
                self._probe()
        return get()

    def _probe(self) -> None:
        """A one-row write; when it commits, the database can be written again."""
        conn = self._wconn
        if conn is None:
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO meta (key, value) VALUES ('write_probe', ?)"
                         " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                         (datetime.now(UTC).isoformat(),))
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            _rollback(conn)
            log.debug("writer: still cannot write: %s", exc)
            return
        self._recovered(0)

    def _finish(self, batch: list[Any], results: list[Any], size: int) -> None:
        """Count ``batch`` as done and settle its waiters on the event loop."""
        committed_at = time.time()
        self._committed += size
        settled: _Settled = [
            (item.future, result) for item, result in zip(batch, results, strict=True)
            if type(item) is _Op or type(item) is _Flush
        ]
        hooks = self.commit_hooks
        if settled or hooks:
            self._to_loop(self._settle, settled, batch if hooks else None, committed_at)
        if self._space_wanted and self._behind() < self.max_pending // 2:
            self._space_wanted = False
            self._drained.set()
            self._to_loop(self._space.set)

    # -- when the database cannot be written (the writer thread) --------------------
    def _keep(self, batch: list[Any], size: int,
              trouble: _StorageTrouble) -> tuple[list[Any], int]:
        """After a storage failure: settle what was written, fail the ops and flushes (they
        cannot wait), keep the events to retry. Says so once per outage."""
        if trouble.done:
            done = batch[:trouble.done]
            self._finish(done, trouble.results, _units(done))
        rest = batch[trouble.done:]
        kept = [item for item in rest if type(item) is not _Op and type(item) is not _Flush]
        waiting = [item for item in rest if type(item) is _Op or type(item) is _Flush]
        problem = " ".join(str(trouble.cause).split()) or type(trouble.cause).__name__
        if waiting:
            error = StoreError(f"the database cannot be written ({problem}); nothing was "
                               "changed, try again later")
            self._committed += len(waiting)
            self._to_loop(self._settle, [(item.future, error) for item in waiting], None,
                          time.time())
        if self.trouble is None:
            notice = StorageNotice("failing", problem, datetime.now(UTC), held=_units(kept))
            self.trouble = notice
            log.error("writer: the database cannot be written (%s): keeping %d events and "
                      "retrying; what does not fit in memory is read back from Discord later",
                      problem, notice.held)
            self._to_loop(self._notify, notice)
            self._drained.set()  # a held gateway stops waiting: it sheds instead
            self._to_loop(self._space.set)
        return kept, _units(kept)

    def _recovered(self, written: int) -> None:
        failing = self.trouble
        if failing is None:
            return
        self.trouble = None
        took = datetime.now(UTC) - failing.since
        log.warning("writer: the database can be written again after %.0f s (%s); the %d "
                    "events kept are written", took.total_seconds(), failing.problem, written)
        self._to_loop(self._announce_recovery, failing, written)

    def _abandon(self, batch: list[Any], size: int) -> None:
        """Closing, and the database still cannot be written: let the batch go (``close``
        names its threads, with those of the events not kept, in one line)."""
        self._abandoned = True
        self._committed += size
        self._given_up += size
        self._given_up_threads.update(_threads_of(batch))

    # -- on the event loop -------------------------------------------------------------
    def _notify(self, notice: StorageNotice) -> None:
        for listener in list(self._storage_listeners):
            try:
                listener(notice)
            except Exception:
                log.exception("storage listener %r failed", listener)

    def _announce_recovery(self, failing: StorageNotice, written: int) -> None:
        if self.trouble is not None:
            return  # failing again already: what was not kept waits for the next recovery
        threads, self._shed_threads = frozenset(self._shed_threads), set()
        shed, self._shed_now = self._shed_now, 0
        if threads:
            log.warning("store: %d events were not kept while the database could not be "
                        "written; catch-up reads threads %s again", shed, sorted(threads))
        self._notify(StorageNotice("recovered", failing.problem, failing.since, held=written,
                                   shed=shed, threads=threads))

    def _to_loop(self, callback: Callable[..., None], *args: Any) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # the loop closed between the check and the call
            log.debug("writer: event loop closed; %s not delivered", callback)

    def _settle(self, settled: _Settled, batch: list[Any] | None, committed_at: float) -> None:
        """On the event loop: resolve the futures of a committed batch, run the hooks."""
        for future, result in settled:
            if future.done():
                continue
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)
        if batch is not None:
            events: list[Any] = []
            for item in batch:
                if type(item) is _Creates:
                    events.extend(item.events or ())
                elif type(item) is not _Flush:
                    events.append(item)
            for hook in self.commit_hooks:
                hook(events, committed_at)

    def _apply(self, batch: Sequence[Any]) -> list[Any]:
        """Commit ``batch`` in one transaction; on failure, item by item (in the writer).

        A database locked by another process (a backup, the CLI) is waited out; a
        storage failure (full disk, I/O error, read-only) is ``_StorageTrouble`` for the
        caller to keep the batch; any other error isolates the item that caused it, so
        one bad event loses nothing else.
        """
        conn = self._wconn
        if conn is None:
            raise StoreError("the store is not open")
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                results = self._apply_items(conn, batch)
                conn.execute("COMMIT")
                return results
            except Exception as exc:  # a bug in one item must not lose the rest
                _rollback(conn)
                if _is_storage(exc):
                    raise _StorageTrouble(exc) from exc
                if not _is_busy(exc):
                    break
                log.warning("writer: the database is locked by another connection; retrying")
                time.sleep(_BUSY_RETRY_SECONDS)
        results = []
        for index, item in enumerate(batch):
            result = None
            for part in item.one_by_one() if type(item) is _Creates else [item]:
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    result = self._apply_items(conn, [part])[0]
                    conn.execute("COMMIT")
                except Exception as exc:  # the item is reported; the rest goes on
                    _rollback(conn)
                    if _is_storage(exc):  # not this item's fault: keep it and the rest
                        raise _StorageTrouble(exc, index, results) from exc
                    if type(part) is _Op:
                        # Not dropped: its caller awaits this error and decides what it
                        # means ("already a feed"), so it is no news for the log.
                        log.debug("writer: an op failed for its caller: %s", exc)
                    else:
                        self.failed_events += 1
                        shown = part.values if type(part) is _Creates else part
                        log.warning("writer: dropped %r: %s", shown, exc)
                    result = exc
            results.append(result)
        return results

    def _apply_items(self, conn: sqlite3.Connection, batch: Sequence[Any]) -> list[Any]:
        results: list[Any] = []
        for kind, group in itertools.groupby(batch, key=type):
            items = list(group)
            if kind is _Op:
                results.extend(op.fn(conn) for op in items)
            else:
                if kind is not _Flush:
                    self._HANDLERS[kind](self, conn, items)
                results.extend([None] * len(items))
        return results
