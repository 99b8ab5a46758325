"""The Discord emulator in its own process, driven over stdin/stdout with JSON lines.

The benchmarks run the client under test in their own process and the emulator
here, so the emulator's work of building and sending frames does not share a core
with the client being measured. Frames are built and serialised before a run is
timed; ``send`` only writes them to the socket.

Commands (one JSON object a line on stdin; one JSON answer a line on stdout):
  {"op": "build", "thread": ID, "messages": N, "reactions": R, "edits": E, "deletes": D}
  {"op": "send"}                      send what was built, as fast as the socket takes it
  {"op": "build_many", "threads": [ID, ...], "messages": N, ...}
                                      a burst in each thread, interleaved (benchmarks.shards)
  {"op": "send_many"}                 send it; each frame goes to its server's shard
  {"op": "shards"}                    the shards connected now
  {"op": "pace", "thread": ID, "rate": per_second, "seconds": S}
                                      steady MESSAGE_CREATEs stamped with their send time
  {"op": "quit"}
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import random
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.emulator import DiscordEmulator
from bot.emulator.gateway import RawJSON
from bot.models import snowflake_time

log = logging.getLogger(__name__)

SENTINEL = "benchmark-done"
TOKEN = "benchmark.bot.token-0123456789"


def reply_to(payload: dict[str, Any], parent: dict[str, Any]) -> dict[str, Any]:
    payload["type"] = 19
    payload["message_reference"] = {"type": 0, "message_id": parent["id"],
                                    "channel_id": parent["channel_id"],
                                    "guild_id": parent["guild_id"]}
    payload["referenced_message"] = None
    return payload


class Driver:
    def __init__(self, emu: DiscordEmulator, guild: Any, members: list[Any]) -> None:
        self.emu = emu
        self.guild = guild
        self.members = members
        self.frames: list[tuple[str, Any]] = []
        self.rng = random.Random(7)

    def build(self, thread: int, messages: int, reactions: int, edits: int,
              deletes: int) -> dict[str, Any]:
        """The burst of the speed issue: messages (every tenth a reply), then the rest."""
        emu, rng = self.emu, self.rng
        created: list[dict[str, Any]] = []
        frames: list[tuple[str, dict[str, Any]]] = []
        replies = 0
        reacted: set[tuple[str, int, str]] = set()
        for i in range(messages):
            author = self.members[i % len(self.members)]
            text = f"message {i}: " + " ".join(rng.choice(WORDS) for _ in range(12))
            payload = emu.message_payload(author.id, thread, text)
            if i % 10 == 9 and created:
                reply_to(payload, rng.choice(created))
                replies += 1
            created.append(payload)
            frames.append(("MESSAGE_CREATE", payload))
        for _ in range(reactions):
            target = rng.choice(created)
            user = rng.choice(self.members)
            emoji = rng.choice(["👍", "👎", "🎬"])
            reacted.add((target["id"], user.id, emoji))
            frames.append(("MESSAGE_REACTION_ADD", {
                "user_id": str(user.id), "channel_id": target["channel_id"],
                "message_id": target["id"], "guild_id": target["guild_id"],
                "emoji": {"id": None, "name": emoji},
                "burst": False, "type": 0, "message_author_id": target["author"]["id"],
                "burst_colors": [],
            }))
        for target in rng.sample(created, edits):
            edited = dict(target)
            edited["content"] = target["content"] + " (edited)"
            edited["edited_timestamp"] = (
                snowflake_time(int(target["id"])) + timedelta(seconds=30)).isoformat()
            frames.append(("MESSAGE_UPDATE", edited))
        for target in rng.sample(created, deletes):
            frames.append(("MESSAGE_DELETE", {"id": target["id"],
                                              "channel_id": target["channel_id"],
                                              "guild_id": target["guild_id"]}))
        frames.append(("MESSAGE_CREATE", emu.message_payload(self.members[0].id, thread,
                                                             SENTINEL)))
        self.remember(frames)
        self.frames = [(name, RawJSON(json.dumps(data, separators=(",", ":"))))
                       for name, data in frames]
        return {"frames": len(frames), "messages": messages + 1, "replies": replies,
                "distinct_reactions": len(reacted)}

    def remember(self, frames: list[tuple[str, dict[str, Any]]]) -> None:
        """Make the emulator's own record match the burst, as Discord's would.

        The frames go out raw (the fast path), so the emulator's history is brought
        in line here: the bot's catch-up reads that history through REST, and would
        rightly take messages Discord does not have for deleted ones.
        """
        emu = self.emu
        for name, data in frames:
            if name == "MESSAGE_CREATE":
                emu.record_message(data)
            elif name == "MESSAGE_UPDATE":
                emu.model.messages[int(data["id"])].update(  # our own emulator's record
                    content=data["content"], edited_timestamp=data["edited_timestamp"])
            elif name == "MESSAGE_DELETE":
                emu.model.remove_message(int(data["id"]))
            elif name == "MESSAGE_REACTION_ADD":
                emu.reactions.add_reaction(int(data["user_id"]),
                                           emu.model.messages[int(data["message_id"])],
                                           dict(data["emoji"]))

    async def send(self) -> dict[str, Any]:
        started = time.perf_counter()
        sent = await self.emu.dispatch_many(self.frames)
        return {"sent": sent, "seconds": time.perf_counter() - started}

    async def pace(self, thread: int, rate: int, seconds: float) -> dict[str, Any]:
        """Steady traffic in 10 ms ticks; each message's content carries its send time."""
        emu = self.emu
        tick = 0.01
        per_tick = max(1, round(rate * tick))
        total = int(rate * seconds)
        templates = [emu.message_payload(self.members[i % len(self.members)].id, thread, "")
                     for i in range(total)]
        loop = asyncio.get_running_loop()
        start = loop.time()
        sent = 0
        while sent < total:
            batch = templates[sent:sent + per_tick]
            stamp = time.time()
            for payload in batch:
                payload["content"] = f"t={stamp:.6f}"
                emu.record_message(payload)
            await emu.dispatch_many([("MESSAGE_CREATE", p) for p in batch])
            sent += len(batch)
            next_at = start + (sent / per_tick) * tick
            await asyncio.sleep(max(0.0, next_at - loop.time()))
        await emu.dispatch_many([("MESSAGE_CREATE", emu.message_payload(
            self.members[0].id, thread, SENTINEL))])
        return {"sent": sent, "seconds": loop.time() - start}


