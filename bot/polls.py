"""Polls for what the club watches next (issue 17): the answers, the length, the winner.

A poll is a chat service's native poll (Discord's: up to 10 answers of 55 characters,
from 1 hour to 32 days); this module chooses its films (a watchlist's unwatched films
in the order suggested, or the films a moderator names), reads its length, and counts
the stored votes: most votes wins, and a tie goes to the film suggested first.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.card import fit
from bot.errors import InvalidValue
from bot.records.films import FilmPoll, PollAnswer, WatchEntry, find_entry, same_film
from bot.watchlist import ordered, read_film

MAX_ANSWERS = 10
MIN_ANSWERS = 2
ANSWER_LIMIT = 55
QUESTION = "What do we watch next?"
MIN_HOURS, MAX_HOURS = 1, 768  # 32 days
_DURATION = re.compile(r"(\d+)\s*([wdh])")
_WHOLE_DURATION = re.compile(r"(\s*\d+\s*[wdh])+\s*")
_HOURS = {"h": 1, "d": 24, "w": 24 * 7}
_SEPARATORS = re.compile(r"[;|\n]")


def answer_text(answer: PollAnswer) -> str:
    """The answer as the poll shows it (within the 55 characters Discord allows)."""
    return fit(answer.label, ANSWER_LIMIT)


@dataclass(frozen=True, slots=True)
class PollResult:
    """The counted votes of a poll."""

    counts: dict[int, int]  # answer id -> votes
    voters: int
    winner: PollAnswer | None
    tied: tuple[PollAnswer, ...] = field(default=())  # the answers that tied for first

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def line(self) -> str:
        """'Her (2013) wins with 3 of 7 votes' (and how a tie was broken)."""
        if self.winner is None:
            return "No one voted, so nothing wins."
        votes = self.counts.get(self.winner.answer_id, 0)
        line = (f"{self.winner.label} wins with {votes} of {self.total} "
                f"{'vote' if self.total == 1 else 'votes'}")
        if len(self.tied) > 1:
            others = ", ".join(a.label for a in self.tied if a is not self.winner)
            line += f" (tied with {others}; it was suggested first)"
        return line + "."


def read_duration(text: str | None, default_hours: int) -> int:
    """'12h', '3d', '1w', '1d12h' as whole hours from 1 to 768; the default when not given."""
    if text is None or not text.strip():
        return default_hours
    cleaned = text.strip().lower()
    if not _WHOLE_DURATION.fullmatch(cleaned):
        raise InvalidValue(f"{text[:40]!r} is not a length: write it like 12h, 3d, 1w or "
                           "1d12h (from 1h to 32d).")
    hours = sum(int(n) * _HOURS[unit] for n, unit in _DURATION.findall(cleaned))
    if not MIN_HOURS <= hours <= MAX_HOURS:
        raise InvalidValue(f"A poll runs from 1 hour to 32 days, not {hours} hours.")
    return hours


def split_films(text: str | None) -> list[str]:
    """Films a moderator listed, separated by ';', '|' or new lines."""
    return [part.strip() for part in _SEPARATORS.split(text or "") if part.strip()]


def choose_answers(entries: Sequence[WatchEntry], given: Sequence[str], now: datetime
                   ) -> list[PollAnswer]:
    """The poll's films: those named (matched to the list's entries when they are on it),
    else the list's unwatched films in the order suggested; 2 to 10, each once."""
    chosen: list[PollAnswer] = []

    def add(title: str, year: int | None, at: datetime, entry_id: int | None) -> None:
        film = read_film(title, year)
        if any(same_film(_as_entry(a), film) for a in chosen):
            return
        chosen.append(PollAnswer(len(chosen) + 1, title, year, at, entry_id))

    if given:
        if len(given) > MAX_ANSWERS:
            raise InvalidValue(f"A poll takes at most {MAX_ANSWERS} films; {len(given)} given.")
        for number, typed in enumerate(given):
            film = read_film(typed)
            entry = find_entry(entries, film)
            if entry is not None:
                add(entry.title, entry.year or film.year, entry.suggested_at, entry.id)
            else:  # not on the list: suggested now, in the order given
                add(film.title, film.year, now + timedelta(microseconds=number), None)
    else:
        for entry in ordered(e for e in entries if not e.watched)[:MAX_ANSWERS]:
            add(entry.title, entry.year, entry.suggested_at, entry.id)
    if len(chosen) < MIN_ANSWERS:
        raise InvalidValue("A poll needs at least two different films: name them in films, "
                           "or add films to the list.")
    return chosen


def _as_entry(answer: PollAnswer) -> WatchEntry:
    return WatchEntry(0, 0, "", answer.title, answer.year, None, 0, "", answer.suggested_at)


def question_for(list_name: str | None) -> str:
    return f"{QUESTION} ({fit(list_name, 100)})" if list_name else QUESTION


def tally(answers: Sequence[PollAnswer], votes: Iterable[tuple[int, int]]) -> PollResult:
    """Count (answer id, member) votes: most votes wins; ties go to the film suggested first."""
    valid = {a.answer_id for a in answers}
    cast = {(answer, user) for answer, user in votes if answer in valid}
    counts = Counter(answer for answer, _ in cast)
    voters = len({user for _, user in cast})
    top = max(counts.values(), default=0)
    if not top:
        return PollResult({}, 0, None)
    tied = sorted((a for a in answers if counts.get(a.answer_id) == top),
                  key=lambda a: (a.suggested_at, a.answer_id))
    return PollResult(dict(counts), voters, tied[0], tuple(tied))


__all__ = ["FilmPoll", "PollAnswer"]
