"""Issue 14: exports that name people and places, count one way, and anonymise what is shown.

- the counts in every header, the command line's line and the archive's index agree;
- voters are named in JSON, the server and channel in every header;
- ``anonymise`` numbers 1, 2, 3... the people a file shows, in order of appearance;
- a reply whose parent a selection left out says what it replied to;
- the archive's index is styled like its thread pages and named by the server;
- a ``since_last`` archive includes a prompt posted since, even without comments.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.export import ExportOptions, ExportRequest, export_thread, run_export
from bot.export.archive import export_archive
from bot.models import Article, MessageCreated, Prompt, ReactionAdded
from bot.records.audit import HiddenComment
from bot.records.names import PlaceName
from bot.records.visibility import EVERY_THREAD
from bot.store import Store
from tests import discussion, hostile
from tests.discussion import at, say
from tests.export.conftest import EXPORTED_AT, FORMATS

GUILD = discussion.PROMPT.guild_id
SEEN = datetime(2026, 11, 2, tzinfo=UTC)

#: Option sets whose counts must agree everywhere (the hidden one is hidden in `scene`).
SELECTIONS = {
    "whole": ({}, ExportOptions()),
    "deleted shown": ({}, ExportOptions(include_deleted=True)),
    "hidden kept": ({"include_hidden": True}, ExportOptions()),
    "after Ben": ({}, ExportOptions(after=discussion.BEN.id)),
    "score 1 or more": ({}, ExportOptions(min_score=1)),
    "anonymised": ({}, ExportOptions(anonymise=True, include_revisions=True)),
}


@pytest.fixture
async def scene(filled: Store) -> Store:
    """Both sample discussions; in the first, Eve's comment is hidden by a moderator and a
    member who never wrote (Gus, 77) voted; places and people have stored names."""
    await filled.hide_comment(HiddenComment(discussion.EVE.id, 99, at(30), "spoilers"))
    filled.submit(ReactionAdded(discussion.CY.id, discussion.THREAD, 77, "👍", at(31),
                                "Gus the Voter"))
    await filled.save_names([
        PlaceName(GUILD, "guild", GUILD, "Film Club", SEEN),
        PlaceName(discussion.PROMPT.channel_id, "channel", GUILD, "films", SEEN),
        PlaceName(discussion.THREAD, "thread", GUILD, "Vertigo, again", SEEN),
    ])
    await filled.flush()
    return filled


def header_counts(fmt: str, data: bytes) -> tuple[int, int]:
    """(comments, participants) as the file's own header states them."""
    if fmt == "json":
        counts = json.loads(data)["filmclub"]["counts"]
        return counts["comments"], counts["participants"]
    text = data.decode("utf-8-sig")
    match = re.search(r"(\d+) comments?,(?: \d+ of (?:it|them) deleted,)? (\d+) participants?",
                      text)
    assert match is not None, text[:600]
    return int(match.group(1)), int(match.group(2))


def shown_comments(fmt: str, data: bytes, include_deleted: bool) -> list[str]:
    """The authors of the comments whose text the file shows, in file order."""
    if fmt == "json":
        messages = json.loads(data)["messages"]
        return [m["author"]["name"] for m in messages
                if include_deleted or m["filmclub"]["deletedAt"] is None]
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
        return [r["Author"] for r in rows if include_deleted or not r["DeletedDate"]]
    text = data.decode("utf-8")
    if fmt == "md":
        # author lines are headings: `### Name · time · score` (a placeholder has no time)
        return re.findall(r"^(?:> )*### (.+?) · \d{4}-", text, re.MULTILINE)
    if fmt == "txt":
        return re.findall(r"^ *\[\d{4}-\d\d-\d\d \d\d:\d\d [A-Z]+\] (.+?) \(", text,
                          re.MULTILINE)
    return re.findall(r'<bdi class="author">(.+?)</bdi>', text)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("selection", list(SELECTIONS))
async def test_counts_agree_everywhere(scene: Store, tmp_path: Path, fmt: str,
                                       selection: str) -> None:
    """The header, the result the CLI prints and the archive's index all say the same
    number: the comments the file shows; participants are their authors."""
    flags, options = SELECTIONS[selection]
    request = ExportRequest("thread", discussion.THREAD, fmt, options, **flags)
    out = tmp_path / f"t.{fmt}"
    result = await run_export(scene, request, out, exported_at=EXPORTED_AT,
                              visible=EVERY_THREAD)
    data = out.read_bytes()
    authors = shown_comments(fmt, data, options.include_deleted)
    assert result.comments == len(authors)
    if fmt != "csv":  # a table has no header line
        assert header_counts(fmt, data) == (len(authors), len(set(authors)))
    archive = tmp_path / "a.zip"
    await export_archive(scene, GUILD, fmt, archive, options=options,
                         exported_at=EXPORTED_AT, visible=EVERY_THREAD, **flags)
    index = zipfile.ZipFile(archive).read("index.html").decode("utf-8")
    assert f'<td class="count">{len(authors)}</td>' in index


