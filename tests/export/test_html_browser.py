"""The HTML export in a real browser: headless Chromium loads it, counts it, pictures it.

Skipped only when /usr/bin/chromium is absent (the CI script installs it). Nothing is
served: the page is opened from a file, and Chromium runs with networking features
off. That the page asks for nothing remote is checked statically (tests/export/
test_html.py: no src, only member links as <a href>, no url() or @import in the CSS,
and a CSP meta that refuses every load); here the browser proves it renders.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from bot.export import ExportOptions, export_thread
from bot.store import Store
from tests import discussion, hostile
from tests.chromium import CHROMIUM, headless
from tests.export.conftest import EXPORTED_AT

SCREENSHOT = Path(__file__).parents[2] / "docs" / "export-html.png"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="Chromium is not installed at /usr/bin/chromium")


async def export_html(store: Store, folder: Path, thread: int,
                      options: ExportOptions | None = None) -> Path:
    out = folder / f"{thread}.html"
    await export_thread(store, thread, "html", out, options=options, exported_at=EXPORTED_AT,
                        guild_name="Film Club", parent_name="film-talk")
    return out


SAMPLES = {
    "discussion": (discussion.build, discussion.THREAD, 5),
    "hostile": (hostile.build, hostile.THREAD, 15),
}


@pytest.mark.parametrize("sample", SAMPLES)
async def test_browser_renders_every_comment(store: Store, tmp_path: Path, sample: str) -> None:
    """Chromium's DOM has one element per comment (one a deleted placeholder), no script."""
    build, thread, count = SAMPLES[sample]
    await build(store)
    page = await export_html(store, tmp_path, thread)
    dom = headless(tmp_path / "profile", "--dump-dom", page.as_uri()).stdout
    assert len(re.findall(r'<li class="comment( deleted)?" id="comment-\d+">', dom)) == count
    assert dom.count('<p class="placeholder">Comment deleted') == 1
    assert "<script" not in dom.lower()


async def test_browser_takes_a_screenshot(store: Store, tmp_path: Path) -> None:
    """Chromium renders the page to a PNG; UPDATE_GOLDEN=1 (or none yet) keeps it in docs/."""
    await discussion.build(store)
    page = await export_html(store, tmp_path, discussion.THREAD,
                             ExportOptions(include_revisions=True))
    png = tmp_path / "page.png"
    headless(tmp_path / "profile", "--hide-scrollbars", "--window-size=900,1160",
             f"--screenshot={png}", page.as_uri())
    assert png.read_bytes().startswith(PNG_SIGNATURE)
    if os.environ.get("UPDATE_GOLDEN") or not SCREENSHOT.exists():
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(png, SCREENSHOT)
