"""A hostile feed's cost is bounded: bytes, entries, parse time, and its slow entry pages."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.articles import ArticleLibrary, Catalog
from bot.errors import SourceError
from bot.feedbudget import FeedBudget, bounded_document, parse_within_budget
from bot.feedparse import parse_feed
from bot.feeds import FeedPoller
from bot.fetch import Fetcher
from bot.models import Feed
from bot.store import Store
from tests.webserver import RSS, WebServer, rss

GUILD = 10
WORDS = ("The film keeps its distance from the family at the dinner table, and every cut "
         "lands on a face that has just stopped speaking. ")


class Clock:
    def __call__(self) -> datetime:
        return datetime(2024, 3, 4, 12, 0, tzinfo=UTC)


def nested_feed(size: int) -> bytes:
    """An RSS document of about ``size`` bytes, most of it tags nested inside each other."""
    depth = (size - 300) // 7
    return (b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            b"<title>Nest</title><link>https://nest.example/</link><description>x</description>"
            b"<item><title>Deep</title><guid>https://nest.example/1</guid>"
            + b"<x>" * depth + b"!" + b"</x>" * depth
            + b"</item></channel></rss>")


def many_entries(count: int) -> str:
    return rss("Many", [{"title": f"Entry {n}", "guid": f"https://many.example/{n}",
                         "link": f"https://many.example/{n}", "description": f"Entry {n}."}
                        for n in range(count)])


def article_page(n: int) -> str:
    """A web page holding article number ``n`` (its text differs from every other one)."""
    body = " ".join(f"<p>Paragraph {k} of review {n}. {WORDS * 2}</p>" for k in range(6))
    return (f"<html><head><title>Review {n}</title></head><body><article><h1>Review {n}</h1>"
            f"{body}<p>What did review {n} get wrong?</p></article></body></html>")


@pytest.fixture
async def make_poller(store: Store, tmp_path: Path, web_server: WebServer,
                      ) -> AsyncIterator[Callable[[FeedBudget], FeedPoller]]:
    """Pollers with a given budget, fetching from the test server."""
    (tmp_path / "articles").mkdir()
    async with Fetcher(timeout=30, policy=web_server.policy) as fetcher:
        def make(budget: FeedBudget) -> FeedPoller:
            return FeedPoller(store, Catalog(ArticleLibrary(tmp_path / "articles"), store),
                              fetcher, clock=Clock(), budget=budget)
        yield make


async def until(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    """Wait for ``condition`` (checked every 20 ms), failing after a generous ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def add_feed(store: Store, url: str, channel: int) -> Feed:
    return await store.add_feed(url, channel, guild_id=GUILD, mode="queue", interval_minutes=60,
                                added_at=Clock()(), seen=[], etag=None, last_modified=None,
                                polled_at=None)


async def test_a_4mb_feed_of_nested_tags_is_refused_and_the_others_go_on(
        store: Store, make_poller: Callable[[FeedBudget], FeedPoller],
        web_server: WebServer) -> None:
    """4 MB of nested tags: one line, no feedparser time spent; the next feed still polls."""
    data = nested_feed(4 * 1024 * 1024)
    hostile = web_server.serve("nested", data, content_type=RSS)
    good = web_server.serve("good", rss("Good", [{
        "title": "A review", "guid": "https://good.example/1", "link": "https://good.example/1",
        "content": f"<p>{WORDS * 12}</p><p>Who is the film about?</p>"}]), content_type=RSS)
    await add_feed(store, hostile, 1)
    await add_feed(store, good, 2)
    outcomes = await make_poller(FeedBudget()).poll_all()
    assert outcomes[0].error == f"{hostile}: the feed nests its tags more than 256 deep; not read"
    assert outcomes[1].error is None and len(outcomes[1].added) == 1
    print(f"nested feed: {len(data):,} bytes refused; the other feed added "
          f"{len(outcomes[1].added)} article")


async def test_a_feed_that_parses_too_long_is_stopped_at_its_deadline() -> None:
    """A document that passes the structure check but takes seconds to parse is cut off."""
    data = many_entries(20_000).encode()
    budget = FeedBudget(max_entries=100_000, parse_seconds=0.3)
    before = set(multiprocessing.active_children())
    with pytest.raises(SourceError) as info:
        await parse_within_budget(data, url="https://slow.example/feed", content_type=RSS,
                                  budget=budget)
    assert str(info.value) == ("https://slow.example/feed: the feed took over 0.3 s to parse; "
                               "not read")
    assert set(multiprocessing.active_children()) <= before  # the worker was killed


async def test_the_worker_returns_what_parse_feed_returns() -> None:
    """Parsed in the worker or in this process, a feed reads the same."""
    data = many_entries(12).encode()
    here = parse_feed(data, url="https://many.example/feed", content_type=RSS)
    there = await parse_within_budget(data, url="https://many.example/feed", content_type=RSS)
    assert there == here and len(there.entries) == 12