WORDS = ("vertigo", "spiral", "tower", "judy", "madeleine", "scottie", "dream", "green",
         "light", "fall", "obsession", "mirror", "bay", "bridge", "portrait", "museum")


async def main(threads: int, members: int, shards: int = 0) -> None:
    """``shards`` > 0 (benchmarks.shards): a server on each of that many shards, each with
    its channel, members and ``threads`` threads; 0: one server, as before."""
    async with DiscordEmulator(token=TOKEN) as emu:
        servers = []
        for shard in range(max(shards, 1)):
            guild = emu.add_guild(f"Benchmark Club {shard}",
                                  shard=(shard, shards) if shards else None)
            channel = emu.add_text_channel(guild.id, "films")
            people = [emu.add_member(guild.id, f"Member {i}") for i in range(members)]
            made = [emu.add_thread(channel.id, f"Prompt {i}").id for i in range(threads)]
            servers.append({"guild": guild.id, "channel": channel.id, "threads": made,
                            "members": [p.id for p in people]})
        first = servers[0]
        drivers = {}  # thread -> its server's driver (one server: one driver, as before)
        for server in servers:
            server_driver = Driver(emu, server["guild"], [_Member(m) for m in server["members"]])
            drivers.update(dict.fromkeys(server["threads"], server_driver))
        driver = drivers[first["threads"][0]]
        emit({"api_base": emu.api_base, "gateway_url": emu.gateway_url, "token": emu.token,
              "guild": first["guild"], "channel": first["channel"], "threads": first["threads"],
              "bot_user_id": emu.bot_user_id, "servers": servers})
        reader = asyncio.StreamReader()
        loop = asyncio.get_running_loop()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while line := await reader.readline():
            command = json.loads(line)
            op = command.pop("op")
            if op == "quit":
                break
            if op == "build":
                driver = drivers[command["thread"]]
                emit(driver.build(**command))
            elif op == "build_many":
                emit(build_many(drivers, command.pop("threads"), command))
            elif op == "send":
                emit(await driver.send())
            elif op == "send_many":
                started = time.perf_counter()
                sent = await emu.dispatch_many(MANY)
                emit({"sent": sent, "seconds": time.perf_counter() - started})
            elif op == "pace":
                emit(await driver.pace(**command))
            elif op == "shards":
                emit({"connected": sorted(list(s) if s else [] for s in emu.connected_shards())})
            elif op == "problems":
                emit({"problems": list(emu.problems)})


#: The frames of the last build_many, threads interleaved.
MANY: list[tuple[str, Any]] = []


@dataclass(frozen=True)
class _Member:
    id: int


def build_many(drivers: dict[int, Driver], threads: list[int],
               sizes: dict[str, int]) -> dict[str, Any]:
    """A burst in each of ``threads`` (each in its own server), their frames interleaved so
    that every shard is sent its share all along."""
    answers, bursts = [], []
    for thread in threads:
        answers.append(drivers[thread].build(thread=thread, **sizes))
        bursts.append(drivers[thread].frames)
    MANY.clear()
    MANY.extend(frame for group in itertools.zip_longest(*bursts) for frame in group
                if frame is not None)
    return {"frames": len(MANY), "threads": dict(zip(map(str, threads), answers, strict=True))}


def emit(answer: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(main(*(int(arg) for arg in sys.argv[1:4])))
