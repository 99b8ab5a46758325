"""Issue 14: one line, never a traceback, when Discord is out of reach or the database damaged.

Each check runs the installed ``filmclub`` command as a user does. Discord is "down" by
pointing at a port on 127.0.0.1 where nothing listens; the database is damaged by
scribbling over bytes of a real file, as a failing disk or a bad copy does.
"""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import cli, cli_library
from bot.config import from_env
from bot.errors import StoreError
from bot.store import SQLiteStore
from tests import discussion
from tests.clirun import (
    afilmclub,
    break_schema,
    break_table,
    filmclub,
    one_line,
    sample_database,
)
from tests.webserver import RSS, WebServer, rss

THREAD = str(discussion.THREAD)
TOKEN = "emulated.bot.token-0123456789"


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then let go)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return sample_database(tmp_path / "filmclub.db", discussion)


# -- Discord out of reach -------------------------------------------------------------


def down(port: int) -> dict[str, str]:
    return {"DISCORD_TOKEN": TOKEN, "DISCORD_API_BASE": f"http://127.0.0.1:{port}/api/v10",
            "DISCORD_GATEWAY_URL": f"ws://127.0.0.1:{port}/gateway"}


def test_run_with_discord_down_retries_then_says_so_in_one_line(database: Path,
                                                                tmp_path: Path) -> None:
    """`filmclub run`, Discord's API unreachable: a warning per retry, then one line naming
    the address it could not reach, status 1, no traceback; the database is unchanged."""
    port = closed_port()
    before = database.read_bytes()
    result = filmclub("run", cwd=tmp_path, FILMCLUB_DB=str(database), LOG_LEVEL="WARNING",
                      FILMCLUB_CONNECT_ATTEMPTS="2", **down(port))
    lines = result.stderr.splitlines()
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and len(lines) == 2, result.stderr
    api = f"http://127.0.0.1:{port}/api/v10"
    assert f"cannot reach Discord's API at {api} (" in lines[0]
    assert lines[0].endswith("; trying again in 1 s (try 1 of 2)")
    assert lines[1].startswith(f"filmclub: cannot reach Discord's API at {api} (")
    assert "after 2 tries" in lines[1]
    assert database.read_bytes() == before


def test_catch_up_with_discord_down_is_one_line(database: Path, tmp_path: Path) -> None:
    """`filmclub catch-up` with the API unreachable: one line naming it, status 1."""
    port = closed_port()
    result = filmclub("catch-up", cwd=tmp_path, FILMCLUB_DB=str(database), **down(port))
    assert result.returncode == 1
    assert one_line(result).startswith(
        f"filmclub: cannot reach Discord's API at http://127.0.0.1:{port}/api/v10 (")


# -- a damaged database ---------------------------------------------------------------

DAMAGED = [
    ("export", ("export", "--thread", THREAD, "--out", "x.md"), "comments"),
    ("feeds list", ("feeds", "list"), "feeds"),
    ("prompts list", ("prompts", "list"), "comments"),
    ("stats", ("stats", "--thread", THREAD), "comments"),
]


@pytest.mark.parametrize(("args", "table"), [d[1:] for d in DAMAGED],
                         ids=[d[0] for d in DAMAGED])
def test_bad_data_page_is_one_line_naming_the_file(database: Path, tmp_path: Path,
                                                   args: tuple[str, ...], table: str) -> None:
    """A bad page in a table the command reads: one line naming the file and what the
    integrity check finds, status 2, no file written."""
    break_table(database, table)
    result = filmclub(*args, cwd=tmp_path, FILMCLUB_DB=str(database))
    assert result.returncode == 2, result.stderr
    line = one_line(result)
    assert line.startswith(f"filmclub: {database} is damaged; `filmclub db check` says: ")
    assert not (tmp_path / "x.md").exists()


SCHEMA_DAMAGED = [
    ("export", ("export", "--thread", THREAD)),
    ("feeds list", ("feeds", "list")),
    ("articles list", ("articles", "list")),
    ("prompts list", ("prompts", "list")),
    ("db check", ("db", "check")),
]


