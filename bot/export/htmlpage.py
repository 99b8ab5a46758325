"""HTML: one standalone page that reads like a film blog's comment section.

The page works offline and runs nothing: styles are inline, there is no script, no
web font and no remote image (attachments are links), and a Content-Security-Policy
meta forbids scripts and every load but inline styles and data: images. The activity
chart (issue 19) is inline SVG drawn by matplotlib: elements in the page, no script and
no reference outside itself, in the page's text colour. Replies are
nested lists under the comment they answer; light and dark follow the reader's system,
and it reads on a phone and prints cleanly.

It is rendered with Jinja2 (autoescape on) as the comments stream from the store: the
template is three macros, the page's head, one comment and the page's foot, and each
comment is rendered and written as it arrives, so no more than one batch of comments
(the store's) is ever in memory. Member text goes through
:mod:`bot.export.markup_html`, which escapes everything and adds only its own markup.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import TextIO

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from bot.card import film_field
from bot.charts.draw import inline_svg, render
from bot.charts.model import ThreadChart
from bot.export.base import (
    ExportContext,
    Exporter,
    MemberNames,
    ReplyNote,
    emoji_label,
    format_score,
    format_size,
    format_time,
    selection_summary,
    tally_reactions,
)
from bot.export.markdown import discussion_summary, place_line
from bot.export.markup_html import HtmlRenderer, text_with_spoilers
from bot.export.markup_parser import is_web_url
from bot.films import FilmRecord
from bot.models import Comment
from bot.ratings import HALF_STARS, step_label, summary_of
from bot.spoilers import is_spoiler_file

#: Scripts, frames, fonts, remote images and every other load are refused.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)


@functools.cache
def environment() -> Environment:
    """The Jinja2 environment for the page: templates from the package, autoescape on."""
    return Environment(
        loader=PackageLoader("bot.export", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@dataclass(frozen=True, slots=True)
class PageMacros:
    """The template's three macros, called from Python; each returns escaped Markup."""

    head: Callable[[dict[str, object]], str]
    comment: Callable[[CommentView], str]
    foot: Callable[[dict[str, object], TreeState], str]


@functools.cache
def page_macros() -> PageMacros:
    module = environment().get_template(HtmlExporter.template).module
    return PageMacros(*(getattr(module, name) for name in ("head", "comment", "foot")))


@dataclass(frozen=True, slots=True)
class Moment:
    """A time as the page shows it: machine-readable and in the reader's zone."""

    iso: str
    label: str

    @classmethod
    def of(cls, value: datetime, zone: tzinfo, *, since: datetime | None = None) -> Moment:
        """``since`` shortens the label to the time of day when both fall on one day."""
        local = value.astimezone(zone)
        label = format_time(value, zone)
        if since is not None and since.astimezone(zone).date() == local.date():
            label = f"{local:%H:%M}"
        return cls(local.isoformat(), label)


@dataclass(frozen=True, slots=True)
class AttachmentView:
    filename: str
    address: str
    link: str | None  # the address when it is http(s); any other is shown, never linked
    size: str
    spoiler: bool = False  # Discord shows it as a spoiler (SPOILER_ name): hidden here too


@dataclass(frozen=True, slots=True)
class RevisionView:
    written: Moment
    replaced: Moment
    body: Markup


@dataclass(slots=True)
class CommentView:
    """What the template needs for one comment, and where it sits in the tree."""

    anchor: str
    first: bool  # the first comment: nothing to close before it
    nest: bool  # opens a list of replies inside the comment before it
    close_levels: int  # reply lists to close before it (when it does not nest)
    deleted: bool
    show_text: bool
    author: str
    created: Moment
    edited: Moment | None
    deleted_time: Moment | None
    score: str
    score_class: str
    body: Markup
    reply_to: ReplyNote | None = None  # what it answered, when that is not on the page
    reply_excerpt: Markup | None = None  # its words, their spoilers hidden
    revisions: list[RevisionView] = field(default_factory=list)
    attachments: list[AttachmentView] = field(default_factory=list)
    reactions: list[tuple[str, int]] = field(default_factory=list)


@dataclass(slots=True)
class TreeState:
    """How deep the open reply lists are, and how many comments were written."""

    depth: int = 0
    written: int = 0


class HtmlExporter(Exporter):
    name = "html"
    extension = "html"
    media_type = "text/html"
    label = "Web page"
    template = "thread.html.j2"
    shows_chart = True

    async def write(self, context: ExportContext, comments: AsyncIterator[Comment],
                    out: TextIO) -> int:
        page = page_macros()
        tree = TreeState()
        facts = page_view(context)
        out.write(page.head(facts))
        async for view in self.views(context, comments, tree):
            out.write(page.comment(view))
        out.write(page.foot(facts, tree))
        return tree.written

    @classmethod
    def comment_anchor(cls, comment_id: int) -> str:
        """Each comment's ``id`` on the page: the archive's index links to it."""
        return f"comment-{comment_id}"

    @staticmethod
    async def views(context: ExportContext, comments: AsyncIterator[Comment],
                    tree: TreeState) -> AsyncIterator[CommentView]:
        """One view per comment, tracking the nesting as the comments stream by."""
        names = MemberNames(context.members)
        renderer = HtmlRenderer(names.get, context.timezone)
        async for comment in comments:
            names.learn(comment)
            # Reading order puts a reply right after its parent or its parent's earlier
            # replies, so depth grows by at most one; anything deeper is shown one level in.
            depth = min(comment.depth, tree.depth + 1) if tree.written else 0
            view = comment_view(comment, context, renderer)
            view.first = not tree.written
            view.nest = bool(tree.written) and depth > tree.depth
            view.close_levels = max(tree.depth - depth, 0)
            tree.depth = depth
            tree.written += 1
            yield view


