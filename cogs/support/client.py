"""The Bot class: what discord.py runs, the extensions it loads and the services it holds.

It imports of ``cogs/`` only what imports nothing of it back (``cogs.support.history``,
``cogs.support.metrics``, ``cogs.support.ui``): the extensions are loaded by name, and the
log channels (``cogs.support.auditlog``) are handed in by :mod:`cogs.support.startup`,
which starts and stops the bot.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import discord
import yarl
from discord import app_commands
from discord.ext import commands

from bot.articles import ArticleLibrary
from bot.catchup import CatchUp
from bot.config import Config
from bot.errors import FilmclubError
from bot.filmlookup import FilmLookup, make_lookup
from bot.limits import Cooldowns
from bot.metrics import Metrics, MetricsServer
from bot.models import utcnow
from bot.netguard import FetchPolicy
from bot.records.audit import AuditEntry
from bot.services.audit import AuditTrail
from bot.services.catchup_runs import CatchUpRuns
from bot.services.platform import Noticeboard
from bot.store import Store
from cogs.support.history import DiscordHistory
from cogs.support.metrics import command_outcome
from cogs.support.ui import GENERIC_ERROR, reply_ephemeral

log = logging.getLogger(__name__)

EXTENSIONS = ("cogs.prompts", "cogs.feeds", "cogs.capture", "cogs.export", "cogs.catchup",
              "cogs.discussion", "cogs.comments", "cogs.settings", "cogs.members",
              "cogs.watchlist", "cogs.ratings", "cogs.polls", "cogs.names", "cogs.auditing")
COMMANDS_HASH_KEY = "app_commands_hash"


# filmclub has no voice: discord.py's warnings that what voice needs (PyNaCl, davey) is
# missing are no news to anyone running it.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False

def intents() -> discord.Intents:
    """What the bot reads: guilds and threads, messages with their content, reactions,
    poll votes."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.message_content = True
    wanted.guild_reactions = True
    wanted.guild_polls = True  # issue 17: votes in film polls
    return wanted


def point_at(config: Config) -> None:
    """Send REST and gateway traffic where the configuration says (Discord, a proxy, a test)."""
    discord.http.Route.BASE = config.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(config.gateway_url)


class FilmClubTree(app_commands.CommandTree["FilmClub"]):
    """The command tree with the one place where command errors are answered."""

    async def on_error(self, interaction: discord.Interaction[FilmClub],
                       error: app_commands.AppCommandError) -> None:
        message = expected_error_message(error)
        metrics = getattr(interaction.client, "metrics", None)
        if metrics is not None and interaction.command is not None:
            metrics.command(interaction.command.qualified_name, command_outcome(error, message))
        if message is None:
            command = interaction.command.qualified_name if interaction.command else "?"
            log.error(
                "command /%s failed (user %s, guild %s, options %s)",
                command, interaction.user.id, interaction.guild_id,
                json.dumps((interaction.data or {}).get("options", []), ensure_ascii=False),
                exc_info=error,
            )
            message = GENERIC_ERROR
        await reply_ephemeral(interaction, message)


def expected_error_message(error: app_commands.AppCommandError) -> str | None:
    """The one-line answer for an expected error, or None when it is a bug."""
    if isinstance(error, app_commands.MissingPermissions):
        names = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        role = getattr(error, "role_name", None)  # checks.NotModerator: a moderator role
        either = f" or the {role} role" if role else ""
        where = getattr(error, "where", "")  # NotModerator: the target, or server-wide
        return f"You need the {names} permission{either}{where} to do that."
    if isinstance(error, app_commands.BotMissingPermissions):
        names = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        return f"I need the {names} permission here to do that."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command works in a server, not in direct messages."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use this command here."
    if isinstance(error, app_commands.TransformerError):
        return f"That value doesn't work here: {error.value!r}."
    original = getattr(error, "original", None)
    if isinstance(original, app_commands.AppCommandError):  # a check made inside a command
        return expected_error_message(original)
    if isinstance(original, FilmclubError):
        return str(original)
    if isinstance(original, discord.Forbidden):
        return "Discord refused: I don't have access to do that there."
    if isinstance(original, discord.NotFound):
        return "Discord says that channel or message no longer exists."
    return None


