"""`/quote` and `/excerpt`: a random line of dialogue or a short passage, with Another / Context /
Read from here buttons that keep working after a restart (their custom_id carries the ids they need)."""
from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable
from typing import Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.choices import audience_of, reader_and_story, reader_audience, story_autocomplete
from bot.errors import StoryNotFound, UserError
from bot.render import (
    CHOICE_NAME_LIMIT,
    ELLIPSIS,
    EMBED_AUTHOR_LIMIT,
    EMBED_DESCRIPTION_LIMIT,
    EMBED_TITLE_LIMIT,
    NO_MENTIONS,
    bold,
    escape,
    footer_text,
    plain,
    story_colour,
    truncate,
)
from bot.runtime import handle_interaction_error
from bot.store.audience import character_choices
from bot.store.connection import Store
from bot.store.quotes import (
    ChapterRef,
    Excerpt,
    QuoteCard,
    QuoteContext,
    QuoteFilters,
    cycle_filters,
    pick_excerpt,
    pick_quote_for,
    quote_context,
)
from bot.store.records import StoredStory

log = logging.getLogger(__name__)

UNKNOWN_SPEAKER = "Unknown speaker"
CONTAINS_MAX = 100
DEFER_AFTER = 2.0  # seconds; Discord drops an interaction not answered within 3
T = TypeVar("T")


# --- rendering (pure: rows in, embeds out) -------------------------------------------------------


def _footer(story: StoredStory, chapter: ChapterRef) -> str:
    return footer_text(story.title, chapter.number, chapter.title, chapter.index + 1)


def quote_embed(card: QuoteCard) -> discord.Embed:
    """The line (markdown escaped, mentions neutralised), its speaker, story and chapter."""
    marks = "“”" if card.quote.kind == "speech" else "‘’"
    body = truncate(escape(card.quote.text), EMBED_DESCRIPTION_LIMIT - 2)
    embed = discord.Embed(description=f"{marks[0]}{body}{marks[1]}", colour=story_colour(card.story.id))
    embed.set_author(name=plain(card.quote.speaker or UNKNOWN_SPEAKER, EMBED_AUTHOR_LIMIT))
    embed.set_footer(text=_footer(card.story, card.chapter))
    return embed


def _quote_span(paragraph: str, card: QuoteCard) -> tuple[int, int]:
    """Where the line sits in its paragraph: the stored offsets, else the first occurrence."""
    q = card.quote
    if q.end > q.start and paragraph[q.start:q.end].strip():
        return q.start, min(q.end, len(paragraph))
    found = paragraph.find(q.text)
    return (found, found + len(q.text)) if found >= 0 else (0, 0)


