"""Fixtures for end-to-end tests: an emulator, a server in it, and the running bot."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.emulator import DiscordEmulator
from tests.e2e.harness import TOKEN, RunningBot, World, discord_endpoints_restored, make_world
from tests.e2e.prompting import stop_all
from tests.pgserver import fresh_database


@pytest.fixture
async def emu() -> AsyncIterator[DiscordEmulator]:
    """A fresh emulator; the test fails if the bot sent anything Discord would reject."""
    with discord_endpoints_restored():
        async with DiscordEmulator(token=TOKEN) as emulator:
            yield emulator
            assert emulator.problems == [], emulator.problems


#: FILMCLUB_E2E_BACKEND=postgresql runs the end-to-end tests with the bot on PostgreSQL
#: (issue 15; tests that read the SQLite file themselves do not apply there).
E2E_BACKEND = os.environ.get("FILMCLUB_E2E_BACKEND", "sqlite")
#: The end-to-end tests that touch the store most run on both backends in every run
#: (issue 15): prompt -> capture -> export, moderation, catch-up, the crash test and the
#: property test.
BOTH_BACKENDS = frozenset({"test_discussion", "test_export", "test_moderation",
                           "test_catchup", "test_crash", "test_events_property"})


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run the modules of ``BOTH_BACKENDS`` once with the bot on each backend."""
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    if module in BOTH_BACKENDS and "world" in metafunc.fixturenames:
        metafunc.parametrize("e2e_backend", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def e2e_backend(request: pytest.FixtureRequest) -> str:
    """The store the bot runs on: the parameter where a module runs on both, else
    FILMCLUB_E2E_BACKEND (default SQLite)."""
    return str(getattr(request, "param", E2E_BACKEND))


@pytest.fixture
async def world(emu: DiscordEmulator, tmp_path: Path, e2e_backend: str,
                request: pytest.FixtureRequest) -> AsyncIterator[World]:
    made = await make_world(emu, tmp_path)
    if e2e_backend != "postgresql":
        yield made
        return
    with fresh_database(request.getfixturevalue("postgres_server")) as url:
        made.db_url = url
        yield made


@pytest.fixture
async def running(world: World) -> AsyncIterator[RunningBot]:
    """The bot, started as `filmclub run` starts it, stopped (exit 0) after the test."""
    runner = RunningBot(world)
    await runner.start()
    yield runner
    if runner.task is not None and not runner.task.done():
        assert await runner.stop() == 0


@pytest.fixture
async def stop_prompt_bots(world: World) -> AsyncIterator[None]:
    """Stops every bot a prompt test started, even when it failed midway (before the emulator)."""
    yield
    await stop_all()
