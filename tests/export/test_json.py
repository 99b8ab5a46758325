"""The JSON export: DiscordChatExporter's shape, the shipped schema, and exact text."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource

from bot.export import ExportOptions
from bot.export.jsondoc import schema_text
from bot.store import Store
from tests import discussion, hostile
from tests.export.conftest import ALL_OPTIONS, OPTION_SETS, SAMPLES, export_bytes


def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(schema_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    registry: Registry = Registry().with_resource(schema["$id"], Resource.from_contents(schema))
    return jsonschema.Draft202012Validator(schema, registry=registry)


async def export_json(store: Store, folder: Path, sample: str,
                      options: ExportOptions | None = None) -> dict[str, Any]:
    return json.loads((await export_bytes(store, folder, sample, "json", options)).decode())


@pytest.mark.parametrize("options", OPTION_SETS, ids=["default", "all-options"])
@pytest.mark.parametrize("sample", SAMPLES)
async def test_every_export_is_valid_against_the_shipped_schema(
        filled: Store, tmp_path: Path, sample: str, options: ExportOptions) -> None:
    """Each sample, with and without options, validates against export.schema.json."""
    document = await export_json(filled, tmp_path, sample, options)
    errors = [f"{list(e.absolute_path)}: {e.message}"
              for e in validator().iter_errors(document)]
    assert errors == []


async def test_schema_rejects_a_message_without_the_filmclub_key(filled: Store,
                                                                 tmp_path: Path) -> None:
    """The schema is strict enough to notice a missing field."""
    document = await export_json(filled, tmp_path, "discussion")
    del document["messages"][0]["filmclub"]
    assert not validator().is_valid(document)


async def test_json_parses_back_into_the_stored_discussion(filled: Store,
                                                          tmp_path: Path) -> None:
    """Ids, parent links, depth, contents, scores and revisions equal the store's."""
    document = await export_json(filled, tmp_path, "hostile", ALL_OPTIONS)
    parsed = []
    for m in document["messages"]:
        ours = m["filmclub"]
        parent = None if ours["parentId"] is None else int(ours["parentId"])
        revisions = [(r["content"], datetime.fromisoformat(r["writtenAt"]),
                      datetime.fromisoformat(r["replacedAt"])) for r in ours["revisions"]]
        parsed.append((int(m["id"]), parent, ours["depth"], m["content"], ours["score"],
                       revisions))
    stored = [(c.id, c.parent_id, c.depth, c.content, c.score,
               [(r.content, r.written_at, r.replaced_at) for r in c.revisions])
              async for c in filled.iter_comments(hostile.THREAD)]
    assert parsed == stored


async def test_message_count_follows_the_messages(filled: Store, tmp_path: Path) -> None:
    """messageCount is written after the streamed messages and equals their number."""
    raw = (await export_bytes(filled, tmp_path, "hostile", "json")).decode()
    document = json.loads(raw)
    assert document["messageCount"] == len(document["messages"]) == 15
    assert raw.index('"messageCount"') > raw.index('"messages"')


@pytest.mark.parametrize("text", [
    hostile.SCRIPTS, hostile.SCHEMES, hostile.FORMULA, hostile.INVISIBLE, "First! " + hostile.EMOJI,
    hostile.LONG, hostile.SHOWCASE, "\tindented\r\nwith CRLF", "\rcarriage return first",
    "+1", "-2", "@SUM(A1)",
], ids=["scripts", "schemes", "formula", "invisible", "emoji", "long", "markdown", "crlf", "cr",
        "plus", "minus", "at"])
async def test_hostile_text_round_trips_byte_for_byte(filled: Store, tmp_path: Path,
                                                      text: str) -> None:
    """The stored text comes back from the JSON with exactly the same UTF-8 bytes."""
    document = await export_json(filled, tmp_path, "hostile")
    contents = [m["content"].encode("utf-8") for m in document["messages"]]
    assert text.encode("utf-8") in contents