async def test_errors_from_the_worker_are_one_line_naming_the_feed() -> None:
    """A document that is no feed gets feedparser's usual one-line error, from the worker."""
    with pytest.raises(SourceError) as info:
        await parse_within_budget(b"<html><body>hi</body></html>", url="https://x.example/f",
                                  content_type="text/html")
    assert str(info.value).startswith("https://x.example/f: this is a web page")


def test_entries_beyond_the_budget_are_dropped_before_parsing() -> None:
    """A feed with more entries than the budget is read as its first ones, in order."""
    data = many_entries(30).encode()
    bounded = bounded_document(data, url="https://many.example/feed", max_entries=5)
    titles = [e.title for e in parse_feed(bounded, url="https://many.example/feed").entries]
    assert sorted(titles) == [f"Entry {n}" for n in range(5)]
    assert bounded_document(data, url="u", max_entries=30) is data


def test_broken_xml_is_left_to_the_feed_parser() -> None:
    """The structure check refuses only depth; other XML trouble is the parser's call."""
    broken = b"<rss><channel><title>x</title><item><title>a & b</title></item></channel>"
    assert bounded_document(broken, url="u", max_entries=5) is broken


async def test_a_feed_over_the_byte_budget_is_not_read(
        store: Store, make_poller: Callable[[FeedBudget], FeedPoller],
        web_server: WebServer) -> None:
    """The download stops at the feed's byte budget, in one line."""
    url = web_server.serve("big", many_entries(400), content_type=RSS)
    feed = await add_feed(store, url, 1)
    outcome = await make_poller(FeedBudget(max_bytes=20_000)).poll(feed)
    assert outcome.error is not None and "over the 20000-byte limit" in outcome.error


def summary_feed(web_server: WebServer, name: str, count: int,
                 gate: asyncio.Event | None) -> str:
    """A feed of summary-only entries whose pages are on the test server, behind ``gate``."""
    items = []
    for n in range(count):
        page = web_server.serve(f"{name}/page{n}", article_page(n), gate=gate)
        items.append({"title": f"{name} review {n}", "guid": page, "link": page,
                      "description": f"Review {n}, in short."})
    return web_server.serve(f"{name}/feed", rss(name, items), content_type=RSS)


async def test_slow_entry_pages_are_fetched_a_few_at_a_time_and_hold_up_no_other_feed(
        store: Store, make_poller: Callable[[FeedBudget], FeedPoller],
        web_server: WebServer) -> None:
    """Six held pages: two downloads at once; the other feed is done before they answer."""
    gate = asyncio.Event()
    slow = summary_feed(web_server, "slow", 6, gate)
    fast = web_server.serve("fast", rss("Fast", [{
        "title": "Quick one", "guid": "https://fast.example/1", "link": "https://fast.example/1",
        "content": f"<p>{WORDS * 12}</p><p>Why so quick?</p>"}]), content_type=RSS)
    await add_feed(store, slow, 1)
    await add_feed(store, fast, 2)
    poller = make_poller(FeedBudget(page_concurrency=2, pages_seconds=120))
    polling = asyncio.create_task(poller.poll_all())

    deadline = asyncio.get_running_loop().time() + 60
    while not any(s.source == "https://fast.example/1" for s in await store.list_articles()):
        assert not polling.done(), "the poll ended before the fast feed was stored"
        assert asyncio.get_running_loop().time() < deadline, "the fast feed was never stored"
        await asyncio.sleep(0.02)
    await until(lambda: web_server.in_flight == 2, "two page downloads under way")
    held = web_server.in_flight
    gate.set()
    outcomes = await asyncio.wait_for(polling, 120)
    assert held == 2 and web_server.peak == 2
    slow_outcome = outcomes[0]
    assert slow_outcome.error is None and len(slow_outcome.added) == 6
    assert all("What did review" in a.article.body for a in slow_outcome.added)
    print(f"slow feed: 6 pages, at most {web_server.peak} at once; the fast feed was stored "
          "while they were held")


async def test_pages_not_read_within_the_budget_leave_their_summaries(
        store: Store, make_poller: Callable[[FeedBudget], FeedPoller],
        web_server: WebServer) -> None:
    """Pages that never answer: after the page budget the entries keep their summaries."""
    never = asyncio.Event()
    url = summary_feed(web_server, "stuck", 3, never)
    feed = await add_feed(store, url, 1)
    outcome = await make_poller(FeedBudget(page_concurrency=3, pages_seconds=0.5)).poll(feed)
    assert outcome.error is None and len(outcome.added) == 3
    assert sorted(a.article.body for a in outcome.added) == [f"Review {n}, in short."
                                                             for n in range(3)]
    never.set()  # the server's handlers still wait; let them finish
