"""Sharding on the local Discord as on Discord: the recommended count, IDENTIFY's shard, each guild's
events and interactions on its own shard (DMs on shard 0), and the close codes 4010 and 4011."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import discord
import pytest
from discord.ext import commands

from tests.discord_local import LocalDiscord, World
from tests.discord_local.world import shard_of


class QuickShards(commands.AutoShardedBot):
    """discord.py waits 5 s before each further IDENTIFY (Discord's rate with max_concurrency 1);
    the local Discord does not limit it, so these tests skip the wait."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


def sharded_bot(**options) -> commands.AutoShardedBot:
    bot = QuickShards(
        command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05, **options
    )
    seen: list[int] = []
    bot.answered = seen  # guild ids (0 for DMs) this process answered

    @bot.tree.command(description="Which shard answers")
    async def where(interaction: discord.Interaction) -> None:
        seen.append(interaction.guild_id or 0)
        shard = interaction.guild.shard_id if interaction.guild else 0
        await interaction.response.send_message(f"shard {shard}")

    async def setup_hook() -> None:
        await bot.tree.sync()

    bot.setup_hook = setup_hook
    return bot


@pytest.fixture
def world() -> World:
    return World(recommended_shards=2)


@pytest.fixture
def sharded(server: LocalDiscord) -> LocalDiscord:
    return server


def guild_creates(session) -> list[int]:
    return [
        int(json.loads(text)["d"]["id"])
        for _, text in session.buffer
        if json.loads(text)["t"] == "GUILD_CREATE"
    ]


async def test_gateway_bot_recommends_the_worlds_shard_count(sharded):
    async with aiohttp.ClientSession() as http:
        async with http.get(
            f"{sharded.api_base}/gateway/bot", headers={"Authorization": f"Bot {sharded.token}"}
        ) as response:
            body = await response.json()
    assert body["shards"] == 2
    assert body["url"] == sharded.ws_url
    limit = body["session_start_limit"]
    assert limit["total"] == limit["remaining"] == 1000
    assert limit["max_concurrency"] == 1


async def test_world_places_its_two_guilds_on_different_shards():
    world = World(recommended_shards=2)
    assert shard_of(world.guild.id, 2) == 0
    assert shard_of(world.other_guild.id, 2) == 1
    extra = world.add_guild("Third Stack", shard=(1, 3))
    assert shard_of(extra.id, 3) == 1
    assert extra.id in world.guilds


async def test_auto_sharded_bot_runs_the_recommended_shards_each_with_its_own_guilds(sharded, run_bot):
    bot = await run_bot(sharded_bot())
    world = sharded.world
    assert bot.shard_count == 2
    assert sorted(i["shard"] for i in sharded.gateway.identifies) == [[0, 2], [1, 2]]
    assert world.session_start_remaining == world.session_start_total - 2
    by_shard = {s.shard[0]: s for s in sharded.gateway.live_sessions()}
    assert guild_creates(by_shard[0]) == [world.guild.id]
    assert guild_creates(by_shard[1]) == [world.other_guild.id]
    assert bot.get_guild(world.guild.id).shard_id == 0
    assert bot.get_guild(world.other_guild.id).shard_id == 1

    reply = await (await sharded.run_command(world.member, world.other_general, "where")).reply()
    assert reply.content == "shard 1"


async def test_two_processes_each_get_only_their_shards_guilds_and_interactions(sharded, run_bot):
    world = sharded.world
    first = await run_bot(sharded_bot(shard_count=2, shard_ids=[0]))
    second = await run_bot(sharded_bot(shard_count=2, shard_ids=[1]))
    assert [g.id for g in first.guilds] == [world.guild.id]
    assert [g.id for g in second.guilds] == [world.other_guild.id]

    for channel in (world.general, world.other_general, world.dm):
        await (await sharded.run_command(world.member, channel, "where")).reply()
    # Guild interactions go to the guild's shard; DMs to shard 0.
    assert first.answered == [world.guild.id, 0]
    assert second.answered == [world.other_guild.id]


async def test_guild_events_reach_only_the_guilds_shard(sharded, run_bot):
    world = sharded.world
    first = await run_bot(sharded_bot(shard_count=2, shard_ids=[0]))
    second = await run_bot(sharded_bot(shard_count=2, shard_ids=[1]))
    threads: dict[str, list[int]] = {"first": [], "second": []}

    def recorder(name: str):
        async def on_thread_create(thread: discord.Thread) -> None:
            threads[name].append(thread.guild.id)
        return on_thread_create

    first.add_listener(recorder("first"))
    second.add_listener(recorder("second"))
    # Each process creates a thread in its own guild; the event goes back to that shard only.
    await first.get_channel(world.general.id).create_thread(name="one", type=discord.ChannelType.public_thread)
    await second.get_channel(world.other_general.id).create_thread(
        name="two", type=discord.ChannelType.public_thread
    )
    await sharded.wait_until(lambda: threads["first"] and threads["second"], 5, "THREAD_CREATE")
    await asyncio.sleep(0.1)
    assert threads == {"first": [world.guild.id], "second": [world.other_guild.id]}


async def test_an_interaction_for_a_shard_nobody_runs_fails_the_helper(sharded, run_bot):
    world = sharded.world
    await run_bot(sharded_bot(shard_count=2, shard_ids=[0]))
    with pytest.raises(AssertionError, match="no bot is connected for the shard"):
        await sharded.run_command(world.member, world.other_general, "where")


async def identify_raw(server: LocalDiscord, **fields) -> int | dict:
    """IDENTIFY on a bare websocket: the close code the gateway answered with, or READY's data."""
    async with aiohttp.ClientSession() as http, http.ws_connect(server.ws_url) as ws:
        hello = await ws.receive_json()
        assert hello["op"] == 10
        identify = {"token": server.token, "intents": 1, "properties": {}, **fields}
        await ws.send_json({"op": 2, "d": identify})
        message = await ws.receive(timeout=5)
        if message.type is aiohttp.WSMsgType.TEXT:
            ready = json.loads(message.data)
            assert ready["t"] == "READY"
            return ready["d"]
        return ws.close_code


@pytest.mark.parametrize("shard", [[2, 2], [-1, 2], [0, 0], [0], "0,2", [0, "2"], [True, 2]])
async def test_an_invalid_shard_is_closed_with_4010(sharded, shard):
    assert await identify_raw(sharded, shard=shard) == 4010


async def test_a_valid_shard_gets_ready(sharded):
    ready = await identify_raw(sharded, shard=[1, 2])
    assert ready["shard"] == [1, 2]
    assert [g["id"] for g in ready["guilds"]] == [str(sharded.world.other_guild.id)]


async def test_too_few_shards_for_the_guilds_is_closed_with_4011():
    async with LocalDiscord(world=World(recommended_shards=2, max_guilds_per_shard=1)) as server:
        assert await identify_raw(server) == 4011
        assert await identify_raw(server, shard=[0, 1]) == 4011
        assert isinstance(await identify_raw(server, shard=[0, 2]), dict)


async def test_discord_py_stops_on_4010_with_connection_closed(sharded):
    bot = sharded_bot(shard_count=2, shard_ids=[0])
    # discord.py checks shard ids only against the count it was given; Discord knows the truth.
    bot.shard_count = 2
    bot.shard_ids = [5]
    with pytest.raises(discord.ConnectionClosed) as closed:
        await asyncio.wait_for(bot.start(sharded.token), 10)
    assert closed.value.code == 4010
    await bot.close()


async def test_dropping_one_shard_leaves_the_other_connected(sharded, run_bot):
    await run_bot(sharded_bot())
    assert await sharded.drop_gateway(shard_id=1) == 1
    await sharded.wait_until(lambda: sharded.gateway.resumes, 10, "shard 1 resumes")
    assert [r["session_id"] for r in sharded.gateway.resumes] == [
        s.id for s in sharded.gateway.live_sessions() if s.shard == (1, 2)
    ]
    reply = await (await sharded.run_command(sharded.world.member, sharded.world.other_general, "where")).reply()
    assert reply.content == "shard 1"
