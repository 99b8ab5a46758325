"""The emulator's gateway shards as Discord does (issue 15): IDENTIFY's shard checked, each
session given the guilds of its shard, events and interactions routed by guild."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
from discord.ext import commands

from bot.emulator import DiscordEmulator, Permissions
from bot.emulator.constants import Intents
from bot.emulator.gateway import RawJSON, shard_of

INTENTS = Intents.GUILDS | Intents.GUILD_MESSAGES | Intents.MESSAGE_CONTENT
TIMEOUT = 5


class RawSession:
    """A bare websocket client: identifies as it is told and keeps every dispatch it reads."""

    def __init__(self, http: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.http = http
        self.ws = ws
        self.events: list[tuple[str, Any]] = []

    @classmethod
    async def open(cls, emu: DiscordEmulator) -> RawSession:
        http = aiohttp.ClientSession()
        ws = await http.ws_connect(f"{emu.gateway_url}?v=10&encoding=json")
        hello = await ws.receive_json(timeout=TIMEOUT)
        assert hello["op"] == 10
        return cls(http, ws)

    async def identify(self, emu: DiscordEmulator, shard: Any) -> None:
        data: dict[str, Any] = {"token": emu.token, "intents": INTENTS,
                                "properties": {"os": "linux", "browser": "t", "device": "t"}}
        if shard is not None:
            data["shard"] = shard
        await self.ws.send_str(json.dumps({"op": 2, "d": data}))

    async def read_until(self, event: str, count: int = 1) -> list[Any]:
        """Read frames until ``count`` more ``event`` dispatches came; their payloads."""
        got: list[Any] = []
        async with asyncio.timeout(TIMEOUT):
            while len(got) < count:
                frame = await self.ws.receive()
                if frame.type is not aiohttp.WSMsgType.TEXT:
                    raise AssertionError(f"connection ended: {frame.type.name} {frame.data}")
                data = json.loads(frame.data)
                if data["op"] == 0:
                    self.events.append((data["t"], data["d"]))
                    if data["t"] == event:
                        got.append(data["d"])
                elif data["op"] == 1:  # the emulator asks for a heartbeat (ping)
                    await self.ws.send_str(json.dumps({"op": 1, "d": data.get("s")}))
        return got

    async def close(self) -> None:
        await self.ws.close()
        await self.http.close()


@pytest.fixture
async def sessions() -> AsyncIterator[list[RawSession]]:
    opened: list[RawSession] = []
    yield opened
    for session in opened:
        await session.close()


CHANNEL: dict[int, int] = {}  # guild -> its channel, per test (guild ids are never reused)
MEMBER: dict[int, int] = {}  # guild -> a member


def three_guilds(emu: DiscordEmulator) -> tuple[Any, Any, Any]:
    """Guilds on shard 0, 1 and 0 of 2, each with a channel and a member."""
    guilds = [emu.add_guild(f"Club {n}", shard=(shard, 2)) for n, shard in enumerate((0, 1, 0))]
    for guild in guilds:
        CHANNEL[guild.id] = emu.add_text_channel(guild.id, "films").id
        MEMBER[guild.id] = emu.add_member(guild.id, "Ana", permissions=Permissions.DEFAULT).id
    return guilds[0], guilds[1], guilds[2]


@pytest.mark.parametrize("shard", [[2, 2], [0, 0], [-1, 2], [0], [0, 1, 2], "0,2", [True, 2],
                                   [0.0, 2], None])
async def test_identify_refuses_an_invalid_shard(
        emu: DiscordEmulator, sessions: list[RawSession], shard: Any) -> None:
    """A shard that is not [id, count] with 0 <= id < count: closed with 4010, as Discord."""
    session = await RawSession.open(emu)
    sessions.append(session)
    data = {"token": emu.token, "intents": INTENTS, "shard": shard,
            "properties": {"os": "linux", "browser": "t", "device": "t"}}
    await session.ws.send_str(json.dumps({"op": 2, "d": data}))
    frame = await session.ws.receive(timeout=TIMEOUT)
    if shard is None:  # JSON null: no sharding asked for, a plain session
        assert frame.type is aiohttp.WSMsgType.TEXT and json.loads(frame.data)["t"] == "READY"
        return
    assert frame.type is aiohttp.WSMsgType.CLOSE and frame.data == 4010
    assert emu.problems and "invalid shard" in emu.problems[-1]
    emu.problems.clear()


async def test_gateway_bot_recommends_a_shard_count(emu: DiscordEmulator) -> None:
    """GET /gateway/bot: one shard per 1,000 guilds (at least one), or what a test sets."""
    headers = {"Authorization": f"Bot {emu.token}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.get(f"{emu.api_base}/gateway/bot") as response:
            assert (await response.json())["shards"] == 1
        emu.gateway.recommended_shards = 4
        async with http.get(f"{emu.api_base}/gateway/bot") as response:
            body = await response.json()
    assert body["shards"] == 4 and body["url"] == emu.gateway_url


async def test_each_session_gets_the_guilds_of_its_shard(
        emu: DiscordEmulator, sessions: list[RawSession]) -> None:
    """READY and GUILD_CREATE name only the shard's guilds; unsharded gets all."""
    first, second, third = three_guilds(emu)
    assert [shard_of(g.id, 2) for g in (first, second, third)] == [0, 1, 0]
    got: dict[Any, tuple[set[str], set[str]]] = {}
    for shard in ([0, 2], [1, 2], None):
        session = await RawSession.open(emu)
        sessions.append(session)
        await session.identify(emu, shard)
        ready = (await session.read_until("READY"))[0]
        listed = {g["id"] for g in ready["guilds"]}
        created = {g["id"] for g in await session.read_until("GUILD_CREATE", len(listed))}
        assert ready.get("shard") == shard
        got[json.dumps(shard)] = (listed, created)
    assert got["[0, 2]"] == ({str(first.id), str(third.id)},) * 2
    assert got["[1, 2]"] == ({str(second.id)},) * 2
    assert got["null"] == ({str(first.id), str(second.id), str(third.id)},) * 2
    assert emu.connected_shards() == {(0, 2), (1, 2), None}


