"""/prompt: post a film article as a discussion prompt with its own thread."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.card import prompt_card, thread_name
from bot.errors import FilmclubError
from bot.models import Prompt, utcnow
from cogs.checks import moderators_only

if TYPE_CHECKING:
    from bot.client import FilmClub

log = logging.getLogger(__name__)

AUTOCOMPLETE_LIMIT = 25
THREAD_ARCHIVE_MINUTES = 10080  # a week: film talk is slow


@app_commands.guild_only()
class Prompts(commands.GroupCog, group_name="prompt", group_description="Film prompts"):
    def __init__(self, bot: FilmClub) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="post", description="Post a film article as a discussion prompt")
    @app_commands.describe(article="The article (its file name in the library)",
                           channel="Where to post it (default: here)")
    @moderators_only(manage_messages=True)
    async def post(self, interaction: discord.Interaction[FilmClub],
                   article: app_commands.Range[str, 1, 100],
                   channel: discord.TextChannel | None = None) -> None:
        target = channel or interaction.channel
        if not isinstance(target, discord.TextChannel):
            raise FilmclubError("Prompts go in a text channel: run this in one or name one.")
        found = self.bot.library.get(article)  # ArticleNotFound is a one-line FilmclubError
        await interaction.response.defer(ephemeral=True, thinking=True)
        embed = discord.Embed.from_dict(prompt_card(found))
        message = await target.send(embed=embed)
        thread = await message.create_thread(
            name=thread_name(found), auto_archive_duration=THREAD_ARCHIVE_MINUTES
        )
        await self.bot.store.add_prompt(Prompt(
            thread_id=thread.id, guild_id=target.guild.id, channel_id=target.id,
            message_id=message.id, article=found, posted_at=utcnow(),
            posted_by=interaction.user.id,
        ))
        self.bot.prompt_threads.add(thread.id)
        log.info("prompt %r posted in %d by %d: thread %d", found.slug, target.id,
                 interaction.user.id, thread.id)
        await interaction.followup.send(
            f"Posted **{discord.utils.escape_markdown(found.title)}**: {thread.jump_url}",
            ephemeral=True,
        )

    @post.autocomplete("article")
    async def article_choices(self, interaction: discord.Interaction[FilmClub],
                              current: str) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=_choice_name(a.title, a.slug), value=a.slug)
            for a in self.bot.library.search(current, limit=AUTOCOMPLETE_LIMIT)
        ]


def _choice_name(title: str, slug: str) -> str:
    """'Title (slug)' within Discord's 100-character choice names."""
    suffix = f" ({slug})"
    room = 100 - len(suffix)
    if room < 10:
        return slug[:100]
    return (title if len(title) <= room else title[: room - 1] + "…") + suffix


async def setup(bot: FilmClub) -> None:
    await bot.add_cog(Prompts(bot))
