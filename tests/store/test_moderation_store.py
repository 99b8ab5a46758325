"""The store's side of issue 5: settings, hiding, the audit log, timers, numbers, /forget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.models import (
    Article,
    Attachment,
    MessageCreated,
    MessageDeleted,
    MessageEdited,
    Prompt,
    ReactionAdded,
    ReactionRemoved,
)
from bot.records.audit import AuditEntry, CloseTimer, HiddenComment
from bot.records.member_data import PLACEHOLDER, REMOVED_NAME
from bot.records.server_settings import GuildSettings
from bot.records.visibility import EVERY_THREAD as ALL
from bot.records.visibility import Visible
from bot.store import Store
from tests.snowflakes import minute_ids

T0 = datetime(2026, 11, 1, 20, 0, tzinfo=UTC)
GUILD = 10
THREAD = 1_300_000_000_000_000_000
OTHER_THREAD = THREAD + 1
ANA, BEN, CY, MOD = 1, 2, 3, 99


sf = minute_ids(T0)  # the id of T0 + minutes, so ids sort like times


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def said(minutes: float, author: int, text: str = "hi", parent: int | None = None,
         thread: int = THREAD, **kw: object) -> MessageCreated:
    return MessageCreated(id=sf(minutes), thread_id=thread, author_id=author,
                          author_name=f"member{author}", content=text, created_at=at(minutes),
                          parent_id=parent, **kw)  # type: ignore[arg-type]


def vote(comment: MessageCreated, user: int, emoji: str = "👍",
         minutes: float = 30) -> ReactionAdded:
    return ReactionAdded(comment.id, comment.thread_id, user, emoji, at(minutes))


@pytest.fixture
async def club(store: Store) -> Store:
    """A store with two prompt threads in one server."""
    for thread, slug in ((THREAD, "vertigo"), (OTHER_THREAD, "rear-window")):
        article = Article(slug=slug, title=slug.replace("-", " ").title())
        await store.add_prompt(Prompt(thread, GUILD, 20, thread, article, T0, MOD))
    return store


async def play(store: Store, *events: object) -> None:
    for event in events:
        store.submit(event)  # type: ignore[arg-type]
    await store.flush()


async def texts(store: Store, thread: int = THREAD, **options: bool) -> list[tuple[int, str]]:
    return [(c.depth, c.content) async for c in store.iter_comments(thread, **options)]


def hidden(comment: MessageCreated, reason: str = "spoilers") -> HiddenComment:
    return HiddenComment(comment.id, MOD, at(40), reason)


# -- hidden comments ---------------------------------------------------------------------


async def test_hidden_comment_is_left_out_and_its_reply_moves_up(club: Store) -> None:
    """iter_comments skips a hidden comment; its reply becomes a top-level comment."""
    a, b = said(1, ANA, "the ending is..."), said(2, BEN, "a reply")
    c = said(3, CY, "reply to the reply", parent=b.id)
    b = said(2, BEN, "a reply", parent=a.id)
    await play(club, a, b, c)
    await club.hide_comment(hidden(a))
    assert await texts(club) == [(0, "a reply"), (1, "reply to the reply")]
    counts = await club.thread_counts(THREAD)
    assert (counts.comments, counts.participants) == (2, 2)


async def test_hidden_comment_comes_back_when_asked_for(club: Store) -> None:
    """include_hidden keeps the tree whole and marks the hidden comment."""
    a, b = said(1, ANA, "hidden"), said(2, BEN, "reply", parent=sf(1))
    await play(club, a, b)
    await club.hide_comment(hidden(a))
    comments = [c async for c in club.iter_comments(THREAD, include_hidden=True)]
    assert [(c.depth, c.content, c.hidden_at) for c in comments] == [
        (0, "hidden", at(40)), (1, "reply", None)]
    assert (await club.thread_counts(THREAD, include_hidden=True)).comments == 2


async def test_restore_returns_how_it_was_hidden(club: Store) -> None:
    """Restoring gives back the hiding record (with its notice) and the comment returns."""
    a = said(1, ANA, "back soon")
    await play(club, a)
    await club.hide_comment(hidden(a, "off topic"))
    await club.set_hidden_notice(a.id, 555)
    assert (await club.get_hidden(a.id)) == HiddenComment(a.id, MOD, at(40), "off topic", 555)
    restored = await club.restore_comment(a.id)
    assert restored is not None and restored.notice_id == 555
    assert await club.restore_comment(a.id) is None
    assert await texts(club) == [(0, "back soon")]


# -- settings and vote emoji --------------------------------------------------------------


async def test_settings_default_and_round_trip(club: Store) -> None:
    """A server with no row has the defaults; saved settings come back equal."""
    assert await club.get_settings(GUILD) == GuildSettings(GUILD)
    chosen = GuildSettings(GUILD, prompt_channel_id=20, moderator_role_id=7,
                           upvote_emoji=("🔥",), downvote_emoji=("🧊", "<:meh:123456789012345678>"),
                           timezone="Europe/Paris", export_access="everyone", log_channel_id=21,
                           updated_at=at(5), updated_by=MOD)
    await club.save_settings(chosen)
    assert await club.get_settings(GUILD) == chosen


async def test_new_vote_emoji_recount_stored_and_later_reactions(club: Store) -> None:
    """Changing the vote emoji revalues stored reactions and decides new ones."""
    a = said(1, ANA)
    await play(club, a, vote(a, BEN, "👍"), vote(a, CY, "🔥"))
    assert [c.score async for c in club.iter_comments(THREAD)] == [1]
    changed = await club.save_settings(GuildSettings(GUILD, upvote_emoji=("🔥",),
                                                     downvote_emoji=("🧊",)))
    assert changed == 2
    await play(club, vote(a, MOD, "🧊"))
    assert [c.score async for c in club.iter_comments(THREAD)] == [0]
    await club.save_settings(GuildSettings(GUILD))  # back to 👍/👎
    assert [c.score async for c in club.iter_comments(THREAD)] == [1]


# -- the audit log and close timers -----------------------------------------------------------


async def test_audit_log_newest_first_by_server_and_thread(club: Store) -> None:
    """Entries come back newest first, with ids; a thread filter keeps that thread's."""
    first = await club.add_audit(AuditEntry(GUILD, MOD, "lock", "thread", at(1), THREAD, "heat"))
    await club.add_audit(AuditEntry(GUILD, MOD, "settings", "timezone", at(2)))
    await club.add_audit(AuditEntry(GUILD + 1, MOD, "lock", "elsewhere", at(3)))
    assert first.id is not None
    assert [e.action for e in await club.list_audit(GUILD, visible=ALL)] == ["settings", "lock"]
    assert await club.list_audit(GUILD, thread_id=THREAD, visible=ALL) == [first]
    # Entries about a thread the asker cannot see are left out; settings stay.
    hidden_from = Visible.only([OTHER_THREAD], channel_ids=[])
    assert [e.action for e in await club.list_audit(GUILD, visible=hidden_from)] == [
        "settings"]
    assert await club.list_audit(GUILD, thread_id=THREAD, visible=hidden_from) == []
    with pytest.raises(ValueError, match="channels"):
        await club.list_audit(GUILD, visible=Visible.only([THREAD]))


