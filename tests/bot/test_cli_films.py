"""`filmclub articles add --film` and `articles show` with films (issue 18), the lookup
pointed at the loopback fake of Wikidata."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot import cli, cli_library, filmlookup
from bot.config import from_env
from bot.errors import FilmclubError
from tests.filmfake import FilmAPIs


async def run(tmp_path: Path, apis: FilmAPIs, *argv: str, lookup: str = "on") -> int:
    """A library command in this process, its film lookup reaching only the fake."""
    config = from_env({"FILMCLUB_DB": str(tmp_path / "filmclub.db"),
                       "FILMCLUB_ARTICLES": str(tmp_path / "articles"),
                       "FILMCLUB_FILM_LOOKUP": lookup})
    return await cli_library.run(config, cli._parser().parse_args(argv), policy=apis.policy)


@pytest.fixture
def fake_endpoints(film_apis: FilmAPIs, monkeypatch: pytest.MonkeyPatch) -> FilmAPIs:
    monkeypatch.setattr(filmlookup, "WIKIDATA_API", film_apis.wikidata_api)
    monkeypatch.setattr(filmlookup, "TMDB_API", film_apis.tmdb_api)
    return film_apis


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def shown(out: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in out.splitlines()[1:] if ": " in line)


async def test_add_with_film_sets_it_and_show_prints_it(
        tmp_path: Path, fake_endpoints: FilmAPIs, capsys: pytest.CaptureFixture[str]) -> None:
    """--film "Her (2013)" is looked up and set; show prints the card's Film line and record."""
    source = write(tmp_path, "love.md", "---\ntitle: A love story\n---\nTheodore writes "
                                        "letters for a living.\n")
    assert await run(tmp_path, fake_endpoints, "articles", "add", str(source), "--film",
                     "Her (2013)") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "film of 'love': Her (2013) (2013 · Spike Jonze · 126 min)"
    assert await run(tmp_path, fake_endpoints, "articles", "show", "love") == 0
    lines = shown(capsys.readouterr().out)
    assert lines["film"] == "Her (2013) · dir. Spike Jonze · 126 min"
    assert lines["film record"] == "Her (2013) · 2013 · Spike Jonze · 126 min (set by a moderator)"


async def test_an_ambiguous_film_adds_nothing(
        tmp_path: Path, fake_endpoints: FilmAPIs, capsys: pytest.CaptureFixture[str]) -> None:
    """--film "Her" is two films: one line naming them, and the article is not added."""
    source = write(tmp_path, "love.md", "---\ntitle: A love story\n---\nText.\n")
    with pytest.raises(FilmclubError, match=r"“Her” is several films: Her \(2013\), Spike "
                                            r"Jonze; Her \(1990\), Marta Lind"):
        await run(tmp_path, fake_endpoints, "articles", "add", str(source), "--film", "Her")
    assert not (tmp_path / "articles" / "love.md").exists()


async def test_offline_the_film_is_kept_as_typed(
        tmp_path: Path, fake_endpoints: FilmAPIs, capsys: pytest.CaptureFixture[str]) -> None:
    """FILMCLUB_FILM_LOOKUP=off: the typed title and year are the film; nothing is asked."""
    source = write(tmp_path, "odd.md", "---\ntitle: Odd\n---\nText.\n")
    assert await run(tmp_path, fake_endpoints, "articles", "add", str(source), "--film",
                     "Nowhere Film (1999)", lookup="off") == 0
    assert capsys.readouterr().out.splitlines()[-1] == "film of 'odd': Nowhere Film (1999) (1999)"
    assert fake_endpoints.requests == []


async def test_show_offers_the_choice_and_stores_nothing(
        tmp_path: Path, fake_endpoints: FilmAPIs, capsys: pytest.CaptureFixture[str]) -> None:
    """An article naming 'Dune' without a year or director: show lists both, keeps nothing."""
    source = write(tmp_path, "dune.md", "---\ntitle: Why 'Dune' still matters\n---\nSand, "
                                        "spice, and a boy who would be messiah.\n")
    assert await run(tmp_path, fake_endpoints, "articles", "add", str(source)) == 0
    capsys.readouterr()
    assert await run(tmp_path, fake_endpoints, "articles", "show", "dune") == 0
    lines = shown(capsys.readouterr().out)
    assert lines["film record"] == ("not set: which one? Dune (1984), David Lynch; Dune (2021),"
                                    " Denis Villeneuve (choose with /film set or articles add "
                                    "--film)")
    with sqlite3.connect(tmp_path / "filmclub.db") as db:
        assert db.execute("SELECT count(*) FROM article_films").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM film_lookups").fetchone()[0] == 0
