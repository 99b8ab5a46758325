"""Looking films up (issue 18): Wikidata (no key needed) and, with a token, TMDB.

Wikidata through its Action API (``/w/api.php``): ``wbsearchentities`` finds items whose
label or alias matches a title, ``wbgetentities`` reads their statements (instance of
film, publication date, director, duration, genre, IMDb and TMDB ids, title, poster),
and a second ``wbgetentities`` names the directors and genres. TMDB (v3, with the
``FILMCLUB_TMDB_TOKEN`` read-access token as a Bearer token): ``/search/movie``, then
``/movie/{id}?append_to_response=credits`` for the runtime, genres, IMDb id and directors
of the results whose title matches. A film both know (same TMDB or IMDb id) is one record.

Every request goes through the fetch guard (``bot.netguard``): only the hosts of the
configured endpoints, checked on the address connected to, no redirects. Requests to a
host go one at a time; a 429 or 503 is waited out when its ``Retry-After`` is short
(``max_wait``), else the host is left alone until then. Answers are cached in the store
(a title's films for ``CACHE_DAYS``, a title with no film for a day). Without network or
token the bot works as before: lookups raise :class:`LookupUnavailable`, said once in the
log, and articles keep no film until a lookup answers.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import date, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlencode, urlsplit

import aiohttp

from bot.errors import FilmclubError, InvalidValue, NotFound
from bot.fetch import USER_AGENT
from bot.films import (
    MAX_CHOICES,
    ArticleFilm,
    FilmRecord,
    Resolution,
    merge,
    pick,
    resolve,
    same_record,
)
from bot.models import Article, utcnow
from bot.netguard import FetchPolicy, FetchRefused, GuardedResolver, normal_host
from bot.watchlist import film_key, read_film

if TYPE_CHECKING:
    from bot.store.base import Store

log = logging.getLogger(__name__)

WIKIDATA_API = "https://www.wikidata.org/w/api.php"
TMDB_API = "https://api.themoviedb.org/3"
TMDB_IMAGES = "https://image.tmdb.org/t/p/w342"
COMMONS_FILE = "https://commons.wikimedia.org/wiki/Special:FilePath/"
#: Seconds one request may take.
TIMEOUT = 10.0
#: The longest Retry-After waited out in place; longer ones leave the host alone.
MAX_WAIT = 15.0
#: Seconds between two requests to one host.
MIN_GAP = 0.1
CACHE_DAYS = 30
EMPTY_CACHE_DAYS = 1
SEARCH_LIMIT = 20
TMDB_DETAILS = 5
CACHE_VERSION = "v1"
#: Classes of Wikidata items that are films (film, feature, animated, short, TV, silent,
#: documentary, animated feature).
FILM_CLASSES = frozenset({"Q11424", "Q24869", "Q202866", "Q24862", "Q506240", "Q226730",
                          "Q93204", "Q29168811"})
_MINUTE, _SECOND, _HOUR = "Q7727", "Q11574", "Q25235"


class LookupUnavailable(FilmclubError):
    """No lookup could answer (no network, a timeout, rate-limited, an odd answer)."""


class LookupCache(Protocol):
    """Where answers are kept (the store implements it)."""

    async def cached_lookup(self, query: str) -> tuple[str, datetime] | None: ...

    async def cache_lookup(self, query: str, answer: str, at: datetime) -> None: ...


class _Throttled(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


def retry_after(value: str | None, now: datetime) -> float:
    """Seconds a Retry-After header asks for (a number or an HTTP date; 5 when unreadable)."""
    if not value:
        return 5.0
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return 5.0
    return max(0.0, (when - now).total_seconds())


class FilmLookup:
    """Searches Wikidata (and TMDB with a token) for films by title; answers are cached."""

    def __init__(self, *, policy: FetchPolicy | None = None, cache: LookupCache | None = None,
                 tmdb_token: str | None = None, wikidata_api: str = WIKIDATA_API,
                 tmdb_api: str = TMDB_API, timeout: float = TIMEOUT, max_wait: float = MAX_WAIT,
                 clock: Callable[[], datetime] = utcnow,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.policy = policy if policy is not None else FetchPolicy()
        self.cache = cache
        self.tmdb_token = tmdb_token or None
        self.wikidata_api = wikidata_api
        self.tmdb_api = tmdb_api.rstrip("/")
        self.timeout = timeout
        self.max_wait = max_wait
        self.clock = clock
        self.sleep = sleep
        #: The only hosts requests go to: those of the endpoints.
        self.hosts = {normal_host(urlsplit(u).hostname or "") for u in (wikidata_api, tmdb_api)}
        self._session: aiohttp.ClientSession | None = None
        self._guard: GuardedResolver | None = None
        self._locks: dict[str, asyncio.Lock] = {}
        self._next_at: dict[str, datetime] = {}
        self._blocked_until: dict[str, datetime] = {}
        self._down = False
        self._said_no_token = False
        #: Requests sent (for the log and the tests).
        self.requests = 0

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._guard is not None:
            await self._guard.close()
            self._guard = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._guard = GuardedResolver(self.policy)
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(resolver=self._guard),
                timeout=aiohttp.ClientTimeout(total=self.timeout,
                                              connect=min(self.timeout, 10)),
                headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
                trust_env=False)
        return self._session

    # -- searching ------------------------------------------------------------------------------

    async def search(self, title: str, year: int | None = None) -> list[FilmRecord]:
        """The films called ``title`` (label, alias or original title) both sources know.

        ``year`` is not sent (a title's films are cached together); callers filter.
        ``LookupUnavailable`` when no source could answer.
        """
        key = film_key(title)
        if not key:
            return []
        query = f"films:{CACHE_VERSION}:{'tmdb+' if self.tmdb_token else ''}wikidata:{key}"
        cached = await self._cached(query)
        if cached is not None:
            return cached
        if not self.tmdb_token and not self._said_no_token:
            self._said_no_token = True
            log.info("TMDB lookups are off (FILMCLUB_TMDB_TOKEN is not set): films are looked "
                     "up on Wikidata only")
        found: list[FilmRecord] = []
        failures: list[str] = []
        try:
            found = await self._wikidata(title)
        except LookupUnavailable as exc:
            failures.append(f"Wikidata: {exc}")
        if self.tmdb_token:
            try:
                for film in await self._tmdb(title):
                    same = next((i for i, f in enumerate(found) if same_record(f, film)), None)
                    if same is None:
                        found.append(film)
                    else:
                        poster = film.poster_url or found[same].poster_url
                        combined = merge(found[same], film)
                        found[same] = FilmRecord(**{**_fields(combined), "poster_url": poster})
            except LookupUnavailable as exc:
                failures.append(f"TMDB: {exc}")
        sources = 1 + bool(self.tmdb_token)
        if len(failures) == sources:
            self._went_down("; ".join(failures))
            raise LookupUnavailable("the film lookup is unavailable (" + "; ".join(failures)
                                    + ")")
        if failures:
            log.warning("film lookup: %s", "; ".join(failures))
        else:
            self._came_back()
            await self._store(query, found)
        return found

    def _went_down(self, why: str) -> None:
        if not self._down:
            self._down = True
            log.warning("film lookup unavailable (%s): films stay as they are until it answers",
                        why)
        else:
            log.debug("film lookup still unavailable: %s", why)

    def _came_back(self) -> None:
        if self._down:
            self._down = False
            log.info("film lookup answers again")

    async def _cached(self, query: str) -> list[FilmRecord] | None:
        if self.cache is None:
            return None
        row = await self.cache.cached_lookup(query)
        if row is None:
            return None
        answer, at = row
        films = [FilmRecord.from_json(d) for d in json.loads(answer)]
        days = CACHE_DAYS if films else EMPTY_CACHE_DAYS
        if self.clock() - at > timedelta(days=days):
            return None
        return films

    async def _store(self, query: str, films: list[FilmRecord]) -> None:
        if self.cache is None:
            return
        answer = json.dumps([{**f.to_json(), "aliases": list(f.aliases)} for f in films],
                            ensure_ascii=False)
        await self.cache.cache_lookup(query, answer, self.clock())

    # -- HTTP -----------------------------------------------------------------------------------

    async def _get(self, url: str, headers: dict[str, str] | None = None) -> Any:
        """GET ``url`` as JSON, one request at a time per host, waiting out short 429s."""
        try:
            parts = self.policy.check_url(url)
        except FetchRefused as exc:
            raise LookupUnavailable(str(exc)) from None
        host = normal_host(parts.hostname or "")
        if host not in self.hosts:
            raise LookupUnavailable(f"{host} is not a film lookup host")
        lock = self._locks.setdefault(host, asyncio.Lock())
        async with lock:
            for _attempt in range(3):
                blocked = self._blocked_until.get(host)
                now = self.clock()
                if blocked is not None and now < blocked:
                    raise LookupUnavailable(f"{host} asked for no requests until "
                                            f"{blocked:%H:%M:%S} UTC")
                wait = (self._next_at.get(host, now) - now).total_seconds()
                if wait > 0:
                    await self.sleep(wait)
                try:
                    return await self._once(url, headers or {})
                except _Throttled as throttled:
                    if throttled.seconds > self.max_wait:
                        until = self.clock() + timedelta(seconds=throttled.seconds)
                        self._blocked_until[host] = until
                        log.warning("%s is rate-limiting the film lookup: no requests to it "
                                    "for %.0f s", host, throttled.seconds)
                        raise LookupUnavailable(f"{host} is rate-limiting (retry after "
                                                f"{throttled.seconds:.0f} s)") from None
                    log.info("%s asked to wait %.1f s; waiting", host, throttled.seconds)
                    await self.sleep(throttled.seconds)
                finally:
                    self._next_at[host] = self.clock() + timedelta(seconds=MIN_GAP)
            raise LookupUnavailable(f"{host} kept asking to wait")

    async def _once(self, url: str, headers: dict[str, str]) -> Any:
        self.requests += 1
        try:
            async with asyncio.timeout(self.timeout):
                async with self._client().get(url, headers=headers,
                                              allow_redirects=False) as response:
                    if response.status in (429, 503) and (
                            response.status == 429 or "Retry-After" in response.headers):
                        raise _Throttled(retry_after(response.headers.get("Retry-After"),
                                                     self.clock()))
                    if response.status != 200:
                        raise LookupUnavailable(f"HTTP {response.status} from "
                                                f"{urlsplit(url).hostname}")
                    body = await response.content.read(4 * 1024 * 1024 + 1)
                    if len(body) > 4 * 1024 * 1024:
                        raise LookupUnavailable("an answer over 4 MB")
                    return json.loads(body)
        except TimeoutError:
            raise LookupUnavailable(f"no answer within {self.timeout:g} s") from None
        except aiohttp.ClientConnectorError as exc:
            reason = exc.os_error if isinstance(exc.os_error, FetchRefused) else "cannot connect"
            raise LookupUnavailable(str(reason)) from None
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            raise LookupUnavailable(f"a bad answer ({type(exc).__name__})") from None

    # -- Wikidata -------------------------------------------------------------------------------

    def _wd(self, **params: str) -> str:
        return f"{self.wikidata_api}?{urlencode({**params, 'format': 'json', 'maxlag': '5'})}"

    async def _wikidata(self, title: str) -> list[FilmRecord]:
        answer = await self._get(self._wd(action="wbsearchentities", search=title,
                                          language="en", uselang="en", type="item",
                                          limit=str(SEARCH_LIMIT)))
        if not isinstance(answer, dict) or "search" not in answer:
            raise LookupUnavailable(_api_error(answer))
        ids = [hit["id"] for hit in answer["search"] if isinstance(hit, dict) and "id" in hit]
        if not ids:
            return []
        entities = await self._entities(ids, "labels|aliases|claims")
        films = {qid: e for qid, e in entities.items() if _classes(e) & FILM_CLASSES}
        if not films:
            return []
        named = sorted({v for e in films.values() for p in ("P57", "P136")
                        for v in _item_values(e, p)})
        labels = {qid: _label(e) for qid, e in (await self._entities(named, "labels")).items()
                  } if named else {}
        return [_wikidata_film(qid, films[qid], labels) for qid in ids if qid in films]

    async def _entities(self, ids: list[str], props: str) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for start in range(0, len(ids), 50):
            answer = await self._get(self._wd(action="wbgetentities",
                                              ids="|".join(ids[start:start + 50]), props=props,
                                              languages="en", languagefallback="1"))
            if not isinstance(answer, dict) or "entities" not in answer:
                raise LookupUnavailable(_api_error(answer))
            found.update({k: v for k, v in answer["entities"].items() if "missing" not in v})
        return found

    # -- TMDB -----------------------------------------------------------------------------------

    async def _tmdb(self, title: str) -> list[FilmRecord]:
        headers = {"Authorization": f"Bearer {self.tmdb_token}"}
        query = urlencode({"query": title, "include_adult": "false", "language": "en-US",
                           "page": "1"})
        answer = await self._get(f"{self.tmdb_api}/search/movie?{query}", headers)
        results = answer.get("results") if isinstance(answer, dict) else None
        if not isinstance(results, list):
            raise LookupUnavailable("TMDB's search answered without results")
        key = film_key(title)
        matching = [r for r in results if isinstance(r, dict) and key in {
            film_key(str(r.get("title") or "")), film_key(str(r.get("original_title") or ""))}]
        films = []
        for result in matching[:TMDB_DETAILS]:
            detail = await self._get(f"{self.tmdb_api}/movie/{int(result['id'])}?"
                                     + urlencode({"append_to_response": "credits",
                                                  "language": "en-US"}), headers)
            films.append(_tmdb_film(detail if isinstance(detail, dict) else result))
        return films


def _fields(film: FilmRecord) -> dict[str, Any]:
    return {name: getattr(film, name) for name in FilmRecord.__slots__}


def _api_error(answer: Any) -> str:
    if isinstance(answer, dict) and isinstance(answer.get("error"), dict):
        return f"Wikidata answered {answer['error'].get('code', 'an error')}"
    return "an answer of an unexpected shape"


def _statements(entity: dict[str, Any], prop: str) -> list[dict[str, Any]]:
    claims = (entity.get("claims") or {}).get(prop) or []
    usable = [c for c in claims if c.get("rank") != "deprecated"
              and (c.get("mainsnak") or {}).get("snaktype", "value") == "value"]
    preferred = [c for c in usable if c.get("rank") == "preferred"]
    return preferred or usable


def _values(entity: dict[str, Any], prop: str) -> list[Any]:
    return [((c.get("mainsnak") or {}).get("datavalue") or {}).get("value")
            for c in _statements(entity, prop)]


def _item_values(entity: dict[str, Any], prop: str) -> list[str]:
    return [v["id"] for v in _values(entity, prop) if isinstance(v, dict) and "id" in v]


def _classes(entity: dict[str, Any]) -> set[str]:
    return set(_item_values(entity, "P31"))


def _label(entity: dict[str, Any]) -> str | None:
    labels = entity.get("labels") or {}
    for value in labels.values():
        if isinstance(value, dict) and value.get("value"):
            return str(value["value"])
    return None


def _day(value: Any) -> tuple[date | None, int | None]:
    """A Wikidata time value as (the date when it is known to the day, the year)."""
    if not isinstance(value, dict) or not isinstance(value.get("time"), str):
        return None, None
    text = value["time"].lstrip("+")
    try:
        year, month, day = int(text[0:4]), int(text[5:7]), int(text[8:10])
    except ValueError:
        return None, None
    precision = int(value.get("precision", 11))
    if precision >= 11 and month and day:
        try:
            return date(year, month, day), year
        except ValueError:
            return None, year
    return None, year if precision >= 9 else None


def _minutes(value: Any) -> int | None:
    if not isinstance(value, dict):
        return None
    try:
        amount = float(str(value.get("amount", "")).lstrip("+"))
    except ValueError:
        return None
    unit = str(value.get("unit", "")).rsplit("/", 1)[-1]
    factor = {_MINUTE: 1.0, _SECOND: 1 / 60, _HOUR: 60.0}.get(unit)
    return round(amount * factor) if factor and amount > 0 else None


def _strings(entity: dict[str, Any], prop: str) -> list[str]:
    return [v for v in _values(entity, prop) if isinstance(v, str)]


def _wikidata_film(qid: str, entity: dict[str, Any], labels: dict[str, str | None]
                   ) -> FilmRecord:
    days = [_day(v) for v in _values(entity, "P577")]
    dated = sorted(d for d, _ in days if d is not None)
    years = sorted(y for _, y in days if y is not None)
    original = next((v.get("text") for v in _values(entity, "P1476")
                     if isinstance(v, dict) and v.get("text")), None)
    aliases = [a.get("value") for group in (entity.get("aliases") or {}).values()
               for a in group if isinstance(a, dict) and a.get("value")]
    runtime = next((m for m in (_minutes(v) for v in _values(entity, "P2047")) if m), None)
    tmdb = next((int(v) for v in _strings(entity, "P4947") if v.isdigit()), None)
    poster = next(iter(_strings(entity, "P3383")), None)
    title = _label(entity) or original or qid
    return FilmRecord(
        title=title, year=dated[0].year if dated else (years[0] if years else None),
        original_title=original if original and original != title else None,
        release_date=dated[0] if dated else None,
        directors=tuple(n for n in (labels.get(q) for q in _item_values(entity, "P57")) if n),
        runtime=runtime,
        genres=tuple(n for n in (labels.get(q) for q in _item_values(entity, "P136")) if n),
        poster_url=(COMMONS_FILE + poster.replace(" ", "_") + "?width=342") if poster else None,
        wikidata_id=qid, imdb_id=next(iter(_strings(entity, "P345")), None), tmdb_id=tmdb,
        aliases=tuple(dict.fromkeys(aliases)))


def _tmdb_film(data: dict[str, Any]) -> FilmRecord:
    released = None
    text = str(data.get("release_date") or "")
    try:
        released = date.fromisoformat(text) if text else None
    except ValueError:
        released = None
    crew: Iterable[dict[str, Any]] = ((data.get("credits") or {}).get("crew") or [])
    directors = tuple(dict.fromkeys(str(c["name"]) for c in crew
                                    if isinstance(c, dict) and c.get("job") == "Director"
                                    and c.get("name")))
    original = data.get("original_title")
    poster = data.get("poster_path")
    runtime = data.get("runtime")
    return FilmRecord(
        title=str(data.get("title") or original or data.get("id")),
        year=released.year if released else None,
        original_title=original if original and original != data.get("title") else None,
        release_date=released, directors=directors,
        runtime=runtime if isinstance(runtime, int) and runtime > 0 else None,
        genres=tuple(str(g["name"]) for g in data.get("genres") or []
                     if isinstance(g, dict) and g.get("name")),
        poster_url=f"{TMDB_IMAGES}{poster}" if isinstance(poster, str) and poster else None,
        imdb_id=data.get("imdb_id") or None, tmdb_id=int(data["id"]) if data.get("id") else None)


# -- the film of an article, found once and kept ------------------------------------------------

#: Characters of an article's body read for its film (the opening).
OPENING_CHARS = 700


def make_lookup(config: Any, policy: FetchPolicy, cache: LookupCache | None) -> FilmLookup | None:
    """The lookup a ``bot.config.Config`` asks for (None when FILMCLUB_FILM_LOOKUP=off)."""
    if not getattr(config, "film_lookup", True):
        log.info("film lookups are off (FILMCLUB_FILM_LOOKUP=off): films are only what front "
                 "matter and moderators say")
        return None
    return FilmLookup(policy=policy, cache=cache, tmdb_token=getattr(config, "tmdb_token", None),
                      wikidata_api=WIKIDATA_API, tmdb_api=TMDB_API)


def opening_of(article: Article) -> str:
    """The part of the article read for its film: the excerpt, else the body's start."""
    text = article.excerpt or article.body
    return text[:OPENING_CHARS]


async def film_of_article(store: Store, lookup: FilmLookup | None, article: Article, *,
                          at: datetime, keep: bool = True) -> ArticleFilm:
    """The article's film: as stored, else read from its front matter or its headline and
    opening, confirmed by the lookup, and stored (found, ambiguous with the films offered,
    or none). Without a lookup that answers, nothing is stored and it reads as unset.
    ``keep=False`` (a command that only reads) stores nothing."""
    stored = await store.article_film(article.slug)
    if stored is not None:
        return stored
    if lookup is None:
        return ArticleFilm(article.slug, "none")
    try:
        if article.film:
            results = await lookup.search(article.film, article.year)
            found = pick(results, article.film, article.year, article.director)
            if len(found) == 1:
                resolution = Resolution("found", found[0])
            elif found:
                resolution = Resolution("ambiguous", choices=tuple(found[:MAX_CHOICES]))
            else:  # the front matter's word: kept as it was typed
                resolution = Resolution("found", FilmRecord(
                    article.film, article.year,
                    directors=(article.director,) if article.director else ()))
        else:
            resolution = await resolve(article.title, opening_of(article), lookup.search)
    except LookupUnavailable as exc:
        log.info("the film of %r is left unset for now: %s", article.slug, exc)
        return ArticleFilm(article.slug, "none")
    if not keep:
        return ArticleFilm(article.slug, resolution.state, resolution.film, resolution.choices)
    return await _keep(store, article.slug, resolution, at)


async def _keep(store: Store, slug: str, resolution: Resolution, at: datetime) -> ArticleFilm:
    film = await store.save_film(resolution.film, at) if resolution.film else None
    choices = [await store.save_film(c, at) for c in resolution.choices]
    await store.set_article_film(slug, resolution.state, film.id if film else None,
                                 choices=[c.id for c in choices if c.id is not None], at=at)
    log.info("film of %r: %s%s", slug, resolution.state,
             f" ({film.label})" if film else "")
    return ArticleFilm(slug, resolution.state, film, tuple(choices))


#: What `/film set` autocompletes to: a stored film's id.
FILM_ID_PREFIX = "film:"


async def film_from_text(store: Store, lookup: FilmLookup | None, text: str, *,
                         at: datetime) -> FilmRecord:
    """The film a moderator named: ``film:<id>`` (an autocomplete choice) or "Her (2013)".

    A title the lookup knows as one film is that film; as several, InvalidValue naming them
    (give the year); unknown, or with no lookup, a record of the title and year as typed
    (a stored film of that title and year first)."""
    text = text.strip()
    if text.startswith(FILM_ID_PREFIX) and text[len(FILM_ID_PREFIX):].isdigit():
        film = await store.get_film(int(text[len(FILM_ID_PREFIX):]))
        if film is None:
            raise NotFound("That film is no longer known: pick one from the list.")
        return film
    named = read_film(text)
    found: list[FilmRecord] = []
    if lookup is not None:
        try:
            found = pick(await lookup.search(named.title, named.year), named.title, named.year)
        except LookupUnavailable as exc:
            log.info("film lookup unavailable for %r: %s", text, exc)
    if not found:
        found = pick(await store.known_films(named.title, 50), named.title, named.year)
    if len(found) > 1:
        raise InvalidValue(f"“{named.title}” is several films: "
                           + "; ".join(f.choice_label for f in found[:MAX_CHOICES])
                           + f". Give the year, like “{found[0].label}”.")
    if found:
        return await store.save_film(found[0], at)
    return await store.save_film(FilmRecord(named.title, named.year), at)


async def set_article_film(store: Store, lookup: FilmLookup | None, slug: str, text: str, *,
                           by: int | None, at: datetime) -> FilmRecord:
    """Set the film of an article (and of its prompts already posted) to the one named."""
    film = await film_from_text(store, lookup, text, at=at)
    await store.set_article_film(slug, "set", film.id, by=by, at=at)
    return film


#: Seconds a prompt waits for its film before it is posted without one (the lookup goes
#: on, and the film is kept for next time).
FILM_BUDGET = 12.0
_pending: set[asyncio.Task[ArticleFilm]] = set()


async def film_within(store: Store, lookup: FilmLookup | None, article: Article, *,
                      at: datetime, budget: float = FILM_BUDGET) -> ArticleFilm:
    """:func:`film_of_article`, or unset when it takes longer than ``budget`` seconds."""
    task = asyncio.ensure_future(film_of_article(store, lookup, article, at=at))
    _pending.add(task)
    task.add_done_callback(_pending.discard)
    try:
        return await asyncio.wait_for(asyncio.shield(task), budget)
    except TimeoutError:
        log.info("the film of %r is still being looked up; going on without it", article.slug)
        return ArticleFilm(article.slug, "none", pending=True)
    except Exception:  # the lookup's own faults never stop a prompt
        log.exception("finding the film of %r failed", article.slug)
        return ArticleFilm(article.slug, "none")
