"""Feeds from the loopback server: conditional polls, growth, duplicates and every bad input."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.articles import ArticleLibrary, Catalog
from bot.errors import SourceError
from bot.feedparse import parse_feed
from bot.feeds import FeedPoller
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
    """A NUL byte makes a feed malformed XML: refused when added; in a bound feed, the
    entries before it are kept, and no NUL reaches a stored article."""
    nul = rss("Nul\x00Feed", [item(1, title="Re\x00view", author="A\x00n",
                                   content=full_text("Nul\x00"))])
    url = web_server.serve("rss", nul, content_type=RSS)
    with pytest.raises(SourceError, match="not well-formed XML"):
        await poller.add(url, CHANNEL, guild_id=GUILD)
    web_server.serve("rss", rss("Reviews", [item(1)]), content_type=RSS)
    feed, _ = await poller.add(url, CHANNEL, guild_id=GUILD)
    web_server.serve("rss", rss("Reviews", [item(3), item(2, title="Re\x00view", author="A\x00n",
                                                       content=full_text("Nul\x00")), item(1)]),
                     content_type=RSS)
    outcome = await poller.poll(feed)
    assert [a.article.title for a in outcome.added] == ["Review 3"]
    assert outcome.error is not None and "not well-formed XML" in outcome.error
    for added in outcome.added:
        article = added.article
        fields = (article.title, article.body, article.author or "", article.source or "",
                  article.excerpt)
        assert all("\x00" not in f for f in fields)


def truncated(document: str, after: str) -> str:
    """``document`` cut off just after the first ``after``: a download that stopped."""
    return document[: document.index(after) + len(after)]


async def test_a_truncated_feed_is_refused_naming_the_parse_error(
        poller: FeedPoller, web_server: WebServer, store: Store) -> None:
    """A feed cut off mid-entry is not listed as ok: `add` refuses it with the XML error."""
    whole = rss("Reviews", [item(3), item(2), item(1)])
    url = web_server.serve("rss", truncated(whole, "<title>Review 2"), content_type=RSS)
    with pytest.raises(SourceError) as info:
        await poller.add(url, CHANNEL, guild_id=GUILD)
    message = str(info.value)
    assert message.startswith(f"{url}: the feed is not well-formed XML (no element found at "
                              "line ")
    assert "\n" not in message and await store.list_feeds() == []


@pytest.mark.parametrize(("body", "problem"), [
    ('<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
     "<item><title>A</title></itm></channel></rss>", "mismatched tag at line 1, column "),
    ('<?xml version="1.0"?><rss version="2.0"><channel><title>Fish &amp chips</title>'
     "</channel></rss>", "not well-formed (invalid token) at line 1"),
    ('<?xml version="1.0"?><rss version="2.0"><channel><title>T&nbsp;</title>'
     "</channel></rss>", "undefined entity at line 1"),
], ids=["mismatched-tag", "bad-ampersand", "html-entity"])
def test_malformed_xml_is_named(body: str, problem: str) -> None:
    """Each kind of XML error is named, with where it is."""
    parsed = parse_feed(body.encode(), url="https://r.example/rss")
    assert parsed.error is not None and problem in parsed.error


def test_a_feed_declaring_another_encoding_is_not_malformed() -> None:
    """A Windows-1252 feed (which expat alone cannot read) is well-formed XML all the same."""
    data = ('<?xml version="1.0" encoding="windows-1252"?><rss version="2.0"><channel>'
            "<title>Caf\u00e9 reviews</title><item><title>Am\u00e9lie</title><guid>a1</guid>"
            "<description>It\u2019s lovely.</description></item></channel></rss>"
            ).encode("windows-1252")
    parsed = parse_feed(data, url="https://r.example/rss")
    assert parsed.error is None and [e.title for e in parsed.entries] == ["Amélie"]


async def test_a_bound_feed_turning_malformed_keeps_the_complete_entries(
        poller: FeedPoller, web_server: WebServer, store: Store) -> None:
    """Cut off in its third entry: the two whole ones are taken, the error is on the feed."""
    url = web_server.serve("rss", rss("Reviews", [item(1)]), content_type=RSS)
    feed, _ = await poller.add(url, CHANNEL, guild_id=GUILD)
    # Feeds list the newest first: 4 and 3 are whole, the download stops inside 2.
    grown = rss("Reviews", [item(4), item(3), item(2), item(1)])
    web_server.serve("rss", truncated(grown, "<title>Review 2"), content_type=RSS)
    broken_etag = web_server.resources["/rss"].etag
    (feed,) = await store.list_feeds()
    outcome = await poller.poll(feed)
    assert sorted(a.article.title for a in outcome.added) == ["Review 3", "Review 4"]
    assert outcome.error is not None and not outcome.failed
    assert "not well-formed XML (no element found at line" in outcome.error
    assert outcome.error.endswith("read the 2 entries before it")
    (feed,) = await store.list_feeds()
    assert feed.last_error == outcome.error
    assert [i.slug for i in await store.list_queue(GUILD)] == ["review-3", "review-4"]

    web_server.serve("rss", grown, content_type=RSS)  # mended: the rest comes
    before = len(web_server.hits("rss"))
    outcome = await poller.poll(feed)
    assert web_server.hits("rss")[before].headers.get("If-None-Match") != broken_etag
    assert [a.article.title for a in outcome.added] == ["Review 2"]
    (feed,) = await store.list_feeds()
    assert feed.last_error is None


async def test_plain_text_summaries_log_no_library_errors(
        poller: FeedPoller, web_server: WebServer, store: Store,
        caplog: pytest.LogCaptureFixture) -> None:
    """Entries whose summaries are plain text are read without ERROR/WARNING records."""
    url = web_server.serve("rss", rss("Notes", []), content_type=RSS)
    feed, _ = await poller.add(url, CHANNEL, guild_id=GUILD)
    summaries = ["A short note on Tokyo Story. Why is Noriko kind to them?",
                 "Fish & chips, and a rewatch of Local Hero.\nWhat is the film's best joke?"]
    web_server.serve("rss", rss("Notes", [
        {"title": f"Note {n}", "guid": f"note-{n}", "description": text}
        for n, text in enumerate(summaries, 1)]), content_type=RSS)
    caplog.set_level(logging.INFO)
    (feed,) = await store.list_feeds()
    outcome = await poller.poll(feed)
    added = {a.article.title: a.article for a in outcome.added}
    assert added["Note 1"].questions == ("Why is Noriko kind to them?",)
    assert added["Note 2"].questions == ("What is the film's best joke?",)
    assert added["Note 2"].body.startswith("Fish & chips, and a rewatch")
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert loud == []