async def test_audit_entries_about_a_channel_follow_the_channels_one_can_see(
        club: Store) -> None:
    """An entry about a channel (a prompt posted there) is listed to those who see it."""
    posted = await club.add_audit(AuditEntry(GUILD, MOD, "prompt post", "article", at(1),
                                             channel_id=77))
    assert posted.channel_id == 77
    everything = await club.list_audit(GUILD, visible=ALL)
    assert [e.channel_id for e in everything] == [77]
    assert await club.list_audit(GUILD, visible=Visible.only([], channel_ids=[77])) == [posted]
    assert await club.list_audit(GUILD, visible=Visible.only([], channel_ids=[78])) == []


async def test_close_timers_soonest_first_and_cancel(club: Store) -> None:
    """Timers are listed soonest first; setting one again moves it; cancel returns it."""
    late = CloseTimer(THREAD, GUILD, at(600), MOD, at(0), "wrap up")
    soon = CloseTimer(OTHER_THREAD, GUILD, at(120), MOD, at(0))
    await club.set_close_timer(late)
    await club.set_close_timer(soon)
    assert await club.close_timers() == [soon, late]
    moved = CloseTimer(THREAD, GUILD, at(60), MOD, at(1))
    await club.set_close_timer(moved)
    assert await club.close_timers() == [moved, soon]
    assert await club.cancel_close_timer(THREAD) == moved
    assert await club.cancel_close_timer(THREAD) is None


async def test_cancelling_a_timer_can_log_it_in_the_same_step(club: Store) -> None:
    """With an audit entry, cancel records it only when there was a timer to cancel."""
    entry = AuditEntry(GUILD, MOD, "close", "Vertigo", at(60), THREAD)
    assert await club.cancel_close_timer(THREAD, audit=entry) is None
    await club.set_close_timer(CloseTimer(THREAD, GUILD, at(60), MOD, at(0)))
    assert await club.cancel_close_timer(THREAD, audit=entry) is not None
    entries = await club.list_audit(GUILD, visible=ALL)
    assert [(e.action, e.thread_id) for e in entries] == [("close", THREAD)]


