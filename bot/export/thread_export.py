"""One thread exported: made ready for an exporter (its context and its comments), written.

:func:`export_thread` writes one prompt thread to a file; :func:`thread_context` and
:func:`thread_comments` are shared with the server archive (:mod:`bot.export.archive`),
so both read a thread the same way: the options that choose comments go to the store's
query, anonymising wraps the stream. The formats are in :mod:`bot.export.formats`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import cast

from bot.charts.model import ThreadChart, thread_chart
from bot.errors import ExportError, NotFound
from bot.export.anonymise import Pseudonyms
from bot.export.base import (
    CountingStream,
    ExportContext,
    Exporter,
    ExportOptions,
    Output,
    ReplyNote,
    excerpt,
    file_slug,
    open_text_output,
    output_size,
)
from bot.export.formats import get_exporter
from bot.export.offload import write_off_loop
from bot.models import Comment, ExportRecord, Prompt, utcnow
from bot.polls import tally
from bot.records.visibility import EVERY_THREAD
from bot.store.base import Store

log = logging.getLogger(__name__)

@dataclass(frozen=True, slots=True)
class ExportResult:
    """What an export wrote; ``record`` is what to remember of it once it is delivered.

    ``comments`` counts as every file's header does (see ThreadCounts): the comments
    shown. ``entries`` is everything written, placeholders of deleted comments too.
    """

    path: Path
    comments: int
    size: int
    threads: int = 1
    record: ExportRecord | None = None
    previous: ExportRecord | None = None  # the export this one continued from
    entries: int = 0
    deleted: int = 0  # deleted comments among those selected (shown or as placeholders)


def default_filename(title: str, thread_id: int, fmt: str) -> str:
    """``<title as a slug>-<thread id>.<ext>``: unique per thread, and safe in any shell
    and on any file system (``vertigo-and-the-second-fall-1437….md``)."""
    return f"{file_slug(title)}-{thread_id}.{get_exporter(fmt).extension}"


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
    changed_after: int | None = None,
    chart: bool = False,
) -> ExportContext:
    """What the exporter knows of the thread besides its comments.

    The counts are those of exactly the comments the export selects (the same filters
    as :func:`thread_comments`). Anonymised, the moderator who posted the prompt is
    left out and mentions are named from ``pseudonyms`` (the names given in
    ``members`` would give people away).
    """
    if options.anonymise:
        prompt = replace(prompt, posted_by=None)
        members = pseudonyms if pseudonyms is not None else Pseudonyms()
    counts = await store.thread_counts(
        prompt.thread_id, include_hidden=include_hidden,
        include_deleted=options.include_deleted, after=options.after, before=options.before,
        min_score=options.min_score, changed_after=changed_after)
    return ExportContext(
        prompt=prompt,
        counts=counts,
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
        chart=await activity_chart(store, prompt, timezone) if chart else None,
        film=await store.prompt_film(prompt.thread_id),
    )


async def activity_chart(store: Store, prompt: Prompt, zone: tzinfo) -> ThreadChart:
    """Issue 19: the thread's comments and votes over time (those /stats counts), in the
    export's time zone. The caller has judged the thread readable: every thread is let in."""
    hours = await store.activity_hours(thread_id=prompt.thread_id, visible=EVERY_THREAD)
    return thread_chart(prompt.article.title, prompt.posted_at, hours.comments, hours.votes,
                        await store.prompt_ratings(prompt.thread_id), zone,
                        getattr(zone, "key", None) or str(zone))


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
    exporter: Exporter,
    *,
    include_hidden: bool = False,
    changed_after: int | None = None,
) -> AsyncGenerator[Comment, None]:
    """The thread's comments as the options choose and order them, anonymised if asked.

    A reply whose parent the selection left out gets a :class:`ReplyNote` in
    ``context.reply_notes``. Anonymised, ``context.members`` is the :class:`Pseudonyms`
    that numbers the people ``exporter`` shows (see :func:`thread_context`), so names
    in the file and numbers in the text agree.
    """
    options = context.options
    comments = cast(AsyncGenerator[Comment, None], store.iter_comments(
        context.prompt.thread_id, include_hidden=include_hidden, sort=options.sort,
        after=options.after, before=options.before, min_score=options.min_score,
        changed_after=changed_after,
    ))
    pseudonyms = None
    if options.anonymise:
        if not isinstance(context.members, Pseudonyms):
            raise TypeError("an anonymised export needs its Pseudonyms as context.members")
        pseudonyms = context.members
    return _prepared(store, comments, context, exporter, pseudonyms, include_hidden)


