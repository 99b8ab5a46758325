"""/filmclub settings through the real bot and the emulator: defaults, changes, refusals,
vote emoji that recount the votes, and who may export."""

from __future__ import annotations

from typing import Any

import pytest

from bot.emulator import Permissions
from bot.records.visibility import EVERY_THREAD
from tests.e2e.harness import RunningBot, World
from tests.e2e.moderating import dump, one_line_refusal, post, run, text


@pytest.fixture
def admin(world: World) -> Any:
    """A member with Manage Server (settings are theirs)."""
    return world.emu.add_member(world.guild.id, "Ada Admin",
                                permissions=Permissions.DEFAULT | Permissions.MANAGE_GUILD)


async def test_settings_show_the_defaults(world: World, running: RunningBot, admin: Any) -> None:
    """A new server has sensible defaults, all listed."""
    inter = await run(world, admin, world.lobby, "filmclub settings show")
    shown = text(inter)
    for line in (
        "Prompt channel: not set: prompts go where /prompt post is run",
        "Moderator role: not set: the permissions decide",
        "Vote emoji: +1: 👍 ⬆️ · −1: 👎 ⬇️ (the defaults)",
        "Time zone: UTC",
        "Who may export: moderators only (the default)",
        "Log channel: not set: actions are kept, not posted",
    ):
        assert line in shown, shown


async def test_settings_set_then_reset(world: World, running: RunningBot, admin: Any) -> None:
    """Several settings change at once and show; reset puts one back."""
    inter = await run(world, admin, world.lobby, "filmclub settings set", {
        "prompt_channel": world.channel.id, "timezone": "europe/paris",
        "upvote_emoji": "🔥 👍", "downvote_emoji": "🧊", "export_access": "everyone",
    })
    assert text(inter).startswith(
        "Changed: prompt channel, vote emoji, time zone, who may export.")
    stored = await running.bot.store.get_settings(world.guild.id)
    assert (stored.prompt_channel_id, stored.timezone, stored.upvote_emoji,
            stored.downvote_emoji, stored.export_access) == (
        world.channel.id, "Europe/Paris", ("🔥", "👍"), ("🧊",), "everyone")
    shown = text(await run(world, admin, world.lobby, "filmclub settings show"))
    assert f"Prompt channel: <#{world.channel.id}>" in shown and "+1: 🔥 👍 · −1: 🧊" in shown
    await run(world, admin, world.lobby, "filmclub settings set", {"reset": "vote_emoji"})
    stored = await running.bot.store.get_settings(world.guild.id)
    assert not stored.custom_votes and stored.timezone == "Europe/Paris"


async def test_channel_the_bot_cannot_post_in_is_refused(world: World, running: RunningBot,
                                                         admin: Any) -> None:
    """A channel where the bot lacks what it needs is refused, saying what is missing."""
    closed = world.emu.add_text_channel(world.guild.id, "announcements", overwrites=[{
        "id": str(world.emu.bot_user_id), "type": 1, "allow": "0",
        "deny": str(Permissions.SEND_MESSAGES | Permissions.EMBED_LINKS),
    }])
    await running.settle()
    before = dump(world)
    for option, purpose in (("prompt_channel", "post prompts"),
                            ("log_channel", "post the moderator log")):
        inter = await run(world, admin, world.lobby, "filmclub settings set",
                          {option: closed.id})
        line = one_line_refusal(inter)
        assert line.startswith(f"I can't {purpose} in <#{closed.id}>: I lack Send Messages")
    await running.settle()
    assert dump(world) == before


