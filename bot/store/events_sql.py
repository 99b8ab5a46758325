"""The store's events role: the SQL of each gateway event, applied by the writer.

``EventsSQL`` is mixed into ``SQLStore`` (``bot.store.sql_store``): creates, edits,
deletes, reactions (votes through the server's vote emoji), and catch-up's tombstones and
reaction listings, with the reads catch-up compares against (``stored_messages``,
``thread_statuses``). The writer (``bot.store.writer``) applies a group of events of one
kind with a few statements, not one per event; each statement is idempotent and does
not depend on the order of arrival, so replays and reorderings are harmless.
"""

from __future__ import annotations

import functools
import itertools
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from bot.models import (
    DELETED_OFFLINE,
    DISCORD_EPOCH_MS,
    MessageCreated,
    MessageDeleted,
    MessageEdited,
    MessageVanished,
    ReactionAdded,
    ReactionRemoved,
    ReactionsCleared,
    ReactionsReconciled,
)
from bot.records.server_settings import GuildSettings, keyed_votes, vote_key, votes_from_json
from bot.store import settings_sql
from bot.store.base import StoredMessage, ThreadStatus
from bot.store.sql_values import _ids_param, parse_ts, ts


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


class EventsSQL:
    """Each event kind's writes (``_HANDLERS``), vote values, catch-up's reads."""

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

    # -- vote values: each server's vote emoji, as the writer turns reactions into votes --
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
