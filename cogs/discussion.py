"""/discussion: moderators lock, unlock, archive and reopen prompt threads, set a close
timer that survives restarts, and read the audit log.

Also the audit of moderator commands from other features (/prompt, /export...): each
one that completes is recorded with its options.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.card import fit
from bot.errors import FilmclubError
from bot.moderation import DURATION_SUGGESTIONS, format_duration, parse_duration
from bot.records.audit import AuditEntry, CloseTimer
from cogs import auditlog
from cogs.checks import THREAD, THREAD_OR_SERVER, audience_of, moderators_only, target_of
from cogs.permissions import visible_threads
from cogs.threads import fetch_thread, thread_choices
from cogs.ui import NO_MENTIONS, pages_of, reply, send_pages

if TYPE_CHECKING:
    from bot.client import FilmClub

log = logging.getLogger(__name__)

#: The scheduler sleeps at most this long between looks at the timers.
TIMER_POLL_SECONDS = 60.0
#: After a server error from Discord, a timer is tried again this much later.
TIMER_RETRY_SECONDS = 60.0

ThreadAction = Literal["lock", "unlock", "archive", "reopen"]

NOTICES: dict[str, str] = {
    "lock": "🔒 A moderator locked this discussion: it stays readable, but no new replies.",
    "unlock": "🔓 A moderator unlocked this discussion: replies are open again.",
    "archive": "🗄️ A moderator archived this discussion.",
    "reopen": "📂 A moderator reopened this discussion: replies are open again.",
    "close": "⏰ This discussion is now closed, as scheduled: it stays readable, "
             "but no new replies.",
}
DONE = {"lock": "Locked", "unlock": "Unlocked", "archive": "Archived", "reopen": "Reopened"}


def _with_reason(text: str, reason: str | None) -> str:
    return text if not reason else f"{text}\nReason: {fit(reason, 300)}"


def _leaf_options(options: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for option in options:
        if "options" in option:
            found.extend(_leaf_options(option["options"]))
        elif "value" in option:
            found.append((option["name"], option["value"]))
    return found


@app_commands.guild_only()
@app_commands.default_permissions(manage_threads=True)
class Discussion(commands.GroupCog, group_name="discussion",
                 group_description="Moderate prompt threads"):
    #: This cog records its own actions in the audit log (see on_app_command_completion).
    audits_itself = True

    def __init__(self, bot: FilmClub) -> None:
        self.bot = bot
        self._wake = asyncio.Event()
        self._timers: asyncio.Task[None] | None = None
        super().__init__()

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Start the close timers once connected (again after a reconnect, only if stopped)."""
        if self._timers is None or self._timers.done():
            self._timers = asyncio.create_task(self._run_timers(), name="filmclub-close-timers")

    async def cog_unload(self) -> None:
        if self._timers is not None:
            self._timers.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timers

    def wake(self) -> None:
        """Look at the timers now (one was set, or the clock moved)."""
        self._wake.set()

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
        notice = _with_reason(NOTICES[action], reason)
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
        await auditlog.record(self.bot, AuditEntry(
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
            if await self.bot.store.cancel_close_timer(prompt.thread_id, audit=entry) is None:
                raise FilmclubError(f"{mention} has no close timer.")
            await interaction.response.defer(ephemeral=True, thinking=True)
            await auditlog.announce(self.bot, entry)
            await reply(interaction, f"{mention} will not close on its own any more.")
            return
        due = now + delay
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.bot.store.set_close_timer(CloseTimer(
            thread_id=prompt.thread_id, guild_id=prompt.guild_id, due_at=due,
            set_by=interaction.user.id, set_at=now, reason=reason,
        ))
        self.wake()
        await auditlog.record(self.bot, AuditEntry(
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

    async def _run_timers(self) -> None:
        """Lock each thread when its timer is due; timers live in the store, so a restart
        picks them up (an overdue one fires at once)."""
        while not self.bot.is_closed():
            self._wake.clear()
            try:
                delay = await self._fire_due()
            except Exception:
                log.exception("close timers: a round failed; trying again later")
                delay = TIMER_RETRY_SECONDS
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)

    async def _fire_due(self) -> float:
        """Fire the due timers; returns seconds until the next one (at most a poll)."""
        now = self.bot.clock()
        soonest = TIMER_POLL_SECONDS
        for timer in await self.bot.store.close_timers():
            if timer.due_at > now:
                soonest = min(soonest, (timer.due_at - now).total_seconds())
                continue
            if not await self._close(timer, now):
                soonest = min(soonest, TIMER_RETRY_SECONDS)
        return max(soonest, 0.0)

    async def _close(self, timer: CloseTimer, now: datetime) -> bool:
        """Lock the timer's thread once; False when Discord should be asked again later."""
        outcome = None
        try:
            thread = self.bot.get_channel(timer.thread_id)
            if thread is None:
                thread = await self.bot.fetch_channel(timer.thread_id)
            if not isinstance(thread, discord.Thread):
                outcome = "that channel is not a thread"
            elif thread.locked:
                outcome = "it was locked already"
            else:
                if not thread.archived:
                    await thread.send(_with_reason(NOTICES["close"], timer.reason),
                                      allowed_mentions=NO_MENTIONS)
                await thread.edit(locked=True)
        except discord.NotFound:
            outcome = "the thread no longer exists"
        except discord.Forbidden:
            outcome = "Discord refused: I lack the Manage Threads permission there"
        except discord.HTTPException as exc:
            if exc.status >= 500:
                log.warning("close timer for thread %d: Discord answered %d; will retry",
                            timer.thread_id, exc.status)
                return False
            outcome = f"Discord refused ({exc.status}: {exc.text})"
        prompt = await self.bot.store.get_prompt(timer.thread_id)
        title = prompt.article.title if prompt else f"thread {timer.thread_id}"
        late = now - timer.due_at
        notes = [timer.reason, outcome]
        if late > timedelta(minutes=5):
            notes.append(f"{format_duration(late)} late: the bot was offline when it was due")
        entry = AuditEntry(
            guild_id=timer.guild_id, actor_id=timer.set_by, action="close", target=title,
            at=now, thread_id=timer.thread_id, reason="; ".join(n for n in notes if n) or None,
        )
        # The timer goes and the action is logged in one transaction: fired once, logged once.
        if await self.bot.store.cancel_close_timer(timer.thread_id, audit=entry) is None:
            return True  # cancelled meanwhile: whoever cancelled it recorded that
        await auditlog.announce(self.bot, entry)
        return True

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
        pages = pages_of(title, [auditlog.audit_line(e) for e in entries],
                         intro=f"{len(entries)} action{'s' * (len(entries) != 1)} in {where}, "
                               "newest first.")
        await send_pages(interaction, pages)

    # -- auditing other features' moderator commands ---------------------------------------

    @commands.Cog.listener()
    async def on_app_command_completion(self, interaction: discord.Interaction[FilmClub],
                                        command: app_commands.Command[Any, ..., Any]
                                        | app_commands.ContextMenu) -> None:
        if not isinstance(command, app_commands.Command) or interaction.guild_id is None:
            return
        if getattr(command.binding, "audits_itself", False):
            return
        audience = audience_of(command)
        if audience == "members":
            return
        checked = interaction.extras.get("filmclub_target")
        if audience == "exporters" and not getattr(checked, "moderator", False):
            return
        options = _leaf_options((interaction.data or {}).get("options", []))  # type: ignore[arg-type]
        shown = ", ".join(f"{name}={json.dumps(value, ensure_ascii=False)}"
                          for name, value in options)
        prompt = getattr(checked, "prompt", None)  # the thread it acted on, if one
        thread_id = prompt.thread_id if prompt is not None else None
        channel_id = _channel_of(checked) if prompt is None else None
        try:
            await auditlog.record(self.bot, AuditEntry(
                guild_id=interaction.guild_id, actor_id=interaction.user.id,
                action=command.qualified_name, target=fit(shown or "(no options)", 300),
                at=self.bot.clock(), thread_id=thread_id, channel_id=channel_id,
            ))
        except Exception:
            log.exception("could not audit /%s by %d", command.qualified_name,
                          interaction.user.id)


def _channel_of(checked: object) -> int | None:
    """The channel a checked command acted on (a prompt's, a schedule's), if any."""
    channel = getattr(checked, "channel", None)
    if channel is None:
        named = getattr(checked, "channels", ())
        channel = named[0].channel if named else None
    return channel.id if channel is not None else None


async def setup(bot: FilmClub) -> None:
    cog = Discussion(bot)
    # /discussion is shared: catch-up (cogs.catchup, loaded earlier) registers its
    # /discussion resync as a group of its own. Discord allows one /discussion, so its
    # subcommands move into this group (they stay bound to their cog).
    existing = bot.tree.get_command("discussion")
    if isinstance(existing, app_commands.Group):
        bot.tree.remove_command("discussion")
        group = cog.app_command
        if group is None:  # pragma: no cover - a GroupCog always has its group
            raise RuntimeError("the discussion cog has no command group")
        for child in list(existing.commands):
            existing.remove_command(child.name)
            group.add_command(child)
    await bot.add_cog(cog)
