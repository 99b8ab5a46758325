"""The first slice end to end: a moderator posts a prompt, members discuss, the thread is exported.

The real bot runs against the loopback emulator; every request it sends is checked
against Discord's OpenAPI description (the `emu` fixture fails the test otherwise).
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.e2e.harness import ROOT, RunningBot, World

ARTICLE = "vertigo-the-second-fall"
TITLE = "Vertigo and the second fall"


async def post_prompt(world: World, runner: RunningBot, slug: str = ARTICLE) -> int:
    """Run /prompt post as the moderator; return the new thread's id."""
    inter = await world.emu.invoke(world.mod.id, world.channel.id, "prompt post",
                                   {"article": slug, "channel": world.channel.id})
    await inter.wait_for(lambda i: bool(i.followups))
    assert inter.ephemeral
    threads = [t for t in world.emu.threads.values() if t["parent_id"] == str(world.channel.id)]
    assert len(threads) == 1
    thread_id = int(threads[-1]["id"])
    assert f"/channels/{world.guild.id}/{thread_id}" in inter.followups[-1]["content"]
    return thread_id


async def test_moderator_posts_prompt_with_thread(world: World, running: RunningBot) -> None:
    """/prompt post: an embed with title, excerpt, link, film and question, and a named thread."""
    thread_id = await post_prompt(world, running)
    posted = world.emu.messages_in(world.channel.id)
    assert len(posted) == 1
    embed = posted[0]["embeds"][0]
    assert embed["title"] == TITLE
    assert embed["url"] == "https://filmclub.example/articles/vertigo-the-second-fall"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Film"] == "Vertigo (1958), dir. Alfred Hitchcock"
    assert fields["The question"].startswith("Hitchcock tells us the truth about Judy")
    assert embed["description"]
    assert world.emu.threads[thread_id]["name"] == TITLE
    prompt = await running.bot.store.get_prompt(thread_id)
    assert prompt is not None and prompt.article.slug == ARTICLE
    assert prompt.posted_by == world.mod.id and prompt.message_id == int(posted[0]["id"])


async def test_autocomplete_offers_slugs_and_titles(world: World, running: RunningBot) -> None:
    """Typing part of a title offers the matching articles, at most 25."""
    choices = await world.emu.autocomplete(world.mod.id, world.channel.id, "prompt post",
                                           {"article": "vert"}, focused="article")
    assert [c["value"] for c in choices] == [ARTICLE]
    assert choices[0]["name"] == f"{TITLE} ({ARTICLE})"
    everything = await world.emu.autocomplete(world.mod.id, world.channel.id, "prompt post",
                                              {"article": ""}, focused="article")
    assert 4 <= len(everything) <= 25


