"""The SQLite store: one writer thread committing batches, aiosqlite for reads.

Writes are events queued in memory and committed by a single thread that owns
the only write connection (WAL). Whatever has queued while one transaction
commits goes into the next, up to ``max_batch`` events: group commit without
an artificial delay, so a quiet bot commits at once and a busy one in batches.
Every event is applied idempotently and in a way that does not depend on the
order of arrival (see the SQL below), so replays and reorderings are harmless.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import sqlite3
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.errors import StoreError
from bot.models import (
    Article,
    Attachment,
    Comment,
    Event,
    MessageCreated,
    MessageDeleted,
    MessageEdited,
    Prompt,
    ReactionAdded,
    ReactionRecord,
    ReactionRemoved,
    ReactionsCleared,
    Revision,
    snowflake_time,
)
from bot.store.base import Store, ThreadCounts
from bot.store.migrations import migrate

log = logging.getLogger(__name__)

#: Reactions that count as votes unless a server says otherwise.
DEFAULT_VOTE_VALUES: Mapping[str, int] = {"👍": 1, "⬆": 1, "👎": -1, "⬇": -1}

_SKIN_TONES = "".join(chr(c) for c in range(0x1F3FB, 0x1F400))
_VARIATION = "\ufe0f\ufe0e"


def vote_key(emoji: str) -> str:
    """The emoji without variation selectors and skin tones: 👍🏽 and 👍 are one vote."""
    return emoji.translate({ord(c): None for c in _SKIN_TONES + _VARIATION})


def ts(value: datetime) -> str:
    """A datetime as the store keeps it: UTC ISO-8601 with microseconds (sorts as text)."""
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(UTC)
    return value.isoformat(timespec="microseconds")


def parse_ts(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def article_to_json(article: Article) -> str:
    return json.dumps(asdict(article), ensure_ascii=False)


def article_from_json(text: str) -> Article:
    data = json.loads(text)
    data["questions"] = tuple(data.get("questions") or ())
    data["tags"] = tuple(data.get("tags") or ())
    return Article(**data)


class _Op:
    """A one-off write (not an event) queued in order with the events."""

    __slots__ = ("fn", "future")

    def __init__(self, fn: Callable[[sqlite3.Connection], Any], future: asyncio.Future[Any]):
        self.fn = fn
        self.future = future


# --- the SQL of each event; each statement is idempotent ---------------------------

_CREATE_INTO = """
INSERT INTO comments (id, thread_id, seen, author_id, author_name, parent_id, created_at,
                      content, content_at, edited_at)
"""
_CREATE_UPSERT = """
ON CONFLICT (id) DO UPDATE SET
    seen = 1,
    author_id = excluded.author_id,
    author_name = excluded.author_name,
    parent_id = excluded.parent_id,
    content = CASE WHEN comments.content_at IS NULL OR comments.content_at < excluded.content_at
                   THEN excluded.content ELSE comments.content END,
    content_at = max(coalesce(comments.content_at, ''), excluded.content_at),
    edited_at = CASE WHEN excluded.edited_at IS NULL THEN comments.edited_at
                     WHEN comments.edited_at IS NULL THEN excluded.edited_at
                     ELSE max(comments.edited_at, excluded.edited_at) END
"""
_CREATE = _CREATE_INTO + "VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?)" + _CREATE_UPSERT
# The same for a whole batch in one statement: the rows travel as one JSON array, so
# SQLite inserts them all without taking the GIL back once per row. (WHERE true lets
# SQLite tell the upsert clause from a join.) JSON text cannot carry a NUL character
# through SQLite's ->> operator, so rows holding one take the executemany path.
_CREATE_BATCH = _CREATE_INTO + """
SELECT value ->> 0, value ->> 1, 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5,
       value ->> 6, value ->> 7, value ->> 8
