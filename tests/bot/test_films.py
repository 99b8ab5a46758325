"""Film records in the core (issue 18): the article's film found once and kept, a film
named by a moderator, the prompt card, and what the store links to a film."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.card import prompt_card, prompt_preview
from bot.errors import InvalidValue
from bot.filmlookup import film_of_article, film_within, set_article_film
from bot.films import ArticleFilm, FilmRecord, released_on
from bot.models import Article, Prompt
from bot.polls import FilmPoll, PollAnswer
from bot.store import Store
from bot.watchlist import read_film
from tests.filmfake import FilmAPIs

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HER = FilmRecord("Her", 2013, release_date=date(2013, 12, 18), directors=("Spike Jonze",),
                 runtime=126, poster_url="https://image.tmdb.org/t/p/w342/her.jpg",
                 wikidata_id="Q90001")


def article(slug: str, title: str, body: str = "", **front: object) -> Article:
    return Article(slug=slug, title=title, body=body, excerpt=body, **front)  # type: ignore[arg-type]


def test_released_on_is_the_release_date() -> None:
    """released_on gives the record's release date, None when unknown or no film."""
    assert released_on(HER) == date(2013, 12, 18)
    assert released_on(FilmRecord("Her", 2013)) is None and released_on(None) is None


def test_the_card_shows_year_director_runtime_and_poster() -> None:
    """The prompt card's Film field has the record's facts; the poster is the thumbnail."""
    card = prompt_card(article("her", "A love story", "Theodore writes letters."), None, HER)
    fields = {f["name"]: f["value"] for f in card["fields"]}
    assert fields["Film"] == "Her (2013) · dir. Spike Jonze · 126 min"
    assert card["thumbnail"] == {"url": HER.poster_url}
    bare = prompt_card(article("her", "A love story", "x"), None, None)
    assert "thumbnail" not in bare and "Film" not in {f["name"] for f in bare["fields"]}


def test_the_preview_offers_the_choice_when_ambiguous() -> None:
    """An ambiguous article's preview names every film offered and how to choose."""
    choice = ArticleFilm("dune", "ambiguous", choices=(
        FilmRecord("Dune", 1984, directors=("David Lynch",)),
        FilmRecord("Dune", 2021, directors=("Denis Villeneuve",))))
    lines = dict(prompt_preview(article("dune", "Why 'Dune' matters", "Sand."), film=choice))
    assert lines["film record"] == ("not set: which one? Dune (1984), David Lynch; Dune (2021),"
                                    " Denis Villeneuve (choose with /film set or articles add "
                                    "--film)")


async def test_an_articles_film_is_found_and_kept(film_apis: FilmAPIs, store: Store) -> None:
    """Found once through the lookup, then read from the store without asking again."""
    lookup = film_apis.lookup(cache=store)
    her = article("her-review", "Spike Jonze's 'Her' is a love story", "Theodore writes.")
    try:
        found = await film_of_article(store, lookup, her, at=NOW)
        asked = len(film_apis.requests)
        again = await film_of_article(store, lookup, her, at=NOW)
    finally:
        await lookup.close()
    assert found.state == "found" and found.film is not None and found.film.label == "Her (2013)"
    assert again.film == found.film and len(film_apis.requests) == asked
    assert (await store.article_film("her-review")) == again


async def test_an_ambiguous_article_keeps_its_choices(film_apis: FilmAPIs,
                                                      store: Store) -> None:
    """'Dune' with nothing to tell which: left unset, the films kept as the choice."""
    lookup = film_apis.lookup(cache=store)
    try:
        found = await film_of_article(store, lookup, article("dune", "Why 'Dune' matters",
                                                              "Sand and spice."), at=NOW)
    finally:
        await lookup.close()
    assert found.state == "ambiguous" and found.film is None
    stored = await store.article_film("dune")
    assert stored is not None and [c.label for c in stored.choices] == [
        "Dune (1984)", "Dune (2021)"]


