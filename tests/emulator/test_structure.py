"""The emulator's layout holds: resources share the model through its public surface only,
and every method the front door forwards exists on its resource."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.emulator import DiscordEmulator
from bot.emulator.emulator import _Forward

MODULES = sorted((Path(__file__).parents[2] / "bot" / "emulator").glob("*.py"))


def private_reaches(path: Path) -> list[str]:
    """``x._name`` in a module where ``x`` is not ``self`` or ``cls`` (dunders aside)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") \
                and not node.attr.startswith("__") \
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
            found.append(f"{path.name}:{node.lineno} .{node.attr}")
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_module_reaches_into_another_objects_private_attributes(path: Path) -> None:
    """Resources use the model's public surface, never another object's ``_attributes``."""
    assert private_reaches(path) == []


def test_the_check_finds_a_private_reach(tmp_path: Path) -> None:
    """The check above does catch ``emu._messages`` and ``self._emu._pulse()``."""
    sample = tmp_path / "sample.py"
    sample.write_text("def f(self, emu):\n    emu._messages\n    self._emu._pulse()\n"
                      "    self._ok\n")
    assert private_reaches(sample) == ["sample.py:2 ._messages", "sample.py:3 ._pulse"]


async def test_every_forwarded_method_is_its_resources_own() -> None:
    """``emu.say`` and the rest resolve to a bound method of the named resource."""
    emu = DiscordEmulator()
    forwards = {name: f for name, f in vars(DiscordEmulator).items() if isinstance(f, _Forward)}
    assert len(forwards) >= 40
    for name, forward in forwards.items():
        method = getattr(emu, name)
        assert method.__self__ is getattr(emu, forward.resource), name
        assert method.__doc__, f"{name} has no docstring"
    print(f"{len(forwards)} forwarded methods")


async def test_routes_are_unique() -> None:
    """No two resources register the same method and route template."""
    emu = DiscordEmulator()
    keys = [(r.method, r.template) for r in emu.rest.routes]
    assert len(keys) == len(set(keys))
    assert len(keys) >= 60
