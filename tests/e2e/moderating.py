"""Helpers for issue 5's end-to-end tests: run a command and read its private answer."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, cast

from bot.emulator.interactions import InteractionRecord
from bot.models import utcnow
from cogs.discussion import Discussion
from tests.e2e.harness import RunningBot, World

#: What Discord's link to a message looks like in answers.
LINK = "https://discord.com/channels/{guild}/{channel}/{message}"


def answered(inter: InteractionRecord) -> bool:
    """The bot has said what it has to say: a reply, or a deferral and its follow-up."""
    return inter.response_type == 4 or (inter.response_type == 5 and bool(inter.followups))


async def run(world: World, user: Any, channel: Any, name: str,
              options: dict[str, Any] | None = None) -> InteractionRecord:
    """``user`` runs ``/name`` in ``channel``; returns once the bot answered."""
    inter = await world.emu.invoke(getattr(user, "id", user), getattr(channel, "id", channel),
                                   name, options or {})
    await inter.wait_for(answered)
    return inter


def message(inter: InteractionRecord) -> dict[str, Any]:
    """The answer as a message (the follow-up after a deferral)."""
    found = inter.followups[-1] if inter.followups else inter.original
    assert found is not None, inter.summary()
    return found


def text(inter: InteractionRecord) -> str:
    """The answer's text, with its embeds' titles, descriptions and fields."""
    found = message(inter)
    parts = [found.get("content") or ""]
    for embed in found.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields") or []]
        parts.append((embed.get("footer") or {}).get("text") or "")
    return "\n".join(p for p in parts if p)


def one_line_refusal(inter: InteractionRecord) -> str:
    """The private one-line answer of a refused or failed command."""
    assert inter.ephemeral, inter.summary()
    line = text(inter)
    assert "\n" not in line, line
    return line


def discussion(runner: RunningBot) -> Discussion:
    """The running bot's /discussion cog (its own copy of the class: loaded as an extension)."""
    assert runner.bot is not None
    found = runner.bot.get_cog("Discussion")
    assert found is not None and type(found).__name__ == "Discussion"
    return cast(Discussion, found)


def buttons(msg: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The message's buttons by label."""
    found = {}
    for row in msg.get("components") or []:
        for item in row.get("components") or []:
            if item.get("type") == 2:
                found[item.get("label")] = item
    return found


async def forget_confirmed(world: World, user: Any) -> tuple[str, str]:
    """Run /forget as ``user`` and press "Forget my data": the question's text and the
    answer the confirmation ends with (the one starting "Done.")."""
    forget = await run(world, user, world.lobby, "forget")
    question = message(forget)
    confirm = await world.emu.click(user.id, question["id"],
                                    buttons(question)["Forget my data"]["custom_id"])
    await confirm.wait_for(lambda r: r.original is not None
                           and (r.original.get("content") or "").startswith("Done."))
    return text(forget), (confirm.original or {}).get("content", "")


def dump(world: World) -> list[str]:
    """Everything in the database but the meta table, as text (to compare states)."""
    if world.db_url is not None:  # issue 15: the bot on PostgreSQL
        return _pg_dump(world.db_url)
    with sqlite3.connect(world.db_path) as db:
        return [line for line in db.iterdump() if "INSERT INTO \"meta\"" not in line]


def _pg_dump(url: str) -> list[str]:
    """Every row of every table but meta, table by table, in a stable order."""
    import asyncpg

    async def read() -> list[str]:
        conn = await asyncpg.connect(url)
        try:
            tables = [r[0] for r in await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                " AND tablename != 'meta' ORDER BY tablename")]
            lines = []
            for table in tables:
                rows = await conn.fetch(f'SELECT * FROM "{table}"')  # noqa: S608 - catalog names
                lines += sorted(f"{table} {tuple(row)!r}" for row in rows)
            return lines
        finally:
            await conn.close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # called from a running loop
        return pool.submit(asyncio.run, read()).result()


async def post(world: World, slug: str = "vertigo-the-second-fall") -> int:
    """The moderator posts ``slug`` as a prompt in the film channel; returns the thread id."""
    before = set(world.emu.threads)
    inter = await run(world, world.mod, world.channel, "prompt post",
                      {"article": slug, "channel": world.channel.id})
    new = [t for t in world.emu.threads if t not in before]
    assert len(new) == 1, text(inter)
    return new[0]


class Clock:
    """The bot's clock in a test: real time until the test moves it forward."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


def with_clock(world: World, clock: Clock) -> RunningBot:
    """A bot (not started yet) whose clock is ``clock`` from the start."""
    return RunningBot(world, configure=lambda bot: setattr(bot, "clock", clock))


@contextlib.asynccontextmanager
async def started(world: World, clock: Clock | None = None) -> AsyncIterator[RunningBot]:
    """A running bot, stopped at the end whatever happens (it must exit 0 if all went well)."""
    runner = RunningBot(world) if clock is None else with_clock(world, clock)
    await runner.start()
    try:
        yield runner
    except BaseException:
        if runner.task is not None and not runner.task.done():
            await runner.stop()
        raise
    if runner.task is not None and not runner.task.done():
        assert await runner.stop() == 0


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 5) -> None:
    """Wait until the async ``check`` holds (polling: for state inside the bot's store)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.02)
