"""Permission checks shared by the cogs.

``default_permissions`` only hides a command from members by default, and server
admins can change it; the checks here are what is enforced on every invocation.
A member with the server's moderator role (``/filmclub settings set moderator_role``)
counts as a moderator too, except for the settings themselves.

Each decorator also marks the command with who it is for (``audience_of``), which
the command-permission test walks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import discord
from discord import app_commands

if TYPE_CHECKING:
    from bot.client import FilmClub
    from bot.moderation import GuildSettings

T = TypeVar("T")
Audience = Literal["moderators", "admins", "exporters", "members"]
AUDIENCE_ATTR = "__filmclub_audience__"


class NotModerator(app_commands.MissingPermissions):
    """Missing the permission, and not holding the server's moderator role either."""

    def __init__(self, missing: list[str], role_name: str | None) -> None:
        super().__init__(missing)
        self.role_name = role_name


def audience_of(command: app_commands.Command[Any, ..., Any]) -> Audience:
    """Who a command is for: as marked by the decorators below, else by its hint."""
    marked = getattr(command.callback, AUDIENCE_ATTR, None)
    if marked is not None:
        return marked  # type: ignore[no-any-return]
    root = command.root_parent or command
    return "moderators" if root.default_permissions is not None else "members"


def _mark(func: Any, audience: Audience) -> None:
    target = func.callback if isinstance(func, app_commands.Command) else func
    setattr(target, AUDIENCE_ATTR, audience)


def missing_permissions(granted: discord.Permissions, perms: Mapping[str, bool]) -> list[str]:
    return [name for name, value in perms.items() if getattr(granted, name) != value]


def holds_role(member: discord.User | discord.Member, role_id: int | None) -> bool:
    return (role_id is not None and isinstance(member, discord.Member)
            and member.get_role(role_id) is not None)


async def settings_of(interaction: discord.Interaction[FilmClub]) -> GuildSettings:
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    return await interaction.client.store.get_settings(interaction.guild_id)


async def check_moderator(interaction: discord.Interaction[FilmClub],
                          perms: Mapping[str, bool]) -> None:
    """Pass with every permission in ``perms`` or the moderator role; raise NotModerator."""
    missing = missing_permissions(interaction.permissions, perms)
    if not missing:
        return
    settings = await settings_of(interaction)
    if holds_role(interaction.user, settings.moderator_role_id):
        return
    role = interaction.guild.get_role(settings.moderator_role_id) if (
        interaction.guild and settings.moderator_role_id) else None
    raise NotModerator(missing, role.name if role else None)


async def is_moderator(interaction: discord.Interaction[FilmClub],
                       perms: Mapping[str, bool] | None = None) -> bool:
    """Whether the member counts as a moderator (Manage Messages or the moderator role)."""
    try:
        await check_moderator(interaction, perms or {"manage_messages": True})
    except app_commands.MissingPermissions:
        return False
    return True


def moderators_only(**perms: bool) -> Callable[[T], T]:
    """Hint ``perms`` to Discord; enforce them, or the server's moderator role, in the bot."""
    hint = app_commands.default_permissions(**perms)

    async def predicate(interaction: discord.Interaction[FilmClub]) -> bool:
        await check_moderator(interaction, perms)
        return True

    enforce = app_commands.check(predicate)

    def decorator(func: Any) -> Any:
        _mark(func, "moderators")
        return hint(enforce(func))

    return decorator


def admins_only(**perms: bool) -> Callable[[T], T]:
    """Hint and enforce ``perms`` only: the moderator role does not open these (settings)."""
    hint = app_commands.default_permissions(**perms)
    enforce = app_commands.checks.has_permissions(**perms)

    def decorator(func: Any) -> Any:
        _mark(func, "admins")
        return hint(enforce(func))

    return decorator


def exporters_only(**perms: bool) -> Callable[[T], T]:
    """Moderators (``perms`` or the role), or everyone when the server's export setting says so.

    No ``default_permissions`` hint: the setting changes at run time, and a hidden
    command could not follow it.
    """
    async def predicate(interaction: discord.Interaction[FilmClub]) -> bool:
        settings = await settings_of(interaction)
        if settings.export_access != "everyone":
            await check_moderator(interaction, perms)
        return True

    enforce = app_commands.check(predicate)

    def decorator(func: Any) -> Any:
        _mark(func, "exporters")
        return enforce(func)

    return decorator


def members_command(func: T) -> T:
    """Mark a command as everyone's (no check: any member of the server may run it)."""
    _mark(func, "members")
    return func
