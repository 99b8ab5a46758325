"""Spoiler threads across the core (issue 18): front matter, the store, the card."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.articles import ArticleError, parse_article
from bot.card import (
    DESCRIPTION_LIMIT,
    FIELD_VALUE_LIMIT,
    TOTAL_LIMIT,
    card_size,
    prompt_card,
    thread_name,
)
from bot.models import Article, MessageCreated, Prompt, ReactionAdded
from bot.records.server_settings import GuildSettings
from bot.records.visibility import EVERY_THREAD
from bot.store import Store

T0 = datetime(2026, 11, 1, 20, 0, tzinfo=UTC)


def front_matter(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "her.md"
    path.write_text("\n".join(["---", "title: Her", *lines, "---", "", "A man and his OS.", ""]))
    return path


@pytest.mark.parametrize(("lines", "spoilers", "released"), [
    ((), None, None),
    (("spoilers: true",), True, None),
    (("spoilers: false",), False, None),
    (("released: 2026-11-20",), None, "2026-11-20"),
    (("released: '2026-11-20'",), None, "2026-11-20"),
    (("released: 2026",), None, "2026"),
    (("spoilers: yes", "released: 2013-12-18"), True, "2013-12-18"),  # YAML 1.1: yes is true
])
def test_front_matter_says_spoilers_and_release(tmp_path: Path, lines: tuple[str, ...],
                                                spoilers: bool | None,
                                                released: str | None) -> None:
    """spoilers and released land on the Article."""
    article = parse_article(front_matter(tmp_path, *lines))
    assert (article.spoilers, article.released) == (spoilers, released)


@pytest.mark.parametrize(("line", "problem"), [
    ("spoilers: maybe", "spoilers must be true or false, not a string"),
    ("spoilers: 1", "spoilers must be true or false, not an integer"),
    ("released: soon", "released must be a date like 2026-11-20, or a year, not a string"),
    ("released: [2026]", "released must be a date like 2026-11-20, or a year, not a list"),
])
def test_bad_spoiler_front_matter_is_one_line(tmp_path: Path, line: str, problem: str) -> None:
    """A wrong value names the key and what it must be, in one line."""
    with pytest.raises(ArticleError) as caught:
        parse_article(front_matter(tmp_path, line))
    assert caught.value.problem == problem


async def test_the_store_keeps_a_prompts_spoilers_and_the_setting(store: Store) -> None:
    """A spoiler prompt reads back as one (and an old-style one as not); so does the
    server's spoiler days; /top's rows say which thread they come from."""
    article = Article(slug="her", title="Her", spoilers=True, released="2026-10-30")
    await store.add_prompt(Prompt(1, 10, 5, 1, article, T0, 99, spoilers=True))
    await store.add_prompt(Prompt(2, 10, 5, 2, Article(slug="x", title="X"), T0, 99))
    one, two = await store.get_prompt(1), await store.get_prompt(2)
    assert one is not None and one.spoilers and one.article == article
    assert two is not None and not two.spoilers
    assert [p.spoilers for p in await store.list_prompts(10)] == [True, False]
    assert [o.prompt.spoilers for o in await store.prompt_overview(10)] == [True, False]

    assert (await store.get_settings(10)).spoiler_days is None
    await store.save_settings(GuildSettings(10, spoiler_days=21))
    assert (await store.get_settings(10)).spoiler_days == 21

    for thread in (1, 2):
        store.submit(MessageCreated(100 + thread, thread, 7, "Ana", f"comment {thread}", T0))
        store.submit(ReactionAdded(100 + thread, thread, 8, "👍", T0))
    await store.flush()
    top = await store.top_comments(10, visible=EVERY_THREAD)
    assert {c.thread_id: c.spoilers for c in top} == {1: True, 2: False}


def test_a_spoiler_card_hides_excerpt_and_question_within_limits() -> None:
    """Excerpt and question are spoilers, within Discord's limits whatever they hold."""
    article = Article(slug="s", title="T" * 300, excerpt=("a || b \\" * 2000),
                      questions=("Who | dies? " * 300,))
    card = prompt_card(article, spoilers=True)
    assert card["description"].startswith("||") and card["description"].endswith("||")
    assert len(card["description"]) <= DESCRIPTION_LIMIT
    question = card["fields"][-1]["value"]
    assert question.startswith("||") and question.endswith("||")
    assert len(question) <= FIELD_VALUE_LIMIT and card_size(card) <= TOTAL_LIMIT
    assert card["footer"]["text"].startswith("Spoiler thread")
    assert "||" not in prompt_card(article)["description"][:2]
    assert thread_name(article, spoilers=True).startswith("Spoilers: ")
    assert len(thread_name(article, spoilers=True)) <= 100
