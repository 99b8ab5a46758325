"""A database with a bit of everything filmclub keeps, for the copy tests (issue 15).

Two prompt threads (tests/discussion.py and tests/hostile.py: replies, edits, a deletion,
attachments, votes and other reactions), and around them what the other tables hold:
server settings, a hidden comment, a member who used /forget, ratings and a rating
control, a watchlist with a film, a film poll with votes, a schedule and a close timer,
an article, a feed and a queue, an audit entry, an export remembered for `since_last`,
and the names of places and members.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from bot.models import Article, ExportRecord, StoredArticle
from bot.records.audit import AuditEntry, CloseTimer, HiddenComment
from bot.records.films import FilmPoll, FilmRecord, PollAnswer
from bot.records.names import MemberName, PlaceName
from bot.records.posting_schedule import Schedule
from bot.records.server_settings import GuildSettings
from bot.store import Store
from bot.store.base import ThreadStatus
from bot.watchlist import read_film
from tests import discussion, hostile

GUILD = 10  # the server tests/discussion.py posts in
LATER = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


async def build(store: Store) -> None:
    """Fill ``store``: every table that a server in use fills has rows."""
    await store.save_settings(GuildSettings(
        GUILD, moderator_role_id=12, timezone="Europe/Paris", spoiler_days=3,
        suggest_access="moderators", poll_hours=24, updated_at=LATER, updated_by=99))
    await discussion.build(store)
    await hostile.build(store)
    store.submit(discussion.say(40, 6, "Gus", "A NUL \x00 here, and \uffff0 that is not one"))
    await store.flush()
    await store.hide_comment(HiddenComment(discussion.CY.id, 99, LATER, "spoiler", 77))
    await store.forget_member(discussion.BEN.author_id, LATER)
    await store.rate(discussion.THREAD, 1, 8, LATER)
    await store.rate(discussion.THREAD, 3, 5, LATER + timedelta(minutes=1))
    film = await store.save_film(
        FilmRecord("Vertigo", 1958, directors=("Alfred Hitchcock",), runtime=128,
                   genres=("thriller",), wikidata_id="Q202548"), LATER)
    await store.set_prompt_film(discussion.THREAD, film.id)
    await store.add_watch_entry(GUILD, "Watchlist", read_film("Rear Window (1954)"),
                                note="after Vertigo", user_id=1, user_name="Ana", at=LATER)
    await store.add_audit(AuditEntry(GUILD, 99, "hide", "Cy's comment", LATER,
                                     thread_id=discussion.THREAD, reason="spoiler"))
    await store.record_export(ExportRecord(
        scope_key="thread:md", scope="thread", target_id=discussion.THREAD, format="md",
        mark=1, exported_at=LATER, comments=5, exported_by=99))
    await store.save_names(
        places=[PlaceName(GUILD, "guild", GUILD, "Film Club", LATER)],
        members=[MemberName(GUILD, 1, "Ana B.", LATER)])
    await store.add_article(_stored_article())
    await store.set_article_film("rear-window", "set", film.id, by=99, at=LATER)
    await store.cache_lookup("vertigo 1958", '[{"title": "Vertigo"}]', LATER)
    await store.save_thread_status(ThreadStatus(hostile.THREAD, archived_at=LATER,
                                                caught_up_at=LATER))
    await store.enqueue(GUILD, "rear-window", added_at=LATER, added_by=99)
    await store.set_schedule(Schedule(GUILD, 20, "weekly", (4,), time(20, 30), "Europe/Paris",
                                      LATER, empty_notified=True))
    await store.set_close_timer(CloseTimer(hostile.THREAD, GUILD, LATER + timedelta(days=2),
                                           99, LATER, "a week is enough"))
    await store.note_rating_control(discussion.THREAD, "added", LATER)
    await store.add_film_poll(FilmPoll(
        555, GUILD, 20, "Next film?", 99, LATER, LATER + timedelta(hours=24),
        (PollAnswer(1, "Rear Window", 1954, LATER), PollAnswer(2, "Psycho", 1960, LATER)),
        list_name="Watchlist", multiple=True))
    await store.poll_vote(555, 1, 1, LATER, added=True)
    await store.poll_vote(555, 2, 3, LATER, added=True)
    await store.add_feed("https://filmclub.example/feed.xml", 20, guild_id=GUILD, mode="queue",
                         interval_minutes=60, added_at=LATER, seen=("entry:1", "entry:2"))


def _stored_article() -> StoredArticle:
    article = Article(slug="rear-window", title="Rear Window, looking back",
                      url="https://filmclub.example/articles/rear-window", film="Rear Window",
                      year=1954, questions=("Who is watching whom?",))
    return StoredArticle(article=article, origin="page", source=article.url,
                         keys=("slug:rear-window", f"url:{article.url}"), added_at=LATER)
