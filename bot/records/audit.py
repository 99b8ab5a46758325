"""What moderators did and left pending: the audit log, close timers, hidden comments.

Records only; the rules for durations and the Discord side live in ``bot.moderation``
and the cogs, the rows in the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

#: What each audited action is called in the log, by its key.
ACTIONS: Mapping[str, str] = {
    "lock": "locked",
    "unlock": "unlocked",
    "archive": "archived",
    "reopen": "reopened",
    "close-after": "set to close",
    "close-cancel": "cancelled the close of",
    "close": "closed on schedule",
    "hide": "hid",
    "restore": "restored",
    "settings": "changed settings",
}


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One moderator action: who (actor), what (action), on what, why (reason), when (at).

    "On what" is the thread and comment it touched, if any, and ``target``: a short
    description in plain text (a title, whose comment, which settings).
    """

    guild_id: int
    actor_id: int
    action: str
    target: str
    at: datetime
    thread_id: int | None = None
    reason: str | None = None
    id: int | None = None
    comment_id: int | None = None
    #: The channel it was about, when not a thread (a prompt posted or previewed there).
    channel_id: int | None = None

    @property
    def verb(self) -> str:
        return ACTIONS.get(self.action, f"ran /{self.action}")


@dataclass(frozen=True, slots=True)
class CloseTimer:
    """A thread to lock at ``due_at``; kept in the store so it survives restarts."""

    thread_id: int
    guild_id: int
    due_at: datetime
    set_by: int
    set_at: datetime
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class HiddenComment:
    """Why a comment is hidden: it stays stored, but is left out of exports and stats."""

    comment_id: int
    hidden_by: int
    hidden_at: datetime
    reason: str
    notice_id: int | None = None

