"""Closing questions and clean excerpts, on realistic articles of different shapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.articles import parse_article
from bot.extract import extract_page
from bot.models import Article
from bot.questions import closing_questions, is_call_to_action

LIBRARY = Path(__file__).parents[1] / "library"


def article(name: str) -> Article:
    path = LIBRARY / name
    if path.suffix == ".html":
        return extract_page(path.read_bytes(), name=str(path))
    return parse_article(path)


def test_page_ending_in_questions_and_a_call_to_action() -> None:
    """A review ending 'What did you think…? What questions…? Let us know…' asks both, in order."""
    assert article("aftersun-review.html").questions == (
        "What did you think of the film?", "What questions did it raise for you?")


def test_scraped_text_drops_the_comment_request_and_widgets() -> None:
    """Closing questions come before a 'tell us in the comments' line and widget debris."""
    assert article("scraped-burning.txt").questions == (
        "Did Ben do what Jong-su believes he did?",
        "Or is the ending Jong-su's novel, the one he could never start?",
    )


def test_call_to_action_only_gives_no_question() -> None:
    """An article that only asks readers to share and comment has no closing question."""
    assert article("cta-only-parasite.md").questions == ()


def test_questions_in_the_middle_are_not_closing_questions() -> None:
    """A rhetorical question early on does not count when the article ends on a statement."""
    assert article("no-questions-stalker.md").questions == ()


def test_a_closing_list_of_discussion_questions_is_kept_in_order() -> None:
    """A 'Questions for discussion' list at the end gives each question, in order."""
    assert article("questions-list-portrait.md").questions == (
        "Why does Marianne's first portrait fail?",
        "What does the story of Orpheus mean to each of the women?",
        "Is the last shot a happy ending?",
    )


def test_front_matter_question_wins_over_the_body() -> None:
    """The sample articles' own front-matter questions are kept, not the body's."""
    sample = parse_article(Path(__file__).parents[2] / "data/articles/vertigo-the-second-fall.md")
    assert sample.questions[0].startswith("Hitchcock tells us the truth about Judy")


@pytest.mark.parametrize(("body", "expected"), [
    ("It is a film. Is it good? Yes.", ()),
    ("It is a film.\n\nIs it good? What about the ending?",
     ("Is it good?", "What about the ending?")),
    ("First part.\n\nWhy?\n\nHow?", ("Why?", "How?")),
    ("So: *is* Scottie a victim?** Tell us what you think!", ("So: *is* Scottie a victim?**",)),
    ("What do you think? Did you enjoy this review? Subscribe!", ("What do you think?",)),
    ('"Why are you here?" she asks him.', ()),
    ("", ()),
])
def test_closing_questions_table(body: str, expected: tuple[str, ...]) -> None:
    """Closing questions of small bodies: trailing runs only, calls to action dropped."""
    assert closing_questions(body) == expected


def test_at_most_four_closing_questions_are_kept() -> None:
    """A run of many questions keeps the last four, in order."""
    body = " ".join(f"Question number {n}?" for n in range(1, 8))
    assert closing_questions(body) == tuple(f"Question number {n}?" for n in range(4, 8))


@pytest.mark.parametrize("sentence", [
    "Let us know in the comments below.",
    "Share your thoughts with us!",
    "Subscribe to our newsletter for more.",
    "Did you enjoy this article?",
    "Share this:",
])
def test_calls_to_action_are_recognised(sentence: str) -> None:
    """Requests to comment, share or subscribe are calls to action."""
    assert is_call_to_action(sentence)


@pytest.mark.parametrize("sentence", [
    "What did you think of the film?",
    "Is the ending happy?",
    "Who tells the story?",
])
def test_real_questions_are_not_calls_to_action(sentence: str) -> None:
    """Questions about the film are kept."""
    assert not is_call_to_action(sentence)


# ---------------------------------------------------------------------------
# Excerpts
# ---------------------------------------------------------------------------


def test_scraped_excerpt_loses_the_glued_caption() -> None:
    """'…Photograph: CGV ArthouseLee Chang-dong's…' starts at 'Lee Chang-dong's'."""
    excerpt = article("scraped-burning.txt").excerpt
    assert excerpt.startswith("Lee Chang-dong's Burning begins as a love triangle")
    assert "Photograph" not in excerpt and "via" not in excerpt


def test_page_excerpt_skips_byline_and_caption() -> None:
    """The page's excerpt is its first paragraph of prose, not the byline or the caption."""
    excerpt = article("aftersun-review.html").excerpt
    assert excerpt.startswith("Charlotte Wells's debut feature is a holiday film")
    assert excerpt.endswith("at eleven.")


@pytest.mark.parametrize("name", sorted(p.name for p in LIBRARY.iterdir()))
def test_every_test_article_has_a_clean_excerpt(name: str) -> None:
    """Each realistic article's excerpt is prose: ends a sentence, no widget text, fits 600."""
    excerpt = article(name).excerpt
    assert 100 < len(excerpt) <= 600
    assert excerpt.rstrip("”\"'").endswith((".", "?", "!"))
    for debris in ("Share this", "[via", "Like this", "Photograph:", "Loading"):
        assert debris not in excerpt


@pytest.mark.parametrize(("body", "expected"), [
    ('The film ends on Samantha\'s line: "What is it like to be alive in that room?"', ()),
    ('But is it, as the poster says, "the film of the year?"',
     ('But is it, as the poster says, "the film of the year?"',)),
    ('"Why are you here?" she asks him. Nobody answers.', ()),
    ("Tell us in the comments: did the ending work for you?",
     ("Did the ending work for you?",)),
    ("Some questions for your group: Why does Marianne paint? Who looks at whom?",
     ("Why does Marianne paint?", "Who looks at whom?")),
    ("Something to chew on:\n\n- Why does he stay?\n- Is she lying?\n\nLet us know below!",
     ("Why does he stay?", "Is she lying?")),
    ("Our favourites:\n\n- Heat, for the coffee scene.\n- Collateral, for the coyotes?", ()),
    ("> Who is watching her, if not us?", ()),
    ("Is it love? Tell us below.\n\nRelated: Is Her the best film about loneliness?",
     ("Is it love?",)),
])
def test_closing_questions_read_where_the_prose_ends(body: str,
                                                     expected: tuple[str, ...]) -> None:
    """Quoted questions, lead-ins, question lists and what follows the prose, in small bodies."""
    assert closing_questions(body) == expected
