"""The ``thread`` and ``message`` options of issue 5's commands: parse, autocomplete, resolve.

A thread option is text with autocomplete over the server's prompt threads rather
than a channel picker: Discord's picker does not list archived threads, and film
discussions archive after a week. Members may also paste a link, a mention or an id.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.card import fit
from bot.errors import InvalidValue, NotFound
from bot.models import Prompt
from cogs.support.permissions import visible_threads

if TYPE_CHECKING:
    from cogs.support.client import FilmClub

AUTOCOMPLETE_LIMIT = 25
_LINK = re.compile(
    r"https?://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/channels/(\d+)/(\d+)(?:/(\d+))?/?"
)
_MENTION = re.compile(r"<#(\d{15,21})>")
_ID = re.compile(r"\d{15,21}")


def parse_thread_ref(text: str) -> int:
    """A thread id from a link, a ``<#mention>`` or the id itself."""
    text = text.strip()
    if match := _LINK.fullmatch(text):
        return int(match[2])
    if match := _MENTION.fullmatch(text):
        return int(match[1])
    if _ID.fullmatch(text):
        return int(text)
    raise InvalidValue(f"{text[:60]!r} is not a thread: pick one from the list, or paste its "
                       "link or id.")


def parse_message_ref(text: str, guild_id: int | None) -> int:
    """A message id from its link (Copy Message Link) or the id itself."""
    text = text.strip()
    if match := _LINK.fullmatch(text):
        if match[3] is None:
            raise InvalidValue("That link is to a channel, not a message: use Copy Message Link.")
        if guild_id is not None and int(match[1]) != guild_id:
            raise InvalidValue("That message is in another server.")
        return int(match[3])
    if _ID.fullmatch(text):
        return int(text)
    raise InvalidValue(f"{text[:60]!r} is not a message: paste its link (Copy Message Link) "
                       "or its id.")


async def fetch_thread(interaction: discord.Interaction[FilmClub], thread_id: int
                       ) -> discord.Thread:
    """The Discord thread, from the cache or (archived ones) from Discord."""
    guild = interaction.guild
    if guild is None:
        raise app_commands.NoPrivateMessage()
    return await thread_of(guild, thread_id)


async def thread_of(guild: discord.Guild, thread_id: int) -> discord.Thread:
    """A thread of ``guild``, from the cache or (archived ones) from Discord."""
    thread = guild.get_thread(thread_id)
    if thread is not None:
        return thread
    try:
        channel = await guild.fetch_channel(thread_id)
    except discord.NotFound:
        raise NotFound("Discord says that thread no longer exists.") from None
    if not isinstance(channel, discord.Thread):
        raise NotFound("That is not a thread.")
    return channel


def choice_name(prompt: Prompt) -> str:
    """'Title · 2026-11-01' within Discord's 100 characters."""
    return f"{fit(' '.join(prompt.article.title.split()), 86)} · {prompt.posted_at:%Y-%m-%d}"


async def thread_choices(interaction: discord.Interaction[FilmClub], current: str
                         ) -> list[app_commands.Choice[str]]:
    """The server's prompt threads that the member can see and that match what was typed,
    newest first, at most 25."""
    if interaction.guild_id is None or not isinstance(interaction.user, discord.Member):
        return []
    prompts = await interaction.client.store.list_prompts(interaction.guild_id)
    visible = await visible_threads(interaction, prompts=prompts)
    needle = current.strip().casefold()
    found = [
        p for p in reversed(prompts)
        if visible.allows(p.thread_id)
        and (not needle or needle in p.article.title.casefold()
             or needle in p.article.slug.casefold() or needle in str(p.thread_id))
    ]
    return [app_commands.Choice(name=choice_name(p), value=str(p.thread_id))
            for p in found[:AUTOCOMPLETE_LIMIT]]
