"""cogs.support.metrics: shards as discord.py knows them, and how a command's error ended."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.metrics import ShardState
from cogs.support.metrics import command_outcome, shard_states


def test_a_plain_client_is_one_shard_disconnected_until_ready() -> None:
    """Before it connects, a plain client is shard 0, disconnected, with no latency."""
    client = discord.Client(intents=discord.Intents.none())
    assert shard_states(client) == [ShardState(0, False, None)]


def test_a_sharded_client_lists_every_shard_it_was_asked_for() -> None:
    """An AutoShardedClient answers for each of its shard ids, launched or not."""
    client = discord.AutoShardedClient(intents=discord.Intents.none(), shard_count=4,
                                       shard_ids=[2, 3])
    assert shard_states(client) == [ShardState(2, False, None), ShardState(3, False, None)]
    every = discord.AutoShardedClient(intents=discord.Intents.none(), shard_count=2)
    assert [s.shard_id for s in shard_states(every)] == [0, 1]


def test_command_outcomes() -> None:
    """A check's error is refused, the command's own or a value's is invalid, a bug failed."""
    check = app_commands.MissingPermissions(["manage_messages"])
    assert command_outcome(check, "You need the Manage Messages permission.") == "refused"
    assert command_outcome(app_commands.NoPrivateMessage(), "in a server") == "refused"
    invoked = app_commands.CommandInvokeError.__new__(app_commands.CommandInvokeError)
    assert command_outcome(invoked, "no article 'x'") == "invalid"
    assert command_outcome(invoked, None) == "failed"
