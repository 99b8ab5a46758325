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


# -- issue 20: the store is the floor; services stand on it, never under it ---------------

STORE = CORE / "store"
RECORDS = CORE / "records"
#: What the store (bot/store/**) may import from filmclub: the records and the constants
#: beside them, errors, config, the time-zone and file helpers (which import only errors),
#: and its own modules. No service (moderation, privacy, schedule, stats, watchlist...).
STORE_MAY_IMPORT = ("bot.models", "bot.records", "bot.errors", "bot.config", "bot.timezones",
                    "bot.files", "bot.store")
#: What the records (bot/records/**) may import: each other, and the same ground floor.
RECORDS_MAY_IMPORT = ("bot.models", "bot.records", "bot.errors", "bot.timezones")


def _allowed(name: str, allowed: tuple[str, ...]) -> bool:
    return name == "bot" or any(name == a or name.startswith(a + ".") for a in allowed)


@pytest.mark.parametrize("path", sorted(STORE.rglob("*.py")),
                         ids=lambda p: p.relative_to(CORE).as_posix())
def test_store_imports_no_service(path: Path) -> None:
    """A store module imports only records, constants, errors, config and the store itself."""
    for name in _imports(path):
        if name.split(".")[0] == "bot":
            assert _allowed(name, STORE_MAY_IMPORT), f"{path.name} imports the service {name}"


@pytest.mark.parametrize("path", sorted(RECORDS.rglob("*.py")),
                         ids=lambda p: p.relative_to(CORE).as_posix())
def test_records_import_no_service_nor_store(path: Path) -> None:
    """A records module imports only other records and the ground-floor helpers."""
    for name in _imports(path):
        if name.split(".")[0] == "bot":
            assert _allowed(name, RECORDS_MAY_IMPORT), f"{path.name} imports {name}"


@pytest.mark.parametrize("allowed", ["bot.timezones", "bot.files", "bot.models", "bot.errors"])
def test_ground_floor_helpers_stand_on_nothing_above(allowed: str) -> None:
    """The helpers the store may use import nothing of filmclub but errors and records."""
    path = CORE / (allowed.removeprefix("bot.") + ".py")
    for name in _imports(path):
        if name.split(".")[0] == "bot":
            assert _allowed(name, ("bot.errors", "bot.records")), f"{path.name} imports {name}"


def test_the_floor_check_names_a_service_import() -> None:
    """The check is not vacuous: services are refused, the floor's own modules allowed."""
    for service in ("bot.stats", "bot.moderation", "bot.privacy", "bot.schedule",
                    "bot.watchlist", "bot.recordsx", "bot.storefront"):
        assert not _allowed(service, STORE_MAY_IMPORT), service
    for floor in ("bot.records.counts", "bot.store.base", "bot.models", "bot.timezones"):
        assert _allowed(floor, STORE_MAY_IMPORT), floor
    assert len(list(STORE.rglob("*.py"))) >= 8 and len(list(RECORDS.rglob("*.py"))) >= 7
