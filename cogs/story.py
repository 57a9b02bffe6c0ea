"""`/story list|info|add|remove`: each server's library, with uploads of .txt, .md, .html and .epub files.

Uploads are downloaded with a size cap, converted and parsed in a worker process, previewed to the
uploader, and stored only when they press Confirm. Adding and removing need Manage Server.
"""
from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import re
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.choices import audience_of, reader_audience, story_autocomplete
from bot.errors import InvalidInput, MissingPermission, StoryNotFound, UserError
from bot.formats import (
    UploadRejected,
    check_upload,
    describe_size,
)
from bot.metrics import UPLOADS_IN_PROGRESS
from bot.render import (
    CHOICE_NAME_LIMIT,
    EMBED_DESCRIPTION_LIMIT,
    EMBED_FIELD_VALUE_LIMIT,
    EMBED_TITLE_LIMIT,
    NO_MENTIONS,
    chapter_label,
    plain,
    safe,
    story_colour,
    truncate,
)
from bot.runtime import APOLOGY
from bot.store import reading
from bot.store.audience import Audience, resolve_story
from bot.store.connection import Store
from bot.store.library import (
    LibraryConflict,
    LibraryPage,
    StoryDetails,
    check_new_story,
    library_page,
    limited_details,
    own_stories,
    remove_story,
    story_details,
)
from bot.store.records import StoredStory
from bot.store.stories import find_by_content, find_by_title, get_story
from bot.upload_worker import PARALLEL_UPLOADS, STORE_DIED, Preview, UploadWorkers
from bot.views import StoryView
from cogs.character import send_story_stats

log = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT = aiohttp.ClientTimeout(total=60)
DOWNLOAD_CHUNK = 256 * 1024
PREVIEW_TIMEOUT = 600.0
UPLOADS_SUFFIX = "-uploads"  # the folder beside the database: storybot.db-uploads, like its -wal file
# /story info's share of Discord's 6,000-character embed for what the file says of itself.
TAGS_SHOWN = 500
URL_SHOWN = 300
_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::\d+)?(?:/[A-Za-z0-9\-._~/?#&=%+,;!$']*)?")
# Ratings an uploader can give a story in its preview: as stored (the age gate's letters) and as shown.
RATINGS = (("G", "General Audiences"), ("T", "Teen And Up Audiences"), ("M", "Mature"), ("E", "Explicit"))
NOT_RATED = "unrated"
AS_THE_FILE_SAYS = "file"


def _require_manager(interaction: discord.Interaction) -> None:
    # Checked at run time: /story sets no default permissions, or members could not see list/info.
    if interaction.guild is None or not interaction.permissions.manage_guild:
        raise MissingPermission("Manage Server")


def _number(value: int) -> str:
    return f"{value:,}"


def _count(value: int, noun: str, plural: str | None = None) -> str:
    return f"{value:,} {noun if value == 1 else plural or noun + 's'}"


def _when(iso: str) -> str:
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return discord.utils.format_dt(moment, "D")


async def download(attachment: discord.Attachment, limit: int, path: Path) -> None:
    """Save the attachment to `path`, refusing as soon as more than `limit` bytes arrive (whatever it declared).

    To disk, not memory: the workers read the file, so the bot's process never holds an upload (a
    10 MB upload kept in memory and pickled to the workers twice left the bot ~14 MB larger for good).
    """
    received = 0
    out = await asyncio.to_thread(path.open, "wb")
    try:
        async with aiohttp.ClientSession(timeout=DOWNLOAD_TIMEOUT) as session, session.get(attachment.url) as response:
            if response.status != 200:
                raise InvalidInput("I couldn't download that file from Discord; please try again.")
            async for chunk in response.content.iter_chunked(DOWNLOAD_CHUNK):
                received += len(chunk)
                if received > limit:
                    raise UploadRejected(f"The file is over the {describe_size(limit)} limit.")
                await asyncio.to_thread(out.write, chunk)
    except (TimeoutError, aiohttp.ClientError):
        raise InvalidInput("I couldn't download that file from Discord; please try again.") from None
    finally:
        await asyncio.to_thread(out.close)


def preview_embed(preview: Preview, filename: str) -> discord.Embed:
    embed = discord.Embed(
        title=f"Add “{safe(preview.title, EMBED_TITLE_LIMIT - 10)}”?",
        description=safe(preview.summary or "No summary.", 600),
        colour=discord.Colour.blurple(),
    )
    embed.add_field(name="Chapters", value=_number(preview.chapters))
    embed.add_field(name="Words", value=_number(preview.words))
    embed.add_field(name="Quotations", value=_number(preview.quotations))
    embed.add_field(name="Notes set aside", value=_number(preview.notes))
    if preview.author:
        embed.add_field(name="Author", value=safe(preview.author, 200))
    if preview.fandom:
        embed.add_field(name="Fandom", value=safe(preview.fandom, 200))
    embed.add_field(name="Rating", value=safe(preview.rating or "unrated", 50))
    if preview.tags:
        embed.add_field(name="Tags", value=_fit_lines([safe(t, 100) for t in preview.tags], TAGS_SHOWN, ", "), inline=False)
    cast = ", ".join(f"{safe(name, 80)} ({lines})" for name, lines in preview.main_characters)
    embed.add_field(name="Main characters", value=truncate(cast or "None found", EMBED_FIELD_VALUE_LIMIT), inline=False)
    embed.set_footer(text=plain(f"From {filename} · only you can confirm", 200))
    return embed


def _clear_uploads(folder: Path, owns: Callable[[int], bool], every_server: bool) -> None:
    """Delete the waiting uploads of the servers this process owns (`<guild>-<interaction>.upload`);
    the others may be waiting in another process sharing the folder. A file named otherwise goes
    only when this process serves every server."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in folder.iterdir():
        guild, _, rest = path.name.partition("-")
        if (guild.isascii() and guild.isdigit() and rest and owns(int(guild))) or every_server:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


async def _delete(path: Path) -> None:
    await asyncio.to_thread(path.unlink, missing_ok=True)


async def _sent_message(
    interaction: discord.Interaction, sent: discord.InteractionCallbackResponse
) -> discord.InteractionMessage:
    """The message a response created: the callback already carries it (no extra REST request)."""
    if isinstance(sent.resource, discord.InteractionMessage):
        return sent.resource
    return await interaction.original_response()


def _status(story: StoredStory) -> str:
    return "bundled" if story.bundled else "added here"


def list_embed(page: LibraryPage) -> discord.Embed:
    lines = [
        f"**{safe(s.title, 120)}** · {_number(s.chapter_count)} ch · {_number(s.word_count)} words"
        f" · {safe(s.rating or 'unrated', 20)} · {_status(s)}"
        for s in page.stories
    ]
    embed = discord.Embed(
        title="Story library",
        description=truncate("\n".join(lines) or "No stories yet. Add one with `/story add`.", EMBED_DESCRIPTION_LIMIT),
        colour=discord.Colour.blurple(),
    )
    footer = f"Page {page.page + 1}/{page.pages} · {_count(page.total, 'story', 'stories')}"
    if page.hidden:
        footer += f" · {page.hidden} rated M/Explicit listed only in age-restricted channels"
    embed.set_footer(text=footer)
    return embed


def info_embed(details: StoryDetails, bookmark_line: str | None) -> discord.Embed:
    story = details.story
    embed = discord.Embed(
        title=safe(story.title, EMBED_TITLE_LIMIT),
        description=safe(story.summary or "No summary.", 1500),
        colour=story_colour(story.id),
    )
    embed.add_field(name="Author", value=safe(story.author, 200))
    if story.fandom:
        embed.add_field(name="Fandom", value=safe(story.fandom, 200))
    embed.add_field(name="Rating", value=safe(story.rating or "unrated", 50))
    embed.add_field(name="Words", value=_number(story.word_count))
    embed.add_field(name="Quotations", value=_number(story.quote_count))
    embed.add_field(name="Notes set aside", value=_number(details.notes_set_aside))
    if story.bundled:
        origin = "Bundled with the bot"
    else:
        who = f"<@{story.added_by}>" if story.added_by else "someone"
        origin = f"Added by {who} on {_when(story.added_at)}"
    embed.add_field(name="Source", value=origin)
    if details.language:
        embed.add_field(name="Language", value=safe(details.language, 50))
    link = _link(details.url)
    if link:
        embed.add_field(name="Published at", value=link)
    if details.tags:
        embed.add_field(name="Tags", value=_fit_lines([safe(t, 100) for t in details.tags], TAGS_SHOWN, ", "), inline=False)
    chapter_lines = [
        safe(chapter_label(c.number, c.title, c.index + 1), 120) + f" · {_number(c.word_count)} words"
        for c in details.chapters
    ]
    if details.chapters_hidden:
        chapter_lines.append(f"{_count(details.chapters_hidden, 'later chapter')} hidden by the spoiler limit")
    embed.add_field(
        name=f"Chapters ({len(details.chapters)})",
        value=_fit_lines(chapter_lines, EMBED_FIELD_VALUE_LIMIT) or "None",
        inline=False,
    )
    cast = [f"{safe(c.name, 80)} · {_count(c.lines, 'line')}" for c in details.main_characters]
    embed.add_field(name="Main characters", value=_fit_lines(cast, EMBED_FIELD_VALUE_LIMIT) or "None found", inline=False)
    if bookmark_line:
        embed.add_field(name="Your bookmark", value=bookmark_line, inline=False)
    return embed


def _fit_lines(lines: list[str], limit: int, separator: str = "\n") -> str:
    """As many whole lines as fit in `limit`, then "… and N more"."""
    shown: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        tail = f"{separator}… and {len(lines) - i} more"
        if used + len(line) + len(separator) + len(tail) > limit:
            return separator.join(shown) + tail
        shown.append(line)
        used += len(line) + len(separator)
    return separator.join(shown)


def _link(url: str | None) -> str | None:
    """A story's address as Discord links it, or None when it is not a plain web address (the file
    is untrusted: no markdown, mentions or spaces get through)."""
    if url and len(url) <= URL_SHOWN and _PLAIN_URL.fullmatch(url):
        return url
    return None


class LibraryPager(StoryView):
    """Prev / Next over `/story list`, for the member who asked."""

    def __init__(self, store: Store, audience: Audience, owner_id: int, page: LibraryPage) -> None:
        super().__init__(owner_id=owner_id)
        self.store = store
        self.audience = audience
        self.page = page
        self._sync()

    def _sync(self) -> None:
        self.previous.disabled = self.page.page == 0
        self.next.disabled = self.page.page >= self.page.pages - 1

    async def _turn(self, interaction: discord.Interaction, step: int) -> None:
        self.page = await library_page(
            self.store, self.audience.guild_id, self.page.page + step, adult=self.audience.adult
        )
        self._sync()
        await interaction.response.edit_message(embed=list_embed(self.page), view=self)

    @discord.ui.button(label="Prev", style=discord.ButtonStyle.secondary, custom_id="story:list:prev")
    async def previous(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary, custom_id="story:list:next")
    async def next(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._turn(interaction, 1)


class ConfirmView(StoryView):
    """Confirm / Cancel that only the invoker can press; `action` runs at most once and its text replaces the prompt."""

    def __init__(
        self,
        owner_id: int,
        action: Callable[[discord.Interaction], Awaitable[str]],
        *,
        confirm_label: str = "Confirm",
        danger: bool = False,
        on_end: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(owner_id=owner_id, timeout=PREVIEW_TIMEOUT)
        self.action = action
        self.on_end = on_end  # runs once the prompt is answered or times out (e.g. to delete a file)
        self.done = False
        self.confirm.label = confirm_label
        if danger:
            self.confirm.style = discord.ButtonStyle.danger

    async def _finish(self, interaction: discord.Interaction, run: bool) -> None:
        # A second click (or a click racing the first) must not store or remove twice.
        await interaction.response.defer()
        if self.done:
            return
        self.done = True
        self.stop()
        try:
            text = await self.action(interaction) if run else "Cancelled; nothing was changed."
        except UserError as error:
            text = str(error)
        except Exception:
            # Answered here rather than by the view's error handler, whose follow-up would leave
            # the prompt showing buttons that no longer do anything.
            log.exception("Confirm failed (user %s, guild %s)", interaction.user.id, interaction.guild_id)
            text = APOLOGY
        finally:
            await self._end()
        await interaction.edit_original_response(content=text, embed=None, view=None, allowed_mentions=NO_MENTIONS)

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.success, custom_id="story:confirm")
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._finish(interaction, run=True)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary, custom_id="story:cancel")
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._finish(interaction, run=False)

    async def on_timeout(self) -> None:
        if not self.done:
            self.done = True
            await self._end()
        await super().on_timeout()

    async def _end(self) -> None:
        if self.on_end is not None:
            on_end, self.on_end = self.on_end, None
            await on_end()


class UploadConfirmView(ConfirmView):
    """The upload preview's Confirm / Cancel, with a menu for the rating the story is stored with:
    the file's by default, which the uploader may correct (it decides who sees the story)."""

    def __init__(
        self,
        owner_id: int,
        preview: Preview,
        filename: str,
        store: Callable[[Preview, discord.Interaction], Awaitable[str]],
        *,
        on_end: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(owner_id, self._store, on_end=on_end)
        self.preview = preview
        self.filename = filename
        self.store_as = store
        self.file_rating = preview.rating
        self._sync_ratings()

    async def _store(self, interaction: discord.Interaction) -> str:
        return await self.store_as(self.preview, interaction)

    def _sync_ratings(self) -> None:
        current = self.preview.rating
        options = [(letter, f"{letter} · {name}") for letter, name in RATINGS]
        if self.file_rating and self.file_rating not in dict(RATINGS):
            options.insert(0, (AS_THE_FILE_SAYS, f"{self.file_rating} (as the file says)"))
        options.append((NOT_RATED, "Not rated"))
        chosen = AS_THE_FILE_SAYS if current and current not in dict(RATINGS) else current or NOT_RATED
        self.rating.options = [
            discord.SelectOption(label=plain(label, 100), value=value, default=value == chosen)
            for value, label in options
        ]

    @discord.ui.select(custom_id="story:rating", placeholder="Rating", min_values=1, max_values=1)
    async def rating(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        if self.done:
            await interaction.response.defer()
            return
        value = select.values[0]
        rating = self.file_rating if value == AS_THE_FILE_SAYS else None if value == NOT_RATED else value
        self.preview = dataclasses.replace(self.preview, rating=rating)
        self._sync_ratings()
        await interaction.response.edit_message(
            embed=preview_embed(self.preview, self.filename), view=self, allowed_mentions=NO_MENTIONS
        )


class StoryLibrary(commands.Cog):
    """This server's story library."""

    story = app_commands.Group(name="story", description="This server's story library", guild_only=True)

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self.store = bot.store
        self.max_bytes: int = bot.settings.max_upload_bytes
        self.uploads = asyncio.Semaphore(PARALLEL_UPLOADS)
        self.workers = UploadWorkers()
        # Uploads wait here between preview and Confirm: beside the database, so what a killed bot
        # left behind is cleared by its next start.
        # On PostgreSQL (or in memory) there is no file to put it beside: a temporary folder of this
        # process's own (several processes may share the database).
        database = str(self.store.path)
        beside = database != ":memory:" and self.store.dialect == "sqlite"
        self.upload_dir = Path(database + UPLOADS_SUFFIX) if beside else None
        self._own_folder = False  # a temporary folder of this process alone (in-memory database, PostgreSQL)

    async def cog_load(self) -> None:
        if self.upload_dir is None:
            self.upload_dir = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="storybot-uploads-"))
            self._own_folder = True
        else:
            await self._clear_uploads()

    async def cog_unload(self) -> None:
        self.workers.close()
        if self._own_folder and self.upload_dir is not None:
            await asyncio.to_thread(shutil.rmtree, self.upload_dir, True)
        elif self.upload_dir is not None:
            await self._clear_uploads()

    async def _clear_uploads(self) -> None:
        assert self.upload_dir is not None
        every_server = self.bot.shard_plan.ids is None  # type: ignore[attr-defined]
        await asyncio.to_thread(_clear_uploads, self.upload_dir, self.bot.owns_guild, every_server)  # type: ignore[attr-defined]

    @story.command(name="list", description="Stories visible in this server")
    async def list_stories(self, interaction: discord.Interaction) -> None:
        audience = audience_of(interaction)
        page = await library_page(self.store, audience.guild_id, 0, adult=audience.adult)
        view = LibraryPager(self.store, audience, interaction.user.id, page)
        sent = await interaction.response.send_message(
            embed=list_embed(page), view=view, allowed_mentions=NO_MENTIONS
        )
        view.message = await _sent_message(interaction, sent)

    @story.command(name="info", description="A story's chapters, words, main characters and summary")
    @app_commands.describe(story="The story (start typing its title)")
    @app_commands.autocomplete(story=story_autocomplete)
    async def info(self, interaction: discord.Interaction, story: str) -> None:
        audience = await reader_audience(interaction)
        found = await resolve_story(self.store, audience, story)
        details = await story_details(self.store, found)
        if (last := audience.limits.last_chapter(found.id)) is not None:
            details = await limited_details(self.store, details, last)
        bookmark = await reading.get_bookmark(self.store, interaction.user.id, found.id)
        line = None
        if bookmark is not None and bookmark.chapter_index < len(details.chapters):
            chapter = details.chapters[bookmark.chapter_index]
            line = (
                f"{safe(chapter_label(chapter.number, chapter.title, chapter.index + 1), 150)}, "
                f"page {bookmark.page_number} · `/continue` to resume"
            )
        await interaction.response.send_message(
            embed=info_embed(details, line), allowed_mentions=NO_MENTIONS
        )

    @story.command(name="stats", description="A story's figures and a chart of who speaks how much")
    @app_commands.describe(story="The story (start typing its title)")
    @app_commands.autocomplete(story=story_autocomplete)
    async def stats(self, interaction: discord.Interaction, story: str) -> None:
        audience = await reader_audience(interaction)
        found = await resolve_story(self.store, audience, story)
        await send_story_stats(interaction, self.store, found, audience.limits.last_chapter(found.id))

    @story.command(name="add", description="Add a story file (.txt, .md, .html, .epub) to this server's library")
    @app_commands.describe(file="The story file", title="A title for it (default: the file's own)")
    async def add(
        self, interaction: discord.Interaction, file: discord.Attachment, title: str | None = None
    ) -> None:
        _require_manager(interaction)
        assert interaction.guild_id is not None
        check_upload(file.filename, file.size, max_bytes=self.max_bytes)
        await interaction.response.defer(ephemeral=True, thinking=True)
        assert self.upload_dir is not None
        # Named by server: processes sharing the folder clear only their own servers' files.
        path = self.upload_dir / f"{interaction.guild_id}-{interaction.id}.upload"
        try:
            async with self.uploads:
                with UPLOADS_IN_PROGRESS.track_inprogress():
                    await download(file, self.max_bytes, path)
                    preview = await self.workers.prepare(file.filename, path, self.max_bytes, title)
            try:
                await check_new_story(self.store, interaction.guild_id, preview.content_hash, preview.title)
            except LibraryConflict as conflict:
                raise InvalidInput(str(conflict)) from None
            # The file waits for Confirm, Cancel or the timeout: Confirm has a worker parse it again
            # and store the story itself, so the parsed story never crosses into this process and the
            # write never occupies the bot's connection.
            view = UploadConfirmView(
                interaction.user.id,
                preview,
                file.filename,
                functools.partial(self._store_upload, path, interaction.guild_id, file.filename),
                on_end=functools.partial(_delete, path),
            )
            view.message = await interaction.edit_original_response(
                embed=preview_embed(preview, file.filename), view=view, allowed_mentions=NO_MENTIONS
            )
        except BaseException:
            # No prompt on screen (refused, or the edit failed): nothing will ever confirm this file.
            await _delete(path)
            raise

    @story.command(name="remove", description="Remove a story this server added")
    @app_commands.describe(story="One of this server's own stories")
    async def remove(self, interaction: discord.Interaction, story: str) -> None:
        _require_manager(interaction)
        assert interaction.guild_id is not None
        found = await self._own_story(interaction.guild_id, story)
        view = ConfirmView(
            interaction.user.id,
            functools.partial(self._remove, found, interaction.guild_id),
            confirm_label="Remove",
            danger=True,
        )
        sent = await interaction.response.send_message(
            f"Remove “{safe(found.title, 200)}” ({_count(found.chapter_count, 'chapter')}, "
            f"{_count(found.quote_count, 'quotation')}) and everything made from it?",
            view=view,
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )
        view.message = await _sent_message(interaction, sent)

    @remove.autocomplete("story")
    async def remove_story_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        found = await own_stories(self.store, interaction.guild_id, current)
        return [app_commands.Choice(name=plain(s.title, CHOICE_NAME_LIMIT), value=str(s.id)) for s in found]

    async def _store_upload(
        self, path: Path, guild_id: int, filename: str, preview: Preview, interaction: discord.Interaction
    ) -> str:
        _require_manager(interaction)
        try:
            async with self.uploads:
                with UPLOADS_IN_PROGRESS.track_inprogress():
                    result = await self.workers.store(
                        self.store.path, filename, path, self.max_bytes, preview,
                        guild_id=guild_id, added_by=interaction.user.id,
                    )
        except LibraryConflict as conflict:
            return str(conflict)
        except InvalidInput as error:
            # A worker that died after its COMMIT but before answering did store the story.
            found = None
            if str(error) == STORE_DIED:
                found = await find_by_content(self.store, guild_id, preview.content_hash)
            if found is None or found.added_by != interaction.user.id or found.title != preview.title:
                raise
            stored = found
        else:
            stored = result.story
            log.info("guild %s added story %s (%r) by user %s in %.2f s", guild_id, stored.id, stored.title,
                     interaction.user.id, result.seconds)
        return (
            f"Added “{safe(stored.title, 200)}” to this server's library: "
            f"{_count(stored.chapter_count, 'chapter')}, {_count(stored.word_count, 'word')}."
        )

    async def _remove(self, story: StoredStory, guild_id: int, interaction: discord.Interaction) -> str:
        _require_manager(interaction)
        removed = await remove_story(self.store, story.id, guild_id)
        if removed is None:
            return f"“{safe(story.title, 200)}” is no longer in this server's library."
        return (
            f"Removed “{safe(removed.title, 200)}” with its quotations, search results, bookmarks "
            "and trivia questions."
        )

    async def _own_story(self, guild_id: int, typed: str) -> StoredStory:
        """A story this server added: by autocomplete id, exact title, or a unique title fragment."""
        text = " ".join(typed.split())
        candidates: list[StoredStory] = []
        # ASCII digits that fit a 64-bit id: "²" is a digit to str.isdigit() but not to int().
        if text.isascii() and text.isdigit() and len(text) <= 18:
            story = await get_story(self.store, int(text))
            if story is not None and story.guild_id == guild_id:
                return story
        for story in await find_by_title(self.store, guild_id, text):
            if story.guild_id == guild_id:
                return story
            candidates.append(story)
        if candidates:
            raise InvalidInput(
                f"“{safe(candidates[0].title, 200)}” is bundled with the bot; only stories this server added can be removed."
            )
        matches = await own_stories(self.store, guild_id, text) if text else []
        if len(matches) == 1:
            return matches[0]
        raise StoryNotFound(text)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(StoryLibrary(bot))
