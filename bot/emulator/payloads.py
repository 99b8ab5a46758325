"""The emulator's records of users, members and guilds, and the JSON shapes Discord sends."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from .constants import ChannelType, Permissions


@dataclass(frozen=True)
class GuildRef:
    """What ``add_guild`` hands back."""

    id: int
    name: str


@dataclass(frozen=True)
class ChannelRef:
    """What ``add_text_channel``, ``add_forum_channel`` and ``add_thread`` hand back."""

    id: int
    name: str
    guild_id: int
    type: int


@dataclass(frozen=True)
class MemberRef:
    """What ``add_member`` hands back; ``name`` is the display name (global_name)."""

    id: int
    name: str
    guild_id: int
    username: str


@dataclass
class UserRecord:
    """A Discord account."""

    id: int
    username: str
    global_name: str | None
    bot: bool = False
    discriminator: str = "0"

    def payload(self) -> dict[str, Any]:
        """The user object as Discord v10 sends it."""
        return {
            "id": str(self.id),
            "username": self.username,
            "global_name": self.global_name,
            "discriminator": self.discriminator,
            "avatar": None,
            "avatar_decoration_data": None,
            "banner": None,
            "accent_color": None,
            "public_flags": 0,
            "flags": 0,
            "bot": self.bot,
            "primary_guild": None,
            "collectibles": None,
        }


@dataclass
class MemberRecord:
    """A user's membership of one guild."""

    user: UserRecord
    guild_id: int
    roles: list[int]
    joined_at: str
    nick: str | None = None

    def payload(self, *, with_user: bool = True, permissions: int | None = None) -> dict[str, Any]:
        """The guild member object; ``permissions`` is added as a string when given."""
        data: dict[str, Any] = {
            "roles": [str(r) for r in self.roles],
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
            "unusual_dm_activity_until": None,
        }
        if with_user:
            data["user"] = self.user.payload()
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data


@dataclass
class GuildRecord:
    """A server: its roles, members and top-level channels."""

    id: int
    name: str
    owner_id: int
    created_at: str
    roles: dict[int, dict[str, Any]] = field(default_factory=dict)
    members: dict[int, MemberRecord] = field(default_factory=dict)
    channel_ids: list[int] = field(default_factory=list)
    emojis: dict[int, dict[str, Any]] = field(default_factory=dict)

    def permissions_of(self, user_id: int) -> int:
        """A member's guild-level permissions: @everyone plus their roles."""
        if user_id == self.owner_id:
            return Permissions.ALL
        value = int(self.roles[self.id]["permissions"])
        member = self.members.get(user_id)
        if member is not None:
            for role_id in member.roles:
                role = self.roles.get(role_id)
                if role is not None:
                    value |= int(role["permissions"])
        if value & Permissions.ADMINISTRATOR:
            return Permissions.ALL
        return value

    def permissions_in(self, user_id: int, overwrites: Sequence[Mapping[str, Any]]) -> int:
        """A member's permissions in a channel with ``overwrites``, as Discord computes them.

        The base (@everyone and the member's roles; all for the owner or Administrator),
        then the @everyone overwrite, then the member's role overwrites together, then
        the member's own overwrite, each deny before allow. Without View Channel nothing
        counts. A thread passes its parent channel's overwrites.
        """
        base = self.permissions_of(user_id)
        if base & Permissions.ADMINISTRATOR:
            return Permissions.ALL
        by_target = {(int(o["type"]), int(o["id"])): o for o in overwrites}
        value = base
        everyone = by_target.get((0, self.id))
        if everyone is not None:
            value = (value & ~int(everyone["deny"])) | int(everyone["allow"])
        member = self.members.get(user_id)
        role_ids = member.roles if member is not None else []
        deny = allow = 0
        for role_id in role_ids:
            found = by_target.get((0, role_id))
            if found is not None:
                deny |= int(found["deny"])
                allow |= int(found["allow"])
        value = (value & ~deny) | allow
        own = by_target.get((1, user_id))
        if own is not None:
            value = (value & ~int(own["deny"])) | int(own["allow"])
        if not value & Permissions.VIEW_CHANNEL:
            return 0
        return value


