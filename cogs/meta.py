"""`/help`: every slash command with its one-line description, read from the command tree."""
from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.render import EMBED_DESCRIPTION_LIMIT, NO_MENTIONS, truncate

log = logging.getLogger(__name__)


def command_lines(tree: app_commands.CommandTree, guild: discord.abc.Snowflake | None) -> list[str]:
    """One line per invocable command (subcommands included, groups themselves not)."""
    seen: dict[str, str] = {}
    scopes = (None, guild) if guild is not None else (None,)
    for scope in scopes:
        for command in tree.walk_commands(guild=scope):
            if isinstance(command, app_commands.Command):
                seen.setdefault(command.qualified_name, command.description)
    return [f"`/{name}` · {description}" for name, description in sorted(seen.items())]


class Meta(commands.Cog):
    """What the bot can do."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="What the bot can do")
    async def help(self, interaction: discord.Interaction) -> None:
        lines = command_lines(self.bot.tree, interaction.guild)
        embed = discord.Embed(
            title="StoryBot",
            description=truncate("\n".join(lines), EMBED_DESCRIPTION_LIMIT),
            colour=discord.Colour.blurple(),
        )
        embed.set_footer(text="Story options autocomplete: start typing a title.")
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Meta(bot))
