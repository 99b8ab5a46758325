"""Films as things the bot knows (issue 18): the film record, and finding an article's film.

A :class:`FilmRecord` is one film (title, original title, year, release date, directors,
runtime, genres, poster, and the ids people link by: Wikidata, IMDb, TMDB), kept in the
store and shared by articles, prompts, watchlists, polls and ratings.

An article without a ``film`` in its front matter has its film found from its title and
opening, the way writers name one: a quoted or italic title ("Spike Jonze's 'Her'",
*Paddington 2*), a director's possessive before a title ("Bong Joon-ho's Parasite"),
"Review: Aftersun" or "Aftersun review", a year in brackets ("The Thing (1982)"). Each
such reading is a :class:`Candidate`; a candidate counts only when the lookup
(``bot.filmlookup``) knows a film of that title (or original title) whose year or director
agrees with what the article says. One film confirmed: found. Several: ambiguous, left
unset and offered as a choice. None: unset. Nothing is ever guessed.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

# The film records live with the other records (the store keeps them); named here too.
from bot.records.films import (
    ArticleFilm as ArticleFilm,
)
from bot.records.films import (
    FilmHistory as FilmHistory,
)
from bot.records.films import (
    FilmPollLine as FilmPollLine,
)
from bot.records.films import (
    FilmPrompt as FilmPrompt,
)
from bot.records.films import (
    FilmRecord as FilmRecord,
)
from bot.records.films import (
    FilmState as FilmState,
)
from bot.records.films import (
    film_key,
)

log = logging.getLogger(__name__)

#: How a film was attached to an article.
#: Most films offered as a choice for one article.
MAX_CHOICES = 5
#: Most titles looked up from a headline, and from an opening (each is a search).
MAX_CANDIDATES = 4


def released_on(film: FilmRecord | None) -> date | None:
    """The film's first release date, when known (for the spoiler rules of issue 18)."""
    if film is None:
        return None
    return film.release_date


def merge(first: FilmRecord, other: FilmRecord) -> FilmRecord:
    """``first`` with what it lacks taken from ``other`` (the same film from another source)."""
    return replace(
        first,
        original_title=first.original_title or other.original_title,
        year=first.year or other.year,
        release_date=first.release_date or other.release_date,
        directors=first.directors or other.directors,
        runtime=first.runtime or other.runtime,
        genres=first.genres or other.genres,
        poster_url=first.poster_url or other.poster_url,
        wikidata_id=first.wikidata_id or other.wikidata_id,
        imdb_id=first.imdb_id or other.imdb_id,
        tmdb_id=first.tmdb_id or other.tmdb_id,
        aliases=tuple(dict.fromkeys((*first.aliases, *other.aliases))),
    )


def same_record(a: FilmRecord, b: FilmRecord) -> bool:
    """Whether two records are one film: a shared id, else the same title key and year."""
    for left, right in ((a.wikidata_id, b.wikidata_id), (a.imdb_id, b.imdb_id),
                        (a.tmdb_id, b.tmdb_id)):
        if left and right:
            return left == right
    return a.key == b.key and a.year == b.year


# -- reading an article's title and opening ----------------------------------------------------

@dataclass(frozen=True, slots=True)
class Candidate:
    """A title the article seems to name, with what it says about it."""

    title: str
    year: int | None = None
    director: str | None = None
    how: str = ""  # which reading found it (for the log and the tests)


_Q_OPEN = "'\"‘“«"
_Q_CLOSE = "'\"’”»"
_NAME_WORD = r"(?:[A-ZÀ-ÖØ-Þ][\w\-’'.]*|van|von|de|del|della|di|da|le|la|du|der|ten|bin)"
_NAME = rf"[A-ZÀ-ÖØ-Þ][\w\-.]*(?:\s+{_NAME_WORD}){{0,3}}"
_TITLE_WORD = r"(?:[A-ZÀ-ÖØ-Þ0-9][\w\-’'.:!&]*)"
_SMALL = r"(?:of|the|a|an|and|in|on|for|to|at|by|with|from|part|de|la|le|du|des|y|e|di)"
_BARE_TITLE = rf"{_TITLE_WORD}(?:\s+(?:{_TITLE_WORD}|{_SMALL}(?=\s+[A-ZÀ-ÖØ-Þ0-9])))*"
_QUOTED = re.compile(r"(?<![\w'’])(?P<q>['\"‘“«])(?P<t>[^\s'\"‘’“”«»][^\"‘’“”«»\n]{0,80}?)"
                     r"(?P<c>['\"’”»])(?![\w])")
