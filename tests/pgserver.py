"""A throw-away PostgreSQL for the tests (issue 15): one cluster per test session.

Where the server comes from, in order:

- ``FILMCLUB_TEST_POSTGRES``: the URL of a server the tests may create databases on;
- else PostgreSQL's own ``initdb`` and ``pg_ctl`` (on ``PATH`` or Debian's
  ``/usr/lib/postgresql/<version>/bin``): a new cluster in a temporary folder, listening
  on a free loopback port only, trusted for local connections, stopped and removed at
  the end of the session. As root, the server runs as an unprivileged user
  (``postgres``, else ``nobody``): PostgreSQL refuses to run as root.
- else the PostgreSQL tests skip with one line that says how to run them, unless
  ``FILMCLUB_REQUIRE_POSTGRES=1`` (CI sets it): then they fail.

Each test gets a database of its own (``fresh_database``), dropped afterwards.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

log = logging.getLogger(__name__)

URL_VARIABLE = "FILMCLUB_TEST_POSTGRES"
REQUIRE_VARIABLE = "FILMCLUB_REQUIRE_POSTGRES"
HOW = (f"PostgreSQL tests skipped: install PostgreSQL's server (Debian: apt install "
       f"postgresql) or set {URL_VARIABLE}=postgresql://user@host:port/db")
_UNPRIVILEGED = ("postgres", "nobody")


@dataclass(frozen=True)
class PostgresServer:
    """A running server: ``url(name)`` is the address of one of its databases."""

    host: str
    port: int
    user: str
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> PostgresServer:
        """The server ``url`` names (its database part is ignored)."""
        parts = urlsplit(url)
        return cls(parts.hostname or "127.0.0.1", parts.port or 5432,
                   parts.username or "postgres", parts.password)

    def url(self, database: str = "postgres") -> str:
        auth = self.user if self.password is None else f"{self.user}:{self.password}"
        return f"postgresql://{auth}@{self.host}:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run ``sql`` with psql (as the server's user) and return what it printed."""
        env = dict(os.environ, PGPASSWORD=self.password or "")
        done = subprocess.run(
            ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", self.url(database),
             "-c", sql],
            capture_output=True, text=True, env=env, timeout=60, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr.strip()}")
        return done.stdout


def binaries() -> Path | None:
    """The folder holding initdb and pg_ctl, or None."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                      key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit()
                      else 0)
    return versions[-1].parent if versions else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_as() -> str | None:
    """The unprivileged user to run the server as when we are root, else None."""
    if os.geteuid() != 0:
        return None
    for name in _UNPRIVILEGED:
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise RuntimeError("running as root and no unprivileged user (postgres, nobody) exists")


class Cluster:
    """initdb, pg_ctl start and stop, in a temporary folder.

    For the tests, durability is off (nothing here must survive a power cut); ``durable``
    keeps PostgreSQL's as it ships (fsync on), with ``synchronous_commit`` as given, for
    the benchmarks.
    """

    def __init__(self, bindir: Path, *, durable: bool = False,
                 synchronous_commit: str = "off") -> None:
        self.bindir = bindir
        self.durable = durable
        self.synchronous_commit = synchronous_commit
        self.user = _run_as()
        self.root = Path(tempfile.mkdtemp(prefix="filmclub-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.root.chmod(0o700)

    def _command(self, *args: str) -> list[str]:
        prefix = [] if self.user is None else ["runuser", "-u", self.user, "--"]
        return [*prefix, *args]

    def start(self) -> PostgresServer:
        subprocess.run(self._command(str(self.bindir / "initdb"), "-D", str(self.data),
                                     "-U", "filmclub", "--auth=trust", "-E", "UTF8",
                                     "--locale=C", *(() if self.durable else ("--no-sync",))),
                       check=True, capture_output=True, timeout=120)
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                   f"-c unix_socket_directories={self.root} -c max_connections=200 "
                   f"-c synchronous_commit={self.synchronous_commit}")
        if not self.durable:
            options += " -c fsync=off -c full_page_writes=off"
        subprocess.run(self._command(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-w",
                                     "-t", "60", "-o", options, "-l", str(self.root / "log"),
                                     "start"),
                       check=True, capture_output=True, timeout=90)
        return PostgresServer("127.0.0.1", self.port, "filmclub")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            subprocess.run(self._command(str(self.bindir / "pg_ctl"), "-D", str(self.data),
                                         "-m", "immediate", "-w", "stop"),
                           capture_output=True, timeout=60, check=False)
        shutil.rmtree(self.root, ignore_errors=True)


class NoPostgres(Exception):
    """No server given and none could be started here (the message says why)."""


@contextlib.contextmanager
def running_server(given: str | None = None, *, durable: bool = False,
                   synchronous_commit: str = "off") -> Iterator[PostgresServer]:
    """The server ``given`` (a URL) or ``FILMCLUB_TEST_POSTGRES`` names, else a throw-away
    cluster for the block's length; ``NoPostgres`` when there is neither."""
    given = given or os.environ.get(URL_VARIABLE)
    if given:
        yield PostgresServer.from_url(given)
        return
    bindir = binaries()
    if bindir is None or shutil.which("psql") is None:
        raise NoPostgres("no initdb/pg_ctl/psql found")
    cluster = Cluster(bindir, durable=durable, synchronous_commit=synchronous_commit)
    try:
        server = cluster.start()
    except (subprocess.SubprocessError, OSError, RuntimeError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        cluster.stop()
        raise NoPostgres(f"the throw-away cluster did not start: {exc} "
                         f"{detail.decode(errors='replace').strip()}") from exc
    try:
        yield server
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for this test session (see the module's docstring)."""
    try:
        with running_server() as server:
            log.info("PostgreSQL for the tests on %s:%d", server.host, server.port)
            yield server
    except NoPostgres as exc:
        if os.environ.get(REQUIRE_VARIABLE) == "1":
            pytest.fail(f"{REQUIRE_VARIABLE}=1 and no PostgreSQL: {exc}", pytrace=False)
        pytest.skip(HOW)


_names = itertools.count()


@contextlib.contextmanager
def fresh_database(server: PostgresServer) -> Iterator[str]:
    """A new, empty database on ``server`` (its URL), dropped when the block ends."""
    name = f"filmclub_t{os.getpid()}_{next(_names)}_{int(time.time() * 1000) % 100000}"
    server.psql(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\'')
    try:
        yield server.url(name)
    finally:
        with contextlib.suppress(RuntimeError):
            server.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of an empty database of its own for one test."""
    with fresh_database(postgres_server) as url:
        yield url
