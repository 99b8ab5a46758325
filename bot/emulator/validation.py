"""Request checks: Discord's OpenAPI schemas plus the documented limits the schemas leave out.

The vendored spec (``openapi/openapi.json``, 1.2 MB) is parsed once per process, on first
use; a validator per operation is built on first use and cached.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .constants import ErrorCode

log = logging.getLogger(__name__)

SPEC_PATH = Path(__file__).parent / "openapi" / "openapi.json"
_SPEC_URI = "urn:discord:openapi"

# Documented limits (https://discord.com/developers/docs/resources/message) for bot messages.
CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_AUTHOR_MAX = 256
EMBED_TOTAL_MAX = 6000
THREAD_NAME_MAX = 100

_KEYWORD_CODES = {
    "maxLength": "BASE_TYPE_MAX_LENGTH",
    "minLength": "BASE_TYPE_MIN_LENGTH",
    "maxItems": "BASE_TYPE_MAX_LENGTH",
    "minItems": "BASE_TYPE_MIN_LENGTH",
    "maximum": "NUMBER_TYPE_MAX",
    "minimum": "NUMBER_TYPE_MIN",
    "required": "BASE_TYPE_REQUIRED",
    "type": "BASE_TYPE_BAD_TYPE",
    "enum": "BASE_TYPE_CHOICES",
    "const": "BASE_TYPE_CHOICES",
    "pattern": "BASE_TYPE_BAD_FORMAT",
}


class ApiError(Exception):
    """An error answer in Discord's JSON shape; ``problem`` marks it as the bot's fault."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        errors: dict[str, Any] | None = None,
        *,
        problem: bool = False,
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.problem = problem

    def body(self) -> dict[str, Any]:
        """The JSON body Discord would send."""
        data: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            data["errors"] = self.errors
        return data


def invalid_form_body(errors: dict[str, Any]) -> ApiError:
    """Discord's 400 for a body that breaks the schema or a documented limit."""
    return ApiError(400, ErrorCode.INVALID_FORM_BODY, "Invalid Form Body", errors, problem=True)


def add_error(tree: dict[str, Any], path: Iterable[str | int], code: str, message: str) -> None:
    """Put one error at ``path`` in Discord's nested ``{"a": {"0": {"_errors": [...]}}}`` tree."""
    node = tree
    for part in path:
        node = node.setdefault(str(part), {})
    node.setdefault("_errors", []).append({"code": code, "message": message})


class OpenApiSpec:
    """Discord's OpenAPI description, with a cached body validator per operation."""

    _shared: ClassVar[OpenApiSpec | None] = None
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, path: Path = SPEC_PATH) -> None:
        with path.open(encoding="utf-8") as fh:
            spec = json.load(fh)
        schemas = spec["components"]["schemas"]
        # The spec types snowflakes as decimal strings only, but Discord accepts JSON
        # integers for them and discord.py sends some that way (attachment ids, reply
        # references), so an integer snowflake is valid too.
        schemas["SnowflakeType"] = {
            "anyOf": [schemas["SnowflakeType"], {"type": "integer", "minimum": 0}]
        }
        self._spec = spec
        resource = Resource.from_contents(spec, default_specification=DRAFT202012)
        self._registry: Registry = Registry().with_resource(_SPEC_URI, resource)
        self._validators: dict[tuple[str, str], Draft202012Validator | None] = {}
        self._lock = threading.Lock()

    @classmethod
    def shared(cls) -> OpenApiSpec:
        """The process-wide instance, loaded on first call."""
        with cls._shared_lock:
            if cls._shared is None:
                log.debug("loading Discord OpenAPI spec from %s", SPEC_PATH)
                cls._shared = cls()
            return cls._shared

    def has_operation(self, template: str, method: str) -> bool:
        """Whether the spec documents ``method template``."""
        return method.lower() in self._spec["paths"].get(template, {})

    def body_expected(self, template: str, method: str) -> bool:
        """Whether the operation takes a request body at all."""
        op = self._spec["paths"].get(template, {}).get(method.lower(), {})
        return "requestBody" in op

    def body_required(self, template: str, method: str) -> bool:
        """Whether the operation needs a request body."""
        op = self._spec["paths"].get(template, {}).get(method.lower(), {})
        return bool(op.get("requestBody", {}).get("required"))

    def _validator(self, template: str, method: str) -> Draft202012Validator | None:
        key = (template, method.lower())
        with self._lock:
            if key in self._validators:
                return self._validators[key]
            validator = None
            op = self._spec["paths"].get(template, {}).get(method.lower(), {})
            content = op.get("requestBody", {}).get("content", {})
            media = next(
                (m for m in ("application/json", "multipart/form-data") if m in content), None
            )
            if media is not None:
                pointer = "/".join(
                    _escape_pointer(part)
                    for part in ("paths", template, method.lower(), "requestBody", "content", media,
                                 "schema")
                )
                validator = Draft202012Validator(
                    {"$ref": f"{_SPEC_URI}#/{pointer}"}, registry=self._registry
                )
            self._validators[key] = validator
            return validator

    def body_errors(self, template: str, method: str, body: Any) -> dict[str, Any] | None:
        """Discord-shaped ``errors`` for a body that breaks the operation's schema, else None."""
        validator = self._validator(template, method)
        if validator is None:
            return None
        found = list(validator.iter_errors(body))
        if not found:
            return None
        tree: dict[str, Any] = {}
        for error in found:
            _add_schema_error(tree, error)
        return tree


