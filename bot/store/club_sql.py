"""The SQL store's side of issue 17: watchlists, ratings and polls.

``ClubSQL`` is mixed into ``SQLStore``: writes are functions of the writer's
connection run through ``_call`` (in order with the gateway's events), reads go
through the reader connection ``_db``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.models import Prompt
from bot.records.films import (
    Film,
    FilmPoll,
    PollAnswer,
    Rating,
    RatingSummary,
    WatchEntry,
    WatchlistInfo,
    film_key,
    film_label,
    film_of,
    find_entry,
    list_key,
    same_film,
)
from bot.records.member_data import REMOVED_NAME

if TYPE_CHECKING:
    import aiosqlite


def _ts(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


ENTRY_COLUMNS = (
    "e.id, l.guild_id, l.name, e.title, e.year, e.note, e.suggested_by, e.suggested_by_name,"
    " e.suggested_at, e.watched_at, e.watched_thread_id"
)
ENTRIES = (f"SELECT {ENTRY_COLUMNS} FROM watch_entries e"  # noqa: S608 - constant columns
           " JOIN watchlists l ON l.id = e.list_id")


def _entry(row: Sequence[Any]) -> WatchEntry:
    (entry_id, guild_id, name, title, year, note, by, by_name, at, watched_at,
     watched_thread) = row
    return WatchEntry(entry_id, guild_id, name, title, year, note, by, by_name,
                      datetime.fromisoformat(at), _time(watched_at), watched_thread)


def _entries(conn: sqlite3.Connection, where: str, params: Sequence[Any]) -> list[WatchEntry]:
    sql = f"{ENTRIES} WHERE {where} ORDER BY e.id"
    return [_entry(row) for row in conn.execute(sql, params)]


def _add_entry(conn: sqlite3.Connection, guild_id: int, name: str, film: Film,
               note: str | None, user_id: int, user_name: str, at: str
               ) -> tuple[WatchEntry, bool]:
    key = list_key(name)
    conn.execute("INSERT INTO watchlists (guild_id, name, name_key, created_at, created_by)"
                 " VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id, name_key) DO NOTHING",
                 (guild_id, name, key, at, user_id))
    list_id = conn.execute("SELECT id FROM watchlists WHERE guild_id = ? AND name_key = ?",
                           (guild_id, key)).fetchone()[0]
    same = _entries(conn, "e.list_id = ? AND e.film_key = ?", (list_id, film.key))
    found = find_entry(same, film)
    if found is not None:
        if found.year is None and film.year is not None:
            conn.execute("UPDATE watch_entries SET year = ? WHERE id = ?", (film.year, found.id))
            found = _entries(conn, "e.id = ?", (found.id,))[0]
        return found, False
    cur = conn.execute(
        "INSERT INTO watch_entries (list_id, title, year, film_key, note, suggested_by,"
        " suggested_by_name, suggested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (list_id, film.title, film.year, film.key, note, user_id, user_name, at))
    entry_id = cur.fetchone()[0]
    conn.execute("UPDATE watch_entries SET film_id = ? WHERE id = ?",
                 (known_film(conn, film.key, film.year), entry_id))
    return _entries(conn, "e.id = ?", (entry_id,))[0], True


def known_film(conn: sqlite3.Connection, key: str, year: int | None) -> int | None:
    """The stored film record (issue 18) of a title and year, when exactly one fits."""
    rows = conn.execute("SELECT id FROM films WHERE film_key = ? AND (year IS ? OR ? IS NULL)",
                        (key, year, year)).fetchall()
    return int(rows[0][0]) if len(rows) == 1 else None


def forget(conn: sqlite3.Connection, user_id: int) -> tuple[int, int, int]:
    """Remove a member's ratings, poll votes and name on suggestions:
    (ratings, suggestions, poll votes)."""
    ratings = conn.execute("DELETE FROM ratings WHERE user_id = ?", (user_id,)).rowcount
    votes = conn.execute("DELETE FROM film_poll_votes WHERE user_id = ?", (user_id,)).rowcount
    suggestions = conn.execute(
        "UPDATE watch_entries SET suggested_by_name = ? WHERE suggested_by = ?"
        " AND suggested_by_name IS NOT ?", (REMOVED_NAME, user_id, REMOVED_NAME)).rowcount
    return ratings, suggestions, votes


POLL_COLUMNS = ("message_id, guild_id, channel_id, question, created_by, created_at, expires_at,"
                " list_name, multiple, ended_at, ended_by, winner, outcome")


def _open(conn: sqlite3.Connection, message_id: int) -> bool:
    return conn.execute("SELECT 1 FROM film_polls WHERE message_id = ? AND ended_at IS NULL",
                        (message_id,)).fetchone() is not None


class ClubSQL:
    """Issue 17's methods of the SQLite store (see ``bot.store.club_base.ClubStore``)."""

    if TYPE_CHECKING:
        _call: Callable[[Callable[[sqlite3.Connection], Any]], Awaitable[Any]]

        @property
        def _db(self) -> aiosqlite.Connection: ...

        @staticmethod
        def _prompt(row: Sequence[Any]) -> Prompt: ...

    async def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        async with self._db.execute(sql, params) as cur:
            return list(await cur.fetchall())

    # -- watchlists ---------------------------------------------------------------------------

    async def watchlists(self, guild_id: int) -> list[WatchlistInfo]:
        rows = await self._rows(
            "SELECT l.name, count(e.id), count(e.watched_at), l.created_at FROM watchlists l"
            " LEFT JOIN watch_entries e ON e.list_id = l.id WHERE l.guild_id = ?"
            " GROUP BY l.id ORDER BY l.id", (guild_id,))
        return [WatchlistInfo(name, films, watched, datetime.fromisoformat(at))
                for name, films, watched, at in rows]

    async def watchlist_guilds(self) -> list[int]:
        return [row[0] for row in await self._rows(
            "SELECT DISTINCT guild_id FROM watchlists ORDER BY guild_id")]

    async def watch_entries(self, guild_id: int, list_name: str | None = None
                            ) -> list[WatchEntry]:
        where, params = "l.guild_id = ?", [guild_id]
        if list_name is not None:
            where += " AND l.name_key = ?"
            params.append(list_key(list_name))
        rows = await self._rows(f"{ENTRIES} WHERE {where} ORDER BY e.id", params)
        return [_entry(row) for row in rows]

    async def add_watch_entry(self, guild_id: int, list_name: str, film: Film, *,
                              note: str | None, user_id: int, user_name: str,
                              at: datetime) -> tuple[WatchEntry, bool]:
        stamp = _ts(at)
        result: tuple[WatchEntry, bool] = await self._call(
            lambda conn: _add_entry(conn, guild_id, list_name, film, note, user_id, user_name,
                                    stamp))
        return result

    async def remove_watch_entry(self, entry_id: int) -> bool:
        def write(conn: sqlite3.Connection) -> bool:
            return conn.execute("DELETE FROM watch_entries WHERE id = ?",
                                (entry_id,)).rowcount > 0

        return bool(await self._call(write))

    async def set_watched(self, entry_id: int, at: datetime | None,
                          thread_id: int | None = None) -> WatchEntry | None:
        stamp = None if at is None else _ts(at)

        def write(conn: sqlite3.Connection) -> WatchEntry | None:
            conn.execute("UPDATE watch_entries SET watched_at = ?, watched_thread_id = ?"
                         " WHERE id = ?", (stamp, thread_id if stamp else None, entry_id))
            found = _entries(conn, "e.id = ?", (entry_id,))
            return found[0] if found else None

        entry: WatchEntry | None = await self._call(write)
        return entry

    async def mark_film_watched(self, guild_id: int, film: Film, at: datetime,
                                thread_id: int | None) -> list[WatchEntry]:
        stamp = _ts(at)

        def write(conn: sqlite3.Connection) -> list[WatchEntry]:
            waiting = _entries(conn, "l.guild_id = ? AND e.film_key = ? AND e.watched_at IS NULL",
                               (guild_id, film.key))
            marked = [e.id for e in waiting if same_film(e, film)]
            conn.executemany("UPDATE watch_entries SET watched_at = ?, watched_thread_id = ?"
                             " WHERE id = ?", [(stamp, thread_id, i) for i in marked])
            return [e for i in marked for e in _entries(conn, "e.id = ?", (i,))]

        entries: list[WatchEntry] = await self._call(write)
        return entries

    async def member_suggestions(self, user_id: int) -> list[WatchEntry]:
        rows = await self._rows(f"{ENTRIES} WHERE e.suggested_by = ? ORDER BY e.id",
                                (user_id,))
        return [_entry(row) for row in rows]

    # -- ratings ------------------------------------------------------------------------------

    async def rate(self, thread_id: int, user_id: int, half_stars: int | None,
                   at: datetime) -> int | None:
        stamp = _ts(at)

        def write(conn: sqlite3.Connection) -> int | None:
            row = conn.execute("SELECT half_stars FROM ratings WHERE thread_id = ? AND user_id = ?",
                               (thread_id, user_id)).fetchone()
            if half_stars is None:
                conn.execute("DELETE FROM ratings WHERE thread_id = ? AND user_id = ?",
                             (thread_id, user_id))
            else:
                conn.execute(
                    "INSERT INTO ratings (thread_id, user_id, half_stars, rated_at)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT (thread_id, user_id) DO UPDATE SET"
                    " half_stars = excluded.half_stars, rated_at = excluded.rated_at",
                    (thread_id, user_id, half_stars, stamp))
            return None if row is None else int(row[0])

        before: int | None = await self._call(write)
        return before

    async def rating_summary(self, thread_id: int) -> RatingSummary:
        rows = await self._rows("SELECT count(*), coalesce(sum(half_stars), 0) FROM ratings"
                                " WHERE thread_id = ?", (thread_id,))
        return RatingSummary(rows[0][0], rows[0][1])

    async def rating_of(self, thread_id: int, user_id: int) -> int | None:
        rows = await self._rows("SELECT half_stars FROM ratings WHERE thread_id = ?"
                                " AND user_id = ?", (thread_id, user_id))
        return rows[0][0] if rows else None

    async def guild_ratings(self, guild_id: int, since: datetime | None = None
                            ) -> list[tuple[int, str, int | None, int]]:
        sql = ("SELECT r.thread_id, json_extract(p.article, '$.title'),"
               " json_extract(p.article, '$.film'), json_extract(p.article, '$.year'),"
               " r.half_stars FROM ratings r JOIN prompts p ON p.thread_id = r.thread_id"
               " WHERE p.guild_id = ?")
        params: list[Any] = [guild_id]
        if since is not None:
            sql += " AND p.posted_at >= ?"
            params.append(_ts(since))
        rows = await self._rows(sql + " ORDER BY p.posted_at, r.thread_id", params)
        found = []
        for thread_id, title, film, year, half in rows:
            name, film_year = film_of(title, film, year)
            found.append((thread_id, name, film_year, half))
        return found

    async def member_ratings(self, user_id: int) -> list[Rating]:
        rows = await self._rows("SELECT thread_id, user_id, half_stars, rated_at FROM ratings"
                                " WHERE user_id = ? ORDER BY rated_at", (user_id,))
        return [Rating(t, u, h, datetime.fromisoformat(at)) for t, u, h, at in rows]

    # -- polls --------------------------------------------------------------------------------

    async def add_film_poll(self, poll: FilmPoll) -> None:
        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                f"INSERT INTO film_polls ({POLL_COLUMNS}) VALUES"  # noqa: S608
                " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (poll.message_id, poll.guild_id, poll.channel_id, poll.question,
                 poll.created_by, _ts(poll.created_at), _ts(poll.expires_at), poll.list_name,
                 int(poll.multiple), None, None, None, None))
            conn.executemany(
                "INSERT INTO film_poll_answers (message_id, answer_id, title, year, entry_id,"
                " suggested_at) VALUES (?, ?, ?, ?, ?, ?)",
                [(poll.message_id, a.answer_id, a.title, a.year, a.entry_id,
                  _ts(a.suggested_at)) for a in poll.answers])
            conn.executemany(  # issue 18: the answer's film record, when one is known
                "UPDATE film_poll_answers SET film_id = ? WHERE message_id = ? AND answer_id = ?",
                [(known_film(conn, film_key(a.title), a.year), poll.message_id, a.answer_id)
                 for a in poll.answers])

        await self._call(write)

    async def _polls(self, where: str, params: Sequence[Any]) -> list[FilmPoll]:
        rows = await self._rows(f"SELECT {POLL_COLUMNS} FROM film_polls WHERE {where}"  # noqa: S608
                                " ORDER BY created_at, message_id", params)
        polls = []
        for (message_id, guild_id, channel_id, question, by, created, expires, list_name,
             multiple, ended_at, ended_by, winner, outcome) in rows:
            answers = tuple(
                PollAnswer(answer_id, title, year, datetime.fromisoformat(at), entry_id)
                for answer_id, title, year, entry_id, at in await self._rows(
                    "SELECT answer_id, title, year, entry_id, suggested_at FROM"
                    " film_poll_answers WHERE message_id = ? ORDER BY answer_id", (message_id,)))
            polls.append(FilmPoll(
                message_id, guild_id, channel_id, question, by, datetime.fromisoformat(created),
                datetime.fromisoformat(expires), answers, list_name, bool(multiple),
                _time(ended_at), ended_by, winner, outcome))
        return polls

    async def get_film_poll(self, message_id: int) -> FilmPoll | None:
        found = await self._polls("message_id = ?", (message_id,))
        return found[0] if found else None

    async def list_film_polls(self, guild_id: int | None = None, *,
                              open_only: bool = False) -> list[FilmPoll]:
        where, params = ["TRUE"], []
        if guild_id is not None:
            where.append("guild_id = ?")
            params.append(guild_id)
        if open_only:
            where.append("ended_at IS NULL")
        return await self._polls(" AND ".join(where), params)

    async def poll_vote(self, message_id: int, answer_id: int, user_id: int, at: datetime,
                        *, added: bool) -> bool:
        stamp = _ts(at)

        def write(conn: sqlite3.Connection) -> bool:
            if not _open(conn, message_id):
                return False
            if added:
                return conn.execute(
                    "INSERT OR IGNORE INTO film_poll_votes (message_id, answer_id, user_id,"
                    " voted_at) VALUES (?, ?, ?, ?)",
                    (message_id, answer_id, user_id, stamp)).rowcount > 0
            return conn.execute(
                "DELETE FROM film_poll_votes WHERE message_id = ? AND answer_id = ?"
                " AND user_id = ?", (message_id, answer_id, user_id)).rowcount > 0

        return bool(await self._call(write))

    async def set_poll_voters(self, message_id: int, answer_id: int, user_ids: set[int],
                              at: datetime) -> int:
        stamp = _ts(at)

        def write(conn: sqlite3.Connection) -> int:
            if not _open(conn, message_id):
                return 0
            stored = {row[0] for row in conn.execute(
                "SELECT user_id FROM film_poll_votes WHERE message_id = ? AND answer_id = ?",
                (message_id, answer_id))}
            # A member who asked to be forgotten after the poll began may still have a vote
            # on Discord: it is not read back (a vote cast live after that is kept, above).
            forgotten = {row[0] for row in conn.execute(
                "SELECT f.user_id FROM forgotten_members f JOIN film_polls p"
                " ON p.message_id = ? WHERE f.forgotten_at >= p.created_at", (message_id,))}
            gone, new = stored - user_ids, user_ids - stored - forgotten
            conn.executemany("DELETE FROM film_poll_votes WHERE message_id = ? AND answer_id = ?"
                             " AND user_id = ?", [(message_id, answer_id, u) for u in gone])
            conn.executemany("INSERT INTO film_poll_votes (message_id, answer_id, user_id,"
                             " voted_at) VALUES (?, ?, ?, ?)",
                             [(message_id, answer_id, u, stamp) for u in sorted(new)])
            return len(gone) + len(new)

        return int(await self._call(write))

    async def film_poll_votes(self, message_id: int) -> list[tuple[int, int]]:
        return [(a, u) for a, u in await self._rows(
            "SELECT answer_id, user_id FROM film_poll_votes WHERE message_id = ?"
            " ORDER BY answer_id, user_id", (message_id,))]

    async def end_film_poll(self, message_id: int, at: datetime, *, ended_by: int | None,
                            winner: int | None) -> bool:
        stamp = _ts(at)

        def write(conn: sqlite3.Connection) -> bool:
            return conn.execute(
                "UPDATE film_polls SET ended_at = ?, ended_by = ?, winner = ?"
                " WHERE message_id = ? AND ended_at IS NULL",
                (stamp, ended_by, winner, message_id)).rowcount == 1

        return bool(await self._call(write))

    async def set_poll_outcome(self, message_id: int, outcome: str,
                               queued_slug: str | None = None) -> None:
        def write(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE film_polls SET outcome = ?, queued_slug = ? WHERE message_id = ?",
                         (outcome, queued_slug, message_id))

        await self._call(write)

    async def poll_behind(self, guild_id: int, slug: str, before: datetime) -> FilmPoll | None:
        found = await self._polls("guild_id = ? AND queued_slug = ? AND ended_at <= ?",
                                  (guild_id, slug, _ts(before)))
        return found[-1] if found else None

    async def prompt_ratings(self, thread_id: int) -> list[int]:
        return [row[0] for row in await self._rows(
            "SELECT half_stars FROM ratings WHERE thread_id = ? ORDER BY half_stars DESC",
            (thread_id,))]

    async def member_poll_votes(self, user_id: int) -> list[tuple[int, int, str, datetime]]:
        rows = await self._rows(
            "SELECT v.message_id, p.guild_id, a.title, a.year, v.voted_at FROM film_poll_votes v"
            " JOIN film_polls p ON p.message_id = v.message_id JOIN film_poll_answers a"
            " ON a.message_id = v.message_id AND a.answer_id = v.answer_id"
            " WHERE v.user_id = ? ORDER BY v.voted_at", (user_id,))
        return [(m, g, film_label(t, y), datetime.fromisoformat(at)) for m, g, t, y, at in rows]

    async def prompts_without_rating_control(self, guild_ids: Collection[int]) -> list[Prompt]:
        wanted = set(guild_ids)
        rows = await self._rows(
            f"SELECT {self._PROMPT_COLUMNS}"  # noqa: S608
            " FROM prompts p WHERE NOT EXISTS"
            " (SELECT 1 FROM rating_controls r WHERE r.thread_id = p.thread_id)"
            " ORDER BY posted_at DESC, thread_id DESC")
        rows = [row for row in rows if row[1] in wanted]
        return [self._prompt(row) for row in rows]

    async def note_rating_control(self, thread_id: int, outcome: str, at: datetime) -> None:
        stamp = _ts(at)

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO rating_controls (thread_id, checked_at, outcome)"
                " SELECT thread_id, ?, ? FROM prompts WHERE thread_id = ?"
                " ON CONFLICT (thread_id) DO UPDATE SET checked_at = excluded.checked_at,"
                " outcome = excluded.outcome", (stamp, outcome, thread_id))

        await self._call(write)
