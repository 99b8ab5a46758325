"""A loopback fake of the Wikidata Action API and TMDB v3 endpoints filmclub calls.

Written for the project: a small catalogue of films (and a few items that share a film's
name but are no film), served in the shapes the APIs document:

- ``GET /w/api.php?action=wbsearchentities&search=…`` — ``{"searchinfo": …, "search":
  [{"id", "title", "pageid", "label", "description", "match": {...}, "url",
  "concepturi", "repository"}], "success": 1}``; labels and aliases are matched from
  their start, any case, exact matches first, as the real one does;
- ``GET /w/api.php?action=wbgetentities&ids=Q1|Q2&props=…`` — ``{"entities": {"Q1":
  {"type": "item", "id", "labels", "aliases", "claims": {"P31": [statement…]}}},
  "success": 1}`` with statements as ``{"mainsnak": {"snaktype": "value", "property",
  "datavalue": {"value", "type"}, "datatype"}, "type": "statement", "rank"}``; an unknown
  id is ``{"id": …, "missing": ""}``;
- ``GET /3/search/movie?query=…`` — ``{"page": 1, "results": [{"id", "title",
  "original_title", "release_date", "poster_path", "genre_ids", …}], "total_pages",
  "total_results"}``, ``401`` with ``{"status_code": 7, …}`` without the right Bearer token;
- ``GET /3/movie/{id}?append_to_response=credits`` — the film with ``runtime``,
  ``genres``, ``imdb_id`` and ``credits.crew``; ``404`` with ``{"status_code": 34, …}``.

A test can make it slow (``delay``), answer 429 with a ``Retry-After`` (``throttle``),
or count and read the requests it got (``requests``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from bot.filmlookup import FilmLookup
from tests.webserver import LoopbackForTests, listen

TOKEN = "test-tmdb-read-token"


@dataclass(frozen=True)
class Film:
    qid: str
    label: str
    released: str  # YYYY-MM-DD
    directors: tuple[str, ...]  # qids of people
    minutes: int | None
    genres: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    original: tuple[str, str] | None = None  # (title, language)
    imdb: str | None = None
    tmdb: int | None = None
    poster: str | None = None  # TMDB poster path
    kind: str = "Q11424"  # instance of: film


PEOPLE = {
    "Q91001": "Spike Jonze", "Q91002": "Marta Lind", "Q91003": "Charlotte Wells",
    "Q91004": "Paul King", "Q91005": "John Carpenter", "Q91006": "Matthijs van Heijningen Jr.",
    "Q91007": "Pedro Almodóvar", "Q91008": "Bong Joon-ho", "Q91009": "Charles Band",
    "Q91010": "Wong Kar-wai", "Q91011": "Steven Spielberg", "Q91012": "Francis Ford Coppola",
    "Q91013": "Spike Lee", "Q91014": "Ryusuke Hamaguchi", "Q91015": "Hirokazu Kore-eda",
    "Q91016": "George Miller", "Q91017": "Christopher Nolan", "Q91018": "Gillian Armstrong",
    "Q91019": "Greta Gerwig", "Q91020": "Jane Campion", "Q91021": "Richard Linklater",
    "Q91022": "Celine Song", "Q91023": "David Lynch", "Q91024": "Denis Villeneuve",
    "Q91025": "Ridley Scott", "Q91026": "Jean-Pierre Jeunet", "Q91027": "Akira Kurosawa",
    "Q91028": "Céline Sciamma", "Q91029": "Martin Scorsese", "Q91030": "Lee Unkrich",
    "Q91031": "Alfred Hitchcock", "Q91032": "Hayao Miyazaki", "Q91033": "David Fincher",
    "Q91034": "Christian Nyby",
}
GENRES = {"Q93001": "romance film", "Q93002": "science fiction film", "Q93003": "drama film",
          "Q93004": "comedy film", "Q93005": "horror film", "Q93006": "thriller film",
          "Q93007": "animated film", "Q93008": "action film"}

FILMS = (
    Film("Q90001", "Her", "2013-12-18", ("Q91001",), 126, ("Q93001", "Q93002"),
         imdb="tt1798709", tmdb=152601, poster="/her-poster.jpg"),
    Film("Q90002", "Her", "1990-05-04", ("Q91002",), 11, ("Q93003",), kind="Q24862"),
    Film("Q90003", "Aftersun", "2022-10-21", ("Q91003",), 102, ("Q93003",), imdb="tt19770238",
         tmdb=965150, poster="/aftersun.jpg"),
    Film("Q90004", "Paddington", "2014-11-28", ("Q91004",), 95, ("Q93004",)),
    Film("Q90005", "Paddington 2", "2017-11-10", ("Q91004",), 104, ("Q93004",),
         imdb="tt4468740", tmdb=346648),
    Film("Q90006", "The Thing", "1982-06-25", ("Q91005",), 109, ("Q93005",), imdb="tt0084787"),
    Film("Q90007", "The Thing", "2011-10-14", ("Q91006",), 103, ("Q93005",)),
    Film("Q90008", "The Thing from Another World", "1951-04-06", ("Q91034",), 87,
         ("Q93002",)),
    Film("Q90009", "Pain and Glory", "2019-03-22", ("Q91007",), 113, ("Q93003",),
         aliases=("Dolor y gloria",), original=("Dolor y gloria", "es")),
    Film("Q90010", "Parasite", "2019-05-30", ("Q91008",), 132, ("Q93006",), imdb="tt6751668",
         tmdb=496243, poster="/parasite.jpg"),
    Film("Q90011", "Parasite", "1982-03-12", ("Q91009",), 85, ("Q93005",)),
    Film("Q90012", "In the Mood for Love", "2000-09-29", ("Q91010",), 98, ("Q93001",),
         original=("花樣年華", "zh")),
    Film("Q90013", "Jaws", "1975-06-20", ("Q91011",), 124, ("Q93006",)),
    Film("Q90014", "The Godfather", "1972-03-24", ("Q91012",), 175, ("Q93003",)),
    Film("Q90015", "The Godfather Part II", "1974-12-20", ("Q91012",), 202, ("Q93003",)),
    Film("Q90016", "Do the Right Thing", "1989-06-30", ("Q91013",), 120, ("Q93003",)),
    Film("Q90017", "Drive My Car", "2021-08-20", ("Q91014",), 179, ("Q93003",),
         original=("ドライブ・マイ・カー", "ja")),
    Film("Q90018", "Shoplifters", "2018-06-08", ("Q91015",), 121, ("Q93003",),
         aliases=("Manbiki Kazoku",)),
    Film("Q90019", "Mad Max: Fury Road", "2015-05-15", ("Q91016",), 120, ("Q93008",)),
    Film("Q90020", "Mad Max", "1979-04-12", ("Q91016",), 88, ("Q93008",)),
    Film("Q90021", "Oppenheimer", "2023-07-21", ("Q91017",), 180, ("Q93003",)),
    Film("Q90022", "Little Women", "1994-12-21", ("Q91018",), 115, ("Q93003",)),
    Film("Q90023", "Little Women", "2019-12-25", ("Q91019",), 135, ("Q93003",)),
    Film("Q90024", "The Power of the Dog", "2021-12-01", ("Q91020",), 126, ("Q93003",)),
    Film("Q90025", "Before Sunset", "2004-07-02", ("Q91021",), 80, ("Q93001",)),
    Film("Q90026", "Past Lives", "2023-06-02", ("Q91022",), 106, ("Q93001",)),
    Film("Q90027", "Dune", "1984-12-14", ("Q91023",), 137, ("Q93002",)),
    Film("Q90028", "Dune", "2021-10-22", ("Q91024",), 155, ("Q93002",)),
    Film("Q90029", "Dune: Part Two", "2024-03-01", ("Q91024",), 166, ("Q93002",)),
    Film("Q90030", "Blade Runner 2049", "2017-10-06", ("Q91024",), 164, ("Q93002",)),
    Film("Q90031", "Blade Runner", "1982-06-25", ("Q91025",), 117, ("Q93002",)),
    Film("Q90032", "Amélie", "2001-04-25", ("Q91026",), 122, ("Q93004",),
         aliases=("Le Fabuleux Destin d'Amélie Poulain",),
         original=("Le Fabuleux Destin d'Amélie Poulain", "fr")),
    Film("Q90033", "Seven Samurai", "1954-04-26", ("Q91027",), 207, ("Q93008",),
         aliases=("Shichinin no samurai",)),
    Film("Q90034", "Portrait of a Lady on Fire", "2019-09-18", ("Q91028",), 122,
         ("Q93001",), aliases=("Portrait de la jeune fille en feu",),
         original=("Portrait de la jeune fille en feu", "fr")),
    Film("Q90035", "Killers of the Flower Moon", "2023-10-20", ("Q91029",), 206, ("Q93003",)),
    Film("Q90036", "Toy Story 3", "2010-06-18", ("Q91030",), 103, ("Q93007",)),
    Film("Q90037", "Vertigo", "1958-05-09", ("Q91031",), 128, ("Q93006",), imdb="tt0052357",
         tmdb=426, poster="/vertigo.jpg"),
    Film("Q90038", "Spirited Away", "2001-07-20", ("Q91032",), 125, ("Q93007",),
         aliases=("Sen to Chihiro no Kamikakushi",)),
    Film("Q90039", "Alien", "1979-05-25", ("Q91025",), 117, ("Q93005",)),
    Film("Q90040", "Alien 3", "1992-05-22", ("Q91033",), 114, ("Q93005",)),
)
#: Items that share a film's name but are no film (the lookup must leave them out).
OTHERS = {"Q92001": ("Her", "English pronoun", "Q92100"),
          "Q92002": ("Parasite", "organism that lives on a host", "Q92101"),
          "Q92003": ("Dune", "hill of sand", "Q92102"),
          "Q92004": ("Jaws", "bony structures of the mouth", "Q92103"),
          "Q92005": ("Vertigo", "sensation of spinning", "Q92104")}


def _statement(prop: str, value: Any, kind: str, datatype: str) -> dict[str, Any]:
    return {"mainsnak": {"snaktype": "value", "property": prop,
                         "datavalue": {"value": value, "type": kind}, "datatype": datatype},
            "type": "statement", "id": f"{prop}$fake", "rank": "normal"}


def _item(prop: str, qid: str) -> dict[str, Any]:
    return _statement(prop, {"entity-type": "item", "numeric-id": int(qid[1:]), "id": qid},
                      "wikibase-entityid", "wikibase-item")


def film_entity(film: Film) -> dict[str, Any]:
    claims: dict[str, list[dict[str, Any]]] = {
        "P31": [_item("P31", film.kind)],
        "P577": [_statement("P577", {"time": f"+{film.released}T00:00:00Z", "timezone": 0,
                                     "before": 0, "after": 0, "precision": 11,
                                     "calendarmodel": "http://www.wikidata.org/entity/Q1985727"},
                            "time", "time")],
        "P57": [_item("P57", q) for q in film.directors],
        "P136": [_item("P136", q) for q in film.genres],
    }
    if film.minutes:
        claims["P2047"] = [_statement("P2047", {"amount": f"+{film.minutes}",
                                                "unit": "http://www.wikidata.org/entity/Q7727"},
                                      "quantity", "quantity")]
    if film.imdb:
        claims["P345"] = [_statement("P345", film.imdb, "string", "external-id")]
    if film.tmdb:
        claims["P4947"] = [_statement("P4947", str(film.tmdb), "string", "external-id")]
    if film.original:
        text, language = film.original
        claims["P1476"] = [_statement("P1476", {"text": text, "language": language},
                                      "monolingualtext", "monolingualtext")]
    return {"type": "item", "id": film.qid,
            "labels": {"en": {"language": "en", "value": film.label}},
            "aliases": {"en": [{"language": "en", "value": a} for a in film.aliases]},
            "claims": claims}


def _entity(qid: str, props: str) -> dict[str, Any]:
    film = next((f for f in FILMS if f.qid == qid), None)
    if film is not None:
        entity = film_entity(film)
    elif qid in OTHERS:
        label, _, kind = OTHERS[qid]
        entity = {"type": "item", "id": qid,
                  "labels": {"en": {"language": "en", "value": label}}, "aliases": {},
                  "claims": {"P31": [_item("P31", kind)]}}
    elif qid in PEOPLE or qid in GENRES:
        entity = {"type": "item", "id": qid, "labels": {"en": {
            "language": "en", "value": PEOPLE.get(qid) or GENRES[qid]}}, "aliases": {},
            "claims": {}}
    else:
        return {"id": qid, "missing": ""}
    wanted = set(props.split("|"))
    return {k: v for k, v in entity.items() if k in ("type", "id") or k in wanted}


def _search_hits(search: str) -> list[dict[str, Any]]:
    needle = search.casefold().strip()
    hits: list[tuple[int, dict[str, Any]]] = []
    names = [(f.qid, f.label, f.aliases, f"{f.released[:4]} film") for f in FILMS]
    names += [(q, label, (), description) for q, (label, description, _) in OTHERS.items()]
    for qid, label, aliases, description in names:
        matched = next(((kind, text) for kind, text in
                        [("label", label)] + [("alias", a) for a in aliases]
                        if text.casefold().startswith(needle)), None)
        if matched is None:
            continue
        kind, text = matched
        hits.append((0 if text.casefold() == needle else 1, {
            "id": qid, "title": qid, "pageid": int(qid[1:]), "repository": "wikidata",
            "url": f"//www.wikidata.org/wiki/{qid}",
            "concepturi": f"http://www.wikidata.org/entity/{qid}",
            "display": {"label": {"value": label, "language": "en"}},
            "label": label, "description": description,
            "match": {"type": kind, "language": "en", "text": text},
            **({"aliases": [text]} if kind == "alias" else {})}))
    hits.sort(key=lambda pair: pair[0])
    return [hit for _, hit in hits]


def _tmdb_summary(film: Film, tmdb_id: int) -> dict[str, Any]:
    original = film.original[0] if film.original else film.label
    return {"adult": False, "backdrop_path": None, "genre_ids": [], "id": tmdb_id,
            "original_language": film.original[1] if film.original else "en",
            "original_title": original, "overview": "", "popularity": 10.0,
            "poster_path": film.poster, "release_date": film.released, "title": film.label,
            "video": False, "vote_average": 7.5, "vote_count": 100}


def _tmdb_id(film: Film) -> int:
    return film.tmdb or 800000 + int(film.qid[1:]) % 10000


@dataclass
class Throttle:
    status: int = 429
    retry_after: str | None = "1"


@dataclass
class FilmAPIs:
    """The fake, on 127.0.0.1: ``wikidata_api`` and ``tmdb_api`` are its two endpoints."""

    port: int = 0
    requests: list[str] = field(default_factory=list)
    #: Seconds before answering (a timeout test sets it above the lookup's timeout).
    delay: float = 0.0
    #: Answers to give instead of the real one, first first (429s, 503s).
    throttle: list[Throttle] = field(default_factory=list)
    #: Answer every Wikidata request with a server error (the API is down).
    broken: bool = False
    _runner: web.AppRunner | None = None

    @property
    def wikidata_api(self) -> str:
        return f"http://127.0.0.1:{self.port}/w/api.php"

    @property
    def tmdb_api(self) -> str:
        return f"http://127.0.0.1:{self.port}/3"

    @property
    def policy(self) -> LoopbackForTests:
        return LoopbackForTests(self.port)

    def lookup(self, *, token: str | None = None, timeout: float = 5.0, **options: Any
               ) -> FilmLookup:
        """A lookup that reaches this fake (and nothing else)."""
        return FilmLookup(policy=self.policy, tmdb_token=token, wikidata_api=self.wikidata_api,
                          tmdb_api=self.tmdb_api, timeout=timeout, **options)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/w/api.php", self._wikidata)
        app.router.add_get("/3/search/movie", self._tmdb_search)
        app.router.add_get("/3/movie/{id}", self._tmdb_movie)
        self._runner, self.port = await listen(app)

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _before(self, request: web.Request) -> web.Response | None:
        self.requests.append(request.path_qs)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.throttle:
            answer = self.throttle.pop(0)
            headers = {"Retry-After": answer.retry_after} if answer.retry_after else {}
            return web.json_response({"error": {"code": "too-many-requests"}},
                                     status=answer.status, headers=headers)
        return None

    async def _wikidata(self, request: web.Request) -> web.Response:
        early = await self._before(request)
        if early is not None:
            return early
        if self.broken:
            return web.Response(status=500, text="Internal error")
        query = request.query
        if query.get("format") != "json":
            return web.Response(text="not json", content_type="text/html")
        if query.get("action") == "wbsearchentities":
            if not query.get("search"):
                return web.json_response({"error": {"code": "param-missing",
                                                    "info": "The search parameter must be set."}})
            limit = int(query.get("limit", "7"))
            hits = _search_hits(query["search"])
            body: dict[str, Any] = {"searchinfo": {"search": query["search"]},
                                    "search": hits[:limit], "success": 1}
            if len(hits) > limit:
                body["search-continue"] = limit
            return web.json_response(body)
        if query.get("action") == "wbgetentities":
            ids = [i for i in query.get("ids", "").split("|") if i]
            if len(ids) > 50:
                return web.json_response({"error": {"code": "toomanyvalues"}})
            props = query.get("props", "info|sitelinks|aliases|labels|descriptions|claims")
            return web.json_response({"entities": {i: _entity(i, props) for i in ids},
                                      "success": 1})
        return web.json_response({"error": {"code": "badvalue"}})

    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {TOKEN}"

    async def _tmdb_search(self, request: web.Request) -> web.Response:
        early = await self._before(request)
        if early is not None:
            return early
        if not self._authorised(request):
            return web.json_response({"status_code": 7, "status_message": "Invalid API key: "
                                      "You must be granted a valid key.", "success": False},
                                     status=401)
        needle = request.query.get("query", "").casefold()
        results = [_tmdb_summary(f, _tmdb_id(f)) for f in FILMS
                   if needle and needle in f.label.casefold()]
        return web.json_response({"page": 1, "results": results, "total_pages": 1,
                                  "total_results": len(results)})

    async def _tmdb_movie(self, request: web.Request) -> web.Response:
        early = await self._before(request)
        if early is not None:
            return early
        if not self._authorised(request):
            return web.json_response({"status_code": 7, "success": False}, status=401)
        film = next((f for f in FILMS if str(_tmdb_id(f)) == request.match_info["id"]), None)
        if film is None:
            return web.json_response({"success": False, "status_code": 34, "status_message":
                                      "The resource you requested could not be found."},
                                     status=404)
        body = _tmdb_summary(film, _tmdb_id(film))
        body.pop("genre_ids")
        body.update({"runtime": film.minutes, "imdb_id": film.imdb,
                     "genres": [{"id": int(g[1:]) % 1000, "name": GENRES[g].removesuffix(
                         " film").title()} for g in film.genres],
                     "status": "Released", "tagline": ""})
        if "credits" in request.query.get("append_to_response", ""):
            body["credits"] = {"cast": [], "crew": [
                {"id": int(q[1:]), "name": PEOPLE[q], "job": "Director",
                 "department": "Directing", "credit_id": f"c{q}"} for q in film.directors]}
        return web.Response(text=json.dumps(body), content_type="application/json")


@pytest.fixture
async def film_apis() -> AsyncIterator[FilmAPIs]:
    """The fake Wikidata and TMDB, started on 127.0.0.1 for the test."""
    apis = FilmAPIs()
    await apis.start()
    yield apis
    await apis.close()
