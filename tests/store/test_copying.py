"""`filmclub db copy` between SQLite files: exact, verified, and never destructive (issue 15)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.dbcopy.base import VARIANTS, CopyError, code_schema, is_url, shown
from bot.dbcopy.run import copy_database
from bot.dbcopy.sqlite import SQLiteDestination
from bot.export import formats
from bot.models import Article, MessageCreated, Prompt
from bot.store import SQLiteStore
from bot.store.migrations import SCHEMA_VERSION, migrate
from tests import copydata

THREAD = 1_439_000_000_000_000_000  # a third, long thread


@pytest.fixture
async def source(tmp_path: Path) -> Path:
    """A filmclub database with a bit of everything in it."""
    path = tmp_path / "club.db"
    async with SQLiteStore(path) as store:
        await copydata.build(store)
    return path


def contents(path: Path) -> dict[str, Any]:
    """Every table's rows (sorted), the schema's text and its version: all a file holds."""
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        found: dict[str, Any] = {
            "schema": conn.execute("SELECT type, name, sql FROM sqlite_schema"
                                   " ORDER BY name").fetchall(),
            "version": conn.execute("PRAGMA user_version").fetchone(),
            "application": conn.execute("PRAGMA application_id").fetchone()}
        for (name,) in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'"):
            found[name] = sorted(conn.execute(f'SELECT * FROM "{name}"').fetchall(),  # noqa: S608
                                 key=repr)
        return found
    finally:
        conn.close()


def leftovers(folder: Path) -> list[str]:
    """Temporary files a copy left in ``folder``."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


async def test_copy_is_exact_and_verified(source: Path, tmp_path: Path) -> None:
    """A SQLite copy holds the same rows in every table, the same schema, triggers included."""
    steps: list[tuple[str, int, int]] = []
    result = await copy_database(source, tmp_path / "copy.db",
                                 progress=lambda phase, done, total, _: steps.append(
                                     (phase, done, total)), batch=4)
    before, after = contents(source), contents(tmp_path / "copy.db")
    assert after == before
    assert sum(1 for kind, *_ in after["schema"] if kind == "trigger") > 10
    assert result.rows == {name: len(before[name]) for name in code_schema().names}
    assert result.total > 60 and result.threads == 2
    assert result.exports == 2 * len(formats.names()) * len(VARIANTS)
    assert steps[0] == ("copying", 0, result.total)
    assert ("copying", result.total, result.total) in steps
    assert steps[-1] == ("verifying", 2, 2)
    assert leftovers(tmp_path) == []


async def test_tracking_rows_are_copied_not_made_by_triggers(source: Path,
                                                              tmp_path: Path) -> None:
    """The export-change marks, names and /forget placeholders come from the source as they
    are: with the triggers live during the copy they would be rewritten."""
    conn = sqlite3.connect(source)
    conn.execute("UPDATE export_state SET generation = 7")  # the source's exports moved on
    conn.execute("UPDATE member_names SET name = 'Ana, renamed later' WHERE user_id = 1")
    conn.commit()
    conn.close()
    await copy_database(source, tmp_path / "copy.db")
    before, after = contents(source), contents(tmp_path / "copy.db")
    for table in ("comment_changes", "prompt_changes", "member_names", "export_state",
                  "comments", "versions", "attachments", "reactions", "film_poll_votes"):
        assert after[table] == before[table], table
    assert {generation for _, generation in after["comment_changes"]} == {1}
    assert ("Ana, renamed later" in {row[2] for row in after["member_names"]})


async def test_copy_continues_ids_after_the_copied_ones(source: Path, tmp_path: Path) -> None:
    """A store opened on the copy gives new rows ids after the copied ones."""
    await copy_database(source, tmp_path / "copy.db")
    async with SQLiteStore(tmp_path / "copy.db", create=False) as store:
        entry = await store.add_audit(copydata.AuditEntry(copydata.GUILD, 99, "close", "x",
                                                          copydata.LATER))
    assert entry.id == 2


async def test_existing_destination_is_refused(source: Path, tmp_path: Path) -> None:
    """A file at the destination is never replaced, even an empty one."""
    taken = tmp_path / "taken.db"
    taken.write_bytes(b"")
    with pytest.raises(CopyError, match="already exists"):
        await copy_database(source, taken)
    assert taken.read_bytes() == b""
    link = tmp_path / "link.db"
    link.symlink_to(tmp_path / "nowhere.db")
    with pytest.raises(CopyError, match="symbolic link"):
        await copy_database(source, link)
    assert not (tmp_path / "nowhere.db").exists()
    assert leftovers(tmp_path) == []


async def test_missing_source_and_folder_are_one_line(source: Path, tmp_path: Path) -> None:
    """A missing source or destination folder is a one-line CopyError, and nothing is made."""
    with pytest.raises(CopyError, match="no database at"):
        await copy_database(tmp_path / "none.db", tmp_path / "copy.db")
    with pytest.raises(CopyError, match="no such folder"):
        await copy_database(source, tmp_path / "no" / "copy.db")
    with pytest.raises(CopyError, match="the same database"):
        await copy_database(source, tmp_path / "." / "club.db")
    assert not (tmp_path / "copy.db").exists() and leftovers(tmp_path) == []


