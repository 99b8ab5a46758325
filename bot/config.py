"""Every setting, read once from the environment (after python-dotenv loads `.env`).

Problems are collected and reported together, one line each, so a new user fixes
their `.env` in one go instead of one crash at a time.
"""

from __future__ import annotations

import importlib.util
import io
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

from dotenv import dotenv_values
from dotenv.parser import parse_stream

from bot.shards import EVERYWHERE, MAX_SHARDS, Shards, check_ids, parse_ids

log = logging.getLogger(__name__)

DISCORD_API_BASE = "https://discord.com/api/v10"
DISCORD_GATEWAY_URL = "wss://gateway.discord.gg/"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
#: Minutes between polls of a feed: what FILMCLUB_FEED_INTERVAL and `feeds add --every` allow.
FEED_INTERVAL_RANGE = (1, 10080)


def is_postgres_url(target: object) -> bool:
    """Whether FILMCLUB_DB's or --db's value names a PostgreSQL database (issue 15):
    ``postgresql://...`` or ``postgres://...``; anything else is a SQLite file."""
    return isinstance(target, str) and "://" in target \
        and target.split("://", 1)[0] in ("postgresql", "postgres")


def postgres_available() -> bool:
    """Whether the PostgreSQL driver (the ``postgres`` extra, asyncpg) is installed."""
    return importlib.util.find_spec("asyncpg") is not None


