"""Films as the club names them, and the records of its own loop (issue 17): watchlist
entries, ratings, film polls, the club's settings.

A film is one entry however it is typed: "Her", "her (2013)" and "HER." are the same
film. Its key is the title case-folded, accents and punctuation dropped, a leading
English article ("The", "A", "An", or a trailing ", The") left out; the year is
optional, and tells two films apart only when both entries have one. The store matches
films by these rules (``find_entry``) inside its transactions; reading what a member
typed, polls' choices and rankings are in ``bot.watchlist``, ``bot.polls``, ``bot.ratings``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from bot.errors import InvalidValue

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff]")


def tidy(text: str) -> str:
    """``text`` without control or zero-width characters, its spaces collapsed."""
    return " ".join(_CONTROL.sub("", text).split())



_ARTICLES = ("the", "a", "an")
_TRAILING_ARTICLE = re.compile(r",\s*(the|a|an)\s*$", re.IGNORECASE)
_JOINERS = re.compile(r"['’‘`´.·•\-‐‑–*]")  # Spider-Man = Spiderman, Schindler's = Schindlers
_NOT_WORD = re.compile(r"[\W_]+")


def film_key(title: str) -> str:
    """The key two spellings of one title share (never empty for a non-empty title)."""
    text = tidy(title)
    moved = _TRAILING_ARTICLE.search(text)
    if moved:  # "Godfather, The" is "The Godfather"
        text = f"{moved.group(1)} {text[:moved.start()]}"
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    folded = folded.replace("&", " and ").replace("æ", "ae").replace("œ", "oe").replace("ø", "o")
    words = _NOT_WORD.sub(" ", _JOINERS.sub("", folded)).split()
    if len(words) > 1 and words[0] in _ARTICLES:
        words = words[1:]
    return " ".join(words) or text.casefold()


@dataclass(frozen=True, slots=True)
class Film:
    """A film as a member named it: the title as typed (tidied), its year if given, its key."""

    title: str
    year: int | None
    key: str

    @property
    def label(self) -> str:
        return film_label(self.title, self.year)


def film_label(title: str, year: int | None) -> str:
    """'Title (year)', or the title alone."""
    return f"{title} ({year})" if year else title


def list_key(name: str) -> str:
    """Lists are one whatever the case or spacing of their name."""
    return " ".join(name.casefold().split())


@dataclass(frozen=True, slots=True)
class WatchEntry:
    """A film on one of a server's lists."""

    id: int
    guild_id: int
    list_name: str
    title: str
    year: int | None
    note: str | None
    suggested_by: int
    suggested_by_name: str
    suggested_at: datetime
    watched_at: datetime | None = None
    watched_thread_id: int | None = None  # the prompt that marked it, when one did

    @property
    def key(self) -> str:
        return film_key(self.title)

    @property
    def label(self) -> str:
        return film_label(self.title, self.year)

    @property
    def watched(self) -> bool:
        return self.watched_at is not None


@dataclass(frozen=True, slots=True)
class WatchlistInfo:
    """One of a server's lists and how many films it holds."""

    name: str
    films: int
    watched: int
    created_at: datetime


def same_film(entry: WatchEntry, film: Film) -> bool:
    """Same key, and the same year when both have one."""
    if entry.key != film.key:
        return False
    return entry.year is None or film.year is None or entry.year == film.year


def find_entry(entries: Iterable[WatchEntry], film: Film) -> WatchEntry | None:
    """The one entry that is ``film``; None when there is none; InvalidValue when ambiguous.

    An exact year match wins over entries without a year.
    """
    found = [e for e in entries if same_film(e, film)]
    if len(found) > 1 and film.year is not None:
        exact = [e for e in found if e.year == film.year]
        found = exact or found
    if len(found) > 1:
        years = ", ".join(sorted(str(e.year) if e.year else "no year" for e in found))
        raise InvalidValue(f"Several films on the list are “{film.title}” ({years}); "
                           "say which with its year.")
    return found[0] if found else None




@dataclass(frozen=True, slots=True)
class RatingSummary:
    """A prompt's ratings: how many, and their sum in half stars."""

    count: int = 0
    total: int = 0  # half stars

    @property
    def average(self) -> float | None:
        """The mean in stars (None without ratings)."""
        return None if not self.count else self.total / self.count / 2

    def line(self) -> str:
        """'★ 3.85 average from 12 ratings' (two decimals, what the embed shows)."""
        if not self.count:
            return "No ratings yet: rate the film below."
        noun = "rating" if self.count == 1 else "ratings"
        return f"★ {self.average:.2f} / 5 from {self.count} {noun}"


@dataclass(frozen=True, slots=True)
class Rating:
    """One member's rating of a prompt's film."""

    thread_id: int
    user_id: int
    half_stars: int
    rated_at: datetime


def film_of(title: str | None, film: str | None, year: int | None) -> tuple[str, int | None]:
    """What a prompt's article is about: its ``film`` (and year), else its title."""
    return (film or title or "?"), (year if film else None)




@dataclass(frozen=True, slots=True)
class PollAnswer:
    """One film of a poll, with what breaks a tie (when it was suggested)."""

    answer_id: int
    title: str
    year: int | None
    suggested_at: datetime
    entry_id: int | None = None

    @property
    def label(self) -> str:
        return film_label(self.title, self.year)


