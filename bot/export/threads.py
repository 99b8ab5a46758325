"""The formats, and one thread made ready for an exporter: its context and its comments.

Shared by the single-thread export (:func:`bot.export.export_thread`) and the server
archive (:mod:`bot.export.archive`), so both read a thread the same way: the options
that choose comments go to the store's query, anonymising wraps the stream.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from bot.errors import ExportError, NotFound
from bot.export.anonymise import Pseudonyms
from bot.export.base import (
    ExportContext,
    Exporter,
    ExportOptions,
    atomic_text_file,
    safe_filename,
)
from bot.export.csvtable import CsvExporter
from bot.export.htmlpage import HtmlExporter
from bot.export.jsondoc import JsonExporter
from bot.export.markdown import MarkdownExporter
from bot.export.offload import write_off_loop
from bot.export.plaintext import TextExporter
from bot.models import Comment, ExportRecord, Prompt, utcnow
from bot.polls import tally
from bot.store.base import Store

log = logging.getLogger(__name__)

FORMATS: dict[str, type[Exporter]] = {
    exporter.name: exporter
    for exporter in (MarkdownExporter, JsonExporter, HtmlExporter, CsvExporter, TextExporter)
}


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What an export wrote; ``record`` is what to remember of it once it is delivered."""

    path: Path
    comments: int
    size: int
    threads: int = 1
    record: ExportRecord | None = None
    previous: ExportRecord | None = None  # the export this one continued from


def get_exporter(name: str) -> Exporter:
    try:
        return FORMATS[name]()
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise ExportError(f"unknown export format {name!r} (known: {known})") from None


def default_filename(title: str, thread_id: int, fmt: str) -> str:
    """``<safe title>-<thread id>.<ext>``: unique per thread, safe on every file system."""
    return f"{safe_filename(title)}-{thread_id}.{get_exporter(fmt).extension}"


async def thread_context(
    store: Store,
    prompt: Prompt,
    *,
    options: ExportOptions,
    exported_at: datetime,
    include_hidden: bool = False,
    thread_name: str | None = None,
    guild_name: str | None = None,
    parent_name: str | None = None,
    timezone: tzinfo = UTC,
    members: Mapping[int, str] | None = None,
    since: datetime | None = None,
    pseudonyms: Pseudonyms | None = None,
) -> ExportContext:
    """What the exporter knows of the thread besides its comments.

    Anonymised, the moderator who posted the prompt is left out and mentions are named
    from ``pseudonyms`` (the names given in ``members`` would give people away).
    """
    if options.anonymise:
        prompt = replace(prompt, posted_by=None)
        members = pseudonyms if pseudonyms is not None else Pseudonyms()
    return ExportContext(
        prompt=prompt,
        counts=await store.thread_counts(prompt.thread_id, include_hidden=include_hidden),
        thread_name=thread_name,
        guild_name=guild_name,
        parent_name=parent_name,
        exported_at=exported_at,
        timezone=timezone,
        options=options,
        members=members if members is not None else {},
        since=since,
        ratings=tuple(await store.prompt_ratings(prompt.thread_id)),
        chosen_by=await chosen_by_poll(store, prompt),
    )


async def chosen_by_poll(store: Store, prompt: Prompt) -> str | None:
    """'the poll “What do we watch next?” (2026-12-07): Vertigo wins with 5 of 9 votes.'
    when a poll queued the prompt's article."""
    poll = await store.poll_behind(prompt.guild_id, prompt.article.slug, prompt.posted_at)
    if poll is None or poll.ended_at is None:
        return None
    result = tally(poll.answers, await store.film_poll_votes(poll.message_id))
    return f"the poll “{poll.question}” ({poll.ended_at.date().isoformat()}): {result.line()}"


def thread_comments(
    store: Store,
    context: ExportContext,
    *,
    include_hidden: bool = False,
    changed_after: int | None = None,
) -> AsyncIterator[Comment]:
    """The thread's comments as the options choose and order them, anonymised if asked.

    Anonymised, ``context.members`` is the :class:`Pseudonyms` that numbers them (see
    :func:`thread_context`), so names in the file and numbers in the text agree.
    """
    options = context.options
    comments = store.iter_comments(
        context.prompt.thread_id, include_hidden=include_hidden, sort=options.sort,
        after=options.after, before=options.before, min_score=options.min_score,
        changed_after=changed_after,
    )
    if options.anonymise:
        if not isinstance(context.members, Pseudonyms):
            raise TypeError("an anonymised export needs its Pseudonyms as context.members")
        comments = context.members.anonymised(comments)
    return comments


async def export_thread(
    store: Store,
    thread_id: int,
    fmt: str,
    out: Path,
    *,
    thread_name: str | None = None,
    guild_name: str | None = None,
    parent_name: str | None = None,
    timezone: tzinfo = UTC,
    options: ExportOptions | None = None,
    members: Mapping[int, str] | None = None,
    exported_at: datetime | None = None,
    include_hidden: bool = False,
    previous: ExportRecord | None = None,
) -> ExportResult:
    """Write one prompt thread to ``out`` (atomically) in format ``fmt``.

    ``members`` names users up front for mentions (authors are learnt as the thread
    streams by); ``exported_at`` defaults to now. Comments moderators hid are left out
    unless ``include_hidden``. With ``previous`` (an earlier export of the same request),
    only the comments changed since it are written.
    """
    exporter = get_exporter(fmt)
    prompt = await store.get_prompt(thread_id)
    if prompt is None:
        raise NotFound(f"thread {thread_id} is not a filmclub prompt thread")
    if out.is_dir():
        raise ExportError(f"{out} is a folder; give a file name")
    options = options or ExportOptions()
    context = await thread_context(
        store, prompt, options=options, exported_at=exported_at or utcnow(),
        include_hidden=include_hidden, thread_name=thread_name, guild_name=guild_name,
        parent_name=parent_name, timezone=timezone, members=members,
        since=previous.exported_at if previous else None,
        pseudonyms=Pseudonyms() if options.anonymise else None)
    comments = thread_comments(store, context, include_hidden=include_hidden,
                               changed_after=previous.mark if previous else None)
    with atomic_text_file(out) as handle:
        count = await write_off_loop(exporter, context, comments, handle)
    size = out.stat().st_size
    log.info("exported thread %d as %s to %s (%d comments, %d bytes)",
             thread_id, fmt, out, count, size)
    return ExportResult(out, count, size)
