"""Operating the bot (issue 15): its metrics and health endpoint, and a REST proxy in front.

The real bot runs against the emulator as `filmclub run` starts it, with
FILMCLUB_METRICS_PORT set; the test scrapes the endpoint as Prometheus would and checks
that each counter moved by what the members and moderators did. A database on a
filesystem that fills up turns the health answer to 503 and back. The REST proxy test
puts a small forwarding proxy of its own between the bot and the emulator, as a
rate-limit proxy (nirn-proxy) would stand there.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from bot.errors import FilmclubError
from tests.e2e.harness import RunningBot, World
from tests.e2e.test_discussion import ARTICLE, post_prompt
from tests.store.test_storage_trouble import fill, grow, small_filesystem

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def scrape(port: int) -> Samples:
    """Every sample /metrics gives, parsed as Prometheus parses it."""
    async with aiohttp.ClientSession() as session, session.get(
            f"http://127.0.0.1:{port}/metrics") as got:
        assert got.status == 200
        text = await got.text()
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def health(port: int) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as session, session.get(
            f"http://127.0.0.1:{port}/healthz") as got:
        return got.status, json.loads(await got.text())


def value(samples: Samples, name: str, **labels: str) -> float:
    """A sample's value; 0 when it has not appeared yet (a counter not yet touched)."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


async def until_health(port: int, status: int, timeout: float = 120) -> dict[str, Any]:
    """Wait (on the answer, not the clock) until /healthz answers ``status``."""
    async with asyncio.timeout(timeout):
        while True:
            got, body = await health(port)
            if got == status:
                return body
            await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def started_with_metrics(world: World, **configure: Any) -> AsyncIterator[
        tuple[RunningBot, int]]:
    port = free_port()
    world.extra_env["FILMCLUB_METRICS_PORT"] = str(port)
    runner = RunningBot(world, **configure)
    await runner.start()
    try:
        yield runner, port
    finally:
        assert await runner.stop() == 0


async def test_metrics_count_what_happened_and_health_says_connected(world: World) -> None:
    """Comments, votes, commands and an export move their counters by exactly that much."""
    emu = world.emu
    async with started_with_metrics(world) as (runner, port):
        body = await until_health(port, 200, 30)
        assert body == {"status": "ok",
                        "gateway": {"connected": True, "shards": {"0": "connected"}},
                        "store": {"writing": True, "queued": body["store"]["queued"]}}
        before = await scrape(port)
        assert value(before, "filmclub_gateway_connected", shard="0") == 1
        assert value(before, "filmclub_store_writing") == 1

        thread = await post_prompt(world, runner)
        ana, ben, cy, dee, _eve = world.members
        a = await emu.say(ana.id, thread, "The tower scene still works.")
        b = await emu.say(ben.id, thread, "It works twice.", reply_to=a["id"])
        c = await emu.say(cy.id, thread, "oops")
        await emu.say(dee.id, world.channel.id, "outside the thread: not counted")
        await emu.edit(ana.id, a["id"], "The tower scene still works. Both times.")
        await emu.delete(c["id"])
        await emu.react(ben.id, a["id"], "👍")
        await emu.react(cy.id, a["id"], "👍")
        await emu.react(ana.id, b["id"], "👎")
        await emu.unreact(ana.id, b["id"], "👎")
        refused = await emu.invoke(ben.id, world.channel.id, "prompt post", {"article": ARTICLE})
        await refused.wait()
        assert "Manage Messages" in refused.response["content"]
        invalid = await emu.invoke(world.mod.id, world.channel.id, "prompt post",
                                   {"article": "no-such-film"})
        await invalid.wait()
        assert "no article 'no-such-film'" in invalid.response["content"]
        export = await emu.invoke(world.mod.id, thread, "export", {"format": "md"})
        await export.wait_for(lambda i: bool(i.files))
        await runner.settle()

        after = await scrape(port)
        for kind, count in (("message_created", 3), ("message_edited", 1),
                            ("message_deleted", 1), ("reaction_added", 3),
                            ("reaction_removed", 1)):
            assert moved(before, after, "filmclub_events_received_total", type=kind) == count, kind
            assert moved(before, after, "filmclub_events_stored_total", type=kind) == count, kind
        commands = {(labels[0][1], labels[1][1]): after[(name, labels)] - before.get(
            (name, labels), 0) for name, labels in after if name == "filmclub_commands_total"}
        assert {k: v for k, v in commands.items() if v} == {
            ("prompt post", "completed"): 1, ("prompt post", "refused"): 1,
            ("prompt post", "invalid"): 1, ("export", "completed"): 1}
        assert moved(before, after, "filmclub_export_seconds_count",
                     scope="thread", format="md", outcome="done") == 1
        assert value(after, "filmclub_export_seconds_sum",
                     scope="thread", format="md", outcome="done") > 0
        assert moved(before, after, "filmclub_store_commit_seconds_count") >= 1
        assert ("filmclub_writer_queue_depth", ()) in after  # a few at most, at rest
        assert value(after, "filmclub_writer_queue_depth") < 10
        latency = value(after, "filmclub_gateway_latency_seconds", shard="0")
        assert 0 < latency < 60  # discord.py's first heartbeat on HELLO was acknowledged
        assert (await health(port))[0] == 200

        await emu.disconnect_bot(None, resumable=False, wait=False)
        await emu.wait_until(lambda: emu.identify_count >= 2, 60)
        await until_health(port, 200, 60)  # a new session: connected again


