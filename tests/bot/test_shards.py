"""Shard settings and the one rule for which process looks after a server (issue 15)."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, from_env
from bot.shards import EVERYWHERE, Shards, parse_ids, shard_of


@pytest.mark.parametrize(("count", "ids", "expected"), [
    ("4", "0-3", (0, 1, 2, 3)),
    ("6", "4,5", (4, 5)),
    ("8", "0-1, 6", (0, 1, 6)),
    ("2", "1", (1,)),
    ("16", "3-3,9-11", (3, 9, 10, 11)),
])
def test_shard_ids_are_read(count: str, ids: str, expected: tuple[int, ...]) -> None:
    """Ranges, lists and both mixed give the ids in order, of the count given."""
    shards = from_env({"FILMCLUB_SHARD_COUNT": count, "FILMCLUB_SHARD_IDS": ids}).shards
    assert shards == Shards(int(count), expected)
    assert shards.running == expected


def test_without_shard_settings_one_process_owns_everything() -> None:
    """No shard settings: not sharded, every server and shard 0 are this process's."""
    shards = from_env({}).shards
    assert shards is EVERYWHERE and not shards.sharded
    assert shards.owns(123 << 22) and shards.owns(None) and shards.holds_first


def test_count_alone_runs_every_shard() -> None:
    """FILMCLUB_SHARD_COUNT alone: this process runs all of them."""
    shards = from_env({"FILMCLUB_SHARD_COUNT": "3"}).shards
    assert shards.running == (0, 1, 2) and shards.ids is None
    assert all(shards.owns(g << 22) for g in range(6))


@pytest.mark.parametrize(("env", "says"), [
    ({"FILMCLUB_SHARD_IDS": "0-1"}, "FILMCLUB_SHARD_IDS=0-1 needs FILMCLUB_SHARD_COUNT"),
    ({"FILMCLUB_SHARD_COUNT": "2", "FILMCLUB_SHARD_IDS": "1-2"}, "2 outside 0-1"),
    ({"FILMCLUB_SHARD_COUNT": "4", "FILMCLUB_SHARD_IDS": "0-2,2"}, "2 given twice"),
    ({"FILMCLUB_SHARD_COUNT": "4", "FILMCLUB_SHARD_IDS": "3-1"}, "runs backwards"),
    ({"FILMCLUB_SHARD_COUNT": "4", "FILMCLUB_SHARD_IDS": "a"}, "'a' is not a shard id"),
    ({"FILMCLUB_SHARD_COUNT": "4", "FILMCLUB_SHARD_IDS": "0,,1"}, "has an empty item"),
    ({"FILMCLUB_SHARD_COUNT": "4", "FILMCLUB_SHARD_IDS": "-1"}, "is not a shard id"),
    ({"FILMCLUB_SHARD_COUNT": "0"}, "FILMCLUB_SHARD_COUNT must be a number of shards"),
    ({"FILMCLUB_SHARD_COUNT": "two"}, "FILMCLUB_SHARD_COUNT must be a number of shards"),
])
def test_bad_shard_settings_are_one_line(env: dict[str, str], says: str) -> None:
    """Each mistake in the shard settings is one line saying what is wrong."""
    with pytest.raises(ConfigError) as caught:
        from_env(env)
    assert len(caught.value.problems) == 1
    assert says in caught.value.problems[0] and "\n" not in caught.value.problems[0]


def test_shard_settings_do_not_stop_commands_without_discord() -> None:
    """Commands that never connect (export, db...) do not refuse bad shard settings."""
    assert from_env({"FILMCLUB_SHARD_IDS": "0"}, discord=False).shards is EVERYWHERE


def test_a_server_belongs_to_the_shard_discord_gives_it() -> None:
    """(guild_id >> 22) % count, and only the process running that shard owns it."""
    guild = 175928847299117063  # Discord's documented example snowflake
    assert shard_of(guild, 4) == (guild >> 22) % 4
    first, second = Shards(2, (0,)), Shards(2, (1,))
    guilds = [(n << 22) | 12345 for n in range(10)]
    for guild_id in guilds:
        assert first.owns(guild_id) != second.owns(guild_id)
        assert first.owns(guild_id) == (shard_of(guild_id, 2) == 0)
    assert first.holds_first and not second.holds_first
    assert first.owns(None) and not second.owns(None)  # nobody's server: shard 0's


def test_parse_ids_keeps_the_order_given() -> None:
    """Ids come back in the order written, ranges expanded."""
    assert parse_ids("5,0-2") == (5, 0, 1, 2)
    assert Shards(8, (5, 0)).describe() == "shards 5, 0 of 8"
    assert EVERYWHERE.describe() == "not sharded"
