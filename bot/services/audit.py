"""The audit trail: moderator actions stored, then shown where the server reads them.

Features that act on something (lock a thread, hide a comment, change a setting)
record their own entry, with what they did. Every other moderator command that
completes is recorded here too, with its options: :meth:`AuditTrail.command_done`
decides which, from a plain :class:`CompletedCommand` the adapter hands in.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.card import fit
from bot.records.audit import AuditEntry
from bot.services.platform import AuditAnnouncer
from bot.store.base import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CompletedCommand:
    """A command that completed, as the adapter saw it."""

    guild_id: int
    actor_id: int
    #: The command's full name without its slash: "prompt post", "export".
    name: str
    #: Who the command is for: "members", "exporters", "moderators" or "admins".
    audience: str
    #: Whether the check judged the member a moderator (for commands open to exporters).
    moderator: bool
    #: The options as given, leaf by leaf: (name, value).
    options: tuple[tuple[str, Any], ...]
    #: The prompt thread it acted on, else the channel it acted on, if any.
    thread_id: int | None = None
    channel_id: int | None = None


class AuditTrail:
    """Store audit entries and announce them; audit the commands that do not themselves."""

    def __init__(self, store: Store, announcer: AuditAnnouncer,
                 clock: Callable[[], datetime]) -> None:
        self.store = store
        self.announcer = announcer
        self.clock = clock
        self._own: set[str] = set()

    async def record(self, entry: AuditEntry) -> AuditEntry:
        """Store the action, then announce it (the server's log channel, if it has one)."""
        saved = await self.store.add_audit(entry)
        await self.announce(saved)
        return saved

    async def announce(self, saved: AuditEntry) -> None:
        """Announce an entry already stored (with the change it records, in one transaction)."""
        await self.announcer.announce(saved)

    def records_own(self, names: Iterable[str]) -> None:
        """These commands record their own entries: :meth:`command_done` leaves them out."""
        self._own.update(names)

    def forget_own(self, names: Iterable[str]) -> None:
        """The commands went (their feature was unloaded)."""
        self._own.difference_update(names)

    def audited(self, command: CompletedCommand) -> bool:
        """Whether a completed command gets an entry of its own here."""
        if command.name in self._own or command.audience == "members":
            return False
        return command.audience != "exporters" or command.moderator

    async def command_done(self, command: CompletedCommand) -> AuditEntry | None:
        """Record a completed moderator command with its options; the entry, if one."""
        if not self.audited(command):
            return None
        shown = ", ".join(f"{name}={json.dumps(value, ensure_ascii=False)}"
                          for name, value in command.options)
        try:
            return await self.record(AuditEntry(
                guild_id=command.guild_id, actor_id=command.actor_id, action=command.name,
                target=fit(shown or "(no options)", 300), at=self.clock(),
                thread_id=command.thread_id, channel_id=command.channel_id,
            ))
        except Exception:
            log.exception("could not audit /%s by %d", command.name, command.actor_id)
            return None