@pytest.mark.parametrize("args", [d[1] for d in SCHEMA_DAMAGED],
                         ids=[d[0] for d in SCHEMA_DAMAGED])
def test_bad_schema_page_is_one_line_naming_the_file(database: Path, tmp_path: Path,
                                                     args: tuple[str, ...]) -> None:
    """A schema SQLite cannot read (its message quoting bytes that are not UTF-8): one
    line naming the file and SQLite's words, status 2, no UnicodeDecodeError."""
    break_schema(database)
    result = filmclub(*args, cwd=tmp_path, FILMCLUB_DB=str(database))
    assert result.returncode == 2, result.stderr
    assert one_line(result).startswith(
        f"filmclub: {database}: not a usable SQLite database (malformed database schema "
        "(export_state) - ")


def test_db_check_finds_a_subtly_bad_schema_page(database: Path, tmp_path: Path) -> None:
    """db check on a schema SQLite cannot read back: it says which entry, status 1 (a
    read-only look at the file, and the integrity check, would have called it ok)."""
    break_schema(database, where="columns")
    result = filmclub("db", "check", cwd=tmp_path, FILMCLUB_DB=str(database))
    assert result.returncode == 1 and result.stdout == ""
    line = one_line(result)
    assert line.startswith("filmclub: schema: export_state: ")


@pytest.mark.parametrize(("where", "said"), [
    ("columns", "schema: export_state: "),
    ("keyword", "malformed database schema (export_state) - "),
])
def test_run_refuses_a_bad_schema_page(database: Path, tmp_path: Path, where: str,
                                       said: str) -> None:
    """`filmclub run` on either: one line naming the file, status 2, before reaching
    Discord (which is down here: no retry is logged)."""
    break_schema(database, where=where)
    result = filmclub("run", cwd=tmp_path, FILMCLUB_DB=str(database), LOG_LEVEL="WARNING",
                      **down(closed_port()))
    assert result.returncode == 2, result.stderr
    assert one_line(result).startswith(
        f"filmclub: {database} is damaged; `filmclub db check` says: {said}")


def test_db_check_lists_damage_without_a_traceback(database: Path, tmp_path: Path) -> None:
    """db check on a bad data page: its findings, one per line, status 1."""
    break_table(database, "comments")
    result = filmclub("db", "check", cwd=tmp_path, FILMCLUB_DB=str(database))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith("filmclub: integrity: ") for line in lines)


def test_run_refuses_a_damaged_database_before_connecting(database: Path,
                                                          tmp_path: Path) -> None:
    """`filmclub run` on a bad data page: one line with what the check says, status 2,
    before any attempt to reach Discord (which is down here: no retry is logged)."""
    break_table(database, "comments")
    before = database.read_bytes()
    result = filmclub("run", cwd=tmp_path, FILMCLUB_DB=str(database), LOG_LEVEL="WARNING",
                      **down(closed_port()))
    assert result.returncode == 2, result.stderr
    assert one_line(result).startswith(
        f"filmclub: {database} is damaged; `filmclub db check` says: ")
    assert database.read_bytes() == before


def test_text_that_is_not_utf8_is_one_line(database: Path, tmp_path: Path) -> None:
    """Damaged bytes inside a comment's text (the pages are fine): one line naming the file."""
    data = bytearray(database.read_bytes())
    at = data.find(b"Knowing early")
    assert at > 0
    data[at:at + 4] = b"\xff\xfe\xff\xfe"
    database.write_bytes(bytes(data))
    result = filmclub("export", "--thread", THREAD, "--out", "-", cwd=tmp_path,
                      FILMCLUB_DB=str(database))
    assert result.returncode == 2
    assert one_line(result) == (f"filmclub: {database} cannot be read: some of its text is "
                                "not UTF-8 (damaged bytes that the integrity check does not "
                                "see)")


# -- DISCORD_TOKEN is only for the commands that talk to Discord ------------------------

OFFLINE = [("articles", "list"), ("feeds", "list"), ("export", "--thread", THREAD, "--out", "-"),
           ("db", "check"), ("prompts", "list"), ("stats",)]


