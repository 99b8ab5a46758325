"""Shared fixtures: a store for every backend the contract suite runs against."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store import SQLiteStore, Store
from tests.filmfake import film_apis  # noqa: F401 - fixture: fake Wikidata and TMDB (issue 18)
from tests.pgserver import postgres_server, postgres_url  # noqa: F401 - fixtures (issue 15)
from tests.webserver import web_server  # noqa: F401 - fixture: pages and feeds on 127.0.0.1

BACKENDS = ["sqlite"]


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """An open, empty store of each backend."""
    if request.param == "sqlite":
        backend: Store = SQLiteStore(tmp_path / "filmclub.db")
    else:  # pragma: no cover - future backends
        raise NotImplementedError(request.param)
    async with backend:
        yield backend
