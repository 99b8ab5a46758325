"""Rate limits and Discord errors: the bot waits and retries as Discord asks; permanent
errors reach the moderator in one line.

The emulator answers chosen calls with 429 (per route or global, with ``retry_after``
and the rate-limit headers), 5xx, 403 Missing Access or 404 Unknown Channel.
"""

from __future__ import annotations

import pytest

from tests.e2e.catchup_helpers import catch_up_cog, discord_view, restart, store_view
from tests.e2e.harness import RunningBot, World
from tests.e2e.test_discussion import ARTICLE, post_prompt


def posts_to(world: World, path: str) -> int:
    return sum(1 for method, p, _ in world.emu.requests if method == "POST" and p == path)


def prompt_messages(world: World) -> list[dict[str, object]]:
    return [m for m in world.emu.messages_in(world.channel.id) if m.get("embeds")]


@pytest.mark.parametrize(("status", "global_"), [(429, False), (429, True), (500, False),
                                                 (502, False)],
                         ids=["route-429", "global-429", "500", "502"])
async def test_prompt_posted_once_through_failures(world: World, running: RunningBot,
                                                   status: int, global_: bool) -> None:
    """A 429 or 5xx on posting the prompt: retried as asked, posted exactly once."""
    path = f"/channels/{world.channel.id}/messages"
    world.emu.fail_next("POST", f"^{path}$", status=status, retry_after=0.3, global_=global_)
    thread = await post_prompt(world, running)
    assert len(prompt_messages(world)) == 1
    assert posts_to(world, path) == 2  # the refused call and its retry
    prompt = await running.bot.store.get_prompt(thread)  # type: ignore[union-attr]
    assert prompt is not None and prompt.article.slug == ARTICLE


async def test_thread_opened_once_through_429(world: World, running: RunningBot) -> None:
    """A 429 on opening the thread: one thread, on the one prompt message."""
    world.emu.fail_next("POST", r"^/channels/\d+/messages/\d+/threads$", retry_after=0.2)
    await post_prompt(world, running)
    (message,) = prompt_messages(world)
    assert [t for t in world.emu.threads] == [int(message["id"])]


@pytest.mark.parametrize("status", [429, 500])
async def test_export_delivered_through_failures(world: World, running: RunningBot,
                                                 status: int) -> None:
    """A 429 or 500 on sending the export: the file still arrives, once."""
    thread = await post_prompt(world, running)
    await world.emu.say(world.members[0].id, thread, "worth keeping")
    await running.settle()
    world.emu.fail_next("POST", r"^/webhooks/\d+/[^/]+$", status=status, retry_after=0.2)
    inter = await world.emu.invoke(world.mod.id, thread, "export", {"format": "md"})
    await inter.wait_for(lambda i: bool(i.files), timeout=15)
    (name, data), = inter.files
    assert name.endswith(".md") and b"worth keeping" in data


@pytest.mark.parametrize(("status", "words"), [
    (403, "I don't have access"), (404, "no longer exists")])
async def test_permanent_error_is_one_line_to_the_moderator(world: World, running: RunningBot,
                                                            status: int, words: str) -> None:
    """403 Missing Access or 404 Unknown Channel: one private line, nothing posted or stored."""
    world.emu.fail_next("POST", f"^/channels/{world.channel.id}/messages$", status=status)
    inter = await world.emu.invoke(world.mod.id, world.channel.id, "prompt post",
                                   {"article": ARTICLE, "channel": world.channel.id})
    await inter.wait_for(lambda i: bool(i.followups) or "content" in (i.response or {}))
    answers = [f["content"] for f in inter.followups] or [inter.response["content"]]
    assert len(answers) == 1 and "\n" not in answers[0] and words in answers[0], answers
    assert inter.ephemeral
    assert prompt_messages(world) == []
    assert await running.bot.store.list_prompts() == []  # type: ignore[union-attr]


@pytest.mark.parametrize(("route", "status", "global_"), [
    (r"/messages$", 429, False), (r"/messages$", 429, True), (r"/messages$", 500, False),
    (r"/reactions/", 429, False), (r"/reactions/", 502, False), (r"^/channels/\d+$", 429, True),
], ids=["history-429", "history-global-429", "history-500", "reactions-429", "reactions-502",
        "thread-global-429"])
async def test_catch_up_through_rate_limits_and_errors(world: World, running: RunningBot,
                                                       route: str, status: int,
                                                       global_: bool) -> None:
    """Catch-up hit by 429s and 5xx waits, retries and ends with the same store."""
    thread = await post_prompt(world, running)
    a = await world.emu.say(world.members[0].id, thread, "before the restart")
    await running.settle()
    assert await running.stop() == 0
    b = await world.emu.say(world.members[1].id, thread, "while it was down")
    await world.emu.react(world.members[2].id, a["id"], "👍")
    await world.emu.react(world.members[3].id, b["id"], "👎")
    await world.emu.archive_thread(thread)  # so catch-up must also ask for the thread itself
    world.emu.fail_next("GET", route, status=status, retry_after=0.2, global_=global_,
                        count=2 if status == 429 else 1)  # 5xx retries wait 1 s, then 3 s
    later = await restart(world)
    assert store_view(await later.comments(thread)) == discord_view(world.emu, thread)
    failed = [path for method, path, _ in world.emu.requests if method == "GET"]
    assert failed, "catch-up made no requests"
    report = catch_up_cog(later).last_report
    assert report is not None and report.unavailable == {}
    assert await later.stop() == 0


async def test_long_missed_history_is_read_in_pages(world: World, running: RunningBot) -> None:
    """450 missed messages cost 5 pages of history and one listing per reacted message."""
    thread = await post_prompt(world, running)
    assert await running.stop() == 0
    for i in range(450):
        msg = world.emu.build_message(world.members[i % 5].id, thread, f"missed {i}")
        if i % 9 == 0:
            await world.emu.react(world.members[(i + 1) % 5].id, msg["id"], "👍")
    before = len(world.emu.requests)
    later = await restart(world)
    assert len(await later.comments(thread)) == 450
    gets = [path for method, path, _ in world.emu.requests[before:] if method == "GET"]
    assert sum(p == f"/channels/{thread}/messages" for p in gets) == 5
    assert sum("/reactions/" in p for p in gets) == 50
    assert catch_up_cog(later).last_report.total("reactions") == 50  # type: ignore[union-attr]
    assert await later.stop() == 0


async def test_prompt_posted_once_when_answers_time_out(world: World) -> None:
    """Discord posts but its answers never come: the retries post one message, one thread."""
    world.extra_env["FILMCLUB_DISCORD_TIMEOUT"] = "0.4"
    runner = RunningBot(world)
    await runner.start()
    path = f"/channels/{world.channel.id}/messages"
    world.emu.stall_next("POST", f"^{path}$", 1.5)
    world.emu.stall_next("POST", r"^/channels/\d+/messages/\d+/threads$", 1.5)
    thread = await post_prompt(world, runner)
    (message,) = prompt_messages(world)
    assert posts_to(world, path) == 2  # the try whose answer never came, and its retry
    assert posts_to(world, f"{path}/{message['id']}/threads") == 2
    assert list(world.emu.threads) == [thread] == [int(message["id"])]
    assert [p.thread_id for p in await runner.bot.store.list_prompts()] == [thread]  # type: ignore[union-attr]
    assert await runner.stop() == 0
