"""The database on a 1 MiB filesystem that fills up mid-flood: no comment is lost.

The bot runs against the emulator with its database on a tmpfs of 1 MiB (mounting it
needs root; the test skips with that reason otherwise). Members flood a prompt thread
with 20,000 messages; the disk fills; the bot says so once in the log channel, refuses
to report writes it did not make, and keeps answering. The filesystem is then grown:
the writer writes what it kept, and catch-up reads back from Discord what it could not
keep. At the end the store holds every message the emulator has, once.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.errors import StoreError
from tests.e2e.catchup_helpers import caught_up
from tests.e2e.harness import RunningBot, World
from tests.e2e.test_discussion import post_prompt
from tests.store.test_storage_trouble import fill, grow, small_filesystem

SENT = 20_000


async def seen_everything(world: World, runner: RunningBot) -> None:
    """Return once the bot has read every gateway event sent so far (without a flush)."""
    assert runner.bot is not None
    marker = f"seen-{uuid.uuid4().hex}"
    seen = asyncio.ensure_future(runner.bot.wait_for(
        "message", check=lambda m: m.content == marker, timeout=120))
    await asyncio.sleep(0)
    await world.emu.say(world.mod.id, world.lobby.id, marker)
    await seen


def storage_notes(world: World, channel_id: int) -> list[dict[str, Any]]:
    """What the bot said in the log channel about its database: every message there but
    the audit lines ('📋 …'). /prompt post is audited by a listener that runs after its
    answer, so its line may land in the log channel set just after, or not."""
    return [m for m in world.emu.messages_in(channel_id)
            if not (m.get("content") or "").startswith("📋 ")]


async def test_a_full_disk_loses_no_comment(world: World, tmp_path: Path) -> None:
    """20,000 messages into a 1 MiB filesystem: each is stored or caught up; none lost."""
    log_channel = world.emu.add_text_channel(world.guild.id, "mod-log")
    with small_filesystem(tmp_path / "disk") as disk:
        world.db_path = disk / "filmclub.db"
        # A smaller memory than the default (50,000 events), so that some of the flood
        # cannot be kept and must come back through catch-up.
        runner = RunningBot(world, configure=lambda bot: setattr(bot.store, "max_pending", 2000))
        await runner.start()
        try:
            bot = runner.bot
            assert bot is not None
            await caught_up(runner)
            thread = await post_prompt(world, runner)
            settings = await bot.store.get_settings(world.guild.id)
            await bot.store.save_settings(replace(settings, log_channel_id=log_channel.id))
            await runner.settle()

            members = world.members
            messages = [world.emu.build_message(members[i % len(members)].id, thread,
                                                f"message {i}: " + "words " * 30)
                        for i in range(SENT)]
            for start in range(0, SENT, 1000):
                await world.emu.dispatch_many([("MESSAGE_CREATE", m)
                                               for m in messages[start:start + 1000]])
            await seen_everything(world, runner)
            assert bot.store.trouble is not None, "the disk never filled"
            with pytest.raises(StoreError, match="database or disk is full"):
                await bot.store.flush()
            stored_while_full = len([c async for c in bot.store.iter_comments(thread)])
            told = storage_notes(world, log_channel.id)
            assert len(told) == 1 and told[0]["content"].startswith(
                "⚠️ I cannot write to my database (database or disk is full)")
            assert "\n" not in told[0]["content"]

            cog = await caught_up(runner)
            runs_before = cog.runs
            grow(disk, "256m")
            await world.emu.wait_until(lambda: len(storage_notes(world, log_channel.id)) == 2,
                                       120)
            await caught_up(runner, runs_before + 1, timeout=300)
            await runner.settle()
            stored = {c.id for c in await runner.comments(thread)}
            report = cog.last_report
            assert report is not None
            recovered = report.total("added")
            on_discord = {int(m["id"]) for m in messages}
            lost = len(on_discord - stored)
            print(f"full disk: {SENT} messages sent, {stored_while_full} stored before the disk "
                  f"was grown, {SENT - recovered} stored directly, {recovered} recovered by "
                  f"catch-up, lost {lost}")
            assert stored == on_discord and lost == 0
            assert recovered > 0  # some could not be kept: catch-up brought them back
            back = storage_notes(world, log_channel.id)[1]["content"]
            assert back.startswith("✅ My database can be written again")
            assert "reading them back from Discord" in back
        finally:
            assert await runner.stop() == 0


async def test_an_export_on_a_full_disk_fails_in_one_line_and_leaves_nothing(
        world: World, tmp_path: Path) -> None:
    """FILMCLUB_EXPORT_TMP on a full filesystem: one line, no file left; with room, it works."""
    with small_filesystem(tmp_path / "exportdisk") as disk:
        folder = disk / "exports"
        folder.mkdir()
        ballast = fill(disk)
        world.extra_env["FILMCLUB_EXPORT_TMP"] = str(folder)
        runner = RunningBot(world)
        await runner.start()
        try:
            thread = await post_prompt(world, runner)
            for i in range(40):
                await world.emu.say(world.members[i % 5].id, thread, f"{i}: " + "long " * 100)
            await runner.settle()

            inter = await world.emu.invoke(world.mod.id, thread, "export", {"format": "md"})
            await inter.wait_for(lambda i: bool(i.followups), timeout=30)
            answer = inter.followups[-1]["content"]
            assert answer.startswith("cannot write ") and "No space left on device" in answer
            assert "\n" not in answer and str(disk) not in answer and inter.files == []
            assert list(folder.iterdir()) == []  # nothing left behind

            ballast.unlink()
            inter = await world.emu.invoke(world.mod.id, thread, "export", {"format": "md"})
            await inter.wait_for(lambda i: bool(i.files))
            (name, data), = inter.files
            assert name.endswith(".md") and b"long long" in data
            # removed once sent (the bot may still be finishing as the file arrives)
            deadline = asyncio.get_running_loop().time() + 30
            while any(folder.iterdir()):
                assert asyncio.get_running_loop().time() < deadline, "the folder stayed"
                await asyncio.sleep(0.02)
        finally:
            assert await runner.stop() == 0
