"""/export through the emulator: every format, the options, access, and bad input.

The real bot runs against the loopback emulator; the file it attaches is read back
from the interaction's follow-up. The `emu` fixture fails a test if the bot sent
anything Discord would refuse.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

import pytest

from bot.emulator.interactions import InteractionRecord
from bot.export import formats
from bot.records.server_settings import GuildSettings
from tests.e2e.harness import RunningBot, World
from tests.e2e.moderating import one_line_refusal, post, run, text
from tests.export.test_json import validator


@dataclass(frozen=True)
class Scene:
    """A prompt thread: Ana (+2) with replies from Ben (−1) and Cy (+1), Dee (0), Eve (deleted)."""

    thread: int
    ids: dict[str, int]


async def discuss(world: World, runner: RunningBot) -> Scene:
    emu = world.emu
    thread = await post(world)
    ana, ben, cy, dee, eve = world.members
    a = await emu.say(ana.id, thread, "Judy performs, and we wait.")
    b = await emu.say(ben.id, thread, "I disagree: the suspense is gone.", reply_to=a["id"])
    c = await emu.say(cy.id, thread, "It moves from what to when.", reply_to=a["id"])
    d = await emu.say(dee.id, thread, f"The bell tower, <@{ana.id}>!")
    e = await emu.say(eve.id, thread, "oops, wrong thread")
    await emu.delete(e["id"])
    for who, target, emoji in ((ben, a, "👍"), (cy, a, "👍"), (ana, c, "👍"), (ana, b, "👎")):
        await emu.react(who.id, target["id"], emoji)
    await runner.settle()
    ids = {name: int(m["id"]) for name, m in zip("abcde", (a, b, c, d, e), strict=True)}
    return Scene(thread, ids)


async def export(world: World, user: Any, channel: int, **options: Any) -> InteractionRecord:
    """``user`` runs /export in ``channel``; returns once the bot has answered."""
    return await run(world, user, channel, "export", options)


def only_file(inter: InteractionRecord) -> tuple[str, bytes]:
    assert len(inter.files) == 1, inter.summary()
    return inter.files[0]


def json_messages(inter: InteractionRecord) -> list[dict[str, Any]]:
    name, data = only_file(inter)
    assert name.endswith(".json")
    document = json.loads(data)
    validator().validate(document)
    return document["messages"]


def shape(messages: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """(author, depth) of each message in file order."""
    return [(m["author"]["name"], m["filmclub"]["depth"]) for m in messages]


def check_md(data: bytes) -> None:
    assert data.decode("utf-8").startswith("# Vertigo and the second fall\n")


def check_json(data: bytes) -> None:
    document = json.loads(data)
    validator().validate(document)
    assert document["messageCount"] == 5


def check_html(data: bytes) -> None:
    page = data.decode("utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Judy performs, and we wait." in page


def check_csv(data: bytes) -> None:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["AuthorID", "Author", "Date", "Content"] and len(rows) == 6


def check_txt(data: bytes) -> None:
    assert "Judy performs, and we wait." in data.decode("utf-8")


CHECKS = {"md": check_md, "json": check_json, "html": check_html, "csv": check_csv,
          "txt": check_txt}


@pytest.mark.parametrize("fmt", formats.names())
async def test_export_attaches_the_thread_in_each_format(world: World, running: RunningBot,
                                                         fmt: str) -> None:
    """/export format:X defers, then privately attaches the whole thread as an X file."""
    scene = await discuss(world, running)
    inter = await export(world, world.mod, scene.thread, format=fmt)
    assert inter.deferred and inter.ephemeral
    name, data = only_file(inter)
    assert name == f"vertigo-and-the-second-fall-{scene.thread}.{formats.FORMATS[fmt].extension}"
    CHECKS.get(fmt, check_txt)(data)  # a format without a check of its own: the text is in it
    assert text(inter).startswith(f"<#{scene.thread}>: 4 comments as {fmt}")  # Eve's: deleted


# (options, (author, depth) in file order); "b"/"c" stand for those comments' ids.
ORDERS = {
    "oldest": ({}, [("Ana", 0), ("Ben", 1), ("Cy", 1), ("Dee", 0), ("Eve", 0)]),
    "newest": ({"sort": "newest"}, [("Eve", 0), ("Dee", 0), ("Ana", 0), ("Cy", 1), ("Ben", 1)]),
    "top": ({"sort": "top"}, [("Ana", 0), ("Cy", 1), ("Ben", 1), ("Dee", 0), ("Eve", 0)]),
    "min_score": ({"min_score": 1}, [("Ana", 0), ("Cy", 1)]),
    "after_id": ({"after": "b"}, [("Cy", 0), ("Dee", 0), ("Eve", 0)]),
    "before_id": ({"before": "c"}, [("Ana", 0), ("Ben", 1)]),
    "before_date": ({"before": "2015-06-01"}, []),
    "after_date": ({"after": "2015-06-01 12:00", "sort": "top", "min_score": 0},
                   [("Ana", 0), ("Cy", 1), ("Dee", 0), ("Eve", 0)]),
}


@pytest.mark.parametrize(("options", "expected"), list(ORDERS.values()), ids=list(ORDERS))
async def test_options_choose_and_order_the_comments(world: World, running: RunningBot,
                                                     options: dict[str, Any],
                                                     expected: list[tuple[str, int]]) -> None:
    """sort, after, before and min_score pick and order comments; a reply stays under its parent."""
    scene = await discuss(world, running)
    given = {k: str(scene.ids[v]) if v in ("b", "c") else v for k, v in options.items()}
    inter = await export(world, world.mod, scene.thread, format="json", **given)
    assert shape(json_messages(inter)) == expected


async def test_anonymised_export_names_no_one(world: World, running: RunningBot) -> None:
    """anonymise: Member 1..5 in order of appearance, mentions too; no user id in the file."""
    scene = await discuss(world, running)
    inter = await export(world, world.mod, scene.thread, format="json", anonymise=True)
    messages = json_messages(inter)
    assert [m["author"]["name"] for m in messages] == [f"Member {n}" for n in range(1, 6)]
    dee = messages[3]
    assert dee["content"] == "The bell tower, <@1>!"
    assert [(u["id"], u["name"]) for u in dee["mentions"]] == [("1", "Member 1")]
    voters = {u["name"] for r in messages[0]["reactions"] for u in r["users"]}
    assert voters == {"Member 2", "Member 3"}
    data = only_file(inter)[1].decode("utf-8")
    for member in (*world.members, world.mod):
        assert str(member.id) not in data
        assert member.name not in data


async def test_moderator_includes_deleted_comments(world: World, running: RunningBot) -> None:
    """include_deleted: the deleted comment's text is back, marked deleted."""
    scene = await discuss(world, running)
    inter = await export(world, world.mod, scene.thread, include_deleted=True)
    markdown = only_file(inter)[1].decode("utf-8")
    assert "oops, wrong thread" in markdown and "*deleted " in markdown


