"""``filmclub articles …`` and ``filmclub feeds …``: the prompt library from the command line.

No Discord connection is needed: articles and feeds go into the library folder and
the database, and the running bot picks them up. ``feeds poll`` polls every feed
once, for people who would rather run it from cron than let the bot poll.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import TYPE_CHECKING, Any

from bot.cli_args import backlog, database_option, discord_id, feed_id, minutes
from bot.config import Config
from bot.models import utcnow

if TYPE_CHECKING:  # imported when a command runs: `filmclub run` need not load the parsers
    from bot.articles import Catalog
    from bot.feeds import FeedPoller
    from bot.fetch import Fetcher

log = logging.getLogger(__name__)

COMMANDS = ("articles", "feeds")


def _out(line: str) -> None:
    sys.stdout.write(f"{line}\n")


def _problem(line: str) -> None:
    sys.stderr.write(f"filmclub: {line}\n")


_db_option = database_option

#: Verbs that only read: they never create the database (issue 14).
READ_ONLY = {("articles", "list"), ("feeds", "list")}


def add_parsers(sub: Any) -> None:
    """Add the ``articles`` and ``feeds`` commands to the CLI's subparsers."""
    articles = sub.add_parser("articles", help="the article library: add, list")
    verbs = articles.add_subparsers(dest="verb", required=True, metavar="VERB")
    add = verbs.add_parser("add", help="add an article from a .md/.txt/.html file or a URL")
    add.add_argument("source", metavar="PATH_OR_URL")
    _db_option(add)
    _db_option(verbs.add_parser("list", help="list every article, and every broken file"))

    feeds = sub.add_parser("feeds", help="RSS/Atom feeds bound to channels: add, list, poll")
    verbs = feeds.add_subparsers(dest="verb", required=True, metavar="VERB")
    add = verbs.add_parser("add", help="bind a feed to a channel (checks that it is a feed)")
    add.add_argument("url", metavar="URL")
    add.add_argument("--channel", type=discord_id("channel"), required=True, metavar="ID",
                     help="the text or forum channel its prompts go to")
    add.add_argument("--guild", type=discord_id("server"), metavar="ID",
                     help="the channel's server (the bot fills it in when it sees the channel)")
    add.add_argument("--post", action="store_true",
                     help="post new entries at once instead of queueing them")
    add.add_argument("--every", type=minutes, metavar="MINUTES",
                     help="minutes between polls, 1 to 10080 (default: FILMCLUB_FEED_INTERVAL, "
                          "60)")
    add.add_argument("--backlog", type=backlog, default=0, metavar="N",
                     help="also take the feed's newest N entries (default: only new ones)")
    _db_option(add)
    _db_option(verbs.add_parser("list", help="list the feeds and how their last poll went"))
    _db_option(verbs.add_parser("poll", help="poll every feed once (for cron)"))
    remove = verbs.add_parser("remove", help="stop polling a feed")
    remove.add_argument("id", type=feed_id, metavar="ID")
    _db_option(remove)


async def run(config: Config, args: argparse.Namespace) -> int:
    """Run ``filmclub articles|feeds VERB``; returns the exit status."""
    from bot.articles import ArticleLibrary, Catalog
    from bot.feeds import FeedPoller
    from bot.fetch import Fetcher
    from bot.store import SQLiteStore

    # Each feed's outcome is reported as one line below; the poller's log would repeat it.
    logging.getLogger("bot.feeds").setLevel(max(logging.ERROR, log.getEffectiveLevel()))
    read_only = (args.command, args.verb) in READ_ONLY
    async with SQLiteStore(args.db or config.db_path, create=not read_only) as store, \
            Fetcher(timeout=config.fetch_timeout) as fetcher:
        catalog = Catalog(ArticleLibrary(config.articles_dir), store)
        poller = FeedPoller(store, catalog, fetcher)
        handler = _HANDLERS[(args.command, args.verb)]
        return await handler(args, catalog=catalog, fetcher=fetcher, poller=poller,
                             config=config)


async def _articles_add(args: argparse.Namespace, *, catalog: Catalog, fetcher: Fetcher,
                        **_: Any) -> int:
    from bot.intake import add_source

    result = await add_source(args.source, catalog, fetcher, now=utcnow())
    _out(result.line())
    return 0


async def _articles_list(args: argparse.Namespace, *, catalog: Catalog, **_: Any) -> int:
    entries, errors = await catalog.entries()
    for entry in entries:
        article = entry.article
        question = "asks: " + article.question if article.question else "no question"
        _out(f"{article.slug}\t{entry.origin}\t{article.title}\t{question}")
    for error in errors:
        _problem(str(error))
    _out(f"{len(entries)} article(s), {len(errors)} broken file(s)")
    return 0


async def _feeds_add(args: argparse.Namespace, *, poller: FeedPoller, config: Config,
                     **_: Any) -> int:
    feed, count = await poller.add(
        args.url, args.channel, guild_id=args.guild, mode="post" if args.post else "queue",
        interval_minutes=config.feed_interval if args.every is None else args.every,
        backlog=args.backlog,
    )
    taken = min(args.backlog, count)
    _out(f"feed {feed.id}: {feed.url} -> channel {feed.channel_id} ({feed.mode}, every "
         f"{feed.interval_minutes} min); {count} entries now, {taken} to take at the first poll")
    return 0


async def _feeds_list(args: argparse.Namespace, *, poller: FeedPoller, **_: Any) -> int:
    feeds = await poller.store.list_feeds()
    for feed in feeds:
        polled = feed.polled_at.isoformat(timespec="minutes") if feed.polled_at else "never"
        state = f"error: {feed.last_error}" if feed.last_error else "ok"
        _out(f"{feed.id}\t{feed.url}\tchannel {feed.channel_id}\t{feed.mode}\t"
             f"every {feed.interval_minutes} min\tpolled {polled}\t{state}")
    _out(f"{len(feeds)} feed(s)")
    return 0


async def _feeds_poll(args: argparse.Namespace, *, poller: FeedPoller, **_: Any) -> int:
    outcomes = await poller.poll_all()
    for outcome in outcomes:
        if outcome.error:
            _problem(outcome.error)
        else:
            _out(outcome.summary())
    return 1 if any(o.error for o in outcomes) else 0


async def _feeds_remove(args: argparse.Namespace, *, poller: FeedPoller, **_: Any) -> int:
    if not await poller.store.remove_feed(args.id):
        _problem(f"there is no feed {args.id} (see `filmclub feeds list`)")
        return 2
    _out(f"feed {args.id} removed")
    return 0


_HANDLERS = {
    ("articles", "add"): _articles_add,
    ("articles", "list"): _articles_list,
    ("feeds", "add"): _feeds_add,
    ("feeds", "list"): _feeds_list,
    ("feeds", "poll"): _feeds_poll,
    ("feeds", "remove"): _feeds_remove,
}
