"""What the club thinks, in numbers: top comments, leaderboards, thread and server stats.

The store does the counting (``Store.member_totals``, ``top_comments``...) into the
records of ``bot.records.counts``; this module holds the periods, the rules for ranking
and what /stats shows. Everywhere here,
hidden and deleted comments do not count, nor does a member's vote on their own
comment, and each member's latest vote on a comment is the one that counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from bot.records.counts import (
    ACTIVE_DAYS,
    BusiestHour,
    MemberTotals,
    ServerStats,
    ThreadStats,
)

if TYPE_CHECKING:
    from bot.records.visibility import Visible
    from bot.store.base import Store

Period = Literal["week", "month", "all"]
PERIOD_DAYS: Mapping[str, int] = {"week": 7, "month": 30}
PERIOD_LABELS: Mapping[str, str] = {
    "week": "the last 7 days", "month": "the last 30 days", "all": "all time",
}


def period_start(period: Period, now: datetime) -> datetime | None:
    """When ``period`` began, counting back from ``now`` (None: all time)."""
    days = PERIOD_DAYS.get(period)
    return None if days is None else now - timedelta(days=days)


RankBy = Literal["comments", "votes"]


def rank_members(totals: Iterable[MemberTotals], by: RankBy) -> list[MemberTotals]:
    """Best first. Ties: the other measure, then who commented first, then the lower id."""
    if by == "comments":
        return sorted(totals, key=lambda t: (-t.comments, -t.votes, t.first_comment_id,
                                             t.user_id))
    return sorted(totals, key=lambda t: (-t.votes, -t.comments, t.first_comment_id, t.user_id))


# -- issue 14: /stats and `filmclub stats` from one function --------------------------

#: What /top, /leaderboard and /stats leave out, said under their answers.
COUNTING_RULES = "Hidden and deleted comments and votes on one's own comments don't count."


@dataclass(frozen=True, slots=True)
class StatsField:
    name: str
    value: str
    inline: bool = True


@dataclass(frozen=True, slots=True)
class StatsReport:
    """What /stats shows, before Discord or a terminal renders it.

    ``thread_id`` and ``subject`` (the article's title) are set for a prompt thread;
    both are None for the whole server.
    """

    guild_id: int
    thread_id: int | None
    subject: str | None
    fields: tuple[StatsField, ...]
    footer: str = COUNTING_RULES


def _plural(count: int, one: str) -> str:
    return f"{count} {one}{'' if count == 1 else 's'}"


def _busiest(busiest: BusiestHour | None) -> StatsField:
    value = (f"{busiest.label} ({_plural(busiest.comments, 'comment')})" if busiest
             else "no comments yet")
    return StatsField("Busiest hour", value, inline=False)


def thread_report(found: ThreadStats, guild_id: int, subject: str) -> StatsReport:
    """/stats for a prompt thread: comments, participants, votes, busiest hour."""
    return StatsReport(guild_id, found.thread_id, subject, (
        StatsField("Comments", str(found.comments)),
        StatsField("Participants", str(found.participants)),
        StatsField("Votes", f"{found.votes} (+{found.upvotes} / −{found.downvotes})"),
        _busiest(found.busiest),
    ))


def server_report(found: ServerStats) -> StatsReport:
    """/stats for a server: prompts, comments, members who took part and active ones."""
    return StatsReport(found.guild_id, None, None, (
        StatsField("Prompts posted", str(found.prompts)),
        StatsField("Comments", str(found.comments)),
        StatsField("Members who took part", str(found.members)),
        StatsField(f"Active in the last {ACTIVE_DAYS} days", str(found.active_members)),
        _busiest(found.busiest),
    ))


async def stats_report(store: Store, guild_id: int, *, visible: Visible,
                       thread_id: int | None = None, subject: str | None = None,
                       now: datetime) -> StatsReport:
    """What /stats and `filmclub stats` show: a prompt thread's numbers (``thread_id``)
    or the server's, in the server's time zone, from the threads in ``visible`` only;
    with the film's rating (issue 17), and for the server its ratings and film polls."""
    from bot.ratings import RatingSummary, exact_line

    settings = await store.get_settings(guild_id)
    if thread_id is not None:
        found = await store.thread_stats(thread_id, settings.zone, settings.timezone,
                                         visible=visible)
        report = thread_report(found, guild_id, subject or str(thread_id))
        rating = StatsField("Film rating", exact_line(await store.rating_summary(thread_id)),
                            inline=False)
        return replace(report, fields=(*report.fields[:-1], rating, report.fields[-1]))
    server = await store.server_stats(guild_id, now=now, zone=settings.zone,
                                      zone_name=settings.timezone, visible=visible)
    report = server_report(server)
    rated = [half for thread, _, _, half in await store.guild_ratings(guild_id)
             if visible.allows(thread)]
    ratings = StatsField("Film ratings", exact_line(RatingSummary(len(rated), sum(rated))),
                         inline=False)
    polls = await store.list_film_polls(guild_id)
    ended = [p for p in polls if p.ended_at is not None]
    winners = "".join(f"\n{p.answer(p.winner).label[:60]} won {p.ended_at:%Y-%m-%d}"
                      for p in ended[-3:] if p.ended_at and p.answer(p.winner))
    polled = StatsField("Film polls", f"{_plural(len(polls), 'poll')} "
                                      f"({len(polls) - len(ended)} open){winners}", inline=False)
    return replace(report, fields=(*report.fields[:-1], ratings, polled, report.fields[-1]))
