"""A server's archive: a zip of every prompt thread and an index, like the single export."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.errors import NotFound
from bot.export import ExportOptions, export_thread
from bot.export.archive import Highlights, default_archive_name, excerpt, export_archive
from bot.models import Comment, MessageCreated
from bot.records.visibility import EVERY_THREAD, Visible
from bot.store import Store
from tests import discussion, hostile
from tests.export.conftest import EXPORTED_AT, FORMATS

GUILD = discussion.PROMPT.guild_id
T = datetime(2026, 11, 1, tzinfo=UTC)


async def archive(store: Store, folder: Path, fmt: str = "md", **kwargs: object
                  ) -> zipfile.ZipFile:
    out = folder / f"archive-{fmt}.zip"
    options = kwargs.pop("options", ExportOptions())
    kwargs.setdefault("visible", EVERY_THREAD)
    await export_archive(store, GUILD, fmt, out, options=options,  # type: ignore[arg-type]
                         exported_at=EXPORTED_AT, **kwargs)  # type: ignore[arg-type]
    return zipfile.ZipFile(io.BytesIO(out.read_bytes()))


def names(zipped: zipfile.ZipFile) -> list[str]:
    return zipped.namelist()


async def test_archive_holds_a_file_per_thread_and_an_index(filled: Store,
                                                            tmp_path: Path) -> None:
    """One file per prompt thread (shell-friendly names from titles), then index.html."""
    zipped = await archive(filled, tmp_path)
    assert names(zipped) == [
        f"vertigo-and-the-second-fall-{discussion.THREAD}.md",
        f"rashomon-title-script-alert-title-script-{hostile.THREAD}.md",
        "index.html",
    ]


async def test_archive_leaves_out_the_threads_the_asker_cannot_see(filled: Store,
                                                                   tmp_path: Path) -> None:
    """With a Visible set, the zip and its index hold only those threads, none of the rest."""
    zipped = await archive(filled, tmp_path, "html", visible=Visible.only([discussion.THREAD]))
    assert names(zipped) == [f"vertigo-and-the-second-fall-{discussion.THREAD}.html",
                             "index.html"]
    everything = b"".join(zipped.read(name) for name in names(zipped)).decode("utf-8")
    assert "Rashomon" not in everything and str(hostile.THREAD) not in everything
    with pytest.raises(NotFound, match="no prompt threads to export"):
        await archive(filled, tmp_path, visible=Visible.only([]))


@pytest.mark.parametrize("fmt", FORMATS)
async def test_each_file_is_the_single_thread_export(filled: Store, tmp_path: Path,
                                                     fmt: str) -> None:
    """A thread's file in the zip is byte for byte what exporting that thread alone writes."""
    options = ExportOptions(include_deleted=True, sort="top")
    zipped = await archive(filled, tmp_path, fmt, options=options)
    alone = tmp_path / f"alone.{fmt}"
    await export_thread(filled, hostile.THREAD, fmt, alone, options=options,
                        exported_at=EXPORTED_AT)
    assert zipped.read(names(zipped)[1]) == alone.read_bytes()


async def test_index_lists_threads_with_counts_and_top_comment(filled: Store,
                                                               tmp_path: Path) -> None:
    """index.html: each title linked to its file, the posting day, the count, the best comment."""
    zipped = await archive(filled, tmp_path, "html")
    index = zipped.read("index.html").decode("utf-8")
    first = names(zipped)[0]
    assert f'<a href="{first}"><bdi>Vertigo and the second fall</bdi></a>' in index
    assert '<td class="count">4</td>' in index  # Dee's deleted comment is not shown
    assert f'href="{first}#comment-{discussion.ANA.id}"' in index
    assert "Ana</bdi> (+2)" in index
    assert "2 discussions, 18 comments, as html files" in index


async def test_index_escapes_what_titles_and_comments_hold(filled: Store,
                                                           tmp_path: Path) -> None:
    """A title or comment with markup is shown as text; the page runs nothing."""
    index = (await archive(filled, tmp_path)).read("index.html").decode("utf-8")
    assert "<script" not in index and "&lt;script&gt;" in index
    assert "Content-Security-Policy" in index


async def test_archive_is_the_same_bytes_each_time(filled: Store, tmp_path: Path) -> None:
    """Same store, same options, same time: the same zip (entry times are the export's)."""
    first = tmp_path / "a.zip"
    second = tmp_path / "b.zip"
    for out in (first, second):
        await export_archive(filled, GUILD, "json", out, options=ExportOptions(),
                             exported_at=EXPORTED_AT, visible=EVERY_THREAD)
    assert first.read_bytes() == second.read_bytes()


