"""Domain records: plain data that every adapter (Discord, CLI, tests) shares.

Nothing here knows about Discord. Ids are Discord-style snowflakes (ints) because
that is what the first adapter has, but any adapter with stable integer ids fits.
Every datetime is timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

#: Discord's epoch (2015-01-01T00:00:00Z) in milliseconds; snowflakes count from it.
DISCORD_EPOCH_MS = 1_420_070_400_000


def snowflake_time(snowflake: int) -> datetime:
    """The creation time encoded in a snowflake id."""
    ms = (snowflake >> 22) + DISCORD_EPOCH_MS
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def utcnow() -> datetime:
    """Now, timezone-aware, in UTC."""
    return datetime.now(UTC)


#: The article's front matter gave its question(s).
QUESTION_FROM_FRONT_MATTER = "front matter"
#: The questions the article's prose ends on (``bot.questions``).
QUESTION_FROM_ARTICLE = "article"
#: Given when it was added (``filmclub articles add --question``).
QUESTION_FROM_GIVEN = "given"


@dataclass(frozen=True, slots=True)
class Article:
    """A piece of film writing that a prompt is made from."""

    slug: str
    title: str
    body: str = ""
    url: str | None = None
    film: str | None = None
    year: int | None = None
    director: str | None = None
    author: str | None = None
    source: str | None = None
    published: str | None = None
    image: str | None = None
    excerpt: str = ""
    questions: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    #: Where ``questions`` came from: QUESTION_FROM_* ("" when the article asks none).
    question_from: str = ""
    #: Front matter's ``spoilers``: True or False when it says, None when it does not.
    spoilers: bool | None = None
    #: Front matter's ``released``: the film's release, 'YYYY-MM-DD' or a year 'YYYY'.
    released: str | None = None

    @property
    def question(self) -> str:
        """The discussion question: the article's questions, in order, as one line."""
        return " ".join(self.questions)

    @property
    def film_line(self) -> str | None:
        """'Film (year), dir. Director' with whatever parts are known."""
        if not self.film:
            return None
        line = self.film
        if self.year:
            line += f" ({self.year})"
        if self.director:
            line += f", dir. {self.director}"
        return line


@dataclass(frozen=True, slots=True)
class Prompt:
    """An article posted as a discussion: the message that carries it and its thread."""

    thread_id: int
    guild_id: int
    channel_id: int
    message_id: int
    article: Article
    posted_at: datetime
    posted_by: int | None = None
    #: A spoiler thread (issue 18): its text is hidden wherever the bot shows it elsewhere.
    spoilers: bool = False


@dataclass(frozen=True, slots=True)
class Attachment:
    id: int
    filename: str
    url: str
    size: int
    content_type: str | None = None


@dataclass(frozen=True, slots=True)
class Revision:
    """A text a comment once had, and when it was replaced by the next one."""

    content: str
    written_at: datetime
    replaced_at: datetime


@dataclass(frozen=True, slots=True)
class ReactionRecord:
    """One member's reaction with one emoji on one comment."""

    user_id: int
    emoji: str
    added_at: datetime
    value: int = 0  # +1 / -1 when the emoji is a vote, 0 otherwise


@dataclass(slots=True)
class Comment:
    """A member's message in a prompt thread, as the store keeps it."""

    id: int
    thread_id: int
    author_id: int
    author_name: str
    content: str
    created_at: datetime
    parent_id: int | None = None
    edited_at: datetime | None = None
    deleted_at: datetime | None = None
    attachments: list[Attachment] = field(default_factory=list)
    score: int = 0
    depth: int = 0
    revisions: list[Revision] = field(default_factory=list)
    reactions: list[ReactionRecord] = field(default_factory=list)
    #: Why it is a tombstone when not a delete seen live, e.g. DELETED_OFFLINE.
    deleted_reason: str | None = None
    #: When a moderator hid it (issue 5); only hidden comments asked for explicitly have it.
    hidden_at: datetime | None = None

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


# ---------------------------------------------------------------------------
# Events: what adapters hand to the writer. Each is applied idempotently, so the
# same event twice, or an edit before its create, leaves the rows of "once, in order".
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class MessageCreated:
    """A new message. ``created_at`` None: the time in its id (a Discord snowflake's).

    Not frozen, unlike the other events: one is made for every message the gateway
    brings, and a frozen dataclass sets each field through object.__setattr__, which
    made building it three times slower. Treat it as read-only all the same.
    """

    id: int
    thread_id: int
    author_id: int
    author_name: str
    content: str
    created_at: datetime | None = None
    parent_id: int | None = None
    attachments: tuple[Attachment, ...] = ()
    edited_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class MessageEdited:
    """A content change. ``edited_at`` is Discord's edited_timestamp."""

    id: int
    thread_id: int
    content: str
    edited_at: datetime


