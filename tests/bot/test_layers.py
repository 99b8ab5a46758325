"""The layers, one direction of imports: every module of bot/ and cogs/ is checked.

- The core (bot/, services included) imports no discord, no cogs, no emulator: the
  CLI, tests and other adapters (Slack next) reuse it.
- The entry point (bot/cli.py) may start the Discord adapter, lazily (inside a
  function), through ``cogs.support.startup``; the demo (bot/demo/) drives the
  emulator and the real bot together, through the adapter's client and start-up.
- bot/emulator/ (the local Discord of the tests and of `filmclub demo`) stands alone:
  it speaks Discord's wire protocol over aiohttp and knows nothing of filmclub.
- The store stands under the services: it takes its records from the records, never
  from a service.
- No import circle among the project's modules, counting every import: at the top,
  inside functions and under ``TYPE_CHECKING``.
- cogs/*.py are extensions, each one loaded by the Bot; their helpers are cogs/support/.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
CORE = ROOT / "bot"
COGS = ROOT / "cogs"
EMULATOR = CORE / "emulator"
SERVICES = CORE / "services"
STORE = CORE / "store"
ENTRY_POINTS = {"cli.py"}  # may start the adapter (lazily), never import discord itself
DEMO = "demo"  # bot/demo/: drives the emulator and the real bot together
#: What of the Discord adapter the entry points and the demo may import.
ADAPTER_ENTRIES = ("cogs.support.startup", "cogs.support.client")

#: Feature modules of bot/ that hold logic (services), beside bot/services/. The store
#: must not import them: records and the constants the store needs belong with the
#: records (bot.models and its kind), under the services.
SERVICE_MODULES = frozenset({
    "bot.moderation", "bot.schedule", "bot.stats", "bot.polls", "bot.ratings", "bot.settings",
    "bot.watchlist", "bot.catchup", "bot.feeds", "bot.articles", "bot.spoilers",
})


# -- reading the imports ----------------------------------------------------------------------


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


ALL_PATHS = sorted([*CORE.rglob("*.py"), *COGS.rglob("*.py")])
MODULES = {_module_name(p): p for p in ALL_PATHS}


def _imports(path: Path, *, top_level_only: bool = False) -> tuple[str, ...]:
    """Every module the file imports (each file read once): see ``_find_imports``."""
    return _read_imports(path, top_level_only)


@functools.cache
def _read_imports(path: Path, top_level_only: bool) -> tuple[str, ...]:
    return tuple(_find_imports(path, top_level_only=top_level_only))


def _find_imports(path: Path, *, top_level_only: bool = False) -> Iterator[str]:
    """Every module the file imports, relative imports resolved; ``from X import Y``
    names X.Y when that is a module of the project. Imports inside functions and under
    ``if TYPE_CHECKING:`` count, unless ``top_level_only`` (then: run when imported)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    name = _module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    nodes = _top_level(tree) if top_level_only else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            for alias in node.names:
                full = f"{module}.{alias.name}"
                yield full if full in MODULES else module


def _top_level(tree: ast.Module) -> Iterator[ast.AST]:
    """The statements that run on import: not in functions, not under TYPE_CHECKING."""
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _is_demo(path: Path) -> bool:
    return path.relative_to(CORE).parts[0] in {f"{DEMO}.py", DEMO}


CORE_PATHS = sorted(p for p in CORE.rglob("*.py") if EMULATOR not in p.parents)
EMULATOR_PATHS = sorted(EMULATOR.rglob("*.py"))
COG_PATHS = sorted(COGS.rglob("*.py"))


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


# -- the core ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", CORE_PATHS, ids=_rel)
def test_core_module_does_not_import_discord(path: Path) -> None:
    """No discord, no emulator (but in the demo), and of the cogs only the adapter's start-up,
    lazily from the entry point or from the demo, in this module of bot/."""
    entry = path.relative_to(CORE).as_posix() in ENTRY_POINTS
    demo = _is_demo(path)
    eager = set(_imports(path, top_level_only=True))
    for name in _imports(path):
        top = name.split(".")[0]
        assert top != "discord", f"{_rel(path)} imports {name}"
        if not demo:
            assert not name.startswith("bot.emulator"), f"{_rel(path)} imports the emulator"
        if top == "cogs":
            assert entry or demo, f"{_rel(path)} imports the Discord adapter ({name})"
            assert name in ADAPTER_ENTRIES, f"{_rel(path)} imports {name}, not the start-up"
            assert demo or name not in eager, f"{_rel(path)} imports {name} when imported"


@pytest.mark.parametrize("path", EMULATOR_PATHS, ids=_rel)
def test_emulator_module_stands_alone(path: Path) -> None:
    """The emulator imports only itself and libraries: no discord, no cogs, no filmclub core."""
    for name in _imports(path):
        top = name.split(".")[0]
        assert top not in {"discord", "cogs", "tests"}, f"{path.name} imports {name}"
        if top == "bot":
            assert name.startswith("bot.emulator"), f"{path.name} imports the core ({name})"


