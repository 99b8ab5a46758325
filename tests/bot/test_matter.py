"""Recognising the matter pages put around prose: each kind, and prose that only looks like it."""

from __future__ import annotations

import pytest

from bot.matter import block_kind, is_section_break, sentence_kind


@pytest.mark.parametrize(("line", "kind"), [
    ("Link: [Exclusive Premiere] New Film Offers Artists' Reactions -- The Creators Project",
     "label"),
    ("[via Indiewire]", "credit"),
    ("(h/t @repertory_ruth)", "credit"),
    ("H/T Jane Park", "credit"),
    ("Source: Deadline", "credit"),
    ("https://www.youtube.com/watch?v=abc123", "link"),
    ("Watch the trailer: https://youtu.be/abc123", "link"),
    ("[Read our review of Past Lives](https://example.org/past-lives)", "link"),
    ("Tags: Jonathan Glazer, A24", "widget"),
    ("Filed under: Classics, Billy Wilder", "widget"),
    ("Photo: Master Mind Ltd.", "label"),
    ("(Photo by Kevin Winter/Getty Images)", "photo"),
    ("Related: The ten best heist films of the nineties", "label"),
    ("Share this:", "widget"),
    ("Like Loading...", "widget"),
    ("Director: Yorgos Lanthimos", "label"),
    ("Runtime: 141 min", "label"),
    ("★★★★☆", "availability"),
    ("Where to watch: Paterson is streaming on Prime Video.", "label"),
    ("Anatomy of a Fall is in cinemas now and available to rent on Apple TV.", "availability"),
    ("Rated R. 109 minutes. In cinemas nationwide from Friday.", "availability"),
    ("This post contains affiliate links; we may earn a small commission.", "affiliate"),
    ("Maya Chen is a film critic based in Toronto. Her writing has appeared in Sight Lines.",
     "bio"),
    ("Follow Tom on Letterboxd at @tomwatchesmonsters for more reviews.", "bio"),
    ("See you next Sunday,", "newsletter"),
    ("— Priya", "sign-off"),
    ("P.S. The podcast is back in September, with a whole episode on The Godfather.",
     "postscript"),
    ("This interview has been edited for length and clarity.", "note"),
    ("Editor's note: This review was first published during the festival.", "label"),
    ("Let us know what you think in the comments!", "call-to-action"),
    ("Watch the trailer below.", "trailer"),
    ("Read yesterday's diary here.", "link"),
    ("Thanks to our reader Camille for the tip.", "credit"),
    ("112 min", "availability"),
    ("The post Aftersun, reviewed appeared first on Reel Notes.", "note"),
    ("Posted by Dan at 9:14 PM", "byline"),
    ("By Hana Sato", "byline"),
    ("By Priya Nair · March 14, 2024 · 6 min read", "byline"),
    ("Director — Bong Joon-ho", "label"),
    ("March 12, 2024 · 5 min read", "byline"),
])
def test_matter_blocks_are_recognised(line: str, kind: str) -> None:
    """Each kind of line pages put before or after the prose is named."""
    assert block_kind(line) == kind


@pytest.mark.parametrize("line", [
    "Source material matters less to Jonze than the feeling of a city at night.",
    "Watch how the camera drifts away from Theodore in the final scene.",
    "The film opens with a wedding and ends with a funeral.",
    "Nobody in it talks about plot.",
    "Spike Jonze is a filmmaker who trusts feeling over story, and it shows.",
    "Pauline Kael was a critic who never trusted a film that asked to be loved.",
    "What did you think of the discussion in the documentary?",
    "It is available in every sense: open, generous, unguarded.",
    "Photographs of the set show how small the apartment really was, which explains a lot.",
    "Tags hang from every coat in the costume department's rail, one per extra.",
    "Share the popcorn, he said, and they did.",
    "Via the back door of a Tokyo love hotel, the film sneaks in its politics and its jokes.",
    "He is out of his depth, and the children playing in the garden know it.",
    "Thanks to a clever edit, the twist lands twice, once for each of the sisters.",
    "By the end, Jong-su has written his story the only way he can.",
    "By the end, nobody is safe.",
    "By Friday the whole town knew.",
    "Cast-iron nerves are what the heist crew needs, and what Pacino's cop has lost.",
])
def test_prose_that_looks_like_matter_is_prose(line: str) -> None:
    """Sentences that start like a label, a widget or a bio but are prose stay prose."""
    assert block_kind(line) is None


@pytest.mark.parametrize(("sentence", "kind"), [
    ("Fallen Leaves is streaming on MUBI.", "availability"),
    ("Let us know in the comments below.", "call-to-action"),
    ("Which film should we rewatch next?", "call-to-action"),
    ("Did you enjoy this review?", "call-to-action"),
    ("Happy watching!", "newsletter"),
    ("Hit reply and tell me, and I will share a few next week.", "call-to-action"),
    ("Did the ending land for you?", None),
    ("Tell us in the comments: did the final reveal make it better?", None),
])
def test_trailing_sentences(sentence: str, kind: str | None) -> None:
    """Sentences after the closing questions are matter; questions about the film are not."""
    assert sentence_kind(sentence) == kind


@pytest.mark.parametrize(("line", "starts"), [
    ("You May Also Like", True), ("4 Comments", True), ("About the author", True),
    ("More from Cannes", True), ("Leave a Reply", True), ("3 thoughts on “Her”", True),
    ("Further reading", True), ("Comments are closed.", True),
    ("More from the director: three early shorts, all on YouTube, are worth an evening.",
     False),
    ("Comments from the cast were rare.", False),
])
def test_section_breaks(line: str, starts: bool) -> None:
    """Lines that open a page's trailing sections, and prose that begins the same way."""
    assert is_section_break(line) is starts
