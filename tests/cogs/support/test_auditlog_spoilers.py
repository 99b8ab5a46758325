"""Audit lines about a spoiler thread (issue 18): the log channel and /discussion log."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.records.audit import AuditEntry
from cogs.support.auditlog import audit_line
from cogs.support.ui import LINE_LIMIT

T0 = datetime(2026, 11, 1, 20, 0, tzinfo=UTC)


@pytest.mark.parametrize("reason", ["the nun did it", "x|" * 150, "\\" * 300, "word " * 60])
def test_an_audit_line_about_a_spoiler_thread_hides_its_reason_whole(reason: str) -> None:
    """The reason is one spoiler and the whole line fits a list line, so no cut opens it."""
    entry = AuditEntry(guild_id=10, actor_id=123456789012345678, action="hide",
                       target="a comment by Ana", at=T0, thread_id=1, comment_id=2,
                       reason=reason)
    line = audit_line(entry, spoilers=True)
    shown = line.split(" — ", 1)[1]
    assert shown.startswith("||") and shown.endswith("||"), line
    assert len(line) <= LINE_LIMIT
    assert audit_line(entry).split(" — ", 1)[1][:2] != "||"


def test_a_commands_options_about_a_spoiler_thread_are_hidden() -> None:
    """What a moderator typed into another command's options is hidden too."""
    entry = AuditEntry(guild_id=10, actor_id=1, action="discussion close-after",
                       target='hours=2, reason="after the twist: he dies"', at=T0, thread_id=1)
    line = audit_line(entry, spoilers=True)
    assert "||hours=2" in line and 'he dies"||' in line
    assert "||" not in audit_line(entry)
