"""Private channels stay private (issue 13, finding 2), through the real bot and the emulator.

The staff thread (``tests/e2e/private.py``) is in a channel that denies View Channel to
@everyone. A plain member, and a server-wide moderator who is not let into that channel,
get nothing of it from any answer: no text, no title, no author, no id, in replies,
embeds, autocompletes or files (zips unpacked). Server-wide numbers count only the
threads the asker can see. A staff member sees it all, which shows the scene is real.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest

from bot.emulator import Permissions
from bot.emulator.interactions import InteractionRecord
from bot.records.server_settings import GuildSettings
from cogs.support.checks import NOT_A_THREAD
from tests.chartcheck import png_image
from tests.e2e import private
from tests.e2e.harness import RunningBot, World
from tests.e2e.moderating import run, text
from tests.e2e.private import SECRET, STAFF_ARTICLE, STAFF_TITLE, Private


def said(inter: InteractionRecord) -> str:
    """Everything an interaction showed its member: every message (content, embeds,
    components) and every file's text, zips unpacked."""
    parts = [json.dumps(m, ensure_ascii=False)
             for m in (inter.original, *inter.followups) if m is not None]
    if inter.choices is not None:
        parts.append(json.dumps(inter.choices, ensure_ascii=False))
    for name, data in inter.files:
        if name.endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                parts += [archive.read(n).decode("utf-8") for n in archive.namelist()]
                parts += archive.namelist()
        elif name.endswith(".png"):  # /stats' chart: what it draws is in its alt text,
            assert png_image(data).size[0] > 0  # the attachment's description above
        else:
            parts.append(data.decode("utf-8"))
        parts.append(name)
    return "\n".join(parts)


def leaks(scene: Private, shown: str) -> list[str]:
    """Which traces of the staff thread ``shown`` holds."""
    traces = {"text": SECRET, "title": STAFF_TITLE, "article": STAFF_ARTICLE,
              "author": "Sol Staff", "thread id": str(scene.staff_thread),
              "channel id": str(scene.staff.id), "comment id": str(scene.staff_comment),
              "deleted comment id": str(scene.staff_deleted)}
    return [what for what, trace in traces.items() if trace in shown]


async def everyone_exports(running: RunningBot, world: World) -> None:
    assert running.bot is not None
    await running.bot.store.save_settings(GuildSettings(world.guild.id,
                                                        export_access="everyone"))


@pytest.fixture
async def scene(world: World, running: RunningBot) -> Private:
    found = await private.build(world, running)
    await everyone_exports(running, world)
    return found


async def asked(world: World, who: Any, where: Any, name: str,
                options: dict[str, Any] | None = None) -> InteractionRecord:
    inter = await run(world, who, where, name, options)
    if inter.deferred:  # an export: every part has come once the file has
        await inter.wait_for(lambda i: bool(i.files) or not text(i).endswith("in line)."))
    return inter


async def test_a_member_sees_nothing_of_a_hidden_thread(world: World, running: RunningBot,
                                                         scene: Private) -> None:
    """/top, /stats, /leaderboard, autocompletes and exports (thread and server) as Ana."""
    ana = world.members[0]
    shown: dict[str, InteractionRecord] = {}
    shown["top"] = await asked(world, ana, world.lobby, "top")
    shown["top in a thread"] = await asked(world, ana, scene.films_thread, "top")
    shown["stats"] = await asked(world, ana, world.lobby, "stats")
    shown["leaderboard"] = await asked(world, ana, world.lobby, "leaderboard")
    shown["export thread"] = await asked(world, ana, scene.films_thread, "export")
    shown["export server md"] = await asked(world, ana, world.lobby, "export",
                                            {"scope": "server"})
    shown["export server json"] = await asked(world, ana, world.lobby, "export",
                                              {"scope": "server", "format": "json"})
    refused = {
        "top thread:": await asked(world, ana, world.lobby, "top",
                                   {"thread": str(scene.staff_thread)}),
        "stats thread:": await asked(world, ana, world.lobby, "stats",
                                     {"thread": str(scene.staff_thread)}),
        "export thread:": await asked(world, ana, world.lobby, "export",
                                      {"thread": scene.staff_thread}),
    }
    offered = {}
    for name in ("top", "stats", "discussion lock", "discussion log"):
        for typed in ("", "Portrait", str(scene.staff_thread)):
            offered[f"{name} {typed!r}"] = await world.emu.autocomplete(
                ana.id, world.lobby.id, name, {"thread": typed}, focused="thread")
    answers = {**shown, **refused}
    problems = [f"{what} shows the hidden thread's {leak}"
                for what, inter in answers.items() for leak in leaks(scene, said(inter))]
    problems += [f"autocomplete {what} offers {leak}" for what, choices in offered.items()
                 for leak in leaks(scene, json.dumps(choices, ensure_ascii=False))]
    assert problems == []
    assert {what: text(inter) for what, inter in refused.items()} == dict.fromkeys(
        refused, NOT_A_THREAD)
    assert all(inter.files == [] for inter in refused.values())
    # Ana's answers still hold what she can see; the numbers count only that.
    assert "The tower is the real protagonist." in said(shown["top"])
    assert "Prompts posted: 2" in text(shown["stats"]) and "Comments: 3" in text(shown["stats"])
    assert [c["name"][:6] for c in offered["top ''"]] == ["Paddin", "Vertig"]
    with zipfile.ZipFile(io.BytesIO(shown["export server md"].files[0][1])) as archive:
        assert len(archive.namelist()) == 3  # #films's thread, #side's and the index
    assert text(shown["export server md"]).startswith("**Film Club**: 2 threads, 3 comments")


