"""Long generated threads for the streaming tests: every shape of comment, repeated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.models import (
    Article,
    Attachment,
    Event,
    MessageCreated,
    MessageDeleted,
    MessageEdited,
    Prompt,
    ReactionAdded,
)
from bot.store import Store
from tests.snowflakes import snowflake

T0 = datetime(2027, 1, 1, tzinfo=UTC)
AUTHORS = 40
ARTICLE = Article(slug="long", title="A long night", url="https://filmclub.example/long",
                  film="Satantango", year=1994, director="Béla Tarr",
                  excerpt="Seven hours, one village.", questions=("Was it too long?",))


def thread_id(index: int) -> int:
    return 1_500_000_000_000_000_000 + index


def events(thread: int, count: int, start: datetime) -> list[Event]:
    """``count`` comments: chains of replies up to five deep, edits, deletions, reactions."""
    out: list[Event] = []
    chain: list[int] = []
    for n in range(count):
        when = start + timedelta(seconds=n)
        cid = snowflake(when, thread & 0xFFF)
        if n % 6 == 0 or len(chain) >= 5:
            chain = []
        parent = chain[-1] if chain else None
        author = n % AUTHORS
        text = (f"Comment {n} by <@{(n * 7) % AUTHORS}>: **long** takes, _slow_ pans and "
                f"||the dance|| at https://filmclub.example/{n}")
        files = (Attachment(cid + 1, f"still-{n}.png", f"https://cdn.example/{n}.png", n),
                 ) if n % 11 == 0 else ()
        out.append(MessageCreated(cid, thread, author, f"Member {author}", text, when, parent,
                                  files))
        chain.append(cid)
        if n % 7 == 0:
            out.append(MessageEdited(cid, thread, text + " (edited)", when + timedelta(hours=1)))
        if n % 50 == 0:
            out.append(MessageDeleted(cid, thread, when + timedelta(hours=2)))
        if n % 3 == 0:
            out.append(ReactionAdded(cid, thread, (n + 1) % AUTHORS, "👍", when))
            out.append(ReactionAdded(cid, thread, (n + 2) % AUTHORS, "🎬", when))
    return out


async def build(store: Store, thread: int, count: int, guild: int = 10) -> None:
    """A prompt thread of ``count`` generated comments, in ``guild``."""
    await store.add_prompt(Prompt(thread, guild, 20, thread, ARTICLE, T0, 99))
    for event in events(thread, count, T0 + timedelta(days=thread % 1000)):
        await store.put(event)
    await store.flush()
