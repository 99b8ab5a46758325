"""Slash-command interactions: what a member's invocation looks like, and what the bot answered."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .constants import MessageFlags

# Application command option types.
SUB_COMMAND = 1
SUB_COMMAND_GROUP = 2
STRING = 3
INTEGER = 4
BOOLEAN = 5
USER = 6
CHANNEL = 7
ROLE = 8
MENTIONABLE = 9
NUMBER = 10
ATTACHMENT = 11

# Component types.
ACTION_ROW = 1
BUTTON = 2
STRING_SELECT = 3
TEXT_INPUT = 4
LABEL = 18

# Which initial callback types Discord accepts for each interaction type.
ALLOWED_CALLBACKS = {
    2: {4, 5, 9},  # application command
    3: {4, 5, 6, 7, 9},  # message component
    4: {8},  # autocomplete
    5: {4, 5, 6, 7},  # modal submit
}


@dataclass(eq=False)
class InteractionRecord:
    """One interaction sent to the bot and everything the bot answered to it."""

    id: int
    token: str
    type: int
    name: str
    channel_id: int
    guild_id: int
    user_id: int
    payload: dict[str, Any]
    response_type: int | None = None
    response: dict[str, Any] | None = None
    followups: list[dict[str, Any]] = field(default_factory=list)
    original: dict[str, Any] | None = None
    original_deleted: bool = False
    choices: list[dict[str, Any]] | None = None
    files: list[tuple[str, bytes]] = field(default_factory=list)
    created: float = field(default_factory=time.monotonic)
    #: The message a component interaction came from (its @original once updated/deferred).
    source: dict[str, Any] | None = field(default=None, repr=False)
    _changed: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @property
    def ephemeral(self) -> bool:
        """Whether the initial (or deferred) response carried the EPHEMERAL flag."""
        flags = (self.response or {}).get("flags") or 0
        return bool(int(flags) & MessageFlags.EPHEMERAL)

    @property
    def deferred(self) -> bool:
        """Whether the bot deferred (callback type 5 or 6)."""
        return self.response_type in (5, 6)

    def touch(self) -> None:
        """Wake everyone waiting on this record."""
        self._changed.set()
        self._changed = asyncio.Event()

    def summary(self) -> dict[str, Any]:
        """A compact view of the record for error messages."""
        return {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "response_type": self.response_type,
            "response": self.response,
            "followups": [_brief(m) for m in self.followups],
            "original": _brief(self.original) if self.original else None,
            "choices": self.choices,
        }

    async def wait(self, timeout: float = 10) -> InteractionRecord:
        """Wait for the initial callback; returns this record."""
        return await self.wait_for(lambda r: r.response_type is not None, timeout=timeout)

    async def wait_for(
        self, predicate: Callable[[InteractionRecord], bool], timeout: float = 10
    ) -> InteractionRecord:
        """Wait until ``predicate(self)`` holds; TimeoutError shows the record otherwise."""
        try:
            async with asyncio.timeout(timeout):
                while not predicate(self):
                    await self._changed.wait()
        except TimeoutError:
            raise TimeoutError(
                f"interaction {self.name!r} did not reach the expected state within "
                f"{timeout}s: {self.summary()!r}"
            ) from None
        return self


def _brief(message: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": message.get("id"),
        "content": message.get("content"),
        "embeds": len(message.get("embeds") or []),
        "attachments": [a.get("filename") for a in message.get("attachments") or []],
        "flags": message.get("flags"),
    }


def find_command(commands: list[dict[str, Any]], path: str) -> tuple[dict[str, Any], list[str]]:
    """The registered chat-input command for ``"cmd [group] [sub]"`` and the remaining words."""
    words = path.split()
    if not words:
        raise ValueError("empty command name")
    for command in commands:
        if command.get("name") == words[0] and command.get("type", 1) == 1:
            return command, words[1:]
    raise LookupError(f"no slash command named {words[0]!r} is registered")


def option_schema(
    command: dict[str, Any], rest: list[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Walk subcommand groups/subcommands; returns the leaf's option schemas and the path used."""
    options = command.get("options") or []
    used: list[str] = []
    for word in rest:
        match = next((o for o in options if o.get("name") == word
                      and o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP)), None)
        if match is None:
            raise LookupError(f"{command['name']!r} has no subcommand {word!r}")
        used.append(word)
        options = match.get("options") or []
    if any(o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in options):
        names = [o["name"] for o in options]
        raise LookupError(f"{' '.join([command['name'], *used])!r} needs a subcommand: {names}")
    return options, used


