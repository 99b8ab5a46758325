"""What the emulator's self-tests share: a quick discord.py client that records its events,
and the scene they play in."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import discord
from discord.ext import commands

from bot.emulator import ChannelRef, GuildRef, MemberRef

TIMEOUT = 5


class Recorder:
    """Collects the client's events by name so tests can await them."""

    def __init__(self) -> None:
        self._queues: dict[str, asyncio.Queue[tuple[Any, ...]]] = defaultdict(asyncio.Queue)

    def listener(self, name: str) -> Any:
        async def record(*args: Any) -> None:
            await self._queues[name].put(args)

        return record

    async def next(self, name: str, timeout: float = TIMEOUT) -> tuple[Any, ...]:
        async with asyncio.timeout(timeout):
            return await self._queues[name].get()


class QuickBot(commands.Bot):
    """A Bot that re-identifies at once (discord.py waits 5 s, as Discord asks of real bots)."""

    def __init__(self, intents: discord.Intents) -> None:
        super().__init__(command_prefix="!", intents=intents, guild_ready_timeout=0.05)
        self.recorder = Recorder()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


RECORDED = (
    "message", "raw_message_edit", "raw_message_delete", "raw_bulk_message_delete",
    "raw_reaction_add", "raw_reaction_remove", "raw_reaction_clear", "raw_reaction_clear_emoji",
    "thread_create", "raw_thread_update", "resumed", "ready",
)


@dataclass(frozen=True)
class Scene:
    """The server the tests play in."""

    guild: GuildRef
    films: ChannelRef
    forum: ChannelRef
    mod: MemberRef
    alice: MemberRef
    bob: MemberRef
