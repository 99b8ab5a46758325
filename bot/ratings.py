"""Ratings (issue 17): what members thought of the film of a prompt, one to five stars.

A rating is kept in half stars as an integer from 1 (half a star) to 10 (five stars),
one per member per prompt; the member can change or remove it. ``/film top`` ranks
films by a Bayesian average, so one five-star vote does not top the table:

    score = (C·m + Σr) / (C + n)

with ``n`` the film's ratings, ``Σr`` their sum, ``m`` the mean of every rating in the
server (in the same period) and ``C`` = ``PRIOR_COUNT``: a film starts as if it had
``C`` ratings at the server's mean, and its own ratings pull it away from there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bot.errors import InvalidValue
from bot.records.films import Rating, RatingSummary, film_key, film_label, film_of

#: The prior count C of the Bayesian average.
PRIOR_COUNT = 5
HALF_STARS = tuple(range(1, 11))  # 0.5 .. 5 stars
#: The select menu's value for "remove my rating".
REMOVE = "remove"


def stars_text(half_stars: int) -> str:
    """'4.5' for 9, '3' for 6."""
    return f"{half_stars // 2}" if half_stars % 2 == 0 else f"{half_stars / 2:.1f}"


def star_bar(half_stars: int) -> str:
    """★★★★½ for 9."""
    return "★" * (half_stars // 2) + ("½" if half_stars % 2 else "")


def read_rating(value: str) -> int | None:
    """A select value ("1".."10" half stars, or "remove") as half stars (None: remove)."""
    if value == REMOVE:
        return None
    if value.isdigit() and int(value) in HALF_STARS:
        return int(value)
    raise InvalidValue(f"{value!r} is not a rating.")


@dataclass(slots=True)
class FilmRatings:
    """Every rating of one film in a server (a film may have been the subject of several
    prompts: they count together)."""

    title: str
    year: int | None
    thread_ids: list[int] = field(default_factory=list)
    ratings: list[int] = field(default_factory=list)  # half stars

    @property
    def label(self) -> str:
        return film_label(self.title, self.year)

    @property
    def count(self) -> int:
        return len(self.ratings)

    @property
    def average(self) -> float:
        return sum(self.ratings) / len(self.ratings) / 2 if self.ratings else 0.0

    def distribution(self) -> dict[int, int]:
        """Half stars -> how many members gave that, for every step from ½ to 5."""
        counts = Counter(self.ratings)
        return {step: counts.get(step, 0) for step in HALF_STARS}


def group_by_film(rows: Iterable[tuple[int, str, int | None, int]]) -> list[FilmRatings]:
    """(thread id, film title, year, half stars) rows as one FilmRatings per film."""
    films: dict[tuple[str, int | None], FilmRatings] = {}
    for thread_id, title, year, half in rows:
        key = (film_key(title), year)
        entry = films.get(key)
        if entry is None:
            entry = films[key] = FilmRatings(title, year)
        if thread_id not in entry.thread_ids:
            entry.thread_ids.append(thread_id)
        entry.ratings.append(half)
    return list(films.values())


def bayesian(film: FilmRatings, mean: float, prior: int = PRIOR_COUNT) -> float:
    """(C·m + Σr) / (C + n), in stars."""
    return (prior * mean + sum(film.ratings) / 2) / (prior + film.count)


@dataclass(frozen=True, slots=True)
class RankedFilm:
    film: FilmRatings
    score: float


def rank_films(films: Sequence[FilmRatings], prior: int = PRIOR_COUNT) -> tuple[list[RankedFilm],
                                                                                 float]:
    """Films best first by Bayesian average (ties: more ratings, then title); and the mean m."""
    every = [r for f in films for r in f.ratings]
    mean = sum(every) / len(every) / 2 if every else 0.0
    ranked = [RankedFilm(f, bayesian(f, mean, prior)) for f in films if f.ratings]
    ranked.sort(key=lambda r: (-r.score, -r.film.count, r.film.title.casefold()))
    return ranked, mean


def find_film(films: Sequence[FilmRatings], title: str, year: int | None) -> FilmRatings | None:
    """The rated film a member named (same key; same year when both have one, exact first)."""
    key = film_key(title)
    found = [f for f in films if film_key(f.title) == key
             and (year is None or f.year is None or f.year == year)]
    if len(found) > 1 and year is not None:
        found = [f for f in found if f.year == year] or found
    return found[0] if found else None


def distribution_lines(film: FilmRatings, width: int = 20) -> list[str]:
    """One line per step, five stars first: '4½  ████████  3' (bars scaled to ``width``)."""
    counts = film.distribution()
    most = max(counts.values()) or 1
    lines = []
    for step in reversed(HALF_STARS):
        label = step_label(step)
        count = counts[step]
        bar = "█" * round(count / most * width) if count else ""
        lines.append(f"{label:>2} {bar:<{width}} {count}")
    return lines


def summary_of(half_stars: Sequence[int]) -> RatingSummary:
    return RatingSummary(len(half_stars), sum(half_stars))


def step_label(step: int) -> str:
    """'4½' for 9 half stars, '5' for 10, '½' for 1."""
    return f"{step // 2}{'½' if step % 2 else ''}" if step > 1 else "½"


def exact_line(summary: RatingSummary) -> str:
    """The exact figures for /stats: mean to three decimals, count and total."""
    if not summary.count:
        return "no ratings yet"
    noun = "rating" if summary.count == 1 else "ratings"
    return (f"{summary.total / summary.count / 2:.3f} / 5 from {summary.count} {noun} "
            f"({summary.total / 2:g} stars in all)")


__all__ = ["Rating", "RatingSummary", "film_of"]
