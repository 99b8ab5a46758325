"""The CSV export: DiscordChatExporter's columns first, spreadsheet formulas disarmed."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from bot.export.csvtable import COLUMNS, neutralise
from bot.models import MessageCreated
from bot.store import Store
from tests import discussion, hostile
from tests.export.conftest import ALL_OPTIONS, export_bytes


async def rows(store: Store, folder: Path, sample: str) -> list[dict[str, str]]:
    data = await export_bytes(store, folder, sample, "csv", ALL_OPTIONS)
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize(("cell", "expected"), [
    ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
    ("+1", "'+1"),
    ("-2", "'-2"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tindented", "'\tindented"),
    ("\rcarriage", "'\rcarriage"),
    ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
    ("plain text", "plain text"),
    ("a = b + c", "a = b + c"),
    ("", ""),
    ("'quoted already", "'quoted already"),
    ("   ", "   "),
    ("1 + 1 = 2", "1 + 1 = 2"),
    ("−3 (a minus sign, not a hyphen)", "'−3 (a minus sign, not a hyphen)"),
])
def test_formula_cells_are_neutralised(cell: str, expected: str) -> None:
    """Cells starting with = + - @ tab or CR get a leading apostrophe; others are untouched."""
    assert neutralise(cell) == expected


# What spreadsheets skip before the first character they read, and the signs in other forms.
LEADS = ["", " ", "  ", "\u00a0", "\u3000", "\u200b", "\u200c", "\u200d", "\u2060",
         "\ufeff", "\u200e", "\u202e", "\u2066", " \u200b ", "\x00", "\x0b", "\x0c"]
SIGNS = ["=", "+", "-", "@", "＝", "＋", "－", "＠", "﹦", "﹢", "﹣", "﹫", "⁼", "₊", "₋", "−"]
FORMULA_CORPUS = [lead + sign + 'HYPERLINK("http://evil","x")' for lead in LEADS
                  for sign in SIGNS]
FORMULA_CORPUS += [start + "=1+1" for start in ("\t", "\r", "\n", "\r\n", "\n\n")]


def test_every_formula_shape_is_neutralised() -> None:
    """Leading spaces, line breaks, invisible characters and full-width signs: all disarmed."""
    missed = [cell for cell in FORMULA_CORPUS if neutralise(cell) != "'" + cell]
    print(f"{len(FORMULA_CORPUS)} formula-shaped cells, {len(missed)} missed")
    assert missed == []


async def test_header_starts_with_discordchatexporter_columns(filled: Store,
                                                             tmp_path: Path) -> None:
    """The first six columns are DCE's, in DCE's order; filmclub's follow."""
    data = await export_bytes(filled, tmp_path, "discussion", "csv")
    header = data.decode("utf-8-sig").split("\r\n", 1)[0]
    assert header.split(",")[:6] == ["AuthorID", "Author", "Date", "Content", "Attachments",
                                     "Reactions"]
    assert tuple(header.split(",")) == COLUMNS


async def test_file_is_utf8_with_bom_and_crlf(filled: Store, tmp_path: Path) -> None:
    """The file starts with a UTF-8 byte-order mark and its rows end in CRLF."""
    data = await export_bytes(filled, tmp_path, "discussion", "csv")
    assert data.startswith(b"\xef\xbb\xbfAuthorID,")
    assert data.endswith(b",0\r\n")


@pytest.mark.parametrize(("message", "cell"), [
    (hostile.SHEET, '\'=HYPERLINK("http://evil","x")'),
    (hostile.PLUS, "'+1"),
    (hostile.MINUS, "'-2"),
    (hostile.AT, "'@SUM(A1)"),
    (hostile.TAB, "'\tindented\r\nwith CRLF"),
    (hostile.CR, "'\rcarriage return first"),
    (hostile.SHOW, hostile.SHOWCASE),
    (hostile.BIDI, hostile.INVISIBLE),
    (hostile.ESSAY, hostile.LONG),
], ids=["formula", "plus", "minus", "at", "tab", "cr", "markdown", "invisible", "long"])
async def test_content_cells_in_the_file(filled: Store, tmp_path: Path,
                                         message: MessageCreated, cell: str) -> None:
    """Formula-like text is neutralised in the file; other text is exactly as stored."""
    by_id = {r["MessageID"]: r for r in await rows(filled, tmp_path, "hostile")}
    assert by_id[str(message.id)]["Content"] == cell


