"""Anonymised exports: every member becomes "Member 1", "Member 2"... in order of first appearance.

The comments are rewritten as they stream from the store, before any exporter sees
them, so every format is anonymised the same way and none of them needs to know:

- the author's id becomes their number N and their name "Member N";
- user mentions in the text (``<@id>``, ``<@!id>``), in the current text and in the
  earlier ones, become ``<@N>``: the HTML page shows them as "@Member N", the JSON lists
  them under ``mentions`` with id "N", Markdown and text keep the ``<@N>`` as written;
- the members who reacted or voted get their numbers too, in the formats that show who
  reacted (JSON); elsewhere only their count is shown and they get no number.

Numbers are handed out 1, 2, 3... to the people a file shows, as they first appear in
it: a comment's author, then the author of the comment it replies to when that one is
not in the file, then the members it mentions, then those who reacted. The author of
a deleted comment shown only as a placeholder is not shown, so takes no number (JSON
and CSV show it), nor does anyone mentioned only in text the file leaves out. One
:class:`Pseudonyms` can span several threads, so a server archive numbers each member
once across all its files. Memory grows with the number of members, never with the
number of comments. Role and channel mentions, attachment names and addresses are left as they are.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import replace

from bot.export.base import ReplyNote
from bot.models import Comment

_MENTION = re.compile(r"<@!?([0-9]{1,20})>")


class Pseudonyms(Mapping[int, str]):
    """Numbers for members, given in order of first appearance; as a mapping, N -> "Member N".

    The mapping side is what exporters use to name the (already renumbered) ids they
    meet in mentions and reactions, including members who have not written yet.
    """

    def __init__(self) -> None:
        self._numbers: dict[int, int] = {}

    def number(self, user_id: int) -> int:
        """The member's number, given now if they have none yet."""
        number = self._numbers.get(user_id)
        if number is None:
            number = self._numbers[user_id] = len(self._numbers) + 1
        return number

    @staticmethod
    def name(number: int) -> str:
        return f"Member {number}"

    def text(self, content: str) -> str:
        """``content`` with every user mention renumbered."""
        if "<@" not in content:
            return content
        return _MENTION.sub(lambda m: f"<@{self.number(int(m.group(1)))}>", content)

    def comment(self, comment: Comment) -> Comment:
        """An anonymised copy of ``comment``, everything in it shown (the original is
        left as it was)."""
        return self.anonymise(comment)[0]

    def anonymise(self, comment: Comment, note: ReplyNote | None = None, *,
                  include_deleted: bool = True, include_revisions: bool = True,
                  voters: bool = True, deleted_authors: bool = True,
                  ) -> tuple[Comment, ReplyNote | None]:
        """Anonymised copies of ``comment`` and of the note on what it replied to.

        Only what the file shows gets a number: a deleted comment's author when its text
        is shown or the format shows it anyway (``deleted_authors``), earlier texts with
        ``include_revisions``, reacting members when the format lists them (``voters``).
        Whoever is not shown becomes user 0, with no name.
        """
        text_shown = not comment.deleted or include_deleted
        if text_shown or deleted_authors:
            author = self.number(comment.author_id)
            name = self.name(author)
        else:
            author, name = 0, ""
        if note is not None and note.author_id is not None:
            number = self.number(note.author_id)
            note = ReplyNote(number, self.name(number),
                             None if note.excerpt is None else self.text(note.excerpt))
        content = self.text(comment.content) if text_shown else ""
        revisions = ([replace(r, content=self.text(r.content)) for r in comment.revisions]
                     if text_shown and include_revisions else [])
        ordered = sorted(comment.reactions, key=lambda r: (r.added_at, r.user_id, r.emoji))
        reactions = [replace(r, user_id=self.number(r.user_id) if voters else 0)
                     for r in ordered]
        return replace(comment, author_id=author, author_name=name, content=content,
                       revisions=revisions, reactions=reactions), note

    async def anonymised(self, comments: AsyncIterator[Comment]) -> AsyncIterator[Comment]:
        """The comments, each anonymised as it passes."""
        async for comment in comments:
            yield self.comment(comment)

    # -- Mapping: pseudonymous id -> name ---------------------------------------------
    def __getitem__(self, number: int) -> str:
        if isinstance(number, int) and 1 <= number <= len(self._numbers):
            return self.name(number)
        raise KeyError(number)

    def __iter__(self) -> Iterator[int]:
        return iter(range(1, len(self._numbers) + 1))

    def __len__(self) -> int:
        return len(self._numbers)

