"""The deployment files, checked statically: nothing here builds an image or starts a unit.

docs/deploy.md says so too. compose.yaml, the Dockerfile, deploy/prometheus.yml and
deploy/filmclub.service are read as the tools would read them and held against the code:
the bot's own configuration check, its command line, its console script.
"""

from __future__ import annotations

import configparser
import json
import re
import shlex
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from bot import cli
from bot.config import from_env

ROOT = Path(__file__).parents[2]
DOC = ROOT / "docs" / "deploy.md"


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def interpolated(value: str) -> str:
    """A compose value with its ``${VAR...}`` replaced by a stand-in, as compose would
    with the variable set."""
    return re.sub(r"\$\{([A-Z_]+)[^}]*\}", lambda m: f"{m.group(1).lower()}-value", value)


def shard_services() -> dict[str, dict[str, str]]:
    """The services running the bot: their environment, interpolated."""
    found = {}
    for name, service in compose()["services"].items():
        env = {k: interpolated(str(v)) for k, v in (service.get("environment") or {}).items()}
        if "FILMCLUB_SHARD_IDS" in env or service.get("build"):
            found[name] = env
    return found


def shard_ids(text: str) -> list[int]:
    """``0-3``, ``4,5``: the shard ids a process runs (as FILMCLUB_SHARD_IDS is written)."""
    ids: list[int] = []
    for part in text.replace(" ", "").split(","):
        low, _, high = part.partition("-")
        ids.extend(range(int(low), int(high or low) + 1))
    return ids


def documented_services() -> set[str]:
    """The services docs/deploy.md's table names (first column, in backticks)."""
    text = DOC.read_text(encoding="utf-8")
    table = text.split("| service |", 1)[1].split("\n\n", 1)[0]
    return {m.group(1) for m in re.finditer(r"^\| `([a-z0-9-]+)` \|", table, re.M)}


def cli_command(argv: list[str]) -> str:
    """The filmclub command ``argv`` runs, parsed by the real command line (SystemExit if
    it is not one)."""
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    program = PurePosixPath(argv[0]).name
    assert program in scripts, f"{argv[0]} is not a console script of the project"
    assert scripts[program] == "bot.cli:main"
    return str(cli._parser().parse_args(argv[1:]).command)


def test_compose_names_every_service_the_doc_names() -> None:
    """compose.yaml parses, and its services are exactly those docs/deploy.md describes."""
    services = set(compose()["services"])
    assert documented_services() == services
    assert {"postgres", "nirn-proxy", "prometheus"} <= services
    text = DOC.read_text(encoding="utf-8")
    assert "checked only statically" in text


def test_shards_cover_every_shard_once() -> None:
    """The shard processes agree on the count and run 0..count-1, each exactly once."""
    shards = shard_services()
    assert len(shards) >= 2
    counts = {env["FILMCLUB_SHARD_COUNT"] for env in shards.values()}
    assert len(counts) == 1
    count = int(counts.pop())
    ran = sorted(i for env in shards.values() for i in shard_ids(env["FILMCLUB_SHARD_IDS"]))
    assert ran == list(range(count))
    print(f"{len(shards)} shard processes run shards 0..{count - 1} once each")


def test_each_shard_process_passes_the_bots_own_configuration_check() -> None:
    """Every shard's environment is accepted by bot.config (as `filmclub run` checks it),
    on PostgreSQL, through the proxy service, with metrics reachable from Prometheus."""
    services = compose()["services"]
    proxy_port = services["nirn-proxy"]["environment"]["PORT"]
    for name, env in shard_services().items():
        config = from_env({**env, "DISCORD_TOKEN": "a.placeholder.bot-token"})
        assert env["FILMCLUB_DB"].startswith("postgresql://filmclub:"), name
        assert env["FILMCLUB_DB"].endswith("@postgres:5432/filmclub"), name
        assert config.api_base == f"http://nirn-proxy:{proxy_port}/api/v10", name
        assert config.metrics_port is not None and config.metrics_host == "0.0.0.0", name  # noqa: S104
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", name


