"""What every export format shares: the context of a thread, options, atomic files.

An exporter is a small class with a name, a file extension and one coroutine that
writes a thread to a text stream as the comments arrive from the store, so a format
never holds a whole discussion in memory.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import tempfile
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import BinaryIO, ClassVar, TextIO

from bot.errors import ExportError
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


class Exporter(ABC):
    """One output format."""

    name: ClassVar[str]
    extension: ClassVar[str]
    media_type: ClassVar[str]

    @abstractmethod
    async def write(self, context: ExportContext, comments: AsyncIterator[Comment],
                    out: TextIO) -> int:
        """Write the thread to ``out``; return the number of comments written."""


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


_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)),
             *(f"LPT{i}" for i in range(10))}


def safe_filename(name: str, *, default: str = "thread", limit: int = 80) -> str:
    """A file name made from a thread title: no separators, controls or reserved names."""
    name = unicodedata.normalize("NFC", name)
    name = _UNSAFE.sub("-", name)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cf", "Cc"})
    name = re.sub(r"\s+", " ", name).strip(" .-")[:limit].strip(" .-")
    if not name or name.upper().split(".")[0] in _RESERVED:
        name = f"{default}-{name}" if name else default
    return name


@contextlib.contextmanager
def atomic_text_file(path: Path) -> Iterator[TextIO]:
    """Write to a temporary file beside ``path``, renamed into place only on success."""
    with atomic_file(path) as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
        yield text
        text.flush()


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A binary file written to a temporary name beside ``path``, renamed into place on success.

    A failure to create it (a missing or read-only folder, a file where the folder should
    be) is an ExportError naming the folder; the temporary file never outlives a failure.
    """
    directory = path.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except (FileExistsError, NotADirectoryError) as exc:
        raise ExportError(f"cannot write to {directory}: a file is in the way of that "
                          "folder") from exc
    except OSError as exc:
        raise ExportError(f"cannot write to {directory}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from exc
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
