"""REST API v10: routing, checks every request body, and the handlers the bot uses."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from aiohttp import hdrs, web

from .constants import ChannelType, ErrorCode, MessageFlags, MessageType, Permissions
from .interactions import ALLOWED_CALLBACKS, InteractionRecord
from .payloads import parse_emoji, thread_member_payload
from .polls import create_poll
from .polls import register as register_polls
from .snowflakes import now_iso
from .validation import (
    ApiError,
    OpenApiSpec,
    add_error,
    empty_message_error,
    invalid_form_body,
    is_empty_message,
    message_limit_errors,
    thread_name_errors,
)

if TYPE_CHECKING:
    from .emulator import DiscordEmulator, Event

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
MAX_FILES = 10
# Flags a bot may set when sending or editing a message.
_SETTABLE_FLAGS = (1 << 2) | MessageFlags.EPHEMERAL | (1 << 12) | (1 << 15)
_COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$")


@dataclass
class FailRule:
    """An instruction to fail the next matching requests."""

    method: str
    pattern: re.Pattern[str]
    status: int
    retry_after: float
    global_: bool
    count: int


@dataclass
class Upload:
    """One ``files[n]`` part of a multipart request."""

    field: str
    filename: str
    data: bytes

    @property
    def index(self) -> int:
        """``n`` of ``files[n]``."""
        match = re.fullmatch(r"files\[(\d+)\]", self.field)
        return int(match.group(1)) if match else -1


@dataclass
class ApiRequest:
    """A parsed REST request."""

    method: str
    path: str
    template: str
    params: dict[str, str]
    query: Mapping[str, str]
    body: Any
    files: list[Upload] = field(default_factory=list)
    #: Interaction records to wake once the answer is written.
    touched: list[InteractionRecord] = field(default_factory=list)


Handler = Callable[[ApiRequest], Awaitable[Any]]


@dataclass
class Route:
    """One implemented operation; ``template`` is spelled as in Discord's OpenAPI spec."""

    method: str
    template: str
    handler: Handler
    auth: bool
    regex: re.Pattern[str]


@dataclass
class Created:
    """A handler result answered with a status other than 200."""

    data: Any
    status: int = 201


def _compile(template: str) -> re.Pattern[str]:
    parts = []
    for segment in template.strip("/").split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            parts.append(f"(?P<{segment[1:-1]}>[^/]+)")
        else:
            parts.append(re.escape(segment))
    return re.compile("^/" + "/".join(parts) + "$")


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None
                  ) -> web.Response:
    """A JSON answer with exactly ``Content-Type: application/json`` (discord.py checks)."""
    all_headers = {"Content-Type": "application/json", "Via": "1.1 google"}
    all_headers.update(headers or {})
    return web.Response(body=json.dumps(data).encode(), status=status, headers=all_headers)


