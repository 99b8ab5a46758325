"""Starting and stopping the bot: ``filmclub run``, ``filmclub catch-up`` and the tests.

``run`` is what ``filmclub run`` calls; ``serve`` is the same start-up path as a
coroutine, which the end-to-end tests and ``filmclub demo`` drive against the
loopback emulator. ``catch_up`` reads Discord's history through its HTTP API only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable, Iterator

import aiohttp
import discord
import yarl

from bot.articles import ArticleLibrary
from bot.catchup import CatchUp, CatchUpReport
from bot.config import Config
from bot.errors import FilmclubError, Unreachable
from bot.store import make_store
from bot.store.factory import process_lock
from cogs.support.auditlog import LogChannels
from cogs.support.client import FilmClub, make_bot, point_at
from cogs.support.history import DiscordHistory
from cogs.support.metrics import serve_metrics

log = logging.getLogger(__name__)

#: What an unreachable Discord raises: no route, refused, reset, timed out, or a
#: gateway that closed before it said hello.
NETWORK_ERRORS: tuple[type[BaseException], ...] = (
    OSError, aiohttp.ClientError, asyncio.TimeoutError, discord.GatewayNotFound,
    discord.ConnectionClosed)



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

    if config.db_url is not None:  # PostgreSQL checks its own pages; `db check` reads the rest
        return
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
        async with process_lock(config.database):
            await asyncio.to_thread(check_database, config)
            async with make_store(config.database) as store:
                # One process per shard on a shared database (issue 15): the store's lock of
                # each shard this process runs; a process without shards runs them all, as
                # shard 0. (SQLite: the file lock above.)
                for shard in config.shards.running:
                    await store.hold_shard_lock(shard)
                if config.db_url is None and len(config.shards.running) < (
                        config.shards.count or 1):
                    log.warning("this process runs %s on a SQLite file, which no other "
                                "process can share: the servers of the other shards have no "
                                "bot until it runs them too; several shard processes need "
                                "FILMCLUB_DB=postgresql://…", config.shards.describe())
                bot = make_bot(config, store, library, log_channels=LogChannels)
                if on_start is not None:
                    on_start(bot)
                async with bot:
                    # Issue 15: /metrics and /healthz (503 until connected), stopped as the
                    # bot closes. Inside `async with`: whoever waits for the bot to be
                    # ready (on_start's caller) may do so from here on.
                    await serve_metrics(config, bot)
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
    token = config.require_token()
    point_at(config)
    async with make_store(config.database, create=False) as store:
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
