"""Everyone's commands through the real bot and the emulator: /top, /leaderboard, /stats,
/mydata and /forget (with its confirmation button), and the one error path."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from bot.emulator import Permissions
from bot.export.markup_commonmark import escape_text
from bot.records.member_data import PLACEHOLDER
from tests.e2e.harness import RunningBot, World
from tests.e2e.moderating import LINK, buttons, message, post, run, text


def lines(inter: Any) -> list[str]:
    """The numbered lines of a list answer's (first) page."""
    return [line for line in (message(inter)["embeds"][0]["description"] or "").splitlines()
            if line[:1].isdigit()]


async def test_top_lists_best_comments_with_links(world: World, running: RunningBot) -> None:
    """Best first with score, author and a jump link; hidden comments and self-votes left out."""
    emu = world.emu
    thread = await post(world)
    ana, ben, cy, dee, eve = world.members
    good = await emu.say(ana.id, thread, "Madeleine is a role Judy plays twice.")
    fine = await emu.say(ben.id, thread, "The score does half the work.")
    rude = await emu.say(cy.id, thread, "You all missed the point.")
    for member in (ben, cy, dee):
        await emu.react(member.id, good["id"], "👍")
    await emu.react(ana.id, fine["id"], "⬆️")
    await emu.react(ben.id, fine["id"], "👍")  # a self-vote: does not count
    for member in (ana, dee, eve):
        await emu.react(member.id, rude["id"], "👍")
    await run(world, world.mod, world.lobby, "comment hide",
              {"message": rude["id"], "reason": "rude"})
    inter = await run(world, eve, world.lobby, "top")
    assert inter.ephemeral
    good_link = LINK.format(guild=world.guild.id, channel=thread, message=good["id"])
    assert lines(inter) == [
        f"1. **+3** Ana in *Vertigo and the second fall*: “Madeleine is a role Judy plays "
        f"twice.” [jump]({good_link})",
        f"2. **+1** Ben in *Vertigo and the second fall*: “The score does half the work.” "
        f"[jump]({LINK.format(guild=world.guild.id, channel=thread, message=fine['id'])})",
    ]
    in_thread = await run(world, eve, thread, "top", {"period": "week"})
    assert "the last 7 days" in text(in_thread) and len(lines(in_thread)) == 2


async def test_leaderboard_breaks_ties_and_ignores_self_votes(world: World,
                                                              running: RunningBot) -> None:
    """Members by comments and by votes received; ties broken the same way every time."""
    emu = world.emu
    thread = await post(world)
    ana, ben, cy, dee, eve = world.members
    a1 = await emu.say(ana.id, thread, "a1")
    await emu.say(ana.id, thread, "a2")
    b1 = await emu.say(ben.id, thread, "b1")
    b2 = await emu.say(ben.id, thread, "b2")
    c1 = await emu.say(cy.id, thread, "c1")
    await emu.say(dee.id, thread, "d1")
    await emu.say(eve.id, thread, "e1")
    for voter, target in ((ana, a1), (ben, a1), (cy, b1), (dee, b2), (ana, c1), (eve, c1),
                          (cy, c1)):  # ana on a1 and cy on c1 vote for themselves
        await emu.react(voter.id, target["id"], "👍")
    inter = await run(world, dee, world.lobby, "leaderboard", {"period": "all"})
    assert message(inter)["embeds"][0]["title"] == "Most comments, all time"
    assert lines(inter) == [
        "1. Ben: 2 comments, +2 votes",  # 2 comments each: Ben has more votes than Ana
        "2. Ana: 2 comments, +1 vote",
        "3. Cy: 1 comment, +2 votes",
        "4. Dee: 1 comment, 0 votes",  # Dee and Eve tie on both: Dee commented first
        "5. Eve: 1 comment, 0 votes",
    ]
    votes_page = await emu.click(dee.id, message(inter)["id"], buttons(message(inter))["Next"]
                                 ["custom_id"])
    await votes_page.wait()
    shown = emu.get_message(message(inter)["id"])
    assert shown is not None and shown["embeds"][0]["title"] == "Most votes received, all time"
    description = shown["embeds"][0]["description"].splitlines()
    assert description == [
        "1. Ben: +2 votes, 2 comments",  # +2 each: Ben wrote more comments than Cy
        "2. Cy: +2 votes, 1 comment",
        "3. Ana: +1 vote, 2 comments",
        "4. Dee: 0 votes, 1 comment",
        "5. Eve: 0 votes, 1 comment",
    ]


