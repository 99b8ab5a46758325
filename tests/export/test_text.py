"""The plain-text export: facts line, text indented by depth, verbatim."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.export import ExportOptions
from bot.export.plaintext import display_width
from bot.store import Store
from tests import hostile
from tests.export.conftest import ALL_OPTIONS, export_bytes


async def lines_of(store: Store, folder: Path, sample: str,
                   options: ExportOptions | None = None) -> list[str]:
    data = await export_bytes(store, folder, sample, "txt", options)
    return data.decode("utf-8").split("\n")


@pytest.mark.parametrize("line", [
    "[2026-11-01 20:01 UTC] Ana (+2, edited 20:06)",
    "  Knowing early is the point: we watch \"Judy\" *perform* & wait. (Edit: and dread.)",
    "  Reactions: 🎬 1",
    "    [2026-11-01 20:02 UTC] Ben (\u22121)",
    "      I disagree.",
    "      The suspense is gone once you know.",
    "        [2026-11-01 20:03 UTC] Cy (0)",
    "          Attachment: tower.png (2.0 KB) https://cdn.example/tower.png",
    "[comment deleted 2026-11-01 20:07 UTC]",
])
async def test_text_lines_are_indented_by_depth(filled: Store, tmp_path: Path,
                                                line: str) -> None:
    """Facts lines indent 4 spaces per level, their text 2 more."""
    assert line in await lines_of(filled, tmp_path, "discussion")


async def test_text_header_has_title_film_url_and_question(filled: Store,
                                                           tmp_path: Path) -> None:
    """The header names the article, the film, the address and the question."""
    lines = await lines_of(filled, tmp_path, "discussion")
    assert lines[:2] == ["Vertigo and the second fall", "=" * 27]
    assert "Film:       Vertigo (1958), dir. Alfred Hitchcock" in lines
    assert "Article:    https://filmclub.example/articles/vertigo" in lines
    assert "Question:   Does knowing early make the last act more suspenseful?" in lines


async def test_text_keeps_member_text_verbatim(filled: Store, tmp_path: Path) -> None:
    """The long message, markup and invisible characters come through unchanged."""
    text = (await export_bytes(filled, tmp_path, "hostile", "txt")).decode("utf-8")
    for sample in (hostile.LONG, hostile.SCRIPTS, hostile.INVISIBLE, hostile.FORMULA):
        assert f"  {sample}\n" in text


async def test_text_lists_revisions_when_asked(filled: Store, tmp_path: Path) -> None:
    """include_revisions lists each earlier text, indented under its line of times."""
    lines = await lines_of(filled, tmp_path, "hostile", ALL_OPTIONS)
    start = lines.index("              Earlier text, written 2026-11-08 20:35 CET,"
                        " replaced 20:50:")
    assert lines[start + 1] == "                  =1+1"


@pytest.mark.parametrize(("text", "width"), [
    ("Vertigo", 7), ("七人の侍", 8), ("Cafe\u0301", 4), ("a\u200bb", 2),
])
def test_display_width_counts_terminal_columns(text: str, width: int) -> None:
    """Wide characters take two columns, combining and format characters none."""
    assert display_width(text) == width
