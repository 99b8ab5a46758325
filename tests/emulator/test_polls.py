"""Self-tests of the emulator's polls (issue 17), driven by a real discord.py client: a poll
checked against Discord's limits, vote events only with the polls intent, voters in pages,
ending early, results and the poll-result message."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import discord
import pytest

from bot.emulator import DiscordEmulator
from tests.emulator.clients import RECORDED, TIMEOUT, QuickBot, Scene


async def start(emu: DiscordEmulator, polls: bool) -> tuple[QuickBot, asyncio.Task[None]]:
    intents = discord.Intents.none()
    intents.guilds = intents.guild_messages = intents.message_content = True
    intents.guild_polls = polls
    client = QuickBot(intents)
    for name in (*RECORDED, "raw_poll_vote_add", "raw_poll_vote_remove"):
        client.add_listener(client.recorder.listener(name), f"on_{name}")
    task = asyncio.create_task(client.start(emu.token))
    await emu.wait_connected(timeout=TIMEOUT)
    await client.recorder.next("ready")
    return client, task


@pytest.fixture
async def poller(emu: DiscordEmulator, scene: Scene) -> AsyncIterator[QuickBot]:
    """A client with the GUILD_MESSAGE_POLLS intent."""
    client, task = await start(emu, polls=True)
    yield client
    await client.close()
    await asyncio.wait_for(task, TIMEOUT)
    assert emu.problems == []


def film_poll(*answers: str, hours: int = 24, multiple: bool = False) -> discord.Poll:
    poll = discord.Poll(question="What next?", duration=timedelta(hours=hours), multiple=multiple)
    for answer in answers:
        poll.add_answer(text=answer)
    return poll


async def test_poll_votes_voters_and_end(emu: DiscordEmulator, scene: Scene,
                                         poller: QuickBot) -> None:
    """Votes arrive as raw events; voters list in pages; ending posts the result message."""
    channel = poller.get_channel(scene.films.id)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send(poll=film_poll("Vertigo", "Her"))
    assert sent.poll is not None and [a.text for a in sent.poll.answers] == ["Vertigo", "Her"]
    await emu.vote(scene.alice.id, sent.id, 1)
    (added,) = await poller.recorder.next("raw_poll_vote_add")
    assert (added.user_id, added.message_id, added.answer_id) == (scene.alice.id, sent.id, 1)
    with pytest.raises(ValueError, match="single-choice"):
        await emu.vote(scene.alice.id, sent.id, 2)
    await emu.change_vote(scene.alice.id, sent.id, 1, 2)
    (removed,) = await poller.recorder.next("raw_poll_vote_remove")
    assert removed.answer_id == 1
    await poller.recorder.next("raw_poll_vote_add")
    await emu.vote(scene.bob.id, sent.id, 2)
    await emu.vote(scene.mod.id, sent.id, 1)
    page = await poller.http.get_poll_answer_voters(channel.id, sent.id, 2, limit=1)
    first = [int(u["id"]) for u in page["users"]]
    rest = await poller.http.get_poll_answer_voters(channel.id, sent.id, 2, after=first[0],
                                                    limit=100)
    assert sorted(first + [int(u["id"]) for u in rest["users"]]) == sorted(
        [scene.alice.id, scene.bob.id])
    ended = await poller.http.end_poll(channel.id, sent.id)
    assert ended["poll"]["results"]["is_finalized"] is True
    assert {c["id"]: c["count"] for c in ended["poll"]["results"]["answer_counts"]} == {1: 1,
                                                                                       2: 2}
    (result,) = await poller.recorder.next("message")
    while result.type is not discord.MessageType.poll_result:
        (result,) = await poller.recorder.next("message")
    assert result.reference is not None and result.reference.message_id == sent.id
    fields = {f.name: f.value for f in result.embeds[0].fields}
    assert fields["victor_answer_text"] == "Her" and fields["total_votes"] == "3"
    with pytest.raises(PermissionError):
        await emu.vote(scene.bob.id, sent.id, 1)
    with pytest.raises(discord.HTTPException) as again:
        await poller.http.end_poll(channel.id, sent.id)
    assert again.value.code == 520001
    emu.problems.clear()


@pytest.mark.parametrize(("answers", "hours", "where"), [
    (["x" * 56, "Her"], 24, "answers.0.poll_media.text"),
    ([f"Film {n}" for n in range(11)], 24, "answers"),
    (["Vertigo", "Her"], 769, "duration"),
])
async def test_bad_polls_are_refused(emu: DiscordEmulator, scene: Scene, poller: QuickBot,
                                     answers: list[str], hours: int, where: str) -> None:
    """Over Discord's limits: 400 Invalid Form Body naming the field, nothing posted."""
    channel = poller.get_channel(scene.films.id)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.HTTPException) as refused:
        await channel.send(poll=film_poll(*answers, hours=hours))
    assert refused.value.code == 50035 and where in refused.value.text
    assert emu.messages_in(scene.films.id) == []
    assert len(emu.problems) == 1
    emu.problems.clear()


async def test_no_vote_events_without_the_polls_intent(emu: DiscordEmulator,
                                                       scene: Scene) -> None:
    """A client without GUILD_MESSAGE_POLLS gets no vote events (its READY still comes)."""
    client, task = await start(emu, polls=False)
    try:
        sent = await client.get_channel(scene.films.id).send(  # type: ignore[union-attr]
            poll=film_poll("Vertigo", "Her"))
        await emu.vote(scene.alice.id, sent.id, 1)
        assert await emu.ping_bot()
        with pytest.raises(TimeoutError):
            await client.recorder.next("raw_poll_vote_add", timeout=0.3)
        assert emu.poll_votes(sent.id) == {1: [scene.alice.id]}
    finally:
        await client.close()
        await asyncio.wait_for(task, TIMEOUT)