_ITALIC = re.compile(r"(?<![\w*_])(?:\*{1,2}|_)(?P<t>[^*_\n]{1,80}?)(?:\*{1,2}|_)(?![\w*_])"
                     r"|<(?:i|em|cite)>(?P<h>[^<\n]{1,80})</(?:i|em|cite)>", re.IGNORECASE)
_POSSESSIVE = re.compile(rf"(?P<d>{_NAME})['’]s\s+(?:new\s+|latest\s+|debut\s+|film\s+)?"
                         rf"(?P<t>[{_Q_OPEN}][^\s\"‘’“”«»][^\"‘“”«»\n]{{0,80}}?[{_Q_CLOSE}](?!\w)"
                         rf"|\*{{1,2}}[^*\n]{{1,80}}\*{{1,2}}|_[^_\n]{{1,80}}_"
                         rf"|<(?:i|em|cite)>[^<\n]{{1,80}}</(?:i|em|cite)>|{_BARE_TITLE})")
_REVIEW_PREFIX = re.compile(r"^\s*(?:film\s+|movie\s+)?review\s*[:\-–—|]\s*(?P<t>.+)$",
                            re.IGNORECASE)
_REVIEW_SUFFIX = re.compile(r"^\s*(?P<t>.+?)\s+(?:film\s+|movie\s+)?review\b(?:\s*[:\-–—|,].*)?$",
                            re.IGNORECASE)
_YEAR_AFTER = re.compile(r"^\s*[(\[]\s*(?P<y>(?:18|19|20)\d\d)\s*[)\]]")
_YEAR_IN_BRACKETS = re.compile(rf"(?P<t>{_BARE_TITLE})\s*[(\[]\s*(?P<y>(?:18|19|20)\d\d)\s*[)\]]")
_DIRECTED_BY = re.compile(rf"^[\s,]*(?:\(|,)?\s*(?:directed\s+by|dir\.|by)\s+(?P<d>{_NAME})")
_POSSESSIVE_S = re.compile(r"['’]s\b")
_ANY_YEAR = re.compile(r"\b(?:18|19|20)\d\d\b")
_STRIP = " \t,.;:!?-–—|"
_NOT_TITLES = {film_key(w) for w in (
    "I", "The", "A", "An", "It", "This", "That", "Review", "Film", "Films", "Movie", "New",
    "Why", "How", "What", "When", "Who", "Watch", "Trailer", "Interview", "Spoilers",
)}


def _tidy(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"<[^>]+>|[*_]", "", text)
    return " ".join(text.split()).strip(_STRIP + _Q_OPEN + _Q_CLOSE)


def _after(text: str, end: int) -> tuple[int | None, str | None]:
    """A year in brackets or a 'directed by' right after a title ending at ``end``."""
    rest = text[end:end + 80]
    year = _YEAR_AFTER.match(rest)
    director = _DIRECTED_BY.match(rest[year.end():] if year else rest)
    return (int(year.group("y")) if year else None,
            director.group("d").strip() if director else None)


def _before_director(text: str, start: int) -> str | None:
    """A 'Name's' right before a title starting at ``start``."""
    found = re.search(rf"(?P<d>{_NAME})['’]s\s+(?:new\s+|latest\s+|debut\s+)?$", text[:start])
    return found.group("d").strip() if found else None


