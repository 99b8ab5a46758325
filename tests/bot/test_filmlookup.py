"""The film lookup against the loopback fake of Wikidata and TMDB (issue 18): the shapes
read, no match, several matches, a timeout, 429s short and long, a bad token, the cache
and the fetch guard."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.filmlookup import FilmLookup, LookupUnavailable, retry_after
from bot.netguard import FetchPolicy
from bot.store import Store
from tests.filmfake import TOKEN, FilmAPIs, Throttle


class Sleeps:
    """Records the waits the lookup asks for instead of sleeping (no wall clock in tests)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


async def test_wikidata_shapes_are_read_and_non_films_left_out(film_apis: FilmAPIs) -> None:
    """'Her' gives the two films with their facts, not the pronoun of the same name."""
    lookup = film_apis.lookup()
    try:
        films = await lookup.search("Her")
    finally:
        await lookup.close()
    assert [f.label for f in films] == ["Her (2013)", "Her (1990)"]
    her = films[0]
    assert her.directors == ("Spike Jonze",) and her.runtime == 126
    assert her.release_date == date(2013, 12, 18)
    assert her.genres == ("romance film", "science fiction film")
    assert (her.wikidata_id, her.imdb_id, her.tmdb_id) == ("Q90001", "tt1798709", 152601)
    searched = [r for r in film_apis.requests if "wbsearchentities" in r]
    assert len(searched) == 1 and "search=Her" in searched[0] and "format=json" in searched[0]


async def test_original_title_and_alias_are_titles(film_apis: FilmAPIs) -> None:
    """A film found by its Spanish title keeps it as its original title."""
    lookup = film_apis.lookup()
    try:
        (film,) = await lookup.search("Dolor y gloria")
    finally:
        await lookup.close()
    assert film.title == "Pain and Glory" and film.original_title == "Dolor y gloria"
    assert "dolor y gloria" in film.titles()


async def test_no_match_is_an_empty_answer(film_apis: FilmAPIs) -> None:
    """A title no film has: no films, one search and nothing else asked."""
    lookup = film_apis.lookup()
    try:
        assert await lookup.search("Zzyzx Road Nowhere") == []
    finally:
        await lookup.close()
    assert len(film_apis.requests) == 1


async def test_several_matches_are_all_returned(film_apis: FilmAPIs) -> None:
    """'Dune' is three films (and a hill of sand, left out)."""
    lookup = film_apis.lookup()
    try:
        films = await lookup.search("Dune")
    finally:
        await lookup.close()
    assert sorted(f.label for f in films) == ["Dune (1984)", "Dune (2021)",
                                              "Dune: Part Two (2024)"]


async def test_tmdb_adds_poster_and_merges_with_wikidata(film_apis: FilmAPIs) -> None:
    """With a token, TMDB's poster joins the Wikidata record of the same TMDB id: one film."""
    lookup = film_apis.lookup(token=TOKEN)
    try:
        films = await lookup.search("Her")
    finally:
        await lookup.close()
    assert [f.label for f in films] == ["Her (2013)", "Her (1990)"]
    assert films[0].poster_url == "https://image.tmdb.org/t/p/w342/her-poster.jpg"
    assert any(r.startswith("/3/search/movie?query=Her") for r in film_apis.requests)
    assert any(r.startswith("/3/movie/152601?") and "credits" in r for r in film_apis.requests)


async def test_a_bad_tmdb_token_leaves_wikidata_answering(
        film_apis: FilmAPIs, caplog: pytest.LogCaptureFixture) -> None:
    """TMDB's 401 is logged; Wikidata's films still come back."""
    lookup = film_apis.lookup(token="wrong-token")
    try:
        with caplog.at_level(logging.WARNING, "bot.filmlookup"):
            films = await lookup.search("Aftersun")
    finally:
        await lookup.close()
    assert [f.label for f in films] == ["Aftersun (2022)"]
    assert "HTTP 401" in caplog.text


async def test_a_timeout_is_unavailable_and_said_once(
        film_apis: FilmAPIs, caplog: pytest.LogCaptureFixture) -> None:
    """An API slower than the timeout: LookupUnavailable; two failures, one warning."""
    film_apis.delay = 2.0
    lookup = film_apis.lookup(timeout=0.3)
    try:
        with caplog.at_level(logging.WARNING, "bot.filmlookup"):
            for title in ("Her", "Jaws"):
                with pytest.raises(LookupUnavailable, match=r"no answer within 0\.3 s"):
                    await lookup.search(title)
    finally:
        await lookup.close()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "film lookup unavailable" in warnings[0].getMessage()


