"""bot.spoilers: which prompts are spoiler threads, and markup no text can break out of."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from bot.models import Article
from bot.spoilers import (
    THREAD_PREFIX,
    check_released,
    has_spoiler,
    is_spoiler_file,
    is_spoiler_thread,
    plain_marks,
    prompt_spoilers,
    release_date,
    released_recently,
    segments,
    shown,
    thread_name,
    wrap,
)

NOW = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)

#: Text as members and articles write it: what wrap() must hide whole, whatever it holds.
CORPUS = [
    "She dies at the end.",
    "||Already a spoiler|| and then not",
    "a | b | c",
    "||",
    "|||||",
    "ends with a backslash \\",
    "ends with two \\\\",
    "ends with three \\\\\\",
    "escaped \\| pipe and \\|\\| two",
    "`code with || inside` after",
    "```\nblock || with pipes\n```",
    "emoji 💔🎬 and ZWJ 👨‍👩‍👧",
    "[the ending](https://example.org/a|b) explained",
    "<@123> says <#456> and <t:1700000000:R>",
    "multi\nline\n\nparagraphs || with marks ||",
    "**bold** _it_ ~~strike~~ __under__ > quote",
    "\\|\\|one_line output\\|\\| of a spoiler",
    "x" * 5000,
    "word " * 900,
    "|" * 300,
    "\\" * 301,
    "a\\|" * 200,
    "   leading and trailing spaces   ",
    "Unicode: Amélie, 千と千尋の神隠し, Ağır Roman",
    "tab\tand\r\ncarriage return",
    "the twist || revealed",
    "http://example.org/||x||",
    "||a||b||c||",
    "\\||not a mark||",
    "A title: Her (2013) — Samantha leaves.",
]
LIMITS = [None, 12, 40, 90, 300, 1024, 2000, 4096]


def unescaped_pipe(text: str) -> bool:
    """Whether ``text`` has a ``|`` that no backslash escapes (Discord would read it)."""
    return any(ch == "|" and (i - len(text[:i].rstrip("\\"))) % 2 == 0
               for i, ch in enumerate(text))


@pytest.mark.parametrize("limit", LIMITS)
def test_wrap_hides_every_corpus_text_whole(limit: int | None) -> None:
    """Each text becomes one spoiler: opened and closed, nothing bare inside, within limit."""
    checked = 0
    for text in CORPUS:
        result = wrap(text, limit)
        assert result.startswith("||") and result.endswith("||"), (text, result)
        inner = result[2:-2]
        assert not unescaped_pipe(inner), (text, result)
        assert (len(inner) - len(inner.rstrip("\\"))) % 2 == 0, (text, result)  # no \||
        if limit is not None:
            assert len(result) <= limit, (text, limit, len(result))
        assert [hidden for _, hidden in segments(result)] == [True], (text, result)
        checked += 1
    print(f"{checked} corpus texts wrapped within {limit}")
    assert checked == len(CORPUS)


def test_wrap_keeps_text_that_fits_as_it_reads() -> None:
    """Uncut, the spoiler's text reads as the original once its escapes are undone."""
    for text in CORPUS:
        result = wrap(text)
        inner, original = (re.sub(r"\\\|", "|", t) for t in (result[2:-2], text))
        assert inner in (original, original + "\\", original + " "), (text, result)


def test_wrap_cuts_at_a_word_inside_the_marks() -> None:
    """A long text is cut at a word with an ellipsis before the closing marks."""
    assert wrap("hello world and more words", 20) == "||hello world and…||"
    assert wrap("", 10) == "" and wrap("   ") == "   "


def test_shown_wraps_only_spoiler_threads() -> None:
    """Text from other threads is shown as it is."""
    assert shown("a | b", False) == "a | b"
    assert shown("a | b", True) == "||a \\| b||"


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-11-20", date(2026, 11, 20)), (date(2026, 11, 20), date(2026, 11, 20)),
    (datetime(2026, 11, 20, 9, tzinfo=UTC), date(2026, 11, 20)), ("2026", None), (2026, None),
    (None, None), ("soon", None), ("2026-13-01", None), ("20 Nov 2026", None),
])
def test_release_date_needs_a_full_date(value: object, expected: date | None) -> None:
    """A year alone is no date to count days from."""
    assert release_date(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (None, None), (date(2026, 11, 20), "2026-11-20"), ("2026-11-20", "2026-11-20"),
    (2026, "2026"), ("2026", "2026"),
])
def test_check_released_keeps_a_date_or_a_year(value: object, expected: str | None) -> None:
    """Front matter's released is stored as YYYY-MM-DD or YYYY."""
    assert check_released(value) == expected


