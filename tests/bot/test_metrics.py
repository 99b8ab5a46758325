"""bot.metrics: a registry per process, counts by record type, the health answer, the server."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import Metrics, MetricsServer, ShardState, kind_name
from bot.models import (
    Article,
    MessageCreated,
    MessageDeleted,
    Prompt,
    ReactionAdded,
)
from bot.store import SQLiteStore

T0 = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)
THREAD = 1_450_000_000_000_000_000


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the exposition, parsed back as Prometheus reads it."""
    found = {}
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_kind_names_are_snake_case() -> None:
    """Record types become label values as Prometheus users write them."""
    assert kind_name(MessageCreated) == "message_created"
    assert kind_name(ReactionAdded) == "reaction_added"


def test_each_metrics_has_its_own_registry() -> None:
    """Two bots in one process count apart (no global registry, no duplicate error)."""
    one, two = Metrics(), Metrics()
    one.command("export", "completed")
    one.command("export", "completed")
    two.command("export", "refused")
    assert samples(one)[("filmclub_commands_total",
                         (("command", "export"), ("outcome", "completed")))] == 2
    assert ("filmclub_commands_total",
            (("command", "export"), ("outcome", "refused"))) not in samples(one)
    assert samples(two)[("filmclub_commands_total",
                         (("command", "export"), ("outcome", "refused")))] == 1


def test_received_and_stored_by_type() -> None:
    """What the gateway handed over and what the writer committed, each by record type."""
    metrics = Metrics()
    handed: list[object] = []
    submit = metrics.counting(handed.append)
    created = MessageCreated(1, THREAD, 5, "Ana", "hi", T0)
    for event in (created, created, MessageDeleted(1, THREAD, T0)):
        submit(event)
    assert len(handed) == 3
    metrics.committed({MessageCreated: 2, MessageDeleted: 1}, 0.004)
    metrics.committed({MessageCreated: 5}, 0.02)
    found = samples(metrics)
    assert found[("filmclub_events_received_total", (("type", "message_created"),))] == 2
    assert found[("filmclub_events_received_total", (("type", "message_deleted"),))] == 1
    assert found[("filmclub_events_stored_total", (("type", "message_created"),))] == 7
    assert found[("filmclub_events_stored_total", (("type", "message_deleted"),))] == 1
    assert found[("filmclub_store_commit_seconds_count", ())] == 2
    assert found[("filmclub_store_commit_seconds_bucket", (("le", "0.005"),))] == 1


def test_exports_are_timed_by_scope_format_and_outcome() -> None:
    """An export's seconds land in the histogram under its scope, format and outcome."""
    metrics = Metrics()
    metrics.exported("thread", "md", 0.2)
    metrics.exported("guild", "json", 3.0, ok=False)
    found = samples(metrics)
    assert found[("filmclub_export_seconds_count",
                  (("format", "md"), ("outcome", "done"), ("scope", "thread")))] == 1
    assert found[("filmclub_export_seconds_sum",
                  (("format", "json"), ("outcome", "failed"), ("scope", "guild")))] == 3.0


def test_health_needs_every_shard_and_a_writing_store() -> None:
    """Healthy only with every shard connected and the store writing; the body says why not."""
    metrics = Metrics()
    healthy, body = metrics.health()
    assert not healthy and body["store"]["problem"] == "no store is open"
    metrics.store = SimpleNamespace(trouble=None)
    metrics.shards = lambda: [ShardState(0, True, 0.04), ShardState(1, False, None)]
    healthy, body = metrics.health()
    assert not healthy
    assert body["gateway"] == {"connected": False,
                               "shards": {"0": "connected", "1": "disconnected"}}
    metrics.shards = lambda: [ShardState(0, True, 0.04), ShardState(1, True, 0.05)]
    assert metrics.health() == (True, {
        "status": "ok", "gateway": {"connected": True,
                                    "shards": {"0": "connected", "1": "connected"}},
        "store": {"writing": True}})
    metrics.store = SimpleNamespace(trouble=SimpleNamespace(problem="database or disk is full"))
    healthy, body = metrics.health()
    assert not healthy and body["status"] == "unavailable"
    assert body["store"] == {"writing": False,
                             "problem": "the database cannot be written (database or disk "
                                        "is full)"}
    found = samples(metrics)
    assert found[("filmclub_gateway_latency_seconds", (("shard", "1"),))] == 0.05
    assert found[("filmclub_gateway_connected", (("shard", "0"),))] == 1
    assert found[("filmclub_store_writing", ())] == 0


async def test_the_sqlite_store_reports_its_commits(tmp_path: Path) -> None:
    """The real store's writer reports each batch: counts by type, queue depth, a live writer."""
    metrics = Metrics()
    async with SQLiteStore(tmp_path / "m.db") as store:
        metrics.watch_store(store)
        await store.add_prompt(Prompt(THREAD, 1, 2, THREAD, Article(slug="a", title="A"), T0))
        for n in range(1, 301):
            store.submit(MessageCreated(THREAD + n * 4096, THREAD, 5, "Ana", f"c{n}", T0))
        store.submit(ReactionAdded(THREAD + 4096, THREAD, 6, "👍", T0, "Ben"))
        await store.flush()
        assert store.pending_writes() == 0 and store.writer_running()
        found = samples(metrics)
        assert found[("filmclub_events_stored_total", (("type", "message_created"),))] == 300
        assert found[("filmclub_events_stored_total", (("type", "reaction_added"),))] == 1
        assert found[("filmclub_store_commit_seconds_count", ())] >= 1
        assert found[("filmclub_writer_queue_depth", ())] == 0
        assert found[("filmclub_store_writing", ())] == 1
        assert metrics.store_writing() == (True, None)
    assert not store.writer_running()
    assert metrics.store_writing() == (False, "the store's writer has stopped")


async def test_the_server_answers_metrics_and_health() -> None:
    """/metrics in Prometheus' format, /healthz 200 or 503 with a JSON body."""
    metrics = Metrics()
    metrics.store = SimpleNamespace(trouble=None)
    metrics.shards = lambda: [ShardState(0, True, 0.01)]
    server = MetricsServer(metrics)
    await server.start("127.0.0.1", 0)
    base = f"http://127.0.0.1:{server.port}"
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{base}/metrics") as got:
                assert got.status == 200
                assert got.headers["Content-Type"].startswith("text/plain")
                assert "filmclub_gateway_connected" in await got.text()
            async with session.get(f"{base}/healthz") as got:
                assert got.status == 200
                assert json.loads(await got.text())["status"] == "ok"
            metrics.shards = lambda: [ShardState(0, False, None)]
            async with session.get(f"{base}/healthz") as got:
                assert got.status == 503
                assert got.headers["Content-Type"].startswith("application/json")
                assert json.loads(await got.text())["gateway"]["connected"] is False
    finally:
        await server.stop()
