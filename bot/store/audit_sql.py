"""The SQL of moderators' records for the SQLite store: hidden comments, the audit log and
close timers (``bot.records.audit``)."""

from __future__ import annotations

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
