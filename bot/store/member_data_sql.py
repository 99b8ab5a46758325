"""The SQL of a member's own data for the SQL store: what /mydata reads and what
/forget removes (``bot.records.member_data``). Writes are functions of the writer's
connection, run through ``SQLStore._call`` in order with the events."""

from __future__ import annotations

import sqlite3

from bot.records.member_data import PLACEHOLDER, REMOVED_NAME, ForgetReport

# -- the member's own data --------------------------------------------------------------

#: Where each comment is and whether it is hidden, then the columns ReportsSQL._comment reads.
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
