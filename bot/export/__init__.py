"""Exporters: a thread from the store to a file, one class per format."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from bot.errors import ExportError, NotFound
from bot.export.base import (
    ExportContext,
    Exporter,
    ExportOptions,
    atomic_text_file,
    safe_filename,
)
from bot.export.csvtable import CsvExporter
from bot.export.htmlpage import HtmlExporter
from bot.export.jsondoc import JsonExporter
from bot.export.markdown import MarkdownExporter
from bot.export.plaintext import TextExporter
from bot.models import utcnow
from bot.store.base import Store

log = logging.getLogger(__name__)

FORMATS: dict[str, type[Exporter]] = {
    exporter.name: exporter
    for exporter in (MarkdownExporter, JsonExporter, HtmlExporter, CsvExporter, TextExporter)
}


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    comments: int
    size: int


def get_exporter(name: str) -> Exporter:
    try:
        return FORMATS[name]()
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise ExportError(f"unknown export format {name!r} (known: {known})") from None


async def export_thread(
    store: Store,
    thread_id: int,
    fmt: str,
    out: Path,
    *,
    thread_name: str | None = None,
    guild_name: str | None = None,
    parent_name: str | None = None,
    timezone: tzinfo = UTC,
    options: ExportOptions | None = None,
    members: Mapping[int, str] | None = None,
    exported_at: datetime | None = None,
) -> ExportResult:
    """Write one prompt thread to ``out`` (atomically) in format ``fmt``.

    ``members`` names users up front for mentions (authors are learnt as the thread
    streams by); ``exported_at`` defaults to now.
    """
    exporter = get_exporter(fmt)
    prompt = await store.get_prompt(thread_id)
    if prompt is None:
        raise NotFound(f"thread {thread_id} is not a filmclub prompt thread")
    context = ExportContext(
        prompt=prompt,
        counts=await store.thread_counts(thread_id),
        thread_name=thread_name,
        guild_name=guild_name,
        parent_name=parent_name,
        exported_at=exported_at or utcnow(),
        timezone=timezone,
        options=options or ExportOptions(),
        members=members or {},
    )
    if out.is_dir():
        raise ExportError(f"{out} is a folder; give a file name")
    with atomic_text_file(out) as handle:
        count = await exporter.write(context, store.iter_comments(thread_id), handle)
    size = out.stat().st_size
    log.info("exported thread %d as %s to %s (%d comments, %d bytes)",
             thread_id, fmt, out, count, size)
    return ExportResult(out, count, size)


def default_filename(title: str, thread_id: int, fmt: str) -> str:
    return f"{safe_filename(title)}-{thread_id}.{get_exporter(fmt).extension}"


__all__ = ["FORMATS", "ExportContext", "ExportOptions", "ExportResult", "Exporter",
           "default_filename", "export_thread", "get_exporter"]
