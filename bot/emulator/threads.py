"""Threads and forum posts: members start and post them, Discord archives them, moderators
delete them; the bot's thread routes (start, list active/archived, join, thread members)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .constants import ChannelType, ErrorCode, MessageFlags, MessageType
from .interactions import copy_payload
from .messages import check_message_body, upload_attachments
from .model import Event, as_id, message_reference
from .payloads import ChannelRef, thread_member_payload, thread_payload
from .rest import Created
from .snowflakes import now_iso
from .validation import ApiError, invalid_form_body, thread_name_errors

if TYPE_CHECKING:
    from .model import DiscordModel
    from .rest import ApiRequest


class Threads:
    """Threads of text channels and posts of forums (threads are in ``DiscordModel.channels``)."""

    def __init__(self, model: DiscordModel) -> None:
        self.model = model

    def routes(self, add: Callable[..., None]) -> None:
        """Register the REST routes of threads and their members."""
        add("POST", "/channels/{channel_id}/messages/{message_id}/threads",
            self.rest_thread_from_message)
        add("POST", "/channels/{channel_id}/threads", self.rest_create_thread)
        add("GET", "/channels/{channel_id}/threads/archived/public", self.rest_archived_threads)
        add("PUT", "/channels/{channel_id}/thread-members/@me", self.rest_join_thread)
        add("DELETE", "/channels/{channel_id}/thread-members/@me", self.rest_leave_thread)
        add("GET", "/channels/{channel_id}/thread-members", self.rest_thread_members)
        add("GET", "/channels/{channel_id}/thread-members/{user_id}", self.rest_thread_member)
        add("PUT", "/channels/{channel_id}/thread-members/{user_id}", self.rest_add_thread_member)
        add("DELETE", "/channels/{channel_id}/thread-members/{user_id}",
            self.rest_remove_thread_member)
        add("GET", "/guilds/{guild_id}/threads/active", self.rest_active_threads)

    # ---- members act, Discord acts -------------------------------------------------------------

    def add_thread(
        self, parent_id: int, name: str, *, owner_id: int | None = None, archived: bool = False,
        locked: bool = False, message_id: int | None = None,
        thread_type: int = ChannelType.PUBLIC_THREAD,
    ) -> ChannelRef:
        """A thread that already exists (no events); ``message_id`` makes it a message's thread."""
        model = self.model
        parent = model.channel(parent_id)
        guild = model.guild(int(parent["guild_id"]))
        thread_id = as_id(message_id) if message_id is not None else model.ids.next()
        owner = owner_id if owner_id is not None else model.bot_user_id
        data = thread_payload(thread_id, guild.id, int(parent["id"]), owner, name,
                              thread_type=thread_type, created_at=now_iso(),
                              auto_archive_duration=parent.get("default_auto_archive_duration",
                                                               4320),
                              applied_tags=[] if parent["type"] == ChannelType.GUILD_FORUM
                              else None)
        data["thread_metadata"]["archived"] = archived
        data["thread_metadata"]["locked"] = locked
        model.channels[thread_id] = data
        model.channel_messages[thread_id] = []
        model.thread_members[thread_id] = {}
        model.join_thread(thread_id, owner)
        if message_id is not None and as_id(message_id) in model.messages:
            model.messages[as_id(message_id)]["flags"] |= MessageFlags.HAS_THREAD
        if not archived:
            model.queue("THREAD_CREATE", lambda: model.thread_view(data), guild.id)
        return ChannelRef(thread_id, name, guild.id, thread_type)

    def _thread_created_events(self, thread: dict[str, Any]) -> list[Event]:
        model = self.model
        guild_id = int(thread["guild_id"])
        data = model.thread_view(thread)
        data["newly_created"] = True
        return [Event("THREAD_CREATE", data, guild_id)]

    def create_thread_from_message(
        self, owner_id: int, msg: dict[str, Any], name: str, *, auto_archive_duration: int | None,
        rate_limit_per_user: int | None,
    ) -> tuple[dict[str, Any], list[Event]]:
        """Start a thread on a message (thread id = message id); returns it and its events."""
        model = self.model
        channel = model.channels[int(msg["channel_id"])]
        if channel["type"] not in (ChannelType.GUILD_TEXT, ChannelType.GUILD_ANNOUNCEMENT):
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        message_id = int(msg["id"])
        if message_id in model.channels:
            raise ApiError(400, 160004, "A thread has already been created for this message")
        guild = model.guild_of(channel)
        kind = (ChannelType.ANNOUNCEMENT_THREAD if channel["type"] == ChannelType.GUILD_ANNOUNCEMENT
                else ChannelType.PUBLIC_THREAD)
        thread = thread_payload(
            message_id, guild.id, int(channel["id"]), owner_id, name, thread_type=kind,
            created_at=now_iso(),
            auto_archive_duration=auto_archive_duration or channel["default_auto_archive_duration"],
            rate_limit_per_user=rate_limit_per_user or 0,
        )
        model.channels[message_id] = thread
        model.channel_messages[message_id] = []
        model.join_thread(message_id, owner_id)
        msg["flags"] |= MessageFlags.HAS_THREAD
        starter = model.new_message(
            thread, model.users[owner_id], "", message_type=MessageType.THREAD_STARTER_MESSAGE,
            reference=message_reference(msg, channel),
        )
        model.store_message(starter)
        events = self._thread_created_events(thread)
        events.append(Event("MESSAGE_UPDATE", model.event_message(msg), guild.id, True))
        events.append(Event("MESSAGE_CREATE", model.event_message(starter), guild.id, True))
        return thread, events

    def create_thread_in_channel(
        self, owner_id: int, channel: dict[str, Any], name: str, *, thread_type: int,
        auto_archive_duration: int | None, rate_limit_per_user: int | None, invitable: bool,
    ) -> tuple[dict[str, Any], list[Event]]:
        """Start a thread without a starter message (public ones announce themselves)."""
        model = self.model
        guild = model.guild_of(channel)
        thread_id = model.ids.next()
        thread = thread_payload(
            thread_id, guild.id, int(channel["id"]), owner_id, name, thread_type=thread_type,
            created_at=now_iso(),
            auto_archive_duration=auto_archive_duration or channel["default_auto_archive_duration"],
            rate_limit_per_user=rate_limit_per_user or 0, invitable=invitable,
        )
        model.channels[thread_id] = thread
        model.channel_messages[thread_id] = []
        model.join_thread(thread_id, owner_id)
        events = self._thread_created_events(thread)
        if thread_type != ChannelType.PRIVATE_THREAD:
            notice = model.new_message(
                channel, model.users[owner_id], name, message_type=MessageType.THREAD_CREATED,
                reference={"channel_id": str(thread_id), "guild_id": str(guild.id)},
            )
            model.store_message(notice)
            events.append(Event("MESSAGE_CREATE", model.event_message(notice), guild.id, True))
        return thread, events

    def create_forum_post(
        self, owner_id: int, forum: dict[str, Any], name: str, message: Mapping[str, Any], *,
        attachments: list[dict[str, Any]], applied_tags: Sequence[str],
        auto_archive_duration: int | None, rate_limit_per_user: int | None,
    ) -> tuple[dict[str, Any], dict[str, Any], list[Event]]:
        """A forum post: a thread whose first message has the thread's id."""
        model = self.model
        guild = model.guild_of(forum)
        known = {t["id"] for t in forum.get("available_tags", [])}
        unknown = [t for t in applied_tags if str(t) not in known]
        if unknown:
            raise ApiError(400, 50035, "Invalid Form Body", {"applied_tags": {"_errors": [
                {"code": "BASE_TYPE_CHOICES", "message": f"Unknown tag(s) {unknown}"}]}},
                problem=True)
        thread_id = model.ids.next()
        thread = thread_payload(
            thread_id, guild.id, int(forum["id"]), owner_id, name,
            thread_type=ChannelType.PUBLIC_THREAD, created_at=now_iso(),
            auto_archive_duration=auto_archive_duration or forum["default_auto_archive_duration"],
            rate_limit_per_user=rate_limit_per_user or 0,
            applied_tags=[str(t) for t in applied_tags],
        )
        model.channels[thread_id] = thread
        model.channel_messages[thread_id] = []
        model.join_thread(thread_id, owner_id)
        first = model.new_message(
            thread, model.users[owner_id], message.get("content") or "",
            embeds=message.get("embeds"), attachments=attachments, message_id=thread_id,
            allowed_mentions=message.get("allowed_mentions"),
        )
        model.store_message(first)
        forum["last_message_id"] = str(thread_id)
        events = self._thread_created_events(thread)
        events.append(Event("MESSAGE_CREATE", model.event_message(first), guild.id, True))
        return thread, first, events

    async def start_thread(
        self, member_id: int | str, channel_id: int | str, name: str, *,
        message_id: int | str | None = None, thread_type: int = ChannelType.PUBLIC_THREAD,
    ) -> dict[str, Any]:
        """A member starts a thread (on ``message_id`` if given); returns the thread payload."""
        model = self.model
        channel = model.channel(channel_id)
        member = model.acting_member(member_id, channel)
        if message_id is not None:
            thread, events = self.create_thread_from_message(
                member.user.id, model.message(message_id, channel["id"]), name,
                auto_archive_duration=None, rate_limit_per_user=None)
        else:
            thread, events = self.create_thread_in_channel(
                member.user.id, channel, name, thread_type=thread_type,
                auto_archive_duration=None, rate_limit_per_user=None, invitable=True)
        await model.emit_all(events)
        return model.thread_view(thread, for_user=member.user.id)

    async def forum_post(
        self, member_id: int | str, forum_id: int | str, name: str, content: str, *,
        tags: Sequence[str] = (),
    ) -> dict[str, Any]:
        """A member opens a forum post; ``tags`` are tag names. Returns the thread payload."""
        model = self.model
        forum = model.channel(forum_id)
        member = model.acting_member(member_id, forum)
        by_name = {t["name"]: t["id"] for t in forum.get("available_tags", [])}
        thread, _, events = self.create_forum_post(
            member.user.id, forum, name, {"content": content}, attachments=[],
            applied_tags=[by_name[t] for t in tags], auto_archive_duration=None,
            rate_limit_per_user=None)
        await model.emit_all(events)
        return model.thread_view(thread, for_user=member.user.id)

    async def archive_thread(
        self, thread_id: int | str, *, archived: bool = True, locked: bool | None = None
    ) -> dict[str, Any]:
        """Discord (auto-archive) or a moderator's client archives/locks a thread: THREAD_UPDATE."""
        model = self.model
        thread = model.channel(thread_id)
        if not model.is_thread(thread):
            raise ValueError(f"{thread_id} is not a thread")
        meta = thread["thread_metadata"]
        if meta["archived"] != archived:
            meta["archived"] = archived
            meta["archive_timestamp"] = now_iso()
        if locked is not None:
            meta["locked"] = locked
        payload = model.thread_view(thread)
        await model.emit_all([Event("THREAD_UPDATE", payload, int(thread["guild_id"]))])
        return copy_payload(payload)

    async def delete_thread(self, thread_id: int | str) -> None:
        """A moderator deletes a thread, and its messages with it: THREAD_DELETE."""
        model = self.model
        thread = model.channel(thread_id)
        if not model.is_thread(thread):
            raise ValueError(f"{thread_id} is not a thread")
        del model.channels[int(thread["id"])]
        for message_id in model.channel_messages.pop(int(thread["id"]), []):
            model.messages.pop(message_id, None)
        model.thread_members.pop(int(thread["id"]), None)
        await model.emit_all([Event("THREAD_DELETE", {
            "id": thread["id"], "guild_id": thread["guild_id"], "parent_id": thread["parent_id"],
            "type": thread["type"]}, int(thread["guild_id"]))])

    # ---- REST: the bot's threads ---------------------------------------------------------------

    async def rest_thread_from_message(self, req: ApiRequest) -> Any:
        model = self.model
        channel = model.channel(req.params["channel_id"])
        msg = model.message(req.params["message_id"], channel["id"])
        body = req.body or {}
        errors = thread_name_errors(body.get("name"))
        if errors:
            raise invalid_form_body(errors)
        thread, events = self.create_thread_from_message(
            model.bot_user_id, msg, body["name"],
            auto_archive_duration=body.get("auto_archive_duration"),
            rate_limit_per_user=body.get("rate_limit_per_user"))
        await model.emit_all(events)
        return Created(model.thread_view(thread))

    async def rest_create_thread(self, req: ApiRequest) -> Any:
        model = self.model
        channel = model.channel(req.params["channel_id"])
        body = req.body or {}
        errors = thread_name_errors(body.get("name"))
        if errors:
            raise invalid_form_body(errors)
        if channel["type"] == ChannelType.GUILD_FORUM:
            message = body.get("message")
            if not isinstance(message, Mapping):
                raise invalid_form_body({"message": {"_errors": [{
                    "code": "BASE_TYPE_REQUIRED", "message": "This field is required"}]}})
            try:
                check_message_body(message, len(req.files), creating=True)
            except ApiError as exc:
                if exc.errors:
                    exc.errors = {"message": exc.errors}
                raise
            attachments, new = upload_attachments(model, int(channel["id"]), message, req.files, [])
            thread, first, events = self.create_forum_post(
                model.bot_user_id, channel, body["name"], message, attachments=attachments,
                applied_tags=[str(t) for t in body.get("applied_tags") or []],
                auto_archive_duration=body.get("auto_archive_duration"),
                rate_limit_per_user=body.get("rate_limit_per_user"))
            model.store_files(first, new)
            await model.emit_all(events)
            view = model.thread_view(thread)
            view["message"] = model.render_message(first)
            return Created(view)
        if channel["type"] not in (ChannelType.GUILD_TEXT, ChannelType.GUILD_ANNOUNCEMENT):
            raise ApiError(400, 50024, "Cannot execute action on this channel type", problem=True)
        if req.files:
            raise ApiError(400, ErrorCode.INVALID_FORM_BODY, "Files need a forum channel",
                           problem=True)
        thread_type = body.get("type") or ChannelType.PRIVATE_THREAD
        if thread_type not in (ChannelType.PUBLIC_THREAD, ChannelType.PRIVATE_THREAD,
                               ChannelType.ANNOUNCEMENT_THREAD):
            raise invalid_form_body({"type": {"_errors": [{
                "code": "BASE_TYPE_CHOICES", "message": "Value must be one of (10, 11, 12)."}]}})
        thread, events = self.create_thread_in_channel(
            model.bot_user_id, channel, body["name"], thread_type=thread_type,
            auto_archive_duration=body.get("auto_archive_duration"),
            rate_limit_per_user=body.get("rate_limit_per_user"),
            invitable=body.get("invitable", True) is not False)
        await model.emit_all(events)
        return Created(model.thread_view(thread))

    def _thread_list(self, threads: list[dict[str, Any]]) -> dict[str, Any]:
        model = self.model
        members = []
        for thread in threads:
            joined = model.thread_members.get(int(thread["id"]), {}).get(model.bot_user_id)
            if joined is not None:
                members.append(thread_member_payload(int(thread["id"]), model.bot_user_id, joined))
        return {"threads": [model.thread_view(t) for t in threads], "members": members}

    async def rest_active_threads(self, req: ApiRequest) -> Any:
        model = self.model
        guild = model.guild(req.params["guild_id"])
        threads = [t for t in model.channels.values()
                   if model.is_thread(t) and t["guild_id"] == str(guild.id)
                   and not t["thread_metadata"]["archived"]]
        return self._thread_list(threads)

    async def rest_archived_threads(self, req: ApiRequest) -> Any:
        model = self.model
        channel = model.channel(req.params["channel_id"])
        threads = [t for t in model.channels.values()
                   if model.is_thread(t) and t["parent_id"] == channel["id"]
                   and t["type"] != ChannelType.PRIVATE_THREAD
                   and t["thread_metadata"]["archived"]]
        threads.sort(key=lambda t: t["thread_metadata"]["archive_timestamp"], reverse=True)
        if "before" in req.query:
            before = datetime.fromisoformat(req.query["before"])
            threads = [
                t for t in threads
                if datetime.fromisoformat(t["thread_metadata"]["archive_timestamp"]) < before
            ]
        limit = int(req.query.get("limit", 50))
        result = self._thread_list(threads[:limit])
        result["has_more"] = len(threads) > limit
        return result

    async def rest_join_thread(self, req: ApiRequest) -> Any:
        model = self.model
        thread = model.channel(req.params["channel_id"])
        if not model.is_thread(thread):
            raise ApiError(400, 50024, "Cannot execute action on this channel type", problem=True)
        if thread["thread_metadata"]["archived"]:
            raise ApiError(400, ErrorCode.THREAD_ARCHIVED, "Thread is archived")
        if model.join_thread(int(thread["id"]), model.bot_user_id):
            member = thread_member_payload(int(thread["id"]), model.bot_user_id,
                                           model.thread_members[int(thread["id"])][model.bot_user_id])
            member["guild_id"] = thread["guild_id"]
            await model.emit_all([Event("THREAD_MEMBER_UPDATE", member, int(thread["guild_id"]))])
        return None

    async def rest_leave_thread(self, req: ApiRequest) -> Any:
        model = self.model
        thread = model.channel(req.params["channel_id"])
        members = model.thread_members.get(int(thread["id"]), {})
        members.pop(model.bot_user_id, None)
        if model.is_thread(thread):
            thread["member_count"] = min(len(members), 50)
        return None

    def _thread_and_member(self, req: ApiRequest) -> tuple[dict[str, Any], int]:
        model = self.model
        thread = model.channel(req.params["channel_id"])
        if not model.is_thread(thread):
            raise ApiError(400, 50024, "Cannot execute action on this channel type", problem=True)
        member = model.member(model.guild_of(thread), req.params["user_id"])
        return thread, member.user.id

    async def rest_thread_member(self, req: ApiRequest) -> Any:
        thread, user_id = self._thread_and_member(req)
        joined = self.model.thread_members.get(int(thread["id"]), {}).get(user_id)
        if joined is None:
            raise ApiError(404, ErrorCode.UNKNOWN_MEMBER, "Unknown Member")
        return thread_member_payload(int(thread["id"]), user_id, joined)

    async def rest_add_thread_member(self, req: ApiRequest) -> Any:
        model = self.model
        thread, user_id = self._thread_and_member(req)
        if thread["thread_metadata"]["archived"]:
            raise ApiError(400, ErrorCode.THREAD_ARCHIVED, "Thread is archived")
        if model.join_thread(int(thread["id"]), user_id):
            joined = model.thread_members[int(thread["id"])][user_id]
            added = thread_member_payload(int(thread["id"]), user_id, joined)
            added["member"] = model.guild_of(thread).members[user_id].payload()
            added["presence"] = None
            await model.emit_all([Event("THREAD_MEMBERS_UPDATE", {
                "id": thread["id"], "guild_id": thread["guild_id"],
                "member_count": thread["member_count"], "added_members": [added]},
                int(thread["guild_id"]))])
        return None

    async def rest_remove_thread_member(self, req: ApiRequest) -> Any:
        model = self.model
        thread, user_id = self._thread_and_member(req)
        members = model.thread_members.get(int(thread["id"]), {})
        if members.pop(user_id, None) is not None:
            thread["member_count"] = min(len(members), 50)
            await model.emit_all([Event("THREAD_MEMBERS_UPDATE", {
                "id": thread["id"], "guild_id": thread["guild_id"],
                "member_count": thread["member_count"], "removed_member_ids": [str(user_id)]},
                int(thread["guild_id"]))])
        return None

    async def rest_thread_members(self, req: ApiRequest) -> Any:
        model = self.model
        thread = model.channel(req.params["channel_id"])
        return [thread_member_payload(int(thread["id"]), user, joined)
                for user, joined in model.thread_members.get(int(thread["id"]), {}).items()]