FROM json_each(?) WHERE true""" + _CREATE_UPSERT
# Versions are kept only for comments that were edited. A create adds its text as a
# version when an edit is already there (the edit arrived first, or this is a replay).
_CREATE_VERSION = "INSERT OR IGNORE INTO versions (comment_id, at, content) VALUES (?, ?, ?)"
_HAVE_VERSIONS = """
SELECT DISTINCT comment_id FROM versions WHERE comment_id IN (SELECT value FROM json_each(?))
"""
# Before an edit changes a comment, its current text becomes a version.
_KEEP_CURRENT = """
INSERT OR IGNORE INTO versions (comment_id, at, content)
SELECT id, content_at, content FROM comments
WHERE id = :id AND content IS NOT NULL AND content IS NOT :content
"""
_ATTACHMENT = """
INSERT OR IGNORE INTO attachments (id, comment_id, filename, url, size, content_type)
VALUES (?, ?, ?, ?, ?, ?)
"""
# An edit adds a version only when its text differs from the text before it.
_EDIT_VERSION = """
INSERT OR IGNORE INTO versions (comment_id, at, content)
SELECT :id, :at, :content
WHERE (SELECT content FROM versions WHERE comment_id = :id AND at < :at
       ORDER BY at DESC LIMIT 1) IS NOT :content
"""
_EDIT = """
INSERT INTO comments (id, thread_id, seen, created_at, content, content_at, edited_at)
VALUES (:id, :thread, 0, :created, :content, :at, :at)
ON CONFLICT (id) DO UPDATE SET
    content = CASE WHEN comments.content_at IS NULL OR comments.content_at < excluded.content_at
                   THEN excluded.content ELSE comments.content END,
    content_at = max(coalesce(comments.content_at, ''), excluded.content_at),
    edited_at = max(coalesce(comments.edited_at, ''), excluded.edited_at)
