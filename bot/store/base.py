"""The store's interface: what adapters, exporters and the CLI may ask of it.

SQL lives only in implementations (SQLite today; PostgreSQL for sharded
deployments later), so callers depend on these methods alone.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from bot.models import Comment, Event, Prompt


@dataclass(frozen=True, slots=True)
class ThreadCounts:
    comments: int
    deleted: int
    participants: int


class Store(ABC):
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

    # -- writes --------------------------------------------------------------
    @abstractmethod
    def submit(self, event: Event) -> None:
        """Queue an event for the writer without waiting (the gateway hot path)."""

    @abstractmethod
    async def put(self, event: Event) -> None:
        """Queue an event, waiting while the writer is too far behind (back-pressure)."""

    @abstractmethod
    async def flush(self) -> None:
        """Return once every event queued before the call is committed."""

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
        self, thread_id: int, *, with_history: bool = True
    ) -> AsyncIterator[Comment]:
        """A thread's comments in reading order: each followed by its replies, oldest first.

        Each comment has ``depth`` (0 for top level), ``score``, ``attachments`` and,
        with ``with_history``, ``revisions`` and ``reactions``. Deleted comments are
        included as tombstones. Rows are read in batches: memory stays flat however
        long the thread.
        """

    @abstractmethod
    async def get_comment(self, comment_id: int) -> Comment | None: ...

    @abstractmethod
    async def thread_counts(self, thread_id: int) -> ThreadCounts: ...