async def test_foreign_database_is_refused(tmp_path: Path) -> None:
    """A SQLite file that is not filmclub's is not copied."""
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(CopyError, match="not a filmclub database"):
        await copy_database(other, tmp_path / "copy.db")
    (tmp_path / "text.db").write_text("not a database at all\n" * 100)
    with pytest.raises(CopyError, match="not a usable SQLite database"):
        await copy_database(tmp_path / "text.db", tmp_path / "copy.db")
    assert not (tmp_path / "copy.db").exists()


@pytest.mark.parametrize("version", [SCHEMA_VERSION - 1, SCHEMA_VERSION + 1])
async def test_other_schema_version_is_refused(source: Path, tmp_path: Path,
                                               version: int) -> None:
    """A source older or newer than the schema this filmclub writes is refused, saying why."""
    conn = sqlite3.connect(source)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.close()
    advice = "upgrade filmclub" if version > SCHEMA_VERSION else "start the bot on it once"
    with pytest.raises(CopyError, match=f"schema {version}, .*{advice}"):
        await copy_database(source, tmp_path / "copy.db")
    assert not (tmp_path / "copy.db").exists() and leftovers(tmp_path) == []


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """The destination's disk is full as soon as its schema is written (SQLite's own limit on
    the file's size: the copy meets the error a full disk gives)."""
    real = SQLiteDestination.open

    async def open_small(self: SQLiteDestination, schema: Any) -> None:
        await real(self, schema)
        conn = self._conn
        assert conn is not None
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")

    monkeypatch.setattr(SQLiteDestination, "open", open_small)


@pytest.mark.usefixtures("full_disk")
async def test_full_disk_leaves_nothing(source: Path, tmp_path: Path) -> None:
    """A copy that fails half way is one line naming the destination, and leaves no file."""
    async with SQLiteStore(source) as store:  # more than the new file's empty pages hold
        await store.add_prompt(Prompt(THREAD, copydata.GUILD, 20, THREAD, Article("long", "L"),
                                      copydata.LATER))
        for i in range(300):
            store.submit(MessageCreated(THREAD + 1 + i, THREAD, 7, "Ana", f"{i} " + "x" * 500,
                                        copydata.LATER))
        await store.flush()
    with pytest.raises(CopyError) as failed:
        await copy_database(source, tmp_path / "copy.db", batch=3)
    assert str(failed.value) == f"{tmp_path / 'copy.db'}: database or disk is full"
    assert not (tmp_path / "copy.db").exists() and leftovers(tmp_path) == []


async def test_interrupted_copy_leaves_nothing(source: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C during the copy leaves neither the file nor its temporary."""
    def interrupt(*_: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(SQLiteDestination, "commit", interrupt)
    with pytest.raises(KeyboardInterrupt):
        await copy_database(source, tmp_path / "copy.db")
    assert not (tmp_path / "copy.db").exists() and leftovers(tmp_path) == []


async def test_a_lost_row_fails_the_counts(source: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A copy with a row missing is not kept: the row counts disagree."""
    real = SQLiteDestination.write

    async def lossy(self: SQLiteDestination, table: Any, rows: list[Any]) -> None:
        await real(self, table, rows[1:] if table.name == "reactions" else rows)

    monkeypatch.setattr(SQLiteDestination, "write", lossy)
    with pytest.raises(CopyError, match=r"^reactions: 15 rows in the source, 14 in the copy"):
        await copy_database(source, tmp_path / "copy.db", batch=1000)
    assert not (tmp_path / "copy.db").exists() and leftovers(tmp_path) == []


async def test_a_changed_text_fails_the_exports(source: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A copy with the same row counts but one changed text is not kept: a thread exports
    differently."""
    real = SQLiteDestination.write

    async def altered(self: SQLiteDestination, table: Any, rows: list[Any]) -> None:
        if table.name == "versions":
            rows = [(*rows[0][:-1], rows[0][-1] + " (altered)"), *rows[1:]]
        await real(self, table, rows)

    monkeypatch.setattr(SQLiteDestination, "write", altered)
    with pytest.raises(CopyError, match=r"^thread \d+ exports differently as md"):
        await copy_database(source, tmp_path / "copy.db")
    assert not (tmp_path / "copy.db").exists() and leftovers(tmp_path) == []


def test_unwritable_folder_is_one_line(source: Path, tmp_path: Path) -> None:
    """A folder the user may not write to is one line, before anything is copied."""
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o500)
    with pytest.raises(CopyError, match="locked"):
        asyncio.run(copy_database(source, folder / "copy.db"))
    assert list(folder.iterdir()) == []


def test_urls_hide_their_password() -> None:
    """A PostgreSQL URL is shown without its password."""
    assert shown("postgresql://club:secret@db.example:5432/filmclub") == (
        "postgresql://club:***@db.example:5432/filmclub")
    assert shown("postgresql://db.example/filmclub") == "postgresql://db.example/filmclub"
    assert shown(Path("club.db")) == "club.db"
    assert is_url("postgres://x/y") and not is_url(Path("postgresql:"))


def test_tables_come_after_those_they_refer_to() -> None:
    """The copy order puts every table after the tables its foreign keys name."""
    schema = code_schema()
    conn = sqlite3.connect(":memory:")
    migrate(conn, ":memory:")
    position = {name: i for i, name in enumerate(schema.names)}
    for name in schema.names:
        for row in conn.execute(f'PRAGMA foreign_key_list("{name}")'):
            if row[2] != name:
                assert position[row[2]] < position[name], (row[2], name)
    assert len(schema.tables) == len(position) > 30
