"""The /prompt commands end to end: preview, post, duplicates, the queue, skip, refusals."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.e2e.harness import World
from tests.e2e.prompting import (
    FIRST_SLOT,
    Clock,
    answer,
    bot_of,
    cog,
    command,
    fire,
    library,
    prompts_in,
    start,
)

pytestmark = pytest.mark.usefixtures("stop_prompt_bots")


async def test_preview_is_exactly_what_gets_posted(world: World, tmp_path: Path) -> None:
    """The private preview's embed is the posted embed; it says where and how it would go."""
    world.articles = library(tmp_path, "scraped-burning.txt")
    runner = await start(world, Clock())
    preview = await command(world, "prompt preview", {"article": "scraped-burning"})
    assert preview.ephemeral and preview.response is not None
    assert f"in <#{world.channel.id}>" in preview.response["content"]
    assert "thread “Burning and the things we cannot prove”" in preview.response["content"]
    assert prompts_in(world, world.channel.id) == []

    posted = await command(world, "prompt post", {"article": "scraped-burning"})
    assert "Posted **Burning and the things we cannot prove**" in answer(posted)
    (message,) = prompts_in(world, world.channel.id)
    assert _same_embed(message["embeds"][0], preview.response["embeds"][0])
    assert await runner.stop() == 0


def _same_embed(posted: dict, previewed: dict) -> bool:
    """The same embed (the emulator adds Discord's bookkeeping keys to posted messages)."""
    keys = ("title", "description", "url", "fields", "footer", "image", "author")
    return all(posted.get(k) == previewed.get(k) for k in keys) and "title" in posted


async def test_an_article_is_posted_once_per_server_unless_forced(world: World,
                                                                  tmp_path: Path) -> None:
    """Posting the same article again is refused in one line; force:True posts it again."""
    world.articles = library(tmp_path, "cta-only-parasite.md")
    runner = await start(world, Clock())
    await command(world, "prompt post", {"article": "cta-only-parasite"})
    again = await command(world, "prompt post", {"article": "cta-only-parasite"})
    text = answer(again)
    assert "was already posted in this server" in text and "\n" not in text
    assert len(prompts_in(world, world.channel.id)) == 1
    queued = await command(world, "prompt queue add", {"article": "cta-only-parasite"})
    assert "already posted" in answer(queued)
    forced = await command(world, "prompt post", {"article": "cta-only-parasite", "force": True})
    assert answer(forced).startswith("Posted ")
    assert len(prompts_in(world, world.channel.id)) == 2
    assert await runner.stop() == 0


async def test_queue_add_list_move_remove(world: World, tmp_path: Path) -> None:
    """Moderators build the queue, reorder it with autocomplete, and take an item out."""
    world.articles = library(tmp_path, "cta-only-parasite.md", "no-questions-stalker.md",
                             "scraped-burning.txt")
    runner = await start(world, Clock())
    for slug in ("cta-only-parasite", "no-questions-stalker"):
        await command(world, "prompt queue add", {"article": slug})
    first = await command(world, "prompt queue add", {"article": "scraped-burning",
                                                      "position": 1})
    assert "at #1" in answer(first)

    choices = await world.emu.autocomplete(world.mod.id, world.channel.id, "prompt queue move",
                                           {"item": "stalk"}, focused="item")
    assert [c["name"] for c in choices] == ["#3 Stalker, slowly (no-questions-stalker)"]
    # Autocompletes come unchecked: a member who may not manage the queue is offered nothing.
    assert await world.emu.autocomplete(world.members[0].id, world.channel.id,
                                        "prompt queue move", {"item": ""}, focused="item") == []
    moved = await command(world, "prompt queue move", {"item": choices[0]["value"],
                                                       "position": 1})
    assert answer(moved) == "**Stalker, slowly** is now #1 in the queue."

    listing = await command(world, "prompt queue list")
    lines = listing.response["embeds"][0]["description"].splitlines()
    assert [line.split("(`")[1].rstrip("`)") for line in lines] == [
        "no-questions-stalker", "scraped-burning", "cta-only-parasite"]
    assert "No schedule yet" in listing.response["embeds"][0]["footer"]["text"]

    items = await bot_of(runner).store.list_queue(world.guild.id)
    removed = await command(world, "prompt queue remove", {"item": str(items[1].id)})
    assert "Removed **Burning and the things we cannot prove**" in answer(removed)
    gone = await command(world, "prompt queue remove", {"item": str(items[1].id)})
    assert "There is no queued item" in answer(gone)
    assert [i.slug for i in await bot_of(runner).store.list_queue(world.guild.id)] == [
        "no-questions-stalker", "cta-only-parasite"]
    assert await runner.stop() == 0


