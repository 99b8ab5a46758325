"""Reading prose: debris lines, glued captions, sentences and blocks."""

from __future__ import annotations

import pytest

from bot.prose import (
    blocks,
    clean_text,
    cut_at_sentence,
    excerpt,
    is_debris,
    sentences,
    unglue_caption,
)


@pytest.mark.parametrize("line", [
    "[via IndieWire]", "(via Letterboxd)", "[Via: Variety]", "Share this:", "Share on Facebook",
    "Click to share on X (Opens in new window)", "Like this:", "Like Loading...", "Loading...",
    "Related", "3 Comments", "Leave a Reply", "Leave a comment", "Advertisement", "Tweet",
    "Read more", "Continue reading →", "Tags: hitchcock, noir", "Posted in Reviews",
])
def test_debris_lines(line: str) -> None:
    """Widget text and '[via …]' credits are debris."""
    assert is_debris(line)


@pytest.mark.parametrize("line", [
    "Share the popcorn, he said, and they did.",
    "Related to Hitchcock by marriage, she never spoke of him.",
    "Comments from the director were rare.",
    "It was released via Netflix in 2019.",
])
def test_prose_is_not_debris(line: str) -> None:
    """Sentences that start like a widget but go on are prose."""
    assert not is_debris(line)


@pytest.mark.parametrize(("text", "expected"), [
    ("Paul Mescal in Aftersun. Photograph: A24Charlotte Wells's debut is…",
     "Charlotte Wells's debut is…"),
    ("Burning (2018)Lee Chang-dong's film begins…", "Lee Chang-dong's film begins…"),
    ("vertigo-still.jpgScottie follows Madeleine…", "Scottie follows Madeleine…"),
    ("![a still](still.jpg)The film opens on a rooftop.", "The film opens on a rooftop."),
    ("Steve McQueen's Hunger is a hard watch.", "Steve McQueen's Hunger is a hard watch."),
    ("DiCaprio and MacGuffins: a study.", "DiCaprio and MacGuffins: a study."),
])
def test_unglue_caption(text: str, expected: str) -> None:
    """A caption or image name glued to the first word goes; names like McQueen stay."""
    assert unglue_caption(text) == expected


def test_sentences_respect_initials_and_abbreviations() -> None:
    """'dir. J. Smith' does not end a sentence; '?' and '!' do."""
    assert sentences("A film, dir. J. Smith, ran long. Why? Because!") == [
        "A film, dir. J. Smith, ran long.", "Why?", "Because!"]


def test_blocks_split_list_items_and_drop_headings() -> None:
    """Headings go, each list item is its own block, quotes are marked."""
    found = blocks("# Title\n\nIntro text.\n\n- one\n- two\n\n> quoted")
    assert [(b.kind, b.text) for b in found] == [
        ("paragraph", "Intro text."), ("item", "one"), ("item", "two"), ("quote", "> quoted")]


def test_excerpt_skips_short_lines_and_captions() -> None:
    """A byline, a caption without a full stop and 'Spoilers ahead.' are not the excerpt."""
    body = ("By Ana Lee · 3 May 2024\n\nKim Novak in Vertigo (Paramount)\n\nSpoilers ahead.\n\n"
            "The film is about looking, and about being looked at.")
    assert excerpt(body) == "The film is about looking, and about being looked at."


def test_cut_at_sentence_keeps_whole_sentences() -> None:
    """A long text is cut after the last sentence that fits."""
    assert cut_at_sentence("One two. Three four five. Six.", 20) == "One two."


def test_clean_text_makes_paragraphs_without_debris() -> None:
    """Extracted lines become blank-line paragraphs; widget lines vanish."""
    assert clean_text("First.\nShare this:\n\nSecond.\n") == "First.\n\nSecond."
