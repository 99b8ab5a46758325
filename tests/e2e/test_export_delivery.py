"""/export delivery through the emulator: files over the limit, server archives, `since_last`,
and the "Export this thread" message menu.

The attachment limit Discord puts in each interaction (``attachment_size_limit``) comes
from the emulator's ``ATTACHMENT_SIZE_LIMIT``; the oversized tests lower it.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import zipfile
from typing import Any

import pytest

from bot.emulator import model as emulator_module
from bot.emulator.interactions import InteractionRecord
from tests.e2e.harness import RunningBot, World
from tests.e2e.moderating import message, one_line_refusal, post, text
from tests.e2e.test_export import discuss, export, json_messages, only_file

LONG = "The bell tower, the staircase, the fall. " * 60
#: "Stalker: three men at the threshold" as a file name.
STALKER = "stalker-three-men-at-the-threshold"


async def long_thread(world: World, runner: RunningBot) -> int:
    """The usual scene plus one long comment, so the export is worth compressing."""
    scene = await discuss(world, runner)
    await world.emu.say(world.members[2].id, scene.thread, LONG)
    await runner.settle()
    return scene.thread


def parts_announced(inter: InteractionRecord) -> int:
    found = re.search(r"comes in (\d+) parts", inter.followups[0].get("content") or "")
    return int(found.group(1)) if found else 1


async def all_parts(inter: InteractionRecord) -> list[tuple[str, bytes]]:
    """Every file of a (possibly split) export, once every part has arrived."""
    await inter.wait_for(lambda i: len(i.followups) >= parts_announced(i))
    return list(inter.files)


async def whole_export(world: World, thread: int) -> bytes:
    inter = await export(world, world.mod, thread)
    return only_file(inter)[1]


async def test_export_over_the_limit_is_gzipped(world: World, running: RunningBot,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A file over the attachment limit but small gzipped comes as one .gz, and says so."""
    thread = await long_thread(world, running)
    whole = await whole_export(world, thread)
    monkeypatch.setattr(emulator_module, "ATTACHMENT_SIZE_LIMIT", len(whole) - 1)
    inter = await export(world, world.mod, thread)
    name, data = only_file(inter)
    assert name.endswith(".md.gz")
    assert gzip.decompress(data) == whole
    assert "over the" in text(inter) and "so it is gzipped" in text(inter)


