"""``filmclub demo``: the real bot through a whole discussion on a local Discord, no account.

The local Discord is ``bot.emulator`` on 127.0.0.1; the bot starts through
``cogs.support.startup.serve``, as ``filmclub run`` starts it. The script is
``bot.demo.script``, the run ``bot.demo.runner``; ``--interactive`` then hands the
keyboard to the person at the terminal (``bot.demo.repl``). This module only declares
the command: the rest imports discord.py, so it is loaded when the demo runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_OUT = Path("demo-output")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``filmclub demo``."""
    demo = sub.add_parser(
        "demo", help="run the real bot through a whole discussion on a local Discord "
        "(no account or token needed), then write every export")
    demo.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
                      help="folder for the exports and the demo database (default: %(default)s)")
    demo.add_argument("--force", action="store_true",
                      help="replace the demo's own files already in --out")
    demo.add_argument("--interactive", action="store_true",
                      help="afterwards, keep the local Discord and the bot running and take "
                      "part from the terminal")
    demo.add_argument("--pace", type=_pace, default=0.15, metavar="SECONDS",
                      help="pause between the script's steps, to follow along "
                      "(default: %(default)s)")
    demo.add_argument("--verbose", action="store_true",
                      help="show the bot's and the local Discord's log lines too")


def _pace(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {raw!r}") from None
    if not 0 <= value <= 10:
        raise argparse.ArgumentTypeError("must be 0 to 10 seconds")
    return value


def main(args: argparse.Namespace) -> int:
    """``filmclub demo``; the exit status (0: the bot did it all and Discord refused nothing)."""
    from bot.demo.runner import run

    return run(args)
