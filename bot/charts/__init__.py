"""Charts: a discussion's life and a club's activity as pictures (issue 19).

``/stats``, ``filmclub stats --chart`` and the HTML exports all start here:
:func:`stats_chart` reads what a chart shows from the store (only from the threads the
asker can see, as every answer), :func:`draw` turns it into PNG or SVG bytes off the
event loop. The records and bucketing live in :mod:`bot.charts.model` and the drawing
(matplotlib, imported only when a chart is drawn) in :mod:`bot.charts.draw`.

Drawing runs in one worker thread, not a process: a chart is a fraction of a second of
mostly C++ rasterising, the interpreter hands the event loop its turn every few
milliseconds meanwhile, and a process would pay matplotlib's import again (or keep one
idle). One thread also keeps two charts from sharing matplotlib's global settings.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from datetime import datetime

from bot.charts.draw import THEMES, Format, Theme, inline_svg, render
from bot.charts.model import (
    ArchiveChart,
    Chart,
    ServerChart,
    ThreadChart,
    server_chart,
    thread_chart,
)
from bot.records.visibility import Visible
from bot.stats import rank_members
from bot.store.base import Store

__all__ = [
    "THEMES", "ArchiveChart", "Chart", "Format", "ServerChart", "Theme", "ThreadChart",
    "chart_filename", "draw", "inline_svg", "render", "server_activity", "stats_chart",
    "thread_activity",
]

log = logging.getLogger(__name__)

_pool: concurrent.futures.ThreadPoolExecutor | None = None


def _worker() -> concurrent.futures.ThreadPoolExecutor:
    global _pool  # one drawing thread for the process, made on first use
    if _pool is None:
        _pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="filmclub-chart")
    return _pool


async def draw(chart: Chart, fmt: Format = "png", theme: Theme = "dark") -> bytes:
    """``render(chart, fmt, theme)`` in the drawing thread: the event loop keeps running."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_worker(), render, chart, fmt, theme)


async def thread_activity(store: Store, thread_id: int, *, title: str, posted_at: datetime,
                          visible: Visible) -> ThreadChart:
    """A prompt thread's chart: comments and votes from the post on, and its ratings."""
    prompt = await store.get_prompt(thread_id)
    guild_id = prompt.guild_id if prompt is not None else 0
    settings = await store.get_settings(guild_id)
    hours = await store.activity_hours(thread_id=thread_id, visible=visible)
    ratings = await store.prompt_ratings(thread_id) if visible.allows(thread_id) else []
    return thread_chart(title, posted_at, hours.comments, hours.votes, ratings,
                        settings.zone, settings.timezone)


async def server_activity(store: Store, guild_id: int, *, title: str, visible: Visible,
                          now: datetime) -> ServerChart:
    """A server's chart: prompts and comments per week, its most active members (named,
    or "Member N" when the server's chart setting says so)."""
    settings = await store.get_settings(guild_id)
    prompts = [p.posted_at for p in await store.list_prompts(guild_id)
               if visible.allows(p.thread_id)]
    hours = await store.activity_hours(guild_id=guild_id, visible=visible)
    totals = rank_members(await store.member_totals(guild_id, visible=visible), "comments")
    return server_chart(title, prompts, hours.comments, [(t.name, t.comments) for t in totals],
                        anonymised=settings.anonymise_members, zone=settings.zone,
                        zone_name=settings.timezone, now=now)


async def stats_chart(store: Store, guild_id: int, *, visible: Visible, now: datetime,
                      thread_id: int | None = None, subject: str | None = None
                      ) -> ThreadChart | ServerChart:
    """The chart /stats and ``filmclub stats`` attach: the thread's, or the server's."""
    if thread_id is not None:
        prompt = await store.get_prompt(thread_id)
        posted = prompt.posted_at if prompt is not None else now
        return await thread_activity(store, thread_id, title=subject or str(thread_id),
                                     posted_at=posted, visible=visible)
    name = (await store.guild_names(guild_id)).guild
    return await server_activity(store, guild_id, title=name or "This server",
                                 visible=visible, now=now)


def chart_filename(chart: Chart, fmt: Format = "png") -> str:
    """What the attached file is called: 'filmclub-thread-activity.png'..."""
    kind = "thread" if isinstance(chart, ThreadChart) else "server"
    return f"filmclub-{kind}-activity.{fmt}"
