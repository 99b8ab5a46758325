"""``filmclub watchlist export`` (issue 17): a server's watchlists as Markdown or CSV.

From the database alone (no token, no network). To stdout, or to a file that is never
overwritten unless ``--force`` (and never replaces anything but a regular file).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

from bot.cli_args import database_option
from bot.config import Config
from bot.errors import ExportError, NotFound
from bot.models import utcnow
from bot.store import Store, make_store
from bot.watchlist import EXPORT_FORMATS, list_key, to_csv, to_markdown


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    watchlist = sub.add_parser("watchlist", help="a server's watchlists")
    actions = watchlist.add_subparsers(dest="watchlist_command", required=True, metavar="ACTION")
    export = actions.add_parser("export", help="write watchlists as Markdown or CSV")
    export.add_argument("--guild", type=int, metavar="ID",
                        help="the server (default: the only one with watchlists)")
    export.add_argument("--list", dest="list_name", metavar="NAME",
                        help="one list (default: every list of the server)")
    export.add_argument("--format", choices=EXPORT_FORMATS, default="md",
                        help="md (default) or csv")
    export.add_argument("--out", metavar="PATH", help="a file (default: standard output)")
    export.add_argument("--force", action="store_true", help="replace PATH if it exists")
    database_option(export)


async def _guild(store: Store, given: int | None) -> int:
    if given is not None:
        return given
    guilds = await store.watchlist_guilds()
    if len(guilds) == 1:
        return guilds[0]
    if not guilds:
        raise NotFound("no server has a watchlist in this database")
    raise NotFound("several servers have watchlists; say which with --guild "
                   f"({', '.join(str(g) for g in guilds)})")


async def run(config: Config, args: argparse.Namespace) -> int:
    """``filmclub watchlist export``: the text to stdout or into a new file."""
    out = None if args.out in (None, "-") else Path(args.out)
    if out is not None:
        check_target(out, force=args.force)  # before the database is opened
    async with make_store(args.db or config.database, create=False) as store:
        guild_id = await _guild(store, args.guild)
        lists = [info.name for info in await store.watchlists(guild_id)]
        if args.list_name is not None:
            lists = [n for n in lists if list_key(n) == list_key(args.list_name)]
            if not lists:
                raise NotFound(f"server {guild_id} has no list named {args.list_name!r}")
        if not lists:
            raise NotFound(f"server {guild_id} has no watchlist")
        entries = await store.watch_entries(guild_id)
    text = (to_markdown(entries, lists, utcnow()) if args.format == "md"
            else to_csv(entries, lists))
    if out is None:
        sys.stdout.write(text)
        return 0
    write_new(out, text.encode("utf-8"), force=args.force)
    films = sum(1 for e in entries if any(list_key(e.list_name) == list_key(n) for n in lists))
    sys.stdout.write(f"{out} ({len(lists)} list{'s' * (len(lists) != 1)}, "
                     f"{films} film{'s' * (films != 1)})\n")
    return 0


def check_target(path: Path, *, force: bool) -> None:
    """Refuse a path that exists (unless ``force``) or is not a regular file."""
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise ExportError(f"{path} exists and is not a regular file; not replacing it")
    if path.exists() and not force:
        raise ExportError(f"{path} exists; add --force to replace it")


def write_new(path: Path, data: bytes, *, force: bool) -> None:
    """Write to a temporary file beside ``path``, then move it into place.

    Without ``force`` the move is a hard link, which fails if ``path`` appeared
    meanwhile: an existing file is never replaced.
    """
    check_target(path, force=force)
    directory = path.parent if str(path.parent) else Path(".")
    temp = directory / f".{path.name}.{os.getpid()}.tmp"
    try:
        with open(temp, "xb") as handle:
            handle.write(data)
        if force:
            check_target(path, force=True)
            os.replace(temp, path)
        else:
            os.link(temp, path)
    except FileExistsError as exc:
        raise ExportError(f"{path} exists; add --force to replace it") from exc
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)
