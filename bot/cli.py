"""The ``filmclub`` command: run the bot, or work on the database offline.

Every expected failure ends with one line on stderr and exit status 2 (Discord out of
reach: status 1); nothing a user can cause here prints a traceback, and a damaged
database is one line naming the file and what ``filmclub db check`` finds.

Logging: ``filmclub run`` logs at ``LOG_LEVEL`` (INFO unless set), as a service does.
Every other command answers in its own lines and logs only warnings (``-v``: what it
does, ``-vv``: everything), so no internal log line gets mixed into an answer.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from importlib import metadata
from pathlib import Path

from bot import cli_export, cli_library, cli_prompts, cli_watchlist, demo
from bot import config as config_module
from bot.cli_args import Parser, database_option, discord_id
from bot.config import Config, ConfigError
from bot.errors import FilmclubError, Unreachable

log = logging.getLogger("filmclub")

EXIT_USAGE = 2
EXIT_UNREACHABLE = 1

#: Commands that talk to Discord: the only ones that read DISCORD_TOKEN and its settings.
DISCORD_COMMANDS = ("run", "catch-up")


def _say(line: str) -> None:
    """One line for the person at the terminal (the CLI's output, not a log record)."""
    sys.stderr.write(f"filmclub: {line}\n")


def version() -> str:
    """The installed filmclub's version."""
    try:
        return metadata.version("filmclub")
    except metadata.PackageNotFoundError:  # run from a source tree that is not installed
        return "unknown (not installed)"


def setup_logging(level: str, *, service: bool = True) -> None:
    """Log at ``level``: with times and module names for the bot (``service``), or as
    short "filmclub: warning: ..." lines for a command's user."""
    root = logging.getLogger()
    if not root.handlers:  # as logging.basicConfig: configured once, by the entry point
        handler = logging.StreamHandler()
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s") if service
            else _LowerLevelFormatter("filmclub: %(levelname)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(getattr(logging, level, logging.INFO))
    logging.getLogger("discord.http").setLevel(logging.WARNING)
    logging.getLogger("discord.gateway").setLevel(max(logging.INFO, logging.getLogger().level))


class _LowerLevelFormatter(logging.Formatter):
    """'filmclub: warning: ...': a command's log lines read like its other lines."""

    def format(self, record: logging.LogRecord) -> str:
        record.levelname = record.levelname.lower()
        return super().format(record)


def log_level(args: argparse.Namespace, config: Config) -> str:
    """``run``: LOG_LEVEL. Other commands: WARNING, INFO with -v, DEBUG with -vv
    (LOG_LEVEL only makes them quieter: ERROR or CRITICAL)."""
    if args.command == "run":
        return config.log_level
    wanted = ("WARNING", "INFO", "DEBUG")[min(args.verbose, 2)]
    if args.verbose == 0 and config.log_level in ("ERROR", "CRITICAL"):
        return config.log_level
    return wanted


def _parser() -> Parser:
    parser = Parser(
        prog="filmclub", description="Film discussions on Discord, kept and exported."
    )
    parser.add_argument("--version", action="version", version=f"filmclub {version()}")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="say what is done (-v), or everything (-vv)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("run", help="start the bot (needs DISCORD_TOKEN)")

    cli_export.add_parser(sub)  # export (issue 4)
    cli_library.add_parsers(sub)  # articles, feeds (issue 3)
    cli_watchlist.add_parser(sub)  # watchlist export (issue 17)
    cli_prompts.add_parsers(sub)  # prompts list, stats (issue 14)
    _catch_up_parsers(sub)  # catch-up and the database (issue 6)
    demo.add_parser(sub)  # demo (issue 16)
    for command in _leaves(parser):
        # `filmclub export ... -v` works as well as `filmclub -v`; the demo has its own
        if command is not parser and "--verbose" not in command._option_string_actions:
            command.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                                 help="say what is done (-v), or everything (-vv)")
    return parser


def _leaves(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """The parsers that take options: each command, and each verb of a command."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield parser
        return
    for action in subs:
        for child in dict.fromkeys(action.choices.values()):
            yield from _leaves(child)


def load_config(*, discord: bool = True) -> Config:
    config_module.load_dotenv_file()
    return config_module.from_env(discord=discord)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = load_config(discord=args.command in DISCORD_COMMANDS)
    except ConfigError as exc:
        for problem in exc.problems:
            _say(problem)
        return EXIT_USAGE
    setup_logging(log_level(args, config), service=args.command == "run")
    database = getattr(args, "db", None) or config.database
    try:
        return _command(config, args)
    except Unreachable as exc:
        _say(str(exc))
        return EXIT_UNREACHABLE
    except FilmclubError as exc:
        _say(str(exc))
        return EXIT_USAGE
    except ConfigError as exc:
        for problem in exc.problems:
            _say(problem)
        return EXIT_USAGE
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        from bot.store.maintenance import describe_failure

        log.debug("database error", exc_info=exc)
        _say(describe_failure(database, exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def _command(config: Config, args: argparse.Namespace) -> int:
    if args.command == "run":
        return _run(config)
    if args.command == "export":
        return asyncio.run(cli_export.run(config, args))
    if args.command == "demo":
        return demo.main(args)
    if args.command == "watchlist":
        return asyncio.run(cli_watchlist.run(config, args))
    if args.command in ("catch-up", "db"):
        return _catch_up_commands(config, args)
    if args.command in cli_library.COMMANDS:
        return asyncio.run(cli_library.run(config, args))
    if args.command in cli_prompts.COMMANDS:
        return asyncio.run(cli_prompts.run(config, args))
    return EXIT_USAGE  # pragma: no cover - argparse rejects unknown commands


def _run(config: Config) -> int:
    config.require_token()
    from cogs.support.startup import run  # imported here: only `run` needs discord.py

    return run(config)


# -- catch-up and database care (issue 6) -----------------------------------------------


def _catch_up_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    catch = sub.add_parser(
        "catch-up", help="read what prompt threads missed while the bot was away (needs the token)")
    catch.add_argument("--thread", type=discord_id("thread"), metavar="ID", action="append",
                       help="only this prompt thread (repeatable; default: every one in reach)")
    database_option(catch)
    db = sub.add_parser("db", help="back up, check or copy the database")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    backup = db_sub.add_parser("backup", help="copy the database to a new file, safely while "
                               "the bot runs")
    backup.add_argument("path", type=Path, metavar="PATH", help="the new backup file")
    database_option(backup)
    database_option(db_sub.add_parser("check", help="check integrity and schema version"))
    copy = db_sub.add_parser(
        "copy", help="copy a database to a new, empty one (SQLite or PostgreSQL) and verify it",
        description="Copy every table of a filmclub database into an empty one, in one "
                    "transaction, then check that each table has as many rows and that every "
                    "thread exports to the same bytes from both. Either end is a SQLite file "
                    "or a postgresql:// URL. Nothing is ever overwritten.")
    copy.add_argument("source", metavar="SRC", help="the database to copy: a file or a URL")
    copy.add_argument("destination", metavar="DST",
                      help="a new file, or the URL of an empty PostgreSQL database")


def _catch_up_commands(config: Config, args: argparse.Namespace) -> int:
    from bot.store import maintenance
    from bot.store.factory import is_postgres

    if args.command == "db" and args.db_command == "copy":
        from bot.cli_copy import copy

        return copy(args.source, args.destination)
    database = args.db or config.database
    if args.command == "catch-up":
        return _catch_up(config, database, args.thread)
    if is_postgres(database):  # issue 15: the same commands on PostgreSQL
        from bot.store import pg_maintenance as maintenance  # type: ignore[no-redef]
    if args.db_command == "backup":
        result = maintenance.backup(database, args.path)
        sys.stdout.write(f"{result.path} (schema {result.schema}, {result.prompts} prompts, "
                         f"{result.comments} comments, integrity ok)\n")
        return 0
    result = maintenance.check(database)
    for problem in result.problems:
        _say(problem)
    if not result.ok:
        return 1
    sys.stdout.write(f"{result.path}: ok (filmclub schema {result.schema}, {result.prompts} "
                     f"prompts, {result.comments} comments, integrity ok)\n")
    return 0


def _catch_up(config: Config, database: Path | str, threads: list[int] | None) -> int:
    config.require_token()
    from cogs.support.startup import catch_up  # imported here: only this needs discord.py

    report = asyncio.run(catch_up(config.with_database(database), threads))
    for thread_id, why in report.unavailable.items():
        _say(f"thread {thread_id}: {why}")
    for thread_id, error in report.failed.items():
        _say(f"thread {thread_id}: failed: {error}")
    sys.stdout.write(report.summary() + "\n")
    return 1 if report.failed else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
