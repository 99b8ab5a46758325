"""Issue 19 on the command line: `filmclub stats --chart FILE.png|.svg`, run as a user runs it,
and matplotlib left unloaded by every command that draws nothing."""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from bot.charts.draw import PALETTES
from bot.store import SQLiteStore
from tests import discussion, hostile
from tests.chartcheck import bar_count, distinct_colours, ids_starting, png_image, svg_root
from tests.clirun import GUILD, ROOT, clean_env, filmclub, one_line, sample_database


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return sample_database(tmp_path / "club.db", discussion)


def test_chart_png_of_a_thread(database: Path, tmp_path: Path) -> None:
    """--chart x.png writes the thread's PNG: decodable, not blank, its one bar (the
    sample's four comments fall in one hour), and says where it went."""
    out = tmp_path / "vertigo.png"
    result = filmclub("stats", "--thread", str(discussion.THREAD), "--chart", str(out),
                      cwd=tmp_path, FILMCLUB_DB=str(database))
    assert result.returncode == 0, result.stderr
    assert f"Chart written to {out} (PNG" in result.stdout
    assert "Comments:" in result.stdout  # the numbers are printed as before
    image = png_image(out.read_bytes())
    assert image.size == (1080, 600) and distinct_colours(image) > 50
    palette = PALETTES["dark"]
    assert bar_count(image, palette.comments, palette.busiest, top_fraction=0.55) == 1


def test_chart_svg_of_the_server_in_light(database: Path, tmp_path: Path) -> None:
    """--chart x.svg --theme light: the server's chart as SVG on a white background, with
    its one member bar per commenter (four)."""
    out = tmp_path / "club.svg"
    result = filmclub("stats", "--guild", str(GUILD), "--chart", str(out), "--theme", "light",
                      cwd=tmp_path, FILMCLUB_DB=str(database))
    assert result.returncode == 0, result.stderr
    root = svg_root(out.read_bytes())
    assert len(ids_starting(root, "member-")) == 4
    assert "#ffffff" in out.read_text()


@pytest.mark.parametrize(("args", "error"), [
    (("--chart", "x.gif"), "'x.gif' does not end in .png or .svg"),
    (("--chart", "taken.png"), "taken.png already exists"),
])
def test_chart_bad_destination_is_one_line_and_keeps_the_file(
        database: Path, tmp_path: Path, args: tuple[str, ...], error: str) -> None:
    """A wrong suffix or a file already there: one line, status 2, the file untouched."""
    (tmp_path / "taken.png").write_bytes(b"mine")
    result = filmclub("stats", "--thread", str(discussion.THREAD), *args, cwd=tmp_path,
                      FILMCLUB_DB=str(database))
    assert result.returncode == 2 and error in one_line(result)
    assert (tmp_path / "taken.png").read_bytes() == b"mine"
    assert result.stdout == ""  # refused before anything was counted


def test_chart_force_replaces_a_regular_file(database: Path, tmp_path: Path) -> None:
    """With --force an existing regular file is replaced by the chart."""
    out = tmp_path / "taken.png"
    out.write_bytes(b"mine")
    result = filmclub("stats", "--thread", str(discussion.THREAD), "--chart", str(out),
                      "--force", cwd=tmp_path, FILMCLUB_DB=str(database))
    assert result.returncode == 0, result.stderr
    assert png_image(out.read_bytes()).size == (1080, 600)


def test_chart_of_several_servers_asks_which(tmp_path: Path) -> None:
    """Two servers and no --guild or --thread: one line saying what to add, no file."""
    both = sample_database(tmp_path / "two.db", discussion)

    async def other() -> None:
        async with SQLiteStore(both) as store:
            await store.add_prompt(dataclasses.replace(hostile.PROMPT, guild_id=7))
            for event in hostile.EVENTS:
                store.submit(event)
            await store.flush()

    asyncio.run(other())
    result = filmclub("stats", "--chart", "all.png", cwd=tmp_path, FILMCLUB_DB=str(both))
    assert result.returncode == 2
    assert "--chart draws one chart and the database has 2 servers" in one_line(result)
    assert not (tmp_path / "all.png").exists()


@pytest.mark.parametrize("argv", [
    ["--help"], ["stats", "--thread", str(discussion.THREAD)], ["prompts", "list"],
])
def test_commands_without_a_chart_never_import_matplotlib(database: Path, tmp_path: Path,
                                                          argv: list[str]) -> None:
    """The plotting library is loaded only when a chart is drawn: start-up stays as it was."""
    probe = ("import sys, bot.cli\n"
             "try:\n    bot.cli.main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
             "print('LOADED' if 'matplotlib' in sys.modules else 'NOT LOADED')\n")
    result = subprocess.run([sys.executable, "-c", probe, *argv], cwd=ROOT, text=True,
                            capture_output=True, timeout=60, check=False,
                            env=clean_env(FILMCLUB_DB=str(database)))
    assert result.stdout.strip().endswith("NOT LOADED"), result.stderr
