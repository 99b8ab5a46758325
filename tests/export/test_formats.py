"""Every registered format: named, writes as the comments arrive, handles no comments."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.export import FORMATS, default_filename, export_thread, get_exporter
from bot.export.base import ExportContext
from bot.models import Comment
from bot.store import Store
from bot.store.base import ThreadCounts
from tests import discussion
from tests.export.conftest import FORMATS as NAMES


@pytest.mark.parametrize("fmt", NAMES)
def test_format_is_registered_under_its_name_and_names_its_files(fmt: str) -> None:
    """FORMATS holds each format under its own name; its files take its extension."""
    assert FORMATS[fmt].name == fmt
    exporter = get_exporter(fmt)
    assert default_filename("Vertigo: the fall", 7, fmt) == (
        f"vertigo-the-fall-7.{exporter.extension}")


@pytest.mark.parametrize("fmt", NAMES)
async def test_empty_thread_exports_a_whole_file(store: Store, tmp_path: Path,
                                                 fmt: str) -> None:
    """A prompt with no comments still gives a complete file, with 0 comments."""
    await store.add_prompt(discussion.PROMPT)
    out = tmp_path / f"empty.{fmt}"
    result = await export_thread(store, discussion.THREAD, fmt, out)
    assert result.comments == 0
    assert result.size == out.stat().st_size > 0


def comment(n: int) -> Comment:
    return Comment(id=1000 + n, thread_id=discussion.THREAD, author_id=n % 3 + 1,
                   author_name=f"Member {n % 3}", content=f"marker-{n}",
                   created_at=discussion.T0 + timedelta(minutes=n),
                   parent_id=1000 + n - 1 if n % 2 else None, depth=n % 2)


@pytest.mark.parametrize("fmt", NAMES)
async def test_each_comment_is_written_before_the_next_is_read(fmt: str) -> None:
    """The exporter streams: comment n is in the output before comment n+1 is asked for."""
    out = io.StringIO()
    seen_before: list[bool] = []

    async def comments() -> AsyncIterator[Comment]:
        for n in range(6):
            if n:
                seen_before.append(f"marker-{n - 1}" in out.getvalue())
            yield comment(n)

    context = ExportContext(prompt=discussion.PROMPT, counts=ThreadCounts(6, 0, 3))
    written = await get_exporter(fmt).write(context, comments(), out)
    assert written == 6
    assert seen_before == [True] * 5
