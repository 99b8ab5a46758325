"""``filmclub db check`` and ``db backup`` on PostgreSQL (issue 15).

The check connects, reads filmclub's mark and schema version from ``meta``, looks for
the tables, triggers and indexes the schema makes (a missing or invalid one is a
problem), and counts prompts and comments; it only reads. The backup runs PostgreSQL's
own ``pg_dump`` (custom format, one consistent snapshot while the bot runs, restored
with ``pg_restore``) into a temporary file beside the destination, then links it into
place; without ``pg_dump`` it says so in one line.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from bot.errors import StoreError
from bot.files import DestinationError, put_in_place
from bot.store.maintenance import (
    CheckResult,
    clear_stale_temporaries,
    schema_mismatch,
    temp_name,
)
from bot.store.pg_dialect import KEYS
from bot.store.postgres import (
    SCHEMA_VERSION,
    connect,
    describe,
    schema_state,
)

log = logging.getLogger(__name__)

#: The triggers of schema_pg/0001_baseline.sql (export change tracking, /forget, names).
TRIGGERS = frozenset({
    "export_comment_created", "export_comment_changed", "export_attachment_added",
    "export_reaction_added", "export_reaction_changed", "export_comment_hidden",
    "export_comment_restored", "export_prompt_posted", "forgotten_comment_insert",
    "forgotten_comment_update", "forgotten_version", "forgotten_attachment",
    "forgotten_reaction", "member_name_written", "member_name_rewritten",
})


async def _check(url: str) -> CheckResult:
    where = describe(url)
    conn = await connect(url)
    try:
        version, tables = await schema_state(conn)
        problems: list[str] = []
        if version is None:
            problems.append(f"{where} is not a filmclub database"
                            + (f" ({tables} tables of something else)" if tables else
                               " (it is empty)"))
            return CheckResult(where, 0, False, problems)
        if (mismatch := schema_mismatch(version, SCHEMA_VERSION)) is not None:
            problems.append(mismatch)
        present = {row[0] for row in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}
        problems += [f"integrity: table {name} is missing" for name in sorted(KEYS)
                     if name not in present]
        triggers = {row[0] for row in await conn.fetch(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled != 'D'")}
        problems += [f"integrity: trigger {name} is missing or disabled"
                     for name in sorted(TRIGGERS - triggers)]
        problems += [f"integrity: index {row[0]} is invalid" for row in await conn.fetch(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = current_schema() AND NOT (i.indisvalid AND i.indisready)")]
        prompts = comments = 0
        if {"prompts", "comments"} <= present:
            prompts = await conn.fetchval("SELECT count(*) FROM prompts")
            comments = await conn.fetchval("SELECT count(*) FROM comments WHERE seen = 1")
        return CheckResult(where, version, True, problems, prompts, comments)
    except asyncpg.PostgresError as exc:
        raise StoreError(f"{where}: {' '.join(str(exc).split())}") from exc
    finally:
        await conn.close()


def check(url: str) -> CheckResult:
    """Mark, schema version, tables, triggers and indexes of the database at ``url``."""
    return asyncio.run(_check(url))


def pg_dump_program() -> str | None:
    """``pg_dump`` on PATH, else the newest of Debian's ``/usr/lib/postgresql/*/bin``."""
    found = shutil.which("pg_dump")
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"),
                        key=lambda p: int(p.parent.parent.name)
                        if p.parent.parent.name.isdigit() else 0)
    return str(candidates[-1]) if candidates else None


def _without_password(url: str) -> tuple[str, dict[str, str]]:
    """``url`` without its password, and the environment that passes it to pg_dump."""
    parts = urlsplit(url)
    env = dict(os.environ)
    if parts.password is None:
        return url, env
    env["PGPASSWORD"] = parts.password
    netloc = parts.netloc.replace(f":{parts.password}@", "@", 1)
    return urlunsplit(parts._replace(netloc=netloc)), env


def backup(url: str, destination: Path) -> CheckResult:
    """``pg_dump`` of the database at ``url`` into a new file ``destination`` (custom format).

    Checked first (a database that is not filmclub's is not backed up); an existing
    file is never overwritten; a failed dump leaves nothing behind.
    """
    if destination.exists() or destination.is_symlink():
        raise StoreError(f"{destination} already exists; give the backup a new file name")
    if not destination.parent.is_dir():
        raise StoreError(f"{destination.parent} is not a folder")
    program = pg_dump_program()
    if program is None:
        raise StoreError("pg_dump was not found (install PostgreSQL's client: Debian's "
                         "postgresql-client); back up with your PostgreSQL's own tools")
    result = check(url)
    if not result.filmclub:
        raise StoreError(f"{result.path} is not a filmclub database; not backing it up")
    clear_stale_temporaries(destination)
    temp = temp_name(destination)
    address, env = _without_password(url)
    try:
        done = subprocess.run(  # noqa: S603 - a fixed program, the URL as one argument
            [program, "--format=custom", "--no-owner", f"--file={temp}", f"--dbname={address}"],
            capture_output=True, text=True, env=env, timeout=3600, check=False)
        if done.returncode != 0:
            reason = " ".join(done.stderr.split()) or f"exit status {done.returncode}"
            raise StoreError(f"backup to {destination} failed: pg_dump: {reason}")
        try:
            put_in_place(temp, destination)
        except DestinationError:
            raise StoreError(f"{destination} appeared meanwhile; not overwriting it") from None
    except (OSError, subprocess.SubprocessError) as exc:
        raise StoreError(f"backup to {destination} failed: {exc}") from exc
    finally:
        temp.unlink(missing_ok=True)
    log.info("backed up %s to %s with pg_dump", result.path, destination)
    return CheckResult(destination, result.schema, True, [], result.prompts, result.comments)


__all__ = ["backup", "check", "pg_dump_program"]
