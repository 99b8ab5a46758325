"""Interactions in motion: members invoke slash commands and message commands, type into
autocomplete, press buttons, pick in selects and submit modals (INTERACTION_CREATE, with the
permissions Discord computes); the bot answers through the interaction callback and the
follow-up webhooks (``/interactions/{id}/{token}/callback``, ``/webhooks/{app}/{token}...``).

What an interaction is (``InteractionRecord``) and the pure option/component helpers are in
``interactions``.
"""

from __future__ import annotations

import copy
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .constants import ErrorCode, MessageFlags, MessageType
from .interactions import (
    ALLOWED_CALLBACKS,
    ATTACHMENT,
    BUTTON,
    CHANNEL,
    MENTIONABLE,
    ROLE,
    USER,
    InteractionRecord,
    check_choices,
    check_select,
    coerce_value,
    copy_payload,
    find_command,
    find_component,
    modal_submission,
    nest_options,
    option_schema,
)
from .messages import SETTABLE_FLAGS, apply_edit, check_message_body, upload_attachments
from .model import Event, as_id
from .payloads import GuildRecord, MemberRecord
from .snowflakes import now_iso
from .validation import ApiError, invalid_form_body

if TYPE_CHECKING:
    from .model import DiscordModel
    from .rest import ApiRequest, Upload


