"""The SQL store's side of issue 18: films, article films, the lookup cache, a film's history.

``FilmSQL`` is mixed into ``SQLStore`` like ``ClubSQL``: writes go through the writer
(``_call``), reads through the reader connection.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from bot.records.films import (
    ArticleFilm,
    FilmHistory,
    FilmPollLine,
    FilmPrompt,
    FilmRecord,
    FilmState,
    film_key,
)
from bot.store.club_sql import ENTRIES, _entry

if TYPE_CHECKING:
    import aiosqlite

FILM_COLUMNS = ("id, title, original_title, year, release_date, directors, runtime, genres,"
                " poster_url, wikidata_id, imdb_id, tmdb_id")


def _ts(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def film_row(row: Sequence[Any]) -> FilmRecord:
    (film_id, title, original, year, released, directors, runtime, genres, poster, wikidata,
     imdb, tmdb) = row
    return FilmRecord(title=title, year=year, original_title=original,
                      release_date=date.fromisoformat(released) if released else None,
                      directors=tuple(json.loads(directors)), runtime=runtime,
                      genres=tuple(json.loads(genres)), poster_url=poster,
                      wikidata_id=wikidata, imdb_id=imdb, tmdb_id=tmdb, id=film_id)


def _find(conn: sqlite3.Connection, film: FilmRecord) -> int | None:
    """The stored row that is ``film``: by an id it shares, else a row of the same title and
    year that has no id which could tell them apart."""
    for column, value in (("wikidata_id", film.wikidata_id), ("imdb_id", film.imdb_id),
                          ("tmdb_id", film.tmdb_id)):
        if value:
            row = conn.execute(f"SELECT id FROM films WHERE {column} = ?",  # noqa: S608
                               (value,)).fetchone()
            if row:
                return int(row[0])
    rows = conn.execute("SELECT id, wikidata_id, imdb_id, tmdb_id FROM films"
                        " WHERE film_key = ? AND year IS ?", (film.key, film.year)).fetchall()
    for film_id, wikidata, imdb, tmdb in rows:
        clash = ((wikidata and film.wikidata_id) or (imdb and film.imdb_id)
                 or (tmdb and film.tmdb_id))
        if not clash:
            return int(film_id)
    return None


def _save(conn: sqlite3.Connection, film: FilmRecord, at: str) -> int:
    found = film.id if film.id is not None else _find(conn, film)
    values = (film.title, film.original_title, film.year,
              film.release_date.isoformat() if film.release_date else None,
              json.dumps(list(film.directors), ensure_ascii=False), film.runtime,
              json.dumps(list(film.genres), ensure_ascii=False), film.poster_url,
              film.wikidata_id, film.imdb_id, film.tmdb_id, film.key)
    if found is None:
        cur = conn.execute(
            "INSERT INTO films (title, original_title, year, release_date, directors, runtime,"
            " genres, poster_url, wikidata_id, imdb_id, tmdb_id, film_key, added_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (*values, at, at))
        film_id = int(cur.fetchone()[0])
    else:
        film_id = found
        conn.execute(
            "UPDATE films SET title = ?, original_title = coalesce(?, original_title),"
            " year = coalesce(?, year), release_date = coalesce(?, release_date),"
            " directors = CASE WHEN ? = '[]' THEN directors ELSE ? END,"
            " runtime = coalesce(?, runtime),"
            " genres = CASE WHEN ? = '[]' THEN genres ELSE ? END,"
            " poster_url = coalesce(?, poster_url), wikidata_id = coalesce(?, wikidata_id),"
            " imdb_id = coalesce(?, imdb_id), tmdb_id = coalesce(?, tmdb_id), film_key = ?,"
            " updated_at = ? WHERE id = ?",
            (values[0], values[1], values[2], values[3], values[4], values[4], values[5],
             values[6], values[6], *values[7:], at, film_id))
    _link(conn, film_id, film.key, film.year)
    return film_id


def _link(conn: sqlite3.Connection, film_id: int, key: str, year: int | None) -> None:
    """Point unlinked watchlist entries and poll answers of this title (and year) at the film.

    An entry without a year is linked only when no other stored film has the title.
    """
    others = conn.execute("SELECT count(*) FROM films WHERE film_key = ? AND id != ?",
                          (key, film_id)).fetchone()[0]
    yearless = "year IS NULL" if not others else "FALSE"
    conn.execute(f"UPDATE watch_entries SET film_id = ? WHERE film_id IS NULL"  # noqa: S608
                 f" AND film_key = ? AND (year IS ? OR {yearless})", (film_id, key, year))
    rows = conn.execute("SELECT message_id, answer_id, title, year FROM film_poll_answers"
                        " WHERE film_id IS NULL").fetchall()
    for message_id, answer_id, title, answer_year in rows:
        if film_key(title) == key and (answer_year == year or (answer_year is None
                                                                and not others)):
            conn.execute("UPDATE film_poll_answers SET film_id = ? WHERE message_id = ?"
                         " AND answer_id = ?", (film_id, message_id, answer_id))


class FilmSQL:
    """Issue 18's methods of the SQLite store (see ``bot.store.film_base.FilmStore``)."""

    if TYPE_CHECKING:
        _call: Callable[[Callable[[sqlite3.Connection], Any]], Awaitable[Any]]

        @property
        def _db(self) -> aiosqlite.Connection: ...

    async def _film_rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        async with self._db.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def save_film(self, film: FilmRecord, at: datetime) -> FilmRecord:
        stamp = _ts(at)
        film_id = int(await self._call(lambda conn: _save(conn, film, stamp)))
        stored = await self.get_film(film_id)
        return stored if stored is not None else replace(film, id=film_id)

    async def get_film(self, film_id: int) -> FilmRecord | None:
        rows = await self._film_rows(f"SELECT {FILM_COLUMNS} FROM films WHERE id = ?",  # noqa: S608
                                     (film_id,))
        return film_row(rows[0]) if rows else None

    async def known_films(self, text: str = "", limit: int = 25) -> list[FilmRecord]:
        needle = f"%{film_key(text)}%" if text.strip() else "%"
        rows = await self._film_rows(
            f"SELECT {FILM_COLUMNS} FROM films WHERE film_key LIKE ?"  # noqa: S608
            " OR lower(coalesce(original_title, '')) LIKE ? ORDER BY title, year LIMIT ?",
            (needle, f"%{text.strip().casefold()}%", limit))
        return [film_row(r) for r in rows]

    async def set_article_film(self, slug: str, state: FilmState, film_id: int | None, *,
                               choices: Sequence[int] = (), by: int | None = None,
                               at: datetime) -> None:
        stamp = _ts(at)

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO article_films (slug, state, film_id, choices, set_by, set_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (slug) DO UPDATE SET"
                " state = excluded.state, film_id = excluded.film_id,"
                " choices = excluded.choices, set_by = excluded.set_by,"
                " set_at = excluded.set_at",
                (slug, state, film_id, json.dumps(list(choices)), by, stamp))
            if film_id is not None and state == "set":  # a moderator's word: every prompt
                conn.execute("UPDATE prompts SET film_id = ? WHERE article_slug = ?",
                             (film_id, slug))
            elif film_id is not None:  # found later: prompts posted without a film get it
                conn.execute("UPDATE prompts SET film_id = ? WHERE article_slug = ?"
                             " AND film_id IS NULL", (film_id, slug))

        await self._call(write)

    async def article_film(self, slug: str) -> ArticleFilm | None:
        rows = await self._film_rows("SELECT state, film_id, choices, set_by FROM article_films"
                                     " WHERE slug = ?", (slug,))
        if not rows:
            return None
        state, film_id, choices, by = rows[0]
        film = await self.get_film(film_id) if film_id is not None else None
        offered = [f for f in [await self.get_film(i) for i in json.loads(choices)] if f]
        return ArticleFilm(slug, state, film, tuple(offered), by)

    async def set_prompt_film(self, thread_id: int, film_id: int | None) -> None:
        def write(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE prompts SET film_id = ? WHERE thread_id = ?",
                         (film_id, thread_id))

        await self._call(write)

    async def prompt_film(self, thread_id: int) -> FilmRecord | None:
        rows = await self._film_rows(
            "SELECT coalesce(p.film_id, a.film_id) FROM prompts p LEFT JOIN article_films a"
            " ON a.slug = p.article_slug WHERE p.thread_id = ?", (thread_id,))
        if not rows or rows[0][0] is None:
            return None
        return await self.get_film(rows[0][0])

    async def guild_films(self, guild_id: int) -> list[FilmRecord]:
        rows = await self._film_rows(
            f"SELECT {FILM_COLUMNS} FROM films WHERE id IN ("  # noqa: S608
            " SELECT film_id FROM prompts WHERE guild_id = ?"
            " UNION SELECT e.film_id FROM watch_entries e JOIN watchlists l ON l.id = e.list_id"
            " WHERE l.guild_id = ?"
            " UNION SELECT a.film_id FROM film_poll_answers a JOIN film_polls p"
            " ON p.message_id = a.message_id WHERE p.guild_id = ?) ORDER BY title, year",
            (guild_id, guild_id, guild_id))
        return [film_row(r) for r in rows]

    async def film_history(self, guild_id: int, film_id: int) -> FilmHistory:
        history = FilmHistory()
        for thread_id, channel_id, title, posted in await self._film_rows(
                "SELECT thread_id, channel_id, json_extract(article, '$.title'), posted_at"
                " FROM prompts WHERE guild_id = ? AND film_id = ? ORDER BY posted_at",
                (guild_id, film_id)):
            history.prompts.append(FilmPrompt(thread_id, channel_id, title,
                                              datetime.fromisoformat(posted)))
        history.ratings = [(t, h) for t, h in await self._film_rows(
            "SELECT r.thread_id, r.half_stars FROM ratings r JOIN prompts p"
            " ON p.thread_id = r.thread_id WHERE p.guild_id = ? AND p.film_id = ?",
            (guild_id, film_id))]
        history.entries = [_entry(r) for r in await self._film_rows(
            f"{ENTRIES} WHERE l.guild_id = ? AND e.film_id = ? ORDER BY e.id",
            (guild_id, film_id))]
        for message_id, channel_id, answer_id, winner, ended, created in await self._film_rows(
                "SELECT p.message_id, p.channel_id, a.answer_id, p.winner, p.ended_at,"
                " p.created_at FROM film_poll_answers a JOIN film_polls p"
                " ON p.message_id = a.message_id WHERE p.guild_id = ? AND a.film_id = ?"
                " ORDER BY p.created_at", (guild_id, film_id)):
            history.polls.append(FilmPollLine(message_id, channel_id, winner == answer_id,
                                              ended is not None,
                                              datetime.fromisoformat(created)))
        return history

    async def cached_lookup(self, query: str) -> tuple[str, datetime] | None:
        rows = await self._film_rows("SELECT answer, fetched_at FROM film_lookups"
                                     " WHERE query = ?", (query,))
        return (rows[0][0], datetime.fromisoformat(rows[0][1])) if rows else None

    async def cache_lookup(self, query: str, answer: str, at: datetime) -> None:
        stamp = _ts(at)

        def write(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT INTO film_lookups (query, answer, fetched_at) VALUES (?, ?, ?)"
                         " ON CONFLICT (query) DO UPDATE SET answer = excluded.answer,"
                         " fetched_at = excluded.fetched_at", (query, answer, stamp))

        await self._call(write)
