"""Helpers for the prompt-library end-to-end tests: a test clock, a library, commands."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from bot import cli, cli_library
from bot.config import from_env
from bot.emulator.interactions import InteractionRecord
from bot.errors import FilmclubError
from bot.netguard import FetchPolicy
from cogs.prompts import Prompts
from cogs.support.client import FilmClub
from tests.e2e.harness import ROOT, RunningBot, World

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


async def start(world: World, clock: Clock, policy: FetchPolicy | None = None) -> RunningBot:
    """Start the bot with ``clock`` as its clock (from before it connects).

    ``policy``: where it may fetch from instead of the settings' (a test web server's).
    """
    def configure(bot: FilmClub) -> None:
        bot.clock = clock
        if policy is not None:
            bot.fetch_policy = policy

    runner = RunningBot(world, configure=configure)
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
    env.update(PYTHONPATH=str(ROOT), FILMCLUB_DB=world.database,
               FILMCLUB_ARTICLES=str(world.articles))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=world.db_path.parent, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()


async def filmclub_here(world: World, *args: str, policy: FetchPolicy) -> tuple[int, str, str]:
    """``filmclub articles|feeds …`` in this process, where ``policy`` (a test web server's)
    lets the fetcher reach 127.0.0.1, which no setting can; errors worded as the CLI's."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = await cli_library.run(from_env(world.env()),
                                           cli._parser().parse_args(list(args)), policy=policy)
        except FilmclubError as exc:
            status = 2
            err.write(f"filmclub: {exc}\n")
    return status, out.getvalue(), err.getvalue()
