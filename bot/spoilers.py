"""Spoiler threads (issue 18): which prompts are one, and how their text stays hidden.

A prompt is a spoiler thread when the moderator who posts it says so
(``/prompt post … spoilers:on``), else when its article's front matter says so
(``spoilers: true``), else by the server's "spoiler days" setting: a film released
fewer than that many days before the prompt is posted (or not released yet). The
release date comes through :func:`release_date`, today from the article's front matter
(``released: 2026-11-20``); a year alone is no date, and gives no default.

Whatever the bot shows outside a spoiler thread (a quote in ``/top``, the log channel,
the audit log, the prompt's own excerpt in the channel) goes through :func:`wrap`,
which makes Discord's spoiler markup ``||…||`` that nothing inside the text can end
early, within a length limit. Exports read the same markup (:func:`segments`) and
mark attachments Discord calls spoilers (:func:`is_spoiler_file`).

No Discord import here: the rules are the same for every adapter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.models import Article

MARK = "||"
ELLIPSIS = "…"
#: Discord marks an attachment as a spoiler by this prefix of its file name.
SPOILER_FILE_PREFIX = "SPOILER_"
#: What a spoiler thread's name starts with, so the thread list says so.
THREAD_PREFIX = "Spoilers: "
#: The line a spoiler prompt's message carries, above the card.
NOTICE = ("⚠️ **Spoiler thread**: the discussion in this thread spoils the film. The "
          "excerpt and question are hidden here; click them to read.")
#: What an export of a spoiler thread says first.
SPOILER_THREAD_NOTE = "A spoiler thread: this discussion spoils the film."
#: The longest "spoiler days" setting: a year.
MAX_SPOILER_DAYS = 366

_UNESCAPED_PIPE = re.compile(r"(?<!\\)((?:\\\\)*)\|")
_TRAILING_BACKSLASHES = re.compile(r"\\+$")
_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_YEAR = re.compile(r"\d{4}")


# -- which prompts are spoiler threads ------------------------------------------------------


def release_date(value: object) -> date | None:
    """A film's full release date from what front matter (or a film record) gives.

    ``2026-11-20`` (text or a date) is a date; a year alone (``2026``), nothing, or
    anything else is None: not enough to count days from.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _FULL_DATE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def check_released(value: object) -> str | None:
    """Front matter's ``released`` as stored: 'YYYY-MM-DD', 'YYYY', or None.

    Raises ValueError (with a one-line reason) for anything else.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("released must be a date like 2026-11-20, or a year")
    if isinstance(value, int) and 1870 <= value <= 2200:
        return str(value)
    if isinstance(value, str) and _YEAR.fullmatch(value.strip()):
        return value.strip()
    found = release_date(value)
    if found is None:
        raise ValueError("released must be a date like 2026-11-20, or a year")
    return found.isoformat()


def released_recently(released: date | None, on: datetime | date, days: int | None) -> bool:
    """Whether a film released on ``released`` counts as new on ``on``: fewer than ``days``
    days before, or later (not out yet). Unknown dates and no setting: never."""
    if released is None or not days or days <= 0:
        return False
    day = on.date() if isinstance(on, datetime) else on
    return (day - released).days < days


def is_spoiler_thread(*, asked: bool | None, front_matter: bool | None,
                      released: date | None, spoiler_days: int | None,
                      on: datetime | date) -> bool:
    """Whether a prompt posted ``on`` is a spoiler thread.

    The moderator's choice (``asked``, None when not given) wins, then the article's
    front matter, then the server's default for recent films.
    """
    if asked is not None:
        return asked
    if front_matter is not None:
        return front_matter
    return released_recently(released, on, spoiler_days)


def film_released(article: Article, film_date: date | None = None) -> date | None:
    """When the film of ``article`` was released, as far as is known: the one place the
    spoiler default reads a release date from: the front matter's ``released``, else
    ``film_date``, the film record's (``bot.films.released_on``)."""
    return release_date(article.released) or film_date


def prompt_spoilers(article: Article, *, asked: bool | None, spoiler_days: int | None,
                    on: datetime, film_date: date | None = None) -> bool:
    """Whether a prompt of ``article`` posted ``on`` is a spoiler thread (see
    :func:`is_spoiler_thread`), with the server's ``spoiler_days`` setting and, when the
    front matter says nothing, the film record's release date ``film_date``."""
    return is_spoiler_thread(asked=asked, front_matter=article.spoilers,
                             released=film_released(article, film_date),
                             spoiler_days=spoiler_days, on=on)


