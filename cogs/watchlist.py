"""Watchlists (issue 17): /watchlist add, list, remove, watched, lists, and /club settings.

A thin adapter over ``bot.watchlist`` and the store. Any member suggests films unless
the server's setting (``/club settings suggestions:moderators``) keeps it to
moderators; a film is removed, or marked watched by hand, by whoever suggested it or
a moderator. A film is also marked watched when a prompt about it is posted.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import NotAllowed, NotFound
from bot.models import Prompt
from bot.records.server_settings import MAX_POLL_HOURS, MIN_POLL_HOURS
from bot.settings import apply_changes, changed_settings
from bot.watchlist import (
    LIST_NAME_LIMIT,
    MAX_YEAR,
    MIN_YEAR,
    TITLE_LIMIT,
    WatchEntry,
    autocomplete,
    clean_note,
    film_label,
    film_of_article,
    list_key,
    list_name,
    one_entry,
    ordered,
    read_film,
)
from cogs.support.checks import SERVER, judge, may, members_command, moderators_only
from cogs.support.ui import one_line, pages_of, reply, send_pages

if TYPE_CHECKING:
    from cogs.support.client import FilmClub

log = logging.getLogger(__name__)

#: Option types with the core's own bounds (bot.watchlist), shared by /poll and /film.
FilmTitle = app_commands.Range[str, 1, TITLE_LIMIT]
FilmYear = app_commands.Range[int, MIN_YEAR, MAX_YEAR]
ListName = app_commands.Range[str, 1, LIST_NAME_LIMIT]

AUTOCOMPLETE_LIMIT = 25
MODERATOR_PERMS = {"manage_messages": True}


def _entry_line(number: int | None, entry: WatchEntry) -> str:
    head = f"{number}. " if number is not None else "- "
    line = f"{head}**{one_line(entry.title, 80)}**" + (f" ({entry.year})" if entry.year else "")
    if entry.watched_at:
        line = f"{head}~~{one_line(entry.title, 80)}~~" + (f" ({entry.year})" if entry.year
                                                           else "")
        line += f" · watched <t:{int(entry.watched_at.timestamp())}:d>"
        if entry.watched_thread_id:
            line += f" in <#{entry.watched_thread_id}>"
    else:
        line += f" · {one_line(entry.suggested_by_name, 32)}"
        if entry.note:
            line += f" · *{one_line(entry.note, 80)}*"
    return line


class Watchlists(commands.Cog):
    """What the club wants to watch, in named lists per server."""

    watchlist = app_commands.Group(name="watchlist", description="The club's lists of films",
                                   guild_only=True)

    def __init__(self, bot: FilmClub) -> None:
        self.bot = bot

    # -- helpers ------------------------------------------------------------------------------

    async def _entries(self, interaction: discord.Interaction[FilmClub],
                       name: str | None) -> list[WatchEntry]:
        return await self.bot.store.watch_entries(interaction.guild_id or 0, name)

    async def _may_change(self, interaction: discord.Interaction[FilmClub],
                          entry: WatchEntry, what: str) -> None:
        if entry.suggested_by == interaction.user.id:
            return
        if not await may(interaction, SERVER, **MODERATOR_PERMS):
            raise NotAllowed(f"Only whoever suggested “{entry.label}” or a moderator can {what}.")

    async def _pick(self, interaction: discord.Interaction[FilmClub], film: str,
                    year: int | None, list_: str | None) -> WatchEntry:
        """The entry a member named: in the list given, else in the one list holding it."""
        wanted = read_film(film, year)
        if list_ is not None:
            name = list_name(list_)
            return one_entry(await self._entries(interaction, name), wanted, f"the list {name}")
        entries = await self._entries(interaction, None)
        holding = {list_key(e.list_name) for e in entries if e.key == wanted.key}
        if len(holding) > 1:
            names = sorted({e.list_name for e in entries if e.key == wanted.key})
            raise NotFound(f"“{wanted.label}” is on several lists ({', '.join(names)}); "
                           "say which with list.")
        return one_entry(entries, wanted, "any list of this server")

    # -- commands ----------------------------------------------------------------------------

    @watchlist.command(name="add", description="Suggest a film for the club to watch")
    @app_commands.describe(film="The film's title (a year in brackets works: “Her (2013)”)",
                           year="Its year, to tell remakes apart",
                           list_="Which list (default: Watchlist; a new name makes a list)",
                           note="Why, or where to stream it")
    @app_commands.rename(list_="list")
    @members_command
    async def add(self, interaction: discord.Interaction[FilmClub],
                  film: FilmTitle,
                  year: FilmYear | None = None,
                  list_: ListName | None = None,
                  note: app_commands.Range[str, 1, 300] | None = None) -> None:
        guild_id = interaction.guild_id or 0
        settings = await self.bot.store.get_settings(guild_id)
        if settings.suggest_access == "moderators":
            await judge(interaction, await SERVER.resolve(interaction), MODERATOR_PERMS)
        wanted, name, text = read_film(film, year), list_name(list_), clean_note(note)
        entry, new = await self.bot.store.add_watch_entry(
            guild_id, name, wanted, note=text, user_id=interaction.user.id,
            user_name=interaction.user.display_name, at=self.bot.clock())
        if new:
            log.info("server %d: %s added to %s by %d", guild_id, entry.label, name,
                     interaction.user.id)
            await reply(interaction, f"Added **{one_line(entry.label, 120)}** to "
                                     f"{one_line(entry.list_name, 60)}.")
            return
        state = " (already watched)" if entry.watched else ""
        await reply(interaction, f"**{one_line(entry.label, 120)}** is already on "
                                 f"{one_line(entry.list_name, 60)}{state}, suggested by "
                                 f"{one_line(entry.suggested_by_name, 40)}.")

    @watchlist.command(name="list", description="The films on a list, to watch first")
    @app_commands.describe(list_="Which list (default: Watchlist)")
    @app_commands.rename(list_="list")
    @members_command
    async def show(self, interaction: discord.Interaction[FilmClub],
                   list_: ListName | None = None) -> None:
        name = list_name(list_)
        entries = ordered(await self._entries(interaction, name))
        if not entries and list_ is not None and not any(
                list_key(i.name) == list_key(name)
                for i in await self.bot.store.watchlists(interaction.guild_id or 0)):
            raise NotFound(f"This server has no list named {name}; /watchlist lists shows them.")
        pending = [e for e in entries if not e.watched]
        lines = [_entry_line(n, e) for n, e in enumerate(pending, start=1)]
        lines += [_entry_line(None, e) for e in entries if e.watched]
        title = entries[0].list_name if entries else name
        intro = (f"{len(pending)} to watch, {len(entries) - len(pending)} watched."
                 if entries else "Nothing on this list yet: /watchlist add suggests a film.")
        await send_pages(interaction, pages_of(title, lines, intro=intro))

    @watchlist.command(name="lists", description="This server's watchlists")
    @members_command
    async def lists(self, interaction: discord.Interaction[FilmClub]) -> None:
        found = await self.bot.store.watchlists(interaction.guild_id or 0)
        lines = [f"- **{one_line(i.name, 60)}**: {i.films - i.watched} to watch, "
                 f"{i.watched} watched" for i in found]
        intro = "" if found else "No lists yet: /watchlist add film:… list:… makes one."
        await send_pages(interaction, pages_of("Watchlists", lines, intro=intro))

    @watchlist.command(name="remove", description="Take a film off a list")
    @app_commands.describe(film="The film", year="Its year, when two films share the title",
                           list_="Which list (default: the one holding it)")
    @app_commands.rename(list_="list")
    @members_command
    async def remove(self, interaction: discord.Interaction[FilmClub],
                     film: FilmTitle,
                     year: FilmYear | None = None,
                     list_: ListName | None = None) -> None:
        entry = await self._pick(interaction, film, year, list_)
        await self._may_change(interaction, entry, "remove it")
        await self.bot.store.remove_watch_entry(entry.id)
        log.info("server %s: %s removed from %s by %d", interaction.guild_id, entry.label,
                 entry.list_name, interaction.user.id)
        await reply(interaction, f"Removed **{one_line(entry.label, 120)}** from "
                                 f"{one_line(entry.list_name, 60)}.")

    @watchlist.command(name="watched", description="Mark a film watched (or not, with undo)")
    @app_commands.describe(film="The film", year="Its year, when two films share the title",
                           list_="Which list (default: the one holding it)",
                           undo="Mark it not watched")
    @app_commands.rename(list_="list")
    @members_command
    async def watched(self, interaction: discord.Interaction[FilmClub],
                      film: FilmTitle,
                      year: FilmYear | None = None,
                      list_: ListName | None = None,
                      undo: bool = False) -> None:
        entry = await self._pick(interaction, film, year, list_)
        await self._may_change(interaction, entry, "mark it")
        await self.bot.store.set_watched(entry.id, None if undo else self.bot.clock())
        state = "not watched" if undo else "watched"
        await reply(interaction, f"**{one_line(entry.label, 120)}** on "
                                 f"{one_line(entry.list_name, 60)} is now marked {state}.")

    # -- autocomplete ------------------------------------------------------------------------

    @add.autocomplete("film")
    @remove.autocomplete("film")
    @watched.autocomplete("film")
    async def film_choices(self, interaction: discord.Interaction[FilmClub],
                           current: str) -> list[app_commands.Choice[str]]:
        named = getattr(interaction.namespace, "list", None)
        entries = await self.bot.store.watch_entries(
            interaction.guild_id or 0, list_name(named) if named else None)
        choices: list[app_commands.Choice[str]] = []
        seen: set[str] = set()
        for entry in autocomplete(entries, current, AUTOCOMPLETE_LIMIT):
            value = entry.label[:100]
            if value in seen:
                continue
            seen.add(value)
            suffix = " ✓" if entry.watched else ""
            choices.append(app_commands.Choice(
                name=f"{entry.label} · {entry.list_name}{suffix}"[:100], value=value))
        if interaction.command is not None and interaction.command.name == "add":
            choices += await self._library_films(current, seen, AUTOCOMPLETE_LIMIT - len(choices))
        return choices[:AUTOCOMPLETE_LIMIT]

    async def _library_films(self, current: str, seen: set[str],
                             room: int) -> list[app_commands.Choice[str]]:
        """Films the library has articles about, for suggesting (after the lists' own)."""
        prompts = self.bot.get_cog("Prompts")
        if prompts is None or room <= 0:
            return []
        found = []
        for article in await prompts.catalog.search("", limit=200):  # type: ignore[attr-defined]
            if not article.film:
                continue
            value = film_label(article.film, article.year)[:100]
            if value in seen or not autocomplete(
                    [_probe(article.film, article.year)], current, 1):
                continue
            seen.add(value)
            found.append(app_commands.Choice(name=f"{value} · in the library"[:100], value=value))
        return found[:room]

    @add.autocomplete("list_")
    @show.autocomplete("list_")
    @remove.autocomplete("list_")
    @watched.autocomplete("list_")
    async def list_choices(self, interaction: discord.Interaction[FilmClub],
                           current: str) -> list[app_commands.Choice[str]]:
        needle = current.strip().casefold()
        return [app_commands.Choice(name=i.name, value=i.name)
                for i in await self.bot.store.watchlists(interaction.guild_id or 0)
                if needle in i.name.casefold()][:AUTOCOMPLETE_LIMIT]

    # -- prompts mark films watched ------------------------------------------------------------

    @commands.Cog.listener()
    async def on_filmclub_prompt_posted(self, prompt: Prompt, message: object,
                                        thread: object) -> None:
        """A prompt about a film on a list marks it watched there (the article's film/year)."""
        film = film_of_article(prompt.article)
        if film is None:
            return
        marked = await self.bot.store.mark_film_watched(prompt.guild_id, film, prompt.posted_at,
                                                        prompt.thread_id)
        for entry in marked:
            log.info("server %d: %s on %s marked watched by prompt %d", prompt.guild_id,
                     film_label(entry.title, entry.year), entry.list_name, prompt.thread_id)


def _probe(title: str, year: int | None) -> WatchEntry:
    """A stand-in entry, to match a library film the way list entries are matched."""
    return WatchEntry(0, 0, "", title, year, None, 0, "", datetime.now(UTC))


@app_commands.guild_only()
@app_commands.default_permissions(manage_messages=True)
class ClubSettingsCog(commands.GroupCog, group_name="club",
                      group_description="The film club's settings"):
    """/club settings: who may suggest films, and how long polls run by default.

    A shortcut kept from issue 17: the two settings are the server's one record (issue 20,
    ``/filmclub settings``), checked by the same core function; moderators may change
    these two here, as before."""

    def __init__(self, bot: FilmClub) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="settings", description="Who suggests films; polls' default "
                                                        "length. Without options, shows them")
    @app_commands.describe(suggestions="Who may add films to watchlists",
                           poll_hours="How long a poll runs unless told (1 to 768 hours)")
    @moderators_only(SERVER, manage_messages=True)
    async def settings(self, interaction: discord.Interaction[FilmClub],
                       suggestions: Literal["everyone", "moderators"] | None = None,
                       poll_hours: app_commands.Range[int, MIN_POLL_HOURS, MAX_POLL_HOURS]
                       | None = None) -> None:
        store = self.bot.store
        current = await store.get_settings(interaction.guild_id or 0)
        if suggestions is not None or poll_hours is not None:
            new = apply_changes(current, {"suggest_access": suggestions,
                                          "poll_hours": poll_hours},
                                at=self.bot.clock(), by=interaction.user.id)
            if changed_settings(current, new):
                await store.save_settings(new)
                current = new
        who = "every member" if current.suggest_access == "everyone" else "moderators only"
        await reply(interaction, f"Film suggestions: {who}. Polls run {current.poll_hours} "
                                 "hours unless told otherwise.")


async def setup(bot: FilmClub) -> None:
    await bot.add_cog(Watchlists(bot))
    await bot.add_cog(ClubSettingsCog(bot))
