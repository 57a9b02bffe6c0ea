"""The `story` option every cog shares: who is asking (guild, age-restricted channel, spoiler
limits), the story autocomplete, and resolving what the user typed to a visible story."""
from __future__ import annotations

import dataclasses

import discord
from discord import app_commands

from bot.render import CHOICE_NAME_LIMIT, plain
from bot.store.audience import Audience, resolve_story, story_and_limits, story_choices
from bot.store.connection import Store
from bot.store.records import StoredStory
from bot.store.spoilers import chapter_limits


def audience_of(interaction: discord.Interaction) -> Audience:
    """Guild (None in DMs) and whether the channel is age-restricted (threads follow their parent)."""
    channel = interaction.channel
    is_nsfw = getattr(channel, "is_nsfw", None)
    adult = interaction.guild_id is not None and callable(is_nsfw) and bool(is_nsfw())
    return Audience(interaction.guild_id, adult=adult)


async def reader_audience(interaction: discord.Interaction) -> Audience:
    """audience_of with the spoiler limits for this reader here: for every command that shows
    story text (the server's limits, and the reader's own when they turned them on)."""
    store: Store = interaction.client.store  # type: ignore[attr-defined]
    limits = await chapter_limits(store, interaction.guild_id, interaction.user.id)
    return dataclasses.replace(audience_of(interaction), limits=limits)


async def reader_and_story(interaction: discord.Interaction, typed: str | None) -> tuple[Audience, StoredStory | None]:
    """reader_audience and optional_story together: on SQLite one round trip for most calls
    (story_and_limits)."""
    store: Store = interaction.client.store  # type: ignore[attr-defined]
    audience = audience_of(interaction)
    story, limits = await story_and_limits(store, audience, typed, interaction.user.id)
    return dataclasses.replace(audience, limits=limits), story


async def story_autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """Stories visible to the asker whose title matches; the choice value is the story id."""
    store: Store = interaction.client.store  # type: ignore[attr-defined]
    found = await story_choices(store, audience_of(interaction), current)
    return [app_commands.Choice(name=plain(s.title, CHOICE_NAME_LIMIT), value=str(s.id)) for s in found]


async def optional_story(store: Store, audience: Audience, typed: str | None) -> StoredStory | None:
    """None when the option was left empty, else the visible story it names (or StoryNotFound)."""
    return None if typed is None or not typed.strip() else await resolve_story(store, audience, typed)
