"""Shared Discord pieces of issue 5: pages of embeds with buttons, a confirmation, replies.

Everything sent here mentions no one (``AllowedMentions.none()``): the text may be
what members wrote. Views answer only the member they were made for, and their
errors go the way command errors do (one line for the expected, a log for the rest).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from bot.card import DESCRIPTION_LIMIT, TITLE_LIMIT, fit
from bot.errors import FilmclubError

log = logging.getLogger(__name__)

COLOUR = discord.Colour(0x8E44AD)
PER_PAGE = 10
LINE_LIMIT = 300
#: Footers are kept short, so title + description + footer stay under the 6000 in all.
FOOTER_ROOM = 500
VIEW_TIMEOUT = 600.0  # seconds; ephemeral messages can be edited for 15 minutes
NO_MENTIONS = discord.AllowedMentions.none()
GENERIC_ERROR = "Something went wrong on our side; the moderators can find it in the log."


def message_link(guild_id: int, channel_id: int, message_id: int | None = None) -> str:
    """A jump link to a channel, thread or message."""
    base = f"https://discord.com/channels/{guild_id}/{channel_id}"
    return base if message_id is None else f"{base}/{message_id}"


def one_line(text: str, limit: int = 90) -> str:
    """Member text as a short single line for a list (markdown escaped, cut at a word)."""
    flat = " ".join(text.split())
    return discord.utils.escape_markdown(fit(flat, limit)) if flat else "*(no text)*"


def pages_of(title: str, lines: Sequence[str], *, intro: str = "", footer: str = "",
             per_page: int = PER_PAGE) -> list[discord.Embed]:
    """Embeds of at most ``per_page`` lines each, every one within Discord's limits."""
    title = fit(title, TITLE_LIMIT)
    intro = fit(intro, 1000)
    lines = [fit(line, LINE_LIMIT) for line in lines] or ["*Nothing yet.*"]
    room = DESCRIPTION_LIMIT - len(intro) - 2
    chunks: list[list[str]] = [[]]
    for line in lines:
        chunk = chunks[-1]
        if len(chunk) >= per_page or sum(len(x) + 1 for x in chunk) + len(line) > room:
            chunks.append([line])
        else:
            chunk.append(line)
    pages = []
    for number, chunk in enumerate(chunks, start=1):
        body = "\n".join(chunk)
        embed = discord.Embed(title=title, description=f"{intro}\n\n{body}" if intro else body,
                              colour=COLOUR)
        bits = [footer] if footer else []
        if len(chunks) > 1:
            bits.append(f"Page {number}/{len(chunks)}")
        if bits:
            embed.set_footer(text=fit(" · ".join(bits), FOOTER_ROOM))
        pages.append(embed)
    return pages


async def reply_ephemeral(interaction: discord.Interaction[Any], message: str) -> None:
    """Answer with a private one-liner, whether or not the interaction was answered already;
    an answer Discord refuses is logged, never raised (this is how errors are told)."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not tell user %s: %s", interaction.user.id, message)


async def reply(interaction: discord.Interaction[Any], content: str | None = None, *,
                embed: discord.Embed | None = None, view: discord.ui.View | None = None,
                file: discord.File | None = None) -> discord.Message | None:
    """A private answer, whether the interaction was deferred or not; mentions no one."""
    extra: dict[str, Any] = {}
    if embed is not None:
        extra["embed"] = embed
    if view is not None:
        extra["view"] = view
    if file is not None:
        extra["file"] = file
    if interaction.response.is_done():
        return await interaction.followup.send(content, ephemeral=True, wait=True,
                                               allowed_mentions=NO_MENTIONS, **extra)
    await interaction.response.send_message(content, ephemeral=True,
                                            allowed_mentions=NO_MENTIONS, **extra)
    return None


class OwnedView(discord.ui.View):
    """A view only its owner may use, with the one error path of the commands."""

    def __init__(self, owner_id: int, *, timeout: float | None = VIEW_TIMEOUT) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.message: discord.Message | None = None

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message("These buttons belong to someone else's answer.",
                                                ephemeral=True)
        return False

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception,
                       item: discord.ui.Item[Any]) -> None:
        if isinstance(error, FilmclubError):
            message = str(error)
        else:
            log.error("button %s failed (user %s, guild %s, view %s)",
                      getattr(item, "custom_id", "?"), interaction.user.id,
                      interaction.guild_id, type(self).__name__, exc_info=error)
            message = GENERIC_ERROR
        await reply_ephemeral(interaction, message)

    def disable(self) -> None:
        for child in self.children:
            if isinstance(child, discord.ui.Button | discord.ui.Select):
                child.disabled = True

    async def on_timeout(self) -> None:
        if self.message is None:
            return
        self.disable()
        try:
            await self.message.edit(view=self)
        except discord.HTTPException:
            log.debug("could not disable the buttons of an expired view", exc_info=True)


class Paginator(OwnedView):
    """Pages of embeds with Previous and Next buttons."""

    def __init__(self, owner_id: int, pages: Sequence[discord.Embed]) -> None:
        super().__init__(owner_id)
        self.pages = list(pages)
        self.index = 0
        self._sync()

    def _sync(self) -> None:
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index >= len(self.pages) - 1

    async def _show(self, interaction: discord.Interaction[Any]) -> None:
        self._sync()
        await interaction.response.edit_message(embed=self.pages[self.index], view=self,
                                                allowed_mentions=NO_MENTIONS)

    @discord.ui.button(label="Previous", emoji="◀️", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction[Any],
                       button: discord.ui.Button[Paginator]) -> None:
        self.index = max(0, self.index - 1)
        await self._show(interaction)

    @discord.ui.button(label="Next", emoji="▶️", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction[Any],
                   button: discord.ui.Button[Paginator]) -> None:
        self.index = min(len(self.pages) - 1, self.index + 1)
        await self._show(interaction)


async def send_pages(interaction: discord.Interaction[Any], pages: Sequence[discord.Embed],
                     content: str | None = None) -> None:
    """Send the first page privately, with buttons when there are more."""
    if len(pages) <= 1:
        await reply(interaction, content, embed=pages[0] if pages else None)
        return
    view = Paginator(interaction.user.id, pages)
    view.message = await reply(interaction, content, embed=pages[0], view=view)


class Confirm(OwnedView):
    """A yes/no question; ``on_confirm`` runs on yes and returns the line to show."""

    def __init__(self, owner_id: int, on_confirm: Callable[[], Awaitable[str]], *,
                 confirm_label: str, cancelled: str) -> None:
        super().__init__(owner_id, timeout=300)
        self.on_confirm = on_confirm
        self.cancelled = cancelled
        self.confirm.label = confirm_label

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction[Any],
                      button: discord.ui.Button[Confirm]) -> None:
        self.stop()
        await interaction.response.defer()  # the work may take a moment: answer at once
        result = await self.on_confirm()
        await interaction.edit_original_response(content=result, view=None,
                                                 allowed_mentions=NO_MENTIONS)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction[Any],
                     button: discord.ui.Button[Confirm]) -> None:
        self.stop()
        await interaction.response.edit_message(content=self.cancelled, view=None)
