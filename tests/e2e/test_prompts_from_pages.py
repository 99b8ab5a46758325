"""Prompts from real articles, end to end: the issue's *Her* page and text, posted by the bot.

The page is served on 127.0.0.1 and added with ``filmclub articles add URL`` (in this
process, with the test server's fetch policy); the same
article saved as a ``.txt`` sits in the library folder. Both are posted with
``/prompt post`` through the emulator, and ``filmclub articles show`` prints what was
posted.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e.harness import World
from tests.e2e.prompting import (
    Clock,
    answer,
    command,
    filmclub,
    filmclub_here,
    library,
    prompts_in,
    start,
)
from tests.webserver import WebServer

CORPUS = Path(__file__).parents[1] / "corpus" / "articles"
HER_PAGE = CORPUS / "pages" / "her-documentary.html"
HER_TEXT = CORPUS / "endings" / "her-documentary.txt"
QUESTION = ("What did you think of the discussion in the documentary? What questions arose "
            "when you saw the film?")

pytestmark = pytest.mark.usefixtures("stop_prompt_bots")


def fields(message: dict) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message["embeds"][0]["fields"]}


def shown(out: str) -> dict[str, str]:
    """``articles show``'s 'label: value' lines as a mapping."""
    return dict(line.split(": ", 1) for line in out.splitlines()[1:] if ": " in line)


async def test_the_her_page_and_text_ask_their_closing_questions(
        world: World, tmp_path: Path, web_server: WebServer) -> None:
    """/prompt post of the Her page and .txt: both ask the two questions, no glued caption."""
    world.articles = library(tmp_path)
    shutil.copy(HER_TEXT, world.articles / HER_TEXT.name)
    url = web_server.serve("2014/01/her-documentary.html", HER_PAGE.read_bytes())
    # In this process: only the test web server's policy lets the fetcher reach 127.0.0.1.
    status, out, err = await filmclub_here(world, "articles", "add", url,
                                           policy=web_server.policy)
    assert status == 0, err
    page_slug = out.split("'")[1]

    runner = await start(world, Clock())
    for slug in (page_slug, "her-documentary"):
        posted = await command(world, "prompt post", {"article": slug})
        assert answer(posted).startswith("Posted **New documentary gathers artists")
    page, text = prompts_in(world, world.channel.id)
    for message in (page, text):
        embed = message["embeds"][0]
        assert fields(message)["The question"] == QUESTION
        assert embed["description"].startswith("One of the most glorious things that can "
                                               "happen to a filmmaker")
        assert "HerOne" not in embed["description"] and "Link:" not in embed["description"]
    assert page["embeds"][0]["url"] == ("https://projector-room.example/2014/01/"
                                        "her-documentary-artists.html")
    assert "url" not in text["embeds"][0]
    assert await runner.stop() == 0

    for slug, message in ((page_slug, page), ("her-documentary", text)):
        status, out, err = await filmclub(world, "articles", "show", slug)
        assert status == 0, err
        lines = shown(out)
        assert lines["question"] == fields(message)["The question"]
        assert lines["excerpt"] == message["embeds"][0]["description"]
        assert lines["title"] == message["embeds"][0]["title"]
        assert lines["question from"] == "the article's closing questions"
