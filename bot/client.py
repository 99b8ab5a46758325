"""The wiring: the Bot class, its start-up and shutdown. The only core module importing discord.

``run`` is what ``filmclub run`` calls; ``serve`` is the same start-up path as a
coroutine, which the end-to-end tests drive against the loopback emulator.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import signal
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import discord
import yarl
from discord import app_commands
from discord.ext import commands

from bot.articles import ArticleLibrary
from bot.catchup import CatchUp, CatchUpReport
from bot.config import Config
from bot.errors import FilmclubError
from bot.limits import Cooldowns
from bot.models import utcnow
from bot.netguard import FetchPolicy
from bot.store import SQLiteStore, Store
from bot.store.lock import BotLock

log = logging.getLogger(__name__)

EXTENSIONS = ("cogs.prompts", "cogs.feeds", "cogs.capture", "cogs.export", "cogs.catchup",
              "cogs.discussion", "cogs.comments", "cogs.settings", "cogs.members",
              "cogs.watchlist", "cogs.ratings", "cogs.polls")
COMMANDS_HASH_KEY = "app_commands_hash"


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
        if message is None:
            command = interaction.command.qualified_name if interaction.command else "?"
            log.error(
                "command /%s failed (user %s, guild %s, options %s)",
                command, interaction.user.id, interaction.guild_id,
                json.dumps((interaction.data or {}).get("options", []), ensure_ascii=False),
                exc_info=error,
            )
            message = "Something went wrong on our side; the moderators can find it in the log."
        await reply_ephemeral(interaction, message)


def expected_error_message(error: app_commands.AppCommandError) -> str | None:
    """The one-line answer for an expected error, or None when it is a bug."""
    if isinstance(error, app_commands.MissingPermissions):
        names = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        role = getattr(error, "role_name", None)  # cogs.checks.NotModerator: a moderator role
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


async def reply_ephemeral(interaction: discord.Interaction[Any], message: str) -> None:
    """Answer with a private one-liner, whether or not the interaction was answered already."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not tell user %s: %s", interaction.user.id, message)


class FilmClub(commands.Bot):
    """The bot: owns the store and the article library; cogs do the Discord work."""

    def __init__(self, config: Config, store: Store, library: ArticleLibrary,
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
        #: Threads whose messages are comments; checked on every gateway event.
        self.prompt_threads: set[int] = set()
        #: Uses of expensive commands per member (cogs.checks.limited), by ``clock``.
        self.cooldowns = Cooldowns()
        self._inline_listeners: dict[str, list[Callable[..., None]]] = {}

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
        super().dispatch(event_name, *args, **kwargs)

    async def setup_hook(self) -> None:
        self.prompt_threads = await self.store.prompt_thread_ids()
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        await self.sync_commands()

    async def sync_commands(self) -> None:
        """Dev guild: sync there on every start. Otherwise globally, only when changed."""
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

    async def on_ready(self) -> None:
        log.info("connected as %s (%s) to %d servers", self.user, getattr(self.user, "id", "?"),
                 len(self.guilds))


#: How long a thread may hold Python's lock while another waits for it (CPython's
#: default is 5 ms). The event loop parses the gateway; the store's writer thread
#: needs the lock only between calls into SQLite. With 10 ms, the writer mostly
#: takes it when the loop lets go of it by itself (waiting on the socket) instead
#: of forcing the loop to stop mid-parse: in two A/B runs of the ingest benchmark
#: (12 and 16 rounds) the bot stored bursts at 0.76 and 0.69 of discord.py's rate
#: with 10 ms, against 0.65 and 0.63 with 5 ms. 1 and 2 ms were worse.
SWITCH_INTERVAL = 0.01


@contextlib.contextmanager
def switch_interval(seconds: float) -> Iterator[None]:
    """Set the interpreter's thread switch interval for the bot's run, then put it back."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(seconds)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


async def serve(
    config: Config,
    *,
    stop: asyncio.Event | None = None,
    on_start: Callable[[FilmClub], None] | None = None,
) -> int:
    """Run the bot until ``stop`` is set or the connection ends; flush the store on the way out."""
    token = config.require_token()
    point_at(config)
    stop = stop or asyncio.Event()
    library = ArticleLibrary(config.articles_dir)
    with switch_interval(SWITCH_INTERVAL):
        return await _serve(config, token, stop, library, on_start)


async def _serve(config: Config, token: str, stop: asyncio.Event, library: ArticleLibrary,
                 on_start: Callable[[FilmClub], None] | None) -> int:
    """serve() inside its switch interval: lock the database, open the store, run, flush.

    A second bot on the same database stops at the lock, in one line (bot/store/lock.py).
    """
    async with BotLock(config.db_path), SQLiteStore(config.db_path) as store:
        bot = FilmClub(config, store, library)
        if on_start is not None:
            on_start(bot)
        async with bot:
            runner = asyncio.create_task(bot.start(token), name="filmclub-bot")
            stopper = asyncio.create_task(stop.wait(), name="filmclub-stop")
            await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if not runner.done():
                log.info("stopping: closing the gateway and flushing the store")
                await bot.close()
            try:
                await runner
            except discord.LoginFailure as exc:
                raise FilmclubError(f"Discord refused the token in DISCORD_TOKEN ({exc})") from exc
        await store.flush()
    log.info("stopped cleanly")
    return 0


def run(config: Config) -> int:
    """``filmclub run``: serve until SIGTERM or Ctrl-C, then exit 0 with everything written."""

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signum, stop.set)
        return await serve(config, stop=stop)

    return asyncio.run(main())


# -- catch-up (issue 6): `filmclub catch-up`, through Discord's HTTP API only ------------


async def catch_up(config: Config, thread_ids: list[int] | None = None) -> CatchUpReport:
    """Catch up prompt threads (all in reach, or ``thread_ids``) without a gateway session.

    Safe while the bot runs: both write through SQLite's locking, every write is
    idempotent, and Discord's rate limits are kept by discord.py's HTTP client.
    """
    from cogs.catchup import DiscordHistory  # the adapter: loaded only when needed

    token = config.require_token()
    point_at(config)
    async with SQLiteStore(config.db_path, create=False) as store:
        client = discord.Client(intents=discord.Intents.none(),
                                allowed_mentions=discord.AllowedMentions.none())
        async with client:
            try:
                await client.login(token)
            except discord.LoginFailure as exc:
                raise FilmclubError(f"Discord refused the token in DISCORD_TOKEN ({exc})") from exc
            runner = CatchUp(store, DiscordHistory(client), window=config.catchup_window)
            return await runner.run(only=thread_ids)
