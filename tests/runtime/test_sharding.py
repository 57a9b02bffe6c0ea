"""A StoryBot running some of the shards serves only their servers, and at start-up cleans up only
their state (trivia games, waiting uploads), since another process may be running the others."""
from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.sharding import ShardPlan, shard_of
from bot.store import Store, daily
from bot.store import trivia as trivia_repo
from tests.daily.helpers import Clock, daily_posts, fast_daily, is_daily_post, settle
from tests.discord_local import LocalDiscord, World

SECOND_OF_TWO = {"shard_count": 2, "shard_ids": (1,)}


@pytest.fixture
async def sharded_discord() -> AsyncIterator[LocalDiscord]:
    """A local Discord recommending two shards: ``guild`` on shard 0, ``other_guild`` on shard 1."""
    async with LocalDiscord(world=World(recommended_shards=2)) as server:
        with server.patch_discord():
            yield server


def test_shard_plan_owns_the_servers_of_its_shards():
    assert shard_of(175928847299117063, 4) == (175928847299117063 >> 22) % 4
    everything = ShardPlan()
    assert everything.owns(1) and everything.owns(1 << 22)
    second = ShardPlan(2, (1,))
    assert second.owns(1 << 22) and not second.owns(2 << 22)


async def test_a_process_of_shard_1_serves_only_that_shards_servers(make_storybot, sharded_discord):
    world = sharded_discord.world
    async with make_storybot(server=sharded_discord, overrides=SECOND_OF_TWO) as storybot:
        bot = storybot.bot
        assert [i["shard"] for i in sharded_discord.gateway.identifies] == [[1, 2]]
        assert [g.id for g in bot.guilds] == [world.other_guild.id]
        assert bot.owns_guild(world.other_guild.id) and not bot.owns_guild(world.guild.id)
        reply = await (await sharded_discord.run_command(world.member, world.other_general, "help")).reply()
        assert reply.ephemeral and "/quote" in reply.text()
        with pytest.raises(AssertionError, match="no bot is connected for the shard"):
            await sharded_discord.run_command(world.member, world.general, "help")


async def test_start_up_closes_only_its_own_servers_interrupted_games(make_storybot, sharded_discord, fresh_database):
    world = sharded_discord.world
    database = fresh_database()
    async with Store.open(database) as store:
        theirs = await trivia_repo.create_game(
            store, guild_id=world.guild.id, channel_id=world.general.id, starter_id=world.member.id,
            story_id=None, questions=3,
        )
        mine = await trivia_repo.create_game(
            store, guild_id=world.other_guild.id, channel_id=world.other_general.id,
            starter_id=world.member.id, story_id=None, questions=3,
        )
    async with make_storybot(server=sharded_discord, database=database, overrides=SECOND_OF_TWO) as storybot:
        assert (await trivia_repo.get_game(storybot.store, mine)).state == "interrupted"
        # Shard 0's process is (as far as this one knows) still playing it.
        assert (await trivia_repo.get_game(storybot.store, theirs)).state == "running"


async def test_start_and_stop_clear_only_its_own_servers_waiting_uploads(
    make_storybot, sharded_discord, fresh_database
):
    world = sharded_discord.world
    database = fresh_database()
    folder = database.with_name(database.name + "-uploads")
    folder.mkdir()
    theirs = folder / f"{world.guild.id}-1.upload"
    mine = folder / f"{world.other_guild.id}-2.upload"
    unnamed = folder / "left-behind.upload"
    for path in (theirs, mine, unnamed):
        path.write_bytes(b"x" * 100)
    async with make_storybot(server=sharded_discord, database=database, overrides=SECOND_OF_TWO):
        assert sorted(p.name for p in folder.iterdir()) == sorted([theirs.name, unnamed.name])
        mine.write_bytes(b"an upload waiting for Confirm when the bot stops")
    assert sorted(p.name for p in folder.iterdir()) == sorted([theirs.name, unnamed.name])


async def test_without_shard_settings_it_runs_every_shard_discord_recommends(make_storybot, sharded_discord):
    # discord.py waits 5 s before the second IDENTIFY (Discord's identify rate), so this takes 5 s.
    world = sharded_discord.world
    async with make_storybot(server=sharded_discord) as storybot:
        bot = storybot.bot
        assert bot.shard_count == 2
        assert sorted(i["shard"] for i in sharded_discord.gateway.identifies) == [[0, 2], [1, 2]]
        assert {g.id: g.shard_id for g in bot.guilds} == {world.guild.id: 0, world.other_guild.id: 1}
        assert bot.owns_guild(world.guild.id) and bot.owns_guild(world.other_guild.id)
        for channel in (world.general, world.other_general):
            assert (await (await sharded_discord.run_command(world.member, channel, "help")).reply()).ephemeral


async def test_the_daily_scheduler_posts_only_for_its_own_servers(make_storybot, sharded_discord):
    world = sharded_discord.world
    morning = datetime(2031, 3, 4, 7, 0, tzinfo=UTC)
    async with make_storybot(server=sharded_discord, overrides=SECOND_OF_TWO) as storybot:
        clock = Clock(morning)
        storybot.bot.now = clock
        for guild, channel in ((world.guild, world.general), (world.other_guild, world.other_general)):
            await daily.set_schedule(
                storybot.store, guild_id=guild.id, channel_id=channel.id, minute_of_day=8 * 60,
                timezone="UTC", story_id=None, set_by=world.moderator.id, now=morning,
            )
        fast_daily(storybot)
        clock.at = morning + timedelta(hours=1)
        await daily_posts(storybot, world.other_general, 1)
        await settle(storybot)
        assert not [m for m in sharded_discord.messages_in(world.general) if is_daily_post(m)]
        # Shard 0's server is left for shard 0's process: its day is not even claimed here.
        assert (await daily.get_schedule(storybot.store, world.guild.id)).last_posted is None
        assert (await daily.get_schedule(storybot.store, world.other_guild.id)).last_posted == "2031-03-04"
