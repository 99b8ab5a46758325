"""Gateway events twice, or out of order, leave the store as if each came once, in order."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.models import snowflake_time
from tests.e2e.harness import RunningBot, World
from tests.e2e.test_discussion import post_prompt

SLUGS = ["vertigo-the-second-fall", "stalker-the-room", "paddington-2-kindness"]


def reaction(world: World, user: Any, message: dict[str, Any], name: str,
             event: str = "MESSAGE_REACTION_ADD") -> tuple[str, dict[str, Any]]:
    data: dict[str, Any] = {
        "user_id": str(user.id), "channel_id": message["channel_id"],
        "message_id": message["id"], "guild_id": str(world.guild.id),
        "emoji": {"id": None, "name": name}, "burst": False, "type": 0,
    }
    if event == "MESSAGE_REACTION_ADD":
        data["message_author_id"] = message["author"]["id"]
        data["burst_colors"] = []
    return event, data


def script(world: World, thread: int) -> list[tuple[str, dict[str, Any]]]:
    """One thread's events in Discord's order: two messages, a reply, edits, votes, a delete."""
    emu = world.emu
    ana, ben, cy = world.members[:3]
    a = emu.build_message(ana.id, thread, "first take")
    b = emu.build_message(ben.id, thread, "a reply", reply_to=a["id"])
    c = emu.build_message(cy.id, thread, "soon gone")
    created = snowflake_time(int(a["id"]))
    edit1 = {**a, "content": "second take",
             "edited_timestamp": (created + timedelta(seconds=5)).isoformat()}
    edit2 = {**a, "content": "third take",
             "edited_timestamp": (created + timedelta(seconds=9)).isoformat()}
    delete = {"id": c["id"], "channel_id": c["channel_id"], "guild_id": str(world.guild.id)}
    return [
        ("MESSAGE_CREATE", a), ("MESSAGE_CREATE", b), ("MESSAGE_CREATE", c),
        ("MESSAGE_UPDATE", edit1), ("MESSAGE_UPDATE", edit2),
        reaction(world, ben, a, "👍"), reaction(world, cy, a, "👍"),
        reaction(world, cy, b, "🍿"),
        reaction(world, cy, a, "👍", "MESSAGE_REACTION_REMOVE"),
        ("MESSAGE_DELETE", delete),
    ]


async def snapshot(runner: RunningBot, thread: int) -> list[tuple[Any, ...]]:
    return [
        (c.author_name, c.depth, c.content, c.score, c.deleted, c.edited_at is not None,
         tuple(r.content for r in c.revisions), tuple(sorted(r.emoji for r in c.reactions)))
        for c in await runner.comments(thread)
    ]


async def test_duplicates_and_disorder_match_once_in_order(world: World,
                                                          running: RunningBot) -> None:
    """Once in order; every event twice; edits, reactions and the delete before the creates."""
    threads = [await post_prompt_in(world, running, slug) for slug in SLUGS]
    once, twice, early = (script(world, t) for t in threads)
    twice = [event for event in twice for _ in range(2)]
    early = early[3:] + early[:3]  # updates, reactions and the delete arrive first
    for events in (once, twice, early):
        for name, payload in events:
            await world.emu.dispatch(name, payload)

    expected = await snapshot(running, threads[0])
    assert expected == [
        ("Ana", 0, "third take", 1, False, True, ("first take", "second take"), ("👍",)),
        ("Ben", 1, "a reply", 0, False, False, (), ("🍿",)),
        ("Cy", 0, "soon gone", 0, True, False, (), ()),
    ]
    assert await snapshot(running, threads[1]) == expected
    assert await snapshot(running, threads[2]) == expected


async def post_prompt_in(world: World, running: RunningBot, slug: str) -> int:
    before = set(world.emu.threads)
    await post_prompt_any(world, slug)
    (thread,) = set(world.emu.threads) - before
    return thread


async def post_prompt_any(world: World, slug: str) -> None:
    inter = await world.emu.invoke(world.mod.id, world.channel.id, "prompt post",
                                   {"article": slug})
    await inter.wait_for(lambda i: bool(i.followups))


async def test_bot_and_outside_messages_are_not_stored(world: World, running: RunningBot) -> None:
    """The bot's own messages, messages outside prompt threads and link unfurls add nothing."""
    thread = await post_prompt(world, running)
    ana = world.members[0]
    await world.emu.say(ana.id, world.channel.id, "in the channel, not the thread")
    msg = await world.emu.say(ana.id, thread, "see https://example.com/vertigo")
    await world.emu.unfurl(msg["id"])
    bot_message = world.emu.message_payload(ana.id, thread, "pretend bot")
    bot_message["author"] = {**bot_message["author"], "id": str(world.emu.bot_user_id),
                             "bot": True}
    bot_message.pop("member", None)
    await world.emu.dispatch("MESSAGE_CREATE", bot_message)
    comments = await running.comments(thread)
    assert [(c.content, c.edited_at, c.revisions) for c in comments] == [
        ("see https://example.com/vertigo", None, [])]
