"""Issue 14 end to end: what the real bot learns on Discord, the command line uses; and
`filmclub run` when Discord is out of reach.

- the bot keeps the names of the server, its channels and prompt threads (and their
  renames) and of members who react: an export from the command line, with no Discord,
  names them all;
- `filmclub stats` shows the figures /stats shows;
- `filmclub run` retries with back-off while Discord cannot be reached, connects when it
  can, and exits 1 in one line naming what it never reached;
- discord.py's warnings about voice (the bot has none) are not shown.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sys
import zipfile
from pathlib import Path

import pytest

from bot.emulator import DiscordEmulator
from tests.clirun import afilmclub, clean_env, command
from tests.e2e.harness import TOKEN, RunningBot, World
from tests.e2e.moderating import post, run, text


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_exports_from_the_command_line_name_places_and_people(
        world: World, running: RunningBot, tmp_path: Path) -> None:
    """Renames seen on Discord (server, channel, thread) and a voter who never wrote are
    named in a JSON export made offline; the archive is named and headed by the server."""
    emu = world.emu
    thread = await post(world)
    ana, ben = world.members[:2]
    said = await emu.say(ana.id, thread, "Judy performs, and we wait.")
    voter = emu.add_member(world.guild.id, "Quiet Quentin")
    await running.settle()
    await emu.rename_guild(world.guild.id, "Cinema Club")
    await emu.rename_channel(world.channel.id, "film-talk")
    await emu.rename_channel(thread, "Vertigo, again")
    await emu.react(voter.id, said["id"], "👍")
    await emu.react(ben.id, said["id"], "🎬")
    await running.settle()
    assert await running.stop() == 0

    settings = {"FILMCLUB_DB": world.database}
    single = await afilmclub("export", "--thread", str(thread), "--format", "json",
                             "--out", "-", cwd=tmp_path, **settings)
    assert single.returncode == 0, single.stderr
    document = json.loads(single.stdout)
    assert document["guild"]["name"] == "Cinema Club"
    assert document["channel"]["category"] == "film-talk"
    assert document["channel"]["name"] == "Vertigo, again"
    users = {u["id"]: u["name"] for r in document["messages"][0]["reactions"]
             for u in r["users"]}
    assert users == {str(voter.id): "Quiet Quentin", str(ben.id): "Ben"}

    archive = await afilmclub("export", "--guild", str(world.guild.id), "--format", "html",
                              cwd=tmp_path, **settings)
    assert archive.returncode == 0, archive.stderr
    name = f"cinema-club-{world.guild.id}-html.zip"
    assert archive.stdout.startswith(f"{name} (1 thread, 1 comment, ")
    index = zipfile.ZipFile(tmp_path / name).read("index.html").decode("utf-8")
    assert "<h1><bdi>Cinema Club</bdi></h1>" in index

    listed = await afilmclub("prompts", "list", cwd=tmp_path, **settings)
    assert listed.stdout.splitlines()[0].startswith(
        f"{thread}\tCinema Club\t#film-talk\tVertigo, again\t1 comment\tlast ")


async def test_stats_on_the_command_line_are_those_of_slash_stats(
        world: World, running: RunningBot, tmp_path: Path) -> None:
    """The same thread and server: every field /stats shows has the same value in
    `filmclub stats`."""
    emu = world.emu
    thread = await post(world)
    ana, ben, cy = world.members[:3]
    first = await emu.say(ana.id, thread, "one")
    await emu.say(ben.id, thread, "two", reply_to=first["id"])
    await emu.react(cy.id, first["id"], "👍")
    await emu.react(ben.id, first["id"], "👎")
    on_discord = text(await run(world, cy, thread, "stats"))
    server_on_discord = text(await run(world, cy, world.lobby, "stats"))
    assert await running.stop() == 0

    def fields(shown: str) -> dict[str, str]:
        found = {}
        for line in shown.splitlines():
            name, sep, value = line.strip().partition(": ")
            if sep and not name.startswith("Stats"):
                found[name] = value.strip()
        return found

    offline = await afilmclub("stats", "--thread", str(thread), cwd=tmp_path,
                              FILMCLUB_DB=world.database)
    assert offline.returncode == 0, offline.stderr
    expected = fields(on_discord)
    assert {"Comments", "Participants", "Votes", "Busiest hour"} <= set(expected)
    assert fields(offline.stdout) == expected
    server = await afilmclub("stats", "--guild", str(world.guild.id), cwd=tmp_path,
                             FILMCLUB_DB=world.database)
    assert fields(server.stdout) == fields(server_on_discord)


async def test_no_voice_warnings(emu: DiscordEmulator, tmp_path: Path) -> None:
    """The bot has no voice: `filmclub run` (a fresh process) shows no warning about
    PyNaCl or davey, which only voice would need."""
    emu.add_guild("Quiet Club")
    proc = await run_bot({"DISCORD_TOKEN": emu.token, "DISCORD_API_BASE": emu.api_base,
                          "DISCORD_GATEWAY_URL": emu.gateway_url, "LOG_LEVEL": "WARNING",
                          "FILMCLUB_DB": str(tmp_path / "f.db"),
                          "FILMCLUB_GUILD_READY_TIMEOUT": "0.05"}, tmp_path)
    await emu.wait_connected(timeout=60)
    await asyncio.sleep(0.5)  # ready, extensions loaded: what it logs at start is out
    proc.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    assert "voice will NOT be supported" not in err.decode()
    assert err.decode() == ""


async def run_bot(settings: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *command(), "run", cwd=cwd, env=clean_env(**settings),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def test_run_says_in_one_line_that_the_gateway_is_out_of_reach(
        emu: DiscordEmulator, tmp_path: Path) -> None:
    """The API answers, the gateway does not: after its retries, one line naming the
    gateway's address, status 1."""
    port = closed_port()
    gateway = f"ws://127.0.0.1:{port}/gateway"
    proc = await run_bot({"DISCORD_TOKEN": emu.token, "DISCORD_API_BASE": emu.api_base,
                          "DISCORD_GATEWAY_URL": gateway, "LOG_LEVEL": "WARNING",
                          "FILMCLUB_DB": str(tmp_path / "filmclub.db"),
                          "FILMCLUB_CONNECT_ATTEMPTS": "2"}, tmp_path)
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    lines = err.decode().splitlines()
    assert proc.returncode == 1, lines
    assert "Traceback" not in err.decode() and len(lines) == 2, lines
    assert f"cannot reach Discord's gateway at {gateway} (" in lines[0]
    assert lines[1].startswith(f"filmclub: cannot reach Discord's gateway at {gateway} (")


