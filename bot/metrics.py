"""What a running bot process is doing, for Prometheus, and whether it is healthy (issue 15).

With ``FILMCLUB_METRICS_PORT`` set, ``filmclub run`` serves, on that port (of
``FILMCLUB_METRICS_HOST``, this machine only by default):

- ``GET /metrics``: Prometheus' text format, from a registry of this process's own (not
  prometheus_client's global one: tests start several bots in one process);
- ``GET /healthz``: 200 when every shard of the process is connected to the gateway and
  the store is writing, else 503; a short JSON body says which part is not.

The metric definitions live here, in the core; the Discord side (``cogs.support.metrics``)
feeds them. What is counted on the gateway's hot path is a plain ``dict`` of ints
(:meth:`Metrics.counting`), turned into Prometheus samples only when scraped; the store's
writer reports once per committed batch, not per event.
"""

from __future__ import annotations

import json
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

#: Told by the store's writer thread after each commit: the events it committed, by
#: their record type, and the seconds the transaction took.
CommitObserver = Callable[[Mapping[type, int], float], None]

#: Seconds a commit of one batch may take, as the histogram's buckets: a quiet bot
#: commits in a millisecond or two, a burst's batch of 2,000 events in tens of ms.
COMMIT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
#: Seconds an export may take: a small thread's file in a few ms, a server's archive
#: of a large club in minutes.
EXPORT_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)

#: How a slash command ended: it ran to its end; a check refused it (permissions, the
#: wrong place, a cooldown); it met an expected problem and said so in one line (a bad
#: value, nothing found, Discord refused); it failed unexpectedly (a bug, answered
#: generically and logged).
OUTCOMES = ("completed", "refused", "invalid", "failed")


@runtime_checkable
class ObservedStore(Protocol):
    """What a store offers to be watched: the SQL stores have it (``bot.store.writer``)."""

    commit_observer: CommitObserver | None

    def pending_writes(self) -> int:
        """Events, ops and flushes queued and not yet committed."""

    def writer_running(self) -> bool:
        """Whether the writer (thread or task) is alive."""


@dataclass(frozen=True, slots=True)
class ShardState:
    """One gateway shard of this process as the Discord side sees it."""

    shard_id: int
    connected: bool
    latency: float | None  # seconds between a heartbeat and its acknowledgement


_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def kind_name(kind: type) -> str:
    """A record type as a label value: ``MessageCreated`` -> ``message_created``."""
    return _CAMEL.sub("_", kind.__name__).lower()