@dataclass(frozen=True, slots=True)
class MessageDeleted:
    id: int
    thread_id: int
    deleted_at: datetime


@dataclass(frozen=True, slots=True)
class ReactionAdded:
    message_id: int
    thread_id: int
    user_id: int
    emoji: str
    at: datetime
    #: The member's display name when Discord gave it (issue 14: exports name voters).
    user_name: str | None = None


@dataclass(frozen=True, slots=True)
class ReactionRemoved:
    message_id: int
    thread_id: int
    user_id: int
    emoji: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ReactionsCleared:
    """All reactions removed from a message, or those of one emoji when ``emoji`` is set."""

    message_id: int
    thread_id: int
    at: datetime
    emoji: str | None = None


# -- catch-up (issue 6): what a comparison with Discord's history finds -------------

#: The tombstone reason of a message that catch-up found gone from Discord.
DELETED_OFFLINE = "deleted while the bot was offline"


@dataclass(frozen=True, slots=True)
class MessageVanished:
    """A stored message Discord no longer has: deleted while the bot was not listening.

    A tombstone like MessageDeleted, but marked DELETED_OFFLINE, and ``noticed_at``
    is when catch-up found it gone (the deletion itself happened before). A delete
    seen live keeps its own time and no reason.
    """

    id: int
    thread_id: int
    noticed_at: datetime


@dataclass(frozen=True, slots=True)
class ReactionsReconciled:
    """Every (user id, emoji) on a message, as Discord listed them at ``fetched_at``.

    Missing reactions are added and absent ones marked removed, except where a live
    reaction event stored after ``fetched_at`` already says otherwise: that event is newer
    than the listing and wins.
    """

    message_id: int
    thread_id: int
    fetched_at: datetime
    reactions: frozenset[tuple[int, str]]


Event = (
    MessageCreated
    | MessageEdited
    | MessageDeleted
    | ReactionAdded
    | ReactionRemoved
    | ReactionsCleared
    | MessageVanished
    | ReactionsReconciled
)


# ---------------------------------------------------------------------------
# Issue 3 (prompt library): articles kept in the store, feeds, the prompt queue
# (a server's settings are ``bot.records.server_settings``, its schedule
# ``bot.records.posting_schedule``).
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """An article read from a web page, a saved HTML file or a feed entry, kept in the store."""

    article: Article
    origin: str  # "page", "html-file" or "feed"
    source: str  # the URL or file it was read from
    keys: tuple[str, ...]  # what identifies it: "url:…", "hash:…", "entry:…"
    added_at: datetime
    feed_id: int | None = None


@dataclass(frozen=True, slots=True)
class Feed:
    """An RSS or Atom feed bound to a channel; its new entries become prompts."""

    id: int
    url: str
    channel_id: int
    guild_id: int | None  # None until the bot has seen the channel (feeds added offline)
    mode: str  # "queue": new entries join the server's queue; "post": posted at once
    interval_minutes: int
    added_at: datetime
    etag: str | None = None
    last_modified: str | None = None
    polled_at: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class QueueItem:
    """An article waiting in a server's prompt queue."""

    id: int
    guild_id: int | None
    slug: str
    position: int
    added_at: datetime
    added_by: int | None = None
    channel_id: int | None = None  # where to post it; None: the schedule's channel
    question: str | None = None  # the moderator's question, for an article that asks none
    post_now: bool = False  # from a feed in "post" mode: post at the next tick
    feed_id: int | None = None


# ---------------------------------------------------------------------------
# Issue 4 (exports): the history of exports, which `--since-last` continues from.
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExportRecord:
    """One export made: what it covered and the change mark it was read at."""

    scope_key: str  # scope, target, format and options: what "the same export" means
    scope: str  # "thread" or "guild"
    target_id: int
    format: str
    mark: int  # every change up to this generation is in this export or an earlier one
    exported_at: datetime
    comments: int
    since_mark: int | None = None  # the mark it continued from; None: everything
    exported_by: int | None = None  # the member who asked; None: the command line
    id: int | None = None