def test_prometheus_scrapes_each_shards_metrics_port() -> None:
    """deploy/prometheus.yml's filmclub targets are the shard services on their port."""
    config = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    targets = {t for group in jobs["filmclub"]["static_configs"] for t in group["targets"]}
    assert targets == {f"{name}:{env['FILMCLUB_METRICS_PORT']}"
                       for name, env in shard_services().items()}
    assert jobs["filmclub"].get("metrics_path", "/metrics") == "/metrics"
    mounted = compose()["services"]["prometheus"]["volumes"]
    assert "./deploy/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in mounted
    nirn = compose()["services"]["nirn-proxy"]["environment"]["METRICS_PORT"]
    assert {t for g in jobs["nirn-proxy"]["static_configs"] for t in g["targets"]} == {
        f"nirn-proxy:{nirn}"}


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions, continuation lines joined, comments left out."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    text = re.sub(r"\\\n\s*", " ", text)
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def test_the_dockerfile_runs_the_cli_with_what_it_copies() -> None:
    """ENTRYPOINT + CMD is `filmclub run`; what it copies exists; the extras it installs are
    the project's; the port it exposes is the metrics port it sets."""
    steps = dockerfile()
    entry = json.loads(next(rest for word, rest in steps if word == "ENTRYPOINT"))
    command = json.loads(next(rest for word, rest in steps if word == "CMD"))
    assert cli_command(entry + command) == "run"
    for word, rest in steps:
        if word == "COPY":
            for source in rest.split()[:-1]:
                assert (ROOT / source).exists(), source
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    installs = [rest for word, rest in steps if word == "RUN" and "pip install" in rest]
    for wanted in re.findall(r"\.\[([a-z,]+)\]", " ".join(installs)):
        for extra in wanted.split(","):
            assert extra in extras, f"the Dockerfile installs an extra pyproject lacks: {extra}"
    env = dict(re.findall(r"(FILMCLUB_[A-Z_]+)=(\S+)",
                          " ".join(rest for word, rest in steps if word == "ENV")))
    exposed = {rest for word, rest in steps if word == "EXPOSE"}
    assert exposed == {env["FILMCLUB_METRICS_PORT"]}
    health = next(rest for word, rest in steps if word == "HEALTHCHECK")
    assert f"127.0.0.1:{env['FILMCLUB_METRICS_PORT']}/healthz" in health
    assert ("USER", "filmclub") in steps


def unit() -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False)  # systemd repeats some keys
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((ROOT / "deploy" / "filmclub.service").read_text(encoding="utf-8"))
    return parser


def test_the_unit_starts_a_real_cli_command() -> None:
    """ExecStart is the console script with `run`; the database lives in its StateDirectory."""
    service = unit()["Service"]
    argv = shlex.split(service["ExecStart"])
    assert argv[0].startswith("/"), "systemd wants an absolute path"
    assert cli_command(argv) == "run"
    settings = {}
    for line in (ROOT / "deploy" / "filmclub.service").read_text().splitlines():
        if line.startswith("Environment="):
            key, _, value = line.removeprefix("Environment=").partition("=")
            settings[key] = value
    db = PurePosixPath(settings["FILMCLUB_DB"])
    assert db.parent == PurePosixPath("/var/lib") / service["StateDirectory"]
    assert service["User"] and service["User"] != "root"
    assert service["RestartPreventExitStatus"] == str(cli.EXIT_USAGE)


@pytest.mark.parametrize(("key", "value"), [
    ("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("ProtectHome", "yes"),
    ("PrivateTmp", "yes"), ("PrivateDevices", "yes"), ("CapabilityBoundingSet", ""),
    ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"), ("RestrictNamespaces", "yes"),
    ("RestrictSUIDSGID", "yes"), ("LockPersonality", "yes"), ("ProtectKernelTunables", "yes"),
    ("ProtectKernelModules", "yes"), ("ProtectControlGroups", "yes"),
    ("SystemCallArchitectures", "native"),
])
def test_the_unit_keeps_its_hardening(key: str, value: str) -> None:
    """Each hardening option of the unit is there with its value."""
    assert unit()["Service"][key] == value
