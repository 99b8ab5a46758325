"""Shared fixtures: a store for every backend the contract suite runs against."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store import SQLiteStore, Store
from tests.filmfake import film_apis  # noqa: F401 - fixture: fake Wikidata and TMDB (issue 18)
from tests.pgserver import (  # noqa: F401 - fixtures (issue 15)
    fresh_database,
    postgres_server,
    postgres_url,
)
from tests.webserver import web_server  # noqa: F401 - fixture: pages and feeds on 127.0.0.1

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """An open, empty store of each backend."""
    if request.param == "sqlite":
        backend: Store = SQLiteStore(tmp_path / "filmclub.db")
        async with backend:
            yield backend
        return
    # PostgreSQL (issue 15): a database of its own on the session's throw-away server.
    from bot.store.postgres import PostgresStore

    with fresh_database(request.getfixturevalue("postgres_server")) as url:
        async with PostgresStore(url) as backend:
            yield backend