async def test_counts_exclude_deleted_and_hidden(scene: Store, tmp_path: Path) -> None:
    """The whole thread: Ana, Ben, Cy shown; Dee's deleted comment and Eve's hidden one are
    not counted (Dee's placeholder is counted as deleted)."""
    result = await run_export(scene, ExportRequest("thread", discussion.THREAD, "md"),
                              tmp_path / "t.md", exported_at=EXPORTED_AT,
                              visible=EVERY_THREAD)
    assert (result.comments, result.deleted, result.entries) == (3, 1, 4)
    assert "## Discussion (3 comments, 3 participants, 1 comment deleted)" in (
        (tmp_path / "t.md").read_text("utf-8"))


async def test_exports_name_the_server_channel_and_voters(scene: Store, tmp_path: Path) -> None:
    """From the store alone (as the CLI exports): JSON names the server, the channel, the
    thread and every voter; Markdown and text say where the discussion took place."""
    request = ExportRequest("thread", discussion.THREAD, "json")
    await run_export(scene, request, tmp_path / "t.json", exported_at=EXPORTED_AT,
                     visible=EVERY_THREAD)
    document = json.loads((tmp_path / "t.json").read_text("utf-8"))
    assert document["guild"]["name"] == "Film Club"
    assert document["channel"]["category"] == "films"
    assert document["channel"]["name"] == "Vertigo, again"
    voters = [u for m in document["messages"] for r in m["reactions"] for u in r["users"]]
    assert voters and all(u["name"] for u in voters)
    assert {u["id"]: u["name"] for u in voters}["77"] == "Gus the Voter"
    for fmt, line in (("md", "**Discussed in:** Film Club › #films › Vertigo, again"),
                      ("txt", "Discussed in: Film Club › #films › Vertigo, again")):
        await run_export(scene, ExportRequest("thread", discussion.THREAD, fmt),
                         tmp_path / f"t.{fmt}", exported_at=EXPORTED_AT,
                         visible=EVERY_THREAD)
        assert line in (tmp_path / f"t.{fmt}").read_text("utf-8")


# -- anonymised: 1, 2, 3... among what is shown -------------------------------------------

def first_appearances(text: str) -> list[int]:
    """The member numbers in the order each first appears in the text."""
    seen: list[int] = []
    for match in re.finditer(r"Member (\d+)|<@(\d+)>", text):
        number = int(match.group(1) or match.group(2))
        if number not in seen:
            seen.append(number)
    return seen


@pytest.mark.parametrize("fmt", ["md", "txt", "html"])
@pytest.mark.parametrize("sample", [discussion.THREAD, hostile.THREAD])
@pytest.mark.parametrize("options", [
    ExportOptions(anonymise=True),
    ExportOptions(anonymise=True, include_deleted=True, include_revisions=True),
    ExportOptions(anonymise=True, sort="top"),
    ExportOptions(anonymise=True, min_score=1),
], ids=["plain", "everything", "top", "score"])
async def test_anonymised_numbers_run_1_2_3_in_order_of_appearance(
        scene: Store, tmp_path: Path, fmt: str, sample: int, options: ExportOptions) -> None:
    """Voters (whom these formats do not show) and deleted authors take no number: the
    numbers a reader meets are 1, 2, 3... in order."""
    out = tmp_path / f"anon.{fmt}"
    await export_thread(scene, sample, fmt, out, options=options, exported_at=EXPORTED_AT)
    seen = first_appearances(out.read_text("utf-8"))
    assert seen == list(range(1, len(seen) + 1)), seen
    assert seen  # someone appears


async def test_anonymised_json_numbers_voters_as_they_appear(scene: Store,
                                                             tmp_path: Path) -> None:
    """JSON shows voters: each message's author, then its mentions, then its voters, take
    the next numbers; no number is skipped."""
    out = tmp_path / "anon.json"
    await export_thread(scene, discussion.THREAD, "json", out,
                        options=ExportOptions(anonymise=True), exported_at=EXPORTED_AT)
    seen: list[str] = []
    for message in json.loads(out.read_text("utf-8"))["messages"]:
        people = [message["author"]["id"], *(u["id"] for u in message["mentions"]),
                  *(u["id"] for r in message["reactions"] for u in r["users"])]
        seen += [p for p in people if p not in seen]
    assert seen == [str(n) for n in range(1, len(seen) + 1)]


# -- a reply whose parent is not in the file ------------------------------------------