def comment_view(comment: Comment, context: ExportContext,
                 renderer: HtmlRenderer) -> CommentView:
    """The view of one comment; its place in the tree is filled in by the caller."""
    zone = context.timezone
    options = context.options
    show_text = not comment.deleted or options.include_deleted
    view = CommentView(
        anchor=HtmlExporter.comment_anchor(comment.id),
        first=False, nest=False, close_levels=0,
        deleted=comment.deleted,
        show_text=show_text,
        author=comment.author_name or "unknown member",
        created=Moment.of(comment.created_at, zone),
        edited=(Moment.of(comment.edited_at, zone, since=comment.created_at)
                if comment.edited_at else None),
        deleted_time=Moment.of(comment.deleted_at, zone) if comment.deleted_at else None,
        score=format_score(comment.score),
        score_class="up" if comment.score > 0 else "down" if comment.score < 0 else "zero",
        body=renderer.render(comment.content) if show_text else Markup(""),
        reply_to=context.reply_notes.pop(comment.id, None),
    )
    if view.reply_to is not None and view.reply_to.excerpt:
        view.reply_excerpt = text_with_spoilers(view.reply_to.excerpt, cut=True)
    if not show_text:
        return view
    if options.include_revisions:
        view.revisions = [
            RevisionView(Moment.of(r.written_at, zone), Moment.of(r.replaced_at, zone),
                         renderer.render(r.content))
            for r in comment.revisions
        ]
    view.attachments = [
        AttachmentView(a.filename, a.url, a.url if is_web_url(a.url) else None,
                       format_size(a.size), is_spoiler_file(a.filename))
        for a in comment.attachments
    ]
    view.reactions = [(emoji_label(t.emoji), t.count)
                      for t in tally_reactions(comment, votes=False)]
    return view


def page_view(context: ExportContext) -> dict[str, object]:
    """What the page shows above and below the comments."""
    article = context.prompt.article
    zone = context.timezone
    spoilers = context.prompt.spoilers  # a spoiler thread: its excerpt and question hidden
    return {
        "title": article.title,
        "spoilers": spoilers,
        "csp": CONTENT_SECURITY_POLICY,
        "place": place_line(context),
        "film_line": film_field(article, context.film),
        "film": film_facts(context.film),
        "author": article.author,
        "posted": Moment.of(context.prompt.posted_at, zone),
        "excerpt": [text_with_spoilers(p, hide_all=spoilers)
                    for p in article.excerpt.split("\n\n") if p.strip()],
        "article_url": article.url,
        "article_link": article.url if article.url and is_web_url(article.url) else None,
        "questions": [text_with_spoilers(q, hide_all=spoilers) for q in article.questions],
        "summary": discussion_summary(context.counts, context.options.include_deleted),
        "selection": selection_summary(context),
        "exported": Moment.of(context.exported_at, zone),
        "zone": getattr(zone, "key", None) or str(zone),
        "chosen_by": context.chosen_by,
        "rating": summary_of(context.ratings).line() if context.ratings else None,
        "rating_steps": _all_steps(context.ratings) if context.ratings else [],
        "rating_most": max(Counter(context.ratings).values(), default=0),
        "chart": chart_view(context.chart),
    }


def chart_view(chart: ThreadChart | None) -> dict[str, object] | None:
    """The activity chart as inline SVG and its caption (None: no chart, or nothing yet).

    Drawn here, in the export's worker thread: ``write`` runs off the event loop."""
    if chart is None or not (chart.total_comments or chart.total_votes):
        return None
    label = f"Activity chart: {chart.describe()}"
    svg = inline_svg(render(chart, "svg", "page"), label)
    per = {"hour": "hour by hour", "day": "day by day", "week": "week by week"}[chart.unit]
    caption = (f"Comments and votes {per} from the post, as /stats counts them (hidden and "
               "deleted comments and votes on one's own comments left out)")
    if chart.busiest is not None:
        caption += "; the busiest hour's bar is in pink"
    # matplotlib escapes every text it writes into the SVG, and inline_svg its label.
    return {"svg": Markup(svg),  # noqa: S704
            "caption": f"{caption}. Times in {chart.zone_name}."}


def film_facts(film: FilmRecord | None) -> dict[str, object] | None:
    """The film record's facts under the film line (issue 18): original title, release date,
    genres, and links to it (the poster as a link: the page loads nothing from outside)."""
    if film is None:
        return None
    links = film.links()
    if film.poster_url and is_web_url(film.poster_url):
        links.append(("Poster", film.poster_url))
    facts = [f"original title {film.original_title}"] if film.original_title else []
    if film.release_date:
        facts.append(f"released {film.release_date.isoformat()}")
    if film.genres:
        facts.append(", ".join(film.genres))
    return {"facts": " · ".join(facts), "links": links} if facts or links else None


def _all_steps(ratings: tuple[int, ...]) -> list[tuple[str, int]]:
    """Every step from 5 stars down to ½ with how many gave it (the distribution table)."""
    counts = Counter(ratings)
    return [(step_label(step), counts.get(step, 0)) for step in reversed(HALF_STARS)]
