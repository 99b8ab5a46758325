"""Pages of embeds stay within Discord's limits whatever members wrote."""

from __future__ import annotations

from cogs.support.ui import one_line, pages_of


def test_pages_hold_ten_lines_each_with_page_numbers() -> None:
    """25 lines make 3 pages of 10, 10 and 5, numbered in the footer."""
    pages = pages_of("Top", [f"{n}. line" for n in range(1, 26)], footer="rules")
    assert [len(p.description.splitlines()) for p in pages] == [10, 10, 5]
    assert [p.footer.text for p in pages] == [f"rules · Page {n}/3" for n in (1, 2, 3)]


def test_pages_fit_the_embed_limits() -> None:
    """Very long lines are cut, and no page passes 4096 characters or 6000 in all."""
    pages = pages_of("T" * 300, ["x" * 5000] * 30, intro="i" * 2000, footer="f" * 3000)
    for page in pages:
        assert len(page.title) <= 256 and len(page.description) <= 4096
        assert len(page) <= 6000


def test_empty_list_says_so() -> None:
    """No lines: one page that says there is nothing yet."""
    (page,) = pages_of("Top", [])
    assert page.description == "*Nothing yet.*"


def test_one_line_flattens_and_escapes() -> None:
    """Member text becomes one escaped line, cut at a word."""
    assert one_line("**bold**\nnext line") == "\\*\\*bold\\*\\* next line"
    assert one_line("") == "*(no text)*"
    assert len(one_line("word " * 100, 40)) <= 40
