"""Drawing a chart with matplotlib (its non-interactive Agg and SVG backends).

matplotlib is imported inside :func:`render` only, so a command that draws no chart
never pays for it (about a third of a second). Figures are made with the object API
(``matplotlib.figure.Figure``), never pyplot: nothing global, no GUI, no state left
behind. The library's settings (rcParams) are global all the same, so one lock lets
a single chart be drawn at a time, whichever thread draws it.

Three themes: ``dark`` (Discord's dark theme: the picture /stats attaches), ``light``,
and ``page`` for SVG inside an HTML page: a transparent background and every text and
axis in ``currentColor``, so the chart takes the page's colours in light and dark.
"""

from __future__ import annotations

import io
import re
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from bot.charts.model import ArchiveChart, Chart, ServerChart, ThreadChart, Unit
from bot.ratings import step_label

Theme = Literal["dark", "light", "page"]
Format = Literal["png", "svg"]
THEMES: tuple[Theme, ...] = ("dark", "light", "page")


@dataclass(frozen=True, slots=True)
class Palette:
    background: str  # "none": transparent
    text: str
    grid: str
    comments: str
    busiest: str
    votes: str
    ratings: str
    prompts: str


#: Stands for ``currentColor`` while matplotlib draws (it only knows real colours).
_CURRENT = "#010203"
#: Discord's own colours: blurple, fuchsia, yellow, green read on its dark and light themes.
_MARKS = {"comments": "#5865f2", "busiest": "#eb459e", "votes": "#f0b232",
          "ratings": "#23a55a", "prompts": "#eb459e"}
PALETTES: dict[Theme, Palette] = {
    "dark": Palette("#313338", "#dbdee1", "#4e5058", **_MARKS),
    "light": Palette("#ffffff", "#313338", "#d4d7dc", **_MARKS),
    "page": Palette("none", _CURRENT, _CURRENT, **_MARKS),
}

#: (width, height) in inches, and pixels per inch for PNG. A PNG is 1080 px wide: Discord
#: shows it at about half that, where 12-point text is still 12 px. The page's SVG is
#: narrower, so on a 400 px wide phone its smallest text stays about 11 px high.
SIZES = {"png": (7.2, 4.0), "svg": (5.2, 3.4)}
DPI = 150
FONT_SIZE = 12
#: Vote markers are drawn while there are at most this many buckets (a line beyond).
MAX_MARKERS = 60
LABEL_CHARS = 28
#: The archive chart's discussions: at most this many, each a row this tall (inches).
MAX_PROMPTS = 60
PROMPT_ROW = 0.42
#: Roughly how wide a character of the labels is, in inches (DejaVu Sans at FONT_SIZE).
CHAR = 0.105

_LOCK = threading.Lock()


def render(chart: Chart, fmt: Format = "png", theme: Theme = "dark") -> bytes:
    """The chart as PNG or SVG bytes. CPU work: call it off the event loop."""
    import matplotlib  # paid only when a chart is drawn
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    palette = PALETTES[theme]
    width, height = SIZES[fmt]
    if isinstance(chart, ArchiveChart):
        height += PROMPT_ROW * min(len(chart.prompts), MAX_PROMPTS) + 1.0
    settings = {
        "font.family": ["DejaVu Sans"], "font.size": FONT_SIZE,
        "text.color": palette.text, "axes.labelcolor": palette.text,
        "axes.edgecolor": palette.text, "xtick.color": palette.text,
        "ytick.color": palette.text, "axes.titlesize": FONT_SIZE + 1,
        "axes.titlelocation": "left", "axes.spines.top": False, "axes.spines.right": False,
        "svg.fonttype": "none", "svg.hashsalt": "filmclub", "text.usetex": False,
    }
    with _LOCK, matplotlib.rc_context(settings), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a glyph DejaVu lacks (an emoji name) is a box
        figure = Figure(figsize=(width, height), dpi=DPI, facecolor=palette.background)
        FigureCanvasAgg(figure)  # the non-interactive canvas; SVG is its own printer
        if isinstance(chart, ThreadChart):
            _thread(figure, chart, palette, fmt)
        elif isinstance(chart, ServerChart):
            _server(figure, chart, palette, fmt)
        else:
            _archive(figure, chart, palette)
        out = io.BytesIO()
        meta: dict[str, Any] = ({"Software": None} if fmt == "png"
                                else {"Date": None, "Creator": None, "Format": None,
                                      "Type": None})
        figure.savefig(out, format=fmt, facecolor=palette.background, metadata=meta)
    return out.getvalue()