class RestApi:
    """Everything under ``/api/v10``."""

    def __init__(self, emu: DiscordEmulator) -> None:
        self._emu = emu
        self._routes: list[Route] = []
        self._pinned_at: dict[int, str] = {}
        self.in_flight = 0
        self._register()

    # ---- routing -------------------------------------------------------------------------------

    def _add(self, method: str, template: str, handler: Handler, *, auth: bool = True) -> None:
        self._routes.append(Route(method, template, handler, auth, _compile(template)))

    def _register(self) -> None:
        a = self._add
        a("GET", "/users/@me", self.get_me)
        a("GET", "/users/{user_id}", self.get_user)
        a("GET", "/oauth2/applications/@me", self.get_application)
        a("GET", "/applications/@me", self.get_application)
        a("GET", "/gateway", self.get_gateway, auth=False)
        a("GET", "/gateway/bot", self.get_gateway_bot)
        for prefix in ("/applications/{application_id}",
                       "/applications/{application_id}/guilds/{guild_id}"):
            a("GET", prefix + "/commands", self.list_commands)
            a("PUT", prefix + "/commands", self.put_commands)
            a("POST", prefix + "/commands", self.post_command)
            a("GET", prefix + "/commands/{command_id}", self.get_command)
            a("PATCH", prefix + "/commands/{command_id}", self.patch_command)
            a("DELETE", prefix + "/commands/{command_id}", self.delete_command)
        a("GET", "/channels/{channel_id}", self.get_channel)
        a("PATCH", "/channels/{channel_id}", self.patch_channel)
        a("DELETE", "/channels/{channel_id}", self.delete_channel)
        a("GET", "/channels/{channel_id}/messages", self.list_messages)
        a("POST", "/channels/{channel_id}/messages", self.create_message)
        a("POST", "/channels/{channel_id}/messages/bulk-delete", self.bulk_delete)
        a("GET", "/channels/{channel_id}/messages/pins", self.list_pins)
        a("PUT", "/channels/{channel_id}/messages/pins/{message_id}", self.pin)
        a("DELETE", "/channels/{channel_id}/messages/pins/{message_id}", self.unpin)
        a("GET", "/channels/{channel_id}/messages/{message_id}", self.get_message)
        a("PATCH", "/channels/{channel_id}/messages/{message_id}", self.edit_message)
        a("DELETE", "/channels/{channel_id}/messages/{message_id}", self.delete_message)
        reactions = "/channels/{channel_id}/messages/{message_id}/reactions"
        a("DELETE", reactions, self.clear_reactions)
        a("GET", reactions + "/{emoji_name}", self.reaction_users)
        a("DELETE", reactions + "/{emoji_name}", self.clear_reaction_emoji)
        a("PUT", reactions + "/{emoji_name}/@me", self.add_own_reaction)
        a("DELETE", reactions + "/{emoji_name}/@me", self.remove_own_reaction)
        a("DELETE", reactions + "/{emoji_name}/{user_id}", self.remove_user_reaction)
        a("POST", "/channels/{channel_id}/messages/{message_id}/threads", self.thread_from_message)
        a("POST", "/channels/{channel_id}/threads", self.create_thread)
        a("GET", "/channels/{channel_id}/threads/archived/public", self.archived_threads)
        a("PUT", "/channels/{channel_id}/thread-members/@me", self.join_thread)
        a("DELETE", "/channels/{channel_id}/thread-members/@me", self.leave_thread)
        a("GET", "/channels/{channel_id}/thread-members", self.thread_members)
        a("GET", "/channels/{channel_id}/thread-members/{user_id}", self.thread_member)
        a("PUT", "/channels/{channel_id}/thread-members/{user_id}", self.add_thread_member)
        a("DELETE", "/channels/{channel_id}/thread-members/{user_id}", self.remove_thread_member)
        a("POST", "/channels/{channel_id}/typing", self.typing)
        a("GET", "/guilds/{guild_id}", self.get_guild)
        a("GET", "/guilds/{guild_id}/channels", self.guild_channels)
        a("GET", "/guilds/{guild_id}/members", self.guild_members)
        a("GET", "/guilds/{guild_id}/members/{user_id}", self.guild_member)
        a("GET", "/guilds/{guild_id}/roles", self.guild_roles)
        a("GET", "/guilds/{guild_id}/threads/active", self.active_threads)
        a("POST", "/interactions/{interaction_id}/{interaction_token}/callback",
          self.interaction_callback, auth=False)
        hook = "/webhooks/{webhook_id}/{webhook_token}"
        a("POST", hook, self.execute_webhook, auth=False)
        for suffix in ("/messages/@original", "/messages/{message_id}"):
            a("GET", hook + suffix, self.get_webhook_message, auth=False)
            a("PATCH", hook + suffix, self.edit_webhook_message, auth=False)
            a("DELETE", hook + suffix, self.delete_webhook_message, auth=False)
        register_polls(a, self)
        # Literal segments beat parameters: "@me" before "{user_id}" at the same position.
        self._routes.sort(key=lambda r: [s.startswith("{") for s in r.template.split("/")])

    def _match(self, method: str, raw_path: str) -> tuple[Route | None, dict[str, str], bool]:
        path_known = False
        for route in self._routes:
            match = route.regex.match(raw_path)
            if match is None:
                continue
            path_known = True
            if route.method == method:
                return route, {k: unquote(v) for k, v in match.groupdict().items()}, True
        return None, {}, path_known

    async def unknown(self, request: web.Request) -> web.StreamResponse:
        """Anything outside ``/api/v10``, ``/gateway`` and the CDN."""
        self._emu.problem(f"unknown URL {request.method} {request.path}")
        return json_response({"message": "404: Not Found", "code": 0}, status=404)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Entry point for every ``/api/v10`` request.

        The answer is written before interaction records wake their waiters, so a test that
        waited for a callback knows the bot has at least been sent the answer.
        """
        self.in_flight += 1
        touched: list[InteractionRecord] = []
        try:
            response = await self._respond(request, touched)
            await self._stall(request)
            await response.prepare(request)
            await response.write_eof()
            return response
        finally:
            self.in_flight -= 1
            for record in touched:
                record.touch()
            self._emu._pulse()

    async def _stall(self, request: web.Request) -> None:
        """Hold an answer back when a test asked to (``DiscordEmulator.stall_next``)."""
        method, path = request.method.upper(), request.path[len(API_PREFIX):]
        rules = self._emu._stall_rules
        rule = next((r for r in rules if r[0] == method and r[1].search(path)), None)
        if rule is None:
            return
        rule[3] -= 1
        if rule[3] <= 0:
            rules.remove(rule)
        log.info("holding the answer to %s %s for %ss", method, path, rule[2])
        await asyncio.sleep(rule[2])
        if request.transport is None or request.transport.is_closing():
            raise asyncio.CancelledError  # the client gave up waiting: nothing to answer

    async def _respond(self, request: web.Request, touched: list[InteractionRecord]
                       ) -> web.StreamResponse:
        emu = self._emu
        method = request.method.upper()
        path = request.path[len(API_PREFIX):]
        raw_path = request.rel_url.raw_path[len(API_PREFIX):]
        try:
            body, files = await self._read_body(request)
        except ApiError as exc:
            emu.requests.append((method, path, None))
            emu.request_times.append(time.monotonic())
            emu.problem(f"{method} {path}: {exc.message}")
            return json_response(exc.body(), status=exc.status)
        emu.requests.append((method, path, body))
        emu.request_times.append(time.monotonic())  # when each of ``requests`` came
        route, params, path_known = self._match(method, raw_path)
        try:
            if route is None:
                status = 405 if path_known else 404
                emu.problem(f"unimplemented route {method} {path}")
                reason = "Method Not Allowed" if path_known else "Not Found"
                return json_response({"message": f"{status}: {reason}", "code": 0},
                                     status=status)
            if route.auth and request.headers.get(hdrs.AUTHORIZATION) != f"Bot {emu.token}":
                emu.problem(f"{method} {path}: missing or wrong Authorization header")
                return json_response({"message": "401: Unauthorized", "code": 0}, status=401)
            failure = self._injected_failure(method, path, route)
            if failure is not None:
                return failure
            self._validate(route, method, path, body, bool(files))
            req = ApiRequest(method, path, route.template, params, request.query, body, files,
                             touched)
            result = await route.handler(req)
        except ApiError as exc:
            if exc.problem:
                emu.problem(f"{method} {path}: {exc.status} {exc.message} {exc.errors or ''}")
            else:
                log.info("%s %s -> %s %s", method, path, exc.status, exc.message)
            return json_response(exc.body(), status=exc.status,
                                 headers=self._ratelimit_headers(route))
        except Exception as exc:  # an emulator bug must fail the test, not hang the bot
            log.exception("emulator crashed handling %s %s", method, path)
            emu.problem(f"emulator error on {method} {path}: {exc!r}")
            # 501, not 500: discord.py retries a 500 for many seconds; this should fail fast.
            return json_response({"message": f"emulator error: {exc!r}", "code": 0}, status=501)
        if result is None:
            return web.Response(status=204, headers={"Via": "1.1 google",
                                                     **self._ratelimit_headers(route)})
        if isinstance(result, Created):
            return json_response(result.data, status=result.status,
                                 headers=self._ratelimit_headers(route))
        return json_response(result, headers=self._ratelimit_headers(route))

    async def _read_body(self, request: web.Request) -> tuple[Any, list[Upload]]:
        if not request.body_exists:
            return None, []
        if request.content_type == "multipart/form-data":
            body: Any = None
            files: list[Upload] = []
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not hasattr(part, "name"):
                    raise ApiError(400, ErrorCode.INVALID_FORM_BODY, "Nested multipart",
                                   problem=True)
                data = bytes(await part.read())
                if part.name == "payload_json":
                    try:
                        body = json.loads(data)
                    except ValueError:
                        raise ApiError(400, ErrorCode.INVALID_JSON,
                                       "The request body contains invalid JSON.",
                                       problem=True) from None
                elif part.name and re.fullmatch(r"files\[\d+\]", part.name):
                    files.append(Upload(part.name, part.filename or "file", data))
                else:
                    raise ApiError(400, ErrorCode.INVALID_FORM_BODY,
                                   f"Unexpected multipart field {part.name!r}", problem=True)
            return body, files
        raw = await request.read()
        if not raw:
            return None, []
        if request.content_type != "application/json":
            raise ApiError(400, ErrorCode.INVALID_FORM_BODY,
                           f"Unsupported Content-Type {request.content_type!r}", problem=True)
        try:
            return json.loads(raw), []
        except ValueError:
            raise ApiError(400, ErrorCode.INVALID_JSON, "The request body contains invalid JSON.",
                           problem=True) from None

    def _validate(self, route: Route, method: str, path: str, body: Any, has_files: bool
                  ) -> None:
        spec = OpenApiSpec.shared()
        if not spec.has_operation(route.template, method):
            return
        if body is None and has_files:
            body = {}  # files without payload_json
        if body is None:
            if spec.body_required(route.template, method):
                raise invalid_form_body({"_errors": [{"code": "BASE_TYPE_REQUIRED",
                                                      "message": "This field is required"}]})
            return
        if not spec.body_expected(route.template, method):
            self._emu.problem(f"{method} {path}: sent a body the operation does not take")
            return
        errors = spec.body_errors(route.template, method, body)
        if errors:
            raise invalid_form_body(errors)

    def _bucket(self, route: Route | None) -> str:
        key = f"{route.method} {route.template}" if route else "unknown"
        return hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:32]

    def _ratelimit_headers(self, route: Route | None) -> dict[str, str]:
        if route is None or not route.auth:
            return {}
        return {
            "X-RateLimit-Limit": "50",
            "X-RateLimit-Remaining": "49",
            "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
            "X-RateLimit-Reset-After": "1.000",
            "X-RateLimit-Bucket": self._bucket(route),
        }

    def _injected_failure(self, method: str, path: str, route: Route) -> web.Response | None:
        rule = next((r for r in self._emu._fail_rules
                     if r.method == method and r.pattern.search(path)), None)
        if rule is None:
            return None
        rule.count -= 1
        if rule.count <= 0:
            self._emu._fail_rules.remove(rule)
        log.info("injected %s for %s %s", rule.status, method, path)
        if rule.status == 429:
            headers = {
                "Retry-After": str(max(1, math.ceil(rule.retry_after))),
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{time.time() + rule.retry_after:.3f}",
                "X-RateLimit-Reset-After": f"{rule.retry_after:.3f}",
                "X-RateLimit-Bucket": self._bucket(route),
                "X-RateLimit-Scope": "global" if rule.global_ else "user",
            }
            if rule.global_:
                headers["X-RateLimit-Global"] = "true"
            return json_response({"message": "You are being rate limited.",
                                  "retry_after": rule.retry_after, "global": rule.global_},
                                 status=429, headers=headers)
        messages = {
            400: (0, "400: Bad Request"),
            401: (0, "401: Unauthorized"),
            403: (ErrorCode.MISSING_PERMISSIONS, "Missing Permissions"),
            404: (ErrorCode.UNKNOWN_MESSAGE, "Unknown Message") if "/messages/" in path
            else (ErrorCode.UNKNOWN_CHANNEL, "Unknown Channel") if path.startswith("/channels/")
            else (0, "404: Not Found"),
            500: (0, "500: Internal Server Error"),
            502: (0, "502: Bad Gateway"),
            503: (0, "503: Service Unavailable"),
        }
        code, message = messages.get(rule.status, (0, f"{rule.status}: Error"))
        return json_response({"message": message, "code": code}, status=rule.status)

    # ---- shared helpers ------------------------------------------------------------------------

    @property
    def _bot(self) -> Any:
        return self._emu._users[self._emu.bot_user_id]

    def _check_app(self, req: ApiRequest) -> int | None:
        if req.params["application_id"] != str(self._emu.application_id):
            raise ApiError(403, ErrorCode.MISSING_ACCESS, "Missing Access", problem=True)
        guild_id = req.params.get("guild_id")
        if guild_id is None:
            return None
        return self._emu._guild(guild_id).id

    def _check_message_body(self, body: Mapping[str, Any], file_count: int, *, creating: bool
                            ) -> None:
        errors = message_limit_errors(body)
        if file_count > MAX_FILES:
            add_error(errors, ["files"], "BASE_TYPE_MAX_LENGTH",
                      f"Must be {MAX_FILES} or fewer in length.")
        if errors:
            raise invalid_form_body(errors)
        if creating and is_empty_message(body, file_count):
            raise empty_message_error()

    def _attachments(
        self, channel_id: int, body: Mapping[str, Any], files: list[Upload],
        existing: list[dict[str, Any]],
    ) -> tuple[list[dict[str, Any]], list[tuple[str, bytes]]]:
        """The message's attachments after this request, and the newly uploaded files."""
        from .emulator import ATTACHMENT_SIZE_LIMIT

        uploads = {f.index: f for f in files}
        for upload in files:
            if len(upload.data) > ATTACHMENT_SIZE_LIMIT:
                raise ApiError(413, 40005, "Request entity too large", problem=True)
        specs = body.get("attachments")
        result: list[dict[str, Any]] = []
        new: list[tuple[str, bytes]] = []
        used: set[int] = set()

        def upload(index: int, spec: Mapping[str, Any]) -> None:
            up = uploads[index]
            filename = spec.get("filename") or up.filename
            result.append(self._emu.make_attachment(channel_id, filename, up.data,
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

    def _store_files(self, msg: Mapping[str, Any], new: list[tuple[str, bytes]]) -> None:
        if new:
            self._emu._files.setdefault(int(msg["id"]), []).extend(new)

    def _apply_edit(self, msg: dict[str, Any], body: Mapping[str, Any], files: list[Upload]
                    ) -> list[tuple[str, bytes]]:
        """Apply an edit body to a stored message (all or nothing); returns new uploads."""
        emu = self._emu
        self._check_message_body(body, len(files), creating=False)
        edited = copy.deepcopy(msg)
        channel = emu._channels.get(int(msg["channel_id"]))
        if "content" in body:
            edited["content"] = body["content"] or ""
            if channel is not None:
                guild = emu._guild_of(channel)
                mentions, roles, everyone = emu._mentions(guild, edited["content"],
                                                          body.get("allowed_mentions"))
                edited.update(mentions=mentions, mention_roles=roles, mention_everyone=everyone)
        if "embeds" in body:
            from .emulator import _normalise_embed

            edited["embeds"] = [_normalise_embed(e) for e in body["embeds"] or []]
        if "components" in body:
            edited["components"] = copy.deepcopy(body["components"] or [])
        if "flags" in body and body["flags"] is not None:
            keep = msg["flags"] & ~_SETTABLE_FLAGS
            suppress_embeds = int(body["flags"]) & (1 << 2)
            edited["flags"] = keep | suppress_embeds | (msg["flags"] & MessageFlags.EPHEMERAL)
        new: list[tuple[str, bytes]] = []
        if "attachments" in body or files:
            edited["attachments"], new = self._attachments(int(msg["channel_id"]), body, files,
                                                           msg["attachments"])
        if is_empty_message(edited, len(edited["attachments"])):
            raise empty_message_error()
        msg.clear()
        msg.update(edited)
        return new

    # ---- users, application, gateway -----------------------------------------------------------

    async def get_me(self, req: ApiRequest) -> Any:
        data = self._bot.payload()
        data.update(verified=True, mfa_enabled=False, email=None, locale="en-US")
        return data

    async def get_user(self, req: ApiRequest) -> Any:
        user = self._emu._users.get(int(req.params["user_id"]))
        if user is None:
            raise ApiError(404, ErrorCode.UNKNOWN_USER, "Unknown User")
        return user.payload()

    async def get_application(self, req: ApiRequest) -> Any:
        emu = self._emu
        owner = next((g.owner_id for g in emu._guilds.values()), None)
        owner_payload = (emu._users[owner].payload() if owner is not None
                         else self._bot.payload())
        return {
            "id": str(emu.application_id),
            "name": self._bot.username,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": hashlib.sha256(emu.token.encode()).hexdigest(),
            "flags": 0,
            "owner": owner_payload,
            "team": None,
            "bot": self._bot.payload(),
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "approximate_guild_count": len(emu._guilds),
            "integration_types_config": {"0": {}},
        }

    async def get_gateway(self, req: ApiRequest) -> Any:
        return {"url": self._emu.gateway_url}

    async def get_gateway_bot(self, req: ApiRequest) -> Any:
        return {
            "url": self._emu.gateway_url,
            "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 86_400_000,
                                    "max_concurrency": 1},
        }

    # ---- application commands ------------------------------------------------------------------

    def _command_errors(self, commands: list[Mapping[str, Any]]) -> dict[str, Any]:
        """Rules Discord enforces on commands that the schema does not express."""
        tree: dict[str, Any] = {}
        seen: set[tuple[str, int]] = set()
        for index, cmd in enumerate(commands):
            kind = cmd.get("type") or 1
            name = cmd.get("name", "")
            if (name, kind) in seen:
                add_error(tree, [index, "name"], "APPLICATION_COMMANDS_DUPLICATE_NAME",
                          f"Application command names must be unique: {name}")
            seen.add((name, kind))
            if kind == 1:
                if not _COMMAND_NAME.match(name) or name != name.lower():
                    add_error(tree, [index, "name"], "APPLICATION_COMMAND_INVALID_NAME",
                              f"Command name is invalid: {name!r}")
                if not 1 <= len(cmd.get("description") or "") <= 100:
                    add_error(tree, [index, "description"], "BASE_TYPE_BAD_LENGTH",
                              "Must be between 1 and 100 in length.")
            self._option_errors(tree, [index], cmd.get("options") or [])
        return tree

    def _option_errors(self, tree: dict[str, Any], path: list[Any], options: list[Any]) -> None:
        if len(options) > 25:
            add_error(tree, [*path, "options"], "BASE_TYPE_MAX_LENGTH",
                      "Must be 25 or fewer in length.")
        optional_seen = False
        names: set[str] = set()
        for index, opt in enumerate(options):
            where = [*path, "options", index]
            name = opt.get("name", "")
            if not _COMMAND_NAME.match(name) or name != name.lower():
                add_error(tree, [*where, "name"], "APPLICATION_COMMAND_INVALID_NAME",
                          f"Option name is invalid: {name!r}")
            if name in names:
                add_error(tree, [*where, "name"], "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                          f"Option name {name!r} is already used")
            names.add(name)
            if not 1 <= len(opt.get("description") or "") <= 100:
                add_error(tree, [*where, "description"], "BASE_TYPE_BAD_LENGTH",
                          "Must be between 1 and 100 in length.")
            if opt.get("type") in (1, 2):
                self._option_errors(tree, where, opt.get("options") or [])
                continue
            if opt.get("required"):
                if optional_seen:
                    add_error(tree, where, "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                              "Required options must be placed before non-required options")
            else:
                optional_seen = True
            if opt.get("choices") and opt.get("autocomplete"):
                add_error(tree, [*where, "autocomplete"], "AUTOCOMPLETE_CHOICES_CONFLICT",
                          "Autocomplete cannot be used with choices")
            if len(opt.get("choices") or []) > 25:
                add_error(tree, [*where, "choices"], "BASE_TYPE_MAX_LENGTH",
                          "Must be 25 or fewer in length.")

    def _stored_command(self, guild_id: int | None, cmd: Mapping[str, Any],
                        existing: Mapping[str, Any] | None) -> dict[str, Any]:
        emu = self._emu
        kind = cmd.get("type") or 1
        perms = cmd.get("default_member_permissions")
        data = {
            "id": existing["id"] if existing else str(emu._ids.next()),
            "application_id": str(emu.application_id),
            "version": str(emu._ids.next()),
            "default_member_permissions": str(perms) if perms is not None else None,
            "type": kind,
            "name": cmd["name"],
            "name_localizations": cmd.get("name_localizations"),
            "description": cmd.get("description") or "",
            "description_localizations": cmd.get("description_localizations"),
            "options": copy.deepcopy(cmd.get("options") or []),
            "nsfw": bool(cmd.get("nsfw", False)),
            "contexts": cmd.get("contexts"),
            "integration_types": cmd.get("integration_types") or [0],
        }
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
        else:
            data["dm_permission"] = cmd.get("dm_permission", True)
        return data

    async def list_commands(self, req: ApiRequest) -> Any:
        guild_id = self._check_app(req)
        return copy.deepcopy(self._emu._commands.get(guild_id, []))

    async def put_commands(self, req: ApiRequest) -> Any:
        guild_id = self._check_app(req)
        body = req.body
        errors = self._command_errors(body)
        if errors:
            raise invalid_form_body(errors)
        old = {(c["name"], c["type"]): c for c in self._emu._commands.get(guild_id, [])}
        stored = [self._stored_command(guild_id, c, old.get((c["name"], c.get("type") or 1)))
                  for c in body]
        self._emu._commands[guild_id] = stored
        log.info("synced %d command(s) to %s", len(stored), guild_id or "global")
        return copy.deepcopy(stored)

    async def post_command(self, req: ApiRequest) -> Any:
        guild_id = self._check_app(req)
        errors = self._command_errors([req.body])
        if errors:
            raise invalid_form_body({k: v for k, v in errors.get("0", {}).items()})
        commands = self._emu._commands.setdefault(guild_id, [])
        kind = req.body.get("type") or 1
        old = next((c for c in commands if c["name"] == req.body["name"] and c["type"] == kind),
                   None)
        stored = self._stored_command(guild_id, req.body, old)
        if old is not None:
            commands[commands.index(old)] = stored
            return copy.deepcopy(stored)
        commands.append(stored)
        return Created(copy.deepcopy(stored))

    def _find_command(self, req: ApiRequest) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        guild_id = self._check_app(req)
        commands = self._emu._commands.setdefault(guild_id, [])
        cmd = next((c for c in commands if c["id"] == req.params["command_id"]), None)
        if cmd is None:
            raise ApiError(404, ErrorCode.UNKNOWN_APPLICATION_COMMAND,
                           "Unknown application command")
        return commands, cmd

    async def get_command(self, req: ApiRequest) -> Any:
        return copy.deepcopy(self._find_command(req)[1])

    async def patch_command(self, req: ApiRequest) -> Any:
        commands, cmd = self._find_command(req)
        merged = {**cmd, **req.body}
        errors = self._command_errors([merged])
        if errors:
            raise invalid_form_body(errors.get("0", {}))
        stored = self._stored_command(int(cmd["guild_id"]) if "guild_id" in cmd else None,
                                      merged, cmd)
        commands[commands.index(cmd)] = stored
        return copy.deepcopy(stored)

    async def delete_command(self, req: ApiRequest) -> Any:
        commands, cmd = self._find_command(req)
        commands.remove(cmd)
        return None

    # ---- channels ------------------------------------------------------------------------------

    async def get_channel(self, req: ApiRequest) -> Any:
        channel = self._emu._channel(req.params["channel_id"])
        if self._emu._is_thread(channel):
            return self._emu._thread_view(channel)
        return copy.deepcopy(channel)

    async def patch_channel(self, req: ApiRequest) -> Any:
        emu = self._emu
        channel = emu._channel(req.params["channel_id"])
        body = req.body or {}
        guild = emu._guild_of(channel)
        if "name" in body:
            limit_errors = thread_name_errors(body["name"]) if emu._is_thread(channel) else {}
            if limit_errors:
                raise invalid_form_body(limit_errors)
        if not emu._is_thread(channel):
            for key in ("name", "topic", "nsfw", "rate_limit_per_user", "position",
                        "default_auto_archive_duration", "default_thread_rate_limit_per_user",
                        "available_tags", "flags"):
                if key in body:
                    channel[key] = copy.deepcopy(body[key])
            await emu._emit_all([_event("CHANNEL_UPDATE", copy.deepcopy(channel), guild.id)])
            return copy.deepcopy(channel)
        meta = channel["thread_metadata"]
        perms = emu.permissions_in(emu.bot_user_id, channel["id"])
        if meta["archived"] and body.get("archived") is not False \
                and set(body) - {"archived", "locked"}:
            raise ApiError(400, ErrorCode.THREAD_ARCHIVED, "Thread is archived")
        if ("locked" in body or "archived" in body) and not perms & Permissions.MANAGE_THREADS \
                and int(channel["owner_id"]) != emu.bot_user_id:
            raise ApiError(403, ErrorCode.MISSING_PERMISSIONS, "Missing Permissions")
        if "applied_tags" in body:
            parent = emu._channels.get(int(channel["parent_id"]), {})
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
        view = emu._thread_view(channel)
        await emu._emit_all([_event("THREAD_UPDATE", view, guild.id)])
        return view

    async def delete_channel(self, req: ApiRequest) -> Any:
        emu = self._emu
        channel = emu._channel(req.params["channel_id"])
        guild = emu._guild_of(channel)
        channel_id = int(channel["id"])
        del emu._channels[channel_id]
        for message_id in list(emu._channel_messages.pop(channel_id, [])):
            emu._messages.pop(message_id, None)
        if emu._is_thread(channel):
            emu._thread_members.pop(channel_id, None)
            await emu._emit_all([_event("THREAD_DELETE", {
                "id": channel["id"], "guild_id": channel["guild_id"],
                "parent_id": channel["parent_id"], "type": channel["type"]}, guild.id)])
        else:
            guild.channel_ids.remove(channel_id)
            await emu._emit_all([_event("CHANNEL_DELETE", copy.deepcopy(channel), guild.id)])
        return copy.deepcopy(channel)

    async def typing(self, req: ApiRequest) -> Any:
        self._emu._channel(req.params["channel_id"])
        return None

    # ---- messages ------------------------------------------------------------------------------

    async def list_messages(self, req: ApiRequest) -> Any:
        emu = self._emu
        channel = emu._channel(req.params["channel_id"])
        try:
            limit = int(req.query.get("limit", 50))
        except ValueError:
            limit = -1
        if not 1 <= limit <= 100:
            raise invalid_form_body({"limit": {"_errors": [{
                "code": "NUMBER_TYPE_MAX" if limit > 100 else "NUMBER_TYPE_MIN",
                "message": "int value should be between 1 and 100."}]}})
        ids = list(emu._channel_messages.get(int(channel["id"]), []))
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
        return [emu.render_message(emu._messages[i]) for i in sorted(chosen, reverse=True)]

    async def get_message(self, req: ApiRequest) -> Any:
        emu = self._emu
        emu._channel(req.params["channel_id"])
        return emu.render_message(emu._message(req.params["message_id"], req.params["channel_id"]))

    async def create_message(self, req: ApiRequest) -> Any:
        emu = self._emu
        channel = emu._channel(req.params["channel_id"])
        guild = emu._guild_of(channel)
        body = req.body or {}
        self._check_message_body(body, len(req.files), creating=True)
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            seen = emu._nonces.get((int(channel["id"]), str(nonce)))
            if seen is not None and seen in emu._messages:
                log.info("nonce %s already used: returning message %s", nonce, seen)
                return emu.render_message(emu._messages[seen])
        events = emu._check_can_post(channel, emu.bot_user_id)
        if body.get("poll") and not guild.permissions_of(emu.bot_user_id) & Permissions.SEND_POLLS:
            raise ApiError(403, ErrorCode.MISSING_PERMISSIONS, "Missing Permissions")
        reference = None
        message_type = MessageType.DEFAULT
        ref = body.get("message_reference")
        if ref:
            target = emu._messages.get(int(ref["message_id"]))
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
        attachments, new = self._attachments(int(channel["id"]), body, req.files, [])
        extra: dict[str, Any] = {}
        if nonce is not None:
            extra["nonce"] = nonce
        msg = emu._new_message(
            channel, self._bot, body.get("content") or "", embeds=body.get("embeds"),
            attachments=attachments, message_type=message_type,
            flags=int(body.get("flags") or 0) & _SETTABLE_FLAGS & ~MessageFlags.EPHEMERAL,
            reference=reference, allowed_mentions=body.get("allowed_mentions"), extra=extra,
        )
        msg["tts"] = bool(body.get("tts"))
        msg["components"] = copy.deepcopy(body.get("components") or [])
        if body.get("poll"):
            msg["poll"] = create_poll(body["poll"])  # issue 17
        emu._store_message(msg)
        self._store_files(msg, new)
        if nonce is not None:
            emu._nonces[(int(channel["id"]), str(nonce))] = int(msg["id"])
        events.append(_event("MESSAGE_CREATE", emu.event_message(msg), guild.id, content=True))
        await emu._emit_all(events)
        return emu.render_message(msg)

    async def edit_message(self, req: ApiRequest) -> Any:
        emu = self._emu
        channel = emu._channel(req.params["channel_id"])
        msg = emu._message(req.params["message_id"], channel["id"])
        body = req.body or {}
        if msg["author"]["id"] != str(emu.bot_user_id) and set(body) - {"flags"}:
            raise ApiError(403, ErrorCode.CANNOT_EDIT_OTHERS_MESSAGE,
                           "Cannot edit a message authored by another user", problem=True)
        new = self._apply_edit(msg, body, req.files)
        msg["edited_timestamp"] = now_iso()
        self._store_files(msg, new)
        payload = emu.event_message(msg)
        await emu._emit_all([_event("MESSAGE_UPDATE", payload, int(channel["guild_id"]),
                                    content=True)])
        return emu.render_message(msg)

    async def delete_message(self, req: ApiRequest) -> Any:
        emu = self._emu
        channel = emu._channel(req.params["channel_id"])
        msg = emu._message(req.params["message_id"], channel["id"])
        guild = emu._guild_of(channel)
        if msg["author"]["id"] != str(emu.bot_user_id) \
                and not emu.permissions_in(emu.bot_user_id, channel["id"]) \
                & Permissions.MANAGE_MESSAGES:
            raise ApiError(403, ErrorCode.MISSING_PERMISSIONS, "Missing Permissions")
        if msg["type"] == MessageType.THREAD_STARTER_MESSAGE:
            raise ApiError(400, 50021, "Cannot execute action on a system message", problem=True)
        emu._remove_message(int(msg["id"]))
        await emu._emit_all([_event("MESSAGE_DELETE", {
            "id": msg["id"], "channel_id": msg["channel_id"], "guild_id": str(guild.id)},
            guild.id)])
        return None

    async def bulk_delete(self, req: ApiRequest) -> Any:
        emu = self._emu
        channel = emu._channel(req.params["channel_id"])
        ids = [str(i) for i in req.body["messages"]]
        if not 2 <= len(ids) <= 100:
            raise invalid_form_body({"messages": {"_errors": [{
                "code": "BASE_TYPE_BAD_LENGTH",
                "message": "Must be between 2 and 100 in length."}]}})
        if len(set(ids)) != len(ids):
            raise invalid_form_body({"messages": {"_errors": [{
                "code": "BASE_TYPE_DUPLICATES", "message": "Duplicate message ids"}]}})
        for raw in ids:
            emu._message(raw, channel["id"])
        for raw in ids:
            emu._remove_message(int(raw))
        await emu._emit_all([_event("MESSAGE_DELETE_BULK", {
            "ids": ids, "channel_id": channel["id"], "guild_id": channel["guild_id"]},
            int(channel["guild_id"]))])
        return None

    async def list_pins(self, req: ApiRequest) -> Any:
        emu = self._emu
        channel = emu._channel(req.params["channel_id"])
        pinned = [i for i in emu._channel_messages.get(int(channel["id"]), [])
                  if emu._messages[i]["pinned"]]
        pinned.sort(key=lambda i: self._pinned_at.get(i, ""), reverse=True)
        return {"items": [{"pinned_at": self._pinned_at.get(i),
                           "message": emu.render_message(emu._messages[i])} for i in pinned],
                "has_more": False}

    async def pin(self, req: ApiRequest) -> Any:
        return await self._set_pinned(req, True)

    async def unpin(self, req: ApiRequest) -> Any:
        return await self._set_pinned(req, False)

    async def _set_pinned(self, req: ApiRequest, pinned: bool) -> None:
        emu = self._emu
        channel = emu._channel(req.params["channel_id"])
        msg = emu._message(req.params["message_id"], channel["id"])
        guild = emu._guild_of(channel)
        if msg["pinned"] == pinned:
            return None
        msg["pinned"] = pinned
        events: list[Event] = []
        if pinned:
            self._pinned_at[int(msg["id"])] = now_iso()
            notice = emu._new_message(
                channel, self._bot, "", message_type=MessageType.CHANNEL_PINNED_MESSAGE,
                reference={"type": 0, "message_id": msg["id"], "channel_id": channel["id"],
                           "guild_id": str(guild.id)})
            emu._store_message(notice)
            events.append(_event("MESSAGE_CREATE", emu.event_message(notice), guild.id,
                                 content=True))
        else:
            self._pinned_at.pop(int(msg["id"]), None)
        last = max((self._pinned_at[i] for i in emu._channel_messages.get(int(channel["id"]), [])
                    if i in self._pinned_at), default=None)
        channel["last_pin_timestamp"] = last
        events.append(_event("MESSAGE_UPDATE", emu.event_message(msg), guild.id, content=True))
        events.append(_event("CHANNEL_PINS_UPDATE", {
            "guild_id": str(guild.id), "channel_id": channel["id"],
            "last_pin_timestamp": last}, guild.id))
        await emu._emit_all(events)
        return None

    # ---- reactions -----------------------------------------------------------------------------

    def _reaction_target(self, req: ApiRequest, *, with_emoji: bool = True
                         ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        emu = self._emu
        channel = emu._channel(req.params["channel_id"])
        msg = emu._message(req.params["message_id"], channel["id"])
        if not with_emoji:
            return msg, None
        emoji = parse_emoji(req.params["emoji_name"])
        if emoji is None:
            raise ApiError(400, ErrorCode.UNKNOWN_EMOJI, "Unknown Emoji", problem=True)
        return msg, emoji

    async def add_own_reaction(self, req: ApiRequest) -> Any:
        msg, emoji = self._reaction_target(req)
        assert emoji is not None
        await self._emu._emit_all(self._emu._add_reaction(self._emu.bot_user_id, msg, emoji))
        return None

    async def remove_own_reaction(self, req: ApiRequest) -> Any:
        msg, emoji = self._reaction_target(req)
        assert emoji is not None
        await self._emu._emit_all(self._emu._remove_reaction(self._emu.bot_user_id, msg, emoji))
        return None

    async def remove_user_reaction(self, req: ApiRequest) -> Any:
        msg, emoji = self._reaction_target(req)
        assert emoji is not None
        self._require_manage_messages(msg)
        await self._emu._emit_all(
            self._emu._remove_reaction(int(req.params["user_id"]), msg, emoji))
        return None

    def _require_manage_messages(self, msg: Mapping[str, Any]) -> None:
        emu = self._emu
        if not emu.permissions_in(emu.bot_user_id, msg["channel_id"]) \
                & Permissions.MANAGE_MESSAGES:
            raise ApiError(403, ErrorCode.MISSING_PERMISSIONS, "Missing Permissions")

    async def clear_reactions(self, req: ApiRequest) -> Any:
        msg, _ = self._reaction_target(req, with_emoji=False)
        self._require_manage_messages(msg)
        await self._emu._emit_all([self._emu._clear_all_event(msg)])
        return None

    async def clear_reaction_emoji(self, req: ApiRequest) -> Any:
        msg, emoji = self._reaction_target(req)
        assert emoji is not None
        self._require_manage_messages(msg)
        await self._emu._emit_all([self._emu._clear_emoji_event(msg, emoji)])
        return None

    async def reaction_users(self, req: ApiRequest) -> Any:
        emu = self._emu
        msg, emoji = self._reaction_target(req)
        assert emoji is not None
        from .payloads import emoji_key

        entry = emu._reactions.get(int(msg["id"]), {}).get(emoji_key(emoji))
        users = sorted(entry[1]) if entry else []
        after = int(req.query.get("after", 0))
        limit = int(req.query.get("limit", 25))
        return [emu._users[u].payload() for u in users if u > after][:limit]

    # ---- threads -------------------------------------------------------------------------------

    async def thread_from_message(self, req: ApiRequest) -> Any:
        emu = self._emu
        channel = emu._channel(req.params["channel_id"])
        msg = emu._message(req.params["message_id"], channel["id"])
        body = req.body or {}
        errors = thread_name_errors(body.get("name"))
        if errors:
            raise invalid_form_body(errors)
        thread, events = emu.create_thread_from_message(
            emu.bot_user_id, msg, body["name"],
            auto_archive_duration=body.get("auto_archive_duration"),
            rate_limit_per_user=body.get("rate_limit_per_user"))
        await emu._emit_all(events)
        return Created(emu._thread_view(thread))

    async def create_thread(self, req: ApiRequest) -> Any:
        emu = self._emu
        channel = emu._channel(req.params["channel_id"])
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
                self._check_message_body(message, len(req.files), creating=True)
            except ApiError as exc:
                if exc.errors:
                    exc.errors = {"message": exc.errors}
                raise
            attachments, new = self._attachments(int(channel["id"]), message, req.files, [])
            thread, first, events = emu.create_forum_post(
                emu.bot_user_id, channel, body["name"], message, attachments=attachments,
                applied_tags=[str(t) for t in body.get("applied_tags") or []],
                auto_archive_duration=body.get("auto_archive_duration"),
                rate_limit_per_user=body.get("rate_limit_per_user"))
            self._store_files(first, new)
            await emu._emit_all(events)
            view = emu._thread_view(thread)
            view["message"] = emu.render_message(first)
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
        thread, events = emu.create_thread_in_channel(
            emu.bot_user_id, channel, body["name"], thread_type=thread_type,
            auto_archive_duration=body.get("auto_archive_duration"),
            rate_limit_per_user=body.get("rate_limit_per_user"),
            invitable=body.get("invitable", True) is not False)
        await emu._emit_all(events)
        return Created(emu._thread_view(thread))

    def _thread_list(self, threads: list[dict[str, Any]]) -> dict[str, Any]:
        emu = self._emu
        members = []
        for thread in threads:
            joined = emu._thread_members.get(int(thread["id"]), {}).get(emu.bot_user_id)
            if joined is not None:
                members.append(thread_member_payload(int(thread["id"]), emu.bot_user_id, joined))
        return {"threads": [emu._thread_view(t) for t in threads], "members": members}

    async def active_threads(self, req: ApiRequest) -> Any:
        emu = self._emu
        guild = emu._guild(req.params["guild_id"])
        threads = [t for t in emu._channels.values()
                   if emu._is_thread(t) and t["guild_id"] == str(guild.id)
                   and not t["thread_metadata"]["archived"]]
        return self._thread_list(threads)

    async def archived_threads(self, req: ApiRequest) -> Any:
        emu = self._emu
        channel = emu._channel(req.params["channel_id"])
        threads = [t for t in emu._channels.values()
                   if emu._is_thread(t) and t["parent_id"] == channel["id"]
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

    async def join_thread(self, req: ApiRequest) -> Any:
        emu = self._emu
        thread = emu._channel(req.params["channel_id"])
        if not emu._is_thread(thread):
            raise ApiError(400, 50024, "Cannot execute action on this channel type", problem=True)
        if thread["thread_metadata"]["archived"]:
            raise ApiError(400, ErrorCode.THREAD_ARCHIVED, "Thread is archived")
        if emu._join_thread(int(thread["id"]), emu.bot_user_id):
            member = thread_member_payload(int(thread["id"]), emu.bot_user_id,
                                           emu._thread_members[int(thread["id"])][emu.bot_user_id])
            member["guild_id"] = thread["guild_id"]
            await emu._emit_all([_event("THREAD_MEMBER_UPDATE", member, int(thread["guild_id"]))])
        return None

    async def leave_thread(self, req: ApiRequest) -> Any:
        emu = self._emu
        thread = emu._channel(req.params["channel_id"])
        members = emu._thread_members.get(int(thread["id"]), {})
        members.pop(emu.bot_user_id, None)
        if emu._is_thread(thread):
            thread["member_count"] = min(len(members), 50)
        return None

    def _thread_and_member(self, req: ApiRequest) -> tuple[dict[str, Any], int]:
        emu = self._emu
        thread = emu._channel(req.params["channel_id"])
        if not emu._is_thread(thread):
            raise ApiError(400, 50024, "Cannot execute action on this channel type", problem=True)
        member = emu._member(emu._guild_of(thread), req.params["user_id"])
        return thread, member.user.id

    async def thread_member(self, req: ApiRequest) -> Any:
        thread, user_id = self._thread_and_member(req)
        joined = self._emu._thread_members.get(int(thread["id"]), {}).get(user_id)
        if joined is None:
            raise ApiError(404, ErrorCode.UNKNOWN_MEMBER, "Unknown Member")
        return thread_member_payload(int(thread["id"]), user_id, joined)

    async def add_thread_member(self, req: ApiRequest) -> Any:
        emu = self._emu
        thread, user_id = self._thread_and_member(req)
        if thread["thread_metadata"]["archived"]:
            raise ApiError(400, ErrorCode.THREAD_ARCHIVED, "Thread is archived")
        if emu._join_thread(int(thread["id"]), user_id):
            joined = emu._thread_members[int(thread["id"])][user_id]
            added = thread_member_payload(int(thread["id"]), user_id, joined)
            added["member"] = emu._guild_of(thread).members[user_id].payload()
            added["presence"] = None
            await emu._emit_all([_event("THREAD_MEMBERS_UPDATE", {
                "id": thread["id"], "guild_id": thread["guild_id"],
                "member_count": thread["member_count"], "added_members": [added]},
                int(thread["guild_id"]))])
        return None

    async def remove_thread_member(self, req: ApiRequest) -> Any:
        emu = self._emu
        thread, user_id = self._thread_and_member(req)
        members = emu._thread_members.get(int(thread["id"]), {})
        if members.pop(user_id, None) is not None:
            thread["member_count"] = min(len(members), 50)
            await emu._emit_all([_event("THREAD_MEMBERS_UPDATE", {
                "id": thread["id"], "guild_id": thread["guild_id"],
                "member_count": thread["member_count"], "removed_member_ids": [str(user_id)]},
                int(thread["guild_id"]))])
        return None

    async def thread_members(self, req: ApiRequest) -> Any:
        emu = self._emu
        thread = emu._channel(req.params["channel_id"])
        return [thread_member_payload(int(thread["id"]), user, joined)
                for user, joined in emu._thread_members.get(int(thread["id"]), {}).items()]

    # ---- guilds --------------------------------------------------------------------------------

    async def get_guild(self, req: ApiRequest) -> Any:
        emu = self._emu
        guild = emu._guild(req.params["guild_id"])
        data = emu.guild_payload(guild)
        if req.query.get("with_counts") in ("1", "true", "True"):
            data["approximate_member_count"] = len(guild.members)
            data["approximate_presence_count"] = 0
        return data

    async def guild_channels(self, req: ApiRequest) -> Any:
        emu = self._emu
        guild = emu._guild(req.params["guild_id"])
        return [copy.deepcopy(emu._channels[c]) for c in guild.channel_ids]

    async def guild_members(self, req: ApiRequest) -> Any:
        emu = self._emu
        guild = emu._guild(req.params["guild_id"])
        after = int(req.query.get("after", 0))
        limit = int(req.query.get("limit", 1))
        ids = sorted(u for u in guild.members if u > after)[:limit]
        return [guild.members[u].payload() for u in ids]

    async def guild_member(self, req: ApiRequest) -> Any:
        emu = self._emu
        guild = emu._guild(req.params["guild_id"])
        return emu._member(guild, req.params["user_id"]).payload()

    async def guild_roles(self, req: ApiRequest) -> Any:
        guild = self._emu._guild(req.params["guild_id"])
        return [copy.deepcopy(r) for r in guild.roles.values()]

    # ---- interactions and their webhooks -------------------------------------------------------

    async def interaction_callback(self, req: ApiRequest) -> Any:
        emu = self._emu
        record = emu._interactions.get(int(req.params["interaction_id"])) \
            if req.params["interaction_id"].isdigit() else None
        if record is None or record.token != req.params["interaction_token"]:
            raise ApiError(404, ErrorCode.UNKNOWN_INTERACTION, "Unknown interaction", problem=True)
        if record.response_type is not None:
            raise ApiError(400, ErrorCode.INTERACTION_ALREADY_ACKNOWLEDGED,
                           "Interaction has already been acknowledged.", problem=True)
        deadline = emu.interaction_deadline
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
            self._check_message_body(data, len(req.files), creating=True)
            flags = int(data.get("flags") or 0) & _SETTABLE_FLAGS
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
                new = self._apply_edit(source, data, req.files)
                self._store_files(source, new)
                record.files.extend(new)
                if not source["flags"] & MessageFlags.EPHEMERAL:
                    events = [_event("MESSAGE_UPDATE", emu.event_message(source),
                                     record.guild_id, content=True)]
                message = source
            record.original = source
        elif kind == 8:
            record.choices = copy.deepcopy(data.get("choices") or [])
        record.response_type = kind
        record.response = copy.deepcopy(data)
        req.touched.append(record)
        await emu._emit_all(events)
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
            answer["resource"]["message"] = emu.render_message(message)
        return answer

    def _interaction_message(
        self, record: InteractionRecord, data: Mapping[str, Any], files: list[Upload], flags: int,
    ) -> tuple[dict[str, Any], list[Event]]:
        """A message the bot sends through an interaction (original response or follow-up)."""
        emu = self._emu
        channel = emu._channels[record.channel_id]
        member = record.payload["member"]
        attachments, new = self._attachments(record.channel_id, data, files, [])
        extra = {
            "webhook_id": str(emu.application_id),
            "application_id": str(emu.application_id),
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
        msg = emu._new_message(
            channel, self._bot, data.get("content") or "", embeds=data.get("embeds"),
            attachments=attachments, message_type=MessageType.CHAT_INPUT_COMMAND, flags=flags,
            allowed_mentions=data.get("allowed_mentions"), extra=extra,
        )
        msg["tts"] = bool(data.get("tts"))
        msg["components"] = copy.deepcopy(data.get("components") or [])
        self._store_files(msg, new)
        record.files.extend(new)
        if flags & MessageFlags.EPHEMERAL:
            emu._ephemeral[int(msg["id"])] = msg
            return msg, []
        emu._store_message(msg)
        return msg, [_event("MESSAGE_CREATE", emu.event_message(msg), record.guild_id,
                            content=True)]

    def _webhook_record(self, req: ApiRequest) -> InteractionRecord:
        record = self._emu.interaction_by_token(req.params["webhook_token"])
        if record is None or req.params["webhook_id"] != str(self._emu.application_id):
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

    async def execute_webhook(self, req: ApiRequest) -> Any:
        emu = self._emu
        record = self._webhook_record(req)
        body = req.body or {}
        self._check_message_body(body, len(req.files), creating=True)
        original = record.original
        if record.response_type == 5 and original is not None \
                and original["flags"] & MessageFlags.LOADING:
            # The first follow-up after a deferral fills in the "thinking..." message.
            new = self._apply_edit(original, body, req.files)
            original["flags"] &= ~MessageFlags.LOADING
            self._store_files(original, new)
            record.files.extend(new)
            message = original
            events = [] if original["flags"] & MessageFlags.EPHEMERAL else [
                _event("MESSAGE_UPDATE", emu.event_message(original), record.guild_id,
                       content=True)]
        else:
            flags = int(body.get("flags") or 0) & _SETTABLE_FLAGS
            message, events = self._interaction_message(record, body, req.files, flags)
        record.followups.append(message)
        req.touched.append(record)
        await emu._emit_all(events)
        if req.query.get("wait") in ("1", "true", "True"):
            return emu.render_message(message)
        return None

    async def get_webhook_message(self, req: ApiRequest) -> Any:
        record = self._webhook_record(req)
        return self._emu.render_message(self._webhook_message(req, record))

    async def edit_webhook_message(self, req: ApiRequest) -> Any:
        emu = self._emu
        record = self._webhook_record(req)
        msg = self._webhook_message(req, record)
        new = self._apply_edit(msg, req.body or {}, req.files)
        if msg["flags"] & MessageFlags.LOADING:
            msg["flags"] &= ~MessageFlags.LOADING
        else:
            msg["edited_timestamp"] = now_iso()
        self._store_files(msg, new)
        record.files.extend(new)
        req.touched.append(record)
        if not msg["flags"] & MessageFlags.EPHEMERAL:
            await emu._emit_all([_event("MESSAGE_UPDATE", emu.event_message(msg),
                                        record.guild_id, content=True)])
        return emu.render_message(msg)

    async def delete_webhook_message(self, req: ApiRequest) -> Any:
        emu = self._emu
        record = self._webhook_record(req)
        msg = self._webhook_message(req, record)
        if msg is record.original:
            record.original = None
            record.original_deleted = True
        if msg in record.followups:
            record.followups.remove(msg)
        req.touched.append(record)
        if msg["flags"] & MessageFlags.EPHEMERAL:
            emu._ephemeral.pop(int(msg["id"]), None)
            return None
        emu._remove_message(int(msg["id"]))
        await emu._emit_all([_event("MESSAGE_DELETE", {
            "id": msg["id"], "channel_id": msg["channel_id"], "guild_id": str(record.guild_id)},
            record.guild_id)])
        return None


def _event(name: str, data: Any, guild_id: int | None, *, content: bool = False) -> Event:
    from .emulator import Event

    return Event(name, data, guild_id, content)