@pytest.mark.parametrize("args", OFFLINE, ids=[" ".join(a[:2]) for a in OFFLINE])
@pytest.mark.parametrize("token", ["short", "paste your token here"])
def test_commands_without_discord_ignore_a_bad_token(database: Path, tmp_path: Path,
                                                     args: tuple[str, ...], token: str) -> None:
    """A placeholder or malformed DISCORD_TOKEN (and a bad Discord address) does not
    block what needs no Discord."""
    result = filmclub(*args, cwd=tmp_path, FILMCLUB_DB=str(database), DISCORD_TOKEN=token,
                      DISCORD_API_BASE="not a url",
                      FILMCLUB_ARTICLES=str(tmp_path / "articles"))
    assert result.returncode == 0, result.stderr
    assert "DISCORD" not in result.stderr


def test_run_still_names_a_bad_token(tmp_path: Path) -> None:
    """`filmclub run` (which needs it) still refuses a malformed token in one line."""
    result = filmclub("run", cwd=tmp_path, DISCORD_TOKEN="short")
    assert result.returncode == 2
    assert one_line(result) == ("filmclub: DISCORD_TOKEN does not look like a bot token "
                                "(too short or has spaces)")


# -- no internal log line in an answer ---------------------------------------------------


async def test_feed_added_twice_is_one_line_and_no_log(
        tmp_path: Path, web_server: WebServer, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    """'already a feed' is the whole answer: no 'writer: dropped' warning before it, no
    INFO line either (with LOG_LEVEL unset, as a new user has it).

    The installed command cannot fetch from the test server (the fetch guard refuses
    loopback, whatever the settings), so the feed is first added in this process with the
    server's policy; adding it again needs no fetch, and is run as a user runs it.
    """
    url = web_server.serve("feed", rss("Good", []), content_type=RSS)
    channel = "1300000000000000005"
    args = ("feeds", "add", url, "--channel", channel)
    settings = {"FILMCLUB_DB": str(tmp_path / "filmclub.db")}

    config = from_env({**settings, "FILMCLUB_ARTICLES": str(tmp_path / "articles")})
    capsys.readouterr()
    first = await cli_library.run(config, cli._parser().parse_args(args),
                                  policy=web_server.policy)
    out, err = capsys.readouterr()
    assert (first, err) == (0, ""), err
    assert out.startswith(f"feed 1: {url} -> channel {channel} ")
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    fetched = len(web_server.requests)

    again = await afilmclub(*args, cwd=tmp_path, **settings)
    assert again.returncode == 2 and again.stdout == ""
    assert one_line(again) == f"filmclub: {url} is already a feed of channel {channel}"
    assert len(web_server.requests) == fetched  # refused before any fetch

    # Added twice at once, the check passes for both and the store's constraint refuses the
    # second: its caller answers in the same words, and the writer logs no warning.
    caplog.clear()
    async with SQLiteStore(tmp_path / "filmclub.db", create=False) as store:
        with pytest.raises(StoreError) as refused:
            await store.add_feed(url, int(channel), guild_id=None, mode="queue",
                                 interval_minutes=60, added_at=datetime.now(UTC))
    assert str(refused.value) == f"{url} is already a feed of channel {channel}"
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_commands_log_info_only_with_v(database: Path, tmp_path: Path) -> None:
    """An export says one line; -v adds what it did, in lines of the same shape."""
    quiet = filmclub("export", "--thread", THREAD, "--out", "a.md", cwd=tmp_path,
                     FILMCLUB_DB=str(database), LOG_LEVEL="INFO")
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert quiet.stdout.startswith("a.md (4 comments, 1 deleted, ")
    loud = filmclub("export", "--thread", THREAD, "--out", "b.md", "-v", cwd=tmp_path,
                    FILMCLUB_DB=str(database))
    assert loud.returncode == 0
    assert "filmclub: info: exported thread " in loud.stderr
    assert all(line.startswith("filmclub: ") for line in loud.stderr.splitlines())