# -- the pictures ---------------------------------------------------------------------------
#
# Margins are set in inches from what the labels need, not by matplotlib's constrained
# layout: that one draws the figure an extra time to measure it, a third of the cost.

def _layout(figure: Any, rows: int, cols: int, *, left: float, bottom: float, top: float,
            right: float = 0.2, hgap: float = 0.5, wgap: float = 0.3,
            height_ratios: Sequence[float] | None = None,
            width_ratios: Sequence[float] | None = None) -> Any:
    """A grid whose margins and gaps are given in inches."""
    width, height = figure.get_size_inches()
    inner_w = width - left - right - wgap * (cols - 1)
    inner_h = height - top - bottom - hgap * (rows - 1)
    return figure.add_gridspec(
        rows, cols, left=left / width, right=1 - right / width, bottom=bottom / height,
        top=1 - top / height, wspace=wgap / (inner_w / cols), hspace=hgap / (inner_h / rows),
        height_ratios=height_ratios, width_ratios=width_ratios)


def _number_width(values: Sequence[int]) -> float:
    """The room (inches) left of an axis for its count labels."""
    return 0.3 + CHAR * len(str(max(values, default=0) or 1))


def _thread(figure: Any, chart: ThreadChart, palette: Palette, fmt: Format) -> None:
    rated = any(chart.ratings)
    counts = (*chart.comments, *chart.votes)
    grid = _layout(figure, 2, 2 if rated else 1, left=_number_width(counts), bottom=0.95,
                   top=0.75 if fmt == "png" else 0.35, wgap=0.7, height_ratios=(3, 2),
                   width_ratios=(5, 2) if rated else None)
    talk = figure.add_subplot(grid[0, 0])
    votes = figure.add_subplot(grid[1, 0], sharex=talk)
    if fmt == "png":
        figure.suptitle(_safe(chart.title, 70), x=0.01, ha="left",
                        fontsize=FONT_SIZE + 2, fontweight="bold", color=palette.text)
    xs = range(len(chart.starts))
    shown = [(i, n) for i, n in zip(xs, chart.comments, strict=True) if n]
    colours = [palette.busiest if chart.busiest and i == chart.busiest.index
               else palette.comments for i, _ in shown]
    bars = talk.bar([i for i, _ in shown], [n for _, n in shown], width=0.8, color=colours,
                    zorder=2)
    for (i, _), bar in zip(shown, bars, strict=True):
        bar.set_gid(f"comments-{i}")
    talk.set_title(f"Comments per {chart.unit}", color=palette.text)
    _grid(talk, palette)
    talk.set_xlim(-0.6, len(chart.starts) - 0.4)
    talk.set_ylim(0, max(chart.comments, default=0) * 1.3 or 1)
    if chart.busiest is not None:
        i = chart.busiest.index
        when = chart.busiest.hour.astimezone(chart.starts[0].tzinfo)
        day = "" if chart.unit == "hour" else f"{_day(when)}, "
        label = (f"busiest hour: {day}{when:%H:%M}, "
                 f"{chart.busiest.comments} comment{'' if chart.busiest.comments == 1 else 's'}")
        right = i > len(chart.starts) * 0.6
        talk.annotate(label, (i, chart.comments[i]), xytext=(-4 if right else 4, 6),
                      textcoords="offset points", ha="right" if right else "left",
                      fontsize=FONT_SIZE - 1, color=palette.text, gid="busiest")
    line = votes.plot(xs, chart.votes, color=palette.votes, linewidth=2, zorder=3,
                      marker="o" if len(xs) <= MAX_MARKERS else None, markersize=5)[0]
    line.set_gid("votes")
    votes.set_title(f"Votes per {chart.unit}", color=palette.text)
    votes.set_ylim(0, max(chart.votes, default=0) * 1.25 or 1)
    _grid(votes, palette)
    talk.tick_params(labelbottom=False)
    _time_axis(votes, chart.starts, chart.unit, chart.zone_name)
    if rated:
        stars = figure.add_subplot(grid[:, 1])
        steps = range(1, 11)
        bars = stars.barh([step_label(s) for s in steps], chart.ratings, color=palette.ratings,
                          zorder=2)
        for step, bar in zip(steps, bars, strict=True):
            bar.set_gid(f"rating-{step}")
        stars.set_title(f"Ratings ({sum(chart.ratings)})", color=palette.text)
        stars.set_xlabel("members")
        stars.xaxis.get_major_locator().set_params(integer=True)
        _grid(stars, palette, axis="x")