# -- the numbers ---------------------------------------------------------------------------------


async def test_member_totals_leave_out_self_votes_hidden_and_deleted(club: Store) -> None:
    """Own votes, hidden and deleted comments do not count; a member's latest vote does."""
    a1, a2, b1 = said(1, ANA), said(2, ANA), said(3, BEN)
    gone, shh = said(4, CY, "deleted"), said(5, CY, "hidden")
    await play(club, a1, a2, b1, gone, shh,
               vote(a1, ANA), vote(a1, BEN), vote(a1, CY, "👎", 31), vote(a1, CY, "👍", 32),
               vote(b1, ANA), vote(gone, ANA), vote(shh, ANA),
               MessageDeleted(gone.id, THREAD, at(9)))
    await club.hide_comment(hidden(shh))
    totals = {t.user_id: (t.comments, t.votes, t.name)
              for t in await club.member_totals(GUILD, visible=ALL)}
    assert totals == {ANA: (2, 2, "member1"), BEN: (1, 1, "member2")}


async def test_member_totals_since_counts_recent_comments_only(club: Store) -> None:
    """With ``since``, only comments written since then count."""
    await play(club, said(1, ANA), said(100, BEN), said(101, BEN, thread=OTHER_THREAD))
    totals = await club.member_totals(GUILD, since=at(50), visible=ALL)
    assert [(t.user_id, t.comments, t.first_comment_id) for t in totals] == [
        (BEN, 2, sf(100))]


async def test_top_comments_best_first_older_first_on_ties(club: Store) -> None:
    """Positive scores only, best first, the older of two equal scores first."""
    a, b, c, d = said(1, ANA, "a"), said(2, BEN, "b"), said(3, CY, "c"), said(4, ANA, "d")
    await play(club, a, b, c, d, vote(b, ANA), vote(b, CY), vote(c, ANA), vote(a, BEN),
               vote(d, BEN, "👎"), vote(d, ANA))
    top = await club.top_comments(GUILD, visible=ALL)
    assert [(t.content, t.score, t.article_title) for t in top] == [
        ("b", 2, "Vertigo"), ("a", 1, "Vertigo"), ("c", 1, "Vertigo")]
    other = await club.top_comments(GUILD, thread_id=OTHER_THREAD, visible=ALL)
    assert [t.content for t in other] == []


async def test_thread_stats_counts_and_busiest_hour_in_zone(club: Store) -> None:
    """Comments, participants, up and down votes, and the busiest hour in the server's zone."""
    a = said(1, ANA)  # 20:01 UTC
    await play(club, a, said(65, BEN), said(70, CY), said(75, CY),  # 21:05..21:15 UTC
               vote(a, BEN), vote(a, CY, "👎"), vote(a, ANA),
               ReactionRemoved(a.id, THREAD, CY, "👎", at(50)))
    stats = await club.thread_stats(THREAD, ZoneInfo("Europe/Paris"), "Europe/Paris",
                                    visible=ALL)
    assert (stats.comments, stats.participants, stats.upvotes, stats.downvotes) == (4, 3, 1, 0)
    assert stats.busiest is not None
    assert (stats.busiest.hour, stats.busiest.comments) == (22, 3)  # UTC+1 in November


async def test_server_stats_prompts_members_and_active_ones(club: Store) -> None:
    """Prompts posted, comments, everyone who commented and who did lately."""
    await play(club, said(1, ANA), said(2, BEN, thread=OTHER_THREAD), said(3, BEN))
    stats = await club.server_stats(GUILD, now=at(60 * 24 * 40), zone=UTC, zone_name="UTC",
                                    visible=ALL)
    assert (stats.prompts, stats.comments, stats.members, stats.active_members) == (2, 3, 2, 0)
    recent = await club.server_stats(GUILD, now=at(60), zone=UTC, zone_name="UTC",
                                     visible=ALL)
    assert recent.active_members == 2


