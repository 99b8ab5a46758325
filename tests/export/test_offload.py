"""Exports are rendered, compressed and written off the event loop (issue 13, finding 6).

Nothing here measures speed: the tests record which thread did the work, and prove the
loop keeps running *while* a comment renders by making the rendering wait until a task
on the loop has ticked. Rendering on the loop could never see that tick, and would fail
on the (generous) timeout instead of passing slowly.
"""

from __future__ import annotations

import asyncio
import io
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.export import ExportOptions, export_thread, offload
from bot.export import formats as formats_module
from bot.export.archive import export_archive
from bot.export.base import ExportContext
from bot.export.markdown import MarkdownExporter
from bot.export.thread_export import thread_comments, thread_context
from bot.models import Comment
from bot.records.visibility import EVERY_THREAD
from bot.store import Store
from tests import discussion
from tests.export.conftest import EXPORTED_AT

#: A failing test waits this long for a tick that can never come; a passing one does not.
PATIENCE = 20.0


class Recorder(MarkdownExporter):
    """Markdown, noting which thread renders each comment."""

    threads: list[int]

    def __init__(self) -> None:
        self.threads = []

    def comment(self, comment: Comment, context: ExportContext) -> str:
        self.threads.append(threading.get_ident())
        return MarkdownExporter.comment(comment, context)


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    """Exports in md go through a Recorder."""
    made = Recorder()
    monkeypatch.setitem(formats_module.FORMATS, "md", lambda: made)  # type: ignore[arg-type]
    yield made


async def test_a_thread_renders_in_a_worker_thread(filled: Store, tmp_path: Path,
                                                   recorder: Recorder) -> None:
    """Every comment of a thread export is rendered off the event loop's thread."""
    loop_thread = threading.get_ident()
    result = await export_thread(filled, discussion.THREAD, "md", tmp_path / "t.md",
                                 exported_at=EXPORTED_AT)
    # 4 comments shown and Dee's deleted placeholder: 5 entries, each rendered
    assert (result.comments, result.entries) == (4, 5) and len(recorder.threads) == 5
    assert loop_thread not in recorder.threads


async def test_the_file_is_the_one_rendering_on_the_loop_would_write(
        filled: Store, tmp_path: Path) -> None:
    """Off the loop or on it, the exporter writes the same bytes."""
    out = tmp_path / "off.md"
    await export_thread(filled, discussion.THREAD, "md", out, exported_at=EXPORTED_AT)
    prompt = await filled.get_prompt(discussion.THREAD)
    assert prompt is not None
    context = await thread_context(filled, prompt, options=ExportOptions(),
                                   exported_at=EXPORTED_AT)
    on_loop = io.StringIO(newline="")
    exporter = MarkdownExporter()
    await exporter.write(context, thread_comments(filled, context, exporter), on_loop)
    assert out.read_text(encoding="utf-8") == on_loop.getvalue()


async def test_the_loop_keeps_running_while_a_comment_renders(filled: Store,
                                                              tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    """A heartbeat task ticks while each comment is being rendered (counted, not timed)."""
    ticks = 0
    seen_ticks = threading.Event()
    waits: list[bool] = []
    target = 0

    class Waiting(MarkdownExporter):
        def comment(self, comment: Comment, context: ExportContext) -> str:
            nonlocal target
            seen_ticks.clear()
            target = ticks + 3  # three more beats of the loop, during this very render
            waits.append(seen_ticks.wait(PATIENCE))
            return MarkdownExporter.comment(comment, context)

    async def heartbeat() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0)
            ticks += 1
            if target and ticks >= target:
                seen_ticks.set()

    monkeypatch.setitem(formats_module.FORMATS, "md", Waiting)
    beating = asyncio.create_task(heartbeat())
    try:
        result = await export_thread(filled, discussion.THREAD, "md", tmp_path / "w.md",
                                     exported_at=EXPORTED_AT)
    finally:
        beating.cancel()
    assert (result.comments, result.entries) == (4, 5)
    assert waits == [True] * 5, "the loop stood still while a comment rendered"
    assert ticks >= 15


async def test_an_archive_renders_and_deflates_in_a_worker_thread(
        filled: Store, tmp_path: Path, recorder: Recorder,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A server's zip: comments rendered and every write into the zip made off the loop."""
    loop_thread = threading.get_ident()
    writers: list[int] = []
    original = zipfile._ZipWriteFile.write  # type: ignore[attr-defined]

    def spied(self: Any, data: Any) -> int:
        writers.append(threading.get_ident())
        return original(self, data)  # type: ignore[no-any-return]

    monkeypatch.setattr(zipfile._ZipWriteFile, "write", spied)  # type: ignore[attr-defined]
    threads, comments, entries = await export_archive(
        filled, discussion.PROMPT.guild_id, "md", tmp_path / "a.zip", options=ExportOptions(),
        exported_at=EXPORTED_AT, visible=EVERY_THREAD)
    assert (threads, comments, entries) == (2, 18, 20)  # a deleted placeholder in each thread
    assert recorder.threads and loop_thread not in recorder.threads
    assert writers and loop_thread not in writers


async def test_a_failing_render_fails_the_export_and_leaves_no_file(
        filled: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An error in the worker comes back to the caller; the half-written file is removed."""
    class Broken(MarkdownExporter):
        def comment(self, comment: Comment, context: ExportContext) -> str:
            raise ValueError("renderer broke")

    monkeypatch.setitem(formats_module.FORMATS, "md", Broken)
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(ValueError, match="renderer broke"):
        await export_thread(filled, discussion.THREAD, "md", folder / "broken.md",
                            exported_at=EXPORTED_AT)
    assert list(folder.iterdir()) == []


async def test_cancelling_the_export_stops_the_worker(filled: Store,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A cancelled export's worker finishes the batch it holds, then asks for no more."""
    monkeypatch.setattr(offload, "BATCH", 2)
    started, release, finished = threading.Event(), threading.Event(), threading.Event()
    rendered: list[int] = []
    outcome: list[BaseException] = []

    class Slow(MarkdownExporter):
        async def write(self, context: ExportContext, comments: Any, out: Any) -> int:
            try:
                return await super().write(context, comments, out)
            except BaseException as exc:
                outcome.append(exc)
                raise
            finally:
                finished.set()

        def comment(self, comment: Comment, context: ExportContext) -> str:
            started.set()
            release.wait(PATIENCE)
            rendered.append(comment.id)
            return ""

    prompt = await filled.get_prompt(discussion.THREAD)
    assert prompt is not None
    context = await thread_context(filled, prompt, options=ExportOptions(),
                                   exported_at=EXPORTED_AT)
    slow = Slow()
    task = asyncio.create_task(offload.write_off_loop(
        slow, context, thread_comments(filled, context, slow), io.StringIO()))
    assert await asyncio.to_thread(started.wait, PATIENCE)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    release.set()
    assert await asyncio.to_thread(finished.wait, PATIENCE)
    assert len(rendered) == 2  # of 5: the batch it held
    assert [type(e).__name__ for e in outcome] == ["Abandoned"]