def candidates(title: str, opening: str = "") -> list[Candidate]:
    """The titles an article's headline and opening seem to name, headline first, each once.

    Only readings a writer uses to name a film: quotes and italics, a director's
    possessive, 'Review:' and '… review', a year in brackets. Plain capitalised words
    alone are no candidate (a headline is full of them).
    """
    found: list[Candidate] = []

    def add(raw: str, year: int | None, director: str | None, how: str) -> None:
        name = _tidy(raw)
        name = re.sub(r"\s*[(\[]\s*(?:18|19|20)\d\d\s*[)\]]\s*$", "", name)
        if not name or len(name) > 100 or film_key(name) in _NOT_TITLES:
            return
        if not any(ch.isalnum() for ch in name):
            return
        for i, old in enumerate(found):
            if film_key(old.title) == film_key(name):
                found[i] = Candidate(old.title, old.year or year, old.director or director,
                                     old.how)
                return
        found.append(Candidate(name, year, director, how))

    for text in (title, opening):
        if not text:
            continue
        for m in _POSSESSIVE.finditer(text):
            raw = m.group("t")
            year, director = _after(text, m.end())
            add(raw, year, m.group("d").strip(), "possessive")
        for m in _QUOTED.finditer(text):
            year, director = _after(text, m.end())
            add(m.group("t"), year, director or _before_director(text, m.start()), "quotes")
        for m in _ITALIC.finditer(text):
            raw = m.group("t") or m.group("h") or ""
            year, director = _after(text, m.end())
            add(raw, year, director or _before_director(text, m.start()), "italics")
        for m in _YEAR_IN_BRACKETS.finditer(text):
            add(m.group("t"), int(m.group("y")), _before_director(text, m.start()),
                "year in brackets")
    head = title.strip()
    for pattern, how in ((_REVIEW_PREFIX, "review:"), (_REVIEW_SUFFIX, "… review")):
        m = pattern.match(head)
        if m:
            rest = m.group("t")
            rest = re.split(r"\s+[\-–—|]\s+", rest, maxsplit=1)[0]
            year_m = re.search(r"[(\[]\s*((?:18|19|20)\d\d)\s*[)\]]", rest)
            add(rest, int(year_m.group(1)) if year_m else None, None, how)
    return found


# -- confirming candidates with the lookup -----------------------------------------------------

@dataclass(frozen=True, slots=True)
class Resolution:
    """What reading an article gave: one film, a choice of films, or nothing."""

    state: FilmState
    film: FilmRecord | None = None
    choices: tuple[FilmRecord, ...] = ()
    reason: str = ""


Search = Callable[[str, int | None], Awaitable[Sequence[FilmRecord]]]


def _surname_key(name: str) -> str:
    words = film_key(name).split()
    return words[-1] if words else ""


def director_agrees(director: str, film: FilmRecord) -> bool:
    """'Jonze', 'Spike Jonze' or 'Bong Joon-ho' name one of the film's directors."""
    said = film_key(director)
    for name in film.directors:
        full = film_key(name)
        if said and full and (said == full or said.endswith(" " + full)
                              or full.endswith(" " + said)):
            return True
    return False


def _mentioned(film: FilmRecord, text_key: str, years: set[int]) -> bool:
    """The article's text names the film's year or one of its directors (full name)."""
    if film.year is not None and film.year in years:
        return True
    for name in film.directors:
        full, surname = film_key(name), _surname_key(name)
        if (full and f" {full} " in text_key) or (len(surname) >= 4 and f" {surname} " in text_key):
            return True
    return False


def _confirmed(candidate: Candidate, results: Iterable[FilmRecord], text_key: str,
               years: set[int]) -> list[FilmRecord]:
    """The lookup's films that are the candidate: same title, and year or director agree."""
    key = film_key(candidate.title)
    same_title = [f for f in results if key in f.titles()]
    if candidate.year is not None:
        same_title = [f for f in same_title if f.year == candidate.year]
    if candidate.director:
        same_title = [f for f in same_title if director_agrees(candidate.director, f)]
    if candidate.year is not None or candidate.director:
        return same_title
    return [f for f in same_title if _mentioned(f, text_key, years)]


def _unique(films: Iterable[FilmRecord]) -> list[FilmRecord]:
    out: list[FilmRecord] = []
    for film in films:
        if not any(same_record(film, o) for o in out):
            out.append(film)
    return out


