"""Run the demo: the scripted discussion, the exports, the closing lines; or the REPL after."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import time
from pathlib import Path

from bot.demo import script
from bot.demo.files import OutputFolder
from bot.demo.session import DemoSession, Screen

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


async def play(session: DemoSession, screen: Screen, *, lock: bool = True,
               exports: bool = True) -> list[Path]:
    """Start, play the script, export: what both the plain and the interactive demo do.

    The interactive demo leaves the exports to its user: six scripted ones would spend
    the moderator's /export allowance (six a minute) before they could try it.
    """
    await session.start()
    screen.line("The discussion (#N: comment numbers; scores as the bot's store counts them)")
    await session.play_script(lock=lock)
    screen.line()
    if not exports:
        return []
    screen.line(f"Exports: {script.MODERATOR} runs the bot's own /export in the thread, "
                f"into {session.out.path}/:", wrap=True)
    return await session.export_all()


def closing(session: DemoSession, screen: Screen, out: OutputFolder, paths: list[Path],
            status: int, seconds: float) -> int:
    """The last lines: the database, what the local Discord refused, the time, what to open."""
    emu = session.emu
    screen.line()
    screen.line(f"Database: {out.database} (try: filmclub export --db {out.database} "
                f"--guild {session.guild.id} --format md)", wrap=True)
    if emu.problems:
        screen.line(f"The local Discord refused {len(emu.problems)} of the bot's "
                    f"{len(emu.requests)} requests:")
        for problem in emu.problems:
            screen.line(f"  {problem}", wrap=True)
        status = status or 1
    else:
        screen.line(f"The local Discord checked all {len(emu.requests)} of the bot's requests "
                    "against Discord's OpenAPI description and limits: none refused.", wrap=True)
    if not session.interactive:
        screen.line("Take part yourself: filmclub demo --interactive (with --out or --force).")
    screen.line(f"Took {seconds:.1f} s.")
    html = next((p for p in paths if p.suffix == ".html"), None)
    if html is not None:
        screen.line(f"Open first: {html}  ({html.resolve().as_uri()})", wrap=True)
    return status
