"""How the bot sets up discord.py and the interpreter for the gateway's hot path."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bot.articles import ArticleLibrary
from bot.config import from_env
from bot.store import Store
from cogs.support.client import FilmClub
from cogs.support.startup import SWITCH_INTERVAL, switch_interval


async def test_the_bot_keeps_no_message_cache(store: Store, tmp_path: Path) -> None:
    """Raw events carry what the store needs; discord.py's cache would only be scanned."""
    bot = FilmClub(from_env({"DISCORD_TOKEN": "x" * 30}), store, ArticleLibrary(tmp_path))
    try:
        assert bot._connection.max_messages is None
        assert list(bot.cached_messages) == []
    finally:
        await bot.close()


def test_switch_interval_is_put_back_even_on_error() -> None:
    before = sys.getswitchinterval()
    with pytest.raises(RuntimeError), switch_interval(SWITCH_INTERVAL):
        assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL)
        raise RuntimeError("the bot stopped")
    assert sys.getswitchinterval() == before
