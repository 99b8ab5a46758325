"""A feed end to end: added with the CLI, polled by the bot, new entries posted as prompts."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot import cli, cli_library
from bot.config import from_env
from tests.e2e.harness import World
from tests.e2e.prompting import (
    Clock,
    bot_of,
    cog,
    filmclub,
    library,
    prompts_in,
    recorded,
    start,
)
from tests.webserver import RSS, WebServer, rss

WORDS = ("The camera stays with the family at the dinner table for a long time, and the "
         "silence says more than the dialogue ever could. ") * 12

pytestmark = pytest.mark.usefixtures("stop_prompt_bots")


def entry(n: int) -> dict[str, str]:
    return {"title": f"Notes on film {n}", "link": f"https://notes.example/{n}",
            "guid": f"https://notes.example/?p={n}", "pubDate": f"Mon, 0{n} Jan 2024 10:00:00 GMT",
            "content": f"<p>{WORDS}</p><p>Film {n}: whose silence is it?</p>"}


async def test_feed_entries_become_prompts_as_the_feed_grows(
        world: World, tmp_path: Path, web_server: WebServer,
        capsys: pytest.CaptureFixture[str]) -> None:
    """CLI-added feed in post mode: the newest entry is posted, a 304 posts nothing, growth does."""
    world.articles = library(tmp_path)
    url = web_server.serve("rss", rss("Notes", [entry(2), entry(1)]), content_type=RSS)
    # In this process: the fetcher reaches the loopback web server only through the
    # test's own policy, which no setting (and so no subprocess) can have.
    args = cli._parser().parse_args(["feeds", "add", url, "--channel", str(world.channel.id),
                                     "--post", "--backlog", "1", "--every", "30"])
    status = await cli_library.run(from_env(world.env()), args, policy=web_server.policy)
    assert status == 0
    assert "2 entries now, 1 to take at the first poll" in capsys.readouterr().out

    clock = Clock()
    runner = await start(world, clock, web_server.policy)
    await recorded(runner, 1)
    (first,) = prompts_in(world, world.channel.id)
    assert first["embeds"][0]["title"] == "Notes on film 2"
    fields = {f["name"]: f["value"] for f in first["embeds"][0]["fields"]}
    assert fields["The question"] == "Film 2: whose silence is it?"
    assert world.emu.threads[int(first["id"])]["name"] == "Notes on film 2"
    (feed,) = await bot_of(runner).store.list_feeds()
    assert feed.guild_id == world.guild.id

    clock.advance(minutes=31)
    before = len(web_server.hits("rss"))
    cog(runner).wake_feeds()
    for _ in range(250):
        if len(web_server.hits("rss")) > before:
            break
        await asyncio.sleep(0.02)
    assert web_server.hits("rss")[-1].status == 304
    assert web_server.hits("rss")[-1].headers["If-None-Match"]

    web_server.serve("rss", rss("Notes", [entry(3), entry(2), entry(1)]), content_type=RSS)
    clock.advance(minutes=31)
    cog(runner).wake_feeds()
    await recorded(runner, 2)
    await runner.settle()
    titles = [p["embeds"][0]["title"] for p in prompts_in(world, world.channel.id)]
    assert titles == ["Notes on film 2", "Notes on film 3"]
    assert await bot_of(runner).store.list_queue(world.guild.id) == []
    assert await runner.stop() == 0

    status, out, _ = await filmclub(world, "feeds", "list")
    assert status == 0 and f"channel {world.channel.id}\tpost" in out and "\tok" in out
