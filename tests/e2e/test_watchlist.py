"""Watchlists through the real bot and the emulator (issue 17): two members fill lists,
one film however it is typed, pages, remove and watched by the right people only, a
prompt marking its film watched, autocomplete, and the moderators-only setting."""

from __future__ import annotations

import pytest

from tests.e2e.harness import RunningBot, World
from tests.e2e.moderating import buttons, eventually, message, post, run, text


async def add(world: World, who: object, film: str, **options: object) -> str:
    inter = await run(world, who, world.lobby, "watchlist add", {"film": film, **options})
    assert inter.ephemeral, inter.summary()
    return text(inter)


async def test_two_members_fill_a_watchlist(world: World, running: RunningBot) -> None:
    """Ana and Ben suggest films: spellings of one film make one entry; pages list them all."""
    ana, ben = world.members[:2]
    assert await add(world, ana, "Her", note="Spike Jonze") == "Added **Her** to Watchlist."
    assert "is already on Watchlist" in await add(world, ben, "her (2013)")
    assert "already on" in await add(world, ben, "HER.")
    assert await add(world, ben, "The Godfather", year=1972) == \
        "Added **The Godfather (1972)** to Watchlist."
    assert "already on" in await add(world, ana, "Godfather, The")
    assert await add(world, ana, "Dune (1984)") == "Added **Dune (1984)** to Watchlist."
    assert await add(world, ben, "Dune", year=2021) == "Added **Dune (2021)** to Watchlist."
    for number in range(1, 12):
        who = (ana, ben)[number % 2]
        assert (await add(world, who, f"Halloween {number}", list="Halloween")).startswith(
            "Added")
    assert running.bot is not None
    entries = await running.bot.store.watch_entries(world.guild.id, "Watchlist")
    assert [(e.title, e.year, e.suggested_by) for e in entries] == [
        ("Her", 2013, ana.id), ("The Godfather", 1972, ben.id), ("Dune", 1984, ana.id),
        ("Dune", 2021, ben.id)]
    # "Dune" alone is ambiguous now: the answer says so in one line
    inter = await run(world, ana, world.lobby, "watchlist remove", {"film": "Dune"})
    assert "say which with its year" in text(inter) and "\n" not in text(inter)

    shown = await run(world, ben, world.lobby, "watchlist list")
    body = text(shown)
    assert "4 to watch, 0 watched" in body
    assert body.index("**Her** (2013)") < body.index("**The Godfather** (1972)")
    page1 = await run(world, ben, world.lobby, "watchlist list", {"list": "halloween"})
    first = message(page1)
    assert first["embeds"][0]["title"] == "Halloween"
    assert "Halloween 10" in text(page1) and "Halloween 11" not in text(page1)
    page2 = await world.emu.click(ben.id, first["id"], buttons(first)["Next"]["custom_id"])
    await page2.wait()
    assert "11. **Halloween 11**" in page2.response["embeds"][0]["description"]

    lists = await run(world, ana, world.lobby, "watchlist lists")
    assert "**Watchlist**: 4 to watch, 0 watched" in text(lists)
    assert "**Halloween**: 11 to watch, 0 watched" in text(lists)

    choices = await world.emu.autocomplete(ana.id, world.lobby.id, "watchlist remove",
                                           {"film": "du"}, "film")
    assert [c["value"] for c in choices] == ["Dune (1984)", "Dune (2021)"]
    offered = await world.emu.autocomplete(ben.id, world.lobby.id, "watchlist add",
                                           {"film": "ver"}, "film")
    assert [c["name"] for c in offered] == ["Vertigo (1958) · in the library"]
    offered = await world.emu.autocomplete(ben.id, world.lobby.id, "watchlist add",
                                           {"film": "du"}, "film")
    assert [c["value"] for c in offered] == ["Dune (1984)", "Dune (2021)"]  # lists first
    offered = await world.emu.autocomplete(ben.id, world.lobby.id, "watchlist add",
                                           {"film": "the godf"}, "film")
    assert [c["value"] for c in offered] == ["The Godfather (1972)"]
    list_choices = await world.emu.autocomplete(ana.id, world.lobby.id, "watchlist list",
                                                {"list": "hall"}, "list")
    assert [c["value"] for c in list_choices] == ["Halloween"]


