"""Feeds from the loopback server: conditional polls, growth, duplicates and every bad input."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.articles import ArticleLibrary, Catalog
from bot.errors import SourceError
from bot.feeds import FeedPoller, parse_feed
from bot.fetch import Fetcher
from bot.store import Store
from tests.webserver import ATOM, RSS, LoopbackForTests, WebServer, atom, rss

LIBRARY = Path(__file__).parents[1] / "library"
GUILD, CHANNEL = 10, 20
PARAGRAPH = ("The film watches its characters with great patience, and the camera lingers "
             "on hands, doors and the weather, until small gestures feel enormous. ")


def full_text(title: str, ending: str = "What did you make of the last scene?") -> str:
    return f"<p>{title}: {PARAGRAPH * 4}</p><p>{PARAGRAPH * 3}</p><p>{ending}</p>"


def item(n: int, **extra: str) -> dict[str, str]:
    day = f"0{n}" if n < 10 else str(n)
    return {"title": f"Review {n}", "link": f"https://reviews.example/{n}",
            "guid": f"https://reviews.example/?p={n}",
            "pubDate": f"Mon, {day} Jan 2024 10:00:00 GMT",
            "content": full_text(f"Review {n}"), **extra}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 3, 4, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def poller(store: Store, tmp_path: Path, web_server: WebServer,
                 ) -> AsyncIterator[FeedPoller]:
    library = tmp_path / "articles"
    library.mkdir()
    policy = LoopbackForTests(web_server.port, 9)  # 9: a closed port, to be unreachable
    async with Fetcher(timeout=0.5, policy=policy) as fetcher:
        yield FeedPoller(store, Catalog(ArticleLibrary(library), store), fetcher, clock=Clock())


async def test_add_takes_existing_entries_as_seen(poller: FeedPoller, web_server: WebServer,
                                                  ) -> None:
    """Adding a feed checks it; its current entries are not turned into prompts."""
    url = web_server.serve("rss", rss("Reviews", [item(1), item(2)]), content_type=RSS)
    feed, count = await poller.add(url, CHANNEL, guild_id=GUILD)
    assert count == 2 and feed.etag
    outcome = await poller.poll(feed)
    assert outcome.not_modified and outcome.added == ()


async def test_poll_sends_validators_and_gets_not_modified(poller: FeedPoller,
                                                           web_server: WebServer) -> None:
    """An unchanged feed is asked with If-None-Match / If-Modified-Since and answers 304."""
    url = web_server.serve("rss", rss("Reviews", [item(1)]), content_type=RSS)
    feed, _ = await poller.add(url, CHANNEL, guild_id=GUILD)
    await poller.poll(feed)
    polled = web_server.hits("rss")[-1]
    assert polled.status == 304
    assert polled.headers["If-None-Match"] == feed.etag
    assert polled.headers["If-Modified-Since"] == feed.last_modified


async def test_feed_growing_between_polls_queues_only_the_new_entry(
        poller: FeedPoller, web_server: WebServer, store: Store) -> None:
    """A new entry becomes a stored article, queued for the server; the old ones do not."""
    url = web_server.serve("rss", rss("Reviews", [item(1)]), content_type=RSS)
    feed, _ = await poller.add(url, CHANNEL, guild_id=GUILD)
    web_server.serve("rss", rss("Reviews", [item(2), item(1)]), content_type=RSS)
    (feed,) = await store.list_feeds()
    outcome = await poller.poll(feed)
    assert [a.article.title for a in outcome.added] == ["Review 2"]
    queued = await store.list_queue(GUILD)
    assert [(i.slug, i.channel_id, i.post_now) for i in queued] == [("review-2", CHANNEL, False)]
    stored = await store.get_article("review-2")
    assert stored is not None and stored.origin == "feed" and stored.feed_id == feed.id
    assert stored.article.questions == ("What did you make of the last scene?",)
    assert stored.article.source == "Reviews"
    (feed,) = await store.list_feeds()
    assert (await poller.poll(feed)).not_modified


async def test_backlog_entries_come_with_the_first_poll(poller: FeedPoller,
                                                        web_server: WebServer,
                                                        store: Store) -> None:
    """--backlog 2 takes the two newest entries at the first poll, oldest first."""
    url = web_server.serve("rss", rss("Reviews", [item(3), item(2), item(1)]), content_type=RSS)
    feed, _ = await poller.add(url, CHANNEL, guild_id=GUILD, backlog=2, mode="post")
    assert poller.is_due(feed, poller.clock())
    await poller.poll(feed)
    assert [(i.slug, i.post_now) for i in await store.list_queue(GUILD)] == [
        ("review-2", True), ("review-3", True)]


async def test_atom_feeds_work_too(poller: FeedPoller, web_server: WebServer,
                                   store: Store) -> None:
    """An Atom feed's new entry becomes an article with its author."""
    url = web_server.serve("atom", atom("Essays", []), content_type=ATOM)
    feed, _ = await poller.add(url, CHANNEL, guild_id=GUILD)
    web_server.serve("atom", atom("Essays", [{
        "title": "Close-Up, again", "link": "https://essays.example/close-up", "author": "Ana",
        "id": "tag:essays.example,2024:1", "content": full_text("Close-Up")}]),
        content_type=ATOM)
    (feed,) = await store.list_feeds()
    (added,) = (await poller.poll(feed)).added
    assert (added.article.title, added.article.author) == ("Close-Up, again", "Ana")
    assert "entry:tag:essays.example,2024:1" in added.keys


