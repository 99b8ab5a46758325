"""Limits on exports and whose ``since_last`` it is (issue 13, findings 6 and 8).

Cooldowns read the bot's clock, which these tests move instead of waiting. The "one
export at a time" tests hold the server's export lock from the test (the bot runs on
the test's loop), so an export is running for as long as the test says, not for as
long as a machine takes.
"""

from __future__ import annotations

import threading
from typing import Any, cast

import pytest

from bot.emulator import model as emulator_module
from bot.emulator.interactions import InteractionRecord
from bot.export import packing
from bot.records.server_settings import GuildSettings
from cogs.export import Export
from tests.e2e.harness import RunningBot, World
from tests.e2e.moderating import Clock, eventually, one_line_refusal, started, text
from tests.e2e.test_export import discuss, export, json_messages, only_file
from tests.e2e.test_export_delivery import long_thread, whole_export


def export_cog(runner: RunningBot) -> Export:
    assert runner.bot is not None
    found = runner.bot.get_cog("Export")
    assert found is not None and type(found).__name__ == "Export"
    return cast(Export, found)


async def everyone_exports(runner: RunningBot, world: World) -> None:
    assert runner.bot is not None
    await runner.bot.store.save_settings(GuildSettings(world.guild.id,
                                                       export_access="everyone"))


async def test_exports_cool_down_per_member(world: World) -> None:
    """Six exports a minute each; the seventh is refused in one line with the wait, without
    deferring or sending a file; others are not held back; a minute later it works again."""
    clock = Clock()
    async with started(world, clock) as runner:
        scene = await discuss(world, runner)
        await everyone_exports(runner, world)
        for _ in range(6):
            assert only_file(await export(world, world.mod, scene.thread))
        refused = await export(world, world.mod, scene.thread)
        line = one_line_refusal(refused)
        assert line.startswith("Slow down: /export can be used 6 times a minute. Try again in ")
        assert refused.files == [] and not refused.deferred
        assert only_file(await export(world, world.members[0], scene.thread))
        clock.advance(seconds=61)
        assert only_file(await export(world, world.mod, scene.thread))


async def test_numbers_cool_down_too(world: World) -> None:
    """/top, /leaderboard and /stats share six uses a minute per member."""
    clock = Clock()
    async with started(world, clock):
        member = world.members[0]
        for name in ("top", "leaderboard", "stats", "top", "leaderboard", "stats"):
            inter = await world.emu.invoke(member.id, world.lobby.id, name)
            await inter.wait_for(lambda i: bool(i.followups) or i.response_type == 4)
            assert not text(inter).startswith("Slow down")
        seventh = await world.emu.invoke(member.id, world.lobby.id, "top")
        await seventh.wait()
        assert one_line_refusal(seventh).startswith(
            "Slow down: /top can be used 6 times a minute.")


def queued_place(inter: InteractionRecord) -> str:
    return str((inter.followups[0] if inter.followups else {}).get("content") or "")


async def test_one_export_at_a_time_per_server(world: World, running: RunningBot) -> None:
    """While an export runs, others wait in line, told their place, and come in order;
    a member with an export waiting is told to wait for it; a full line is refused."""
    scene = await discuss(world, running)
    await everyone_exports(running, world)
    line = export_cog(running).line
    lock = line.lock(world.guild.id)
    await lock.acquire()  # an export is running
    ana, ben, cy, dee = world.members[:4]
    waiting: list[InteractionRecord] = []
    for member in (ana, ben, cy):
        waiting.append(await export(world, member, scene.thread))
    assert [queued_place(i) for i in waiting] == [
        f"<#{scene.thread}>: another export is being made in this server, so yours waits its "
        f"turn (#{n} in line). The file comes here when it is ready." for n in (1, 2, 3)]
    assert all(i.files == [] for i in waiting)
    again = await export(world, ana, scene.thread)
    assert one_line_refusal(again) == ("Your earlier export here is still running or "
                                       "waiting: its file comes first, then ask again.")
    full = await export(world, dee, scene.thread)
    assert one_line_refusal(full) == ("An export is running here and 3 more are waiting: try "
                                      "again in a few minutes.")
    assert not again.deferred and not full.deferred
    lock.release()
    for inter in waiting:
        await inter.wait_for(lambda i: bool(i.files), timeout=30)
        # comments shown: Eve's deleted one is not (as in test_export)
        assert text(inter).startswith(f"<#{scene.thread}>: 4 comments as md")
    async def free() -> bool:  # the last one lets go just after its file is sent
        return not line.busy(world.guild.id)

    await eventually(free)
    assert only_file(await export(world, dee, scene.thread))


async def test_since_last_belongs_to_whoever_asked(world: World, running: RunningBot) -> None:
    """A member's plain export in between does not swallow the moderator's next since_last."""
    scene = await discuss(world, running)
    await everyone_exports(running, world)
    first = await export(world, world.mod, scene.thread, format="json", since_last=True)
    assert len(json_messages(first)) == 5
    await world.emu.say(world.members[2].id, scene.thread, "A late thought.")
    await running.settle()
    plain = await export(world, world.members[0], scene.thread, format="json")
    assert len(json_messages(plain)) == 6
    mine = await export(world, world.mod, scene.thread, format="json", since_last=True)
    assert [m["content"] for m in json_messages(mine)] == ["A late thought."]
    # Hers continues from her own plain export, made after the late thought.
    theirs = await export(world, world.members[0], scene.thread, format="json",
                          since_last=True)
    assert theirs.files == [] and "nothing changed since the export of" in text(theirs)


async def test_gzip_runs_off_the_event_loop(world: World, running: RunningBot,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """An export over the attachment limit is gzipped in a worker thread."""
    thread = await long_thread(world, running)
    whole = await whole_export(world, thread)
    monkeypatch.setattr(emulator_module, "ATTACHMENT_SIZE_LIMIT", len(whole) - 1)
    where: list[int] = []
    original = packing.gzip_file

    def spied(*args: Any) -> Any:
        where.append(threading.get_ident())
        return original(*args)

    monkeypatch.setattr(packing, "gzip_file", spied)
    inter = await export(world, world.mod, thread)
    assert only_file(inter)[0].endswith(".md.gz")
    assert where and threading.get_ident() not in where
