"""Messages: members post, edit, delete (and link previews unfurl); the bot's message routes
(``/channels/{c}/messages...``, pins); uploads and the CDN that serves attachments.

The checks of a message body (Discord's limits, uploads, edits applied all or nothing) are
functions here, as the forum-post and interaction routes check messages too.
"""

from __future__ import annotations

import copy
import logging
import mimetypes
import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from aiohttp import web

from .constants import ChannelType, ErrorCode, MessageFlags, MessageType, Permissions
from .interactions import copy_payload
from .model import Event, as_id, message_reference, normalise_embed
from .polls import create_poll
from .snowflakes import now_iso
from .validation import (
    ApiError,
    add_error,
    empty_message_error,
    invalid_form_body,
    is_empty_message,
    message_limit_errors,
)

if TYPE_CHECKING:
    from .model import DiscordModel
    from .rest import ApiRequest, Upload

log = logging.getLogger(__name__)

MAX_FILES = 10
#: Flags a bot may set when sending or editing a message.
SETTABLE_FLAGS = (1 << 2) | MessageFlags.EPHEMERAL | (1 << 12) | (1 << 15)
_URL = re.compile(r"https?://[^\s<>]+")


class Messages:
    """Messages of channels and threads, from members and from the bot."""

    def __init__(self, model: DiscordModel) -> None:
        self.model = model

    def routes(self, add: Callable[..., None]) -> None:
        """Register the REST routes of messages and pins."""
        add("GET", "/channels/{channel_id}/messages", self.rest_list_messages)
        add("POST", "/channels/{channel_id}/messages", self.rest_create_message)
        add("POST", "/channels/{channel_id}/messages/bulk-delete", self.rest_bulk_delete)
        add("GET", "/channels/{channel_id}/messages/pins", self.rest_list_pins)
        add("PUT", "/channels/{channel_id}/messages/pins/{message_id}", self.rest_pin)
        add("DELETE", "/channels/{channel_id}/messages/pins/{message_id}", self.rest_unpin)
        add("GET", "/channels/{channel_id}/messages/{message_id}", self.rest_get_message)
        add("PATCH", "/channels/{channel_id}/messages/{message_id}", self.rest_edit_message)
        add("DELETE", "/channels/{channel_id}/messages/{message_id}", self.rest_delete_message)

    # ---- members act ---------------------------------------------------------------------------

    def _check_can_post(self, channel: dict[str, Any], user_id: int) -> list[Event]:
        """Refuse posting where Discord would; unarchive a thread a message revives."""
        model = self.model
        guild = model.guild_of(channel)
        perms = model.permissions_in(user_id, channel["id"])
        if channel["type"] == ChannelType.GUILD_FORUM:
            raise ApiError(400, 50008, "Cannot send messages in a non-text channel")
        if not model.is_thread(channel):
            if not perms & Permissions.SEND_MESSAGES:
                raise ApiError(403, 50013, "Missing Permissions")
            return []
        meta = channel["thread_metadata"]
        manage = bool(perms & Permissions.MANAGE_THREADS)
        if not perms & Permissions.SEND_MESSAGES_IN_THREADS:
            raise ApiError(403, 50013, "Missing Permissions")
        if meta["locked"] and not manage:
            raise ApiError(403, 160005, "Thread is locked")
        if meta["archived"]:
            meta["archived"] = False
            meta["archive_timestamp"] = now_iso()
            return [Event("THREAD_UPDATE", model.thread_view(channel), guild.id)]
        return []

    def _member_message(
        self, author_id: int | str, channel_id: int | str, content: str, *,
        reply_to: int | str | None, attachments: Iterable[Mapping[str, Any]] | None,
        embeds: list[dict[str, Any]] | None, record: bool,
    ) -> tuple[dict[str, Any], list[Event]]:
        model = self.model
        channel = model.channel(channel_id)
        member = model.acting_member(author_id, channel)
        events: list[Event] = []
        if record:
            try:
                events = self._check_can_post(channel, member.user.id)
            except ApiError as exc:
                raise PermissionError(f"{member.user.global_name} cannot post in "
                                      f"{channel['name']}: {exc.message}") from None
        files = []
        for spec in attachments or []:
            data = spec.get("data")
            size = int(spec.get("size", len(data) if data is not None else 0))
            blob = data if data is not None else bytes(size)
            files.append(model.make_attachment(int(channel["id"]), spec["filename"], blob,
                                               content_type=spec.get("content_type"),
                                               size=size, description=spec.get("description")))
        reference = None
        message_type = MessageType.DEFAULT
        if reply_to is not None:
            target = model.message(reply_to)
            reference = message_reference(target, channel)
            message_type = MessageType.REPLY
        msg = model.new_message(channel, member.user, content, embeds=embeds, attachments=files,
                                message_type=message_type, reference=reference)
        if record:
            model.store_message(msg)
        return model.event_message(msg), events

    def build_message(
        self, author_id: int | str, channel_id: int | str, content: str = "", *,
        reply_to: int | str | None = None, attachments: Iterable[Mapping[str, Any]] | None = None,
        embeds: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A member's message, recorded in state but not sent: the MESSAGE_CREATE payload."""
        payload, events = self._member_message(author_id, channel_id, content, reply_to=reply_to,
                                               attachments=attachments, embeds=embeds, record=True)
        self.model.queue_events(events)
        return payload

    def record_message(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Keep a hand-made message (a system notice, a webhook's, stickers) in state; no event.

        ``payload`` is a MESSAGE_CREATE payload (e.g. from ``message_payload``, then changed);
        REST returns the message from now on. Returns it in REST shape.
        """
        model = self.model
        msg = {k: copy.deepcopy(v) for k, v in payload.items() if k not in ("guild_id", "member")}
        model.store_message(msg)
        return model.render_message(msg)

    def message_payload(
        self, author_id: int | str, channel_id: int | str, content: str = "", *,
        reply_to: int | str | None = None, attachments: Iterable[Mapping[str, Any]] | None = None,
        embeds: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A realistic MESSAGE_CREATE payload that is neither recorded nor sent."""
        payload, _ = self._member_message(author_id, channel_id, content, reply_to=reply_to,
                                          attachments=attachments, embeds=embeds, record=False)
        return payload

    async def say(
        self, author_id: int | str, channel_id: int | str, content: str = "", *,
        reply_to: int | str | None = None, attachments: Iterable[Mapping[str, Any]] | None = None,
        embeds: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A member posts a message; returns the MESSAGE_CREATE payload."""
        model = self.model
        payload, events = self._member_message(author_id, channel_id, content, reply_to=reply_to,
                                               attachments=attachments, embeds=embeds, record=True)
        guild_id = int(payload["guild_id"])
        await model.emit_all([*events, Event("MESSAGE_CREATE", payload, guild_id, True)])
        return copy_payload(payload)

    async def edit(
        self, author_id: int | str, message_id: int | str, content: str, *,
        embeds: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A member edits their message: MESSAGE_UPDATE with a new edited_timestamp."""
        model = self.model
        msg = model.message(message_id)
        if msg["author"]["id"] != str(as_id(author_id)):
            raise PermissionError(f"user {author_id} did not write message {message_id}")
        channel = model.channels[int(msg["channel_id"])]
        guild = model.guild_of(channel)
        mentions, roles, everyone = model.mentions(guild, content)
        msg.update(content=content, edited_timestamp=now_iso(), mentions=mentions,
                   mention_roles=roles, mention_everyone=everyone)
        if embeds is not None:
            msg["embeds"] = [normalise_embed(e) for e in embeds]
        return await self._emit_message_update(msg)

    async def unfurl(
        self, message_id: int | str, embeds: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """Link previews arrive: MESSAGE_UPDATE, not an edit (content, edited_timestamp kept)."""
        model = self.model
        msg = model.message(message_id)
        if embeds is None:
            embeds = [link_embed(url) for url in _URL.findall(msg["content"])]
            if not embeds:
                raise ValueError(f"message {message_id} has no link to unfurl; pass embeds=")
        msg["embeds"] = [*msg["embeds"], *embeds]
        return await self._emit_message_update(msg)

    async def _emit_message_update(self, msg: dict[str, Any]) -> dict[str, Any]:
        model = self.model
        payload = model.event_message(msg)
        await model.emit_all([Event("MESSAGE_UPDATE", payload, int(payload["guild_id"]), True)])
        return copy_payload(payload)

    async def delete(self, message_id: int | str) -> dict[str, Any]:
        """A message is deleted (by its author or a moderator): MESSAGE_DELETE."""
        model = self.model
        msg = model.message(message_id)
        rendered = model.render_message(msg)
        model.remove_message(as_id(message_id))
        channel = model.channels[int(msg["channel_id"])]
        await model.emit_all([Event("MESSAGE_DELETE", {
            "id": msg["id"], "channel_id": msg["channel_id"], "guild_id": channel["guild_id"]},
            int(channel["guild_id"]))])
        return rendered

    async def bulk_delete(
        self, channel_id: int | str, message_ids: Iterable[int | str]
    ) -> list[str]:
        """A moderator purges messages: MESSAGE_DELETE_BULK (unknown ids are sent as given)."""
        model = self.model
        channel = model.channel(channel_id)
        ids = [str(i) for i in message_ids]
        for raw in ids:
            msg = model.messages.get(int(raw))
            if msg is not None and msg["channel_id"] == channel["id"]:
                model.remove_message(int(raw))
        await model.emit_all([Event("MESSAGE_DELETE_BULK", {
            "ids": ids, "channel_id": channel["id"], "guild_id": channel["guild_id"]},
            int(channel["guild_id"]))])
        return ids

    # ---- REST: the bot's messages --------------------------------------------------------------

    async def rest_list_messages(self, req: ApiRequest) -> Any:
        model = self.model
        channel = model.channel(req.params["channel_id"])
        try:
            limit = int(req.query.get("limit", 50))
        except ValueError:
            limit = -1
        if not 1 <= limit <= 100:
            raise invalid_form_body({"limit": {"_errors": [{
                "code": "NUMBER_TYPE_MAX" if limit > 100 else "NUMBER_TYPE_MIN",
                "message": "int value should be between 1 and 100."}]}})
        ids = list(model.channel_messages.get(int(channel["id"]), []))
        if "around" in req.query:
            pivot = int(req.query["around"])
            older = [i for i in ids if i < pivot]
            newer = [i for i in ids if i > pivot]
            half = limit // 2
            chosen = older[-half:] if half else []
            chosen += [pivot] if pivot in ids else []
            chosen += newer[: limit - len(chosen)]
        elif "after" in req.query:
            after = int(req.query["after"])
            chosen = [i for i in ids if i > after][:limit]
        else:
            before = int(req.query["before"]) if "before" in req.query else None
            candidates = [i for i in ids if before is None or i < before]
            chosen = candidates[-limit:]
        return [model.render_message(model.messages[i]) for i in sorted(chosen, reverse=True)]

    async def rest_get_message(self, req: ApiRequest) -> Any:
        model = self.model
        model.channel(req.params["channel_id"])
        return model.render_message(model.message(req.params["message_id"],
                                                  req.params["channel_id"]))

    async def rest_create_message(self, req: ApiRequest) -> Any:
        model = self.model
        channel = model.channel(req.params["channel_id"])
        guild = model.guild_of(channel)
        body = req.body or {}
        check_message_body(body, len(req.files), creating=True)
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            seen = model.nonces.get((int(channel["id"]), str(nonce)))
            if seen is not None and seen in model.messages:
                log.info("nonce %s already used: returning message %s", nonce, seen)
                return model.render_message(model.messages[seen])
        events = self._check_can_post(channel, model.bot_user_id)
        if body.get("poll") \
                and not guild.permissions_of(model.bot_user_id) & Permissions.SEND_POLLS:
            raise ApiError(403, ErrorCode.MISSING_PERMISSIONS, "Missing Permissions")
        reference = None
        message_type = MessageType.DEFAULT
        ref = body.get("message_reference")
        if ref:
            target = model.messages.get(int(ref["message_id"]))
            ref_channel = str(ref.get("channel_id") or channel["id"])
            if target is None or target["channel_id"] != ref_channel:
                if ref.get("fail_if_not_exists", True):
                    raise ApiError(400, ErrorCode.INVALID_FORM_BODY, "Invalid Form Body",
                                   {"message_reference": {"_errors": [{
                                       "code": "REPLIES_UNKNOWN_MESSAGE",
                                       "message": "Unknown message"}]}})
            else:
                reference = {"type": 0, "message_id": target["id"],
                             "channel_id": target["channel_id"], "guild_id": str(guild.id)}
                message_type = MessageType.REPLY
        attachments, new = upload_attachments(model, int(channel["id"]), body, req.files, [])
        extra: dict[str, Any] = {}
        if nonce is not None:
            extra["nonce"] = nonce
        msg = model.new_message(
            channel, model.bot_user, body.get("content") or "", embeds=body.get("embeds"),
            attachments=attachments, message_type=message_type,
            flags=int(body.get("flags") or 0) & SETTABLE_FLAGS & ~MessageFlags.EPHEMERAL,
            reference=reference, allowed_mentions=body.get("allowed_mentions"), extra=extra,
        )
        msg["tts"] = bool(body.get("tts"))
        msg["components"] = copy.deepcopy(body.get("components") or [])
        if body.get("poll"):
            msg["poll"] = create_poll(body["poll"])  # issue 17
        model.store_message(msg)
        model.store_files(msg, new)
        if nonce is not None:
            model.nonces[(int(channel["id"]), str(nonce))] = int(msg["id"])
        events.append(Event("MESSAGE_CREATE", model.event_message(msg), guild.id, content=True))
        await model.emit_all(events)
        return model.render_message(msg)

    async def rest_edit_message(self, req: ApiRequest) -> Any:
        model = self.model
        channel = model.channel(req.params["channel_id"])
        msg = model.message(req.params["message_id"], channel["id"])
        body = req.body or {}
        if msg["author"]["id"] != str(model.bot_user_id) and set(body) - {"flags"}:
            raise ApiError(403, ErrorCode.CANNOT_EDIT_OTHERS_MESSAGE,
                           "Cannot edit a message authored by another user", problem=True)
        new = apply_edit(model, msg, body, req.files)
        msg["edited_timestamp"] = now_iso()
        model.store_files(msg, new)
        payload = model.event_message(msg)
        await model.emit_all([Event("MESSAGE_UPDATE", payload, int(channel["guild_id"]),
                                    content=True)])
        return model.render_message(msg)

    async def rest_delete_message(self, req: ApiRequest) -> Any:
        model = self.model
        channel = model.channel(req.params["channel_id"])
        msg = model.message(req.params["message_id"], channel["id"])
        guild = model.guild_of(channel)
        if msg["author"]["id"] != str(model.bot_user_id) \
                and not model.permissions_in(model.bot_user_id, channel["id"]) \
                & Permissions.MANAGE_MESSAGES:
            raise ApiError(403, ErrorCode.MISSING_PERMISSIONS, "Missing Permissions")
        if msg["type"] == MessageType.THREAD_STARTER_MESSAGE:
            raise ApiError(400, 50021, "Cannot execute action on a system message", problem=True)
        model.remove_message(int(msg["id"]))
        await model.emit_all([Event("MESSAGE_DELETE", {
            "id": msg["id"], "channel_id": msg["channel_id"], "guild_id": str(guild.id)},
            guild.id)])
        return None

    async def rest_bulk_delete(self, req: ApiRequest) -> Any:
        model = self.model
        channel = model.channel(req.params["channel_id"])
        ids = [str(i) for i in req.body["messages"]]
        if not 2 <= len(ids) <= 100:
            raise invalid_form_body({"messages": {"_errors": [{
                "code": "BASE_TYPE_BAD_LENGTH",
                "message": "Must be between 2 and 100 in length."}]}})
        if len(set(ids)) != len(ids):
            raise invalid_form_body({"messages": {"_errors": [{
                "code": "BASE_TYPE_DUPLICATES", "message": "Duplicate message ids"}]}})
        for raw in ids:
            model.message(raw, channel["id"])
        for raw in ids:
            model.remove_message(int(raw))
        await model.emit_all([Event("MESSAGE_DELETE_BULK", {
            "ids": ids, "channel_id": channel["id"], "guild_id": channel["guild_id"]},
            int(channel["guild_id"]))])
        return None

    async def rest_list_pins(self, req: ApiRequest) -> Any:
        model = self.model
        channel = model.channel(req.params["channel_id"])
        pinned = [i for i in model.channel_messages.get(int(channel["id"]), [])
                  if model.messages[i]["pinned"]]
        pinned.sort(key=lambda i: model.pinned_at.get(i, ""), reverse=True)
        return {"items": [{"pinned_at": model.pinned_at.get(i),
                           "message": model.render_message(model.messages[i])} for i in pinned],
                "has_more": False}

    async def rest_pin(self, req: ApiRequest) -> Any:
        return await self._set_pinned(req, True)

    async def rest_unpin(self, req: ApiRequest) -> Any:
        return await self._set_pinned(req, False)

    async def _set_pinned(self, req: ApiRequest, pinned: bool) -> None:
        model = self.model
        channel = model.channel(req.params["channel_id"])
        msg = model.message(req.params["message_id"], channel["id"])
        guild = model.guild_of(channel)
        if msg["pinned"] == pinned:
            return None
        msg["pinned"] = pinned
        events: list[Event] = []
        if pinned:
            model.pinned_at[int(msg["id"])] = now_iso()
            notice = model.new_message(
                channel, model.bot_user, "", message_type=MessageType.CHANNEL_PINNED_MESSAGE,
                reference={"type": 0, "message_id": msg["id"], "channel_id": channel["id"],
                           "guild_id": str(guild.id)})
            model.store_message(notice)
            events.append(Event("MESSAGE_CREATE", model.event_message(notice), guild.id,
                                content=True))
        else:
            model.pinned_at.pop(int(msg["id"]), None)
        last = max((model.pinned_at[i] for i in model.channel_messages.get(int(channel["id"]), [])
                    if i in model.pinned_at), default=None)
        channel["last_pin_timestamp"] = last
        events.append(Event("MESSAGE_UPDATE", model.event_message(msg), guild.id, content=True))
        events.append(Event("CHANNEL_PINS_UPDATE", {
            "guild_id": str(guild.id), "channel_id": channel["id"],
            "last_pin_timestamp": last}, guild.id))
        await model.emit_all(events)
        return None

    # ---- the CDN -------------------------------------------------------------------------------

    async def serve_attachment(self, request: web.Request) -> web.StreamResponse:
        """``GET /cdn/attachments/{channel_id}/{attachment_id}/{filename}``: an upload's bytes."""
        model = self.model
        attachment_id = request.match_info["attachment_id"]
        stored = model.attachment_data.get(int(attachment_id)) if attachment_id.isdigit() else None
        if stored is None or stored[0] != request.match_info["filename"]:
            return web.Response(status=404, text="Not Found")
        kind = mimetypes.guess_type(stored[0])[0] or "application/octet-stream"
        return web.Response(body=stored[1], headers={"Content-Type": kind})


# ---- checks of a message body (shared with threads and invocations) -----------------------

def check_message_body(body: Mapping[str, Any], file_count: int, *, creating: bool) -> None:
    """Discord's limits on a message body (and, when ``creating``, that it is not empty)."""
    errors = message_limit_errors(body)
    if file_count > MAX_FILES:
        add_error(errors, ["files"], "BASE_TYPE_MAX_LENGTH",
                  f"Must be {MAX_FILES} or fewer in length.")
    if errors:
        raise invalid_form_body(errors)
    if creating and is_empty_message(body, file_count):
        raise empty_message_error()

def upload_attachments(
    model: DiscordModel, channel_id: int, body: Mapping[str, Any], files: list[Upload],
    existing: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[tuple[str, bytes]]]:
    """The message's attachments after this request, and the newly uploaded files."""
    uploads = {f.index: f for f in files}
    for upload in files:
        if len(upload.data) > model.attachment_size_limit:
            raise ApiError(413, 40005, "Request entity too large", problem=True)
    specs = body.get("attachments")
    result: list[dict[str, Any]] = []
    new: list[tuple[str, bytes]] = []
    used: set[int] = set()

    def upload(index: int, spec: Mapping[str, Any]) -> None:
        up = uploads[index]
        filename = spec.get("filename") or up.filename
        result.append(model.make_attachment(channel_id, filename, up.data,
                                            description=spec.get("description")))
        new.append((filename, up.data))
        used.add(index)

    if specs is None:
        result.extend(existing)
    else:
        by_id = {a["id"]: a for a in existing}
        for position, spec in enumerate(specs):
            ident = str(spec.get("id"))
            if ident in by_id:
                result.append(by_id[ident])
            elif ident.isdigit() and int(ident) in uploads:
                upload(int(ident), spec)
            else:
                raise invalid_form_body({"attachments": {str(position): {"id": {"_errors": [
                    {"code": "ATTACHMENT_NOT_FOUND",
                     "message": f"Attachment {ident} is neither uploaded nor existing"}]}}}})
    for index in sorted(uploads):
        if index not in used:
            upload(index, {})
    return result, new

def apply_edit(model: DiscordModel, msg: dict[str, Any], body: Mapping[str, Any],
               files: list[Upload]) -> list[tuple[str, bytes]]:
    """Apply an edit body to a stored message (all or nothing); returns new uploads."""
    check_message_body(body, len(files), creating=False)
    edited = copy.deepcopy(msg)
    channel = model.channels.get(int(msg["channel_id"]))
    if "content" in body:
        edited["content"] = body["content"] or ""
        if channel is not None:
            guild = model.guild_of(channel)
            mentions, roles, everyone = model.mentions(guild, edited["content"],
                                                       body.get("allowed_mentions"))
            edited.update(mentions=mentions, mention_roles=roles, mention_everyone=everyone)
    if "embeds" in body:
        edited["embeds"] = [normalise_embed(e) for e in body["embeds"] or []]
    if "components" in body:
        edited["components"] = copy.deepcopy(body["components"] or [])
    if "flags" in body and body["flags"] is not None:
        keep = msg["flags"] & ~SETTABLE_FLAGS
        suppress_embeds = int(body["flags"]) & (1 << 2)
        edited["flags"] = keep | suppress_embeds | (msg["flags"] & MessageFlags.EPHEMERAL)
    new: list[tuple[str, bytes]] = []
    if "attachments" in body or files:
        edited["attachments"], new = upload_attachments(model, int(msg["channel_id"]), body, files,
                                                        msg["attachments"])
    if is_empty_message(edited, len(edited["attachments"])):
        raise empty_message_error()
    msg.clear()
    msg.update(edited)
    return new


def link_embed(url: str) -> dict[str, Any]:
    """The preview Discord would unfurl for a link (made up: the emulator fetches nothing)."""
    host = urlparse(url).netloc or url
    return {"type": "article", "url": url, "title": f"{host} - preview",
            "description": f"Preview of {url}", "provider": {"name": host},
            "content_scan_version": 0}