async def test_member_may_export_but_not_deleted_comments(world: World,
                                                          running: RunningBot) -> None:
    """With export for everyone, a member gets the file, but include_deleted is refused."""
    scene = await discuss(world, running)
    assert running.bot is not None
    await running.bot.store.save_settings(GuildSettings(world.guild.id,
                                                        export_access="everyone"))
    member = world.members[1]
    refused = await export(world, member, scene.thread, include_deleted=True)
    assert one_line_refusal(refused) == (
        "Only moderators can include deleted comments in an export.")
    assert refused.files == []
    allowed = await export(world, member, scene.thread)
    assert "oops, wrong thread" not in only_file(allowed)[1].decode("utf-8")


@pytest.mark.parametrize(("options", "expected"), [
    ({"after": "yesterday"}, "after: 'yesterday' is neither a date"),
    ({"after": "2026-11-02", "before": "2026-11-01"}, "after must be earlier than before"),
    ({"scope": "server", "thread": "THREAD"}, "Choose a thread or scope:server, not both."),
])
async def test_bad_options_are_one_line_and_send_nothing(world: World, running: RunningBot,
                                                         options: dict[str, Any],
                                                         expected: str) -> None:
    """A date that is not one, an empty window, a thread with scope:server: one line, no file."""
    scene = await discuss(world, running)
    given = {k: scene.thread if v == "THREAD" else v for k, v in options.items()}
    inter = await export(world, world.mod, scene.thread, **given)
    assert one_line_refusal(inter).startswith(expected)
    assert inter.files == [] and not inter.deferred


async def test_export_outside_a_prompt_thread_is_refused(world: World,
                                                         running: RunningBot) -> None:
    """/export in a plain channel without `thread`: one line saying how to use it."""
    await discuss(world, running)
    inter = await export(world, world.mod, world.channel.id)
    assert one_line_refusal(inter) == (
        "Run /export in a prompt thread, or choose one with `thread:`.")