async def test_discussion_is_stored_and_exported(world: World, running: RunningBot,
                                                 tmp_path: Path) -> None:
    """Five members comment, reply, edit, delete, vote and unvote; store and exports show it."""
    emu = world.emu
    thread = await post_prompt(world, running)
    ana, ben, cy, dee, eve = world.members

    a = await emu.say(ana.id, thread, 'Knowing early is the point: "Judy" *performs* & we wait.')
    b = await emu.say(ben.id, thread, "I disagree.\nThe suspense is gone.", reply_to=a["id"])
    c = await emu.say(cy.id, thread, "It moves from *what* to *when*.", reply_to=b["id"],
                      attachments=[{"filename": "tower.png", "size": 2048}])
    d = await emu.say(dee.id, thread, "oops, wrong thread")
    e = await emu.say(eve.id, thread, "The bell tower still gets me. https://example.com/x")
    await emu.say(world.mod.id, world.channel.id, "not in the thread: not a comment")
    await emu.edit(ana.id, a["id"], 'Knowing early is the point: "Judy" *performs* & we wait. '
                   "(And dread.)")
    await emu.unfurl(e["id"])  # a link preview: not an edit
    await emu.delete(d["id"])
    await emu.react(ben.id, a["id"], "👍")
    await emu.react(cy.id, a["id"], "⬆️")
    await emu.react(cy.id, a["id"], "👍")  # same member, second vote emoji: still one vote
    await emu.react(eve.id, a["id"], "🎬")
    await emu.react(ana.id, b["id"], "👎")
    await emu.react(ana.id, e["id"], "👍")
    await emu.unreact(ana.id, e["id"], "👍")

    comments = await running.comments(thread)
    shown = [(x.author_name, x.depth, x.score, x.deleted, x.edited_at is not None,
              [r.content for r in x.revisions]) for x in comments]
    assert shown == [
        ("Ana", 0, 2, False, True,
         ['Knowing early is the point: "Judy" *performs* & we wait.']),
        ("Ben", 1, -1, False, False, []),
        ("Cy", 2, 0, False, False, []),
        ("Dee", 0, 0, True, False, []),
        ("Eve", 0, 0, False, False, []),
    ]
    assert comments[0].content.endswith("(And dread.)")
    assert comments[1].content == "I disagree.\nThe suspense is gone."
    assert [(x.filename, x.size) for x in comments[2].attachments] == [("tower.png", 2048)]
    assert {r.emoji for r in comments[0].reactions} == {"👍", "⬆️", "🎬"}
    assert all(x.thread_id == thread for x in comments)
    assert {x.id for x in comments} == {int(m["id"]) for m in (a, b, c, d, e)}

    inter = await emu.invoke(world.mod.id, thread, "export", {"format": "md"})
    await inter.wait_for(lambda i: bool(i.files))
    assert inter.ephemeral
    (name, data), = inter.files
    assert name.endswith(".md")
    markdown = data.decode("utf-8")
    for line in (
        f"# {TITLE}",
        "### Ana · ", "· +2",
        'Knowing early is the point: "Judy" *performs* & we wait. (And dread.)',
        "> ### Ben · ", "> I disagree.\n> The suspense is gone.",
        "> > ### Cy · ", "> > It moves from *what* to *when*.", "[tower.png](",
        "### *comment deleted ",
        "The bell tower still gets me. <https://example.com/x>",
    ):
        assert line in markdown, line
    assert "oops, wrong thread" not in markdown and "not a comment" not in markdown
    assert "\u22121" in markdown  # Ben's score, with a real minus sign

    out = tmp_path / "cli.md"
    env = {**os.environ, "FILMCLUB_DB": world.database, "PYTHONPATH": str(ROOT)}
    env.pop("DISCORD_TOKEN", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "export", "--thread", str(thread), "--format", "md",
        "--out", str(out), cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL)
    _, stderr = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, stderr.decode()
    assert out.read_text(encoding="utf-8") == markdown


async def test_members_without_rights_are_refused(world: World, running: RunningBot) -> None:
    """A plain member's /prompt post and /export get a private refusal and change nothing."""
    thread = await post_prompt(world, running)
    before = len(world.emu.messages_in(world.channel.id))
    member = world.members[0]
    for name, options, channel in (
        ("prompt post", {"article": ARTICLE}, world.channel.id),
        ("export", {"format": "md"}, thread),
    ):
        inter = await world.emu.invoke(member.id, channel, name, options)
        await inter.wait()
        assert inter.ephemeral
        assert "Manage Messages" in inter.response["content"]
        assert inter.files == []
    assert len(world.emu.messages_in(world.channel.id)) == before
    assert len(await running.bot.store.list_prompts()) == 1


async def test_unknown_article_is_one_line(world: World, running: RunningBot) -> None:
    """A slug that is not in the library is refused in one line; nothing is posted."""
    inter = await world.emu.invoke(world.mod.id, world.channel.id, "prompt post",
                                   {"article": "no-such-film"})
    await inter.wait()
    assert inter.ephemeral and "no article 'no-such-film'" in inter.response["content"]
    assert "\n" not in inter.response["content"]
    assert world.emu.messages_in(world.channel.id) == []
