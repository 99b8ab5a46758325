"""The Discord side of ``bot.metrics``: what discord.py knows, fed to the process's metrics.

The metric definitions and the endpoint are in the core (:mod:`bot.metrics`); this module
only reads the gateway's shards and listens for completed commands. The capture cog
counts the events it hands the store (``Metrics.counting``), the command tree counts the
commands that end in an error (``FilmClubTree.on_error``), the export cog times exports.
"""

from __future__ import annotations

import math
from typing import Any

import discord
from discord import app_commands

from bot.config import Config
from bot.errors import FilmclubError
from bot.metrics import Metrics, MetricsServer, ShardState


def _seconds(value: float) -> float | None:
    """A latency, or None before the first heartbeat was acknowledged (nan, inf)."""
    return value if math.isfinite(value) else None


def shard_states(bot: discord.Client) -> list[ShardState]:
    """Each shard this process runs: connected (ready, its socket open) and its latency.

    An ``AutoShardedClient`` lists the shards it was asked for (``shard_ids``, else all of
    ``shard_count``), a shard not launched yet as disconnected; a plain client is one shard.
    """
    if isinstance(bot, discord.AutoShardedClient):
        wanted = bot.shard_ids if bot.shard_ids is not None else range(bot.shard_count or 0)
        running = bot.shards
        states = []
        for shard_id in wanted:
            info = running.get(shard_id)
            if info is None:
                states.append(ShardState(shard_id, False, None))
                continue
            connected = bot.is_ready() and not bot.is_closed() and not info.is_closed()
            states.append(ShardState(shard_id, connected, _seconds(info.latency)))
        return states
    ws = bot.ws
    connected = bot.is_ready() and not bot.is_closed() and ws is not None and ws.open
    return [ShardState(bot.shard_id or 0, connected, _seconds(bot.latency))]


def command_outcome(error: app_commands.AppCommandError, expected: str | None) -> str:
    """How a command that raised ``error`` ended (``bot.metrics.OUTCOMES``); ``expected``
    is the one-line answer it got, None for an unexpected failure."""
    if expected is None:
        return "failed"
    if isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError):
        return "invalid"  # raised by the command itself, or an option's value
    return "refused"  # a check: permissions on the target, the wrong place, a cooldown


def observe(bot: Any, metrics: Metrics) -> None:
    """Feed ``metrics`` from ``bot`` (the FilmClub; not imported here, which imports this
    module): its store, its shards, its completed commands.

    Called before the bot starts, so the capture cog finds ``bot.metrics`` as it loads.
    """
    bot.metrics = metrics
    metrics.watch_store(bot.store)
    metrics.shards = lambda: shard_states(bot)

    async def completed(interaction: discord.Interaction[Any],
                        command: app_commands.Command[Any, ..., Any]
                        | app_commands.ContextMenu) -> None:
        metrics.command(command.qualified_name, "completed")

    bot.add_listener(completed, "on_app_command_completion")


async def serve_metrics(config: Config, bot: Any) -> None:
    """With FILMCLUB_METRICS_PORT set: feed a new registry from ``bot`` and serve it with
    the health answer (stopped by ``bot.close``). One line when the port cannot be had."""
    if config.metrics_port is None:
        return
    metrics = Metrics()
    observe(bot, metrics)
    server = MetricsServer(metrics)
    try:
        await server.start(config.metrics_host, config.metrics_port)
    except OSError as exc:
        raise FilmclubError(
            f"cannot serve metrics on {config.metrics_host}:{config.metrics_port} "
            f"(FILMCLUB_METRICS_PORT): {exc.strerror or exc}") from exc
    bot.metrics_server = server