class ConfigError(Exception):
    """The configuration cannot be used; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True, slots=True)
class Config:
    token: str | None
    db_path: Path
    articles_dir: Path
    api_base: str
    gateway_url: str
    dev_guild_id: int | None
    log_level: str
    guild_ready_timeout: float = 2.0
    feed_interval: int = 60  # minutes between polls of a feed (issue 3)
    fetch_timeout: float = 20.0  # seconds a page or feed download may take (issue 3)
    catchup_days: int = 7  # days back catch-up compares messages and looks at threads (issue 6)
    discord_timeout: float = 30.0  # seconds before posting a prompt is retried (issue 6)
    #: Hosts of the owner's own network the fetcher may reach, ``host`` or ``host:port``
    #: (issue 13); public addresses need no entry, loopback is never fetched.
    fetch_allow_hosts: tuple[str, ...] = ()
    fetch_ports: tuple[int, ...] = ()  # ports fetched from besides 80 and 443 (issue 13)
    #: Where exports are written before they are sent; None: the system's temporary folder.
    export_tmp_dir: Path | None = None
    connect_attempts: int = 8  # tries to reach Discord at start before giving up (issue 14)
    #: Issue 15: the port of the Prometheus and health endpoint (None: none), and the
    #: address it listens on (this machine only unless FILMCLUB_METRICS_HOST widens it).
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    #: Issue 18: TMDB's API read-access token (films are looked up on Wikidata without it),
    #: and whether films are looked up at all (FILMCLUB_FILM_LOOKUP=off: never).
    tmdb_token: str | None = None
    film_lookup: bool = True
    #: Issue 15: the shards this process runs (FILMCLUB_SHARD_COUNT, FILMCLUB_SHARD_IDS);
    #: the default is one process with one connection, not sharded.
    shards: Shards = EVERYWHERE
    #: Issue 15: FILMCLUB_DB as a PostgreSQL URL (``postgresql://...``); None: SQLite at db_path.
    db_url: str | None = None

    @property
    def database(self) -> Path | str:
        """Where the store is: the PostgreSQL URL, else the SQLite file (bot.store.factory)."""
        return self.db_url if self.db_url is not None else self.db_path

    def with_database(self, target: Path | str) -> Config:
        """This configuration on another database (``--db``)."""
        if isinstance(target, str):
            return replace(self, db_url=target)
        return replace(self, db_path=target, db_url=None)

    @property
    def catchup_window(self) -> timedelta:
        return timedelta(days=self.catchup_days)

    def require_token(self) -> str:
        """The bot token, or a ConfigError naming DISCORD_TOKEN."""
        if not self.token:
            raise ConfigError(
                ["DISCORD_TOKEN is not set: copy .env.example to .env and put your bot token there"]
            )
        return self.token


def _url(env: Mapping[str, str], key: str, default: str, schemes: tuple[str, ...],
         problems: list[str]) -> str:
    value = env.get(key, "").strip() or default
    parsed = urlparse(value)
    if parsed.scheme not in schemes or not parsed.netloc:
        problems.append(f"{key} must be a {' or '.join(schemes)} URL, got {value!r}")
    return value.rstrip("/") if key == "DISCORD_API_BASE" else value


def _api_base(env: Mapping[str, str], problems: list[str]) -> str:
    """Discord's REST base: DISCORD_API_BASE, or FILMCLUB_REST_PROXY's (issue 15).

    A rate-limit proxy (nirn-proxy, twilight's http-proxy) answers Discord's paths, so a
    proxy given as a bare address gets ``/api/v10`` added; both settings at once would
    leave it unclear where requests go, so that is a problem line.
    """
    proxy = env.get("FILMCLUB_REST_PROXY", "").strip()
    if not proxy:
        return _url(env, "DISCORD_API_BASE", DISCORD_API_BASE, ("http", "https"), problems)
    if env.get("DISCORD_API_BASE", "").strip():
        problems.append("set FILMCLUB_REST_PROXY or DISCORD_API_BASE, not both "
                        "(both say where Discord's REST API is reached)")
    parsed = urlparse(proxy)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        problems.append(f"FILMCLUB_REST_PROXY must be an http or https URL, got {proxy!r}")
        return DISCORD_API_BASE
    base = proxy.rstrip("/")
    return base if parsed.path.strip("/") else base + "/api/v10"


def _metrics(env: Mapping[str, str], problems: list[str]) -> tuple[int | None, str]:
    """FILMCLUB_METRICS_PORT and FILMCLUB_METRICS_HOST (issue 15)."""
    from bot.netguard import ip_literal

    raw = env.get("FILMCLUB_METRICS_PORT", "").strip()
    port: int | None = None
    if raw:
        if raw.isdigit() and 0 < int(raw) < 65536:
            port = int(raw)
        else:
            problems.append(f"FILMCLUB_METRICS_PORT must be a port number (1 to 65535), "
                            f"got {raw!r}")
    host = env.get("FILMCLUB_METRICS_HOST", "").strip() or "127.0.0.1"
    if ip_literal(host) is None and (
            not host.replace("-", "").replace(".", "").isalnum() or host.startswith("-")):
        problems.append(f"FILMCLUB_METRICS_HOST must be an IP address or a host name, "
                        f"got {host!r}")
    return port, host


def _number(env: Mapping[str, str], key: str, default: float, low: float, high: float,
            problems: list[str]) -> float:
    """A number setting within ``low``..``high``; a problem line when it is not one."""
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:
        problems.append(f"{key} must be a number from {low:g} to {high:g}, got {raw!r}")
        return default
    return value


def _allow_hosts(env: Mapping[str, str], problems: list[str]) -> tuple[str, ...]:
    """FILMCLUB_FETCH_ALLOW_HOSTS: ``host`` or ``host:port`` entries, commas or spaces between."""
    from bot.netguard import LOOPBACK, address_kind, ip_literal, split_host_port

    raw = env.get("FILMCLUB_FETCH_ALLOW_HOSTS", "")
    entries: list[str] = []
    for entry in raw.replace(",", " ").split():
        try:
            host, _port = split_host_port(entry)
        except ValueError as exc:
            problems.append(f"FILMCLUB_FETCH_ALLOW_HOSTS: {exc}")
            continue
        literal = ip_literal(host)
        if host == "localhost" or host.endswith(".localhost") or (
                literal is not None and (address_kind(literal) or "").startswith(LOOPBACK)):
            problems.append(f"FILMCLUB_FETCH_ALLOW_HOSTS: {entry} is this machine (loopback), "
                            "which the bot never fetches from; name the host by its network "
                            "address instead")
            continue
        entries.append(entry)
    return tuple(entries)


def _ports(env: Mapping[str, str], problems: list[str]) -> tuple[int, ...]:
    raw = env.get("FILMCLUB_FETCH_PORTS", "")
    ports: list[int] = []
    for item in raw.replace(",", " ").split():
        if item.isdigit() and 0 < int(item) < 65536:
            ports.append(int(item))
        else:
            problems.append(f"FILMCLUB_FETCH_PORTS must be port numbers (1 to 65535), got {item!r}")
    return tuple(ports)


def _shards(env: Mapping[str, str], problems: list[str]) -> Shards:
    """FILMCLUB_SHARD_COUNT and FILMCLUB_SHARD_IDS (``0-3``, ``4,5``); neither: not sharded."""
    raw_count = env.get("FILMCLUB_SHARD_COUNT", "").strip()
    raw_ids = env.get("FILMCLUB_SHARD_IDS", "").strip()
    if not raw_count:
        if raw_ids:
            problems.append(f"FILMCLUB_SHARD_IDS={raw_ids} needs FILMCLUB_SHARD_COUNT too "
                            "(how many shards the bot runs in all)")
        return EVERYWHERE
    if not raw_count.isdigit() or not 1 <= int(raw_count) <= MAX_SHARDS:
        problems.append(f"FILMCLUB_SHARD_COUNT must be a number of shards from 1 to "
                        f"{MAX_SHARDS}, got {raw_count!r}")
        return EVERYWHERE
    count = int(raw_count)
    if not raw_ids:
        return Shards(count)  # this process runs them all
    try:
        ids = parse_ids(raw_ids)
    except ValueError as exc:
        problems.append(f"FILMCLUB_SHARD_IDS: {exc}")
        return EVERYWHERE
    wrong = check_ids(ids, count)
    if wrong:
        problems.append(f"FILMCLUB_SHARD_IDS={raw_ids}: {'; '.join(wrong)}")
        return EVERYWHERE
    return Shards(count, ids)


def from_env(env: Mapping[str, str] | None = None, *, discord: bool = True) -> Config:
    """Build the configuration from ``env`` (default: the process environment).

    ``discord=False`` is for commands that never talk to Discord (articles, feeds,
    export, db...): a missing or malformed token, or a bad Discord address, is no
    reason to refuse them, so those settings' problems are not reported.
    """
    env = os.environ if env is None else env
    problems: list[str] = []
    discord_problems: list[str] = []  # settings only `run` and `catch-up` use

    token = env.get("DISCORD_TOKEN", "").strip() or None
    if token is not None and (any(ch.isspace() for ch in token) or len(token) < 10):
        discord_problems.append(
            "DISCORD_TOKEN does not look like a bot token (too short or has spaces)")

    dev_guild: int | None = None
    raw_guild = env.get("FILMCLUB_DEV_GUILD_ID", "").strip()
    if raw_guild:
        if raw_guild.isdigit() and int(raw_guild) > 0:
            dev_guild = int(raw_guild)
        else:
            discord_problems.append(
                f"FILMCLUB_DEV_GUILD_ID must be a server id, got {raw_guild!r}")

    level = env.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if level not in LOG_LEVELS:
        problems.append(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {level!r}")

    ready_timeout = 2.0
    raw_timeout = env.get("FILMCLUB_GUILD_READY_TIMEOUT", "").strip()
    if raw_timeout:
        try:
            ready_timeout = float(raw_timeout)
            if not 0 <= ready_timeout <= 60:
                raise ValueError(raw_timeout)
        except ValueError:
            discord_problems.append(
                f"FILMCLUB_GUILD_READY_TIMEOUT must be 0 to 60 seconds, got {raw_timeout!r}"
            )

    tmdb_token = env.get("FILMCLUB_TMDB_TOKEN", "").strip() or None
    if tmdb_token is not None and any(ch.isspace() for ch in tmdb_token):
        problems.append("FILMCLUB_TMDB_TOKEN must be TMDB's API read-access token (no spaces)")
    raw_lookup = env.get("FILMCLUB_FILM_LOOKUP", "on").strip().lower() or "on"
    if raw_lookup not in ("on", "off"):
        problems.append(f"FILMCLUB_FILM_LOOKUP must be on or off, got {raw_lookup!r}")

    metrics_port, metrics_host = _metrics(env, discord_problems)
    db_text = env.get("FILMCLUB_DB", "").strip()
    db_url = db_text if is_postgres_url(db_text) else None
    if db_url is not None and not postgres_available():
        problems.append("FILMCLUB_DB is a PostgreSQL URL and the PostgreSQL driver is not "
                        "installed: pip install -e '.[postgres]'")

    config = Config(
        token=token,
        db_path=Path("data/filmclub.db" if db_url is not None else db_text or "data/filmclub.db"),
        db_url=db_url,
        articles_dir=Path(env.get("FILMCLUB_ARTICLES", "").strip() or "data/articles"),
        api_base=_api_base(env, discord_problems),
        gateway_url=_url(env, "DISCORD_GATEWAY_URL", DISCORD_GATEWAY_URL, ("ws", "wss"),
                         discord_problems),
        dev_guild_id=dev_guild,
        log_level=level,
        guild_ready_timeout=ready_timeout,
        catchup_days=int(_number(env, "FILMCLUB_CATCHUP_DAYS", 7, 0, 365, problems)),
        discord_timeout=_number(env, "FILMCLUB_DISCORD_TIMEOUT", 30.0, 0.1, 300,
                                discord_problems),
        connect_attempts=int(_number(env, "FILMCLUB_CONNECT_ATTEMPTS", 8, 1, 100,
                                     discord_problems)),
        feed_interval=int(_number(env, "FILMCLUB_FEED_INTERVAL", 60, *FEED_INTERVAL_RANGE,
                                  problems)),
        fetch_timeout=_number(env, "FILMCLUB_FETCH_TIMEOUT", 20.0, 1, 300, problems),
        fetch_allow_hosts=_allow_hosts(env, problems),
        fetch_ports=_ports(env, problems),
        metrics_port=metrics_port,
        metrics_host=metrics_host,
        export_tmp_dir=Path(raw_tmp) if (raw_tmp := env.get("FILMCLUB_EXPORT_TMP", "").strip())
        else None,
        tmdb_token=tmdb_token,
        film_lookup=raw_lookup != "off",
        shards=_shards(env, discord_problems),
    )
    if discord:
        problems = discord_problems + problems
    if problems:
        raise ConfigError(problems)
    return config


def load_dotenv_file(path: Path = Path(".env")) -> None:
    """Load ``.env`` into the environment (existing variables win).

    A file python-dotenv cannot parse is a ConfigError naming the line, rather than
    the silent skip python-dotenv does by default.
    """
    if not path.exists():
        return
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problem = f"{path}: cannot be read as UTF-8 text ({exc.__class__.__name__})"
        raise ConfigError([problem]) from exc
    bad = [b.original.line for b in parse_stream(io.StringIO(text)) if b.error]
    if bad:
        raise ConfigError([f"{path}: line {n} is not KEY=value" for n in bad])
    for key, value in dotenv_values(stream=io.StringIO(text)).items():
        if value is not None:
            os.environ.setdefault(key, value)
