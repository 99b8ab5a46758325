"""Hostile and extreme input: each message is stored or skipped on purpose, and every stored
one round-trips byte for byte into the JSON export, whether it arrived live or by catch-up.

Kept: members' text at Discord's limits (2,000 characters, hundreds of lines, combining
floods, bidi overrides, zero-width and control characters, emoji sequences), messages
with only attachments, and sticker-only messages (as comments with no text: the sticker
itself is not kept). Skipped: system notices (pins, joins, thread created) and webhooks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.export import export_thread
from tests.e2e.catchup_helpers import restart
from tests.e2e.harness import RunningBot, World
from tests.e2e.test_discussion import post_prompt

TEXTS = {
    "limit": "x" * 1999 + "é",
    "astral": "𝓕" * 1000,
    "lines": "\n".join(f"line {i}" for i in range(400))[:2000],
    "blank-lines": "a" + "\n" * 1998 + "b",
    "combining": "Z" + "\u0336\u0301\u0327" * 600 + "!",
    "bidi": "\u202eevil\u202c plain \u2067isolate\u2069 \u200frtl\u200e "
            "\u0627\u0644\u0639\u0631\u0628\u064a\u0629",
    "zero-width": "zero\u200bwidth\u200c non\u200djoiner \ufeffbom \u2060wj",
    "control": "nul\x00in the middle\x01\x08\x1b[31m\x7f \u2400 \ufffd",
    "emoji": "👩🏽‍🚀 🏳️‍🌈 👨‍👩‍👧‍👦 🇯🇵 1️⃣ ❤️‍🔥 🫶🏿 <:custom:123456789012345678>",
    "markup": "<script>alert(1)</script> **b** `c` ||s|| @everyone <@1> </textarea>",
    "crlf": "\tindented\r\nwith CRLF\r",
    "spaces": "   leading and trailing   ",
}
HOSTILE_NAME = "\u202eNimda\u202c <b>Zed</b>"
STICKER = {"id": "749054660769218631", "name": "Wave", "format_type": 1}
SYSTEM_TYPES = {"pin notice": 6, "member joined": 7, "thread created": 18}


def post_everything(world: World, thread: int, record_only: bool) -> tuple[dict[str, str],
                                                                           list[dict[str, Any]]]:
    """Every kind of message, made in the emulator; returns kept (id -> text) and skipped."""
    emu = world.emu
    odd = emu.add_member(world.guild.id, HOSTILE_NAME)
    kept: dict[str, str] = {}
    events: list[dict[str, Any]] = []
    for i, text in enumerate(TEXTS.values()):
        author = odd if i % 3 == 0 else world.members[i % 5]
        msg = emu.build_message(author.id, thread, text)
        kept[msg["id"]] = text
        events.append(msg)
    only_files = emu.build_message(world.members[0].id, thread, "", attachments=[
        {"filename": "still one.png", "size": 2048}, {"filename": "été.txt", "data": b"x"}])
    kept[only_files["id"]] = ""
    events.append(only_files)
    sticker = emu.message_payload(world.members[1].id, thread, "")
    sticker["sticker_items"] = [STICKER]
    emu.record_message(sticker)
    kept[sticker["id"]] = ""
    events.append(sticker)
    skipped = []
    for kind in SYSTEM_TYPES.values():
        notice = emu.message_payload(world.members[2].id, thread, "")
        notice["type"] = kind
        emu.record_message(notice)
        skipped.append(notice)
    hook = emu.message_payload(world.members[3].id, thread, "from a webhook")
    hook.pop("member", None)
    hook["webhook_id"] = "1111111111111111111"
    hook["author"] = {**hook["author"], "id": "1111111111111111111", "bot": True,
                      "username": "Captain Hook"}
    emu.record_message(hook)
    skipped.append(hook)
    return kept, ([] if record_only else events + skipped)


async def export_json(runner: RunningBot, thread: int, tmp_path: Path) -> dict[str, Any]:
    assert runner.bot is not None
    await runner.settle()
    out = tmp_path / "thread.json"
    await export_thread(runner.bot.store, thread, "json", out)
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.parametrize("arrival", ["live", "catch-up"])
async def test_hostile_messages_stored_or_skipped_and_round_trip(
        world: World, running: RunningBot, tmp_path: Path, arrival: str) -> None:
    """Kept messages equal, byte for byte, in the store and the JSON export; others skipped."""
    thread = await post_prompt(world, running)
    runner = running
    if arrival == "catch-up":
        assert await running.stop() == 0
    kept, to_send = post_everything(world, thread, record_only=arrival == "catch-up")
    for payload in to_send:
        await world.emu.dispatch("MESSAGE_CREATE", payload)
    if arrival == "catch-up":
        runner = await restart(world)
    comments = await runner.comments(thread)
    assert {str(c.id): c.content for c in comments} == kept
    names = {c.author_name for c in comments}
    assert HOSTILE_NAME in names
    files = next(c for c in comments if c.attachments)
    assert [a.filename for a in files.attachments] == ["still one.png", "été.txt"]

    document = await export_json(runner, thread, tmp_path)
    exported = {m["id"]: m["content"] for m in document["messages"]}
    assert exported.keys() == kept.keys()
    for message_id, text in kept.items():
        assert exported[message_id].encode("utf-8") == text.encode("utf-8"), message_id
    assert HOSTILE_NAME in {m["author"]["name"] for m in document["messages"]}
    if runner is not running:
        assert await runner.stop() == 0


async def test_edits_of_hostile_text_keep_every_version(world: World, running: RunningBot,
                                                        tmp_path: Path) -> None:
    """Editing between hostile texts keeps each version exactly, as revisions."""
    thread = await post_prompt(world, running)
    ana = world.members[0]
    texts = [TEXTS["combining"], TEXTS["control"], TEXTS["limit"]]
    msg = await world.emu.say(ana.id, thread, texts[0])
    for text in texts[1:]:
        await world.emu.edit(ana.id, msg["id"], text)
    (comment,) = await running.comments(thread)
    assert comment.content == texts[-1]
    assert [r.content for r in comment.revisions] == texts[:-1]
    document = await export_json(running, thread, tmp_path)
    assert document["messages"][0]["content"] == texts[-1]