def _escape_pointer(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _leaves(error: ValidationError) -> list[ValidationError]:
    """The errors that explain ``error``: for anyOf/oneOf, those of the closest branch.

    The closest branch is the one whose errors lie deepest in the instance (a union of
    callback types fails on ``type`` in every branch but the one the bot meant).
    """
    if not error.context:
        return [error]
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    if error.validator not in ("anyOf", "oneOf") or len(branches) < 2:
        return _leaves(best_match(error.context))
    candidates = [[leaf for sub in errs for leaf in _leaves(sub)] for errs in branches.values()]
    return max(candidates, key=lambda leaves: (max(map(_depth, leaves)), -len(leaves)))


def _depth(leaf: ValidationError) -> int:
    """How far into the instance an error points; "is not null" branches rank last."""
    if leaf.validator == "type" and leaf.validator_value == "null":
        return -1
    return len(leaf.absolute_path) + (1 if leaf.validator == "required" else 0)


def _describe(leaf: ValidationError) -> str:
    value = leaf.validator_value
    if leaf.validator in ("maxLength", "maxItems"):
        return f"Must be {value} or fewer in length."
    if leaf.validator in ("minLength", "minItems"):
        return f"Must be {value} or more in length."
    if leaf.validator == "maximum":
        return f"int value should be less than or equal to {value}."
    if leaf.validator == "minimum":
        return f"int value should be greater than or equal to {value}."
    if leaf.validator == "type":
        return f"Value must be of type {value}."
    if leaf.validator in ("enum", "const"):
        return f"Value must be one of {value}."
    message = leaf.message
    return message if len(message) <= 200 else message[:197] + "..."


def _add_schema_error(tree: dict[str, Any], error: ValidationError) -> None:
    for leaf in _leaves(error):
        path = list(leaf.absolute_path)
        code = _KEYWORD_CODES.get(str(leaf.validator), "BASE_TYPE_INVALID")
        if leaf.validator == "required" and isinstance(leaf.instance, Mapping):
            for name in leaf.validator_value:
                if name not in leaf.instance:
                    add_error(tree, [*path, name], code, "This field is required")
            continue
        add_error(tree, path, code, _describe(leaf))


def message_limit_errors(body: Mapping[str, Any]) -> dict[str, Any]:
    """Errors for message content and embeds beyond Discord's documented limits."""
    tree: dict[str, Any] = {}
    content = body.get("content")
    if isinstance(content, str) and len(content) > CONTENT_MAX:
        add_error(tree, ["content"], "BASE_TYPE_MAX_LENGTH",
                  f"Must be {CONTENT_MAX} or fewer in length.")
    embeds = body.get("embeds") or []
    if not isinstance(embeds, list):
        return tree
    if len(embeds) > EMBEDS_MAX:
        add_error(tree, ["embeds"], "BASE_TYPE_MAX_LENGTH",
                  f"Must be {EMBEDS_MAX} or fewer in length.")
    total = 0
    for index, embed in enumerate(embeds):
        if not isinstance(embed, Mapping):
            continue
        total += _check_embed(tree, index, embed)
    if total > EMBED_TOTAL_MAX:
        add_error(tree, ["embeds"], "MAX_EMBED_SIZE_EXCEEDED",
                  f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}")
    return tree


def _check_embed(tree: dict[str, Any], index: int, embed: Mapping[str, Any]) -> int:
    """Check one embed's text limits; return how many characters count towards the total."""
    total = 0

    def check(path: list[str | int], value: Any, limit: int) -> None:
        nonlocal total
        if not isinstance(value, str):
            return
        total += len(value)
        if len(value) > limit:
            add_error(tree, ["embeds", index, *path], "BASE_TYPE_MAX_LENGTH",
                      f"Must be {limit} or fewer in length.")

    check(["title"], embed.get("title"), EMBED_TITLE_MAX)
    check(["description"], embed.get("description"), EMBED_DESCRIPTION_MAX)
    footer = embed.get("footer")
    if isinstance(footer, Mapping):
        check(["footer", "text"], footer.get("text"), EMBED_FOOTER_MAX)
    author = embed.get("author")
    if isinstance(author, Mapping):
        check(["author", "name"], author.get("name"), EMBED_AUTHOR_MAX)
    fields = embed.get("fields") or []
    if isinstance(fields, list):
        if len(fields) > EMBED_FIELDS_MAX:
            add_error(tree, ["embeds", index, "fields"], "BASE_TYPE_MAX_LENGTH",
                      f"Must be {EMBED_FIELDS_MAX} or fewer in length.")
        for f_index, field in enumerate(fields):
            if isinstance(field, Mapping):
                check(["fields", f_index, "name"], field.get("name"), EMBED_FIELD_NAME_MAX)
                check(["fields", f_index, "value"], field.get("value"), EMBED_FIELD_VALUE_MAX)
    return total


def is_empty_message(body: Mapping[str, Any], file_count: int) -> bool:
    """Whether a new message would have nothing to show (Discord answers 50006)."""
    return not (
        (isinstance(body.get("content"), str) and body["content"].strip())
        or body.get("embeds")
        or file_count
        or body.get("sticker_ids")
        or body.get("components")
        or body.get("poll")
    )


def empty_message_error() -> ApiError:
    """Discord's answer to a message with no content, embeds, files or stickers."""
    return ApiError(400, ErrorCode.EMPTY_MESSAGE, "Cannot send an empty message", problem=True)


def thread_name_errors(name: Any, *, field: str = "name") -> dict[str, Any]:
    """Errors for a thread name outside 1..100 characters."""
    tree: dict[str, Any] = {}
    if not isinstance(name, str) or not name.strip():
        add_error(tree, [field], "BASE_TYPE_REQUIRED", "This field is required")
    elif len(name) > THREAD_NAME_MAX:
        add_error(tree, [field], "BASE_TYPE_BAD_LENGTH",
                  f"Must be between 1 and {THREAD_NAME_MAX} in length.")
    return tree