async def test_article_autocomplete_offers_files_and_stored_articles(world: World,
                                                                     tmp_path: Path) -> None:
    """Typing part of a title offers matching library files and articles added from the web."""
    from bot.models import Article

    world.articles = library(tmp_path, "no-questions-stalker.md")
    runner = await start(world, Clock())
    catalog = cog(runner).catalog
    await catalog.add(Article(slug="", title="Stalker and the Zone", body="Text."),
                      origin="page", source="https://x.example/zone", now=Clock()())
    choices = await world.emu.autocomplete(world.mod.id, world.channel.id, "prompt queue add",
                                           {"article": "stalker"}, focused="article")
    assert [c["value"] for c in choices] == ["stalker-and-the-zone", "no-questions-stalker"]
    zones = await world.emu.autocomplete(world.mod.id, world.channel.id, "prompt schedule set",
                                         {"timezone": "paris"}, focused="timezone")
    assert zones[0]["value"] == "Europe/Paris"
    assert await runner.stop() == 0


async def test_skip_passes_over_the_next_slot(world: World, tmp_path: Path) -> None:
    """After /prompt skip, the next slot posts nothing; the one after posts the queued article."""
    world.articles = library(tmp_path, "no-questions-stalker.md")
    clock = Clock()
    runner = await start(world, clock)
    await command(world, "prompt queue add", {"article": "no-questions-stalker"})
    await command(world, "prompt schedule set", {"cadence": "daily", "time": "19:30",
                                                 "timezone": "Europe/Paris"})
    skipped = await command(world, "prompt skip")
    assert f"<t:{int(FIRST_SLOT.timestamp())}:F> will be skipped" in answer(skipped)
    twice = await command(world, "prompt skip")
    assert "already being skipped" in answer(twice)

    clock.move_to(FIRST_SLOT + timedelta(minutes=1))
    cog(runner).wake()
    await runner.settle()
    cog(runner).wake()
    await runner.settle()
    assert prompts_in(world, world.channel.id) == []
    posted = await fire(runner, world, clock, FIRST_SLOT + timedelta(days=1), world.channel.id,
                        expect=1)
    assert posted[0]["embeds"][0]["title"] == "Stalker, slowly"
    off = await command(world, "prompt schedule off")
    assert "The schedule is off" in answer(off)
    assert await bot_of(runner).store.get_schedule(world.guild.id) is None
    assert await runner.stop() == 0


BAD_SCHEDULES = [  # (options, part of the one-line answer); one bot start for the whole table
    ({"cadence": "daily", "time": "25:00", "timezone": "Europe/Paris"}, "is not a time of day"),
    ({"cadence": "daily", "time": "19:30", "timezone": "Mars/Olympus"}, "IANA time zone"),
    ({"cadence": "weekly", "time": "19:30", "timezone": "UTC"}, "needs weekdays"),
    ({"cadence": "weekly", "time": "19:30", "timezone": "UTC", "weekdays": "funday"},
     "'funday' is not a weekday"),
]


async def test_bad_schedule_is_one_line_and_sets_nothing(world: World, tmp_path: Path) -> None:
    """Each bad time, zone or weekday gets a one-line private answer; no schedule is stored."""
    world.articles = library(tmp_path)
    runner = await start(world, Clock())
    for options, problem in BAD_SCHEDULES:
        reply = await command(world, "prompt schedule set", options)
        assert reply.ephemeral and problem in answer(reply), options
        assert "\n" not in answer(reply)
    assert await bot_of(runner).store.get_schedule(world.guild.id) is None
    assert await runner.stop() == 0


async def test_members_cannot_use_prompt_commands(world: World, tmp_path: Path) -> None:
    """A member without Manage Messages is refused privately by every /prompt command."""
    world.articles = library(tmp_path, "no-questions-stalker.md")
    runner = await start(world, Clock())
    member = world.members[0].id
    for name, options in (
        ("prompt preview", {"article": "no-questions-stalker"}),
        ("prompt queue add", {"article": "no-questions-stalker"}),
        ("prompt queue list", {}),
        ("prompt schedule set", {"cadence": "daily", "time": "19:30", "timezone": "UTC"}),
        ("prompt schedule off", {}),
        ("prompt skip", {}),
        ("prompt settings", {"default_question": "Why?"}),
    ):
        reply = await command(world, name, options, user=member)
        assert reply.ephemeral and "Manage Messages" in answer(reply), name
    store = bot_of(runner).store
    assert await store.list_queue(world.guild.id) == []
    assert await store.get_schedule(world.guild.id) is None
    assert (await store.get_settings(world.guild.id)).default_question is None
    commands = {c["name"]: c for c in world.emu.commands()}
    assert commands["prompt"]["default_member_permissions"] == str(1 << 13)
    assert await runner.stop() == 0