async def test_summary_only_entry_reads_the_linked_page(poller: FeedPoller,
                                                        web_server: WebServer) -> None:
    """An entry with a one-line summary gets its article text (and questions) from its page."""
    page = web_server.serve("aftersun", (LIBRARY / "aftersun-review.html").read_bytes())
    url = web_server.serve("rss", rss("Reel Notes", []), content_type=RSS)
    feed, _ = await poller.add(url, CHANNEL, guild_id=GUILD)
    web_server.serve("rss", rss("Reel Notes", [{
        "title": "Aftersun and the weight of memory", "link": page, "guid": page,
        "description": "Charlotte Wells's debut, reviewed."}]), content_type=RSS)
    feed = (await poller.store.list_feeds())[0]
    (added,) = (await poller.poll(feed)).added
    assert added.article.questions == ("What did you think of the film?",
                                       "What questions did it raise for you?")
    assert added.article.url == "https://reelnotes.example/2024/03/aftersun-weight-of-memory/"


async def test_entry_already_in_the_library_is_not_added_twice(
        poller: FeedPoller, web_server: WebServer, store: Store, tmp_path: Path) -> None:
    """An entry whose link is a library file's URL is that file's article: queued, not copied."""
    (tmp_path / "articles" / "parasite.md").write_text(
        (LIBRARY / "cta-only-parasite.md").read_text(encoding="utf-8"), encoding="utf-8")
    url = web_server.serve("rss", rss("Reviews", []), content_type=RSS)
    feed, _ = await poller.add(url, CHANNEL, guild_id=GUILD)
    web_server.serve("rss", rss("Reviews", [item(
        1, link="https://www.filmclub.example/articles/parasite-the-house-on-the-hill/")]),
        content_type=RSS)
    (feed,) = await store.list_feeds()
    outcome = await poller.poll(feed)
    assert (outcome.added, outcome.known) == ((), 1)
    assert [i.slug for i in await store.list_queue(GUILD)] == ["parasite"]
    assert await store.list_articles() == []


BAD_FEEDS = {  # name: (body, content type, part of the one-line problem)
    "not-xml": ("just some words, no markup", "text/plain", "not an RSS or Atom feed"),
    "json": ('{"items": []}', "application/json", "not an RSS or Atom feed"),
    "web-page": ((LIBRARY / "aftersun-review.html").read_text(encoding="utf-8"),
                 "text/html; charset=utf-8", "this is a web page, not a feed"),
    "empty": ("", RSS, "the feed is empty"),
    "broken-xml": ('<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></chan',
                   RSS, "not well-formed XML"),
}


@pytest.mark.parametrize("name", sorted(BAD_FEEDS))
async def test_bad_feed_is_refused_in_one_line_and_not_added(
        poller: FeedPoller, web_server: WebServer, store: Store, name: str) -> None:
    """Not XML, JSON, a web page, an empty or broken feed: one line naming the URL, no feed."""
    body, kind, problem = BAD_FEEDS[name]
    url = web_server.serve(name, body, content_type=kind)
    with pytest.raises(SourceError) as info:
        await poller.add(url, CHANNEL, guild_id=GUILD)
    message = str(info.value)
    assert message.startswith(f"{url}: ") and problem in message and "\n" not in message
    assert await store.list_feeds() == []


