"""Rate limits on the local Discord: per-route buckets with Discord's headers, the global limit,
and Discord's 429s, seen both raw and through discord.py's own limiter."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import discord

from tests.discord_local import LocalDiscord
from tests.discord_local_tests.test_local_discord_resilience import answering_bot, ping_answered

SEND = "POST /channels/{channel_id}/messages"


async def post(server: LocalDiscord, http: aiohttp.ClientSession, channel_id: int, text: str):
    headers = {"Authorization": f"Bot {server.token}"}
    url = f"{server.api_base}/channels/{channel_id}/messages"
    async with http.post(url, json={"content": text}, headers=headers) as response:
        return response.status, dict(response.headers), await response.json()


def contents(server: LocalDiscord, channel: Any) -> list[str]:
    return [m.content for m in server.messages_in(channel)]


async def test_every_answer_carries_its_bucket_and_the_sixth_message_in_five_seconds_is_refused(
    server,
):
    general, second = server.world.general, server.world.second_channel
    async with aiohttp.ClientSession() as http:
        answers = [await post(server, http, general.id, f"m{i}") for i in range(6)]
        elsewhere = await post(server, http, second.id, "other channel")
        unknown = await post(server, http, 1234, "nowhere")
    statuses = [status for status, _, _ in answers]
    assert statuses == [200] * 5 + [429]
    first = answers[0][1]
    assert first["X-RateLimit-Limit"] == "5" and first["X-RateLimit-Remaining"] == "4"
    assert 4.5 < float(first["X-RateLimit-Reset-After"]) <= 5.0
    assert abs(float(first["X-RateLimit-Reset"]) - (time.time() + 5.0)) < 1.0
    assert [h["X-RateLimit-Remaining"] for _, h, _ in answers[:5]] == ["4", "3", "2", "1", "0"]
    status, headers, body = answers[5]
    assert body["message"] == "You are being rate limited." and body["global"] is False
    assert 0 < body["retry_after"] <= 5.0
    assert headers["Retry-After"] == "5" and headers["X-RateLimit-Scope"] == "user"
    assert headers["Via"] and headers["X-RateLimit-Bucket"] == first["X-RateLimit-Bucket"]
    assert "X-RateLimit-Global" not in headers
    assert contents(server, general) == [f"m{i}" for i in range(5)]
    # Another channel is another bucket under the same hash (a top-level resource).
    status, headers, _ = elsewhere
    assert status == 200 and headers["X-RateLimit-Remaining"] == "4"
    assert headers["X-RateLimit-Bucket"] == first["X-RateLimit-Bucket"]
    # An error is answered with its bucket too, as Discord does.
    status, headers, body = unknown
    assert (status, body["code"]) == (404, 10003) and headers["X-RateLimit-Remaining"] == "4"
    assert server.rate_limits.refused == [(SEND, "user")]


async def test_a_bucket_refills_after_its_window(server):
    server.rate_limits.set(SEND, limit=1, per=0.3)
    general = server.world.general
    async with aiohttp.ClientSession() as http:
        first, refused = [await post(server, http, general.id, t) for t in ("a", "b")]
        await asyncio.sleep(refused[2]["retry_after"])
        again = await post(server, http, general.id, "c")
    assert (first[0], refused[0], again[0]) == (200, 429, 200)
    assert contents(server, general) == ["a", "c"]


async def test_past_the_global_limit_a_global_429_but_interactions_are_exempt(server, run_bot):
    bot = await run_bot(answering_bot(server))
    server.rate_limits.set_global(limit=3, per=30.0)
    channels = [server.world.general, server.world.second_channel]
    async with aiohttp.ClientSession() as http:
        answers = [await post(server, http, channels[i % 2].id, f"m{i}") for i in range(4)]
    assert [status for status, _, _ in answers] == [200, 200, 200, 429]
    _, headers, body = answers[3]
    assert body == {
        "message": "You are being rate limited.",
        "retry_after": body["retry_after"],
        "global": True,
    }
    assert headers["X-RateLimit-Global"] == "true" and headers["X-RateLimit-Scope"] == "global"
    assert int(headers["Retry-After"]) >= body["retry_after"] > 20
    # The callback and its follow-up webhook are interaction endpoints: not globally limited.
    assert await ping_answered(server) == "pong"
    handle = server.interactions[max(server.interactions)]
    interaction_webhook = discord.Webhook.partial(
        server.world.application_id, handle.token, client=bot
    )
    await interaction_webhook.send("a follow-up")
    assert [m.content for m in handle.followup_messages] == ["a follow-up"]
    assert server.rate_limits.refused == [(SEND, "global")]


async def test_discord_py_learns_a_bucket_from_the_headers_and_never_hits_it(server, run_bot):
    bot = await run_bot(answering_bot(server))
    server.rate_limits.set(SEND, limit=3, per=0.5)
    channel = bot.get_channel(server.world.general.id)
    started = time.monotonic()
    await asyncio.gather(*(channel.send(f"m{i}") for i in range(8)))
    assert time.monotonic() - started >= 2 * 0.5  # three windows of three
    assert sorted(contents(server, server.world.general)) == [f"m{i}" for i in range(8)]
    assert server.rate_limits.refused == []


async def test_discord_py_retries_global_429s_and_posts_each_message_once(server, run_bot):
    bot = await run_bot(answering_bot(server))
    # Room in each channel's bucket, so the global limit alone refuses (discord.py would otherwise
    # also sleep out the 5 s message window it sees nearly spent).
    server.rate_limits.set(SEND, limit=10, per=1.0)
    server.rate_limits.set_global(limit=3, per=0.4)
    world = server.world
    channels = [bot.get_channel(c.id) for c in (world.general, world.second_channel)]
    await asyncio.gather(*(channels[i % 2].send(f"m{i}") for i in range(8)))
    assert set(server.rate_limits.refused) == {(SEND, "global")}
    posted = contents(server, world.general) + contents(server, world.second_channel)
    assert sorted(posted) == sorted(f"m{i}" for i in range(8))


async def test_an_injected_429_still_comes_first_and_names_the_routes_bucket(server):
    server.fail_next(SEND, status=429, retry_after=0.2)
    async with aiohttp.ClientSession() as http:
        status, headers, body = await post(server, http, server.world.general.id, "x")
        assert status == 429 and body["retry_after"] == 0.2 and headers["Via"]
        assert headers["X-RateLimit-Bucket"] == server.rate_limits.bucket_of(SEND).hash
        status, headers, _ = await post(server, http, server.world.general.id, "x")
    # The injected refusal spent nothing: the bucket is whole for the real request.
    assert status == 200 and headers["X-RateLimit-Remaining"] == "4"
