"""``filmclub prompts list`` and ``filmclub stats``: what the database holds, at a glance.

Both only read: they never create a database (a missing one is one line, status 2).
``prompts list`` gives the ids ``filmclub export`` asks for; ``stats`` shows what /stats
shows on Discord, from the same function (:func:`bot.stats.stats_report`), and with
``--chart FILE.png|.svg`` writes /stats' picture too (issue 19; matplotlib is imported
only then, so every other command starts as fast as before).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.cli_args import database_option, discord_id
from bot.config import Config
from bot.errors import InvalidValue, NotFound
from bot.export.base import format_time
from bot.models import utcnow
from bot.records.names import GuildNames
from bot.records.visibility import EVERY_THREAD
from bot.stats import StatsReport, stats_report
from bot.store import Store, make_store

COMMANDS = ("prompts", "stats")


def _out(line: str) -> None:
    sys.stdout.write(f"{line}\n")


def add_parsers(sub: Any) -> None:
    """Add ``prompts list`` and ``stats`` to the CLI's subparsers."""
    prompts = sub.add_parser("prompts", help="the prompts posted: list")
    verbs = prompts.add_subparsers(dest="verb", required=True, metavar="VERB")
    listing = verbs.add_parser(
        "list", help="every prompt: thread id, channel, title, comments, last activity")
    listing.add_argument("--guild", type=discord_id("server"), metavar="ID",
                         help="only this server's prompts")
    database_option(listing)

    stats = sub.add_parser("stats", help="what /stats shows: a prompt thread's or a server's "
                                         "numbers")
    scope = stats.add_mutually_exclusive_group()
    scope.add_argument("--thread", type=discord_id("thread"), metavar="ID",
                       help="a prompt thread (default: each server with prompts)")
    scope.add_argument("--guild", type=discord_id("server"), metavar="ID", help="a server")
    stats.add_argument("--chart", type=chart_path, metavar="FILE",
                       help="also write the chart /stats shows, as FILE.png or FILE.svg")
    stats.add_argument("--theme", choices=("dark", "light"), default="dark",
                       help="the chart's colours: dark (default, as on Discord) or light")
    stats.add_argument("--force", action="store_true",
                       help="replace the file at --chart if there is one (a regular file)")
    database_option(stats)


def chart_path(value: str) -> Path:
    """``--chart``: a file name ending in .png or .svg."""
    path = Path(value)
    if path.suffix.lower() not in (".png", ".svg"):
        raise argparse.ArgumentTypeError(f"{value!r} does not end in .png or .svg")
    return path


async def run(config: Config, args: argparse.Namespace) -> int:
    """Run ``filmclub prompts list`` or ``filmclub stats``; returns the exit status."""
    async with make_store(args.db or config.database, create=False) as store:
        if args.command == "prompts":
            return await _prompts_list(store, args.guild)
        if args.chart is not None:
            from bot.files import check_destination

            check_destination(args.chart, replace=args.force)  # refused before any work
        code = await _stats(store, thread_id=args.thread, guild_id=args.guild)
        if args.chart is not None:
            await _chart(store, args)
        return code


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


async def _prompts_list(store: Store, guild_id: int | None) -> int:
    found = await store.prompt_overview(guild_id)
    if guild_id is not None and not found:
        raise NotFound(f"server {guild_id} has no prompts in the database")
    names: dict[int, GuildNames] = {}
    for overview in found:
        prompt = overview.prompt
        if prompt.guild_id not in names:
            names[prompt.guild_id] = await store.guild_names(prompt.guild_id)
        known = names[prompt.guild_id]
        channel = known.places.get(prompt.channel_id)
        title = known.places.get(prompt.thread_id) or prompt.article.title
        last = (f"last {format_time(overview.last_activity)}" if overview.last_activity
                else "no comments yet")
        _out("\t".join((str(prompt.thread_id), known.guild or f"server {prompt.guild_id}",
                        f"#{channel}" if channel else f"channel {prompt.channel_id}",
                        " ".join(title.split()), _count(overview.comments, "comment"), last)))
    _out(f"{len(found)} prompt(s)")
    return 0


def render(report: StatsReport, title: str) -> list[str]:
    """A stats report as lines for a terminal."""
    width = max(len(field.name) for field in report.fields) + 2
    lines = [title]
    lines += [f"  {field.name + ':':<{width}}{field.value}" for field in report.fields]
    return lines


async def _stats(store: Store, *, thread_id: int | None, guild_id: int | None) -> int:
    now = utcnow()
    if thread_id is not None:
        prompt = await store.get_prompt(thread_id)
        if prompt is None:
            raise NotFound(f"there is no prompt thread {thread_id} in the database")
        report = await stats_report(store, prompt.guild_id, visible=EVERY_THREAD,
                                    thread_id=thread_id, subject=prompt.article.title,
                                    now=now)
        names = await store.guild_names(prompt.guild_id)
        title = names.places.get(thread_id) or prompt.article.title
        for line in render(report, f"Stats: {title} (thread {thread_id})"):
            _out(line)
        _out(report.footer)
        return 0
    if guild_id is not None:
        guilds = [guild_id]
        if not await store.list_prompts(guild_id):
            raise NotFound(f"server {guild_id} has no prompts in the database")
    else:
        guilds = list(dict.fromkeys(p.guild_id for p in await store.list_prompts()))
        if not guilds:
            raise InvalidValue("the database has no prompts yet: no numbers to show")
    for number, guild in enumerate(guilds):
        report = await stats_report(store, guild, visible=EVERY_THREAD, now=now)
        name = (await store.guild_names(guild)).guild
        if number:
            _out("")
        for line in render(report, f"Stats: {name} (server {guild})" if name
                           else f"Stats: server {guild}"):
            _out(line)
    _out(report.footer)
    return 0


async def _chart(store: Store, args: argparse.Namespace) -> None:
    """Write /stats' chart (the thread's, or the one server's) to ``--chart``."""
    from bot.charts import draw, stats_chart
    from bot.files import new_file

    thread_id, guild_id = args.thread, args.guild
    if thread_id is not None:
        prompt = await store.get_prompt(thread_id)
        if prompt is None:
            raise NotFound(f"there is no prompt thread {thread_id} in the database")
        guild_id, subject = prompt.guild_id, prompt.article.title
        subject = (await store.guild_names(guild_id)).places.get(thread_id) or subject
    else:
        subject = None
        if guild_id is None:
            guilds = list(dict.fromkeys(p.guild_id for p in await store.list_prompts()))
            if len(guilds) > 1:
                raise InvalidValue(f"--chart draws one chart and the database has {len(guilds)} "
                                   "servers: add --guild ID or --thread ID")
            guild_id = guilds[0]
    chart = await stats_chart(store, guild_id, visible=EVERY_THREAD, now=utcnow(),
                              thread_id=thread_id, subject=subject)
    fmt = "svg" if args.chart.suffix.lower() == ".svg" else "png"
    data = await draw(chart, fmt, args.theme)
    with new_file(args.chart, replace=args.force) as out:
        out.write(data)
    _out(f"Chart written to {args.chart} ({fmt.upper()}, {len(data) // 1024 or 1} KB)")