def _with_line_in_bold(text: str, start: int, end: int, limit: int) -> str:
    """The paragraph escaped, text[start:end] in bold, shortened around the line to fit `limit`.

    Cuts are made in the raw text before escaping, so a cut never splits an escape or the bold.
    """
    if not 0 <= start < end:
        return truncate(escape(text), limit)
    line = bold(text[start:end])
    room = max(0, (limit - len(line)) // 4)  # raw characters per side; escaping at most doubles them
    before, after = text[:start], text[end:]
    if len(before) > room:
        before = ELLIPSIS + before[len(before) - room:]
    if len(after) > room:
        after = after[:room] + ELLIPSIS
    return escape(before) + line + escape(after)


def context_embed(context: QuoteContext) -> discord.Embed:
    """The paragraphs around the line (half the room for the line's own, a quarter for each
    neighbour), the line in bold."""
    card = context.card
    budget = EMBED_DESCRIPTION_LIMIT - 8  # the blank lines between paragraphs
    parts: list[str] = []
    for paragraph in context.paragraphs:
        if paragraph.seq == card.quote.paragraph_seq:
            start, end = _quote_span(paragraph.text, card)
            parts.append(_with_line_in_bold(paragraph.text, start, end, budget // 2))
        else:
            parts.append(truncate(escape(paragraph.text), budget // 4))
    description = "\n\n".join(parts) or truncate(escape(card.quote.text), budget)
    embed = discord.Embed(title="Context", description=description, colour=story_colour(card.story.id))
    embed.set_author(name=plain(card.quote.speaker or UNKNOWN_SPEAKER, EMBED_AUTHOR_LIMIT))
    embed.set_footer(text=_footer(card.story, card.chapter))
    return embed


def excerpt_embed(excerpt: Excerpt) -> discord.Embed:
    description = "\n\n".join(escape(p.text) for p in excerpt.paragraphs)
    embed = discord.Embed(
        description=truncate(description, EMBED_DESCRIPTION_LIMIT), colour=story_colour(excerpt.story.id)
    )
    if excerpt.heading:
        embed.title = truncate(escape(excerpt.heading), EMBED_TITLE_LIMIT)
    embed.set_footer(text=_footer(excerpt.story, excerpt.chapter))
    return embed


# --- buttons -------------------------------------------------------------------------------------


class AnotherQuote(discord.ui.DynamicItem[discord.ui.Button], template=r"quote:again:(?P<cycle>\d+)"):
    """Another line with the same filters (the cycle row remembers them)."""

    def __init__(self, cycle_id: int) -> None:
        super().__init__(discord.ui.Button(
            label="Another", style=discord.ButtonStyle.primary, custom_id=f"quote:again:{cycle_id}"
        ))
        self.cycle_id = cycle_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> AnotherQuote:
        return cls(int(match["cycle"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            store: Store = interaction.client.store  # type: ignore[attr-defined]
            audience = audience_of(interaction)  # the spoiler limits are read with the pick
            filters = await cycle_filters(store, self.cycle_id, audience)
            if filters is None:
                raise UserError("Those quote buttons have expired; run `/quote` again.")
            await send_quote(interaction, pick_quote_for(store, audience, interaction.user.id, filters))
        except Exception as error:
            await handle_interaction_error(interaction, error)


class QuoteContextButton(discord.ui.DynamicItem[discord.ui.Button], template=r"quote:context:(?P<quote>\d+)"):
    """The paragraphs around the line, privately."""

    def __init__(self, quote_id: int) -> None:
        super().__init__(discord.ui.Button(
            label="Context", style=discord.ButtonStyle.secondary, custom_id=f"quote:context:{quote_id}"
        ))
        self.quote_id = quote_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> QuoteContextButton:
        return cls(int(match["quote"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            store: Store = interaction.client.store  # type: ignore[attr-defined]
            context = await quote_context(store, await reader_audience(interaction), self.quote_id)
            if context is None:
                raise StoryNotFound()
            await interaction.response.send_message(
                embed=context_embed(context), ephemeral=True, allowed_mentions=NO_MENTIONS
            )
        except Exception as error:
            await handle_interaction_error(interaction, error)


class ReadFromHere(
    discord.ui.DynamicItem[discord.ui.Button], template=r"quote:read:(?P<story>\d+):(?P<paragraph>\d+)"
):
    """Opens the reader (cogs/read.py) at the page holding the paragraph."""

    def __init__(self, story_id: int, paragraph_seq: int) -> None:
        super().__init__(discord.ui.Button(
            label="Read from here", style=discord.ButtonStyle.secondary,
            custom_id=f"quote:read:{story_id}:{paragraph_seq}",
        ))
        self.story_id, self.paragraph_seq = story_id, paragraph_seq

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> ReadFromHere:
        return cls(int(match["story"]), int(match["paragraph"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        # Imported here: load_extension re-executes cogs.read, and only the module it loaded
        # knows the Reader class of the running cog.
        from cogs.read import open_reader_at

        try:
            await open_reader_at(interaction, self.story_id, self.paragraph_seq)
        except Exception as error:
            await handle_interaction_error(interaction, error)


def quote_buttons(card: QuoteCard) -> discord.ui.View:
    # timeout=None: the buttons are dynamic items, answered from their custom_id at any time.
    view = discord.ui.View(timeout=None)
    if card.cycle_id is not None:
        view.add_item(AnotherQuote(card.cycle_id))
    view.add_item(QuoteContextButton(card.quote.id))
    view.add_item(ReadFromHere(card.story.id, card.quote.paragraph_seq))
    return view


def excerpt_buttons(excerpt: Excerpt) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ReadFromHere(excerpt.story.id, excerpt.paragraphs[0].seq))
    return view


async def in_time(interaction: discord.Interaction, work: Awaitable[T]) -> T:
    """Await `work`; if it outlasts DEFER_AFTER (a database busy with a long write), defer so
    Discord's 3-second window to answer is not missed. (A timer, not a task and asyncio.wait per
    pick: most picks take a millisecond.)"""
    deferring: list[asyncio.Future[None]] = []
    timer = asyncio.get_running_loop().call_later(
        DEFER_AFTER, lambda: deferring.append(asyncio.ensure_future(interaction.response.defer(thinking=True)))
    )
    try:
        return await work
    finally:
        timer.cancel()
        if deferring:
            await deferring[0]  # the reply goes out as a follow-up once the deferral has


async def send_quote(interaction: discord.Interaction, work: Awaitable[QuoteCard]) -> None:
    card = await in_time(interaction, work)
    embed, view = quote_embed(card), quote_buttons(card)
    if interaction.response.is_done():
        await interaction.followup.send(embed=embed, view=view, allowed_mentions=NO_MENTIONS)
    else:
        await interaction.response.send_message(embed=embed, view=view, allowed_mentions=NO_MENTIONS)


# --- the cog -------------------------------------------------------------------------------------


class Quotes(commands.Cog):
    """Random lines and passages from the stories visible here."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @property
    def store(self) -> Store:
        return self.bot.store  # type: ignore[attr-defined]

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(AnotherQuote, QuoteContextButton, ReadFromHere)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(AnotherQuote, QuoteContextButton, ReadFromHere)
        await self.store.write_behind.flush()  # quote cursors are written behind the replies

    @app_commands.command(name="quote", description="A random line of dialogue, its speaker, story and chapter")
    @app_commands.describe(
        story="Only from this story", character="Only lines by this character",
        contains="Only lines containing these words",
    )
    @app_commands.autocomplete(story=story_autocomplete)
    async def quote(
        self, interaction: discord.Interaction, story: str | None = None, character: str | None = None,
        contains: app_commands.Range[str, 1, CONTAINS_MAX] | None = None,
    ) -> None:
        # The reader's spoiler limits (and the story the option names) are read with the pick: one
        # round trip for most picks.
        filters = QuoteFilters(None, character, contains)
        work = pick_quote_for(self.store, audience_of(interaction), interaction.user.id, filters, story=story)
        await send_quote(interaction, work)

    @quote.autocomplete("character")
    async def character_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        story: Any = interaction.namespace.story
        names = await character_choices(self.store, await reader_audience(interaction), current, story)
        return [app_commands.Choice(name=plain(n, CHOICE_NAME_LIMIT), value=n[:CHOICE_NAME_LIMIT]) for n in names]

    @app_commands.command(name="excerpt", description="A random passage of one to three consecutive paragraphs")
    @app_commands.describe(story="Only from this story")
    @app_commands.autocomplete(story=story_autocomplete)
    async def excerpt(self, interaction: discord.Interaction, story: str | None = None) -> None:
        audience, chosen = await reader_and_story(interaction, story)
        found = await pick_excerpt(self.store, audience, chosen.id if chosen else None)
        await interaction.response.send_message(
            embed=excerpt_embed(found), view=excerpt_buttons(found), allowed_mentions=NO_MENTIONS
        )


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Quotes(bot))
