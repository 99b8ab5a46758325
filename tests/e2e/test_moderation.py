"""Moderators run discussions: lock, unlock, archive, reopen, close timers, hidden comments,
the audit log and the moderator role, done by the real bot through the emulator."""

from __future__ import annotations

import pytest

from bot.emulator import Permissions
from bot.records.visibility import EVERY_THREAD
from tests.e2e.harness import RunningBot, World
from tests.e2e.moderating import (
    LINK,
    Clock,
    discussion,
    eventually,
    one_line_refusal,
    post,
    run,
    started,
    text,
)


def notices(world: World, thread: int) -> list[str]:
    """What the bot itself wrote in the thread (not the thread's starter message)."""
    return [m["content"] for m in world.emu.messages_in(thread)
            if m["author"]["id"] == str(world.emu.bot_user_id) and m["type"] in (0, 19)]


async def actions(runner: RunningBot) -> list[str]:
    """The audit log's actions, newest first."""
    assert runner.bot is not None
    entries = await runner.bot.store.list_audit(runner.world.guild.id, visible=EVERY_THREAD)
    return [e.action for e in entries]


async def until_actions(runner: RunningBot, expected: list[str]) -> None:
    """Wait until the audit log is ``expected``: other features' commands are audited just
    after they answer (on_app_command_completion), so the entry may lag the reply."""
    async def matches() -> bool:
        return await actions(runner) == expected

    await eventually(matches)


def meta(world: World, thread: int) -> tuple[bool, bool]:
    """(locked, archived) as Discord has it."""
    data = world.emu.threads[thread]["thread_metadata"]
    return data["locked"], data["archived"]


async def test_lock_stops_replies_and_unlock_opens_them(world: World,
                                                        running: RunningBot) -> None:
    """/discussion lock: a notice, then locked (members can't reply); unlock opens it again."""
    thread = await post(world)
    ana = world.members[0]
    inter = await run(world, world.mod, thread, "discussion lock", {"reason": "cooling off"})
    assert one_line_refusal(inter) == f"Locked <#{thread}>."
    assert meta(world, thread) == (True, False)
    (notice,) = notices(world, thread)
    assert notice.startswith("🔒") and "cooling off" in notice
    with pytest.raises(PermissionError):
        await world.emu.say(ana.id, thread, "can I still post?")
    await run(world, world.mod, thread, "discussion unlock")
    assert meta(world, thread) == (False, False)
    await world.emu.say(ana.id, thread, "yes")
    entries = await running.bot.store.list_audit(world.guild.id, thread_id=thread,
                                                 visible=EVERY_THREAD)
    assert [(e.action, e.actor_id, e.reason) for e in entries] == [
        ("unlock", world.mod.id, None), ("lock", world.mod.id, "cooling off")]


async def test_archive_then_reopen_from_another_channel(world: World,
                                                        running: RunningBot) -> None:
    """archive and reopen name the thread by id or mention; doing it twice is one line."""
    thread = await post(world)
    await run(world, world.mod, world.channel, "discussion archive", {"thread": str(thread)})
    assert meta(world, thread) == (False, True)
    again = await run(world, world.mod, world.channel, "discussion archive",
                      {"thread": str(thread)})
    assert one_line_refusal(again) == f"<#{thread}> is already archived."
    await run(world, world.mod, world.channel, "discussion reopen", {"thread": f"<#{thread}>"})
    assert meta(world, thread) == (False, False)
    assert [n.split()[0] for n in notices(world, thread)] == ["🗄️", "📂"]


async def test_thread_option_autocompletes_prompt_threads(world: World,
                                                          running: RunningBot) -> None:
    """The thread option offers the server's prompt threads, newest first, by title."""
    first = await post(world)
    second = await post(world, "stalker-the-room")
    offered = await world.emu.autocomplete(world.mod.id, world.channel.id, "discussion lock",
                                           {"thread": ""}, focused="thread")
    assert [c["value"] for c in offered] == [str(second), str(first)]
    assert offered[0]["name"].startswith("Stalker: three men at the threshold · ")
    typed = await world.emu.autocomplete(world.mod.id, world.channel.id, "discussion lock",
                                         {"thread": "vert"}, focused="thread")
    assert [c["value"] for c in typed] == [str(first)]


@pytest.mark.parametrize(("options", "expected"), [
    ({"thread": "123456789012345678"}, "That is not a filmclub prompt thread in this server."),
    ({"thread": "tomorrow"}, "'tomorrow' is not a thread: pick one from the list"),
    ({}, "Run this in a prompt thread, or choose one with `thread:`."),
])
async def test_unknown_thread_is_one_line(world: World, running: RunningBot,
                                          options: dict[str, str], expected: str) -> None:
    """A thread that is not a prompt thread of this server: one private line, nothing done."""
    thread = await post(world)
    inter = await run(world, world.mod, world.channel, "discussion lock", options)
    assert one_line_refusal(inter).startswith(expected)
    assert meta(world, thread) == (False, False)
    await until_actions(running, ["prompt post"])