async def test_a_full_disk_turns_health_to_503_and_back(world: World, tmp_path: Path) -> None:
    """The database's filesystem fills: /healthz says 503 with why; room again: 200."""
    with small_filesystem(tmp_path / "disk") as disk:
        world.db_path = disk / "filmclub.db"

        def quick_retries(bot: Any) -> None:  # the writer tries again soon, not in 30 s
            bot.store.retry_max = 0.5

        async with started_with_metrics(world, configure=quick_retries) as (runner, port):
            thread = await post_prompt(world, runner)
            await runner.settle()
            assert (await health(port))[0] == 200
            ballast = fill(disk)
            member = world.members[0]
            messages = [world.emu.build_message(member.id, thread, f"{n} " + "words " * 60)
                        for n in range(600)]
            await world.emu.dispatch_many([("MESSAGE_CREATE", m) for m in messages])
            body = await until_health(port, 503)
            assert body["status"] == "unavailable"
            assert body["gateway"]["connected"] is True
            assert body["store"]["writing"] is False
            assert "database or disk is full" in body["store"]["problem"]
            while_full = await scrape(port)
            assert value(while_full, "filmclub_store_writing") == 0
            # What the writer holds to retry is still queued.
            assert value(while_full, "filmclub_writer_queue_depth") > 0

            ballast.unlink()
            grow(disk, "64m")
            body = await until_health(port, 200)
            assert body["store"]["writing"] is True
            await runner.settle()
            stored = {c.id for c in await runner.comments(thread)}
            assert {int(m["id"]) for m in messages} <= stored
            after = await scrape(port)
            assert value(after, "filmclub_store_writing") == 1
            assert value(after, "filmclub_events_received_total", type="message_created") == 600
            assert value(after, "filmclub_events_stored_total", type="message_created") == 600


class ForwardingProxy:
    """A loopback REST proxy: every request forwarded to ``upstream`` as it came, and
    recorded (what nirn-proxy does, less the rate-limit bookkeeping)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.seen: list[tuple[str, str]] = []
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> ForwardingProxy:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self.forward)
        self._session = aiohttp.ClientSession(auto_decompress=False)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None and self._session is not None
        await self._runner.cleanup()
        await self._session.close()

    async def forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        self.seen.append((request.method, request.path_qs))
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() not in ("host", "content-length", "transfer-encoding")}
        async with self._session.request(
                request.method, self.upstream + request.path_qs, headers=headers,
                data=await request.read(), allow_redirects=False) as upstream:
            body = await upstream.read()
            kept = {k: v for k, v in upstream.headers.items()
                    if k.lower() not in ("content-length", "transfer-encoding", "connection",
                                         "content-encoding")}
            return web.Response(status=upstream.status, body=body, headers=kept)


async def test_the_bot_works_through_a_rest_proxy(world: World) -> None:
    """FILMCLUB_REST_PROXY: every REST call goes through the proxy, and the bot works."""
    emu = world.emu
    async with ForwardingProxy(emu.base_url) as proxy:
        env = {k: v for k, v in world.env().items() if k != "DISCORD_API_BASE"}
        env["FILMCLUB_REST_PROXY"] = f"http://127.0.0.1:{proxy.port}"
        world.env = lambda: env  # type: ignore[method-assign]
        runner = RunningBot(world)
        await runner.start()
        try:
            thread = await post_prompt(world, runner)
            said = await emu.say(world.members[0].id, thread, "Through the proxy.")
            comments = await runner.comments(thread)
            assert [c.id for c in comments] == [int(said["id"])]
        finally:
            assert await runner.stop() == 0
    paths = [path for _method, path in proxy.seen]
    assert "/api/v10/users/@me" in paths  # the login
    assert any(p.startswith("/api/v10/applications/") for p in paths)  # the command sync
    assert any(m == "POST" and "/callback" in p for m, p in proxy.seen)  # /prompt post's answer
    assert any(m == "POST" and p == f"/api/v10/channels/{world.channel.id}/messages"
               for m, p in proxy.seen)  # the prompt itself
    assert all(p.startswith("/api/v10/") for p in paths)
    # Nothing reached the emulator's REST API but through the proxy (the start's probe too).
    assert sorted((m, "/api/v10" + p) for m, p, _body in emu.requests) == sorted(
        (m, p.partition("?")[0]) for m, p in proxy.seen)
    assert ("GET", "/api/v10/gateway") in proxy.seen


async def test_a_metrics_port_in_use_is_one_line(world: World) -> None:
    """Another program on FILMCLUB_METRICS_PORT: the bot stops at start, in one line."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        world.extra_env["FILMCLUB_METRICS_PORT"] = str(port)
        runner = RunningBot(world)
        with pytest.raises(FilmclubError) as caught:
            await runner.start()
    message = str(caught.value)
    assert message.startswith(f"cannot serve metrics on 127.0.0.1:{port} (FILMCLUB_METRICS_PORT)")
    assert "\n" not in message
    assert world.emu.identify_count == 0  # it never connected to the gateway
