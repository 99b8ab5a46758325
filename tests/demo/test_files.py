"""The demo's output folder: nothing replaced unless asked, never anything but a file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.demo.files import DATABASE, OutputError, OutputFolder

NAMES = ["thread.html", "thread.md"]


def test_prepare_creates_a_missing_folder(tmp_path: Path) -> None:
    """A folder that does not exist yet is made, parents included."""
    out = OutputFolder(tmp_path / "a" / "b")
    out.prepare(NAMES)
    assert (tmp_path / "a" / "b").is_dir()


def test_prepare_refuses_a_file_as_the_folder(tmp_path: Path) -> None:
    """--out naming a file is refused, the file untouched."""
    target = tmp_path / "file"
    target.write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match="is not a folder"):
        OutputFolder(target, force=True).prepare(NAMES)
    assert target.read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize("name", [*NAMES, DATABASE, DATABASE + "-wal"])
def test_prepare_refuses_an_existing_file_without_force(tmp_path: Path, name: str) -> None:
    """Any file the demo would write, already there: refused, naming it and --force."""
    (tmp_path / name).write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match=r"already exists; add --force") as caught:
        OutputFolder(tmp_path).prepare(NAMES)
    assert name in str(caught.value)
    assert (tmp_path / name).read_text(encoding="utf-8") == "mine"


def test_prepare_with_force_removes_the_old_database_only(tmp_path: Path) -> None:
    """--force: the old demo database goes (the demo starts afresh); other files stay."""
    for name in (DATABASE, DATABASE + "-wal", "thread.html", "notes.txt"):
        (tmp_path / name).write_text("old", encoding="utf-8")
    OutputFolder(tmp_path, force=True).prepare(NAMES)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "thread.html"]


@pytest.mark.parametrize("kind", ["folder", "link"])
def test_force_never_replaces_what_is_not_a_regular_file(tmp_path: Path, kind: str) -> None:
    """A folder or a symlink where an export goes: refused even with --force."""
    target = tmp_path / "thread.html"
    if kind == "folder":
        target.mkdir()
    else:
        (tmp_path / "elsewhere.html").write_text("mine", encoding="utf-8")
        target.symlink_to(tmp_path / "elsewhere.html")
    with pytest.raises(OutputError, match="not a regular file"):
        OutputFolder(tmp_path, force=True).prepare(NAMES)
    assert target.is_dir() if kind == "folder" else target.is_symlink()


def test_write_refuses_to_replace_without_force(tmp_path: Path) -> None:
    """A file appearing after prepare() is still not replaced; no temporary file is left."""
    out = OutputFolder(tmp_path)
    out.prepare(NAMES)
    (tmp_path / "thread.md").write_text("theirs", encoding="utf-8")
    with pytest.raises(OutputError, match="already exists"):
        out.write("thread.md", b"ours")
    assert (tmp_path / "thread.md").read_text(encoding="utf-8") == "theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thread.md"]


def test_write_with_force_replaces_and_makes_an_ordinary_file(tmp_path: Path) -> None:
    """With --force the file is replaced; it is readable like any file (the umask's mode)."""
    (tmp_path / "thread.md").write_text("old", encoding="utf-8")
    out = OutputFolder(tmp_path, force=True)
    out.prepare(NAMES)
    path = out.write("thread.md", b"new")
    assert path.read_bytes() == b"new"
    mask = os.umask(0o022)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


def test_write_new_takes_the_next_free_name(tmp_path: Path) -> None:
    """Exports asked for in the interactive demo never replace earlier ones."""
    out = OutputFolder(tmp_path)
    first = out.write_new("thread.html", b"1")
    second = out.write_new("thread.html", b"2")
    assert (first.name, second.name) == ("thread.html", "thread-2.html")
    assert first.read_bytes() == b"1" and second.read_bytes() == b"2"
