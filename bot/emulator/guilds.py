"""Guilds, channels, roles and members: the scene tests set, and the REST routes that read
and change it (``GET /guilds/...``, ``GET|PATCH|DELETE /channels/{c}``, typing).

Permissions are computed by the model (``DiscordModel.permissions_in``) from what is set here.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .constants import ChannelType, ErrorCode, Permissions
from .interactions import copy_payload
from .model import Event, as_id
from .payloads import (
    ChannelRef,
    GuildRecord,
    GuildRef,
    MemberRecord,
    MemberRef,
    UserRecord,
    forum_channel_payload,
    forum_tag_payload,
    role_payload,
    text_channel_payload,
)
from .snowflakes import now_iso, snowflake_iso
from .validation import ApiError, invalid_form_body, thread_name_errors

if TYPE_CHECKING:
    from .model import DiscordModel
    from .rest import ApiRequest


class Guilds:
    """Servers, their channels, roles and members."""

    def __init__(self, model: DiscordModel) -> None:
        self.model = model

    def routes(self, add: Callable[..., None]) -> None:
        """Register the REST routes of guilds and channels."""
        add("GET", "/channels/{channel_id}", self.rest_get_channel)
        add("PATCH", "/channels/{channel_id}", self.rest_patch_channel)
        add("DELETE", "/channels/{channel_id}", self.rest_delete_channel)
        add("POST", "/channels/{channel_id}/typing", self.rest_typing)
        add("GET", "/guilds/{guild_id}", self.rest_get_guild)
        add("GET", "/guilds/{guild_id}/channels", self.rest_guild_channels)
        add("GET", "/guilds/{guild_id}/members", self.rest_guild_members)
        add("GET", "/guilds/{guild_id}/members/{user_id}", self.rest_guild_member)
        add("GET", "/guilds/{guild_id}/roles", self.rest_guild_roles)

    # ---- scene setup (tests) -------------------------------------------------------------------

    def add_guild(self, name: str, *, shard: tuple[int, int] | None = None) -> GuildRef:
        """A server with an @everyone role, the bot as a member, and an owner (not a member).

        ``shard`` (``(shard_id, shard_count)``): give it an id on that shard."""
        model = self.model
        guild_id = model.ids.next() if shard is None else model.ids.next_on_shard(*shard)
        owner = self._new_user("Server Owner")
        guild = GuildRecord(guild_id, name, owner.id, snowflake_iso(guild_id))
        guild.roles[guild_id] = role_payload(guild_id, "@everyone", Permissions.DEFAULT, 0)
        bot_role = model.ids.next()
        guild.roles[bot_role] = role_payload(bot_role, model.users[model.bot_user_id].username,
                                             model.bot_permissions, 1, bot_id=model.bot_user_id)
        guild.members[model.bot_user_id] = MemberRecord(
            model.users[model.bot_user_id], guild_id, [bot_role], now_iso()
        )
        model.guilds[guild_id] = guild
        model.queue("GUILD_CREATE", lambda: model.guild_create_payload(guild_id), guild_id)
        return GuildRef(guild_id, name)

    def add_text_channel(
        self, guild_id: int, name: str, *, topic: str | None = None, parent_id: int | None = None,
        overwrites: Sequence[Mapping[str, Any]] = (),
    ) -> ChannelRef:
        """A text channel. ``overwrites`` are permission overwrite objects (``id``, ``type``
        0 role / 1 member, ``allow``, ``deny``): the bot sees them; REST does not enforce them."""
        model = self.model
        guild = model.guild(guild_id)
        channel_id = model.ids.next()
        data = text_channel_payload(channel_id, guild.id, name, len(guild.channel_ids),
                                    topic=topic, parent_id=parent_id)
        data["permission_overwrites"] = [copy.deepcopy(dict(o)) for o in overwrites]
        return self._add_channel(guild, data)

    def add_forum_channel(
        self, guild_id: int, name: str, *, tags: Sequence[str] = ("Discussion", "Spoilers"),
        topic: str | None = None, overwrites: Sequence[Mapping[str, Any]] = (),
    ) -> ChannelRef:
        """A forum channel with the given tag names (and permission overwrites)."""
        model = self.model
        guild = model.guild(guild_id)
        channel_id = model.ids.next()
        tag_payloads = [forum_tag_payload(model.ids.next(), t) for t in tags]
        data = forum_channel_payload(channel_id, guild.id, name, len(guild.channel_ids),
                                     topic=topic, parent_id=None, tags=tag_payloads)
        data["permission_overwrites"] = [copy.deepcopy(dict(o)) for o in overwrites]
        return self._add_channel(guild, data)

    def set_overwrites(self, channel_id: int, overwrites: Sequence[Mapping[str, Any]]) -> None:
        """Replace a channel's permission overwrites (a CHANNEL_UPDATE tells the bot)."""
        model = self.model
        channel = model.channel(channel_id)
        if model.is_thread(channel):
            raise ValueError("threads have no overwrites of their own: set their parent's")
        channel["permission_overwrites"] = [copy.deepcopy(dict(o)) for o in overwrites]
        model.queue("CHANNEL_UPDATE", lambda: copy.deepcopy(channel), int(channel["guild_id"]))

    def _add_channel(self, guild: GuildRecord, data: dict[str, Any]) -> ChannelRef:
        model = self.model
        channel_id = int(data["id"])
        model.channels[channel_id] = data
        model.channel_messages[channel_id] = []
        guild.channel_ids.append(channel_id)
        model.queue("CHANNEL_CREATE", lambda: copy.deepcopy(data), guild.id)
        return ChannelRef(channel_id, data["name"], guild.id, data["type"])

    def add_member(
        self, guild_id: int, name: str, *, permissions: int = Permissions.DEFAULT,
        username: str | None = None, nick: str | None = None, user_id: int | None = None,
        roles: Sequence[int] = (),
    ) -> MemberRef:
        """A member whose display name is ``name``; extra permissions come from a role.

        ``roles`` are more roles to hold (ids from ``add_role``).
        """
        model = self.model
        guild = model.guild(guild_id)
        user = model.users[user_id] if user_id is not None else self._new_user(name, username)
        roles = list(roles)
        if permissions & ~Permissions.DEFAULT:
            roles.append(self._role_for(guild, permissions))
        member = MemberRecord(user, guild.id, roles, now_iso(), nick=nick)
        guild.members[user.id] = member
        model.queue("GUILD_MEMBER_ADD", lambda: {**member.payload(), "guild_id": str(guild.id)},
                    guild.id)
        return MemberRef(user.id, nick or name, guild.id, user.username)

    def add_role(self, guild_id: int, name: str, permissions: int) -> int:
        """A role (returns its id)."""
        model = self.model
        guild = model.guild(guild_id)
        role_id = model.ids.next()
        guild.roles[role_id] = role_payload(role_id, name, permissions, len(guild.roles))
        model.queue("GUILD_ROLE_CREATE",
                    lambda: {"guild_id": str(guild.id), "role": guild.roles[role_id]}, guild.id)
        return role_id

    def _new_user(self, name: str, username: str | None = None) -> UserRecord:
        model = self.model
        user_id = model.ids.next()
        handle = username or re.sub(r"[^a-z0-9_.]", "", name.lower().replace(" ", "_")) or "user"
        user = UserRecord(user_id, handle, name)
        model.users[user_id] = user
        return user

    def _role_for(self, guild: GuildRecord, permissions: int) -> int:
        model = self.model
        for role_id, role in guild.roles.items():
            if role_id != guild.id and not role["managed"] \
                    and int(role["permissions"]) == permissions:
                return role_id
        if permissions & Permissions.ADMINISTRATOR:
            name = "Admin"
        elif permissions & (Permissions.MANAGE_MESSAGES | Permissions.MANAGE_THREADS):
            name = "Moderator"
        else:
            name = f"Role {len(guild.roles)}"
        role_id = model.ids.next()
        guild.roles[role_id] = role_payload(role_id, name, permissions, len(guild.roles))
        model.queue("GUILD_ROLE_CREATE",
                    lambda: {"guild_id": str(guild.id), "role": guild.roles[role_id]}, guild.id)
        return role_id

    async def rename_guild(self, guild_id: int | str, name: str) -> None:
        """A server admin renames the server: GUILD_UPDATE with the guild object."""
        model = self.model
        guild = model.guild(as_id(guild_id))
        guild.name = name
        await model.emit_all([Event("GUILD_UPDATE", model.guild_payload(guild), guild.id)])

    async def rename_channel(self, channel_id: int | str, name: str) -> dict[str, Any]:
        """A moderator renames a channel (CHANNEL_UPDATE) or a thread (THREAD_UPDATE)."""
        model = self.model
        channel = model.channel(channel_id)
        channel["name"] = name
        if model.is_thread(channel):
            event, payload = "THREAD_UPDATE", model.thread_view(channel)
        else:
            event, payload = "CHANNEL_UPDATE", copy.deepcopy(channel)
        await model.emit_all([Event(event, payload, int(channel["guild_id"]))])
        return copy_payload(payload)

    # ---- REST: the bot reads and changes guilds and channels --------------------------------

    async def rest_get_channel(self, req: ApiRequest) -> Any:
        channel = self.model.channel(req.params["channel_id"])
        if self.model.is_thread(channel):
            return self.model.thread_view(channel)
        return copy.deepcopy(channel)

    async def rest_patch_channel(self, req: ApiRequest) -> Any:
        model = self.model
        channel = model.channel(req.params["channel_id"])
        body = req.body or {}
        guild = model.guild_of(channel)
        if "name" in body:
            limit_errors = thread_name_errors(body["name"]) if model.is_thread(channel) else {}
            if limit_errors:
                raise invalid_form_body(limit_errors)
        if not model.is_thread(channel):
            for key in ("name", "topic", "nsfw", "rate_limit_per_user", "position",
                        "default_auto_archive_duration", "default_thread_rate_limit_per_user",
                        "available_tags", "flags"):
                if key in body:
                    channel[key] = copy.deepcopy(body[key])
            await model.emit_all([Event("CHANNEL_UPDATE", copy.deepcopy(channel), guild.id)])
            return copy.deepcopy(channel)
        meta = channel["thread_metadata"]
        perms = model.permissions_in(model.bot_user_id, channel["id"])
        if meta["archived"] and body.get("archived") is not False \
                and set(body) - {"archived", "locked"}:
            raise ApiError(400, ErrorCode.THREAD_ARCHIVED, "Thread is archived")
        if ("locked" in body or "archived" in body) and not perms & Permissions.MANAGE_THREADS \
                and int(channel["owner_id"]) != model.bot_user_id:
            raise ApiError(403, ErrorCode.MISSING_PERMISSIONS, "Missing Permissions")
        if "applied_tags" in body:
            parent = model.channels.get(int(channel["parent_id"]), {})
            known = {t["id"] for t in parent.get("available_tags", [])}
            unknown = [t for t in body["applied_tags"] or [] if str(t) not in known]
            if unknown:
                raise invalid_form_body({"applied_tags": {"_errors": [
                    {"code": "BASE_TYPE_CHOICES", "message": f"Unknown tag(s) {unknown}"}]}})
            channel["applied_tags"] = [str(t) for t in body["applied_tags"] or []]
        for key in ("name", "rate_limit_per_user", "flags"):
            if key in body and body[key] is not None:
                channel[key] = body[key]
        if body.get("auto_archive_duration") is not None:
            meta["auto_archive_duration"] = body["auto_archive_duration"]
        if body.get("locked") is not None:
            meta["locked"] = bool(body["locked"])
        if body.get("invitable") is not None and channel["type"] == ChannelType.PRIVATE_THREAD:
            meta["invitable"] = bool(body["invitable"])
        if body.get("archived") is not None and bool(body["archived"]) != meta["archived"]:
            meta["archived"] = bool(body["archived"])
            meta["archive_timestamp"] = now_iso()
        view = model.thread_view(channel)
        await model.emit_all([Event("THREAD_UPDATE", view, guild.id)])
        return view

    async def rest_delete_channel(self, req: ApiRequest) -> Any:
        model = self.model
        channel = model.channel(req.params["channel_id"])
        guild = model.guild_of(channel)
        channel_id = int(channel["id"])
        del model.channels[channel_id]
        for message_id in list(model.channel_messages.pop(channel_id, [])):
            model.messages.pop(message_id, None)
        if model.is_thread(channel):
            model.thread_members.pop(channel_id, None)
            await model.emit_all([Event("THREAD_DELETE", {
                "id": channel["id"], "guild_id": channel["guild_id"],
                "parent_id": channel["parent_id"], "type": channel["type"]}, guild.id)])
        else:
            guild.channel_ids.remove(channel_id)
            await model.emit_all([Event("CHANNEL_DELETE", copy.deepcopy(channel), guild.id)])
        return copy.deepcopy(channel)

    async def rest_typing(self, req: ApiRequest) -> Any:
        self.model.channel(req.params["channel_id"])
        return None

    async def rest_get_guild(self, req: ApiRequest) -> Any:
        model = self.model
        guild = model.guild(req.params["guild_id"])
        data = model.guild_payload(guild)
        if req.query.get("with_counts") in ("1", "true", "True"):
            data["approximate_member_count"] = len(guild.members)
            data["approximate_presence_count"] = 0
        return data

    async def rest_guild_channels(self, req: ApiRequest) -> Any:
        model = self.model
        guild = model.guild(req.params["guild_id"])
        return [copy.deepcopy(model.channels[c]) for c in guild.channel_ids]

    async def rest_guild_members(self, req: ApiRequest) -> Any:
        model = self.model
        guild = model.guild(req.params["guild_id"])
        after = int(req.query.get("after", 0))
        limit = int(req.query.get("limit", 1))
        ids = sorted(u for u in guild.members if u > after)[:limit]
        return [guild.members[u].payload() for u in ids]

    async def rest_guild_member(self, req: ApiRequest) -> Any:
        model = self.model
        guild = model.guild(req.params["guild_id"])
        return model.member(guild, req.params["user_id"]).payload()

    async def rest_guild_roles(self, req: ApiRequest) -> Any:
        guild = self.model.guild(req.params["guild_id"])
        return [copy.deepcopy(r) for r in guild.roles.values()]
