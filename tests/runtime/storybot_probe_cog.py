"""A test-only cog adding one command, to change the command tree between restarts."""
from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands


class Probe(commands.Cog):
    @app_commands.command(name="probe", description="Answers pong")
    async def probe(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong", ephemeral=True)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Probe())
