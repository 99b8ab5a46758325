"""The article library seen from Discord: no absolute paths, nothing read through a link out."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import RunningBot, World

SECRET = "The database password is hunter2."


def hostile_library(tmp_path: Path) -> Path:
    """A library with a broken file and a link to an article-shaped file outside it."""
    root, outside = tmp_path / "library", tmp_path / "private"
    root.mkdir()
    outside.mkdir()
    (outside / "secret.md").write_text(f"---\ntitle: Secret notes\n---\n{SECRET}\n",
                                       encoding="utf-8")
    (root / "evil.md").symlink_to(outside / "secret.md")
    (root / "broken.md").write_text("no front matter\n", encoding="utf-8")
    return root


async def test_library_errors_in_discord_name_no_paths_and_follow_no_links(
        world: World, tmp_path: Path) -> None:
    """/prompt post and its autocomplete: relative names only, the linked file never read."""
    world.articles = hostile_library(tmp_path)
    runner = RunningBot(world)
    await runner.start()
    try:
        answers = {}
        for slug in ("broken", "evil"):
            inter = await world.emu.invoke(world.mod.id, world.channel.id, "prompt post",
                                           {"article": slug})
            await inter.wait()
            answers[slug] = inter.response["content"]
        assert answers == {
            "broken": "broken.md: no front matter: the first line must be '---'",
            "evil": "evil.md: is a link to a file outside the library; not read",
        }
        choices = await world.emu.autocomplete(world.mod.id, world.channel.id, "prompt post",
                                               {"article": "sec"}, focused="article")
        assert choices == []
        sent = [m.get("content", "") + str(m.get("embeds", ""))
                for m in world.emu.messages_in(world.channel.id)]
        assert all(SECRET not in text and str(tmp_path) not in text for text in sent)
        assert all(str(tmp_path) not in text for text in answers.values())
    finally:
        assert await runner.stop() == 0
