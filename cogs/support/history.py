"""Discord's messages as the core's records: the rules of live capture and of catch-up.

``comment_event`` and ``is_member_message`` turn a discord.py message into the store's
create event, for live capture (``cogs/capture.py``) and catch-up alike.
``DiscordHistory`` is the Discord side of ``bot.catchup.HistorySource``: what Discord
shows of prompt threads, read through discord.py's HTTP client (which keeps to
Discord's rate limits), turned into plain records with the same rules as live capture.
It needs only a ``discord.Client``: ``filmclub catch-up`` uses it without a gateway.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Collection
from dataclasses import replace
from typing import Any

import discord

from bot.catchup import FetchedMessage, ThreadInfo
from bot.errors import ThreadUnavailable
from bot.models import Attachment, MessageCreated

log = logging.getLogger(__name__)

#: Message types that are people talking (plain messages and replies), not system notices.
CONVERSATION_TYPES = frozenset({discord.MessageType.default, discord.MessageType.reply})


def comment_event(message: discord.Message) -> MessageCreated:
    """A Discord message as the store's create event."""
    reference = message.reference
    parent = None
    if (reference is not None and reference.message_id
            and reference.channel_id == message.channel.id):
        parent = reference.message_id
    return MessageCreated(
        id=message.id,
        thread_id=message.channel.id,
        author_id=message.author.id,
        author_name=message.author.display_name,
        content=message.content,
        parent_id=parent,  # created_at: the time in the id, worked out by the store
        attachments=tuple(
            Attachment(a.id, a.filename, a.url, a.size, a.content_type)
            for a in message.attachments
        ) if message.attachments else (),
        edited_at=message.edited_at,
    )


def is_member_message(message: discord.Message) -> bool:
    """A person talking: not a bot, a webhook or a system notice."""
    return (
        not message.author.bot
        and message.webhook_id is None
        and message.type in CONVERSATION_TYPES
    )


PAGE = 100  # Discord's largest page of messages or reaction users


def _thread_info(data: dict[str, Any]) -> ThreadInfo:
    meta = data.get("thread_metadata") or {}
    stamp = meta.get("archive_timestamp")
    return ThreadInfo(
        id=int(data["id"]), archived=bool(meta.get("archived")),
        archived_at=discord.utils.parse_time(stamp) if stamp else None,
    )


def _unavailable(thread_id: int, error: discord.HTTPException) -> ThreadUnavailable:
    if isinstance(error, discord.NotFound):
        return ThreadUnavailable(
            thread_id, f"thread {thread_id} no longer exists on Discord; its history is kept",
            gone=True)
    return ThreadUnavailable(
        thread_id, f"Discord refuses me access to thread {thread_id} ({error.text or 'Forbidden'})"
        "; its history is kept", gone=False)


def reaction_route_emoji(emoji: str) -> str:
    """An emoji as the reactions route wants it: the character, or ``name:id``."""
    partial = discord.PartialEmoji.from_str(emoji)
    return f"{partial.name}:{partial.id}" if partial.id else emoji


class DiscordHistory:
    """What Discord shows of prompt threads, read through discord.py's HTTP client."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client
        self._guild_of: dict[int, int] = {}

    async def open_threads(self, guild_ids: Collection[int]) -> dict[int, ThreadInfo]:
        found: dict[int, ThreadInfo] = {}
        for guild_id in guild_ids:
            try:
                data = await self.client.http.get_active_threads(guild_id)
            except discord.HTTPException as exc:
                log.warning("catch-up: cannot list open threads of server %d: %s", guild_id, exc)
                continue
            for thread in data.get("threads", []):
                info = _thread_info(dict(thread))
                found[info.id] = info
                self._guild_of[info.id] = guild_id
        return found

    async def thread(self, thread_id: int) -> ThreadInfo:
        try:
            data = await self.client.http.get_channel(thread_id)
        except (discord.NotFound, discord.Forbidden) as exc:
            raise _unavailable(thread_id, exc) from exc
        if "guild_id" in data:
            self._guild_of[thread_id] = int(data["guild_id"])
        return _thread_info(dict(data))

    def _channel(self, thread_id: int) -> discord.abc.Messageable:
        cached = self.client.get_channel(thread_id)
        if isinstance(cached, discord.Thread):
            return cached
        return self.client.get_partial_messageable(
            thread_id, guild_id=self._guild_of.get(thread_id),
            type=discord.ChannelType.public_thread)

    async def messages(self, thread_id: int, after_id: int) -> AsyncIterator[FetchedMessage]:
        channel = self._channel(thread_id)
        history = channel.history(limit=None, after=discord.Object(after_id), oldest_first=True)
        try:
            async for message in history:
                if not is_member_message(message):
                    continue
                comment = comment_event(message)
                name = self._member_name(message)
                if name is not None and name != comment.author_name:
                    comment = replace(comment, author_name=name)
                yield FetchedMessage(comment, tuple(str(r.emoji) for r in message.reactions))
        except (discord.NotFound, discord.Forbidden) as exc:
            raise _unavailable(thread_id, exc) from exc

    def _member_name(self, message: discord.Message) -> str | None:
        """The author's name in the server (as live capture stores it), when cached."""
        guild = self.client.get_guild(self._guild_of.get(message.channel.id, 0))
        if guild is None and isinstance(message.channel, discord.Thread):
            guild = message.channel.guild
        member = guild.get_member(message.author.id) if guild is not None else None
        return member.display_name if member is not None else None

    async def reactors(self, thread_id: int, message_id: int, emoji: str) -> list[int]:
        me = self.client.user.id if self.client.user else None
        route_emoji = reaction_route_emoji(emoji)
        users: list[int] = []
        after: int | None = None
        while True:
            try:
                page = await self.client.http.get_reaction_users(
                    thread_id, message_id, route_emoji, PAGE, after=after)
            except discord.NotFound:
                return users  # the message (or that reaction) went meanwhile
            except discord.Forbidden as exc:
                raise _unavailable(thread_id, exc) from exc
            users.extend(int(u["id"]) for u in page if int(u["id"]) != me)
            if len(page) < PAGE:
                return users
            after = int(page[-1]["id"])