async def test_long_lists_come_in_pages(world: World, running: RunningBot) -> None:
    """More than ten members: ten a page, Next and Previous buttons move between pages."""
    emu = world.emu
    thread = await post(world)
    for n in range(12):
        member = emu.add_member(world.guild.id, f"Member {n:02d}")
        await emu.say(member.id, thread, f"comment {n}")
    inter = await run(world, world.members[0], world.lobby, "leaderboard")
    first = message(inter)
    assert len(lines(inter)) == 10 and first["embeds"][0]["footer"]["text"].endswith("Page 1/2")
    assert buttons(first)["Previous"]["disabled"] is True
    click = await emu.click(world.members[0].id, first["id"], buttons(first)["Next"]["custom_id"])
    await click.wait()
    assert click.response_type == 7
    second = emu.get_message(first["id"])
    assert second is not None
    assert second["embeds"][0]["description"].splitlines() == [
        "11. Member 10: 1 comment, 0 votes", "12. Member 11: 1 comment, 0 votes"]
    assert buttons(second)["Previous"]["disabled"] is False


async def test_stats_for_a_thread_and_for_the_server(world: World,
                                                     running: RunningBot) -> None:
    """Comments, participants, votes and busiest hour; prompts and members for the server."""
    emu = world.emu
    admin = emu.add_member(world.guild.id, "Ada Admin",
                           permissions=Permissions.DEFAULT | Permissions.MANAGE_GUILD)
    await run(world, admin, world.lobby, "filmclub settings set", {"timezone": "Asia/Kolkata"})
    thread = await post(world)
    await post(world, "stalker-the-room")
    ana, ben, cy = world.members[:3]
    first = await emu.say(ana.id, thread, "one")
    await emu.say(ben.id, thread, "two")
    await emu.react(cy.id, first["id"], "👍")
    await emu.react(ben.id, first["id"], "👎")
    await emu.react(ana.id, first["id"], "👍")  # self-vote
    shown = text(await run(world, cy, thread, "stats"))
    assert "Comments: 2" in shown and "Participants: 2" in shown
    assert "Votes: 2 (+1 / −1)" in shown
    assert "Busiest hour: " in shown and "Asia/Kolkata (2 comments)" in shown
    server = text(await run(world, cy, world.lobby, "stats"))
    for line in ("Prompts posted: 2", "Comments: 2", "Members who took part: 2",
                 "Active in the last 30 days: 2"):
        assert line in server, server


async def test_mydata_sends_own_comments_versions_and_votes(world: World,
                                                            running: RunningBot) -> None:
    """/mydata: a private JSON file with the member's comments, earlier versions and votes."""
    emu = world.emu
    thread = await post(world)
    ana, ben = world.members[:2]
    mine = await emu.say(ana.id, thread, "first take")
    await emu.edit(ana.id, mine["id"], "second take")
    theirs = await emu.say(ben.id, thread, "not Ana's")
    await emu.react(ana.id, theirs["id"], "👍")
    inter = await run(world, ana, world.lobby, "mydata")
    assert inter.ephemeral
    assert text(inter).startswith("Everything filmclub keeps that you wrote or voted, in every "
                                  "server: 1 comment (1 earlier version), 1 vote")
    ((name, data),) = inter.files
    assert name == f"filmclub-mydata-{ana.id}.json"
    document = json.loads(data)
    assert document["member_id"] == str(ana.id)
    (comment,) = document["comments"]
    assert (comment["id"], comment["text"], comment["article"]) == (
        mine["id"], "second take", "Vertigo and the second fall")
    assert [v["text"] for v in comment["earlier_versions"]] == ["first take"]
    assert [(v["comment_id"], v["emoji"], v["value"]) for v in document["votes"]] == [
        (theirs["id"], "👍", 1)]
    assert "not Ana's" not in data.decode("utf-8")


