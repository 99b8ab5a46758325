"""Issue 19 in a real browser: the HTML export's chart under its strict policy, measured in
headless Chromium at 1200 and 400 CSS pixels wide, in light and dark, and pictured for docs/.

Skipped only when /usr/bin/chromium is absent (the CI script installs it).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bot.export import ExportOptions, export_thread
from bot.store import Store
from tests.chartcheck import (
    LIVELY_THREAD,
    MEASURE_CHART,
    distinct_colours,
    lively_thread,
    png_image,
)
from tests.chromium import CHROMIUM, browser
from tests.export.conftest import EXPORTED_AT

DOCS = Path(__file__).parents[2] / "docs"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="Chromium is not installed at /usr/bin/chromium")


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
async def test_chart_is_visible_and_readable_at_1200_and_400(store: Store, tmp_path: Path,
                                                              dark: bool) -> None:
    """The SVG shows (the policy blocks none of it), fits the window without sideways
    scrolling, its smallest text is at least 10 px high at 400 px wide, and its text takes
    the page's own colour in light and dark; screenshots go to docs/ (UPDATE_GOLDEN=1)."""
    await lively_thread(store)
    page = tmp_path / "lively.html"
    await export_thread(store, LIVELY_THREAD, "html", page, exported_at=EXPORTED_AT,
                        options=ExportOptions(), guild_name="Film Club", parent_name="films")
    async with browser(tmp_path / "profile", dark=dark) as tab:
        for width in (1200, 400):
            await tab.open(page, width)
            seen = await tab.evaluate(MEASURE_CHART)
            assert seen is not None, "no chart in the page"
            assert seen["viewport"] == width and not seen["overflow"]
            assert seen["left"] >= 0 and seen["right"] <= width
            assert seen["width"] >= (500 if width == 1200 else 320) and seen["height"] >= 200
            assert seen["texts"] >= 10 and seen["smallest_text"] >= 10, seen
            assert seen["text_colour"] == seen["page_colour"], seen
            assert (seen["background"] == "rgb(21, 20, 18)") is dark  # the page's dark theme
            shot = tmp_path / f"chart-{width}.png"
            await tab.screenshot(shot, until="section.activity")
            image = png_image(shot.read_bytes())
            assert image.size[0] == width and distinct_colours(image) > 50
            keep = DOCS / f"export-chart-{width}.png"
            if not dark and (os.environ.get("UPDATE_GOLDEN") or not keep.exists()):
                shutil.copyfile(shot, keep)
