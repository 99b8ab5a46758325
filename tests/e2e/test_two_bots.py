"""Two bots on one database: the second refuses to start, in one line, naming the first."""

from __future__ import annotations

import asyncio
import os
import socket
import sys

from tests.e2e.harness import ROOT, RunningBot, World


async def test_a_second_bot_on_the_same_database_refuses_to_start(
        world: World, running: RunningBot) -> None:
    """`filmclub run` beside a running bot: status 2, one line with its pid and host."""
    identified = world.emu.identify_count
    env = {**os.environ, **world.env(), "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=str(world.db_path.parent), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2 and out == b""
    if world.db_url is None:
        assert err.decode().startswith(
            f"filmclub: another filmclub bot is running on {world.db_path} (pid {os.getpid()} on "
            f"{socket.gethostname()}, since ")
    else:  # issue 15: on PostgreSQL, the shard's advisory lock says it
        assert err.decode().startswith(
            f"filmclub: shard 0 is already running on {world.db_url} (held by filmclub pid "
            f"{os.getpid()} on {socket.gethostname()}")
    assert err.decode().count("\n") == 1 and "Traceback" not in err.decode()
    assert world.emu.identify_count == identified  # it never connected
    # The first bot is untouched and still answers.
    assert running.bot is not None and not running.bot.is_closed()
    await running.settle()
