"""Issue 19's charts in the core: bucketing, the store's hours, and the pictures read back."""

from __future__ import annotations

import os
from datetime import UTC, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.charts import draw, inline_svg, render, stats_chart
from bot.charts.model import choose_unit, server_chart, thread_chart
from bot.records.visibility import EVERY_THREAD, Visible
from bot.store import Store
from tests import discussion
from tests.chartcheck import (
    GUILD,
    LIVELY_THREAD,
    T0,
    THREAD,
    bar_count,
    comment_colours,
    distinct_colours,
    ids_starting,
    known_thread,
    lively_thread,
    outside_references,
    png_image,
    points_of,
    svg_root,
)

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(("span", "unit"), [
    (timedelta(hours=5), "hour"), (timedelta(hours=72), "hour"),
    (timedelta(hours=73), "day"), (timedelta(days=120), "day"), (timedelta(days=121), "week"),
])
def test_unit_fits_the_span(span: timedelta, unit: str) -> None:
    """Hours while a discussion is three days young, days up to 120, weeks beyond."""
    assert choose_unit(span) == unit


def test_thread_chart_buckets_hours_from_the_post() -> None:
    """Hour buckets start at the post's hour; counts land in their hour; busiest marked."""
    hours = {T0.replace(minute=0) + timedelta(hours=h): n for h, n in ((0, 3), (2, 1), (5, 1))}
    chart = thread_chart("t", T0, hours, {T0.replace(minute=0) + timedelta(hours=1): 2}, [],
                         PARIS, "Europe/Paris")
    assert chart.unit == "hour" and len(chart.starts) == 6
    assert chart.comments == (3, 0, 1, 0, 0, 1) and chart.votes == (0, 2, 0, 0, 0, 0)
    assert chart.starts[0].hour == 19  # 18:00 UTC is 19:00 in Paris
    assert chart.busiest is not None and chart.busiest.index == 0 and chart.busiest.comments == 3


def test_long_thread_goes_by_local_days() -> None:
    """A discussion of ten days: one bucket per Paris day, every comment counted once."""
    hours = {T0 + timedelta(days=d, hours=3): d + 1 for d in range(10)}
    chart = thread_chart("t", T0, hours, {}, [8, 9, 9], PARIS, "Europe/Paris")
    assert chart.unit == "day" and len(chart.starts) == 10
    assert sum(chart.comments) == sum(hours.values())
    assert chart.ratings[8] == 2 and sum(chart.ratings) == 3


def test_server_chart_anonymises_members_by_rank() -> None:
    """With the setting, members are Member 1, 2... in rank order; at most eight shown."""
    members = [(f"Name {i}", 20 - i) for i in range(12)]
    now = T0 + timedelta(days=20)
    chart = server_chart("s", [T0], {T0: 4}, members, anonymised=True, zone=UTC,
                         zone_name="UTC", now=now)
    assert [label for label, _ in chart.members] == [f"Member {i}" for i in range(1, 9)]
    assert [n for _, n in chart.members] == [20 - i for i in range(8)]
    named = server_chart("s", [T0], {T0: 4}, members, anonymised=False, zone=UTC,
                         zone_name="UTC", now=now)
    assert named.members[0] == ("Name 0", 20)
    # weeks of Monday 2, 9 and 16 November
    assert sum(chart.prompts) == 1 and sum(chart.comments) == 4 and len(chart.starts) == 3


async def test_store_counts_what_stats_counts(store: Store) -> None:
    """Per hour: the sample's comments that count (not the deleted one), and its votes that
    count (the removed one and the emoji that is no vote left out)."""
    await discussion.build(store)
    hours = await store.activity_hours(thread_id=discussion.THREAD, visible=EVERY_THREAD)
    assert hours.comments == {discussion.T0: 4}
    assert hours.votes == {discussion.T0: 3}
    hidden = await store.activity_hours(thread_id=discussion.THREAD, visible=Visible.only([]))
    assert hidden.comments == {} and hidden.votes == {}


async def test_png_of_a_known_thread_has_its_bars(store: Store) -> None:
    """The PNG decodes to 1080×600, is not blank, and shows one bar per hour with comments
    (three), the busiest in its own colour."""
    await known_thread(store)
    chart = await stats_chart(store, GUILD, visible=EVERY_THREAD, now=T0, thread_id=THREAD,
                              subject="Vertigo")
    png = await draw(chart, "png", "dark")
    image = png_image(png)
    assert image.size == (1080, 600)
    assert distinct_colours(image) > 50
    blurple, fuchsia = comment_colours()
    assert bar_count(image, blurple, fuchsia, top_fraction=0.55) == 3
    assert bar_count(image, fuchsia, top_fraction=0.55) == 1


