"""/export and the "Export this thread" message menu: a prompt thread (or the server) as a file.

The file comes in a private reply. The work is deferred at once (Discord allows three
seconds for the first answer), the store is flushed so what members just wrote is
in it, and a file over the channel's attachment limit is gzipped or, still too big,
split into parts sent one per message, with how to join them: never dropped silently.

Who may export: moderators, or everyone when the server's ``export_access`` setting
says so (issue 5), judged on the thread exported (``cogs.support.checks``); deleted and hidden
comments are for moderators of that thread only, whatever the setting. A member gets
only what they can see: a thread they cannot read is not found, and ``scope:server``
holds only the threads they can read (and, with deleted or hidden comments, only
those they moderate).

Limits (issue 13): a few exports a minute per member (``bot.limits.EXPORTS``); one
export runs at a time in a server, a few more wait their turn, told so in their
answer, one per member; rendering, compression and gzip run in worker threads, so
the bot keeps answering while a big file is made.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import ExportError, NotAllowed, NotFound
from bot.export import ExportRequest, ExportResult, default_filename, formats, run_export
from bot.export.archive import default_archive_name
from bot.export.base import describe_selection, format_time
from bot.export.packing import pack
from bot.export.request import build_options
from bot.limits import EXPORTS, ExportLine
from bot.records.visibility import Visible
from cogs.support.checks import (
    MESSAGE_THREAD,
    ThreadOption,
    exporters_only,
    limited,
    moderators_only,
    settings_of,
    target_of,
)
from cogs.support.permissions import visible_threads
from cogs.support.ui import OwnedView

if TYPE_CHECKING:
    from bot.records.server_settings import GuildSettings
    from cogs.support.client import FilmClub

log = logging.getLogger(__name__)

#: /export's ``format:`` choices, from the registry (read once, as this module loads).
FORMAT_CHOICES = [app_commands.Choice(name=name, value=name) for name in formats.names()]

#: /export's target: the thread named, else the one it runs in; the server with scope:server.
EXPORT_TARGET = ThreadOption(
    server_when=lambda options: options.scope == "server",
    outside="Run /export in a prompt thread, or choose one with `thread:`.")
#: What moderators need on a thread to export it (and its deleted or hidden comments).
MODERATE = {"manage_messages": True}


class Export(commands.Cog):
    def __init__(self, bot: FilmClub) -> None:
        self.bot = bot
        self.menu = app_commands.ContextMenu(name="Export this thread",
                                             callback=self.export_this_thread)
        self.line = ExportLine()  # one export at a time per server

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    @app_commands.command(name="export",
                          description="Export a prompt thread, or every prompt here, as a file")
    @app_commands.describe(
        thread="The prompt thread (default: this one)",
        format=f"File format (default: {formats.DEFAULT})",
        scope="One thread (default), or every prompt of this server as a zip",
        sort="Order of comments and of replies to each (default: oldest first)",
        after="Only comments written after a date (2026-11-01 20:30) or a message id",
        before="Only comments written before a date or a message id",
        min_score="Only comments with at least this score",
        include_deleted="Show deleted comments' text, marked (moderators only)",
        include_hidden="Keep comments that moderators hid (moderators only)",
        include_revisions="Show the earlier texts of edited comments",
        anonymise="Member 1, Member 2... instead of names",
        since_last="Only what changed since the last export with these options",
    )
    @app_commands.choices(format=FORMAT_CHOICES)
    @app_commands.guild_only()
    @limited(EXPORTS)
    @exporters_only(EXPORT_TARGET, **MODERATE)
    async def export(self, interaction: discord.Interaction[FilmClub],
                     thread: discord.Thread | None = None,
                     format: str = formats.DEFAULT,
                     scope: Literal["thread", "server"] = "thread",
                     sort: Literal["oldest", "newest", "top"] = "oldest",
                     after: str | None = None,
                     before: str | None = None,
                     min_score: app_commands.Range[int, -1000, 1000] | None = None,
                     include_deleted: bool = False,
                     include_hidden: bool = False,
                     include_revisions: bool = False,
                     anonymise: bool = False,
                     since_last: bool = False) -> None:
        settings = await settings_of(interaction)
        checked = target_of(interaction)  # the thread (or the server), judged by the check
        moderating = include_deleted or include_hidden
        if moderating and not checked.moderator:
            what = "deleted" if include_deleted else "hidden"
            raise NotAllowed(f"Only moderators can include {what} comments in an export.")
        options = build_options(sort=sort, after=after, before=before, min_score=min_score,
                                include_deleted=include_deleted,
                                include_revisions=include_revisions, anonymise=anonymise,
                                zone=settings.zone)
        guild = interaction.guild
        assert guild is not None  # noqa: S101 - guild_only
        if checked.prompt is None:  # scope:server
            # Only the threads this member can read; with deleted or hidden comments, only
            # those they moderate as well.
            visible = await visible_threads(
                interaction, also=MODERATE if moderating else None,
                role_id=settings.moderator_role_id)
            if not visible.thread_ids:
                raise NotFound("This server has no prompts to export yet.")
            request = ExportRequest("guild", guild.id, format, options,
                                    include_hidden=include_hidden, since_last=since_last)
            await self.deliver(interaction, request, settings, f"**{guild.name}**",
                               default_archive_name(guild.id, guild.name, format), visible)
            return
        prompt = checked.prompt
        named = thread.name if thread is not None and thread.id == prompt.thread_id else None
        name = named or self._thread_name(guild, prompt.thread_id) or prompt.article.title
        request = ExportRequest("thread", prompt.thread_id, format, options,
                                include_hidden=include_hidden, since_last=since_last)
        await self.deliver(interaction, request, settings, f"<#{prompt.thread_id}>",
                           default_filename(name, prompt.thread_id, format),
                           Visible.only([prompt.thread_id]))

    @staticmethod
    def _thread_name(guild: discord.Guild, thread_id: int) -> str | None:
        thread = guild.get_thread(thread_id)
        return thread.name if thread is not None else None

    @app_commands.guild_only()
    @limited(EXPORTS)
    @moderators_only(MESSAGE_THREAD, **MODERATE)
    async def export_this_thread(self, interaction: discord.Interaction[FilmClub],
                                 message: discord.Message) -> None:
        """The message menu: the thread the message is in, or the one started from it.

        It answers privately with a choice of format; the file follows the choice.
        """
        prompt = target_of(interaction).prompt  # judged on that thread
        assert prompt is not None  # noqa: S101 - MESSAGE_THREAD always resolves to a prompt
        settings = await settings_of(interaction)
        guild = interaction.guild
        title = (self._thread_name(guild, prompt.thread_id) if guild else None) \
            or prompt.article.title
        label = f"<#{prompt.thread_id}>"
        thread_id = prompt.thread_id

        async def chosen(picked: discord.Interaction[FilmClub], fmt: str) -> None:
            await picked.response.edit_message(
                content=f"{label}: exporting as {fmt}…", view=None)
            await self.deliver(picked, ExportRequest("thread", thread_id, fmt), settings,
                               label, default_filename(title, thread_id, fmt),
                               Visible.only([thread_id]))

        view = FormatChoice(interaction.user.id, chosen)
        await interaction.response.send_message(
            f"Export {label} as which file?", view=view, ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none())
        view.message = await interaction.original_response()

    async def deliver(self, interaction: discord.Interaction[FilmClub], request: ExportRequest,
                      settings: GuildSettings, label: str, filename: str,
                      visible: Visible) -> None:
        """Wait for the server's turn, export, fit the file under the limit, send it, then
        remember the export (as this member's, for their next ``since_last``).

        An interaction answered already (a format picked in a select) is not deferred:
        the file comes as its follow-up.
        """
        guild_id = interaction.guild_id or 0
        self.line.check(guild_id, interaction.user.id)  # refused at once: nothing deferred
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=True, thinking=True)

        async def queued(place: int) -> None:
            await interaction.followup.send(
                f"{label}: another export is being made in this server, so yours waits its "
                f"turn (#{place} in line). The file comes here when it is ready.",
                ephemeral=True)

        async with self.line.turn(guild_id, interaction.user.id, queued=queued):
            result = await self._export(interaction, request, settings, label, filename,
                                        visible)
        # Recorded once the member has the file and is out of the line: a member who asks
        # again at once is not told their export is still running (with PostgreSQL the
        # commit takes a round trip). A second export starting first reads the mark before
        # this one: it gives more, never less.
        if result.record is not None:
            await self.bot.store.record_export(result.record)
        log.info("export %s for user %s: %d comments, %d bytes", request.key,
                 interaction.user.id, result.comments, result.size)

    async def _export(self, interaction: discord.Interaction[FilmClub], request: ExportRequest,
                      settings: GuildSettings, label: str, filename: str,
                      visible: Visible) -> ExportResult:
        store = self.bot.store
        await store.flush()  # what members just wrote belongs in the file
        guild = interaction.guild
        names: dict[int, str] = {}
        if guild is not None:
            names = {c.id: c.name for c in guild.channels}
            names.update({t.id: t.name for t in guild.threads})
        # The file is made in FILMCLUB_EXPORT_TMP (or the system's temporary folder); the
        # folder and whatever is in it go when the export ends, failed or not.
        with temporary_folder(self.bot.config.export_tmp_dir) as folder:
            started, made = time.perf_counter(), False
            try:
                result = await run_export(
                    store, request, Path(folder) / filename, exported_by=interaction.user.id,
                    timezone=settings.zone, guild_name=guild.name if guild else None,
                    channel_names=names, visible=visible)
                made = True
            except ExportError as exc:  # no path of the bot's machine in the answer
                shown = str(exc).replace(str(Path(folder) / "_")[:-1], "")
                raise ExportError(shown.replace(str(folder), "the export folder")) from exc
            finally:
                if self.bot.metrics is not None:  # issue 15: export durations
                    self.bot.metrics.exported(request.scope, request.fmt,
                                              time.perf_counter() - started, ok=made)
            nothing = not result.threads if request.scope == "guild" else not result.entries
            if request.since_last and result.previous is not None and nothing:
                when = format_time(result.previous.exported_at, settings.zone)
                await interaction.followup.send(
                    f"{label}: nothing changed since the export of {when}, so no file.",
                    ephemeral=True)
            else:
                # gzip (and splitting) in a worker thread: not on the event loop
                try:
                    package = await asyncio.to_thread(pack, result.path,
                                                      interaction.filesize_limit)
                except OSError as exc:  # a full disk while gzipping or splitting
                    raise ExportError(f"the export could not be packed ({exc.strerror or exc}); "
                                      "nothing was sent") from None
                note = package.note()
                first = summary(request, result, label, settings) + (f"\n{note}" if note else "")
                for number, part in enumerate(package.files, 1):
                    text = first if number == 1 else (
                        f"{label}: part {number} of {len(package.files)}.")
                    await interaction.followup.send(
                        text, file=discord.File(part, filename=part.name), ephemeral=True)
        return result


#: The formats as the "Export this thread" menu offers them, in order (from the registry).
FORMAT_LABELS: dict[str, str] = {f.name: formats.menu_label(f) for f in formats.menu()}


class FormatChoice(OwnedView):
    """The private answer of "Export this thread": which format; the file follows."""

    def __init__(self, owner_id: int,
                 on_choice: Callable[[discord.Interaction[FilmClub], str], Awaitable[None]]
                 ) -> None:
        super().__init__(owner_id)
        self.on_choice = on_choice

    @discord.ui.select(placeholder="Choose a format", min_values=1, max_values=1, options=[
        discord.SelectOption(label=text, value=fmt) for fmt, text in FORMAT_LABELS.items()])
    async def format(self, interaction: discord.Interaction[FilmClub],
                     select: discord.ui.Select[FormatChoice]) -> None:
        self.stop()
        await self.on_choice(interaction, select.values[0])


def summary(request: ExportRequest, result: ExportResult, label: str,
            settings: GuildSettings) -> str:
    """'<#thread>: 5 comments as md (best score first).' — what the file holds."""
    def count(number: int, noun: str) -> str:
        return f"{number} {noun}{'' if number == 1 else 's'}"

    what = f"{count(result.threads, 'thread')}, " if request.scope == "guild" else ""
    line = f"{label}: {what}{count(result.comments, 'comment')} as {request.fmt}"
    since = result.previous.exported_at if result.previous else None
    if selection := describe_selection(request.options, zone=settings.zone, since=since):
        line += f" ({selection})"
    if request.since_last and result.previous is None:
        line += " (no earlier export like this one, so everything)"
    return line + "."


@contextlib.contextmanager
def temporary_folder(parent: Path | None) -> Iterator[str]:
    """A new folder for one export under ``parent`` (made if missing), removed afterwards."""
    try:
        if parent is not None:
            parent.mkdir(parents=True, exist_ok=True)
        made = tempfile.TemporaryDirectory(prefix="filmclub-export-", dir=parent,
                                           ignore_cleanup_errors=True)
    except OSError as exc:
        raise ExportError(f"the export folder cannot be written ({exc.strerror or exc}); "
                          "nothing was sent") from None
    with made as folder:
        yield folder


async def setup(bot: FilmClub) -> None:
    await bot.add_cog(Export(bot))
