"""Watchlists (issue 17): what the club wants to watch, in named lists per server.

A film is one entry however it is typed: "Her", "her (2013)" and "HER." are the same
film. Its key is the title case-folded, accents and punctuation dropped, a leading
English article ("The", "A", "An", or a trailing ", The") left out; the year is
optional, and tells two films apart only when both entries have one ("Dune (1984)"
and "Dune (2021)" are two films; "Dune" is either). This module holds the records,
reading what a member typed, matching, and the Markdown and CSV exports; the store
keeps the rows (``Store.add_watch_entry`` and the rest).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.errors import FilmclubError, InvalidValue, NotFound
from bot.models import Article

#: The list a film goes on when no list is named.
DEFAULT_LIST = "Watchlist"
TITLE_LIMIT = 200
LIST_NAME_LIMIT = 50
NOTE_LIMIT = 300
MIN_YEAR, MAX_YEAR = 1870, 2100
SuggestAccess = Literal["everyone", "moderators"]
SUGGEST_ACCESS: tuple[SuggestAccess, ...] = ("everyone", "moderators")

_YEAR_SUFFIX = re.compile(r"\s*[(\[]\s*(\d{4})\s*[)\]]\s*$")
_ARTICLES = ("the", "a", "an")
_TRAILING_ARTICLE = re.compile(r",\s*(the|a|an)\s*$", re.IGNORECASE)
_JOINERS = re.compile(r"['’‘`´.·•\-‐‑–*]")  # Spider-Man = Spiderman, Schindler's = Schindlers
_NOT_WORD = re.compile(r"[\W_]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff]")


def _clean(text: str) -> str:
    return " ".join(_CONTROL.sub("", text).split())


def film_key(title: str) -> str:
    """The key two spellings of one title share (never empty for a non-empty title)."""
    text = _clean(title)
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


def read_film(text: str, year: int | None = None) -> Film:
    """What a member typed as a film: "her (2013)", "The Godfather", with an optional year.

    A year in brackets at the end is read as the year ("Blade Runner 2049" keeps its
    number). Both a bracketed year and ``year`` that differ: InvalidValue.
    """
    title = _clean(text)
    found = _YEAR_SUFFIX.search(title)
    if found and found.start() > 0:
        typed = int(found.group(1))
        if year is not None and year != typed:
            raise InvalidValue(f"“{title}” says {typed} but the year given is {year}; "
                               "give one year.")
        year, title = typed, title[:found.start()].rstrip(" -–,")
    if not title or not film_key(title).strip():
        raise InvalidValue("Give the film's title.")
    if len(title) > TITLE_LIMIT:
        raise InvalidValue(f"That title is over {TITLE_LIMIT} characters.")
    if year is not None and not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidValue(f"{year} is not a film's year ({MIN_YEAR}–{MAX_YEAR}).")
    return Film(title, year, film_key(title))


def film_of_article(article: Article) -> Film | None:
    """The film a prompt's article is about (its front matter's ``film`` and ``year``)."""
    if not article.film:
        return None
    try:
        return read_film(article.film, article.year)
    except FilmclubError:
        return None  # a film name that reads as nothing: no list can hold it


def list_name(text: str | None) -> str:
    """A list's name as given (tidied), the default list when none."""
    name = _clean(text or "") or DEFAULT_LIST
    if len(name) > LIST_NAME_LIMIT:
        raise InvalidValue(f"A list's name is at most {LIST_NAME_LIMIT} characters.")
    return name


def list_key(name: str) -> str:
    """Lists are one whatever the case or spacing of their name."""
    return " ".join(name.casefold().split())


def clean_note(note: str | None) -> str | None:
    text = _clean(note or "")
    if len(text) > NOTE_LIMIT:
        raise InvalidValue(f"A note is at most {NOTE_LIMIT} characters.")
    return text or None


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


@dataclass(frozen=True, slots=True)
class ClubSettings:
    """The film club's own settings of a server (issue 17)."""

    guild_id: int
    suggest_access: SuggestAccess = "everyone"
    poll_hours: int = 24  # a poll's default length


def same_film(entry: WatchEntry, film: Film) -> bool:
    """Same key, and the same year when both have one."""
    if entry.key != film.key:
        return False
    return entry.year is None or film.year is None or entry.year == film.year


