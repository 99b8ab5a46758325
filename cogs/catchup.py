"""Catch-up on Discord: on start, after every session that could not be resumed, on demand.

``DiscordHistory`` is the adapter ``bot.catchup`` reads Discord through: discord.py's
HTTP client (which keeps to Discord's rate limits), turned into plain records with the
same rules as live capture. The cog runs catch-up in the background whenever
discord.py reports a fresh session (``on_ready`` follows every new IDENTIFY; a resumed
session replays what it missed and needs none), one run at a time, and offers
``/discussion resync [thread]`` to moderators. It also notes prompt threads that were
deleted on Discord, so catch-up leaves their stored history as it is.

It also listens to the store: when the database cannot be written (a full disk), the
log channels are told once, and when it can again, the threads whose events the
store could not keep meanwhile are caught up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Collection
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.catchup import CatchUp, CatchUpReport, FetchedMessage, ThreadInfo
from bot.errors import FilmclubError, ThreadUnavailable
from bot.limits import RESYNC
from bot.models import utcnow
from bot.store.base import StorageNotice, ThreadStatus
from cogs.auditlog import tell_log_channels
from cogs.capture import comment_event, is_member_message
from cogs.checks import THREAD_OR_SERVER, limited, moderators_only, settings_of, target_of
from cogs.permissions import visible_threads

if TYPE_CHECKING:
    from bot.client import FilmClub

log = logging.getLogger(__name__)

PAGE = 100  # Discord's largest page of messages or reaction users


def _thread_info(data: dict[str, Any]) -> ThreadInfo:
    meta = data.get("thread_metadata") or {}
    stamp = meta.get("archive_timestamp")
    return ThreadInfo(
        id=int(data["id"]), archived=bool(meta.get("archived")),
        archived_at=discord.utils.parse_time(stamp) if stamp else None,
    )


def _unavailable(thread_id: int, error: discord.HTTPException) -> ThreadUnavailable:
    if isinstance(error, discord.NotFound):
        return ThreadUnavailable(
            thread_id, f"thread {thread_id} no longer exists on Discord; its history is kept",
            gone=True)
    return ThreadUnavailable(
        thread_id, f"Discord refuses me access to thread {thread_id} ({error.text or 'Forbidden'})"
        "; its history is kept", gone=False)


def reaction_route_emoji(emoji: str) -> str:
    """An emoji as the reactions route wants it: the character, or ``name:id``."""
    partial = discord.PartialEmoji.from_str(emoji)
    return f"{partial.name}:{partial.id}" if partial.id else emoji


class DiscordHistory:
    """What Discord shows of prompt threads, read through discord.py's HTTP client."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client
        self._guild_of: dict[int, int] = {}

    async def open_threads(self, guild_ids: Collection[int]) -> dict[int, ThreadInfo]:
        found: dict[int, ThreadInfo] = {}
        for guild_id in guild_ids:
            try:
                data = await self.client.http.get_active_threads(guild_id)
            except discord.HTTPException as exc:
                log.warning("catch-up: cannot list open threads of server %d: %s", guild_id, exc)
                continue
            for thread in data.get("threads", []):
                info = _thread_info(dict(thread))
                found[info.id] = info
                self._guild_of[info.id] = guild_id
        return found

    async def thread(self, thread_id: int) -> ThreadInfo:
        try:
            data = await self.client.http.get_channel(thread_id)
        except (discord.NotFound, discord.Forbidden) as exc:
            raise _unavailable(thread_id, exc) from exc
        if "guild_id" in data:
            self._guild_of[thread_id] = int(data["guild_id"])
        return _thread_info(dict(data))

    def _channel(self, thread_id: int) -> discord.abc.Messageable:
        cached = self.client.get_channel(thread_id)
        if isinstance(cached, discord.Thread):
            return cached
        return self.client.get_partial_messageable(
            thread_id, guild_id=self._guild_of.get(thread_id),
            type=discord.ChannelType.public_thread)

    async def messages(self, thread_id: int, after_id: int) -> AsyncIterator[FetchedMessage]:
        channel = self._channel(thread_id)
        history = channel.history(limit=None, after=discord.Object(after_id), oldest_first=True)
        try:
            async for message in history:
                if not is_member_message(message):
                    continue
                comment = comment_event(message)
                name = self._member_name(message)
                if name is not None and name != comment.author_name:
                    comment = replace(comment, author_name=name)
                yield FetchedMessage(comment, tuple(str(r.emoji) for r in message.reactions))
        except (discord.NotFound, discord.Forbidden) as exc:
            raise _unavailable(thread_id, exc) from exc

    def _member_name(self, message: discord.Message) -> str | None:
        """The author's name in the server (as live capture stores it), when cached."""
        guild = self.client.get_guild(self._guild_of.get(message.channel.id, 0))
        if guild is None and isinstance(message.channel, discord.Thread):
            guild = message.channel.guild
        member = guild.get_member(message.author.id) if guild is not None else None
        return member.display_name if member is not None else None

    async def reactors(self, thread_id: int, message_id: int, emoji: str) -> list[int]:
        me = self.client.user.id if self.client.user else None
        route_emoji = reaction_route_emoji(emoji)
        users: list[int] = []
        after: int | None = None
        while True:
            try:
                page = await self.client.http.get_reaction_users(
                    thread_id, message_id, route_emoji, PAGE, after=after)
            except discord.NotFound:
                return users  # the message (or that reaction) went meanwhile
            except discord.Forbidden as exc:
                raise _unavailable(thread_id, exc) from exc
            users.extend(int(u["id"]) for u in page if int(u["id"]) != me)
            if len(page) < PAGE:
                return users
            after = int(page[-1]["id"])


