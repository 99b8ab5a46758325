"""Ratings through the real bot and the emulator (issue 17): the "Rate the film" menu on
every prompt, changed and removed ratings, the menu after a restart, a burst of 200
ratings shown in the embed with few edits, /film top, /film ratings, /stats, /mydata and
/forget."""

from __future__ import annotations

import itertools
import json
from typing import Any

from bot.emulator import DiscordEmulator
from bot.ratings import RatingSummary
from cogs.ratings import EDIT_INTERVAL
from tests.e2e.harness import World
from tests.e2e.moderating import (
    eventually,
    forget_confirmed,
    message,
    post,
    run,
    started,
    text,
)


def rating_field(emu: DiscordEmulator, message_id: int) -> str | None:
    """The Rating line of the prompt's embed as members see it now."""
    msg = emu.get_message(message_id)
    assert msg is not None
    for field in msg["embeds"][0].get("fields") or []:
        if field["name"] == "Rating":
            return str(field["value"])
    return None


def select_of(emu: DiscordEmulator, message_id: int) -> dict[str, Any]:
    msg = emu.get_message(message_id)
    assert msg is not None
    rows = msg.get("components") or []
    assert len(rows) == 1 and rows[0]["type"] == 1, rows
    return rows[0]["components"][0]


async def rate(world: World, who: Any, thread: int, value: str) -> str:
    """``who`` picks ``value`` in the prompt's menu; returns the bot's private answer."""
    inter = await world.emu.click(who.id, thread, f"filmclub:rate:{thread}", values=[value])
    await inter.wait()
    assert inter.type == 3 and inter.response_type == 4 and inter.ephemeral, inter.summary()
    payload = inter.payload
    assert payload["data"]["component_type"] == 3 and payload["data"]["values"] == [value]
    assert payload["message"]["id"] == str(thread)
    return text(inter)


def patches_of(emu: DiscordEmulator, channel_id: int, message_id: int,
               start: int = 0) -> list[float]:
    """When the bot sent each PATCH of the message, from request number ``start`` on."""
    path = f"/channels/{channel_id}/messages/{message_id}"
    return [when for (method, p, _), when in zip(emu.requests[start:], emu.request_times[start:],
                                                  strict=True)
            if method == "PATCH" and p == path]


async def test_five_members_rate_change_and_remove(world: World) -> None:
    """The menu is on the prompt; ratings change and go; the embed shows the right average."""
    emu = world.emu
    ana, ben, cy, dee, eve = world.members
    async with started(world) as runner:
        thread = await post(world)
        await emu.wait_until(lambda: rating_field(emu, thread) is not None)
        select = select_of(emu, thread)
        assert select["type"] == 3 and select["custom_id"] == f"filmclub:rate:{thread}"
        assert [o["value"] for o in select["options"]] == [
            "10", "9", "8", "7", "6", "5", "4", "3", "2", "1", "remove"]
        assert select["options"][1]["label"] == "★★★★½ 4.5"
        assert rating_field(emu, thread) == "No ratings yet: rate the film below."

        assert await rate(world, ana, thread, "10") == (
            "Your rating of *Vertigo (1958)*, ★★★★★ (5/5). Pick again to change it.")
        await rate(world, ben, thread, "8")
        await rate(world, cy, thread, "7")
        await rate(world, dee, thread, "4")
        await rate(world, eve, thread, "9")
        assert "changed: ★★★" in await rate(world, ben, thread, "6")
        assert await rate(world, dee, thread, "remove") == \
            "Your rating of *Vertigo (1958)* is removed."
        assert await rate(world, dee, thread, "remove") == "You had not rated *Vertigo (1958)*."
        # 10 + 6 + 7 + 9 half stars = 16 stars from 4 members
        await emu.wait_until(lambda: rating_field(emu, thread) == "★ 4.00 / 5 from 4 ratings",
                             timeout=EDIT_INTERVAL * 4)

        stats = await run(world, cy, thread, "stats")
        assert "Film rating: 4.000 / 5 from 4 ratings (16 stars in all)" in text(stats)
        mydata = await run(world, eve, world.lobby, "mydata")
        assert "1 film rating" in text(mydata)
        document = json.loads(mydata.files[0][1]) if mydata.files else None
        assert document is not None
        assert document["film_ratings"][0]["stars"] == 4.5
        assert runner.bot is not None

    # after a restart the same menu still works (its custom id names the prompt)
    async with started(world) as runner:
        assert await rate(world, ana, thread, "9") == (
            "Your rating of *Vertigo (1958)*, changed: ★★★★½ (4.5/5). Pick again to change it.")
        await emu.wait_until(lambda: rating_field(emu, thread) == "★ 3.88 / 5 from 4 ratings",
                             timeout=EDIT_INTERVAL * 4)
        top = await run(world, dee, world.lobby, "film top")
        assert "1. **Vertigo (1958)**: 3.88 · average 3.88 from 4 ratings" in text(top)
        assert "(C·m + Σr) / (C + n), with C = 5" in text(top)
        one = await run(world, dee, world.lobby, "film ratings", {"film": "vertigo"})
        body = text(one)
        assert "Ratings: Vertigo (1958)" in body and "Ratings: 4" in body
        lines = message(one)["embeds"][0]["description"].strip("`\n").splitlines()
        assert [line.split()[-1] for line in lines] == ["0", "2", "0", "1", "1", "0", "0", "0",
                                                         "0", "0"]
        missing = await run(world, dee, world.lobby, "film ratings", {"film": "Jaws"})
        assert text(missing) == "No film called “Jaws” has ratings in this server."

        asked, done = await forget_confirmed(world, eve)
        assert "1 film rating" in asked
        assert "- 1 film rating" in done
        assert runner.bot is not None
        assert await runner.bot.store.rating_of(thread, eve.id) is None
        assert (await runner.bot.store.rating_summary(thread)).count == 3


