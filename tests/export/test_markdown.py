"""The Markdown export reads like the discussion."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.errors import ExportError, NotFound
from bot.export import ExportOptions, export_thread
from bot.store import Store
from tests import discussion, hostile

GOLDEN = Path(__file__).parents[1] / "golden" / "discussion.md"


@pytest.fixture
async def filled(store: Store) -> Store:
    await discussion.build(store)
    return store


async def test_markdown_matches_golden_file(filled: Store, tmp_path: Path) -> None:
    """The whole file is exactly the reviewed golden copy (UPDATE_GOLDEN=1 rewrites it)."""
    out = tmp_path / "thread.md"
    result = await export_thread(filled, discussion.THREAD, "md", out)
    text = out.read_text(encoding="utf-8")
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert (result.comments, result.deleted, result.entries) == (4, 1, 5)
    assert text == GOLDEN.read_text(encoding="utf-8")


async def test_markdown_keeps_text_exactly_and_hides_deleted(filled: Store, tmp_path: Path) -> None:
    """Plain text is as written (no entities, no smart quotes); a deleted comment's is gone."""
    out = tmp_path / "thread.md"
    await export_thread(filled, discussion.THREAD, "md", out)
    text = out.read_text(encoding="utf-8")
    assert '"Judy" *perform* & wait. (Edit: and dread.)' in text
    assert "&amp;" not in text and "“" not in text
    assert "Mistake, wrong thread" not in text
    assert "### *comment deleted 2026-11-01 20:07 UTC*" in text


async def test_markdown_nests_replies_and_signs_scores(filled: Store, tmp_path: Path) -> None:
    """Each comment is a heading, replies quoted one level deeper; scores are signed."""
    out = tmp_path / "thread.md"
    await export_thread(filled, discussion.THREAD, "md", out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert "### Ana · 2026-11-01 20:01 UTC · edited 2026-11-01 20:06 UTC · +2" in lines
    assert "> ### Ben · 2026-11-01 20:02 UTC · \u22121" in lines
    assert "> > ### Cy · 2026-11-01 20:03 UTC · 0" in lines
    assert "### Eve · 2026-11-01 20:05 UTC · 0" in lines


async def test_unknown_thread_is_not_found(store: Store, tmp_path: Path) -> None:
    """Exporting a thread that is not a prompt is a one-line NotFound; no file appears."""
    with pytest.raises(NotFound, match="is not a filmclub prompt thread"):
        await export_thread(store, 123, "md", tmp_path / "x.md")
    assert not (tmp_path / "x.md").exists()


async def test_failed_export_leaves_no_file(filled: Store, tmp_path: Path) -> None:
    """An export into a folder that cannot be created fails in one line, leaving nothing."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ExportError, match="cannot write to"):
        await export_thread(filled, discussion.THREAD, "md", blocker / "sub" / "x.md")


async def test_markdown_include_deleted_shows_text_marked_deleted(filled: Store,
                                                                  tmp_path: Path) -> None:
    """With include_deleted the deleted comment's text is back, its line says deleted."""
    out = tmp_path / "thread.md"
    await export_thread(filled, discussion.THREAD, "md", out,
                        options=ExportOptions(include_deleted=True))
    lines = out.read_text(encoding="utf-8").splitlines()
    assert "### Dee · 2026-11-01 20:04 UTC · *deleted 2026-11-01 20:07 UTC* · 0" in lines
    assert "Mistake, wrong thread" in lines


async def test_markdown_include_revisions_lists_earlier_texts(filled: Store,
                                                              tmp_path: Path) -> None:
    """With include_revisions an edited comment lists its earlier text with its times."""
    out = tmp_path / "thread.md"
    await export_thread(filled, discussion.THREAD, "md", out,
                        options=ExportOptions(include_revisions=True))
    text = out.read_text(encoding="utf-8")
    assert ("Earlier versions:\n\n"
            "- *2026-11-01 20:01 UTC, replaced 2026-11-01 20:06 UTC*  \n"
            '  Knowing early is the point: we watch "Judy" *perform* & wait.\n') in text
    assert "Mistake, wrong thread" not in text


async def test_markdown_links_only_web_addresses(store: Store, tmp_path: Path) -> None:
    """An attachment or article address that is not http(s) is shown as text, not linked."""
    await hostile.build(store)
    out = tmp_path / "thread.md"
    await export_thread(store, hostile.THREAD, "md", out)
    text = out.read_text(encoding="utf-8")
    assert "📎 \">\\<svg onload=alert(1)>.png (10 B) javascript:alert('file')\n" in text
    assert "](javascript:" not in text.replace("\\[x\\](javascript:", "")
    assert "**Article:** javascript:alert('article')  \n" in text
