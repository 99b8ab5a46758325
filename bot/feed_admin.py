"""Managing feeds: the checks and the answers shared by ``filmclub feeds`` and ``/feeds``.

The command line manages every feed; a server's moderators manage that server's feeds
from Discord. Both go through these functions, so a feed is checked the same way and
each answer says the same thing wherever it was asked; only how a channel or a time
is written differs (``Style``).

Plain Python, no Discord.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime

from bot.errors import NotFound, SourceError
from bot.feeds import MAX_NEW_PER_POLL, FeedPoller, PollOutcome
from bot.models import Feed
from bot.store.base import Store

#: The longest poll interval one can set: a week.
MAX_EVERY_MINUTES = 7 * 24 * 60


@dataclass(frozen=True, slots=True)
class Style:
    """How answers write a channel and a time: plainly for a terminal, as mentions in chat."""

    channel: Callable[[int], str] = lambda channel_id: f"channel {channel_id}"
    time: Callable[[datetime], str] = lambda moment: moment.isoformat(timespec="minutes")
    list_command: str = "`filmclub feeds list`"
    sep: str = "\t"  # between a feed's facts in a list


PLAIN = Style()


@dataclass(frozen=True, slots=True)
class Scope:
    """The feeds one may manage: all of them (``guild_id`` None), or one server's.

    A feed added from the command line knows its channel only until the bot sees it,
    so a server's feeds are those of the server and those bound to its ``channels``;
    of those, a member manages the ones in channels they can see.
    """

    guild_id: int | None = None
    channels: Collection[int] = ()
    #: The channels the one asking can see (None: all); feeds elsewhere are not theirs.
    visible: Collection[int] | None = None

    def holds(self, feed: Feed) -> bool:
        if self.visible is not None and feed.channel_id not in self.visible:
            return False
        if self.guild_id is None:
            return True
        if feed.guild_id is not None:
            return feed.guild_id == self.guild_id
        return feed.channel_id in self.channels


EVERYWHERE = Scope()


@dataclass(frozen=True, slots=True)
class FeedAdded:
    feed: Feed
    entries: int  # entries the feed has now
    backlog: int  # of those, how many the first poll takes

    def line(self, style: Style = PLAIN) -> str:
        return (f"feed {self.feed.id}: {self.feed.url} -> {style.channel(self.feed.channel_id)} "
                f"({self.feed.mode}, every {self.feed.interval_minutes} min); {self.entries} "
                f"entries now, {self.backlog} to take at the first poll")


async def add_feed(poller: FeedPoller, url: str, channel_id: int, *, guild_id: int | None,
                   post: bool = False, every: int | None = None, default_every: int = 60,
                   backlog: int = 0, style: Style = PLAIN) -> FeedAdded:
    """Check that ``url`` is a well-formed RSS or Atom feed, then bind it to the channel.

    One line (``SourceError``) when it is not, when the channel has it already, or when
    an option is out of range; nothing is stored (or fetched, for a feed the channel
    has) then. A feed the channel has is refused in the store's words, so the answer is
    the same whether this check or the store's constraint (a race) finds it.
    """
    url = url.strip()
    minutes = every if every is not None else default_every
    if not 1 <= minutes <= MAX_EVERY_MINUTES:
        raise SourceError(f"{url}: poll every 1 to {MAX_EVERY_MINUTES} minutes, not {minutes}")
    if not 0 <= backlog <= MAX_NEW_PER_POLL:
        raise SourceError(f"{url}: the backlog is 0 to {MAX_NEW_PER_POLL} entries, not "
                          f"{backlog}")
    for feed in await poller.store.list_feeds():
        if feed.url == url and feed.channel_id == channel_id:
            raise SourceError(f"{url} is already a feed of {style.channel(channel_id)}")
    feed, count = await poller.add(url, channel_id, guild_id=guild_id,
                                   mode="post" if post else "queue",
                                   interval_minutes=minutes, backlog=backlog)
    return FeedAdded(feed, count, min(backlog, count))


async def feeds_in(store: Store, scope: Scope = EVERYWHERE) -> list[Feed]:
    """The feeds in ``scope``, oldest first."""
    return [feed for feed in await store.list_feeds() if scope.holds(feed)]


def feed_line(feed: Feed, style: Style = PLAIN) -> str:
    """One feed as a line: where it posts, how, how often, its last poll and its error."""
    polled = style.time(feed.polled_at) if feed.polled_at else "never"
    state = f"error: {feed.last_error}" if feed.last_error else "ok"
    return style.sep.join((str(feed.id), feed.url, style.channel(feed.channel_id), feed.mode,
                           f"every {feed.interval_minutes} min", f"polled {polled}", state))


def count_line(feeds: Collection[Feed]) -> str:
    return f"{len(feeds)} feed(s)"


async def remove_feed(store: Store, feed_id: int, scope: Scope = EVERYWHERE,
                      style: Style = PLAIN) -> Feed:
    """Stop polling a feed in ``scope``; ``NotFound`` in one line if there is none."""
    feed = next((f for f in await feeds_in(store, scope) if f.id == feed_id), None)
    if feed is None or not await store.remove_feed(feed_id):
        raise NotFound(f"there is no feed {feed_id} (see {style.list_command})")
    return feed


def removed_line(feed: Feed, style: Style = PLAIN) -> str:
    return f"feed {feed.id} removed ({feed.url}, {style.channel(feed.channel_id)})"


async def poll_feeds(poller: FeedPoller, scope: Scope = EVERYWHERE) -> list[PollOutcome]:
    """Poll every feed in ``scope`` now, one after another; a failure is an outcome."""
    return [await poller.poll(feed) for feed in await feeds_in(poller.store, scope)]


def poll_lines(outcomes: Collection[PollOutcome]) -> list[tuple[bool, str]]:
    """``(ok, line)`` for each poll: what it brought, and each error on a line of its own."""
    lines: list[tuple[bool, str]] = []
    for outcome in outcomes:
        if not outcome.failed:
            lines.append((True, outcome.summary()))
        if outcome.error:
            lines.append((False, outcome.error))
    return lines
