"""The store's library and feeds role: articles, prompt records, feeds, the queue
and the posting schedule (with ``claim_slot``, the claim that posts a slot once).

``LibrarySQL`` is mixed into ``SQLStore`` (``bot.store.sql_store``): writes are functions
of the writer's connection run through ``_call``, reads go through the reader ``_db``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime
from datetime import time as dt_time
from typing import Any

from bot.errors import NotFound, StoreError
from bot.models import Feed, Prompt, QueueItem, StoredArticle
from bot.records.posting_schedule import Schedule
from bot.store import settings_sql
from bot.store.base import PollRecord
from bot.store.sql_values import article_from_json, article_to_json, parse_ts, ts
from bot.timezones import DEFAULT_TIMEZONE

_INSERT_PROMPT = """
INSERT OR IGNORE INTO prompts (thread_id, guild_id, channel_id, message_id, article_slug,
                               article, posted_at, posted_by, spoilers)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
"""


def _prompt_row(prompt: Prompt) -> tuple[Any, ...]:
    return (prompt.thread_id, prompt.guild_id, prompt.channel_id, prompt.message_id,
            prompt.article.slug, article_to_json(prompt.article), ts(prompt.posted_at),
            prompt.posted_by, int(prompt.spoilers))


_KEY_ORDER = ("slug:", "url:", "entry:", "hash:")


def _ordered_keys(keys: Iterable[str]) -> tuple[str, ...]:
    """Keys in a stable order: slug, url, entry, hash."""
    def rank(key: str) -> tuple[int, str]:
        prefix = next((i for i, p in enumerate(_KEY_ORDER) if key.startswith(p)), len(_KEY_ORDER))
        return prefix, key

    return tuple(sorted(keys, key=rank))


class LibrarySQL:
    """Articles, prompts, feeds, queue and schedule (mixed into ``SQLStore``)."""

    async def add_prompt(self, prompt: Prompt) -> None:
        row = _prompt_row(prompt)

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(_INSERT_PROMPT, row)

        await self._call(write)

    @staticmethod
    def _prompt(row: Sequence[Any]) -> Prompt:
        thread_id, guild_id, channel_id, message_id, article, posted_at, posted_by, spoilers = row
        return Prompt(
            thread_id=thread_id, guild_id=guild_id, channel_id=channel_id,
            message_id=message_id, article=article_from_json(article),
            posted_at=datetime.fromisoformat(posted_at), posted_by=posted_by,
            spoilers=bool(spoilers),
        )

    _PROMPT_COLUMNS = ("thread_id, guild_id, channel_id, message_id, article, posted_at,"
                       " posted_by, spoilers")

    async def get_prompt(self, thread_id: int) -> Prompt | None:
        sql = f"SELECT {self._PROMPT_COLUMNS} FROM prompts WHERE thread_id = ?"  # noqa: S608
        async with self._db.execute(sql, (thread_id,)) as cur:
            row = await cur.fetchone()
        return None if row is None else self._prompt(row)

    async def prompt_thread_ids(self) -> set[int]:
        async with self._db.execute("SELECT thread_id FROM prompts") as cur:
            return {row[0] async for row in cur}

    async def list_prompts(self, guild_id: int | None = None) -> list[Prompt]:
        sql = f"SELECT {self._PROMPT_COLUMNS} FROM prompts"  # noqa: S608
        params: tuple[Any, ...] = ()
        if guild_id is not None:
            sql += " WHERE guild_id = ?"
            params = (guild_id,)
        async with self._db.execute(sql + " ORDER BY posted_at", params) as cur:
            return [self._prompt(row) async for row in cur]

    # -- issue 3: the prompt library (stored articles, feeds, queue, settings, schedule) --

    _ARTICLE_COLUMNS = "slug, article, origin, source, feed_id, added_at"

    async def _stored_articles(self, where: str = "", params: Sequence[Any] = ()
                               ) -> list[StoredArticle]:
        sql = f"SELECT {self._ARTICLE_COLUMNS} FROM articles {where}"  # noqa: S608
        async with self._db.execute(sql, params) as cur:
            rows = await cur.fetchall()
        if not rows:
            return []
        slugs = [row[0] for row in rows]
        keys: dict[str, list[str]] = {slug: [] for slug in slugs}
        marks = ",".join("?" * len(slugs))
        async with self._db.execute(
            f"SELECT slug, key FROM article_keys WHERE slug IN ({marks})",  # noqa: S608
            slugs,
        ) as cur:
            async for slug, key in cur:
                keys[slug].append(key)
        return [
            StoredArticle(article=article_from_json(article), origin=origin, source=source,
                          keys=_ordered_keys(keys[slug]), added_at=datetime.fromisoformat(added),
                          feed_id=feed_id)
            for slug, article, origin, source, feed_id, added in rows
        ]

    @staticmethod
    def _insert_article(conn: sqlite3.Connection, entry: StoredArticle) -> None:
        article = entry.article
        conn.execute(
            "INSERT INTO articles (slug, title, article, origin, source, feed_id, added_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (article.slug, article.title, article_to_json(article), entry.origin, entry.source,
             entry.feed_id, ts(entry.added_at)),
        )
        conn.executemany("INSERT INTO article_keys (key, slug) VALUES (?, ?)",
                         [(key, article.slug) for key in entry.keys])

    async def add_article(self, entry: StoredArticle) -> None:
        try:
            await self._call(lambda conn: self._insert_article(conn, entry))
        except sqlite3.IntegrityError as exc:
            raise StoreError(
                f"article {entry.article.slug!r} (or one of its keys) is already stored"
            ) from exc

    async def get_article(self, slug: str) -> StoredArticle | None:
        found = await self._stored_articles("WHERE slug = ?", (slug,))
        return found[0] if found else None

    async def list_articles(self) -> list[StoredArticle]:
        return await self._stored_articles("ORDER BY added_at, slug")

    async def find_article(self, keys: Sequence[str]) -> StoredArticle | None:
        if not keys:
            return None
        marks = ",".join("?" * len(keys))
        sql = f"SELECT slug FROM article_keys WHERE key IN ({marks}) LIMIT 1"  # noqa: S608
        async with self._db.execute(sql, list(keys)) as cur:
            row = await cur.fetchone()
        return None if row is None else await self.get_article(row[0])

    async def posted_keys(self, guild_id: int) -> set[str]:
        async with self._db.execute("SELECT key FROM posted_keys WHERE guild_id = ?",
                                    (guild_id,)) as cur:
            return {row[0] async for row in cur}

    async def posted_thread(self, guild_id: int, keys: Sequence[str]) -> int | None:
        if not keys:
            return None
        marks = ",".join("?" * len(keys))
        sql = (
            f"SELECT thread_id FROM posted_keys WHERE guild_id = ? AND key IN ({marks})"  # noqa: S608
            " ORDER BY thread_id DESC LIMIT 1"
        )
        async with self._db.execute(sql, [guild_id, *keys]) as cur:
            row = await cur.fetchone()
        return None if row is None else row[0]

    async def record_prompt(self, prompt: Prompt, keys: Sequence[str], *,
                            queue_item_id: int | None = None) -> None:
        row = _prompt_row(prompt)

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(_INSERT_PROMPT, row)
            conn.executemany(
                "INSERT INTO posted_keys (guild_id, key, thread_id) VALUES (?, ?, ?)"
                " ON CONFLICT DO UPDATE SET thread_id = excluded.thread_id",
                [(prompt.guild_id, key, prompt.thread_id) for key in dict.fromkeys(keys)],
            )
            if queue_item_id is not None:
                conn.execute("DELETE FROM queue WHERE id = ?", (queue_item_id,))
            # Posted by hand while it waited in the queue: it must not be posted again.
            conn.execute("DELETE FROM queue WHERE guild_id = ? AND slug = ?",
                         (prompt.guild_id, prompt.article.slug))

        await self._call(write)

    # feeds

    _FEED_COLUMNS = ("id, url, channel_id, guild_id, mode, interval_minutes, added_at, etag,"
                     " last_modified, polled_at, last_error")

    @staticmethod
    def _feed(row: Sequence[Any]) -> Feed:
        (fid, url, channel_id, guild_id, mode, interval, added_at, etag, last_modified,
         polled_at, last_error) = row
        return Feed(id=fid, url=url, channel_id=channel_id, guild_id=guild_id, mode=mode,
                    interval_minutes=interval, added_at=datetime.fromisoformat(added_at),
                    etag=etag, last_modified=last_modified, polled_at=parse_ts(polled_at),
                    last_error=last_error)

    async def add_feed(self, url: str, channel_id: int, *, guild_id: int | None, mode: str,
                       interval_minutes: int, added_at: datetime, seen: Sequence[str] = (),
                       etag: str | None = None, last_modified: str | None = None,
                       polled_at: datetime | None = None) -> Feed:
        def write(conn: sqlite3.Connection) -> Feed:
            cur = conn.execute(
                "INSERT INTO feeds (url, channel_id, guild_id, mode, interval_minutes,"
                " etag, last_modified, polled_at, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " RETURNING id",
                (url, channel_id, guild_id, mode, interval_minutes, etag, last_modified,
                 polled_at and ts(polled_at), ts(added_at)),
            )
            feed_id = cur.fetchone()[0]
            conn.executemany(
                "INSERT OR IGNORE INTO feed_entries (feed_id, key, seen_at) VALUES (?, ?, ?)",
                [(feed_id, key, ts(added_at)) for key in seen],
            )
            sql = f"SELECT {self._FEED_COLUMNS} FROM feeds WHERE id = ?"  # noqa: S608
            return self._feed(conn.execute(sql, (feed_id,)).fetchone())

        try:
            result: Feed = await self._call(write)
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"{url} is already a feed of channel {channel_id}") from exc
        return result

    async def list_feeds(self) -> list[Feed]:
        sql = f"SELECT {self._FEED_COLUMNS} FROM feeds ORDER BY id"  # noqa: S608
        async with self._db.execute(sql) as cur:
            return [self._feed(row) async for row in cur]

    async def remove_feed(self, feed_id: int) -> bool:
        def write(conn: sqlite3.Connection) -> bool:
            return conn.execute("DELETE FROM feeds WHERE id = ?", (feed_id,)).rowcount > 0

        removed: bool = await self._call(write)
        return removed

    async def set_channel_guild(self, channel_id: int, guild_id: int) -> int:
        def write(conn: sqlite3.Connection) -> int:
            changed = conn.execute(
                "UPDATE feeds SET guild_id = ? WHERE channel_id = ? AND guild_id IS NULL",
                (guild_id, channel_id),
            ).rowcount
            conn.execute(
                "UPDATE queue SET guild_id = ? WHERE channel_id = ? AND guild_id IS NULL",
                (guild_id, channel_id),
            )
            return changed

        changed: int = await self._call(write)
        return changed

    async def feed_seen(self, feed_id: int) -> set[str]:
        async with self._db.execute("SELECT key FROM feed_entries WHERE feed_id = ?",
                                    (feed_id,)) as cur:
            return {row[0] async for row in cur}

    async def record_poll(self, poll: PollRecord) -> list[QueueItem]:
        def write(conn: sqlite3.Connection) -> list[QueueItem]:
            feed = conn.execute("SELECT guild_id, channel_id, mode FROM feeds WHERE id = ?",
                                (poll.feed_id,)).fetchone()
            if feed is None:  # removed while it was polled
                return []
            guild_id, channel_id, mode = feed
            if poll.error is None:
                conn.execute(
                    "UPDATE feeds SET polled_at = ?, last_error = NULL,"
                    " etag = coalesce(?, etag), last_modified = coalesce(?, last_modified)"
                    " WHERE id = ?",
                    (ts(poll.polled_at), poll.etag, poll.last_modified, poll.feed_id),
                )
            else:
                conn.execute("UPDATE feeds SET polled_at = ?, last_error = ? WHERE id = ?",
                             (ts(poll.polled_at), poll.error, poll.feed_id))
            conn.executemany(
                "INSERT OR IGNORE INTO feed_entries (feed_id, key, seen_at) VALUES (?, ?, ?)",
                [(poll.feed_id, key, ts(poll.polled_at)) for key in poll.seen],
            )
            for entry in poll.articles:
                self._insert_article(conn, entry)
            ids = [
                self._enqueue(conn, guild_id, slug, added_at=poll.polled_at, added_by=None,
                              channel_id=channel_id, question=None, post_now=mode == "post",
                              feed_id=poll.feed_id)
                for slug in dict.fromkeys(poll.queue)
                if not conn.execute("SELECT 1 FROM queue WHERE guild_id IS ? AND slug = ?",
                                    (guild_id, slug)).fetchone()
            ]
            return [self._queue_item(row) for row in self._queue_rows(conn, "id", ids)]

        try:
            items: list[QueueItem] = await self._call(write)
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"the poll of feed {poll.feed_id} was not stored: one of its "
                             f"articles is stored already ({exc})") from exc
        return items

    # the queue

    _QUEUE_COLUMNS = ("id, guild_id, slug, position, added_at, added_by, channel_id, question,"
                      " post_now, feed_id")

    @staticmethod
    def _queue_item(row: Sequence[Any]) -> QueueItem:
        (qid, guild_id, slug, position, added_at, added_by, channel_id, question, post_now,
         feed_id) = row
        return QueueItem(id=qid, guild_id=guild_id, slug=slug, position=position,
                         added_at=datetime.fromisoformat(added_at), added_by=added_by,
                         channel_id=channel_id, question=question, post_now=bool(post_now),
                         feed_id=feed_id)

    def _queue_rows(self, conn: sqlite3.Connection, column: str, values: Sequence[Any]
                    ) -> list[Any]:
        if not values:
            return []
        marks = ",".join("?" * len(values))
        sql = (f"SELECT {self._QUEUE_COLUMNS} FROM queue WHERE {column} IN ({marks})"  # noqa: S608
               " ORDER BY position, id")
        return conn.execute(sql, list(values)).fetchall()

    @staticmethod
    def _enqueue(conn: sqlite3.Connection, guild_id: int | None, slug: str, *,
                 added_at: datetime, added_by: int | None, channel_id: int | None,
                 question: str | None, post_now: bool, feed_id: int | None) -> int:
        position = conn.execute("SELECT coalesce(max(position), 0) + 1 FROM queue").fetchone()[0]
        cur = conn.execute(
            "INSERT INTO queue (guild_id, channel_id, slug, position, question, post_now,"
            " feed_id, added_by, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (guild_id, channel_id, slug, position, question, int(post_now), feed_id, added_by,
             ts(added_at)),
        )
        return int(cur.fetchone()[0])

    async def enqueue(self, guild_id: int, slug: str, *, added_at: datetime,
                      added_by: int | None = None, channel_id: int | None = None,
                      question: str | None = None) -> QueueItem:
        def write(conn: sqlite3.Connection) -> QueueItem | None:
            if conn.execute("SELECT 1 FROM queue WHERE guild_id = ? AND slug = ?",
                            (guild_id, slug)).fetchone():
                return None
            item_id = self._enqueue(conn, guild_id, slug, added_at=added_at, added_by=added_by,
                                    channel_id=channel_id, question=question, post_now=False,
                                    feed_id=None)
            return self._queue_item(self._queue_rows(conn, "id", [item_id])[0])

        item: QueueItem | None = await self._call(write)
        if item is None:
            raise StoreError(f"{slug!r} is already in the queue")
        return item

    async def list_queue(self, guild_id: int) -> list[QueueItem]:
        sql = (f"SELECT {self._QUEUE_COLUMNS} FROM queue WHERE guild_id = ?"  # noqa: S608
               " ORDER BY position, id")
        async with self._db.execute(sql, (guild_id,)) as cur:
            return [self._queue_item(row) async for row in cur]

    async def unqueue(self, guild_id: int, item_id: int) -> QueueItem | None:
        def write(conn: sqlite3.Connection) -> QueueItem | None:
            rows = [r for r in self._queue_rows(conn, "id", [item_id]) if r[1] == guild_id]
            if not rows:
                return None
            conn.execute("DELETE FROM queue WHERE id = ?", (item_id,))
            return self._queue_item(rows[0])

        item: QueueItem | None = await self._call(write)
        return item

    async def move_queued(self, guild_id: int, item_id: int, position: int) -> list[QueueItem]:
        def write(conn: sqlite3.Connection) -> list[QueueItem] | None:
            rows = self._queue_rows(conn, "guild_id", [guild_id])
            ids = [row[0] for row in rows]
            if item_id not in ids:
                return None
            slots = sorted(row[3] for row in rows)
            ids.remove(item_id)
            ids.insert(min(max(position, 1), len(ids) + 1) - 1, item_id)
            conn.executemany("UPDATE queue SET position = ? WHERE id = ?",
                             list(zip(slots, ids, strict=True)))
            return [self._queue_item(row) for row in self._queue_rows(conn, "guild_id",
                                                                      [guild_id])]

        items: list[QueueItem] | None = await self._call(write)
        if items is None:
            raise NotFound(f"there is no queue item {item_id} in this server")
        return items

    async def pending_posts(self) -> list[QueueItem]:
        sql = (f"SELECT {self._QUEUE_COLUMNS} FROM queue"  # noqa: S608
               " WHERE post_now = 1 AND guild_id IS NOT NULL ORDER BY position, id")
        async with self._db.execute(sql) as cur:
            return [self._queue_item(row) async for row in cur]

    # settings and the schedule

    _SCHEDULE_COLUMNS = ("guild_id, channel_id, cadence, weekdays, at, set_at,"
                         " last_slot, skip_slot, empty_notified")
    #: A schedule with its server's time zone (issue 20: one setting).
    _SCHEDULE_SELECT = ("SELECT s.guild_id, s.channel_id, s.cadence, s.weekdays, s.at,"
                        " g.timezone, s.set_at, s.last_slot, s.skip_slot, s.empty_notified"
                        " FROM schedules s LEFT JOIN server_settings g ON g.guild_id = s.guild_id")

    @staticmethod
    def _schedule(row: Sequence[Any]) -> Schedule:
        (guild_id, channel_id, cadence, weekdays, at, timezone, set_at, last_slot, skip_slot,
         notified) = row
        return Schedule(
            guild_id=guild_id, channel_id=channel_id, cadence=cadence,
            weekdays=tuple(int(d) for d in weekdays.split(",") if d),
            at=dt_time.fromisoformat(at), timezone=timezone or DEFAULT_TIMEZONE,
            set_at=datetime.fromisoformat(set_at), last_slot=parse_ts(last_slot),
            skip_slot=parse_ts(skip_slot), empty_notified=bool(notified),
        )

    async def get_schedule(self, guild_id: int) -> Schedule | None:
        sql = f"{self._SCHEDULE_SELECT} WHERE s.guild_id = ?"
        async with self._db.execute(sql, (guild_id,)) as cur:
            row = await cur.fetchone()
        return None if row is None else self._schedule(row)

    async def list_schedules(self) -> list[Schedule]:
        sql = f"{self._SCHEDULE_SELECT} ORDER BY s.guild_id"
        async with self._db.execute(sql) as cur:
            return [self._schedule(row) async for row in cur]

    async def set_schedule(self, schedule: Schedule) -> None:
        row = (
            schedule.guild_id, schedule.channel_id, schedule.cadence,
            ",".join(str(d) for d in schedule.weekdays), schedule.at.strftime("%H:%M"),
            ts(schedule.set_at), schedule.last_slot and ts(schedule.last_slot),
            schedule.skip_slot and ts(schedule.skip_slot), int(schedule.empty_notified),
        )
        zone = None if schedule.timezone == DEFAULT_TIMEZONE else schedule.timezone

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                f"INSERT OR REPLACE INTO schedules ({self._SCHEDULE_COLUMNS})"  # noqa: S608
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            conn.execute(settings_sql.SET_TIMEZONE, (schedule.guild_id, zone))

        await self._call(write)

    async def clear_schedule(self, guild_id: int) -> bool:
        def write(conn: sqlite3.Connection) -> bool:
            return conn.execute("DELETE FROM schedules WHERE guild_id = ?",
                                (guild_id,)).rowcount > 0

        cleared: bool = await self._call(write)
        return cleared

    async def claim_slot(self, guild_id: int, slot: datetime) -> bool:
        def write(conn: sqlite3.Connection) -> bool:
            return conn.execute(
                "UPDATE schedules SET last_slot = ?1,"
                " skip_slot = CASE WHEN skip_slot <= ?1 THEN NULL ELSE skip_slot END"
                " WHERE guild_id = ?2 AND (last_slot IS NULL OR last_slot < ?1)",
                (ts(slot), guild_id),
            ).rowcount > 0

        claimed: bool = await self._call(write)
        return claimed

    async def set_skip_slot(self, guild_id: int, slot: datetime | None) -> None:
        def write(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE schedules SET skip_slot = ? WHERE guild_id = ?",
                         (slot and ts(slot), guild_id))

        await self._call(write)

    async def set_empty_notified(self, guild_id: int, notified: bool) -> None:
        def write(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE schedules SET empty_notified = ? WHERE guild_id = ?",
                         (int(notified), guild_id))

        await self._call(write)

    # -- issue 4: the prompt a message id names ------------------------------------------
    async def find_prompt(self, prompt_id: int) -> Prompt | None:
        sql = (f"SELECT {self._PROMPT_COLUMNS} FROM prompts"  # noqa: S608
               " WHERE thread_id = ?1 OR message_id = ?1 ORDER BY thread_id = ?1 DESC LIMIT 1")
        async with self._db.execute(sql, (prompt_id,)) as cur:
            row = await cur.fetchone()
        return None if row is None else self._prompt(row)