def thread_name(name: str, limit: int = 100) -> str:
    """A spoiler thread's name: the prefix, then ``name`` cut to fit ``limit``."""
    room = limit - len(THREAD_PREFIX)
    if len(name) > room:
        name = name[: room - 1].rstrip() + ELLIPSIS
    return THREAD_PREFIX + name


# -- Discord markup ---------------------------------------------------------------------------


def _escape_pipes(text: str) -> str:
    """Every ``|`` not already escaped gets a backslash: no ``||`` can end the spoiler."""
    return _UNESCAPED_PIPE.sub(lambda m: m.group(1) + "\\|", text)


def _safe_end(text: str) -> str:
    """``text`` ending so the closing mark closes: a lone trailing backslash is doubled
    (it would escape the mark), and after a trailing ``\\|`` comes a space (Discord's
    spoiler rule ends at the first ``||`` it meets, escaped or not)."""
    m = _TRAILING_BACKSLASHES.search(text)
    if m and len(m.group(0)) % 2:
        return text + "\\"
    return text + " " if text.endswith("|") else text


def wrap(text: str, limit: int | None = None) -> str:
    """``text`` (Discord markdown) as one Discord spoiler, at most ``limit`` characters.

    Its own ``|`` are escaped (a member's ``||spoiler||`` inside is hidden with the rest
    instead of ending it), a trailing backslash is doubled, and a text too long is cut
    at a word with an ellipsis inside the marks, never through the closing ``||``. Text
    with nothing to hide comes back as it is.
    """
    if not text.strip():
        return text
    body = _safe_end(_escape_pipes(text))
    if limit is not None and len(body) + 2 * len(MARK) > limit:
        room = limit - 2 * len(MARK) - len(ELLIPSIS)
        if room < 1:
            raise ValueError(f"no room for a spoiler in {limit} characters")
        cut = body[:room]
        space = cut.rfind(" ")
        if space >= room // 2 and not body[room].isspace():
            cut = cut[:space]
        cut = _TRAILING_BACKSLASHES.sub(lambda m: m.group(0)[: len(m.group(0)) // 2 * 2], cut)
        body = cut.rstrip() + ELLIPSIS
    return f"{MARK}{body}{MARK}"


def shown(text: str, spoilers: bool, limit: int | None = None) -> str:
    """``text`` as shown outside its thread: wrapped (within ``limit``) when the thread is
    a spoiler thread, else as it is."""
    return wrap(text, limit) if spoilers else text


def is_spoiler_file(filename: str) -> bool:
    """Whether Discord shows an attachment of this name as a spoiler (blurred)."""
    return filename.startswith(SPOILER_FILE_PREFIX)


_CODE = re.compile(r"```[\s\S]*?```|(``?)(?!`)[\s\S]+?(?<!`)\1(?!`)")
_SPOILER = re.compile(r"\|\|([\s\S]+?)\|\|")
_OPEN_SPOILER = re.compile(r"\|\|([\s\S]+)")


def segments(text: str, *, cut: bool = False) -> Iterator[tuple[str, bool]]:
    """``text`` split into (piece, is_spoiler) as Discord reads its ``||…||`` marks.

    Code spans and blocks are taken as they are (no spoiler inside them), and an escaped
    ``\\|`` is no mark. ``cut``: ``text`` is an excerpt cut short, so a ``||`` left open
    hides the rest (its closing mark was cut off), where Discord would show it as is.
    """
    pos = plain_from = 0
    while pos < len(text):
        char = text[pos]
        if char == "\\":
            pos += 2
            continue
        if char == "`" and (m := _CODE.match(text, pos)):
            pos = m.end()
            continue
        if text.startswith(MARK, pos):
            m = _SPOILER.match(text, pos)
            if m is None and cut and text[pos + 2:].strip():
                m = _OPEN_SPOILER.match(text, pos)
            if m is not None:
                if pos > plain_from:
                    yield text[plain_from:pos], False
                yield m.group(1), True
                pos = plain_from = m.end()
                continue
        pos += 1
    if plain_from < len(text):
        yield text[plain_from:], False


def has_spoiler(text: str) -> bool:
    """Whether ``text`` holds a ``||spoiler||`` as Discord reads it."""
    return any(hidden for _, hidden in segments(text))


def plain_marks(text: str, *, cut: bool = False) -> str:
    """``text`` with each ``||spoiler||`` marked in words, for plain-text readers:
    ``[spoiler: …]`` (``cut``: see :func:`segments`)."""
    return "".join(f"[spoiler: {piece}]" if hidden else piece
                   for piece, hidden in segments(text, cut=cut))