class Metrics:
    """The metrics and the health of one bot process, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        #: Events the Discord side handed to the store, by record type (hot path: plain ints).
        self.received: defaultdict[type, int] = defaultdict(int)
        self.stored = Counter(
            "filmclub_events_stored", "Events committed to the database, by record type.",
            ["type"], registry=self.registry)
        self.commit_seconds = Histogram(
            "filmclub_store_commit_seconds", "Seconds each committed batch of writes took.",
            buckets=COMMIT_BUCKETS, registry=self.registry)
        self.commands = Counter(
            "filmclub_commands", "Slash commands run, by command and how they ended "
            f"({', '.join(OUTCOMES)}).", ["command", "outcome"], registry=self.registry)
        self.export_seconds = Histogram(
            "filmclub_export_seconds", "Seconds each export took to make, by scope "
            "(thread or guild), format and outcome (done or failed).",
            ["scope", "format", "outcome"], buckets=EXPORT_BUCKETS, registry=self.registry)
        self.store: Any = None
        self.shards: Callable[[], Sequence[ShardState]] = lambda: ()
        self._stored_by_kind: dict[type, Any] = {}
        self.registry.register(_Sampled(self))

    # -- fed by the store and the Discord side ----------------------------------------
    def watch_store(self, store: Any) -> None:
        """Read ``store``'s queue and health at each scrape; count its commits when it
        reports them (:class:`ObservedStore`)."""
        self.store = store
        if isinstance(store, ObservedStore):
            store.commit_observer = self.committed

    def committed(self, kinds: Mapping[type, int], seconds: float) -> None:
        """A batch was committed (called in the store's writer thread)."""
        self.commit_seconds.observe(seconds)
        for kind, count in kinds.items():
            child = self._stored_by_kind.get(kind)
            if child is None:
                child = self._stored_by_kind[kind] = self.stored.labels(kind_name(kind))
            child.inc(count)

    def counting(self, submit: Callable[[Any], None]) -> Callable[[Any], None]:
        """``submit`` (the store's, on the gateway's hot path) counting each event first."""
        received = self.received

        def counted(event: Any) -> None:
            received[type(event)] += 1
            submit(event)

        return counted

    def command(self, name: str, outcome: str) -> None:
        self.commands.labels(name, outcome).inc()

    def exported(self, scope: str, fmt: str, seconds: float, *, ok: bool = True) -> None:
        self.export_seconds.labels(scope, fmt, "done" if ok else "failed").observe(seconds)

    # -- read out ----------------------------------------------------------------------
    def exposition(self) -> bytes:
        """Every metric in Prometheus' text format."""
        return generate_latest(self.registry)

    def store_writing(self) -> tuple[bool, str | None]:
        """Whether the store is writing, and if not, why (one line)."""
        store = self.store
        if store is None:
            return False, "no store is open"
        if isinstance(store, ObservedStore) and not store.writer_running():
            return False, "the store's writer has stopped"
        trouble = getattr(store, "trouble", None)
        if trouble is not None:
            return False, f"the database cannot be written ({trouble.problem})"
        return True, None

    def health(self) -> tuple[bool, dict[str, Any]]:
        """(healthy, the JSON body): every shard connected and the store writing."""
        shards = list(self.shards())
        connected = bool(shards) and all(shard.connected for shard in shards)
        writing, problem = self.store_writing()
        store: dict[str, Any] = {"writing": writing}
        if problem is not None:
            store["problem"] = problem
        if isinstance(self.store, ObservedStore):
            store["queued"] = self.store.pending_writes()
        healthy = connected and writing
        return healthy, {
            "status": "ok" if healthy else "unavailable",
            "gateway": {
                "connected": connected,
                "shards": {str(s.shard_id): "connected" if s.connected else "disconnected"
                           for s in shards},
            },
            "store": store,
        }


class _Sampled(Collector):
    """The metrics read at scrape time: counts kept as plain ints, the store's queue, the
    gateway's shards."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def describe(self) -> list[Metric]:
        return []  # samples come and go with what is running; nothing to check up front

    def collect(self) -> Iterator[Metric]:
        metrics = self.metrics
        received = CounterMetricFamily(
            "filmclub_events_received", "Events from the gateway handed to the store, by "
            "record type.", labels=["type"])
        for kind, count in sorted(metrics.received.items(), key=lambda kv: kv[0].__name__):
            received.add_metric([kind_name(kind)], count)
        yield received
        store = metrics.store
        if store is not None:
            if isinstance(store, ObservedStore):
                yield GaugeMetricFamily(
                    "filmclub_writer_queue_depth", "Writes queued for the store's writer "
                    "and not yet committed.", value=store.pending_writes())
            writing, _problem = metrics.store_writing()
            yield GaugeMetricFamily("filmclub_store_writing", "1 while the store is writing "
                                    "(writer alive, database writable), else 0.",
                                    value=int(writing))
            for name, attr, text in (
                    ("filmclub_events_not_kept", "shed_events", "Events not kept while the "
                     "database could not be written (catch-up reads them back)."),
                    ("filmclub_events_failed", "failed_events", "Events the writer could not "
                     "store (logged one by one).")):
                if isinstance(getattr(store, attr, None), int):
                    yield CounterMetricFamily(name, text, value=getattr(store, attr))
        shards = list(metrics.shards())
        latency = GaugeMetricFamily(
            "filmclub_gateway_latency_seconds", "Seconds between a heartbeat and its "
            "acknowledgement, by shard.", labels=["shard"])
        connected = GaugeMetricFamily(
            "filmclub_gateway_connected", "1 while the shard is connected to the gateway.",
            labels=["shard"])
        for shard in shards:
            if shard.latency is not None:
                latency.add_metric([str(shard.shard_id)], shard.latency)
            connected.add_metric([str(shard.shard_id)], int(shard.connected))
        yield latency
        yield connected


class MetricsServer:
    """``/metrics`` and ``/healthz`` on one port, on the bot's own event loop (aiohttp)."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self, host: str, port: int) -> None:
        """Listen on ``host``:``port``; OSError when it cannot (the caller says so)."""
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._health)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        server = site._server  # the real port when 0 was asked for (the tests)
        sockets = getattr(server, "sockets", None) or ()
        self.port = sockets[0].getsockname()[1] if sockets else port
        log.info("metrics on http://%s:%d/metrics, health on /healthz", host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _metrics(self, request: web.Request) -> web.Response:
        return web.Response(body=self.metrics.exposition(),
                            headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _health(self, request: web.Request) -> web.Response:
        healthy, body = self.metrics.health()
        return web.Response(status=200 if healthy else 503, text=json.dumps(body),
                            content_type="application/json")
