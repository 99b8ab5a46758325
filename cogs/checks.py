"""Permission checks shared by the cogs.

``default_permissions`` only hides a command from members by default, and server
admins can change it; the check here is what is enforced on every invocation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from discord import app_commands

T = TypeVar("T")


def moderators_only(**perms: bool) -> Callable[[T], T]:
    """Hint the permissions to Discord and enforce them in the bot, in one decorator."""
    hint = app_commands.default_permissions(**perms)
    enforce = app_commands.checks.has_permissions(**perms)

    def decorator(func: Any) -> Any:
        return hint(enforce(func))

    return decorator
