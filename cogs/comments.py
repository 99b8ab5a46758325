"""/comment hide and /comment restore: a hidden comment stays in the store, is marked in
its thread by a short reply from the bot, and is left out of exports and stats."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.card import fit
from bot.errors import FilmclubError, NotFound
from bot.models import Comment, Prompt, utcnow
from bot.records.audit import AuditEntry, HiddenComment
from cogs import auditlog
from cogs.checks import COMMENT, moderators_only, target_of
from cogs.threads import fetch_thread
from cogs.ui import NO_MENTIONS, message_link, reply

if TYPE_CHECKING:
    from bot.client import FilmClub

log = logging.getLogger(__name__)


def hide_notice(reason: str) -> str:
    return (f"🙈 A moderator hid this comment: {fit(reason, 300)}\n"
            "It is kept, but left out of exports and stats.")


@app_commands.guild_only()
@app_commands.default_permissions(manage_messages=True)
class Comments(commands.GroupCog, group_name="comment",
               group_description="Moderate comments in prompt threads"):
    audits_itself = True

    def __init__(self, bot: FilmClub) -> None:
        self.bot = bot
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
        if await self.bot.store.get_hidden(comment.id) is not None:
            raise FilmclubError("That comment is hidden already; /comment restore brings it back.")
        now = utcnow()
        await self.bot.store.hide_comment(HiddenComment(comment.id, interaction.user.id, now,
                                                        reason))
        note = ""
        try:
            thread = await fetch_thread(interaction, comment.thread_id)
            notice = await thread.send(
                hide_notice(reason), allowed_mentions=NO_MENTIONS, mention_author=False,
                reference=discord.MessageReference(message_id=comment.id, channel_id=thread.id,
                                                   fail_if_not_exists=False),
            )
            await self.bot.store.set_hidden_notice(comment.id, notice.id)
        except (discord.HTTPException, NotFound) as exc:
            log.warning("comment %d hidden, but not marked in its thread: %s", comment.id, exc)
            note = " I could not mark it in the thread, though."
        await auditlog.record(self.bot, AuditEntry(
            guild_id=prompt.guild_id, actor_id=interaction.user.id, action="hide",
            target=f"a comment by {comment.author_name or comment.author_id}", at=now,
            thread_id=comment.thread_id, comment_id=comment.id, reason=reason,
        ))
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
        hidden = await self.bot.store.restore_comment(comment.id)
        if hidden is None:
            raise FilmclubError("That comment is not hidden.")
        if hidden.notice_id is not None:
            try:
                thread = await fetch_thread(interaction, comment.thread_id)
                await thread.get_partial_message(hidden.notice_id).delete()
            except (discord.HTTPException, NotFound) as exc:
                log.info("hide notice %d of comment %d not removed: %s", hidden.notice_id,
                         comment.id, exc)
        await auditlog.record(self.bot, AuditEntry(
            guild_id=prompt.guild_id, actor_id=interaction.user.id, action="restore",
            target=f"a comment by {comment.author_name or comment.author_id}", at=utcnow(),
            thread_id=comment.thread_id, comment_id=comment.id, reason=reason,
        ))
        link = message_link(prompt.guild_id, comment.thread_id, comment.id)
        await reply(interaction, f"Restored: {link} counts again in exports and stats.")


async def setup(bot: FilmClub) -> None:
    await bot.add_cog(Comments(bot))
