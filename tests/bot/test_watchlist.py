"""Reading films as members type them, matching them, and the list exports (issue 17)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from bot.errors import InvalidValue, NotFound
from bot.models import Article
from bot.watchlist import (
    WatchEntry,
    autocomplete,
    film_key,
    film_of_article,
    find_entry,
    one_entry,
    read_film,
    to_csv,
    to_markdown,
)

#: Spellings members type for one film, each group one film: (typed, year given).
SAME_FILM = [
    [("Her", None), ("her (2013)", None), ("HER.", None), ("  Her  ", 2013), ("Her [2013]", None)],
    [("The Godfather", None), ("Godfather, The", None), ("godfather", 1972),
     ("THE GODFATHER (1972)", None)],
    [("Amélie", None), ("Amelie", None), ("AMÉLIE (2001)", None)],
    [("Spider-Man", None), ("Spiderman", None), ("spider‐man", 2002)],
    [("Schindler's List", None), ("Schindlers List", None), ("schindler’s list", 1993)],
    [("Mission: Impossible", None), ("Mission Impossible", 1996)],
    [("Crouching Tiger, Hidden Dragon", None), ("crouching tiger hidden dragon", None)],
    [("Fast & Furious", None), ("Fast and Furious", 2009)],
    [("A Ghost Story", None), ("Ghost Story, A", None), ("ghost story", 2017)],
    [("An American Werewolf in London", None), ("American Werewolf in London", None)],
    [("Se7en", None), ("se7en (1995)", None)],
    [("千と千尋の神隠し", None), ("千と千尋の神隠し (2001)", None)],
    [("Blade Runner 2049", None), ("blade runner 2049", 2017)],
    [("Wall·E", None), ("WALL-E", None), ("wall-e", 2008)],
    [("Æon Flux", None), ("Aeon Flux", None)],
    [("M*A*S*H", None), ("MASH", 1970)],
    [("Léon: The Professional", None), ("Leon The Professional", 1994)],
    [("The The", None), ("the the", None)],
]

#: Pairs that are different films.
DIFFERENT = [
    (("Dune", 1984), ("Dune", 2021)),
    (("Blade Runner", None), ("Blade Runner 2049", None)),
    (("Her", None), ("Here", None)),
    (("Alien", None), ("Aliens", None)),
    (("The Thing (1982)", None), ("The Thing (2011)", None)),
    (("Paddington", None), ("Paddington 2", None)),
    (("A", None), ("An", None)),
]

AT = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)


def entry(entry_id: int, title: str, year: int | None = None, **more: object) -> WatchEntry:
    fields: dict[str, object] = {
        "id": entry_id, "guild_id": 1, "list_name": "Watchlist", "title": title, "year": year,
        "note": None, "suggested_by": 10, "suggested_by_name": "Ana", "suggested_at": AT}
    fields.update(more)
    return WatchEntry(**fields)  # type: ignore[arg-type]


def test_spellings_of_one_film_are_one_entry() -> None:
    """Every spelling in a group finds the entry made from the group's first spelling."""
    checked = 0
    for group in SAME_FILM:
        first = read_film(*group[0])
        made = entry(1, first.title, first.year)
        for typed, year in group:
            film = read_film(typed, year)
            assert film.key == first.key, (typed, film.key, first.key)
            assert find_entry([made], film) is made, typed
            checked += 1
    print(f"{checked} spellings in {len(SAME_FILM)} films matched")
    assert checked == sum(len(g) for g in SAME_FILM)


@pytest.mark.parametrize(("one", "other"), DIFFERENT)
def test_different_films_stay_apart(one: tuple[str, int | None],
                                    other: tuple[str, int | None]) -> None:
    """Different titles, or the same title with two different years, are two entries."""
    a, b = read_film(*one), read_film(*other)
    assert find_entry([entry(1, a.title, a.year)], b) is None