WHERE comments.content IS NOT excluded.content
"""
_DELETE = """
INSERT INTO comments (id, thread_id, seen, created_at, deleted_at) VALUES (?, ?, 0, ?, ?)
ON CONFLICT (id) DO UPDATE SET deleted_at = coalesce(comments.deleted_at, excluded.deleted_at)
"""
_PLACEHOLDER = """
INSERT OR IGNORE INTO comments (id, thread_id, seen, created_at) VALUES (?, ?, 0, ?)
"""
_REACT = """
INSERT INTO reactions (comment_id, user_id, emoji, value, added_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT DO UPDATE SET
    added_at = CASE WHEN reactions.removed_at IS NULL THEN reactions.added_at
                    ELSE excluded.added_at END,
    removed_at = NULL,
    value = excluded.value
"""
_UNREACT = """
UPDATE reactions SET removed_at = ?
WHERE comment_id = ? AND user_id = ? AND emoji = ? AND removed_at IS NULL
"""
_CLEAR_ALL = "UPDATE reactions SET removed_at = ? WHERE comment_id = ? AND removed_at IS NULL"
_CLEAR_EMOJI = """
UPDATE reactions SET removed_at = ? WHERE comment_id = ? AND emoji = ? AND removed_at IS NULL
"""

_TREE = """
WITH RECURSIVE tree (id, depth, path) AS (
    SELECT c.id, 0, printf('%020d', c.id) FROM comments c
    WHERE c.thread_id = :thread AND c.seen = 1
      AND NOT EXISTS (SELECT 1 FROM comments p
                      WHERE p.id = c.parent_id AND p.thread_id = c.thread_id AND p.seen = 1)
    UNION ALL
    SELECT c.id, tree.depth + 1, tree.path || printf('%020d', c.id)
    FROM comments c JOIN tree ON c.parent_id = tree.id
    WHERE c.thread_id = :thread AND c.seen = 1 AND c.id > tree.id
)
SELECT c.id, c.thread_id, c.author_id, c.author_name, c.parent_id, c.created_at, c.content,
       c.edited_at, c.deleted_at, tree.depth
FROM tree JOIN comments c ON c.id = tree.id
ORDER BY tree.path
"""

_SCORES = """
SELECT comment_id, sum(value) FROM (
    SELECT comment_id, value, row_number() OVER (
        PARTITION BY comment_id, user_id ORDER BY added_at DESC, emoji) AS latest
    FROM reactions
    WHERE comment_id IN ({ids}) AND removed_at IS NULL AND value != 0)
WHERE latest = 1 GROUP BY comment_id
"""


class SQLiteStore(Store):
    """The embedded store: a SQLite file in WAL mode."""

    def __init__(
        self,
        path: Path | str,
        *,
        vote_values: Mapping[str, int] = DEFAULT_VOTE_VALUES,
        max_batch: int = 1000,
        max_pending: int = 50_000,
        create: bool = True,
    ) -> None:
        self.path = Path(path)
        self.vote_values = {vote_key(k): v for k, v in vote_values.items()}
        self.max_batch = max_batch
        self.max_pending = max_pending
        self.create = create
        self._pending: deque[Event | _Op] = deque()
        self._submitted = 0
        self._committed = 0
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._wake = asyncio.Event()
        self._space = asyncio.Event()
        self._space.set()
        self._executor: ThreadPoolExecutor | None = None
        self._wconn: sqlite3.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._writer_task: asyncio.Task[None] | None = None
        self._closing = False
        self.failed_events = 0
        #: Called after each commit with the batch and the wall-clock time (benchmarks).
        self.commit_hooks: list[Callable[[Sequence[Event | _Op], float], None]] = []

    # -- life cycle ------------------------------------------------------------
    async def open(self) -> None:
        if not self.create and not self.path.exists():
            raise StoreError(f"no database at {self.path}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="filmclub-writer")
        loop = asyncio.get_running_loop()
        try:
            self._wconn = await loop.run_in_executor(self._executor, self._open_writer)
        except sqlite3.DatabaseError as exc:
            self._executor.shutdown()
            raise StoreError(f"{self.path}: not a usable SQLite database ({exc})") from exc
        except StoreError:
            self._executor.shutdown()
            raise
        self._reader = await aiosqlite.connect(self.path)
        await self._reader.execute("PRAGMA foreign_keys = ON")
        self._writer_task = asyncio.create_task(self._run_writer(), name="filmclub-writer")

    def _open_writer(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA busy_timeout = 5000")
            migrate(conn, str(self.path))
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
        except BaseException:
            conn.close()
            raise
        return conn

    async def close(self) -> None:
        if self._writer_task is None:
            return
        self._closing = True
        self._wake.set()
        await self._writer_task
        self._writer_task = None
        if self._reader is not None:
            await self._reader.close()
        if self._executor is not None and self._wconn is not None:
            await asyncio.get_running_loop().run_in_executor(self._executor, self._wconn.close)
            self._executor.shutdown()

    # -- writes ----------------------------------------------------------------
    def submit(self, event: Event) -> None:
        if self._closing:
            raise StoreError("the store is closing; event not accepted")
        self._pending.append(event)
        self._submitted += 1
        if len(self._pending) >= self.max_pending:
            self._space.clear()
        self._wake.set()

    async def put(self, event: Event) -> None:
        while not self._space.is_set():
            await self._space.wait()
        self.submit(event)

    async def flush(self) -> None:
        target = self._submitted
        if self._committed >= target:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((target, future))
        await future

    async def _call(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        if self._closing or self._writer_task is None:
            raise StoreError("the store is not open")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append(_Op(fn, future))
        self._submitted += 1
        self._wake.set()
        return await future

    async def add_prompt(self, prompt: Prompt) -> None:
        row = (
            prompt.thread_id, prompt.guild_id, prompt.channel_id, prompt.message_id,
            prompt.article.slug, article_to_json(prompt.article), ts(prompt.posted_at),
            prompt.posted_by,
        )

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT OR IGNORE INTO prompts (thread_id, guild_id, channel_id, message_id,"
                " article_slug, article, posted_at, posted_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )

        await self._call(write)

    async def set_meta(self, key: str, value: str) -> None:
        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

        await self._call(write)

    async def _run_writer(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not self._pending:
                if self._closing:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            batch: list[Event | _Op] = []
            while self._pending and len(batch) < self.max_batch:
                batch.append(self._pending.popleft())
            try:
                results = await loop.run_in_executor(self._executor, self._apply, batch)
            except Exception as exc:  # the database itself failed: fail waiters, go on
                log.exception("writer: a batch of %d could not be committed", len(batch))
                results = [exc] * len(batch)
            for item, result in zip(batch, results, strict=True):
                if isinstance(item, _Op) and not item.future.done():
                    if isinstance(result, BaseException):
                        item.future.set_exception(result)
                    else:
                        item.future.set_result(result)
            self._committed += len(batch)
            if self.commit_hooks:
                committed_at = time.time()
                for hook in self.commit_hooks:
                    hook(batch, committed_at)
            if len(self._pending) < self.max_pending // 2:
                self._space.set()
            self._release_waiters()

    def _release_waiters(self) -> None:
        still = []
        for target, future in self._waiters:
            if self._committed >= target:
                if not future.done():
                    future.set_result(None)
            else:
                still.append((target, future))
        self._waiters = still

    def _apply(self, batch: Sequence[Event | _Op]) -> list[Any]:
        """Commit ``batch`` in one transaction; on failure, item by item (runs in the writer)."""
        conn = self._wconn
        if conn is None:
            raise StoreError("the store is not open")
        try:
            conn.execute("BEGIN IMMEDIATE")
            results = self._apply_items(conn, batch)
            conn.execute("COMMIT")
            return results
        except sqlite3.Error:
            conn.execute("ROLLBACK")
            if len(batch) == 1:
                raise
        # Isolate the item that failed so one bad event does not lose the rest.
        results = []
        for item in batch:
            try:
                conn.execute("BEGIN IMMEDIATE")
                results.extend(self._apply_items(conn, [item]))
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                conn.execute("ROLLBACK")
                self.failed_events += 1
                log.warning("writer: dropped %r: %s", item, exc)
                results.append(exc)
        return results

    def _apply_items(self, conn: sqlite3.Connection, batch: Sequence[Event | _Op]) -> list[Any]:
        results: list[Any] = []
        for kind, group in itertools.groupby(batch, key=type):
            items = list(group)
            if kind is _Op:
                results.extend(op.fn(conn) for op in items)  # type: ignore[union-attr]
                continue
            self._HANDLERS[kind](self, conn, items)
            results.extend([None] * len(items))
        return results

    def _created(self, conn: sqlite3.Connection, events: list[MessageCreated]) -> None:
        rows, versions = [], []
        for e in events:  # the hot path of ingest: each time formatted once
            created = ts(e.created_at)
            edited = None if e.edited_at is None else ts(e.edited_at)
            rows.append((e.id, e.thread_id, e.author_id, e.author_name, e.parent_id, created,
                         e.content, edited or created, edited))
            versions.append((e.id, edited or created, e.content))
        with_nul = [r for r in rows if "\x00" in r[6] or "\x00" in r[3]]
        if with_nul:
            rows = [r for r in rows if not ("\x00" in r[6] or "\x00" in r[3])]
            conn.executemany(_CREATE, with_nul)
        conn.execute(_CREATE_BATCH, (json.dumps(rows, ensure_ascii=False),))
        # One query for the batch instead of a check per row: each executemany row is a
        # round trip for the GIL, which the event loop needs while the writer works.
        have_versions = {row[0] for row in conn.execute(
            _HAVE_VERSIONS, (json.dumps([e.id for e in events]),))}
        if have_versions:
            conn.executemany(_CREATE_VERSION, [v for v in versions if v[0] in have_versions])
        attachments = [
            (a.id, e.id, a.filename, a.url, a.size, a.content_type)
            for e in events for a in e.attachments
        ]
        if attachments:
            conn.executemany(_ATTACHMENT, attachments)

    def _edited(self, conn: sqlite3.Connection, events: list[MessageEdited]) -> None:
        for e in events:
            params = {
                "id": e.id, "thread": e.thread_id, "created": ts(snowflake_time(e.id)),
                "content": e.content, "at": ts(e.edited_at),
            }
            conn.execute(_KEEP_CURRENT, params)
            conn.execute(_EDIT, params)
            conn.execute(_EDIT_VERSION, params)

    def _deleted(self, conn: sqlite3.Connection, events: list[MessageDeleted]) -> None:
        conn.executemany(_DELETE, [
            (e.id, e.thread_id, ts(snowflake_time(e.id)), ts(e.deleted_at)) for e in events
        ])

    def _placeholders(self, conn: sqlite3.Connection,
                      events: Iterable[ReactionAdded | ReactionRemoved | ReactionsCleared]) -> None:
        conn.executemany(_PLACEHOLDER, [
            (e.message_id, e.thread_id, ts(snowflake_time(e.message_id))) for e in events
        ])

    def _reacted(self, conn: sqlite3.Connection, events: list[ReactionAdded]) -> None:
        self._placeholders(conn, events)
        conn.executemany(_REACT, [
            (e.message_id, e.user_id, e.emoji, self.vote_values.get(vote_key(e.emoji), 0),
             ts(e.at))
            for e in events
        ])

    def _unreacted(self, conn: sqlite3.Connection, events: list[ReactionRemoved]) -> None:
        conn.executemany(_UNREACT, [
            (ts(e.at), e.message_id, e.user_id, e.emoji) for e in events
        ])

    def _cleared(self, conn: sqlite3.Connection, events: list[ReactionsCleared]) -> None:
        for e in events:
            if e.emoji is None:
                conn.execute(_CLEAR_ALL, (ts(e.at), e.message_id))
            else:
                conn.execute(_CLEAR_EMOJI, (ts(e.at), e.message_id, e.emoji))

    _HANDLERS: Mapping[type, Callable[..., None]] = {
        MessageCreated: _created,
        MessageEdited: _edited,
        MessageDeleted: _deleted,
        ReactionAdded: _reacted,
        ReactionRemoved: _unreacted,
        ReactionsCleared: _cleared,
    }

    # -- reads -----------------------------------------------------------------
    @property
    def _db(self) -> aiosqlite.Connection:
        if self._reader is None:
            raise StoreError("the store is not open")
        return self._reader

    async def get_meta(self, key: str) -> str | None:
        async with self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)) as cur:
            row = await cur.fetchone()
        return None if row is None else row[0]

    @staticmethod
    def _prompt(row: Sequence[Any]) -> Prompt:
        thread_id, guild_id, channel_id, message_id, article, posted_at, posted_by = row
        return Prompt(
            thread_id=thread_id, guild_id=guild_id, channel_id=channel_id,
            message_id=message_id, article=article_from_json(article),
            posted_at=datetime.fromisoformat(posted_at), posted_by=posted_by,
        )

    _PROMPT_COLUMNS = "thread_id, guild_id, channel_id, message_id, article, posted_at, posted_by"

    async def get_prompt(self, thread_id: int) -> Prompt | None:
        sql = f"SELECT {self._PROMPT_COLUMNS} FROM prompts WHERE thread_id = ?"  # noqa: S608
        async with self._db.execute(sql, (thread_id,)) as cur:
            row = await cur.fetchone()
        return None if row is None else self._prompt(row)

    async def prompt_thread_ids(self) -> set[int]:
        async with self._db.execute("SELECT thread_id FROM prompts") as cur:
            return {row[0] async for row in cur}

    async def list_prompts(self, guild_id: int | None = None) -> list[Prompt]:
        sql = f"SELECT {self._PROMPT_COLUMNS} FROM prompts"  # noqa: S608
        params: tuple[Any, ...] = ()
        if guild_id is not None:
            sql += " WHERE guild_id = ?"
            params = (guild_id,)
        async with self._db.execute(sql + " ORDER BY posted_at", params) as cur:
            return [self._prompt(row) async for row in cur]

    async def iter_comments(
        self, thread_id: int, *, with_history: bool = True, batch_size: int = 500
    ) -> AsyncIterator[Comment]:
        async with self._db.execute(_TREE, {"thread": thread_id}) as cursor:
            while rows := await cursor.fetchmany(batch_size):
                comments = [self._comment(row) for row in rows]
                await self._fill(comments, with_history=with_history)
                for comment in comments:
                    yield comment

    async def get_comment(self, comment_id: int) -> Comment | None:
        sql = (
            "SELECT id, thread_id, author_id, author_name, parent_id, created_at, content,"
            " edited_at, deleted_at, 0 FROM comments WHERE id = ? AND seen = 1"
        )
        async with self._db.execute(sql, (comment_id,)) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        comment = self._comment(row)
        await self._fill([comment], with_history=True)
        return comment

    async def thread_counts(self, thread_id: int) -> ThreadCounts:
        sql = (
            "SELECT count(*), count(deleted_at), count(DISTINCT author_id) FROM comments"
            " WHERE thread_id = ? AND seen = 1"
        )
        async with self._db.execute(sql, (thread_id,)) as cur:
            total, deleted, people = await cur.fetchone()  # type: ignore[misc]
        return ThreadCounts(comments=total, deleted=deleted, participants=people)

    @staticmethod
    def _comment(row: Sequence[Any]) -> Comment:
        (cid, thread_id, author_id, author_name, parent_id, created_at, content,
         edited_at, deleted_at, depth) = row
        return Comment(
            id=cid, thread_id=thread_id, author_id=author_id, author_name=author_name or "",
            content=content or "", created_at=datetime.fromisoformat(created_at),
            parent_id=parent_id, edited_at=parse_ts(edited_at), deleted_at=parse_ts(deleted_at),
            depth=depth,
        )

    async def _fill(self, comments: list[Comment], *, with_history: bool) -> None:
        """Attach scores, attachments and (optionally) revisions and reactions."""
        by_id = {c.id: c for c in comments}
        ids = ",".join(str(i) for i in by_id)  # ints from our own rows: safe to inline
        db = self._db
        async with db.execute(_SCORES.format(ids=ids)) as cur:
            async for cid, score in cur:
                by_id[cid].score = score
        sql = (
            "SELECT comment_id, id, filename, url, size, content_type FROM attachments"  # noqa: S608
            f" WHERE comment_id IN ({ids}) ORDER BY id"
        )
        async with db.execute(sql) as cur:
            async for cid, aid, filename, url, size, ctype in cur:
                by_id[cid].attachments.append(Attachment(aid, filename, url, size, ctype))
        if not with_history:
            return
        sql = (
            f"SELECT comment_id, at, content FROM versions WHERE comment_id IN ({ids})"  # noqa: S608
            " ORDER BY comment_id, at"
        )
        async with db.execute(sql) as cur:
            rows = await cur.fetchall()
        for cid, versions in itertools.groupby(rows, key=lambda r: r[0]):
            by_id[cid].revisions = _revisions([(at, text) for _, at, text in versions])
        sql = (
            "SELECT comment_id, user_id, emoji, added_at, value FROM reactions"  # noqa: S608
            f" WHERE comment_id IN ({ids}) AND removed_at IS NULL ORDER BY comment_id, added_at"
        )
        async with db.execute(sql) as cur:
            async for cid, uid, emoji, added_at, value in cur:
                by_id[cid].reactions.append(
                    ReactionRecord(uid, emoji, datetime.fromisoformat(added_at), value)
                )


def _revisions(versions: list[tuple[str, str]]) -> list[Revision]:
    """Texts a comment had before its current one, skipping edits that changed nothing."""
    kept: list[tuple[str, str]] = []
    for at, text in versions:
        if not kept or kept[-1][1] != text:
            kept.append((at, text))
    return [
        Revision(content=text, written_at=datetime.fromisoformat(at),
                 replaced_at=datetime.fromisoformat(next_at))
        for (at, text), (next_at, _) in itertools.pairwise(kept)
    ]


async def open_store(path: Path | str, **options: Any) -> SQLiteStore:
    """Open (create and migrate if needed) the store at ``path``."""
    store = SQLiteStore(path, **options)
    await store.open()
    return store

