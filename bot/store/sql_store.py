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
import functools
import itertools
import json
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta, tzinfo
from datetime import time as dt_time
from typing import TYPE_CHECKING, Any

from bot.errors import NotFound, StoreError
from bot.models import (
    DELETED_OFFLINE,
    DISCORD_EPOCH_MS,
    Article,
    Attachment,
    Comment,
    Event,
    ExportRecord,
    Feed,
    MessageCreated,
    MessageDeleted,
    MessageEdited,
    MessageVanished,
    Prompt,
    QueueItem,
    ReactionAdded,
    ReactionRecord,
    ReactionRemoved,
    ReactionsCleared,
    ReactionsReconciled,
    Revision,
    StoredArticle,
)
from bot.records.audit import AuditEntry, CloseTimer, HiddenComment
from bot.records.counts import (
    ACTIVE_DAYS,
    MemberTotals,
    ScoredComment,
    ServerStats,
    ThreadStats,
    busiest_hour,
    parse_hour_bucket,
)
from bot.records.member_data import CastReaction, ForgetReport, MemberData, OwnComment
from bot.records.names import GuildNames, MemberName, PlaceName
from bot.records.posting_schedule import Schedule
from bot.records.server_settings import (
    DEFAULT_VOTE_VALUES,
    GuildSettings,
    keyed_votes,
    vote_key,
    votes_from_json,
)
from bot.records.visibility import Visible
from bot.store import (
    audit_sql,
    charts_sql,
    club_sql,
    counts_sql,
    film_sql,
    member_data_sql,
    settings_sql,
)
from bot.store.base import (
    COMMENT_ORDERS,
    Bound,
    CommentOrder,
    PollRecord,
    PromptOverview,
    StorageListener,
    StorageNotice,
    Store,
    StoredMessage,
    ThreadCounts,
    ThreadStatus,
)
from bot.timezones import DEFAULT_TIMEZONE

if TYPE_CHECKING:
    import aiosqlite

log = logging.getLogger(__name__)

def _keyed_votes(settings: GuildSettings) -> dict[str, int]:
    """A server's vote emoji keyed as the writer looks reactions up (issue 5)."""
    return keyed_votes(settings.upvote_emoji, settings.downvote_emoji)