@pytest.mark.parametrize(("options", "expected"), [
    ({"timezone": "Mars/Olympus"}, "'Mars/Olympus' is not a time zone I know"),
    ({"upvote_emoji": "thumbs up"}, "'thumbs', 'up' are not emoji"),
    ({"upvote_emoji": "👍", "downvote_emoji": "👍 👎"}, "👍 cannot count both +1 and −1."),
    ({"upvote_emoji": " ".join("😀😁😂🤣😃😄😅😆😉😊😋")}, "At most 10 emoji for upvotes"),
    ({"moderator_role": "guild"}, "@everyone can't be the moderator role"),
    ({}, "Nothing to change: give at least one setting, or reset one."),
    ({"timezone": "UTC", "reset": "timezone"}, "Either set timezone or reset it, not both."),
])
async def test_bad_settings_are_one_line(world: World, running: RunningBot, admin: Any,
                                         options: dict[str, Any], expected: str) -> None:
    """Each invalid value is refused in one line and nothing is stored."""
    if options.get("moderator_role") == "guild":
        options = {"moderator_role": world.guild.id}  # @everyone's role id is the server's
    inter = await run(world, admin, world.lobby, "filmclub settings set", options)
    assert one_line_refusal(inter).startswith(expected)
    stored = await running.bot.store.get_settings(world.guild.id)
    assert stored.updated_at is None


async def test_timezone_autocompletes(world: World, running: RunningBot, admin: Any) -> None:
    """The time zone option offers matching IANA names, at most 25."""
    offered = await world.emu.autocomplete(admin.id, world.lobby.id, "filmclub settings set",
                                           {"timezone": "paris"}, focused="timezone")
    assert [c["value"] for c in offered] == ["Europe/Paris"]
    everything = await world.emu.autocomplete(admin.id, world.lobby.id,
                                              "filmclub settings set", {"timezone": ""},
                                              focused="timezone")
    assert len(everything) == 25


async def test_new_vote_emoji_recount_the_votes(world: World, running: RunningBot,
                                                admin: Any) -> None:
    """Stored reactions are recounted when the vote emoji change, and new ones follow."""
    emu = world.emu
    thread = await post(world)
    ana, ben, cy, dee, eve = world.members
    comment = await emu.say(ana.id, thread, "The tower is the film's real protagonist.")
    for member, emoji in ((ben, "🔥"), (cy, "🔥"), (dee, "👍")):
        await emu.react(member.id, comment["id"], emoji)
    assert [c.score for c in await running.comments(thread)] == [1]
    inter = await run(world, admin, world.lobby, "filmclub settings set",
                      {"upvote_emoji": "🔥", "downvote_emoji": "🧊"})
    assert "3 stored reactions were recounted." in text(inter)
    assert [c.score for c in await running.comments(thread)] == [2]
    await emu.react(eve.id, comment["id"], "🧊")
    assert [c.score for c in await running.comments(thread)] == [1]


async def test_export_setting_opens_export_to_members(world: World, running: RunningBot,
                                                      admin: Any) -> None:
    """By default members can't export; with export_access everyone they can (hidden kept out)."""
    thread = await post(world)
    member = world.members[0]
    await world.emu.say(member.id, thread, "my comment")
    refused = await run(world, member, thread, "export", {"format": "md"})
    assert one_line_refusal(refused) == (
        f"You need the Manage Messages permission in <#{thread}> to do that.")
    await run(world, admin, world.lobby, "filmclub settings set", {"export_access": "everyone"})
    done = await run(world, member, thread, "export", {"format": "md"})
    ((name, data),) = done.files
    assert name.endswith(".md") and "my comment" in data.decode("utf-8")
    hidden = await run(world, member, thread, "export", {"format": "md", "include_hidden": True})
    assert one_line_refusal(hidden) == (
        "Only moderators can include hidden comments in an export.")


