"""The store's interface for issue 17 (the film club's own loop): club settings,
watchlists and ratings. ``Store`` inherits it; SQL lives in ``club_sql``."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime

from bot.ratings import Rating, RatingSummary
from bot.watchlist import ClubSettings, Film, WatchEntry, WatchlistInfo


class ClubStore(ABC):
    """Watchlists per server, and one rating per member per prompt."""

    @abstractmethod
    async def get_club_settings(self, guild_id: int) -> ClubSettings: ...

    @abstractmethod
    async def save_club_settings(self, settings: ClubSettings) -> None:
        """Store the server's club settings (committed when this returns)."""

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
