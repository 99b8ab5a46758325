"""Fitting an export under an attachment limit: as is, gzipped, or in parts that join back."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import pytest

from bot.errors import ExportError
from bot.export.packing import MAX_PARTS, pack

TEXT = ("The bell tower, the staircase, the fall. " * 400).encode()


def noise(size: int) -> bytes:
    """Bytes that do not compress."""
    return random.Random(size).randbytes(size)


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def test_a_file_under_the_limit_goes_as_is(tmp_path: Path) -> None:
    """Nothing to do, nothing to say."""
    path = write(tmp_path, "t.md", TEXT)
    package = pack(path, len(TEXT))
    assert package.files == (path,) and package.note() == ""


def test_a_big_text_is_gzipped_when_that_fits(tmp_path: Path) -> None:
    """Over the limit, under it gzipped: one .gz that unpacks to the file, and a note."""
    path = write(tmp_path, "t.md", TEXT)
    package = pack(path, len(TEXT) // 4)
    (packed,) = package.files
    assert packed.name == "t.md.gz" and gzip.decompress(packed.read_bytes()) == TEXT
    assert package.gzipped and "so it is gzipped" in package.note()


def test_a_gzip_still_too_big_is_split_into_parts_that_join(tmp_path: Path) -> None:
    """Parts of at most the limit, numbered .001, .002...; joined and gunzipped: the file."""
    data = TEXT + noise(5000)
    path = write(tmp_path, "t.json", data)
    package = pack(path, 1500)
    names = [f.name for f in package.files]
    assert names == [f"t.json.gz.{n:03d}" for n in range(1, len(names) + 1)]
    assert len(names) > 1 and all(f.stat().st_size <= 1500 for f in package.files)
    assert gzip.decompress(b"".join(f.read_bytes() for f in package.files)) == data
    note = package.note()
    assert f"comes in {len(names)} parts" in note and "`cat t.json.gz.0?? > t.json.gz`" in note
    assert note.endswith("then gunzip it.")


def test_a_zip_is_split_without_gzip(tmp_path: Path) -> None:
    """An archive is compressed already: it is split as it is."""
    data = noise(2500)
    path = write(tmp_path, "server.zip", data)
    package = pack(path, 1000)
    assert [f.name for f in package.files] == ["server.zip.001", "server.zip.002",
                                               "server.zip.003"]
    assert not package.gzipped
    assert b"".join(f.read_bytes() for f in package.files) == data


def test_a_part_is_exactly_the_limit_at_most(tmp_path: Path) -> None:
    """A file of exactly two limits is two full parts, no empty third."""
    path = write(tmp_path, "server.zip", noise(2000))
    assert [f.stat().st_size for f in pack(path, 1000).files] == [1000, 1000]


@pytest.mark.parametrize("name", ["t.md", "server.zip"])
def test_too_many_parts_is_refused_in_one_line(tmp_path: Path, name: str) -> None:
    """More than MAX_PARTS parts: ExportError saying how big and what to do instead."""
    path = write(tmp_path, name, noise(MAX_PARTS * 100 + 500))
    with pytest.raises(ExportError, match="too big to send here") as caught:
        pack(path, 100)
    assert "\n" not in str(caught.value) and "filmclub export" in str(caught.value)
