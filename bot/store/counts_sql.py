"""The SQL of the numbers behind /top, /leaderboard and /stats (``bot.records.counts``),
and the visibility conditions every answer to a member goes through."""

from __future__ import annotations

# -- the numbers ------------------------------------------------------------------------

#: The threads the asker may see: :visible is a JSON array of thread ids, or NULL for all
#: (``bot.records.visibility.Visible.sql``). Every answer to a member goes through it.
VISIBLE_THREAD = "(:visible IS NULL OR {column} IN (SELECT value FROM json_each(:visible)))"
#: The same for channels (``Visible.channels_sql``): :channels, NULL for all.
VISIBLE_CHANNEL = "(:channels IS NULL OR {column} IN (SELECT value FROM json_each(:channels)))"

#: Comments that count, within a scope ({scope}: a fixed condition on c or p): in a
#: visible thread, seen, not deleted, not hidden, not forgotten, written since :since
#: (NULL: ever).
_COUNTED = """
counted AS (
    SELECT c.id, c.thread_id, c.author_id, c.author_name, c.created_at, c.content
    FROM comments c JOIN prompts p ON p.thread_id = c.thread_id
    WHERE {scope} AND {visible} AND c.seen = 1 AND c.deleted_at IS NULL
      AND (:since IS NULL OR c.created_at >= :since)
      AND NOT EXISTS (SELECT 1 FROM hidden_comments h WHERE h.comment_id = c.id)
      AND NOT EXISTS (SELECT 1 FROM forgotten_members f
                      WHERE f.user_id = c.author_id AND c.created_at <= f.forgotten_at)
),
votes AS (
    SELECT comment_id, author_id, value FROM (
        SELECT r.comment_id, c.author_id, r.value, row_number() OVER (
            PARTITION BY r.comment_id, r.user_id ORDER BY r.added_at DESC, r.emoji) AS latest
        FROM reactions r JOIN counted c ON c.id = r.comment_id
        WHERE r.removed_at IS NULL AND r.value != 0 AND r.user_id != c.author_id)
    WHERE latest = 1
),
scores AS (SELECT comment_id, sum(value) AS score FROM votes GROUP BY comment_id)
"""
GUILD_SCOPE = "p.guild_id = :guild"
THREAD_SCOPE = "c.thread_id = :thread"


def _counted(scope: str, query: str) -> str:
    """``query`` over the counted comments, votes and scores of a fixed scope."""
    if scope not in (GUILD_SCOPE, THREAD_SCOPE):
        raise ValueError(f"unknown scope {scope!r}")
    visible = VISIBLE_THREAD.format(column="c.thread_id")
    return "WITH " + _COUNTED.format(scope=scope, visible=visible) + query


# From the scores to the comments by primary key: joining the two materialized tables
# instead would compare every pair.
_TOP = """
SELECT c.id, c.thread_id, c.author_id, c.author_name, c.content, c.created_at, s.score,
       p.guild_id, p.article, p.spoilers
FROM scores s JOIN comments c ON c.id = s.comment_id JOIN prompts p ON p.thread_id = c.thread_id
WHERE s.score > 0
ORDER BY s.score DESC, c.id
LIMIT :limit
"""
_COUNTS = """
SELECT (SELECT count(*) FROM counted), (SELECT count(DISTINCT author_id) FROM counted),
       (SELECT count(*) FROM votes WHERE value > 0), (SELECT count(*) FROM votes WHERE value < 0)
"""
_HOURS = "SELECT substr(created_at, 1, 13), count(*) FROM counted GROUP BY 1"
_MEMBER_TOTALS = """
SELECT a.author_id, a.comments, coalesce(v.votes, 0), a.first,
       (SELECT n.author_name FROM comments n
        WHERE n.author_id = a.author_id AND n.seen = 1 AND n.author_name IS NOT NULL
          AND {visible}
        ORDER BY n.id DESC LIMIT 1)
FROM (SELECT author_id, count(*) AS comments, min(id) AS first FROM counted
      GROUP BY author_id) a
LEFT JOIN (SELECT author_id, sum(value) AS votes FROM votes GROUP BY author_id) v
       ON v.author_id = a.author_id
"""
_SERVER_COUNTS = """
SELECT (SELECT count(*) FROM prompts WHERE guild_id = :guild AND {visible}),
       (SELECT count(*) FROM counted),
       (SELECT count(DISTINCT author_id) FROM counted),
       (SELECT count(DISTINCT author_id) FROM counted WHERE created_at >= :active_since)
"""

#: Comments with a positive score, best first (by scope).
TOP_COMMENTS = {scope: _counted(scope, _TOP) for scope in (GUILD_SCOPE, THREAD_SCOPE)}
#: Comments, participants, upvotes and downvotes (by scope).
COUNTS = {scope: _counted(scope, _COUNTS) for scope in (GUILD_SCOPE, THREAD_SCOPE)}
#: Comments per UTC hour, 'YYYY-MM-DDTHH' (by scope).
HOURS = {scope: _counted(scope, _HOURS) for scope in (GUILD_SCOPE, THREAD_SCOPE)}
#: Per member of a server: comments, net votes from others, first comment id, latest name.
MEMBER_TOTALS = _counted(GUILD_SCOPE, _MEMBER_TOTALS.format(
    visible=VISIBLE_THREAD.format(column="n.thread_id")))
#: A server's prompts, comments, members and recently active members.
SERVER_COUNTS = _counted(GUILD_SCOPE, _SERVER_COUNTS.format(
    visible=VISIBLE_THREAD.format(column="thread_id")))
