"""The core under bot/ imports no discord: the CLI, tests and other adapters reuse it.

bot/emulator/ (the local Discord of the tests and of `filmclub demo`) sits beside the core,
not in it: it speaks Discord's wire protocol over aiohttp and knows nothing of filmclub.
The core never imports it; it imports neither the core, nor the cogs, nor discord.
Only the entry points that start a demo (bot/cli.py, bot/demo*) may bring the two together.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

CORE = Path(__file__).parents[2] / "bot"
EMULATOR = CORE / "emulator"
WIRING = {"client.py"}  # the Bot class: the one module of bot/ that is Discord wiring
ENTRY_POINTS = {"cli.py"}  # may start the wiring (lazily), never import discord itself
DEMO = "demo"  # bot/demo.py or bot/demo/: drives the emulator and the real bot together


def _imports(path: Path) -> Iterator[str]:
    """Every module name the file imports (relative imports resolved inside bot/)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = [*path.relative_to(CORE.parent).parent.parts]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                yield ".".join([*base, *([node.module] if node.module else [])])
            elif node.module:
                yield node.module


def _is_demo(path: Path) -> bool:
    first = path.relative_to(CORE).parts[0]
    return first in {f"{DEMO}.py", DEMO}


CORE_MODULES = sorted(
    p for p in CORE.rglob("*.py")
    if p.relative_to(CORE).as_posix() not in WIRING
    and EMULATOR not in p.parents
    and not _is_demo(p)
)
EMULATOR_MODULES = sorted(EMULATOR.rglob("*.py"))


@pytest.mark.parametrize("path", CORE_MODULES, ids=lambda p: p.relative_to(CORE).as_posix())
def test_core_module_does_not_import_discord(path: Path) -> None:
    """No import of discord (or discord.*), the cogs or the emulator in this core module."""
    for name in _imports(path):
        assert name.split(".")[0] != "discord", f"{path.name} imports {name}"
        assert name.split(".")[0] != "cogs", f"{path.name} imports the cogs ({name})"
        assert not name.startswith("bot.emulator"), f"{path.name} imports the emulator ({name})"
        if path.name not in ENTRY_POINTS:
            assert name != "bot.client", f"{path.name} imports the wiring ({name})"


@pytest.mark.parametrize("path", EMULATOR_MODULES, ids=lambda p: p.relative_to(CORE).as_posix())
def test_emulator_module_stands_alone(path: Path) -> None:
    """The emulator imports only itself and libraries: no discord, no cogs, no filmclub core."""
    for name in _imports(path):
        top = name.split(".")[0]
        assert top not in {"discord", "cogs", "tests"}, f"{path.name} imports {name}"
        if top == "bot":
            assert name.startswith("bot.emulator"), f"{path.name} imports the core ({name})"


def test_layer_lists_are_not_empty() -> None:
    """Both parametrised lists found their modules (a moved folder would empty one silently)."""
    assert len(CORE_MODULES) > 20
    assert {p.name for p in EMULATOR_MODULES} >= {"emulator.py", "rest.py", "gateway.py"}


def test_demo_command_module_is_light() -> None:
    """bot/demo/__init__.py, which the CLI imports to list its commands, loads no discord.py:
    the demo's session, its shell and the emulator are imported only when the demo runs."""
    heavy = ("discord", "bot.client", "bot.emulator", "bot.demo.session", "bot.demo.repl",
             "bot.demo.runner", "cogs")
    path = CORE / DEMO / "__init__.py"
    body = ast.parse(path.read_text(encoding="utf-8")).body
    at_import_time = [node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
                      for node in body if isinstance(node, ast.Import | ast.ImportFrom)]
    assert not [n for n in at_import_time if n and n.startswith(heavy)], at_import_time
    anywhere = [n for n in _imports(path) if n.startswith(heavy)]
    assert anywhere == ["bot.demo.runner"]  # inside main(), once the demo runs
