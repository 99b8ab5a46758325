"""The audit of moderator commands: each one that completes is recorded with its options.

Features that record their own entries (with what they did) say so with
``cogs.support.auditlog.records_own_audit``; :mod:`bot.services.audit` decides the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from cogs.support.auditlog import completed_command

if TYPE_CHECKING:
    from cogs.support.client import FilmClub


class Auditing(commands.Cog):
    """Hands every completed slash command to the audit trail."""

    def __init__(self, bot: FilmClub) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_app_command_completion(self, interaction: discord.Interaction[FilmClub],
                                        command: app_commands.Command[Any, ..., Any]
                                        | app_commands.ContextMenu) -> None:
        if not isinstance(command, app_commands.Command):
            return
        completed = completed_command(interaction, command)
        if completed is not None:
            await self.bot.audit.command_done(completed)


async def setup(bot: FilmClub) -> None:
    await bot.add_cog(Auditing(bot))