async def test_remove_and_watched_by_suggester_or_moderator(world: World,
                                                            running: RunningBot) -> None:
    """Another member is refused; the suggester and a moderator may; a prompt marks watched."""
    ana, ben, cy = world.members[:3]
    await add(world, ana, "Vertigo")
    await add(world, ana, "Stalker (1979)", list="Slow cinema")
    await add(world, ben, "Paddington 2")
    refused = await run(world, cy, world.lobby, "watchlist remove", {"film": "vertigo"})
    assert text(refused) == "Only whoever suggested “Vertigo” or a moderator can remove it."
    refused = await run(world, cy, world.lobby, "watchlist watched", {"film": "Paddington 2"})
    assert "Only whoever suggested" in text(refused)
    assert running.bot is not None
    assert len(await running.bot.store.watch_entries(world.guild.id)) == 3

    done = await run(world, ben, world.lobby, "watchlist watched", {"film": "paddington 2"})
    assert text(done) == "**Paddington 2** on Watchlist is now marked watched."
    gone = await run(world, world.mod, world.lobby, "watchlist remove",
                     {"film": "Stalker", "list": "slow cinema"})
    assert text(gone) == "Removed **Stalker (1979)** from Slow cinema."

    thread = await post(world)  # the Vertigo article (film: Vertigo, year: 1958)

    async def vertigo_watched() -> bool:
        entries = await running.bot.store.watch_entries(world.guild.id, "Watchlist")
        return any(e.title == "Vertigo" and e.watched for e in entries)

    await eventually(vertigo_watched)
    entries = {e.title: e for e in await running.bot.store.watch_entries(world.guild.id)}
    assert entries["Vertigo"].watched_thread_id == thread
    assert entries["Vertigo"].year is None  # a year is only filled in by a suggestion
    assert set(entries) == {"Vertigo", "Paddington 2"}
    shown = text(await run(world, ana, world.lobby, "watchlist list"))
    assert "0 to watch, 2 watched" in shown and f"in <#{thread}>" in shown


async def test_suggestions_for_moderators_only(world: World, running: RunningBot) -> None:
    """With the setting, a member's suggestion is refused and nothing is added."""
    ana = world.members[0]
    member_try = await run(world, ana, world.lobby, "club settings",
                           {"suggestions": "moderators"})
    assert text(member_try).startswith("You need the Manage Messages permission")
    setting = await run(world, world.mod, world.lobby, "club settings",
                        {"suggestions": "moderators"})
    assert text(setting) == ("Film suggestions: moderators only. Polls run 24 hours unless "
                             "told otherwise.")
    refused = await run(world, ana, world.lobby, "watchlist add", {"film": "Her"})
    assert text(refused).startswith("You need the Manage Messages permission")
    assert "Added" in await add(world, world.mod, "Her")
    assert running.bot is not None
    assert [e.suggested_by for e in await running.bot.store.watch_entries(world.guild.id)] == [
        world.mod.id]


@pytest.mark.parametrize(("film", "year", "answer"), [
    ("   ", None, "Give the film's title."),
    ("Her (2013)", 2014, "“Her (2013)” says 2013 but the year given is 2014; give one year."),
    ("x" * 201, None, "That title is over 200 characters."),
])
async def test_bad_titles_are_refused_in_one_line(world: World, running: RunningBot,
                                                  film: str, year: int | None,
                                                  answer: str) -> None:
    """A blank or overlong title, or two years: one private line, nothing stored."""
    options: dict[str, object] = {"film": film}
    if year is not None:
        options["year"] = year
    inter = await run(world, world.members[0], world.lobby, "watchlist add", options)
    assert inter.ephemeral and "\n" not in text(inter) and text(inter).startswith(answer)
    assert running.bot is not None
    assert await running.bot.store.watch_entries(world.guild.id) == []
    assert await running.bot.store.watchlists(world.guild.id) == []
