"""``filmclub export``: a thread, a prompt or a whole server from the database, offline.

No token and no network: everything comes from the SQLite file, which is only read
(a missing database is not created). Expected failures (an unknown id, format or
database, a bad date, a path that cannot be written) end with one line on stderr and
status 2, like every ``filmclub`` command. The result is one line on stdout; archives
draw a progress bar on stderr when it is a terminal.

What the user has is never destroyed: an existing file at ``--out`` is replaced only
with ``--force``, and never one that is not a regular file (a link, a FIFO, a device);
no folder is created. ``--out -`` writes the export to standard output (the line
about it then goes to stderr).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from bot.cli_args import database_option, discord_id, score
from bot.config import Config
from bot.errors import ExportError, InvalidValue
from bot.export import (
    ExportRequest,
    default_filename,
    formats,
    get_exporter,
    resolve_scope,
    run_export,
)
from bot.export.archive import default_archive_name
from bot.export.base import Output, format_time
from bot.export.progress import ProgressBar
from bot.export.request import build_options
from bot.files import check_destination
from bot.records.visibility import EVERY_THREAD
from bot.store import Store, make_store


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``export`` and its options to the ``filmclub`` parser."""
    export = sub.add_parser(
        "export", help="export a thread, a prompt or a whole server from the database, offline",
        description="Write a prompt thread, or every prompt of a server as a zip archive, "
                    "from the database alone (no token, no network).")
    what = export.add_mutually_exclusive_group(required=True)
    what.add_argument("--thread", type=discord_id("thread"), metavar="ID",
                      help="a prompt thread's id")
    what.add_argument("--prompt", type=discord_id("prompt message"), metavar="ID",
                      help="a prompt's message id (or its thread's id)")
    what.add_argument("--guild", type=discord_id("server"), metavar="ID",
                      help="a server's id: every prompt thread, one file each, in a zip")
    # Not argparse's choices: an unknown format gets the one line every export error gets.
    export.add_argument("--format", default=formats.DEFAULT, metavar="FORMAT",
                        help=f"{formats.listing()} (default: {formats.DEFAULT})")
    export.add_argument("--out", metavar="PATH",
                        help="the file to write, or - for standard output; an existing "
                             "folder (or one ending in /) gets the file under its default "
                             "name; a server's archive: a folder, or a .zip file")
    export.add_argument("--force", action="store_true",
                        help="replace the file at --out if there is one (only a regular "
                             "file: never a link, a FIFO or a device)")
    export.add_argument("--sort", default="oldest", metavar="ORDER",
                        help="oldest (default), newest or top: how replies to the same "
                             "comment, and top-level comments, are ordered")
    export.add_argument("--after", metavar="WHEN",
                        help="only comments written after a date (2026-11-01, "
                             "'2026-11-01 20:30', UTC unless an offset is given) or message id")
    export.add_argument("--before", metavar="WHEN", help="only comments written before it")
    export.add_argument("--min-score", type=score, metavar="N",
                        help="only comments with a score of at least N")
    export.add_argument("--include-deleted", action="store_true",
                        help="show deleted comments' text, marked as deleted")
    export.add_argument("--include-revisions", action="store_true",
                        help="show the earlier texts of edited comments")
    export.add_argument("--include-hidden", action="store_true",
                        help="keep comments that moderators hid")
    export.add_argument("--anonymise", "--anonymize", action="store_true",
                        help='"Member 1", "Member 2"... instead of names and user ids')
    export.add_argument("--since-last", action="store_true",
                        help="only what changed since the previous export with the same "
                             "scope, format and options")
    database_option(export)


async def run(config: Config, args: argparse.Namespace) -> int:
    """``filmclub export``: write the file, print where and what, remember the export."""
    get_exporter(args.format)  # an unknown format fails before the database is touched
    options = build_options(sort=args.sort, after=args.after, before=args.before,
                            min_score=args.min_score, include_deleted=args.include_deleted,
                            include_revisions=args.include_revisions, anonymise=args.anonymise)
    to_stdout = args.out == "-"
    if to_stdout and args.force:
        raise InvalidValue("--force replaces a file; with --out - there is none")
    async with make_store(args.db or config.database, create=False) as store:
        scope, target = await resolve_scope(store, thread=args.thread, prompt=args.prompt,
                                            guild=args.guild)
        request = ExportRequest(scope, target, args.format, options,
                                include_hidden=args.include_hidden, since_last=args.since_last)
        if to_stdout:
            if scope == "guild" and sys.stdout.isatty():
                raise InvalidValue("not writing a zip archive to a terminal: redirect it "
                                   "(> archive.zip) or give --out FILE")
            out: Output = sys.stdout.buffer
        else:
            out = await _out_path(store, request, args.out)
            check_destination(out, replace=args.force)  # refused before any work is done
        bar = ProgressBar(0, sys.stderr)

        def progress(done: int, total: int, title: str) -> None:
            bar.total = total
            bar.update(done, title)

        try:
            result = await run_export(store, request, out, progress=progress,
                                      visible=EVERY_THREAD,  # the host's operator sees all
                                      replace=args.force)
        except BrokenPipeError:  # `filmclub export --out - | head`: the reader went away
            _silence_stdout()
            raise ExportError("standard output was closed before the export was "
                              "written; nothing is remembered of it") from None
        finally:
            bar.close()
        if result.record is not None:
            await store.record_export(result.record)
    facts = [_count(result.comments, "comment")]
    if result.deleted:
        facts.append(f"{result.deleted} deleted")
    facts.append(f"{result.size} bytes")
    if scope == "guild":
        facts.insert(0, _count(result.threads, "thread"))
    if request.since_last:
        facts.append(f"changes since the export of {format_time(result.previous.exported_at)}"
                     if result.previous else "no earlier export like it, so everything")
    line = f"{'standard output' if to_stdout else result.path} ({', '.join(facts)})\n"
    (sys.stderr if to_stdout else sys.stdout).write(line)
    return 0


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that Python's own flush at exit finds no broken pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


async def _out_path(store: Store, request: ExportRequest, out: str | None) -> Path:
    """Where to write: ``out``, or a default name in it (a folder) or here."""
    given = None if out is None else Path(out)
    folder = out is not None and (out.endswith(("/", os.sep)) or Path(out).is_dir())
    if request.scope == "guild":
        guild_name = (await store.guild_names(request.target_id)).guild
        name = default_archive_name(request.target_id, guild_name, request.fmt)
        if given is None:
            return Path(name)
        return given if given.suffix.lower() == ".zip" and not folder else given / name
    if given is not None and not folder:
        return given
    prompt = await store.get_prompt(request.target_id)
    title = prompt.article.title if prompt else str(request.target_id)
    if prompt is not None:
        title = (await store.guild_names(prompt.guild_id)).places.get(prompt.thread_id, title)
    name = default_filename(title, request.target_id, request.fmt)
    return Path(name) if given is None else given / name