async def test_run_retries_until_discord_answers_then_runs(world: World,
                                                          tmp_path: Path) -> None:
    """Discord down at start: `filmclub run` warns and backs off; once Discord is up it
    connects, and a SIGTERM then stops it cleanly (status 0)."""
    port = closed_port()
    proc = await run_bot({"DISCORD_TOKEN": TOKEN,
                          "DISCORD_API_BASE": f"http://127.0.0.1:{port}/api/v10",
                          "DISCORD_GATEWAY_URL": f"ws://127.0.0.1:{port}/gateway",
                          "FILMCLUB_DB": str(tmp_path / "late.db"), "LOG_LEVEL": "WARNING",
                          "FILMCLUB_GUILD_READY_TIMEOUT": "0.05",
                          "FILMCLUB_CONNECT_ATTEMPTS": "6"}, tmp_path)
    assert proc.stderr is not None
    first = await asyncio.wait_for(proc.stderr.readline(), 30)
    assert b"cannot reach Discord's API" in first and b"trying again in 1 s" in first
    late = DiscordEmulator(token=TOKEN, port=port)
    late.add_guild("Late Club")
    async with late:
        await late.wait_connected(timeout=60)
        proc.send_signal(signal.SIGTERM)
        rest = await asyncio.wait_for(proc.stderr.read(), 30)
        assert await asyncio.wait_for(proc.wait(), 30) == 0, rest.decode()
        assert b"Traceback" not in rest, rest.decode()
        assert late.identify_count == 1 and late.problems == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
async def test_run_stops_cleanly_while_it_waits_for_discord(tmp_path: Path) -> None:
    """A SIGTERM during the back-off ends `filmclub run` at once with status 0."""
    port = closed_port()
    proc = await run_bot({"DISCORD_TOKEN": TOKEN,
                          "DISCORD_API_BASE": f"http://127.0.0.1:{port}/api/v10",
                          "DISCORD_GATEWAY_URL": f"ws://127.0.0.1:{port}/gateway",
                          "FILMCLUB_DB": str(tmp_path / "f.db"), "LOG_LEVEL": "WARNING"},
                         tmp_path)
    assert proc.stderr is not None
    await asyncio.wait_for(proc.stderr.readline(), 30)
    proc.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(proc.wait(), 30) == 0


async def test_stopping_while_servers_arrive_is_clean(tmp_path: Path) -> None:
    """SIGTERM while discord.py still waits for servers to arrive (a long
    FILMCLUB_GUILD_READY_TIMEOUT): status 0, nothing on stderr but the bot's own log."""
    emulator = DiscordEmulator(token=TOKEN)
    emulator.add_guild("Busy Club")
    async with emulator:
        proc = await run_bot({"DISCORD_TOKEN": TOKEN, "DISCORD_API_BASE": emulator.api_base,
                              "DISCORD_GATEWAY_URL": emulator.gateway_url,
                              "FILMCLUB_DB": str(tmp_path / "f.db"), "LOG_LEVEL": "WARNING",
                              "FILMCLUB_GUILD_READY_TIMEOUT": "3"}, tmp_path)
        await emulator.wait_connected(timeout=60)
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0, err.decode()
        assert err.decode() == ""
        assert emulator.problems == []