class Invocations:
    """Interactions from members to the bot, and the bot's answers to them."""

    def __init__(self, model: DiscordModel) -> None:
        self.model = model

    def routes(self, add: Callable[..., None]) -> None:
        """Register the REST routes of interaction callbacks and follow-up webhooks."""
        add("POST", "/interactions/{interaction_id}/{interaction_token}/callback",
            self.rest_interaction_callback, auth=False)
        hook = "/webhooks/{webhook_id}/{webhook_token}"
        add("POST", hook, self.rest_execute_webhook, auth=False)
        for suffix in ("/messages/@original", "/messages/{message_id}"):
            add("GET", hook + suffix, self.rest_get_webhook_message, auth=False)
            add("PATCH", hook + suffix, self.rest_edit_webhook_message, auth=False)
            add("DELETE", hook + suffix, self.rest_delete_webhook_message, auth=False)

    # ---- members invoke ------------------------------------------------------------------------

    def _interaction_payload(
        self, kind: int, member_id: int | str, channel_id: int | str, name: str,
        values: Mapping[str, Any], *, focused: str | None, locale: str,
        enforce_default_permissions: bool,
    ) -> tuple[dict[str, Any], GuildRecord]:
        model = self.model
        channel = model.channel(channel_id)
        guild = model.guild_of(channel)
        member = model.acting_member(member_id, channel)
        perms = model.permissions_in(member.user.id, channel["id"])
        command, rest = find_command(model.commands.get(guild.id, []) + model.commands[None], name)
        default_perms = command.get("default_member_permissions")
        if enforce_default_permissions and default_perms is not None \
                and int(default_perms) & ~perms:
            raise PermissionError(f"{member.user.global_name} cannot see /{command['name']}")
        schemas, used = option_schema(command, rest)
        by_name = {s["name"]: s for s in schemas}
        unknown = set(values) - set(by_name)
        if unknown:
            raise ValueError(f"/{name} has no option(s) {sorted(unknown)}; it has {list(by_name)}")
        if focused is not None and focused not in by_name:
            raise ValueError(f"/{name} has no option {focused!r} to focus")
        resolved: dict[str, dict[str, Any]] = {}
        leaf: list[dict[str, Any]] = []
        for schema in schemas:
            option_name = schema["name"]
            if option_name not in values:
                if schema.get("required") and kind == 2:
                    raise ValueError(f"/{name} needs option {option_name!r}")
                continue
            value = values[option_name]
            is_focused = option_name == focused
            if schema["type"] == ATTACHMENT and not is_focused:
                value = self._option_attachment(channel, value, resolved)
            if not is_focused:
                check_choices(schema, value)
            option: dict[str, Any] = {
                "type": schema["type"], "name": option_name,
                "value": coerce_value(schema, value, focused=is_focused),
            }
            if is_focused:
                option["focused"] = True
            elif kind == 2:
                self._resolve_option(guild, schema, option["value"], member, channel, resolved)
            leaf.append(option)
        data: dict[str, Any] = {
            "id": command["id"],
            "name": command["name"],
            "type": command.get("type", 1),
            "options": nest_options(command, used, leaf),
        }
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return self._interaction_envelope(kind, data, member, channel, locale), guild

    def _interaction_envelope(
        self, kind: int, data: dict[str, Any], member: MemberRecord, channel: Mapping[str, Any],
        locale: str,
    ) -> dict[str, Any]:
        """INTERACTION_CREATE around ``data``, as discord.py 2.7 parses it."""
        model = self.model
        guild = model.guild_of(channel)
        # What Discord sends: the member's and the bot's permissions in this channel.
        perms = model.permissions_in(member.user.id, channel["id"])
        return {
            "id": str(model.ids.next()),
            "application_id": str(model.application_id),
            "type": kind,
            "data": data,
            "guild_id": str(guild.id),
            "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
            "channel_id": channel["id"],
            "channel": {**copy.deepcopy(dict(channel)), "permissions": str(perms)},
            "member": member.payload(permissions=perms),
            "token": "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48),
            "version": 1,
            "app_permissions": str(model.permissions_in(model.bot_user_id, channel["id"])),
            "locale": locale,
            "guild_locale": "en-US",
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": model.attachment_size_limit,
        }

    def _option_attachment(
        self, channel: Mapping[str, Any], value: Any, resolved: dict[str, dict[str, Any]]
    ) -> str:
        model = self.model
        if not isinstance(value, Mapping):
            raise ValueError("attachment options take {'filename': ..., 'data'|'size': ...}")
        data = value.get("data")
        blob = data if data is not None else bytes(int(value.get("size", 0)))
        attachment = model.make_attachment(int(channel["id"]), value["filename"], blob,
                                           content_type=value.get("content_type"))
        attachment["ephemeral"] = True
        resolved.setdefault("attachments", {})[attachment["id"]] = attachment
        return attachment["id"]

    def _resolve_option(
        self, guild: GuildRecord, schema: Mapping[str, Any], value: Any, invoker: MemberRecord,
        here: Mapping[str, Any], resolved: dict[str, dict[str, Any]],
    ) -> None:
        """Resolved data of one option; members and channels carry permissions in a channel:
        a resolved member's in the invoking channel, a channel's the invoker's in it."""
        model = self.model
        kind = schema["type"]
        if kind in (USER, MENTIONABLE) and int(value) in model.users:
            user_id = int(value)
            resolved.setdefault("users", {})[value] = model.users[user_id].payload()
            member = guild.members.get(user_id)
            if member is not None:
                resolved.setdefault("members", {})[value] = member.payload(
                    with_user=False, permissions=model.permissions_in(user_id, here["id"]))
        elif kind in (ROLE, MENTIONABLE) and int(value) in guild.roles:
            resolved.setdefault("roles", {})[value] = copy.deepcopy(guild.roles[int(value)])
        elif kind == CHANNEL:
            channel = model.channel(value)
            allowed = schema.get("channel_types")
            if allowed and channel["type"] not in allowed:
                raise ValueError(f"channel {channel['name']!r} (type {channel['type']}) is not "
                                 f"allowed for option {schema['name']!r}: {allowed}")
            resolved.setdefault("channels", {})[value] = {
                **copy.deepcopy(channel),
                "permissions": str(model.permissions_in(invoker.user.id, channel["id"]))}
        elif kind in (USER, ROLE, MENTIONABLE):
            raise ValueError(f"{value} is not a known {('user', 'role')[kind == ROLE]}")

    async def invoke(
        self, member_id: int | str, channel_id: int | str, name: str,
        options: Mapping[str, Any] | None = None, *, locale: str = "en-US",
        enforce_default_permissions: bool = False,
    ) -> InteractionRecord:
        """A member runs ``/name`` (``"cmd"``, ``"cmd sub"``, ``"cmd group sub"``).

        Options are typed by the registered schema; user/channel/role options get
        ``resolved`` data. ``default_member_permissions`` is not enforced unless asked
        (server admins can override it, so the bot must check permissions itself).
        """
        model = self.model
        payload, guild = self._interaction_payload(
            2, member_id, channel_id, name, options or {}, focused=None, locale=locale,
            enforce_default_permissions=enforce_default_permissions)
        record = self._record_interaction(payload, name, None)
        await model.emit_all([Event("INTERACTION_CREATE", payload, guild.id)])
        return record

    async def autocomplete(
        self, member_id: int | str, channel_id: int | str, name: str,
        options: Mapping[str, Any], focused: str, *, timeout: float = 10, locale: str = "en-US",
    ) -> list[dict[str, Any]]:
        """A member types into an autocomplete option; returns the choices the bot offered."""
        model = self.model
        payload, guild = self._interaction_payload(
            4, member_id, channel_id, name, options, focused=focused, locale=locale,
            enforce_default_permissions=False)
        record = self._record_interaction(payload, name, None)
        await model.emit_all([Event("INTERACTION_CREATE", payload, guild.id)])
        await record.wait(timeout)
        if record.choices is None:
            raise AssertionError(f"autocomplete answered with callback {record.response_type}")
        return copy_payload(record.choices)

    async def invoke_message_command(
        self, member_id: int | str, message_id: int | str, name: str, *, locale: str = "en-US",
    ) -> InteractionRecord:
        """A member picks ``name`` in a message's Apps menu (a message context-menu command).

        The interaction comes from the message's channel, with the message under
        ``resolved.messages`` and its id as ``target_id``, as Discord sends it.
        """
        model = self.model
        msg = model.message(message_id)
        channel = model.channel(msg["channel_id"])
        guild = model.guild_of(channel)
        member = model.acting_member(member_id, channel)
        commands = model.commands.get(guild.id, []) + model.commands[None]
        command = next((c for c in commands if c.get("type") == 3 and c["name"] == name), None)
        if command is None:
            raise LookupError(f"no message command named {name!r} is registered")
        data: dict[str, Any] = {
            "id": command["id"], "name": command["name"], "type": 3, "target_id": msg["id"],
            "resolved": {"messages": {msg["id"]: model.render_message(msg)}},
        }
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        payload = self._interaction_envelope(2, data, member, channel, locale)
        record = self._record_interaction(payload, name, None)
        await model.emit_all([Event("INTERACTION_CREATE", payload, guild.id)])
        return record

    def _record_interaction(
        self, payload: dict[str, Any], name: str, source: dict[str, Any] | None
    ) -> InteractionRecord:
        model = self.model
        record = InteractionRecord(
            id=int(payload["id"]), token=payload["token"], type=payload["type"], name=name,
            channel_id=int(payload["channel_id"]), guild_id=int(payload["guild_id"]),
            user_id=int(payload["member"]["user"]["id"]), payload=copy.deepcopy(payload),
        )
        record.source = source
        model.interactions[record.id] = record
        return record

    async def click(
        self, member_id: int | str, message_id: int | str, custom_id: str, *,
        values: Sequence[str] | None = None, locale: str = "en-US",
    ) -> InteractionRecord:
        """A member presses a button or picks ``values`` in a select menu of a message."""
        model = self.model
        await model.settle()
        msg = model.messages.get(as_id(message_id)) or model.ephemeral.get(as_id(message_id))
        if msg is None:
            raise LookupError(f"no message {message_id}")
        component = find_component(msg.get("components") or [], custom_id)
        if component is None:
            raise LookupError(f"message {message_id} has no component {custom_id!r}")
        if component.get("disabled"):
            raise PermissionError(f"component {custom_id!r} is disabled")
        channel = model.channel(msg["channel_id"])
        member = model.acting_member(member_id, channel)
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
        if component["type"] == BUTTON:
            if values:
                raise ValueError("buttons take no values")
        else:
            data["values"] = check_select(component, list(values or []))
        payload = self._interaction_envelope(3, data, member, channel, locale)
        payload["message"] = model.event_message(msg)
        if "guild_id" not in payload["message"]:
            payload["message"]["guild_id"] = channel["guild_id"]
        record = self._record_interaction(payload, custom_id, msg)
        await model.emit_all([Event("INTERACTION_CREATE", payload, int(channel["guild_id"]))])
        return record

    async def submit_modal(
        self, member_id: int | str, shown: InteractionRecord, values: Mapping[str, str], *,
        locale: str = "en-US",
    ) -> InteractionRecord:
        """A member fills in and submits the modal the bot answered ``shown`` with."""
        model = self.model
        await model.settle()
        if shown.response_type != 9 or shown.response is None:
            raise ValueError(f"interaction {shown.name!r} was not answered with a modal")
        modal = shown.response
        components = modal_submission(modal.get("components") or [], values)
        channel = model.channel(shown.channel_id)
        member = model.acting_member(member_id, channel)
        data = {"custom_id": modal["custom_id"], "components": components}
        payload = self._interaction_envelope(5, data, member, channel, locale)
        if shown.source is not None:
            payload["message"] = model.event_message(shown.source)
        record = self._record_interaction(payload, modal["custom_id"], shown.source)
        await model.emit_all([Event("INTERACTION_CREATE", payload, int(channel["guild_id"]))])
        return record

    # ---- REST: the bot answers ------------------------------------------------------------------

    async def rest_interaction_callback(self, req: ApiRequest) -> Any:
        model = self.model
        record = model.interactions.get(int(req.params["interaction_id"])) \
            if req.params["interaction_id"].isdigit() else None
        if record is None or record.token != req.params["interaction_token"]:
            raise ApiError(404, ErrorCode.UNKNOWN_INTERACTION, "Unknown interaction", problem=True)
        if record.response_type is not None:
            raise ApiError(400, ErrorCode.INTERACTION_ALREADY_ACKNOWLEDGED,
                           "Interaction has already been acknowledged.", problem=True)
        deadline = model.interaction_deadline
        if deadline is not None and time.monotonic() - record.created > deadline:
            raise ApiError(404, ErrorCode.UNKNOWN_INTERACTION,
                           f"Unknown interaction (not answered within {deadline:g} s)",
                           problem=True)
        body = req.body or {}
        kind = body.get("type")
        if kind not in ALLOWED_CALLBACKS.get(record.type, set()):
            raise invalid_form_body({"type": {"_errors": [{
                "code": "INTERACTION_CALLBACK_TYPE_INVALID",
                "message": f"Callback type {kind} is not valid for interaction type "
                           f"{record.type}"}]}})
        data = body.get("data") or {}
        events: list[Event] = []
        message: dict[str, Any] | None = None
        if kind == 4:
            check_message_body(data, len(req.files), creating=True)
            flags = int(data.get("flags") or 0) & SETTABLE_FLAGS
            message, events = self._interaction_message(record, data, req.files, flags)
            record.original = message
        elif kind == 5:
            flags = (int(data.get("flags") or 0) & MessageFlags.EPHEMERAL) | MessageFlags.LOADING
            message, events = self._interaction_message(record, {}, [], flags)
            record.original = message
        elif kind in (6, 7):
            source = record.source
            if source is None:
                raise invalid_form_body({"type": {"_errors": [{
                    "code": "INTERACTION_CALLBACK_TYPE_INVALID",
                    "message": "There is no message to update for this interaction"}]}})
            if kind == 7:
                new = apply_edit(model, source, data, req.files)
                model.store_files(source, new)
                record.files.extend(new)
                if not source["flags"] & MessageFlags.EPHEMERAL:
                    events = [Event("MESSAGE_UPDATE", model.event_message(source),
                                    record.guild_id, content=True)]
                message = source
            record.original = source
        elif kind == 8:
            record.choices = copy.deepcopy(data.get("choices") or [])
        record.response_type = kind
        record.response = copy.deepcopy(data)
        req.touched.append(record)
        await model.emit_all(events)
        if req.query.get("with_response") not in ("1", "true", "True"):
            return None
        ephemeral = bool(message and message["flags"] & MessageFlags.EPHEMERAL)
        answer: dict[str, Any] = {
            "interaction": {
                "id": str(record.id),
                "type": record.type,
                "activity_instance_id": None,
                "response_message_id": message["id"] if message else None,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": ephemeral,
            },
            "resource": {"type": kind},
        }
        if message is not None:
            answer["resource"]["message"] = model.render_message(message)
        return answer

    def _interaction_message(
        self, record: InteractionRecord, data: Mapping[str, Any], files: list[Upload], flags: int,
    ) -> tuple[dict[str, Any], list[Event]]:
        """A message the bot sends through an interaction (original response or follow-up)."""
        model = self.model
        channel = model.channels[record.channel_id]
        member = record.payload["member"]
        attachments, new = upload_attachments(model, record.channel_id, data, files, [])
        extra = {
            "webhook_id": str(model.application_id),
            "application_id": str(model.application_id),
            "interaction_metadata": {
                "id": str(record.id), "type": record.type, "user": member["user"],
                "authorizing_integration_owners": {"0": str(record.guild_id)},
                "name": record.name, "command_type": 1,
            },
            "interaction": {
                "id": str(record.id), "type": record.type, "name": record.name,
                "user": member["user"],
                "member": {k: v for k, v in member.items() if k not in ("user", "permissions")},
            },
        }
        msg = model.new_message(
            channel, model.bot_user, data.get("content") or "", embeds=data.get("embeds"),
            attachments=attachments, message_type=MessageType.CHAT_INPUT_COMMAND, flags=flags,
            allowed_mentions=data.get("allowed_mentions"), extra=extra,
        )
        msg["tts"] = bool(data.get("tts"))
        msg["components"] = copy.deepcopy(data.get("components") or [])
        model.store_files(msg, new)
        record.files.extend(new)
        if flags & MessageFlags.EPHEMERAL:
            model.ephemeral[int(msg["id"])] = msg
            return msg, []
        model.store_message(msg)
        return msg, [Event("MESSAGE_CREATE", model.event_message(msg), record.guild_id,
                           content=True)]

    def _webhook_record(self, req: ApiRequest) -> InteractionRecord:
        record = self.model.interaction_by_token(req.params["webhook_token"])
        if record is None or req.params["webhook_id"] != str(self.model.application_id):
            raise ApiError(404, ErrorCode.UNKNOWN_WEBHOOK, "Unknown Webhook", problem=True)
        if record.response_type is None or record.type == 4:
            raise ApiError(404, ErrorCode.UNKNOWN_WEBHOOK, "Unknown Webhook", problem=True)
        return record

    def _webhook_message(self, req: ApiRequest, record: InteractionRecord) -> dict[str, Any]:
        message_id = req.params.get("message_id")
        if message_id is None:  # @original
            if record.original is None:
                raise ApiError(404, ErrorCode.UNKNOWN_MESSAGE, "Unknown Message",
                               problem=record.original_deleted is False)
            return record.original
        found = next((m for m in [record.original, *record.followups]
                      if m is not None and m["id"] == message_id), None)
        if found is None:
            raise ApiError(404, ErrorCode.UNKNOWN_MESSAGE, "Unknown Message")
        return found

    async def rest_execute_webhook(self, req: ApiRequest) -> Any:
        model = self.model
        record = self._webhook_record(req)
        body = req.body or {}
        check_message_body(body, len(req.files), creating=True)
        original = record.original
        if record.response_type == 5 and original is not None \
                and original["flags"] & MessageFlags.LOADING:
            # The first follow-up after a deferral fills in the "thinking..." message.
            new = apply_edit(model, original, body, req.files)
            original["flags"] &= ~MessageFlags.LOADING
            model.store_files(original, new)
            record.files.extend(new)
            message = original
            events = [] if original["flags"] & MessageFlags.EPHEMERAL else [
                Event("MESSAGE_UPDATE", model.event_message(original), record.guild_id,
                      content=True)]
        else:
            flags = int(body.get("flags") or 0) & SETTABLE_FLAGS
            message, events = self._interaction_message(record, body, req.files, flags)
        record.followups.append(message)
        req.touched.append(record)
        await model.emit_all(events)
        if req.query.get("wait") in ("1", "true", "True"):
            return model.render_message(message)
        return None

    async def rest_get_webhook_message(self, req: ApiRequest) -> Any:
        record = self._webhook_record(req)
        return self.model.render_message(self._webhook_message(req, record))

    async def rest_edit_webhook_message(self, req: ApiRequest) -> Any:
        model = self.model
        record = self._webhook_record(req)
        msg = self._webhook_message(req, record)
        new = apply_edit(model, msg, req.body or {}, req.files)
        if msg["flags"] & MessageFlags.LOADING:
            msg["flags"] &= ~MessageFlags.LOADING
        else:
            msg["edited_timestamp"] = now_iso()
        model.store_files(msg, new)
        record.files.extend(new)
        req.touched.append(record)
        if not msg["flags"] & MessageFlags.EPHEMERAL:
            await model.emit_all([Event("MESSAGE_UPDATE", model.event_message(msg),
                                        record.guild_id, content=True)])
        return model.render_message(msg)

    async def rest_delete_webhook_message(self, req: ApiRequest) -> Any:
        model = self.model
        record = self._webhook_record(req)
        msg = self._webhook_message(req, record)
        if msg is record.original:
            record.original = None
            record.original_deleted = True
        if msg in record.followups:
            record.followups.remove(msg)
        req.touched.append(record)
        if msg["flags"] & MessageFlags.EPHEMERAL:
            model.ephemeral.pop(int(msg["id"]), None)
            return None
        model.remove_message(int(msg["id"]))
        await model.emit_all([Event("MESSAGE_DELETE", {
            "id": msg["id"], "channel_id": msg["channel_id"], "guild_id": str(record.guild_id)},
            record.guild_id)])
        return None
