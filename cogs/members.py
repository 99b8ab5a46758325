"""Everyone's commands: /top, /leaderboard and /stats (what the club thinks), and /mydata
and /forget (a member's own data).

Hidden and deleted comments never count here, nor does a vote on one's own comment.
Answers are private; long lists come in pages with buttons.
"""

from __future__ import annotations

import asyncio
import gzip
import io
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.charts import chart_filename, draw, stats_chart
from bot.export.base import format_score
from bot.limits import NUMBERS, OWN_DATA
from bot.models import Prompt, utcnow
from bot.records.member_data import PLACEHOLDER
from bot.records.visibility import Visible
from bot.spoilers import shown
from bot.stats import (
    COUNTING_RULES,
    PERIOD_LABELS,
    Period,
    period_start,
    rank_members,
    stats_report,
)
from cogs.support.checks import (
    SERVER,
    THREAD_OR_SERVER,
    limited,
    members_command,
    members_only,
    target_of,
)
from cogs.support.options import thread_choices
from cogs.support.permissions import visible_threads
from cogs.support.ui import (
    COLOUR,
    LINE_LIMIT,
    Confirm,
    message_link,
    one_line,
    pages_of,
    reply,
    send_pages,
)

if TYPE_CHECKING:
    from cogs.support.client import FilmClub

log = logging.getLogger(__name__)

TOP_LIMIT = 100


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


