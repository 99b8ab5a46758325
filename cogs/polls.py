"""Polls (issue 17): /poll next-film posts a Discord native poll of films; /poll end.
The Discord side of ``bot.polls`` (which chooses the answers and the winner).

Votes arrive as raw poll vote events and are stored per member; after downtime the
bot reads each open poll's voters through the API (``catch_up``). A poll ends when
its time is up (Discord posts a poll-result message, which the bot watches for; a
timer checks too) or early with /poll end. Then the winner (ties: the film suggested
first) is announced in the channel and queued as the next prompt when the library
has an article about the film; otherwise the log channel is told which is missing.
Whoever notices the end first finishes the poll; the store lets that happen once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import FilmclubError, NotFound, StoreError
from bot.polls import (
    FilmPoll,
    PollResult,
    answer_text,
    choose_answers,
    question_for,
    read_duration,
    split_films,
    tally,
)
from bot.records.audit import AuditEntry
from bot.watchlist import film_is, list_name, read_film
from cogs.support.auditlog import record, records_own_audit
from cogs.support.checks import HERE, judge_channel, moderators_only
from cogs.support.options import parse_message_ref
from cogs.support.ui import NO_MENTIONS, message_link, one_line, reply
from cogs.watchlist import ListName

if TYPE_CHECKING:
    from cogs.support.client import FilmClub

log = logging.getLogger(__name__)

#: How long after its expiry the timer waits for Discord's own end before ending a poll.
EXPIRY_GRACE = timedelta(minutes=2)
#: The longest the timer sleeps between looks at open polls.
TIMER_SLEEP = 300.0
VOTERS_PAGE = 100


@app_commands.guild_only()
@app_commands.default_permissions(manage_messages=True)
class Polls(commands.GroupCog, group_name="poll", group_description="Polls of what to watch"):
    """Film polls: post, count, end, announce and queue the winner."""

    def __init__(self, bot: FilmClub) -> None:
        self.bot = bot
        self.open: set[int] = set()  # message ids of polls not ended
        self._ending: dict[int, int] = {}  # poll -> the moderator ending it now
        self._overdue_now: set[int] = set()  # polls the timer is ending now
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._timer: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        super().__init__()

    async def cog_load(self) -> None:
        self.open = {p.message_id for p in await self.bot.store.list_film_polls(open_only=True)}
        self.bot.add_inline_listener("message", self._seen_message)
        self._timer = asyncio.create_task(self._expiry_loop(), name="filmclub-poll-timer")

    async def cog_unload(self) -> None:
        self.bot.remove_inline_listener("message", self._seen_message)
        tasks = [*self._tasks, *([self._timer] if self._timer else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- votes ----------------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_raw_poll_vote_add(self, payload: discord.RawPollVoteActionEvent) -> None:
        await self._vote(payload, added=True)

    @commands.Cog.listener()
    async def on_raw_poll_vote_remove(self, payload: discord.RawPollVoteActionEvent) -> None:
        await self._vote(payload, added=False)

    async def _vote(self, payload: discord.RawPollVoteActionEvent, *, added: bool) -> None:
        if payload.message_id not in self.open:
            return
        await self.bot.store.poll_vote(payload.message_id, payload.answer_id, payload.user_id,
                                       self.bot.clock(), added=added)

    def _seen_message(self, message: discord.Message) -> None:
        """Discord's poll-result message (type 46) says one of our polls has ended."""
        if message.type is not discord.MessageType.poll_result:
            return
        ref = message.reference
        if ref is not None and ref.message_id in self.open:
            self._spawn(self.finish(ref.message_id), f"filmclub-poll-end-{ref.message_id}")

    # -- catch-up and the timer -----------------------------------------------------------------

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """After (re)connecting: read what every open poll's voters are now, end finished ones."""
        self._spawn(self.catch_up(), "filmclub-poll-catch-up")

    async def catch_up(self) -> None:
        owns = self.bot.config.shards.owns  # issue 15: another shard's polls are not ours
        for poll in await self.bot.store.list_film_polls(open_only=True):
            if not owns(poll.guild_id):
                continue
            try:
                changed = await self.read_voters(poll)
                message = await self._fetch(poll)
                finished = (message is not None and message.poll is not None
                            and message.poll.is_finalised())
                log.info("poll %d: caught up (%d vote changes)%s", poll.message_id, changed,
                         ", it has ended" if finished else "")
                if finished or message is None:
                    await self.finish(poll.message_id)
            except discord.HTTPException as exc:
                log.warning("poll %d: catch-up failed: %s", poll.message_id, exc)
        self._wake.set()

    async def read_voters(self, poll: FilmPoll) -> int:
        """Make the stored votes what Discord holds now, answer by answer (paged)."""
        changed = 0
        for answer in poll.answers:
            voters: set[int] = set()
            after: int | None = None
            while True:
                page = await self.bot.http.get_poll_answer_voters(
                    poll.channel_id, poll.message_id, answer.answer_id, after=after,
                    limit=VOTERS_PAGE)
                users = [int(u["id"]) for u in page.get("users", [])]
                voters.update(users)
                if len(users) < VOTERS_PAGE:
                    break
                after = max(users)
            changed += await self.bot.store.set_poll_voters(poll.message_id, answer.answer_id,
                                                            voters, self.bot.clock())
        return changed

    async def _fetch(self, poll: FilmPoll) -> discord.Message | None:
        channel = self.bot.get_partial_messageable(poll.channel_id, guild_id=poll.guild_id)
        try:
            return await channel.fetch_message(poll.message_id)
        except discord.NotFound:
            return None

    async def _expiry_loop(self) -> None:
        """End polls whose time is up when Discord's own notice did not reach the bot."""
        await self.bot.wait_until_ready()
        while True:
            polls = [p for p in await self.bot.store.list_film_polls(open_only=True)
                     if self.bot.config.shards.owns(p.guild_id)]
            now = self.bot.clock()
            sleep = TIMER_SLEEP
            for poll in polls:
                due = poll.expires_at + EXPIRY_GRACE
                if due <= now:
                    if poll.message_id not in self._overdue_now:
                        self._overdue_now.add(poll.message_id)
                        self._spawn(self._overdue(poll), f"filmclub-poll-due-{poll.message_id}")
                else:
                    sleep = min(sleep, (due - now).total_seconds())
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(sleep, 1.0))

    async def _overdue(self, poll: FilmPoll) -> None:
        """A poll past its time whose end the bot did not hear of: make sure Discord's poll
        is closed too (no votes after the announcement), then finish it."""
        try:
            current = await self.bot.store.get_film_poll(poll.message_id)
            message = None if current is None or current.ended_at else await self._fetch(poll)
            if message is not None and message.poll is not None \
                    and not message.poll.is_finalised():
                await self.bot.http.end_poll(poll.channel_id, poll.message_id)
        except discord.HTTPException as exc:  # finish counts the stored votes anyway
            log.info("poll %d: overdue, and Discord would not end it (%s)", poll.message_id,
                     exc)
        try:
            await self.finish(poll.message_id)
        finally:
            self._overdue_now.discard(poll.message_id)

    # -- ending ----------------------------------------------------------------------------

    async def finish(self, message_id: int) -> PollResult | None:
        """Count, announce and queue the winner of an ended poll; once, whoever calls first."""
        async with self._locks[message_id]:
            poll = await self.bot.store.get_film_poll(message_id)
            if poll is None or poll.ended_at is not None:
                self.open.discard(message_id)
                return None
            try:
                await self.read_voters(poll)  # the votes cast, even those the events missed
            except discord.HTTPException as exc:
                log.warning("poll %d: could not read its voters (%s); counting stored votes",
                            message_id, exc)
            result = tally(poll.answers, await self.bot.store.film_poll_votes(message_id))
            ended_by = self._ending.pop(message_id, None)
            if not await self.bot.store.end_film_poll(
                    message_id, self.bot.clock(), ended_by=ended_by,
                    winner=result.winner.answer_id if result.winner else None):
                return None
            self.open.discard(message_id)
        log.info("poll %d ended: %s", message_id, result.line())
        outcome, slug = await self._act_on(poll, result)
        await self.bot.store.set_poll_outcome(message_id, outcome, slug)
        actor = ended_by if ended_by is not None else (self.bot.user.id if self.bot.user else 0)
        await record(self.bot, AuditEntry(
            guild_id=poll.guild_id, actor_id=actor, action="poll end",
            target=f"“{poll.question}”: {result.line()} {outcome}", at=self.bot.clock()))
        return result

    async def _act_on(self, poll: FilmPoll, result: PollResult) -> tuple[str, str | None]:
        """Announce the result; queue the winner's article or tell the moderators; what was
        done, and the article queued."""
        winner = result.winner
        slug: str | None = None
        text = f"🎬 The poll is over: {result.line()}"
        outcome = "Nothing was queued."
        prompts = self.bot.get_cog("Prompts")
        guild = self.bot.get_guild(poll.guild_id)
        if winner is not None:
            slug = await self._article_about(poll.guild_id, winner.title, winner.year)
            if slug is None:
                outcome = "No article about it is in the library."
                if prompts is not None and guild is not None:
                    await prompts.tell_moderators(  # type: ignore[attr-defined]
                        guild, f"The poll chose **{winner.label}**, but the library has no "
                               "article about it: add one (filmclub articles add …) and queue "
                               "it with /prompt queue add.")
            else:
                try:
                    item = await self.bot.store.enqueue(
                        poll.guild_id, slug, added_at=self.bot.clock(), added_by=poll.created_by)
                    outcome = f"Queued as the next prompt ({slug})."
                except StoreError:  # already queued: it moves up
                    item = next(i for i in await self.bot.store.list_queue(poll.guild_id)
                                if i.slug == slug)
                    outcome = f"It was in the prompt queue already ({slug}); now it is next."
                await self.bot.store.move_queued(poll.guild_id, item.id, 1)
                text += " It is the next prompt."
                if prompts is not None:
                    prompts.wake()  # type: ignore[attr-defined]
        channel = self.bot.get_partial_messageable(poll.channel_id, guild_id=poll.guild_id)
        try:
            await channel.send(text[:2000], allowed_mentions=NO_MENTIONS,
                               reference=discord.MessageReference(
                                   message_id=poll.message_id, channel_id=poll.channel_id,
                                   fail_if_not_exists=False))
        except discord.HTTPException as exc:
            log.warning("poll %d: could not announce the result: %s", poll.message_id, exc)
        return outcome, slug

    async def _article_about(self, guild_id: int, title: str, year: int | None) -> str | None:
        """The library's article about the film, one not posted here yet first."""
        prompts = self.bot.get_cog("Prompts")
        if prompts is None:
            return None
        entries, _ = await prompts.catalog.entries()  # type: ignore[attr-defined]
        film = read_film(title, year)
        about = [e for e in entries if e.article.film
                 and film_is(film, e.article.film, e.article.year)]
        if not about:
            return None
        posted = await self.bot.store.posted_keys(guild_id)
        fresh = [e for e in about if not set(e.keys) & posted]
        return str((fresh or about)[0].article.slug)

    # -- commands ----------------------------------------------------------------------------

    @app_commands.command(name="next-film", description="Post a poll of what to watch next")
    @app_commands.describe(list_="The watchlist whose unwatched films to offer (default: "
                                "Watchlist)",
                           films="Or the films to offer, separated by ; (up to 10)",
                           duration="How long it runs: 12h, 3d, 1w (1h to 32d; default: "
                                    "/club settings)",
                           multiple="Let members vote for several films")
    @app_commands.rename(list_="list")
    @moderators_only(HERE, manage_messages=True)
    async def next_film(self, interaction: discord.Interaction[FilmClub],
                        list_: ListName | None = None,
                        films: app_commands.Range[str, 1, 1000] | None = None,
                        duration: app_commands.Range[str, 1, 20] | None = None,
                        multiple: bool = False) -> None:
        guild_id = interaction.guild_id or 0
        channel = interaction.channel
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            raise FilmclubError("Post polls in a text channel or a thread.")
        if not channel.permissions_for(channel.guild.me).send_polls:
            raise FilmclubError("I need the Send Polls permission in this channel to post a poll.")
        settings = await self.bot.store.get_settings(guild_id)
        hours = read_duration(duration, settings.poll_hours)
        name = list_name(list_)
        entries = await self.bot.store.watch_entries(guild_id, name)
        given = split_films(films)
        if not entries and not given:
            raise NotFound(f"The list {name} has no films; add some with /watchlist add, or "
                           "name the films.")
        now = self.bot.clock()
        answers = choose_answers(entries, given, now)
        question = question_for(name if not given or entries else None)
        poll = discord.Poll(question=question, duration=timedelta(hours=hours),
                            multiple=multiple)
        for answer in answers:
            poll.add_answer(text=answer_text(answer))
        await interaction.response.defer(ephemeral=True, thinking=True)
        message = await channel.send(poll=poll, allowed_mentions=NO_MENTIONS)
        record_ = FilmPoll(message.id, guild_id, channel.id, question, interaction.user.id, now,
                           now + timedelta(hours=hours), tuple(answers), name,
                           multiple)
        await self.bot.store.add_film_poll(record_)
        self.open.add(message.id)
        self._wake.set()
        await record(self.bot, AuditEntry(
            guild_id=guild_id, actor_id=interaction.user.id, action="poll next-film",
            target=f"“{question}”: {', '.join(a.label for a in answers)}", at=now,
            thread_id=channel.id if isinstance(channel, discord.Thread) else None))
        await reply(interaction, f"Poll posted: {message_link(guild_id, channel.id, message.id)}"
                                 f" ({len(answers)} films, {hours} hours).")

    @app_commands.command(name="end", description="End a poll now and announce the winner")
    @app_commands.describe(poll="The poll (its link; default: the latest open one here)")
    @moderators_only(HERE, manage_messages=True)
    async def end(self, interaction: discord.Interaction[FilmClub],
                  poll: app_commands.Range[str, 1, 200] | None = None) -> None:
        guild_id = interaction.guild_id or 0
        polls = await self.bot.store.list_film_polls(guild_id, open_only=True)
        if poll is not None:
            wanted = parse_message_ref(poll, guild_id)
            chosen = next((p for p in polls if p.message_id == wanted), None)
        else:
            here = [p for p in polls if p.channel_id == interaction.channel_id]
            chosen = (here or [None])[-1]
        if chosen is None:
            raise NotFound("No open poll of this server is there; /poll end poll:<link> "
                           "names one.")
        if chosen.channel_id != interaction.channel_id:  # judged where the poll is, too
            await judge_channel(interaction, chosen.channel_id, {"manage_messages": True})
        await interaction.response.defer(ephemeral=True, thinking=True)
        self._ending[chosen.message_id] = interaction.user.id
        try:
            await self.bot.http.end_poll(chosen.channel_id, chosen.message_id)
        except discord.HTTPException as exc:
            log.info("poll %d: Discord would not end it (%s); ending it here", chosen.message_id,
                     exc)
        result = await self.finish(chosen.message_id)
        if result is None:  # the poll-result message got there first
            ended = await self.bot.store.get_film_poll(chosen.message_id)
            answer = ended.answer(ended.winner) if ended else None
            await reply(interaction, "The poll has ended"
                                     + (f": {answer.label} won." if answer else "."))
            return
        await reply(interaction, f"Ended. {result.line()}")

    @end.autocomplete("poll")
    async def poll_choices(self, interaction: discord.Interaction[FilmClub],
                           current: str) -> list[app_commands.Choice[str]]:
        polls = await self.bot.store.list_film_polls(interaction.guild_id or 0, open_only=True)
        needle = current.strip().casefold()
        return [app_commands.Choice(
                    name=one_line(f"{p.question} · {', '.join(a.label for a in p.answers)}",
                                  100)[:100],
                    value=message_link(p.guild_id, p.channel_id, p.message_id))
                for p in reversed(polls) if needle in p.question.casefold()
                or any(needle in a.label.casefold() for a in p.answers)][:25]


async def setup(bot: FilmClub) -> None:
    cog = Polls(bot)
    await bot.add_cog(cog)
    # The poll's start and its result go to the audit log from here, with what was done.
    records_own_audit(bot, cog)