@pytest.mark.parametrize(("make", "problem"), [
    (lambda w: w.serve("slow", "<rss/>", delay=0.8), "no answer within 0.5 s"),
    (lambda w: "http://127.0.0.1:9/feed", "cannot connect"),
    (lambda w: w.url("gone"), "HTTP 404"),
], ids=["times-out", "unreachable", "missing"])
async def test_unreachable_feed_is_refused_in_one_line(poller: FeedPoller, web_server: WebServer,
                                                       store: Store, make, problem: str) -> None:
    """A feed that times out, cannot be reached or is missing is not added."""
    url = make(web_server)
    with pytest.raises(SourceError, match=problem):
        await poller.add(url, CHANNEL, guild_id=GUILD)
    assert await store.list_feeds() == []


async def test_a_failing_feed_does_not_stop_the_others(poller: FeedPoller, web_server: WebServer,
                                                       store: Store) -> None:
    """One feed starts timing out: it records the error; the other still brings its entry."""
    good = web_server.serve("good", rss("Good", []), content_type=RSS)
    bad = web_server.serve("bad", rss("Bad", []), content_type=RSS)
    await poller.add(good, CHANNEL, guild_id=GUILD)
    await poller.add(bad, CHANNEL + 1, guild_id=GUILD)
    web_server.serve("good", rss("Good", [item(4)]), content_type=RSS)
    web_server.serve("bad", "<rss", content_type=RSS, delay=0.8)
    outcomes = await poller.poll_all()
    assert [bool(o.error) for o in outcomes] == [False, True]
    assert "no answer within" in (outcomes[1].error or "")
    assert [i.slug for i in await store.list_queue(GUILD)] == ["review-4"]
    feeds = {f.url: f for f in await store.list_feeds()}
    assert feeds[bad].last_error and feeds[good].last_error is None


async def test_feeds_are_due_after_their_interval(poller: FeedPoller, web_server: WebServer,
                                                  ) -> None:
    """A feed polled now is due again after its interval, not before."""
    url = web_server.serve("rss", rss("Reviews", []), content_type=RSS)
    feed, _ = await poller.add(url, CHANNEL, guild_id=GUILD, interval_minutes=30)
    now = poller.clock()
    assert not poller.is_due(feed, now + timedelta(minutes=29))
    assert poller.is_due(feed, now + timedelta(minutes=30))


def test_parse_feed_reads_entries_oldest_first() -> None:
    """Entries come out in date order, whatever order the feed lists them in."""
    data = rss("Reviews", [item(2), item(3), item(1)]).encode()
    parsed = parse_feed(data, url="https://reviews.example/rss")
    assert [e.title for e in parsed.entries] == ["Review 1", "Review 2", "Review 3"]
    assert parsed.entries[0].key == "entry:https://reviews.example/?p=1"


def test_entries_without_an_id_get_a_stable_key() -> None:
    """An entry with no guid or link is keyed by its title and text, the same each parse."""
    data = rss("R", [{"title": "No id", "description": "Words."}]).encode()
    first = parse_feed(data, url="https://r.example/rss").entries[0].key
    assert first == parse_feed(data, url="https://r.example/rss").entries[0].key
    assert first.startswith("entry:https://r.example/rss#")


async def test_nul_bytes_from_a_feed_are_dropped(poller: FeedPoller, web_server: WebServer,
                                                 store: Store) -> None:
    """A NUL in an entry's title, author or text never reaches the stored article."""
    url = web_server.serve("rss", rss("Nul\x00Feed", [item(1, title="Re\x00view", author="A\x00n",
                                                           content=full_text("Nul\x00"))]),
                           content_type=RSS)
    feed, _ = await poller.add(url, CHANNEL, guild_id=GUILD, backlog=1)
    outcome = await poller.poll(feed)
    (added,) = outcome.added
    article = added.article
    fields = (article.title, article.body, article.author or "", article.source or "",
              article.excerpt)
    assert article.title == "Review" and all("\x00" not in f for f in fields)
