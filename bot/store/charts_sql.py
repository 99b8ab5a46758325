"""The SQLite side of issue 19: activity per hour for the charts, and their setting.

``ChartsSQL`` is mixed into ``SQLiteStore`` like ``ClubSQL``: the write goes through
``_call`` (in order with the gateway's events), reads through the reader ``_db``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.stats import parse_hour_bucket
from bot.store import moderation_sql as msql
from bot.store.charts_base import ActivityHours
from bot.visibility import Visible

if TYPE_CHECKING:
    import aiosqlite

#: Votes that count (each member's latest on a comment, not on their own), per UTC hour
#: in which they were cast.
_VOTE_HOURS = """
SELECT substr(added_at, 1, 13), count(*) FROM (
    SELECT r.added_at, row_number() OVER (
        PARTITION BY r.comment_id, r.user_id ORDER BY r.added_at DESC, r.emoji) AS latest
    FROM reactions r JOIN counted c ON c.id = r.comment_id
    WHERE r.removed_at IS NULL AND r.value != 0 AND r.user_id != c.author_id)
WHERE latest = 1 GROUP BY 1
"""
VOTE_HOURS = {scope: msql._counted(scope, _VOTE_HOURS)  # the shared CTEs
              for scope in (msql.GUILD_SCOPE, msql.THREAD_SCOPE)}

_SAVE = """
INSERT INTO chart_settings (guild_id, anonymise_members, updated_at, updated_by)
VALUES (?, ?, ?, ?)
ON CONFLICT (guild_id) DO UPDATE SET anonymise_members = excluded.anonymise_members,
    updated_at = excluded.updated_at, updated_by = excluded.updated_by
"""


class ChartsSQL:
    """Issue 19's methods of the SQLite store (see ``bot.store.charts_base.ChartStore``)."""

    if TYPE_CHECKING:
        _call: Callable[[Callable[[sqlite3.Connection], Any]], Awaitable[Any]]

        @property
        def _db(self) -> aiosqlite.Connection: ...

    async def _per_hour(self, sql: str, params: dict[str, Any]) -> dict[datetime, int]:
        async with self._db.execute(sql, params) as cur:
            return {parse_hour_bucket(hour): count async for hour, count in cur}

    async def activity_hours(self, *, visible: Visible, thread_id: int | None = None,
                             guild_id: int | None = None) -> ActivityHours:
        if (thread_id is None) == (guild_id is None):
            raise ValueError("give a thread or a server")
        scope = msql.THREAD_SCOPE if thread_id is not None else msql.GUILD_SCOPE
        params = {"guild": guild_id, "thread": thread_id, "since": None,
                  "visible": visible.sql()}
        return ActivityHours(await self._per_hour(msql.HOURS[scope], params),
                             await self._per_hour(VOTE_HOURS[scope], params))

    async def get_chart_anonymise(self, guild_id: int) -> bool:
        async with self._db.execute(
            "SELECT anonymise_members FROM chart_settings WHERE guild_id = ?", (guild_id,)
        ) as cur:
            row = await cur.fetchone()
        return bool(row and row[0])

    async def set_chart_anonymise(self, guild_id: int, anonymise: bool, *, at: datetime,
                                  by: int | None) -> None:
        if at.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        row = (guild_id, int(anonymise), at.astimezone(UTC).isoformat(timespec="microseconds"),
               by)

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(_SAVE, row)

        await self._call(write)
