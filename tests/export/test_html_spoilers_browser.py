"""Spoilers in the HTML export, as a reader sees them in Chromium (issue 18).

Each spoiler is a dark box before anything is clicked (its pixels, not its markup, are
checked), shows its text once clicked or reached with Tab, and a hidden link is not
followed by the click that reveals it. All with the page's CSP (no script) in force.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.export import export_thread
from bot.models import Attachment
from bot.store import Store
from tests import discussion
from tests.chromium import CHROMIUM, Browser, Picture, browser
from tests.export.conftest import EXPORTED_AT

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="Chromium is not installed at /usr/bin/chromium")

BLACK = (0, 0, 0)
ARTICLE = replace(discussion.ARTICLE, excerpt="Scottie loses Judy twice, the second time "
                                              "at the top of the bell tower.")
PROMPT = replace(discussion.PROMPT, article=ARTICLE, spoilers=True)
SAYS = [
    discussion.say(1, 1, "Ana", "Still shaken. ||She falls from the tower 💔|| and he "
                                "just stands there."),
    discussion.say(2, 2, "Ben", "Read this first: ||[the ending explained]"
                                "(https://filmclub.example/vertigo-ending)||", ),
    discussion.say(3, 3, "Cy", "The last shot.", attachments=(
        Attachment(discussion.sf(3) + 1, "SPOILER_last-shot.png",
                   "https://cdn.example/SPOILER_last-shot.png", 4096),)),
]


async def spoiler_page(store: Store, folder: Path) -> Path:
    await store.add_prompt(PROMPT)
    for event in SAYS:
        store.submit(event)
    await store.flush()
    out = folder / "vertigo.html"
    await export_thread(store, discussion.THREAD, "html", out, exported_at=EXPORTED_AT,
                        guild_name="Film Club", parent_name="film-talk")
    return out


def hidden(picture: Picture) -> bool:
    """A spoiler's box is hidden when (nearly) all of it is one dark colour."""
    return picture.share(BLACK) >= 0.97


def readable(picture: Picture) -> bool:
    """Shown: mostly not dark, and with the several colours glyphs are drawn in."""
    return picture.share(BLACK) < 0.5 and len(picture.colours()) >= 3


async def spoiler_state(page: Browser, index: int) -> Picture:
    return await page.picture((await page.box(".spoiler", index)).inset(2))


async def test_every_spoiler_is_dark_until_clicked(store: Store, tmp_path: Path) -> None:
    """Before any click each spoiler box (excerpt, question, comments, attachment) is dark;
    ordinary text next to it is drawn."""
    page_file = await spoiler_page(store, tmp_path)
    async with browser(tmp_path / "profile") as page:
        await page.open(page_file)
        count = await page.evaluate("document.querySelectorAll('.spoiler').length")
        assert count == 5  # excerpt, question, two comment spoilers, one attachment
        for index in range(count):
            assert hidden(await spoiler_state(page, index)), f"spoiler #{index} is visible"
        plain = await page.picture(await page.box(".spoiler-thread"))
        assert readable(plain)
        print(f"{count} spoilers dark before a click")


async def test_a_click_shows_a_spoiler_and_only_that_one(store: Store, tmp_path: Path) -> None:
    """Clicking a comment's spoiler focuses it and draws its text; the others stay dark."""
    page_file = await spoiler_page(store, tmp_path)
    async with browser(tmp_path / "profile") as page:
        await page.open(page_file)
        target = 2  # Ana's: the first comment spoiler
        box = await page.box(".spoiler", target)
        await page.click(*box.centre)
        assert await page.evaluate(
            "document.activeElement === document.querySelectorAll('.spoiler')[2]")
        assert readable(await spoiler_state(page, target))
        for other in (0, 1, 3, 4):
            assert hidden(await spoiler_state(page, other))


async def test_the_click_on_a_hidden_link_reveals_it_and_does_not_follow_it(
        store: Store, tmp_path: Path) -> None:
    """A link inside a spoiler takes no click while hidden: the page stays, the link shows."""
    page_file = await spoiler_page(store, tmp_path)
    async with browser(tmp_path / "profile") as page:
        await page.open(page_file)
        box = await page.box(".spoiler", 3)
        await page.click(*box.centre)
        assert await page.evaluate("location.href") == page_file.as_uri()
        assert readable(await spoiler_state(page, 3))


async def test_the_keyboard_reaches_and_shows_a_spoiler(store: Store, tmp_path: Path) -> None:
    """Tab moves focus onto spoilers in turn, and the focused one is drawn."""
    page_file = await spoiler_page(store, tmp_path)
    async with browser(tmp_path / "profile") as page:
        await page.open(page_file)
        for _ in range(12):  # the article link, then the spoilers in order
            await page.press_tab()
            if await page.evaluate("document.activeElement.classList.contains('spoiler')"):
                break
        else:
            pytest.fail("Tab never reached a spoiler")
        index = await page.evaluate(
            "[...document.querySelectorAll('.spoiler')].indexOf(document.activeElement)")
        assert readable(await spoiler_state(page, index))
