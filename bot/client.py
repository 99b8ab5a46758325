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

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.ext import commands

from bot.articles import ArticleLibrary
from bot.catchup import CatchUp, CatchUpReport
from bot.config import Config
from bot.errors import FilmclubError, Unreachable
from bot.filmlookup import FilmLookup, make_lookup
from bot.limits import Cooldowns
from bot.models import utcnow
from bot.netguard import FetchPolicy
from bot.store import SQLiteStore, Store
from bot.store.lock import BotLock

log = logging.getLogger(__name__)

EXTENSIONS = ("cogs.prompts", "cogs.feeds", "cogs.capture", "cogs.export", "cogs.catchup",
              "cogs.discussion", "cogs.comments", "cogs.settings", "cogs.members",
              "cogs.watchlist", "cogs.ratings", "cogs.polls", "cogs.names")
COMMANDS_HASH_KEY = "app_commands_hash"


# filmclub has no voice: discord.py's warnings that what voice needs (PyNaCl, davey) is
# missing are no news to anyone running it.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False

#: What an unreachable Discord raises: no route, refused, reset, timed out, or a
#: gateway that closed before it said hello.
NETWORK_ERRORS: tuple[type[BaseException], ...] = (
    OSError, aiohttp.ClientError, asyncio.TimeoutError, discord.GatewayNotFound,
    discord.ConnectionClosed)


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
        #: Looks films up (issue 18); None when FILMCLUB_FILM_LOOKUP=off. Tests give one that
        #: reaches their loopback fake.
        self.film_lookup: FilmLookup | None = make_lookup(config, self.fetch_policy, store)
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

    async def close(self) -> None:
        await super().close()
        if self.film_lookup is not None:
            await self.film_lookup.close()

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


# -- reaching Discord (issue 14): one line when it cannot be reached, retries at start ---


def reason(exc: BaseException) -> str:
    """Why a connection failed, in a few words ('Connection refused', 'timed out')."""
    if isinstance(exc, asyncio.TimeoutError):
        return "timed out"
    if isinstance(exc, aiohttp.ClientConnectorError):
        cause = exc.os_error
        return (cause.strerror or str(cause)) if isinstance(cause, OSError) else str(exc)
    if isinstance(exc, discord.ConnectionClosed):
        return f"closed with code {exc.code}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


async def probe(config: Config, *, wait: float = 10.0) -> None:
    """Check that Discord's API and gateway answer; Unreachable naming the one that does not.

    The API is asked ``GET /gateway`` (no token needed); the gateway is opened and its
    first frame (HELLO) read, then closed before anything is sent: no session starts.
    """
    limit = aiohttp.ClientTimeout(total=wait)
    async with aiohttp.ClientSession(timeout=limit) as session:
        api = f"{config.api_base}/gateway"
        try:
            async with session.get(api) as response:
                await response.read()  # any answer: Discord's API is there
        except NETWORK_ERRORS as exc:
            raise Unreachable(f"cannot reach Discord's API at {config.api_base} "
                              f"({reason(exc)})") from exc
        gateway = str(yarl.URL(config.gateway_url).update_query(v=10, encoding="json"))
        try:
            async with session.ws_connect(gateway, autoclose=True) as ws:
                message = await ws.receive(timeout=wait)
                if message.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    raise ConnectionResetError(f"it sent {message.type.name} instead of HELLO")
        except NETWORK_ERRORS as exc:
            raise Unreachable(f"cannot reach Discord's gateway at {config.gateway_url} "
                              f"({reason(exc)})") from exc


#: Seconds before the first retry; each one waits twice as long, up to MAX_RETRY_DELAY.
FIRST_RETRY_DELAY = 1.0
MAX_RETRY_DELAY = 60.0


