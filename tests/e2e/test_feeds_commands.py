"""/feeds end to end: moderators add, list, poll and remove feeds from Discord, with the
checks and answers of `filmclub feeds`, for their own server's feeds only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.emulator import Permissions
from tests.e2e.harness import World
from tests.e2e.moderating import one_line_refusal, run, text
from tests.e2e.prompting import Clock, bot_of, filmclub_here, library, prompts_in, recorded, start
from tests.webserver import RSS, WebServer, rss

pytestmark = pytest.mark.usefixtures("stop_prompt_bots")

WORDS = ("The camera waits at the kitchen table while the family argues about the farm, and "
         "the light changes on the wall behind them. ") * 12


def entry(n: int) -> dict[str, str]:
    return {"title": f"Field notes {n}", "link": f"https://fieldnotes.example/{n}",
            "guid": f"https://fieldnotes.example/?p={n}",
            "pubDate": f"Mon, 0{n} Jan 2024 10:00:00 GMT",
            "content": f"<p>{WORDS}</p><p>Notes {n}: who owns the land?</p>"}


@pytest.fixture
def admin(world: World) -> Any:
    """A member with Manage Server: feeds are theirs to manage."""
    return world.emu.add_member(world.guild.id, "Ada Admin",
                                permissions=Permissions.DEFAULT | Permissions.MANAGE_GUILD)


async def test_a_moderator_adds_lists_polls_and_removes_a_feed(
        world: World, tmp_path: Path, web_server: WebServer, admin: Any) -> None:
    """/feeds add posts the backlog, /feeds poll brings the next entry, remove stops it."""
    world.articles = library(tmp_path)
    url = web_server.serve("rss", rss("Field notes", [entry(2), entry(1)]), content_type=RSS)
    runner = await start(world, Clock(), web_server.policy)
    channel = world.channel.id

    added = await run(world, admin, world.lobby, "feeds add", {
        "url": url, "channel": channel, "post": True, "backlog": 1, "every": 30})
    assert added.ephemeral and text(added) == (
        f"feed 1: {url} -> <#{channel}> (post, every 30 min); 2 entries now, 1 to take at "
        "the first poll")
    await recorded(runner, 1, timeout=30)
    (first,) = prompts_in(world, channel)
    assert first["embeds"][0]["title"] == "Field notes 2"
    (feed,) = await bot_of(runner).store.list_feeds()
    assert (feed.guild_id, feed.channel_id, feed.mode) == (world.guild.id, channel, "post")

    listing = text(await run(world, admin, world.lobby, "feeds list"))
    assert "1 feed(s)" in listing
    assert f"1 · {url} · <#{channel}> · post · every 30 min · polled <t:" in listing
    assert listing.endswith(" · ok")

    web_server.serve("rss", rss("Field notes", [entry(3), entry(2), entry(1)]),
                     content_type=RSS)
    polled = await run(world, admin, world.lobby, "feeds poll")
    assert f"{url}: 1 new article(s), 1 queued" in text(polled)
    await recorded(runner, 2, timeout=30)
    assert [p["embeds"][0]["title"] for p in prompts_in(world, channel)] == [
        "Field notes 2", "Field notes 3"]

    choices = await world.emu.autocomplete(admin.id, world.lobby.id, "feeds remove",
                                           {"feed": ""}, focused="feed")
    assert [c["value"] for c in choices] == [1]
    removed = await run(world, admin, world.lobby, "feeds remove", {"feed": 1})
    assert text(removed) == f"feed 1 removed ({url}, <#{channel}>)"
    assert "0 feed(s)" in text(await run(world, admin, world.lobby, "feeds list"))
    assert await bot_of(runner).store.list_feeds() == []
    assert await runner.stop() == 0


@pytest.mark.parametrize(("body", "kind"), [
    ('<?xml version="1.0"?><rss version="2.0"><channel><title>Cut</title><item><title>A',
     RSS),
    ("<!doctype html><html><head><title>A page</title></head><body><p>Hello</p></body></html>",
     "text/html; charset=utf-8"),
], ids=["truncated-feed", "web-page"])
async def test_feeds_add_refuses_what_the_cli_refuses(
        world: World, tmp_path: Path, web_server: WebServer, admin: Any, body: str,
        kind: str) -> None:
    """A malformed feed or a web page: the CLI's one line, privately; nothing stored."""
    world.articles = library(tmp_path)
    url = web_server.serve("bad", body, content_type=kind)
    status, _, err = await filmclub_here(world, "feeds", "add", url, "--channel",
                                         str(world.channel.id), policy=web_server.policy)
    assert status == 2
    runner = await start(world, Clock(), web_server.policy)
    refused = await run(world, admin, world.lobby, "feeds add",
                        {"url": url, "channel": world.channel.id})
    said = [line for line in err.splitlines() if line.startswith("filmclub: ")]
    assert ["filmclub: " + one_line_refusal(refused)] == said
    assert await bot_of(runner).store.list_feeds() == []
    assert await runner.stop() == 0


