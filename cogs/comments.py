"""/comment hide and /comment restore, the Discord side of ``bot.services.hiding``.

A hidden comment stays in the store, is marked in its thread by a short reply from
the bot, and is left out of exports and stats; :class:`DiscordMarks` posts and
removes that reply.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import NotFound
from bot.models import Comment, Prompt, utcnow
from bot.services.hiding import CommentHiding
from cogs.support.auditlog import records_own_audit
from cogs.support.checks import COMMENT, moderators_only, target_of
from cogs.support.options import thread_of
from cogs.support.ui import NO_MENTIONS, message_link, reply

if TYPE_CHECKING:
    from cogs.support.client import FilmClub

log = logging.getLogger(__name__)


class DiscordMarks:
    """A hidden comment's mark: the bot's reply to it (``bot.services.platform.CommentMarker``)."""

    def __init__(self, bot: FilmClub) -> None:
        self.bot = bot

    def problem(self, exc: BaseException) -> str | None:
        return str(exc) if isinstance(exc, discord.HTTPException) else None

    async def _thread(self, guild_id: int, comment: Comment) -> discord.Thread:
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            raise NotFound("I am not in that server any more.")
        return await thread_of(guild, comment.thread_id)

    async def mark_hidden(self, guild_id: int, comment: Comment, notice: str) -> int:
        thread = await self._thread(guild_id, comment)
        sent = await thread.send(
            notice, allowed_mentions=NO_MENTIONS, mention_author=False,
            reference=discord.MessageReference(message_id=comment.id, channel_id=thread.id,
                                               fail_if_not_exists=False),
        )
        return sent.id

    async def unmark_hidden(self, guild_id: int, comment: Comment, notice_id: int) -> None:
        thread = await self._thread(guild_id, comment)
        await thread.get_partial_message(notice_id).delete()


@app_commands.guild_only()
@app_commands.default_permissions(manage_messages=True)
class Comments(commands.GroupCog, group_name="comment",
               group_description="Moderate comments in prompt threads"):

    def __init__(self, bot: FilmClub) -> None:
        self.bot = bot
        self.hiding = CommentHiding(bot.store, DiscordMarks(bot), bot.audit, clock=utcnow)
        super().__init__()

    @staticmethod
    def _comment(interaction: discord.Interaction[FilmClub]) -> tuple[Comment, Prompt]:
        """The comment the check found and judged on its thread."""
        target = target_of(interaction)
        if target.comment is None or target.prompt is None:  # pragma: no cover - COMMENT
            raise NotFound("That message is not a comment.")
        return target.comment, target.prompt

    @app_commands.command(name="hide", description="Hide a comment from exports and stats")
    @app_commands.describe(message="The comment's link (Copy Message Link) or id",
                           reason="Why (shown in the thread and kept in the audit log)")
    @moderators_only(COMMENT, manage_messages=True)
    async def hide(self, interaction: discord.Interaction[FilmClub],
                   message: app_commands.Range[str, 1, 200],
                   reason: app_commands.Range[str, 1, 300]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        comment, prompt = self._comment(interaction)
        hidden = await self.hiding.hide(comment, prompt, interaction.user.id, reason)
        note = "" if hidden.marked else " I could not mark it in the thread, though."
        link = message_link(prompt.guild_id, comment.thread_id, comment.id)
        await reply(interaction, f"Hidden: {link} stays stored but is left out of exports and "
                                 f"stats; /comment restore brings it back.{note}")

    @app_commands.command(name="restore", description="Bring back a hidden comment")
    @app_commands.describe(message="The comment's link (Copy Message Link) or id",
                           reason="Why (kept in the audit log)")
    @moderators_only(COMMENT, manage_messages=True)
    async def restore(self, interaction: discord.Interaction[FilmClub],
                      message: app_commands.Range[str, 1, 200],
                      reason: app_commands.Range[str, 1, 300] | None = None) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        comment, prompt = self._comment(interaction)
        await self.hiding.restore(comment, prompt, interaction.user.id, reason)
        link = message_link(prompt.guild_id, comment.thread_id, comment.id)
        await reply(interaction, f"Restored: {link} counts again in exports and stats.")


async def setup(bot: FilmClub) -> None:
    cog = Comments(bot)
    await bot.add_cog(cog)
    records_own_audit(bot, cog)  # hide and restore record what they did
