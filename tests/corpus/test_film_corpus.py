"""The film corpus (issue 18): article headlines and openings, written for the project,
naming a film the ways writers do; each is read and confirmed against the loopback fake of
Wikidata. A case is matched (the right film), left unset (no film, or a choice offered),
or matched wrongly, which must never happen. The tally is printed after the run."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.films import resolve
from tests.corpus.conftest import FILM_RESULTS
from tests.filmfake import FilmAPIs

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@dataclass(frozen=True)
class Case:
    name: str
    headline: str
    opening: str
    film: str | None  # the film's label when it must be found; None: left unset
    choices: tuple[str, ...] = ()  # the films offered when it is left unset


CASES = (
    Case("possessive-quotes", "Spike Jonze's 'Her' is a love story for the age of the OS",
         "Theodore writes other people's letters for a living.", "Her (2013)"),
    Case("review-colon", "Review: Aftersun",
         "Charlotte Wells' debut remembers a holiday in Turkey through a camcorder.",
         "Aftersun (2022)"),
    Case("review-suffix", "Aftersun review: a father, a daughter, a camcorder",
         "Nobody in Charlotte Wells's film says what they mean.", "Aftersun (2022)"),
    Case("italic-sequel", "The kindest film of the decade",
         "*Paddington 2* is a film about marmalade, prison and manners, and Paul King "
         "makes every one of them funny.", "Paddington 2 (2017)"),
    Case("sequel-not-original", "Paul King's 'Paddington 2' and the art of the kind sequel",
         "It is rare for a second film to be better than the first.", "Paddington 2 (2017)"),
    Case("year-in-brackets", "The Thing (1982) at forty",
         "Carpenter's Antarctic paranoia still holds up.", "The Thing (1982)"),
    Case("year-picks-remake", "The Thing (2011): the prequel nobody wanted",
         "A prequel with the same name as the film it leads into.", "The Thing (2011)"),
    Case("foreign-title", "Almodóvar’s “Dolor y gloria” and the ache of memory",
         "A director in pain looks back at his childhood.", "Pain and Glory (2019)"),
    Case("foreign-title-french", "Jeunet’s 'Le Fabuleux Destin d'Amélie Poulain' at twenty",
         "Montmartre has never looked so clean.", "Amélie (2001)"),
    Case("romanised-title", "Kurosawa's 'Shichinin no samurai' (1954), restored",
         "Three and a half hours that feel like one.", "Seven Samurai (1954)"),
    Case("possessive-bare", "Bong Joon-ho's Parasite is a film about stairs",
         "Every floor of the Park house is a class.", "Parasite (2019)"),
    Case("underscore-italics", "Wong Kar-wai’s _In the Mood for Love_ and the corridor",
         "Two neighbours keep passing each other.", "In the Mood for Love (2000)"),
    Case("html-italics", "Slow burn",
         "Céline Sciamma's <em>Portrait of a Lady on Fire</em> burns slowly and then all at "
         "once.", "Portrait of a Lady on Fire (2019)"),
    Case("french-original-in-opening", "The gaze, returned",
         "In “Portrait de la jeune fille en feu” (2019), looking is the whole plot.",
         "Portrait of a Lady on Fire (2019)"),
    Case("sequel-part", "The Godfather Part II review",
         "Francis Ford Coppola made a sequel that is the first film's equal.",
         "The Godfather Part II (1974)"),
    Case("director-disambiguates", "A love letter to the March sisters",
         'When Greta Gerwig\'s "Little Women" opens, Jo is running.', "Little Women (2019)"),
    Case("year-disambiguates", "Little Women (1994) deserves another look",
         "Before the 2019 version, there was Winona Ryder.", "Little Women (1994)"),
    Case("quotes-director-in-text", "Director Jane Campion returns",
         "With 'The Power of the Dog', Jane Campion returns to the screen after twelve years.",
         "The Power of the Dog (2021)"),
    Case("quotes-year", '"Before Sunset" (2004): nine years later',
         "Jesse and Celine meet again in Paris.", "Before Sunset (2004)"),
    Case("surname-possessive-curly", "Nolan’s ‘Oppenheimer’ and the sound of the bomb",
         "Three hours of men in rooms, and then the light.", "Oppenheimer (2023)"),
    Case("review-colon-quotes-year", "Review: 'Past Lives' (2023)",
         "Two childhood friends, twenty-four years, one evening in New York.",
         "Past Lives (2023)"),
    Case("quotes-review-surname", "'Drive My Car' review: Hamaguchi's long road",
         "A three-hour film that earns every minute.", "Drive My Car (2021)"),
    Case("possessive-year", "Kore-eda's 'Shoplifters' (2018) is a family you choose",
         "A family that is not one, and a love that is.", "Shoplifters (2018)"),
    Case("title-with-colon-year", "Mad Max: Fury Road (2015) review — oh what a day",
         "George Miller's chase never stops.", "Mad Max: Fury Road (2015)"),
    Case("number-in-title", "'Blade Runner 2049' and the sequel nobody asked for",
         "Denis Villeneuve takes his time, and it pays.", "Blade Runner 2049 (2017)"),
    Case("scorsese-curly", "Scorsese’s “Killers of the Flower Moon” is about complicity",
         "Three and a half hours of Oklahoma.", "Killers of the Flower Moon (2023)"),
    Case("sequel-italics-director-text", "Why the third one hurts",
         "Lee Unkrich's *Toy Story 3* ends with a furnace and a goodbye.",
         "Toy Story 3 (2010)"),
    Case("headline-wins-over-opening", "Hitchcock's 'Vertigo' and the second fall",
         "Like *Jaws*, it is a film about what we cannot see.", "Vertigo (1958)"),
    Case("dune-part-two", "Review: 'Dune: Part Two'",
         "Denis Villeneuve finishes what he began in 2021.", "Dune: Part Two (2024)"),
    Case("alien-number", "David Fincher's 'Alien 3' deserves another look",
         "The studio cut it to pieces.", "Alien 3 (1992)"),
    # left unset: ambiguous, or no film the lookup can confirm
    Case("ambiguous-no-evidence", "Why 'Dune' still matters",
         "Sand, spice, and a boy who would be messiah.", None,
         ("Dune (1984)", "Dune (2021)")),
    Case("ambiguous-her", "Review: Her", "A man falls for his phone.", None,
         ("Her (2013)", "Her (1990)")),
    Case("two-films-compared", "Spike Lee's 'Do the Right Thing' vs Spike Jonze's 'Her'",
         "Two Spikes, two cities, two summers.", None,
         ("Do the Right Thing (1989)", "Her (2013)")),
    Case("wrong-year", "'Dune' (1999): the version that never was",
         "Imagine a Dune made at the end of the millennium.", None,
         ("Dune (1984)", "Dune (2021)")),
    Case("wrong-director", "Christopher Nolan's 'Parasite'",
         "An imagined remake, for fun.", None, ("Parasite (2019)", "Parasite (1982)")),
    Case("quote-is-a-line", '"We\'re gonna need a bigger boat": fifty years of a line',
         "Roy Scheider ad-libbed it, or so the story goes.", None),
    Case("no-film", "Why we need more film clubs",
         "Watching alone is fine. Talking about it after is better.", None),
    Case("listicle", "Ten horror films to watch this October",
         "From silent classics to last year's surprises, here are ten.", None),
    Case("unknown-film", "Review: 'The Lighthouse Keeper's Daughter'",
         "A small film that the lookup has never heard of.", None),
    Case("plain-title-no-markers", "Spirited Away still makes grown adults cry",
         "Chihiro's parents turn into pigs in the first ten minutes.", None),
)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_film_case(case: Case, film_apis: FilmAPIs) -> None:
    """The case's film is found, or it is left unset with the expected choices; never wrong."""
    lookup = film_apis.lookup()
    try:
        found = await resolve(case.headline, case.opening, lookup.search)
    finally:
        await lookup.close()
    got = found.film.label if found.film else None
    if got is None:
        FILM_RESULTS[case.name] = "unset"
    else:
        FILM_RESULTS[case.name] = "matched" if got == case.film else "wrong"
    assert got == case.film, (found.state, found.reason, [c.label for c in found.choices])
    if case.film is None:
        assert found.state in ("ambiguous", "none")
        assert sorted(c.label for c in found.choices) == sorted(case.choices)


def test_film_corpus_is_large_and_varied() -> None:
    """At least 30 cases, most naming a film, and some that must be left unset."""
    named = [c for c in CASES if c.film]
    assert len(CASES) >= 30 and len(named) >= 25 and len(CASES) - len(named) >= 8
    print(f"film corpus: {len(CASES)} cases, {len(named)} naming one film")
