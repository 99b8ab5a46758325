"""What the services need from a chat platform: the protocols an adapter implements.

Each protocol is small and speaks in ids and core records, never in a platform's
objects. ``cogs/`` implements them for Discord (see each service for which class);
the platform's own refusals (a missing permission, a channel gone) are told apart
from the core's by :meth:`Platform.problem`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.films import FilmRecord
from bot.models import Article, Comment, Prompt
from bot.records.audit import AuditEntry
from bot.records.server_settings import GuildSettings


class TryLater(Exception):
    """The platform could not do it now (its servers failed): try again later."""


class Platform(Protocol):
    """What every adapter can say about the platform's own errors."""

    def problem(self, exc: BaseException) -> str | None:
        """A one-line description of the platform's refusal ``exc``, or None when ``exc``
        is not one (then it is a fault and propagates)."""
        ...


class AuditAnnouncer(Protocol):
    """Where a stored audit entry is shown (a server's log channel)."""

    async def announce(self, entry: AuditEntry) -> None: ...


class ModeratorNotices(Protocol):
    """Where the bot tells a server's moderators something (a log channel)."""

    async def tell_moderators(self, guild_id: int, text: str) -> None:
        """Tell one server's moderators ``text`` (their log channel, else the log)."""
        ...

    async def tell_every_server(self, text: str) -> None:
        """Tell every server's moderators ``text``: a problem of the bot's own."""
        ...


class Noticeboard(AuditAnnouncer, ModeratorNotices, Protocol):
    """Where moderators read the bot: audit entries and notices (a server's log channel)."""


@dataclass(frozen=True, slots=True)
class Published:
    """A prompt as the platform posted it: its message and its thread."""

    channel_id: int
    message_id: int
    thread_id: int
    #: The adapter's own objects (the message and thread), handed back to it unread.
    handle: object = None


class PromptPoster(Platform, ModeratorNotices, Protocol):
    """Where prompts are posted, and what the scheduler needs to know of the servers."""

    def knows_server(self, guild_id: int) -> bool:
        """Whether the bot is in the server."""
        ...

    def server_available(self, guild_id: int) -> bool:
        """Whether the bot can act in the server now (in it, and no outage there)."""
        ...

    def server_of_channel(self, channel_id: int) -> int | None:
        """The server a channel belongs to, when the platform says."""
        ...

    def check_channel(self, guild_id: int, channel_id: int | None) -> int:
        """``channel_id`` if prompts can go there in the server, else NotFound."""
        ...

    async def publish(self, guild_id: int, channel_id: int, article: Article,
                      settings: GuildSettings, question: str | None,
                      spoilers: bool = False, film: FilmRecord | None = None) -> Published:
        """Post the prompt and open its thread: both, or neither (``spoilers``: as a
        spoiler thread, issue 18)."""
        ...

    def published(self, prompt: Prompt, posted: Published) -> None:
        """A prompt was recorded: tell the rest of the adapter (called after the store)."""
        ...


class ThreadCloser(Platform, AuditAnnouncer, Protocol):
    """What close timers need: lock a thread, saying why in it."""

    async def close_thread(self, thread_id: int, notice: str) -> str | None:
        """Lock the thread after posting ``notice`` in it (unless archived); None when
        done, else what stopped it ('it was locked already'); TryLater to retry."""
        ...


class CommentMarker(Platform, Protocol):
    """What hiding a comment leaves in its thread: a short reply, removed on restore."""

    async def mark_hidden(self, guild_id: int, comment: Comment, notice: str) -> int:
        """Reply to the comment with ``notice``; the reply's id."""
        ...

    async def unmark_hidden(self, guild_id: int, comment: Comment, notice_id: int) -> None:
        """Remove the reply ``notice_id`` made by :meth:`mark_hidden`."""
        ...
