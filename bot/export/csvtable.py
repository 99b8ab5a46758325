"""CSV: one row per comment, for spreadsheets and scripts.

Columns, in order. The first six are DiscordChatExporter's CSV columns, with the same
names, order and meaning, so what reads its exports reads ours; filmclub's own follow:

1. ``AuthorID`` — the author's user id
2. ``Author`` — the author's display name
3. ``Date`` — when the comment was written, ISO-8601 in UTC (``2026-11-01T20:01:00+00:00``)
4. ``Content`` — the text as stored (empty for a deleted comment unless include_deleted)
5. ``Attachments`` — the attachments' addresses, separated by commas
6. ``Reactions`` — every reaction, votes included, as ``name (count)`` separated by commas
7. ``MessageID`` — the comment's id
8. ``ParentID`` — the id of the comment it answers, empty for a top-level comment
9. ``Depth`` — 0 for a top-level comment, 1 for a reply, and so on
10. ``EditedDate`` — when it was last edited, empty if never
11. ``DeletedDate`` — when it was deleted, empty if it was not
12. ``Score`` — the sum of its votes, as a plain integer (``-1``, not ``−1``)

When the prompt has ratings or was chosen by a poll (issue 17), four columns follow,
with the same value on every row (the prompt's, not the comment's), so a spreadsheet can
filter or chart them and rows from several threads stay apart; threads with neither keep
the twelve columns above:

13. ``FilmRating`` — the average rating in stars, to four decimals (``3.6667``)
14. ``FilmRatingCount`` — how many members rated the film
15. ``FilmRatingDistribution`` — how many gave each step, five stars first:
    ``5:0 4.5:2 4:0 3.5:0 3:0 2.5:0 2:1 1.5:0 1:0 0.5:0``
16. ``ChosenBy`` — the poll that chose the film and how it ended (empty if none did)

Who rated what is in no export (members rate privately); a thread with no comments
selected has no rows, so its ratings are in the other formats only.

Rows come in reading order: each comment followed by its replies. Earlier texts of
edited comments have no place in one row per comment; include_revisions is ignored
here (the JSON export carries them).

Encoding: UTF-8 with a byte-order mark, and CRLF line ends (RFC 4180). Without the mark
Excel reads the file in the machine's legacy code page and mangles every accent and
emoji; Python (``encoding="utf-8-sig"``), LibreOffice and pandas skip it.

Text cells that a spreadsheet would run as a formula get a leading apostrophe: those
starting with a tab, a carriage return or a line feed, and those whose first visible
character is ``=``, ``+``, ``-`` or ``@`` in any of its forms (full-width ``＝＋－＠``,
small ``﹦﹢﹣﹫``...), even after spaces or invisible characters (zero-width spaces,
joiners, bidi marks, a byte-order mark), which spreadsheets skip. That happens only in
this file: the store and the other formats keep the text exactly as written.
"""

from __future__ import annotations

import csv
import unicodedata
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime
from typing import TextIO

from bot.export.base import ExportContext, Exporter, iso_time, parse_emoji, tally_reactions
from bot.models import Comment
from bot.ratings import HALF_STARS, stars_text, summary_of

COLUMNS = (
    "AuthorID", "Author", "Date", "Content", "Attachments", "Reactions",
    "MessageID", "ParentID", "Depth", "EditedDate", "DeletedDate", "Score",
)

#: The prompt's own columns, after the comment's, when it has ratings or a poll chose it.
PROMPT_COLUMNS = ("FilmRating", "FilmRatingCount", "FilmRatingDistribution", "ChosenBy")

BYTE_ORDER_MARK = "\ufeff"

_FORMULA_SIGNS = frozenset("=+-@\u2212")  # and the minus sign (NFKC of a subscript minus)
_CONTROL_STARTS = ("\t", "\r", "\n")
#: Characters a spreadsheet passes over before the one it reads as the start of a cell.
_SKIPPED = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})


def neutralise(cell: str) -> str:
    """The cell as text a spreadsheet shows rather than runs: ``'=1+1`` for ``=1+1``."""
    if cell.startswith(_CONTROL_STARTS):
        return "'" + cell
    for ch in cell:
        if ch.isspace() or unicodedata.category(ch) in _SKIPPED:
            continue
        if unicodedata.normalize("NFKC", ch) in _FORMULA_SIGNS:
            return "'" + cell
        return cell
    return cell


def _time(value: datetime | None) -> str:
    return "" if value is None else iso_time(value)


def row(comment: Comment, context: ExportContext) -> list[str]:
    """The cells of one comment, in the order of :data:`COLUMNS`."""
    shown = not comment.deleted or context.options.include_deleted
    attachments = ",".join(a.url for a in comment.attachments) if shown else ""
    reactions = ",".join(f"{parse_emoji(t.emoji).name} ({t.count})"
                         for t in tally_reactions(comment))
    return [
        str(comment.author_id),
        neutralise(comment.author_name),
        iso_time(comment.created_at),
        neutralise(comment.content if shown else ""),
        neutralise(attachments),
        neutralise(reactions),
        str(comment.id),
        "" if comment.parent_id is None else str(comment.parent_id),
        str(comment.depth),
        _time(comment.edited_at),
        _time(comment.deleted_at),
        str(comment.score),
    ]


def prompt_cells(context: ExportContext) -> list[str]:
    """The cells of :data:`PROMPT_COLUMNS` (none when the prompt has neither ratings nor a
    poll behind it, so those exports keep DiscordChatExporter's shape and ours)."""
    if not context.ratings and not context.chosen_by:
        return []
    summary = summary_of(context.ratings)
    counts = Counter(context.ratings)
    spread = " ".join(f"{stars_text(step)}:{counts.get(step, 0)}"
                      for step in reversed(HALF_STARS))
    return [
        format(round(summary.average, 4), "g") if summary.average is not None else "",
        str(summary.count),
        spread if summary.count else "",
        neutralise(context.chosen_by or ""),
    ]


class CsvExporter(Exporter):
    name = "csv"
    extension = "csv"
    media_type = "text/csv"
    label = "Spreadsheet table"
    readable = False
    shows_deleted_authors = True

    async def write(self, context: ExportContext, comments: AsyncIterator[Comment],
                    out: TextIO) -> int:
        out.write(BYTE_ORDER_MARK)
        writer = csv.writer(out, lineterminator="\r\n")
        extra = prompt_cells(context)
        writer.writerow(COLUMNS + (PROMPT_COLUMNS if extra else ()))
        written = 0
        async for comment in comments:
            writer.writerow(row(comment, context) + extra)
            written += 1
        return written
