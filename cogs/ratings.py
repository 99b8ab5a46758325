"""Ratings (issue 17): a "Rate the film" menu on every prompt, /film top and /film ratings.
The Discord side of ``bot.ratings`` (half stars, the Bayesian table) and ``bot.films``.

The menu is a ``DynamicItem``: its custom id encodes the prompt (``filmclub:rate:<thread
id>``), so it works after restarts with no view kept in memory. One rating per member,
changed by picking again, removed with "Remove my rating". The prompt's embed shows the
average and count; however many ratings arrive, it is edited at most once every
``EDIT_INTERVAL`` seconds per prompt (one task per prompt coalesces the changes),
within Discord's rate limits for editing a message. Prompts posted before the menu
existed get it from a paced catch-up at start (``bot.rating_controls``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.articles import Catalog
from bot.card import link
from bot.errors import FilmclubError, NotFound
from bot.filmlookup import FILM_ID_PREFIX, set_article_film
from bot.films import FilmRecord, info_fields, pick, visible_history
from bot.models import Prompt
from bot.rating_controls import Outcome, add_missing
from bot.ratings import (
    HALF_STARS,
    PRIOR_COUNT,
    REMOVE,
    RatingSummary,
    distribution_lines,
    find_film,
    group_by_film,
    rank_films,
    read_rating,
    star_bar,
    stars_text,
)
from bot.stats import PERIOD_LABELS, Period, period_start
from bot.watchlist import film_label, read_film
from cogs.support.checks import SERVER, may, members_command, moderators_only
from cogs.support.permissions import visible_threads
from cogs.support.ui import (
    COLOUR,
    GENERIC_ERROR,
    one_line,
    pages_of,
    reply,
    reply_ephemeral,
    send_pages,
)
from cogs.watchlist import FilmTitle

if TYPE_CHECKING:
    from cogs.support.client import FilmClub

log = logging.getLogger(__name__)

#: Seconds between two edits of one prompt's embed, at least.
EDIT_INTERVAL = 5.0
FIELD_NAME = "Rating"
CUSTOM_ID = "filmclub:rate:{thread_id}"
AUTOCOMPLETE_LIMIT = 25


def rating_options() -> list[discord.SelectOption]:
    options = [discord.SelectOption(label=f"{star_bar(step)} {stars_text(step)}",
                                    value=str(step),
                                    description="out of 5" if step == 10 else None)
               for step in reversed(HALF_STARS)]
    options.append(discord.SelectOption(label="Remove my rating", value=REMOVE, emoji="✖️"))
    return options


class RateSelect(discord.ui.DynamicItem[discord.ui.Select[Any]],
                 template=r"filmclub:rate:(?P<thread_id>[0-9]{1,20})"):
    """The "Rate the film" menu of one prompt."""

    def __init__(self, thread_id: int) -> None:
        self.thread_id = thread_id
        super().__init__(discord.ui.Select(
            custom_id=CUSTOM_ID.format(thread_id=thread_id), placeholder="Rate the film",
            min_values=1, max_values=1, options=rating_options()))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any],
                             item: discord.ui.Item[Any], match: re.Match[str], /
                             ) -> RateSelect:
        return cls(int(match["thread_id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot: FilmClub = interaction.client
        cog = bot.get_cog("Ratings")
        try:
            if not isinstance(cog, Ratings):
                raise FilmclubError("Ratings are switched off right now.")
            await cog.rated(interaction, self.thread_id, self.item.values)
        except FilmclubError as exc:
            await reply_ephemeral(interaction, str(exc))
        except Exception:
            log.exception("rating prompt %d failed (user %s)", self.thread_id,
                          interaction.user.id)
            await reply_ephemeral(interaction, GENERIC_ERROR)


def rating_view(thread_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(RateSelect(thread_id))
    return view


def with_rating(embed: discord.Embed, summary: RatingSummary) -> discord.Embed:
    """The prompt's embed with its Rating field set to ``summary`` (added if missing)."""
    embed = embed.copy()
    value = summary.line()
    for index, field in enumerate(embed.fields):
        if field.name == FIELD_NAME:
            embed.set_field_at(index, name=FIELD_NAME, value=value, inline=False)
            return embed
    return embed.add_field(name=FIELD_NAME, value=value, inline=False)


