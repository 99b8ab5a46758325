"""Reactions: members react and take reactions back, moderators clear them; the bot's
reaction routes (``/channels/{c}/messages/{m}/reactions...``)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .constants import ErrorCode, Permissions
from .model import Event, as_id
from .payloads import emoji_key, parse_emoji
from .validation import ApiError

if TYPE_CHECKING:
    from .model import DiscordModel
    from .rest import ApiRequest


class Reactions:
    """Who reacted to which message with what (the state is ``DiscordModel.reactions``)."""

    def __init__(self, model: DiscordModel) -> None:
        self.model = model

    def routes(self, add: Callable[..., None]) -> None:
        """Register the REST routes of reactions."""
        reactions = "/channels/{channel_id}/messages/{message_id}/reactions"
        add("DELETE", reactions, self.rest_clear_reactions)
        add("GET", reactions + "/{emoji_name}", self.rest_reaction_users)
        add("DELETE", reactions + "/{emoji_name}", self.rest_clear_reaction_emoji)
        add("PUT", reactions + "/{emoji_name}/@me", self.rest_add_own_reaction)
        add("DELETE", reactions + "/{emoji_name}/@me", self.rest_remove_own_reaction)
        add("DELETE", reactions + "/{emoji_name}/{user_id}", self.rest_remove_user_reaction)

    # ---- members act ---------------------------------------------------------------------------

    def _reaction_event(
        self, name: str, user_id: int, msg: Mapping[str, Any], emoji: dict[str, Any]
    ) -> Event:
        model = self.model
        channel = model.channels[int(msg["channel_id"])]
        guild = model.guild_of(channel)
        data: dict[str, Any] = {
            "user_id": str(user_id),
            "channel_id": msg["channel_id"],
            "message_id": msg["id"],
            "guild_id": str(guild.id),
            "emoji": copy.deepcopy(emoji),
            "burst": False,
            "type": 0,
        }
        if name == "MESSAGE_REACTION_ADD":
            member = guild.members.get(user_id)
            if member is not None:
                data["member"] = member.payload()
            data["message_author_id"] = msg["author"]["id"]
            data["burst_colors"] = []
        return Event(name, data, guild.id)

    def add_reaction(
        self, user_id: int, msg: Mapping[str, Any], emoji: dict[str, Any]
    ) -> list[Event]:
        """Record a user's reaction; returns the event to send (none if they had it already)."""
        model = self.model
        by_emoji = model.reactions.setdefault(int(msg["id"]), {})
        _, users = by_emoji.setdefault(emoji_key(emoji), (emoji, []))
        if user_id in users:
            return []
        users.append(user_id)
        return [self._reaction_event("MESSAGE_REACTION_ADD", user_id, msg, emoji)]

    def remove_reaction(
        self, user_id: int, msg: Mapping[str, Any], emoji: dict[str, Any]
    ) -> list[Event]:
        """Take a user's reaction back; returns the event to send (none if they had none)."""
        model = self.model
        by_emoji = model.reactions.get(int(msg["id"]), {})
        entry = by_emoji.get(emoji_key(emoji))
        if entry is None or user_id not in entry[1]:
            return []
        entry[1].remove(user_id)
        if not entry[1]:
            del by_emoji[emoji_key(emoji)]
        return [self._reaction_event("MESSAGE_REACTION_REMOVE", user_id, msg, entry[0])]

    @staticmethod
    def _emoji(emoji: str) -> dict[str, Any]:
        parsed = parse_emoji(emoji)
        if parsed is None:
            raise ValueError(f"{emoji!r} is not an emoji")
        return parsed

    async def react(self, user_id: int | str, message_id: int | str, emoji: str) -> dict[str, Any]:
        """A member reacts: MESSAGE_REACTION_ADD (nothing if they already had)."""
        model = self.model
        msg = model.message(message_id)
        model.acting_member(user_id, model.channels[int(msg["channel_id"])])
        await model.emit_all(self.add_reaction(as_id(user_id), msg, self._emoji(emoji)))
        return model.render_message(msg)

    async def unreact(
        self, user_id: int | str, message_id: int | str, emoji: str
    ) -> dict[str, Any]:
        """A member takes a reaction back: MESSAGE_REACTION_REMOVE (nothing if they had none)."""
        model = self.model
        msg = model.message(message_id)
        await model.emit_all(self.remove_reaction(as_id(user_id), msg, self._emoji(emoji)))
        return model.render_message(msg)

    async def clear_reactions(self, message_id: int | str) -> dict[str, Any]:
        """A moderator removes all reactions: MESSAGE_REACTION_REMOVE_ALL."""
        model = self.model
        msg = model.message(message_id)
        await model.emit_all([self._clear_all_event(msg)])
        return model.render_message(msg)

    def _clear_all_event(self, msg: Mapping[str, Any]) -> Event:
        model = self.model
        model.reactions.pop(int(msg["id"]), None)
        channel = model.channels[int(msg["channel_id"])]
        return Event("MESSAGE_REACTION_REMOVE_ALL", {
            "channel_id": msg["channel_id"], "message_id": msg["id"],
            "guild_id": channel["guild_id"]}, int(channel["guild_id"]))

    async def clear_reaction_emoji(self, message_id: int | str, emoji: str) -> dict[str, Any]:
        """A moderator removes one emoji's reactions: MESSAGE_REACTION_REMOVE_EMOJI."""
        model = self.model
        msg = model.message(message_id)
        await model.emit_all([self._clear_emoji_event(msg, self._emoji(emoji))])
        return model.render_message(msg)

    def _clear_emoji_event(self, msg: Mapping[str, Any], emoji: dict[str, Any]) -> Event:
        model = self.model
        model.reactions.get(int(msg["id"]), {}).pop(emoji_key(emoji), None)
        channel = model.channels[int(msg["channel_id"])]
        return Event("MESSAGE_REACTION_REMOVE_EMOJI", {
            "channel_id": msg["channel_id"], "message_id": msg["id"],
            "guild_id": channel["guild_id"], "emoji": emoji}, int(channel["guild_id"]))

    # ---- REST: the bot's reactions -------------------------------------------------------------

    def _reaction_target(self, req: ApiRequest, *, with_emoji: bool = True
                         ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        model = self.model
        channel = model.channel(req.params["channel_id"])
        msg = model.message(req.params["message_id"], channel["id"])
        if not with_emoji:
            return msg, None
        emoji = parse_emoji(req.params["emoji_name"])
        if emoji is None:
            raise ApiError(400, ErrorCode.UNKNOWN_EMOJI, "Unknown Emoji", problem=True)
        return msg, emoji

    async def rest_add_own_reaction(self, req: ApiRequest) -> Any:
        msg, emoji = self._reaction_target(req)
        assert emoji is not None
        await self.model.emit_all(self.add_reaction(self.model.bot_user_id, msg, emoji))
        return None

    async def rest_remove_own_reaction(self, req: ApiRequest) -> Any:
        msg, emoji = self._reaction_target(req)
        assert emoji is not None
        await self.model.emit_all(self.remove_reaction(self.model.bot_user_id, msg, emoji))
        return None

    async def rest_remove_user_reaction(self, req: ApiRequest) -> Any:
        msg, emoji = self._reaction_target(req)
        assert emoji is not None
        self._require_manage_messages(msg)
        await self.model.emit_all(
            self.remove_reaction(int(req.params["user_id"]), msg, emoji))
        return None

    def _require_manage_messages(self, msg: Mapping[str, Any]) -> None:
        model = self.model
        if not model.permissions_in(model.bot_user_id, msg["channel_id"]) \
                & Permissions.MANAGE_MESSAGES:
            raise ApiError(403, ErrorCode.MISSING_PERMISSIONS, "Missing Permissions")

    async def rest_clear_reactions(self, req: ApiRequest) -> Any:
        msg, _ = self._reaction_target(req, with_emoji=False)
        self._require_manage_messages(msg)
        await self.model.emit_all([self._clear_all_event(msg)])
        return None

    async def rest_clear_reaction_emoji(self, req: ApiRequest) -> Any:
        msg, emoji = self._reaction_target(req)
        assert emoji is not None
        self._require_manage_messages(msg)
        await self.model.emit_all([self._clear_emoji_event(msg, emoji)])
        return None

    async def rest_reaction_users(self, req: ApiRequest) -> Any:
        model = self.model
        msg, emoji = self._reaction_target(req)
        assert emoji is not None
        entry = model.reactions.get(int(msg["id"]), {}).get(emoji_key(emoji))
        users = sorted(entry[1]) if entry else []
        after = int(req.query.get("after", 0))
        limit = int(req.query.get("limit", 25))
        return [model.users[u].payload() for u in users if u > after][:limit]
