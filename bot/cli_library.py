"""``filmclub articles …`` and ``filmclub feeds …``: the prompt library from the command line.

No Discord connection is needed: articles and feeds go into the library folder and
the database, and the running bot picks them up. ``feeds poll`` polls every feed
once, for people who would rather run it from cron than let the bot poll.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from bot.cli_args import backlog, database_option, discord_id, feed_id, minutes
from bot.config import Config
from bot.models import utcnow

if TYPE_CHECKING:  # imported when a command runs: `filmclub run` need not load the parsers
    from bot.articles import Catalog
    from bot.feeds import FeedPoller
    from bot.fetch import Fetcher
    from bot.filmlookup import FilmLookup
    from bot.netguard import FetchPolicy

log = logging.getLogger(__name__)

COMMANDS = ("articles", "feeds")


def _out(line: str) -> None:
    sys.stdout.write(f"{line}\n")


def _problem(line: str) -> None:
    sys.stderr.write(f"filmclub: {line}\n")


_db_option = database_option

#: Verbs that only read: they never create the database (issue 14).
READ_ONLY = {("articles", "list"), ("articles", "show"), ("feeds", "list")}


def add_parsers(sub: Any) -> None:
    """Add the ``articles`` and ``feeds`` commands to the CLI's subparsers."""
    articles = sub.add_parser("articles", help="the article library: add, list, show")
    verbs = articles.add_subparsers(dest="verb", required=True, metavar="VERB")
    add = verbs.add_parser("add", help="add an article from a .md/.txt/.html file or a URL")
    add.add_argument("source", metavar="PATH_OR_URL")
    add.add_argument("--slug", metavar="SLUG",
                     help="its slug (default: the file's name, or made from the title)")
    add.add_argument("--question", metavar="TEXT",
                     help="the question its prompt asks (default: the article's own)")
    add.add_argument("--film", metavar="TITLE",
                     help='the film it is about, like "Her (2013)" (default: found in the '
                          'article, or left for a moderator to choose)')
    _db_option(add)
    _db_option(verbs.add_parser("list", help="list every article, and every broken file"))
    show = verbs.add_parser("show", help="show an article's prompt exactly as it would be "
                                         "posted, and where its question comes from")
    show.add_argument("slug", metavar="SLUG")
    show.add_argument("--guild", type=discord_id("server"), metavar="ID",
                      help="a server whose default question to use if the article asks none")
    _db_option(show)

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


async def run(config: Config, args: argparse.Namespace, *,
              policy: FetchPolicy | None = None) -> int:
    """Run ``filmclub articles|feeds VERB``; returns the exit status.

    ``policy``: where pages and feeds may be fetched from (default: the settings');
    only tests pass one, to reach their loopback web server.
    """
    from bot.articles import ArticleLibrary, Catalog
    from bot.feeds import FeedPoller
    from bot.fetch import Fetcher
    from bot.netguard import FetchPolicy
    from bot.store import make_store

    # Each feed's outcome is reported as one line below; the poller's log would repeat it.
    logging.getLogger("bot.feeds").setLevel(max(logging.ERROR, log.getEffectiveLevel()))
    read_only = (args.command, args.verb) in READ_ONLY
    async with make_store(args.db or config.database, create=not read_only) as store, \
            Fetcher(timeout=config.fetch_timeout,
                    policy=policy or FetchPolicy.from_config(config)) as fetcher:
        catalog = Catalog(ArticleLibrary(config.articles_dir), store)
        poller = FeedPoller(store, catalog, fetcher)
        handler = _HANDLERS[(args.command, args.verb)]
        return await handler(args, catalog=catalog, fetcher=fetcher, poller=poller,
                             config=config)


async def _articles_add(args: argparse.Namespace, *, catalog: Catalog, fetcher: Fetcher,
                        config: Config, **_: Any) -> int:
    from bot.filmlookup import film_from_text
    from bot.intake import add_source, choices

    chosen = choices(slug=args.slug, question=args.question)
    film = None
    if args.film is not None:  # named first: a film that cannot be told leaves nothing added
        async with _film_lookup(config, catalog, fetcher) as lookup:
            film = await film_from_text(catalog.store, lookup, args.film, at=utcnow())
    result = await add_source(args.source, catalog, fetcher, now=utcnow(), chosen=chosen)
    _out(result.line())
    if film is not None:
        await catalog.store.set_article_film(result.slug, "set", film.id, at=utcnow())
        facts = film.facts_line()
        _out(f"film of {result.slug!r}: {film.label}" + (f" ({facts})" if facts else ""))
    return 0


