"""``filmclub db copy SRC DST``: a whole database from one store to another, verified.

Either end is a SQLite file or a PostgreSQL URL. The copy goes table by table in
batches, parents before the tables that refer to them, from one consistent snapshot of
the source. It writes only into something empty: a SQLite file that does not exist yet,
or a PostgreSQL database with no filmclub rows in it (no tables, or the tables a bot's
first start made). There is no ``--replace``: a moderator moving to PostgreSQL copies
once, into a new database, and a copy that fails leaves nothing to clear away; replacing
a database full of discussions is what a command should never do by accident, and
dropping one is one deliberate ``dropdb`` (or ``rm``) away.

Nothing is half-written. SQLite: the copy is made in a temporary file beside the
destination and linked into place only once it is complete and verified. PostgreSQL:
schema and rows are written in one transaction; if the verification that follows finds
a difference, the rows are taken out again, so the database is as empty as it was.

Triggers. The schema's triggers keep derived rows: what changed since the last export
(``comment_changes``, ``prompt_changes``), the names members were last seen with
(``member_names``), and ``/forget``'s placeholders. Those rows are copied as they are,
so the triggers must not fire while the copy inserts: they would stamp every comment as
changed at the destination's generation and rewrite names with older ones. SQLite has no
switch for triggers: they are dropped inside the copy's transaction and created again
from their own text before it commits, so no other connection ever sees them missing.
PostgreSQL: each table's triggers are disabled inside the transaction (``ALTER TABLE
... DISABLE TRIGGER USER``, which the tables' owner may do, where ``SET
session_replication_role`` needs a superuser) and enabled again before it commits.

Verification, before the copy is kept: every table has as many rows at the destination
as in the source, and every prompt thread exports byte for byte the same from both, in
every format of the registry, once as members read it and once with deleted comments,
earlier texts and hidden comments included.
"""

from __future__ import annotations

import hashlib
import io
import logging
from pathlib import Path

from bot.dbcopy.base import (
    BATCH,
    EXPORTED_AT,
    VARIANTS,
    CopyError,
    CopyResult,
    Destination,
    Progress,
    Schema,
    Source,
    blame,
    code_schema,
    is_url,
    shown,
)
from bot.dbcopy.sqlite import SQLiteDestination, SQLiteSource
from bot.export import ExportOptions, export_thread, formats
from bot.store.base import Store

log = logging.getLogger(__name__)


def source_for(target: str | Path) -> Source:
    """The end to read ``target`` from: a PostgreSQL URL's database, else a SQLite file."""
    if is_url(target):
        from bot.dbcopy.postgres import PostgresSource

        return PostgresSource(str(target))
    return SQLiteSource(Path(target))


def destination_for(target: str | Path) -> Destination:
    """The end to write ``target`` at: a PostgreSQL URL's database, else a new SQLite file."""
    if is_url(target):
        from bot.dbcopy.postgres import PostgresDestination

        return PostgresDestination(str(target))
    return SQLiteDestination(Path(target))


# -- the copy ----------------------------------------------------------------------------------


def _quiet(_phase: str, _done: int, _total: int, _note: str) -> None:
    return None


async def copy_database(source: str | Path, destination: str | Path, *,
                        progress: Progress = _quiet, batch: int = BATCH) -> CopyResult:
    """Copy the filmclub database ``source`` into the empty ``destination`` and verify it.

    Each is a SQLite path or a ``postgresql://`` URL. A CopyError (one line) when either
    cannot be used, when the copy fails (a full disk, a lost connection) or when the
    verification finds a difference; the destination is then left as it was.
    """
    if str(source) == str(destination) or (
            not is_url(source) and not is_url(destination)
            and Path(source).resolve() == Path(destination).resolve()):
        raise CopyError("the source and the destination are the same database")
    schema = code_schema()
    src, dst = source_for(source), destination_for(destination)
    result = CopyResult(shown(source), shown(destination), schema.version)
    try:
        await src.open(schema)
        counts = {t.name: await src.count(t) for t in schema.tables}
        await dst.open(schema)
        try:
            await _copy_rows(src, dst, schema, counts, progress, batch)
            result.rows = counts
            result.threads, result.exports = await verify_exports(src, dst, progress)
            await dst.keep()
        except BaseException:
            await dst.undo()
            raise
    finally:
        await src.close()
    log.info("copied %s to %s: %d rows, %d threads verified", result.source,
             result.destination, result.total, result.threads)
    return result


async def _copy_rows(src: Source, dst: Destination, schema: Schema, counts: dict[str, int],
                     progress: Progress, batch: int) -> None:
    """Every table in batches, in one transaction at the destination; then the counts."""
    total, done = sum(counts.values()), 0
    progress("copying", 0, total, "")
    for table in schema.tables:
        async for rows in src.batches(table, batch):
            await dst.write(table, rows)
            done += len(rows)
            progress("copying", done, total, table.name)
    await src.end_snapshot()
    await dst.commit()
    for table in schema.tables:
        written = await dst.count(table)
        if written != counts[table.name]:
            raise CopyError(f"{table.name}: {counts[table.name]} rows in the source, "
                            f"{written} in the copy; the copy was not kept")


async def _digest(store: Store, label: str, thread_id: int, fmt: str,
                  options: ExportOptions, include_hidden: bool) -> str:
    buffer = io.BytesIO()
    with blame(label):
        await export_thread(store, thread_id, fmt, buffer, options=options,
                            exported_at=EXPORTED_AT, include_hidden=include_hidden)
    return hashlib.sha256(buffer.getvalue()).hexdigest()


async def verify_exports(src: Source, dst: Destination, progress: Progress = _quiet
                         ) -> tuple[int, int]:
    """Export every prompt thread from both sides in every format: the same bytes, or a
    CopyError naming the first thread and format that differ. Returns (threads, exports)."""
    names = formats.names()
    async with src.store() as before, dst.store() as after:
        threads = sorted(await before.prompt_thread_ids())
        copied = sorted(await after.prompt_thread_ids())
        if threads != copied:
            raise CopyError(f"the copy has {len(copied)} prompt threads, the source "
                            f"{len(threads)}; the copy was not kept")
        exports = 0
        progress("verifying", 0, len(threads), "")
        for done, thread_id in enumerate(threads, 1):
            for fmt in names:
                for options, hidden in VARIANTS:
                    if (await _digest(before, src.label, thread_id, fmt, options, hidden)
                            != await _digest(after, dst.label, thread_id, fmt, options, hidden)):
                        raise CopyError(f"thread {thread_id} exports differently as {fmt} from "
                                        "the copy; the copy was not kept")
                    exports += 1
            progress("verifying", done, len(threads), str(thread_id))
    return len(threads), exports


