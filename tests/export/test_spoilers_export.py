"""Spoilers in every export format (issue 18): kept faithfully, hidden where a page can.

Markdown keeps ``||…||``, text marks it in words, JSON keeps the raw content, HTML hides
it (its rendering is checked in Chromium by tests/test_html_spoilers_browser.py); a
spoiler thread says so, and attachments Discord marks as spoilers are hidden the same way.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import replace
from pathlib import Path

from bot.export import ExportOptions, export_thread
from bot.export.archive import export_archive
from bot.models import Attachment
from bot.records.visibility import EVERY_THREAD
from bot.spoilers import SPOILER_THREAD_NOTE
from bot.store import Store
from tests import discussion
from tests.export.conftest import EXPORTED_AT
from tests.export.test_json import validator

PROMPT = replace(discussion.PROMPT, spoilers=True)
TWIST = discussion.say(1, 1, "Ana", "Before: ||Judy is Madeleine|| after.")
REPLY = discussion.say(2, 2, "Ben", "Yes!", parent=TWIST.id)
SHOT = discussion.say(3, 3, "Cy", "The last shot.", attachments=(
    Attachment(discussion.sf(3) + 1, "SPOILER_tower.png", "https://cdn.example/SPOILER_tower.png",
               2048),))


async def build(store: Store, prompt=PROMPT) -> None:
    await store.add_prompt(prompt)
    for event in (TWIST, REPLY, SHOT):
        store.submit(event)
    store.submit(discussion.ReactionAdded(TWIST.id, discussion.THREAD, 2, "👍",
                                          discussion.at(4)))
    await store.flush()


async def exported(store: Store, folder: Path, fmt: str,
                   options: ExportOptions | None = None) -> str:
    out = folder / f"t.{fmt}"
    await export_thread(store, discussion.THREAD, fmt, out, options=options,
                        exported_at=EXPORTED_AT)
    return out.read_text("utf-8")


async def test_markdown_keeps_the_marks(store: Store, tmp_path: Path) -> None:
    """The spoiler reads as ||…|| (escaped, so no renderer takes the pipes as a table)."""
    await build(store)
    text = await exported(store, tmp_path, "md")
    assert f"**{SPOILER_THREAD_NOTE}**" in text
    assert "Before: \\|\\|Judy is Madeleine\\|\\| after." in text
    assert "📎 \\|\\|[SPOILER\\_tower.png](<https://cdn.example/SPOILER_tower.png>) (2.0 KB)" \
           "\\|\\| (a spoiler)" in text


async def test_text_marks_spoilers_in_words(store: Store, tmp_path: Path) -> None:
    """Plain text says [spoiler: …] and names a spoiler attachment as one."""
    await build(store)
    text = await exported(store, tmp_path, "txt")
    assert text.split("\n")[3] == SPOILER_THREAD_NOTE
    assert "  Before: [spoiler: Judy is Madeleine] after." in text
    assert "Attachment (spoiler): SPOILER_tower.png (2.0 KB)" in text
    assert "||" not in text


async def test_json_keeps_the_raw_content(store: Store, tmp_path: Path) -> None:
    """The content is what was written, marks and file name included; the prompt says it
    is a spoiler thread, and the document still meets the schema."""
    await build(store)
    document = json.loads(await exported(store, tmp_path, "json"))
    validator().validate(document)
    assert document["filmclub"]["prompt"]["spoilers"] is True
    contents = [m["content"] for m in document["messages"]]
    assert TWIST.content in contents
    files = [a["fileName"] for m in document["messages"] for a in m["attachments"]]
    assert files == ["SPOILER_tower.png"]


async def test_html_hides_spoilers_excerpt_question_and_attachment(store: Store,
                                                                   tmp_path: Path) -> None:
    """Each is inside a focusable spoiler span; nothing spoiled sits outside one."""
    await build(store)
    page = await exported(store, tmp_path, "html")
    spans = re.findall(r'<span class="spoiler" tabindex="0">(.*?)</span>(?!</span>)', page)
    assert "Judy is Madeleine" in spans
    assert any(discussion.ARTICLE.excerpt in s for s in spans)
    assert any(discussion.ARTICLE.questions[0] in s for s in spans)
    assert any("SPOILER_tower.png" in s for s in spans)
    outside = re.sub(r'<span class="spoiler" tabindex="0">.*?</span>', "", page, flags=re.S)
    assert "Judy is Madeleine" not in outside and discussion.ARTICLE.excerpt not in outside
    assert "<script" not in page.lower()


async def test_a_quoted_parent_hides_its_spoiler(store: Store, tmp_path: Path) -> None:
    """A reply whose parent is left out quotes it with the spoiler still hidden."""
    await build(store, discussion.PROMPT)  # not a spoiler thread: only the marks hide
    page = await exported(store, tmp_path, "html", ExportOptions(after=discussion.at(1.5)))
    quote = re.search(r'<p class="reply-to">.*?</p>', page, flags=re.S)
    assert quote is not None
    assert '<span class="spoiler" tabindex="0">Judy is Madeleine</span>' in quote.group(0)


async def test_the_archive_index_hides_a_spoiler_threads_top_comment(store: Store,
                                                                    tmp_path: Path) -> None:
    """The server archive's index marks the thread and hides its top comment's words."""
    await build(store)
    out = tmp_path / "server.zip"
    await export_archive(store, discussion.PROMPT.guild_id, "md", out,
                         options=ExportOptions(), exported_at=EXPORTED_AT,
                         visible=EVERY_THREAD)
    with zipfile.ZipFile(out) as archive:
        index = archive.read("index.html").decode("utf-8")
    row = re.search(r'<td class="top">.*?</td>', index, flags=re.S)
    assert row is not None
    assert '<q><span class="spoiler" tabindex="0">Before: ||Judy is Madeleine|| after.' \
           "</span></q>" in row.group(0)
    assert "(spoilers)" in index
