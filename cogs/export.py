"""/export: a prompt thread as a file, attached to a private reply."""

from __future__ import annotations

import gzip
import logging
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import FilmclubError
from bot.export import default_filename, export_thread
from cogs.checks import moderators_only

if TYPE_CHECKING:
    from bot.client import FilmClub

log = logging.getLogger(__name__)


class Export(commands.Cog):
    def __init__(self, bot: FilmClub) -> None:
        self.bot = bot

    @app_commands.command(name="export", description="Export a prompt thread as a file")
    @app_commands.describe(thread="The prompt thread (default: this one)",
                           format="File format")
    @app_commands.guild_only()
    @moderators_only(manage_messages=True)
    async def export(self, interaction: discord.Interaction[FilmClub],
                     thread: discord.Thread | None = None,
                     format: Literal["md"] = "md") -> None:
        target = thread or interaction.channel
        if not isinstance(target, discord.Thread):
            raise FilmclubError("Run /export in a prompt thread, or choose one with `thread:`.")
        if target.id not in self.bot.prompt_threads:
            raise FilmclubError(f"{target.mention} is not a filmclub prompt thread.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.bot.store.flush()  # what members just wrote belongs in the file
        with tempfile.TemporaryDirectory(prefix="filmclub-export-") as folder:
            name = default_filename(target.name, target.id, format)
            path = Path(folder) / name
            result = await export_thread(
                self.bot.store, target.id, format, path,
                thread_name=target.name, guild_name=target.guild.name,
            )
            note = ""
            if result.size > interaction.filesize_limit:
                packed = path.with_name(name + ".gz")
                with path.open("rb") as src, gzip.open(packed, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                if packed.stat().st_size > interaction.filesize_limit:
                    raise FilmclubError(
                        f"The export is {result.size:,} bytes, too big to attach even gzipped; "
                        "use `filmclub export` on the server instead."
                    )
                path, note = packed, " (gzipped: it was over Discord's attachment limit)"
            await interaction.followup.send(
                f"{target.mention}: {result.comments} comments as {format}{note}.",
                file=discord.File(path, filename=path.name), ephemeral=True,
            )


async def setup(bot: FilmClub) -> None:
    await bot.add_cog(Export(bot))
