"""Watchlists (issue 17): what the club wants to watch, in named lists per server.

A film is one entry however it is typed: "Her", "her (2013)" and "HER." are the same
film. Its key is the title case-folded, accents and punctuation dropped, a leading
English article ("The", "A", "An", or a trailing ", The") left out; the year is
optional, and tells two films apart only when both entries have one ("Dune (1984)"
and "Dune (2021)" are two films; "Dune" is either). The records and the
matching rules are ``bot.records.films``; this module reads what a member typed and makes
the Markdown and CSV exports; the store keeps the rows (``Store.add_watch_entry``...).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Literal

from bot.errors import FilmclubError, InvalidValue, NotFound
from bot.models import Article
from bot.records.films import (
    Film,
    WatchEntry,
    WatchlistInfo,
    film_key,
    film_label,
    find_entry,
    list_key,
    same_film,
    tidy,
)

#: The list a film goes on when no list is named.
DEFAULT_LIST = "Watchlist"
TITLE_LIMIT = 200
LIST_NAME_LIMIT = 50
NOTE_LIMIT = 300
MIN_YEAR, MAX_YEAR = 1870, 2100
_YEAR_SUFFIX = re.compile(r"\s*[(\[]\s*(\d{4})\s*[)\]]\s*$")


def read_film(text: str, year: int | None = None) -> Film:
    """What a member typed as a film: "her (2013)", "The Godfather", with an optional year.

    A year in brackets at the end is read as the year ("Blade Runner 2049" keeps its
    number). Both a bracketed year and ``year`` that differ: InvalidValue.
    """
    title = tidy(text)
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
    name = tidy(text or "") or DEFAULT_LIST
    if len(name) > LIST_NAME_LIMIT:
        raise InvalidValue(f"A list's name is at most {LIST_NAME_LIMIT} characters.")
    return name


def clean_note(note: str | None) -> str | None:
    text = tidy(note or "")
    if len(text) > NOTE_LIMIT:
        raise InvalidValue(f"A note is at most {NOTE_LIMIT} characters.")
    return text or None


def film_is(film: Film, title: str, year: int | None) -> bool:
    """Whether ``title``/``year`` (an article's film, say) is ``film``, as entries match."""
    if film_key(title) != film.key:
        return False
    return year is None or film.year is None or year == film.year


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


__all__ = ["Film", "WatchEntry",
           "WatchlistInfo", "film_key", "film_label", "find_entry", "list_key", "same_film"]