async def test_shell_feeds_of_this_server_only(world: World, tmp_path: Path,
                                              web_server: WebServer, admin: Any) -> None:
    """A feed added on the shell for a channel here is this server's; another server's is not."""
    world.articles = library(tmp_path)
    elsewhere = world.emu.add_guild("Other Club")
    their_channel = world.emu.add_text_channel(elsewhere.id, "their-films")
    ours = web_server.serve("ours", rss("Ours", []), content_type=RSS)
    theirs = web_server.serve("theirs", rss("Theirs", []), content_type=RSS)
    for url, channel in ((ours, world.channel.id), (theirs, their_channel.id)):
        status, _, err = await filmclub_here(world, "feeds", "add", url, "--channel",
                                             str(channel), policy=web_server.policy)
        assert status == 0, err
    runner = await start(world, Clock(), web_server.policy)
    listing = text(await run(world, admin, world.lobby, "feeds list"))
    assert ours in listing and theirs not in listing and "1 feed(s)" in listing
    refused = await run(world, admin, world.lobby, "feeds remove", {"feed": 2})
    assert one_line_refusal(refused) == "there is no feed 2 (see /feeds list)"
    assert len(await bot_of(runner).store.list_feeds()) == 2
    assert await runner.stop() == 0


async def test_feeds_in_hidden_channels_and_unpostable_channels(
        world: World, tmp_path: Path, web_server: WebServer, admin: Any) -> None:
    """A moderator-role member manages feeds, but not in a channel they cannot see, and not
    into a channel where the bot cannot post."""
    world.articles = library(tmp_path)
    emu = world.emu
    role_perms = Permissions.DEFAULT | Permissions.PRIORITY_SPEAKER
    role = emu.add_role(world.guild.id, "Film Mods", role_perms)
    helper = emu.add_member(world.guild.id, "Hal Helper", permissions=role_perms)
    secret = emu.add_text_channel(world.guild.id, "staff-only", overwrites=[{
        "id": str(role), "type": 0, "allow": "0", "deny": str(Permissions.VIEW_CHANNEL)}])
    muted = emu.add_text_channel(world.guild.id, "read-only", overwrites=[{
        "id": str(emu.bot_user_id), "type": 1, "allow": "0",
        "deny": str(Permissions.SEND_MESSAGES)}])
    hidden = web_server.serve("hidden", rss("Hidden", []), content_type=RSS)
    status, _, err = await filmclub_here(world, "feeds", "add", hidden, "--channel",
                                         str(secret.id), policy=web_server.policy)
    assert status == 0, err
    runner = await start(world, Clock(), web_server.policy)
    refused = await run(world, helper, world.lobby, "feeds list")
    assert one_line_refusal(refused) == (
        "You need the Manage Guild permission server-wide to do that.")
    await run(world, admin, world.lobby, "filmclub settings set", {"moderator_role": role})

    listing = text(await run(world, helper, world.lobby, "feeds list"))
    assert "0 feed(s) (1 more in channels you can't see)" in listing and hidden not in listing
    gone = await run(world, helper, world.lobby, "feeds remove", {"feed": 1})
    assert one_line_refusal(gone) == "there is no feed 1 (see /feeds list)"
    url = web_server.serve("rss", rss("Notes", []), content_type=RSS)
    for channel, expected in (
            (secret.id, f"You need the View Channel permission in <#{secret.id}> to do that."),
            (muted.id, f"I can't post prompts in <#{muted.id}>: I lack Send Messages, Embed "
                       "Links there.")):
        inter = await run(world, helper, world.lobby, "feeds add",
                          {"url": url, "channel": channel})
        assert one_line_refusal(inter).startswith(expected)
    assert [f.url for f in await bot_of(runner).store.list_feeds()] == [hidden]
    admin_view = text(await run(world, admin, world.lobby, "feeds list"))
    assert hidden in admin_view and "1 feed(s)" in admin_view
    assert await runner.stop() == 0