def film_is(film: Film, title: str, year: int | None) -> bool:
    """Whether ``title``/``year`` (an article's film, say) is ``film``, as entries match."""
    if film_key(title) != film.key:
        return False
    return year is None or film.year is None or year == film.year


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


def one_entry(entries: Iterable[WatchEntry], film: Film, where: str) -> WatchEntry:
    """``find_entry`` for a film that must be there."""
    found = find_entry(entries, film)
    if found is None:
        raise NotFound(f"“{film.label}” is not on {where}.")
    return found


def ordered(entries: Iterable[WatchEntry]) -> list[WatchEntry]:
    """Unwatched first, each part in the order suggested (then watched, latest first)."""
    entries = list(entries)
    pending = sorted((e for e in entries if not e.watched), key=lambda e: (e.suggested_at, e.id))
    seen = sorted((e for e in entries if e.watched),
                  key=lambda e: (e.watched_at, e.id), reverse=True)
    return pending + seen


def autocomplete(entries: Iterable[WatchEntry], typed: str, limit: int = 25) -> list[WatchEntry]:
    """Entries whose title starts with (then contains) what was typed, key-wise."""
    wanted = film_key(typed) if typed.strip() else ""
    starts, contains = [], []
    for entry in ordered(entries):
        key = entry.key
        if key.startswith(wanted) or entry.title.casefold().startswith(typed.casefold().strip()):
            starts.append(entry)
        elif wanted in key:
            contains.append(entry)
    return (starts + contains)[:limit]


# -- exports ----------------------------------------------------------------------------------

ExportFormat = Literal["md", "csv"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("md", "csv")
CSV_COLUMNS = ("list", "title", "year", "note", "suggested_by_id", "suggested_by",
               "suggested_at", "watched_at", "watched_thread_id")


def _md(text: str) -> str:
    return re.sub(r"([\\`*_{}\[\]<>#|~])", r"\\\1", text)


def _day(moment: datetime | None) -> str:
    return moment.date().isoformat() if moment else ""


def to_markdown(entries: Sequence[WatchEntry], lists: Sequence[str], exported_at: datetime
                ) -> str:
    """The lists as Markdown: one section per list, films to watch numbered, then watched."""
    out = []
    for name in lists:
        mine = ordered(e for e in entries if list_key(e.list_name) == list_key(name))
        pending = [e for e in mine if not e.watched]
        watched = [e for e in mine if e.watched]
        out.append(f"# {_md(name)}\n")
        out.append(f"*{len(pending)} to watch, {len(watched)} watched · exported "
                   f"{exported_at.strftime('%Y-%m-%d %H:%M UTC')}*\n")
        if pending:
            out.append("## To watch\n")
            for number, e in enumerate(pending, start=1):
                line = f"{number}. **{_md(e.title)}**"
                line += f" ({e.year})" if e.year else ""
                line += f" — suggested by {_md(e.suggested_by_name)} on {_day(e.suggested_at)}"
                line += f". *{_md(e.note)}*" if e.note else ""
                out.append(line)
            out.append("")
        if watched:
            out.append("## Watched\n")
            for e in watched:
                line = f"- **{_md(e.title)}**" + (f" ({e.year})" if e.year else "")
                line += f" — watched {_day(e.watched_at)}"
                line += f", suggested by {_md(e.suggested_by_name)}"
                out.append(line)
            out.append("")
        if not mine:
            out.append("*No films yet.*\n")
    return "\n".join(out).rstrip("\n") + "\n"


def to_csv(entries: Sequence[WatchEntry], lists: Sequence[str]) -> str:
    """The lists as CSV with a header row, one row per film (for spreadsheets)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for name in lists:
        for e in ordered(x for x in entries if list_key(x.list_name) == list_key(name)):
            writer.writerow([
                e.list_name, _csv_safe(e.title), e.year or "", _csv_safe(e.note or ""),
                str(e.suggested_by), _csv_safe(e.suggested_by_name), e.suggested_at.isoformat(),
                e.watched_at.isoformat() if e.watched_at else "",
                str(e.watched_thread_id) if e.watched_thread_id else "",
            ])
    return buffer.getvalue()


def _csv_safe(text: str) -> str:
    """Keep a spreadsheet from running member text as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