async def test_front_matter_film_is_confirmed_or_kept_as_typed(film_apis: FilmAPIs,
                                                               store: Store) -> None:
    """Front matter's film and year pick the record; one the lookup lacks is kept as typed."""
    lookup = film_apis.lookup(cache=store)
    try:
        vertigo = await film_of_article(store, lookup, article(
            "vertigo", "The second fall", "x", film="Vertigo", year=1958), at=NOW)
        unknown = await film_of_article(store, lookup, article(
            "mine", "My film", "x", film="A Film Nobody Made", year=2001,
            director="Ann Other"), at=NOW)
    finally:
        await lookup.close()
    assert vertigo.film is not None and vertigo.film.wikidata_id == "Q90037"
    assert unknown.film is not None and unknown.film.label == "A Film Nobody Made (2001)"
    assert unknown.film.directors == ("Ann Other",) and unknown.film.wikidata_id is None


async def test_without_a_lookup_that_answers_nothing_is_kept(film_apis: FilmAPIs,
                                                             store: Store) -> None:
    """The API down: the article reads as unset and nothing is stored, so it is tried later."""
    film_apis.broken = True
    lookup = film_apis.lookup(cache=store)
    her = article("her-review", "Spike Jonze's 'Her'", "x")
    try:
        found = await film_of_article(store, lookup, her, at=NOW)
        off = await film_within(store, None, her, at=NOW)
    finally:
        await lookup.close()
    assert found.state == "none" and found.film is None
    assert off.state == "none" and await store.article_film("her-review") is None


async def test_a_moderator_names_a_film(film_apis: FilmAPIs, store: Store) -> None:
    """'Her (2013)' is one film; 'Her' is several and is refused naming them; an unknown
    title is kept as typed; film:<id> picks a stored record."""
    lookup = film_apis.lookup(cache=store)
    try:
        her = await set_article_film(store, lookup, "her-review", "Her (2013)", by=7, at=NOW)
        with pytest.raises(InvalidValue, match=r"several films: Her \(2013\), Spike Jonze; "
                                               r"Her \(1990\), Marta Lind"):
            await set_article_film(store, lookup, "her-review", "her", by=7, at=NOW)
        mine = await set_article_film(store, lookup, "mine", "Nowhere Film (1999)", by=7, at=NOW)
        again = await set_article_film(store, None, "other", f"film:{her.id}", by=7, at=NOW)
    finally:
        await lookup.close()
    assert her.wikidata_id == "Q90001" and her.id is not None
    assert mine.label == "Nowhere Film (1999)" and mine.wikidata_id is None
    assert again.id == her.id
    stored = await store.article_film("her-review")
    assert stored is not None and stored.state == "set" and stored.film == her
    assert stored.set_by == 7


async def test_watchlists_polls_and_prompts_link_to_the_record(store: Store) -> None:
    """Entries and poll answers of the film's title and year point at its record, before or
    after it is stored; the prompt's film gives its history, ratings included."""
    await store.add_watch_entry(1, "Watchlist", read_film("Her (2013)"), note=None, user_id=5,
                                user_name="Ana", at=NOW)
    her = await store.save_film(HER, NOW)
    await store.add_watch_entry(1, "Later", read_film("her"), note=None, user_id=6,
                                user_name="Ben", at=NOW)
    await store.add_film_poll(FilmPoll(
        900, 1, 50, "What next?", 5, NOW, NOW, (PollAnswer(1, "Her", 2013, NOW),
                                                PollAnswer(2, "Jaws", 1975, NOW))))
    await store.add_prompt(Prompt(300, 1, 50, 301, article("her", "Her, again"), NOW, 5))
    await store.set_prompt_film(300, her.id)
    await store.rate(300, 5, 9, NOW)
    assert her.id is not None
    history = await store.film_history(1, her.id)
    assert sorted(e.list_name for e in history.entries) == ["Later", "Watchlist"]
    assert [p.thread_id for p in history.prompts] == [300]
    assert history.ratings == [(300, 9)]
    assert len(history.polls) == 1 and not history.polls[0].won
    assert [f.id for f in await store.guild_films(1)] == [her.id]
    assert await store.prompt_film(300) == her
    # the same film saved again is the same row, with what it lacked filled in
    again = await store.save_film(FilmRecord("Her", 2013, imdb_id="tt1798709",
                                             wikidata_id="Q90001"), NOW)
    assert again.id == her.id and again.imdb_id == "tt1798709" and again.runtime == 126