async def test_anonymised_archive_numbers_members_once_across_files(filled: Store,
                                                                    tmp_path: Path) -> None:
    """One numbering spans the zip: the two threads' authors get different numbers."""
    zipped = await archive(filled, tmp_path, "json", options=ExportOptions(anonymise=True))
    authors = [{m["author"]["id"] for m in json.loads(zipped.read(name))["messages"]}
               for name in names(zipped)[:2]]
    assert authors[0].isdisjoint(authors[1])
    numbers = sorted(int(i) for i in authors[0] | authors[1])
    assert numbers[0] == 1 and all(n <= len(numbers) + 8 for n in numbers)


async def test_only_changed_threads_since_a_mark(filled: Store, tmp_path: Path) -> None:
    """With a mark, only threads changed since it are in the zip, with their changes."""
    mark = await filled.export_mark()
    filled.submit(MessageCreated(discussion.sf(40), discussion.THREAD, 6, "Fay", "Late!",
                                 discussion.at(40)))
    await filled.flush()
    zipped = await archive(filled, tmp_path, changed_after=mark)
    assert names(zipped) == [f"vertigo-and-the-second-fall-{discussion.THREAD}.md",
                             "index.html"]
    assert "Late!" in zipped.read(names(zipped)[0]).decode("utf-8")
    assert "Ana" not in zipped.read(names(zipped)[0]).decode("utf-8")


async def test_progress_is_reported_after_each_thread(filled: Store, tmp_path: Path) -> None:
    """The callback hears (done, total, title) once per thread."""
    heard: list[tuple[int, int, str]] = []
    await archive(filled, tmp_path, progress=lambda *a: heard.append(a))
    assert [(done, total) for done, total, _ in heard] == [(1, 2), (2, 2)]
    assert heard[0][2] == "Vertigo and the second fall"


async def test_a_server_without_prompts_is_not_found(store: Store, tmp_path: Path) -> None:
    """No prompts: NotFound in one line, and no file."""
    with pytest.raises(NotFound, match="server 10 has no prompts"):
        await export_archive(store, 10, "md", tmp_path / "a.zip", options=ExportOptions(),
                             exported_at=EXPORTED_AT, visible=EVERY_THREAD)
    assert not (tmp_path / "a.zip").exists()


@pytest.mark.parametrize(("name", "expected"), [
    ("Film Club", "film-club-10-md.zip"),
    ("../../etc", "etc-10-md.zip"),
    (None, "server-10-md.zip"),
    ("CON", "con-10-md.zip"),
    ("Ciné-club d'Aurélie", "cine-club-daurelie-10-md.zip"),
    ("映画クラブ", "server-10-md.zip"),
    ('"; rm -rf ~ #', "rm-rf-10-md.zip"),
])
def test_archive_names_are_safe(name: str | None, expected: str) -> None:
    """Server names become shell-friendly slugs, like thread titles."""
    assert default_archive_name(10, name, "md") == expected


def scored(cid: int, score: int, minutes: int = 0, deleted: bool = False) -> Comment:
    return Comment(id=cid, thread_id=1, author_id=cid, author_name=f"m{cid}",
                   content=f"text {cid}", created_at=T.replace(minute=minutes), score=score,
                   deleted_at=T if deleted else None)


@pytest.mark.parametrize(("comments", "top"), [
    ([scored(1, 0), scored(2, -1)], None),
    ([scored(1, 1), scored(2, 3), scored(3, 2)], 2),
    ([scored(1, 2, minutes=5), scored(2, 2, minutes=1)], 2),
    ([scored(1, 5, deleted=True), scored(2, 1)], 2),
])
def test_top_comment_is_the_best_scored_older_first(comments: list[Comment],
                                                    top: int | None) -> None:
    """Best score above zero, ties to the older, deleted ones left out."""
    seen = Highlights(include_deleted=False)
    for comment in comments:
        seen.see(comment)
    assert (seen.top.id if seen.top else None) == top


@pytest.mark.parametrize(("text", "limit", "expected"), [
    ("short", 20, "short"),
    ("  lines\nand   spaces ", 20, "lines and spaces"),
    ("one two three four five", 12, "one two…"),
    ("abcdefghijklmnop", 5, "abcde…"),
])
def test_excerpt_is_one_line_cut_at_a_word(text: str, limit: int, expected: str) -> None:
    """Whitespace folded, cut at a word before the limit, with an ellipsis."""
    assert excerpt(text, limit) == expected
