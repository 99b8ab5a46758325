"""Reading charts back the way a viewer would: the PNG's pixels, the SVG's elements.

Shared by the unit, export, CLI and end-to-end tests of issue 19.
"""

from __future__ import annotations

import io
import random
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from PIL import Image

from bot.charts.draw import PALETTES
from bot.models import MessageCreated, Prompt, ReactionAdded
from bot.store import Store
from tests import discussion

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

T0 = datetime(2026, 11, 2, 18, 20, tzinfo=UTC)
THREAD = 1_500_000_000_000_000_000
GUILD = 10


def sf(minutes: float) -> int:
    ms = int((T0 + timedelta(minutes=minutes)).timestamp() * 1000) - 1_420_070_400_000
    return ms << 22


#: A known thread: comments in hours 0 (three), 2 and 5 after the post, votes in 1 and 5.
COMMENTS = [(5, 1), (20, 2), (30, 3), (130, 1), (310, 4)]
VOTES = [(0, 2, 70), (1, 3, 75), (3, 1, 305)]  # (comment index, voter, minutes)


async def known_thread(store: Store) -> None:
    """Store the known thread: three comment bars (hours 0, 2, 5), six hourly vote points."""
    await store.add_prompt(Prompt(THREAD, GUILD, 20, THREAD, discussion.ARTICLE, T0, 99))
    ids = []
    for minutes, author in COMMENTS:
        ids.append(sf(minutes))
        store.submit(MessageCreated(sf(minutes), THREAD, author, f"M{author}", "text",
                                    T0 + timedelta(minutes=minutes)))
    for index, voter, minutes in VOTES:
        store.submit(ReactionAdded(ids[index], THREAD, voter, "👍",
                                   T0 + timedelta(minutes=minutes)))
    await store.flush()


LIVELY_THREAD = 1_500_000_000_000_000_777
LIVELY_COMMENTS = 160
LIVELY_NAMES = ("Ana", "Ben", "Cy", "Dee", "Eve", "Finn", "Gus", "Hal", "Ivy")


async def lively_thread(store: Store) -> None:
    """A livelier thread for pictures: 160 comments over a day and a half, busiest on the
    first evening, votes trailing the comments, nine ratings (always the same ones)."""
    rng = random.Random(19)
    posted = datetime(2026, 11, 6, 17, 5, tzinfo=UTC)
    await store.add_prompt(Prompt(LIVELY_THREAD, GUILD, 20, LIVELY_THREAD, discussion.ARTICLE,
                                  posted, 99))
    ids = []
    for n in range(LIVELY_COMMENTS):
        minutes = (rng.gauss(210, 80) if n < 110 else rng.uniform(900, 2100))
        at = posted + timedelta(minutes=max(2.0, minutes), seconds=n)
        ms = int(at.timestamp() * 1000) - 1_420_070_400_000
        ids.append((ms << 22, at))
        store.submit(MessageCreated(ms << 22, LIVELY_THREAD, 1 + n % 9,
                                    LIVELY_NAMES[n % 9], "text", at))
    for n, (comment, at) in enumerate(ids[::2]):
        for voter in range(rng.randint(0, 3)):
            store.submit(ReactionAdded(comment, LIVELY_THREAD, 20 + voter + n % 5, "👍",
                                       at + timedelta(minutes=rng.uniform(5, 240))))
    for user, half in enumerate((8, 9, 9, 10, 7, 8, 9, 6, 9), start=1):
        await store.rate(LIVELY_THREAD, user, half, at=posted + timedelta(days=1))
    await store.flush()


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def png_image(data: bytes) -> Image.Image:
    """The PNG decoded (it must be one)."""
    assert data.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.convert("RGB")


def distinct_colours(image: Image.Image) -> int:
    """How many colours the picture uses (a blank one uses one)."""
    return len(image.getcolors(maxcolors=1 << 20) or ())


def bar_count(image: Image.Image, *colours: str, top_fraction: float = 1.0) -> int:
    """The most bars of ``colours`` any one pixel row crosses (runs of 3+ pixels), in the top
    ``top_fraction`` of the picture: bars stand on one baseline, so a row just above it
    crosses every one."""
    wanted = {_rgb(c) for c in colours}
    width, height = image.size
    pixels = image.load()
    best = 0
    for y in range(int(height * top_fraction)):
        runs, length = 0, 0
        for x in range(width):
            if pixels[x, y] in wanted:
                length += 1
            else:
                runs += length >= 3
                length = 0
        runs += length >= 3
        best = max(best, runs)
    return best


def comment_colours() -> tuple[str, str]:
    palette = PALETTES["dark"]
    return palette.comments, palette.busiest


def svg_root(text: str | bytes) -> ET.Element:
    """The SVG parsed as XML (it must be well-formed, with an <svg> root)."""
    root = ET.fromstring(text)  # noqa: S314 - our own output, in a test
    assert root.tag == f"{SVG}svg"
    return root


def ids_starting(root: ET.Element, prefix: str) -> list[str]:
    return [e.get("id", "") for e in root.iter() if e.get("id", "").startswith(prefix)]


def points_of(root: ET.Element, gid: str) -> int:
    """The markers drawn in the group ``gid`` (matplotlib draws each as a <use>)."""
    group = next(e for e in root.iter(f"{SVG}g") if e.get("id") == gid)
    return sum(1 for _ in group.iter(f"{SVG}use"))


def outside_references(root: ET.Element) -> list[str]:
    """Every link, source or url() in the SVG that is not a #fragment within it."""
    found = []
    for element in root.iter():
        for name, value in element.attrib.items():
            if name in ("href", f"{XLINK}href", "src") and not value.startswith("#"):
                found.append(value)
            if "url(" in value and "url(#" not in value:
                found.append(value)
        if element.tag in (f"{SVG}script", f"{SVG}foreignObject", f"{SVG}image"):
            found.append(element.tag)
    return found


#: What the chart looks like in the page: its box, the smallest text's height, whether
#: its text is drawn in the page's colour, and whether the page scrolls sideways.
MEASURE_CHART = """(() => {
  const svg = document.querySelector('figure.chart svg');
  if (!svg) return null;
  const box = svg.getBoundingClientRect();
  const texts = [...svg.querySelectorAll('text')].map(t => t.getBoundingClientRect())
    .filter(r => r.width > 0);
  const first = svg.querySelector('text');
  return {
    left: box.left, right: box.right, width: box.width, height: box.height,
    texts: texts.length,
    smallest_text: Math.min(...texts.map(r => r.height)),
    text_colour: first ? getComputedStyle(first).fill : null,
    page_colour: getComputedStyle(document.body).color,
    background: getComputedStyle(document.body).backgroundColor,
    overflow: document.documentElement.scrollWidth > window.innerWidth,
    viewport: window.innerWidth,
  };
})()"""
