"""What every export format shares: the context of a thread, options, atomic files.

An exporter is a small class with a name, a file extension and one coroutine that
writes a thread to a text stream as the comments arrive from the store, so a format
never holds a whole discussion in memory.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import BinaryIO, ClassVar, TextIO

from bot.charts.model import ThreadChart
from bot.errors import ExportError
from bot.files import DestinationError, new_file
from bot.films import FilmRecord
from bot.models import Comment, Prompt, ReactionRecord, utcnow
from bot.store.base import Bound, CommentOrder, ThreadCounts

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ExportOptions:
    """How a thread is exported; the same options for every format.

    ``sort``, ``after``, ``before`` and ``min_score`` choose and order the comments (in
    the store's query); ``anonymise`` replaces every member by "Member 1", "Member 2"...
    in order of first appearance (:mod:`bot.export.anonymise`).
    """

    include_deleted: bool = False  # show deleted comments' text, marked as deleted
    include_revisions: bool = False  # show the earlier texts of edited comments
    sort: CommentOrder = "oldest"  # siblings oldest first, newest first, or best score first
    after: Bound | None = None  # only comments written after this time or message id
    before: Bound | None = None  # only comments written before this time or message id
    min_score: int | None = None  # only comments with at least this score
    anonymise: bool = False  # "Member N" instead of names and user ids


@dataclass(frozen=True, slots=True)
class ExportContext:
    """What an exporter knows besides the comments themselves."""

    prompt: Prompt
    counts: ThreadCounts
    thread_name: str | None = None
    guild_name: str | None = None
    parent_name: str | None = None  # the channel the prompt was posted in
    exported_at: datetime = field(default_factory=utcnow)
    timezone: tzinfo = UTC
    options: ExportOptions = field(default_factory=ExportOptions)
    #: Names of members known before the export starts (user id -> display name), for
    #: mentions. Exporters add the authors they meet as the thread streams by.
    members: Mapping[int, str] = field(default_factory=dict)
    #: When this export continues from an earlier one (``--since-last``): that one's time.
    since: datetime | None = None
    #: Issue 17: every rating of the prompt's film, in half stars (1..10), and the line
    #: saying which poll chose the film, if one did.
    ratings: tuple[int, ...] = ()
    chosen_by: str | None = None
    #: Issue 19: the thread's activity (comments and votes over time, ratings), for the
    #: formats that draw it (``Exporter.shows_chart``); None for the others.
    chart: ThreadChart | None = None
    #: Issue 18: the film record of the prompt, when filmclub knows one.
    film: FilmRecord | None = None
    #: Replies whose parent is not in the export: what they answered, by comment id.
    #: Filled as the comments stream by; an exporter takes each note as it writes it.
    reply_notes: dict[int, ReplyNote] = field(default_factory=dict)


class Exporter(ABC):
    """One output format, declared by its module and listed in :mod:`bot.export.formats`.

    What it declares is all that the CLI, ``/export``, the server archive and the tests
    need to know of it: nothing outside its module names a format.
    """

    name: ClassVar[str]  # what ``--format`` and ``/export format:`` take: "md"
    extension: ClassVar[str]  # of its files, without the dot: "md"
    media_type: ClassVar[str]  # "text/markdown"
    #: What the "Export this thread" menu calls it, before the extension: "Markdown".
    label: ClassVar[str]
    #: A document people read (listed first in the menu), or data for programs.
    readable: ClassVar[bool] = True
    #: The Jinja2 template (in ``bot/export/templates``) it renders with, if any.
    template: ClassVar[str | None] = None
    #: Whether the format shows who reacted (not only how many), and the author of a
    #: deleted comment whose text it does not show: anonymising numbers only the
    #: people a file shows.
    shows_voters: ClassVar[bool] = False
    shows_deleted_authors: ClassVar[bool] = False
    #: Whether the format shows the thread's activity chart (issue 19): its context then
    #: carries the chart's data.
    shows_chart: ClassVar[bool] = False

    @abstractmethod
    async def write(self, context: ExportContext, comments: AsyncIterator[Comment],
                    out: TextIO) -> int:
        """Write the thread to ``out``; return the number of comments written."""

    @classmethod
    def comment_anchor(cls, comment_id: int) -> str | None:
        """The fragment that finds one comment in a file of this format ("comment-123"),
        or None when the format has no such places (the archive's index links to it)."""
        return None


class BlockExporter(Exporter):
    """A format written as a header, then one block of text per comment (Markdown, text)."""

    #: What stands in for the comments when there are none, and when a selection left none.
    none_yet: ClassVar[str]
    none_selected: ClassVar[str]

    async def write(self, context: ExportContext, comments: AsyncIterator[Comment],
                    out: TextIO) -> int:
        out.write(self.header(context))
        written = 0
        async for comment in comments:
            out.write(self.comment(comment, context))
            written += 1
        if not written:
            out.write(self.none_selected if selection_summary(context) else self.none_yet)
        return written

    @abstractmethod
    def header(self, context: ExportContext) -> str:
        """The article and the question, before the comments."""

    @abstractmethod
    def comment(self, comment: Comment, context: ExportContext) -> str:
        """One comment's block."""


def format_score(score: int) -> str:
    """A signed score: +2, −1 (a real minus sign), 0."""
    if score > 0:
        return f"+{score}"
    if score < 0:
        return f"\u2212{-score}"
    return "0"


def format_time(value: datetime, zone: tzinfo = UTC) -> str:
    """'2026-11-01 20:05 UTC' in the reader's zone."""
    local = value.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or ''}".rstrip()


def iso_time(value: datetime) -> str:
    """A datetime as ISO-8601 in UTC with its offset: '2026-11-01T20:01:00+00:00'."""
    return value.astimezone(UTC).isoformat()


def format_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def format_bound(bound: Bound, zone: tzinfo = UTC) -> str:
    """A window bound as a reader sees it: a time in their zone, or 'message 123'."""
    if isinstance(bound, datetime):
        return format_time(bound, zone)
    return f"message {bound}"


_ORDER_LABELS = {"newest": "newest first", "top": "best score first"}


def selection_summary(context: ExportContext) -> str:
    """What the export leaves out or reorders, in words; empty for a whole thread in order.

    'newest first; written after 2026-11-01 00:00 UTC; score +2 or more'. Formats show it
    under the discussion's heading, so a partial file never passes for the whole thread.
    """
    return describe_selection(context.options, since=context.since, zone=context.timezone)


def describe_selection(options: ExportOptions, *, since: datetime | None = None,
                       zone: tzinfo = UTC) -> str:
    """:func:`selection_summary` from the options themselves (the archive's index uses it)."""
    parts = []
    if options.sort in _ORDER_LABELS:
        parts.append(_ORDER_LABELS[options.sort])
    if options.after is not None:
        parts.append(f"written after {format_bound(options.after, zone)}")
    if options.before is not None:
        parts.append(f"written before {format_bound(options.before, zone)}")
    if options.min_score is not None:
        parts.append(f"score {format_score(options.min_score)} or more")
    if since is not None:
        parts.append(f"only what changed since the export of {format_time(since, zone)}")
    if options.anonymise:
        parts.append("members anonymised")
    return "; ".join(parts)


class MemberNames:
    """Who an id is, for showing mentions: the names given up front, then every author seen.

    An export streams, so a member is known from their first comment on; a mention of
    someone who has not written yet (and was not given up front) resolves to None.
    Memory grows with the number of participants, never with the number of comments.
    """

    __slots__ = ("_known", "_names")

    def __init__(self, known: Mapping[int, str] | None = None) -> None:
        # Kept as given, not copied: an anonymised export passes its pseudonyms, which
        # grow as the thread streams by.
        self._known: Mapping[int, str] = known if known is not None else {}
        self._names: dict[int, str] = {}

    def learn(self, comment: Comment) -> None:
        """Remember the author of ``comment`` (the latest name seen wins)."""
        if comment.author_name:
            self._names[comment.author_id] = comment.author_name

    def get(self, user_id: int) -> str | None:
        return self._names.get(user_id) or self._known.get(user_id)


@dataclass(frozen=True, slots=True)
class ReactionTally:
    """One emoji's reactions on one comment: how many, by whom, and its vote value."""

    emoji: str
    user_ids: tuple[int, ...]
    value: int  # +1 / -1 for a vote emoji, 0 otherwise

    @property
    def count(self) -> int:
        return len(self.user_ids)


def ordered_reactions(comment: Comment) -> list[ReactionRecord]:
    """The comment's reactions oldest first; ties in a fixed order, whatever the store's."""
    return sorted(comment.reactions, key=lambda r: (r.added_at, r.user_id, r.emoji))


def tally_reactions(comment: Comment, *, votes: bool | None = None) -> list[ReactionTally]:
    """Reactions grouped by emoji, in the order each emoji was first used.

    ``votes=False`` keeps only the other emoji, ``votes=True`` only the vote emoji and
    ``None`` keeps both.
    """
    groups: dict[str, list[int]] = {}
    values: dict[str, int] = {}
    for reaction in ordered_reactions(comment):
        if votes is not None and (reaction.value != 0) != votes:
            continue
        groups.setdefault(reaction.emoji, []).append(reaction.user_id)
        values.setdefault(reaction.emoji, reaction.value)
    return [ReactionTally(emoji, tuple(users), values[emoji]) for emoji, users in groups.items()]


_CUSTOM_EMOJI = re.compile(r"<(a?):([A-Za-z0-9_~]{1,32}):([0-9]{1,20})>")


@dataclass(frozen=True, slots=True)
class EmojiParts:
    """A reaction's emoji as Discord describes it: custom ones have an id and a name."""

    id: int | None
    name: str
    animated: bool


def parse_emoji(emoji: str) -> EmojiParts:
    """'<:film:123>' (as discord.py writes a custom emoji) or a Unicode emoji as is."""
    if match := _CUSTOM_EMOJI.fullmatch(emoji):
        return EmojiParts(int(match.group(3)), match.group(2), bool(match.group(1)))
    return EmojiParts(None, emoji, False)


def emoji_label(emoji: str) -> str:
    """How a reaction reads in text: the emoji itself, or ':name:' for a custom one."""
    parts = parse_emoji(emoji)
    return emoji if parts.id is None else f":{parts.name}:"


_APOSTROPHES = re.compile(r"(?<=[A-Za-z])['’](?=[A-Za-z])")
_WORDS = re.compile(r"[a-z0-9]+")


def file_slug(text: str, *, default: str = "thread", limit: int = 60) -> str:
    """A name made from a title that any shell and file system takes as it is.

    ASCII letters and digits in lower case, words joined by hyphens (accents dropped,
    apostrophes inside words too: "Scottie's fall" is ``scotties-fall``), cut after a
    whole word within ``limit`` characters; ``default`` when nothing is left (a title
    in another script). No spaces, quotes or anything a shell would read.
    """
    flat = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = _WORDS.findall(_APOSTROPHES.sub("", flat).lower())
    slug = ""
    for word in words:
        longer = f"{slug}-{word}" if slug else word
        if len(longer) > limit:
            break
        slug = longer
    if not slug and words:  # one word longer than the limit
        slug = words[0][:limit]
    return slug or default


def excerpt(text: str, limit: int = 200) -> str:
    """The text on one line, cut at a word near ``limit`` characters with an ellipsis."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0] if " " in flat[:limit] else flat[:limit]
    return cut.rstrip(" .,;:") + "…"


@dataclass(frozen=True, slots=True)
class ReplyNote:
    """What a reply answered, when that comment is not in the export (issue 14).

    A selection (a window, a score, only the changes) can leave a reply's parent out;
    the reply then sits at the top level and says whom it answered and with what words,
    or only that it answered "a comment not in this export" when that comment is not
    to be shown (hidden by a moderator, deleted, never stored).
    """

    author_id: int | None = None
    author: str | None = None
    excerpt: str | None = None

    #: How many characters of the parent's text are quoted.
    LIMIT: ClassVar[int] = 80

    @property
    def label(self) -> str:
        """'Ana: “Knowing early is the point…”', or 'a comment not in this export'."""
        if self.author is None:
            return "a comment not in this export"
        return f"{self.author}: “{self.excerpt}”" if self.excerpt else self.author


#: Where an export goes: a file (written beside and put in place), or an open binary
#: stream such as standard output (written as it comes).
Output = Path | BinaryIO


class CountingStream(io.RawIOBase):
    """A binary stream that passes writes on to ``target`` and counts the bytes.

    Closing it flushes ``target`` but leaves it open (standard output stays usable).
    """

    def __init__(self, target: BinaryIO) -> None:
        super().__init__()
        self.target = target
        self.written = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self.target.write(data)
        size = len(data)
        self.written += size
        return size

    def close(self) -> None:
        if not self.closed:
            self.target.flush()
        super().close()


@contextlib.contextmanager
def open_output(out: Output, *, replace: bool = False) -> Iterator[BinaryIO]:
    """A binary file for ``out``: :func:`atomic_file` for a path, ``out`` itself for a stream."""
    if isinstance(out, Path):
        with atomic_file(out, replace=replace) as handle:
            yield handle
        return
    raw = out if isinstance(out, CountingStream) else CountingStream(out)
    with io.BufferedWriter(raw) as handle:
        yield handle  # type: ignore[misc]


@contextlib.contextmanager
def open_text_output(out: Output, *, replace: bool = False) -> Iterator[TextIO]:
    """:func:`open_output` as UTF-8 text, with line ends as written."""
    with open_output(out, replace=replace) as raw, \
            io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
        yield text
        text.flush()


def output_size(out: Output) -> int:
    """How many bytes an export wrote to ``out`` (a stream: a CountingStream tells)."""
    if isinstance(out, Path):
        return out.stat().st_size
    return out.written if isinstance(out, CountingStream) else 0


@contextlib.contextmanager
def atomic_text_file(path: Path, *, replace: bool = False) -> Iterator[TextIO]:
    """Write to a temporary file beside ``path``, put in place only on success."""
    with open_text_output(path, replace=replace) as text:
        yield text


@contextlib.contextmanager
def atomic_file(path: Path, *, replace: bool = False) -> Iterator[BinaryIO]:
    """A binary file written to a temporary name beside ``path``, put in place on success.

    Nothing at ``path`` is replaced unless ``replace``, and then only a regular file (see
    :mod:`bot.files`); no folder is created. A failure (a missing or read-only folder, a
    file where the folder should be, a full disk) is an ExportError naming the place;
    the temporary file never outlives it, and the file is created with the user's umask.
    """
    try:
        with new_file(path, replace=replace) as handle:
            yield handle
    except DestinationError as exc:
        raise ExportError(str(exc)) from exc
