"""Markdown: the discussion as a page, replies as nested quotes under what they answer.

Options: ``include_deleted`` puts a deleted comment's text back, with "deleted <time>"
in its line of facts; ``include_revisions`` lists a comment's earlier texts, each with
when it was written and replaced, under the current one. Without options the output
is the reviewed default (tests/golden/discussion.md).

Each comment starts with a heading (``### Name · time · score``), which member text
can never produce, so no author line can be forged. Member text is rendered from
Discord's markdown into CommonMark that shows that text and nothing else
(``bot.export.markup_commonmark``): Discord's bold, italics, code, quotes and http(s) links
keep their form, everything else is escaped text, and no line a member writes can
open a block of its own (a heading, a fence, HTML, a list, a rule) or leave the
comment's. Names, article fields and file names are escaped text too; only http(s)
addresses are linked. Nothing carries terminal control sequences, and bidi runs are
closed within the name or line they open in (``bot.export.safetext``).
"""

from __future__ import annotations

from bot.card import film_field
from bot.export.base import (
    BlockExporter,
    ExportContext,
    emoji_label,
    format_score,
    format_size,
    format_time,
    selection_summary,
    tally_reactions,
)
from bot.export.markup_commonmark import (
    CommonMarkRenderer,
    escape_text,
    heading_text,
    inline_text,
    link_destination,
)
from bot.export.markup_parser import is_web_url
from bot.export.safetext import terminal_safe
from bot.models import Attachment, Comment
from bot.ratings import summary_of
from bot.spoilers import SPOILER_THREAD_NOTE, is_spoiler_file
from bot.store.base import ThreadCounts


class MarkdownExporter(BlockExporter):
    name = "md"
    extension = "md"
    media_type = "text/markdown"
    label = "Markdown"

    none_yet = "*No comments yet.*\n"
    none_selected = "*No comments in this selection.*\n"

    @staticmethod
    def header(context: ExportContext) -> str:
        article = context.prompt.article
        lines = [f"# {heading_text(article.title)}", ""]
        if context.prompt.spoilers:  # issue 18
            lines += [f"**{SPOILER_THREAD_NOTE}**", ""]
        if article.excerpt:  # Markdown from the library or a feed: rendered like a comment
            lines += [*(f"> {line}" if line else ">" for line in _RENDER.render(article.excerpt)),
                      ""]
        facts = []
        film_line = film_field(article, context.film)  # issue 18: the film record's facts
        if film_line:
            facts.append(f"**Film:** {inline_text(film_line)}")
        if article.author:
            facts.append(f"**Written by:** {inline_text(article.author)}")
        if article.url:
            shown = (link_destination(article.url) if is_web_url(article.url)
                     else inline_text(article.url))
            facts.append(f"**Article:** {shown}")
        if place := place_line(context):
            facts.append(f"**Discussed in:** {inline_text(place)}")
        facts.append(f"**Posted:** {format_time(context.prompt.posted_at, context.timezone)}")
        if context.chosen_by:
            facts.append(f"**Chosen by:** {inline_text(context.chosen_by)}")
        if context.ratings:
            facts.append(f"**Rating:** {summary_of(context.ratings).line()}")
        lines += ["  \n".join(facts), ""]
        if article.questions:
            lines += ["## The question", "",
                      *(f"**{inline_text(q)}**" for q in article.questions), ""]
        summary = discussion_summary(context.counts, context.options.include_deleted)
        lines += ["---", "", f"## Discussion ({summary})", ""]
        if selection := selection_summary(context):
            lines += [f"*Selection: {escape_text(selection)}.*", ""]
        return "\n".join(lines) + "\n"

    @staticmethod
    def comment(comment: Comment, context: ExportContext) -> str:
        zone = context.timezone
        options = context.options
        if comment.deleted and not options.include_deleted:
            assert comment.deleted_at is not None  # noqa: S101 - narrowed by .deleted
            lines = [f"### *comment deleted {format_time(comment.deleted_at, zone)}*"]
        else:
            meta = [heading_text(comment.author_name) or "\\?",
                    format_time(comment.created_at, zone)]
            if comment.edited_at is not None:
                meta.append(f"edited {format_time(comment.edited_at, zone)}")
            if comment.deleted_at is not None:
                meta.append(f"*deleted {format_time(comment.deleted_at, zone)}*")
            meta.append(format_score(comment.score))
            lines = ["### " + " · ".join(meta)]
            if note := context.reply_notes.pop(comment.id, None):
                lines += ["", f"↪ *In reply to {inline_text(note.label)}*"]
            if comment.content:
                lines += ["", *_RENDER.render(comment.content)]
            if options.include_revisions and comment.revisions:
                lines += ["", "Earlier versions:", ""]
                for revision in comment.revisions:
                    lines.append(f"- *{format_time(revision.written_at, zone)}, replaced "
                                 f"{format_time(revision.replaced_at, zone)}*  ")
                    text = _RENDER.render(revision.content) if revision.content \
                        else ["*(no text)*"]
                    lines += [f"  {line}" if line else "" for line in text]
            if comment.attachments:
                lines.append("")
                lines += [_attachment(a) for a in comment.attachments]
            others = [f"{escape_text(terminal_safe(emoji_label(t.emoji)))} {t.count}"
                      for t in tally_reactions(comment, votes=False)]
            if others:
                lines += ["", "Reactions: " + " ".join(others)]
        # Replies are quoted once per level: the quote markers go in front of every line,
        # blank ones too, so nothing inside can leave the quote. A blank line ends it.
        prefix = "> " * comment.depth
        return "\n".join(f"{prefix}{line}" if line else prefix.rstrip() for line in lines) + "\n\n"


_RENDER = CommonMarkRenderer()


def _attachment(attachment: Attachment) -> str:
    """A link to an attachment; an address that is not http(s) is shown, never linked."""
    size = format_size(attachment.size)
    name = escape_text(terminal_safe(" ".join(attachment.filename.split())))
    if is_web_url(attachment.url):
        shown = f"[{name or 'file'}]({link_destination(attachment.url)}) ({size})"
    else:
        shown = f"{name} ({size}) {escape_text(terminal_safe(attachment.url))}"
    if is_spoiler_file(attachment.filename):  # in Discord's marks, as comments' spoilers are
        return f"📎 \\|\\|{shown}\\|\\| (a spoiler)"
    return f"📎 {shown}"


def discussion_summary(counts: ThreadCounts, include_deleted: bool = False) -> str:
    """What the file holds, counted as everywhere else (ThreadCounts): '4 comments,
    4 participants, 1 comment deleted', or, showing deleted comments' text, '5 comments,
    1 of them deleted, 5 participants'."""
    comments = f"{counts.comments} comment{'' if counts.comments == 1 else 's'}"
    people = f"{counts.participants} participant{'' if counts.participants == 1 else 's'}"
    if not counts.deleted:
        return f"{comments}, {people}"
    if include_deleted:
        which = "it" if counts.comments == 1 else "them"
        return f"{comments}, {counts.deleted} of {which} deleted, {people}"
    gone = f"{counts.deleted} comment{'' if counts.deleted == 1 else 's'}"
    return f"{comments}, {people}, {gone} deleted"


def place_line(context: ExportContext) -> str:
    """'Film Club › #films › Vertigo, again': where the discussion took place, as far as
    it is known."""
    parts = [part for part in (context.guild_name,
                               f"#{context.parent_name}" if context.parent_name else None,
                               context.thread_name) if part]
    return " › ".join(parts)

