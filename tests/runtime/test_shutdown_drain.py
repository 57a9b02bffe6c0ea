"""Shutting down lets commands already running finish before the cogs, the HTTP session and the
store go away."""
from __future__ import annotations

import asyncio

import discord


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
