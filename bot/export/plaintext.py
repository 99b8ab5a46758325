"""Plain text: the discussion for a terminal, an email or a fixed-width printout.

A short header (title, excerpt, film, article address, the question), then every
comment as one line of facts and its text below it::

    [2026-11-01 20:01 UTC] Ana (+2, edited 20:06)
      Knowing early is the point.

      [2026-11-01 20:02 UTC] Ben (−1)
        I disagree.

The facts line is indented four spaces per level of reply, the text two more. Text is
written as it was typed: nothing is wrapped, escaped or reflowed, only the indent is
put in front of each line; but nothing reaches the reader's terminal that would drive
it (control characters and escape sequences are dropped, CR becomes a line break) and
a bidi override is closed within the name or line it opens in
(``bot.export.safetext``). A deleted comment leaves a placeholder line (its text with
include_deleted); attachments and the reactions that are not votes follow the text,
and include_revisions lists the earlier texts.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import datetime

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
from bot.export.markdown import discussion_summary, place_line
from bot.export.safetext import one_line, terminal_safe
from bot.models import Comment
from bot.ratings import summary_of
from bot.spoilers import SPOILER_THREAD_NOTE, is_spoiler_file, plain_marks


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: wide characters two, combining marks none."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in {"Mn", "Me", "Cf"}:
            continue
        width += 2 if unicodedata.east_asian_width(ch) in {"W", "F"} else 1
    return width


def _indented(lines: Iterable[str], indent: int) -> list[str]:
    pad = " " * indent
    return [pad + line if line else "" for line in lines]


def _since(value: datetime, start: datetime, context: ExportContext) -> str:
    """'20:06' when ``value`` falls on the same local day as ``start``, else the full time."""
    zone = context.timezone
    local = value.astimezone(zone)
    if local.date() == start.astimezone(zone).date():
        return f"{local:%H:%M}"
    return format_time(value, zone)


class TextExporter(BlockExporter):
    name = "txt"
    extension = "txt"
    media_type = "text/plain"
    label = "Plain text"

    none_yet = "No comments yet.\n"
    none_selected = "No comments in this selection.\n"

    @staticmethod
    def header(context: ExportContext) -> str:
        article = context.prompt.article
        title = one_line(article.title)
        lines = [title, "=" * max(display_width(title), 3), ""]
        if context.prompt.spoilers:  # issue 18
            lines += [SPOILER_THREAD_NOTE, ""]
        if article.excerpt:
            lines += [*terminal_safe(article.excerpt).split("\n"), ""]
        facts: list[tuple[str, str]] = []
        film_line = film_field(article, context.film)  # issue 18: the film record's facts
        if film_line:
            facts.append(("Film", one_line(film_line)))
        if article.author:
            facts.append(("Written by", one_line(article.author)))
        if article.url:
            facts.append(("Article", one_line(article.url)))
        facts += [("Question" if i == 0 else "", one_line(q))
                  for i, q in enumerate(article.questions)]
        if place := place_line(context):
            facts.append(("Discussed in", one_line(place)))
        facts.append(("Posted", format_time(context.prompt.posted_at, context.timezone)))
        if context.chosen_by:
            facts.append(("Chosen by", one_line(context.chosen_by)))
        if context.ratings:
            facts.append(("Rating", summary_of(context.ratings).line()))
        width = max(len(label) for label, _ in facts) + 2
        lines += [f"{label + ':' if label else '':<{width}}{value}" for label, value in facts]
        summary = discussion_summary(context.counts, context.options.include_deleted)
        lines += ["", f"Discussion: {summary}"]
        if selection := selection_summary(context):
            lines.append(f"Selection: {selection}.")
        lines += ["", ""]
        return "\n".join(lines)

    @staticmethod
    def comment(comment: Comment, context: ExportContext) -> str:
        zone = context.timezone
        options = context.options
        indent = 4 * comment.depth
        if comment.deleted and not options.include_deleted:
            assert comment.deleted_at is not None  # noqa: S101 - narrowed by .deleted
            head = f"[comment deleted {format_time(comment.deleted_at, zone)}]"
            return "\n".join(_indented([head], indent)) + "\n\n"
        facts = [format_score(comment.score)]
        if comment.edited_at is not None:
            facts.append(f"edited {_since(comment.edited_at, comment.created_at, context)}")
        if comment.deleted_at is not None:
            facts.append(f"deleted {_since(comment.deleted_at, comment.created_at, context)}")
        when = format_time(comment.created_at, zone)
        head = f"[{when}] {one_line(comment.author_name)} ({', '.join(facts)})"
        body: list[str] = []
        if note := context.reply_notes.pop(comment.id, None):
            body.append(f"↪ in reply to {one_line(plain_marks(note.label, cut=True))}")
        body += terminal_safe(plain_marks(comment.content)).split("\n") if comment.content else []
        if options.include_revisions:
            for revision in comment.revisions:
                replaced = _since(revision.replaced_at, revision.written_at, context)
                body.append(f"Earlier text, written {format_time(revision.written_at, zone)},"
                            f" replaced {replaced}:")
                body += _indented(terminal_safe(plain_marks(revision.content)).split("\n")
                                  if revision.content else ["(no text)"], 4)
        body += [f"Attachment{' (spoiler)' if is_spoiler_file(a.filename) else ''}: "
                 f"{one_line(a.filename)} ({format_size(a.size)}) {one_line(a.url)}"
                 for a in comment.attachments]
        others = [f"{one_line(emoji_label(t.emoji))} {t.count}"
                  for t in tally_reactions(comment, votes=False)]
        if others:
            body.append("Reactions: " + "  ".join(others))
        lines = _indented([head], indent) + _indented(body, indent + 2)
        return "\n".join(lines) + "\n\n"
