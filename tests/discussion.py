"""A small, fixed discussion used by the exporter tests: replies, edits, a deletion, votes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
from bot.store import Store
from tests.snowflakes import minute_ids

T0 = datetime(2026, 11, 1, 20, 0, tzinfo=UTC)
THREAD = 1_437_000_000_000_000_000
ARTICLE = Article(
    slug="vertigo", title="Vertigo and the second fall",
    url="https://filmclub.example/articles/vertigo", film="Vertigo", year=1958,
    director="Alfred Hitchcock", author="filmclub",
    excerpt="Hitchcock lets us in on the secret an hour early.",
    questions=("Does knowing early make the last act more suspenseful?",),
)
PROMPT = Prompt(THREAD, 10, 20, THREAD, ARTICLE, T0, 99)


sf = minute_ids(T0)  # the id of T0 + minutes, so ids sort like times


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def say(minutes: float, author: int, name: str, text: str, parent: int | None = None,
        attachments: tuple[Attachment, ...] = ()) -> MessageCreated:
    return MessageCreated(sf(minutes), THREAD, author, name, text, at(minutes), parent,
                          attachments)


ANA = say(1, 1, "Ana", 'Knowing early is the point: we watch "Judy" *perform* & wait.')
BEN = say(2, 2, "Ben", "I disagree.\nThe suspense is gone once you know.", parent=ANA.id)
CY = say(3, 3, "Cy", "Ben, it just moves: from *what* to *when*.", parent=BEN.id,
         attachments=(Attachment(sf(3) + 1, "tower.png", "https://cdn.example/tower.png", 2048),))
DEE = say(4, 4, "Dee", "Mistake, wrong thread")
EVE = say(5, 5, "Eve", "The bell tower scene still gets me.")

EVENTS = [
    ANA, BEN, CY, DEE, EVE,
    MessageEdited(ANA.id, THREAD, 'Knowing early is the point: we watch "Judy" *perform* & wait. '
                  "(Edit: and dread.)", at(6)),
    MessageDeleted(DEE.id, THREAD, at(7)),
    ReactionAdded(ANA.id, THREAD, 2, "👍", at(8)),
    ReactionAdded(ANA.id, THREAD, 3, "⬆️", at(8)),
    ReactionAdded(ANA.id, THREAD, 5, "🎬", at(8)),
    ReactionAdded(BEN.id, THREAD, 1, "👎", at(9)),
    ReactionAdded(EVE.id, THREAD, 1, "👍", at(9)),
    ReactionRemoved(EVE.id, THREAD, 1, "👍", at(10)),
]


async def build(store: Store) -> None:
    """Fill ``store`` with the discussion."""
    await store.add_prompt(PROMPT)
    for event in EVENTS:
        store.submit(event)
    await store.flush()