async def test_forget_after_confirmation_then_export_shows_placeholder(
        world: World, running: RunningBot) -> None:
    """/forget asks first; confirmed, text and votes go, replies keep their place in exports."""
    emu = world.emu
    thread = await post(world)
    ana, ben = world.members[:2]
    mine = await emu.say(ana.id, thread, "My take: Judy never had a chance.")
    await emu.edit(ana.id, mine["id"], "My take: Judy never had a chance. None.")
    reply = await emu.say(ben.id, thread, "I see it differently.", reply_to=mine["id"])
    await emu.react(ana.id, reply["id"], "👍")
    await emu.react(ben.id, mine["id"], "👍")

    asked = await run(world, ana, world.lobby, "forget")
    question = message(asked)
    assert asked.ephemeral and "It cannot be undone." in question["content"]
    confirm = await emu.click(ana.id, question["id"],
                              buttons(question)["Forget my data"]["custom_id"])
    await confirm.wait()
    assert confirm.response_type == 6  # deferred at once, then the message is edited
    await emu.wait_until(lambda: (emu.get_message(question["id"]) or {}).get("content", "")
                         .startswith("Done."))
    done = emu.get_message(question["id"])
    assert done is not None and done["components"] == []
    assert "the text and your name on 1 comment" in done["content"]
    assert "- 1 earlier version" in done["content"] and "- 1 vote" in done["content"]

    exported = await run(world, world.mod, thread, "export", {"format": "md"})
    ((_, data),) = exported.files
    markdown = data.decode("utf-8")
    assert "Judy never had a chance" not in markdown
    assert escape_text(PLACEHOLDER) in markdown  # the placeholder as text, brackets escaped
    assert "> I see it differently." in markdown  # Ben's reply, still under the placeholder
    comments = await running.comments(thread)
    assert [(c.content, c.score) for c in comments] == [(PLACEHOLDER, 1),
                                                        ("I see it differently.", 0)]
    again = json.loads((await run(world, ana, world.lobby, "mydata")).files[0][1])
    assert again["votes"] == [] and again["comments"][0]["text"] == PLACEHOLDER


async def test_forget_cancelled_keeps_everything(world: World, running: RunningBot) -> None:
    """Cancel leaves the member's data as it was."""
    emu = world.emu
    thread = await post(world)
    ana = world.members[0]
    await emu.say(ana.id, thread, "keep me")
    asked = await run(world, ana, world.lobby, "forget")
    question = message(asked)
    cancel = await emu.click(ana.id, question["id"], buttons(question)["Cancel"]["custom_id"])
    await cancel.wait()
    shown = emu.get_message(question["id"])
    assert shown is not None and shown["content"] == "Nothing was removed."
    assert [c.content for c in await running.comments(thread)] == ["keep me"]


async def test_unexpected_error_is_logged_and_answered_generically(
        world: World, running: RunningBot, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug: one generic private line; the log names command, member, server and options."""
    assert running.bot is not None

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the disk caught fire")

    monkeypatch.setattr(running.bot.store, "member_totals", broken)
    member = world.members[0]
    with caplog.at_level(logging.ERROR, logger="cogs.support.client"):
        inter = await run(world, member, world.lobby, "leaderboard", {"period": "week"})
    assert text(inter) == ("Something went wrong on our side; the moderators can find it in "
                           "the log.")
    (record,) = [r for r in caplog.records if r.name == "cogs.support.client"]
    assert record.getMessage() == (
        f"command /leaderboard failed (user {member.id}, guild {world.guild.id}, options "
        '[{"type": 3, "name": "period", "value": "week"}])')
    assert "the disk caught fire" in str(record.exc_info[1])