async def test_a_short_429_is_waited_out_and_retried(film_apis: FilmAPIs) -> None:
    """429 with Retry-After: 2 — the lookup waits 2 s, asks again and gets its answer."""
    film_apis.throttle = [Throttle(429, "2")]
    sleeps = Sleeps()
    lookup = film_apis.lookup(sleep=sleeps)
    try:
        films = await lookup.search("Aftersun")
    finally:
        await lookup.close()
    assert [f.label for f in films] == ["Aftersun (2022)"]
    assert 2.0 in sleeps.waits
    searches = [r for r in film_apis.requests if "wbsearchentities" in r]
    assert len(searches) == 2  # the throttled one and its retry


async def test_a_503_with_retry_after_is_waited_out(film_apis: FilmAPIs) -> None:
    """Wikidata's maxlag answer (503 with Retry-After) is handled like a 429."""
    film_apis.throttle = [Throttle(503, "1")]
    sleeps = Sleeps()
    lookup = film_apis.lookup(sleep=sleeps)
    try:
        assert [f.label for f in await lookup.search("Jaws")] == ["Jaws (1975)"]
    finally:
        await lookup.close()
    assert 1.0 in sleeps.waits


async def test_a_long_429_leaves_the_host_alone_until_then(film_apis: FilmAPIs) -> None:
    """Retry-After: 3600 is not waited out in place: unavailable, and no request until then."""
    film_apis.throttle = [Throttle(429, "3600")]
    sleeps = Sleeps()
    lookup = film_apis.lookup(sleep=sleeps)
    try:
        with pytest.raises(LookupUnavailable, match="rate-limiting"):
            await lookup.search("Her")
        asked = len(film_apis.requests)
        with pytest.raises(LookupUnavailable, match="no requests until"):
            await lookup.search("Jaws")
    finally:
        await lookup.close()
    assert asked == 1 and len(film_apis.requests) == 1
    assert 3600.0 not in sleeps.waits


def test_retry_after_reads_seconds_and_dates() -> None:
    """Retry-After as seconds or as an HTTP date; unreadable means 5 s."""
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert retry_after("30", now) == 30.0
    assert retry_after("Thu, 01 Jan 2026 12:01:00 GMT", now) == 60.0
    assert retry_after("soon", now) == 5.0 and retry_after(None, now) == 5.0


async def test_answers_are_cached_in_the_store(film_apis: FilmAPIs, store: Store) -> None:
    """The second search of a title asks nothing; a month later it asks again."""
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    lookup = film_apis.lookup(cache=store, clock=lambda: now[0])
    try:
        first = await lookup.search("Parasite")
        asked = len(film_apis.requests)
        again = await lookup.search("parasite")
        assert len(film_apis.requests) == asked and again == first
        now[0] += timedelta(days=31)
        await lookup.search("Parasite")
    finally:
        await lookup.close()
    assert len(film_apis.requests) == asked * 2
    assert sorted(f.label for f in first) == ["Parasite (1982)", "Parasite (2019)"]


async def test_the_fetch_guard_applies(film_apis: FilmAPIs) -> None:
    """Without the test's loopback policy the fake cannot be reached; other hosts never."""
    guarded = FilmLookup(policy=FetchPolicy(ports=[film_apis.port]),
                         wikidata_api=film_apis.wikidata_api, tmdb_api=film_apis.tmdb_api,
                         timeout=2)
    try:
        with pytest.raises(LookupUnavailable, match="loopback"):
            await guarded.search("Her")
        with pytest.raises(LookupUnavailable, match="not a film lookup host"):
            await guarded._get("https://example.com/w/api.php")
    finally:
        await guarded.close()
    assert film_apis.requests == []


async def test_without_a_token_says_so_once(
        film_apis: FilmAPIs, caplog: pytest.LogCaptureFixture) -> None:
    """No FILMCLUB_TMDB_TOKEN: one log line, and TMDB is never asked."""
    lookup = film_apis.lookup()
    try:
        with caplog.at_level(logging.INFO, "bot.filmlookup"):
            await lookup.search("Her")
            await lookup.search("Jaws")
    finally:
        await lookup.close()
    assert caplog.text.count("TMDB lookups are off") == 1
    assert not any(r.startswith("/3/") for r in film_apis.requests)
