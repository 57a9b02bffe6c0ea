"""`/character`: a character's card with a chart of their lines per chapter; also the embed and
chart of `/story stats` (the command itself sits in the /story group, cogs/story.py).

Figures come from bot/store/characters.py (cached per story version), charts from bot/charts.py
(drawn in a worker thread, cached per story version); the card's line is picked like /quote's.
"""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

import discord
from discord import app_commands
from discord.ext import commands

from bot.charts import PALETTE, TOP_SPEAKERS, Chart, ChartCache, Series, legend_label, stacked
from bot.choices import reader_and_story, reader_audience, story_autocomplete
from bot.errors import NothingMatches, StoryNotFound
from bot.render import (
    CHOICE_NAME_LIMIT,
    EMBED_FIELD_VALUE_LIMIT,
    EMBED_FOOTER_LIMIT,
    EMBED_TITLE_LIMIT,
    NO_MENTIONS,
    bold,
    chapter_label,
    escape,
    neutralize_mentions,
    plain,
    safe,
    story_colour,
    truncate,
)
from bot.store.audience import Audience, resolve_story
from bot.store.characters import (
    CHOICE_PREFIX,
    ChapterLabel,
    FoundCharacter,
    StoryFigures,
    find_character,
    name_choices,
    story_figures,
)
from bot.store.connection import Store
from bot.store.quotes import QuoteCard, QuoteFilters, pick_quote
from bot.store.records import StoredStory
from cogs.quotes import in_time

log = logging.getLogger(__name__)

CHART_FILE = "chart.png"
ALT_TEXT_LIMIT = 1024  # Discord's limit for an attachment's description (alt text)
LINE_LIMIT = 700
_charts: WeakKeyDictionary[Store, ChartCache] = WeakKeyDictionary()


def chart_cache(store: Store) -> ChartCache:
    if (cache := _charts.get(store)) is None:
        cache = _charts[store] = ChartCache()
    return cache


@dataclass(frozen=True, slots=True)
class Card:
    embed: discord.Embed
    png: bytes
    alt: str

    def file(self) -> discord.File:
        return discord.File(io.BytesIO(self.png), filename=CHART_FILE, description=self.alt)


# --- figures as text ----------------------------------------------------------------------------


def _n(value: int) -> str:
    return f"{value:,}"


def _unit_name(figures: StoryFigures) -> str:
    return "Scene" if figures.by_scene else "Chapter"


def _chapter_text(chapter: ChapterLabel) -> str:
    return chapter_label(chapter.number, chapter.title, chapter.index + 1)


def _chapter_number(chapter: ChapterLabel) -> int:
    return chapter.number if chapter.number is not None else chapter.index + 1


def _unit_label(figures: StoryFigures, unit: int) -> str:
    if figures.by_scene:
        return f"scene {unit + 1}"
    return f"chapter {_chapter_number(figures.chapters[unit])}"


def _busiest(figures: StoryFigures, values: tuple[int, ...]) -> str:
    if not values or max(values) == 0:
        return ""
    unit = max(range(len(values)), key=lambda i: (values[i], -i))
    return f"; most in {_unit_label(figures, unit)} ({_n(values[unit])})"


def _said(text: str) -> str:
    """A summary as footers and alt text take it: one line, no mentions (they render no markdown)."""
    return plain(neutralize_mentions(text), ALT_TEXT_LIMIT)


def character_summary(figures: StoryFigures, character_id: int, name: str) -> str:
    """What the character's chart shows, in words (the embed footer and the image's alt text)."""
    values = figures.lines.get(character_id, ())
    units = sum(1 for v in values if v)
    unit = _unit_name(figures).lower() + ("" if units == 1 else "s")
    return _said(
        f"Chart: {name}'s lines per {_unit_name(figures).lower()}: {_n(sum(values))} lines in {units} {unit}"
        + _busiest(figures, values) + "."
    )


