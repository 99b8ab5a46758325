"""Issue 14: the command line never destroys what the user has.

Every check runs the installed ``filmclub`` command as a user does: an existing file is
replaced only with --force, a link, FIFO or device never; no folder is made; ``--out -``
streams; default names are shell-friendly and files get the user's umask; commands that
only read create no database; ``db backup`` leaves no temporary file behind.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bot.export.base import file_slug
from bot.models import Article
from bot.store import SQLiteStore
from tests import discussion, hostile
from tests.clirun import (
    GUILD,
    ROOT,
    break_table,
    clean_env,
    command,
    filmclub,
    one_line,
    sample_database,
)
from tests.discussion import say

THREAD = str(discussion.THREAD)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    """Both sample discussions, in a server with a real-looking id."""
    return sample_database(tmp_path / "filmclub.db", discussion, hostile)


def export(database: Path, *args: str, umask: int | None = None
           ) -> subprocess.CompletedProcess[str]:
    return filmclub("export", *args, cwd=database.parent, umask=umask,
                    FILMCLUB_DB=str(database))


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# -- --out: an existing file, a link, a FIFO, a device, a missing folder ---------------


def test_existing_file_is_refused_without_force(database: Path, tmp_path: Path) -> None:
    """--out naming an existing file: one line, status 2, the file as it was, no temporary."""
    mine = tmp_path / "notes.md"
    mine.write_text("my notes, not an export\n")
    before = listing(tmp_path)
    result = export(database, "--thread", THREAD, "--out", "notes.md")
    assert result.returncode == 2 and result.stdout == ""
    assert one_line(result) == "filmclub: notes.md already exists; give --force to replace it"
    assert mine.read_text() == "my notes, not an export\n"
    assert listing(tmp_path) == before


def test_force_replaces_a_regular_file_and_keeps_its_mode(database: Path,
                                                          tmp_path: Path) -> None:
    """--force replaces a regular file with the export; the file keeps the mode it had."""
    old = tmp_path / "thread.md"
    old.write_text("last week's export\n")
    old.chmod(0o640)
    result = export(database, "--thread", THREAD, "--out", "thread.md", "--force")
    assert result.returncode == 0, result.stderr
    assert old.read_text(encoding="utf-8").startswith("# Vertigo and the second fall\n")
    assert stat.S_IMODE(old.stat().st_mode) == 0o640


def test_symlink_is_never_replaced_even_with_force(database: Path, tmp_path: Path) -> None:
    """A symbolic link at --out stays a link, and what it points to is untouched."""
    target = tmp_path / "precious.txt"
    target.write_text("keep me\n")
    link = tmp_path / "export.md"
    link.symlink_to(target)
    for extra in ((), ("--force",)):
        result = export(database, "--thread", THREAD, "--out", "export.md", *extra)
        assert result.returncode == 2
        assert one_line(result) == ("filmclub: export.md is a symbolic link; not replacing it")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "keep me\n"


def test_fifo_is_never_replaced_even_with_force(database: Path, tmp_path: Path) -> None:
    """A FIFO at --out stays a FIFO (and nothing blocks writing to it)."""
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    result = export(database, "--thread", THREAD, "--out", "pipe.md", "--force")
    assert result.returncode == 2
    assert one_line(result) == "filmclub: pipe.md is a FIFO (named pipe); not replacing it"
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_device_is_never_replaced_even_with_force(database: Path, tmp_path: Path) -> None:
    """A device node (made here, like /dev/null) stays a device: as root too."""
    device = tmp_path / "null.md"
    os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    result = export(database, "--thread", THREAD, "--out", "null.md", "--force")
    assert result.returncode == 2
    assert one_line(result) == "filmclub: null.md is a device; not replacing it"
    found = device.lstat()
    assert stat.S_ISCHR(found.st_mode) and found.st_rdev == os.makedev(1, 3)


@pytest.mark.parametrize("out", ["no/such/dir/x.md", "no/", "no/such/"])
def test_missing_folders_are_not_created(database: Path, tmp_path: Path, out: str) -> None:
    """--out in a folder that does not exist: one line naming it, status 2, nothing made."""
    result = export(database, "--thread", THREAD, "--out", out)
    assert result.returncode == 2 and result.stdout == ""
    folder = out.rstrip("/") if out.endswith("/") else str(Path(out).parent)
    assert one_line(result) == (f"filmclub: cannot write to {folder}: no such folder "
                                "(filmclub does not create folders)")
    assert not (tmp_path / "no").exists()


def test_out_dash_writes_to_standard_output(database: Path, tmp_path: Path) -> None:
    """--out -: the export on stdout, its one line on stderr, and no file named '-'."""
    before = listing(tmp_path)
    result = export(database, "--thread", THREAD, "--out", "-", "--format", "txt")
    assert result.returncode == 0
    assert result.stdout.startswith("Vertigo and the second fall\n====")
    assert "Knowing early is the point" in result.stdout
    size = len(result.stdout.encode("utf-8"))
    assert result.stderr == f"standard output (4 comments, 1 deleted, {size} bytes)\n"
    assert listing(tmp_path) == before


def test_standard_output_closed_early_is_one_line(database: Path, tmp_path: Path) -> None:
    """`filmclub export --out - | head -c 10`: the reader goes away; one line, no traceback."""

    async def lengthen() -> None:  # far more than a pipe holds (64 KiB)
        async with SQLiteStore(database) as store:
            for n in range(2000):
                store.submit(say(100 + n / 100, 7, "Gus", "A long look at the tower. " * 20))
            await store.flush()

    asyncio.run(lengthen())
    reader = subprocess.Popen(["head", "-c", "10"], stdin=subprocess.PIPE,
                              stdout=subprocess.DEVNULL)
    assert reader.stdin is not None
    result = subprocess.run([*command(), "export", "--guild", str(GUILD), "--out", "-",
                             "--format", "json", "--include-revisions"],
                            cwd=tmp_path, env=clean_env(FILMCLUB_DB=str(database)),
                            stdout=reader.stdin, stderr=subprocess.PIPE, text=True,
                            timeout=60, check=False)
    reader.stdin.close()
    reader.wait(10)
    assert result.returncode == 2
    assert one_line(result) == ("filmclub: standard output was closed before the export "
                                "was written; nothing is remembered of it")


def test_archive_to_standard_output_is_a_zip(database: Path, tmp_path: Path) -> None:
    """A server's archive with --out - streams the zip itself, readable as a zip."""
    result = subprocess.run([*command(), "export", "--guild", str(GUILD), "--out", "-"],
                            cwd=tmp_path, env=clean_env(FILMCLUB_DB=str(database)),
                            capture_output=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    zipped = tmp_path / "from-stdout.zip"
    zipped.write_bytes(result.stdout)
    names = zipfile.ZipFile(zipped).namelist()
    assert names[-1] == "index.html" and len(names) == 3


def test_default_name_is_shell_friendly_and_made_with_the_umask(database: Path,
                                                                tmp_path: Path) -> None:
    """No --out: an ASCII slug of the title (no spaces or quotes), mode from the umask."""
    for mask, mode in ((0o022, 0o644), (0o027, 0o640)):
        result = export(database, "--thread", str(hostile.THREAD), "--format", "html",
                        umask=mask)
        assert result.returncode == 0, result.stderr
        name = f"rashomon-title-script-alert-title-script-{hostile.THREAD}.html"
        assert result.stdout.startswith(f"{name} (")
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode
        (tmp_path / name).unlink()


SLUGS = [
    ("Vertigo and the second fall", "vertigo-and-the-second-fall"),
    ("Vertigo: the second fall", "vertigo-the-second-fall"),
    ('Rashomon </title><script>alert("title")</script>',
     "rashomon-title-script-alert-title-script"),
    ("Scottie's \"fall\" & Judy's rise", "scotties-fall-judys-rise"),
    ("Amélie, Ça & Señor Ñu", "amelie-ca-senor-nu"),
    ("Ｗｉｄｅ　ｔｉｔｌｅ", "wide-title"),
    ("映画クラブ", "thread"),
    ("Тарковский: Сталкер", "thread"),
    ("", "thread"),
    ("   ", "thread"),
    ("$(rm -rf ~); `reboot` | tee /etc/passwd", "rm-rf-reboot-tee-etc-passwd"),
    ("../../etc/passwd", "etc-passwd"),
    ("-rf", "rf"),
    ("CON", "con"),
    ("a\tb\nc", "a-b-c"),
    ("2001: A Space Odyssey (1968)", "2001-a-space-odyssey-1968"),
    ("Don’t Look Now", "dont-look-now"),
    ("emoji 🎬🍿 night", "emoji-night"),
    ("word " * 30, "-".join(["word"] * 12)),
    ("A" * 80, "a" * 60),
    ("The quick brown fox jumps over the lazy dog while the projector hums along",
     "the-quick-brown-fox-jumps-over-the-lazy-dog-while-the"),
]


@pytest.mark.parametrize(("title", "slug"), SLUGS, ids=range(len(SLUGS)))
def test_file_slug_is_ascii_words_cut_at_a_word(title: str, slug: str) -> None:
    """Titles as people write them become lower-case ASCII words joined by hyphens, cut at
    a word within 60 characters, never empty."""
    made = file_slug(title)
    assert made == slug
    assert made.isascii() and len(made) <= 60
    assert all(ch.isalnum() or ch == "-" for ch in made)
    assert not made.startswith("-") and not made.endswith("-") and "--" not in made


def test_slug_corpus_size() -> None:
    """The title corpus above covers the shapes real titles take."""
    print(f"{len(SLUGS)} titles in the slug corpus")
    assert len(SLUGS) >= 20


# -- commands that only read create nothing ---------------------------------------------

READERS = [
    ("articles", "list"),
    ("feeds", "list"),
    ("export", "--thread", THREAD),
    ("db", "check"),
    ("stats",),
    ("prompts", "list"),
]


@pytest.mark.parametrize("args", READERS, ids=[" ".join(a[:2]) for a in READERS])
def test_reading_commands_create_no_database(tmp_path: Path, args: tuple[str, ...]) -> None:
    """A missing database: one line naming it, status 2, and no file or folder made."""
    result = filmclub(*args, "--db", "no/such/dir/x.db", cwd=tmp_path,
                      FILMCLUB_ARTICLES=str(tmp_path / "articles"))
    assert result.returncode == 2 and result.stdout == ""
    assert one_line(result) == "filmclub: no database at no/such/dir/x.db"
    assert listing(tmp_path) == []


# -- db backup: no temporary file outlives a backup --------------------------------------

KILLED_BACKUP = """
import os, signal, sqlite3, sys
from pathlib import Path
from bot.store import maintenance

def killed_while_checking(temp):
    # As a kill -9 mid-copy leaves it: the copy, and SQLite's journal of a write to it.
    conn = sqlite3.connect(temp)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("CREATE TABLE half_written (x)")
    os.kill(os.getpid(), signal.SIGKILL)

maintenance.check = killed_while_checking
maintenance.backup(Path(sys.argv[1]), Path(sys.argv[2]))
"""


def test_backup_clears_what_a_killed_backup_left(database: Path, tmp_path: Path) -> None:
    """A backup killed mid-way leaves its temporary copy and journal; the next one clears
    them, and succeeds."""
    target = tmp_path / "monday.db"
    killed = subprocess.run([sys.executable, "-c", KILLED_BACKUP, str(database), str(target)],
                            cwd=ROOT, env=clean_env(), capture_output=True, timeout=60,
                            check=False)
    assert killed.returncode == -signal.SIGKILL
    left = [n for n in listing(tmp_path) if n.startswith(".monday.db.")]
    assert any(n.endswith(".tmp") for n in left) and any(n.endswith("-journal") for n in left)
    result = filmclub("db", "backup", "monday.db", "--db", str(database), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [n for n in listing(tmp_path) if n.startswith(".monday.db.")] == []
    with sqlite3.connect(target) as db:
        assert db.execute("SELECT count(*) FROM prompts").fetchone()[0] == 2


def test_failed_backup_removes_its_own_temporary(database: Path, tmp_path: Path) -> None:
    """A backup that fails its check (a damaged source): one line, status 2, no file left."""
    break_table(database, "comments")
    copies = tmp_path / "copies"
    copies.mkdir()
    result = filmclub("db", "backup", "copies/monday.db", "--db", str(database), cwd=tmp_path)
    assert result.returncode == 2
    assert one_line(result).startswith("filmclub: the backup failed its check: integrity: ")
    assert listing(copies) == []


def test_backup_leaves_another_running_backup_alone(database: Path, tmp_path: Path) -> None:
    """A temporary copy whose backup is still running (its process is alive) is kept."""
    alive = tmp_path / f".monday.db.{os.getpid()}.0123abcd.tmp"
    alive.write_bytes(b"being written")
    result = filmclub("db", "backup", "monday.db", "--db", str(database), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert alive.read_bytes() == b"being written"


def test_articles_list_reads_files_of_an_existing_database(tmp_path: Path) -> None:
    """With a database, articles list still works (read-only opening changes nothing else)."""
    path = tmp_path / "filmclub.db"

    async def make() -> None:
        async with SQLiteStore(path) as store:
            await store.add_prompt(dataclasses.replace(
                discussion.PROMPT, article=Article("a", "A")))

    asyncio.run(make())
    result = filmclub("articles", "list", "--db", str(path), cwd=tmp_path,
                      FILMCLUB_ARTICLES=str(tmp_path / "articles"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("0 article(s), 0 broken file(s)\n")
