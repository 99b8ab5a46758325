"""Configuration: every key read, every problem one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import DISCORD_API_BASE, ConfigError, from_env, load_dotenv_file


def test_defaults_without_anything_set() -> None:
    """An empty environment gives Discord's endpoints and the data/ defaults."""
    config = from_env({})
    assert config.token is None
    assert config.db_path == Path("data/filmclub.db")
    assert config.articles_dir == Path("data/articles")
    assert config.api_base == DISCORD_API_BASE
    assert config.dev_guild_id is None and config.log_level == "INFO"


def test_every_key_is_read() -> None:
    """Each documented key changes the configuration."""
    config = from_env({
        "DISCORD_TOKEN": "abc.def.ghijkl", "FILMCLUB_DB": "x.db",
        "FILMCLUB_ARTICLES": "a", "DISCORD_API_BASE": "http://127.0.0.1:9/api/v10/",
        "DISCORD_GATEWAY_URL": "ws://127.0.0.1:9/gateway", "FILMCLUB_DEV_GUILD_ID": "42",
        "LOG_LEVEL": "debug", "FILMCLUB_GUILD_READY_TIMEOUT": "0.05",
    })
    assert (config.token, config.db_path, config.articles_dir) == (
        "abc.def.ghijkl", Path("x.db"), Path("a"))
    assert config.api_base == "http://127.0.0.1:9/api/v10"
    assert config.gateway_url == "ws://127.0.0.1:9/gateway"
    assert config.dev_guild_id == 42 and config.log_level == "DEBUG"
    assert config.guild_ready_timeout == 0.05


def test_env_example_lists_every_key() -> None:
    """.env.example documents every key the code reads."""
    text = Path(__file__).parents[2].joinpath(".env.example").read_text()
    for key in ("DISCORD_TOKEN", "FILMCLUB_DB", "FILMCLUB_ARTICLES", "DISCORD_API_BASE",
                "DISCORD_GATEWAY_URL", "FILMCLUB_DEV_GUILD_ID", "FILMCLUB_GUILD_READY_TIMEOUT",
                "LOG_LEVEL"):
        assert key in text


@pytest.mark.parametrize(("key", "value", "named"), [
    ("FILMCLUB_DEV_GUILD_ID", "my-server", "FILMCLUB_DEV_GUILD_ID"),
    ("LOG_LEVEL", "LOUD", "LOG_LEVEL"),
    ("DISCORD_API_BASE", "discord.com/api", "DISCORD_API_BASE"),
    ("DISCORD_GATEWAY_URL", "http://x/", "DISCORD_GATEWAY_URL"),
    ("DISCORD_TOKEN", "short", "DISCORD_TOKEN"),
    ("FILMCLUB_GUILD_READY_TIMEOUT", "soon", "FILMCLUB_GUILD_READY_TIMEOUT"),
    ("FILMCLUB_FEED_INTERVAL", "hourly", "FILMCLUB_FEED_INTERVAL"),
    ("FILMCLUB_FEED_INTERVAL", "0", "FILMCLUB_FEED_INTERVAL"),
    ("FILMCLUB_FETCH_TIMEOUT", "nan", "FILMCLUB_FETCH_TIMEOUT"),
    ("FILMCLUB_FETCH_TIMEOUT", "900", "FILMCLUB_FETCH_TIMEOUT"),
    ("FILMCLUB_FILM_LOOKUP", "maybe", "FILMCLUB_FILM_LOOKUP"),
    ("FILMCLUB_TMDB_TOKEN", "two words", "FILMCLUB_TMDB_TOKEN"),
])
def test_bad_values_are_one_line_each(key: str, value: str, named: str) -> None:
    """A bad value is reported on one line naming its key."""
    with pytest.raises(ConfigError) as caught:
        from_env({key: value})
    assert len(caught.value.problems) == 1
    assert named in caught.value.problems[0] and "\n" not in caught.value.problems[0]


def test_missing_token_is_named() -> None:
    """Asking for the token without one names DISCORD_TOKEN."""
    with pytest.raises(ConfigError, match="DISCORD_TOKEN"):
        from_env({}).require_token()


def test_malformed_dotenv_names_the_line(tmp_path: Path) -> None:
    """A .env line that is not KEY=value is reported with its number."""
    env = tmp_path / ".env"
    env.write_text("LOG_LEVEL=INFO\nthis is not a setting\n")
    with pytest.raises(ConfigError) as caught:
        load_dotenv_file(env)
    assert caught.value.problems == [f"{env}: line 2 is not KEY=value"]


def test_feed_interval_and_fetch_timeout_are_read() -> None:
    """FILMCLUB_FEED_INTERVAL (minutes) and FILMCLUB_FETCH_TIMEOUT (seconds) have defaults."""
    assert (from_env({}).feed_interval, from_env({}).fetch_timeout) == (60, 20.0)
    config = from_env({"FILMCLUB_FEED_INTERVAL": "15", "FILMCLUB_FETCH_TIMEOUT": "7.5"})
    assert (config.feed_interval, config.fetch_timeout) == (15, 7.5)


def test_export_tmp_folder_is_read() -> None:
    """FILMCLUB_EXPORT_TMP names the folder exports are made in; unset, the system's."""
    assert from_env({}).export_tmp_dir is None
    assert from_env({"FILMCLUB_EXPORT_TMP": "data/tmp"}).export_tmp_dir == Path("data/tmp")


def test_film_lookup_settings() -> None:
    """Issue 18: the lookup is on by default, off when asked; the TMDB token is read."""
    assert from_env({}).film_lookup and from_env({}).tmdb_token is None
    config = from_env({"FILMCLUB_FILM_LOOKUP": "OFF", "FILMCLUB_TMDB_TOKEN": " eyJabc.def "})
    assert not config.film_lookup and config.tmdb_token == "eyJabc.def"