class Ratings(commands.Cog):
    """The rating menu's work, the coalesced embed edits, and /film (issue 18 adds
    /film set and /film info, whose work is in bot.filmlookup and bot.films)."""

    film = app_commands.Group(name="film", description="What the club thought of its films",
                              guild_only=True)

    def __init__(self, bot: FilmClub) -> None:
        self.bot = bot
        self.edit_interval = EDIT_INTERVAL
        self._dirty: set[int] = set()
        self._editors: dict[int, asyncio.Task[None]] = {}
        self._last_edit: dict[int, float] = {}
        self._embeds: dict[int, discord.Embed] = {}  # the latest embed seen, per prompt
        self._catch_up: asyncio.Task[None] | None = None
        self._reopened: set[asyncio.Task[None]] = set()  # catch-ups of reopened forum posts

    async def cog_unload(self) -> None:
        for catch_up in [self._catch_up, *self._reopened]:
            if catch_up is not None:
                catch_up.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await catch_up
        for task in list(self._editors.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- the menu -----------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_filmclub_prompt_posted(self, prompt: Prompt, message: discord.Message,
                                        thread: object) -> None:
        """Put the menu, and the Rating line, on a newly posted prompt."""
        embed = message.embeds[0] if message.embeds else None
        try:
            if embed is None:
                await message.edit(view=rating_view(prompt.thread_id))
            else:
                shown = with_rating(embed, RatingSummary())
                await message.edit(embed=shown, view=rating_view(prompt.thread_id))
                self._embeds[prompt.thread_id] = shown
            self._last_edit[prompt.thread_id] = time.monotonic()  # the next edit waits
        except discord.HTTPException as exc:
            log.warning("prompt %d: could not add the rating menu: %s", prompt.thread_id, exc)
            return  # the catch-up tries again
        await self.bot.store.note_rating_control(prompt.thread_id, "added", self.bot.clock())

    # -- older prompts --------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """After (re)connecting: give prompts posted before the menu existed their menu."""
        if self._catch_up is None or self._catch_up.done():
            self._catch_up = asyncio.create_task(self._add_missing(),
                                                 name="filmclub-rating-controls")

    @commands.Cog.listener()
    async def on_raw_thread_update(self, payload: discord.RawThreadUpdateEvent) -> None:
        """A forum post reopened: if it is an older prompt the catch-up had to leave, now."""
        if (payload.thread_id in self.bot.prompt_threads
                and not (payload.data.get("thread_metadata") or {}).get("archived")
                and isinstance(self.bot.get_channel(payload.parent_id), discord.ForumChannel)):
            task = asyncio.create_task(self._add_missing({payload.thread_id}),
                                       name=f"filmclub-rating-control-{payload.thread_id}")
            self._reopened.add(task)
            task.add_done_callback(self._reopened.discard)

    async def _add_missing(self, only: set[int] | None = None) -> None:
        try:
            await add_missing(self.bot.store, [g.id for g in self.bot.guilds],
                              self._ensure_control, self.bot.clock, only=only)
        except Exception:
            log.exception("the rating controls' catch-up failed")

    def _prompt_message(self, prompt: Prompt) -> discord.PartialMessage:
        """The prompt's message (a forum post's first message is in its thread)."""
        channel_id = prompt.channel_id
        if isinstance(self.bot.get_channel(prompt.channel_id), discord.ForumChannel):
            channel_id = prompt.thread_id
        return self.bot.get_partial_messageable(channel_id, guild_id=prompt.guild_id
                                                ).get_partial_message(prompt.message_id)

    async def _ensure_control(self, prompt: Prompt) -> Outcome:
        """Put the menu and the Rating line on an older prompt that has neither."""
        if isinstance(self.bot.get_channel(prompt.channel_id), discord.ForumChannel):
            post = self.bot.get_channel(prompt.thread_id)
            if not isinstance(post, discord.Thread) or post.archived:
                return "later"  # an archived forum post: when it is reopened
        try:
            message = await self._prompt_message(prompt).fetch()
        except discord.NotFound:
            return "gone"
        except discord.HTTPException as exc:
            log.info("prompt %d: its message can't be read now (%s)", prompt.thread_id, exc)
            return "later"
        wanted = CUSTOM_ID.format(thread_id=prompt.thread_id)
        if any(getattr(child, "custom_id", None) == wanted
               for row in message.components for child in getattr(row, "children", ())):
            return "present"
        if self.bot.user is None or message.author.id != self.bot.user.id:
            return "gone"  # not the bot's message: nothing it may edit
        summary = await self.bot.store.rating_summary(prompt.thread_id)
        try:
            if message.embeds:
                shown = with_rating(message.embeds[0], summary)
                await message.edit(embed=shown, view=rating_view(prompt.thread_id))
                self._embeds[prompt.thread_id] = shown
            else:
                await message.edit(view=rating_view(prompt.thread_id))
            self._last_edit[prompt.thread_id] = time.monotonic()  # the next edit waits
        except discord.NotFound:
            return "gone"
        except discord.HTTPException as exc:
            log.info("prompt %d: could not add its rating menu now (%s)", prompt.thread_id, exc)
            return "later"
        log.info("prompt %d: rating menu added", prompt.thread_id)
        return "added"

    async def rated(self, interaction: discord.Interaction[FilmClub], thread_id: int,
                    values: list[str]) -> None:
        """A member picked in a prompt's menu: store it, answer privately, update the embed."""
        prompt = await self.bot.store.get_prompt(thread_id)
        if prompt is None or prompt.guild_id != interaction.guild_id:
            raise NotFound("filmclub no longer keeps this prompt, so it can't be rated.")
        half = read_rating(values[0]) if values else None
        before = await self.bot.store.rate(thread_id, interaction.user.id, half,
                                           self.bot.clock())
        name = film_label(prompt.article.film or prompt.article.title,
                          prompt.article.year if prompt.article.film else None)
        if half is None:
            text = (f"Your rating of *{one_line(name, 100)}* is removed." if before is not None
                    else f"You had not rated *{one_line(name, 100)}*.")
        else:
            again = "changed: " if before is not None and before != half else ""
            text = (f"Your rating of *{one_line(name, 100)}*, {again}{star_bar(half)} "
                    f"({stars_text(half)}/5). Pick again to change it.")
        await interaction.response.send_message(text, ephemeral=True)
        if interaction.message is not None and interaction.message.embeds:
            self._embeds[thread_id] = interaction.message.embeds[0]
        if before != half:
            self.changed(thread_id)

    # -- coalesced edits -------------------------------------------------------------------------

    def changed(self, thread_id: int) -> None:
        """The prompt's ratings changed: its embed will show it, within the edit interval."""
        self._dirty.add(thread_id)
        if thread_id not in self._editors:
            self._editors[thread_id] = asyncio.create_task(
                self._editor(thread_id), name=f"filmclub-rating-{thread_id}")

    async def _editor(self, thread_id: int) -> None:
        """Edit while changes keep coming, never sooner than the interval after the last edit."""
        try:
            while thread_id in self._dirty:
                last = self._last_edit.get(thread_id)
                if last is not None:
                    wait = last + self.edit_interval - time.monotonic()
                    if wait > 0:
                        await asyncio.sleep(wait)
                self._dirty.discard(thread_id)
                try:
                    await self._show(thread_id)
                except Exception:
                    log.warning("prompt %d: could not show its rating", thread_id, exc_info=True)
                self._last_edit[thread_id] = time.monotonic()
        finally:
            self._editors.pop(thread_id, None)

    async def _show(self, thread_id: int) -> None:
        prompt = await self.bot.store.get_prompt(thread_id)
        if prompt is None:
            return
        message = self._prompt_message(prompt)
        embed = self._embeds.get(thread_id)
        if embed is None:
            fetched = await message.fetch()
            if not fetched.embeds:
                return
            embed = fetched.embeds[0]
        summary = await self.bot.store.rating_summary(thread_id)
        shown = with_rating(embed, summary)
        await message.edit(embed=shown)
        self._embeds[thread_id] = shown
        log.debug("prompt %d: rating shown as %s", thread_id, summary.line())

    # -- /film ----------------------------------------------------------------------------------

    async def _rated(self, interaction: discord.Interaction[FilmClub],
                     since: datetime | None = None) -> list[tuple[int, str, int | None, int]]:
        """The server's ratings, from the prompt threads this member can read only: a film
        discussed in a channel hidden from them is not named to them (issue 13)."""
        visible = await visible_threads(interaction)
        rows = await self.bot.store.guild_ratings(interaction.guild_id or 0, since=since)
        return [row for row in rows if visible.allows(row[0])]

    @film.command(name="top", description="The club's best-rated films")
    @app_commands.describe(period="Films discussed in the last week, month, or ever")
    @members_command
    async def top(self, interaction: discord.Interaction[FilmClub],
                  period: Period = "all") -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        rows = await self._rated(interaction, since=period_start(period, self.bot.clock()))
        ranked, mean = rank_films(group_by_film(rows))
        lines = [
            f"{rank}. **{one_line(r.film.label, 80)}**: {r.score:.2f} · average "
            f"{r.film.average:.2f} from {r.film.count} "
            f"{'rating' if r.film.count == 1 else 'ratings'}"
            for rank, r in enumerate(ranked, start=1)
        ]
        label = PERIOD_LABELS[period]
        intro = ("" if ranked else f"No film discussed here has a rating yet ({label}).")
        footer = (f"Score: Bayesian average (C·m + Σr) / (C + n), with C = {PRIOR_COUNT} and "
                  f"m = {mean:.2f}, this server's mean, so a few ratings can't top the table.")
        await send_pages(interaction, pages_of(f"Best-rated films, {label}", lines,
                                               intro=intro, footer=footer))

    @film.command(name="ratings", description="How the club rated one film")
    @app_commands.describe(film="The film (as the prompts' articles name it)")
    @members_command
    async def ratings(self, interaction: discord.Interaction[FilmClub],
                      film: FilmTitle) -> None:
        wanted = read_film(film)
        films = group_by_film(await self._rated(interaction))
        found = find_film(films, wanted.title, wanted.year)
        if found is None:
            raise NotFound(f"No film called “{wanted.label}” has ratings in this server.")
        ranked, _ = rank_films(films)
        score = next(r.score for r in ranked if r.film is found)
        embed = discord.Embed(title=f"Ratings: {one_line(found.label, 200)}", colour=COLOUR)
        embed.description = "```\n" + "\n".join(distribution_lines(found)) + "\n```"
        embed.add_field(name="Average", value=f"{found.average:.2f} / 5")
        embed.add_field(name="Ratings", value=str(found.count))
        embed.add_field(name="Score in /film top", value=f"{score:.2f}")
        embed.set_footer(text=f"From {len(found.thread_ids)} "
                              f"{'prompt' if len(found.thread_ids) == 1 else 'prompts'}.")
        await reply(interaction, embed=embed)

    @ratings.autocomplete("film")
    async def film_choices(self, interaction: discord.Interaction[FilmClub],
                           current: str) -> list[app_commands.Choice[str]]:
        films = group_by_film(await self._rated(interaction))
        needle = current.strip().casefold()
        return [app_commands.Choice(name=f.label[:100], value=f.label[:100])
                for f in films if needle in f.label.casefold()][:AUTOCOMPLETE_LIMIT]

    # -- /film set, /film info (issue 18) ---------------------------------------------------------

    @film.command(name="set", description="Say which film an article is about")
    @app_commands.describe(article="The article (its slug or title)",
                           film='The film: pick one, or type it like "Her (2013)"')
    @moderators_only(SERVER, manage_messages=True)
    async def set_film(self, interaction: discord.Interaction[FilmClub],
                       article: app_commands.Range[str, 1, 100],
                       film: app_commands.Range[str, 1, 200]) -> None:
        found = await Catalog(self.bot.library, self.bot.store).get(article)
        await interaction.response.defer(ephemeral=True, thinking=True)
        record = await set_article_film(self.bot.store, self.bot.film_lookup, found.slug, film,
                                        by=interaction.user.id, at=self.bot.clock())
        facts = record.facts_line()
        await reply(interaction, f"**{one_line(found.title, 150)}** is about "
                                 f"**{one_line(record.label, 150)}**"
                                 + (f" ({facts})" if facts else "") + ".")

    @film.command(name="info", description="A film, and what the club did with it")
    @app_commands.describe(film="The film")
    @members_command
    async def info(self, interaction: discord.Interaction[FilmClub],
                   film: app_commands.Range[str, 1, 200]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        record = await self._known_film(interaction, film)
        visible = await visible_threads(interaction)
        history = visible_history(
            await self.bot.store.film_history(interaction.guild_id or 0, record.id or 0),
            threads=visible.allows,
            channels=lambda c: visible.channel_ids is None or c in visible.channel_ids)
        embed = discord.Embed(title=one_line(record.label, 250), colour=COLOUR)
        for name, value in info_fields(record, history):
            embed.add_field(name=name, value=value[:1024], inline=name not in (
                "Discussed", "Watchlists", "Links"))
        if link(record.poster_url):
            embed.set_thumbnail(url=record.poster_url)
        await reply(interaction, embed=embed)

    async def _known_film(self, interaction: discord.Interaction[FilmClub],
                          text: str) -> FilmRecord:
        """The film a member named, among the films they may know of here."""
        films = await self._films_for(interaction)
        if text.startswith(FILM_ID_PREFIX):
            found = [f for f in films if f"{FILM_ID_PREFIX}{f.id}" == text]
        else:
            wanted = read_film(text)
            found = pick(films, wanted.title, wanted.year)
        if len(found) != 1:
            raise NotFound(f"No film called “{one_line(text, 80)}” is known here: pick one "
                           "from the list." if not found else
                           f"“{one_line(text, 80)}” is several films: give the year.")
        return found[0]

    async def _films_for(self, interaction: discord.Interaction[FilmClub]) -> list[FilmRecord]:
        """The server's films this member may hear of: those of prompts they can read, of
        the watchlists, and of polls in channels they can view."""
        store, guild_id = self.bot.store, interaction.guild_id or 0
        visible = await visible_threads(interaction)
        films = []
        for record in await store.guild_films(guild_id):
            history = visible_history(
                await store.film_history(guild_id, record.id or 0), threads=visible.allows,
                channels=lambda c: visible.channel_ids is None or c in visible.channel_ids)
            if history.prompts or history.entries or history.polls:
                films.append(record)
        return films

    @info.autocomplete("film")
    async def info_choices(self, interaction: discord.Interaction[FilmClub],
                           current: str) -> list[app_commands.Choice[str]]:
        needle = current.strip().casefold()
        return [app_commands.Choice(name=f.choice_label[:100], value=f"{FILM_ID_PREFIX}{f.id}")
                for f in await self._films_for(interaction)
                if needle in f.choice_label.casefold()][:AUTOCOMPLETE_LIMIT]

    @set_film.autocomplete("article")
    async def article_choices(self, interaction: discord.Interaction[FilmClub],
                              current: str) -> list[app_commands.Choice[str]]:
        if not await may(interaction, SERVER, manage_messages=True):
            return []
        catalog = Catalog(self.bot.library, self.bot.store)
        return [app_commands.Choice(name=one_line(f"{a.title} ({a.slug})", 100), value=a.slug)
                for a in await catalog.search(current, limit=AUTOCOMPLETE_LIMIT)]

    @set_film.autocomplete("film")
    async def set_choices(self, interaction: discord.Interaction[FilmClub],
                          current: str) -> list[app_commands.Choice[str]]:
        """The article's offered films first, then stored films; what was typed, last."""
        if not await may(interaction, SERVER, manage_messages=True):
            return []
        offered: list[FilmRecord] = []
        slug = getattr(interaction.namespace, "article", None)
        if isinstance(slug, str) and slug:
            stored = await self.bot.store.article_film(slug)
            if stored is not None:
                offered = [*([stored.film] if stored.film else []), *stored.choices]
        needle = current.strip().casefold()
        known = await self.bot.store.known_films(current, AUTOCOMPLETE_LIMIT)
        choices = [app_commands.Choice(name=f.choice_label[:100],
                                       value=f"{FILM_ID_PREFIX}{f.id}")
                   for f in [*offered, *(k for k in known if k.id not in
                                         {o.id for o in offered})]
                   if not needle or needle in f.choice_label.casefold()
                   or f in offered]
        if current.strip():
            choices.append(app_commands.Choice(name=one_line(current, 100),
                                               value=current.strip()[:100]))
        return choices[:AUTOCOMPLETE_LIMIT]


async def setup(bot: FilmClub) -> None:
    bot.add_dynamic_items(RateSelect)
    await bot.add_cog(Ratings(bot))


async def teardown(bot: FilmClub) -> None:
    bot.remove_dynamic_items(RateSelect)
