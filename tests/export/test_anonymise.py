"""Anonymised exports: "Member N" in order of first appearance, everywhere in every format."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.export import ExportOptions, export_thread
from bot.export.anonymise import Pseudonyms
from bot.models import (
    Comment,
    MessageCreated,
    MessageEdited,
    Prompt,
    ReactionAdded,
    ReactionRecord,
    Revision,
)
from bot.store import Store
from tests import discussion, hostile
from tests.discussion import at, sf
from tests.export.conftest import EXPORTED_AT, FORMATS

T = datetime(2026, 11, 1, tzinfo=UTC)
ANONYMOUS = ExportOptions(anonymise=True, include_deleted=True, include_revisions=True)


def comment(author: int, content: str, *, reactions: tuple[int, ...] = (),
            revisions: tuple[str, ...] = ()) -> Comment:
    return Comment(
        id=author * 100, thread_id=1, author_id=author, author_name=f"Name {author}",
        content=content, created_at=T,
        reactions=[ReactionRecord(user, "👍", T, 1) for user in reactions],
        revisions=[Revision(text, T, T) for text in revisions])


def test_members_are_numbered_in_order_of_first_appearance() -> None:
    """Author first, then the members they mention, then those who reacted."""
    names = Pseudonyms()
    first = names.comment(comment(7, "hi <@9> and <@!8>", reactions=(5,)))
    second = names.comment(comment(8, "back to <@7>"))
    assert (first.author_id, first.author_name) == (1, "Member 1")
    assert first.content == "hi <@2> and <@3>"
    assert [r.user_id for r in first.reactions] == [4]
    assert (second.author_id, second.author_name, second.content) == (3, "Member 3", "back to <@1>")


def test_earlier_texts_are_anonymised_too() -> None:
    """Mentions in revisions get the same numbers as in the current text."""
    names = Pseudonyms()
    done = names.comment(comment(7, "now <@9>", revisions=("before <@9> and <@6>",)))
    assert [r.content for r in done.revisions] == ["before <@2> and <@3>"]


def test_the_original_comment_is_left_alone() -> None:
    """Anonymising returns a copy: the store's comment keeps its names."""
    original = comment(7, "hi <@9>", reactions=(5,))
    Pseudonyms().comment(original)
    assert (original.author_id, original.author_name, original.content) == (7, "Name 7", "hi <@9>")
    assert original.reactions[0].user_id == 5


def test_pseudonyms_name_numbers_like_a_mapping() -> None:
    """As a mapping, N gives "Member N" for the numbers handed out, and nothing else."""
    names = Pseudonyms()
    names.number(42)
    names.number(43)
    assert dict(names) == {1: "Member 1", 2: "Member 2"}
    assert names.get(3) is None and names.get(42) is None


THREAD = 1_439_000_000_000_000_000
PEOPLE = {1_200_000_000_000_000_001 + n: name
          for n, name in enumerate(("Zelda Quux", "Yorick Plom", "Xena Vrob"))}


@pytest.fixture
async def named(store: Store) -> Store:
    """A thread whose members have long ids and names that no text repeats."""
    (zelda, yorick, xena) = PEOPLE
    await store.add_prompt(Prompt(THREAD, 10, 20, THREAD, discussion.ARTICLE, T, zelda))
    first = MessageCreated(sf(1), THREAD, zelda, PEOPLE[zelda], f"ask <@{xena}>", at(1))
    events = [
        first,
        MessageCreated(sf(2), THREAD, yorick, PEOPLE[yorick], "a reply", at(2), first.id),
        MessageEdited(sf(2), THREAD, f"a reply to <@!{zelda}>", at(3)),
        ReactionAdded(first.id, THREAD, xena, "👍", at(4)),
        ReactionAdded(first.id, THREAD, yorick, "🎬", at(4)),
    ]
    for event in events:
        store.submit(event)
    await store.flush()
    return store


@pytest.mark.parametrize("fmt", FORMATS)
async def test_no_name_or_user_id_reaches_the_file(named: Store, tmp_path: Path,
                                                   fmt: str) -> None:
    """In every format, no member's name or user id is left (the poster's neither)."""
    out = tmp_path / f"anon.{fmt}"
    await export_thread(named, THREAD, fmt, out, options=ANONYMOUS, exported_at=EXPORTED_AT,
                        members=PEOPLE)
    text = out.read_text(encoding="utf-8")
    for user_id, name in PEOPLE.items():
        assert str(user_id) not in text and name not in text
    assert "Member 1" in text


async def test_mentions_name_members_in_the_html_page(filled: Store, tmp_path: Path) -> None:
    """A mention of a member shows as "@Member N" in the page, never as their name."""
    out = tmp_path / "hostile.html"
    await export_thread(filled, hostile.THREAD, "html", out, options=ANONYMOUS,
                        exported_at=EXPORTED_AT)
    page = out.read_text(encoding="utf-8")
    assert "@Member " in page and "@unknown member" not in page


async def test_json_has_no_poster_and_only_numbered_users(filled: Store, tmp_path: Path) -> None:
    """JSON: postedBy is dropped; every user id in messages is a small number."""
    out = tmp_path / "hostile.json"
    await export_thread(filled, hostile.THREAD, "json", out, options=ANONYMOUS,
                        exported_at=EXPORTED_AT)
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["filmclub"]["prompt"]["postedBy"] is None
    assert document["filmclub"]["options"]["anonymised"] is True
    ids = set()
    for message in document["messages"]:
        ids.add(message["author"]["id"])
        ids.update(u["id"] for r in message["reactions"] for u in r["users"])
        ids.update(u["id"] for u in message["mentions"])
        ids.update(v["userId"] for v in message["filmclub"]["votes"])
    assert ids and all(len(i) <= 2 for i in ids)
