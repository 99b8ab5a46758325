"""The store's interface for issue 17 (the film club's own loop): watchlists, ratings and
polls (the club's settings are the server's, ``Store.get_settings``). ``Store`` inherits
it; SQL lives in ``club_sql``."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection
from datetime import datetime

from bot.models import Prompt
from bot.records.films import (
    Film,
    FilmPoll,
    Rating,
    RatingSummary,
    WatchEntry,
    WatchlistInfo,
)


class ClubStore(ABC):
    """Watchlists per server, and one rating per member per prompt."""

    # -- watchlists ---------------------------------------------------------------------------

    @abstractmethod
    async def watchlists(self, guild_id: int) -> list[WatchlistInfo]:
        """The server's lists, in the order they were made."""

    @abstractmethod
    async def watchlist_guilds(self) -> list[int]:
        """The servers that have at least one watchlist."""

    @abstractmethod
    async def watch_entries(self, guild_id: int, list_name: str | None = None
                            ) -> list[WatchEntry]:
        """The films of one list (by name, any case), or of every list of the server."""

    @abstractmethod
    async def add_watch_entry(self, guild_id: int, list_name: str, film: Film, *,
                              note: str | None, user_id: int, user_name: str,
                              at: datetime) -> tuple[WatchEntry, bool]:
        """Put ``film`` on the list (made if new): the entry, and whether it is new.

        A film already on the list (``bot.watchlist.find_entry``) is not added again;
        a year given now fills in one the entry lacked. One transaction: two members
        suggesting the same film at once make one entry.
        """

    @abstractmethod
    async def remove_watch_entry(self, entry_id: int) -> bool: ...

    @abstractmethod
    async def set_watched(self, entry_id: int, at: datetime | None,
                          thread_id: int | None = None) -> WatchEntry | None:
        """Mark an entry watched at ``at`` (None: not watched); the entry as it is now."""

    @abstractmethod
    async def mark_film_watched(self, guild_id: int, film: Film, at: datetime,
                                thread_id: int | None) -> list[WatchEntry]:
        """Mark ``film`` watched on every list of the server where it waits; those entries."""

    # -- ratings ------------------------------------------------------------------------------

    @abstractmethod
    async def rate(self, thread_id: int, user_id: int, half_stars: int | None,
                   at: datetime) -> int | None:
        """Set (or, with None, remove) a member's rating of a prompt; the rating before."""

    @abstractmethod
    async def rating_summary(self, thread_id: int) -> RatingSummary: ...

    @abstractmethod
    async def rating_of(self, thread_id: int, user_id: int) -> int | None: ...

    @abstractmethod
    async def guild_ratings(self, guild_id: int, since: datetime | None = None
                            ) -> list[tuple[int, str, int | None, int]]:
        """(thread id, film, year, half stars) of every rating in the server's prompts
        (posted since ``since``); the film is the article's ``film``, else its title."""

    @abstractmethod
    async def member_ratings(self, user_id: int) -> list[Rating]: ...

    @abstractmethod
    async def member_suggestions(self, user_id: int) -> list[WatchEntry]: ...

    # -- polls --------------------------------------------------------------------------------

    @abstractmethod
    async def add_film_poll(self, poll: FilmPoll) -> None:
        """Record a posted poll with its answers (committed when this returns)."""

    @abstractmethod
    async def get_film_poll(self, message_id: int) -> FilmPoll | None: ...

    @abstractmethod
    async def list_film_polls(self, guild_id: int | None = None, *,
                              open_only: bool = False) -> list[FilmPoll]:
        """Polls oldest first: a server's (or every server's), only those not ended if asked."""

    @abstractmethod
    async def poll_vote(self, message_id: int, answer_id: int, user_id: int, at: datetime,
                        *, added: bool) -> bool:
        """Keep (``added``) or drop a member's vote on an answer of an open poll; whether
        anything changed (votes on ended or unknown polls are ignored)."""

    @abstractmethod
    async def set_poll_voters(self, message_id: int, answer_id: int, user_ids: set[int],
                              at: datetime) -> int:
        """Make an open poll's stored voters of an answer exactly ``user_ids`` (catch-up),
        but for members forgotten since the poll began; how many votes were added or
        removed."""

    @abstractmethod
    async def film_poll_votes(self, message_id: int) -> list[tuple[int, int]]:
        """(answer id, member) of every stored vote of the poll."""

    @abstractmethod
    async def end_film_poll(self, message_id: int, at: datetime, *, ended_by: int | None,
                            winner: int | None) -> bool:
        """Mark the poll ended with its winner; False when it had ended already (so the
        winner is announced and queued once, whoever notices the end first)."""

    @abstractmethod
    async def set_poll_outcome(self, message_id: int, outcome: str,
                               queued_slug: str | None = None) -> None: ...

    @abstractmethod
    async def poll_behind(self, guild_id: int, slug: str, before: datetime) -> FilmPoll | None:
        """The latest poll of the server, ended before ``before``, that queued ``slug``."""

    @abstractmethod
    async def prompt_ratings(self, thread_id: int) -> list[int]:
        """Every rating of the prompt, in half stars (for exports)."""

    @abstractmethod
    async def member_poll_votes(self, user_id: int) -> list[tuple[int, int, str, datetime]]:
        """(poll message id, server, film voted for, when) of every vote the member cast."""

    # -- the rating control on older prompts ----------------------------------------------------

    @abstractmethod
    async def prompts_without_rating_control(self, guild_ids: Collection[int]) -> list[Prompt]:
        """The prompts of these servers not yet noted as carrying the rating control (nor
        gone), newest first."""

    @abstractmethod
    async def note_rating_control(self, thread_id: int, outcome: str, at: datetime) -> None:
        """Note that the prompt's control was ``added``, found ``present``, or that its
        message is ``gone`` (committed when this returns)."""
