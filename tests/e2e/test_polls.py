"""Film polls through the real bot and the emulator (issue 17): a watchlist filled by two
members, a Discord native poll from it, votes changed, the bot restarted mid-poll (votes
cast while it was away read back through the API), the poll ended: the winner (a tie,
broken by who suggested first) announced and queued once, results equal to the votes
cast; a poll whose winner has no article, ended by its time running out."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.emulator import DiscordEmulator
from bot.records.visibility import EVERY_THREAD
from tests.e2e.harness import RunningBot, World
from tests.e2e.moderating import eventually, forget_confirmed, run, started, text


def polls_in(emu: DiscordEmulator, channel_id: int) -> list[dict[str, Any]]:
    return [m for m in emu.messages_in(channel_id) if m.get("poll")]


def cast(emu: DiscordEmulator, message_id: int) -> list[tuple[int, int]]:
    """Every vote Discord holds, as (answer id, member)."""
    return sorted((answer, user) for answer, users in emu.poll_votes(message_id).items()
                  for user in users)


async def stored(runner: RunningBot, message_id: int) -> list[tuple[int, int]]:
    assert runner.bot is not None
    return sorted(await runner.bot.store.film_poll_votes(message_id))


async def votes_match(runner: RunningBot, emu: DiscordEmulator, message_id: int) -> None:
    async def same() -> bool:
        return await stored(runner, message_id) == cast(emu, message_id)

    await eventually(same, timeout=10)


async def test_poll_from_a_watchlist_survives_a_restart(world: World) -> None:
    """Votes added, changed and taken back, some while the bot is down: the winner is right,
    announced once and queued once."""
    emu = world.emu
    ana, ben, cy, dee, eve = world.members
    mod_log = emu.add_text_channel(world.guild.id, "mod-log")
    async with started(world) as runner:
        assert runner.bot is not None
        store = runner.bot.store
        await store.save_settings(dataclasses.replace(await store.get_settings(world.guild.id),
                                                      log_channel_id=mod_log.id))
        for who, film in ((ana, "Vertigo"), (ana, "Her (2013)"), (ben, "Stalker"),
                          (ben, "Paddington 2")):
            inter = await run(world, who, world.lobby, "watchlist add", {"film": film})
            assert text(inter).startswith("Added")
        refused = await run(world, cy, world.channel, "poll next-film")
        assert text(refused).startswith("You need the Manage Messages permission")
        assert polls_in(emu, world.channel.id) == []

        posted = await run(world, world.mod, world.channel, "poll next-film",
                           {"duration": "2d"})
        assert "Poll posted" in text(posted) and "(4 films, 48 hours)" in text(posted)
        [message] = polls_in(emu, world.channel.id)
        poll_id = int(message["id"])
        poll = message["poll"]
        assert poll["question"]["text"] == "What do we watch next? (Watchlist)"
        assert [a["poll_media"]["text"] for a in poll["answers"]] == [
            "Vertigo", "Her (2013)", "Stalker", "Paddington 2"]
        expiry = datetime.fromisoformat(poll["expiry"])
        assert timedelta(hours=47) < expiry - datetime.now(UTC) <= timedelta(hours=48)
        assert poll["allow_multiselect"] is False

        await emu.vote(ana.id, poll_id, 1)
        await emu.vote(ben.id, poll_id, 3)
        await emu.vote(cy.id, poll_id, 3)
        await emu.vote(dee.id, poll_id, 1)
        await emu.change_vote(ben.id, poll_id, 3, 2)
        await runner.settle()
        await votes_match(runner, emu, poll_id)
        assert await stored(runner, poll_id) == [(1, ana.id), (1, dee.id), (2, ben.id),
                                                 (3, cy.id)]

    # while the bot is away: a new vote, a changed one, one taken back
    await emu.vote(eve.id, poll_id, 3)
    await emu.change_vote(cy.id, poll_id, 3, 1)
    await emu.unvote(dee.id, poll_id, 1)

    async with started(world) as runner:
        await votes_match(runner, emu, poll_id)  # caught up through the API
        assert await stored(runner, poll_id) == [(1, ana.id), (1, cy.id), (2, ben.id),
                                                 (3, eve.id)]
        await emu.change_vote(ana.id, poll_id, 1, 3)
        await emu.vote(dee.id, poll_id, 1)
        queued = await run(world, world.mod, world.lobby, "prompt queue add",
                           {"article": "paddington-2-kindness"})
        assert "\n" not in text(queued)
        await runner.settle()
        await votes_match(runner, emu, poll_id)

        ended = await run(world, world.mod, world.channel, "poll end")
        assert text(ended) == ("Ended. Vertigo wins with 2 of 5 votes (tied with Stalker; "
                               "it was suggested first).")
        assert emu.get_message(poll_id)["poll"]["results"]["is_finalized"] is True
        results = emu.get_message(poll_id)["poll"]["results"]["answer_counts"]
        assert {c["id"]: c["count"] for c in results} == {1: 2, 2: 1, 3: 2}
        await runner.settle()
        assert runner.bot is not None
        store = runner.bot.store
        assert await stored(runner, poll_id) == cast(emu, poll_id)
        queue = await store.list_queue(world.guild.id)
        assert [item.slug for item in queue] == ["vertigo-the-second-fall",
                                                 "paddington-2-kindness"]  # the winner first
        announced = [m for m in emu.messages_in(world.channel.id)
                     if m["content"].startswith("🎬 The poll is over")]
        assert len(announced) == 1
        assert announced[0]["content"] == (
            "🎬 The poll is over: Vertigo wins with 2 of 5 votes (tied with Stalker; it was "
            "suggested first). It is the next prompt.")
        assert announced[0]["message_reference"]["message_id"] == str(poll_id)
        kinds = [m["type"] for m in emu.messages_in(world.channel.id)]
        assert kinds.count(46) == 1  # Discord's poll-result message
        record = await store.get_film_poll(poll_id)
        assert record is not None and record.ended_by == world.mod.id and record.winner == 1
        actions = [e.action for e in await store.list_audit(world.guild.id, visible=EVERY_THREAD)]
        assert actions[:3] == ["poll end", "prompt queue add", "poll next-film"]
        again = await run(world, world.mod, world.channel, "poll end")
        assert "No open poll" in text(again)
        mydata = await run(world, ana, world.lobby, "mydata")
        document = json.loads(mydata.files[0][1])
        assert [v["film"] for v in document["poll_votes"]] == ["Stalker"]

    # a restart after the end does not announce or queue it again
    async with started(world) as runner:
        await runner.settle()
        assert runner.bot is not None
        assert len(await runner.bot.store.list_queue(world.guild.id)) == 2
        assert len([m for m in emu.messages_in(world.channel.id)
                    if m["content"].startswith("🎬")]) == 1


async def test_a_poll_that_runs_out_without_an_article(world: World) -> None:
    """Films named by hand; the poll ends by itself; the log channel hears what is missing."""
    emu = world.emu
    ana, ben = world.members[:2]
    mod_log = emu.add_text_channel(world.guild.id, "mod-log")
    async with started(world) as runner:
        assert runner.bot is not None
        store = runner.bot.store
        await store.save_settings(dataclasses.replace(await store.get_settings(world.guild.id),
                                                      log_channel_id=mod_log.id))
        bad = await run(world, world.mod, world.channel, "poll next-film",
                        {"films": "Jaws", "duration": "40d"})
        assert text(bad) == "A poll runs from 1 hour to 32 days, not 960 hours."
        posted = await run(world, world.mod, world.channel, "poll next-film",
                           {"films": "Jaws; Alien (1979); jaws", "multiple": True})
        assert "(2 films, 24 hours)" in text(posted)
        [message] = polls_in(emu, world.channel.id)
        poll_id = int(message["id"])
        assert message["poll"]["question"]["text"] == "What do we watch next?"
        assert message["poll"]["allow_multiselect"] is True
        await emu.vote(ana.id, poll_id, 2)
        await emu.vote(ben.id, poll_id, 2)
        await emu.vote(ben.id, poll_id, 1)
        await runner.settle()
        await emu.expire_poll(poll_id)  # its time is up

        def told() -> bool:
            return any("The poll chose **Alien (1979)**, but the library has no article"
                       in m["content"] for m in emu.messages_in(mod_log.id))

        def announced_now() -> list[str]:
            return [m["content"] for m in emu.messages_in(world.channel.id)
                    if m["content"].startswith("🎬")]

        await emu.wait_until(lambda: told() and bool(announced_now()))
        await runner.settle()
        announced = announced_now()
        assert announced == ["🎬 The poll is over: Alien (1979) wins with 2 of 3 votes."]
        assert await store.list_queue(world.guild.id) == []
        record = await store.get_film_poll(poll_id)
        assert record is not None and record.ended_by is None
        assert record.outcome == "No article about it is in the library."


async def test_no_poll_without_the_send_polls_permission(world: World) -> None:
    """Where the bot is denied Send Polls, it says so in one line and posts nothing."""
    emu = world.emu
    quiet = emu.add_text_channel(world.guild.id, "no-polls", overwrites=[{
        "id": str(emu.bot_user_id), "type": 1, "allow": "0", "deny": str(1 << 49)}])
    async with started(world):
        refused = await run(world, world.mod, quiet, "poll next-film",
                            {"films": "Jaws; Alien"})
        assert text(refused) == "I need the Send Polls permission in this channel to post a poll."
        assert polls_in(emu, quiet.id) == []


async def test_exports_show_the_poll_and_the_ratings(world: World) -> None:
    """The prompt a poll chose: its exports say which poll, and show the ratings (the HTML
    as a distribution table), valid against the JSON schema."""
    from tests.e2e.test_ratings import rate
    from tests.export.test_json import validator

    emu = world.emu
    ana, ben, cy = world.members[:3]
    async with started(world) as runner:
        for who, film in ((ana, "Vertigo"), (ben, "Her")):
            await run(world, who, world.lobby, "watchlist add", {"film": film})
        await run(world, world.mod, world.channel, "poll next-film")
        [message] = polls_in(emu, world.channel.id)
        poll_id = int(message["id"])
        await emu.vote(ana.id, poll_id, 1)
        await emu.vote(cy.id, poll_id, 1)
        await emu.vote(ben.id, poll_id, 2)
        await runner.settle()
        await run(world, world.mod, world.channel, "poll end")
        before = set(emu.threads)
        await run(world, world.mod, world.channel, "prompt post",
                  {"article": "vertigo-the-second-fall", "channel": world.channel.id})
        [thread] = [t for t in emu.threads if t not in before]
        await emu.wait_until(lambda: any(
            c.get("custom_id") == f"filmclub:rate:{thread}"
            for row in (emu.get_message(thread) or {}).get("components") or []
            for c in row["components"]))
        await rate(world, ana, thread, "9")
        await rate(world, ben, thread, "9")
        await rate(world, cy, thread, "4")
        await emu.say(ana.id, thread, "The tower scene still gets me.")
        await runner.settle()
        chosen = "Vertigo wins with 2 of 3 votes."
        files = {}
        for fmt in ("md", "html", "json", "txt", "csv"):
            inter = await run(world, world.mod, thread, "export", {"format": fmt})
            assert len(inter.files) == 1, inter.summary()
            files[fmt] = inter.files[0][1].decode("utf-8")
        assert "**Chosen by:** the poll “What do we watch next? (Watchlist)” (" in files["md"]
        assert chosen in files["md"] and "**Rating:** ★ 3.67 / 5 from 3 ratings" in files["md"]
        # the labels line up under the longest one, "Discussed in:" (issue 14)
        assert "\nRating:       ★ 3.67 / 5 from 3 ratings\n" in files["txt"]
        html = files["html"]
        assert '<table class="distribution">' in html and chosen in html
        assert '<tr><th scope="row">4½</th><td>2</td><td><meter min="0" max="2" value="2">' in html
        assert '<tr><th scope="row">2</th><td>1</td>' in html
        document = json.loads(files["json"])
        validator().validate(document)
        assert document["filmclub"]["ratings"] == {
            "count": 3, "average": 3.6667,
            "distribution": {"5": 0, "4.5": 2, "4": 0, "3.5": 0, "3": 0, "2.5": 0, "2": 1,
                             "1.5": 0, "1": 0, "0.5": 0}}
        assert chosen in document["filmclub"]["chosenBy"]
        [row] = csv.DictReader(io.StringIO(files["csv"].lstrip("\ufeff"), newline=""))
        assert row["Content"] == "The tower scene still gets me."
        assert (row["FilmRating"], row["FilmRatingCount"]) == ("3.6667", "3")
        assert row["FilmRatingDistribution"] == "5:0 4.5:2 4:0 3.5:0 3:0 2.5:0 2:1 1.5:0 1:0 0.5:0"
        assert chosen in row["ChosenBy"]


async def test_polls_that_end_while_the_bot_is_away(world: World) -> None:
    """The bot is down when two polls' time runs out. One Discord ended on time (the bot
    missed its result message); the other's end never reached the bot, so its own timer
    ends it on Discord. Each winner is announced once and queued once, with the votes cast,
    and a later restart repeats nothing."""
    from cogs.polls import EXPIRY_GRACE
    from tests.e2e.moderating import Clock

    emu = world.emu
    ana, ben, cy = world.members[:3]
    clock = Clock()
    ids = []
    async with started(world, clock) as runner:
        for films, votes in (("Vertigo; Stalker", ((ana, 1), (ben, 1), (cy, 2))),
                             ("Stalker; Paddington 2", ((ana, 2), (ben, 1), (cy, 2)))):
            await run(world, world.mod, world.channel, "poll next-film",
                      {"films": films, "duration": "1h"})
            poll_id = int(polls_in(emu, world.channel.id)[-1]["id"])
            ids.append(poll_id)
            for who, answer in votes:
                await emu.vote(who.id, poll_id, answer)
        await runner.settle()
        assert runner.bot is not None
        assert len(await runner.bot.store.list_film_polls(world.guild.id, open_only=True)) == 2

    first, second = ids
    await emu.expire_poll(first)  # Discord ends the first on time; the bot hears nothing
    clock.advance(hours=1, seconds=EXPIRY_GRACE.total_seconds() + 60)

    def announcements() -> list[str]:
        return [m["content"] for m in emu.messages_in(world.channel.id)
                if m["content"].startswith("🎬 The poll is over")]

    async with started(world, clock) as runner:
        await emu.wait_until(lambda: len(announcements()) == 2, timeout=30)
        await runner.settle()
        assert runner.bot is not None
        store = runner.bot.store
        assert announcements() == [
            "🎬 The poll is over: Vertigo wins with 2 of 3 votes. It is the next prompt.",
            "🎬 The poll is over: Paddington 2 wins with 2 of 3 votes. It is the next prompt."]
        # the second poll is closed on Discord too: no vote after the announcement
        assert emu.get_message(second)["poll"]["results"]["is_finalized"] is True
        try:
            await emu.vote(ben.id, second, 2)
        except PermissionError:
            pass
        else:
            raise AssertionError("a vote was taken on an ended poll")
        kinds = [m["type"] for m in emu.messages_in(world.channel.id)]
        assert kinds.count(46) == 2  # one result message per poll
        queue = [item.slug for item in await store.list_queue(world.guild.id)]
        assert sorted(queue) == ["paddington-2-kindness", "vertigo-the-second-fall"]
        for poll_id in ids:
            record = await store.get_film_poll(poll_id)
            assert record is not None and record.ended_at is not None
            assert record.ended_by is None  # it ran out: no moderator ended it
            assert await stored(runner, poll_id) == cast(emu, poll_id)
        ends = [e for e in await store.list_audit(world.guild.id, visible=EVERY_THREAD)
                if e.action == "poll end"]
        assert len(ends) == 2
        stats = text(await run(world, cy, world.lobby, "stats"))
        days = [f"{(await store.get_film_poll(p)).ended_at:%Y-%m-%d}"  # type: ignore[union-attr]
                for p in ids]
        assert (f"Film polls: 2 polls (0 open)\nVertigo won {days[0]}\nPaddington 2 won "
                f"{days[1]}" in stats), stats

    async with started(world, clock) as runner:
        await runner.settle()
        assert runner.bot is not None
        assert len(announcements()) == 2
        assert len(await runner.bot.store.list_queue(world.guild.id)) == 2


async def test_a_forgotten_vote_is_not_read_back(world: World) -> None:
    """/mydata and /forget count poll votes; after /forget the member's vote Discord still
    holds is not read back by catch-up nor counted at the end; a vote cast afterwards is."""
    emu = world.emu
    ana, ben, cy = world.members[:3]
    async with started(world) as runner:
        await run(world, world.mod, world.channel, "poll next-film",
                  {"films": "Vertigo; Stalker", "multiple": True})
        poll_id = int(polls_in(emu, world.channel.id)[-1]["id"])
        for who, answer in ((ana, 1), (ben, 1), (cy, 2)):
            await emu.vote(who.id, poll_id, answer)
        await runner.settle()
        await votes_match(runner, emu, poll_id)
        assert "1 poll vote" in text(await run(world, ana, world.lobby, "mydata"))
        asked, done = await forget_confirmed(world, ana)
        assert "1 poll vote" in asked
        assert "- 1 poll vote" in done
        assert await stored(runner, poll_id) == [(1, ben.id), (2, cy.id)]

    async with started(world) as runner:  # catch-up reads the voters: ana's is still there
        assert cast(emu, poll_id) == [(1, ana.id), (1, ben.id), (2, cy.id)]
        await emu.vote(ana.id, poll_id, 2)  # she votes again, after forgetting
        await runner.settle()
        ended = await run(world, world.mod, world.channel, "poll end")
        # Discord counts 2 and 2; her vote from before /forget is not the bot's to count
        assert text(ended) == "Ended. Stalker wins with 2 of 3 votes."
        assert cast(emu, poll_id) == [(1, ana.id), (1, ben.id), (2, ana.id), (2, cy.id)]
        assert await stored(runner, poll_id) == [(1, ben.id), (2, ana.id), (2, cy.id)]