@dataclass(frozen=True, slots=True)
class FilmPoll:
    """A poll the bot posted, and how it ended."""

    message_id: int
    guild_id: int
    channel_id: int
    question: str
    created_by: int
    created_at: datetime
    expires_at: datetime
    answers: tuple[PollAnswer, ...]
    list_name: str | None = None
    multiple: bool = False
    ended_at: datetime | None = None
    ended_by: int | None = None
    winner: int | None = None
    outcome: str | None = None

    def answer(self, answer_id: int | None) -> PollAnswer | None:
        return next((a for a in self.answers if a.answer_id == answer_id), None)


# -- issue 18: the film behind an article (bot.films finds it, the store keeps it) ----------

FilmState = Literal["set", "found", "ambiguous", "none"]


@dataclass(frozen=True, slots=True)
class FilmRecord:
    """One film, as the lookup (or a moderator) described it."""

    title: str
    year: int | None = None
    original_title: str | None = None
    release_date: date | None = None
    directors: tuple[str, ...] = ()
    runtime: int | None = None  # minutes
    genres: tuple[str, ...] = ()
    poster_url: str | None = None
    wikidata_id: str | None = None
    imdb_id: str | None = None
    tmdb_id: int | None = None
    id: int | None = None  # the store's id, once stored
    aliases: tuple[str, ...] = field(default=(), compare=False)  # other titles (lookup only)

    @property
    def label(self) -> str:
        """'Her (2013)'."""
        return film_label(self.title, self.year)

    @property
    def key(self) -> str:
        return film_key(self.title)

    @property
    def director_line(self) -> str | None:
        return ", ".join(self.directors) or None

    @property
    def choice_label(self) -> str:
        """'Her (2013), Spike Jonze': enough to tell two films of one title apart."""
        return self.label + (f", {self.director_line}" if self.directors else "")

    def facts_line(self) -> str:
        """'2013 · Spike Jonze · 126 min': what the prompt's embed shows."""
        parts = [str(self.year)] if self.year else []
        if self.directors:
            parts.append(", ".join(self.directors))
        if self.runtime:
            parts.append(f"{self.runtime} min")
        return " · ".join(parts)

    def titles(self) -> set[str]:
        """The keys of every title the film goes by."""
        names = [self.title, *(self.aliases)]
        if self.original_title:
            names.append(self.original_title)
        return {film_key(n) for n in names if n}

    def links(self) -> list[tuple[str, str]]:
        """(site, URL) for each id the record has."""
        found = []
        if self.wikidata_id:
            found.append(("Wikidata", f"https://www.wikidata.org/wiki/{self.wikidata_id}"))
        if self.imdb_id:
            found.append(("IMDb", f"https://www.imdb.com/title/{self.imdb_id}/"))
        if self.tmdb_id:
            found.append(("TMDB", f"https://www.themoviedb.org/movie/{self.tmdb_id}"))
        return found

    def to_json(self) -> dict[str, Any]:
        """The record as JSON (exports, the lookup cache)."""
        return {
            "id": self.id, "title": self.title, "originalTitle": self.original_title,
            "year": self.year,
            "releaseDate": self.release_date.isoformat() if self.release_date else None,
            "directors": list(self.directors), "runtimeMinutes": self.runtime,
            "genres": list(self.genres), "posterUrl": self.poster_url,
            "wikidataId": self.wikidata_id, "imdbId": self.imdb_id, "tmdbId": self.tmdb_id,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FilmRecord:
        released = data.get("releaseDate")
        return cls(
            title=str(data["title"]), year=data.get("year"),
            original_title=data.get("originalTitle"),
            release_date=date.fromisoformat(released) if released else None,
            directors=tuple(data.get("directors") or ()), runtime=data.get("runtimeMinutes"),
            genres=tuple(data.get("genres") or ()), poster_url=data.get("posterUrl"),
            wikidata_id=data.get("wikidataId"), imdb_id=data.get("imdbId"),
            tmdb_id=data.get("tmdbId"), id=data.get("id"),
            aliases=tuple(data.get("aliases") or ()),
        )


@dataclass(frozen=True, slots=True)
class ArticleFilm:
    """The film of an article as the store keeps it."""

    slug: str
    state: FilmState
    film: FilmRecord | None = None
    choices: tuple[FilmRecord, ...] = ()
    set_by: int | None = None
    #: Still being looked up (shown as such; it is kept when the lookup answers).
    pending: bool = False

    def line(self) -> str:
        """What `/prompt preview` and `filmclub articles show` say about it."""
        if self.film is not None:
            how = "set by a moderator" if self.state == "set" else "found in the article"
            facts = self.film.facts_line()
            return f"{self.film.label}{' · ' + facts if facts else ''} ({how})"
        if self.state == "ambiguous" and self.choices:
            return ("not set: which one? " + "; ".join(c.choice_label for c in self.choices)
                    + " (choose with /film set or articles add --film)")
        if self.pending:
            return "being looked up; ask again in a moment (or set it with /film set)"
        return "not set: no film found in the article (set one with /film set)"


@dataclass(frozen=True, slots=True)
class FilmPrompt:
    """A prompt about a film (for its history)."""

    thread_id: int
    channel_id: int
    title: str
    posted_at: Any  # datetime


@dataclass(frozen=True, slots=True)
class FilmPollLine:
    """A poll the film was an answer of."""

    message_id: int
    channel_id: int
    won: bool
    ended: bool
    created_at: Any  # datetime


@dataclass(slots=True)
class FilmHistory:
    """What a server did with a film: its prompts, their ratings, its watchlist entries
    and the polls it was in."""

    prompts: list[FilmPrompt] = field(default_factory=list)
    ratings: list[tuple[int, int]] = field(default_factory=list)  # (thread id, half stars)
    entries: list[Any] = field(default_factory=list)  # bot.watchlist.WatchEntry
    polls: list[FilmPollLine] = field(default_factory=list)
