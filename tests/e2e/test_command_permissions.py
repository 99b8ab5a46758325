"""Walk every application command in the running bot's tree, through the emulator: each
moderator command refuses a plain member and changes nothing; each member command works.

Commands added later are walked too: their options are made up from the schema the bot
registered (required options only, plus meaningful values for the names below).
"""

from __future__ import annotations

from typing import Any

from discord import app_commands

from bot.emulator.interactions import (
    ATTACHMENT,
    BOOLEAN,
    CHANNEL,
    INTEGER,
    MENTIONABLE,
    NUMBER,
    ROLE,
    STRING,
    USER,
    find_command,
    option_schema,
)
from cogs.checks import audience_of
from tests.e2e.harness import RunningBot, World
from tests.e2e.moderating import dump, eventually, post, run, text

GENERIC_ERROR = "Something went wrong on our side"


def leaves(runner: RunningBot) -> list[app_commands.Command[Any, ..., Any]]:
    assert runner.bot is not None
    return sorted((c for c in runner.bot.tree.walk_commands()
                   if isinstance(c, app_commands.Command)), key=lambda c: c.qualified_name)


def options_for(world: World, name: str, scene: dict[str, Any]) -> dict[str, Any]:
    """Required options (and known ones) with values that would do something if allowed."""
    command, rest = find_command(world.emu.commands(), name)
    schemas, _ = option_schema(command, rest)
    known = {
        "thread": str(scene["thread"]), "message": str(scene["comment"]), "reason": "testing",
        "duration": "2d", "article": "stalker-the-room", "timezone": "Europe/Paris",
        "upvote_emoji": "🔥", "export_access": "everyone", "format": "md",
    }
    values: dict[str, Any] = {}
    for schema in schemas:
        option = schema["name"]
        if option in known and option != "format":
            values[option] = known[option]
            if schema.get("choices"):
                values[option] = schema["choices"][0]["value"]
            continue
        if not schema.get("required"):
            continue
        values[option] = sample(world, schema, scene)
    return values


def sample(world: World, schema: dict[str, Any], scene: dict[str, Any]) -> Any:
    """A valid value of the option's type."""
    kind = schema["type"]
    if schema.get("choices"):
        return schema["choices"][0]["value"]
    if kind == STRING:
        return "x" * max(1, schema.get("min_length") or 1)
    if kind in (INTEGER, NUMBER):
        return schema.get("min_value", 1)
    if kind == BOOLEAN:
        return False
    if kind in (USER, MENTIONABLE):
        return world.members[1].id
    if kind == ROLE:
        return world.guild.id
    if kind == CHANNEL:
        types = schema.get("channel_types") or [0]
        return scene["thread"] if 0 not in types and 11 in types else world.channel.id
    if kind == ATTACHMENT:
        return {"filename": "notes.txt", "data": b"just a file"}
    raise AssertionError(f"no sample for option type {kind}")


async def scene(world: World, runner: RunningBot) -> dict[str, Any]:
    """A prompt thread with a comment, a vote and a reply: something to act on."""
    thread = await post(world)
    ana, ben = world.members[:2]
    comment = await world.emu.say(ana.id, thread, "A comment a moderator could hide.")
    await world.emu.say(ben.id, thread, "A reply.", reply_to=comment["id"])
    await world.emu.react(ben.id, comment["id"], "👍")
    await runner.settle()
    assert runner.bot is not None
    store = runner.bot.store

    async def audited() -> bool:  # /prompt post is audited just after it answers
        return len(await store.list_audit(world.guild.id)) == 1

    await eventually(audited)
    return {"thread": thread, "comment": int(comment["id"])}


def discord_state(world: World) -> list[Any]:
    """What members can see: every message (channels and threads) and every thread's state.

    The lobby is left out: ``RunningBot.settle`` posts its sentinel there.
    """
    emu = world.emu
    channels = [int(c["id"]) for c in emu.guild_create_payload(world.guild.id)["channels"]
                if int(c["id"]) != world.lobby.id]
    channels += sorted(emu.threads)
    return [
        [(m["id"], m["content"], m.get("edited_timestamp")) for m in emu.messages_in(c)]
        for c in channels
    ] + [emu.threads[t]["thread_metadata"] for t in sorted(emu.threads)]


async def test_moderator_commands_refuse_a_plain_member_and_change_nothing(
        world: World, running: RunningBot) -> None:
    """Every moderator (and, by default, export) command: a private refusal, nothing changed."""
    where = await scene(world, running)
    member = world.members[2]
    refusing = [c for c in leaves(running) if audience_of(c) != "members"]
    assert {"discussion lock", "discussion close-after", "comment hide",
            "filmclub settings set", "export", "prompt post"} <= {
        c.qualified_name for c in refusing}
    problems = []
    for command in refusing:
        name = command.qualified_name
        before = (dump(world.db_path), discord_state(world))
        inter = await run(world, member, where["thread"], name,
                          options_for(world, name, where))
        await running.settle()
        answer = text(inter)
        if not (inter.ephemeral and answer.startswith("You need the ")
                and answer.endswith(" to do that.")):
            problems.append(f"/{name} answered {answer!r}")
        if (dump(world.db_path), discord_state(world)) != before:
            problems.append(f"/{name} changed something")
        if inter.files:
            problems.append(f"/{name} sent a file")
    assert problems == []
    assert world.emu.problems == []


async def test_member_commands_work_for_a_plain_member(world: World,
                                                       running: RunningBot) -> None:
    """Every command for everyone answers a plain member privately, without refusing."""
    where = await scene(world, running)
    member = world.members[2]
    for_members = [c for c in leaves(running) if audience_of(c) == "members"]
    assert {c.qualified_name for c in for_members} >= {"top", "leaderboard", "stats", "mydata",
                                                       "forget"}
    problems = []
    for command in for_members:
        name = command.qualified_name
        inter = await run(world, member, where["thread"], name,
                          options_for(world, name, where))
        answer = text(inter)
        if not inter.ephemeral or answer.startswith("You need the ") or GENERIC_ERROR in answer:
            problems.append(f"/{name} answered {answer!r}")
    assert problems == []


async def test_moderator_commands_are_hidden_from_members_by_default(
        world: World, running: RunningBot) -> None:
    """Moderator commands also carry the default_permissions hint (export follows a setting)."""
    registered = {c["name"]: c for c in world.emu.commands()}
    hinted = set()
    for command in leaves(running):
        root = command.root_parent or command
        if audience_of(command) in ("moderators", "admins"):
            assert registered[root.name]["default_member_permissions"] not in (None, "0"), root
            hinted.add(root.name)
    assert {"discussion", "comment", "filmclub"} <= hinted
    assert registered["export"]["default_member_permissions"] is None
