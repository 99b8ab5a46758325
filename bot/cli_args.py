"""The command line's values: one argparse type per kind of value, checked alike everywhere.

Every id a command takes (``--thread``, ``--guild``, ``--channel``...) goes through
:func:`discord_id`, every number of minutes through :func:`minutes`, and so on, so the
same value is accepted or refused the same way by every command, with the same words.
The parser itself answers a mistake as every other filmclub error: one line on stderr,
status 2, and where to find the help.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from bot.config import FEED_INTERVAL_RANGE, is_postgres_url

#: A Discord id (a snowflake) written out: 15 to 20 digits, as `parse_bound` reads message ids.
ID_DIGITS = (15, 20)
MAX_ID = 2**63 - 1
#: Scores beyond this are a typo, not a wish (the same bound as /export's min_score check).
MAX_SCORE = 1_000_000
#: Entries a feed may bring at its first poll (`feeds add --backlog`).
MAX_BACKLOG = 20  # = bot.feeds.MAX_NEW_PER_POLL (not imported: the CLI starts light)


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose mistakes read like every filmclub error: one line, status 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"filmclub: {message} (see `{self.prog} --help`)\n")
        raise SystemExit(2)


def _whole(text: str, what: str) -> int:
    try:
        return int(text.strip(), 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None


def discord_id(kind: str) -> Callable[[str], int]:
    """The type of an option naming a Discord object: '5' is no channel id, a snowflake is."""
    low, high = ID_DIGITS
    what = f"a {kind} id (a Discord id has {low} to {high} digits)"

    def parse(text: str) -> int:
        digits = text.strip()
        if not digits.isascii() or not digits.isdigit() or not low <= len(digits) <= high:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}")
        value = int(digits)
        if value > MAX_ID:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}")
        return value

    parse.__name__ = f"{kind} id"  # argparse names the type in its own messages
    return parse


def bounded(low: int, high: int, what: str) -> Callable[[str], int]:
    """The type of a whole number from ``low`` to ``high``: '--every 0' is refused, not bent."""
    described = f"{what} from {low} to {high}"

    def parse(text: str) -> int:
        value = _whole(text, described)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text!r} is not {described}")
        return value

    parse.__name__ = what
    return parse


#: Minutes between polls of a feed, as FILMCLUB_FEED_INTERVAL allows.
minutes = bounded(*FEED_INTERVAL_RANGE, "a number of minutes")
#: How many of a feed's newest entries to take at once.
backlog = bounded(0, MAX_BACKLOG, "a number of entries")
#: A feed's number in `feeds list`.
feed_id = bounded(1, MAX_ID, "a feed number")
#: A score filter.
score = bounded(-MAX_SCORE, MAX_SCORE, "a score")


def database(text: str) -> Path | str:
    """``--db``'s value: a SQLite file, or a PostgreSQL URL (issue 15)."""
    text = text.strip()
    if not text:
        raise argparse.ArgumentTypeError("an empty --db names no database")
    if is_postgres_url(text):
        return text
    return Path(text)


def database_option(parser: argparse.ArgumentParser) -> None:
    """``--db PATH|URL``, declared here only, worded the same on every command."""
    parser.add_argument("--db", type=database, metavar="PATH|URL",
                        help="the database: a SQLite file or a postgresql:// URL "
                             "(default: FILMCLUB_DB or data/filmclub.db)")
