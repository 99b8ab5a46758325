"""Fixtures for the exporter tests: both fixed discussions in one store, and export helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

import pytest

from bot.export import ExportOptions, export_thread, formats
from bot.store import Store
from tests import discussion, hostile

EXPORTED_AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
GOLDEN = Path(__file__).parents[1] / "golden"
#: Every registered format: each test over formats runs for a new one with no edit.
FORMATS = formats.names()
ALL_OPTIONS = ExportOptions(include_deleted=True, include_revisions=True)
OPTION_SETS = [ExportOptions(), ALL_OPTIONS]


@dataclass(frozen=True)
class Sample:
    """A fixed discussion and how its golden files are exported."""

    name: str
    thread: int
    timezone: tzinfo = UTC
    options: ExportOptions = field(default_factory=ExportOptions)
    names: dict[str, Any] = field(default_factory=dict)


SAMPLES = {
    "discussion": Sample("discussion", discussion.THREAD),
    "hostile": Sample("hostile", hostile.THREAD, hostile.ZONE, ALL_OPTIONS,
                      {"guild_name": "Film Club", "thread_name": "Rashomon, again",
                       "parent_name": "film-talk"}),
}


@pytest.fixture
async def filled(store: Store) -> Store:
    """The store with both discussions in it."""
    await discussion.build(store)
    await hostile.build(store)
    return store


async def export_bytes(store: Store, folder: Path, sample: str, fmt: str,
                       options: ExportOptions | None = None) -> bytes:
    """Export one of the samples (with its golden settings unless ``options``) as bytes."""
    chosen = SAMPLES[sample]
    options = options or chosen.options
    flags = f"{options.include_deleted:d}{options.include_revisions:d}"
    out = folder / f"{sample}-{flags}.{fmt}"
    await export_thread(store, chosen.thread, fmt, out, timezone=chosen.timezone,
                        options=options, exported_at=EXPORTED_AT, **chosen.names)
    return out.read_bytes()
