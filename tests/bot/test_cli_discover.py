"""Issue 14: a discoverable command line: --version, prompts list, stats, values checked alike.

Run as a user runs them (the installed ``filmclub`` command), on a database that holds
both sample discussions in a server with a stored name.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main, version
from bot.cli_prompts import render
from bot.records.names import PlaceName
from bot.records.visibility import EVERY_THREAD
from bot.stats import stats_report
from bot.store import SQLiteStore
from tests import discussion, hostile
from tests.clirun import filmclub, one_line

GUILD = 1_200_000_000_000_000_010
OTHER_GUILD = 1_200_000_000_000_000_011
SEEN = datetime(2026, 11, 2, tzinfo=UTC)


async def _build(path: Path) -> None:
    async with SQLiteStore(path) as store:
        await store.add_prompt(dataclasses.replace(discussion.PROMPT, guild_id=GUILD))
        await store.add_prompt(dataclasses.replace(hostile.PROMPT, guild_id=OTHER_GUILD))
        for event in (*discussion.EVENTS, *hostile.EVENTS):
            store.submit(event)
        await store.save_names([
            PlaceName(GUILD, "guild", GUILD, "Film Club", SEEN),
            PlaceName(discussion.PROMPT.channel_id, "channel", GUILD, "films", SEEN),
            PlaceName(discussion.THREAD, "thread", GUILD, "Vertigo, again", SEEN),
        ])
        await store.flush()


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "filmclub.db"
    asyncio.run(_build(path))
    return path


def test_version_is_printed(tmp_path: Path) -> None:
    """`filmclub --version`: the installed version, status 0."""
    result = filmclub("--version", cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout == f"filmclub {version()}\n"
    assert version()[0].isdigit()


def test_prompts_list_gives_the_ids_export_asks_for(database: Path, tmp_path: Path) -> None:
    """Every prompt: thread id, server, channel, title, comments (as an export counts them),
    last activity; names where the bot saw them."""
    result = filmclub("prompts", "list", cwd=tmp_path, FILMCLUB_DB=str(database))
    assert result.returncode == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == (f"{discussion.THREAD}\tFilm Club\t#films\tVertigo, again\t4 comments"
                        "\tlast 2026-11-01 20:06 UTC")
    assert lines[1].startswith(f"{hostile.THREAD}\tserver {OTHER_GUILD}\t"
                               f"channel {hostile.PARENT_CHANNEL}\tRashomon ")
    assert "\t14 comments\tlast " in lines[1]
    assert lines[2] == "2 prompt(s)"
    exported = filmclub("export", "--thread", lines[0].split("\t")[0], "--out", "-",
                        cwd=tmp_path, FILMCLUB_DB=str(database))
    assert exported.returncode == 0 and "(4 comments, 1 deleted," in exported.stderr


def test_prompts_list_of_one_server(database: Path, tmp_path: Path) -> None:
    """--guild keeps that server's prompts; a server without any is one line, status 2."""
    result = filmclub("prompts", "list", "--guild", str(OTHER_GUILD), cwd=tmp_path,
                      FILMCLUB_DB=str(database))
    assert result.stdout.splitlines()[-1] == "1 prompt(s)"
    missing = filmclub("prompts", "list", "--guild", "1300000000000000001", cwd=tmp_path,
                       FILMCLUB_DB=str(database))
    assert missing.returncode == 2
    assert one_line(missing) == ("filmclub: server 1300000000000000001 has no prompts in the "
                                 "database")


async def test_stats_shows_what_slash_stats_shows(database: Path, tmp_path: Path) -> None:
    """`filmclub stats --thread` prints the fields of the same report /stats renders."""
    result = filmclub("stats", "--thread", str(discussion.THREAD), cwd=tmp_path,
                      FILMCLUB_DB=str(database))
    assert result.returncode == 0, result.stderr
    async with SQLiteStore(database, create=False) as store:
        report = await stats_report(store, GUILD, visible=EVERY_THREAD,
                                    thread_id=discussion.THREAD, subject="x", now=SEEN)
    expected = render(report, f"Stats: Vertigo, again (thread {discussion.THREAD})")
    assert result.stdout.splitlines() == [*expected, report.footer]
    assert "  Comments:     4\n" in result.stdout  # Dee's deleted comment does not count
    assert "  Votes:        3 (+2 / −1)\n" in result.stdout


def test_stats_of_each_server_and_of_one(database: Path, tmp_path: Path) -> None:
    """No option: one block per server; --guild: that server's."""
    every = filmclub("stats", cwd=tmp_path, FILMCLUB_DB=str(database))
    assert every.returncode == 0, every.stderr
    assert f"Stats: Film Club (server {GUILD})" in every.stdout
    assert f"Stats: server {OTHER_GUILD}" in every.stdout
    one = filmclub("stats", "--guild", str(GUILD), cwd=tmp_path, FILMCLUB_DB=str(database))
    assert one.stdout.splitlines()[:3] == [f"Stats: Film Club (server {GUILD})",
                                           "  Prompts posted:             1",
                                           "  Comments:                   4"]


# -- option values checked alike everywhere ---------------------------------------------

