"""The store's interface for issue 18: film records, the film of each article, the lookup's
cache and a film's history in a server. ``Store`` inherits it; SQL lives in ``film_sql``."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime

from bot.records.films import ArticleFilm, FilmHistory, FilmRecord, FilmState


class FilmStore(ABC):
    """Films, shared by articles, prompts, watchlists, polls and ratings."""

    @abstractmethod
    async def save_film(self, film: FilmRecord, at: datetime) -> FilmRecord:
        """Store ``film`` (the same film, by any id or by title and year, is updated, never
        doubled); the record with its id. Watchlist entries and poll answers of the same
        title and year are linked to it."""

    @abstractmethod
    async def get_film(self, film_id: int) -> FilmRecord | None: ...

    @abstractmethod
    async def known_films(self, text: str = "", limit: int = 25) -> list[FilmRecord]:
        """Stored films whose title (or original title) contains ``text``, any case."""

    @abstractmethod
    async def set_article_film(self, slug: str, state: FilmState, film_id: int | None, *,
                               choices: Sequence[int] = (), by: int | None = None,
                               at: datetime) -> None:
        """Keep the film of an article (and of the prompts already posted from it, when set)."""

    @abstractmethod
    async def article_film(self, slug: str) -> ArticleFilm | None: ...

    @abstractmethod
    async def set_prompt_film(self, thread_id: int, film_id: int | None) -> None: ...

    @abstractmethod
    async def prompt_film(self, thread_id: int) -> FilmRecord | None:
        """The film of a prompt: the one it was posted with, else its article's."""

    @abstractmethod
    async def guild_films(self, guild_id: int) -> list[FilmRecord]:
        """Films the server's prompts, watchlists or polls are linked to."""

    @abstractmethod
    async def film_history(self, guild_id: int, film_id: int) -> FilmHistory: ...

    @abstractmethod
    async def cached_lookup(self, query: str) -> tuple[str, datetime] | None: ...

    @abstractmethod
    async def cache_lookup(self, query: str, answer: str, at: datetime) -> None: ...