def _server(figure: Any, chart: ServerChart, palette: Palette, fmt: Format) -> None:
    labels = max((len(_safe(name, 18)) for name, _ in chart.members), default=8)
    grid = _layout(figure, 2, 2, left=_number_width(chart.comments), bottom=0.95,
                   top=0.75 if fmt == "png" else 0.35, wgap=0.45 + 0.095 * labels,
                   height_ratios=(3, 2), width_ratios=(3, 2))
    talk = figure.add_subplot(grid[0, 0])
    posted = figure.add_subplot(grid[1, 0], sharex=talk)
    if fmt == "png":
        figure.suptitle(_safe(chart.title, 70), x=0.01, ha="left", fontsize=FONT_SIZE + 2,
                        fontweight="bold", color=palette.text)
    _weeks(talk, posted, chart, palette)
    people = figure.add_subplot(grid[:, 1])
    names = [_safe(name, 18) for name, _ in chart.members][::-1]
    counts = [count for _, count in chart.members][::-1]
    bars = people.barh(range(len(names)), counts, color=palette.comments, zorder=2)
    for rank, bar in zip(range(len(names), 0, -1), bars, strict=True):
        bar.set_gid(f"member-{rank}")
    people.set_yticks(range(len(names)), names)
    people.set_title("Most active" + (" (anonymised)" if chart.anonymised else " members"),
                     color=palette.text, fontsize=FONT_SIZE, loc="right")
    people.set_ylim(len(names) - max(len(names), 4) - 0.6, len(names) - 0.4)  # from the top
    people.set_xlabel("comments")
    people.xaxis.get_major_locator().set_params(integer=True)
    _grid(people, palette, axis="x")


def _weeks(talk: Any, posted: Any, chart: ServerChart, palette: Palette) -> None:
    xs = range(len(chart.starts))
    for axes, values, colour, what in ((talk, chart.comments, palette.comments, "comments"),
                                       (posted, chart.prompts, palette.prompts, "prompts")):
        shown = [(i, n) for i, n in zip(xs, values, strict=True) if n]
        bars = axes.bar([i for i, _ in shown], [n for _, n in shown], width=0.8, color=colour,
                        zorder=2)
        for (i, _), bar in zip(shown, bars, strict=True):
            bar.set_gid(f"{what}-{i}")
        axes.set_title(f"{what.capitalize()} per week", color=palette.text)
        axes.set_ylim(0, max(values, default=0) * 1.2 or 1)
        axes.yaxis.get_major_locator().set_params(integer=True)
        _grid(axes, palette)
    talk.set_xlim(-0.6, len(chart.starts) - 0.4)
    talk.tick_params(labelbottom=False)
    _time_axis(posted, chart.starts, "week", chart.zone_name)


def _archive(figure: Any, chart: ArchiveChart, palette: Palette) -> None:
    count = min(len(chart.prompts), MAX_PROMPTS)
    grid = _layout(figure, 2, 1, left=_number_width(chart.server.comments), bottom=0.3,
                   top=0.35, hgap=1.15, height_ratios=(3.0, PROMPT_ROW * count + 0.1))
    weeks = grid[0].subgridspec(2, 1, hspace=0.45, height_ratios=(3, 2))
    talk = figure.add_subplot(weeks[0])
    posted = figure.add_subplot(weeks[1], sharex=talk)
    _weeks(talk, posted, chart.server, palette)
    each = figure.add_subplot(grid[1])
    shown = chart.prompts[:count]
    most = max((n for _, n in shown), default=0) or 1
    # Each discussion a row: its title above a thin bar, its count at the bar's end, so the
    # titles need no margin and the picture still reads on a phone.
    for row, (title, comments) in enumerate(shown):
        y = count - 1 - row
        bar = each.barh(y, comments, height=0.32, color=palette.comments, zorder=2)[0]
        bar.set_gid(f"prompt-{row + 1}")
        each.text(0, y + 0.22, _safe(title, 60), va="bottom", ha="left",
                  fontsize=FONT_SIZE - 1, color=palette.text)
        each.text(comments + most * 0.01, y, str(comments), va="center", ha="left",
                  fontsize=FONT_SIZE - 2, color=palette.text)
    each.set_ylim(-0.5, count - 0.1)
    each.set_xlim(0, most * 1.12)
    each.set_yticks([])
    each.spines["left"].set_visible(False)
    each.spines["bottom"].set_visible(False)
    each.set_xticks([])
    more = f" (the first {count} of {len(chart.prompts)})" if len(chart.prompts) > count else ""
    each.set_title(f"Comments in each discussion{more}", color=palette.text)
    each.set_facecolor("none")


# -- helpers ----------------------------------------------------------------------------------

