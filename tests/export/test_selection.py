"""A partial export says so: the selection under the heading, and its own empty line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.export import ExportOptions, export_thread
from bot.export.base import describe_selection
from bot.models import ExportRecord
from bot.store import Store
from tests import discussion
from tests.export.conftest import EXPORTED_AT

NOV_1 = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.mark.parametrize(("options", "since", "expected"), [
    (ExportOptions(), None, ""),
    (ExportOptions(include_deleted=True, include_revisions=True), None, ""),
    (ExportOptions(sort="newest"), None, "newest first"),
    (ExportOptions(sort="top", min_score=-1), None, "best score first; score −1 or more"),
    (ExportOptions(after=NOV_1, before=1437000000000000000), None,
     "written after 2026-11-01 00:00 UTC; written before message 1437000000000000000"),
    (ExportOptions(anonymise=True), NOV_1,
     "only what changed since the export of 2026-11-01 00:00 UTC; members anonymised"),
])
def test_selection_is_described_in_words(options: ExportOptions, since: datetime | None,
                                         expected: str) -> None:
    """Each option that leaves comments out or reorders them, in order; none: nothing."""
    assert describe_selection(options, since=since) == expected


HEADINGS = {
    "md": "*Selection: best score first; score +2 or more.*",
    "txt": "Selection: best score first; score +2 or more.",
    "html": '<p class="summary selection">Selection: best score first; score +2 or more.</p>',
}


@pytest.mark.parametrize("fmt", list(HEADINGS))
async def test_partial_export_shows_its_selection(filled: Store, tmp_path: Path,
                                                  fmt: str) -> None:
    """Markdown, text and HTML print the selection under the discussion's heading."""
    out = tmp_path / f"top.{fmt}"
    await export_thread(filled, discussion.THREAD, fmt, out, exported_at=EXPORTED_AT,
                        options=ExportOptions(sort="top", min_score=2))
    assert HEADINGS[fmt] in out.read_text(encoding="utf-8")


EMPTY = {"md": "*No comments in this selection.*", "txt": "No comments in this selection.",
         "html": "No comments in this selection."}


@pytest.mark.parametrize("fmt", list(EMPTY))
async def test_empty_selection_is_not_called_an_empty_thread(filled: Store, tmp_path: Path,
                                                             fmt: str) -> None:
    """Nothing matched: "No comments in this selection", not "No comments yet"."""
    out = tmp_path / f"none.{fmt}"
    await export_thread(filled, discussion.THREAD, fmt, out, exported_at=EXPORTED_AT,
                        options=ExportOptions(min_score=100))
    text = out.read_text(encoding="utf-8")
    assert EMPTY[fmt] in text and "No comments yet" not in text


async def test_json_records_the_options_and_date_range(filled: Store, tmp_path: Path) -> None:
    """JSON: every option under filmclub.options; a window in DiscordChatExporter's dateRange."""
    out = tmp_path / "window.json"
    previous = ExportRecord("k", "thread", discussion.THREAD, "json", 1, NOV_1, 3)
    await export_thread(filled, discussion.THREAD, "json", out, exported_at=EXPORTED_AT,
                        previous=previous,
                        options=ExportOptions(sort="newest", after=NOV_1,
                                              before=discussion.EVE.id, min_score=-5))
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["filmclub"]["options"] == {
        "includeDeleted": False, "includeRevisions": False, "sort": "newest",
        "after": "2026-11-01T00:00:00+00:00", "before": str(discussion.EVE.id),
        "minScore": -5, "anonymised": False, "changedSince": "2026-11-01T00:00:00+00:00"}
    assert document["dateRange"] == {"after": "2026-11-01T00:00:00+00:00",
                                     "before": "2026-11-01T20:05:00+00:00"}
