"""Self-tests of the loopback Discord emulator, driven by a real discord.py client."""

from __future__ import annotations

import asyncio
import io
import json
import struct
import zlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands

from bot.emulator import DiscordEmulator, Permissions
from tests.emulator.clients import RECORDED, TIMEOUT, QuickBot, Scene


class VoteView(discord.ui.View):
    """A button that updates its message and a select answered by deferring."""

    votes = 0

    @discord.ui.button(label="Up", custom_id="vote:up")
    async def up(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        self.votes += 1
        await interaction.response.edit_message(content=f"{self.votes} vote")

    @discord.ui.select(custom_id="vote:film", options=[
        discord.SelectOption(label="Vertigo", value="vertigo"),
        discord.SelectOption(label="Rear Window", value="rear-window")])
    async def film(self, interaction: discord.Interaction, select: discord.ui.Select[Any]) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content=f"picked {select.values[0]}")


class CommentModal(discord.ui.Modal, title="Comment"):
    """A one-field modal that thanks the member privately."""

    text: discord.ui.TextInput[Any] = discord.ui.TextInput(label="Comment", custom_id="text",
                                                           max_length=200)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"thanks: {self.text.value}", ephemeral=True)


def build_tree(bot: QuickBot) -> None:
    """A tiny tree: /prompt post|fetch, /secret (ephemeral), /vote (view), /comment (modal)."""
    prompt = app_commands.Group(name="prompt", description="Discussion prompts")

    @prompt.command(name="post", description="Post a prompt")
    @app_commands.describe(article="Film article", channel="Where to post")
    async def post(interaction: discord.Interaction, article: str,
                   channel: discord.TextChannel | None = None) -> None:
        where = channel.name if channel is not None else "here"
        await interaction.response.send_message(f"prompt for {article} in {where}")

    @post.autocomplete("article")
    async def article_choices(interaction: discord.Interaction, current: str
                              ) -> list[app_commands.Choice[str]]:
        films = ["vertigo", "verbena", "rear-window"]
        return [app_commands.Choice(name=f.title(), value=f)
                for f in films if f.startswith(current)]

    @prompt.command(name="fetch", description="Fetch an export")
    async def fetch(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send("export ready",
                                        file=discord.File(io.BytesIO(b"a,b\n1,2\n"), "export.csv"))

    @app_commands.command(name="secret", description="Whisper")
    async def secret(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("only you", ephemeral=True)

    @app_commands.command(name="vote", description="Vote on a film")
    async def vote(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("0 votes", view=VoteView())

    @app_commands.command(name="comment", description="Leave a comment")
    async def comment(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(CommentModal())

    for command in (prompt, secret, vote, comment):
        bot.tree.add_command(command)


@pytest.fixture
async def bot(emu: DiscordEmulator, scene: Scene, request: pytest.FixtureRequest
              ) -> AsyncIterator[QuickBot]:
    """A connected discord.py bot recording its events into ``bot.recorder``.

    Parametrise indirectly with ``{"members": True}`` to add the members intent, or
    ``{"message_content": False}`` to drop the message content intent.
    """
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.guild_reactions = True
    options = getattr(request, "param", {})
    intents.message_content = options.get("message_content", True)
    intents.members = options.get("members", False)
    client = QuickBot(intents)
    for name in RECORDED:
        client.add_listener(client.recorder.listener(name), f"on_{name}")
    build_tree(client)
    task = asyncio.create_task(client.start(emu.token))
    await emu.wait_connected(timeout=TIMEOUT)
    await client.recorder.next("ready")
    yield client
    alive = await emu.ping_bot()
    await client.close()
    await asyncio.wait_for(task, TIMEOUT)
    assert alive, "the client stopped reading the gateway"
    assert emu.problems == []


@pytest.mark.parametrize("bot", [{"members": True}], indirect=True)
async def test_client_sees_guild_channels_and_members(
    emu: DiscordEmulator, scene: Scene, bot: QuickBot
) -> None:
    """With the members intent the cache holds the guild, its channels and every member."""
    guild = bot.get_guild(scene.guild.id)
    assert guild is not None and guild.name == "Film Club"
    assert guild.chunked and guild.member_count == 4
    assert guild.get_channel(scene.films.id).name == "films"
    assert isinstance(guild.get_channel(scene.forum.id), discord.ForumChannel)
    assert guild.get_member(scene.alice.id).display_name == "Alice"
    assert guild.get_member(scene.mod.id).guild_permissions.manage_messages
    assert not guild.get_member(scene.alice.id).guild_permissions.manage_messages
    assert guild.me.id == emu.bot_user_id == bot.user.id
    assert emu.identify_count == 1
    assert ("GET", "/users/@me", None) in emu.requests


async def test_members_fetchable_without_members_intent(
    emu: DiscordEmulator, scene: Scene, bot: QuickBot
) -> None:
    """Without the members intent the bot still fetches members over REST."""
    guild = bot.get_guild(scene.guild.id)
    assert guild.get_member(scene.alice.id) is None
    member = await guild.fetch_member(scene.mod.id)
    assert member.display_name == "Mia Moderator"
    assert [c.name for c in await guild.fetch_channels()] == ["films", "discussions"]


async def test_member_message_reaches_on_message(
    emu: DiscordEmulator, scene: Scene, bot: QuickBot
) -> None:
    """A member's message arrives as a full Message with content and member author."""
    sent = await emu.say(scene.alice.id, scene.films.id, "Vertigo is about obsession")
    (message,) = await bot.recorder.next("message")
    assert message.id == int(sent["id"])
    assert message.content == "Vertigo is about obsession"
    assert isinstance(message.author, discord.Member)
    assert message.author.display_name == "Alice"
    assert message.channel.id == scene.films.id


async def test_reply_and_attachment_payloads(
    emu: DiscordEmulator, scene: Scene, bot: QuickBot
) -> None:
    """Replies carry a reference and member attachments can be downloaded from the emulator."""
    first = await emu.say(scene.alice.id, scene.films.id, "first")
    await bot.recorder.next("message")
    await emu.say(scene.bob.id, scene.films.id, "a reply", reply_to=first["id"],
                  attachments=[{"filename": "still.png", "data": b"\x89PNG..."}])
    (reply,) = await bot.recorder.next("message")
    assert reply.type is discord.MessageType.reply
    assert reply.reference.message_id == int(first["id"])
    assert reply.attachments[0].filename == "still.png"
    assert await reply.attachments[0].read() == b"\x89PNG..."


async def test_raw_edit_unfurl_delete_and_bulk_events(
    emu: DiscordEmulator, scene: Scene, bot: QuickBot
) -> None:
    """Edits, unfurls, deletes and bulk deletes arrive as raw events with the right data."""
    rec = bot.recorder
    sent = await emu.say(scene.alice.id, scene.films.id, "see https://example.org/vertigo")
    await rec.next("message")
    await emu.edit(scene.alice.id, sent["id"], "see https://example.org/vertigo (1958)")
    (edit,) = await rec.next("raw_message_edit")
    assert edit.data["content"].endswith("(1958)")
    assert edit.data["edited_timestamp"] is not None
    edited_at = edit.data["edited_timestamp"]
    await emu.unfurl(sent["id"])
    (unfurl,) = await rec.next("raw_message_edit")
    assert unfurl.data["edited_timestamp"] == edited_at
    assert unfurl.message.embeds[0].url == "https://example.org/vertigo"
    await emu.delete(sent["id"])
    (deleted,) = await rec.next("raw_message_delete")
    assert deleted.message_id == int(sent["id"]) and deleted.channel_id == scene.films.id
    ids = [(await emu.say(scene.bob.id, scene.films.id, f"spam {i}"))["id"] for i in range(3)]
    await emu.bulk_delete(scene.films.id, ids)
    (bulk,) = await rec.next("raw_bulk_message_delete")
    assert bulk.message_ids == {int(i) for i in ids}
    assert emu.messages_in(scene.films.id) == []


async def test_reaction_events(emu: DiscordEmulator, scene: Scene, bot: QuickBot) -> None:
    """Reaction add/remove/clear events carry ids, emoji and (on add) the member."""
    rec = bot.recorder
    sent = await emu.say(scene.alice.id, scene.films.id, "vote")
    await emu.react(scene.bob.id, sent["id"], "👍")
    (added,) = await rec.next("raw_reaction_add")
    assert added.user_id == scene.bob.id and str(added.emoji) == "👍"
    assert added.member.display_name == "Bob"
    await emu.unreact(scene.bob.id, sent["id"], "👍")
    (removed,) = await rec.next("raw_reaction_remove")
    assert removed.user_id == scene.bob.id
    await emu.react(scene.alice.id, sent["id"], "🎬")
    await rec.next("raw_reaction_add")
    await emu.clear_reaction_emoji(sent["id"], "🎬")
    (cleared_emoji,) = await rec.next("raw_reaction_clear_emoji")
    assert str(cleared_emoji.emoji) == "🎬"
    await emu.react(scene.alice.id, sent["id"], "🍿")
    await rec.next("raw_reaction_add")
    await emu.clear_reactions(sent["id"])
    (cleared,) = await rec.next("raw_reaction_clear")
    assert cleared.message_id == int(sent["id"])
    assert "reactions" not in emu.get_message(sent["id"])


async def test_client_sends_embed_and_file(
    emu: DiscordEmulator, scene: Scene, bot: QuickBot
) -> None:
    """A multipart message with an embed and a file is validated, stored and echoed back."""
    channel = bot.get_channel(scene.films.id)
    embed = discord.Embed(title="Vertigo", description="Hitchcock, 1958")
    embed.add_field(name="Votes", value="3")
    sent = await channel.send("new prompt", embed=embed,
                              file=discord.File(io.BytesIO(b"poster-bytes"), "poster.png"))
    (echo,) = await bot.recorder.next("message")
    assert echo.id == sent.id and echo.author.id == emu.bot_user_id
    (stored,) = emu.messages_in(scene.films.id)
    assert stored["embeds"][0]["title"] == "Vertigo"
    assert stored["attachments"][0]["filename"] == "poster.png"
    assert emu.files_of(sent.id) == [("poster.png", b"poster-bytes")]
    method, path, body = emu.requests[-1]
    assert (method, path) == ("POST", f"/channels/{scene.films.id}/messages")
    assert body["content"] == "new prompt"


async def test_refuses_too_long_content_and_embed_title(
    emu: DiscordEmulator, scene: Scene, bot: QuickBot
) -> None:
    """Over-long content and a 257-character embed title get Discord's 400 and a problem."""
    channel = bot.get_channel(scene.films.id)
    with pytest.raises(discord.HTTPException) as too_long:
        await channel.send("x" * 2001)
    assert too_long.value.status == 400 and too_long.value.code == 50035
    assert "content" in too_long.value.text
    with pytest.raises(discord.HTTPException) as bad_title:
        await channel.send(embed=discord.Embed(title="t" * 257))
    assert bad_title.value.code == 50035
    assert "embeds.0.title" in bad_title.value.text
    with pytest.raises(discord.HTTPException) as empty:
        await channel.send(content="   ")
    assert empty.value.code == 50006
    assert len(emu.problems) == 3
    assert emu.messages_in(channel.id) == []
    emu.problems.clear()


async def test_unknown_route_is_a_problem(
    emu: DiscordEmulator, scene: Scene, bot: QuickBot
) -> None:
    """A route the emulator does not implement answers 404 and is recorded."""
    with pytest.raises(discord.NotFound):
        await bot.http.request(discord.http.Route("GET", "/guilds/{guild_id}/audit-logs",
                                                  guild_id=scene.guild.id))
    assert emu.problems and "unimplemented route" in emu.problems[0]
    emu.problems.clear()


async def sync(scene: Scene, bot: QuickBot) -> None:
    """Sync the tree to the test guild the way a bot's deliberate sync step would."""
    synced = await bot.tree.sync(guild=discord.Object(scene.guild.id))
    assert {c.name for c in synced} == {"prompt", "secret", "vote", "comment"}
    assert all(c.id for c in synced)


async def test_slash_command_with_channel_option(
    emu: DiscordEmulator, scene: Scene, bot: QuickBot
) -> None:
    """A synced guild command is invoked with a resolved channel option and replies."""
    bot.tree.copy_global_to(guild=discord.Object(scene.guild.id))
    await sync(scene, bot)
    inter = await emu.invoke(scene.alice.id, scene.films.id, "prompt post",
                             {"article": "vertigo", "channel": scene.films.id})
    await inter.wait(timeout=TIMEOUT)
    assert inter.response_type == 4
    assert inter.response["content"] == "prompt for vertigo in films"
    assert not inter.ephemeral
    assert inter.original["content"] == "prompt for vertigo in films"
    posted = emu.messages_in(scene.films.id)
    assert posted[-1]["interaction_metadata"]["name"] == "prompt post"


async def test_deferred_followup_with_file(
    emu: DiscordEmulator, scene: Scene, bot: QuickBot
) -> None:
    """Defer then follow up with a file: the thinking message is filled in."""
    bot.tree.copy_global_to(guild=discord.Object(scene.guild.id))
    await sync(scene, bot)
    inter = await emu.invoke(scene.bob.id, scene.films.id, "prompt fetch")
    await inter.wait_for(lambda r: len(r.followups) == 1, timeout=TIMEOUT)
    assert inter.response_type == 5
    assert inter.files == [("export.csv", b"a,b\n1,2\n")]
    assert inter.original["content"] == "export ready"
    assert not inter.original["flags"] & 128


async def test_autocomplete_and_ephemeral(
    emu: DiscordEmulator, scene: Scene, bot: QuickBot
) -> None:
    """Autocomplete returns the bot's choices; an ephemeral reply stays out of the channel."""
    bot.tree.copy_global_to(guild=discord.Object(scene.guild.id))
    await sync(scene, bot)
    choices = await emu.autocomplete(scene.alice.id, scene.films.id, "prompt post",
                                     {"article": "ver"}, focused="article")
    assert [c["value"] for c in choices] == ["vertigo", "verbena"]
    inter = await emu.invoke(scene.alice.id, scene.films.id, "secret")
    await inter.wait(timeout=TIMEOUT)
    assert inter.ephemeral and inter.original["content"] == "only you"
    assert emu.messages_in(scene.films.id) == []


async def test_thread_from_message(emu: DiscordEmulator, scene: Scene, bot: QuickBot) -> None:
    """A thread started on a message takes its id, is stored, and THREAD_CREATE reaches the bot."""
    sent = await emu.say(scene.alice.id, scene.films.id, "Discuss Vertigo")
    (message,) = await bot.recorder.next("message")
    thread = await message.create_thread(name="Vertigo discussion")
    assert thread.id == message.id
    (created,) = await bot.recorder.next("thread_create")
    assert created.id == thread.id and created.parent_id == scene.films.id
    assert emu.threads[thread.id]["name"] == "Vertigo discussion"
    assert emu.get_message(sent["id"])["thread"]["id"] == str(thread.id)
    await thread.send("first comment")
    await thread.edit(locked=True, archived=True)
    meta = emu.threads[thread.id]["thread_metadata"]
    assert meta["locked"] and meta["archived"]
    (update,) = await bot.recorder.next("raw_thread_update")
    assert update.thread_id == thread.id


async def test_forum_post_by_bot(emu: DiscordEmulator, scene: Scene, bot: QuickBot) -> None:
    """A forum post's first message shares the thread id and carries the applied tags."""
    forum = bot.get_channel(scene.forum.id)
    tag = forum.available_tags[0]
    created = await forum.create_thread(name="Rear Window", content="Week 3", applied_tags=[tag])
    assert created.thread.id == created.message.id
    assert emu.threads[created.thread.id]["applied_tags"] == [str(tag.id)]
    assert emu.messages_in(created.thread.id)[0]["content"] == "Week 3"


async def test_rate_limit_is_retried_once(
    emu: DiscordEmulator, scene: Scene, bot: QuickBot
) -> None:
    """A 429 from fail_next is retried by discord.py and the message is posted exactly once."""
    channel = bot.get_channel(scene.films.id)
    emu.fail_next("POST", r"^/channels/\d+/messages$", status=429, retry_after=0.1)
    await channel.send("after the wait")
    posts = [r for r in emu.requests if r[0] == "POST" and r[1].endswith("/messages")]
    assert len(posts) == 2
    assert [m["content"] for m in emu.messages_in(channel.id)] == ["after the wait"]


@pytest.mark.parametrize(("code", "resumable"), [(4000, True), (None, True), (4000, False)])
async def test_reconnect_loses_nothing(
    emu: DiscordEmulator, scene: Scene, bot: QuickBot, code: int | None, resumable: bool
) -> None:
    """Events sent while the bot is away are replayed on RESUME, or state is resent on IDENTIFY."""
    await emu.disconnect_bot(code=code, resumable=resumable, wait=False)
    missed = await emu.say(scene.alice.id, scene.films.id, "while you were away")
    await emu.wait_until(lambda: emu.resume_count + emu.identify_count >= 2, timeout=TIMEOUT)
    if resumable:
        (message,) = await bot.recorder.next("message")
        assert message.id == int(missed["id"])
        await bot.recorder.next("resumed")
        assert emu.resume_count == 1
    else:
        assert emu.identify_count == 2
        await emu.say(scene.alice.id, scene.films.id, "welcome back")
        contents = [(await bot.recorder.next("message"))[0].content]
        if contents[0] != "welcome back":  # the bot may have re-identified before the first say
            contents.append((await bot.recorder.next("message"))[0].content)
        assert contents[-1] == "welcome back"
    assert await emu.ping_bot()


async def test_history_pages_newest_first(
    emu: DiscordEmulator, scene: Scene, bot: QuickBot
) -> None:
    """Message history honours limit, before, after and around, answering newest first."""
    ids = [int((await emu.say(scene.alice.id, scene.films.id, f"m{i}"))["id"]) for i in range(6)]
    channel = bot.get_channel(scene.films.id)
    raw = await bot.http.logs_from(channel.id, 100)
    assert [m["content"] for m in raw] == ["m5", "m4", "m3", "m2", "m1", "m0"]
    assert [m.content async for m in channel.history(limit=3)] == ["m5", "m4", "m3"]
    before = [m.content async for m in channel.history(limit=2, before=discord.Object(ids[2]))]
    assert before == ["m1", "m0"]
    after = [m.content async for m in channel.history(
        limit=None, after=discord.Object(ids[2]), oldest_first=True)]
    assert after == ["m3", "m4", "m5"]
    around = [m.content async for m in channel.history(limit=3, around=discord.Object(ids[3]))]
    assert sorted(around) == ["m2", "m3", "m4"]


@pytest.mark.parametrize("bot", [{"message_content": False}], indirect=True)
async def test_content_hidden_without_intent(
    emu: DiscordEmulator, scene: Scene, bot: QuickBot
) -> None:
    """Without the message content intent a bot sees empty content unless it is mentioned."""
    await emu.say(scene.alice.id, scene.films.id, "hidden words")
    (hidden,) = await bot.recorder.next("message")
    assert hidden.content == ""
    await emu.say(scene.alice.id, scene.films.id, f"<@{emu.bot_user_id}> visible words")
    (shown,) = await bot.recorder.next("message")
    assert shown.content.endswith("visible words")
    assert shown.mentions[0].id == emu.bot_user_id


async def test_raw_dispatch_duplicates_and_many(
    emu: DiscordEmulator, scene: Scene, bot: QuickBot
) -> None:
    """A built message can be dispatched twice, and dispatch_many delivers frames in order."""
    payload = emu.build_message(scene.alice.id, scene.films.id, "twice")
    await emu.dispatch("MESSAGE_CREATE", payload)
    await emu.dispatch("MESSAGE_CREATE", payload)
    first, second = (await bot.recorder.next("message"))[0], (await bot.recorder.next("message"))[0]
    assert first.id == second.id == int(payload["id"])
    batch = [emu.message_payload(scene.bob.id, scene.films.id, f"bulk {i}") for i in range(200)]
    assert await emu.dispatch_many(("MESSAGE_CREATE", p) for p in batch) == 200
    got = [(await bot.recorder.next("message"))[0].content for _ in batch]
    assert got == [f"bulk {i}" for i in range(200)]
    assert [m["content"] for m in emu.messages_in(scene.films.id)] == ["twice"]


async def test_thread_lists_and_locked_thread(
    emu: DiscordEmulator, scene: Scene, bot: QuickBot
) -> None:
    """Active and archived thread lists follow state; members cannot post in locked threads."""
    open_thread = emu.add_thread(scene.films.id, "Open")
    old_thread = emu.add_thread(scene.films.id, "Old", archived=True)
    guild = bot.get_guild(scene.guild.id)
    assert [t.id for t in await guild.active_threads()] == [open_thread.id]
    archived = [t async for t in bot.get_channel(scene.films.id).archived_threads()]
    assert [t.id for t in archived] == [old_thread.id]
    started = await emu.start_thread(scene.alice.id, scene.films.id, "Alice's thread")
    (created,) = await bot.recorder.next("thread_create")
    assert created.id == int(started["id"]) and created.owner_id == scene.alice.id
    notice = emu.messages_in(scene.films.id)[-1]
    assert notice["type"] == 18 and notice["content"] == "Alice's thread"
    await emu.archive_thread(started["id"], archived=False, locked=True)
    (update,) = await bot.recorder.next("raw_thread_update")
    assert update.thread.locked
    with pytest.raises(PermissionError):
        await emu.say(scene.alice.id, started["id"], "let me in")


async def test_reply_pin_and_reactions_by_bot(
    emu: DiscordEmulator, scene: Scene, bot: QuickBot
) -> None:
    """Bot replies reference the message, pins add a system message, bad emoji is refused."""
    sent = await emu.say(scene.alice.id, scene.films.id, "pin me")
    (message,) = await bot.recorder.next("message")
    reply = await message.reply("noted")
    assert reply.reference.message_id == message.id
    await message.pin()
    assert emu.get_message(sent["id"])["pinned"]
    assert [m["type"] for m in emu.messages_in(scene.films.id)] == [0, 19, 6]
    await message.add_reaction("👍")
    assert emu.get_message(sent["id"])["reactions"][0]["me"]
    with pytest.raises(discord.HTTPException) as bad:
        await message.add_reaction(":thumbsup:")
    assert bad.value.code == 10014
    assert len(emu.problems) == 1
    emu.problems.clear()


async def test_injected_forbidden(emu: DiscordEmulator, scene: Scene, bot: QuickBot) -> None:
    """fail_next can answer 403 in Discord's error shape; nothing gets posted."""
    channel = bot.get_channel(scene.films.id)
    emu.fail_next("POST", r"/messages$", status=403)
    with pytest.raises(discord.Forbidden) as denied:
        await channel.send("nope")
    assert denied.value.code == 50013
    assert emu.messages_in(channel.id) == []


async def test_late_interaction_response_is_refused(
    emu: DiscordEmulator, scene: Scene, bot: QuickBot
) -> None:
    """A first response after the deadline gets Unknown interaction and is a problem."""
    bot.tree.copy_global_to(guild=discord.Object(scene.guild.id))
    await sync(scene, bot)
    emu.interaction_deadline = 0.0
    inter = await emu.invoke(scene.alice.id, scene.films.id, "secret")
    await emu.wait_for_request("POST", r"^/interactions/")
    assert inter.response_type is None
    assert "Unknown interaction" in emu.problems[0]
    emu.problems.clear()


async def test_command_sync_rules(emu: DiscordEmulator, scene: Scene, bot: QuickBot) -> None:
    """Discord's command rules apply: a required option after an optional one is refused."""
    bad = [{"name": "vote", "description": "Vote", "type": 1, "options": [
        {"name": "note", "description": "Note", "type": 3, "required": False},
        {"name": "film", "description": "Film", "type": 3, "required": True}]}]
    with pytest.raises(discord.HTTPException) as refused:
        await bot.http.bulk_upsert_guild_commands(emu.application_id, scene.guild.id, bad)
    assert refused.value.code == 50035
    assert "REQUIRED_INVALID" in emu.problems[0]
    emu.problems.clear()


async def test_json_content_type_and_auth(
    emu: DiscordEmulator, scene: Scene, bot: QuickBot
) -> None:
    """JSON answers carry exactly application/json; a request without the bot token gets 401."""
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{emu.api_base}/users/@me",
                               headers={"Authorization": f"Bot {emu.token}"}) as ok:
            assert ok.headers["Content-Type"] == "application/json"
            assert (await ok.json())["id"] == str(emu.bot_user_id)
        async with session.get(f"{emu.api_base}/users/@me") as denied:
            assert denied.status == 401
    assert emu.problems == ["GET /users/@me: missing or wrong Authorization header"]
    emu.problems.clear()


@pytest.mark.parametrize("bot", [{"members": True}], indirect=True)
async def test_setup_after_connect_sends_events(
    emu: DiscordEmulator, scene: Scene, bot: QuickBot
) -> None:
    """Channels, members and threads added while the bot is connected reach its cache."""
    late_channel = emu.add_text_channel(scene.guild.id, "late-night")
    late_member = emu.add_member(scene.guild.id, "Carol")
    late_thread = emu.add_thread(late_channel.id, "Midnight movies", owner_id=late_member.id)
    assert await emu.ping_bot()
    guild = bot.get_guild(scene.guild.id)
    assert guild.get_channel(late_channel.id).name == "late-night"
    assert guild.get_member(late_member.id).display_name == "Carol"
    assert guild.get_thread(late_thread.id).owner_id == late_member.id


async def test_buttons_selects_and_modals(
    emu: DiscordEmulator, scene: Scene, bot: QuickBot
) -> None:
    """Clicks, selections and modal submits reach the bot's views; its answers are recorded."""
    bot.tree.copy_global_to(guild=discord.Object(scene.guild.id))
    await sync(scene, bot)
    inter = await emu.invoke(scene.alice.id, scene.films.id, "vote")
    await inter.wait(timeout=TIMEOUT)
    message_id = int(inter.original["id"])
    click = await emu.click(scene.bob.id, message_id, "vote:up")
    await click.wait(timeout=TIMEOUT)
    assert click.response_type == 7
    assert emu.get_message(message_id)["content"] == "1 vote"
    pick = await emu.click(scene.bob.id, message_id, "vote:film", values=["vertigo"])
    await pick.wait_for(lambda r: r.original is not None
                        and r.original["content"] == "picked vertigo", timeout=TIMEOUT)
    assert pick.response_type == 6
    with pytest.raises(ValueError, match="not options"):
        await emu.click(scene.bob.id, message_id, "vote:film", values=["psycho"])
    shown = await emu.invoke(scene.alice.id, scene.films.id, "comment")
    await shown.wait(timeout=TIMEOUT)
    assert shown.response_type == 9
    submitted = await emu.submit_modal(scene.alice.id, shown, {"text": "Great film"})
    await submitted.wait(timeout=TIMEOUT)
    assert submitted.ephemeral
    assert submitted.original["content"] == "thanks: Great film"


# -- permissions in channels, as Discord computes them (issue 13) --------------------------------

MANAGE = Permissions.MANAGE_MESSAGES | Permissions.MANAGE_THREADS


def overwrite(target: int, kind: int, allow: int = 0, deny: int = 0) -> dict[str, str | int]:
    """A permission overwrite: kind 0 is a role, 1 a member."""
    return {"id": str(target), "type": kind, "allow": str(allow), "deny": str(deny)}


def test_channel_permissions_apply_overwrites_in_discords_order(emu: DiscordEmulator,
                                                                scene: Scene) -> None:
    """@everyone's overwrite, then role overwrites together, then the member's own."""
    guild = scene.guild.id
    staff = emu.add_role(guild, "Staff", Permissions.DEFAULT)
    sol = emu.add_member(guild, "Sol", roles=[staff])
    cam = emu.add_member(guild, "Cam")
    hidden = emu.add_text_channel(guild, "staff", overwrites=[
        overwrite(guild, 0, deny=Permissions.VIEW_CHANNEL | Permissions.SEND_MESSAGES),
        overwrite(staff, 0, allow=Permissions.VIEW_CHANNEL),
        overwrite(sol.id, 1, deny=Permissions.READ_MESSAGE_HISTORY),
    ])
    side = emu.add_text_channel(guild, "side", overwrites=[overwrite(cam.id, 1, allow=MANAGE)])
    thread = emu.add_thread(hidden.id, "plans")
    # Without View Channel nothing counts; a role's allow brings it back, not Send Messages.
    assert emu.permissions_in(scene.alice.id, hidden.id) == 0
    sol_there = emu.permissions_in(sol.id, hidden.id)
    assert sol_there & Permissions.VIEW_CHANNEL and not sol_there & Permissions.SEND_MESSAGES
    assert not sol_there & Permissions.READ_MESSAGE_HISTORY  # the member's own deny wins
    # A thread has its parent's permissions.
    assert emu.permissions_in(sol.id, thread.id) == sol_there
    assert emu.permissions_in(scene.alice.id, thread.id) == 0
    # A member overwrite makes a moderator of one channel, and of that channel only.
    assert emu.permissions_in(cam.id, side.id) & MANAGE == MANAGE
    assert emu.permissions_in(cam.id, scene.films.id) & MANAGE == 0
    # The owner and Administrators have everything, overwrites or not.
    admin = emu.add_member(guild, "Ada", permissions=Permissions.DEFAULT
                           | Permissions.ADMINISTRATOR)
    assert emu.permissions_in(admin.id, hidden.id) == Permissions.ALL


async def test_interactions_carry_permissions_of_the_invoking_and_named_channels(
        emu: DiscordEmulator, scene: Scene, bot: QuickBot) -> None:
    """member.permissions and app_permissions are the invoking channel's; a resolved channel
    carries the invoker's permissions there; discord.py's own computation agrees."""
    guild = scene.guild.id
    cam = emu.add_member(guild, "Cam")
    side = emu.add_text_channel(guild, "side", overwrites=[
        overwrite(cam.id, 1, allow=MANAGE), overwrite(emu.bot_user_id, 1,
                                                      deny=Permissions.EMBED_LINKS)])
    bot.tree.copy_global_to(guild=discord.Object(guild))
    await sync(scene, bot)
    inter = await emu.invoke(cam.id, side.id, "prompt post",
                             {"article": "vertigo", "channel": scene.films.id})
    await inter.wait(timeout=TIMEOUT)
    payload = inter.payload
    here = int(payload["member"]["permissions"])
    assert here & MANAGE == MANAGE and int(payload["channel"]["permissions"]) == here
    assert not int(payload["app_permissions"]) & Permissions.EMBED_LINKS
    named = int(payload["data"]["resolved"]["channels"][str(scene.films.id)]["permissions"])
    assert named & MANAGE == 0 and named & Permissions.VIEW_CHANNEL
    # What the bot would compute from its cache matches what Discord sent (discord.py
    # leaves voice permissions out of text channels).
    cached = bot.get_guild(guild)
    assert cached is not None
    member = discord.Member(data=payload["member"], guild=cached, state=bot._connection)
    text_only = ~discord.Permissions.voice().value
    assert cached.get_channel(side.id).permissions_for(member).value == here & text_only
    assert cached.get_channel(scene.films.id).permissions_for(member).value == named & text_only


async def test_overwrites_changed_later_reach_the_bot(emu: DiscordEmulator, scene: Scene,
                                                      bot: QuickBot) -> None:
    """set_overwrites sends CHANNEL_UPDATE: the bot's cache follows."""
    emu.set_overwrites(scene.films.id, [overwrite(scene.guild.id, 0,
                                                  deny=Permissions.VIEW_CHANNEL)])
    await emu.ping_bot()
    channel = bot.get_guild(scene.guild.id).get_channel(scene.films.id)
    assert channel.overwrites_for(channel.guild.default_role).view_channel is False
    assert emu.permissions_in(scene.alice.id, scene.films.id) == 0


def _png(width: int, height: int) -> bytes:
    """A tiny PNG (signature and IHDR are what the emulator reads)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    raw = b"".join(b"\x00" + b"\x00\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                             0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


async def test_followup_uploads_are_checked_as_discord_does(
    emu: DiscordEmulator, scene: Scene, bot: QuickBot
) -> None:
    """Follow-ups with files (issue 19's /stats picture): multipart with payload_json and
    files[n] is taken, an image gets its size; a file over the limit is 413 (40005), an
    unknown form field or an attachment naming no upload is 400."""
    from bot.emulator.model import ATTACHMENT_SIZE_LIMIT

    bot.tree.copy_global_to(guild=discord.Object(scene.guild.id))
    await sync(scene, bot)
    inter = await emu.invoke(scene.bob.id, scene.films.id, "prompt fetch")
    await inter.wait_for(lambda r: len(r.followups) == 1, timeout=TIMEOUT)
    url = f"{emu.api_base}/webhooks/{emu.application_id}/{inter.token}?wait=1"

    def form(payload: object, *files: tuple[str, str, bytes]) -> aiohttp.FormData:
        data = aiohttp.FormData()
        data.add_field("payload_json", json.dumps(payload), content_type="application/json")
        for field, name, blob in files:
            data.add_field(field, blob, filename=name, content_type="application/octet-stream")
        return data

    picture = _png(12, 7)
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=form(
                {"embeds": [{"image": {"url": "attachment://chart.png"}}],
                 "attachments": [{"id": 0, "filename": "chart.png"}]},
                ("files[0]", "chart.png", picture))) as ok:
            assert ok.status == 200, await ok.text()
            sent = await ok.json()
        (attachment,) = sent["attachments"]
        assert (attachment["filename"], attachment["content_type"]) == ("chart.png",
                                                                       "image/png")
        assert (attachment["width"], attachment["height"], attachment["size"]) == (
            12, 7, len(picture))
        assert inter.files[-1] == ("chart.png", picture)
        refused = {}
        for what, data in {
            "too big": form({}, ("files[0]", "big.png", b"\0" * (ATTACHMENT_SIZE_LIMIT + 1))),
            "unknown field": form({"content": "x"}, ("file", "chart.png", picture)),
            "no such upload": form({"attachments": [{"id": 3}]},
                                   ("files[0]", "chart.png", picture)),
        }.items():
            async with session.post(url, data=data) as answer:
                refused[what] = (answer.status, (await answer.json()).get("code"))
    assert refused == {"too big": (413, 40005), "unknown field": (400, 50035),
                       "no such upload": (400, 50035)}
    assert len(inter.followups) == 2  # none of the refused ones was posted
    emu.problems.clear()  # the refusals are recorded as problems of the (test's) client