async def test_a_burst_of_200_ratings_edits_the_embed_rarely(world: World) -> None:
    """200 members rate at once: the embed ends right, edited at most once per interval."""
    emu = world.emu
    crowd = [emu.add_member(world.guild.id, f"Fan {n}") for n in range(200)]
    async with started(world) as runner:
        thread = await post(world)
        await emu.wait_until(lambda: rating_field(emu, thread) is not None)
        start = len(emu.requests)
        given = []
        for number, fan in enumerate(crowd):
            half = number % 10 + 1
            given.append(half)
            inter = await emu.click(fan.id, thread, f"filmclub:rate:{thread}", values=[str(half)])
            await inter.wait()
        expected = RatingSummary(len(given), sum(given)).line()
        await emu.wait_until(lambda: rating_field(emu, thread) == expected,
                             timeout=EDIT_INTERVAL * 6)
        assert runner.bot is not None
        assert await runner.bot.store.rating_summary(thread) == RatingSummary(200, 1100)
        assert expected == "★ 2.75 / 5 from 200 ratings"
        times = patches_of(emu, world.channel.id, thread, start)
        every = patches_of(emu, world.channel.id, thread)  # the menu's own edit too
        gaps = [b - a for a, b in itertools.pairwise(every)]
        print(f"200 ratings: {len(times)} edits of the embed, gaps {[round(g, 2) for g in gaps]}")
        assert 1 <= len(times) < 200 and len(every) == len(times) + 1
        assert all(gap >= EDIT_INTERVAL - 0.05 for gap in gaps), gaps


async def test_a_forum_prompt_is_rated_too(world: World) -> None:
    """In a forum the menu is on the post's first message, and that message is edited."""
    emu = world.emu
    forum = emu.add_forum_channel(world.guild.id, "film-forum")
    async with started(world):
        before = set(emu.threads)
        await run(world, world.mod, world.lobby, "prompt post",
                  {"article": "stalker-the-room", "channel": forum.id})
        [thread] = [t for t in emu.threads if t not in before]
        await emu.wait_until(lambda: rating_field(emu, thread) is not None)
        assert select_of(emu, thread)["custom_id"] == f"filmclub:rate:{thread}"
        await rate(world, world.members[0], thread, "7")
        await emu.wait_until(lambda: rating_field(emu, thread) == "★ 3.50 / 5 from 1 rating",
                             timeout=EDIT_INTERVAL * 4)
        assert patches_of(emu, thread, thread)  # edited where the message lives: the thread


def has_menu(emu: DiscordEmulator, message_id: int) -> bool:
    msg = emu.get_message(message_id) or {}
    return any(item.get("custom_id") == f"filmclub:rate:{message_id}"
               for row in msg.get("components") or [] for item in row.get("components") or [])


