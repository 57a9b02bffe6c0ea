"""`/spoilers set|clear|mine`: a server's limit per story (nothing past chapter N, in any command)
and a reader's own mode (nothing past the chapter of their bookmark). The limits live in
bot/store/spoilers.py; every command showing story text asks `reader_audience` for them."""
from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.choices import audience_of, story_autocomplete
from bot.errors import InvalidInput, MissingPermission, StoryNotFound, UserError, echo
from bot.render import CHOICE_NAME_LIMIT, NO_MENTIONS, chapter_label, plain, safe
from bot.store import spoilers, stories
from bot.store.audience import CHOICES_LIMIT, resolve_story
from bot.store.connection import Store

log = logging.getLogger(__name__)


def require_manager(interaction: discord.Interaction) -> int:
    """The guild id, when the user may manage it (checked when the command runs, as /story add)."""
    if interaction.guild_id is None:
        raise UserError("Use this in a server.")
    if not interaction.permissions.manage_guild:
        raise MissingPermission("Manage Server")
    return interaction.guild_id


def chapter_number(typed: str) -> int:
    """The chapter number a user typed or picked (`7`, `Chapter 7`); InvalidInput otherwise."""
    words = typed.split()
    if words and words[0].casefold() in ("chapter", "ch", "ch."):
        words = words[1:]
    if len(words) != 1 or not (words[0].isascii() and words[0].isdigit()) or len(words[0]) > 9:
        raise InvalidInput(f"“{echo(typed)}” is not a chapter number; pick one from the suggestions.")
    return int(words[0])


class Spoilers(commands.Cog):
    """Spoiler-safe servers and readers."""

    spoilers = app_commands.Group(name="spoilers", description="Keep later chapters from being shown")

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @property
    def store(self) -> Store:
        return self.bot.store  # type: ignore[attr-defined]

    @spoilers.command(name="set", description="Show nothing past this chapter of a story in this server")
    @app_commands.describe(story="The story", chapter="The last chapter that may be shown (its number)")
    @app_commands.autocomplete(story=story_autocomplete)
    async def set_limit(self, interaction: discord.Interaction, story: str, chapter: str) -> None:
        guild_id = require_manager(interaction)
        found = await resolve_story(self.store, audience_of(interaction), story)
        last = await spoilers.chapter_for_number(self.store, found, chapter_number(chapter))
        await spoilers.set_limit(self.store, guild_id, found.id, last.index, interaction.user.id)
        shown = chapter_label(last.number, None, last.index + 1)
        await interaction.response.send_message(
            f"🛡️ Nothing past {shown} of **{safe(found.title, 200)}** will be shown in this server,"
            " in any command. `/spoilers clear` lifts it.",
            allowed_mentions=NO_MENTIONS,
        )

    @set_limit.autocomplete("chapter")
    async def chapter_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        typed = getattr(interaction.namespace, "story", None)
        if not typed:
            return []
        try:
            found = await resolve_story(self.store, audience_of(interaction), str(typed))
        except StoryNotFound:
            return []
        key = current.casefold().strip()
        choices = []
        for chapter in await stories.chapters(self.store, found.id):
            name = chapter_label(chapter.number, chapter.title, chapter.index + 1)
            if not key or str(chapter.display_number).startswith(key) or key in name.casefold():
                choices.append(app_commands.Choice(name=plain(name, CHOICE_NAME_LIMIT), value=str(chapter.display_number)))
            if len(choices) == CHOICES_LIMIT:
                break
        return choices

    @spoilers.command(name="clear", description="Lift this server's spoiler limit on a story")
    @app_commands.describe(story="The story")
    @app_commands.autocomplete(story=story_autocomplete)
    async def clear_limit(self, interaction: discord.Interaction, story: str) -> None:
        guild_id = require_manager(interaction)
        found = await resolve_story(self.store, audience_of(interaction), story)
        if not await spoilers.clear_limit(self.store, guild_id, found.id):
            raise UserError(f"**{safe(found.title, 200)}** has no spoiler limit in this server.")
        await interaction.response.send_message(
            f"Every chapter of **{safe(found.title, 200)}** may be shown in this server again.",
            allowed_mentions=NO_MENTIONS,
        )

    @spoilers.command(name="mine", description="Show you nothing past the chapters you have read (your bookmarks)")
    @app_commands.describe(on="On: nothing past your bookmark in each story (only its first chapter before you start)")
    async def mine(self, interaction: discord.Interaction, on: bool) -> None:
        await spoilers.set_reader_mode(self.store, interaction.user.id, on)
        text = (
            "🛡️ You will be shown nothing past the chapter of your bookmark in each story, and only the"
            " first chapter of stories you have not started. `/read` moves your bookmark."
            if on else "Your own spoiler limit is off (a server's `/spoilers set` still applies there)."
        )
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Spoilers(bot))