async def reach_discord(config: Config, stop: asyncio.Event, *,
                        first_delay: float = FIRST_RETRY_DELAY) -> bool:
    """Probe Discord until it answers, backing off between tries as discord.py does after
    a lost connection; Unreachable after ``config.connect_attempts`` tries. False when
    ``stop`` was set meanwhile."""
    delay = first_delay
    for attempt in range(1, config.connect_attempts + 1):
        try:
            await probe(config)
            return True
        except Unreachable as exc:
            if attempt == config.connect_attempts:
                tries = f" after {attempt} tries" if attempt > 1 else ""
                raise Unreachable(f"{exc}{tries}; is the network (or DISCORD_API_BASE, "
                                  "DISCORD_GATEWAY_URL) right?") from exc.__cause__
            log.warning("%s; trying again in %.0f s (try %d of %d)", exc, delay, attempt,
                        config.connect_attempts)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
        if stop.is_set():
            return False
        delay = min(delay * 2, MAX_RETRY_DELAY)
    return False  # pragma: no cover - connect_attempts is at least 1


class OneLineReconnects(logging.Filter):
    """discord.py logs each reconnect after a lost connection with its traceback; for an
    unreachable Discord that is one line's worth (the reconnecting goes on as it was)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.getMessage().startswith("Attempting a reconnect"):
            exc = record.exc_info[1]
            if exc is not None and isinstance(exc, NETWORK_ERRORS):
                record.msg = f"{record.getMessage()} (the connection failed: {reason(exc)})"
                record.args = ()
                record.exc_info = None
                record.exc_text = None
        return True


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


def check_database(config: Config) -> None:
    """Refuse to start on a damaged database: one line with what `filmclub db check` finds.

    Starting would lose what members write to a file that cannot keep it. SQLite's quick
    check reads every page once; it takes a moment on a large file, at start only.
    """
    from bot.store.maintenance import damage

    if not config.db_path.is_file():
        return
    found = damage(config.db_path)
    if found is not None:
        raise FilmclubError(f"{config.db_path} is damaged; `filmclub db check` says: {found}")


async def _serve(config: Config, token: str, stop: asyncio.Event, library: ArticleLibrary,
                 on_start: Callable[[FilmClub], None] | None) -> int:
    """serve() inside its switch interval: lock and check the database, open the store,
    reach Discord, run, flush.

    A second bot on the same database stops at the lock, in one line (bot/store/lock.py),
    before it reads the file: its check would hold a read transaction on the running
    bot's database for as long as it reads every page.
    """
    reconnects = OneLineReconnects()
    logging.getLogger("discord.client").addFilter(reconnects)
    try:
        async with BotLock(config.db_path):
            await asyncio.to_thread(check_database, config)
            async with SQLiteStore(config.db_path) as store:
                bot = FilmClub(config, store, library)
                if on_start is not None:
                    on_start(bot)
                async with bot:
                    if not await reach_discord(config, stop):
                        log.info("stopped before Discord could be reached")
                        return 0
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
                        raise FilmclubError(
                            f"Discord refused the token in DISCORD_TOKEN ({exc})") from exc
                    except (*NETWORK_ERRORS, AttributeError) as exc:
                        # discord.py retries a lost connection for as long as it runs; it
                        # gives up only on a close it cannot recover from, or on a first
                        # connection that failed (AttributeError: no session to resume yet).
                        if isinstance(exc, AttributeError) and bot.is_ready():
                            raise
                        lost = "lost" if bot.is_ready() else "cannot reach"
                        raise Unreachable(f"{lost} Discord's gateway at {config.gateway_url} "
                                          f"({reason(exc)})") from exc
                await store.flush()
    finally:
        logging.getLogger("discord.client").removeFilter(reconnects)
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
        # No gateway session: the intents only keep discord.py from warning about none.
        client = discord.Client(intents=discord.Intents(guilds=True),
                                allowed_mentions=discord.AllowedMentions.none())
        async with client:
            try:
                await client.login(token)
            except discord.LoginFailure as exc:
                raise FilmclubError(f"Discord refused the token in DISCORD_TOKEN ({exc})") from exc
            except NETWORK_ERRORS as exc:
                raise Unreachable(f"cannot reach Discord's API at {config.api_base} "
                                  f"({reason(exc)})") from exc
            runner = CatchUp(store, DiscordHistory(client), window=config.catchup_window)
            return await runner.run(only=thread_ids)
