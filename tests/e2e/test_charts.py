"""Issue 19 through the real bot and the emulator: /stats attaches its chart as a PNG,
and /filmclub settings charts anonymises the server's most active members."""

from __future__ import annotations

from datetime import datetime

from bot.emulator import Permissions
from bot.emulator.interactions import InteractionRecord
from bot.records.visibility import EVERY_THREAD
from tests.chartcheck import bar_count, comment_colours, distinct_colours, png_image
from tests.e2e.harness import RunningBot, World
from tests.e2e.moderating import message, post, run, text


def the_png(inter: InteractionRecord) -> bytes:
    """The one PNG the answer carries, also shown as the embed's image."""
    assert len(inter.files) == 1, inter.summary()
    name, data = inter.files[0]
    assert name.endswith(".png")
    shown = message(inter)
    assert shown["attachments"][0]["filename"] == name
    assert shown["attachments"][0]["content_type"] == "image/png"
    assert shown["embeds"][0]["image"]["url"] == shown["attachments"][0]["url"] or \
        shown["embeds"][0]["image"]["url"] == f"attachment://{name}"
    return data


async def test_stats_attaches_the_thread_chart(world: World, running: RunningBot) -> None:
    """/stats in a thread: its numbers and a PNG with one bar per hour that has comments."""
    emu = world.emu
    thread = await post(world)
    said = []
    for member, words in zip(world.members[:4], ("one", "two", "three", "four"), strict=True):
        said.append(await emu.say(member.id, thread, words))
    await emu.react(world.members[1].id, said[0]["id"], "👍")
    inter = await run(world, world.members[2], thread, "stats")
    assert inter.ephemeral and "Comments: 4" in text(inter)
    image = png_image(the_png(inter))
    assert image.size == (1080, 600) and distinct_colours(image) > 50
    hours = {datetime.fromisoformat(m["timestamp"]).replace(minute=0, second=0, microsecond=0)
             for m in said}
    assert bar_count(image, *comment_colours(), top_fraction=0.55) == len(hours)


async def test_stats_server_chart_and_its_anonymising_setting(world: World,
                                                              running: RunningBot) -> None:
    """The server's /stats PNG; an admin's /filmclub settings charts is kept and audited,
    and a member may not change it."""
    emu = world.emu
    thread = await post(world)
    await emu.say(world.members[0].id, thread, "hello")
    before = await run(world, world.members[1], world.lobby, "stats")
    assert png_image(the_png(before)).size == (1080, 600)
    refused = await run(world, world.members[1], world.lobby, "filmclub settings charts",
                        {"members": "anonymised"})
    assert refused.files == [] and (await running.bot.store.get_settings(
        world.guild.id)).anonymise_members is False
    admin = emu.add_member(world.guild.id, "Ada Admin",
                           permissions=Permissions.DEFAULT | Permissions.MANAGE_GUILD)
    changed = await run(world, admin, world.lobby, "filmclub settings charts",
                        {"members": "anonymised"})
    assert "Member 1, Member 2" in text(changed)
    assert (await running.bot.store.get_settings(world.guild.id)).anonymise_members is True
    log = await running.bot.store.list_audit(world.guild.id, visible=EVERY_THREAD)
    assert log[0].target == "chart members → anonymised"
    after = await run(world, world.members[1], world.lobby, "stats")
    assert png_image(the_png(after)) != png_image(the_png(before))
    # What the picture draws is in its alt text: the name before, "Member 1" after.
    alt = [message(inter)["attachments"][0]["description"] for inter in (before, after)]
    assert "most active: Ana (1)" in alt[0], alt
    assert "most active: Member 1 (1)" in alt[1] and "Ana" not in alt[1], alt
