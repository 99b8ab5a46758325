"""A throw-away export format that no module of the bot knows: it proves the registry.

Registered by a test (:func:`bot.export.formats.register`), it must show up in the CLI,
``/export`` and the server archive with no other edit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TextIO

from bot.export.base import ExportContext, Exporter
from bot.models import Comment


class ThrowawayExporter(Exporter):
    """reStructuredText-ish: the title, then one labelled line per comment."""

    name = "rst"
    extension = "rst"
    media_type = "text/x-rst"
    label = "reStructuredText"

    async def write(self, context: ExportContext, comments: AsyncIterator[Comment],
                    out: TextIO) -> int:
        title = context.prompt.article.title
        out.write(f"{title}\n{'=' * len(title)}\n\n")
        written = 0
        async for comment in comments:
            out.write(f".. _{self.comment_anchor(comment.id)}:\n\n"
                      f"{comment.author_name}: {' '.join(comment.content.split())}\n\n")
            written += 1
        return written

    @classmethod
    def comment_anchor(cls, comment_id: int) -> str:
        return f"c-{comment_id}"
