"""Fixtures of the emulator's self-tests: a started emulator discord.py points at, and a
scene (a guild with a text channel, a forum, a moderator and two members)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import discord
import pytest
import yarl

from bot.emulator import DiscordEmulator, Permissions
from tests.emulator.clients import Scene


@pytest.fixture(autouse=True, scope="module")
def endpoints_restored() -> Iterator[None]:
    """After the whole module, discord.py points at Discord again."""
    yield
    assert discord.http.Route.BASE == "https://discord.com/api/v10"
    assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == "wss://gateway.discord.gg/"


@pytest.fixture
def discord_at_emulator() -> Iterator[None]:
    """Restore discord.py's class-level endpoints whatever a test does to them."""
    base = discord.http.Route.BASE
    gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    yield
    discord.http.Route.BASE = base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway


@pytest.fixture
async def emu(discord_at_emulator: None) -> AsyncIterator[DiscordEmulator]:
    """A started emulator that discord.py is pointed at."""
    async with DiscordEmulator(token="test-token") as emulator:
        discord.http.Route.BASE = emulator.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(emulator.gateway_url)
        yield emulator


@pytest.fixture
def scene(emu: DiscordEmulator) -> Scene:
    """A guild with a text channel, a forum, a moderator and two plain members."""
    guild = emu.add_guild("Film Club")
    return Scene(
        guild=guild,
        films=emu.add_text_channel(guild.id, "films"),
        forum=emu.add_forum_channel(guild.id, "discussions"),
        mod=emu.add_member(guild.id, "Mia Moderator",
                           permissions=Permissions.DEFAULT | Permissions.MANAGE_MESSAGES),
        alice=emu.add_member(guild.id, "Alice"),
        bob=emu.add_member(guild.id, "Bob"),
    )
