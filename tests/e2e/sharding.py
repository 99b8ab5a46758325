"""Helpers for the shard tests (issue 15): servers spread over shards, a discussion in each,
and the check that the store holds each message, edit and vote exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.emulator import DiscordEmulator
from bot.models import Comment
from bot.store.base import Store
from tests.e2e.catchup_helpers import discord_view, store_view
from tests.e2e.harness import MODERATOR, World

ARTICLE = "vertigo-the-second-fall"
#: Three servers on shards 0, 1 and 0 of 2: each process of two owns at least one.
SHARDS_OF_SERVERS = (0, 1, 0)
SHARD_COUNT = 2


@dataclass
class Server:
    """One server of the sharded world: its film channel, a moderator, members."""

    guild: Any
    channel: Any
    lobby: Any
    mod: Any
    members: list[Any]
    shard: int


def add_servers(emu: DiscordEmulator, shards: Sequence[int] = SHARDS_OF_SERVERS,
                count: int = SHARD_COUNT) -> list[Server]:
    """Servers whose ids put each on the shard given (of ``count``)."""
    servers = []
    for n, shard in enumerate(shards):
        guild = emu.add_guild(f"Film Club {n + 1}", shard=(shard, count))
        assert (guild.id >> 22) % count == shard
        servers.append(Server(
            guild, emu.add_text_channel(guild.id, "films"),
            emu.add_text_channel(guild.id, "lobby"),
            emu.add_member(guild.id, f"Mia {n + 1}", permissions=MODERATOR),
            [emu.add_member(guild.id, name) for name in ("Ana", "Ben", "Cy")], shard))
    return servers


def world_of(emu: DiscordEmulator, servers: list[Server], db_path: Path,
             **env: str) -> World:
    """The harness's world on the first server, with the shard settings in its environment."""
    first = servers[0]
    return World(emu, first.guild, first.channel, first.lobby, first.mod, first.members,
                 db_path, extra_env=dict(env))


async def post_prompt(emu: DiscordEmulator, server: Server) -> int:
    """/prompt post by the server's moderator; the new thread's id."""
    inter = await emu.invoke(server.mod.id, server.channel.id, "prompt post",
                             {"article": ARTICLE, "channel": server.channel.id})
    await inter.wait_for(lambda i: bool(i.followups), timeout=30)
    threads = [t for t in emu.threads.values() if t["parent_id"] == str(server.channel.id)]
    assert len(threads) == 1, threads
    return int(threads[0]["id"])


async def discuss(emu: DiscordEmulator, server: Server, thread: int, tag: str) -> None:
    """Members comment, reply, edit and vote in ``thread``."""
    ana, ben, cy = server.members
    first = await emu.say(ana.id, thread, f"{tag}: the tower scene still works")
    second = await emu.say(ben.id, thread, f"{tag}: Madeleine is a ghost", reply_to=first["id"])
    third = await emu.say(cy.id, thread, f"{tag}: green light everywhere")
    await emu.edit(ben.id, second["id"], f"{tag}: Madeleine is a ghost (edited)")
    await emu.react(cy.id, first["id"], "👍")
    await emu.react(ana.id, second["id"], "👎")
    await emu.react(ben.id, third["id"], "👍")


async def comments_of(store: Store, thread: int) -> list[Comment]:
    return [c async for c in store.iter_comments(thread, with_history=True)]


def stored_once(emu: DiscordEmulator, thread: int, comments: list[Comment]) -> list[str]:
    """What is wrong with the store's record of ``thread`` against Discord's (empty: nothing):
    every message, edit and vote there, and each only once."""
    wrong = []
    if store_view(comments) != discord_view(emu, thread):
        wrong.append(f"thread {thread}: the store differs from Discord's record")
    ids = Counter(c.id for c in comments)
    wrong += [f"comment {i} stored {n} times" for i, n in ids.items() if n > 1]
    for comment in comments:
        # One edit each at most here; a message edited before the bot saw it (caught up
        # after downtime) has no earlier version: Discord's history gives the newest only.
        most = 1 if comment.edited_at is not None else 0
        if len(comment.revisions) > most:
            wrong.append(f"comment {comment.id}: {len(comment.revisions)} earlier versions, "
                         f"at most {most}")
        votes = Counter((r.user_id, r.emoji) for r in comment.reactions)
        wrong += [f"comment {comment.id}: vote {v} stored {n} times"
                  for v, n in votes.items() if n > 1]
    return wrong


async def barrier(emu: DiscordEmulator, *stores: Store) -> None:
    """Every session has read every event sent so far, and each store has committed it."""
    assert await emu.ping_bot(timeout=30)
    await asyncio.sleep(0.05)  # listener tasks scheduled before the heartbeat run first
    for store in stores:
        await store.flush()
