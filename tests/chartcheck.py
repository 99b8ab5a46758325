"""Reading charts back the way a viewer would: the PNG's pixels, the SVG's elements.

Shared by the unit, export, CLI and end-to-end tests of issue 19.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

from PIL import Image

from bot.charts.draw import PALETTES

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


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
