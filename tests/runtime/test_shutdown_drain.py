"""Shutting down lets commands already running finish before the cogs, the HTTP session and the
store go away."""
from __future__ import annotations

import asyncio

import discord

from bot import runtime
from bot.runtime import HANDLER_TASK_PREFIXES


async def test_a_command_running_at_shutdown_finishes_and_answers(make_storybot):
    async with make_storybot(extensions=("cogs.meta",)) as harness:
        started = asyncio.Event()

        @harness.bot.tree.command(name="slowsave", description="Saves after a while, for the test")
        async def slowsave(interaction: discord.Interaction) -> None:
            started.set()
            await asyncio.sleep(0.5)
            await harness.store.set_meta("slowsave", "done")
            await interaction.response.send_message("saved")

        await harness.bot.tree.sync()
        handle = await harness.run("slowsave")
        await asyncio.wait_for(started.wait(), 5)
        await harness.bot.close()

        assert await harness.store.get_meta("slowsave") == "done"
        assert (await handle.reply(timeout=5)).content == "saved"


async def test_a_command_outlasting_the_drain_is_cancelled_before_the_store_closes(make_storybot, monkeypatch):
    monkeypatch.setattr(runtime, "HANDLER_DRAIN_SECONDS", 0.2)
    async with make_storybot(extensions=("cogs.meta",)) as harness:
        started = asyncio.Event()

        @harness.bot.tree.command(name="stuck", description="Waits far longer than a shutdown, for the test")
        async def stuck(interaction: discord.Interaction) -> None:
            await interaction.response.defer()
            started.set()
            await asyncio.sleep(60)
            await harness.store.set_meta("stuck", "done")

        await harness.bot.tree.sync()
        await harness.run("stuck")
        await asyncio.wait_for(started.wait(), 5)
        await harness.bot.close()

        # The store closes next: no handler may still be waiting to use it.
        running = [t for t in asyncio.all_tasks() if t.get_name().startswith(HANDLER_TASK_PREFIXES) and not t.done()]
        assert running == []
        assert await harness.store.get_meta("stuck") is None
