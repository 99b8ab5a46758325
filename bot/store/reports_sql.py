"""The store's reports role: what exports and stats read.

``ReportsSQL`` is mixed into ``SQLStore`` (``bot.store.sql_store``): comments in reading
order with their history (``iter_comments``, ``get_comment``, ``thread_counts``), names,
stats (with ``counts_sql``), the prompt overview and export marks (what changed since
an export).
"""

from __future__ import annotations

import functools
import itertools
import sqlite3
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, tzinfo
from typing import Any

from bot.models import Attachment, Comment, ExportRecord, ReactionRecord, Revision
from bot.records.counts import (
    ACTIVE_DAYS,
    MemberTotals,
    ScoredComment,
    ServerStats,
    ThreadStats,
    busiest_hour,
    parse_hour_bucket,
)
from bot.records.names import GuildNames, MemberName, PlaceName
from bot.records.visibility import Visible
from bot.store import counts_sql
from bot.store.base import COMMENT_ORDERS, Bound, CommentOrder, PromptOverview, ThreadCounts
from bot.store.sql_values import _ids_param, article_from_json, parse_ts, ts

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


class ReportsSQL:
    """Comment reads for exports, names, stats, export marks (mixed into ``SQLStore``)."""

    # -- comments in reading order, with their history (exports) ---------------------------
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

    async def _mark_hidden(self, comments: list[Comment]) -> None:
        by_id = {c.id: c for c in comments}
        sql = ("SELECT comment_id, hidden_at FROM hidden_comments"
               " WHERE comment_id IN (SELECT value FROM json_each(?))")
        async with self._db.execute(sql, _ids_param(by_id)) as cur:
            async for comment_id, hidden_at in cur:
                by_id[comment_id].hidden_at = datetime.fromisoformat(hidden_at)

    # -- stats and leaderboards (issue 5) --------------------------------------------------
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

    # -- export marks and history (issue 4) ------------------------------------------------
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
