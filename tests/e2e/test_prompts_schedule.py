"""The schedule end to end: it fires into a text channel and a forum, and survives restarts."""

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


async def test_schedule_fires_a_queued_prompt_with_its_thread(world: World,
                                                              tmp_path: Path) -> None:
    """Daily 19:30 Paris: at the slot the queued article is posted in #films with a thread."""
    world.articles = library(tmp_path, "no-questions-stalker.md", "cta-only-parasite.md")
    clock = Clock()
    runner = await start(world, clock)
    settings = await command(world, "prompt settings",
                             {"default_question": "What will you remember from it?"})
    assert "What will you remember from it?" in answer(settings)
    queued = await command(world, "prompt queue add", {"article": "no-questions-stalker"})
    assert answer(queued).startswith("Queued **Stalker, slowly** at #1.")
    reply = await command(world, "prompt schedule set", {
        "cadence": "daily", "time": "19:30", "timezone": "Europe/Paris",
        "channel": world.channel.id})
    assert f"<t:{int(FIRST_SLOT.timestamp())}:F>" in answer(reply)
    assert reply.ephemeral

    cog(runner).wake()
    await runner.settle()
    assert prompts_in(world, world.channel.id) == []  # not before the slot

    (posted,) = await fire(runner, world, clock, FIRST_SLOT + timedelta(seconds=1),
                           world.channel.id, expect=1)
    embed = posted["embeds"][0]
    assert embed["title"] == "Stalker, slowly"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["The question"] == "What will you remember from it?"
    assert embed["description"].startswith("Is there a slower film than Stalker?")
    thread = world.emu.threads[int(posted["id"])]
    assert thread["name"] == "Stalker, slowly"
    assert thread["thread_metadata"]["auto_archive_duration"] == 10080
    prompt = await bot_of(runner).store.get_prompt(int(posted["id"]))
    assert prompt is not None and prompt.article.slug == "no-questions-stalker"
    assert prompt.posted_by is None
    assert await bot_of(runner).store.list_queue(world.guild.id) == []
    assert await runner.stop() == 0


async def test_schedule_posts_into_a_forum_with_matching_tags(world: World,
                                                              tmp_path: Path) -> None:
    """Into a forum: a post named after the article, tagged from its tags, mentioning the role."""
    world.articles = library(tmp_path, "cta-only-parasite.md")
    forum = world.emu.add_forum_channel(world.guild.id, "film-forum",
                                        tags=("Thriller", "Class", "Drama"))
    role = world.emu.add_role(world.guild.id, "Film Club", 0)
    clock = Clock()
    runner = await start(world, clock)
    await command(world, "prompt settings", {"mention": role, "archive": 1440})
    await command(world, "prompt queue add", {"article": "cta-only-parasite"})
    await command(world, "prompt schedule set", {
        "cadence": "weekly", "weekdays": "mon,thu", "time": "7:30pm",
        "timezone": "Europe/Paris", "channel": forum.id})

    await fire(runner, world, clock, FIRST_SLOT + timedelta(minutes=2), forum.id, expect=1)
    (thread,) = [t for t in world.emu.threads.values() if t["parent_id"] == str(forum.id)]
    assert thread["name"] == "Parasite: the house on the hill"
    tags = {t["id"]: t["name"] for t in world.emu.channel(forum.id)["available_tags"]}
    assert [tags[t] for t in thread["applied_tags"]] == ["Class", "Thriller"]
    assert thread["thread_metadata"]["auto_archive_duration"] == 1440
    (first,) = world.emu.messages_in(thread["id"])
    assert first["content"] == f"<@&{role}>" and first["mention_roles"] == [str(role)]
    assert first["embeds"][0]["title"] == "Parasite: the house on the hill"
    prompt = await bot_of(runner).store.get_prompt(int(thread["id"]))
    assert prompt is not None and prompt.channel_id == forum.id
    assert int(thread["id"]) in bot_of(runner).prompt_threads
    assert await runner.stop() == 0


async def test_restart_after_missed_slots_posts_once(world: World, tmp_path: Path) -> None:
    """Down across three slots: on start one prompt is posted, not three; then the next on time."""
    world.articles = library(tmp_path, "no-questions-stalker.md", "cta-only-parasite.md",
                             "scraped-burning.txt")
    clock = Clock()
    first = await start(world, clock)
    for slug in ("no-questions-stalker", "cta-only-parasite", "scraped-burning"):
        await command(world, "prompt queue add", {"article": slug})
    await command(world, "prompt schedule set", {
        "cadence": "daily", "time": "19:30", "timezone": "Europe/Paris"})
    assert await first.stop() == 0

    clock.move_to(FIRST_SLOT + timedelta(days=2, hours=3))  # Wednesday night: 3 slots missed
    second = await start(world, clock)
    await world.emu.wait_until(lambda: len(prompts_in(world, world.channel.id)) >= 1)
    cog(second).wake()
    await second.settle()
    cog(second).wake()
    await second.settle()
    posted = prompts_in(world, world.channel.id)
    assert [p["embeds"][0]["title"] for p in posted] == ["Stalker, slowly"]
    schedule = await bot_of(second).store.get_schedule(world.guild.id)
    assert schedule is not None and schedule.last_slot == FIRST_SLOT + timedelta(days=2)

    posted = await fire(second, world, clock, FIRST_SLOT + timedelta(days=3),
                        world.channel.id, expect=2)
    assert [p["embeds"][0]["title"] for p in posted][1] == "Parasite: the house on the hill"
    assert await second.stop() == 0


async def test_empty_queue_falls_back_to_library_then_tells_moderators_once(
        world: World, tmp_path: Path) -> None:
    """No queue: the unposted library article goes out; then the log channel is told, once."""
    world.articles = library(tmp_path, "scraped-burning.txt")
    log_channel = world.emu.add_text_channel(world.guild.id, "mod-log")
    clock = Clock()
    runner = await start(world, clock)
    store = bot_of(runner).store  # the log channel and time zone are /filmclub settings (issue 5)
    server = await store.get_settings(world.guild.id)
    await store.save_settings(server.changes(log_channel_id=log_channel.id,
                                             timezone="Europe/Paris"))
    reply = await command(world, "prompt schedule set", {"cadence": "daily", "time": "19:30"})
    assert "daily at 19:30 (Europe/Paris)" in answer(reply)

    (posted,) = await fire(runner, world, clock, FIRST_SLOT, world.channel.id, expect=1)
    assert posted["embeds"][0]["title"] == "Burning and the things we cannot prove"
    fields = {f["name"]: f["value"] for f in posted["embeds"][0]["fields"]}
    assert fields["The question"].startswith("Did Ben do what Jong-su believes he did?")

    for day in (1, 2):
        clock.move_to(FIRST_SLOT + timedelta(days=day))
        cog(runner).wake()
        await world.emu.wait_until(lambda: any("queue is empty" in m["content"] for m in
                                               world.emu.messages_in(log_channel.id)))
        await runner.settle()
    notes = [m for m in world.emu.messages_in(log_channel.id)
             if "the prompt queue is empty" in m["content"]]  # not the audit log's lines
    assert len(notes) == 1
    assert len(prompts_in(world, world.channel.id)) == 1

    await command(world, "prompt queue list")  # still empty, still says so
    listing = world.emu.interactions[-1]
    assert "The queue is empty" in listing.response["embeds"][0]["description"]
    assert await runner.stop() == 0
