"""/export and the "Export this thread" message menu: a prompt thread (or the server) as a file.

The file comes in a private reply. The work is deferred at once (Discord allows three
seconds for the first answer), the store is flushed so what members just wrote is
in it, and a file over the channel's attachment limit is gzipped or, still too big,
split into parts sent one per message, with how to join them: never dropped silently.

Who may export: moderators, or everyone when the server's ``export_access`` setting
says so (issue 5); deleted and hidden comments are for moderators only, whatever the
setting.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import FilmclubError, InvalidValue, NotAllowed, NotFound
from bot.export import ExportRequest, ExportResult, default_filename, run_export
from bot.export.archive import default_archive_name
from bot.export.base import describe_selection, format_time
from bot.export.packing import pack
from bot.export.request import build_options
from cogs.checks import exporters_only, is_moderator, moderators_only, settings_of
from cogs.ui import OwnedView

if TYPE_CHECKING:
    from bot.client import FilmClub
    from bot.moderation import GuildSettings

log = logging.getLogger(__name__)

Format = Literal["md", "json", "html", "csv", "txt"]


class Export(commands.Cog):
    def __init__(self, bot: FilmClub) -> None:
        self.bot = bot
        self.menu = app_commands.ContextMenu(name="Export this thread",
                                             callback=self.export_this_thread)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    @app_commands.command(name="export",
                          description="Export a prompt thread, or every prompt here, as a file")
    @app_commands.describe(
        thread="The prompt thread (default: this one)",
        format="File format (default: md)",
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
    @app_commands.guild_only()
    @exporters_only(manage_messages=True)
    async def export(self, interaction: discord.Interaction[FilmClub],
                     thread: discord.Thread | None = None,
                     format: Format = "md",
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
        if (include_deleted or include_hidden) and not await is_moderator(interaction):
            what = "deleted" if include_deleted else "hidden"
            raise NotAllowed(f"Only moderators can include {what} comments in an export.")
        options = build_options(sort=sort, after=after, before=before, min_score=min_score,
                                include_deleted=include_deleted,
                                include_revisions=include_revisions, anonymise=anonymise,
                                zone=settings.zone)
        guild = interaction.guild
        assert guild is not None  # noqa: S101 - guild_only
        if scope == "server":
            if thread is not None:
                raise InvalidValue("Choose a thread or scope:server, not both.")
            if not await self.bot.store.list_prompts(guild.id):
                raise NotFound("This server has no prompts to export yet.")
            request = ExportRequest("guild", guild.id, format, options,
                                    include_hidden=include_hidden, since_last=since_last)
            await self.deliver(interaction, request, settings, f"**{guild.name}**",
                               default_archive_name(guild.id, guild.name, format))
            return
        target = thread or interaction.channel
        if not isinstance(target, discord.Thread):
            raise FilmclubError("Run /export in a prompt thread, or choose one with `thread:`.")
        prompt = await self.bot.store.get_prompt(target.id)
        if prompt is None or prompt.guild_id != guild.id:
            raise NotFound(f"{target.mention} is not a filmclub prompt thread.")
        request = ExportRequest("thread", target.id, format, options,
                                include_hidden=include_hidden, since_last=since_last)
        await self.deliver(interaction, request, settings, target.mention,
                           default_filename(target.name, target.id, format))

    @app_commands.guild_only()
    @moderators_only(manage_messages=True)
    async def export_this_thread(self, interaction: discord.Interaction[FilmClub],
                                 message: discord.Message) -> None:
        """The message menu: the thread the message is in, or the one started from it.

        It answers privately with a choice of format; the file follows the choice.
        """
        store = self.bot.store
        prompt = await store.get_prompt(message.channel.id) or await store.find_prompt(message.id)
        if prompt is None or prompt.guild_id != interaction.guild_id:
            raise NotFound("That message is not in a prompt thread, nor does one start from it.")
        settings = await settings_of(interaction)
        guild = interaction.guild
        thread = guild.get_thread(prompt.thread_id) if guild else None
        title = thread.name if thread else prompt.article.title
        label = f"<#{prompt.thread_id}>"

        async def chosen(picked: discord.Interaction[FilmClub], fmt: str) -> None:
            await picked.response.edit_message(
                content=f"{label}: exporting as {fmt}…", view=None)
            await self.deliver(picked, ExportRequest("thread", prompt.thread_id, fmt),
                               settings, label, default_filename(title, prompt.thread_id, fmt))

        view = FormatChoice(interaction.user.id, chosen)
        await interaction.response.send_message(
            f"Export {label} as which file?", view=view, ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none())
        view.message = await interaction.original_response()

    async def deliver(self, interaction: discord.Interaction[FilmClub], request: ExportRequest,
                      settings: GuildSettings, label: str, filename: str) -> None:
        """Defer, export, fit the file under the limit, send it, then remember the export.

        An interaction answered already (a format picked in a select) is not deferred:
        the file comes as its follow-up.
        """
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=True, thinking=True)
        store = self.bot.store
        await store.flush()  # what members just wrote belongs in the file
        guild = interaction.guild
        names: dict[int, str] = {}
        if guild is not None:
            names = {c.id: c.name for c in guild.channels}
            names.update({t.id: t.name for t in guild.threads})
        with tempfile.TemporaryDirectory(prefix="filmclub-export-") as folder:
            result = await run_export(
                store, request, Path(folder) / filename, exported_by=interaction.user.id,
                timezone=settings.zone, guild_name=guild.name if guild else None,
                channel_names=names)
            nothing = not result.threads if request.scope == "guild" else not result.entries
            if request.since_last and result.previous is not None and nothing:
                when = format_time(result.previous.exported_at, settings.zone)
                await interaction.followup.send(
                    f"{label}: nothing changed since the export of {when}, so no file.",
                    ephemeral=True)
            else:
                package = pack(result.path, interaction.filesize_limit)
                note = package.note()
                first = summary(request, result, label, settings) + (f"\n{note}" if note else "")
                for number, part in enumerate(package.files, 1):
                    text = first if number == 1 else (
                        f"{label}: part {number} of {len(package.files)}.")
                    await interaction.followup.send(
                        text, file=discord.File(part, filename=part.name), ephemeral=True)
        if result.record is not None:
            await store.record_export(result.record)
        log.info("export %s for user %s: %d comments, %d bytes", request.key,
                 interaction.user.id, result.comments, result.size)


#: The formats as the "Export this thread" menu offers them, in order.
FORMAT_LABELS: dict[str, str] = {
    "md": "Markdown (.md)", "html": "Web page (.html)", "txt": "Plain text (.txt)",
    "json": "JSON (.json)", "csv": "Spreadsheet table (.csv)",
}


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


async def setup(bot: FilmClub) -> None:
    await bot.add_cog(Export(bot))