@pytest.mark.parametrize(("typed", "year", "title", "read_year"), [
    ("her (2013)", None, "her", 2013),
    ("Her [2013]", 2013, "Her", 2013),
    ("Blade Runner 2049", None, "Blade Runner 2049", None),
    ("1917", None, "1917", None),
    ("(500) Days of Summer", None, "(500) Days of Summer", None),
    ("Her\u200b\n(2013)", None, "Her", 2013),
])
def test_a_bracketed_year_at_the_end_is_the_year(typed: str, year: int | None, title: str,
                                                 read_year: int | None) -> None:
    """Only a year in brackets at the end is read off the title."""
    film = read_film(typed, year)
    assert (film.title, film.year) == (title, read_year)


@pytest.mark.parametrize(("typed", "year", "problem"), [
    ("", None, "Give the film's title."),
    (" \t ", None, "Give the film's title."),
    ("Her (2013)", 2014, "give one year"),
    ("Her", 1700, "is not a film's year"),
    ("x" * 201, None, "over 200 characters"),
])
def test_unusable_films_are_refused(typed: str, year: int | None, problem: str) -> None:
    """Blank titles, two years, impossible years and overlong titles: one-line errors."""
    with pytest.raises(InvalidValue, match=problem):
        read_film(typed, year)


def test_an_exact_year_wins_and_ambiguity_is_an_error() -> None:
    """'Dune (2021)' finds the 2021 entry; 'Dune' with two on the list asks for the year."""
    old, new = entry(1, "Dune", 1984), entry(2, "Dune", 2021)
    assert find_entry([old, new], read_film("Dune (2021)")) is new
    with pytest.raises(InvalidValue, match="say which with its year"):
        find_entry([old, new], read_film("dune"))
    undated = entry(3, "Dune")
    assert find_entry([undated, new], read_film("Dune", 2021)) is new
    with pytest.raises(NotFound, match="is not on the list"):
        one_entry([old], read_film("Dune", 2000), "the list")


def test_film_of_article() -> None:
    """A prompt's film is its article's film and year; an article without one has none."""
    found = film_of_article(Article(slug="v", title="Vertigo essay", film="Vertigo", year=1958))
    assert found is not None and (found.title, found.year) == ("Vertigo", 1958)
    assert film_of_article(Article(slug="x", title="On cinema")) is None


def test_autocomplete_prefers_titles_starting_with_what_was_typed() -> None:
    """Starts-with first, then contains; article-less keys match too."""
    entries = [entry(1, "The Dunes of Summer"), entry(2, "Dune", 2021), entry(3, "Paris")]
    assert [e.id for e in autocomplete(entries, "dun")] == [1, 2]
    assert [e.id for e in autocomplete(entries, "summer")] == [1]
    assert [e.id for e in autocomplete(entries, "")] == [1, 2, 3]


def test_markdown_and_csv_exports() -> None:
    """Markdown numbers films to watch and lists the watched; CSV quotes formulas away."""
    entries = [
        entry(1, "Her", 2013, note="Spike *Jonze*"),
        entry(2, "=HYPERLINK(\"x\")", None, suggested_by_name="Ben"),
        entry(3, "Vertigo", 1958, watched_at=AT, watched_thread_id=99),
        entry(4, "Halloween", 1978, list_name="Halloween"),
    ]
    md = to_markdown(entries, ["Watchlist", "Halloween"], AT)
    assert md.startswith("# Watchlist\n")
    assert "*2 to watch, 1 watched · exported 2026-12-07 20:00 UTC*" in md
    assert "1. **Her** (2013) — suggested by Ana on 2026-12-07. *Spike \\*Jonze\\**" in md
    assert "- **Vertigo** (1958) — watched 2026-12-07, suggested by Ana" in md
    assert "# Halloween\n" in md and "1. **Halloween** (1978)" in md
    rows = list(csv.reader(io.StringIO(to_csv(entries, ["Watchlist", "Halloween"]))))
    assert rows[0][:3] == ["list", "title", "year"]
    assert [r[1] for r in rows[1:]] == ["Her", "'=HYPERLINK(\"x\")", "Vertigo", "Halloween"]
    assert rows[3][7] == AT.isoformat() and rows[3][8] == "99"


def test_keys_never_empty() -> None:
    """A title of punctuation alone still has a key (and matches itself)."""
    assert film_key("...") == "..."
    assert film_key("?!") == film_key("?!")