async def test_prompt_settings_are_part_of_the_one_family(world: World, running: RunningBot,
                                                          admin: Any) -> None:
    """Issue 20: archive, mention role and default question are /filmclub settings too,
    and /prompt settings reads and writes the same record."""
    role = world.emu.add_role(world.guild.id, "Film Night", Permissions.DEFAULT)
    inter = await run(world, admin, world.lobby, "filmclub settings set", {
        "archive": 1440, "mention_role": role, "default_question": "What stayed with you?"})
    assert text(inter).startswith(
        "Changed: threads archive after, role mentioned in prompts, default question.")
    shown = text(await run(world, admin, world.lobby, "filmclub settings show"))
    for line in ("Threads archive after: 1 day without activity",
                 f"Role mentioned in prompts: <@&{role}>",
                 "Default question: What stayed with you?"):
        assert line in shown, shown
    seen = text(await run(world, world.mod, world.lobby, "prompt settings"))
    assert "threads archive after 1 day" in seen and f"mention <@&{role}>" in seen
    assert "default question: What stayed with you?" in seen
    await run(world, world.mod, world.lobby, "prompt settings",
              {"default_question": "Would you watch it again?", "no_mention": True})
    stored = await running.bot.store.get_settings(world.guild.id)
    assert (stored.archive_minutes, stored.mention_role_id, stored.default_question) == (
        1440, None, "Would you watch it again?")
    await run(world, admin, world.lobby, "filmclub settings set", {"reset": "archive"})
    shown = text(await run(world, admin, world.lobby, "filmclub settings show"))
    assert "Threads archive after: 1 week without activity (the default)" in shown
    assert "Role mentioned in prompts: none: prompts mention no one" in shown


async def test_the_schedule_and_the_settings_share_one_time_zone(
        world: World, running: RunningBot, admin: Any) -> None:
    """The zone given to /prompt schedule set is the server's; changing the server's moves
    the schedule's."""
    await run(world, world.mod, world.channel, "prompt schedule set",
              {"cadence": "daily", "time": "19:30", "timezone": "asia/tokyo"})
    shown = text(await run(world, admin, world.lobby, "filmclub settings show"))
    assert "Time zone: Asia/Tokyo" in shown
    await run(world, admin, world.lobby, "filmclub settings set", {"timezone": "Europe/Paris"})
    schedule = await running.bot.store.get_schedule(world.guild.id)
    assert schedule is not None and schedule.describe() == "daily at 19:30 (Europe/Paris)"


async def test_club_and_chart_settings_are_part_of_the_one_family(
        world: World, running: RunningBot, admin: Any) -> None:
    """Issue 20: who may suggest, a poll's default length and chart anonymising are
    /filmclub settings too, audited; /club settings and /filmclub settings charts read and
    write the same record."""
    shown = text(await run(world, admin, world.lobby, "filmclub settings show"))
    for line in ("Who may suggest films: every member (the default)",
                 "Polls run by default: 24 hours (the default)",
                 "Charts show the most active members: by name (the default)"):
        assert line in shown, shown
    inter = await run(world, admin, world.lobby, "filmclub settings set", {
        "suggestions": "moderators", "poll_hours": 72, "chart_members": "anonymised"})
    assert text(inter).startswith("Changed: who may suggest films, polls run by default, "
                                  "charts show the most active members.")
    stored = await running.bot.store.get_settings(world.guild.id)
    assert (stored.suggest_access, stored.poll_hours, stored.anonymise_members) == (
        "moderators", 72, True)
    log = await running.bot.store.list_audit(world.guild.id, visible=EVERY_THREAD)
    assert log[0].target == ("who may suggest films → moderators; polls run by default → "
                             "72 hours; charts show the most active members → anonymised")
    shown = text(await run(world, admin, world.lobby, "filmclub settings show"))
    for line in ("Who may suggest films: moderators only", "Polls run by default: 72 hours",
                 "Charts show the most active members: anonymised: Member 1, Member 2…"):
        assert line in shown, shown
    club = text(await run(world, world.mod, world.lobby, "club settings"))
    assert club == "Film suggestions: moderators only. Polls run 72 hours unless told otherwise."
    await run(world, world.mod, world.lobby, "club settings", {"suggestions": "everyone"})
    await running.settle()  # a completed command's audit entry is written after its answer
    log = await running.bot.store.list_audit(world.guild.id, visible=EVERY_THREAD)
    assert (log[0].action, log[0].target) == ("club settings", 'suggestions="everyone"')
    again = text(await run(world, admin, world.lobby, "filmclub settings charts",
                           {"members": "anonymised"}))
    assert again == "Charts already show members anonymised; nothing changed."
    await run(world, admin, world.lobby, "filmclub settings set", {"reset": "chart_members"})
    stored = await running.bot.store.get_settings(world.guild.id)
    assert (stored.suggest_access, stored.poll_hours, stored.anonymise_members) == (
        "everyone", 72, False)