@pytest.mark.parametrize(("duration", "expected"), [
    ("20m", "20m is out of range: a discussion can close after 1h to 30d."),
    ("31d", "31d is out of range"),
    ("soon", "'soon' is not a duration"),
])
async def test_bad_duration_is_one_line(world: World, running: RunningBot, duration: str,
                                        expected: str) -> None:
    """close-after outside 1h..30d, or not a duration: one line, no timer."""
    thread = await post(world)
    inter = await run(world, world.mod, thread, "discussion close-after", {"duration": duration})
    assert one_line_refusal(inter).startswith(expected)
    assert await running.bot.store.close_timers() == []


async def test_close_after_locks_the_thread_when_due(world: World) -> None:
    """A close timer locks the thread once its time comes, with a notice, and is gone after."""
    clock = Clock()
    async with started(world, clock) as runner:
        thread = await post(world)
        inter = await run(world, world.mod, thread, "discussion close-after",
                          {"duration": "2d", "reason": "on to the next film"})
        assert text(inter).startswith(f"<#{thread}> will lock <t:")
        (timer,) = await runner.bot.store.close_timers()
        assert abs((timer.due_at - clock()).total_seconds() - 2 * 86400) < 60
        clock.advance(days=2, minutes=1)
        discussion(runner).wake()
        await world.emu.wait_until(lambda: meta(world, thread)[0])
        await eventually(lambda: _no_timers(runner))
        (notice,) = notices(world, thread)
        assert notice.startswith("⏰") and "on to the next film" in notice
        logged = [a for a in await actions(runner) if a != "prompt post"]
        assert logged == ["close", "close-after"]


async def _no_timers(runner: RunningBot) -> bool:
    assert runner.bot is not None
    return await runner.bot.store.close_timers() == []


async def test_close_timer_survives_a_restart_and_fires_once(world: World) -> None:
    """Set before a restart, due while the bot was off: it fires on start, and only once."""
    clock = Clock()
    async with started(world, clock):
        thread = await post(world)
        await run(world, world.mod, world.channel, "discussion close-after",
                  {"duration": "1h", "thread": str(thread)})
    assert meta(world, thread) == (False, False)

    clock.advance(hours=3)
    async with started(world, clock) as second:
        await world.emu.wait_until(lambda: meta(world, thread)[0])
        await eventually(lambda: _no_timers(second))

    async with started(world, clock) as third:
        await third.settle()
        closes = [e for e in await third.bot.store.list_audit(world.guild.id, visible=EVERY_THREAD)
                  if e.action == "close"]
    assert [n.split()[0] for n in notices(world, thread)] == ["⏰"]
    assert len(closes) == 1
    assert "late: the bot was offline when it was due" in (closes[0].reason or "")


async def test_close_after_off_cancels_the_timer(world: World, running: RunningBot) -> None:
    """duration:off removes a pending timer; with none pending it says so in one line."""
    thread = await post(world)
    await run(world, world.mod, thread, "discussion close-after", {"duration": "1d"})
    inter = await run(world, world.mod, thread, "discussion close-after", {"duration": "off"})
    assert text(inter) == f"<#{thread}> will not close on its own any more."
    assert await running.bot.store.close_timers() == []
    again = await run(world, world.mod, thread, "discussion close-after", {"duration": "off"})
    assert one_line_refusal(again) == f"<#{thread}> has no close timer."


async def test_hidden_comment_is_marked_and_left_out_of_exports(world: World,
                                                                running: RunningBot) -> None:
    """/comment hide: a reply marks it, exports leave it out (unless asked), restore undoes."""
    emu = world.emu
    thread = await post(world)
    ana, ben = world.members[:2]
    first = await emu.say(ana.id, thread, "Scottie is the author of his own fall.")
    spoiler = await emu.say(ben.id, thread, "SPOILER: the nun did it", reply_to=first["id"])
    await emu.say(ana.id, thread, "please mark spoilers", reply_to=spoiler["id"])
    link = LINK.format(guild=world.guild.id, channel=thread, message=spoiler["id"])
    inter = await run(world, world.mod, world.channel, "comment hide",
                      {"message": link, "reason": "unmarked spoiler"})
    assert one_line_refusal(inter).startswith(f"Hidden: {link} stays stored")
    notice = emu.messages_in(thread)[-1]
    assert notice["content"].startswith("🙈 A moderator hid this comment: unmarked spoiler")
    assert notice["message_reference"]["message_id"] == spoiler["id"]

    async def export(**options: object) -> str:
        done = await run(world, world.mod, thread, "export", {"format": "md", **options})
        ((_, data),) = done.files
        return data.decode("utf-8")

    plain = await export()
    assert "the nun did it" not in plain
    assert "Scottie is the author" in plain and "please mark spoilers" in plain
    assert "the nun did it" in await export(include_hidden=True)
    stored = await running.bot.store.get_hidden(int(spoiler["id"]))
    assert stored is not None and stored.reason == "unmarked spoiler"

    await run(world, world.mod, world.channel, "comment restore", {"message": spoiler["id"]})
    assert notice["id"] not in {m["id"] for m in emu.messages_in(thread)}
    assert "the nun did it" in await export()
    await until_actions(running, ["export", "restore", "export", "export", "hide",
                                  "prompt post"])


