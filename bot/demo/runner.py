"""Run the demo: the scripted discussion, the exports, the closing lines; or the REPL after."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import time

from bot.demo import script
from bot.demo.files import OutputFolder
from bot.demo.session import DemoSession, Screen, closing, play

log = logging.getLogger(__name__)


def run(args: argparse.Namespace) -> int:
    """Check the output folder, then run the script (and the REPL with ``--interactive``)."""
    if not args.verbose:  # the terminal is for the discussion; problems still show
        logging.getLogger().setLevel(logging.WARNING)
        for name in ("discord", "discord.client", "discord.gateway"):
            logging.getLogger(name).setLevel(logging.ERROR)
    out = OutputFolder(args.out, force=args.force)
    out.prepare(name for _, name, _ in script.EXPORTS)
    if args.interactive:
        from bot.demo.repl import interactive

        return interactive(out, pace=args.pace)
    return asyncio.run(scripted(out, pace=args.pace))


async def scripted(out: OutputFolder, *, pace: float) -> int:
    """The whole scripted discussion, the exports, and the closing lines; Ctrl-C stops cleanly."""
    started = time.monotonic()
    screen = Screen()
    session = DemoSession(out, screen, pace=pace)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    work = asyncio.ensure_future(play(session, screen))
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({work, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if not work.done():
            work.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await work
            screen.line("Interrupted: stopping the bot (it writes what it holds) and the "
                        "local Discord.")
    finally:
        stopper.cancel()
        status = await session.stop()
    if work.cancelled():
        return 130
    paths = work.result()
    return closing(session, screen, out, paths, status, time.monotonic() - started)
