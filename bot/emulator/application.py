"""The application: its bot user, the users it looks up, and its application commands
(``/applications/{app}/commands``, global and per guild) with the rules Discord enforces on
them beyond the schema."""

from __future__ import annotations

import copy
import hashlib
import logging
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .constants import ErrorCode
from .rest import Created
from .validation import ApiError, add_error, invalid_form_body

if TYPE_CHECKING:
    from .model import DiscordModel
    from .rest import ApiRequest

log = logging.getLogger(__name__)

_COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$")


class Application:
    """The bot's application and its registered commands (``DiscordModel.commands``)."""

    def __init__(self, model: DiscordModel) -> None:
        self.model = model

    def routes(self, add: Callable[..., None]) -> None:
        """Register the REST routes of users, the application and its commands."""
        add("GET", "/users/@me", self.rest_get_me)
        add("GET", "/users/{user_id}", self.rest_get_user)
        add("GET", "/oauth2/applications/@me", self.rest_get_application)
        add("GET", "/applications/@me", self.rest_get_application)
        for prefix in ("/applications/{application_id}",
                       "/applications/{application_id}/guilds/{guild_id}"):
            add("GET", prefix + "/commands", self.rest_list_commands)
            add("PUT", prefix + "/commands", self.rest_put_commands)
            add("POST", prefix + "/commands", self.rest_post_command)
            add("GET", prefix + "/commands/{command_id}", self.rest_get_command)
            add("PATCH", prefix + "/commands/{command_id}", self.rest_patch_command)
            add("DELETE", prefix + "/commands/{command_id}", self.rest_delete_command)

    def _check_app(self, req: ApiRequest) -> int | None:
        if req.params["application_id"] != str(self.model.application_id):
            raise ApiError(403, ErrorCode.MISSING_ACCESS, "Missing Access", problem=True)
        guild_id = req.params.get("guild_id")
        if guild_id is None:
            return None
        return self.model.guild(guild_id).id

    async def rest_get_me(self, req: ApiRequest) -> Any:
        data = self.model.bot_user.payload()
        data.update(verified=True, mfa_enabled=False, email=None, locale="en-US")
        return data

    async def rest_get_user(self, req: ApiRequest) -> Any:
        user = self.model.users.get(int(req.params["user_id"]))
        if user is None:
            raise ApiError(404, ErrorCode.UNKNOWN_USER, "Unknown User")
        return user.payload()

    async def rest_get_application(self, req: ApiRequest) -> Any:
        model = self.model
        owner = next((g.owner_id for g in model.guilds.values()), None)
        owner_payload = (model.users[owner].payload() if owner is not None
                         else model.bot_user.payload())
        return {
            "id": str(model.application_id),
            "name": model.bot_user.username,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "hook": True,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": hashlib.sha256(model.token.encode()).hexdigest(),
            "flags": 0,
            "owner": owner_payload,
            "team": None,
            "bot": model.bot_user.payload(),
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "approximate_guild_count": len(model.guilds),
            "integration_types_config": {"0": {}},
        }

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
        model = self.model
        kind = cmd.get("type") or 1
        perms = cmd.get("default_member_permissions")
        data = {
            "id": existing["id"] if existing else str(model.ids.next()),
            "application_id": str(model.application_id),
            "version": str(model.ids.next()),
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

    async def rest_list_commands(self, req: ApiRequest) -> Any:
        guild_id = self._check_app(req)
        return copy.deepcopy(self.model.commands.get(guild_id, []))

    async def rest_put_commands(self, req: ApiRequest) -> Any:
        guild_id = self._check_app(req)
        body = req.body
        errors = self._command_errors(body)
        if errors:
            raise invalid_form_body(errors)
        old = {(c["name"], c["type"]): c for c in self.model.commands.get(guild_id, [])}
        stored = [self._stored_command(guild_id, c, old.get((c["name"], c.get("type") or 1)))
                  for c in body]
        self.model.commands[guild_id] = stored
        log.info("synced %d command(s) to %s", len(stored), guild_id or "global")
        return copy.deepcopy(stored)

    async def rest_post_command(self, req: ApiRequest) -> Any:
        guild_id = self._check_app(req)
        errors = self._command_errors([req.body])
        if errors:
            raise invalid_form_body({k: v for k, v in errors.get("0", {}).items()})
        commands = self.model.commands.setdefault(guild_id, [])
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
        commands = self.model.commands.setdefault(guild_id, [])
        cmd = next((c for c in commands if c["id"] == req.params["command_id"]), None)
        if cmd is None:
            raise ApiError(404, ErrorCode.UNKNOWN_APPLICATION_COMMAND,
                           "Unknown application command")
        return commands, cmd

    async def rest_get_command(self, req: ApiRequest) -> Any:
        return copy.deepcopy(self._find_command(req)[1])

    async def rest_patch_command(self, req: ApiRequest) -> Any:
        commands, cmd = self._find_command(req)
        merged = {**cmd, **req.body}
        errors = self._command_errors([merged])
        if errors:
            raise invalid_form_body(errors.get("0", {}))
        stored = self._stored_command(int(cmd["guild_id"]) if "guild_id" in cmd else None,
                                      merged, cmd)
        commands[commands.index(cmd)] = stored
        return copy.deepcopy(stored)

    async def rest_delete_command(self, req: ApiRequest) -> Any:
        commands, cmd = self._find_command(req)
        commands.remove(cmd)
        return None