def story_summary(figures: StoryFigures) -> str:
    ranked = figures.ranked()
    most = ", ".join(f"{s.name} {_n(n)}" for s, n in ranked[:TOP_SPEAKERS])
    text = f"Chart: who speaks, {_unit_name(figures).lower()} by {_unit_name(figures).lower()}. "
    text += f"Most lines: {most}." if most else "No attributed lines."
    unknown = figures.total(None)
    if unknown:
        text += f" Unknown speaker: {_n(unknown)}."
    return _said(text)


# --- charts -------------------------------------------------------------------------------------


def character_chart(figures: StoryFigures, character_id: int, name: str) -> Chart:
    values = figures.lines.get(character_id, (0,) * figures.units) or (0,)
    unit = _unit_name(figures)
    title = legend_label(f"{name}: lines per {unit.lower()}", 80)
    return Chart(title, unit, (Series("", tuple(values), PALETTE[0]),))


def story_chart(figures: StoryFigures) -> Chart:
    ranked = figures.ranked()
    top = ranked[:TOP_SPEAKERS]
    shown = {s.id for s, _ in top}
    others = [0] * figures.units
    for character, values in figures.lines.items():
        if character not in shown:
            for i, v in enumerate(values):
                others[i] += v
    series = stacked([(legend_label(s.name), figures.lines[s.id]) for s, _ in top], others)
    unit = _unit_name(figures)
    return Chart(legend_label(f"Who speaks, {unit.lower()} by {unit.lower()}", 80), unit, series)


# --- embeds -------------------------------------------------------------------------------------


def character_embed(figures: StoryFigures, found: FoundCharacter, card: QuoteCard | None) -> discord.Embed:
    story = figures.story
    speaker = figures.speakers.get(found.id)
    lines = figures.total(found.id)
    description = f"In {bold(truncate(story.title, 300))}"
    if found.others:
        names = ", ".join(f"“{safe(s.title, 100)}”" for s in found.others[:5])
        more = f" and {len(found.others) - 5} more" if len(found.others) > 5 else ""
        description += f"\nAlso a character in {names}{more}: choose `story` to see theirs."
    embed = discord.Embed(
        title=safe(found.name, EMBED_TITLE_LIMIT), description=description, colour=story_colour(story.id)
    )
    embed.add_field(name="Lines spoken", value=_n(lines))
    present = figures.chapters_of.get(found.id, ())
    by_index = {c.index: c for c in figures.chapters}
    if present:
        first, last = by_index[present[0]], by_index[present[-1]]
        span = f" ({_chapter_number(first)}–{_chapter_number(last)})" if len(present) > 1 else ""
        embed.add_field(name="Chapters", value=f"{_n(len(present))}{span}")
        embed.add_field(name="First appearance", value=safe(_chapter_text(first), 200))
    else:
        embed.add_field(name="Chapters", value="None with lines")
    # Which chapter reveals an alias isn't stored, so under a spoiler limit none are shown.
    aliases = speaker.aliases if speaker and figures.last_chapter is None else ()
    if aliases:
        embed.add_field(
            name="Also called", value=truncate(", ".join(escape(a) for a in aliases), EMBED_FIELD_VALUE_LIMIT),
            inline=False,
        )
    partners = figures.talks_to(found.id)
    if partners:
        talk = ", ".join(f"{safe(s.name, 80)} ({_n(n)})" for s, n in partners)
        embed.add_field(name="Talks most with", value=talk, inline=False)
    if card is not None:
        marks = "“”" if card.quote.kind == "speech" else "‘’"
        where = _chapter_text(ChapterLabel(card.chapter.index, card.chapter.number, card.chapter.title))
        text = f"{marks[0]}{safe(card.quote.text, LINE_LIMIT)}{marks[1]}\n— {safe(where, 200)}"
        embed.add_field(name="A line of theirs", value=text, inline=False)
    embed.set_image(url=f"attachment://{CHART_FILE}")
    embed.set_footer(text=truncate(character_summary(figures, found.id, found.name), EMBED_FOOTER_LIMIT))
    return embed