async def test_numbers_count_only_the_threads_the_asker_can_see(club: Store) -> None:
    """With a Visible set, every number leaves out the other threads: text, votes, names."""
    seen = said(1, ANA, "seen")
    secret = said(2, BEN, "staff only", thread=OTHER_THREAD)
    await play(club, seen, secret, vote(seen, BEN), vote(secret, ANA), vote(secret, CY))
    only = Visible.only([THREAD])
    top = await club.top_comments(GUILD, visible=only)
    assert [t.content for t in top] == ["seen"]
    assert await club.top_comments(GUILD, thread_id=OTHER_THREAD, visible=only) == []
    totals = {t.user_id: (t.comments, t.votes) for t in await club.member_totals(
        GUILD, visible=only)}
    assert totals == {ANA: (1, 1)}
    hidden_stats = await club.thread_stats(OTHER_THREAD, UTC, "UTC", visible=only)
    assert (hidden_stats.comments, hidden_stats.participants, hidden_stats.votes,
            hidden_stats.busiest) == (0, 0, 0, None)
    server = await club.server_stats(GUILD, now=at(60), zone=UTC, zone_name="UTC",
                                     visible=only)
    assert (server.prompts, server.comments, server.members) == (1, 1, 1)
    nothing = await club.server_stats(GUILD, now=at(60), zone=UTC, zone_name="UTC",
                                      visible=Visible.only([]))
    assert (nothing.prompts, nothing.comments, nothing.members, nothing.busiest) == (
        0, 0, 0, None)
    everything = await club.server_stats(GUILD, now=at(60), zone=UTC, zone_name="UTC",
                                         visible=ALL)
    assert (everything.prompts, everything.comments) == (2, 2)


# -- the member's data and /forget -------------------------------------------------------------


async def test_member_data_has_comments_versions_and_votes(club: Store) -> None:
    """Own comments in every thread with earlier versions, and the reactions cast."""
    a = said(1, ANA, "first take")
    b = said(2, BEN, "other")
    await play(club, a, b, MessageEdited(a.id, THREAD, "second take", at(3)),
               said(4, ANA, "elsewhere", thread=OTHER_THREAD), vote(b, ANA), vote(b, ANA, "🎬", 31))
    data = await club.member_data(ANA)
    assert [(o.comment.content, o.article_title) for o in data.comments] == [
        ("second take", "Vertigo"), ("elsewhere", "Rear Window")]
    assert [r.content for r in data.comments[0].comment.revisions] == ["first take"]
    assert [(r.emoji, r.value) for r in data.reactions] == [("👍", 1), ("🎬", 0)]
    assert data.forgotten_at is None


async def test_forget_removes_text_versions_attachments_and_reactions(club: Store) -> None:
    """Comments stay as placeholders; versions, attachments and reactions cast are gone."""
    pic = Attachment(sf(1) + 1, "me.png", "https://x/me.png", 10)
    a = said(1, ANA, "my take", attachments=(pic,))
    b = said(2, BEN, "reply to ana", parent=a.id)
    await play(club, a, b, MessageEdited(a.id, THREAD, "my edited take", at(3)),
               vote(b, ANA), vote(b, ANA, "🎬"), vote(a, BEN))
    report = await club.forget_member(ANA, at(10))
    assert (report.comments, report.revisions, report.attachments, report.votes,
            report.reactions) == (1, 1, 1, 1, 1)
    comments = [c async for c in club.iter_comments(THREAD)]
    assert [(c.author_name, c.content, c.depth, c.score) for c in comments] == [
        (REMOVED_NAME, PLACEHOLDER, 0, 1), ("member2", "reply to ana", 1, 0)]
    assert comments[0].revisions == [] and comments[0].attachments == []
    data = await club.member_data(ANA)
    assert data.reactions == [] and data.forgotten_at == at(10)


@pytest.mark.parametrize("replay", [
    pytest.param(lambda a: said(1, ANA, "my take"), id="create"),
    pytest.param(lambda a: MessageEdited(a.id, THREAD, "edited later", at(20)), id="edit"),
    pytest.param(lambda a: vote(a, ANA, "👍", 40), id="own reaction"),
])
async def test_forgotten_text_does_not_come_back_on_replay(club: Store, replay: object) -> None:
    """A replayed create, a later edit or reaction on an old comment restores nothing."""
    a = said(1, ANA, "my take")
    await play(club, a, vote(a, BEN))
    await club.forget_member(ANA, at(10))
    await play(club, replay(a))  # type: ignore[operator]
    (comment,) = [c async for c in club.iter_comments(THREAD)]
    assert (comment.content, comment.author_name, comment.revisions) == (
        PLACEHOLDER, REMOVED_NAME, [])
    assert [(r.user_id, r.emoji) for r in comment.reactions] == [(BEN, "👍")]


async def test_comments_after_forget_are_kept(club: Store) -> None:
    """What a member writes after /forget is stored as usual."""
    await play(club, said(1, ANA, "old"))
    await club.forget_member(ANA, at(10))
    await play(club, said(20, ANA, "new"))
    assert await texts(club) == [(0, PLACEHOLDER), (0, "new")]
