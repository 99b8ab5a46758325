"""The store's interface: what adapters, exporters and the CLI may ask of it.

SQL lives only in implementations (SQLite today; PostgreSQL for sharded
deployments later), so callers depend on these methods alone.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from types import TracebackType
from typing import Literal, Self

from bot.models import (
    Comment,
    Event,
    ExportRecord,
    Feed,
    Prompt,
    QueueItem,
    StoredArticle,
)
from bot.records.audit import AuditEntry, CloseTimer, HiddenComment
from bot.records.counts import MemberTotals, ScoredComment, ServerStats, ThreadStats
from bot.records.member_data import ForgetReport, MemberData
from bot.records.names import GuildNames, MemberName, PlaceName
from bot.records.posting_schedule import Schedule
from bot.records.server_settings import GuildSettings
from bot.records.visibility import Visible
from bot.store.charts_base import ChartStore
from bot.store.club_base import ClubStore
from bot.store.film_base import FilmStore


@dataclass(frozen=True, slots=True)
class ThreadCounts:
    """What an export of a thread holds, counted one way everywhere (issue 14).

    ``comments``: the comments whose text it shows (deleted ones only when it shows
    deleted comments' text); ``deleted``: the deleted comments among those it selects
    (shown, or a placeholder each); ``participants``: the authors of the comments shown.
    """

    comments: int
    deleted: int
    participants: int


@dataclass(frozen=True, slots=True)
class PromptOverview:
    """A prompt for `filmclub prompts list`: its comments (as a whole export counts
    them) and its latest activity (a comment written or edited)."""

    prompt: Prompt
    comments: int
    last_activity: datetime | None


#: Issue 4 (exports): how siblings are ordered in ``iter_comments``.
CommentOrder = Literal["oldest", "newest", "top"]
COMMENT_ORDERS: tuple[CommentOrder, ...] = ("oldest", "newest", "top")
#: A bound of ``iter_comments``' window: a time, or a message id (an int).
Bound = datetime | int


@dataclass(frozen=True, slots=True)
class StorageNotice:
    """The store could not write (``failing``), or can again (``recovered``).

    ``failing`` comes once per outage, when the first write fails; ``recovered`` when
    a write succeeds again. ``threads`` are the prompt threads with events the store
    could not keep while it waited (more than it holds in memory): catch-up must read
    them again from Discord. ``held`` events were kept and are written (recovered) or
    waiting (failing).
    """

    kind: Literal["failing", "recovered"]
    problem: str  # one line: what SQLite said ("database or disk is full")
    since: datetime  # when the first write failed
    held: int = 0
    shed: int = 0  # events not kept, to be caught up
    threads: frozenset[int] = frozenset()


#: Called on the event loop with each notice.
StorageListener = Callable[[StorageNotice], None]


class Store(ClubStore, ChartStore, FilmStore, ABC):
    """Comments, votes and prompts. Writes go through one writer, in batches."""

    # -- life cycle --------------------------------------------------------
    @abstractmethod
    async def open(self) -> None:
        """Connect, migrate, and start the writer."""

    @abstractmethod
    async def close(self) -> None:
        """Flush what is pending, stop the writer and disconnect."""

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def hold_shard_lock(self, shard_id: int) -> None:
        """Claim shard ``shard_id`` for this process until the store closes (issue 15).

        A second process claiming the same shard on the same database is refused with
        ``bot.store.lock.AlreadyRunning`` (one line). PostgreSQL holds a session advisory
        lock per shard; SQLite, one process per file, has the file lock beside it
        (``bot.store.factory.process_lock``) and nothing more to do here.
        """

    async def release_shard_lock(self, shard_id: int) -> None:
        """Let go of ``shard_id`` before the store closes (closing lets go of all)."""

    # -- writes --------------------------------------------------------------
    @abstractmethod
    def add_storage_listener(self, listener: StorageListener) -> None:
        """Be told, on the event loop, when writes start failing and when they work again."""

    @abstractmethod
    def submit(self, event: Event) -> None:
        """Queue an event for the writer (the gateway hot path; call it on the event loop).

        Returns at once unless the writer is far behind; then it holds the caller until
        the writer catches up, rather than drop events or queue without bound. While the
        database cannot be written and the writer holds all it may, the event is not
        kept: its thread is named in the ``recovered`` notice for catch-up instead.
        """

    @abstractmethod
    async def put(self, event: Event) -> None:
        """Queue an event, waiting while the writer is too far behind (back-pressure)."""

    @abstractmethod
    async def flush(self) -> None:
        """Return once every event queued before the call is committed.

        Raises ``StoreError`` instead while the database cannot be written: a flush
        never reports rows it did not write.
        """

    @abstractmethod
    async def add_prompt(self, prompt: Prompt) -> None:
        """Record a posted prompt (committed when this returns)."""

    @abstractmethod
    async def set_meta(self, key: str, value: str) -> None:
        """Store a small named value (committed when this returns)."""

    # -- reads ---------------------------------------------------------------
    @abstractmethod
    async def get_meta(self, key: str) -> str | None: ...

    @abstractmethod
    async def get_prompt(self, thread_id: int) -> Prompt | None: ...

    @abstractmethod
    async def prompt_thread_ids(self) -> set[int]:
        """Ids of every prompt thread: the channels whose messages are comments."""

    @abstractmethod
    async def list_prompts(self, guild_id: int | None = None) -> list[Prompt]: ...

    @abstractmethod
    def iter_comments(
        self, thread_id: int, *, with_history: bool = True, include_hidden: bool = False,
        sort: CommentOrder = "oldest", after: Bound | None = None, before: Bound | None = None,
        min_score: int | None = None, changed_after: int | None = None,
    ) -> AsyncIterator[Comment]:
        """A thread's comments in reading order: each followed by its replies, oldest first.

        Each comment has ``depth`` (0 for top level), ``score``, ``attachments`` and,
        with ``with_history``, ``revisions`` and ``reactions``. Deleted comments are
        included as tombstones. Rows are read in batches: memory stays flat however
        long the thread. Comments a moderator hid are left out (their replies move up
        to the top level) unless ``include_hidden``; included, they have ``hidden_at``.

        Issue 4 (exports): ``sort`` orders siblings ("newest" reverses them, "top" puts
        the best score first; a reply always stays under its parent). ``after`` and
        ``before`` keep comments written strictly between two times or message ids,
        ``min_score`` those scoring at least that, ``changed_after`` those changed since
        that export mark (see ``export_mark``). A comment whose parent is left out is
        shown at the top level.
        """

    @abstractmethod
    async def get_comment(self, comment_id: int) -> Comment | None: ...

    @abstractmethod
    async def thread_counts(self, thread_id: int, *, include_hidden: bool = False,
                            include_deleted: bool = False, after: Bound | None = None,
                            before: Bound | None = None, min_score: int | None = None,
                            changed_after: int | None = None) -> ThreadCounts:
        """What ``iter_comments`` with the same filters yields, counted as ThreadCounts says."""

    # -- issue 14: names of places and members, prompts at a glance --------------------
    @abstractmethod
    async def save_names(self, places: Sequence[PlaceName] = (),
                         members: Sequence[MemberName] = ()) -> None:
        """Remember names as Discord showed them; an older sighting never replaces a newer."""

    @abstractmethod
    async def guild_names(self, guild_id: int) -> GuildNames:
        """Every name known in the server: its own, its channels', threads' and members'."""

    @abstractmethod
    async def prompt_overview(self, guild_id: int | None = None) -> list[PromptOverview]:
        """Every prompt (of one server, or all), oldest first, with its comments and
        latest activity."""

    # -- issue 3: the prompt library (stored articles, feeds, queue, settings, schedule) --

    @abstractmethod
    async def add_article(self, entry: StoredArticle) -> None:
        """Keep an article read from a page or feed, with its identity keys (committed)."""

    @abstractmethod
    async def get_article(self, slug: str) -> StoredArticle | None: ...

    @abstractmethod
    async def list_articles(self) -> list[StoredArticle]:
        """Every stored article, oldest first."""

    @abstractmethod
    async def find_article(self, keys: Sequence[str]) -> StoredArticle | None:
        """The stored article that has any of ``keys``, if there is one."""

    @abstractmethod
    async def posted_keys(self, guild_id: int) -> set[str]:
        """Every key of every article posted in the server."""

    @abstractmethod
    async def posted_thread(self, guild_id: int, keys: Sequence[str]) -> int | None:
        """The thread of an earlier prompt in the server sharing any of ``keys``."""

    @abstractmethod
    async def record_prompt(self, prompt: Prompt, keys: Sequence[str], *,
                            queue_item_id: int | None = None) -> None:
        """Record a posted prompt with its keys, and take it off the server's queue (one unit)."""

    @abstractmethod
    async def add_feed(self, url: str, channel_id: int, *, guild_id: int | None, mode: str,
                       interval_minutes: int, added_at: datetime, seen: Sequence[str] = (),
                       etag: str | None = None, last_modified: str | None = None,
                       polled_at: datetime | None = None) -> Feed:
        """Add a feed and the entries it already has as seen (one unit); StoreError if known."""

    @abstractmethod
    async def list_feeds(self) -> list[Feed]: ...

    @abstractmethod
    async def remove_feed(self, feed_id: int) -> bool: ...

    @abstractmethod
    async def set_channel_guild(self, channel_id: int, guild_id: int) -> int:
        """Give feeds and queue items bound to ``channel_id`` their server; returns feeds set."""

    @abstractmethod
    async def feed_seen(self, feed_id: int) -> set[str]:
        """The keys of every entry the feed has shown."""

    @abstractmethod
    async def record_poll(self, poll: PollRecord) -> list[QueueItem]:
        """Apply one poll in one unit: feed state, seen entries, new articles, their queue items."""

    @abstractmethod
    async def enqueue(self, guild_id: int, slug: str, *, added_at: datetime,
                      added_by: int | None = None, channel_id: int | None = None,
                      question: str | None = None) -> QueueItem:
        """Add an article at the end of the server's queue."""

    @abstractmethod
    async def list_queue(self, guild_id: int) -> list[QueueItem]:
        """The server's queue in order (items to post at once included)."""

    @abstractmethod
    async def unqueue(self, guild_id: int, item_id: int) -> QueueItem | None:
        """Take an item off the server's queue; None if it is not there."""

    @abstractmethod
    async def move_queued(self, guild_id: int, item_id: int, position: int) -> list[QueueItem]:
        """Move an item to ``position`` (1 = first; clamped); returns the new order."""

    @abstractmethod
    async def pending_posts(self) -> list[QueueItem]:
        """Queue items to post at once (from feeds in post mode) whose server is known."""

    @abstractmethod
    async def get_schedule(self, guild_id: int) -> Schedule | None: ...

    @abstractmethod
    async def list_schedules(self) -> list[Schedule]: ...

    @abstractmethod
    async def set_schedule(self, schedule: Schedule) -> None:
        """Set (or replace) the server's schedule; its time zone becomes the server's."""

    @abstractmethod
    async def clear_schedule(self, guild_id: int) -> bool: ...

    @abstractmethod
    async def claim_slot(self, guild_id: int, slot: datetime) -> bool:
        """Mark ``slot`` handled unless it (or a later one) already is; True if this call did."""

    @abstractmethod
    async def set_skip_slot(self, guild_id: int, slot: datetime | None) -> None: ...

    @abstractmethod
    async def set_empty_notified(self, guild_id: int, notified: bool) -> None: ...

    # -- issue 5: moderation, settings, leaderboards and personal data ------------------

    @abstractmethod
    async def get_settings(self, guild_id: int) -> GuildSettings:
        """The server's settings (the defaults when it never changed one)."""

    @abstractmethod
    async def save_settings(self, settings: GuildSettings) -> int:
        """Store the server's settings (committed). When the vote emoji changed, every
        stored reaction in the server is recounted: returns how many changed value. When
        the time zone changed, the schedule's slots count from ``updated_at``."""

    @abstractmethod
    async def hide_comment(self, hidden: HiddenComment) -> None:
        """Mark a comment hidden (it stays stored; exports and stats leave it out)."""

    @abstractmethod
    async def set_hidden_notice(self, comment_id: int, notice_id: int) -> None:
        """Remember the bot's message that marks the hidden comment in its thread."""

    @abstractmethod
    async def restore_comment(self, comment_id: int) -> HiddenComment | None:
        """Unhide a comment; returns what its hiding was (None: it was not hidden)."""

    @abstractmethod
    async def get_hidden(self, comment_id: int) -> HiddenComment | None: ...

    @abstractmethod
    async def add_audit(self, entry: AuditEntry) -> AuditEntry:
        """Record a moderator action (committed); returns it with its id."""

    @abstractmethod
    async def list_audit(self, guild_id: int, *, visible: Visible, thread_id: int | None = None,
                         limit: int = 1000) -> list[AuditEntry]:
        """The server's (or one thread's) audit log, newest first.

        Entries about a thread that ``visible`` leaves out are left out; entries about
        no thread (settings) are kept.
        """

    @abstractmethod
    async def set_close_timer(self, timer: CloseTimer) -> None:
        """Set (or move) the thread's close timer (committed)."""

    @abstractmethod
    async def cancel_close_timer(self, thread_id: int, *,
                                 audit: AuditEntry | None = None) -> CloseTimer | None:
        """Remove the thread's close timer; returns it (None: there was none). With
        ``audit``, the entry is recorded in the same transaction, if there was a timer."""

    @abstractmethod
    async def close_timers(self) -> list[CloseTimer]:
        """Every pending close timer, soonest first."""

    @abstractmethod
    async def top_comments(self, guild_id: int, *, visible: Visible,
                           thread_id: int | None = None, since: datetime | None = None,
                           limit: int = 100) -> list[ScoredComment]:
        """Comments with a positive score, best first (ties: the older first), from the
        threads ``visible`` allows only (as every number below)."""

    @abstractmethod
    async def member_totals(self, guild_id: int, *, visible: Visible,
                            since: datetime | None = None) -> list[MemberTotals]:
        """Per member: comments written since ``since`` and the net votes others gave them."""

    @abstractmethod
    async def thread_stats(self, thread_id: int, zone: tzinfo, zone_name: str, *,
                           visible: Visible) -> ThreadStats:
        """A thread's numbers (all zero when ``visible`` leaves the thread out)."""

    @abstractmethod
    async def server_stats(self, guild_id: int, *, now: datetime, zone: tzinfo,
                           zone_name: str, visible: Visible) -> ServerStats:
        """The server's numbers, over the threads ``visible`` allows (prompts included)."""

    @abstractmethod
    async def member_data(self, user_id: int) -> MemberData:
        """Everything stored that the member wrote or cast, in every server."""

    @abstractmethod
    async def forget_member(self, user_id: int, at: datetime) -> ForgetReport:
        """Remove the member's comment text, versions, attachments and reactions (committed).

        Comments keep their rows with a placeholder text, so replies keep their place.
        """

    # -- catch-up (issue 6): what is stored, to compare with Discord's history -------
    @abstractmethod
    async def newest_comment_id(self, thread_id: int) -> int | None:
        """The id of the thread's newest message whose create is stored, if any."""

    @abstractmethod
    async def stored_messages(self, thread_id: int, after_id: int) -> dict[int, StoredMessage]:
        """The thread's stored messages with ids above ``after_id``, with active reactions.

        Rows whose create was never seen (an edit, delete or reaction came alone) are
        included with ``seen`` false.
        """

    @abstractmethod
    async def thread_statuses(self) -> dict[int, ThreadStatus]:
        """What catch-up last learnt of each prompt thread on Discord, by thread id."""

    @abstractmethod
    async def save_thread_status(self, status: ThreadStatus) -> None:
        """Replace what is known of one prompt thread (committed when this returns)."""

    # -- issue 4: exports (the prompt a message id names, export history, change marks) --
    @abstractmethod
    async def find_prompt(self, prompt_id: int) -> Prompt | None:
        """The prompt whose thread id or message id is ``prompt_id``."""

    @abstractmethod
    async def export_mark(self) -> int:
        """Start an export: a mark that every change committed so far is at or under, and
        every later change above (committed when this returns)."""

    @abstractmethod
    async def record_export(self, record: ExportRecord) -> ExportRecord:
        """Remember an export that was delivered (committed); returns it with its id."""

    @abstractmethod
    async def last_export(self, scope_key: str, *, exported_by: int | None
                          ) -> ExportRecord | None:
        """The newest export recorded under ``scope_key`` for the same person (``exported_by``;
        None: the command line's)."""

    @abstractmethod
    async def changed_thread_ids(self, guild_id: int, changed_after: int) -> set[int]:
        """The server's prompt threads with a comment changed since the mark, and those
        posted since (issue 14)."""


@dataclass(frozen=True, slots=True)
class PollRecord:
    """The outcome of polling one feed, applied by ``Store.record_poll`` as one unit."""

    feed_id: int
    polled_at: datetime
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    seen: tuple[str, ...] = ()  # entry keys to remember
    articles: tuple[StoredArticle, ...] = ()  # new articles to keep
    queue: tuple[str, ...] = ()  # slugs to queue for the feed's channel, in order


# -- catch-up (issue 6) -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """One message as the store has it, in the terms Discord's history can be compared in."""

    id: int
    seen: bool  # its create is stored (False: only an edit, delete or reaction came)
    content: str | None
    edited_at: datetime | None
    deleted: bool
    reactions: frozenset[tuple[int, str]] = frozenset()  # active (user id, emoji)


@dataclass(frozen=True, slots=True)
class ThreadStatus:
    """What the bot last knew of a prompt thread on Discord (None: not known)."""

    thread_id: int
    archived_at: datetime | None = None  # when Discord archived it; None while open
    gone_at: datetime | None = None  # when it was found deleted
    no_access_at: datetime | None = None  # when Discord last refused access to it
    caught_up_at: datetime | None = None  # when its last complete catch-up started
