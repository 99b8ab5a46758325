"""Helpers for the prompt-library end-to-end tests: a test clock, a library, commands."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from bot.client import FilmClub
from cogs.prompts import Prompts
from tests.e2e.harness import ROOT, RunningBot, World
from tests.emulator.interactions import InteractionRecord

LIBRARY = Path(__file__).parents[1] / "library"
#: Monday 4 March 2024, 08:00 UTC; 19:30 in Paris that day is 18:30 UTC.
MONDAY = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)
FIRST_SLOT = datetime(2024, 3, 4, 18, 30, tzinfo=UTC)


class Clock:
    """The bot's clock in a test: it only moves when the test moves it."""

    def __init__(self, now: datetime = MONDAY) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def move_to(self, moment: datetime) -> None:
        self.now = moment

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def library(tmp_path: Path, *names: str) -> Path:
    """A library folder holding some of the test articles."""
    folder = tmp_path / "articles"
    folder.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(LIBRARY / name, folder / name)
    return folder


_started: list[RunningBot] = []


async def start(world: World, clock: Clock) -> RunningBot:
    """Start the bot with ``clock`` as its clock (from before it connects)."""
    runner = RunningBot(world, configure=lambda bot: setattr(bot, "clock", clock))
    _started.append(runner)
    await runner.start()
    return runner


async def stop_all() -> None:
    """Stop every bot a test started and left running (it failed before stopping it)."""
    while _started:
        runner = _started.pop()
        if runner.task is not None and not runner.task.done():
            await runner.stop()


def cog(runner: RunningBot) -> Prompts:
    """The running bot's prompts cog (loaded as an extension: its own copy of the class)."""
    assert runner.bot is not None
    found = runner.bot.get_cog("Prompts")
    assert found is not None and type(found).__name__ == "Prompts"
    return cast(Prompts, found)


def bot_of(runner: RunningBot) -> FilmClub:
    assert runner.bot is not None
    return runner.bot


async def command(world: World, name: str, options: dict[str, Any] | None = None, *,
                  user: int | None = None, channel: int | None = None) -> InteractionRecord:
    """Run a slash command (as the moderator, in #films by default) and wait for its answer."""
    inter = await world.emu.invoke(user or world.mod.id, channel or world.channel.id, name,
                                   options or {})
    await inter.wait()
    if inter.deferred:
        await inter.wait_for(lambda i: bool(i.followups))
    return inter


def answer(inter: InteractionRecord) -> str:
    """The text the member saw: the reply, or the last follow-up after a deferral."""
    message = inter.followups[-1] if inter.deferred else inter.response or {}
    return str(message.get("content") or "")


def prompts_in(world: World, channel_id: int) -> list[dict[str, Any]]:
    """The bot's messages with an embed in a channel (the prompts)."""
    return [m for m in world.emu.messages_in(channel_id)
            if m["author"]["id"] == str(world.emu.bot_user_id) and m["embeds"]]


async def recorded(runner: RunningBot, count: int, timeout: float = 10) -> None:
    """Wait until the store holds ``count`` prompts (the bot records one after posting it)."""
    store = bot_of(runner).store
    async with asyncio.timeout(timeout):
        while len(await store.list_prompts()) < count:  # noqa: ASYNC110 - no store event
            await asyncio.sleep(0.01)


async def fire(runner: RunningBot, world: World, clock: Clock, moment: datetime, channel_id: int,
               expect: int) -> list[dict[str, Any]]:
    """Move the clock to ``moment``, wake the scheduler, wait for ``expect`` prompts in total."""
    clock.move_to(moment)
    cog(runner).wake()
    await recorded(runner, expect)
    await runner.settle()
    return prompts_in(world, channel_id)


async def filmclub(world: World, *args: str) -> tuple[int, str, str]:
    """Run the CLI (``python -m bot``, as a user would) against the world's database and library."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "FILMCLUB_"))}
    env.update(PYTHONPATH=str(ROOT), FILMCLUB_DB=str(world.db_path),
               FILMCLUB_ARTICLES=str(world.articles))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=world.db_path.parent, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()