async def resolve(title: str, opening: str, search: Search) -> Resolution:
    """The film an article names, confirmed by ``search`` (title, year) -> films.

    Headline candidates come first: one film confirmed there is the article's film.
    Otherwise the opening's: one film in all is found; several are ambiguous.
    A title the lookup knows but that nothing in the text confirms is offered as a
    choice, never taken.
    """
    text_key = f" {film_key(_POSSESSIVE_S.sub('', title + ' ' + opening))} "
    years = {int(y) for y in _ANY_YEAR.findall(title + " " + opening)}
    head = candidates(title)[:MAX_CANDIDATES]
    body = [c for c in candidates("", opening)
            if film_key(c.title) not in {film_key(h.title) for h in head}][:MAX_CANDIDATES]
    unconfirmed: list[FilmRecord] = []
    for group in (head, body):
        confirmed: list[FilmRecord] = []
        for candidate in group:
            results = list(await search(candidate.title, candidate.year))
            hits = _confirmed(candidate, results, text_key, years)
            confirmed.extend(hits)
            if not hits:
                key = film_key(candidate.title)
                unconfirmed.extend(f for f in results if key in f.titles())
        confirmed = _unique(confirmed)
        if len(confirmed) == 1:
            return Resolution("found", confirmed[0], reason=f"{confirmed[0].label} confirmed")
        if len(confirmed) > 1:
            return Resolution("ambiguous", choices=tuple(confirmed[:MAX_CHOICES]),
                              reason="the article names several films")
    choices = _unique(unconfirmed)
    if choices:
        return Resolution("ambiguous", choices=tuple(choices[:MAX_CHOICES]),
                          reason="no year or director in the article settles which film")
    return Resolution("none", reason="no film named in the title or opening"
                      if not head and not body else "the lookup knows no film of that name")


def front_matter_candidate(film: str | None, year: int | None,
                           director: str | None) -> Candidate | None:
    """The film the front matter names, as a candidate (it needs no reading)."""
    return Candidate(film, year, director, "front matter") if film else None


def pick(results: Sequence[FilmRecord], title: str, year: int | None,
         director: str | None = None) -> list[FilmRecord]:
    """The results that are the film a moderator or front matter named."""
    key = film_key(title)
    found = [f for f in results if key in f.titles()]
    if year is not None:
        found = [f for f in found if f.year == year]
    if director:
        found = [f for f in found if director_agrees(director, f)] or found
    return _unique(found)


# -- what the store keeps about an article's film, and a film's history in a server -----------

def visible_history(history: FilmHistory, *, threads: Callable[[int], bool],
                    channels: Callable[[int], bool]) -> FilmHistory:
    """Only what a member may see: prompts (and their ratings) in threads they can read,
    polls in channels they can view; watchlists are the server's and stay."""
    return FilmHistory(
        prompts=[p for p in history.prompts if threads(p.thread_id)],
        ratings=[(t, h) for t, h in history.ratings if threads(t)],
        entries=list(history.entries),
        polls=[p for p in history.polls if channels(p.channel_id)],
    )


def info_fields(film: FilmRecord, history: FilmHistory) -> list[tuple[str, str]]:
    """`/film info`: the record's facts, then what the club did with the film."""
    fields: list[tuple[str, str]] = []
    if film.original_title:
        fields.append(("Original title", film.original_title))
    if film.release_date:
        fields.append(("Released", film.release_date.isoformat()))
    elif film.year:
        fields.append(("Year", str(film.year)))
    if film.directors:
        fields.append(("Directed by", ", ".join(film.directors)))
    if film.runtime:
        fields.append(("Runtime", f"{film.runtime} min"))
    if film.genres:
        fields.append(("Genres", ", ".join(film.genres)))
    links = " · ".join(f"[{site}]({url})" for site, url in film.links())
    if links:
        fields.append(("Links", links))
    if history.prompts:
        fields.append(("Discussed", "\n".join(
            f"<#{p.thread_id}> ({p.posted_at:%Y-%m-%d})" for p in history.prompts[:10])))
    else:
        fields.append(("Discussed", "Not yet, in a thread you can read."))
    if history.ratings:
        halves = [h for _, h in history.ratings]
        count = len(halves)
        fields.append(("Rating", f"★ {sum(halves) / count / 2:.2f} / 5 from {count} "
                                 f"{'rating' if count == 1 else 'ratings'}"))
    if history.entries:
        fields.append(("Watchlists", "\n".join(
            f"{e.list_name}: " + (f"watched {e.watched_at:%Y-%m-%d}" if e.watched_at
                                  else "to watch") for e in history.entries[:10])))
    if history.polls:
        won = sum(1 for p in history.polls if p.won)
        fields.append(("Polls", f"in {len(history.polls)} "
                                f"{'poll' if len(history.polls) == 1 else 'polls'}, won {won}"))
    return fields