ID_OPTIONS = [
    (("export", "--thread"), "thread"),
    (("export", "--prompt"), "prompt message"),
    (("export", "--guild"), "server"),
    (("feeds", "add", "https://x.example/feed", "--channel"), "channel"),
    (("feeds", "add", "https://x.example/feed", "--channel", "1300000000000000005",
      "--guild"), "server"),
    (("prompts", "list", "--guild"), "server"),
    (("stats", "--thread"), "thread"),
    (("stats", "--guild"), "server"),
    (("catch-up", "--thread"), "thread"),
]
NOT_IDS = ["5", "0", "-1437000000000000000", "abc", "1437000000000000000x", "1e18",
           "99999999999999999999", "１４３７０００００００００００００００００"]


def refusal(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """What the parser says to ``filmclub ARGS`` in this process (it must refuse them)."""
    with pytest.raises(SystemExit) as stopped:
        main(list(args))
    out, err = capsys.readouterr()
    assert stopped.value.code == 2 and out == ""
    assert len(err.splitlines()) == 1, err
    return err.rstrip("\n")


@pytest.mark.parametrize("value", NOT_IDS)
@pytest.mark.parametrize(("args", "kind"), ID_OPTIONS,
                         ids=[" ".join(a[:1] + a[-1:]) for a, _ in ID_OPTIONS])
def test_ids_are_checked_alike_everywhere(capsys: pytest.CaptureFixture[str],
                                          args: tuple[str, ...], kind: str,
                                          value: str) -> None:
    """A value that is no Discord id is refused by every option that takes one, in the
    same words: one line, status 2, and where the help is."""
    option = args[-1]
    command = " ".join(a for a in args if not a.startswith(("-", "http", "1")) and a != value)
    assert refusal(capsys, *args, value) == (
        f"filmclub: argument {option}: {value!r} is not a {kind} id (a Discord id has 15 "
        f"to 20 digits) (see `filmclub {command} --help`)")


@pytest.mark.parametrize(("args", "kind"), ID_OPTIONS[::4],
                         ids=[" ".join(a[:1] + a[-1:]) for a, _ in ID_OPTIONS[::4]])
def test_the_installed_command_refuses_ids_the_same_way(tmp_path: Path, args: tuple[str, ...],
                                                       kind: str) -> None:
    """As a user runs it: the same one line and status 2."""
    result = filmclub(*args, "5", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert one_line(result).startswith(f"filmclub: argument {args[-1]}: '5' is not a {kind} id")


def test_id_corpus_size() -> None:
    """Every id option meets every malformed value."""
    print(f"{len(ID_OPTIONS)} id options x {len(NOT_IDS)} malformed values")
    assert len(ID_OPTIONS) * len(NOT_IDS) >= 70


@pytest.mark.parametrize(("every", "accepted"), [
    ("0", False), ("-5", False), ("10081", False), ("99999", False), ("1.5", False),
    ("hourly", False), ("1", True), ("10080", True),
])
def test_every_is_the_range_the_setting_allows(tmp_path: Path, every: str,
                                               accepted: bool) -> None:
    """--every takes 1 to 10080 minutes, as FILMCLUB_FEED_INTERVAL does; 0 is refused,
    not quietly turned into 60."""
    result = filmclub("feeds", "add", "http://127.0.0.1:9/feed", "--channel",
                      "1300000000000000005", "--every", every, cwd=tmp_path,
                      FILMCLUB_DB=str(tmp_path / "filmclub.db"), FILMCLUB_FETCH_TIMEOUT="1")
    assert result.returncode == 2
    line = one_line(result)
    if accepted:  # past the check, the (unreachable) feed is what fails
        assert "http://127.0.0.1:9/feed" in line and "argument" not in line
    else:
        assert line == (f"filmclub: argument --every: {every!r} is not a number of minutes "
                        "from 1 to 10080 (see `filmclub feeds add --help`)")


@pytest.mark.parametrize(("args", "line"), [
    (("export", "--thread", "1437000000000000000", "--min-score", "2000000"),
     "filmclub: argument --min-score: '2000000' is not a score from -1000000 to 1000000 "
     "(see `filmclub export --help`)"),
    (("feeds", "remove", "0"),
     "filmclub: argument ID: '0' is not a feed number from 1 to 9223372036854775807 "
     "(see `filmclub feeds remove --help`)"),
    (("feeds", "add", "https://x.example/f", "--channel", "1300000000000000005",
      "--backlog", "-1"),
     "filmclub: argument --backlog: '-1' is not a number of entries from 0 to 20 "
     "(see `filmclub feeds add --help`)"),
    (("export",),
     "filmclub: one of the arguments --thread --prompt --guild is required "
     "(see `filmclub export --help`)"),
    (("nonsense",),
     "filmclub: argument COMMAND: invalid choice: 'nonsense' (choose from 'run', 'export', "
     "'articles', 'feeds', 'watchlist', 'prompts', 'stats', 'catch-up', 'db', 'demo') "
     "(see `filmclub --help`)"),
])
def test_other_mistakes_read_like_every_filmclub_error(tmp_path: Path, args: tuple[str, ...],
                                                       line: str) -> None:
    """Every argument mistake: one 'filmclub: ...' line naming the option, status 2."""
    result = filmclub(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert one_line(result) == line


def test_the_backlog_bound_is_what_one_poll_takes() -> None:
    """`feeds add --backlog` stops where a poll's own limit does (bot.feeds)."""
    from bot.cli_args import MAX_BACKLOG
    from bot.feeds import MAX_NEW_PER_POLL

    assert MAX_BACKLOG == MAX_NEW_PER_POLL