def _grid(axes: Any, palette: Palette, axis: str = "y") -> None:
    axes.set_facecolor("none")
    axes.grid(axis=axis, color=palette.grid, alpha=0.35 if palette.grid == _CURRENT else 1,
              linewidth=0.8, zorder=0)
    axes.set_axisbelow(True)
    if axis == "y":
        axes.yaxis.get_major_locator().set_params(integer=True)


def _day(moment: datetime) -> str:
    return f"{moment:%b} {moment.day}"


def _tick_label(moment: datetime, unit: Unit, previous: datetime | None) -> str:
    if unit != "hour":
        return _day(moment) if previous is None or previous.year == moment.year \
            else f"{_day(moment)}\n{moment.year}"
    if previous is None or previous.date() != moment.date():
        return f"{moment:%H:%M}\n{_day(moment)}"
    return f"{moment:%H:%M}"


def _time_axis(axes: Any, starts: Sequence[datetime], unit: Unit, zone_name: str) -> None:
    """A few labelled ticks (as many as the axes' width takes), the date shown when it
    changes; the zone named below."""
    count = len(starts)
    inches = axes.get_position().width * axes.figure.get_figwidth()
    most = max(3, int(inches / 0.95))
    every = max(1, -(-count // most))
    if unit == "hour":
        every = next((s for s in (1, 2, 3, 4, 6, 8, 12, 24) if count / s <= most), 24)
    ticks = list(range(0, count, every))
    labels = []
    previous = None
    for i in ticks:
        labels.append(_tick_label(starts[i], unit, previous))
        previous = starts[i]
    axes.set_xticks(ticks, labels)
    what = {"hour": "hour", "day": "day", "week": "week starting"}[unit]
    axes.set_xlabel(f"{what} ({zone_name})", fontsize=FONT_SIZE - 1)


def _safe(text: str, limit: int = LABEL_CHARS) -> str:
    """A label as plain text: shortened, one line, and no $ for mathtext to parse."""
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[:limit - 1].rstrip() + "…"
    return flat.replace("$", r"\$")


# -- SVG for a page -----------------------------------------------------------------------

_PROLOGUE = re.compile(r"\A.*?(?=<svg\b)", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)
_STYLE_ELEMENT = re.compile(r"<style\b.*?</style>\s*", re.S)
_CLIP_PATHS = re.compile(r"<clipPath\b.*?</clipPath>\s*", re.S)
_CLIPPED = re.compile(r'\sclip-path="[^"]*"')
_STYLE = re.compile(r'\sstyle="([^"]*)"')
_SIZE = re.compile(r'\s(?:width|height)="[^"]*"')
_FONT = re.compile(r"'DejaVu Sans'|DejaVu Sans")
_PROPERTY = re.compile(r"[a-z-]+")


def _attributes(match: re.Match[str]) -> str:
    """``style="fill: red; stroke: blue"`` as ``fill="red" stroke="blue"``: presentation
    attributes, which are no CSS (the page allows one style sheet and no style attribute)."""
    out = []
    for declaration in match.group(1).split(";"):
        name, _, value = declaration.partition(":")
        name, value = name.strip(), value.strip()
        if _PROPERTY.fullmatch(name) and value:
            out.append(f' {name}="{value}"')
    return "".join(out)


def inline_svg(svg: bytes, label: str) -> str:
    """matplotlib's SVG made fit to sit inside an HTML page with a strict policy.

    The XML prologue, DOCTYPE, metadata and fixed size go (the page's CSS sizes it from
    the viewBox); styles become presentation attributes (no <style>, no style=); clip
    paths go (every mark lies inside its axes); currentColor stands for the text colour;
    the font falls back on the reader's sans-serif; it is announced as an image named
    ``label``. What is left refers to nothing outside itself (markers are #ids within).
    """
    text = _PROLOGUE.sub("", svg.decode("utf-8"), count=1)
    for pattern in (_METADATA, _STYLE_ELEMENT, _CLIP_PATHS, _CLIPPED):
        text = pattern.sub("", text)
    text = _STYLE.sub(_attributes, text.replace(_CURRENT, "currentColor"))
    head, rest = text.split(">", 1)
    head = _SIZE.sub("", head)
    escaped = (label.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
               .replace('"', "&quot;"))
    head += (f' role="img" aria-label="{escaped}" class="chart" focusable="false"'
             ' stroke-linejoin="round" stroke-linecap="butt"')
    text = f"{head}>\n<title>{escaped}</title>{rest}"
    return _FONT.sub("DejaVu Sans, Verdana, system-ui, sans-serif", text).strip()