class Members(commands.Cog):
    def __init__(self, bot: FilmClub) -> None:
        self.bot = bot

    @staticmethod
    def _scope(interaction: discord.Interaction[FilmClub]) -> Prompt | None:
        """The thread the check found (named, or the one the command ran in), else None:
        the server, as far as the member can see it."""
        return target_of(interaction).prompt

    # -- what the club thinks ---------------------------------------------------------------

    @app_commands.command(name="top", description="The highest-scored comments, with links")
    @app_commands.describe(thread="One prompt thread (default: this thread, or the whole "
                                  "server outside prompt threads)",
                           period="Comments written in the last week, month, or ever")
    @app_commands.autocomplete(thread=thread_choices)
    @app_commands.guild_only()
    @limited(NUMBERS)
    @members_only(THREAD_OR_SERVER)
    async def top(self, interaction: discord.Interaction[FilmClub],
                  thread: app_commands.Range[str, 1, 120] | None = None,
                  period: Period = "all") -> None:
        prompt = self._scope(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id = interaction.guild_id or 0
        visible = await visible_threads(interaction)
        await self.bot.store.flush()
        found = await self.bot.store.top_comments(
            guild_id, thread_id=prompt.thread_id if prompt else None, visible=visible,
            since=period_start(period, self.bot.clock()), limit=TOP_LIMIT)
        lines = []
        for rank, c in enumerate(found, start=1):
            where = "" if prompt else f" in *{one_line(c.article_title, 40)}*"
            link = message_link(c.guild_id, c.thread_id, c.id)
            head = f"{rank}. **{format_score(c.score)}** {one_line(c.author_name, 32)}{where}: “"
            tail = f"” [jump]({link})"
            # From a spoiler thread: hidden, and cut so the line keeps its closing marks.
            quote = shown(one_line(c.content), c.spoilers, LINE_LIMIT - len(head) - len(tail))
            lines.append(head + quote + tail)
        scope = f"“{one_line(prompt.article.title, 80)}”" if prompt else "this server"
        title = f"Top comments, {PERIOD_LABELS[period]}"
        intro = (f"The best-scored comments in {scope}." if lines
                 else f"No comment in {scope} has a vote yet ({PERIOD_LABELS[period]}).")
        await send_pages(interaction, pages_of(title, lines, intro=intro,
                                               footer=COUNTING_RULES))

    @app_commands.command(name="leaderboard",
                          description="Members by comments and by votes received")
    @app_commands.describe(period="Comments written in the last week, month, or ever")
    @app_commands.guild_only()
    @limited(NUMBERS)
    @members_only(SERVER)
    async def leaderboard(self, interaction: discord.Interaction[FilmClub],
                          period: Period = "all") -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        visible = await visible_threads(interaction)  # comments in threads they can see
        await self.bot.store.flush()
        totals = await self.bot.store.member_totals(
            interaction.guild_id or 0, since=period_start(period, self.bot.clock()),
            visible=visible)
        by_comments = [
            f"{rank}. {one_line(t.name, 40)}: {_plural(t.comments, 'comment')}, "
            f"{format_score(t.votes)} {'vote' if abs(t.votes) == 1 else 'votes'}"
            for rank, t in enumerate(rank_members(totals, "comments"), start=1)
        ]
        by_votes = [
            f"{rank}. {one_line(t.name, 40)}: {format_score(t.votes)} "
            f"{'vote' if abs(t.votes) == 1 else 'votes'}, {_plural(t.comments, 'comment')}"
            for rank, t in enumerate(rank_members(totals, "votes"), start=1)
        ]
        label = PERIOD_LABELS[period]
        footer = f"Ties: the other measure, then who commented first. {COUNTING_RULES}"
        pages = (pages_of(f"Most comments, {label}", by_comments, footer=footer)
                 + pages_of(f"Most votes received, {label}", by_votes, footer=footer))
        await send_pages(interaction, pages)

    @app_commands.command(name="stats", description="Numbers for a prompt thread or the server")
    @app_commands.describe(thread="One prompt thread (default: this thread, or the whole "
                                  "server outside prompt threads)")
    @app_commands.autocomplete(thread=thread_choices)
    @app_commands.guild_only()
    @limited(NUMBERS)
    @members_only(THREAD_OR_SERVER)
    async def stats(self, interaction: discord.Interaction[FilmClub],
                    thread: app_commands.Range[str, 1, 120] | None = None) -> None:
        prompt = self._scope(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id = interaction.guild_id or 0
        visible = await visible_threads(interaction)
        await self.bot.store.flush()
        report = await stats_report(
            self.bot.store, guild_id, visible=visible,
            thread_id=prompt.thread_id if prompt else None,
            subject=prompt.article.title if prompt else None, now=self.bot.clock())
        if report.thread_id is not None:
            embed = discord.Embed(title=f"Stats: {one_line(report.subject or '', 200)}",
                                  url=message_link(guild_id, report.thread_id), colour=COLOUR)
        else:
            embed = discord.Embed(title="Stats: this server", colour=COLOUR)
        for field in report.fields:
            embed.add_field(name=field.name, value=field.value, inline=field.inline)
        embed.set_footer(text=report.footer)
        picture = await self._chart(interaction, visible, report.thread_id,
                                    prompt.article.title if prompt else None)
        if picture is not None:
            embed.set_image(url=f"attachment://{picture.filename}")
        await reply(interaction, embed=embed, file=picture)

    async def _chart(self, interaction: discord.Interaction[FilmClub], visible: Visible,
                     thread_id: int | None, subject: str | None) -> discord.File | None:
        """/stats' picture (issue 19), from the threads the member can see (``visible``);
        None when it could not be drawn: the numbers go out all the same."""
        try:
            chart = await stats_chart(self.bot.store, interaction.guild_id or 0,
                                      visible=visible, now=self.bot.clock(),
                                      thread_id=thread_id, subject=subject)
            png = await draw(chart, "png", "dark")
        except Exception:
            log.exception("could not draw the /stats chart (thread %s)", thread_id)
            return None
        if len(png) > interaction.filesize_limit:
            log.warning("the /stats chart is %d bytes, over the upload limit", len(png))
            return None
        return discord.File(io.BytesIO(png), filename=chart_filename(chart),
                            description=f"Activity chart: {chart.describe()}"[:1024])

    # -- the member's own data -----------------------------------------------------------------

    @app_commands.command(name="mydata",
                          description="Your comments, their versions and your votes, as a file")
    @limited(OWN_DATA)
    @members_command
    async def mydata(self, interaction: discord.Interaction[FilmClub]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.bot.store.flush()
        data = await self.bot.store.member_data(interaction.user.id)
        blob = data.to_json(utcnow()).encode("utf-8")
        name = f"filmclub-mydata-{interaction.user.id}.json"
        note = ""
        if len(blob) > interaction.filesize_limit:
            packed = await asyncio.to_thread(gzip.compress, blob)  # not on the event loop
            blob, name, note = packed, name + ".gz", " (gzipped: it is large)"
        summary = (f"Everything filmclub keeps that you wrote or voted, in every server: "
                   f"{_plural(len(data.comments), 'comment')} "
                   f"({_plural(data.revisions, 'earlier version')}), "
                   f"{_plural(len(data.votes), 'vote')}, "
                   f"{_plural(len(data.reactions) - len(data.votes), 'other reaction')}, "
                   f"{_plural(len(data.ratings), 'film rating')}, "
                   f"{_plural(len(data.poll_votes), 'poll vote')} and "
                   f"{_plural(len(data.suggestions), 'watchlist suggestion')}{note}.")
        await reply(interaction, summary, file=discord.File(io.BytesIO(blob), filename=name))

    @app_commands.command(name="forget",
                          description="Remove your comments' text and your votes from filmclub")
    @members_command
    async def forget(self, interaction: discord.Interaction[FilmClub]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.bot.store.flush()
        data = await self.bot.store.member_data(interaction.user.id)
        user_id = interaction.user.id

        async def confirmed() -> str:
            await self.bot.store.flush()
            report = await self.bot.store.forget_member(user_id, utcnow())
            log.info("user %d asked to be forgotten: %s", user_id, report)
            if report.nothing:
                return "There was nothing of yours to remove."
            removed = "\n".join(f"- {line}" for line in report.lines())
            return (f"Done. Removed:\n{removed}\nReplies to your comments keep their place. "
                    "Your messages on Discord itself are untouched; what you write from now on "
                    "is kept as usual.")

        view = Confirm(user_id, confirmed, confirm_label="Forget my data",
                       cancelled="Nothing was removed.")
        view.message = await reply(
            interaction,
            "This removes, in every server filmclub keeps discussions for: the text of your "
            f"{_plural(len(data.comments), 'comment')} (each will read “{PLACEHOLDER}”, so "
            f"replies keep their place), {_plural(data.revisions, 'earlier version')} and "
            f"{_plural(len(data.reactions), 'reaction')} including your votes, "
            f"{_plural(len(data.ratings), 'film rating')}, "
            f"{_plural(len(data.poll_votes), 'poll vote')} and your name on "
            f"{_plural(len(data.suggestions), 'watchlist suggestion')}. It cannot be "
            "undone. Exports made afterwards show the placeholder.",
            view=view,
        )


async def setup(bot: FilmClub) -> None:
    await bot.add_cog(Members(bot))
