"""Issue 19 in the exports: the HTML page's activity chart and the archive index's chart,
inline SVG that parses, counts right, and loads nothing under the unchanged policy."""

from __future__ import annotations

import html
import io
import re
import zipfile
from pathlib import Path

from bot.export import ExportOptions, export_thread
from bot.export.archive import export_archive
from bot.export.htmlpage import CONTENT_SECURITY_POLICY
from bot.models import Prompt
from bot.records.visibility import EVERY_THREAD, Visible
from bot.store import Store
from tests import discussion
from tests.chartcheck import (
    THREAD,
    ids_starting,
    known_thread,
    outside_references,
    points_of,
    svg_root,
)
from tests.export.conftest import EXPORTED_AT

SVG = re.compile(r"<svg\b.*?</svg>", re.S)
CSP = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">')


def policies(page: str) -> list[str]:
    return [html.unescape(found) for found in CSP.findall(page)]


def charts_in(page: str) -> list[str]:
    return SVG.findall(page)


async def html_of(store: Store, folder: Path, thread: int) -> str:
    out = folder / f"{thread}.html"
    await export_thread(store, thread, "html", out, exported_at=EXPORTED_AT,
                        options=ExportOptions())
    return out.read_text("utf-8")


async def test_thread_page_carries_its_activity_chart(filled: Store, tmp_path: Path) -> None:
    """One chart: a comment bar for the sample's one hour, a vote point for it, nothing
    outside itself, and the policy as it was (default-src 'none')."""
    page = await html_of(filled, tmp_path, discussion.THREAD)
    (svg,) = charts_in(page)
    root = svg_root(svg)
    assert ids_starting(root, "comments-") == ["comments-0"]
    assert points_of(root, "votes") == 1
    assert outside_references(root) == []
    assert root.get("role") == "img" and "4 comments and 3 votes" in root.get("aria-label", "")
    assert policies(page) == [CONTENT_SECURITY_POLICY]
    assert CONTENT_SECURITY_POLICY.startswith("default-src 'none';")
    assert "<h2>The discussion over time</h2>" in page


async def test_page_chart_counts_the_hours_of_a_known_thread(store: Store,
                                                             tmp_path: Path) -> None:
    """Comments over five hours: a bar for each of the three hours with comments, a vote
    point for each of the six hours from the post."""
    await known_thread(store)
    root = svg_root(charts_in(await html_of(store, tmp_path, THREAD))[0])
    assert sorted(ids_starting(root, "comments-")) == ["comments-0", "comments-2",
                                                       "comments-5"]
    assert points_of(root, "votes") == 6
    assert outside_references(root) == []


async def test_thread_without_comments_has_no_chart(store: Store, tmp_path: Path) -> None:
    """Nothing said yet: no chart section, no SVG."""
    await store.add_prompt(Prompt(7, 10, 20, 7, discussion.ARTICLE, discussion.T0, 99))
    page = await html_of(store, tmp_path, 7)
    assert charts_in(page) == [] and "The discussion over time" not in page


async def test_other_formats_carry_no_chart(filled: Store, tmp_path: Path) -> None:
    """Markdown, JSON, CSV and text have no picture: the chart is drawn only for HTML."""
    for fmt in ("md", "json", "csv", "txt"):
        out = tmp_path / f"x.{fmt}"
        await export_thread(filled, discussion.THREAD, fmt, out, exported_at=EXPORTED_AT)
        assert "<svg" not in out.read_text("utf-8")


async def test_archive_index_charts_the_server_and_each_prompt(filled: Store,
                                                               tmp_path: Path) -> None:
    """index.html: one chart with a bar per discussion listed (two) and weekly comments;
    a member who sees one thread gets a chart of that one only."""
    async def index(visible: Visible) -> str:
        out = tmp_path / f"a{len(visible.thread_ids or ())}.zip"
        await export_archive(filled, discussion.PROMPT.guild_id, "md", out,
                             options=ExportOptions(), exported_at=EXPORTED_AT, visible=visible)
        with zipfile.ZipFile(io.BytesIO(out.read_bytes())) as zipped:
            return zipped.read("index.html").decode("utf-8")

    page = await index(EVERY_THREAD)
    (svg,) = charts_in(page)
    root = svg_root(svg)
    assert sorted(ids_starting(root, "prompt-")) == ["prompt-1", "prompt-2"]
    assert len(ids_starting(root, "comments-")) == 2  # the samples' two weeks
    assert outside_references(root) == []
    assert policies(page) == [CONTENT_SECURITY_POLICY]
    one = svg_root(charts_in(await index(Visible.only([discussion.THREAD])))[0])
    assert ids_starting(one, "prompt-") == ["prompt-1"]
    assert len(ids_starting(one, "comments-")) == 1
