"""`/search`: ranked passages matching the words typed, five per page, with Prev/Next buttons only
the searcher can press; the search is saved so the buttons work after a restart."""
from __future__ import annotations

import logging
import re

import discord
from discord import app_commands
from discord.ext import commands

from bot.choices import audience_of, reader_and_story, story_autocomplete
from bot.errors import NothingMatches, NotYours, UserError
from bot.render import (
    EMBED_DESCRIPTION_LIMIT,
    EMBED_TITLE_LIMIT,
    NO_MENTIONS,
    bold,
    escape,
    plain,
    truncate,
)
from bot.runtime import handle_interaction_error
from bot.store.connection import Store
from bot.store.search import (
    MATCH_END,
    MATCH_START,
    PAGE_SIZE,
    SearchHit,
    SearchPage,
    get_search,
    new_search,
    search_page,
    search_page_for,
)

log = logging.getLogger(__name__)

TEXT_MAX = 200
_SNIPPET_LIMIT = EMBED_DESCRIPTION_LIMIT // PAGE_SIZE - 150  # room for each hit's heading line


def bold_matches(snippet: str) -> str:
    """FTS5 snippet → Discord text: matched words in bold, everything else escaped."""
    parts = re.split(f"{MATCH_START}|{MATCH_END}", snippet)
    # split alternates outside / inside the markers, starting outside
    return "".join(bold(part) if i % 2 else escape(part) for i, part in enumerate(parts))


def _hit_heading(hit: SearchHit) -> str:
    chapter = hit.chapter_number if hit.chapter_number is not None else hit.chapter_index + 1
    where = f"Chapter {chapter}" + (f": {hit.chapter_title}" if hit.chapter_title else "")
    return escape(plain(f"{hit.story_title} · {where}", 120))


def search_embed(page: SearchPage) -> discord.Embed:
    lines = []
    for n, hit in enumerate(page.hits, start=page.page * PAGE_SIZE + 1):
        lines.append(f"**{n}.** {_hit_heading(hit)}\n{truncate(bold_matches(hit.snippet), _SNIPPET_LIMIT)}")
    matches = "match" if page.total == 1 else "matches"
    embed = discord.Embed(
        title=truncate(f"Search: {escape(plain(page.search.text, TEXT_MAX))}", EMBED_TITLE_LIMIT),
        description=truncate("\n\n".join(lines), EMBED_DESCRIPTION_LIMIT),
        colour=discord.Colour.dark_teal(),
    )
    embed.set_footer(text=f"{page.total} {matches} · page {page.page + 1} of {page.pages}")
    return embed


class SearchPageButton(
    discord.ui.DynamicItem[discord.ui.Button], template=r"search:(?P<search>\d+):(?P<page>\d+):(?P<dir>[pn])"
):
    """Prev / Next: shows page `page` of saved search `search` (only for the person who searched)."""

    def __init__(self, search_id: int, page: int, direction: str, *, disabled: bool = False) -> None:
        label = "Prev" if direction == "p" else "Next"
        super().__init__(discord.ui.Button(
            label=label, style=discord.ButtonStyle.secondary, disabled=disabled,
            custom_id=f"search:{search_id}:{page}:{direction}",
        ))
        self.search_id, self.page = search_id, page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> SearchPageButton:
        return cls(int(match["search"]), int(match["page"]), match["dir"])

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            store: Store = interaction.client.store  # type: ignore[attr-defined]
            search = await get_search(store, self.search_id)
            if search is None:
                raise UserError("That search has expired; run `/search` again.")
            if search.user_id != interaction.user.id:
                raise NotYours()
            page = await search_page_for(store, search, interaction.guild_id, interaction.user.id, self.page)
            await interaction.response.edit_message(
                embed=search_embed(page), view=page_buttons(page), allowed_mentions=NO_MENTIONS
            )
        except Exception as error:
            await handle_interaction_error(interaction, error)


def page_buttons(page: SearchPage) -> discord.ui.View | None:
    if page.pages <= 1:
        return None
    view = discord.ui.View(timeout=None)
    sid = page.search.id
    view.add_item(SearchPageButton(sid, max(page.page - 1, 0), "p", disabled=page.page == 0))
    view.add_item(SearchPageButton(sid, min(page.page + 1, page.pages - 1), "n",
                                   disabled=page.page >= page.pages - 1))
    return view


class Search(commands.Cog):
    """Full-text search over the stories visible here."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @property
    def store(self) -> Store:
        return self.bot.store  # type: ignore[attr-defined]

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(SearchPageButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(SearchPageButton)
        await self.store.write_behind.flush()  # saved searches are written behind the replies

    @app_commands.command(name="search", description="Passages matching your words, best first")
    @app_commands.describe(text="Words to look for (all must appear)", story="Only in this story")
    @app_commands.autocomplete(story=story_autocomplete)
    async def search(
        self, interaction: discord.Interaction, text: app_commands.Range[str, 1, TEXT_MAX],
        story: str | None = None,
    ) -> None:
        # Saved behind the reply (new_search): the answer never waits for the database's write lock.
        if story is None or not story.strip():  # the reader's limits are read with the page
            chosen, user = None, interaction.user.id
            saved = new_search(self.store, user, audience_of(interaction), text)
            page = await search_page_for(self.store, saved, interaction.guild_id, user)
        else:  # the story and the reader's limits in one round trip, then the page
            audience, chosen = await reader_and_story(interaction, story)
            saved = new_search(self.store, interaction.user.id, audience, text, chosen.id if chosen else None)
            page = await search_page(self.store, saved, limits=audience.limits)
        if page.total == 0:
            where = f" in “{escape(plain(chosen.title, 100))}”" if chosen else ""
            raise NothingMatches(
                f"Nothing matches “{escape(plain(text, 100))}”{where}. Try fewer or different words,"
                " another story from `/story list`, or no story at all."
            )
        view = page_buttons(page)
        await interaction.response.send_message(
            embed=search_embed(page), allowed_mentions=NO_MENTIONS,
            **({"view": view} if view is not None else {}),
        )


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Search(bot))
