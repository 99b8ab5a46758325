"""The SQL store's side of issue 19: activity per hour for the charts.

``ChartsSQL`` is mixed into ``SQLStore`` like ``ClubSQL``: it reads through the reader
``_db``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.records.counts import parse_hour_bucket
from bot.records.visibility import Visible
from bot.store import counts_sql
from bot.store.charts_base import ActivityHours

if TYPE_CHECKING:
    import aiosqlite

#: Per UTC hour, in one statement: 0 and the comments that count, 1 and the votes that count.
#: The comments are /stats' (``counts_sql._COUNTED``: seen, not deleted, hidden or
#: forgotten, in a visible thread), with only the columns needed here, computed once for
#: both halves. A vote counts once per member and comment, in the hour of the member's
#: latest vote there, never on one's own comment (``counts_sql``'s ``votes``).
#: tests/store/test_charts_sql.py holds the totals to thread_stats' on every sample.
_ACTIVITY = """
WITH counted AS MATERIALIZED (
    SELECT c.id, c.author_id, c.created_at
    FROM comments c JOIN prompts p ON p.thread_id = c.thread_id
    WHERE {scope} AND {visible} AND c.seen = 1 AND c.deleted_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM hidden_comments h WHERE h.comment_id = c.id)
      AND NOT EXISTS (SELECT 1 FROM forgotten_members f
                      WHERE f.user_id = c.author_id AND c.created_at <= f.forgotten_at)
)
SELECT 0, substr(created_at, 1, 13), count(*) FROM counted GROUP BY 2
UNION ALL
SELECT 1, substr(latest, 1, 13), count(*) FROM (
    SELECT max(r.added_at) AS latest
    FROM counted c CROSS JOIN reactions r ON r.comment_id = c.id  -- from the comments: by key
    WHERE r.removed_at IS NULL AND r.value != 0 AND r.user_id != c.author_id
    GROUP BY r.comment_id, r.user_id)
GROUP BY 2
"""
ACTIVITY = {scope: _ACTIVITY.format(scope=scope,
                                    visible=counts_sql.VISIBLE_THREAD.format(column="c.thread_id"))
            for scope in (counts_sql.GUILD_SCOPE, counts_sql.THREAD_SCOPE)}


class ChartsSQL:
    """Issue 19's methods of the SQLite store (see ``bot.store.charts_base.ChartStore``)."""

    if TYPE_CHECKING:
        @property
        def _db(self) -> aiosqlite.Connection: ...

    async def activity_hours(self, *, visible: Visible, thread_id: int | None = None,
                             guild_id: int | None = None) -> ActivityHours:
        if (thread_id is None) == (guild_id is None):
            raise ValueError("give a thread or a server")
        scope = counts_sql.THREAD_SCOPE if thread_id is not None else counts_sql.GUILD_SCOPE
        params = {"guild": guild_id, "thread": thread_id, "visible": visible.sql()}
        found = ActivityHours()
        async with self._db.execute(ACTIVITY[scope], params) as cur:
            async for kind, hour, count in cur:
                (found.votes if kind else found.comments)[parse_hour_bucket(hour)] = count
        return found
