"""What every export format shares: the context of a thread, options, atomic files.

An exporter is a small class with a name, a file extension and one coroutine that
writes a thread to a text stream as the comments arrive from the store, so a format
never holds a whole discussion in memory.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import ClassVar, TextIO

from bot.errors import ExportError
from bot.models import Comment, Prompt, utcnow
from bot.store.base import ThreadCounts

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ExportContext:
    """What an exporter knows besides the comments themselves."""

    prompt: Prompt
    counts: ThreadCounts
    thread_name: str | None = None
    guild_name: str | None = None
    exported_at: datetime = field(default_factory=utcnow)
    timezone: tzinfo = UTC


class Exporter(ABC):
    """One output format."""

    name: ClassVar[str]
    extension: ClassVar[str]
    media_type: ClassVar[str]

    @abstractmethod
    async def write(self, context: ExportContext, comments: AsyncIterator[Comment],
                    out: TextIO) -> int:
        """Write the thread to ``out``; return the number of comments written."""


def format_score(score: int) -> str:
    """A signed score: +2, −1 (a real minus sign), 0."""
    if score > 0:
        return f"+{score}"
    if score < 0:
        return f"\u2212{-score}"
    return "0"


def format_time(value: datetime, zone: tzinfo = UTC) -> str:
    """'2026-11-01 20:05 UTC' in the reader's zone."""
    local = value.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or ''}".rstrip()


def format_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)),
             *(f"LPT{i}" for i in range(10))}


def safe_filename(name: str, *, default: str = "thread", limit: int = 80) -> str:
    """A file name made from a thread title: no separators, controls or reserved names."""
    name = unicodedata.normalize("NFC", name)
    name = _UNSAFE.sub("-", name)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cf", "Cc"})
    name = re.sub(r"\s+", " ", name).strip(" .-")[:limit].strip(" .-")
    if not name or name.upper().split(".")[0] in _RESERVED:
        name = f"{default}-{name}" if name else default
    return name


@contextlib.contextmanager
def atomic_text_file(path: Path) -> Iterator[TextIO]:
    """Write to a temporary file beside ``path``, renamed into place only on success."""
    directory = path.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise ExportError(f"cannot write to {directory}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
