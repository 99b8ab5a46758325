"""Polls' small logic (issue 17): lengths, films named, choosing answers, the winner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import InvalidValue
from bot.polls import PollAnswer, choose_answers, read_duration, split_films, tally
from bot.watchlist import WatchEntry

T0 = datetime(2026, 12, 1, 19, 0, tzinfo=UTC)


def entry(entry_id: int, title: str, year: int | None = None, minutes: int = 0,
          watched: bool = False) -> WatchEntry:
    return WatchEntry(entry_id, 1, "Watchlist", title, year, None, 5, "Ana",
                      T0 + timedelta(minutes=minutes), T0 if watched else None)


@pytest.mark.parametrize(("text", "hours"), [
    (None, 24), ("", 24), ("12h", 12), ("3d", 72), ("1w", 168), ("1d12h", 36),
    ("1d 12h", 36), ("32d", 768), ("1h", 1), (" 2D ", 48),
])
def test_read_duration(text: str | None, hours: int) -> None:
    """Hours, days and weeks, added up; the default when not given."""
    assert read_duration(text, 24) == hours


@pytest.mark.parametrize("text", ["0h", "33d", "769h", "5", "soon", "2x", "-1d"])
def test_read_duration_refuses(text: str) -> None:
    """Out of 1h..32d, or not a length: a one-line error."""
    with pytest.raises(InvalidValue):
        read_duration(text, 24)


def test_split_films() -> None:
    """';', '|' and new lines separate; commas stay in titles."""
    assert split_films("Crouching Tiger, Hidden Dragon; Her | Dune (2021)\nJaws;;") == [
        "Crouching Tiger, Hidden Dragon", "Her", "Dune (2021)", "Jaws"]
    assert split_films(None) == []


def test_answers_from_the_list_unwatched_in_order() -> None:
    """The list's unwatched films, oldest suggestion first, at most ten."""
    entries = [entry(n, f"Film {n}", minutes=-n) for n in range(1, 14)]
    entries.append(entry(99, "Seen", minutes=-100, watched=True))
    answers = choose_answers(entries, [], T0)
    assert [a.title for a in answers] == [f"Film {n}" for n in range(13, 3, -1)]
    assert [a.answer_id for a in answers] == list(range(1, 11))
    assert all(a.entry_id is not None for a in answers)


def test_answers_named_by_hand() -> None:
    """Named films match list entries (their suggestion time) or are new; each film once."""
    entries = [entry(1, "Her", 2013, minutes=5)]
    answers = choose_answers(entries, ["her", "Jaws", "HER (2013)", "Alien (1979)"], T0)
    assert [(a.label, a.entry_id) for a in answers] == [
        ("Her (2013)", 1), ("Jaws", None), ("Alien (1979)", None)]
    assert answers[0].suggested_at == T0 + timedelta(minutes=5)
    assert answers[1].suggested_at < answers[2].suggested_at
    with pytest.raises(InvalidValue, match="at least two"):
        choose_answers(entries, ["Her", "her (2013)"], T0)
    with pytest.raises(InvalidValue, match="at most 10"):
        choose_answers([], [f"F{n}" for n in range(11)], T0)


def test_tally_ties_go_to_the_film_suggested_first() -> None:
    """Most votes wins; a tie goes to the earlier suggestion, whatever the answer order."""
    answers = [PollAnswer(1, "Late", None, T0 + timedelta(days=1)),
               PollAnswer(2, "Early", None, T0), PollAnswer(3, "Few", None, T0)]
    result = tally(answers, [(1, 10), (1, 11), (2, 12), (2, 13), (3, 14), (9, 15), (1, 10)])
    assert result.counts == {1: 2, 2: 2, 3: 1}
    assert result.winner is not None and result.winner.title == "Early"
    assert result.voters == 5 and result.total == 5
    assert result.line() == "Early wins with 2 of 5 votes (tied with Late; it was suggested first)."
    empty = tally(answers, [])
    assert empty.winner is None and empty.line() == "No one voted, so nothing wins."
