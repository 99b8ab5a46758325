"""Issue 15's settings: the metrics port and host, the REST proxy; each problem one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import DISCORD_API_BASE, ConfigError, from_env


def test_metrics_are_off_and_local_by_default() -> None:
    """Without FILMCLUB_METRICS_PORT there is no endpoint; its host is this machine only."""
    config = from_env({})
    assert config.metrics_port is None and config.metrics_host == "127.0.0.1"


def test_metrics_port_and_host_are_read() -> None:
    """A port and a wider host (a container's) are taken as given."""
    config = from_env({"FILMCLUB_METRICS_PORT": "9464", "FILMCLUB_METRICS_HOST": "0.0.0.0"})  # noqa: S104
    assert (config.metrics_port, config.metrics_host) == (9464, "0.0.0.0")  # noqa: S104
    assert from_env({"FILMCLUB_METRICS_HOST": "metrics.internal"}).metrics_host == \
        "metrics.internal"


@pytest.mark.parametrize(("key", "value"), [
    ("FILMCLUB_METRICS_PORT", "0"),
    ("FILMCLUB_METRICS_PORT", "65536"),
    ("FILMCLUB_METRICS_PORT", "prometheus"),
    ("FILMCLUB_METRICS_PORT", "-1"),
    ("FILMCLUB_METRICS_HOST", "host name"),
    ("FILMCLUB_METRICS_HOST", "-x"),
    ("FILMCLUB_REST_PROXY", "nirn:8080"),
    ("FILMCLUB_REST_PROXY", "ws://nirn:8080"),
])
def test_bad_values_are_one_line_each(key: str, value: str) -> None:
    """A bad value is one line naming the setting and what it got."""
    with pytest.raises(ConfigError) as caught:
        from_env({key: value})
    assert len(caught.value.problems) == 1
    line = caught.value.problems[0]
    assert line.startswith(key) and repr(value) in line and "\n" not in line


def test_bad_settings_of_running_only_do_not_stop_other_commands() -> None:
    """Like the other Discord settings, they matter only to `run` (discord=False ignores them)."""
    config = from_env({"FILMCLUB_METRICS_PORT": "nope", "FILMCLUB_REST_PROXY": "x"},
                      discord=False)
    assert config.metrics_port is None


@pytest.mark.parametrize(("proxy", "base"), [
    ("http://nirn-proxy:8080", "http://nirn-proxy:8080/api/v10"),
    ("http://nirn-proxy:8080/", "http://nirn-proxy:8080/api/v10"),
    ("https://proxy.example/api/v10/", "https://proxy.example/api/v10"),
    ("http://127.0.0.1:9000/discord/api/v10", "http://127.0.0.1:9000/discord/api/v10"),
])
def test_the_rest_proxy_becomes_the_api_base(proxy: str, base: str) -> None:
    """FILMCLUB_REST_PROXY sets the one REST base discord.py uses (Route.BASE)."""
    assert from_env({"FILMCLUB_REST_PROXY": proxy}).api_base == base
    assert from_env({}).api_base == DISCORD_API_BASE


def test_rest_proxy_and_api_base_together_are_refused() -> None:
    """Two settings saying where REST goes would contradict: one line says to pick one."""
    with pytest.raises(ConfigError) as caught:
        from_env({"FILMCLUB_REST_PROXY": "http://nirn:8080",
                  "DISCORD_API_BASE": "http://127.0.0.1:9/api/v10"})
    assert caught.value.problems == [
        "set FILMCLUB_REST_PROXY or DISCORD_API_BASE, not both (both say where Discord's "
        "REST API is reached)"]


def test_the_new_settings_are_documented() -> None:
    """.env.example and the README's settings name each of issue 15's settings."""
    root = Path(__file__).parents[2]
    example = root.joinpath(".env.example").read_text(encoding="utf-8")
    readme = root.joinpath("README.md").read_text(encoding="utf-8")
    for key in ("FILMCLUB_METRICS_PORT", "FILMCLUB_METRICS_HOST", "FILMCLUB_REST_PROXY"):
        assert f"# {key}=" in example, key
        assert f"`{key}`" in readme, key
