"""What servers, channels, threads and members are called, as the bot last saw them.

Discord adapters hand sightings to the store (``Store.save_names``); exports read them
back (``Store.place_names``, ``Store.member_names``), so a file made from the command
line, with no Discord to ask, names the server, its channels and its people as Discord
showed them. A sighting carries its time: an older one never replaces a newer one,
whatever order they arrive in. Members' names also come from their comments (each
comment keeps the name it was written under; the store keeps the newest).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

PlaceKind = Literal["guild", "channel", "thread"]


@dataclass(frozen=True, slots=True)
class PlaceName:
    """A server (``kind`` guild, ``id`` = ``guild_id``), a channel or a prompt thread."""

    id: int
    kind: PlaceKind
    guild_id: int
    name: str
    seen_at: datetime


@dataclass(frozen=True, slots=True)
class MemberName:
    """A member's display name in one server."""

    guild_id: int
    user_id: int
    name: str
    seen_at: datetime


@dataclass(frozen=True, slots=True)
class GuildNames:
    """Every name known in one server: the server's own, its channels' and threads', and
    its members'. What an export needs to name people and places."""

    guild_id: int
    guild: str | None = None
    places: Mapping[int, str] = field(default_factory=dict)  # channel and thread ids
    members: Mapping[int, str] = field(default_factory=dict)

    def merged(self, *, guild: str | None = None, places: Mapping[int, str] | None = None,
               members: Mapping[int, str] | None = None) -> GuildNames:
        """These names with fresher ones (a live Discord cache) laid over them."""
        return GuildNames(self.guild_id, guild or self.guild,
                          {**self.places, **(places or {})},
                          {**self.members, **(members or {})})
