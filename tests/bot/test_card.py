"""The prompt card fits Discord's limits on any input; forum tags match article tags."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.card import (
    DESCRIPTION_LIMIT,
    FIELD_VALUE_LIMIT,
    TITLE_LIMIT,
    TOTAL_LIMIT,
    card_size,
    fit,
    forum_tags,
    link,
    prompt_card,
    thread_name,
)
from bot.models import Article

odd_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=7000)
words = st.lists(st.sampled_from(["film", "a", "Vertigo", "—", "𝔉𝔦𝔩𝔪", "\n", "x" * 300]),
                 max_size=1500).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(title=st.one_of(odd_text, words), excerpt=st.one_of(odd_text, words),
       author=st.one_of(st.none(), odd_text), film=st.one_of(st.none(), words),
       question=st.one_of(st.none(), odd_text, words), url=st.one_of(st.none(), odd_text))
def test_every_card_fits_every_limit(title: str, excerpt: str, author: str | None,
                                     film: str | None, question: str | None,
                                     url: str | None) -> None:
    """Title ≤ 256, description ≤ 4,096, fields ≤ 1,024, all ≤ 6,000, nothing empty."""
    article = Article(slug="s", title=title, excerpt=excerpt, author=author, film=film,
                      year=1958, director=film, url=url, image=url)
    card = prompt_card(article, question)
    assert 0 < len(card["title"]) <= TITLE_LIMIT
    assert len(card.get("description", "x")) <= DESCRIPTION_LIMIT
    assert card.get("description", "x").strip()
    for field in card["fields"]:
        assert 0 < len(field["value"]) <= FIELD_VALUE_LIMIT and field["value"].strip()
    assert card_size(card) <= TOTAL_LIMIT
    assert 0 < len(thread_name(article)) <= 100
    if "url" in card:
        assert link(card["url"])


def test_long_text_is_cut_at_a_word_with_an_ellipsis() -> None:
    """A cut text ends in '…' after a whole word."""
    cut = fit("the quick brown fox jumps over the lazy dog", 20)
    assert cut == "the quick brown fox…"


def test_huge_article_fills_the_card_to_the_limit() -> None:
    """Maximal fields and excerpt: the description shrinks so the whole stays within 6,000."""
    big = "word " * 3000
    card = prompt_card(Article(slug="s", title=big, excerpt=big, author=big, film=big),
                       question=big)
    assert card_size(card) <= TOTAL_LIMIT
    assert card["description"].endswith("…") and card["title"].endswith("…")


def test_forum_tags_match_any_case_and_spacing() -> None:
    """Article tags find the forum's tags whatever their case, hyphens or accents; five at most."""
    available = ["Thriller", "Bong Joon-ho", "Class", "Hitchcock", "Noir", "Drama", "Céline"]
    wanted = ["bong-joon-ho", "class", "THRILLER", "unknown", "noir", "hitchcock", "drama",
              "celine"]
    assert forum_tags(available, wanted) == ["Bong Joon-ho", "Class", "Thriller", "Noir",
                                             "Hitchcock"]
    assert forum_tags(available, ["céline"]) == ["Céline"]
    assert forum_tags([], wanted) == []


def test_only_web_links_are_links() -> None:
    """http(s) URLs with a host are links; other schemes, spaces and overlong URLs are not."""
    assert link("https://example.org/a") == "https://example.org/a"
    for bad in ("javascript:alert(1)", "https://", "https://a b", "https://x/" + "a" * 3000, ""):
        assert link(bad) is None