class FilmClub(commands.Bot):
    """The bot: owns the store and the article library; cogs do the Discord work."""

    def __init__(self, config: Config, store: Store, library: ArticleLibrary,
                 *, log_channels: Callable[[FilmClub], Noticeboard] | None = None,
                 **options: Any) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents(),
            help_command=None,
            tree_cls=FilmClubTree,
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=config.guild_ready_timeout,
            # No message cache: filmclub reads edits, deletes and reactions as raw
            # events, which carry what it stores. discord.py's cache of the last 1,000
            # messages would only cost: every such event scans it for its message.
            max_messages=None,
            **options,
        )
        self.config = config
        self.store = store
        self.library = library
        #: What time it is for the scheduler and feed polls; tests replace it to move time.
        self.clock: Callable[[], datetime] = utcnow
        #: Where pages and feeds may be fetched from (the settings'; tests give their own
        #: before the cogs load, to reach their loopback web server).
        self.fetch_policy: FetchPolicy = FetchPolicy.from_config(config)
        #: Looks films up (issue 18); None when FILMCLUB_FILM_LOOKUP=off. Tests give one that
        #: reaches their loopback fake.
        self.film_lookup: FilmLookup | None = make_lookup(config, self.fetch_policy, store)
        #: Threads whose messages are comments; checked on every gateway event.
        self.prompt_threads: set[int] = set()
        #: Uses of expensive commands per member (cogs.support.checks.limited), by ``clock``.
        self.cooldowns = Cooldowns()
        #: The process's metrics (``bot.metrics``), when FILMCLUB_METRICS_PORT asks for them;
        #: set by ``cogs.support.metrics.observe`` before the bot starts.
        self.metrics: Metrics | None = None
        self.metrics_server: MetricsServer | None = None
        self._inline_listeners: dict[str, list[Callable[..., None]]] = {}
        #: The servers' log channels (``cogs.support.auditlog.LogChannels``, handed in by
        #: the start-up); without them (a test that only loads the extensions), the log.
        self.log_channels: Noticeboard = (log_channels or LogOnly)(self)
        #: Every moderator action, stored and announced (``bot.services.audit``).
        self.audit = AuditTrail(store, self.log_channels, clock=self.now)
        #: Catch-up of prompt threads from Discord's history (``bot.services.catchup_runs``):
        #: started by ``cogs.catchup``, asked for by ``/discussion resync``.
        self.catch_ups = CatchUpRuns(
            CatchUp(store, DiscordHistory(self), window=config.catchup_window,
                    owns=config.shards.owns),
            self.log_channels, prompt_threads=lambda: self.prompt_threads, clock=utcnow)

    def now(self) -> datetime:
        """The time by ``clock`` (looked up at each call: tests replace ``clock``)."""
        return self.clock()

    def add_inline_listener(self, event: str, handler: Callable[..., None]) -> None:
        """Call ``handler`` synchronously as the event is dispatched, before any task runs.

        discord.py runs ordinary listeners as tasks, later, and by then a cached
        message may already have been changed by the next event (an edit right after
        a create). Inline handlers see the event as it was, cost no task, and must be
        quick and never block: the capture cog only turns events into store records.
        """
        self._inline_listeners.setdefault(event, []).append(handler)

    def remove_inline_listener(self, event: str, handler: Callable[..., None]) -> None:
        handlers = self._inline_listeners.get(event, [])
        if handler in handlers:
            handlers.remove(handler)

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        inline = self._inline_listeners.get(event_name)
        if inline:
            for handler in inline:
                try:
                    handler(*args, **kwargs)
                except Exception:
                    log.exception("inline listener %s failed for %s", handler, event_name)
            if (not self.extra_events.get("on_" + event_name)
                    and not self._listeners.get(event_name)
                    and (event_name == "message" or not hasattr(self, "on_" + event_name))):
                # Nothing else listens: skip discord.py's own dispatch. For messages that
                # also skips commands.Bot.on_message, which would look for a text-command
                # prefix in every message in a task of its own; filmclub has none.
                return
        if self.is_closed():
            # Stopping: no listener task may start now. discord.py's own wait for the
            # servers (guild_ready_timeout) may still end and dispatch "ready" after close
            # took its event loop away, which raised where nobody could catch it.
            log.debug("closing: %s not dispatched", event_name)
            return
        super().dispatch(event_name, *args, **kwargs)

    async def setup_hook(self) -> None:
        self.prompt_threads = await self.store.prompt_thread_ids()
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        await self.sync_commands()

    async def sync_commands(self) -> None:
        """Dev guild: sync there on every start. Otherwise globally, only when changed.

        With shards in several processes, only the one running shard 0 syncs (issue 15)."""
        if not self.config.shards.holds_first:
            log.info("application commands are synced by the process running shard 0")
            return
        if self.config.dev_guild_id:
            guild = discord.Object(self.config.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to dev guild %d", len(synced), guild.id)
            return
        payload = [command.to_dict(self.tree) for command in self.tree.get_commands()]
        digest = hashlib.sha256(
            json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()
        if await self.store.get_meta(COMMANDS_HASH_KEY) == digest:
            log.info("application commands unchanged since the last sync; not syncing")
            return
        synced = await self.tree.sync()
        await self.store.set_meta(COMMANDS_HASH_KEY, digest)
        log.info("synced %d global commands", len(synced))

    async def close(self) -> None:
        await super().close()
        if self.metrics_server is not None:
            await self.metrics_server.stop()
        if self.film_lookup is not None:
            await self.film_lookup.close()

    async def on_ready(self) -> None:
        sharding = f", {self.config.shards.describe()}" if self.config.shards.sharded else ""
        log.info("connected as %s (%s) to %d servers%s", self.user,
                 getattr(self.user, "id", "?"), len(self.guilds), sharding)




class ShardedFilmClub(FilmClub, commands.AutoShardedBot):
    """The bot on several gateway sessions: the shards ``config.shards`` names (issue 15).

    discord.py's AutoShardedBot opens one session per shard id, each given only the
    servers of its shard; the work done once per server follows ``config.shards.owns``.
    """

    def __init__(self, config: Config, store: Store, library: ArticleLibrary,
                 **options: Any) -> None:
        shards = config.shards
        super().__init__(config, store, library, shard_count=shards.count,
                         shard_ids=list(shards.ids) if shards.ids is not None else None,
                         **options)


def make_bot(config: Config, store: Store, library: ArticleLibrary, **options: Any) -> FilmClub:
    """The bot for ``config``: sharded when the settings name shards, else one connection
    (a plain Bot: it never asks ``GET /gateway/bot``, as before)."""
    kind = ShardedFilmClub if config.shards.sharded else FilmClub
    return kind(config, store, library, **options)


class LogOnly:
    """Notices for a bot without log channels wired in: the log gets them."""

    def __init__(self, bot: FilmClub) -> None:
        self.bot = bot

    async def announce(self, entry: AuditEntry) -> None:
        log.info("audit: guild %d user %d %s %r (thread %s, reason %r)", entry.guild_id,
                 entry.actor_id, entry.action, entry.target, entry.thread_id, entry.reason)

    async def tell_moderators(self, guild_id: int, text: str) -> None:
        log.warning("server %d: %s", guild_id, text)

    async def tell_every_server(self, text: str) -> None:
        log.warning("telling the log channels: %s", text)