@pytest.mark.parametrize(("fmt", "expected"), [
    ("md", "↪ *In reply to Ben: “I disagree. The suspense is gone once you know.”*"),
    ("txt", "↪ in reply to Ben: “I disagree. The suspense is gone once you know.”"),
    ("html", '<p class="reply-to">↪ In reply to <bdi>Ben</bdi>: <q>I disagree. The suspense '
             "is gone once you know.</q></p>"),
])
async def test_reply_to_a_comment_left_out_says_what_it_answered(
        scene: Store, tmp_path: Path, fmt: str, expected: str) -> None:
    """After Ben's comment: Cy's reply to it is at the top level, and says whom and what."""
    out = tmp_path / f"after.{fmt}"
    await export_thread(scene, discussion.THREAD, fmt, out,
                        options=ExportOptions(after=discussion.BEN.id), exported_at=EXPORTED_AT)
    text = out.read_text("utf-8")
    assert expected in text
    assert text.count("In reply to") + text.count("in reply to") == 1


async def test_reply_note_in_json_and_anonymised(scene: Store, tmp_path: Path) -> None:
    """JSON carries it as filmclub.replyTo; anonymised, the author is a member number."""
    out = tmp_path / "after.json"
    await export_thread(scene, discussion.THREAD, "json", out,
                        options=ExportOptions(after=discussion.BEN.id, anonymise=True),
                        exported_at=EXPORTED_AT)
    messages = json.loads(out.read_text("utf-8"))["messages"]
    cy = messages[0]
    assert cy["filmclub"]["replyTo"] == {
        "authorId": "2", "authorName": "Member 2",
        "excerpt": "I disagree. The suspense is gone once you know."}
    assert [m["filmclub"]["replyTo"] for m in messages[1:]] == [None] * (len(messages) - 1)


async def test_reply_to_a_hidden_comment_does_not_quote_it(scene: Store,
                                                           tmp_path: Path) -> None:
    """A reply to a comment a moderator hid says only that it answered a comment not in
    the export: the hidden text is not quoted."""
    reply = say(40, 6, "Fay", "Eve, exactly!", parent=discussion.EVE.id)
    scene.submit(reply)
    await scene.flush()
    out = tmp_path / "t.md"
    await export_thread(scene, discussion.THREAD, "md", out, exported_at=EXPORTED_AT)
    text = out.read_text("utf-8")
    assert "↪ *In reply to a comment not in this export*" in text
    assert "bell tower scene" not in text


# -- the archive's index ------------------------------------------------------------------


async def test_index_looks_like_the_thread_pages(scene: Store, tmp_path: Path) -> None:
    """index.html uses the thread pages' own style sheet, and is headed by the server's
    stored name; the zip is named after it too."""
    request = ExportRequest("guild", GUILD, "html")
    out = tmp_path / "a.zip"
    await run_export(scene, request, out, exported_at=EXPORTED_AT,
                     visible=EVERY_THREAD)
    zipped = zipfile.ZipFile(out)
    index = zipped.read("index.html").decode("utf-8")
    page = zipped.read(zipped.namelist()[0]).decode("utf-8")

    def style(html: str) -> str:
        found = re.search(r"<style>\n(.*?)</style>", html, re.DOTALL)
        assert found is not None
        return found.group(1)

    assert style(index) == style(page)
    assert "<h1><bdi>Film Club</bdi></h1>" in index
    assert "<title>Film Club · discussions</title>" in index


async def test_since_last_archive_includes_a_new_prompt_without_comments(
        scene: Store, tmp_path: Path) -> None:
    """A prompt posted after the last server export is in the next --since-last archive,
    though nobody has commented yet; an unchanged old thread is not."""
    request = ExportRequest("guild", GUILD, "md", since_last=True)
    first = await run_export(scene, request, tmp_path / "1.zip", exported_at=EXPORTED_AT,
                             visible=EVERY_THREAD)
    assert first.record is not None
    await scene.record_export(first.record)
    new = Prompt(1_440_000_000_000_000_000, GUILD, 20, 1_440_000_000_000_000_000,
                 Article("stalker", "Stalker: the room"), at(60), 99)
    await scene.add_prompt(new)
    second = await run_export(scene, request, tmp_path / "2.zip", exported_at=EXPORTED_AT,
                              visible=EVERY_THREAD)
    names = zipfile.ZipFile(tmp_path / "2.zip").namelist()
    assert names == [f"stalker-the-room-{new.thread_id}.md", "index.html"]
    assert second.threads == 1 and second.comments == 0
    text = zipfile.ZipFile(tmp_path / "2.zip").read(names[0]).decode("utf-8")
    assert text.startswith("# Stalker: the room\n")


async def test_names_survive_a_member_rename_order(store: Store) -> None:
    """An older sighting never replaces a newer name, whatever order they arrive in."""
    from bot.records.names import MemberName

    await store.add_prompt(discussion.PROMPT)
    new, old = at(20), at(10)
    await store.save_names(members=[MemberName(GUILD, 5, "Eve (new)", new)])
    await store.save_names(members=[MemberName(GUILD, 5, "Eve (old)", old)])
    store.submit(MessageCreated(discussion.sf(5), discussion.THREAD, 5, "Eve (older)", "hi",
                                at(5)))
    await store.flush()
    assert (await store.guild_names(GUILD)).members[5] == "Eve (new)"
