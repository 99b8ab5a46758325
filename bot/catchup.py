"""Catch-up: what happened in prompt threads while the bot was not listening.

After a restart, a crash or a gateway session that could not be resumed, the store
is compared with what Discord returns now, one thread at a time:

- messages newer than the newest stored one are read and stored;
- messages of the window (default: the last 7 days) are compared with the stored
  ones: a newer ``edited_timestamp`` becomes a revision, a stored message Discord no
  longer has becomes a tombstone marked "deleted while the bot was offline";
- the reactions of those messages (who reacted with what) are listed and reconciled
  with the stored ones, both ways.

Threads that are open, or were archived within the window, are caught up; a thread
deleted on Discord, or one the bot cannot read any more, keeps what is stored and is
marked as such. Everything found becomes ordinary store events, applied idempotently
by the one writer, so a live event and a catch-up finding of the same message leave
one row. Nothing here knows Discord: an adapter implements :class:`HistorySource` with
plain records (``cogs/support/history.py`` for Discord).

This is the core side of catch-up: how a thread is reconciled. When it runs is
``bot.services.catchup_runs``; ``cogs/catchup.py`` is the Discord side, which starts
it on Discord's events.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from bot.errors import NotFound, ThreadUnavailable
from bot.models import (
    DISCORD_EPOCH_MS,
    MessageCreated,
    MessageEdited,
    MessageVanished,
    ReactionsReconciled,
    utcnow,
)
from bot.store.base import Store, StoredMessage, ThreadStatus

log = logging.getLogger(__name__)

DEFAULT_WINDOW = timedelta(days=7)


def snowflake_at(when: datetime) -> int:
    """The smallest snowflake id of a moment: messages after it have larger ids."""
    ms = int(when.timestamp() * 1000) - DISCORD_EPOCH_MS
    return max(ms, 0) << 22


# --- what an adapter hands in ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ThreadInfo:
    """A thread as Discord shows it now."""

    id: int
    archived: bool
    archived_at: datetime | None = None  # when it was archived (or unarchived) last


@dataclass(frozen=True, slots=True)
class FetchedMessage:
    """A member's message in a thread as Discord returns it now.

    ``comment`` is the message as a create event; ``emojis`` are the emoji it has
    reactions with (their users are listed separately, on demand).
    """

    comment: MessageCreated
    emojis: tuple[str, ...] = ()

    @property
    def id(self) -> int:
        return self.comment.id


class HistorySource(Protocol):
    """Read access to Discord's side, implemented by an adapter.

    ``thread`` and ``messages`` raise :class:`ThreadUnavailable` for a deleted thread
    or one the bot may not read.
    """

    async def open_threads(self, guild_ids: Collection[int]) -> dict[int, ThreadInfo]:
        """The open (not archived) threads of these servers, by id."""
        ...

    async def thread(self, thread_id: int) -> ThreadInfo:
        """One thread, open or archived."""
        ...

    def messages(self, thread_id: int, after_id: int) -> AsyncIterator[FetchedMessage]:
        """Members' messages with ids above ``after_id``, oldest first (others skipped)."""
        ...

    async def reactors(self, thread_id: int, message_id: int, emoji: str) -> list[int]:
        """Ids of the members who reacted with ``emoji`` (the bot itself left out)."""
        ...


# --- comparing ------------------------------------------------------------------------------


def message_changes(
    stored: StoredMessage | None, fetched: FetchedMessage
) -> list[MessageCreated | MessageEdited]:
    """The events that bring a stored message (or its absence) up to Discord's version."""
    comment = fetched.comment
    if stored is None or not stored.seen:
        return [comment]
    if comment.edited_at is not None and (
        stored.edited_at is None or comment.edited_at > stored.edited_at
    ):
        return [MessageEdited(comment.id, comment.thread_id, comment.content, comment.edited_at)]
    return []


def vanished(stored: dict[int, StoredMessage], fetched_ids: Collection[int],
             thread_id: int, noticed_at: datetime) -> list[MessageVanished]:
    """Tombstones for stored, live messages that Discord did not return."""
    return [
        MessageVanished(m.id, thread_id, noticed_at)
        for m in stored.values()
        if m.seen and not m.deleted and m.id not in fetched_ids
    ]


# --- running --------------------------------------------------------------------------------


@dataclass(slots=True)
class ThreadReport:
    """What catching up one thread found."""

    thread_id: int
    fetched: int = 0
    added: int = 0
    edited: int = 0
    deleted: int = 0
    reactions: int = 0  # messages whose reactions were reconciled

    @property
    def changes(self) -> int:
        return self.added + self.edited + self.deleted + self.reactions


@dataclass(slots=True)
class CatchUpReport:
    """What a catch-up run did, over every thread it looked at."""

    threads: list[ThreadReport] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # closed before the window
    unavailable: dict[int, str] = field(default_factory=dict)  # thread id -> why
    failed: dict[int, str] = field(default_factory=dict)  # thread id -> the error (logged)

    def total(self, name: str) -> int:
        return sum(getattr(t, name) for t in self.threads)

    def summary(self) -> str:
        """One line: threads done, messages added, edits, deletions, reactions."""
        line = (
            f"{len(self.threads)} threads caught up: {self.total('added')} messages added, "
            f"{self.total('edited')} edits, {self.total('deleted')} deletions, "
            f"{self.total('reactions')} reaction changes"
        )
        if self.skipped:
            line += f"; {len(self.skipped)} closed before the window"
        if self.unavailable:
            line += f"; {len(self.unavailable)} unavailable"
        if self.failed:
            line += f"; {len(self.failed)} failed (see the log)"
        return line


