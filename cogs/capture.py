"""Capture: every message, edit, deletion and reaction in a prompt thread, into the store.

Handlers run inline as discord.py dispatches each event (see
``FilmClub.add_inline_listener``): they see the event exactly as it arrived, cost no
task, and only turn it into a typed record for the store's writer. Raw events are
used, so a message the bot never cached (it restarted, or the cache rolled over)
is handled like any other.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot.models import (
    MessageDeleted,
    MessageEdited,
    ReactionAdded,
    ReactionRemoved,
    ReactionsCleared,
    utcnow,
)
from cogs.support.history import comment_event, is_member_message

if TYPE_CHECKING:
    from cogs.support.client import FilmClub

log = logging.getLogger(__name__)

class Capture(commands.Cog):
    def __init__(self, bot: FilmClub) -> None:
        self.bot = bot
        self.store = bot.store
        #: The store's submit; counting what it is handed when the process keeps metrics.
        self.submit: Callable[[Any], None] = (
            bot.store.submit if bot.metrics is None else bot.metrics.counting(bot.store.submit))
        self.threads = bot.prompt_threads  # the bot's own set: prompts posted later show up
        self._handlers: dict[str, Callable[..., None]] = {
            "message": self.message,
            "raw_message_edit": self.edit,
            "raw_message_delete": self.delete,
            "raw_bulk_message_delete": self.bulk_delete,
            "raw_reaction_add": self.reaction_add,
            "raw_reaction_remove": self.reaction_remove,
            "raw_reaction_clear": self.reaction_clear,
            "raw_reaction_clear_emoji": self.reaction_clear_emoji,
        }

    async def cog_load(self) -> None:
        for event, handler in self._handlers.items():
            self.bot.add_inline_listener(event, handler)

    async def cog_unload(self) -> None:
        for event, handler in self._handlers.items():
            self.bot.remove_inline_listener(event, handler)

    def message(self, message: discord.Message) -> None:
        if message.channel.id in self.threads and is_member_message(message):
            self.submit(comment_event(message))

    def edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        if payload.channel_id not in self.threads:
            return
        data: dict[str, Any] = payload.data  # type: ignore[assignment]
        edited = data.get("edited_timestamp")
        if edited is None or "content" not in data:
            return  # an embed unfolding or a pin: not an edit of the text
        if not is_member_message(payload.message):
            return
        self.submit(MessageEdited(
            id=payload.message_id, thread_id=payload.channel_id, content=data["content"],
            edited_at=datetime.fromisoformat(edited),
        ))

    def delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        if payload.channel_id in self.threads:
            self.submit(MessageDeleted(payload.message_id, payload.channel_id, utcnow()))

    def bulk_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        if payload.channel_id in self.threads:
            now = utcnow()
            for message_id in sorted(payload.message_ids):
                self.submit(MessageDeleted(message_id, payload.channel_id, now))

    def _counts(self, payload: discord.RawReactionActionEvent) -> bool:
        return (
            payload.channel_id in self.threads
            and payload.user_id != getattr(self.bot.user, "id", None)
        )

    def reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        if self._counts(payload):
            member = payload.member  # Discord sends it with reactions in servers
            self.submit(ReactionAdded(
                payload.message_id, payload.channel_id, payload.user_id, str(payload.emoji),
                utcnow(), member.display_name if member is not None else None,
            ))

    def reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        if self._counts(payload):
            self.submit(ReactionRemoved(
                payload.message_id, payload.channel_id, payload.user_id, str(payload.emoji),
                utcnow(),
            ))

    def reaction_clear(self, payload: discord.RawReactionClearEvent) -> None:
        if payload.channel_id in self.threads:
            self.submit(ReactionsCleared(payload.message_id, payload.channel_id, utcnow()))

    def reaction_clear_emoji(self, payload: discord.RawReactionClearEmojiEvent) -> None:
        if payload.channel_id in self.threads:
            self.submit(ReactionsCleared(
                payload.message_id, payload.channel_id, utcnow(), emoji=str(payload.emoji)
            ))


async def setup(bot: FilmClub) -> None:
    await bot.add_cog(Capture(bot))
