"""The core under bot/ imports no discord: the CLI, tests and other adapters reuse it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).parents[2] / "bot"
WIRING = {"client.py"}  # the Bot class: the one module of bot/ that is Discord wiring
ENTRY_POINTS = {"cli.py"}  # may start the wiring (lazily), never import discord itself


@pytest.mark.parametrize("path", sorted(
    p for p in CORE.rglob("*.py") if p.relative_to(CORE).as_posix() not in WIRING
), ids=lambda p: p.relative_to(CORE).as_posix())
def test_core_module_does_not_import_discord(path: Path) -> None:
    """No import of discord (or discord.*) in this core module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            assert name.split(".")[0] != "discord", f"{path.name} imports {name}"
            assert name.split(".")[0] != "cogs", f"{path.name} imports the cogs ({name})"
            if path.name not in ENTRY_POINTS:
                assert name != "bot.client", f"{path.name} imports the wiring ({name})"