class CatchUp:
    """Compares the store with a :class:`HistorySource`, one thread at a time."""

    def __init__(self, store: Store, source: HistorySource, *,
                 window: timedelta = DEFAULT_WINDOW,
                 owns: Callable[[int], bool] | None = None) -> None:
        self.store = store
        self.source = source
        self.window = window
        #: Issue 15: the servers whose threads a run of every thread looks at (a shard
        #: process: its shards' servers; None: every server, as `filmclub catch-up`).
        self.owns = owns

    async def run(self, only: Collection[int] | None = None) -> CatchUpReport:
        """Catch up every prompt thread in reach, or just ``only`` (whatever their state)."""
        report = CatchUpReport()
        prompts = await self.store.list_prompts()
        if only is not None:
            unknown = sorted(set(only) - {p.thread_id for p in prompts})
            if unknown:
                raise NotFound(f"thread {unknown[0]} is not a filmclub prompt thread")
            prompts = [p for p in prompts if p.thread_id in only]
        elif self.owns is not None:
            prompts = [p for p in prompts if self.owns(p.guild_id)]
        statuses = await self.store.thread_statuses()
        now = utcnow()
        window_start = now - self.window
        open_threads = await self.source.open_threads({p.guild_id for p in prompts})
        log.info("catch-up: %d prompt threads to look at (%d open)", len(prompts),
                 sum(p.thread_id in open_threads for p in prompts))
        for number, prompt in enumerate(prompts, 1):
            thread_id = prompt.thread_id
            status = statuses.get(thread_id) or ThreadStatus(thread_id)
            info = open_threads.get(thread_id)
            if info is None and only is None and (
                status.gone_at is not None
                or (status.archived_at is not None and status.archived_at < window_start)
            ):
                report.skipped.append(thread_id)  # known to be gone or long closed
                continue
            try:
                if info is None:
                    info = await self.source.thread(thread_id)
                if only is None and info.archived and info.archived_at is not None \
                        and info.archived_at < window_start:
                    report.skipped.append(thread_id)
                    await self._save(status, replace(status, archived_at=info.archived_at))
                    continue
                started = utcnow()
                done = await self.thread(thread_id, now=now)
            except ThreadUnavailable as exc:
                report.unavailable[thread_id] = str(exc)
                log.warning("catch-up: thread %d skipped: %s", thread_id, exc)
                stamp = {"gone_at": utcnow()} if exc.gone else {"no_access_at": utcnow()}
                await self._save(status, replace(status, **stamp))
                continue
            except Exception as exc:  # one thread's trouble must not stop the others
                report.failed[thread_id] = str(exc) or type(exc).__name__
                log.exception("catch-up: thread %d failed; it is read again next time",
                              thread_id)
                continue
            report.threads.append(done)
            await self._save(status, replace(
                status, archived_at=info.archived_at if info.archived else None,
                gone_at=None, no_access_at=None, caught_up_at=started))
            log.info(
                "catch-up: thread %d done (%d/%d): %d fetched, %d added, %d edits, "
                "%d deletions, %d reaction changes", thread_id, number, len(prompts),
                done.fetched, done.added, done.edited, done.deleted, done.reactions)
        log.info("catch-up: %s", report.summary())
        return report

    async def _save(self, old: ThreadStatus, new: ThreadStatus) -> None:
        if new != old:
            await self.store.save_thread_status(new)

    async def thread(self, thread_id: int, *, now: datetime | None = None) -> ThreadReport:
        """Catch up one thread: missing messages, edits, deletions and reactions."""
        now = now or utcnow()
        window_id = snowflake_at(now - self.window)
        await self.store.flush()  # what arrived live is part of what is compared
        newest = await self.store.newest_comment_id(thread_id)
        lower = thread_id - 1 if newest is None else max(min(newest, window_id), thread_id - 1)
        stored = await self.store.stored_messages(thread_id, lower)
        report = ThreadReport(thread_id)
        seen: set[int] = set()
        # Before any listing: a live reaction event stored after this is newer and wins.
        listed_at = utcnow()
        async for message in self.source.messages(thread_id, lower):
            report.fetched += 1
            seen.add(message.id)
            known = stored.get(message.id)
            for event in message_changes(known, message):
                if isinstance(event, MessageCreated):
                    report.added += 1
                else:
                    report.edited += 1
                await self.store.put(event)
            in_window = message.id > window_id or known is None or not known.seen
            if in_window and await self._reactions(message, known, listed_at):
                report.reactions += 1
            if report.fetched % 1000 == 0:
                log.info("catch-up: thread %d: %d messages read so far", thread_id,
                         report.fetched)
        tombstones = vanished(stored, seen, thread_id, utcnow())
        for event in tombstones:
            await self.store.put(event)
        report.deleted = len(tombstones)
        await self.store.flush()
        return report

    async def _reactions(self, message: FetchedMessage, known: StoredMessage | None,
                         listed_at: datetime) -> bool:
        """Reconcile one message's reactions with Discord's; True when they differed."""
        current: set[tuple[int, str]] = set()
        for emoji in message.emojis:
            users = await self.source.reactors(message.comment.thread_id, message.id, emoji)
            current.update((user, emoji) for user in users)
        before = known.reactions if known is not None else frozenset()
        if current == before:
            return False
        await self.store.put(ReactionsReconciled(
            message.id, message.comment.thread_id, listed_at, frozenset(current)))
        return True
