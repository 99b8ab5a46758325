"""What to export, as Discord and the CLI ask for it: a scope, a format, the options.

Scopes: one thread (``thread``), or every prompt of a server as an archive (``guild``).
A prompt is posted with exactly one thread, so "a prompt" is that thread: ``--prompt``
takes the prompt's message id or its thread id and exports the thread.

``since_last`` continues from the previous export of the same request: same scope,
format and options (everything in :func:`scope_key`), whoever made it, from Discord or
the command line. "What changed" is every comment written, edited, deleted (or
removed at its author's request), given an attachment, reacted to or re-voted, hidden
or restored since that export read the store. The store tracks it with a change
generation, not with times (``0005_exports.sql`` says why), so a message that catch-up
stores late, with an old time, still counts as changed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Literal

from bot.errors import InvalidValue, NotFound
from bot.export.archive import Progress, export_archive
from bot.export.base import CountingStream, ExportOptions, Output, iso_time, output_size
from bot.export.formats import DEFAULT, get_exporter
from bot.export.thread_export import ExportResult, export_thread
from bot.models import ExportRecord, snowflake_time, utcnow
from bot.records.visibility import Visible
from bot.store.base import COMMENT_ORDERS, Bound, CommentOrder, Store

log = logging.getLogger(__name__)

Scope = Literal["thread", "guild"]

#: Score filters beyond this are a typo, not a wish.
MAX_SCORE = 1_000_000

_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """One export to make: its scope, format and options."""

    scope: Scope
    target_id: int  # the thread, or the guild
    fmt: str = DEFAULT
    options: ExportOptions = field(default_factory=ExportOptions)
    include_hidden: bool = False
    since_last: bool = False

    @property
    def key(self) -> str:
        return scope_key(self.scope, self.target_id, self.fmt, self.options,
                         include_hidden=self.include_hidden)


def scope_key(scope: Scope, target_id: int, fmt: str, options: ExportOptions, *,
              include_hidden: bool = False) -> str:
    """What makes two exports "the same" for ``since_last``: everything but the time.

    ``thread:123|md|sort=oldest|after=|before=|min=|deleted=0|revisions=0|anon=0|hidden=0``
    """
    def bound(value: Bound | None) -> str:
        if value is None:
            return ""
        return iso_time(value) if isinstance(value, datetime) else f"id{value}"

    return "|".join((
        f"{scope}:{target_id}", fmt, f"sort={options.sort}",
        f"after={bound(options.after)}", f"before={bound(options.before)}",
        f"min={'' if options.min_score is None else options.min_score}",
        f"deleted={options.include_deleted:d}", f"revisions={options.include_revisions:d}",
        f"anon={options.anonymise:d}", f"hidden={include_hidden:d}",
    ))


def parse_bound(text: str, zone: tzinfo = UTC, *, name: str = "after") -> Bound:
    """A window bound as a person types it: a date, a date and time, or a message id.

    ``2026-11-01`` is midnight in ``zone`` (the server's time zone on Discord, UTC on the
    command line); ``2026-11-01 20:30`` and ``2026-11-01T20:30+02:00`` work too. Digits
    alone (15 to 20 of them) are a message id.
    """
    text = text.strip()
    if _DIGITS.fullmatch(text):
        if 15 <= len(text) <= 20:
            return int(text)
    else:
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            if value.tzinfo is None:
                value = value.replace(tzinfo=zone)
            return value.astimezone(UTC)
    raise InvalidValue(f"{name}: {text!r} is neither a date (2026-11-01, 2026-11-01 20:30) "
                       "nor a message id")


def _moment(bound: Bound) -> datetime:
    return bound if isinstance(bound, datetime) else snowflake_time(bound)


def build_options(*, sort: str = "oldest", after: str | None = None, before: str | None = None,
                  min_score: int | None = None, include_deleted: bool = False,
                  include_revisions: bool = False, anonymise: bool = False,
                  zone: tzinfo = UTC) -> ExportOptions:
    """Options from what a person typed, checked: one clear line for each mistake."""
    if sort not in COMMENT_ORDERS:
        raise InvalidValue(f"sort: {sort!r} is not one of {', '.join(COMMENT_ORDERS)}")
    order: CommentOrder = sort  # type: ignore[assignment]  # checked just above
    low = None if after is None else parse_bound(after, zone, name="after")
    high = None if before is None else parse_bound(before, zone, name="before")
    if low is not None and high is not None and _moment(low) >= _moment(high):
        raise InvalidValue("after must be earlier than before")
    if min_score is not None and abs(min_score) > MAX_SCORE:
        raise InvalidValue(f"min score: {min_score} is out of range (±{MAX_SCORE:,})")
    return ExportOptions(include_deleted=include_deleted, include_revisions=include_revisions,
                         sort=order, after=low, before=high, min_score=min_score,
                         anonymise=anonymise)


async def resolve_scope(store: Store, *, thread: int | None = None, prompt: int | None = None,
                        guild: int | None = None) -> tuple[Scope, int]:
    """The scope one of ``thread``, ``prompt`` (message or thread id) or ``guild`` names."""
    if thread is not None:
        if await store.get_prompt(thread) is None:
            raise NotFound(f"there is no prompt thread {thread} in the database")
        return "thread", thread
    if prompt is not None:
        found = await store.find_prompt(prompt)
        if found is None:
            raise NotFound(f"no prompt has the message or thread id {prompt}")
        return "thread", found.thread_id
    if guild is not None:
        if not await store.list_prompts(guild):
            raise NotFound(f"server {guild} has no prompts in the database")
        return "guild", guild
    raise InvalidValue("choose what to export: a thread, a prompt or a server")


async def run_export(
    store: Store,
    request: ExportRequest,
    out: Output,
    *,
    visible: Visible,
    exported_by: int | None = None,
    timezone: tzinfo = UTC,
    guild_name: str | None = None,
    channel_names: Mapping[int, str] | None = None,
    members: Mapping[int, str] | None = None,
    progress: Progress | None = None,
    exported_at: datetime | None = None,
    replace: bool = False,
) -> ExportResult:
    """Make the export ``request`` asks for, at ``out`` (a file, or a stream; a zip for a
    server). An existing file at ``out`` is replaced only with ``replace``.

    ``visible`` is the threads whoever asked may see (the command line: every one): a
    thread outside it is not found, and a server's archive leaves those out.

    People and places are named from what the store remembers (:mod:`bot.records.names`), with
    ``guild_name``, ``channel_names`` and ``members`` (fresher, from a live Discord) laid
    over it (see export_thread). The result's ``record`` is what to remember of it: pass it to
    ``store.record_export`` once the file has reached whoever asked (so an export that
    was never delivered does not move ``since_last`` on).
    """
    get_exporter(request.fmt)  # an unknown format fails before anything is read
    # The previous export is this person's own (the command line's for the CLI): what
    # someone else exported does not move their `since_last` on.
    previous = (await store.last_export(request.key, exported_by=exported_by)
                if request.since_last else None)
    prompt = None
    if request.scope == "thread":
        prompt = await store.get_prompt(request.target_id)
        if prompt is None or not visible.allows(request.target_id):
            raise NotFound(f"there is no prompt thread {request.target_id} in the database")
    mark = await store.export_mark()
    exported_at = exported_at or utcnow()
    names = channel_names or {}
    since = previous.exported_at if previous else None
    target = out if isinstance(out, Path) else CountingStream(out)
    if prompt is not None:
        result = await export_thread(
            store, request.target_id, request.fmt, target,
            thread_name=names.get(prompt.thread_id), guild_name=guild_name,
            parent_name=names.get(prompt.channel_id), timezone=timezone,
            options=request.options, members=members, exported_at=exported_at,
            include_hidden=request.include_hidden, previous=previous, replace=replace)
        threads, comments, entries, size = 1, result.comments, result.entries, result.size
        deleted = result.deleted
    else:
        deleted = 0
        threads, comments, entries = await export_archive(
            store, request.target_id, request.fmt, target, options=request.options,
            exported_at=exported_at, include_hidden=request.include_hidden, visible=visible,
            guild_name=guild_name, channel_names=names, timezone=timezone,
            members=members, changed_after=previous.mark if previous else None,
            since=since, progress=progress, replace=replace)
        size = output_size(target)
    record = ExportRecord(
        scope_key=request.key, scope=request.scope, target_id=request.target_id,
        format=request.fmt, mark=mark, exported_at=exported_at, comments=comments,
        since_mark=previous.mark if previous else None, exported_by=exported_by)
    return ExportResult(out if isinstance(out, Path) else Path("-"), comments, size,
                        threads=threads, record=record, previous=previous, entries=entries,
                        deleted=deleted)
