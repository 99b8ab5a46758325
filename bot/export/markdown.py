"""Markdown: the discussion as a page, replies as nested quotes under what they answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TextIO

from bot.export.base import (
    ExportContext,
    Exporter,
    format_score,
    format_size,
    format_time,
)
from bot.models import Comment
from bot.store.base import ThreadCounts


class MarkdownExporter(Exporter):
    name = "md"
    extension = "md"
    media_type = "text/markdown"

    async def write(self, context: ExportContext, comments: AsyncIterator[Comment],
                    out: TextIO) -> int:
        out.write(self.header(context))
        written = 0
        async for comment in comments:
            out.write(self.comment(comment, context))
            written += 1
        if not written:
            out.write("*No comments yet.*\n")
        return written

    @staticmethod
    def header(context: ExportContext) -> str:
        article = context.prompt.article
        lines = [f"# {article.title}", ""]
        if article.excerpt:
            lines += [*(f"> {line}" if line else ">" for line in article.excerpt.splitlines()), ""]
        facts = []
        if article.film_line:
            facts.append(f"**Film:** {article.film_line}")
        if article.author:
            facts.append(f"**Written by:** {article.author}")
        if article.url:
            facts.append(f"**Article:** <{article.url}>")
        facts.append(f"**Posted:** {format_time(context.prompt.posted_at, context.timezone)}")
        lines += ["  \n".join(facts), ""]
        if article.questions:
            lines += ["## The question", "", *(f"**{q}**" for q in article.questions), ""]
        lines += ["---", "", f"## Discussion ({discussion_summary(context.counts)})", ""]
        return "\n".join(lines) + "\n"

    @staticmethod
    def comment(comment: Comment, context: ExportContext) -> str:
        zone = context.timezone
        if comment.deleted:
            assert comment.deleted_at is not None  # noqa: S101 - narrowed by .deleted
            lines = [f"*[comment deleted {format_time(comment.deleted_at, zone)}]*"]
        else:
            meta = [f"**{comment.author_name}**", format_time(comment.created_at, zone)]
            if comment.edited_at is not None:
                meta.append(f"edited {format_time(comment.edited_at, zone)}")
            meta.append(format_score(comment.score))
            lines = [" · ".join(meta), "", *comment.content.split("\n")]
            if comment.attachments:
                lines.append("")
                lines += [
                    f"📎 [{a.filename}]({a.url}) ({format_size(a.size)})"
                    for a in comment.attachments
                ]
            others = _other_reactions(comment)
            if others:
                lines += ["", "Reactions: " + " ".join(others)]
        # Replies are quoted once per level. Member text keeps every character; only
        # the quote markers are added in front of its lines. A blank line ends the block.
        prefix = "> " * comment.depth
        return "\n".join(f"{prefix}{line}" if line else prefix.rstrip() for line in lines) + "\n\n"


def discussion_summary(counts: ThreadCounts) -> str:
    """'4 comments, 5 participants, 1 deleted'."""
    shown = counts.comments - counts.deleted
    parts = [f"{shown} comment{'' if shown == 1 else 's'}",
             f"{counts.participants} participant{'' if counts.participants == 1 else 's'}"]
    if counts.deleted:
        parts.append(f"{counts.deleted} deleted")
    return ", ".join(parts)


def _other_reactions(comment: Comment) -> list[str]:
    """Non-vote reactions as '🎬 2', in the order they were first used."""
    counts: dict[str, int] = {}
    for reaction in comment.reactions:
        if reaction.value == 0:
            counts[reaction.emoji] = counts.get(reaction.emoji, 0) + 1
    return [f"{emoji} {n}" for emoji, n in counts.items()]
