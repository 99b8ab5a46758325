"""Hiding and restoring comments: a hidden comment stays in the store, is marked in its
thread by a short reply from the bot, and is left out of exports and stats.

Each change is recorded in the audit log. The mark in the thread is a courtesy: when
the platform refuses it, the comment is hidden all the same and the moderator is told.
The platform posts and removes the mark (:class:`bot.services.platform.CommentMarker`;
for Discord, ``cogs.comments.DiscordMarks``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.card import fit
from bot.errors import FilmclubError, NotFound
from bot.models import Comment, Prompt
from bot.records.audit import AuditEntry, HiddenComment
from bot.services.audit import AuditTrail
from bot.services.platform import CommentMarker
from bot.store.base import Store

log = logging.getLogger(__name__)


def hide_notice(reason: str) -> str:
    """What the thread reads under a hidden comment."""
    return (f"🙈 A moderator hid this comment: {fit(reason, 300)}\n"
            "It is kept, but left out of exports and stats.")


@dataclass(frozen=True, slots=True)
class Hidden:
    """A comment hidden: whether its thread shows the mark."""

    comment: Comment
    marked: bool


class CommentHiding:
    """Hide and restore comments, with their marks and audit records."""

    def __init__(self, store: Store, marker: CommentMarker, audit: AuditTrail,
                 clock: Callable[[], datetime]) -> None:
        self.store = store
        self.marker = marker
        self.audit = audit
        self.clock = clock

    async def hide(self, comment: Comment, prompt: Prompt, moderator_id: int,
                   reason: str) -> Hidden:
        """Hide ``comment`` (of ``prompt``'s thread) for ``reason``."""
        if await self.store.get_hidden(comment.id) is not None:
            raise FilmclubError("That comment is hidden already; /comment restore brings it back.")
        now = self.clock()
        await self.store.hide_comment(HiddenComment(comment.id, moderator_id, now, reason))
        marked = True
        try:
            notice_id = await self.marker.mark_hidden(prompt.guild_id, comment,
                                                     hide_notice(reason))
            await self.store.set_hidden_notice(comment.id, notice_id)
        except Exception as exc:
            if not isinstance(exc, NotFound) and self.marker.problem(exc) is None:
                raise
            log.warning("comment %d hidden, but not marked in its thread: %s", comment.id, exc)
            marked = False
        await self.audit.record(AuditEntry(
            guild_id=prompt.guild_id, actor_id=moderator_id, action="hide",
            target=_whose(comment), at=now, thread_id=comment.thread_id,
            comment_id=comment.id, reason=reason,
        ))
        return Hidden(comment, marked)

    async def restore(self, comment: Comment, prompt: Prompt, moderator_id: int,
                      reason: str | None) -> None:
        """Bring back a hidden comment and remove its mark (if the platform still can)."""
        hidden = await self.store.restore_comment(comment.id)
        if hidden is None:
            raise FilmclubError("That comment is not hidden.")
        if hidden.notice_id is not None:
            try:
                await self.marker.unmark_hidden(prompt.guild_id, comment, hidden.notice_id)
            except Exception as exc:
                if not isinstance(exc, NotFound) and self.marker.problem(exc) is None:
                    raise
                log.info("hide notice %d of comment %d not removed: %s", hidden.notice_id,
                         comment.id, exc)
        await self.audit.record(AuditEntry(
            guild_id=prompt.guild_id, actor_id=moderator_id, action="restore",
            target=_whose(comment), at=self.clock(), thread_id=comment.thread_id,
            comment_id=comment.id, reason=reason,
        ))


def _whose(comment: Comment) -> str:
    return f"a comment by {comment.author_name or comment.author_id}"
