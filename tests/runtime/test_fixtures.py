"""The shared bot fixture really fails a test on logged errors, unimplemented routes, limit
violations and a dead bot.start(), and passes a clean one."""
from __future__ import annotations

import logging

import discord
import pytest

from tests.conftest import running_storybot

META = ("cogs.meta",)


async def test_a_clean_run_passes(local_discord, fresh_database):
    async with running_storybot(local_discord, fresh_database(), extensions=META) as sb:
        assert (await (await sb.run("help")).reply()).ephemeral


async def test_an_error_log_fails_the_test(local_discord, fresh_database):
    with pytest.raises(pytest.fail.Exception, match=r"ERROR logged: cogs\.meta: something broke"):
        async with running_storybot(local_discord, fresh_database(), extensions=META):
            logging.getLogger("cogs.meta").error("something broke")


async def test_an_allowed_error_log_passes(local_discord, fresh_database):
    async with running_storybot(local_discord, fresh_database(), extensions=META) as sb:
        sb.allow_errors("expected breakage")
        logging.getLogger("bot.runtime").error("expected breakage")


async def test_an_unimplemented_route_fails_the_test(local_discord, fresh_database):
    with pytest.raises(pytest.fail.Exception, match="unimplemented route: GET /no/such/route"):
        async with running_storybot(local_discord, fresh_database(), extensions=META) as sb:
            with pytest.raises(discord.NotFound):
                await sb.bot.http.request(discord.http.Route("GET", "/no/such/route"))


async def test_a_limit_violation_fails_the_test(local_discord, fresh_database):
    with pytest.raises(pytest.fail.Exception, match="2001"):
        async with running_storybot(local_discord, fresh_database(), extensions=META) as sb:
            channel = sb.bot.get_channel(sb.channel.id)
            with pytest.raises(discord.HTTPException):
                await channel.send("x" * 2001)


async def test_a_dead_bot_start_fails_the_test(local_discord, fresh_database):
    with pytest.raises(pytest.fail.Exception, match=r"bot.start\(\) died"):
        async with running_storybot(local_discord, fresh_database(), extensions=META) as sb:
            # 4004 (authentication failed) is a close code discord.py does not reconnect after.
            await local_discord.gateway.close_with(4004)
            await local_discord.wait_until(lambda: sb.task.done(), 10, "bot.start() to end")
