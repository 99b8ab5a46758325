"""Helpers shared by the catch-up, crash and rate-limit tests (issue 6)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from typing import Any

from bot.emulator import DiscordEmulator
from bot.models import Comment
from bot.services.catchup_runs import CatchUpRuns
from tests.e2e.harness import RunningBot, World


def catch_up_cog(runner: RunningBot) -> CatchUpRuns:
    """The running bot's catch-up runs (the service its catch-up extension starts)."""
    assert runner.bot is not None
    assert runner.bot.get_cog("CatchUpCog") is not None
    return runner.bot.catch_ups


async def caught_up(runner: RunningBot, runs: int = 1, timeout: float = 30) -> CatchUpRuns:
    """Wait until the bot's background catch-up has finished ``runs`` times and is idle."""
    cog = catch_up_cog(runner)
    await asyncio.wait_for(cog.wait_idle(runs), timeout)
    return cog


async def restart(world: World, runner: RunningBot | None = None) -> RunningBot:
    """Stop ``runner`` (exit 0) if given, start a new bot and wait for its first catch-up."""
    if runner is not None:
        assert await runner.stop() == 0
    fresh = RunningBot(world)
    await fresh.start()
    await caught_up(fresh)
    return fresh


def discord_view(emu: DiscordEmulator, thread: int) -> dict[int, dict[str, Any]]:
    """The emulator's own record of a thread's members' messages: text, edit time, reactions."""
    view = {}
    for msg in emu.messages_in(thread):
        if msg["author"].get("bot") or msg["type"] not in (0, 19):
            continue
        reactions = {(user, emoji) for emoji, users in emu.reactions_of(msg["id"]).items()
                     for user in users}
        view[int(msg["id"])] = {
            "content": msg["content"], "edited": msg["edited_timestamp"] is not None,
            "reactions": reactions,
        }
    return view


def store_view(comments: list[Comment]) -> dict[int, dict[str, Any]]:
    """The store's live (not deleted) comments in the same shape as ``discord_view``."""
    return {
        c.id: {"content": c.content, "edited": c.edited_at is not None,
               "reactions": {(r.user_id, r.emoji) for r in c.reactions}}
        for c in comments if not c.deleted
    }


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 5) -> None:
    """Wait until ``check()`` holds (for effects of listeners that run as tasks)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    for _ in itertools.count():
        if await check():
            return
        if loop.time() > deadline:
            raise TimeoutError(f"not true within {timeout}s")
        await asyncio.sleep(0.02)
