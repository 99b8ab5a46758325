"""Migration 16 (issue 18): a database of schema 10 with watchlists, polls and prompts keeps
every row, and its films link to records once they are known."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from bot.films import FilmRecord
from bot.store import SQLiteStore
from bot.store.migrations import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION, _statements

AT = "2026-01-01T00:00:00.000000+00:00"


def schema_10(path: Path) -> None:
    with sqlite3.connect(path, isolation_level=None) as db:
        for script in MIGRATIONS[:10]:
            for statement in _statements(script):
                db.execute(statement)
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute("PRAGMA user_version = 10")
        db.execute("INSERT INTO watchlists (id, guild_id, name, name_key, created_at)"
                   " VALUES (1, 5, 'Watchlist', 'watchlist', ?)", (AT,))
        db.execute("INSERT INTO watch_entries (list_id, title, year, film_key, suggested_by,"
                   " suggested_by_name, suggested_at) VALUES (1, 'Her', 2013, 'her', 7, 'Ana', ?)",
                   (AT,))
        db.execute("INSERT INTO film_polls (message_id, guild_id, channel_id, question,"
                   " created_by, created_at, expires_at) VALUES (9, 5, 6, 'Next?', 7, ?, ?)",
                   (AT, AT))
        db.execute("INSERT INTO film_poll_answers (message_id, answer_id, title, year,"
                   " suggested_at) VALUES (9, 1, 'Her', 2013, ?)", (AT,))


async def test_rows_survive_and_link_once_the_film_is_known(tmp_path: Path) -> None:
    """After the upgrade the entry and the poll answer are there, unlinked; saving the film
    links both."""
    path = tmp_path / "old.db"
    schema_10(path)
    async with SQLiteStore(path) as store:
        (entry,) = await store.watch_entries(5)
        assert (entry.title, entry.year) == ("Her", 2013)
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
            assert db.execute("SELECT film_id FROM watch_entries").fetchall() == [(None,)]
        her = await store.save_film(FilmRecord("Her", 2013, wikidata_id="Q90001"),
                                    datetime(2026, 2, 1, tzinfo=UTC))
        history = await store.film_history(5, her.id or 0)
    assert [e.id for e in history.entries] == [entry.id]
    assert len(history.polls) == 1