@contextlib.asynccontextmanager
async def _film_lookup(config: Config, catalog: Catalog, fetcher: Fetcher, *,
                       keep: bool = True) -> AsyncIterator[FilmLookup | None]:
    """The settings' film lookup, through the same fetch policy as pages and feeds."""
    from bot.filmlookup import make_lookup

    lookup = make_lookup(config, fetcher.policy, catalog.store if keep else None)
    try:
        yield lookup
    finally:
        if lookup is not None:
            await lookup.close()


async def _articles_show(args: argparse.Namespace, *, catalog: Catalog, fetcher: Fetcher,
                         config: Config, **_: Any) -> int:
    from bot.card import prompt_preview
    from bot.filmlookup import film_of_article

    article = await catalog.get(args.slug)  # ArticleNotFound or the file's error: one line
    entry = await catalog.entry(article.slug)
    default = None
    if args.guild is not None:
        default = (await catalog.store.get_settings(args.guild)).default_question
    origin = f"{entry.origin}, {entry.source}" if entry else "file"
    _out(f"{article.slug} ({origin})")
    async with _film_lookup(config, catalog, fetcher, keep=False) as lookup:
        film = await film_of_article(catalog.store, lookup, article, at=utcnow(), keep=False)
    shown = film if film.film is not None or film.choices else None
    for label, value in prompt_preview(article, default=default, film=shown):
        _out(f"{label}: {value}")
    if not article.question and args.guild is None:
        _out("(a server asks the moderator's question or its default one: "
             "see it with --guild ID)")
    return 0


async def _articles_list(args: argparse.Namespace, *, catalog: Catalog, **_: Any) -> int:
    entries, errors = await catalog.entries()
    for entry in entries:
        article = entry.article
        question = "asks: " + article.question if article.question else "no question"
        _out(f"{article.slug}\t{entry.origin}\t{article.title}\t{question}")
    for error in errors:  # the whole path here: the operator's own terminal, not Discord
        _problem(f"{error.path}: {error.problem}")
    _out(f"{len(entries)} article(s), {len(errors)} broken file(s)")
    return 0


async def _feeds_add(args: argparse.Namespace, *, poller: FeedPoller, config: Config,
                     **_: Any) -> int:
    from bot.feed_admin import add_feed

    added = await add_feed(poller, args.url, args.channel, guild_id=args.guild, post=args.post,
                           every=args.every, default_every=config.feed_interval,
                           backlog=args.backlog)
    _out(added.line())
    return 0


async def _feeds_list(args: argparse.Namespace, *, poller: FeedPoller, **_: Any) -> int:
    from bot.feed_admin import count_line, feed_line, feeds_in

    feeds = await feeds_in(poller.store)
    for feed in feeds:
        _out(feed_line(feed))
    _out(count_line(feeds))
    return 0


async def _feeds_poll(args: argparse.Namespace, *, poller: FeedPoller, **_: Any) -> int:
    from bot.feed_admin import poll_feeds, poll_lines

    lines = poll_lines(await poll_feeds(poller))
    for ok, line in lines:
        (_out if ok else _problem)(line)
    return 0 if all(ok for ok, _ in lines) else 1


async def _feeds_remove(args: argparse.Namespace, *, poller: FeedPoller, **_: Any) -> int:
    from bot.errors import NotFound
    from bot.feed_admin import remove_feed, removed_line

    try:
        feed = await remove_feed(poller.store, args.id)
    except NotFound as exc:
        _problem(str(exc))
        return 2
    _out(removed_line(feed))
    return 0


_HANDLERS = {
    ("articles", "add"): _articles_add,
    ("articles", "list"): _articles_list,
    ("articles", "show"): _articles_show,
    ("feeds", "add"): _feeds_add,
    ("feeds", "list"): _feeds_list,
    ("feeds", "poll"): _feeds_poll,
    ("feeds", "remove"): _feeds_remove,
}