@pytest.mark.parametrize("value", [True, "soon", 12, "2026-02-30", ["2026"]])
def test_check_released_refuses_anything_else(value: object) -> None:
    """Anything else is refused in one line."""
    with pytest.raises(ValueError, match="released must be a date"):
        check_released(value)


@pytest.mark.parametrize(("released", "days", "expected"), [
    (date(2026, 12, 1), 7, True), (date(2026, 11, 30), 7, False),
    (date(2026, 11, 30), 8, True), (date(2027, 1, 1), 7, True),
    (None, 30, False), (date(2026, 12, 1), None, False), (date(2026, 12, 1), 0, False),
])
def test_released_recently_counts_whole_days(released: date | None, days: int | None,
                                             expected: bool) -> None:
    """Fewer than N days before the prompt (or not out yet) counts as recent."""
    assert released_recently(released, NOW, days) is expected


@pytest.mark.parametrize(("asked", "front", "released", "expected"), [
    (True, False, None, True), (False, True, date(2026, 12, 6), False),
    (None, True, None, True), (None, False, date(2026, 12, 6), False),
    (None, None, date(2026, 12, 6), True), (None, None, date(2020, 1, 1), False),
    (None, None, None, False),
])
def test_the_moderator_then_the_article_then_the_setting(
        asked: bool | None, front: bool | None, released: date | None, expected: bool) -> None:
    """The moderator's choice wins, then the front matter, then the server's days."""
    assert is_spoiler_thread(asked=asked, front_matter=front, released=released,
                             spoiler_days=30, on=NOW) is expected


def test_prompt_spoilers_reads_the_articles_release() -> None:
    """The article's released date feeds the default; a bare year does not."""
    fresh = Article(slug="a", title="A", released="2026-12-01")
    yearly = Article(slug="b", title="B", released="2026")
    assert prompt_spoilers(fresh, asked=None, spoiler_days=14, on=NOW)
    assert not prompt_spoilers(yearly, asked=None, spoiler_days=14, on=NOW)


def test_thread_name_says_spoilers_within_100() -> None:
    """The prefix first; a long name is cut to fit Discord's 100 characters."""
    assert thread_name("Her") == THREAD_PREFIX + "Her"
    long = thread_name("x" * 100)
    assert long.startswith(THREAD_PREFIX) and len(long) == 100 and long.endswith("…")


@pytest.mark.parametrize(("text", "expected"), [
    ("no marks", [("no marks", False)]),
    ("a ||b|| c", [("a ", False), ("b", True), (" c", False)]),
    ("`||x||` ||y||", [("`||x||` ", False), ("y", True)]),
    ("\\||x||", [("\\||x||", False)]),
    ("||open only", [("||open only", False)]),
    ("multi ||line\nspoiler||", [("multi ", False), ("line\nspoiler", True)]),
])
def test_segments_read_marks_as_discord_does(text: str, expected: list) -> None:
    """Code and escapes hold no spoiler; an unclosed mark is text."""
    assert list(segments(text)) == expected


def test_a_cut_excerpt_hides_a_spoiler_left_open() -> None:
    """An excerpt cut inside a spoiler hides the rest of it."""
    assert list(segments("a ||b c…", cut=True)) == [("a ", False), ("b c…", True)]
    assert plain_marks("x ||y|| and ||z", cut=True) == "x [spoiler: y] and [spoiler: z]"
    assert plain_marks("x ||y|| and ||z") == "x [spoiler: y] and ||z"
    assert has_spoiler("a ||b||") and not has_spoiler("a `||b||`")


def test_spoiler_files_are_discords() -> None:
    """Discord's SPOILER_ prefix marks an attachment; other names do not."""
    assert is_spoiler_file("SPOILER_ending.png")
    assert not is_spoiler_file("ending.png") and not is_spoiler_file("spoiler_x.png")