async def _prepared(store: Store, comments: AsyncGenerator[Comment, None],
                    context: ExportContext, exporter: Exporter, pseudonyms: Pseudonyms | None,
                    include_hidden: bool) -> AsyncGenerator[Comment, None]:
    options = context.options
    async with contextlib.aclosing(comments):  # an export that fails closes its query now
        async for comment in comments:
            # Reading order puts a reply under its parent; at the top level, a reply's
            # parent is not in the export.
            note = None
            if comment.parent_id is not None and comment.depth == 0:
                note = await reply_note(store, comment.parent_id, options, include_hidden)
            if pseudonyms is not None:
                comment, note = pseudonyms.anonymise(
                    comment, note, include_deleted=options.include_deleted,
                    include_revisions=options.include_revisions,
                    voters=exporter.shows_voters,
                    deleted_authors=exporter.shows_deleted_authors)
            if note is not None:
                context.reply_notes[comment.id] = note
            yield comment


async def reply_note(store: Store, parent_id: int, options: ExportOptions,
                     include_hidden: bool) -> ReplyNote:
    """What a reply answered: its parent's author and first words, when they may be shown."""
    parent = await store.get_comment(parent_id)
    if (parent is None or (parent.deleted and not options.include_deleted)
            or (not include_hidden and await store.get_hidden(parent_id) is not None)):
        return ReplyNote()
    return ReplyNote(parent.author_id, parent.author_name or None,
                     excerpt(parent.content, ReplyNote.LIMIT) or None)


async def export_thread(
    store: Store,
    thread_id: int,
    fmt: str,
    out: Output,
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
    replace: bool = False,
) -> ExportResult:
    """Write one prompt thread to ``out`` (a file, atomically, or a stream) as ``fmt``.

    People and places are named as the store remembers them (:mod:`bot.records.names`), with
    ``guild_name``, ``thread_name``, ``parent_name`` and ``members`` (fresher, from a live
    Discord) laid over that; authors are named as they wrote. ``exported_at`` defaults
    to now. Comments moderators hid
    are left out unless ``include_hidden``. With ``previous`` (an earlier export of the
    same request), only the comments changed since it are written. An existing file at
    ``out`` is replaced only with ``replace`` (and only a regular file).
    """
    exporter = get_exporter(fmt)
    prompt = await store.get_prompt(thread_id)
    if prompt is None:
        raise NotFound(f"thread {thread_id} is not a filmclub prompt thread")
    if isinstance(out, Path) and out.is_dir():
        raise ExportError(f"{out} is a folder; give a file name")
    options = options or ExportOptions()
    changed_after = previous.mark if previous else None
    known = (await store.guild_names(prompt.guild_id)).merged(guild=guild_name,
                                                               members=members)
    context = await thread_context(
        store, prompt, options=options, exported_at=exported_at or utcnow(),
        include_hidden=include_hidden,
        thread_name=thread_name or known.places.get(prompt.thread_id), guild_name=known.guild,
        parent_name=parent_name or known.places.get(prompt.channel_id), timezone=timezone,
        members=known.members, since=previous.exported_at if previous else None,
        pseudonyms=Pseudonyms() if options.anonymise else None, changed_after=changed_after,
        chart=exporter.shows_chart)
    comments = thread_comments(store, context, exporter, include_hidden=include_hidden,
                               changed_after=changed_after)
    target = out if isinstance(out, Path | CountingStream) else CountingStream(out)
    with open_text_output(target, replace=replace) as handle:
        async with contextlib.aclosing(comments):
            count = await write_off_loop(exporter, context, comments, handle)
    size = output_size(target)
    log.info("exported thread %d as %s to %s (%d comments, %d entries, %d bytes)",
             thread_id, fmt, out if isinstance(out, Path) else "a stream",
             context.counts.comments, count, size)
    return ExportResult(out if isinstance(out, Path) else Path("-"), context.counts.comments,
                        size, entries=count, deleted=context.counts.deleted)
