"""Prometheus metrics at /metrics and a health check at /healthz (METRICS_PORT, METRICS_HOST).

Served by aiohttp in the bot's own event loop: rendering the metrics takes well under a
millisecond, and /healthz must ask the store, whose connection belongs to this loop. The process-wide
counters live here; what the gateway looks like (shards, latency) is read from the bot at scrape time.
"""
from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.store import timing

log = logging.getLogger(__name__)

# Outcomes of a slash command: answered, refused with a short message the user caused (a bad option,
# a missing permission, a busy database), or an unexpected error (logged, the user got an apology).
OK, USER_ERROR, ERROR = "ok", "user_error", "error"

INTERACTIONS = Counter(
    "storybot_interactions",
    "Slash commands handled, by command and outcome (ok, user_error, error)",
    ["command", "outcome"],
)
INTERACTIONS_RECEIVED = Counter(
    "storybot_interactions_received",
    "Interactions received, by type (application_command, autocomplete, component, modal_submit)",
    ["type"],
)
# Discord allows 3 s for the first answer; the buckets are finest where replies normally land.
RESPONSE_SECONDS = Histogram(
    "storybot_interaction_seconds",
    "Time from receiving a slash command to its handler finishing (answered or failed), by command",
    ["command"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0),
)
COMPONENT_SECONDS = Histogram(
    "storybot_component_seconds",
    "Time from receiving a button, menu or modal to its first answer to Discord, by control"
    " (its custom_id without the ids in it: quote:again, read:n, ...)",
    ["control"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0),
)
QUERY_SECONDS = Histogram(
    "storybot_database_query_seconds",
    "Time the event loop waited for each database call (a statement, a fetch, a commit)",
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 2.5),
)
UPLOADS_IN_PROGRESS = Gauge(
    "storybot_uploads_in_progress", "Story uploads being downloaded, parsed or stored right now"
)

# /healthz gives the database this long to answer a trivial query.
HEALTH_DATABASE_TIMEOUT = 2.0


@dataclass(frozen=True, slots=True)
class ShardState:
    """One gateway shard of this process as the metrics and /healthz see it."""

    shard_id: int
    connected: bool
    latency: float  # seconds between heartbeat and acknowledgement; inf or nan before the first
    guilds: int


class GatewayCollector(Collector):
    """Reads the shards' state from the bot at each scrape."""

    def __init__(self, shards: Callable[[], list[ShardState]]) -> None:
        self._shards = shards

    def collect(self) -> Iterable[Metric]:
        shards = self._shards()
        yield GaugeMetricFamily("storybot_shards", "Gateway shards this process runs", value=len(shards))
        yield GaugeMetricFamily(
            "storybot_shards_connected", "Gateway shards of this process that are connected",
            value=sum(s.connected for s in shards),
        )
        latency = GaugeMetricFamily(
            "storybot_gateway_latency_seconds", "Heartbeat round trip per shard", labels=["shard"]
        )
        guilds = GaugeMetricFamily("storybot_guilds", "Servers per shard", labels=["shard"])
        for shard in shards:
            if math.isfinite(shard.latency):
                latency.add_metric([str(shard.shard_id)], shard.latency)
            guilds.add_metric([str(shard.shard_id)], shard.guilds)
        yield latency
        yield guilds


class _Exposition:
    """The process-wide registry and one bot's gateway collector, rendered as one page."""

    def __init__(self, *collectors: Collector) -> None:
        self._collectors = collectors

    def collect(self) -> Iterator[Metric]:
        for collector in self._collectors:
            yield from collector.collect()


class MetricsServer:
    """`/metrics` and `/healthz` on host:port until `stop()`; port 0 picks a free one (`.port`)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        shards: Callable[[], list[ShardState]],
        ping_database: Callable[[], Awaitable[None]],
    ) -> None:
        self.host = host
        self.port = port
        self._shards = shards
        self._ping = ping_database
        self._exposition = _Exposition(REGISTRY, GatewayCollector(shards))
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = runner.addresses[0][1]
        timing.set_query_observer(QUERY_SECONDS.observe)
        log.info("Metrics at http://%s:%d/metrics, health check at /healthz", self.host, self.port)

    async def stop(self) -> None:
        timing.set_query_observer(None)
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def _metrics(self, request: web.Request) -> web.Response:
        body = generate_latest(self._exposition)  # type: ignore[arg-type]
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _healthz(self, request: web.Request) -> web.Response:
        problems = await self.problems()
        if problems:
            return web.Response(status=503, text="unhealthy: " + "; ".join(problems) + "\n")
        return web.Response(text="ok\n")

    async def problems(self) -> list[str]:
        """Why this process cannot serve right now; empty when every shard is connected and the
        database answers."""
        shards = self._shards()
        problems = [f"shard {s.shard_id} disconnected" for s in shards if not s.connected]
        if not shards:
            problems.append("no shard connected yet")
        try:
            await asyncio.wait_for(self._ping(), HEALTH_DATABASE_TIMEOUT)
        except Exception as exc:  # any failure to answer means unhealthy, whatever the engine raised
            problems.append(f"database not answering ({type(exc).__name__})")
        return problems