def role_payload(
    role_id: int, name: str, permissions: int, position: int, *, bot_id: int | None = None
) -> dict[str, Any]:
    """A role object."""
    data: dict[str, Any] = {
        "id": str(role_id),
        "name": name,
        "description": None,
        "permissions": str(permissions),
        "position": position,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "managed": bot_id is not None,
        "mentionable": False,
        "icon": None,
        "unicode_emoji": None,
        "flags": 0,
    }
    if bot_id is not None:
        data["tags"] = {"bot_id": str(bot_id)}
    return data


def text_channel_payload(
    channel_id: int, guild_id: int, name: str, position: int, *, topic: str | None,
    parent_id: int | None,
) -> dict[str, Any]:
    """A guild text channel."""
    return {
        "id": str(channel_id),
        "type": ChannelType.GUILD_TEXT,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "parent_id": str(parent_id) if parent_id else None,
        "topic": topic,
        "nsfw": False,
        "rate_limit_per_user": 0,
        "last_message_id": None,
        "last_pin_timestamp": None,
        "permission_overwrites": [],
        "default_auto_archive_duration": 4320,
        "default_thread_rate_limit_per_user": 0,
        "flags": 0,
    }


def forum_channel_payload(
    channel_id: int, guild_id: int, name: str, position: int, *, topic: str | None,
    parent_id: int | None, tags: list[dict[str, Any]],
) -> dict[str, Any]:
    """A forum channel with its available tags."""
    data = text_channel_payload(channel_id, guild_id, name, position, topic=topic,
                                parent_id=parent_id)
    data.update(
        type=ChannelType.GUILD_FORUM,
        available_tags=tags,
        default_reaction_emoji=None,
        default_sort_order=None,
        default_forum_layout=0,
        template="",
    )
    data.pop("last_pin_timestamp")
    return data


def forum_tag_payload(tag_id: int, name: str) -> dict[str, Any]:
    """One forum tag."""
    return {"id": str(tag_id), "name": name, "moderated": False, "emoji_id": None,
            "emoji_name": None}


def thread_payload(
    thread_id: int, guild_id: int, parent_id: int, owner_id: int, name: str, *,
    thread_type: int, created_at: str, auto_archive_duration: int,
    rate_limit_per_user: int = 0, applied_tags: list[str] | None = None,
    invitable: bool = True,
) -> dict[str, Any]:
    """A thread channel with its metadata (counts start at zero)."""
    data: dict[str, Any] = {
        "id": str(thread_id),
        "type": thread_type,
        "guild_id": str(guild_id),
        "parent_id": str(parent_id),
        "owner_id": str(owner_id),
        "name": name,
        "last_message_id": None,
        "last_pin_timestamp": None,
        "rate_limit_per_user": rate_limit_per_user,
        "message_count": 0,
        "member_count": 0,
        "total_message_sent": 0,
        "flags": 0,
        "thread_metadata": {
            "archived": False,
            "archive_timestamp": created_at,
            "auto_archive_duration": auto_archive_duration,
            "locked": False,
            "create_timestamp": created_at,
        },
    }
    if thread_type == ChannelType.PRIVATE_THREAD:
        data["thread_metadata"]["invitable"] = invitable
    if applied_tags is not None:
        data["applied_tags"] = applied_tags
    return data


def thread_member_payload(thread_id: int, user_id: int, joined_at: str) -> dict[str, Any]:
    """A thread member object."""
    return {"id": str(thread_id), "user_id": str(user_id), "join_timestamp": joined_at,
            "flags": 0, "muted": False, "mute_config": None}


_CUSTOM_EMOJI = re.compile(r"^<?(?P<animated>a)?:?(?P<name>[\w~]+):(?P<id>\d{15,21})>?$")
_WORDS = re.compile(r"^[\w\s:.,!?'\"-]+$")


def parse_emoji(text: str) -> dict[str, Any] | None:
    """Partial emoji from ``👍``, ``name:id`` or ``<:name:id>`` (URL-encoded or not).

    None for text that cannot be an emoji (plain words like ``:thumbsup:``), which
    Discord answers with Unknown Emoji.
    """
    text = unquote(text).strip()
    match = _CUSTOM_EMOJI.match(text)
    if match:
        data: dict[str, Any] = {"id": match["id"], "name": match["name"]}
        if match["animated"]:
            data["animated"] = True
        return data
    if not text or _WORDS.match(text):
        return None
    return {"id": None, "name": text}


def emoji_key(emoji: dict[str, Any]) -> str:
    """A stable key for an emoji: its id for custom ones, else the character."""
    return str(emoji["id"]) if emoji.get("id") else str(emoji["name"])
