"""Every extension loads, and no two commands share a name."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bot.articles import ArticleLibrary
from bot.config import from_env
from bot.store import Store
from cogs.support.client import EXTENSIONS, FilmClub


async def test_all_extensions_load_without_clashes(store: Store, tmp_path: Path) -> None:
    """Loading every cog gives the expected commands, each name once."""
    bot = FilmClub(from_env({"DISCORD_TOKEN": "x" * 30}), store, ArticleLibrary(tmp_path))
    for extension in EXTENSIONS:
        await bot.load_extension(extension)
    names = [c.qualified_name for c in bot.tree.walk_commands()]
    assert [n for n, k in Counter(names).items() if k > 1] == []
    assert {"prompt", "prompt post", "export"} <= set(names)
    for command in bot.tree.get_commands():
        payload = command.to_dict(bot.tree)
        # Context menus (type 2 user, 3 message) have no description.
        assert payload["name"] and len(payload.get("description", "")) <= 100
    await bot.close()