@pytest.mark.parametrize(("message", "expected"), [
    ("soon", "'soon' is not a message"),
    ("https://discord.com/channels/1/2/3", "That message is in another server."),
    ("123456789012345678", "That message is not a comment"),
])
async def test_hide_refuses_what_is_not_a_comment(world: World, running: RunningBot,
                                                  message: str, expected: str) -> None:
    """Not a link or id, another server's message, or no comment: one line, nothing hidden."""
    await post(world)
    inter = await run(world, world.mod, world.channel, "comment hide",
                      {"message": message, "reason": "test"})
    assert one_line_refusal(inter).startswith(expected)
    await until_actions(running, ["prompt post"])


async def test_actions_are_logged_listed_and_posted(world: World, running: RunningBot) -> None:
    """Every moderator action is kept, posted to the log channel and listed by /discussion log."""
    emu = world.emu
    admin = emu.add_member(world.guild.id, "Ada Admin",
                           permissions=Permissions.DEFAULT | Permissions.MANAGE_GUILD)
    log_channel = emu.add_text_channel(world.guild.id, "mod-log")
    await run(world, admin, world.lobby, "filmclub settings set", {"log_channel": log_channel.id})
    thread = await post(world)
    await emu.wait_until(lambda: len(emu.messages_in(log_channel.id)) == 2)
    comment = await emu.say(world.members[0].id, thread, "a comment")
    await run(world, world.mod, thread, "discussion lock", {"reason": "heated"})
    await run(world, world.mod, world.lobby, "comment hide",
              {"message": comment["id"], "reason": "rude"})

    posted = [m["content"] for m in emu.messages_in(log_channel.id)]
    assert len(posted) == 4 and all(p.startswith("📋 <t:") for p in posted)
    assert f"<@{admin.id}> changed settings log channel → #mod-log" in posted[0]
    assert f"<@{world.mod.id}> ran /prompt post" in posted[1] and "vertigo" in posted[1]
    assert f"locked Vertigo and the second fall in <#{thread}> — heated" in posted[2]
    assert "hid a comment by Ana" in posted[3] and posted[3].endswith("— rude")

    server = await run(world, world.mod, world.lobby, "discussion log")
    assert "4 actions in this server, newest first." in text(server)
    assert text(server).index("hid a comment") < text(server).index("changed settings")
    in_thread = await run(world, world.mod, thread, "discussion log")
    assert f"2 actions in <#{thread}>" in text(in_thread) and "changed settings" not in text(
        in_thread)


async def test_moderator_role_counts_as_moderator(world: World, running: RunningBot) -> None:
    """With a moderator role set, its members may moderate without the permissions."""
    emu = world.emu
    role_perms = Permissions.DEFAULT | Permissions.PRIORITY_SPEAKER
    role = emu.add_role(world.guild.id, "Film Mods", role_perms)
    helper = emu.add_member(world.guild.id, "Hal Helper", permissions=role_perms)
    admin = emu.add_member(world.guild.id, "Ada Admin",
                           permissions=Permissions.DEFAULT | Permissions.MANAGE_GUILD)
    thread = await post(world)
    before = await run(world, helper, thread, "discussion lock")
    assert one_line_refusal(before) == (
        f"You need the Manage Threads permission in <#{thread}> to do that.")
    await run(world, admin, world.lobby, "filmclub settings set", {"moderator_role": role})
    await run(world, helper, thread, "discussion lock")
    assert meta(world, thread) == (True, False)
    plain = await run(world, world.members[0], thread, "discussion unlock")
    assert one_line_refusal(plain) == (
        f"You need the Manage Threads permission or the Film Mods role in <#{thread}> to do "
        "that.")
    settings = await run(world, helper, world.lobby, "filmclub settings show")
    assert one_line_refusal(settings) == (
        "You need the Manage Guild permission server-wide to do that.")
