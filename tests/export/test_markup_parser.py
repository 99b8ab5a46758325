"""Discord's markup read once: the blocks of a message, and each construct handed over."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.export.markup_parser import Block, Emphasis, MarkupParser, blocks


@pytest.mark.parametrize(("text", "expected"), [
    ("", []),
    ("plain\ntwo lines", [("plain", "plain\ntwo lines")]),
    ("say\n```py\nx = 1\n```\nmore", [("plain", "say"), ("code", "py", "x = 1"),
                                       ("plain", "more")]),
    ("```\nbare\n```", [("code", None, "bare")]),
    ("> one\n> two\nafter", [("quote", "one\ntwo"), ("plain", "after")]),
    ("before\n>>> all\n> of\nit", [("plain", "before"), ("quote", "all\n> of\nit")]),
    (">no space", [("plain", ">no space")]),
    ("\n", [("plain", "\n")]),
])
def test_blocks_are_read_as_discord_reads_them(text: str, expected: list[Block]) -> None:
    """Code blocks take the line breaks around them; quotes group; >>> takes the rest."""
    assert list(blocks(text)) == expected


class Recorder(MarkupParser):
    """Writes each construct as [kind:what], plain text as it is."""

    def escape(self, text: str) -> str:
        return text

    def on_code(self, code: str) -> str:
        return f"[code:{code}]"

    def on_spoiler(self, inner: str) -> str:
        return f"[spoiler:{inner}]"

    def on_masked_link(self, url: str, label: str) -> str | None:
        return None if label == "no" else f"[link:{label}->{url}]"

    def on_link(self, url: str) -> str:
        return f"[url:{url}]"

    def on_mention(self, user_id: int, written: str) -> str:
        return f"[user:{user_id}]"

    def on_emoji(self, name: str, written: str) -> str:
        return f"[emoji:{name}]"

    def on_timestamp(self, moment: datetime | None, style: str, written: str) -> str | None:
        return None if moment is None else f"[time:{moment:%Y}:{style}]"

    def on_emphasis(self, kind: Emphasis, inner: str) -> str:
        return f"[{kind}:{inner}]"


@pytest.mark.parametrize(("text", "expected"), [
    ("**b** __u__ *i* _i_ ~~s~~", "[bold:b] [underline:u] [italic:i] [italic:i] [strike:s]"),
    ("||a **b**||", "[spoiler:a [bold:b]]"),
    ("`x*y*`", "[code:x*y*]"),
    ("\\*not\\*", "*not*"),
    ("snake_case_name", "snake_case_name"),
    ("[see **this**](https://e.x/a) and [no](https://e.x/b)",  # refused: read on as text
     "[link:see [bold:this]->https://e.x/a] and [no]([url:https://e.x/b])"),
    ("[https://inner.x](https://e.x/)", "[link:https://inner.x->https://e.x/]"),
    ("[bad](javascript:alert(1))", "[bad](javascript:alert(1))"),
    ("https://en.wikipedia.org/wiki/Rashomon_(film).",
     "[url:https://en.wikipedia.org/wiki/Rashomon_(film)]."),
    ("<https://e.x/a> <@!15> <:film:9> <t:1700000000:R> <t:9999999999999>",
     "[url:https://e.x/a] [user:15] [emoji:film] [time:2023:R] <t:9999999999999>"),
])
def test_each_construct_is_handed_to_the_renderer(text: str, expected: str) -> None:
    """The renderer gets what was read, inner text rendered; a refusal leaves it as text."""
    assert Recorder().inline(text) == expected
