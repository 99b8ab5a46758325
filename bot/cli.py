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

    export = sub.add_parser("export", help="export a prompt thread from the database, offline")
    export.add_argument("--thread", type=int, required=True, metavar="ID",
                        help="the prompt thread's id")
    export.add_argument("--format", default="md", metavar="FORMAT",
                        help="output format (default: md)")
    export.add_argument("--out", type=Path, metavar="FILE",
                        help="file to write (default: a name made from the thread's title)")
    export.add_argument("--db", type=Path, metavar="PATH",
                        help="database file (default: FILMCLUB_DB or data/filmclub.db)")
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
            return asyncio.run(_export(config, args))
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


async def _export(config: Config, args: argparse.Namespace) -> int:
    from bot.export import default_filename, export_thread, get_exporter
    from bot.store import SQLiteStore

    get_exporter(args.format)  # an unknown format fails before the database is touched
    async with SQLiteStore(args.db or config.db_path, create=False) as store:
        out = args.out
        if out is None:
            prompt = await store.get_prompt(args.thread)
            title = prompt.article.title if prompt else str(args.thread)
            out = Path(default_filename(title, args.thread, args.format))
        result = await export_thread(store, args.thread, args.format, out)
    sys.stdout.write(f"{result.path} ({result.comments} comments, {result.size} bytes)\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
