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

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


# ---------------------------------------------------------------------------
# Events: what adapters hand to the writer. Each is applied idempotently, so the
# same event twice, or an edit before its create, leaves the rows of "once, in order".
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MessageCreated:
    id: int
    thread_id: int
    author_id: int
    author_name: str
    content: str
    created_at: datetime
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


Event = (
    MessageCreated
    | MessageEdited
    | MessageDeleted
    | ReactionAdded
    | ReactionRemoved
    | ReactionsCleared
)
