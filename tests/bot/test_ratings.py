"""Ratings' small logic (issue 17): reading a pick, summaries, the Bayesian ranking."""

from __future__ import annotations

import pytest

from bot.errors import InvalidValue
from bot.ratings import (
    FilmRatings,
    RatingSummary,
    bayesian,
    distribution_lines,
    exact_line,
    find_film,
    group_by_film,
    rank_films,
    read_rating,
    star_bar,
    stars_text,
)


@pytest.mark.parametrize(("value", "half"), [("1", 1), ("10", 10), ("7", 7), ("remove", None)])
def test_read_rating(value: str, half: int | None) -> None:
    """Half stars 1..10, or remove."""
    assert read_rating(value) == half


@pytest.mark.parametrize("value", ["0", "11", "-1", "4.5", "", "five"])
def test_read_rating_refuses_the_rest(value: str) -> None:
    """Anything else is an error (a tampered custom menu)."""
    with pytest.raises(InvalidValue):
        read_rating(value)


def test_stars_are_written_in_half_steps() -> None:
    """9 half stars read ★★★★½ and 4.5; 6 read ★★★ and 3; 1 reads ½ and 0.5."""
    assert (star_bar(9), stars_text(9)) == ("★★★★½", "4.5")
    assert (star_bar(6), stars_text(6)) == ("★★★", "3")
    assert (star_bar(1), stars_text(1)) == ("½", "0.5")


def test_summary_lines() -> None:
    """The embed's line rounds to two decimals; /stats' exact line to three with the total."""
    assert RatingSummary().line() == "No ratings yet: rate the film below."
    summary = RatingSummary(3, 17)  # 8.5 stars from 3
    assert summary.line() == "★ 2.83 / 5 from 3 ratings"
    assert exact_line(summary) == "2.833 / 5 from 3 ratings (8.5 stars in all)"
    assert exact_line(RatingSummary(1, 10)) == "5.000 / 5 from 1 rating (5 stars in all)"


def test_one_five_star_vote_does_not_top_the_table() -> None:
    """(C·m + Σr)/(C + n): a lone 5 stays below a film many rated 4.5."""
    rows = [(1, "Lone", None, 10)]
    rows += [(2, "Loved", 2019, 9)] * 20
    rows += [(3, "Meh", None, 4)] * 10
    ranked, mean = rank_films(group_by_film(rows))
    assert [r.film.title for r in ranked] == ["Loved", "Lone", "Meh"]
    assert mean == pytest.approx((10 + 9 * 20 + 4 * 10) / 31 / 2)
    lone = next(r for r in ranked if r.film.title == "Lone")
    assert lone.score == pytest.approx((5 * mean + 5) / 6)
    assert bayesian(FilmRatings("x", None, [1], [10]), 3.0, prior=5) == pytest.approx(20 / 6)


def test_prompts_of_one_film_count_together() -> None:
    """Two prompts about Vertigo (any spelling) are one film with both threads."""
    films = group_by_film([(1, "Vertigo", 1958, 8), (2, "vertigo", 1958, 6), (3, "Her", None, 2)])
    assert [(f.title, f.thread_ids, f.ratings) for f in films] == [
        ("Vertigo", [1, 2], [8, 6]), ("Her", [3], [2])]
    assert find_film(films, "VERTIGO", None) is films[0]
    assert find_film(films, "Vertigo", 1999) is None
    assert find_film(films, "Jaws", None) is None


def test_distribution_lines() -> None:
    """Ten lines, five stars first, the counts at the end, bars scaled to the most."""
    film = FilmRatings("x", None, [1], [10, 10, 9, 1])
    lines = distribution_lines(film, width=4)
    assert len(lines) == 10
    assert lines[0] == " 5 ████ 2" and lines[1] == "4½ ██   1" and lines[-1] == " ½ ██   1"
