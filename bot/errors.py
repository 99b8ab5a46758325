"""Domain exceptions. Each carries a one-line message fit to show a user as is."""

from __future__ import annotations


class FilmclubError(Exception):
    """An expected problem: its message is one line, safe to show to the user."""


class StoreError(FilmclubError):
    """The database cannot be used (newer schema, not a filmclub database, unreadable)."""


class NotFound(FilmclubError):
    """A thread, prompt or article that the user named does not exist."""


class ExportError(FilmclubError):
    """An export cannot be produced (unknown format, unwritable path)."""


# -- issue 3: the prompt library, feeds and the schedule ----------------------------


class SourceError(FilmclubError):
    """A web page, HTML file or feed that cannot be used; the message names it."""


class AlreadyPosted(FilmclubError):
    """The article was already posted as a prompt in this server."""

    def __init__(self, message: str, thread_id: int) -> None:
        self.thread_id = thread_id
        super().__init__(message)


class ScheduleError(FilmclubError):
    """A schedule, time, weekday or time zone that cannot be used."""


# -- issue 5: moderation, settings, leaderboards and personal data -------------------


class InvalidValue(FilmclubError):
    """A value a member typed cannot be used (a duration, an emoji, a time zone, a link)."""


class NotAllowed(FilmclubError):
    """The member may not do this here (beyond Discord permissions: a server setting)."""


# -- issue 6: catch-up after downtime --------------------------------------------------


class ThreadUnavailable(FilmclubError):
    """Discord will not show a prompt thread: deleted there, or the bot lost access to it."""

    def __init__(self, thread_id: int, message: str, *, gone: bool) -> None:
        super().__init__(message)
        self.thread_id = thread_id
        self.gone = gone  # True: deleted on Discord; False: the bot may not read it


# -- issue 14: the command line ----------------------------------------------------------


class Unreachable(FilmclubError):
    """Discord (its API or its gateway) could not be reached; the message names the address."""