async def test_export_too_big_gzipped_comes_in_parts(world: World, running: RunningBot,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Still too big gzipped: numbered parts, one per message, that join into the gzip."""
    thread = await long_thread(world, running)
    whole = await whole_export(world, thread)
    limit = len(gzip.compress(whole)) // 3
    monkeypatch.setattr(emulator_module, "ATTACHMENT_SIZE_LIMIT", limit)
    inter = await export(world, world.mod, thread)
    files = await all_parts(inter)
    assert len(files) == parts_announced(inter) >= 3
    assert [name.rsplit(".", 1)[1] for name, _ in files] == [
        f"{n:03d}" for n in range(1, len(files) + 1)]
    assert all(len(data) <= limit for _, data in files)
    assert gzip.decompress(b"".join(data for _, data in files)) == whole
    assert "Join them in order: `cat " in inter.followups[0]["content"]


async def test_export_too_big_even_in_parts_is_refused_in_one_line(
        world: World, running: RunningBot, monkeypatch: pytest.MonkeyPatch) -> None:
    """More than ten parts: no file, one line saying how big and what to do instead."""
    thread = await long_thread(world, running)
    monkeypatch.setattr(emulator_module, "ATTACHMENT_SIZE_LIMIT", 40)
    inter = await export(world, world.mod, thread)
    line = one_line_refusal(inter)
    assert "too big to send here" in line and "filmclub export" in line
    assert inter.files == []


async def test_server_scope_sends_a_zip_with_an_index(world: World,
                                                      running: RunningBot) -> None:
    """scope:server: one zip, a file per prompt thread and an index with counts and top comment."""
    scene = await discuss(world, running)
    other = await post(world, "stalker-the-room")
    await world.emu.say(world.members[4].id, other, "The Zone answers wishes, not prayers.")
    await running.settle()
    inter = await export(world, world.mod, world.channel.id, scope="server", format="html")
    name, data = only_file(inter)
    assert name == f"film-club-{world.guild.id}-html.zip"
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    assert names == [f"vertigo-and-the-second-fall-{scene.thread}.html",
                     f"{STALKER}-{other}.html", "index.html"]
    index = archive.read("index.html").decode("utf-8")
    assert "Vertigo and the second fall" in index and ">4</td>" in index and ">1</td>" in index
    assert "Judy performs, and we wait." in index  # Ana's comment, +2: the top one
    assert "2 threads, 5 comments as html" in text(inter)  # Eve's deleted comment is not shown


async def test_since_last_exports_only_what_changed(world: World, running: RunningBot) -> None:
    """since_last: everything the first time, then only new and changed comments, then nothing."""
    scene = await discuss(world, running)
    emu, ana, ben = world.emu, world.members[0], world.members[1]
    first = await export(world, world.mod, scene.thread, format="json", since_last=True)
    assert len(json_messages(first)) == 5
    assert "no earlier export like this one, so everything" in text(first)

    await emu.say(ana.id, scene.thread, "A second thought.")
    await emu.edit(ben.id, scene.ids["b"], "I disagree, mostly.")
    await running.settle()
    second = await export(world, world.mod, scene.thread, format="json", since_last=True)
    assert [m["content"] for m in json_messages(second)] == [
        "I disagree, mostly.", "A second thought."]
    assert "only what changed since the export of" in text(second)

    third = await export(world, world.mod, scene.thread, format="json", since_last=True)
    assert third.files == []
    assert "nothing changed since the export of" in text(third)


async def test_since_last_counts_a_new_vote_as_a_change(world: World,
                                                        running: RunningBot) -> None:
    """A vote changes a comment's score: the next since_last export has that comment."""
    scene = await discuss(world, running)
    await export(world, world.mod, scene.thread, format="json", since_last=True)
    await world.emu.react(world.members[3].id, scene.ids["c"], "👍")
    await running.settle()
    again = await export(world, world.mod, scene.thread, format="json", since_last=True)
    messages = json_messages(again)
    assert [(m["author"]["name"], m["filmclub"]["score"]) for m in messages] == [("Cy", 2)]


async def test_since_last_is_kept_per_format_and_options(world: World,
                                                         running: RunningBot) -> None:
    """An export in another format (or with other options) does not move since_last on."""
    scene = await discuss(world, running)
    await export(world, world.mod, scene.thread, format="json", since_last=True)
    other = await export(world, world.mod, scene.thread, format="csv", since_last=True)
    assert "so everything" in text(other)
    anonymised = await export(world, world.mod, scene.thread, format="json", since_last=True,
                              anonymise=True)
    assert "so everything" in text(anonymised)


async def menu(world: World, user: Any, message_id: int) -> InteractionRecord:
    inter = await world.emu.invoke_message_command(user.id, message_id, "Export this thread")
    await inter.wait_for(lambda i: i.response_type == 4 or bool(i.followups))
    return inter


def format_select(inter: InteractionRecord) -> dict[str, Any]:
    """The select menu of the menu's private answer."""
    answer = message(inter)
    for row in answer.get("components") or []:
        for item in row.get("components") or []:
            if item.get("type") == 3:
                return item
    raise AssertionError(f"no select in {answer!r}")


async def pick(world: World, user: Any, inter: InteractionRecord,
               fmt: str) -> InteractionRecord:
    """``user`` picks ``fmt`` in the menu's answer; returns once the file came."""
    answer = message(inter)
    chosen = await world.emu.click(user.id, answer["id"], format_select(inter)["custom_id"],
                                   values=[fmt])
    await chosen.wait_for(lambda i: bool(i.files) or len(i.followups) > 0, timeout=20)
    return chosen


async def test_menu_asks_for_a_format_then_sends_that_file(world: World,
                                                          running: RunningBot) -> None:
    """'Export this thread' answers privately with a format select; the pick comes as a file."""
    scene = await discuss(world, running)
    inter = await menu(world, world.mod, scene.ids["d"])
    assert inter.response_type == 4 and inter.ephemeral and inter.files == []
    options = [o["value"] for o in format_select(inter)["options"]]
    assert sorted(options) == ["csv", "html", "json", "md", "txt"]
    chosen = await pick(world, world.mod, inter, "json")
    name, data = only_file(chosen)
    assert name == f"vertigo-and-the-second-fall-{scene.thread}.json"
    assert json.loads(data)["messageCount"] == 5
    answered = world.emu.get_message(message(inter)["id"])
    assert answered is not None and answered["components"] == []  # the select is gone
    assert f"<#{scene.thread}>: exporting as json" in answered["content"]


async def test_menu_on_a_comment_exports_its_thread(world: World, running: RunningBot) -> None:
    """'Export this thread' on a comment: the thread, privately, in the format picked."""
    scene = await discuss(world, running)
    inter = await menu(world, world.mod, scene.ids["d"])
    name, data = only_file(await pick(world, world.mod, inter, "md"))
    assert name == f"vertigo-and-the-second-fall-{scene.thread}.md"
    assert "The bell tower, \\<@" in data.decode("utf-8")


async def test_menu_on_the_prompt_message_exports_its_thread(world: World,
                                                             running: RunningBot) -> None:
    """'Export this thread' on the prompt (in the film channel): the thread started from it."""
    scene = await discuss(world, running)
    prompt = await running.bot.store.get_prompt(scene.thread) if running.bot else None
    assert prompt is not None
    inter = await menu(world, world.mod, prompt.message_id)
    chosen = await pick(world, world.mod, inter, "txt")
    assert only_file(chosen)[0] == f"vertigo-and-the-second-fall-{scene.thread}.txt"


async def test_menu_refuses_members_and_other_messages(world: World,
                                                       running: RunningBot) -> None:
    """A member is refused; a message outside prompt threads gets one line; no file either way."""
    scene = await discuss(world, running)
    refused = await menu(world, world.members[0], scene.ids["a"])
    assert one_line_refusal(refused).startswith("You need the ")
    elsewhere = await world.emu.say(world.members[0].id, world.lobby.id, "hello")
    outside = await menu(world, world.mod, int(elsewhere["id"]))
    assert one_line_refusal(outside) == (
        "That message is not in a prompt thread, nor does one start from it.")
    assert refused.files == [] and outside.files == []