def nest_options(
    command: dict[str, Any], used: list[str], leaf: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Wrap leaf options in their subcommand (group) options, as Discord nests them."""
    kinds: list[int] = []
    options = command.get("options") or []
    for word in used:
        match = next(o for o in options if o.get("name") == word)
        kinds.append(match["type"])
        options = match.get("options") or []
    nested = leaf
    for word, kind in reversed(list(zip(used, kinds, strict=True))):
        nested = [{"type": kind, "name": word, "options": nested}]
    return nested


def coerce_value(schema: Mapping[str, Any], value: Any, *, focused: bool) -> Any:
    """An option value as Discord sends it for the option's type."""
    kind = schema["type"]
    if focused:
        return str(value)
    if kind == STRING:
        return str(value)
    if kind == INTEGER:
        return int(value)
    if kind == NUMBER:
        return float(value)
    if kind == BOOLEAN:
        return bool(value)
    if kind in (USER, CHANNEL, ROLE, MENTIONABLE, ATTACHMENT):
        return str(getattr(value, "id", value))
    raise ValueError(f"unsupported option type {kind}")


def check_choices(schema: Mapping[str, Any], value: Any) -> None:
    """Refuse a value outside the option's declared choices (the Discord client would)."""
    choices = schema.get("choices")
    if choices and value not in [c["value"] for c in choices]:
        raise ValueError(f"{value!r} is not a choice of option {schema['name']!r}: "
                         f"{[c['value'] for c in choices]}")


def find_component(components: list[dict[str, Any]], custom_id: str) -> dict[str, Any] | None:
    """The interactive component with ``custom_id`` anywhere in a component tree."""
    for component in components:
        if component.get("custom_id") == custom_id:
            return component
        children = list(component.get("components") or [])
        children += [component[k] for k in ("component", "accessory") if k in component]
        found = find_component(children, custom_id)
        if found is not None:
            return found
    return None


def check_select(component: Mapping[str, Any], values: list[str]) -> list[str]:
    """Refuse a selection the Discord client would not allow."""
    low, high = component.get("min_values", 1), component.get("max_values", 1)
    if not low <= len(values) <= high:
        raise ValueError(f"select {component['custom_id']!r} takes {low}..{high} values")
    if component["type"] == STRING_SELECT:
        allowed = [o["value"] for o in component.get("options") or []]
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise ValueError(f"{unknown} are not options of {component['custom_id']!r}: {allowed}")
    return [str(v) for v in values]


def modal_submission(
    components: list[dict[str, Any]], values: Mapping[str, str]
) -> list[dict[str, Any]]:
    """What Discord sends back for a modal: each text input with the member's value."""
    inputs: list[dict[str, Any]] = []

    def answer(text_input: Mapping[str, Any]) -> dict[str, Any]:
        custom_id = text_input["custom_id"]
        value = str(values.get(custom_id, text_input.get("value") or ""))
        if text_input.get("required", True) and not value:
            raise ValueError(f"modal input {custom_id!r} is required")
        low, high = text_input.get("min_length") or 0, text_input.get("max_length") or 4000
        if value and not low <= len(value) <= high:
            raise ValueError(f"modal input {custom_id!r} takes {low}..{high} characters")
        inputs.append(text_input)
        return {"type": TEXT_INPUT, "id": text_input.get("id", 0), "custom_id": custom_id,
                "value": value}

    result: list[dict[str, Any]] = []
    for component in components:
        if component["type"] == ACTION_ROW:
            result.append({"type": ACTION_ROW, "id": component.get("id", 0), "components": [
                answer(c) for c in component.get("components") or [] if c["type"] == TEXT_INPUT]})
        elif component["type"] == LABEL and component["component"]["type"] == TEXT_INPUT:
            result.append({"type": LABEL, "id": component.get("id", 0),
                           "component": answer(component["component"])})
    unknown = set(values) - {i["custom_id"] for i in inputs}
    if unknown:
        raise ValueError(f"the modal has no input(s) {sorted(unknown)}")
    return result


def copy_payload(data: Any) -> Any:
    """A deep copy, so tests can't change the emulator's state by mutating what they got."""
    return copy.deepcopy(data)
