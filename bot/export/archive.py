"""A server's archive: every prompt thread as one file in a zip, with an ``index.html``.

The zip holds one file per thread, in the chosen format and with the chosen options,
named ``<title>-<thread id>.<ext>`` (made safe from the title, the extension the
format's), and ``index.html``: a page listing each thread with the day its prompt was
posted, how many comments the file holds, its latest comment and its top comment (best
score above zero; ties go to the older), linked to the files, and the top comment to its
place in the file when the format has places (:meth:`Exporter.comment_anchor`).
Anonymised, one numbering spans every file.

It streams like the single-thread export: each thread is written into the zip as it
comes from the store, and only a few facts per thread (its index line) are kept, so
memory does not grow with the number of comments. The zip is written to a temporary
name and renamed into place.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import zipfile
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from bot.charts import draw, inline_svg
from bot.charts.model import ArchiveChart, server_chart
from bot.errors import NotFound
from bot.export.anonymise import Pseudonyms
from bot.export.base import (
    Exporter,
    ExportOptions,
    Output,
    describe_selection,
    excerpt,
    file_slug,
    format_score,
    format_time,
    open_output,
)
from bot.export.formats import get_exporter
from bot.export.htmlpage import CONTENT_SECURITY_POLICY
from bot.export.markup_html import text_with_spoilers
from bot.export.offload import in_thread, write_off_loop
from bot.export.thread_export import default_filename, thread_comments, thread_context
from bot.models import Comment, Prompt
from bot.records.visibility import Visible
from bot.store.base import Store

log = logging.getLogger(__name__)

INDEX_NAME = "index.html"
EXCERPT_CHARS = 200

#: Called after each thread: (threads done, threads in all, the title just done).
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True, slots=True)
class TopComment:
    id: int
    author: str
    score: int
    excerpt: str


@dataclass(frozen=True, slots=True)
class ArchiveEntry:
    """One thread's line in the index."""

    thread_id: int
    title: str
    filename: str
    posted_at: datetime
    comments: int  # shown in the file (as its header counts them)
    latest_at: datetime | None
    top: TopComment | None
    spoilers: bool = False  # a spoiler thread (issue 18): its top comment is hidden here


class Highlights:
    """Watches a thread's comments stream by: the latest one and the best scored one."""

    def __init__(self, include_deleted: bool) -> None:
        self.include_deleted = include_deleted
        self.latest_at: datetime | None = None
        self._best: Comment | None = None

    async def watch(self, comments: AsyncGenerator[Comment, None]
                    ) -> AsyncGenerator[Comment, None]:
        async with contextlib.aclosing(comments):
            async for comment in comments:
                self.see(comment)
                yield comment

    def see(self, comment: Comment) -> None:
        if self.latest_at is None or comment.created_at > self.latest_at:
            self.latest_at = comment.created_at
        if comment.score <= 0 or (comment.deleted and not self.include_deleted):
            return
        best = self._best
        if best is None or (comment.score, best.created_at, best.id) > (
                best.score, comment.created_at, comment.id):
            self._best = comment

    @property
    def top(self) -> TopComment | None:
        best = self._best
        if best is None:
            return None
        return TopComment(best.id, best.author_name, best.score,
                          excerpt(best.content, EXCERPT_CHARS))


def default_archive_name(guild_id: int, guild_name: str | None, fmt: str) -> str:
    """``<server name as a slug>-<id>-<format>.zip``, like thread file names."""
    return f"{file_slug(guild_name or 'server', default='server')}-{guild_id}-{fmt}.zip"


