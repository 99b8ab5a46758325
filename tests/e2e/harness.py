"""Run the real bot (the same class and start-up path as `filmclub run`) against the emulator."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord
import yarl

from bot.config import from_env
from bot.emulator import DiscordEmulator, Permissions
from bot.models import Comment
from cogs.support.client import FilmClub
from cogs.support.startup import serve

log = logging.getLogger(__name__)

ROOT = Path(__file__).parents[2]
TOKEN = "emulated.bot.token-0123456789"
MODERATOR = Permissions.DEFAULT | Permissions.MANAGE_MESSAGES | Permissions.MANAGE_THREADS


@dataclass
class World:
    """A server with a film channel, a moderator and five members."""

    emu: DiscordEmulator
    guild: Any
    channel: Any
    lobby: Any  # a channel the harness uses to know the bot has caught up
    mod: Any
    members: list[Any]
    db_path: Path
    articles: Path = ROOT / "data" / "articles"
    extra_env: dict[str, str] = field(default_factory=dict)
    #: Issue 15: a PostgreSQL database (its URL) the bot uses instead of db_path.
    db_url: str | None = None

    @property
    def database(self) -> str:
        """FILMCLUB_DB: the PostgreSQL URL, else the SQLite file."""
        return self.db_url if self.db_url is not None else str(self.db_path)

    def env(self) -> dict[str, str]:
        """The environment `filmclub run` would be started with."""
        return {
            "DISCORD_TOKEN": self.emu.token,
            "FILMCLUB_DB": self.database,
            "FILMCLUB_ARTICLES": str(self.articles),
            "DISCORD_API_BASE": self.emu.api_base,
            "DISCORD_GATEWAY_URL": self.emu.gateway_url,
            "FILMCLUB_GUILD_READY_TIMEOUT": "0.05",
            "LOG_LEVEL": "INFO",
            "FILMCLUB_FILM_LOOKUP": "off",  # no internet in tests: films come from a fake
            **self.extra_env,
        }


async def make_world(emu: DiscordEmulator, tmp_path: Path) -> World:
    guild = emu.add_guild("Film Club")
    channel = emu.add_text_channel(guild.id, "films")
    lobby = emu.add_text_channel(guild.id, "lobby")
    mod = emu.add_member(guild.id, "Mia Moderator", permissions=MODERATOR)
    names = ["Ana", "Ben", "Cy", "Dee", "Eve"]
    members = [emu.add_member(guild.id, name) for name in names]
    return World(emu, guild, channel, lobby, mod, members, tmp_path / "filmclub.db")


class RunningBot:
    """The bot started through `serve` (what `filmclub run` runs) on the test's loop."""

    def __init__(self, world: World, configure: Callable[[FilmClub], None] | None = None) -> None:
        self.world = world
        #: Called with the bot before it starts (e.g. to give it a test clock).
        self.configure = configure
        self.bot: FilmClub | None = None
        self.stop_event = asyncio.Event()
        self.task: asyncio.Task[int] | None = None

    async def start(self, timeout: float = 15) -> FilmClub:
        config = from_env(self.world.env())
        bots: list[FilmClub] = []

        def started(bot: FilmClub) -> None:
            if self.configure is not None:
                self.configure(bot)
            bots.append(bot)

        self.task = asyncio.create_task(serve(config, stop=self.stop_event, on_start=started))
        deadline = asyncio.get_running_loop().time() + timeout
        while not bots:
            if self.task.done():
                self.task.result()  # raises what start-up raised
                raise AssertionError("the bot stopped before it started")
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("the bot did not start")
            await asyncio.sleep(0.01)
        self.bot = bots[0]
        waiter = asyncio.ensure_future(self.bot.wait_until_ready())
        done, _ = await asyncio.wait({waiter, self.task}, timeout=timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        if self.task in done:
            waiter.cancel()
            self.task.result()
            raise AssertionError("the bot stopped during start-up")
        if waiter not in done:
            waiter.cancel()
            raise TimeoutError("the bot did not become ready")
        return self.bot

    async def stop(self) -> int:
        assert self.task is not None
        self.stop_event.set()
        return await asyncio.wait_for(self.task, 15)

    async def settle(self) -> None:
        """Return once the bot has handled every event sent so far and committed it.

        A sentinel message goes last through the same gateway; discord.py handles
        frames in order, so once the bot has seen it, it has seen everything before.
        """
        assert self.bot is not None
        marker = f"settle-{uuid.uuid4().hex}"
        seen = asyncio.ensure_future(self.bot.wait_for(
            "message", check=lambda m: m.content == marker, timeout=10))
        await asyncio.sleep(0)
        await self.world.emu.say(self.world.mod.id, self.world.lobby.id, marker)
        await seen
        await asyncio.sleep(0)  # listener tasks scheduled before the sentinel run first
        await self.bot.store.flush()

    async def comments(self, thread_id: int) -> list[Comment]:
        assert self.bot is not None
        await self.settle()
        return [c async for c in self.bot.store.iter_comments(thread_id)]


@contextlib.contextmanager
def discord_endpoints_restored():
    """The bot points discord.py's class-level endpoints at the emulator; put them back."""
    base = discord.http.Route.BASE
    gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    try:
        yield
    finally:
        discord.http.Route.BASE = base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(str(gateway))
