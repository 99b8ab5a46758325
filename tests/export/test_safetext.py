"""Text for terminals: control sequences dropped whole, bidi runs closed on their line."""

from __future__ import annotations

import pytest

from bot.export.markup_commonmark import (
    CommonMarkRenderer,
    escape_text,
    guard_line,
    link_destination,
)
from bot.export.safetext import close_bidi, one_line, terminal_safe

SEQUENCES = [
    ("\x1b[31mred\x1b[0m", "red"),
    ("\x1b[2J\x1b[Hcleared", "cleared"),
    ("\x1b[?1049hswitch", "switch"),
    ("\x1b]0;window title\x07after", "after"),
    ("\x1b]2;title\x1b\\after", "after"),
    ("\x1b]8;;https://evil.example\x1b\\shown\x1b]8;;\x1b\\", "shown"),
    ("\x1bPdevice control\x1b\\after", "after"),
    ("\x1b7saved\x1b8", "saved"),
    ("\x1bcreset", "reset"),
    ("\x9b31mC1 CSI", "C1 CSI"),
    ("\x9d0;title\x9cafter", "after"),
    ("bell\x07 back\x08space del\x7f", "bell backspace del"),
    ("nul\x00 vt\x0b ff\x0c", "nul vt ff"),
    ("nel\x85 csi-less\x9f", "nel csi-less"),
    ("dangling escape\x1b", "dangling escape"),
    ("crlf\r\nline", "crlf\nline"),
    ("cr\rline", "cr\nline"),
    ("tab\tand\nnewline stay", "tab\tand\nnewline stay"),
    ("plain 👩🏽‍🚀 text", "plain 👩🏽‍🚀 text"),
]


@pytest.mark.parametrize(("text", "safe"), SEQUENCES, ids=[repr(t)[:30] for t, _ in SEQUENCES])
def test_control_sequences_are_removed_whole(text: str, safe: str) -> None:
    """ESC, CSI, OSC and DCS sequences go whole; lone controls go; tab and newline stay."""
    assert terminal_safe(text) == safe


BIDI = [
    ("\u202eNimda", "\u202eNimda\u202c"),
    ("\u202eNimda\u202c", "\u202eNimda\u202c"),
    ("\u2067isolate", "\u2067isolate\u2069"),
    ("\u202a\u202bdouble", "\u202a\u202bdouble\u202c\u202c"),
    ("\u2066a\u202eb", "\u2066a\u202eb\u202c\u2069"),
    ("\u2066a\u202eb\u2069c", "\u2066a\u202eb\u2069c"),  # the PDI closes the RLO inside it
    ("\u202ea\u2066b\u202c", "\u202ea\u2066b\u202c\u2069\u202c"),  # PDF cannot cross an isolate
    ("stray\u202c\u2069closers", "stray\u202c\u2069closers"),
    ("plain", "plain"),
]


@pytest.mark.parametrize(("line", "closed"), BIDI, ids=[repr(b)[:24] for b, _ in BIDI])
def test_bidi_runs_are_closed_where_they_open(line: str, closed: str) -> None:
    """Each embedding, override or isolate left open is closed at the end, innermost first."""
    assert close_bidi(line) == closed


def test_each_line_closes_its_own_runs() -> None:
    """An override on one line does not reach the next, and names become one line."""
    assert terminal_safe("\u202eone\ntwo") == "\u202eone\u202c\ntwo"
    assert one_line("Bob\n\u202eSmith\r\nJr") == "Bob \u202eSmith\u202c Jr"


@pytest.mark.parametrize(("line", "inert"), [
    ("# heading", "\\# heading"), ("> quote", "\\> quote"), ("- item", "\\- item"),
    ("+ item", "\\+ item"), ("= underline", "\\= underline"), ("| table", "\\| table"),
    ("1. item", "1\\. item"), ("12) item", "12\\) item"), ("* item", "\\* item"),
    ("***", "\\***"), ("_ _ _", "\\_ _ _"), ("```", "\\```"), ("~~~ x", "\\~~~ x"),
    ("    code", "&#32;   code"), ("\tcode", "&#9;code"), ("   ", ""),
    ("**bold**", "**bold**"), ("*em*", "*em*"), ("plain", "plain"), ("2024 was", "2024 was"),
])
def test_line_starts_are_made_inert(line: str, inert: str) -> None:
    """Whatever could open a block at a line's start is escaped; emphasis is left alone."""
    assert guard_line(line) == inert


@pytest.mark.parametrize(("text", "escaped"), [
    ("a*b_c`d[e]f<g~h|i\\j", "a\\*b\\_c\\`d\\[e\\]f\\<g\\~h\\|i\\\\j"),
    ("AT&T & co", "AT&T & co"), ("&amp; &#60; &#x3c;", "\\&amp; \\&#60; \\&#x3c;"),
    ("wow!", "wow!"), ("hi! there", "hi! there"),
])
def test_text_is_escaped_only_where_it_could_be_markup(text: str, escaped: str) -> None:
    """Punctuation that could be markup is escaped; an & only when it starts a reference."""
    assert escape_text(text) == escaped


@pytest.mark.parametrize(("text", "lines"), [
    ("**Bold** and *it* and _it_ and ~~gone~~", ["**Bold** and *it* and *it* and ~~gone~~"]),
    ("`a ` b`", ["`a ` b\\`"]),
    ("`` a`b ``", ["``  a`b  ``"]),
    ("```py\nx `` y\n```", ["```py", "x `` y", "```"]),
    ("```\n# not a heading\n<!--\n```", ["```", "# not a heading", "<!--", "```"]),
    ("> quoted\nplain", ["> quoted", "plain"]),
    ("[site](https://e.example/a?b=1) <https://x.example>",
     ["[site](<https://e.example/a?b=1>) <https://x.example>"]),
    ("[bad](javascript:alert(1))", ["\\[bad\\](javascript:alert(1))"]),
    ("** **", ["\\*\\* \\*\\*"]),
    ("||spoiler||", ["\\|\\|spoiler\\|\\|"]),
    ("look![x](https://t.example/p.png)", ["look\\![x](<https://t.example/p.png>)"]),
    ("\\![x](https://t.example/p.png)", ["\\![x](<https://t.example/p.png>)"]),
    ("a\\\\![x](https://t.example/p.png)", ["a\\\\\\![x](<https://t.example/p.png>)"]),
    ("The end!", ["The end!"]),
])
def test_discord_markdown_keeps_its_form(text: str, lines: list[str]) -> None:
    """Discord's formatting becomes CommonMark's; what would misrender is escaped text."""
    assert CommonMarkRenderer().render(text) == lines


def test_link_destinations_cannot_be_ended_early() -> None:
    """Angle brackets and backslashes in an address are percent-encoded inside <...>."""
    assert link_destination("https://e.example/a>b<c\\d") == "<https://e.example/a%3Eb%3Cc%5Cd>"
