"""The SQL of issue 5 for the SQLite store: settings, hidden comments, the audit log,
close timers, the numbers behind /top, /leaderboard and /stats, and /forget.

Writes are functions of the writer's connection (run through ``SQLiteStore._call``,
in order with the events); the reads are statements the store runs on its reader.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.moderation import GuildSettings, votes_from_json, votes_to_json
from bot.privacy import PLACEHOLDER, REMOVED_NAME, ForgetReport

# -- settings ---------------------------------------------------------------------------

SETTINGS_COLUMNS = (
    "prompt_channel_id, moderator_role_id, vote_emoji, timezone, export_access,"
    " log_channel_id, updated_at, updated_by"
)

SAVE_SETTINGS = f"""
INSERT INTO guild_settings (guild_id, {SETTINGS_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (guild_id) DO UPDATE SET
    prompt_channel_id = excluded.prompt_channel_id,
    moderator_role_id = excluded.moderator_role_id,
    vote_emoji = excluded.vote_emoji,
    timezone = excluded.timezone,
    export_access = excluded.export_access,
    log_channel_id = excluded.log_channel_id,
    updated_at = excluded.updated_at,
    updated_by = excluded.updated_by
"""  # noqa: S608 - column names are constants

GUILD_REACTIONS = """
SELECT r.comment_id, r.user_id, r.emoji, r.value FROM reactions r
JOIN comments c ON c.id = r.comment_id JOIN prompts p ON p.thread_id = c.thread_id
WHERE p.guild_id = ?
"""
SET_REACTION_VALUE = """
UPDATE reactions SET value = ? WHERE comment_id = ? AND user_id = ? AND emoji = ?
"""


def settings_row(settings: GuildSettings, updated_at: str | None) -> tuple[Any, ...]:
    """The guild_settings row of ``settings`` (defaults are kept as NULL)."""
    return (
        settings.guild_id, settings.prompt_channel_id, settings.moderator_role_id,
        votes_to_json(settings), None if settings.timezone == "UTC" else settings.timezone,
        None if settings.export_access == "moderators" else settings.export_access,
        settings.log_channel_id, updated_at, settings.updated_by,
    )


def settings_from_row(guild_id: int, row: Sequence[Any] | None) -> GuildSettings:
    if row is None:
        return GuildSettings(guild_id)
    prompt, role, votes, zone, access, log_channel, updated_at, updated_by = row
    up, down = votes_from_json(votes)
    return GuildSettings(
        guild_id=guild_id, prompt_channel_id=prompt, moderator_role_id=role, upvote_emoji=up,
        downvote_emoji=down, timezone=zone or "UTC", export_access=access or "moderators",
        log_channel_id=log_channel,
        updated_at=None if updated_at is None else datetime.fromisoformat(updated_at),
        updated_by=updated_by,
    )


CUSTOM_VOTES = "SELECT guild_id, vote_emoji FROM guild_settings WHERE vote_emoji IS NOT NULL"


# -- hidden comments --------------------------------------------------------------------

HIDE = """
INSERT INTO hidden_comments (comment_id, hidden_by, hidden_at, reason, notice_id)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (comment_id) DO UPDATE SET
    hidden_by = excluded.hidden_by, hidden_at = excluded.hidden_at, reason = excluded.reason
"""
HIDDEN_COLUMNS = "comment_id, hidden_by, hidden_at, reason, notice_id"

# -- audit log and timers ---------------------------------------------------------------

AUDIT_COLUMNS = ("id, guild_id, thread_id, comment_id, actor_id, action, target, reason, at,"
                 " channel_id")
ADD_AUDIT = """
INSERT INTO audit_log (guild_id, thread_id, comment_id, actor_id, action, target, reason, at,
                       channel_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
TIMER_COLUMNS = "thread_id, guild_id, due_at, set_by, set_at, reason"
SET_TIMER = f"""
INSERT INTO close_timers ({TIMER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (thread_id) DO UPDATE SET
    due_at = excluded.due_at, set_by = excluded.set_by, set_at = excluded.set_at,
    reason = excluded.reason
"""  # noqa: S608 - column names are constants

# -- the numbers ------------------------------------------------------------------------

#: The threads the asker may see: :visible is a JSON array of thread ids, or NULL for all
#: (``bot.visibility.Visible.sql``). Every answer to a member goes through it.
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

# -- the member's own data --------------------------------------------------------------

#: Where each comment is and whether it is hidden, then the columns SQLiteStore._comment reads.
OWN_COMMENTS = """
SELECT p.guild_id, p.article, EXISTS (SELECT 1 FROM hidden_comments h WHERE h.comment_id = c.id),
       c.id, c.thread_id, c.author_id, c.author_name, c.parent_id, c.created_at, c.content,
       c.edited_at, c.deleted_at, 0, c.deleted_reason
FROM comments c JOIN prompts p ON p.thread_id = c.thread_id
WHERE c.author_id = ? AND c.seen = 1
ORDER BY c.id
"""
OWN_REACTIONS = """
SELECT r.comment_id, c.thread_id, r.emoji, r.value, r.added_at, r.removed_at
FROM reactions r JOIN comments c ON c.id = r.comment_id
WHERE r.user_id = ?
ORDER BY r.added_at, r.comment_id, r.emoji
"""


def forget(conn: sqlite3.Connection, user_id: int, at: str) -> ForgetReport:
    """Remove a member's text, versions, attachments and reactions (one transaction).

    Their comments keep their rows, with the placeholder text and name; the member
    is recorded in forgotten_members so that replayed events cannot bring it back.
    """
    conn.execute(
        "INSERT INTO forgotten_members (user_id, forgotten_at) VALUES (?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET"
        " forgotten_at = max(forgotten_members.forgotten_at, excluded.forgotten_at)",
        (user_id, at),
    )
    mine = "SELECT id FROM comments WHERE author_id = :user"
    params = {"user": user_id, "text": PLACEHOLDER, "name": REMOVED_NAME}
    rows, edited = conn.execute(
        f"SELECT count(*), count(DISTINCT comment_id) FROM versions WHERE comment_id IN ({mine})",  # noqa: S608
        params,
    ).fetchone()
    revisions = conn.execute(
        f"DELETE FROM versions WHERE comment_id IN ({mine})", params  # noqa: S608
    ).rowcount
    attachments = conn.execute(
        f"DELETE FROM attachments WHERE comment_id IN ({mine})", params  # noqa: S608
    ).rowcount
    comments = conn.execute(
        "UPDATE comments SET content = :text, author_name = :name"
        " WHERE author_id = :user AND (content IS NOT :text OR author_name IS NOT :name)",
        params,
    ).rowcount
    votes = conn.execute(
        "DELETE FROM reactions WHERE user_id = :user AND value != 0", params
    ).rowcount
    others = conn.execute("DELETE FROM reactions WHERE user_id = :user", params).rowcount
    conn.execute("DELETE FROM member_names WHERE user_id = :user", params)  # issue 14
    earlier = max(0, rows - edited) if revisions else 0
    return ForgetReport(comments=comments, revisions=earlier, attachments=attachments,
                        votes=votes, reactions=others)
