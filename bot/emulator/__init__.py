"""A loopback Discord (REST API v10 and gateway v10) for end-to-end tests of the bot.

    async with DiscordEmulator() as emu:
        guild = emu.add_guild("Film Club")
        ...

See ``emulator.DiscordEmulator`` for the whole API.
"""

from .constants import Intents, Permissions
from .emulator import DiscordEmulator
from .interactions import InteractionRecord
from .payloads import ChannelRef, GuildRef, MemberRef

__all__ = [
    "ChannelRef",
    "DiscordEmulator",
    "GuildRef",
    "Intents",
    "InteractionRecord",
    "MemberRef",
    "Permissions",
]