async def test_author_names_are_neutralised_too(filled: Store, tmp_path: Path) -> None:
    """A display name that looks like a formula is disarmed like any text cell."""
    by_id = {r["MessageID"]: r for r in await rows(filled, tmp_path, "hostile")}
    assert by_id[str(hostile.LINKS.id)]["Author"] == "'" + hostile.NAMES[hostile.CALC]


async def test_row_links_score_and_dates(filled: Store, tmp_path: Path) -> None:
    """A reply's row has its id, parent, depth, plain integer score and ISO dates."""
    by_id = {r["MessageID"]: r for r in await rows(filled, tmp_path, "discussion")}
    ben = by_id[str(discussion.BEN.id)]
    assert (ben["ParentID"], ben["Depth"], ben["Score"], ben["Date"]) == (
        str(discussion.ANA.id), "1", "-1", "2026-11-01T20:02:00+00:00")
    assert by_id[str(discussion.ANA.id)]["EditedDate"] == "2026-11-01T20:06:00+00:00"


async def test_deleted_comment_has_no_content_by_default(filled: Store,
                                                        tmp_path: Path) -> None:
    """Without include_deleted a deleted comment's row is there, its text is not."""
    data = await export_bytes(filled, tmp_path, "discussion", "csv")
    table = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    dee = next(r for r in table if r["MessageID"] == str(discussion.DEE.id))
    assert (dee["Content"], dee["DeletedDate"]) == ("", "2026-11-01T20:07:00+00:00")


async def test_reactions_and_attachments_like_discordchatexporter(filled: Store,
                                                                 tmp_path: Path) -> None:
    """Reactions read 'name (count)' and attachments are their addresses, comma-separated."""
    by_id = {r["MessageID"]: r for r in await rows(filled, tmp_path, "hostile")}
    assert by_id[str(hostile.SHOW.id)]["Reactions"] == (
        "👍 (1),👍🏽 (1),kurosawa (1),dance (1),❤️‍🔥 (1)")
    assert by_id[str(hostile.FILES.id)]["Attachments"] == (
        "javascript:alert('file'),https://cdn.example/still.jpg?x=1&y=2")


async def test_ratings_and_the_poll_behind_the_prompt(filled: Store, tmp_path: Path) -> None:
    """A prompt rated and chosen by a poll: four more columns, the prompt's figures on every
    row; the other sample, with neither, keeps exactly the twelve columns."""
    from datetime import timedelta

    from bot.export.csvtable import PROMPT_COLUMNS
    from bot.polls import FilmPoll, PollAnswer

    t0 = discussion.T0
    for user, half in ((501, 9), (502, 9), (503, 4)):
        await filled.rate(discussion.THREAD, user, half, t0)
    poll = FilmPoll(777, discussion.PROMPT.guild_id, 20, "What do we watch next?", 99,
                    t0 - timedelta(days=3), t0 - timedelta(days=2),
                    (PollAnswer(1, discussion.ARTICLE.film or "Film", None, t0),
                     PollAnswer(2, "Alien", 1979, t0 + timedelta(seconds=1))))
    await filled.add_film_poll(poll)
    for user, answer in ((501, 1), (502, 1), (503, 2)):
        await filled.poll_vote(777, answer, user, t0 - timedelta(days=3), added=True)
    await filled.end_film_poll(777, t0 - timedelta(days=2), ended_by=None, winner=1)
    await filled.set_poll_outcome(777, "Queued.", discussion.ARTICLE.slug)

    table = await rows(filled, tmp_path, "discussion")
    assert table and list(table[0]) == list(COLUMNS + PROMPT_COLUMNS)
    assert {tuple(r[c] for c in PROMPT_COLUMNS) for r in table} == {(
        "3.6667", "3", "5:0 4.5:2 4:0 3.5:0 3:0 2.5:0 2:1 1.5:0 1:0 0.5:0",
        f"the poll “What do we watch next?” (2026-10-30): {discussion.ARTICLE.film} wins "
        "with 2 of 3 votes.")}
    other = await rows(filled, tmp_path, "hostile")
    assert list(other[0]) == list(COLUMNS)