@app_commands.guild_only()
class CatchUpCog(commands.GroupCog, group_name="discussion",
                 group_description="Film discussions kept by the bot"):
    """Runs catch-up in the background after each fresh session, and on request."""

    def __init__(self, bot: FilmClub) -> None:
        self.bot = bot
        self.catch_up = CatchUp(bot.store, DiscordHistory(bot), window=bot.config.catchup_window)
        self._running = asyncio.Lock()  # one catch-up at a time, a thread at a time
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self.last_report: CatchUpReport | None = None
        self.runs = 0  # background runs finished
        self.busy = False  # a background run is under way or due
        self._idle = asyncio.Condition()
        self._every_thread = False  # the next background run: every thread in reach
        self._threads: set[int] = set()  # ... or at least these
        self._telling: set[asyncio.Task[None]] = set()
        bot.store.add_storage_listener(self.storage_notice)
        super().__init__()

    async def cog_unload(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        self.schedule("a new gateway session")

    def schedule(self, reason: str, only: Collection[int] | None = None) -> None:
        """Start a background catch-up (of every thread, or ``only`` these), or another
        one after the current one."""
        self.busy = True
        if only is None:
            self._every_thread = True
        else:
            self._threads.update(only)
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.create_task(self._background(reason), name="filmclub-catch-up")

    async def wait_idle(self, runs: int = 1) -> None:
        """Return once ``runs`` background catch-ups have finished and none is due."""
        async with self._idle:
            await self._idle.wait_for(lambda: self.runs >= runs and not self.busy)

    async def _background(self, reason: str) -> None:
        while True:
            self._again = False
            only = None if self._every_thread else set(self._threads)
            self._every_thread = False
            self._threads.clear()
            log.info("catch-up: starting after %s", reason)
            try:
                async with self._running:
                    self.last_report = await self.catch_up.run(only=only)
            except asyncio.CancelledError:
                log.info("catch-up: stopped (the bot is shutting down)")
                raise
            except Exception:
                log.exception("catch-up failed; it runs again at the next new session")
            self.runs += 1
            if not self._again:
                break
            reason = "a new gateway session during the last catch-up"
        async with self._idle:
            self.busy = False
            self._idle.notify_all()

    def storage_notice(self, notice: StorageNotice) -> None:
        """The store cannot write, or can again: tell the log channels (once each way) and
        catch up the threads whose events it could not keep."""
        task = asyncio.create_task(tell_log_channels(self.bot, storage_line(notice)),
                                   name="filmclub-storage-notice")
        self._telling.add(task)
        task.add_done_callback(self._telling.discard)
        known = notice.threads & self.bot.prompt_threads
        if notice.kind == "recovered" and known:
            self.schedule("the database could be written again", only=known)

    @commands.Cog.listener()
    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        if payload.thread_id in self.bot.prompt_threads:
            await self._mark_gone([payload.thread_id], "deleted on Discord")

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        prompts = await self.bot.store.list_prompts(channel.guild.id)
        threads = [p.thread_id for p in prompts if p.channel_id == channel.id]
        if threads:
            await self._mark_gone(threads, f"their channel {channel.id} was deleted")

    async def _mark_gone(self, thread_ids: list[int], why: str) -> None:
        statuses = await self.bot.store.thread_statuses()
        now = utcnow()
        for thread_id in thread_ids:
            status = statuses.get(thread_id) or ThreadStatus(thread_id)
            await self.bot.store.save_thread_status(replace(status, gone_at=now))
        log.info("prompt threads %s %s; their stored history is kept", thread_ids, why)

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
        async with self._running:
            report = await self.catch_up.run(only=only)
        if target is not None and target in report.unavailable:
            message = f"Could not resync <#{target}>: {report.unavailable[target]}."
        elif target is not None and target in report.failed:
            message = (f"Could not resync <#{target}>: {report.failed[target]}; "
                       "the next catch-up tries again.")
        else:
            message = f"Resynced: {report.summary()}."
        await interaction.followup.send(message, ephemeral=True)


def storage_line(notice: StorageNotice) -> str:
    """What the log channel is told about a database that cannot be written, or can again."""
    since = f"<t:{int(notice.since.timestamp())}:T>"
    if notice.kind == "failing":
        return (f"⚠️ I cannot write to my database ({notice.problem}) since {since}. I keep "
                "what arrives and keep trying; what I cannot keep is read back from Discord "
                "once writing works again. Commands that change something fail until then.")
    minutes = max(1, round((utcnow() - notice.since).total_seconds() / 60))
    line = f"✅ My database can be written again (after about {minutes} min)."
    if notice.threads:
        line += (f" {notice.shed} messages, edits or reactions in {len(notice.threads)} "
                 "thread(s) could not be kept meanwhile; I am reading them back from Discord.")
    return line


async def setup(bot: FilmClub) -> None:
    await bot.add_cog(CatchUpCog(bot))
