"""The services on a platform that is not Discord: audit, timers, hiding, the scheduler."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.articles import ArticleLibrary, Catalog
from bot.errors import AlreadyPosted, FilmclubError
from bot.feeds import FeedPoller
from bot.fetch import Fetcher
from bot.models import Article, MessageCreated, Prompt
from bot.records.audit import AuditEntry, CloseTimer
from bot.records.visibility import EVERY_THREAD
from bot.schedule import make_schedule
from bot.services.audit import AuditTrail, CompletedCommand
from bot.services.hiding import CommentHiding, hide_notice
from bot.services.platform import TryLater
from bot.services.scheduler import PromptScheduler
from bot.services.timers import CLOSE_NOTICE, CloseTimers
from bot.store import Store
from tests.bot.services.fakes import FakePlatform

T0 = datetime(2026, 11, 1, 20, 0, tzinfo=UTC)
GUILD, CHANNEL, THREAD, MOD, ANA = 10, 20, 1_300_000_000_000_000_000, 99, 1
LIBRARY = Path(__file__).parents[2] / "library"


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def club(store: Store) -> Store:
    """A store with one prompt thread, "Vertigo", in one server."""
    await store.add_prompt(Prompt(THREAD, GUILD, CHANNEL, THREAD,
                                  Article(slug="vertigo", title="Vertigo"), T0, MOD))
    return store


def command(name: str, audience: str, *, moderator: bool = True,
            options: tuple[tuple[str, object], ...] = ()) -> CompletedCommand:
    return CompletedCommand(GUILD, MOD, name, audience, moderator, options)


# -- audit ------------------------------------------------------------------------------------


async def test_audit_records_moderator_commands_with_their_options(club: Store) -> None:
    """A completed moderator command is stored with its options, then announced."""
    platform = FakePlatform()
    audit = AuditTrail(club, platform, clock=Clock())
    entry = await audit.command_done(command("prompt post", "moderators",
                                             options=(("article", "Jaws"), ("force", True))))
    assert entry is not None and entry.target == 'article="Jaws", force=true'
    assert [e.action for e in await club.list_audit(GUILD, visible=EVERY_THREAD)] == [
        "prompt post"]
    assert platform.announced == [entry]


@pytest.mark.parametrize(("audience", "moderator", "own", "audited"), [
    ("members", True, False, False),
    ("exporters", False, False, False),
    ("exporters", True, False, True),
    ("moderators", True, False, True),
    ("admins", True, False, True),
    ("moderators", True, True, False),
])
def test_which_commands_the_audit_records(audience: str, moderator: bool, own: bool,
                                          audited: bool) -> None:
    """Members' commands and exporters' who are no moderators are left out, and so are
    commands that record their own entries."""
    audit = AuditTrail(None, FakePlatform(), clock=Clock())  # type: ignore[arg-type]
    if own:
        audit.records_own(["discussion lock"])
    assert audit.audited(command("discussion lock", audience, moderator=moderator)) is audited


# -- close timers -----------------------------------------------------------------------------


async def test_a_due_timer_closes_its_thread_once_and_says_how_late(club: Store) -> None:
    """An overdue timer locks the thread with the notice, logs it late, and is gone."""
    platform, clock = FakePlatform(), Clock()
    audit = AuditTrail(club, platform, clock=clock)
    timers = CloseTimers(club, platform, audit, clock=clock)
    await timers.set(CloseTimer(THREAD, GUILD, T0 + timedelta(hours=1), MOD, T0, "enough"),
                     AuditEntry(GUILD, MOD, "close-after", "Vertigo (in 1h)", T0, THREAD))
    assert await timers.fire_due() == 60.0  # not due: look again in a poll's time
    assert platform.closed == []
    clock.now = T0 + timedelta(hours=3)
    await timers.fire_due()
    assert platform.closed == [(THREAD, f"{CLOSE_NOTICE}\nReason: enough")]
    close = platform.announced[-1]
    assert (close.action, close.target) == ("close", "Vertigo")
    assert close.reason == "enough; 2h late: the bot was offline when it was due"
    assert await club.close_timers() == []
    await timers.fire_due()
    assert len(platform.closed) == 1


async def test_a_timer_the_platform_cannot_close_now_is_tried_again(club: Store) -> None:
    """TryLater keeps the timer, and the loop comes back within the retry delay."""
    platform, clock = FakePlatform(closing=TryLater), Clock()
    timers = CloseTimers(club, platform, AuditTrail(club, platform, clock=clock), clock=clock)
    await club.set_close_timer(CloseTimer(THREAD, GUILD, T0, MOD, T0))
    assert await timers.fire_due() == 60.0
    assert [t.thread_id for t in await club.close_timers()] == [THREAD]
    assert platform.announced == []


# -- hiding comments --------------------------------------------------------------------------


async def _comment(store: Store) -> object:
    store.submit(MessageCreated(id=THREAD + 5, thread_id=THREAD, author_id=ANA,
                                author_name="Ana", content="a pirate link"))
    await store.flush()
    return await store.get_comment(THREAD + 5)


async def test_hiding_marks_the_thread_and_restoring_removes_the_mark(club: Store) -> None:
    """Hide: stored, marked, audited; restore: unmarked, audited; twice is an error."""
    platform = FakePlatform()
    hiding = CommentHiding(club, platform, AuditTrail(club, platform, clock=Clock()),
                           clock=Clock())
    comment = await _comment(club)
    prompt = await club.get_prompt(THREAD)
    assert comment is not None and prompt is not None
    done = await hiding.hide(comment, prompt, MOD, "piracy")  # type: ignore[arg-type]
    assert done.marked and list(platform.marks.values()) == [comment.id]  # type: ignore[attr-defined]
    with pytest.raises(FilmclubError, match="hidden already"):
        await hiding.hide(comment, prompt, MOD, "again")  # type: ignore[arg-type]
    await hiding.restore(comment, prompt, MOD, None)  # type: ignore[arg-type]
    assert platform.marks == {}
    assert [(e.action, e.target) for e in platform.announced] == [
        ("hide", "a comment by Ana"), ("restore", "a comment by Ana")]
    assert "piracy" in hide_notice("piracy")


async def test_a_refused_mark_still_hides_the_comment(club: Store) -> None:
    """The platform's refusal to mark the thread leaves the comment hidden and says so."""
    platform = FakePlatform(refuse_marks=True)
    hiding = CommentHiding(club, platform, AuditTrail(club, platform, clock=Clock()),
                           clock=Clock())
    comment = await _comment(club)
    prompt = await club.get_prompt(THREAD)
    done = await hiding.hide(comment, prompt, MOD, "piracy")  # type: ignore[arg-type]
    assert not done.marked
    assert await club.get_hidden(comment.id) is not None  # type: ignore[attr-defined]