def test_every_module_of_bot_is_checked() -> None:
    """Each module of bot/ is in the core's list or the emulator's: none is exempt."""
    assert {*CORE_PATHS, *EMULATOR_PATHS} == set(CORE.rglob("*.py"))
    assert len(CORE_PATHS) > 20
    assert {p.name for p in EMULATOR_PATHS} >= {"emulator.py", "rest.py", "gateway.py"}
    assert {p.name for p in SERVICES.glob("*.py")} >= {
        "audit.py", "scheduler.py", "timers.py", "hiding.py", "catchup_runs.py"}


# -- the store under the services -------------------------------------------------------------


def _is_service(name: str) -> bool:
    return name in SERVICE_MODULES or name == "bot.services" or name.startswith("bot.services.")


def _store_on_services() -> set[tuple[str, str]]:
    return {(_module_name(path), name) for path in STORE.rglob("*.py")
            for name in _imports(path) if _is_service(name)}


def test_store_does_not_import_services() -> None:
    """The store takes its records from the records: no service under it."""
    found = sorted(_store_on_services())
    assert not found, f"the store imports services: {found}"


#: The store's implementation modules: the backends and the roles of their shared logic.
STORE_IMPLEMENTATIONS = (
    "bot.store.sqlite", "bot.store.postgres", "bot.store.pg_", "bot.store.sql_store",
    "bot.store.sql_values", "bot.store.writer", "bot.store.events_sql", "bot.store.library_sql",
    "bot.store.moderation_sql", "bot.store.reports_sql", "bot.store.club_sql",
    "bot.store.charts_sql", "bot.store.film_sql", "bot.store.settings_sql",
    "bot.store.audit_sql", "bot.store.counts_sql", "bot.store.member_data_sql")


def test_services_stand_on_the_core_only() -> None:
    """bot/services/ imports no store implementation: the Store interface and records only."""
    for path in SERVICES.rglob("*.py"):
        for name in _imports(path):
            assert not name.startswith(STORE_IMPLEMENTATIONS), f"{_rel(path)}: {name}"


# -- no circles -------------------------------------------------------------------------------


def _graph() -> dict[str, set[str]]:
    """Who imports whom among bot/ and cogs/, every import counted."""
    graph = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for imported in _imports(path):
            if imported in MODULES and imported != name:
                graph[name].add(imported)
    return graph


def _circles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected groups of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(frozenset(group))
    return found


def test_circle_finder_finds_a_circle() -> None:
    """The finder sees a circle of three and nothing in a line (so the test below can fail)."""
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        frozenset({"a", "b", "c"})]
    assert _circles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_no_import_circle() -> None:
    """No two project modules import each other, however indirectly."""
    circles = [sorted(c) for c in _circles(_graph())]
    assert not circles, f"import circles: {circles}"


# -- the Discord adapter ----------------------------------------------------------------------


@pytest.mark.parametrize("path", COG_PATHS, ids=_rel)
def test_cog_module_reaches_the_core_not_the_emulator(path: Path) -> None:
    """The adapter imports the core and discord.py, never the emulator or the tests."""
    for name in _imports(path):
        assert not name.startswith(("bot.emulator", "tests")), f"{_rel(path)} imports {name}"


def test_cogs_are_extensions_and_support_is_not() -> None:
    """Each cogs/*.py is an extension the Bot loads (a ``setup``); cogs/support/ has none."""
    from cogs.support.client import EXTENSIONS

    extensions = {_module_name(p) for p in COGS.glob("*.py") if p.name != "__init__.py"}
    assert extensions == set(EXTENSIONS)
    for path in COGS.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        has_setup = any(isinstance(n, ast.AsyncFunctionDef) and n.name == "setup"
                        for n in tree.body)
        assert has_setup == (path.parent == COGS and path.name != "__init__.py"), _rel(path)


def test_demo_command_module_is_light() -> None:
    """bot/demo/__init__.py, which the CLI imports to list its commands, loads no discord.py:
    the demo's session, its shell and the emulator are imported only when the demo runs."""
    heavy = ("discord", "cogs", "bot.emulator", "bot.demo.session", "bot.demo.repl",
             "bot.demo.runner")
    path = CORE / DEMO / "__init__.py"
    at_import_time = list(_imports(path, top_level_only=True))
    assert not [n for n in at_import_time if n.startswith(heavy)], at_import_time
    anywhere = [n for n in _imports(path) if n.startswith(heavy)]
    assert anywhere == ["bot.demo.runner"]  # inside main(), once the demo runs


# -- issue 20: the store is the floor; services stand on it, never under it ---------------

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
    for service in ("bot.stats", "bot.moderation", "bot.settings", "bot.schedule",
                    "bot.watchlist", "bot.recordsx", "bot.storefront"):
        assert not _allowed(service, STORE_MAY_IMPORT), service
    for floor in ("bot.records.counts", "bot.store.base", "bot.models", "bot.timezones"):
        assert _allowed(floor, STORE_MAY_IMPORT), floor
    assert len(list(STORE.rglob("*.py"))) >= 8 and len(list(RECORDS.rglob("*.py"))) >= 7