async def export_archive(
    store: Store,
    guild_id: int,
    fmt: str,
    out: Output,
    *,
    options: ExportOptions,
    exported_at: datetime,
    visible: Visible,
    include_hidden: bool = False,
    guild_name: str | None = None,
    channel_names: Mapping[int, str] | None = None,
    timezone: tzinfo = UTC,
    members: Mapping[int, str] | None = None,
    changed_after: int | None = None,
    since: datetime | None = None,
    progress: Progress | None = None,
    replace: bool = False,
) -> tuple[int, int, int]:
    """Write the server's archive to ``out`` (a file, or a stream); returns (threads,
    comments, entries): comments counted as every file's header counts them, entries
    all that the files hold (deleted comments' placeholders too).

    ``visible`` keeps only the threads whoever asked can see. ``changed_after`` (an
    export mark) keeps only the threads with a change since it (a prompt posted since is
    one), and only their changed comments. ``channel_names`` names threads and their
    channels. Each thread is rendered and compressed in a worker thread, off the event
    loop. An existing file at ``out`` is replaced only with ``replace``.
    """
    exporter = get_exporter(fmt)
    prompts = await store.list_prompts(guild_id)
    if not prompts:
        raise NotFound(f"server {guild_id} has no prompts in the database")
    prompts = [p for p in prompts if visible.allows(p.thread_id)]
    if not prompts:
        raise NotFound(f"server {guild_id} has no prompt threads to export")
    if changed_after is not None:
        changed = await store.changed_thread_ids(guild_id, changed_after)
        prompts = [p for p in prompts if p.thread_id in changed]
    known = (await store.guild_names(guild_id)).merged(
        guild=guild_name, places=channel_names, members=members)
    names, guild_name, members = known.places, known.guild, known.members
    pseudonyms = Pseudonyms() if options.anonymise else None
    stamp = exported_at.astimezone(UTC).timetuple()[:6]
    entries: list[ArchiveEntry] = []
    entries_written = 0
    with open_output(out, replace=replace) as raw, \
            zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        for done, prompt in enumerate(prompts, 1):
            title = prompt_title(prompt, names)
            filename = default_filename(title, prompt.thread_id, fmt)
            context = await thread_context(
                store, prompt, options=options, exported_at=exported_at,
                include_hidden=include_hidden, thread_name=names.get(prompt.thread_id),
                guild_name=guild_name, parent_name=names.get(prompt.channel_id),
                timezone=timezone, members=members, since=since, pseudonyms=pseudonyms,
                changed_after=changed_after, chart=exporter.shows_chart)
            seen = Highlights(options.include_deleted)
            comments = thread_comments(store, context, exporter, include_hidden=include_hidden,
                                       changed_after=changed_after)
            info = zipfile.ZipInfo(filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            with (archive.open(info, "w", force_zip64=True) as member,
                  io.TextIOWrapper(member, encoding="utf-8", newline="") as text):
                async with contextlib.aclosing(seen.watch(comments)) as watched:
                    entries_written += await write_off_loop(exporter, context, watched, text)
                await in_thread(text.flush)  # what is still buffered is deflated there too
            entries.append(ArchiveEntry(prompt.thread_id, title, filename, prompt.posted_at,
                                        context.counts.comments, seen.latest_at, seen.top,
                                        prompt.spoilers))
            if progress is not None:
                progress(done, len(prompts), title)
        index = zipfile.ZipInfo(INDEX_NAME, date_time=stamp)
        index.compress_type = zipfile.ZIP_DEFLATED
        chart = await index_chart(store, guild_id, entries, visible=visible,
                                  exported_at=exported_at, timezone=timezone)
        page = render_index(
            entries, guild_id=guild_id, guild_name=guild_name, exporter=exporter, options=options,
            exported_at=exported_at, timezone=timezone, since=since, chart=chart)
        await in_thread(archive.writestr, index, page)
    total = sum(e.comments for e in entries)
    log.info("archived server %d as %s to %s (%d threads, %d comments)",
             guild_id, fmt, out if isinstance(out, Path) else "a stream", len(entries), total)
    return len(entries), total, entries_written


@functools.cache
def _environment() -> Environment:
    return Environment(loader=PackageLoader("bot.export", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                       keep_trailing_newline=True)


async def index_chart(store: Store, guild_id: int, entries: Sequence[ArchiveEntry], *,
                      visible: Visible, exported_at: datetime, timezone: tzinfo
                      ) -> dict[str, object] | None:
    """Issue 19: the index's picture, the server's weeks (the threads ``visible`` allows)
    and each listed discussion's comments, as inline SVG drawn in the chart thread."""
    if not entries:
        return None
    hours = await store.activity_hours(guild_id=guild_id, visible=visible)
    prompts = [p.posted_at for p in await store.list_prompts(guild_id)
               if visible.allows(p.thread_id)]
    zone_name = getattr(timezone, "key", None) or str(timezone)
    weeks = server_chart("", prompts, hours.comments, (), anonymised=True, zone=timezone,
                         zone_name=zone_name, now=exported_at)
    chart = ArchiveChart(weeks, tuple((e.title, e.comments) for e in entries))
    label = f"Activity chart: {chart.describe_weeks()}"
    svg = inline_svg(await draw(chart, "svg", "page"), label)
    return {"svg": Markup(svg),  # noqa: S704 - matplotlib escapes its texts, inline_svg the label
            "caption": f"Prompts and comments per week, and the comments in each discussion "
                       f"listed below. Weeks start on Monday, {zone_name}."}


def render_index(entries: Sequence[ArchiveEntry], *, guild_id: int, guild_name: str | None,
                 exporter: Exporter, options: ExportOptions, exported_at: datetime,
                 timezone: tzinfo = UTC, since: datetime | None = None,
                 chart: dict[str, object] | None = None) -> str:
    """The archive's ``index.html``: a standalone page (no script, nothing remote), with
    ``chart`` (from :func:`index_chart`) above the list when given."""
    rows = [
        {
            "title": e.title,
            "href": quote(e.filename),
            "anchor": _top_link(e, exporter),
            "posted_iso": e.posted_at.astimezone(timezone).isoformat(),
            "posted": f"{e.posted_at.astimezone(timezone):%Y-%m-%d}",
            "comments": e.comments,
            "latest_iso": e.latest_at.astimezone(timezone).isoformat() if e.latest_at else None,
            "latest": format_time(e.latest_at, timezone) if e.latest_at else None,
            "top": e.top,
            "top_excerpt": (text_with_spoilers(e.top.excerpt, cut=True, hide_all=e.spoilers)
                            if e.top else None),
            "spoilers": e.spoilers,
            "top_score": format_score(e.top.score) if e.top else None,
        }
        for e in entries
    ]
    return _environment().get_template("archive.html.j2").render(
        csp=CONTENT_SECURITY_POLICY,
        server=guild_name or f"Server {guild_id}",
        fmt=exporter.name,
        rows=rows,
        comments=sum(e.comments for e in entries),
        selection=describe_selection(options, since=since, zone=timezone),
        exported_iso=exported_at.astimezone(timezone).isoformat(),
        exported=format_time(exported_at, timezone),
        zone=getattr(timezone, "key", None) or str(timezone),
        chart=chart,
    )


def _top_link(entry: ArchiveEntry, exporter: Exporter) -> str | None:
    """The top comment's place in the thread's file, when the format has places."""
    if entry.top is None or (anchor := exporter.comment_anchor(entry.top.id)) is None:
        return None
    return f"{quote(entry.filename)}#{anchor}"


def prompt_title(prompt: Prompt, channel_names: Mapping[int, str] | None = None) -> str:
    """What a thread is called: its name on Discord when known, else its article's title."""
    return (channel_names or {}).get(prompt.thread_id) or prompt.article.title
