"""/discussion: moderators lock, unlock, archive and reopen prompt threads, set a close
timer that survives restarts, read the audit log and resync threads from Discord.

The timers run in ``bot.services.timers``; :class:`DiscordThreads` locks a thread
for them. ``/discussion resync`` asks ``bot.services.catchup_runs`` for a catch-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import FilmclubError
from bot.limits import RESYNC
from bot.moderation import DURATION_SUGGESTIONS, format_duration, parse_duration
from bot.records.audit import AuditEntry, CloseTimer
from bot.services.platform import TryLater
from bot.services.timers import CloseTimers, with_reason
from cogs.support import auditlog
from cogs.support.auditlog import records_own_audit
from cogs.support.checks import (
    THREAD,
    THREAD_OR_SERVER,
    limited,
    moderators_only,
    settings_of,
    target_of,
)
from cogs.support.options import fetch_thread, thread_choices
from cogs.support.permissions import visible_threads
from cogs.support.ui import NO_MENTIONS, pages_of, reply, send_pages

if TYPE_CHECKING:
    from cogs.support.client import FilmClub

log = logging.getLogger(__name__)

ThreadAction = Literal["lock", "unlock", "archive", "reopen"]

NOTICES: dict[str, str] = {
    "lock": "🔒 A moderator locked this discussion: it stays readable, but no new replies.",
    "unlock": "🔓 A moderator unlocked this discussion: replies are open again.",
    "archive": "🗄️ A moderator archived this discussion.",
    "reopen": "📂 A moderator reopened this discussion: replies are open again.",
}
DONE = {"lock": "Locked", "unlock": "Unlocked", "archive": "Archived", "reopen": "Reopened"}


@app_commands.guild_only()
@app_commands.default_permissions(manage_threads=True)
class Discussion(commands.GroupCog, group_name="discussion",
                 group_description="Moderate prompt threads"):
    def __init__(self, bot: FilmClub) -> None:
        self.bot = bot
        self.timers = CloseTimers(bot.store, DiscordThreads(bot), bot.audit, clock=bot.now,
                                  shards=bot.config.shards)
        self._timers: asyncio.Task[None] | None = None
        super().__init__()

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Start the close timers once connected (again after a reconnect, only if stopped)."""
        if self._timers is None or self._timers.done():
            self._timers = asyncio.create_task(
                self.timers.run(lambda: not self.bot.is_closed()), name="filmclub-close-timers")

    async def cog_unload(self) -> None:
        if self._timers is not None:
            self._timers.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timers

    def wake(self) -> None:
        """Look at the timers now (one was set, or the clock moved)."""
        self.timers.wake()

    # -- lock, unlock, archive, reopen -------------------------------------------------

    @app_commands.command(name="lock", description="Lock a prompt thread: readable, no replies")
    @app_commands.describe(thread="The prompt thread (default: this one)",
                           reason="Why (kept in the audit log and shown in the thread)")
    @app_commands.autocomplete(thread=thread_choices)
    @moderators_only(THREAD, manage_threads=True)
    async def lock(self, interaction: discord.Interaction[FilmClub],
                   thread: app_commands.Range[str, 1, 120] | None = None,
                   reason: app_commands.Range[str, 1, 300] | None = None) -> None:
        await self._thread_action(interaction, "lock", thread, reason)

    @app_commands.command(name="unlock", description="Unlock a prompt thread: replies open again")
    @app_commands.describe(thread="The prompt thread (default: this one)",
                           reason="Why (kept in the audit log and shown in the thread)")
    @app_commands.autocomplete(thread=thread_choices)
    @moderators_only(THREAD, manage_threads=True)
    async def unlock(self, interaction: discord.Interaction[FilmClub],
                     thread: app_commands.Range[str, 1, 120] | None = None,
                     reason: app_commands.Range[str, 1, 300] | None = None) -> None:
        await self._thread_action(interaction, "unlock", thread, reason)

    @app_commands.command(name="archive", description="Archive a prompt thread")
    @app_commands.describe(thread="The prompt thread (default: this one)",
                           reason="Why (kept in the audit log and shown in the thread)")
    @app_commands.autocomplete(thread=thread_choices)
    @moderators_only(THREAD, manage_threads=True)
    async def archive(self, interaction: discord.Interaction[FilmClub],
                      thread: app_commands.Range[str, 1, 120] | None = None,
                      reason: app_commands.Range[str, 1, 300] | None = None) -> None:
        await self._thread_action(interaction, "archive", thread, reason)

    @app_commands.command(name="reopen",
                          description="Reopen an archived or locked prompt thread")
    @app_commands.describe(thread="The prompt thread (default: this one)",
                           reason="Why (kept in the audit log and shown in the thread)")
    @app_commands.autocomplete(thread=thread_choices)
    @moderators_only(THREAD, manage_threads=True)
    async def reopen(self, interaction: discord.Interaction[FilmClub],
                     thread: app_commands.Range[str, 1, 120] | None = None,
                     reason: app_commands.Range[str, 1, 300] | None = None) -> None:
        await self._thread_action(interaction, "reopen", thread, reason)

    async def _thread_action(self, interaction: discord.Interaction[FilmClub],
                             action: ThreadAction, thread: str | None,
                             reason: str | None) -> None:
        prompt = target_of(interaction).prompt  # checked on this thread
        assert prompt is not None  # noqa: S101 - THREAD always resolves to a prompt
        await interaction.response.defer(ephemeral=True, thinking=True)
        target = await fetch_thread(interaction, prompt.thread_id)
        notice = with_reason(NOTICES[action], reason)
        if action == "lock":
            if target.locked:
                raise FilmclubError(f"{target.mention} is already locked.")
            if not target.archived:
                await target.send(notice, allowed_mentions=NO_MENTIONS)
            await target.edit(locked=True)
        elif action == "unlock":
            if not target.locked:
                raise FilmclubError(f"{target.mention} is not locked.")
            await target.edit(locked=False, archived=False)
            await target.send(notice, allowed_mentions=NO_MENTIONS)
        elif action == "archive":
            if target.archived:
                raise FilmclubError(f"{target.mention} is already archived.")
            await target.send(notice, allowed_mentions=NO_MENTIONS)
            await target.edit(archived=True)
        else:
            if not (target.archived or target.locked):
                raise FilmclubError(f"{target.mention} is open already.")
            await target.edit(archived=False, locked=False)
            await target.send(notice, allowed_mentions=NO_MENTIONS)
        await self.bot.audit.record(AuditEntry(
            guild_id=prompt.guild_id, actor_id=interaction.user.id, action=action,
            target=prompt.article.title, at=self.bot.clock(), thread_id=prompt.thread_id,
            reason=reason,
        ))
        await reply(interaction, f"{DONE[action]} {target.mention}.")

    # -- close-after ---------------------------------------------------------------------

    @app_commands.command(name="close-after",
                          description="Lock a prompt thread after a while (1h to 30d)")
    @app_commands.describe(duration="How long until it locks: 6h, 2d, 1d12h… (1h to 30d), "
                                    "or off to cancel",
                           thread="The prompt thread (default: this one)",
                           reason="Why (kept in the audit log and shown when it closes)")
    @app_commands.autocomplete(thread=thread_choices)
    @moderators_only(THREAD, manage_threads=True)
    async def close_after(self, interaction: discord.Interaction[FilmClub],
                          duration: app_commands.Range[str, 1, 24],
                          thread: app_commands.Range[str, 1, 120] | None = None,
                          reason: app_commands.Range[str, 1, 300] | None = None) -> None:
        delay = parse_duration(duration)
        prompt = target_of(interaction).prompt  # checked on this thread
        assert prompt is not None  # noqa: S101 - THREAD always resolves to a prompt
        now = self.bot.clock()
        mention = f"<#{prompt.thread_id}>"
        if delay is None:
            entry = AuditEntry(
                guild_id=prompt.guild_id, actor_id=interaction.user.id, action="close-cancel",
                target=prompt.article.title, at=now, thread_id=prompt.thread_id, reason=reason,
            )
            if not await self.timers.cancel(prompt.thread_id, entry):
                raise FilmclubError(f"{mention} has no close timer.")
            await interaction.response.defer(ephemeral=True, thinking=True)
            await self.timers.announce(entry)
            await reply(interaction, f"{mention} will not close on its own any more.")
            return
        due = now + delay
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.timers.set(CloseTimer(
            thread_id=prompt.thread_id, guild_id=prompt.guild_id, due_at=due,
            set_by=interaction.user.id, set_at=now, reason=reason,
        ), AuditEntry(
            guild_id=prompt.guild_id, actor_id=interaction.user.id, action="close-after",
            target=f"{prompt.article.title} (in {format_duration(delay)})", at=now,
            thread_id=prompt.thread_id, reason=reason,
        ))
        await reply(interaction, f"{mention} will lock {discord.utils.format_dt(due, 'R')} "
                                 f"({discord.utils.format_dt(due, 'f')}).")

    @close_after.autocomplete("duration")
    async def duration_choices(self, interaction: discord.Interaction[FilmClub],
                               current: str) -> list[app_commands.Choice[str]]:
        typed = current.strip().lower()
        return [app_commands.Choice(name=s, value=s) for s in DURATION_SUGGESTIONS
                if s.startswith(typed)][:25]

    # -- the audit log -------------------------------------------------------------------

    @app_commands.command(name="log", description="Moderator actions, newest first")
    @app_commands.describe(thread="One prompt thread's actions (default: this thread, or "
                                  "the whole server outside prompt threads)")
    @app_commands.autocomplete(thread=thread_choices)
    @moderators_only(THREAD_OR_SERVER, manage_threads=True)
    async def log(self, interaction: discord.Interaction[FilmClub],
                  thread: app_commands.Range[str, 1, 120] | None = None) -> None:
        target = target_of(interaction)  # a thread, or the server (then: what they can see)
        thread_id = target.prompt.thread_id if target.prompt else None
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        await interaction.response.defer(ephemeral=True, thinking=True)
        visible = await visible_threads(interaction)
        entries = await self.bot.store.list_audit(interaction.guild_id, thread_id=thread_id,
                                                  visible=visible)
        title = "Moderator log" + (" of this thread" if thread_id else "")
        where = f"<#{thread_id}>" if thread_id else "this server"
        spoilers = await auditlog.spoiler_threads(self.bot, entries)
        pages = pages_of(title, [auditlog.audit_line(e, spoilers=e.thread_id in spoilers)
                                 for e in entries],
                         intro=f"{len(entries)} action{'s' * (len(entries) != 1)} in {where}, "
                               "newest first.")
        await send_pages(interaction, pages)

    # -- catch-up on request ----------------------------------------------------------

    @app_commands.command(name="resync",
                          description="Re-read a prompt thread (or all of them) from Discord")
    @app_commands.describe(thread="The prompt thread (default: this one, or every one here)")
    @limited(RESYNC)
    @moderators_only(THREAD_OR_SERVER, manage_messages=True)
    async def resync(self, interaction: discord.Interaction[FilmClub],
                     thread: discord.Thread | None = None) -> None:
        checked = target_of(interaction)  # this thread, or the server
        target = checked.prompt.thread_id if checked.prompt is not None else None
        if target is not None:
            only = [target]
        else:
            # Server-wide: the threads this moderator may resync, each judged on its own.
            settings = await settings_of(interaction)
            visible = await visible_threads(interaction, also={"manage_messages": True},
                                            role_id=settings.moderator_role_id)
            only = sorted(visible.thread_ids or ())
            if not only:
                raise FilmclubError("There are no prompt threads in this server that you can "
                                    "resync.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await self.bot.catch_ups.run_now(only)
        if target is not None and target in report.unavailable:
            message = f"Could not resync <#{target}>: {report.unavailable[target]}."
        elif target is not None and target in report.failed:
            message = (f"Could not resync <#{target}>: {report.failed[target]}; "
                       "the next catch-up tries again.")
        else:
            message = f"Resynced: {report.summary()}."
        await interaction.followup.send(message, ephemeral=True)


class DiscordThreads:
    """Locks a thread for a close timer (``bot.services.platform.ThreadCloser``)."""

    def __init__(self, bot: FilmClub) -> None:
        self.bot = bot

    def problem(self, exc: BaseException) -> str | None:
        if isinstance(exc, discord.HTTPException):
            return f"Discord refused ({exc.status}: {exc.text})"
        return None

    async def announce(self, entry: AuditEntry) -> None:
        await self.bot.audit.announce(entry)

    async def close_thread(self, thread_id: int, notice: str) -> str | None:
        try:
            thread = self.bot.get_channel(thread_id)
            if thread is None:
                thread = await self.bot.fetch_channel(thread_id)
            if not isinstance(thread, discord.Thread):
                return "that channel is not a thread"
            if thread.locked:
                return "it was locked already"
            if not thread.archived:
                await thread.send(notice, allowed_mentions=NO_MENTIONS)
            await thread.edit(locked=True)
        except discord.NotFound:
            return "the thread no longer exists"
        except discord.Forbidden:
            return "Discord refused: I lack the Manage Threads permission there"
        except discord.HTTPException as exc:
            if exc.status >= 500:
                raise TryLater(f"Discord answered {exc.status}") from exc
            return f"Discord refused ({exc.status}: {exc.text})"
        return None


async def setup(bot: FilmClub) -> None:
    cog = Discussion(bot)
    await bot.add_cog(cog)
    # Its actions are recorded with what they did; a resync, like other commands, by the
    # audit of completed commands (bot.services.audit).
    records_own_audit(bot, cog, but={"discussion resync"})
