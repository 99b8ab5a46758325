"""A member's permissions where a command acts, as Discord computes them.

Discord puts the invoking member's permissions *in the channel where the command was
typed* in every interaction (``interaction.permissions``), and, for a channel given as
an option, the member's permissions *in that channel* (``data.resolved.channels``).
Anywhere else, they are computed here from the cached server the way Discord does
(``channel.permissions_for(member)``: @everyone's overwrite, the member's roles'
overwrites together, the member's own; the owner and Administrator have everything).
A thread has no overwrites of its own: its parent channel's apply, so a prompt thread
is judged on the channel its prompt was posted in, archived or not.

"Seeing" a thread means View Channel and Read Message History there: what a member
needs on Discord to read its messages. :func:`visible_threads` turns that into the set
of prompt threads an answer may draw from (:class:`bot.records.visibility.Visible`), which the
core's queries take.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.models import Prompt
from bot.records.visibility import Visible

if TYPE_CHECKING:
    from cogs.support.client import FilmClub

log = logging.getLogger(__name__)

#: What it takes to read a thread's messages on Discord.
SEE_THREAD: tuple[str, ...] = ("view_channel", "read_message_history")


def member_of(interaction: discord.Interaction[Any]) -> discord.Member:
    """The invoking member (commands are server-only; a DM has no member)."""
    user = interaction.user
    if interaction.guild is None or not isinstance(user, discord.Member):
        raise app_commands.NoPrivateMessage()
    return user


def resolved_permissions(interaction: discord.Interaction[Any]) -> dict[int, discord.Permissions]:
    """The member's permissions in each channel given as an option, as Discord sent them."""
    data: Mapping[str, Any] = interaction.data or {}  # type: ignore[assignment]
    channels = (data.get("resolved") or {}).get("channels") or {}
    found = {}
    for channel_id, channel in channels.items():
        if "permissions" in channel:
            found[int(channel_id)] = discord.Permissions(int(channel["permissions"]))
    return found


def permissions_in(interaction: discord.Interaction[Any], channel_id: int) -> discord.Permissions:
    """The invoking member's permissions in a channel or thread of the server.

    Discord's own figure when the interaction carries one (the channel it was typed in,
    a channel given as an option); else computed from the cached roles and overwrites.
    A channel the bot does not know (deleted, or never seen) grants nothing, except to
    the owner and Administrators, who have every permission everywhere.
    """
    member = member_of(interaction)
    if channel_id == interaction.channel_id:
        return interaction.permissions
    resolved = resolved_permissions(interaction).get(channel_id)
    if resolved is not None:
        return resolved
    guild = member.guild
    channel = guild.get_channel_or_thread(channel_id)
    if channel is None:
        everything = member.guild_permissions.administrator
        return discord.Permissions.all() if everything else discord.Permissions.none()
    try:
        return channel.permissions_for(member)
    except discord.ClientException:  # a thread whose parent is not cached
        return discord.Permissions.none()


def thread_permissions(interaction: discord.Interaction[Any], prompt: Prompt,
                       parents: dict[int, discord.Permissions] | None = None
                       ) -> discord.Permissions:
    """The member's permissions in a prompt thread: its parent channel's, as Discord does.

    ``parents`` caches the figure per parent channel across many threads.
    """
    if prompt.thread_id == interaction.channel_id:
        return interaction.permissions
    resolved = resolved_permissions(interaction).get(prompt.thread_id)
    if resolved is not None:
        return resolved
    if parents is not None and prompt.channel_id in parents:
        return parents[prompt.channel_id]
    found = permissions_in(interaction, prompt.channel_id)
    if parents is not None:
        parents[prompt.channel_id] = found
    return found


def holds(permissions: discord.Permissions, names: Iterable[str]) -> bool:
    """Whether every permission in ``names`` is granted."""
    return all(getattr(permissions, name) for name in names)


def can_see(permissions: discord.Permissions) -> bool:
    """View Channel and Read Message History: the member can read the thread on Discord."""
    return holds(permissions, SEE_THREAD)


def holds_role(member: discord.abc.User, role_id: int | None) -> bool:
    """Whether the member has the role (the server's moderator role, say)."""
    return (role_id is not None and isinstance(member, discord.Member)
            and member.get_role(role_id) is not None)


async def visible_threads(interaction: discord.Interaction[FilmClub], *,
                          also: Mapping[str, bool] | None = None,
                          role_id: int | None = None,
                          prompts: Iterable[Prompt] | None = None) -> Visible:
    """The server's prompt threads the member can see; with ``also``, where they also hold
    those permissions (or the role ``role_id``, when given). The channels of the server
    the member can view come with them (``Visible.channel_ids``)."""
    member = member_of(interaction)
    if prompts is None:
        prompts = await interaction.client.store.list_prompts(member.guild.id)
    role = holds_role(member, role_id)
    parents: dict[int, discord.Permissions] = {}
    allowed = []
    for prompt in prompts:
        granted = thread_permissions(interaction, prompt, parents)
        if not can_see(granted):
            continue
        if also and not role and any(getattr(granted, n) != v for n, v in also.items()):
            continue
        allowed.append(prompt.thread_id)
    channels = [c.id for c in member.guild.channels
                if permissions_in(interaction, c.id).view_channel]
    return Visible.only(allowed, channels)