async def test_a_server_moderator_outside_the_channel_sees_nothing_of_it(
        world: World, running: RunningBot, scene: Private) -> None:
    """Max moderates the server but is not let into #staff: exports with deleted comments,
    the server's audit log, /top and /stats leave the staff thread out; naming it is refused."""
    await run(world, world.mod, scene.staff_thread, "discussion lock",
              {"reason": f"{SECRET} reason"})
    max_ = scene.max
    shown = {
        "export server": await asked(world, max_, world.lobby, "export",
                                     {"scope": "server", "include_deleted": True,
                                      "format": "json"}),
        "log": await asked(world, max_, world.lobby, "discussion log"),
        "top": await asked(world, max_, world.lobby, "top"),
        "stats": await asked(world, max_, world.lobby, "stats"),
    }
    refused = {
        "lock": await asked(world, max_, world.lobby, "discussion lock",
                            {"thread": str(scene.staff_thread)}),
        "hide": await asked(world, max_, world.lobby, "comment hide",
                            {"message": str(scene.staff_comment), "reason": "x"}),
        "export": await asked(world, max_, world.lobby, "export",
                              {"thread": scene.staff_thread, "include_deleted": True}),
    }
    answers = {**shown, **refused}
    problems = [f"{what} shows the hidden thread's {leak}"
                for what, inter in answers.items() for leak in leaks(scene, said(inter))]
    assert problems == []
    assert all(inter.files == [] for inter in refused.values())
    # What Max can see of the log: the two other posts, and his own export.
    assert "3 actions in this server" in text(shown["log"])
    assert shown["export server"].files, "Max still gets the threads he can see"


async def test_staff_see_their_own_channel(world: World, running: RunningBot,
                                           scene: Private) -> None:
    """Sol, in the Staff role, gets the staff thread in /top, /stats and a server export."""
    top = await asked(world, scene.sol, world.lobby, "top")
    assert f"{SECRET} staff plan" in said(top)
    stats = await asked(world, scene.sol, scene.staff_thread, "stats")
    assert "Comments: 2" in text(stats)
    export = await asked(world, scene.sol, world.lobby, "export", {"scope": "server"})
    assert leaks(scene, said(export)) != []
    offered = await world.emu.autocomplete(scene.sol.id, world.lobby.id, "top",
                                           {"thread": "Portrait"}, focused="thread")
    assert [c["value"] for c in offered] == [str(scene.staff_thread)]


async def test_the_log_channel_gets_only_what_its_readers_may_see(
        world: World, running: RunningBot, scene: Private) -> None:
    """With the log channel in #films (everyone reads it), an action on the staff thread is
    posted without its title or reason; in a log channel only staff read, in full."""
    assert running.bot is not None
    store = running.bot.store
    settings = await store.get_settings(world.guild.id)
    await store.save_settings(settings.changes(log_channel_id=world.channel.id))
    await run(world, world.mod, scene.staff_thread, "discussion lock",
              {"reason": f"{SECRET} reason"})
    await run(world, world.mod, scene.films_thread, "discussion lock", {"reason": "heated"})
    await running.settle()

    def posted(channel: int) -> list[str]:
        return [m["content"] for m in world.emu.messages_in(channel)
                if m["author"]["id"] == str(world.emu.bot_user_id)
                and m["content"].startswith("📋")]

    public = posted(world.channel.id)
    assert len(public) == 2
    assert leaks(scene, public[0]) == []
    assert "locked something in a channel not everyone here can see" in public[0]
    assert "Vertigo and the second fall" in public[1] and "heated" in public[1]
    staff_role = next(int(o["id"]) for o in world.emu.channel(scene.staff.id)[
        "permission_overwrites"] if o["type"] == 0 and int(o["allow"]))
    staff_log = world.emu.add_text_channel(world.guild.id, "staff-log", overwrites=[
        private.overwrite(world.guild.id, 0, deny=Permissions.VIEW_CHANNEL),
        private.overwrite(staff_role, 0, allow=Permissions.VIEW_CHANNEL),
        private.overwrite(world.emu.bot_user_id, 1, allow=Permissions.VIEW_CHANNEL),
    ])
    await running.settle()
    settings = await store.get_settings(world.guild.id)
    await store.save_settings(settings.changes(log_channel_id=staff_log.id))
    await run(world, world.mod, scene.staff_thread, "discussion unlock",
              {"reason": f"{SECRET} again"})
    await running.settle()
    (full,) = posted(staff_log.id)
    assert STAFF_TITLE in full and f"{SECRET} again" in full


async def test_film_ratings_from_a_hidden_thread_are_not_named(world: World,
                                                               running: RunningBot) -> None:
    """/film top and /film ratings leave out what was rated only in #staff for a member
    outside it (and its autocomplete offers nothing of it); staff see it."""
    from tests.e2e.test_ratings import rate

    scene = await private.build(world, running)
    ana = world.members[0]
    await rate(world, scene.sol, scene.staff_thread, "9")
    await rate(world, ana, scene.films_thread, "8")
    top = text(await run(world, ana, world.channel, "film top", {}))
    assert "Vertigo" in top and STAFF_TITLE not in top
    refused = await run(world, ana, world.channel, "film ratings", {"film": STAFF_TITLE})
    assert text(refused).startswith(f"No film called “{STAFF_TITLE}")
    offered = await world.emu.autocomplete(ana.id, world.channel.id, "film ratings",
                                           {"film": "Portrait"}, focused="film")
    assert offered == []
    staff_top = text(await run(world, scene.sol, world.channel, "film top", {}))
    assert STAFF_TITLE in staff_top