async def test_deleted_comment_keeps_its_place_but_not_its_text(filled: Store,
                                                               tmp_path: Path) -> None:
    """Without include_deleted the tombstone has empty content and deletedAt set."""
    document = await export_json(filled, tmp_path, "discussion")
    dee = next(m for m in document["messages"] if m["id"] == str(discussion.DEE.id))
    assert dee["content"] == ""
    assert dee["filmclub"]["deletedAt"] == "2026-11-01T20:07:00+00:00"


async def test_include_deleted_keeps_the_deleted_text(filled: Store, tmp_path: Path) -> None:
    """With include_deleted the deleted comment's text is exported, still marked deleted."""
    document = await export_json(filled, tmp_path, "discussion", ALL_OPTIONS)
    dee = next(m for m in document["messages"] if m["id"] == str(discussion.DEE.id))
    assert (dee["content"], dee["filmclub"]["deletedAt"] is not None) == (
        "Mistake, wrong thread", True)


async def test_replies_carry_a_discord_reference(filled: Store, tmp_path: Path) -> None:
    """A reply is type Reply with reference.messageId = its parent; others have none."""
    document = await export_json(filled, tmp_path, "discussion")
    by_id = {m["id"]: m for m in document["messages"]}
    ben = by_id[str(discussion.BEN.id)]
    assert (ben["type"], ben["reference"]["messageId"]) == ("Reply", str(discussion.ANA.id))
    assert by_id[str(discussion.ANA.id)]["reference"] is None


async def test_custom_emoji_reaction_has_discord_id_and_name(filled: Store,
                                                            tmp_path: Path) -> None:
    """'<a:dance:42>' becomes emoji id 42, name dance, animated, with its users."""
    document = await export_json(filled, tmp_path, "hostile")
    show = next(m for m in document["messages"] if m["id"] == str(hostile.SHOW.id))
    dance = next(r for r in show["reactions"] if r["emoji"]["name"] == "dance")
    assert (dance["emoji"]["id"], dance["emoji"]["isAnimated"], dance["count"],
            [u["id"] for u in dance["users"]]) == ("42", True, 1, [str(hostile.RTL)])


async def test_mentions_resolve_names_seen_so_far(filled: Store, tmp_path: Path) -> None:
    """A mention of an earlier author has their name; an unknown member has none."""
    document = await export_json(filled, tmp_path, "hostile")
    show = next(m for m in document["messages"] if m["id"] == str(hostile.SHOW.id))
    assert [(u["id"], u["name"]) for u in show["mentions"]] == [("15", "Zed"), ("999", None)]


async def test_the_film_record_is_under_filmclub_and_valid(filled: Store, tmp_path: Path) -> None:
    """Issue 18: a prompt with a film record exports it under filmclub.film, schema-valid;
    a film the schema does not know the shape of is refused."""
    from datetime import UTC, date

    from bot.films import FilmRecord

    film = await filled.save_film(FilmRecord(
        "Vertigo", 1958, release_date=date(1958, 5, 9), directors=("Alfred Hitchcock",),
        runtime=128, genres=("thriller film",), wikidata_id="Q90037", imdb_id="tt0052357",
        tmdb_id=426, poster_url="https://image.tmdb.org/t/p/w342/vertigo.jpg"),
        datetime(2026, 1, 1, tzinfo=UTC))
    await filled.set_prompt_film(discussion.THREAD, film.id)
    document = await export_json(filled, tmp_path, "discussion")
    shown = document["filmclub"]["film"]
    assert (shown["title"], shown["releaseDate"], shown["runtimeMinutes"], shown["tmdbId"]) == (
        "Vertigo", "1958-05-09", 128, 426)
    assert [f"{list(e.absolute_path)}: {e.message}"
            for e in validator().iter_errors(document)] == []
    shown["runtimeMinutes"] = "two hours"
    assert not validator().is_valid(document)
