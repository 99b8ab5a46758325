"""RSS and Atom feeds: parsed with feedparser, polled with conditional requests.

A feed is bound to a channel. Each poll sends the ETag / Last-Modified it got last
time, so an unchanged feed costs a 304 and nothing else. Entries the feed has not
shown before become articles in the store (or, when the same article is already in
the catalog, that article), queued for the channel's server; a feed in "post" mode
marks them to be posted at once. Everything one poll changes is written in one
unit; a feed that fails is reported in one line and the others go on.

feedparser parses bytes fetched by ``bot.fetch`` (it never fetches by itself), in a
worker process within the feed's budget (``bot.feedparse``, ``bot.feedbudget``). Plain
Python, no Discord.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.articles import Catalog, article_keys
from bot.errors import SourceError
from bot.extract import article_from_text, extract_page, html_text
from bot.feedbudget import DEFAULT_BUDGET, FeedBudget, parse_within_budget
from bot.feedparse import FeedEntry, ParsedFeed
from bot.fetch import FEED_ACCEPT, Fetched, Fetcher
from bot.models import Article, Feed, QueueItem, StoredArticle, utcnow
from bot.store.base import PollRecord, Store

log = logging.getLogger(__name__)

MODES = ("queue", "post")
#: Minutes between polls of a feed unless it says otherwise.
DEFAULT_INTERVAL = 60
#: New entries taken from one poll at most (the newest ones); older ones are marked seen.
MAX_NEW_PER_POLL = 20
#: An entry whose content has fewer words is a summary: its page is fetched for the article.
FULL_TEXT_WORDS = 150


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """What one poll of one feed did."""

    feed: Feed
    error: str | None = None
    not_modified: bool = False
    added: tuple[StoredArticle, ...] = ()
    queued: tuple[QueueItem, ...] = ()
    known: int = 0  # new entries that were articles the catalog already had
    read: int = 0  # entries the feed gave in this poll, new or not

    @property
    def failed(self) -> bool:
        """Nothing could be read: the download failed, or not one entry parsed."""
        return self.error is not None and not self.read

    def summary(self) -> str:
        if self.failed:
            return self.error or ""
        if self.not_modified:
            return f"{self.feed.url}: not modified since the last poll"
        return (f"{self.feed.url}: {len(self.added)} new article(s), {len(self.queued)} queued"
                + (f", {self.known} already in the library" if self.known else ""))


def entry_article(entry: FeedEntry, feed_title: str) -> Article:
    """An entry as an Article (slug left empty), from the text of its content or summary."""
    return article_from_text(
        title=entry.title, text=html_text(entry.html), url=entry.link, author=entry.author,
        source=feed_title,
        published=entry.published.date().isoformat() if entry.published else None,
        image=entry.image, tags=entry.tags,
    )


# ---------------------------------------------------------------------------
# Polling
# ---------------------------------------------------------------------------


class FeedPoller:
    """Adds feeds and polls them: fetch, parse, new entries into the catalog and the queue."""

    def __init__(self, store: Store, catalog: Catalog, fetcher: Fetcher, *,
                 clock: Callable[[], datetime] = utcnow, max_new: int = MAX_NEW_PER_POLL,
                 fetch_pages: bool = True, budget: FeedBudget = DEFAULT_BUDGET) -> None:
        self.store = store
        self.catalog = catalog
        self.fetcher = fetcher
        self.clock = clock
        self.max_new = max_new
        self.fetch_pages = fetch_pages
        #: What one feed may cost (bot/feedbudget.py): bytes, entries, parse and page time.
        self.budget = budget
        #: Polls fetch and parse side by side; what they add to the catalog is decided
        #: one poll at a time, so two feeds never take the same slug or article.
        self._adding = asyncio.Lock()
        #: One poll of a feed at a time (the feed loop and /feeds poll share the poller).
        self._polling: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def read(self, url: str, *, etag: str | None = None,
                   last_modified: str | None = None) -> tuple[Fetched, ParsedFeed | None]:
        """Fetch and parse ``url``: ``(fetched, feed)``, feed None when not modified."""
        fetched = await self.fetcher.get(url, accept=FEED_ACCEPT, etag=etag,
                                         last_modified=last_modified,
                                         max_bytes=self.budget.max_bytes)
        if fetched.not_modified:
            return fetched, None
        # In a worker process with a deadline: a hostile document costs at most that.
        parsed = await parse_within_budget(fetched.body, url=url,
                                           content_type=fetched.content_type,
                                           budget=self.budget)
        return fetched, parsed

    async def add(self, url: str, channel_id: int, *, guild_id: int | None = None,
                  mode: str = "queue", interval_minutes: int = DEFAULT_INTERVAL,
                  backlog: int = 0) -> tuple[Feed, int]:
        """Check that ``url`` is a feed, then bind it to the channel: ``(feed, entries)``.

        The entries it has now are taken as seen, except the newest ``backlog``, which
        the first poll turns into prompts. Nothing is stored if the URL is not a feed.
        """
        if mode not in MODES:
            raise SourceError(f"{url}: mode must be queue or post, not {mode!r}")
        if interval_minutes < 1:
            raise SourceError(f"{url}: the poll interval must be at least 1 minute")
        fetched, parsed = await self.read(url)
        if parsed is not None and parsed.error:
            raise SourceError(parsed.error)
        entries = parsed.entries if parsed is not None else ()  # no conditions: never a 304
        old = entries[: max(len(entries) - backlog, 0)]
        now = self.clock()
        feed = await self.store.add_feed(
            url, channel_id, guild_id=guild_id, mode=mode, interval_minutes=interval_minutes,
            added_at=now, seen=[e.key for e in old],
            etag=None if backlog else fetched.etag,
            last_modified=None if backlog else fetched.last_modified,
            polled_at=None if backlog else now,
        )
        log.info("feed %s added for channel %d: %d entries, %d left for the first poll",
                 url, channel_id, len(entries), len(entries) - len(old))
        return feed, len(entries)

    def is_due(self, feed: Feed, now: datetime) -> bool:
        return feed.polled_at is None or \
            feed.polled_at + timedelta(minutes=feed.interval_minutes) <= now

    async def poll_due(self, *, owned: Callable[[int | None], bool] | None = None
                       ) -> list[PollOutcome]:
        """Poll every feed whose interval has passed, a few side by side; with ``owned``,
        only the feeds of the servers it accepts (a shard process's, issue 15)."""
        now = self.clock()
        return await self._poll_many([feed for feed in await self.store.list_feeds()
                                      if self.is_due(feed, now)
                                      and (owned is None or owned(feed.guild_id))])

    async def poll_all(self) -> list[PollOutcome]:
        """Poll every feed now (``filmclub feeds poll``), a few side by side."""
        return await self._poll_many(await self.store.list_feeds())

    async def _poll_many(self, feeds: Sequence[Feed]) -> list[PollOutcome]:
        """Poll ``feeds``, ``budget.feeds_at_once`` at a time; outcomes in their order."""
        slots = asyncio.Semaphore(max(self.budget.feeds_at_once, 1))

        async def one(feed: Feed) -> PollOutcome:
            async with slots:
                return await self.poll(feed)

        return list(await asyncio.gather(*(one(feed) for feed in feeds)))

    async def poll(self, feed: Feed) -> PollOutcome:
        """Poll one feed; a failure is recorded on the feed and returned, never raised."""
        async with self._polling[feed.id]:
            return await self._poll(feed)

    async def _poll(self, feed: Feed) -> PollOutcome:
        now = self.clock()
        try:
            fetched, parsed = await self.read(feed.url, etag=feed.etag,
                                              last_modified=feed.last_modified)
        except SourceError as exc:
            log.warning("feed %d: %s", feed.id, exc)
            await self.store.record_poll(PollRecord(feed.id, now, error=str(exc)))
            return PollOutcome(feed, error=str(exc))
        if parsed is None:
            await self.store.record_poll(PollRecord(
                feed.id, now, etag=fetched.etag, last_modified=fetched.last_modified))
            return PollOutcome(feed, not_modified=True)

        seen = await self.store.feed_seen(feed.id)
        fresh = [e for e in parsed.entries if e.key not in seen]
        taken = fresh[-self.max_new:] if self.max_new else []
        prepared = await self._articles(taken, parsed.title)
        async with self._adding:
            return await self._record(feed, now, fetched, parsed, fresh, taken, prepared)

    async def _record(self, feed: Feed, now: datetime, fetched: Fetched, parsed: ParsedFeed,
                      fresh: Sequence[FeedEntry], taken: Sequence[FeedEntry],
                      prepared: Sequence[Article]) -> PollOutcome:
        """Turn a poll's new entries into catalog articles and queue items, in one write."""
        queued_now = {item.slug for item in await self._queued(feed)}
        articles: list[StoredArticle] = []
        queue: list[str] = []
        slugs: set[str] = set()
        known = 0
        for entry, article in zip(taken, prepared, strict=True):
            keys = article_keys(article, entry_id=entry.id)
            existing = await self.catalog.find(keys) or next(
                (a for a in articles if set(a.keys) & set(keys)), None)
            if existing is not None:
                known += 1
                slug = existing.article.slug
                if await self._postable(feed, slug, existing.keys) and slug not in queued_now:
                    queue.append(slug)
                    queued_now.add(slug)
                continue
            slug = await self.catalog.free_slug(article.title, taken=slugs)
            slugs.add(slug)
            articles.append(StoredArticle(replace(article, slug=slug), "feed", entry.link or
                                          feed.url, keys, now, feed.id))
            queue.append(slug)
        error = None
        if parsed.error:  # keep what parsed; fetch it all again next time (no validators)
            error = f"{parsed.error}; read the {len(parsed.entries)} entries before it"
            log.warning("feed %d: %s", feed.id, error)
        items = await self.store.record_poll(PollRecord(
            feed.id, now, etag=None if error else fetched.etag,
            last_modified=None if error else fetched.last_modified, error=error,
            seen=tuple(e.key for e in fresh), articles=tuple(articles), queue=tuple(queue)))
        outcome = PollOutcome(feed, error=error, added=tuple(articles), queued=tuple(items),
                              known=known, read=len(parsed.entries))
        log.info("feed %d: %s", feed.id, outcome.summary())
        return outcome

    async def _queued(self, feed: Feed) -> list[QueueItem]:
        return await self.store.list_queue(feed.guild_id) if feed.guild_id else []

    async def _postable(self, feed: Feed, slug: str, keys: Sequence[str]) -> bool:
        """Whether a known article may still be queued for the feed's server."""
        if feed.guild_id is None:
            return True
        return await self.store.posted_thread(feed.guild_id, (f"slug:{slug}", *keys)) is None

    async def _articles(self, entries: Sequence[FeedEntry], feed_title: str) -> list[Article]:
        """The entries' articles; their pages fetched a few at a time, within the budget.

        An entry whose page is not read by ``budget.pages_seconds`` keeps its summary.
        """
        if not entries:
            return []
        summaries = [await asyncio.to_thread(entry_article, e, feed_title) for e in entries]
        slots = asyncio.Semaphore(max(self.budget.page_concurrency, 1))

        async def one(entry: FeedEntry) -> Article:
            async with slots:
                return await self._article(entry, feed_title)

        tasks = [asyncio.ensure_future(one(entry)) for entry in entries]
        done, late = await asyncio.wait(tasks, timeout=self.budget.pages_seconds)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late)
            log.info("feed %s: %d entry page(s) not read within %g s; their summaries are "
                     "kept", feed_title, len(late), self.budget.pages_seconds)
        return [task.result() if task in done else summary
                for task, summary in zip(tasks, summaries, strict=True)]

    async def _article(self, entry: FeedEntry, feed_title: str) -> Article:
        """The entry's article; its page is read when the feed only carries a summary."""
        article = await asyncio.to_thread(entry_article, entry, feed_title)
        if not self.fetch_pages or entry.link is None \
                or len(article.body.split()) >= FULL_TEXT_WORDS:
            return article
        try:
            page = await self.fetcher.get(entry.link)
            full = await asyncio.to_thread(extract_page, page.body, name=entry.link,
                                           url=page.url)
        except SourceError as exc:
            log.info("feed entry %s: keeping the summary, the page did not help: %s",
                     entry.link, exc)
            return article
        if len(full.body) <= len(article.body):
            return article
        return replace(full, title=article.title, source=article.source,
                       author=full.author or article.author,
                       published=article.published or full.published,
                       image=full.image or article.image,
                       tags=article.tags or full.tags)
