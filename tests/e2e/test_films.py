"""Films through the real bot and the emulator (issue 18), with the film lookup reaching the
loopback fake of Wikidata and TMDB: the prompt's embed with year, director, runtime and
poster, an ambiguous article shown as a choice in /prompt preview, /film set with its
autocomplete, /film info with only what the member can see, and the JSON and HTML exports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.emulator import Permissions
from cogs.support.client import FilmClub
from tests.e2e.harness import RunningBot, World
from tests.e2e.moderating import message, run, text
from tests.e2e.private import overwrite
from tests.filmfake import TOKEN, FilmAPIs

HER = "her-love-story"
DUNE = "why-dune-matters"


def library(folder: Path) -> Path:
    folder.mkdir()
    (folder / f"{HER}.md").write_text(
        "---\ntitle: \"Spike Jonze's 'Her' is a love story for the age of the OS\"\n"
        "question: Is Samantha a person?\n---\n\nTheodore writes other people's letters for "
        "a living, and falls for the voice in his computer.\n", encoding="utf-8")
    (folder / f"{DUNE}.md").write_text(
        "---\ntitle: Why 'Dune' still matters\nquestion: Is Paul the hero?\n---\n\nSand, "
        "spice, and a boy who would be messiah.\n", encoding="utf-8")
    return folder


def started_with(world: World, apis: FilmAPIs) -> RunningBot:
    """A bot whose film lookup (with a TMDB token) reaches the fake only."""
    def configure(bot: FilmClub) -> None:
        bot.film_lookup = apis.lookup(token=TOKEN, cache=bot.store)
    return RunningBot(world, configure=configure)


def embed_of(world: World, message_id: int) -> dict[str, Any]:
    msg = world.emu.get_message(message_id)
    assert msg is not None
    return msg["embeds"][0]


async def post(world: World, slug: str, channel: Any) -> int:
    before = set(world.emu.threads)
    inter = await run(world, world.mod, channel, "prompt post",
                      {"article": slug, "channel": channel.id})
    new = [t for t in world.emu.threads if t not in before]
    assert len(new) == 1, text(inter)
    return new[0]


async def test_films_end_to_end(world: World, film_apis: FilmAPIs, tmp_path: Path) -> None:
    """Preview offers the Dune choice; /film set picks one; the prompts' embeds carry the
    films; /film info shows the record and the history the member may see; exports carry it."""
    world.articles = library(tmp_path / "articles")
    emu = world.emu
    ana = world.members[0]
    staff = emu.add_text_channel(world.guild.id, "staff", overwrites=[
        overwrite(world.guild.id, 0, deny=Permissions.VIEW_CHANNEL),
        overwrite(world.mod.id, 1, allow=Permissions.VIEW_CHANNEL),
        overwrite(emu.bot_user_id, 1, allow=Permissions.VIEW_CHANNEL)])
    runner = started_with(world, film_apis)
    await runner.start()
    try:
        # an ambiguous article: shown as a choice, never guessed
        preview = await run(world, world.mod, world.channel, "prompt preview", {"article": DUNE})
        assert ("Film: not set: which one? Dune (1984), David Lynch; Dune (2021), Denis "
                "Villeneuve") in text(preview)
        assert not any(f["name"] == "Film" for f in message(preview)["embeds"][0]["fields"])

        choices = await emu.autocomplete(world.mod.id, world.channel.id, "film set",
                                         {"article": DUNE, "film": ""}, focused="film")
        names = [c["name"] for c in choices]
        assert names[:2] == ["Dune (1984), David Lynch", "Dune (2021), Denis Villeneuve"]
        chosen = choices[1]["value"]
        assert chosen.startswith("film:")
        refused = await run(world, ana, world.channel, "film set",
                            {"article": DUNE, "film": chosen})
        assert "Manage Messages" in text(refused)
        done = await run(world, world.mod, world.channel, "film set",
                         {"article": DUNE, "film": chosen})
        assert text(done) == ("**Why 'Dune' still matters** is about **Dune (2021)** "
                              "(2021 · Denis Villeneuve · 155 min).")

        # the embeds: year, director, runtime; the poster as the thumbnail
        her_thread = await post(world, HER, world.channel)
        her = embed_of(world, her_thread)
        film_field = next(f["value"] for f in her["fields"] if f["name"] == "Film")
        assert film_field == "Her (2013) · dir. Spike Jonze · 126 min"
        assert her["thumbnail"]["url"] == "https://image.tmdb.org/t/p/w342/her-poster.jpg"
        dune_thread = await post(world, DUNE, staff)
        dune = embed_of(world, dune_thread)
        assert next(f["value"] for f in dune["fields"] if f["name"] == "Film") == \
            "Dune (2021) · dir. Denis Villeneuve · 155 min"

        # history: a rating and a watchlist entry
        rated = await emu.click(ana.id, her_thread, f"filmclub:rate:{her_thread}", values=["8"])
        await rated.wait()
        added = await run(world, ana, world.lobby, "watchlist add", {"film": "Her (2013)"})
        assert "Her (2013)" in text(added)

        info_choices = await emu.autocomplete(ana.id, world.lobby.id, "film info",
                                              {"film": ""}, focused="film")
        assert [c["name"] for c in info_choices] == ["Her (2013), Spike Jonze"]
        info = await run(world, ana, world.lobby, "film info", {"film": info_choices[0]["value"]})
        fields = {f["name"]: f["value"] for f in message(info)["embeds"][0]["fields"]}
        assert message(info)["embeds"][0]["title"] == "Her (2013)"
        assert fields["Directed by"] == "Spike Jonze" and fields["Runtime"] == "126 min"
        assert fields["Released"] == "2013-12-18"
        assert f"<#{her_thread}>" in fields["Discussed"]
        assert fields["Rating"] == "★ 4.00 / 5 from 1 rating"
        assert fields["Watchlists"] == "Watchlist: to watch"
        assert "[Wikidata](https://www.wikidata.org/wiki/Q90001)" in fields["Links"]
        assert message(info)["embeds"][0]["thumbnail"]["url"].endswith("/her-poster.jpg")

        # Dune was discussed only in #staff: Ana is not told of it; the moderator is
        hidden = await run(world, ana, world.lobby, "film info", {"film": "Dune (2021)"})
        assert text(hidden) == "No film called “Dune (2021)” is known here: pick one from the list."
        seen = await run(world, world.mod, world.lobby, "film info", {"film": "Dune (2021)"})
        assert f"<#{dune_thread}>" in text(seen)

        # exports carry the film
        exported = await run(world, world.mod, her_thread, "export", {"format": "json"})
        document = json.loads(exported.files[0][1])
        film = document["filmclub"]["film"]
        assert (film["title"], film["year"], film["directors"], film["runtimeMinutes"]) == (
            "Her", 2013, ["Spike Jonze"], 126)
        assert (film["wikidataId"], film["imdbId"], film["tmdbId"]) == (
            "Q90001", "tt1798709", 152601)
        page = await run(world, world.mod, her_thread, "export", {"format": "html"})
        html = page.files[0][1].decode()
        assert "Her (2013) · dir. Spike Jonze · 126 min" in html
        assert 'href="https://www.imdb.com/title/tt1798709/"' in html
    finally:
        assert await runner.stop() == 0
    assert world.emu.problems == []
