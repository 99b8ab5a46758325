"""Spoiler threads end to end (issue 18): the real bot, the emulator, and Chromium.

A moderator posts a prompt with spoilers:on; the thread's name and the prompt say so
and the card's excerpt and question are Discord spoilers; a member's comment quoted by
/top outside the thread, and a moderator's reason in the log channel, come inside
spoiler marks; the thread's HTML export, opened in headless Chromium, shows the
spoilers as dark boxes until clicked. Then the other two ways a prompt becomes a
spoiler thread: the article's front matter, and the server's "spoiler days" setting.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.emulator import Permissions
from bot.spoilers import THREAD_PREFIX
from tests.chromium import CHROMIUM, browser
from tests.e2e.harness import RunningBot, World
from tests.e2e.moderating import LINK, message, run, text
from tests.e2e.prompting import Clock, answer, bot_of, command, prompts_in, start
from tests.export.test_html_spoilers_browser import hidden, readable

VERTIGO = "vertigo-the-second-fall"


def top_lines(inter: Any) -> list[str]:
    return [line for line in (message(inter)["embeds"][0]["description"] or "").splitlines()
            if line[:1].isdigit()]


def wrapped(value: str) -> bool:
    """One Discord spoiler from end to end: opened, closed, and no bare || inside."""
    inner = value[2:-2]
    return value.startswith("||") and value.endswith("||") and \
        re.search(r"(?<!\\)\|", inner) is None


async def spoiler_prompt(world: World) -> tuple[int, dict[str, Any]]:
    """The moderator posts Vertigo as a spoiler thread; its thread id and prompt message."""
    before = set(world.emu.threads)
    inter = await run(world, world.mod, world.channel, "prompt post",
                      {"article": VERTIGO, "channel": world.channel.id, "spoilers": "on"})
    assert "as a spoiler thread" in text(inter)
    (thread,) = [t for t in world.emu.threads if t not in before]
    (prompt,) = prompts_in(world, world.channel.id)
    return thread, prompt


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed")
async def test_a_spoiler_thread_is_kept_hidden_outside_it(world: World, running: RunningBot,
                                                         tmp_path: Path) -> None:
    """Spoiler prompt; /top's quote and the log channel's reason in spoiler marks; the HTML
    export's spoilers dark in Chromium until clicked."""
    emu = world.emu
    admin = emu.add_member(world.guild.id, "Ada Admin",
                           permissions=Permissions.DEFAULT | Permissions.MANAGE_GUILD)
    log_channel = emu.add_text_channel(world.guild.id, "mod-log")
    await run(world, admin, world.lobby, "filmclub settings set",
              {"log_channel": log_channel.id})

    thread, prompt = await spoiler_prompt(world)
    assert emu.channel(thread)["name"] == THREAD_PREFIX + "Vertigo and the second fall"
    assert "Spoiler thread" in prompt["content"]
    card = prompt["embeds"][0]
    assert wrapped(card["description"]) and "Scottie" in card["description"]
    question = next(f["value"] for f in card["fields"] if f["name"] == "The question")
    assert wrapped(question)

    ana, ben, cy, dee, eve = world.members
    said = await emu.say(ana.id, thread, "||Judy IS Madeleine|| and the tower | ends it.")
    rude = await emu.say(dee.id, thread, "The nun did it, obviously.")
    for member in (ben, cy):
        await emu.react(member.id, said["id"], "👍")
    await running.settle()

    top = await run(world, eve, world.lobby, "top")
    link = LINK.format(guild=world.guild.id, channel=thread, message=said["id"])
    assert top_lines(top) == [
        "1. **+2** Ana in *Vertigo and the second fall*: "
        "“||\\|\\|Judy IS Madeleine\\|\\| and the tower \\| ends it.||” "
        f"[jump]({link})",
    ]

    await run(world, world.mod, world.lobby, "comment hide",
              {"message": rude["id"], "reason": "names the ending: the nun in the tower"})
    (logged,) = [m["content"] for m in emu.messages_in(log_channel.id) if "hid" in m["content"]]
    reason = logged.split(" — ", 1)[1]
    assert wrapped(reason) and "the nun in the tower" in reason

    exported = await run(world, world.mod, thread, "export", {"format": "html"})
    ((name, data),) = exported.files
    page_file = tmp_path / name
    page_file.write_bytes(data)
    async with browser(tmp_path / "profile") as page:
        await page.open(page_file)
        spoilers = await page.evaluate("document.querySelectorAll('.spoiler').length")
        assert spoilers == 3  # the excerpt, the question, Ana's spoiler
        ana_spoiler = await page.evaluate(
            "[...document.querySelectorAll('.spoiler')]"
            ".findIndex(e => e.textContent === 'Judy IS Madeleine')")
        assert ana_spoiler == 2
        for index in range(spoilers):
            assert hidden(await page.picture((await page.box(".spoiler", index)).inset(2)))
        box = await page.box(".spoiler", ana_spoiler)
        await page.click(*box.centre)
        assert readable(await page.picture((await page.box(".spoiler", ana_spoiler)).inset(2)))
        assert hidden(await page.picture((await page.box(".spoiler", 0)).inset(2)))


ARTICLE = """---
title: "{title}"
film: {film}
{extra}
question: What did the ending do to you?
---

{film} ends where it must, and the last scene changes everything before it.
"""


def write_library(tmp_path: Path, articles: dict[str, tuple[str, str]]) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    for slug, (film, extra) in articles.items():
        (folder / f"{slug}.md").write_text(ARTICLE.format(title=f"On {film}", film=film,
                                                          extra=extra))
    return folder


@pytest.mark.usefixtures("stop_prompt_bots")
async def test_front_matter_and_spoiler_days_make_spoiler_threads(world: World,
                                                                 tmp_path: Path) -> None:
    """spoilers: true in front matter, or a film released within the server's spoiler days,
    gives a spoiler thread; spoilers:off overrides both; an old film or a bare year none."""
    clock = Clock()  # Monday 4 March 2024
    world.articles = write_library(tmp_path, {
        "marked": ("Marked", "spoilers: true"),
        "fresh": ("Fresh", "released: 2024-02-20"),
        "fresh-off": ("Fresher", "released: 2024-02-25"),
        "old": ("Old", "released: 2023-06-01"),
        "year-only": ("Yearly", "released: 2024"),
        "future": ("Soon", "released: 2024-04-01"),
    })
    runner = await start(world, clock)
    settings = await command(world, "prompt settings", {"spoiler_days": 30})
    assert "fewer than 30 days ago" in answer(settings)
    expected = {"marked": True, "fresh": True, "fresh-off": False, "old": False,
                "year-only": False, "future": True}
    for slug in expected:
        options: dict[str, Any] = {"article": slug}
        if slug == "fresh-off":
            options["spoilers"] = "off"
        posted = await command(world, "prompt post", options)
        assert answer(posted).startswith("Posted "), answer(posted)
    prompts = {p.article.slug: p for p in await bot_of(runner).store.list_prompts()}
    assert {slug: p.spoilers for slug, p in prompts.items()} == expected
    for slug, spoiler in expected.items():
        name = world.emu.channel(prompts[slug].thread_id)["name"]
        assert name.startswith(THREAD_PREFIX) == spoiler, name
    assert await runner.stop() == 0
