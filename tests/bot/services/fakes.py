"""A platform for the services that is no chat platform at all: it notes what it is asked.

It implements the protocols of ``bot.services.platform`` with plain lists, which is
what a second adapter (Slack) would do with its own API.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.films import FilmRecord
from bot.models import Article, Comment, Prompt
from bot.records.audit import AuditEntry
from bot.records.server_settings import GuildSettings
from bot.services.platform import Published, TryLater


class Refused(Exception):
    """The fake platform's own refusal (as discord.Forbidden is Discord's)."""


@dataclass
class FakePlatform:
    """Every protocol at once; ``closing``/``posting`` say how the next call goes."""

    announced: list[AuditEntry] = field(default_factory=list)
    told: list[tuple[int | None, str]] = field(default_factory=list)
    closed: list[tuple[int, str]] = field(default_factory=list)
    marks: dict[int, int] = field(default_factory=dict)
    posts: list[tuple[int, int, str, str | None]] = field(default_factory=list)
    after_publish: list[int] = field(default_factory=list)
    servers: set[int] = field(default_factory=set)
    channels: dict[int, int] = field(default_factory=dict)  # channel -> server
    closing: str | type[Exception] | None = None
    refuse_marks: bool = False
    next_id: int = 1_000

    def problem(self, exc: BaseException) -> str | None:
        return f"refused: {exc}" if isinstance(exc, Refused) else None

    async def announce(self, entry: AuditEntry) -> None:
        self.announced.append(entry)

    async def tell_moderators(self, guild_id: int, text: str) -> None:
        self.told.append((guild_id, text))

    async def tell_every_server(self, text: str) -> None:
        self.told.append((None, text))

    async def close_thread(self, thread_id: int, notice: str) -> str | None:
        if isinstance(self.closing, type):
            raise self.closing("the platform's servers failed")
        self.closed.append((thread_id, notice))
        return self.closing

    async def mark_hidden(self, guild_id: int, comment: Comment, notice: str) -> int:
        if self.refuse_marks:
            raise Refused("no access to that thread")
        self.next_id += 1
        self.marks[self.next_id] = comment.id
        return self.next_id

    async def unmark_hidden(self, guild_id: int, comment: Comment, notice_id: int) -> None:
        del self.marks[notice_id]

    def knows_server(self, guild_id: int) -> bool:
        return guild_id in self.servers

    def server_available(self, guild_id: int) -> bool:
        return guild_id in self.servers

    def server_of_channel(self, channel_id: int) -> int | None:
        return self.channels.get(channel_id)

    def check_channel(self, guild_id: int, channel_id: int | None) -> int:
        from bot.errors import NotFound

        if channel_id is None or self.channels.get(channel_id) != guild_id:
            raise NotFound(f"channel {channel_id} is not a channel of this server")
        return channel_id

    async def publish(self, guild_id: int, channel_id: int, article: Article,
                      settings: GuildSettings, question: str | None,
                      spoilers: bool = False, film: FilmRecord | None = None) -> Published:
        self.next_id += 2
        self.posts.append((guild_id, channel_id, article.slug, question))
        return Published(channel_id, self.next_id - 1, self.next_id)

    def published(self, prompt: Prompt, posted: Published) -> None:
        self.after_publish.append(prompt.thread_id)


__all__ = ["FakePlatform", "Refused", "TryLater"]