async def test_svg_of_a_known_thread_parses_with_its_bars_and_points(store: Store) -> None:
    """The SVG is XML with three comment bars, one vote point per hour (six) and nothing
    outside itself."""
    await known_thread(store)
    chart = await stats_chart(store, GUILD, visible=EVERY_THREAD, now=T0, thread_id=THREAD)
    root = svg_root(render(chart, "svg", "light"))
    assert sorted(ids_starting(root, "comments-")) == ["comments-0", "comments-2",
                                                       "comments-5"]
    assert points_of(root, "votes") == 6
    assert outside_references(root) == []


async def test_chart_leaves_out_threads_the_member_cannot_see(store: Store) -> None:
    """A member who cannot see the thread gets an empty server chart: no bar, no name."""
    await known_thread(store)
    chart = await stats_chart(store, GUILD, visible=Visible.only([]), now=T0)
    assert sum(chart.comments) == 0 and chart.members == ()
    seen = await stats_chart(store, GUILD, visible=Visible.only([THREAD]), now=T0)
    assert sum(seen.comments) == 5 and seen.members[0] == ("M1", 2)


async def test_server_setting_anonymises_the_chart(store: Store) -> None:
    """Once the server turns it on, the chart names nobody; the setting is stored."""
    await known_thread(store)
    assert (await store.get_settings(GUILD)).anonymise_members is False
    await store.save_settings((await store.get_settings(GUILD)).changes(
        anonymise_members=True, updated_at=T0, updated_by=99))
    chart = await stats_chart(store, GUILD, visible=EVERY_THREAD, now=T0)
    assert (await store.get_settings(GUILD)).anonymise_members is True
    assert [label for label, _ in chart.members] == ["Member 1", "Member 2", "Member 3",
                                                     "Member 4"]
    svg = render(chart, "svg", "page").decode()
    assert "M1" not in svg.replace("M1 ", "") and "Member 1" in svg


def test_inline_svg_fits_a_page() -> None:
    """No prologue or fixed size, a title for screen readers, currentColor for the text."""
    chart = thread_chart("A <b> & title", T0, {T0: 2}, {T0: 1}, [], UTC, "UTC")
    text = inline_svg(render(chart, "svg", "page"), 'Chart of "x" & <y>')
    root = svg_root(text)
    assert text.startswith("<svg") and root.get("width") is None
    assert root.get("role") == "img" and root.get("aria-label") == 'Chart of "x" & <y>'
    assert "currentColor" in text and "#010203" not in text
    assert outside_references(root) == []


def test_labels_with_dollars_are_text_not_maths() -> None:
    """A '$' in a member's name is drawn as itself (matplotlib would parse it as maths)."""
    chart = server_chart("s", [T0], {T0: 2}, [("$5 Sam $", 2)], anonymised=False, zone=UTC,
                         zone_name="UTC", now=T0)
    assert b"$5 Sam $" in render(chart, "svg", "light")


async def test_png_of_a_lively_thread_has_a_bar_per_busy_hour(store: Store) -> None:
    """160 comments over 36 hours: one bar per hour with comments, read off the pixels; the
    picture /stats attaches goes to docs/stats-chart.png (UPDATE_GOLDEN=1, or none yet)."""
    await lively_thread(store)
    chart = await stats_chart(store, GUILD, visible=EVERY_THREAD, now=T0,
                              thread_id=LIVELY_THREAD, subject="Vertigo and the second fall")
    hours = await store.activity_hours(thread_id=LIVELY_THREAD, visible=EVERY_THREAD)
    assert chart.unit == "hour" and sum(chart.comments) == 160 and any(chart.ratings)
    png = await draw(chart, "png", "dark")
    image = png_image(png)
    assert bar_count(image, *comment_colours(), top_fraction=0.55) == len(hours.comments)
    keep = Path(__file__).parents[2] / "docs" / "stats-chart.png"
    if os.environ.get("UPDATE_GOLDEN") or not keep.exists():
        keep.write_bytes(png)