# -- the scheduler ----------------------------------------------------------------------------


@pytest.fixture
async def scheduler(store: Store, tmp_path: Path) -> PromptScheduler:
    """A scheduler over a library of one article, in one server with one channel."""
    shutil.copy(LIBRARY / "cta-only-parasite.md", tmp_path / "cta-only-parasite.md")
    catalog = Catalog(ArticleLibrary(tmp_path), store)
    clock = Clock()
    platform = FakePlatform(servers={GUILD}, channels={CHANNEL: GUILD})
    threads: set[int] = set()
    poller = FeedPoller(store, catalog, Fetcher(timeout=1), clock=clock)
    return PromptScheduler(store, catalog, poller, platform, clock=clock,
                           prompt_threads=lambda: threads)


async def test_publish_records_the_prompt_once_per_server(scheduler: PromptScheduler) -> None:
    """A published article is recorded and its thread tracked; again, AlreadyPosted."""
    platform: FakePlatform = scheduler.poster  # type: ignore[assignment]
    article = await scheduler.catalog.get("cta-only-parasite")
    prompt, posted = await scheduler.publish(GUILD, CHANNEL, article, question=None,
                                             posted_by=MOD)
    assert await scheduler.store.get_prompt(posted.thread_id) == prompt
    assert posted.thread_id in scheduler.prompt_threads()
    assert platform.after_publish == [posted.thread_id]
    with pytest.raises(AlreadyPosted):
        await scheduler.publish(GUILD, CHANNEL, article, question=None, posted_by=MOD)


async def test_a_due_slot_posts_then_tells_moderators_once_when_nothing_is_left(
        scheduler: PromptScheduler) -> None:
    """Slot one posts the library's article; slot two finds nothing and says so, once."""
    platform: FakePlatform = scheduler.poster  # type: ignore[assignment]
    clock: Clock = scheduler.clock  # type: ignore[assignment]
    await scheduler.store.set_schedule(make_schedule(GUILD, CHANNEL, "daily", "21:00", "UTC",
                                                     None, now=clock.now))
    clock.now = T0 + timedelta(hours=1, minutes=1)
    await scheduler.tick()
    assert [p[2] for p in platform.posts] == ["cta-only-parasite"]
    for day in (1, 2):
        clock.now = T0 + timedelta(days=day, hours=1, minutes=1)
        await scheduler.tick()
    assert len(platform.posts) == 1
    (told,) = platform.told
    assert told[1].startswith("Nothing was posted for the slot of <t:")


async def test_a_queued_item_that_cannot_be_posted_leaves_the_queue(
        scheduler: PromptScheduler) -> None:
    """A queued article whose channel is gone is unqueued and the moderators are told why."""
    platform: FakePlatform = scheduler.poster  # type: ignore[assignment]
    clock: Clock = scheduler.clock  # type: ignore[assignment]
    await scheduler.store.set_schedule(make_schedule(GUILD, CHANNEL, "daily", "21:00", "UTC",
                                                     None, now=clock.now))
    await scheduler.store.enqueue(GUILD, "cta-only-parasite", added_at=T0, channel_id=CHANNEL + 1)
    clock.now = T0 + timedelta(hours=1, minutes=1)
    await scheduler.tick()
    assert platform.posts == []
    assert await scheduler.store.list_queue(GUILD) == []
    (told,) = platform.told
    assert told[1].startswith("The queued prompt 'cta-only-parasite' could not be posted")