async def test_older_prompts_get_the_menu(world: World, monkeypatch: Any) -> None:
    """Prompts posted by a filmclub without ratings get the menu and the Rating line at the
    next start, once each, paced apart; a deleted one is noted and left alone."""
    from bot.rating_controls import PACE
    from cogs.support import client

    emu = world.emu
    older = tuple(e for e in client.EXTENSIONS if e != "cogs.ratings")
    monkeypatch.setattr(client, "EXTENSIONS", older)  # the filmclub before issue 17
    async with started(world) as runner:
        threads = [await post(world, slug) for slug in (
            "vertigo-the-second-fall", "stalker-the-room", "paddington-2-kindness")]
        await runner.settle()
        assert [has_menu(emu, t) or rating_field(emu, t) is not None for t in threads] == [
            False, False, False]
    await emu.delete(threads[2])  # a moderator deleted one prompt's message meanwhile
    monkeypatch.undo()

    start = len(emu.requests)
    async with started(world) as runner:
        await emu.wait_until(lambda: all(has_menu(emu, t) for t in threads[:2]),
                             timeout=PACE * 20)
        assert [rating_field(emu, t) for t in threads[:2]] == [
            "No ratings yet: rate the film below."] * 2
        assert select_of(emu, threads[0])["options"][0]["value"] == "10"
        assert runner.bot is not None
        store = runner.bot.store

        async def all_noted() -> bool:
            return await store.prompts_without_rating_control([world.guild.id]) == []

        await eventually(all_noted, timeout=PACE * 20)
        edits = sorted(when for t in threads[:2]
                       for when in patches_of(emu, world.channel.id, t, start))
        assert len(edits) == 2
        assert edits[1] - edits[0] >= PACE - 0.05, edits  # one prompt at a time
        # the added menu works like any other
        assert "★★★★" in await rate(world, world.members[0], threads[1], "8")
        await emu.wait_until(lambda: rating_field(emu, threads[1]) == "★ 4.00 / 5 from 1 rating",
                             timeout=EDIT_INTERVAL * 4)

    # noted: the next start neither reads nor edits those prompts again
    again = len(emu.requests)
    async with started(world) as runner:
        assert runner.bot is not None
        cog = runner.bot.get_cog("Ratings")
        await emu.wait_until(lambda: getattr(cog, "_catch_up", None) is not None)
        await cog._catch_up  # type: ignore[union-attr]
        await runner.settle()
        touched = [p for _, p, _ in emu.requests[again:]
                   if any(p.endswith(f"/messages/{t}") for t in threads)]
        assert touched == []


async def test_an_older_archived_forum_post_gets_the_menu_when_reopened(
        world: World, monkeypatch: Any) -> None:
    """An older prompt in a forum whose post is archived is left alone at start (no request),
    and gets the menu once the post is reopened."""
    from cogs.support import client

    emu = world.emu
    forum = emu.add_forum_channel(world.guild.id, "film-forum")
    monkeypatch.setattr(client, "EXTENSIONS",
                        tuple(e for e in client.EXTENSIONS if e != "cogs.ratings"))
    async with started(world):
        before = set(emu.threads)
        await run(world, world.mod, world.lobby, "prompt post",
                  {"article": "stalker-the-room", "channel": forum.id})
        [thread] = [t for t in emu.threads if t not in before]
    await emu.archive_thread(thread)
    monkeypatch.undo()

    start = len(emu.requests)
    async with started(world) as runner:
        assert runner.bot is not None
        cog = runner.bot.get_cog("Ratings")
        await emu.wait_until(lambda: getattr(cog, "_catch_up", None) is not None)
        await cog._catch_up  # type: ignore[union-attr]
        assert not has_menu(emu, thread)
        assert [p for _, p, _ in emu.requests[start:] if p.endswith(f"/messages/{thread}")] == []
        await emu.archive_thread(thread, archived=False)  # a member posts, or a moderator
        await emu.wait_until(lambda: has_menu(emu, thread), timeout=10)
        assert rating_field(emu, thread) == "No ratings yet: rate the film below."
        await rate(world, world.members[0], thread, "7")
        await emu.wait_until(lambda: rating_field(emu, thread) == "★ 3.50 / 5 from 1 rating",
                             timeout=EDIT_INTERVAL * 4)
