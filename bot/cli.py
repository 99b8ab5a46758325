"""The ``filmclub`` command: run the bot, or work on the database offline.

Every expected failure ends with one line on stderr and exit status 2; nothing a
user can cause here prints a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot import cli_export, cli_library, cli_watchlist, demo
from bot import config as config_module
from bot.config import Config, ConfigError
from bot.errors import FilmclubError

log = logging.getLogger("filmclub")

EXIT_USAGE = 2


def _say(line: str) -> None:
    """One line for the person at the terminal (the CLI's output, not a log record)."""
    sys.stderr.write(f"filmclub: {line}\n")


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    logging.getLogger("discord.http").setLevel(logging.WARNING)
    logging.getLogger("discord.gateway").setLevel(max(logging.INFO, logging.getLogger().level))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="filmclub", description="Film discussions on Discord, kept and exported."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("run", help="start the bot (needs DISCORD_TOKEN)")

    cli_export.add_parser(sub)  # export (issue 4)
    cli_library.add_parsers(sub)  # articles, feeds (issue 3)
    cli_watchlist.add_parser(sub)  # watchlist export (issue 17)
    _catch_up_parsers(sub)  # catch-up and the database (issue 6)
    demo.add_parser(sub)  # demo (issue 16)
    return parser


def load_config() -> Config:
    config_module.load_dotenv_file()
    return config_module.from_env()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = load_config()
    except ConfigError as exc:
        for problem in exc.problems:
            _say(problem)
        return EXIT_USAGE
    setup_logging(config.log_level)
    try:
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
    except FilmclubError as exc:
        _say(str(exc))
        return EXIT_USAGE
    except ConfigError as exc:
        for problem in exc.problems:
            _say(problem)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    return EXIT_USAGE  # pragma: no cover - argparse rejects unknown commands


def _run(config: Config) -> int:
    config.require_token()
    from bot.client import run  # imported here: only `run` needs discord.py

    return run(config)


# -- catch-up and database care (issue 6) -----------------------------------------------


def _catch_up_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db_help = "database file (default: FILMCLUB_DB or data/filmclub.db)"
    catch = sub.add_parser(
        "catch-up", help="read what prompt threads missed while the bot was away (needs the token)")
    catch.add_argument("--thread", type=int, metavar="ID", action="append",
                       help="only this prompt thread (repeatable; default: every one in reach)")
    catch.add_argument("--db", type=Path, metavar="PATH", help=db_help)
    db = sub.add_parser("db", help="back up or check the database")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    backup = db_sub.add_parser("backup", help="copy the database to a new file, safely while "
                               "the bot runs")
    backup.add_argument("path", type=Path, metavar="PATH", help="the new backup file")
    backup.add_argument("--db", type=Path, metavar="PATH", help=db_help)
    check = db_sub.add_parser("check", help="check integrity and schema version")
    check.add_argument("--db", type=Path, metavar="PATH", help=db_help)


def _catch_up_commands(config: Config, args: argparse.Namespace) -> int:
    from bot.store import maintenance

    database = args.db or config.db_path
    if args.command == "catch-up":
        return _catch_up(config, database, args.thread)
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


def _catch_up(config: Config, database: Path, threads: list[int] | None) -> int:
    import dataclasses

    config.require_token()
    from bot.client import catch_up  # imported here: only this needs discord.py

    report = asyncio.run(catch_up(dataclasses.replace(config, db_path=database), threads))
    for thread_id, why in report.unavailable.items():
        _say(f"thread {thread_id}: {why}")
    for thread_id, error in report.failed.items():
        _say(f"thread {thread_id}: failed: {error}")
    sys.stdout.write(report.summary() + "\n")
    return 1 if report.failed else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
