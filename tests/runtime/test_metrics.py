"""METRICS_PORT: Prometheus metrics that move when the bot works, and /healthz that follows the
gateway and the database."""
from __future__ import annotations

import asyncio

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.config import ConfigError
from bot.metrics import MetricsServer, ShardState
from bot.store import timing

WITH_METRICS = {"metrics_port": 0}


async def fetch(port: int, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}{path}") as response:
        return response.status, await response.text()


async def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample on /metrics, keyed by name and labels."""
    status, text = await fetch(port, "/metrics")
    assert status == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_count_commands_by_outcome_and_time_them(make_storybot, local_discord):
    # A quick heartbeat, so the gateway latency is measured within the test.
    local_discord.gateway.heartbeat_interval_ms = 100
    async with make_storybot(overrides=WITH_METRICS) as storybot:
        port = storybot.bot.metrics_server.port
        before = await scrape(port)
        await (await storybot.run("help")).reply()
        await (await storybot.run("story list")).reply()
        refused = await (await storybot.run("story info", {"story": "No Such Story"})).reply()
        assert refused.ephemeral
        await storybot.server.wait_until(lambda: storybot.bot.latency < float("inf"), 5, "a heartbeat ACK")
        after = await scrape(port)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("storybot_interactions_total", command="help", outcome="ok") == 1
    assert moved("storybot_interactions_total", command="story list", outcome="ok") == 1
    assert moved("storybot_interactions_total", command="story info", outcome="user_error") == 1
    assert moved("storybot_interactions_received_total", type="application_command") == 3
    assert moved("storybot_interaction_seconds_count", command="help") == 1
    assert 0 < moved("storybot_interaction_seconds_sum", command="help") < 3
    # /story list and /story info read the library.
    assert moved("storybot_database_query_seconds_count") > 2
    assert value(after, "storybot_shards") == 1
    assert value(after, "storybot_shards_connected") == 1
    assert value(after, "storybot_guilds", shard="0") == 2
    assert 0 <= value(after, "storybot_gateway_latency_seconds", shard="0") < 1
    assert ("storybot_uploads_in_progress", ()) in after


async def test_healthz_follows_the_gateway(make_storybot, local_discord):
    async with make_storybot(overrides=WITH_METRICS) as storybot:
        # discord.py logs each failed reconnect at ERROR while the gateway refuses it.
        storybot.allow_errors(r"Attempting a reconnect|reconnect")
        port = storybot.bot.metrics_server.port
        assert await fetch(port, "/healthz") == (200, "ok\n")

        local_discord.gateway.accepting = False
        await local_discord.drop_gateway()

        async def health() -> tuple[int, str]:
            return await fetch(port, "/healthz")

        async def wait_for_status(status: int) -> str:
            for _ in range(150):
                got, body = await health()
                if got == status:
                    return body
                await asyncio.sleep(0.1)
            raise AssertionError(f"/healthz never answered {status}")

        body = await wait_for_status(503)
        assert "shard 0 disconnected" in body
        assert value(await scrape(port), "storybot_shards_connected") == 0

        local_discord.gateway.accepting = True
        assert await wait_for_status(200) == "ok\n"
        reply = await (await storybot.run("help")).reply()
        assert reply.ephemeral


async def test_healthz_is_503_while_the_database_does_not_answer():
    async def broken() -> None:
        raise OSError("connection refused")

    async def slow() -> None:
        await asyncio.sleep(60)

    connected = [ShardState(0, connected=True, latency=0.05, guilds=3)]
    for ping, reason in ((broken, "OSError"), (slow, "TimeoutError")):
        server = MetricsServer("127.0.0.1", 0, shards=lambda: connected, ping_database=ping)
        await server.start()
        try:
            status, body = await fetch(server.port, "/healthz")
        finally:
            await server.stop()
        assert status == 503
        assert f"database not answering ({reason})" in body


async def test_healthz_is_503_before_any_shard_is_known():
    async def fine() -> None:
        return None

    server = MetricsServer("127.0.0.1", 0, shards=list, ping_database=fine)
    await server.start()
    try:
        status, body = await fetch(server.port, "/healthz")
    finally:
        await server.stop()
    assert status == 503 and "no shard connected yet" in body


@pytest.fixture(autouse=True)
def quick_database_timeout(monkeypatch):
    monkeypatch.setattr("bot.metrics.HEALTH_DATABASE_TIMEOUT", 0.3)


async def test_uploads_in_progress_counts_an_upload_being_fetched(make_storybot, local_discord):
    local_discord.attachment_delay = 1.5  # the file takes a while to arrive
    async with make_storybot(overrides=WITH_METRICS) as storybot:
        port = storybot.bot.metrics_server.port
        assert value(await scrape(port), "storybot_uploads_in_progress") == 0
        text = b"Chapter 1\n\n\"Who goes there?\" asked Mara.\n\n\"Only me,\" said Tobias.\n"
        attachment = storybot.server.register_attachment(text, "lighthouse.txt")
        handle = await storybot.run("story add", {"file": attachment}, user=storybot.admin)
        for _ in range(50):
            if value(await scrape(port), "storybot_uploads_in_progress") == 1:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the upload was never counted in progress")
        preview = await handle.reply(timeout=30)
        assert "story:confirm" in preview.custom_ids(), preview.text()
        assert value(await scrape(port), "storybot_uploads_in_progress") == 0


# 192.0.2.1 (TEST-NET-1) is no address of this machine: binding it fails at once, without any traffic.
@pytest.mark.parametrize(("host", "variable"), [("192.0.2.1", "METRICS_HOST"), ("127.0.0.1", "METRICS_PORT")])
async def test_a_metrics_address_that_cannot_be_used_names_its_variable(make_storybot, host, variable):
    blocker = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = blocker.sockets[0].getsockname()[1]
    try:
        with pytest.raises(AssertionError, match=r"bot\.start\(\) ended") as failed:
            async with make_storybot(overrides={"metrics_port": port, "metrics_host": host}, check=False):
                pass
    finally:
        blocker.close()
    error = failed.value.__cause__
    assert isinstance(error, ConfigError) and error.variable == variable


def test_timed_reports_a_block_only_while_observed():
    seen: list[float] = []
    with timing.timed():
        pass
    timing.set_query_observer(seen.append)
    try:
        with timing.timed():
            pass
        with pytest.raises(ValueError), timing.timed():
            raise ValueError("a failed call is timed too")
    finally:
        timing.set_query_observer(None)
    assert len(seen) == 2 and all(0 <= s < 1 for s in seen)


async def test_buttons_are_timed_to_their_first_answer_by_control(make_storybot, local_discord):
    async with make_storybot(overrides=WITH_METRICS) as storybot:
        port = storybot.bot.metrics_server.port
        before = await scrape(port)
        message = await (await storybot.run("quote")).reply()
        ids = [c for c in message.custom_ids() if c.startswith("quote:")]
        again = next(c for c in ids if c.startswith("quote:again:"))
        context = next(c for c in ids if c.startswith("quote:context:"))
        await (await storybot.click(message, again)).reply()
        await (await storybot.click(message, again)).reply()
        await (await storybot.click(message, context)).reply()
        after = await scrape(port)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("storybot_component_seconds_count", control="quote:again") == 2
    assert moved("storybot_component_seconds_count", control="quote:context") == 1
    assert 0 < moved("storybot_component_seconds_sum", control="quote:again") < 3
    assert moved("storybot_interactions_received_total", type="component") == 3