def stats_embed(figures: StoryFigures) -> discord.Embed:
    story = figures.story
    embed = discord.Embed(title=safe(story.title, EMBED_TITLE_LIMIT), colour=story_colour(story.id))
    embed.add_field(name="Words", value=_n(figures.words))
    embed.add_field(name="Chapters", value=_n(len(figures.chapters)))
    embed.add_field(name="Quotations", value=_n(figures.quotations))
    share = figures.dialogue_words / figures.words if figures.words else 0.0
    embed.add_field(
        name="Share of dialogue",
        value=f"{share:.0%} of the words are inside quotations ({_n(figures.dialogue_words)})",
        inline=False,
    )
    ranked = figures.ranked()
    if ranked:
        cast = ", ".join(f"{safe(s.name, 80)} {_n(n)}" for s, n in ranked[:TOP_SPEAKERS])
        embed.add_field(name="Most lines", value=truncate(cast, EMBED_FIELD_VALUE_LIMIT), inline=False)
    embed.set_image(url=f"attachment://{CHART_FILE}")
    embed.set_footer(text=truncate(story_summary(figures), EMBED_FOOTER_LIMIT))
    return embed


# --- building and sending -----------------------------------------------------------------------


async def character_card(store: Store, audience: Audience, found: FoundCharacter) -> Card:
    """The card and chart, up to the story's spoiler limit for this audience (figures, chart and
    the line alike)."""
    figures = await story_figures(store, found.story, audience.limits.last_chapter(found.story.id))
    try:
        card: QuoteCard | None = await pick_quote(store, audience, QuoteFilters(found.story.id, found.name))
    except NothingMatches:
        card = None
    png = await chart_cache(store).png(
        ("character", found.id, *figures.version), lambda: character_chart(figures, found.id, found.name)
    )
    return Card(character_embed(figures, found, card), png, character_summary(figures, found.id, found.name))


async def stats_card(store: Store, story: StoredStory, last_chapter: int | None = None) -> Card:
    figures = await story_figures(store, story, last_chapter)
    png = await chart_cache(store).png(("story", *figures.version), lambda: story_chart(figures))
    return Card(stats_embed(figures), png, story_summary(figures))


async def send_card(interaction: discord.Interaction, card: Card) -> None:
    if interaction.response.is_done():
        await interaction.followup.send(embed=card.embed, file=card.file(), allowed_mentions=NO_MENTIONS)
    else:
        await interaction.response.send_message(embed=card.embed, file=card.file(), allowed_mentions=NO_MENTIONS)


async def send_story_stats(
    interaction: discord.Interaction, store: Store, story: StoredStory, last_chapter: int | None = None
) -> None:
    """/story stats for a story the caller resolved (and so may see), up to `last_chapter` (the
    reader's spoiler limit) when given."""
    await send_card(interaction, await in_time(interaction, stats_card(store, story, last_chapter)))


class Characters(commands.Cog):
    """Character cards."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @property
    def store(self) -> Store:
        return self.bot.store  # type: ignore[attr-defined]

    @app_commands.command(name="character", description="A character's lines, chapters, companions and a chart")
    @app_commands.describe(name="The character (a name or another name for them)", story="Only in this story")
    @app_commands.autocomplete(story=story_autocomplete)
    async def character(self, interaction: discord.Interaction, name: str, story: str | None = None) -> None:
        audience, chosen = await reader_and_story(interaction, story)  # one round trip for most
        found = await find_character(self.store, audience, name, chosen.id if chosen else None)
        await send_card(interaction, await in_time(interaction, character_card(self.store, audience, found)))

    @character.autocomplete("name")
    async def name_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        audience = await reader_audience(interaction)
        typed: Any = interaction.namespace.story
        story_id = None
        if typed:
            try:
                story_id = (await resolve_story(self.store, audience, typed)).id
            except StoryNotFound:
                return []
        found = await name_choices(self.store, audience, current, story_id)
        # With no story chosen and several stories among the matches, each choice names its story.
        stories = {c.story_title for c in found}
        choices = []
        for c in found:
            label = f"{c.alias} ({c.name})" if c.alias else c.name
            if story_id is None and len(stories) > 1:
                label += f" · {c.story_title}"
            choices.append(app_commands.Choice(name=plain(label, CHOICE_NAME_LIMIT), value=f"{CHOICE_PREFIX}{c.character_id}"))
        return choices


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Characters(bot))
