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