@functools.lru_cache(maxsize=1024)
def _second_text(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def snowflake_ts(snowflake: int) -> str:
    """``ts(snowflake_time(snowflake))``, at a quarter of the cost: a burst's messages
    share their seconds, so only the milliseconds are formatted for each."""
    second, milli = divmod((snowflake >> 22) + DISCORD_EPOCH_MS, 1000)
    return f"{_second_text(second)}.{milli:03d}000+00:00"


def _create_row(e: MessageCreated) -> tuple[Any, ...]:
    """A create as the values of its comments row (see _CREATE)."""
    created = snowflake_ts(e.id) if e.created_at is None else ts(e.created_at)
    edited = None if e.edited_at is None else ts(e.edited_at)
    return (e.id, e.thread_id, e.author_id, e.author_name, e.parent_id, created, e.content,
            edited or created, edited)


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


_INSERT_PROMPT = """
INSERT OR IGNORE INTO prompts (thread_id, guild_id, channel_id, message_id, article_slug,
                               article, posted_at, posted_by, spoilers)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
"""


def _prompt_row(prompt: Prompt) -> tuple[Any, ...]:
    return (prompt.thread_id, prompt.guild_id, prompt.channel_id, prompt.message_id,
            prompt.article.slug, article_to_json(prompt.article), ts(prompt.posted_at),
            prompt.posted_by, int(prompt.spoilers))


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


class _Creates:
    """Creates queued as the values of their rows, end to end (see SQLiteStore.submit).

    Plain ints and strings in one list are nothing for Python's garbage collector to
    track, where an event object per message, alive until its batch commits, would
    make it collect (and traverse) far more often on the thread the event loop shares.
    """

    __slots__ = ("events", "values")

    def __init__(self) -> None:
        self.values: list[Any] = []
        #: The events themselves, kept only while a commit hook wants them.
        self.events: list[MessageCreated] | None = None

    def one_by_one(self) -> list[_Creates]:
        """Each row as a segment of its own (to isolate the one a batch failed on)."""
        parts = []
        for start in range(0, len(self.values), _CREATE_WIDTH):
            part = _Creates()
            part.values = self.values[start:start + _CREATE_WIDTH]
            parts.append(part)
        return parts


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


# --- the SQL of each event; each statement is idempotent ---------------------------
#
# The writer applies a group of events of one kind with a few statements, not one
# per event: every statement the writer runs hands Python's lock back and forth
# with the event loop, which needs it to parse the gateway. Rows travel as bound
# parameters of multi-row VALUES lists (see _values), so any text, NUL included,
# goes in exactly as written; lists of ids travel as one JSON array.

# Rows: id, thread, author, name, parent, created, content, content_at, edited (_create_row).
_CREATE = """
INSERT INTO comments (id, thread_id, seen, author_id, author_name, parent_id, created_at,
                      content, content_at, edited_at)
{values}
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
_CREATE_ROW = "(?, ?, 1, ?, ?, ?, ?, ?, ?, ?)"
_CREATE_WIDTH = _CREATE_ROW.count("?")
# Versions are kept only for comments that were edited. A create adds its text as a
# version when an edit is already there (the edit arrived first, or this is a replay).
_HAVE_VERSIONS = """
SELECT DISTINCT comment_id FROM versions WHERE comment_id IN (SELECT value FROM json_each(?))
"""
_VERSIONS_INTO = "INSERT OR IGNORE INTO versions (comment_id, at, content) {values}"
_VERSION_ROW = "(?, ?, ?)"
# Before edits change comments, their current texts become versions.
_KEEP_CURRENT = """
INSERT OR IGNORE INTO versions (comment_id, at, content)
SELECT id, content_at, content FROM comments
WHERE id IN (SELECT value FROM json_each(?)) AND content IS NOT NULL
"""
_ATTACHMENT = """
INSERT OR IGNORE INTO attachments (id, comment_id, filename, url, size, content_type)
VALUES (?, ?, ?, ?, ?, ?)
"""
# Every edit is kept as a version, even one that changed nothing: whether it did can
# only be told once all of them are in (an earlier edit may arrive late). The newest
# text wins; ``edited_at`` is then derived from the versions (see _EDITED_AT). An edit
# of a message not stored yet leaves a row (seen = 0) for its create to fill in.
_EDIT = """
INSERT INTO comments (id, thread_id, seen, created_at, content, content_at)
{values}
ON CONFLICT (id) DO UPDATE SET
    content = CASE WHEN comments.content_at IS NULL OR comments.content_at < excluded.content_at
                   THEN excluded.content ELSE comments.content END,
    content_at = max(coalesce(comments.content_at, ''), excluded.content_at)
"""
_EDIT_ROW = "(?, ?, 0, ?, ?, ?)"
# When the text last changed: the newest version whose text differs from the one
# before it (no such version: never really edited). Versions' texts are never NULL,
# so the first version, with no text before it, never counts. Looking the version
# before up by the primary key costs half of what lag() over each comment's
# versions did (5 against 10 µs a comment).
_EDITED_AT = """
UPDATE comments SET edited_at = (
    SELECT max(v.at) FROM versions v
    WHERE v.comment_id = comments.id
      AND v.content != (SELECT prev.content FROM versions prev
                        WHERE prev.comment_id = v.comment_id AND prev.at < v.at
                        ORDER BY prev.at DESC LIMIT 1))
WHERE id IN (SELECT value FROM json_each(?))
"""
_DELETE = """
INSERT INTO comments (id, thread_id, seen, created_at, deleted_at)
{values}
ON CONFLICT (id) DO UPDATE SET deleted_at = coalesce(comments.deleted_at, excluded.deleted_at)
"""
_DELETE_ROW = "(?, ?, 0, ?, ?)"
_PLACEHOLDER = "INSERT OR IGNORE INTO comments (id, thread_id, seen, created_at) {values}"
_PLACEHOLDER_ROW = "(?, ?, 0, ?)"
_REACT = """
INSERT INTO reactions (comment_id, user_id, emoji, value, added_at)
{values}
ON CONFLICT DO UPDATE SET
    added_at = CASE WHEN reactions.removed_at IS NULL THEN reactions.added_at
                    ELSE excluded.added_at END,
    removed_at = NULL,
    value = excluded.value
"""
_REACT_ROW = "(?, ?, ?, ?, ?)"
# (removed_at, comment_id, user_id, emoji) rows; one row per reaction (see _unreacted).
_UNREACT = """
UPDATE reactions SET removed_at = gone.column1
FROM ({values}) AS gone
WHERE reactions.comment_id = gone.column2 AND reactions.user_id = gone.column3
  AND reactions.emoji = gone.column4 AND reactions.removed_at IS NULL
"""
_UNREACT_ROW = "(?, ?, ?, ?)"
_CLEAR_ALL = "UPDATE reactions SET removed_at = ? WHERE comment_id = ? AND removed_at IS NULL"
# A reacting member's name (issue 14), unless they asked to be forgotten since.
_VOTER_NAME = """
INSERT INTO member_names (guild_id, user_id, name, seen_at)
SELECT p.guild_id, ?2, ?3, ?4 FROM prompts p
WHERE p.thread_id = ?1 AND NOT EXISTS (
    SELECT 1 FROM forgotten_members f WHERE f.user_id = ?2 AND ?4 <= f.forgotten_at)
ON CONFLICT (guild_id, user_id) DO UPDATE SET name = excluded.name, seen_at = excluded.seen_at
WHERE excluded.seen_at >= member_names.seen_at
"""
_PLACE_NAME = """
INSERT INTO place_names (id, kind, guild_id, name, seen_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, guild_id = excluded.guild_id,
    name = excluded.name, seen_at = excluded.seen_at
WHERE excluded.seen_at >= place_names.seen_at
"""
_MEMBER_NAME = """
INSERT INTO member_names (guild_id, user_id, name, seen_at)
SELECT ?1, ?2, ?3, ?4 WHERE NOT EXISTS (
    SELECT 1 FROM forgotten_members f WHERE f.user_id = ?2 AND ?4 <= f.forgotten_at)
ON CONFLICT (guild_id, user_id) DO UPDATE SET name = excluded.name, seen_at = excluded.seen_at
WHERE excluded.seen_at >= member_names.seen_at
"""
# A tombstone for a message catch-up found gone; a delete seen live keeps its time and reason.
_VANISH = """
UPDATE comments SET deleted_reason = ?, deleted_at = ?
WHERE id = ? AND thread_id = ? AND deleted_at IS NULL
"""
_CLEAR_EMOJI = """
UPDATE reactions SET removed_at = ? WHERE comment_id = ? AND emoji = ? AND removed_at IS NULL
"""
#: Rows per statement. A group goes in as chunks of the largest size, then one chunk of
#: the smallest size that holds the rest, padded with rows of NULLs that a LIMIT keeps
#: SQLite from reading: two or three statements for a batch of any size, from a
#: handful of statement texts that SQLite prepares once. Statements are what cost the
#: writer: each one hands Python's lock to the event loop and waits to get it back
#: (see _flat_values). Sizes a power of two apart keep the padding under half a
#: chunk; with sizes eight apart, the padding rows had cost as much as the rows.
_CHUNKS = (16, 32, 64, 128, 256, 512, 1024)


@functools.cache
def _values_sql(template: str, row: str, count: int) -> str:
    rows = ", ".join([row] * count)
    return template.format(  # only "?" placeholders and the fixed template: no values
        values=f"SELECT * FROM (VALUES {rows}) LIMIT ?")  # noqa: S608


def _values(conn: sqlite3.Connection, template: str, row: str,
            rows: Sequence[Sequence[Any]]) -> None:
    """Run ``template`` with its ``{values}`` as multi-row VALUES lists holding ``rows``.

    ``{values}`` must come after every other parameter of ``template``: the row
    count (the LIMIT) is bound last.
    """
    _flat_values(conn, template, row, [value for r in rows for value in r])


def _flat_values(conn: sqlite3.Connection, template: str, row: str, values: list[Any]) -> None:
    """:func:`_values` for rows laid end to end in one list.

    The hot path builds its parameters this way: a tuple per row kept alive for the
    whole batch would be one more object for Python's garbage collector to track
    and traverse per event, on the thread the event loop shares the GIL with.

    Few statements matter more than a few wasted rows. The sqlite3 module lets go
    of the GIL around every call into SQLite, and while the event loop is busy
    parsing the gateway, the writer then waits up to the interpreter's switch
    interval (5 ms by default, 10 in the bot) to get it back: measured against a
    busy event loop with 5 ms, a batch of
    2,000 creates took 115 ms of wall time for 25 ms of CPU as eleven statements,
    and 50 ms for 18 ms as two.
    """
    rows_one_by_one = getattr(conn, "rows_one_by_one", None)
    if rows_one_by_one is not None:  # PostgreSQL: one prepared statement, pipelined
        rows_one_by_one(template, row, values)
        return
    width = row.count("?")
    most = (conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) - 1) // width
    sizes = [size for size in _CHUNKS if size <= most] or [most]
    done, total = 0, len(values) // width
    while done < total:
        left = total - done
        size = next((size for size in sizes if size >= left), sizes[-1])
        taken = min(size, left)
        part = values[done * width:(done + taken) * width]
        if taken < size:
            part += [None] * ((size - taken) * width)
        part.append(taken)
        conn.execute(_values_sql(template, row, size), part)
        done += taken


# The reading order: a recursive walk from the top-level comments down, ordered by the
# path of sort keys from the top. A comment is "chosen" when it passes every filter;
# a chosen comment whose parent is not chosen starts a branch at the top level.
# Hidden comments (issue 5) are left out unless :hidden. Issue 4 (exports) adds the
# window (:after_* / :before_*: a message id or a time), :min_score and :changed (an
# export mark). The SQL text depends only on the sort and on whether scores are needed
# (see _tree_sql), so SQLite prepares it once and every value is a bound parameter.
_CHOSEN = """
{a}.thread_id = :thread AND {a}.seen = 1
AND (:hidden OR NOT EXISTS (SELECT 1 FROM hidden_comments h WHERE h.comment_id = {a}.id))
AND (:after_id IS NULL OR {a}.id > :after_id) AND (:before_id IS NULL OR {a}.id < :before_id)
AND (:after_at IS NULL OR {a}.created_at > :after_at)
AND (:before_at IS NULL OR {a}.created_at < :before_at)
AND (:changed IS NULL OR EXISTS (SELECT 1 FROM comment_changes x
                                 WHERE x.comment_id = {a}.id AND x.generation > :changed))
"""
# A comment's score: each member's latest vote, summed (as _SCORES below, for one comment).
_SCORE_OF = """
(SELECT coalesce(sum(value), 0) FROM (
    SELECT value, row_number() OVER (PARTITION BY user_id ORDER BY added_at DESC, emoji) AS latest
    FROM reactions WHERE comment_id = {a}.id AND removed_at IS NULL AND value != 0)
 WHERE latest = 1)
"""
# Sibling keys, fixed width so that a path sorts level by level.
_SORT_KEYS = {
    "oldest": "printf('%020d', {a}.id)",
    "newest": "printf('%020d', 9223372036854775807 - {a}.id)",
    "top": "printf('%012d%020d', 100000000000 - {score}, {a}.id)",
}


@functools.cache
def _tree_sql(sort: str, scored: bool) -> str:
    """The reading-order query for ``sort``; ``scored`` adds the :min_score filter."""
    def chosen(a: str) -> str:
        condition = _CHOSEN.format(a=a)
        if scored:
            condition += f"AND (:min_score IS NULL OR {_SCORE_OF.format(a=a)} >= :min_score)"
        return condition

    key = _SORT_KEYS[sort].format(a="c", score=_SCORE_OF.format(a="c"))
    return f"""
WITH RECURSIVE tree (id, depth, path) AS (
    SELECT c.id, 0, {key} FROM comments c
    WHERE {chosen("c")}
      AND NOT EXISTS (SELECT 1 FROM comments p WHERE p.id = c.parent_id AND {chosen("p")})
    UNION ALL
    SELECT c.id, tree.depth + 1, tree.path || {key}
    FROM comments c JOIN tree ON c.parent_id = tree.id
    WHERE c.id > tree.id AND {chosen("c")}
)
SELECT c.id, c.thread_id, c.author_id, c.author_name, c.parent_id, c.created_at, c.content,
       c.edited_at, c.deleted_at, tree.depth, c.deleted_reason
FROM tree JOIN comments c ON c.id = tree.id
ORDER BY tree.path
"""  # noqa: S608 - only fixed fragments of this module are put together here


@functools.cache
def _counts_sql(scored: bool) -> str:
    """ThreadCounts over exactly the comments ``_tree_sql`` chooses (same filters)."""
    condition = _CHOSEN.format(a="c")
    if scored:
        condition += f"AND (:min_score IS NULL OR {_SCORE_OF.format(a='c')} >= :min_score)"
    return f"""
SELECT count(CASE WHEN c.deleted_at IS NULL OR :deleted THEN 1 END),
       count(c.deleted_at),
       count(DISTINCT CASE WHEN c.deleted_at IS NULL OR :deleted THEN c.author_id END)
FROM comments c WHERE {condition}
"""  # noqa: S608 - only fixed fragments of this module are put together here


def _bound_params(name: str, bound: datetime | int | None) -> dict[str, Any]:
    """``:name_id`` and ``:name_at`` for a window bound: a message id or a time."""
    if bound is None:
        return {f"{name}_id": None, f"{name}_at": None}
    if isinstance(bound, datetime):
        return {f"{name}_id": None, f"{name}_at": ts(bound)}
    return {f"{name}_id": int(bound), f"{name}_at": None}

# Ids are passed as one JSON array (``_ids_param``), so the text stays the same for
# every batch and SQLite's statement cache holds one entry, not one per batch.
_SCORES = """
SELECT comment_id, sum(value) FROM (
    SELECT comment_id, value, row_number() OVER (
        PARTITION BY comment_id, user_id ORDER BY added_at DESC, emoji) AS latest
    FROM reactions
    WHERE comment_id IN (SELECT value FROM json_each(?)) AND removed_at IS NULL AND value != 0)
WHERE latest = 1 GROUP BY comment_id
"""
_ATTACHMENTS = """
SELECT comment_id, id, filename, url, size, content_type FROM attachments
WHERE comment_id IN (SELECT value FROM json_each(?)) ORDER BY id
"""
_VERSIONS = """
SELECT comment_id, at, content FROM versions
WHERE comment_id IN (SELECT value FROM json_each(?)) ORDER BY comment_id, at
"""
_REACTIONS = """
SELECT comment_id, user_id, emoji, added_at, value FROM reactions
WHERE comment_id IN (SELECT value FROM json_each(?)) AND removed_at IS NULL
ORDER BY comment_id, added_at
"""


def _ids_param(ids: Iterable[int]) -> tuple[str]:
    """Comment ids as the one parameter of an ``_IN_IDS`` query."""
    return (json.dumps(list(ids)),)


class SQLStore(club_sql.ClubSQL, charts_sql.ChartsSQL, film_sql.FilmSQL, Store):
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

    async def add_prompt(self, prompt: Prompt) -> None:
        row = _prompt_row(prompt)

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(_INSERT_PROMPT, row)

        await self._call(write)

    async def set_meta(self, key: str, value: str) -> None:
        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

        await self._call(write)

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

    def _created(self, conn: sqlite3.Connection, events: list[MessageCreated]) -> None:
        """Creates queued as events: those with attachments, and any from outside submit()."""
        segment = _Creates()
        segment.values = [value for e in events for value in _create_row(e)]
        self._created_rows(conn, [segment])
        attachments = [
            (a.id, e.id, a.filename, a.url, a.size, a.content_type)
            for e in events for a in e.attachments
        ]
        if attachments:
            conn.executemany(_ATTACHMENT, attachments)

    def _created_rows(self, conn: sqlite3.Connection, segments: list[_Creates]) -> None:
        """Creates queued as row values: the same as _created, with the rows made already."""
        values = segments[0].values if len(segments) == 1 else list(
            itertools.chain.from_iterable(segment.values for segment in segments))
        _flat_values(conn, _CREATE, _CREATE_ROW, values)
        ids = values[0::_CREATE_WIDTH]
        have_versions = {cid for cid, in conn.execute(_HAVE_VERSIONS, _ids_param(ids))}
        if have_versions:
            versions = []
            for start in range(0, len(values), _CREATE_WIDTH):
                row = values[start:start + _CREATE_WIDTH]
                if row[0] in have_versions:
                    versions.append((row[0], row[7], row[6]))  # id, content_at, content
            _values(conn, _VERSIONS_INTO, _VERSION_ROW, versions)
            conn.execute(_EDITED_AT, _ids_param(have_versions))

    def _edited(self, conn: sqlite3.Connection, events: list[MessageEdited]) -> None:
        """A group of edits, as if applied one by one (see _EDIT for why the order is free).

        Keeping the current texts first is what each edit would do in turn: the text
        an earlier edit of the group leaves behind is that edit, already a version.
        """
        ids = _ids_param(dict.fromkeys(e.id for e in events))
        conn.execute(_KEEP_CURRENT, ids)
        rows = [(e.id, e.thread_id, snowflake_ts(e.id), e.content, ts(e.edited_at))
                for e in events]
        _values(conn, _EDIT, _EDIT_ROW, rows)
        _values(conn, _VERSIONS_INTO, _VERSION_ROW, [(r[0], r[4], r[3]) for r in rows])
        conn.execute(_EDITED_AT, ids)

    def _deleted(self, conn: sqlite3.Connection, events: list[MessageDeleted]) -> None:
        _values(conn, _DELETE, _DELETE_ROW, [
            (e.id, e.thread_id, snowflake_ts(e.id), ts(e.deleted_at)) for e in events
        ])

    def _placeholders(self, conn: sqlite3.Connection,
                      events: Iterable[ReactionAdded | ReactionRemoved | ReactionsCleared]) -> None:
        _values(conn, _PLACEHOLDER, _PLACEHOLDER_ROW, [
            (e.message_id, e.thread_id, snowflake_ts(e.message_id)) for e in events
        ])

    def _reacted(self, conn: sqlite3.Connection, events: list[ReactionAdded]) -> None:
        self._placeholders(conn, events)
        _values(conn, _REACT, _REACT_ROW, [
            (e.message_id, e.user_id, e.emoji, self._vote_value(conn, e.thread_id, e.emoji),
             ts(e.at))
            for e in events
        ])
        named = [(e.thread_id, e.user_id, e.user_name, ts(e.at)) for e in events if e.user_name]
        if named:
            conn.executemany(_VOTER_NAME, named)

    def _unreacted(self, conn: sqlite3.Connection, events: list[ReactionRemoved]) -> None:
        # One by one, the first removal of a reaction would set its time and the rest
        # find it removed already: keep the first of each, as UPDATE FROM takes any.
        first = {(e.message_id, e.user_id, e.emoji): e.at for e in reversed(events)}
        _values(conn, _UNREACT, _UNREACT_ROW, [
            (ts(at), message, user, emoji) for (message, user, emoji), at in first.items()
        ])

    def _cleared(self, conn: sqlite3.Connection, events: list[ReactionsCleared]) -> None:
        for e in events:
            if e.emoji is None:
                conn.execute(_CLEAR_ALL, (ts(e.at), e.message_id))
            else:
                conn.execute(_CLEAR_EMOJI, (ts(e.at), e.message_id, e.emoji))

    # -- catch-up (issue 6): tombstones for messages found gone, reaction listings ----
    def _vanished(self, conn: sqlite3.Connection, events: list[MessageVanished]) -> None:
        conn.executemany(_VANISH, [
            (DELETED_OFFLINE, ts(e.noticed_at), e.id, e.thread_id) for e in events
        ])

    def _reconciled(self, conn: sqlite3.Connection, events: list[ReactionsReconciled]) -> None:
        """Make a message's active reactions Discord's listing, unless newer rows disagree."""
        for e in events:
            at = ts(e.fetched_at)
            rows = conn.execute(
                "SELECT user_id, emoji, added_at, removed_at FROM reactions WHERE comment_id = ?",
                (e.message_id,),
            ).fetchall()
            known = {(user, emoji): (added, removed) for user, emoji, added, removed in rows}
            gone = [
                (at, e.message_id, user, emoji)
                for (user, emoji), (added, removed) in known.items()
                if removed is None and added < at and (user, emoji) not in e.reactions
            ]
            _values(conn, _UNREACT, _UNREACT_ROW, gone)
            back = [
                (e.message_id, user, emoji, self._vote_value(conn, e.thread_id, emoji), at)
                for user, emoji in sorted(e.reactions)
                if (user, emoji) not in known
                or (known[user, emoji][1] is not None and known[user, emoji][1] < at)
            ]
            if back:
                _values(conn, _PLACEHOLDER, _PLACEHOLDER_ROW,
                        [(e.message_id, e.thread_id, snowflake_ts(e.message_id))])
                _values(conn, _REACT, _REACT_ROW, back)

    _HANDLERS: Mapping[type, Callable[..., None]] = {
        _Creates: _created_rows,
        MessageCreated: _created,
        MessageEdited: _edited,
        MessageDeleted: _deleted,
        ReactionAdded: _reacted,
        ReactionRemoved: _unreacted,
        ReactionsCleared: _cleared,
        MessageVanished: _vanished,
        ReactionsReconciled: _reconciled,
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
        thread_id, guild_id, channel_id, message_id, article, posted_at, posted_by, spoilers = row
        return Prompt(
            thread_id=thread_id, guild_id=guild_id, channel_id=channel_id,
            message_id=message_id, article=article_from_json(article),
            posted_at=datetime.fromisoformat(posted_at), posted_by=posted_by,
            spoilers=bool(spoilers),
        )

    _PROMPT_COLUMNS = ("thread_id, guild_id, channel_id, message_id, article, posted_at,"
                       " posted_by, spoilers")

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
        self, thread_id: int, *, with_history: bool = True, include_hidden: bool = False,
        sort: CommentOrder = "oldest", after: Bound | None = None, before: Bound | None = None,
        min_score: int | None = None, changed_after: int | None = None, batch_size: int = 500,
    ) -> AsyncIterator[Comment]:
        if sort not in COMMENT_ORDERS:
            raise ValueError(f"unknown comment order {sort!r}")
        params = {"thread": thread_id, "hidden": include_hidden, "min_score": min_score,
                  "changed": changed_after,
                  **_bound_params("after", after), **_bound_params("before", before)}
        sql = _tree_sql(sort, scored=min_score is not None)
        async with self._db.execute(sql, params) as cursor:
            while rows := await cursor.fetchmany(batch_size):
                comments = [self._comment(row) for row in rows]
                await self._fill(comments, with_history=with_history)
                if include_hidden:
                    await self._mark_hidden(comments)
                for comment in comments:
                    yield comment

    async def get_comment(self, comment_id: int) -> Comment | None:
        sql = (
            "SELECT id, thread_id, author_id, author_name, parent_id, created_at, content,"
            " edited_at, deleted_at, 0, deleted_reason FROM comments WHERE id = ? AND seen = 1"
        )
        async with self._db.execute(sql, (comment_id,)) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        comment = self._comment(row)
        await self._fill([comment], with_history=True)
        return comment

    async def thread_counts(self, thread_id: int, *, include_hidden: bool = False,
                            include_deleted: bool = False, after: Bound | None = None,
                            before: Bound | None = None, min_score: int | None = None,
                            changed_after: int | None = None) -> ThreadCounts:
        params = {"thread": thread_id, "hidden": include_hidden, "min_score": min_score,
                  "changed": changed_after, "deleted": include_deleted,
                  **_bound_params("after", after), **_bound_params("before", before)}
        async with self._db.execute(_counts_sql(min_score is not None), params) as cur:
            shown, deleted, people = await cur.fetchone()  # type: ignore[misc]
        return ThreadCounts(comments=shown, deleted=deleted, participants=people)

    @staticmethod
    def _comment(row: Sequence[Any]) -> Comment:
        (cid, thread_id, author_id, author_name, parent_id, created_at, content,
         edited_at, deleted_at, depth, deleted_reason) = row
        return Comment(
            id=cid, thread_id=thread_id, author_id=author_id, author_name=author_name or "",
            content=content or "", created_at=datetime.fromisoformat(created_at),
            parent_id=parent_id, edited_at=parse_ts(edited_at), deleted_at=parse_ts(deleted_at),
            depth=depth, deleted_reason=deleted_reason,
        )

    async def _fill(self, comments: list[Comment], *, with_history: bool) -> None:
        """Attach scores, attachments and (optionally) revisions and reactions."""
        by_id = {c.id: c for c in comments}
        ids = _ids_param(by_id)
        db = self._db
        async with db.execute(_SCORES, ids) as cur:
            async for cid, score in cur:
                by_id[cid].score = score
        async with db.execute(_ATTACHMENTS, ids) as cur:
            async for cid, aid, filename, url, size, ctype in cur:
                by_id[cid].attachments.append(Attachment(aid, filename, url, size, ctype))
        if not with_history:
            return
        async with db.execute(_VERSIONS, ids) as cur:
            rows = await cur.fetchall()
        for cid, versions in itertools.groupby(rows, key=lambda r: r[0]):
            by_id[cid].revisions = _revisions([(at, text) for _, at, text in versions])
        async with db.execute(_REACTIONS, ids) as cur:
            async for cid, uid, emoji, added_at, value in cur:
                by_id[cid].reactions.append(
                    ReactionRecord(uid, emoji, datetime.fromisoformat(added_at), value)
                )

    # -- issue 3: the prompt library (stored articles, feeds, queue, settings, schedule) --

    _ARTICLE_COLUMNS = "slug, article, origin, source, feed_id, added_at"

    async def _stored_articles(self, where: str = "", params: Sequence[Any] = ()
                               ) -> list[StoredArticle]:
        sql = f"SELECT {self._ARTICLE_COLUMNS} FROM articles {where}"  # noqa: S608
        async with self._db.execute(sql, params) as cur:
            rows = await cur.fetchall()
        if not rows:
            return []
        slugs = [row[0] for row in rows]
        keys: dict[str, list[str]] = {slug: [] for slug in slugs}
        marks = ",".join("?" * len(slugs))
        async with self._db.execute(
            f"SELECT slug, key FROM article_keys WHERE slug IN ({marks})",  # noqa: S608
            slugs,
        ) as cur:
            async for slug, key in cur:
                keys[slug].append(key)
        return [
            StoredArticle(article=article_from_json(article), origin=origin, source=source,
                          keys=_ordered_keys(keys[slug]), added_at=datetime.fromisoformat(added),
                          feed_id=feed_id)
            for slug, article, origin, source, feed_id, added in rows
        ]

    @staticmethod
    def _insert_article(conn: sqlite3.Connection, entry: StoredArticle) -> None:
        article = entry.article
        conn.execute(
            "INSERT INTO articles (slug, title, article, origin, source, feed_id, added_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (article.slug, article.title, article_to_json(article), entry.origin, entry.source,
             entry.feed_id, ts(entry.added_at)),
        )
        conn.executemany("INSERT INTO article_keys (key, slug) VALUES (?, ?)",
                         [(key, article.slug) for key in entry.keys])

    async def add_article(self, entry: StoredArticle) -> None:
        try:
            await self._call(lambda conn: self._insert_article(conn, entry))
        except sqlite3.IntegrityError as exc:
            raise StoreError(
                f"article {entry.article.slug!r} (or one of its keys) is already stored"
            ) from exc

    async def get_article(self, slug: str) -> StoredArticle | None:
        found = await self._stored_articles("WHERE slug = ?", (slug,))
        return found[0] if found else None

    async def list_articles(self) -> list[StoredArticle]:
        return await self._stored_articles("ORDER BY added_at, slug")

    async def find_article(self, keys: Sequence[str]) -> StoredArticle | None:
        if not keys:
            return None
        marks = ",".join("?" * len(keys))
        sql = f"SELECT slug FROM article_keys WHERE key IN ({marks}) LIMIT 1"  # noqa: S608
        async with self._db.execute(sql, list(keys)) as cur:
            row = await cur.fetchone()
        return None if row is None else await self.get_article(row[0])

    async def posted_keys(self, guild_id: int) -> set[str]:
        async with self._db.execute("SELECT key FROM posted_keys WHERE guild_id = ?",
                                    (guild_id,)) as cur:
            return {row[0] async for row in cur}

    async def posted_thread(self, guild_id: int, keys: Sequence[str]) -> int | None:
        if not keys:
            return None
        marks = ",".join("?" * len(keys))
        sql = (
            f"SELECT thread_id FROM posted_keys WHERE guild_id = ? AND key IN ({marks})"  # noqa: S608
            " ORDER BY thread_id DESC LIMIT 1"
        )
        async with self._db.execute(sql, [guild_id, *keys]) as cur:
            row = await cur.fetchone()
        return None if row is None else row[0]

    async def record_prompt(self, prompt: Prompt, keys: Sequence[str], *,
                            queue_item_id: int | None = None) -> None:
        row = _prompt_row(prompt)

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(_INSERT_PROMPT, row)
            conn.executemany(
                "INSERT INTO posted_keys (guild_id, key, thread_id) VALUES (?, ?, ?)"
                " ON CONFLICT DO UPDATE SET thread_id = excluded.thread_id",
                [(prompt.guild_id, key, prompt.thread_id) for key in dict.fromkeys(keys)],
            )
            if queue_item_id is not None:
                conn.execute("DELETE FROM queue WHERE id = ?", (queue_item_id,))
            # Posted by hand while it waited in the queue: it must not be posted again.
            conn.execute("DELETE FROM queue WHERE guild_id = ? AND slug = ?",
                         (prompt.guild_id, prompt.article.slug))

        await self._call(write)

    # feeds

    _FEED_COLUMNS = ("id, url, channel_id, guild_id, mode, interval_minutes, added_at, etag,"
                     " last_modified, polled_at, last_error")

    @staticmethod
    def _feed(row: Sequence[Any]) -> Feed:
        (fid, url, channel_id, guild_id, mode, interval, added_at, etag, last_modified,
         polled_at, last_error) = row
        return Feed(id=fid, url=url, channel_id=channel_id, guild_id=guild_id, mode=mode,
                    interval_minutes=interval, added_at=datetime.fromisoformat(added_at),
                    etag=etag, last_modified=last_modified, polled_at=parse_ts(polled_at),
                    last_error=last_error)

    async def add_feed(self, url: str, channel_id: int, *, guild_id: int | None, mode: str,
                       interval_minutes: int, added_at: datetime, seen: Sequence[str] = (),
                       etag: str | None = None, last_modified: str | None = None,
                       polled_at: datetime | None = None) -> Feed:
        def write(conn: sqlite3.Connection) -> Feed:
            cur = conn.execute(
                "INSERT INTO feeds (url, channel_id, guild_id, mode, interval_minutes,"
                " etag, last_modified, polled_at, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " RETURNING id",
                (url, channel_id, guild_id, mode, interval_minutes, etag, last_modified,
                 polled_at and ts(polled_at), ts(added_at)),
            )
            feed_id = cur.fetchone()[0]
            conn.executemany(
                "INSERT OR IGNORE INTO feed_entries (feed_id, key, seen_at) VALUES (?, ?, ?)",
                [(feed_id, key, ts(added_at)) for key in seen],
            )
            sql = f"SELECT {self._FEED_COLUMNS} FROM feeds WHERE id = ?"  # noqa: S608
            return self._feed(conn.execute(sql, (feed_id,)).fetchone())

        try:
            result: Feed = await self._call(write)
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"{url} is already a feed of channel {channel_id}") from exc
        return result

    async def list_feeds(self) -> list[Feed]:
        sql = f"SELECT {self._FEED_COLUMNS} FROM feeds ORDER BY id"  # noqa: S608
        async with self._db.execute(sql) as cur:
            return [self._feed(row) async for row in cur]

    async def remove_feed(self, feed_id: int) -> bool:
        def write(conn: sqlite3.Connection) -> bool:
            return conn.execute("DELETE FROM feeds WHERE id = ?", (feed_id,)).rowcount > 0

        removed: bool = await self._call(write)
        return removed

    async def set_channel_guild(self, channel_id: int, guild_id: int) -> int:
        def write(conn: sqlite3.Connection) -> int:
            changed = conn.execute(
                "UPDATE feeds SET guild_id = ? WHERE channel_id = ? AND guild_id IS NULL",
                (guild_id, channel_id),
            ).rowcount
            conn.execute(
                "UPDATE queue SET guild_id = ? WHERE channel_id = ? AND guild_id IS NULL",
                (guild_id, channel_id),
            )
            return changed

        changed: int = await self._call(write)
        return changed

    async def feed_seen(self, feed_id: int) -> set[str]:
        async with self._db.execute("SELECT key FROM feed_entries WHERE feed_id = ?",
                                    (feed_id,)) as cur:
            return {row[0] async for row in cur}

    async def record_poll(self, poll: PollRecord) -> list[QueueItem]:
        def write(conn: sqlite3.Connection) -> list[QueueItem]:
            feed = conn.execute("SELECT guild_id, channel_id, mode FROM feeds WHERE id = ?",
                                (poll.feed_id,)).fetchone()
            if feed is None:  # removed while it was polled
                return []
            guild_id, channel_id, mode = feed
            if poll.error is None:
                conn.execute(
                    "UPDATE feeds SET polled_at = ?, last_error = NULL,"
                    " etag = coalesce(?, etag), last_modified = coalesce(?, last_modified)"
                    " WHERE id = ?",
                    (ts(poll.polled_at), poll.etag, poll.last_modified, poll.feed_id),
                )
            else:
                conn.execute("UPDATE feeds SET polled_at = ?, last_error = ? WHERE id = ?",
                             (ts(poll.polled_at), poll.error, poll.feed_id))
            conn.executemany(
                "INSERT OR IGNORE INTO feed_entries (feed_id, key, seen_at) VALUES (?, ?, ?)",
                [(poll.feed_id, key, ts(poll.polled_at)) for key in poll.seen],
            )
            for entry in poll.articles:
                self._insert_article(conn, entry)
            ids = [
                self._enqueue(conn, guild_id, slug, added_at=poll.polled_at, added_by=None,
                              channel_id=channel_id, question=None, post_now=mode == "post",
                              feed_id=poll.feed_id)
                for slug in dict.fromkeys(poll.queue)
                if not conn.execute("SELECT 1 FROM queue WHERE guild_id IS ? AND slug = ?",
                                    (guild_id, slug)).fetchone()
            ]
            return [self._queue_item(row) for row in self._queue_rows(conn, "id", ids)]

        try:
            items: list[QueueItem] = await self._call(write)
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"the poll of feed {poll.feed_id} was not stored: one of its "
                             f"articles is stored already ({exc})") from exc
        return items

    # the queue

    _QUEUE_COLUMNS = ("id, guild_id, slug, position, added_at, added_by, channel_id, question,"
                      " post_now, feed_id")

    @staticmethod
    def _queue_item(row: Sequence[Any]) -> QueueItem:
        (qid, guild_id, slug, position, added_at, added_by, channel_id, question, post_now,
         feed_id) = row
        return QueueItem(id=qid, guild_id=guild_id, slug=slug, position=position,
                         added_at=datetime.fromisoformat(added_at), added_by=added_by,
                         channel_id=channel_id, question=question, post_now=bool(post_now),
                         feed_id=feed_id)

    def _queue_rows(self, conn: sqlite3.Connection, column: str, values: Sequence[Any]
                    ) -> list[Any]:
        if not values:
            return []
        marks = ",".join("?" * len(values))
        sql = (f"SELECT {self._QUEUE_COLUMNS} FROM queue WHERE {column} IN ({marks})"  # noqa: S608
               " ORDER BY position, id")
        return conn.execute(sql, list(values)).fetchall()

    @staticmethod
    def _enqueue(conn: sqlite3.Connection, guild_id: int | None, slug: str, *,
                 added_at: datetime, added_by: int | None, channel_id: int | None,
                 question: str | None, post_now: bool, feed_id: int | None) -> int:
        position = conn.execute("SELECT coalesce(max(position), 0) + 1 FROM queue").fetchone()[0]
        cur = conn.execute(
            "INSERT INTO queue (guild_id, channel_id, slug, position, question, post_now,"
            " feed_id, added_by, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (guild_id, channel_id, slug, position, question, int(post_now), feed_id, added_by,
             ts(added_at)),
        )
        return int(cur.fetchone()[0])

    async def enqueue(self, guild_id: int, slug: str, *, added_at: datetime,
                      added_by: int | None = None, channel_id: int | None = None,
                      question: str | None = None) -> QueueItem:
        def write(conn: sqlite3.Connection) -> QueueItem | None:
            if conn.execute("SELECT 1 FROM queue WHERE guild_id = ? AND slug = ?",
                            (guild_id, slug)).fetchone():
                return None
            item_id = self._enqueue(conn, guild_id, slug, added_at=added_at, added_by=added_by,
                                    channel_id=channel_id, question=question, post_now=False,
                                    feed_id=None)
            return self._queue_item(self._queue_rows(conn, "id", [item_id])[0])

        item: QueueItem | None = await self._call(write)
        if item is None:
            raise StoreError(f"{slug!r} is already in the queue")
        return item

    async def list_queue(self, guild_id: int) -> list[QueueItem]:
        sql = (f"SELECT {self._QUEUE_COLUMNS} FROM queue WHERE guild_id = ?"  # noqa: S608
               " ORDER BY position, id")
        async with self._db.execute(sql, (guild_id,)) as cur:
            return [self._queue_item(row) async for row in cur]

    async def unqueue(self, guild_id: int, item_id: int) -> QueueItem | None:
        def write(conn: sqlite3.Connection) -> QueueItem | None:
            rows = [r for r in self._queue_rows(conn, "id", [item_id]) if r[1] == guild_id]
            if not rows:
                return None
            conn.execute("DELETE FROM queue WHERE id = ?", (item_id,))
            return self._queue_item(rows[0])

        item: QueueItem | None = await self._call(write)
        return item

    async def move_queued(self, guild_id: int, item_id: int, position: int) -> list[QueueItem]:
        def write(conn: sqlite3.Connection) -> list[QueueItem] | None:
            rows = self._queue_rows(conn, "guild_id", [guild_id])
            ids = [row[0] for row in rows]
            if item_id not in ids:
                return None
            slots = sorted(row[3] for row in rows)
            ids.remove(item_id)
            ids.insert(min(max(position, 1), len(ids) + 1) - 1, item_id)
            conn.executemany("UPDATE queue SET position = ? WHERE id = ?",
                             list(zip(slots, ids, strict=True)))
            return [self._queue_item(row) for row in self._queue_rows(conn, "guild_id",
                                                                      [guild_id])]

        items: list[QueueItem] | None = await self._call(write)
        if items is None:
            raise NotFound(f"there is no queue item {item_id} in this server")
        return items

    async def pending_posts(self) -> list[QueueItem]:
        sql = (f"SELECT {self._QUEUE_COLUMNS} FROM queue"  # noqa: S608
               " WHERE post_now = 1 AND guild_id IS NOT NULL ORDER BY position, id")
        async with self._db.execute(sql) as cur:
            return [self._queue_item(row) async for row in cur]

    # settings and the schedule

    _SCHEDULE_COLUMNS = ("guild_id, channel_id, cadence, weekdays, at, set_at,"
                         " last_slot, skip_slot, empty_notified")
    #: A schedule with its server's time zone (issue 20: one setting).
    _SCHEDULE_SELECT = ("SELECT s.guild_id, s.channel_id, s.cadence, s.weekdays, s.at,"
                        " g.timezone, s.set_at, s.last_slot, s.skip_slot, s.empty_notified"
                        " FROM schedules s LEFT JOIN server_settings g ON g.guild_id = s.guild_id")

    @staticmethod
    def _schedule(row: Sequence[Any]) -> Schedule:
        (guild_id, channel_id, cadence, weekdays, at, timezone, set_at, last_slot, skip_slot,
         notified) = row
        return Schedule(
            guild_id=guild_id, channel_id=channel_id, cadence=cadence,
            weekdays=tuple(int(d) for d in weekdays.split(",") if d),
            at=dt_time.fromisoformat(at), timezone=timezone or DEFAULT_TIMEZONE,
            set_at=datetime.fromisoformat(set_at), last_slot=parse_ts(last_slot),
            skip_slot=parse_ts(skip_slot), empty_notified=bool(notified),
        )

    async def get_schedule(self, guild_id: int) -> Schedule | None:
        sql = f"{self._SCHEDULE_SELECT} WHERE s.guild_id = ?"
        async with self._db.execute(sql, (guild_id,)) as cur:
            row = await cur.fetchone()
        return None if row is None else self._schedule(row)

    async def list_schedules(self) -> list[Schedule]:
        sql = f"{self._SCHEDULE_SELECT} ORDER BY s.guild_id"
        async with self._db.execute(sql) as cur:
            return [self._schedule(row) async for row in cur]

    async def set_schedule(self, schedule: Schedule) -> None:
        row = (
            schedule.guild_id, schedule.channel_id, schedule.cadence,
            ",".join(str(d) for d in schedule.weekdays), schedule.at.strftime("%H:%M"),
            ts(schedule.set_at), schedule.last_slot and ts(schedule.last_slot),
            schedule.skip_slot and ts(schedule.skip_slot), int(schedule.empty_notified),
        )
        zone = None if schedule.timezone == DEFAULT_TIMEZONE else schedule.timezone

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                f"INSERT OR REPLACE INTO schedules ({self._SCHEDULE_COLUMNS})"  # noqa: S608
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            conn.execute(settings_sql.SET_TIMEZONE, (schedule.guild_id, zone))

        await self._call(write)

    async def clear_schedule(self, guild_id: int) -> bool:
        def write(conn: sqlite3.Connection) -> bool:
            return conn.execute("DELETE FROM schedules WHERE guild_id = ?",
                                (guild_id,)).rowcount > 0

        cleared: bool = await self._call(write)
        return cleared

    async def claim_slot(self, guild_id: int, slot: datetime) -> bool:
        def write(conn: sqlite3.Connection) -> bool:
            return conn.execute(
                "UPDATE schedules SET last_slot = ?1,"
                " skip_slot = CASE WHEN skip_slot <= ?1 THEN NULL ELSE skip_slot END"
                " WHERE guild_id = ?2 AND (last_slot IS NULL OR last_slot < ?1)",
                (ts(slot), guild_id),
            ).rowcount > 0

        claimed: bool = await self._call(write)
        return claimed

    async def set_skip_slot(self, guild_id: int, slot: datetime | None) -> None:
        def write(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE schedules SET skip_slot = ? WHERE guild_id = ?",
                         (slot and ts(slot), guild_id))

        await self._call(write)

    async def set_empty_notified(self, guild_id: int, notified: bool) -> None:
        def write(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE schedules SET empty_notified = ? WHERE guild_id = ?",
                         (int(notified), guild_id))

        await self._call(write)

    # -- catch-up (issue 6): what is stored, to compare with Discord's history -------
    async def newest_comment_id(self, thread_id: int) -> int | None:
        sql = "SELECT max(id) FROM comments WHERE thread_id = ? AND seen = 1"
        async with self._db.execute(sql, (thread_id,)) as cur:
            row = await cur.fetchone()
        return None if row is None else row[0]

    async def stored_messages(self, thread_id: int, after_id: int) -> dict[int, StoredMessage]:
        active: dict[int, set[tuple[int, str]]] = {}
        sql = (
            "SELECT r.comment_id, r.user_id, r.emoji FROM reactions r"
            " JOIN comments c ON c.id = r.comment_id"
            " WHERE c.thread_id = ? AND c.id > ? AND r.removed_at IS NULL"
        )
        async with self._db.execute(sql, (thread_id, after_id)) as cur:
            async for cid, user, emoji in cur:
                active.setdefault(cid, set()).add((user, emoji))
        sql = (
            "SELECT id, seen, content, edited_at, deleted_at FROM comments"
            " WHERE thread_id = ? AND id > ? ORDER BY id"
        )
        async with self._db.execute(sql, (thread_id, after_id)) as cur:
            return {
                cid: StoredMessage(cid, bool(seen), content, parse_ts(edited_at),
                                   deleted_at is not None, frozenset(active.get(cid, ())))
                async for cid, seen, content, edited_at, deleted_at in cur
            }

    async def thread_statuses(self) -> dict[int, ThreadStatus]:
        sql = (
            "SELECT thread_id, archived_at, gone_at, no_access_at, caught_up_at"
            " FROM thread_status"
        )
        async with self._db.execute(sql) as cur:
            return {
                row[0]: ThreadStatus(row[0], *(parse_ts(v) for v in row[1:]))
                async for row in cur
            }

    async def save_thread_status(self, status: ThreadStatus) -> None:
        row = (
            status.thread_id,
            *(None if v is None else ts(v) for v in (
                status.archived_at, status.gone_at, status.no_access_at, status.caught_up_at)),
        )

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO thread_status (thread_id, archived_at, gone_at, no_access_at,"
                " caught_up_at) SELECT ?, ?, ?, ?, ? WHERE EXISTS"
                " (SELECT 1 FROM prompts WHERE thread_id = ?1)"
                " ON CONFLICT (thread_id) DO UPDATE SET archived_at = excluded.archived_at,"
                " gone_at = excluded.gone_at, no_access_at = excluded.no_access_at,"
                " caught_up_at = excluded.caught_up_at",
                row,
            )

        await self._call(write)

    # -- issue 5: moderation, settings, leaderboards and personal data ----------------

    def _load_guild_votes(self, conn: sqlite3.Connection) -> None:
        """Read the vote emoji of servers that chose their own (at open, in the writer)."""
        self._guild_votes = {}
        for guild_id, text in conn.execute(settings_sql.CUSTOM_VOTES):
            up, down = votes_from_json(text)
            chosen = GuildSettings(guild_id, upvote_emoji=up, downvote_emoji=down)
            self._guild_votes[guild_id] = _keyed_votes(chosen)

    def _vote_value(self, conn: sqlite3.Connection, thread_id: int, emoji: str) -> int:
        """A reaction's value under its server's vote emoji (in the writer, per reaction)."""
        values = self.vote_values
        if self._guild_votes:
            guild = self._thread_guilds.get(thread_id)
            if guild is None:
                row = conn.execute("SELECT guild_id FROM prompts WHERE thread_id = ?",
                                   (thread_id,)).fetchone()
                if row is not None:
                    guild = self._thread_guilds[thread_id] = row[0]
            if guild is not None:
                values = self._guild_votes.get(guild, values)
        return values.get(vote_key(emoji), 0)

    async def get_settings(self, guild_id: int) -> GuildSettings:
        sql = f"SELECT {settings_sql.SETTINGS_COLUMNS} FROM server_settings WHERE guild_id = ?"  # noqa: S608
        async with self._db.execute(sql, (guild_id,)) as cur:
            row = await cur.fetchone()
        return settings_sql.settings_from_row(guild_id, row)

    async def save_settings(self, settings: GuildSettings) -> int:
        row = settings_sql.settings_row(settings, settings.updated_at and ts(settings.updated_at))
        guild_id = settings.guild_id
        keyed = _keyed_votes(settings)

        def write(conn: sqlite3.Connection) -> int:
            old = conn.execute("SELECT vote_emoji, timezone FROM server_settings"
                               " WHERE guild_id = ?", (guild_id,)).fetchone() or (None, None)
            conn.execute(settings_sql.SAVE_SETTINGS, row)
            if old[1] != row[4] and row[-2] is not None:
                conn.execute(settings_sql.ZONE_MOVED, (row[-2], guild_id, row[-2]))
            if old[0] == row[3]:
                return 0
            changes = [
                (new, comment_id, user_id, emoji)
                for comment_id, user_id, emoji, value in conn.execute(settings_sql.GUILD_REACTIONS,
                                                                      (guild_id,))
                if (new := keyed.get(vote_key(emoji), 0)) != value
            ]
            conn.executemany(settings_sql.SET_REACTION_VALUE, changes)
            if settings.custom_votes:
                self._guild_votes[guild_id] = keyed
            else:
                self._guild_votes.pop(guild_id, None)
            return len(changes)

        return await self._call(write)

    @staticmethod
    def _hidden(row: Sequence[Any]) -> HiddenComment:
        comment_id, hidden_by, hidden_at, reason, notice_id = row
        return HiddenComment(comment_id, hidden_by, datetime.fromisoformat(hidden_at), reason,
                             notice_id)

    async def hide_comment(self, hidden: HiddenComment) -> None:
        row = (hidden.comment_id, hidden.hidden_by, ts(hidden.hidden_at), hidden.reason,
               hidden.notice_id)

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(audit_sql.HIDE, row)

        await self._call(write)

    async def set_hidden_notice(self, comment_id: int, notice_id: int) -> None:
        def write(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE hidden_comments SET notice_id = ? WHERE comment_id = ?",
                         (notice_id, comment_id))

        await self._call(write)

    async def restore_comment(self, comment_id: int) -> HiddenComment | None:
        sql = f"SELECT {audit_sql.HIDDEN_COLUMNS} FROM hidden_comments WHERE comment_id = ?"  # noqa: S608

        def write(conn: sqlite3.Connection) -> tuple[Any, ...] | None:
            row = conn.execute(sql, (comment_id,)).fetchone()
            if row is not None:
                conn.execute("DELETE FROM hidden_comments WHERE comment_id = ?", (comment_id,))
            return row

        row = await self._call(write)
        return None if row is None else self._hidden(row)

    async def get_hidden(self, comment_id: int) -> HiddenComment | None:
        sql = f"SELECT {audit_sql.HIDDEN_COLUMNS} FROM hidden_comments WHERE comment_id = ?"  # noqa: S608
        async with self._db.execute(sql, (comment_id,)) as cur:
            row = await cur.fetchone()
        return None if row is None else self._hidden(row)

    async def _mark_hidden(self, comments: list[Comment]) -> None:
        by_id = {c.id: c for c in comments}
        sql = ("SELECT comment_id, hidden_at FROM hidden_comments"
               " WHERE comment_id IN (SELECT value FROM json_each(?))")
        async with self._db.execute(sql, _ids_param(by_id)) as cur:
            async for comment_id, hidden_at in cur:
                by_id[comment_id].hidden_at = datetime.fromisoformat(hidden_at)

    async def add_audit(self, entry: AuditEntry) -> AuditEntry:
        row = (entry.guild_id, entry.thread_id, entry.comment_id, entry.actor_id, entry.action,
               entry.target, entry.reason, ts(entry.at), entry.channel_id)

        def write(conn: sqlite3.Connection) -> int:
            return int(conn.execute(audit_sql.ADD_AUDIT + " RETURNING id", row).fetchone()[0])

        return replace(entry, id=await self._call(write))

    async def list_audit(self, guild_id: int, *, visible: Visible, thread_id: int | None = None,
                         limit: int = 1000) -> list[AuditEntry]:
        if not visible.everything and visible.channel_ids is None:
            raise ValueError("the audit log needs the channels the reader can see too")
        sql = (f"SELECT {audit_sql.AUDIT_COLUMNS} FROM audit_log WHERE guild_id = :guild"  # noqa: S608
               " AND (thread_id IS NULL OR "
               + counts_sql.VISIBLE_THREAD.format(column="thread_id") + ")"
               " AND (channel_id IS NULL OR "
               + counts_sql.VISIBLE_CHANNEL.format(column="channel_id") + ")")
        params: dict[str, Any] = {"guild": guild_id, "visible": visible.sql(),
                                  "channels": visible.channels_sql(), "limit": limit}
        if thread_id is not None:
            sql += " AND thread_id = :thread"
            params["thread"] = thread_id
        sql += " ORDER BY id DESC LIMIT :limit"
        async with self._db.execute(sql, params) as cur:
            return [
                AuditEntry(guild_id=guild, thread_id=thread, comment_id=comment, actor_id=actor,
                           action=action, target=target, reason=reason,
                           at=datetime.fromisoformat(at), id=entry_id, channel_id=channel)
                async for (entry_id, guild, thread, comment, actor, action, target, reason, at,
                           channel) in cur
            ]

    @staticmethod
    def _timer(row: Sequence[Any]) -> CloseTimer:
        thread_id, guild_id, due_at, set_by, set_at, reason = row
        return CloseTimer(thread_id, guild_id, datetime.fromisoformat(due_at), set_by,
                          datetime.fromisoformat(set_at), reason)

    async def set_close_timer(self, timer: CloseTimer) -> None:
        row = (timer.thread_id, timer.guild_id, ts(timer.due_at), timer.set_by,
               ts(timer.set_at), timer.reason)

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(audit_sql.SET_TIMER, row)

        await self._call(write)

    async def cancel_close_timer(self, thread_id: int, *,
                                 audit: AuditEntry | None = None) -> CloseTimer | None:
        sql = f"SELECT {audit_sql.TIMER_COLUMNS} FROM close_timers WHERE thread_id = ?"  # noqa: S608
        entry = None if audit is None else (
            audit.guild_id, audit.thread_id, audit.comment_id, audit.actor_id, audit.action,
            audit.target, audit.reason, ts(audit.at), audit.channel_id)

        def write(conn: sqlite3.Connection) -> tuple[Any, ...] | None:
            row = conn.execute(sql, (thread_id,)).fetchone()
            if row is not None:
                conn.execute("DELETE FROM close_timers WHERE thread_id = ?", (thread_id,))
                if entry is not None:
                    conn.execute(audit_sql.ADD_AUDIT, entry)
            return row

        row = await self._call(write)
        return None if row is None else self._timer(row)

    async def close_timers(self) -> list[CloseTimer]:
        sql = f"SELECT {audit_sql.TIMER_COLUMNS} FROM close_timers ORDER BY due_at, thread_id"  # noqa: S608
        async with self._db.execute(sql) as cur:
            return [self._timer(row) async for row in cur]

    @staticmethod
    def _stats_params(guild_id: int | None, thread_id: int | None,
                      since: datetime | None, visible: Visible) -> dict[str, Any]:
        return {"guild": guild_id, "thread": thread_id,
                "since": None if since is None else ts(since), "visible": visible.sql()}

    async def top_comments(self, guild_id: int, *, visible: Visible,
                           thread_id: int | None = None, since: datetime | None = None,
                           limit: int = 100) -> list[ScoredComment]:
        scope = counts_sql.GUILD_SCOPE if thread_id is None else counts_sql.THREAD_SCOPE
        params = {**self._stats_params(guild_id, thread_id, since, visible), "limit": limit}
        titles: dict[int, str] = {}
        found = []
        async with self._db.execute(counts_sql.TOP_COMMENTS[scope], params) as cur:
            async for (cid, thread, author, name, content, created, score, guild,
                       article, spoilers) in cur:
                if thread not in titles:
                    titles[thread] = article_from_json(article).title
                found.append(ScoredComment(
                    id=cid, thread_id=thread, guild_id=guild, author_id=author,
                    author_name=name or "", content=content or "", score=score,
                    created_at=datetime.fromisoformat(created), article_title=titles[thread],
                    spoilers=bool(spoilers),
                ))
        return found

    async def member_totals(self, guild_id: int, *, visible: Visible,
                            since: datetime | None = None) -> list[MemberTotals]:
        params = self._stats_params(guild_id, None, since, visible)
        async with self._db.execute(counts_sql.MEMBER_TOTALS, params) as cur:
            return [
                MemberTotals(user_id=user, name=name or str(user), comments=comments,
                             votes=votes, first_comment_id=first)
                async for user, comments, votes, first, name in cur
            ]

    async def _hour_counts(self, scope: str, params: Mapping[str, Any]) -> dict[datetime, int]:
        async with self._db.execute(counts_sql.HOURS[scope], params) as cur:
            return {parse_hour_bucket(hour): count async for hour, count in cur}

    async def thread_stats(self, thread_id: int, zone: tzinfo, zone_name: str, *,
                           visible: Visible) -> ThreadStats:
        params = self._stats_params(None, thread_id, None, visible)
        async with self._db.execute(counts_sql.COUNTS[counts_sql.THREAD_SCOPE], params) as cur:
            comments, people, up, down = await cur.fetchone()  # type: ignore[misc]
        hours = await self._hour_counts(counts_sql.THREAD_SCOPE, params)
        return ThreadStats(thread_id, comments, people, up, down,
                           busiest_hour(hours, zone, zone_name))

    async def server_stats(self, guild_id: int, *, now: datetime, zone: tzinfo,
                           zone_name: str, visible: Visible) -> ServerStats:
        params = {**self._stats_params(guild_id, None, None, visible),
                  "active_since": ts(now - timedelta(days=ACTIVE_DAYS))}
        async with self._db.execute(counts_sql.SERVER_COUNTS, params) as cur:
            prompts, comments, members, active = await cur.fetchone()  # type: ignore[misc]
        hours = await self._hour_counts(counts_sql.GUILD_SCOPE, params)
        return ServerStats(guild_id, prompts, comments, members, active,
                           busiest_hour(hours, zone, zone_name))

    async def member_data(self, user_id: int) -> MemberData:
        data = MemberData(user_id)
        titles: dict[int, str] = {}
        async with self._db.execute(member_data_sql.OWN_COMMENTS, (user_id,)) as cur:
            while rows := await cur.fetchmany(500):
                batch = []
                for guild_id, article, hidden, *columns in rows:
                    comment = self._comment(columns)
                    if comment.thread_id not in titles:
                        titles[comment.thread_id] = article_from_json(article).title
                    batch.append(OwnComment(comment, guild_id, titles[comment.thread_id],
                                            bool(hidden)))
                await self._fill([own.comment for own in batch], with_history=True)
                data.comments.extend(batch)
        async with self._db.execute(member_data_sql.OWN_REACTIONS, (user_id,)) as cur:
            data.reactions = [
                CastReaction(comment_id, thread_id, emoji, value,
                             datetime.fromisoformat(added_at), parse_ts(removed_at))
                async for comment_id, thread_id, emoji, value, added_at, removed_at in cur
            ]
        async with self._db.execute(
            "SELECT forgotten_at FROM forgotten_members WHERE user_id = ?", (user_id,)
        ) as cur:
            row = await cur.fetchone()
        data.forgotten_at = None if row is None else datetime.fromisoformat(row[0])
        data.ratings = await self.member_ratings(user_id)  # issue 17
        data.suggestions = await self.member_suggestions(user_id)
        data.poll_votes = await self.member_poll_votes(user_id)
        return data

    async def forget_member(self, user_id: int, at: datetime) -> ForgetReport:
        stamp = ts(at)

        def write(conn: sqlite3.Connection) -> ForgetReport:
            report = member_data_sql.forget(conn, user_id, stamp)
            ratings, suggestions, votes = club_sql.forget(conn, user_id)  # issue 17
            return replace(report, ratings=ratings, suggestions=suggestions, poll_votes=votes)

        return await self._call(write)  # type: ignore[no-any-return]


    # -- issue 14: names of places and members, prompts at a glance --------------------

    async def save_names(self, places: Sequence[PlaceName] = (),
                         members: Sequence[MemberName] = ()) -> None:
        place_rows = [(p.id, p.kind, p.guild_id, p.name, ts(p.seen_at)) for p in places]
        member_rows = [(m.guild_id, m.user_id, m.name, ts(m.seen_at)) for m in members]
        if not place_rows and not member_rows:
            return

        def write(conn: sqlite3.Connection) -> None:
            conn.executemany(_PLACE_NAME, place_rows)
            conn.executemany(_MEMBER_NAME, member_rows)

        await self._call(write)

    async def guild_names(self, guild_id: int) -> GuildNames:
        guild = None
        places: dict[int, str] = {}
        async with self._db.execute(
            "SELECT id, kind, name FROM place_names WHERE guild_id = ?", (guild_id,)
        ) as cur:
            async for place_id, kind, name in cur:
                if kind == "guild":
                    guild = name
                else:
                    places[place_id] = name
        async with self._db.execute(
            "SELECT user_id, name FROM member_names WHERE guild_id = ?", (guild_id,)
        ) as cur:
            members = {user_id: name async for user_id, name in cur}
        return GuildNames(guild_id, guild, places, members)

    async def prompt_overview(self, guild_id: int | None = None) -> list[PromptOverview]:
        sql = (f"SELECT {', '.join('p.' + c for c in self._PROMPT_COLUMNS.split(', '))},"  # noqa: S608
               " count(c.id), max(max(c.created_at, coalesce(c.edited_at, '')))"
               " FROM prompts p LEFT JOIN comments c ON c.thread_id = p.thread_id"
               " AND c.seen = 1 AND c.deleted_at IS NULL AND NOT EXISTS"
               " (SELECT 1 FROM hidden_comments h WHERE h.comment_id = c.id)"
               " WHERE ?1 IS NULL OR p.guild_id = ?1"
               " GROUP BY p.thread_id ORDER BY p.posted_at, p.thread_id")
        async with self._db.execute(sql, (guild_id,)) as cur:
            return [PromptOverview(self._prompt(row[:8]), row[8], parse_ts(row[9]))
                    async for row in cur]

    # -- issue 4: exports (the prompt a message id names, export history, change marks) --

    async def find_prompt(self, prompt_id: int) -> Prompt | None:
        sql = (f"SELECT {self._PROMPT_COLUMNS} FROM prompts"  # noqa: S608
               " WHERE thread_id = ?1 OR message_id = ?1 ORDER BY thread_id = ?1 DESC LIMIT 1")
        async with self._db.execute(sql, (prompt_id,)) as cur:
            row = await cur.fetchone()
        return None if row is None else self._prompt(row)

    async def export_mark(self) -> int:
        def write(conn: sqlite3.Connection) -> int:
            row = conn.execute("UPDATE export_state SET generation = generation + 1"
                               " WHERE id = 1 RETURNING generation - 1").fetchone()
            return int(row[0])

        mark: int = await self._call(write)
        return mark

    _EXPORT_COLUMNS = ("id, scope_key, scope, target_id, format, mark, since_mark, comments,"
                       " exported_at, exported_by")

    @staticmethod
    def _export_record(row: Sequence[Any]) -> ExportRecord:
        (rid, key, scope, target, fmt, mark, since, comments, at, by) = row
        return ExportRecord(scope_key=key, scope=scope, target_id=target, format=fmt, mark=mark,
                            exported_at=datetime.fromisoformat(at), comments=comments,
                            since_mark=since, exported_by=by, id=rid)

    async def record_export(self, record: ExportRecord) -> ExportRecord:
        row = (record.scope_key, record.scope, record.target_id, record.format, record.mark,
               record.since_mark, record.comments, ts(record.exported_at), record.exported_by)

        def write(conn: sqlite3.Connection) -> int:
            cur = conn.execute(
                "INSERT INTO export_history (scope_key, scope, target_id, format, mark,"
                " since_mark, comments, exported_at, exported_by)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id", row)
            return int(cur.fetchone()[0])

        record_id: int = await self._call(write)
        return replace(record, id=record_id)

    async def last_export(self, scope_key: str, *, exported_by: int | None
                          ) -> ExportRecord | None:
        sql = (f"SELECT {self._EXPORT_COLUMNS} FROM export_history"  # noqa: S608
               " WHERE scope_key = ? AND exported_by IS ? ORDER BY id DESC LIMIT 1")
        async with self._db.execute(sql, (scope_key, exported_by)) as cur:
            row = await cur.fetchone()
        return None if row is None else self._export_record(row)

    async def changed_thread_ids(self, guild_id: int, changed_after: int) -> set[int]:
        sql = ("SELECT DISTINCT c.thread_id FROM comment_changes x"
               " JOIN comments c ON c.id = x.comment_id"
               " JOIN prompts p ON p.thread_id = c.thread_id"
               " WHERE x.generation > ?1 AND p.guild_id = ?2 AND c.seen = 1"
               # issue 14: a prompt posted since is new to the reader, comments or not
               " UNION SELECT p.thread_id FROM prompt_changes x"
               " JOIN prompts p ON p.thread_id = x.thread_id"
               " WHERE x.generation > ?1 AND p.guild_id = ?2")
        async with self._db.execute(sql, (changed_after, guild_id)) as cur:
            return {row[0] async for row in cur}

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


_KEY_ORDER = ("slug:", "url:", "entry:", "hash:")


def _ordered_keys(keys: Iterable[str]) -> tuple[str, ...]:
    """Keys in a stable order: slug, url, entry, hash."""
    def rank(key: str) -> tuple[int, str]:
        prefix = next((i for i, p in enumerate(_KEY_ORDER) if key.startswith(p)), len(_KEY_ORDER))
        return prefix, key

    return tuple(sorted(keys, key=rank))
