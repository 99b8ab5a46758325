"""Fitting an export under an attachment limit: as is, gzipped, or split into parts.

Discord refuses a file over the channel's limit (``interaction.filesize_limit``). A file
under it goes as is; a bigger one is gzipped (text compresses about ten to one); if the
gzip is still too big, it is cut into numbered parts, each under the limit, that join
back with ``cat`` (or ``copy /b`` on Windows). A zip archive is compressed already, so
it skips the gzip step. Past ``max_parts`` parts the export is refused with one line
saying how big it is and what to do instead: never a silent failure.

Everything streams through fixed-size buffers: packing a 1 GB export needs no more
memory than packing a small one.
"""

from __future__ import annotations

import gzip
import logging
import math
import shutil
from dataclasses import dataclass
from pathlib import Path

from bot.errors import ExportError
from bot.export.base import format_size

log = logging.getLogger(__name__)

#: Parts sent for one export at most (each is one message); beyond it, use the CLI.
MAX_PARTS = 10

_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Package:
    """The files to send for one export, and what was done to fit them."""

    files: tuple[Path, ...]
    size: int  # of the export as written
    limit: int
    gzipped: bool = False
    packed_size: int = 0  # of the gzip (or the file) that was split; 0 when neither

    @property
    def parts(self) -> int:
        return len(self.files) if self.split else 0

    @property
    def split(self) -> bool:
        return len(self.files) > 1

    def note(self) -> str:
        """What a reader needs to know to open it; empty when the file went as is."""
        if not self.gzipped and not self.split:
            return ""
        over = (f"The file is {format_size(self.size)}, over the "
                f"{format_size(self.limit)} attachment limit here")
        if not self.split:
            return f"{over}, so it is gzipped ({format_size(self.files[0].stat().st_size)})."
        whole = self.files[0].name.rsplit(".", 1)[0]
        how = "gzipped, it is still" if self.gzipped else "it is"
        return (f"{over}: {how} {format_size(self.packed_size)}, so it comes in "
                f"{len(self.files)} parts. Join them in order: `cat {whole}.0?? > {whole}` "
                f"(Windows: `copy /b {whole}.001+{whole}.002+… {whole}`)"
                + (", then gunzip it." if self.gzipped else "."))


def pack(path: Path, limit: int, *, max_parts: int = MAX_PARTS) -> Package:
    """Files beside ``path`` that each fit under ``limit`` bytes and together make it."""
    size = path.stat().st_size
    if size <= limit:
        return Package((path,), size, limit)
    source, gzipped = path, False
    if path.suffix != ".zip":
        source, gzipped = gzip_file(path), True
        if source.stat().st_size <= limit:
            log.info("packed %s: %d bytes gzipped to %d", path.name, size, source.stat().st_size)
            return Package((source,), size, limit, gzipped=True)
    packed = source.stat().st_size
    count = math.ceil(packed / limit)
    if count > max_parts:
        raise ExportError(
            f"The export is {format_size(size)}"
            + (f" ({format_size(packed)} gzipped)" if gzipped else "")
            + f", more than {max_parts} parts of {format_size(limit)}: too big to send here."
            " Narrow it (after, before, min_score) or run `filmclub export` on the server."
        )
    files = split_file(source, limit)
    log.info("packed %s: %d bytes in %d parts", path.name, size, len(files))
    return Package(tuple(files), size, limit, gzipped=gzipped, packed_size=packed)


def gzip_file(path: Path) -> Path:
    """``path`` gzipped beside it as ``<name>.gz`` (streamed; the original stays)."""
    target = path.with_name(path.name + ".gz")
    with (path.open("rb") as src, target.open("wb") as raw,
          gzip.GzipFile(filename=path.name, mode="wb", fileobj=raw, mtime=0) as dst):
        shutil.copyfileobj(src, dst, _CHUNK)
    return target


def split_file(path: Path, limit: int) -> list[Path]:
    """``path`` cut into ``<name>.001``, ``<name>.002``... of at most ``limit`` bytes."""
    files: list[Path] = []
    with path.open("rb") as src:
        while True:
            part = path.with_name(f"{path.name}.{len(files) + 1:03d}")
            written = 0
            with part.open("wb") as dst:
                while written < limit and (chunk := src.read(min(_CHUNK, limit - written))):
                    dst.write(chunk)
                    written += len(chunk)
            if not written:
                part.unlink()
                break
            files.append(part)
    return files
