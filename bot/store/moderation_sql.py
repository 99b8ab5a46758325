"""The store's moderation and settings role: server settings, hidden comments,
the audit log, close timers, and a member's data (``/mydata``, ``/forget``).

``ModerationSQL`` is mixed into ``SQLStore`` (``bot.store.sql_store``); its SQL text is
partly here and partly in ``settings_sql``, ``audit_sql`` and ``member_data_sql``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.records.audit import AuditEntry, CloseTimer, HiddenComment
from bot.records.member_data import CastReaction, ForgetReport, MemberData, OwnComment
from bot.records.server_settings import GuildSettings, vote_key
from bot.records.visibility import Visible
from bot.store import audit_sql, club_sql, counts_sql, member_data_sql, settings_sql
from bot.store.events_sql import _keyed_votes
from bot.store.sql_values import article_from_json, parse_ts, ts


class ModerationSQL:
    """Settings, hiding, audit, close timers, member data (mixed into ``SQLStore``)."""

    # -- server settings (issue 5) ---------------------------------------------------------
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

    # -- hidden comments -------------------------------------------------------------------
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

    # -- the audit log ---------------------------------------------------------------------
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

    # -- close timers ----------------------------------------------------------------------
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

    # -- a member's data: /mydata and /forget ----------------------------------------------
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