async def test_events_go_to_the_session_of_their_guild(
        emu: DiscordEmulator, sessions: list[RawSession]) -> None:
    """Messages, raw dispatches and dispatch_many reach only the shard owning the guild."""
    first, second, third = three_guilds(emu)
    by_shard = {}
    for shard in (0, 1):
        session = await RawSession.open(emu)
        sessions.append(session)
        await session.identify(emu, [shard, 2])
        await session.read_until("GUILD_CREATE", 2 - shard)
        by_shard[shard] = session
    channel, member = CHANNEL, MEMBER
    for guild in (first, second, third):
        await emu.say(member[guild.id], channel[guild.id], f"hello {guild.name}")
    built = emu.build_message(member[second.id], channel[second.id], "raw")
    await emu.dispatch("MESSAGE_CREATE", built)
    many = [("MESSAGE_CREATE", emu.message_payload(member[g.id], channel[g.id], f"many {g.name}"))
            for g in (first, second, third)]
    many.append(("MESSAGE_CREATE", RawJSON(json.dumps(
        emu.message_payload(member[second.id], channel[second.id], "json")))))
    await emu.dispatch_many(many)
    zero = [m["content"] for m in await by_shard[0].read_until("MESSAGE_CREATE", 4)]
    one = [m["content"] for m in await by_shard[1].read_until("MESSAGE_CREATE", 4)]
    assert zero == ["hello Club 0", "hello Club 2", "many Club 0", "many Club 2"]
    assert one == ["hello Club 1", "raw", "many Club 1", "json"]
    # A last message in each shard's guild is the next each reads: nothing else came.
    await emu.say(member[first.id], channel[first.id], "last 0")
    await emu.say(member[second.id], channel[second.id], "last 1")
    assert [m["content"] for m in await by_shard[0].read_until("MESSAGE_CREATE")] == ["last 0"]
    assert [m["content"] for m in await by_shard[1].read_until("MESSAGE_CREATE")] == ["last 1"]


class ShardedBot(commands.AutoShardedBot):
    """discord.py's own sharded client, on both shards of two."""

    def __init__(self) -> None:
        intents = discord.Intents.none()
        intents.guilds = intents.guild_messages = intents.message_content = True
        super().__init__(command_prefix="!", intents=intents, guild_ready_timeout=0.05,
                         shard_count=2, shard_ids=[0, 1])
        self.seen: list[tuple[int | None, str]] = []
        self.commands_seen: list[tuple[int | None, int | None]] = []

        @self.tree.command(name="ping", description="Answers")
        async def ping(interaction: discord.Interaction) -> None:
            guild = interaction.guild
            self.commands_seen.append((guild.shard_id if guild else None, interaction.guild_id))
            await interaction.response.send_message("ok")

    async def setup_hook(self) -> None:
        await self.tree.sync()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None

    async def on_message(self, message: discord.Message) -> None:
        guild = message.guild
        self.seen.append((guild.shard_id if guild else None, message.content))


async def test_discord_py_sharded_bot_gets_each_guild_on_its_shard(
        emu: DiscordEmulator, discord_at_emulator: None) -> None:
    """AutoShardedBot on shards 0 and 1 of 2: two sessions, each guild on its shard,
    messages and slash commands delivered by the shard owning the guild."""
    import yarl
    discord.http.Route.BASE = emu.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(emu.gateway_url)
    first, second, third = three_guilds(emu)
    bot = ShardedBot()
    await bot.login(emu.token)
    runner = asyncio.create_task(bot.connect())
    try:
        async with asyncio.timeout(15):
            await bot.wait_until_ready()
        assert emu.connected_shards() == {(0, 2), (1, 2)}
        assert {g.id: g.shard_id for g in bot.guilds} == {first.id: 0, second.id: 1, third.id: 0}
        for guild in (first, second, third):
            await emu.say(MEMBER[guild.id], CHANNEL[guild.id], f"to {guild.name}")
            await emu.invoke(MEMBER[guild.id], CHANNEL[guild.id], "ping")
        await emu.wait_until(lambda: len(bot.seen) == 3 and len(bot.commands_seen) == 3)
        assert sorted(bot.seen) == [(0, "to Club 0"), (0, "to Club 2"), (1, "to Club 1")]
        assert sorted(bot.commands_seen) == sorted([(0, first.id), (1, second.id),
                                                    (0, third.id)])
        assert emu.problems == []
    finally:
        await bot.close()
        await asyncio.wait_for(runner, 10)
