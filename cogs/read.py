"""`/read` and `/continue`: a chapter in a public thread, one page per message, with bookmarks.

Other cogs open the reader with `await open_reader_at(interaction, story_id, paragraph_seq)`
(`paragraph_seq` as in StoredParagraph.seq / StoredQuote.paragraph_seq): it answers the
interaction exactly as /read does, at the page where that paragraph starts.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import weakref
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.acknowledge import answered_in_time, edit_answer
from bot.choices import audience_of, reader_audience, story_autocomplete
from bot.errors import ChapterNotFound, NothingMatches, StoryNotFound, UserError
from bot.reading.pages import ChapterPages
from bot.render import (
    CHOICE_NAME_LIMIT,
    CHOICES_LIMIT,
    NO_MENTIONS,
    THREAD_NAME_LIMIT,
    chapter_label,
    escape,
    plain,
    safe,
)
from bot.runtime import handle_interaction_error, reply_ephemeral
from bot.store import reading, stories
from bot.store.audience import resolve_story, visible_story
from bot.store.connection import Store
from bot.store.reading import StoredPage
from bot.store.records import StoredChapter, StoredStory
from bot.store.spoilers import chapter_limits
from bot.views import StoryModal, StoryView

log = logging.getLogger(__name__)

ARCHIVE_MINUTES = 1440
PREV, NEXT, JUMP, MARK, NEXT_CHAPTER, THE_END = "p", "n", "j", "b", "c", "x"
THREAD, EPHEMERAL = "t", "e"
NO_THREADS_IN_DMS = "Threads can't be opened in direct messages, so here is the chapter just for you."
NO_THREADS_HERE = "This kind of channel can't hold threads, so here is the chapter just for you."
THREAD_FORBIDDEN = "I wasn't allowed to open a thread here, so here is the chapter just for you."
UNAVAILABLE = "Reading is not available right now; please try again later."
PROMPT_TIMEOUT = 300.0
STALE_PAGE = "That page was already turned; the buttons are on the latest page below."
# A page turn is decided (the thread's turn taken, its head claimed) in a few milliseconds, except
# while the thread's previous turn is still posting its page: discord.py returns a post that used up
# the thread's budget (Discord: 5 messages per 5 s per channel) only once the budget refills, up to
# ~5 s later, though the page is already shown and can be clicked. A click that finds its thread's
# turn taken is acknowledged at once, one waiting for the head claim (behind another process's
# database write) after this many seconds; either is answered by an edit once its turn comes.
TURN_ACK_SECONDS = 0.25
_NEEDED = (("create_public_threads", "Create Public Threads"),
           ("send_messages_in_threads", "Send Messages in Threads"))


def chapter_heading(chapter: StoredChapter) -> str:
    return chapter_label(chapter.number, chapter.title, chapter.index + 1)


def thread_name(story: StoredStory, chapter: StoredChapter) -> str:
    """`<Story> · Ch. 7: The Smallest Spark`, at most 100 characters; the story title gives way
    first so the chapter stays readable."""
    label = f"Ch. {chapter.display_number}" + (f": {chapter.title}" if chapter.title else "")
    label = " ".join(label.split())
    room = THREAD_NAME_LIMIT - len(" · ") - min(len(label), THREAD_NAME_LIMIT // 2)
    return plain(f"{plain(story.title, room)} · {label}", THREAD_NAME_LIMIT)


def page_view(mode: str, story: StoredStory, chapter: StoredChapter, page: StoredPage) -> discord.ui.View:
    """Prev, Next (or Next chapter / The end), Jump, Bookmark; their custom_ids carry the page."""
    def button(action: str, disabled: bool = False) -> ReaderButton:
        return ReaderButton(mode, action, story.id, chapter.index, page.number, disabled=disabled)

    view = discord.ui.View(timeout=None)
    view.add_item(button(PREV, disabled=page.number <= 1))
    if page.number < page.total:
        view.add_item(button(NEXT))
    elif chapter.index + 1 < story.chapter_count:
        view.add_item(button(NEXT_CHAPTER))
    else:
        view.add_item(button(THE_END, disabled=True))
    view.add_item(button(JUMP, disabled=page.total <= 1))
    view.add_item(button(MARK))
    return view


def closing_line(story: StoredStory) -> str:
    return f"*The end of “{escape(story.title)}”.* Thanks for reading! `/read` opens another story."


_LOOKS = {
    PREV: ("Prev", "◀️", discord.ButtonStyle.secondary),
    NEXT: ("Next", "▶️", discord.ButtonStyle.primary),
    NEXT_CHAPTER: ("Next chapter", "⏭️", discord.ButtonStyle.success),
    THE_END: ("The end", None, discord.ButtonStyle.secondary),
    JUMP: ("Jump", "🔢", discord.ButtonStyle.secondary),
    MARK: ("Bookmark", "🔖", discord.ButtonStyle.secondary),
}


class ReaderButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"read:(?P<mode>[te]):(?P<action>[pnjbcx]):(?P<story>\d+):(?P<chapter>\d+):(?P<page>\d+)",
):
    """A page button that survives restarts: everything it needs is in its custom_id."""

    def __init__(self, mode: str, action: str, story_id: int, chapter_index: int, page: int,
                 *, disabled: bool = False) -> None:
        label, emoji, style = _LOOKS[action]
        super().__init__(discord.ui.Button(
            label=label, emoji=emoji, style=style, disabled=disabled,
            custom_id=f"read:{mode}:{action}:{story_id}:{chapter_index}:{page}",
        ))
        self.mode, self.action = mode, action
        self.story_id, self.chapter_index, self.page = story_id, chapter_index, page

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str], /) -> ReaderButton:
        return cls(match["mode"], match["action"], int(match["story"]), int(match["chapter"]),
                   int(match["page"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            cog = reader_of(interaction)
            if cog is None:
                raise UserError(UNAVAILABLE)
            await cog.on_button(interaction, self)
        except Exception as error:
            await handle_interaction_error(interaction, error)


class JumpModal(StoryModal, title="Jump to page"):
    def __init__(self, cog: Reader, button: ReaderButton, total: int) -> None:
        super().__init__(timeout=300)
        self.cog, self.button, self.total = cog, button, total
        self.number: discord.ui.TextInput = discord.ui.TextInput(
            label=f"Page (1-{total})", custom_id="page", placeholder=str(min(button.page + 1, total)),
            min_length=1, max_length=len(str(total)),
        )
        self.add_item(self.number)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        typed = self.number.value.strip()
        if not (typed.isascii() and typed.isdigit()) or not 1 <= int(typed) <= self.total:
            raise UserError(f"“{safe(typed, 20)}” is not a page of this chapter: choose 1 to {self.total}.")
        await self.cog.turn(interaction, self.button, self.button.chapter_index, int(typed))


class PastLimitPrompt(StoryView):
    """"Read it anyway?" for a chapter past a spoiler limit, shown only to the reader who asked."""

    def __init__(self, cog: Reader, owner_id: int, story: StoredStory, chapter: StoredChapter, number: int) -> None:
        super().__init__(owner_id=owner_id, timeout=PROMPT_TIMEOUT)
        self.cog, self.story, self.chapter, self.number = cog, story, chapter, number

    async def _close(self, content: str) -> None:
        self.stop()
        if self.message is not None:
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(content=content, view=None, allowed_mentions=NO_MENTIONS)

    @discord.ui.button(label="Read it anyway", style=discord.ButtonStyle.danger, custom_id="read:spoiler:yes")
    async def read_anyway(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        if self.is_finished():
            await reply_ephemeral(interaction, "That question was already answered.")
            return
        await self._close("Opening it.")
        await self.cog.show(interaction, self.story, self.chapter, self.number, confirmed=True)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary, custom_id="read:spoiler:no")
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.stop()
        await interaction.response.edit_message(content="Not opened.", view=None, allowed_mentions=NO_MENTIONS)


class Reader(commands.Cog):
    """Reading chapters page by page, in threads, with bookmarks."""

    def __init__(self, bot: commands.Bot, store: Store) -> None:
        self.bot = bot
        self.store = store
        self.pages = ChapterPages(store, escape=escape, heading=chapter_heading)
        # One page turn at a time per thread; the stored head claim guards across processes.
        # Weak values: a thread's lock lives only while someone holds or awaits it.
        self._turning: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    def _turning_lock(self, thread_id: int) -> asyncio.Lock:
        lock = self._turning.get(thread_id)
        if lock is None:
            lock = self._turning[thread_id] = asyncio.Lock()
        return lock

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ReaderButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ReaderButton)
        # Bookmarks are written behind the replies: write the pending ones before going away.
        await self.store.write_behind.flush()

    # ----------------------------------------------------------------------- commands

    @app_commands.command(name="read", description="Read a chapter in a thread, page by page")
    @app_commands.describe(story="The story to read", chapter="Chapter number (default: the first)")
    @app_commands.autocomplete(story=story_autocomplete)
    async def read(self, interaction: discord.Interaction, story: str,
                   chapter: app_commands.Range[int, 0, 1_000_000] | None = None) -> None:
        found = await resolve_story(self.store, audience_of(interaction), story)
        chapters = await stories.chapters(self.store, found.id)
        if not chapters:
            raise UserError(f"“{safe(found.title, 80)}” has no chapters to read.")
        if chapter is None:
            target = chapters[0]
        else:
            target = next((c for c in chapters if c.display_number == chapter), None)
            if target is None:
                raise ChapterNotFound(chapter, found.title)
        await self.show(interaction, found, target, 1)

    @app_commands.command(name="continue", description="Resume reading at your bookmark")
    @app_commands.describe(story="The story to resume (default: your latest bookmark)")
    async def continue_(self, interaction: discord.Interaction, story: str | None = None) -> None:
        audience = audience_of(interaction)
        user_id = interaction.user.id
        if story:
            found = await resolve_story(self.store, audience, story)
            mark = await reading.get_bookmark(self.store, user_id, found.id)
            if mark is None:
                raise NothingMatches(
                    f"You have no bookmark in “{safe(found.title, 80)}” yet; start it with `/read`."
                )
        else:
            found, mark = None, None
            for story_id in await reading.bookmarked_story_ids(self.store, user_id, audience.guild_id):
                found = await visible_story(self.store, audience, story_id)
                if found is not None:
                    mark = await reading.get_bookmark(self.store, user_id, story_id)
                    break
            if found is None or mark is None:
                raise NothingMatches("You have no bookmarks to continue here yet; start with `/read`.")
        chapters = await stories.chapters(self.store, found.id)
        if not chapters:
            raise UserError(f"“{safe(found.title, 80)}” has no chapters to read.")
        # The story may have been replaced by a shorter text since; pages are clamped too.
        chapter = chapters[min(mark.chapter_index, len(chapters) - 1)]
        await self.show(interaction, found, chapter, mark.page_number)

    @continue_.autocomplete("story")
    async def bookmark_autocomplete(self, interaction: discord.Interaction,
                                    current: str) -> list[app_commands.Choice[str]]:
        audience = audience_of(interaction)
        key = current.casefold().strip()
        choices = []
        for story_id in await reading.bookmarked_story_ids(self.store, interaction.user.id, audience.guild_id):
            found = await visible_story(self.store, audience, story_id)
            if found is not None and key in found.title.casefold():
                choices.append(app_commands.Choice(name=plain(found.title, CHOICE_NAME_LIMIT), value=str(found.id)))
            if len(choices) == CHOICES_LIMIT:
                break
        return choices

    @read.autocomplete("chapter")
    async def chapter_autocomplete(self, interaction: discord.Interaction,
                                   current: str) -> list[app_commands.Choice[int]]:
        typed = getattr(interaction.namespace, "story", None)
        if not typed:
            return []
        try:
            found = await resolve_story(self.store, audience_of(interaction), str(typed))
        except StoryNotFound:
            return []
        key = str(current).casefold().strip()
        choices = []
        for chapter in await stories.chapters(self.store, found.id):
            name = chapter_heading(chapter)
            if not key or str(chapter.display_number).startswith(key) or key in name.casefold():
                choices.append(app_commands.Choice(name=plain(name, CHOICE_NAME_LIMIT),
                                                   value=chapter.display_number))
            if len(choices) == CHOICES_LIMIT:
                break
        return choices

    # ------------------------------------------------------------------------ opening

    async def open_at_paragraph(self, interaction: discord.Interaction, story_id: int,
                                paragraph_seq: int) -> None:
        found = await visible_story(self.store, audience_of(interaction), story_id)
        if found is None:
            raise StoryNotFound()
        chapters = await stories.chapters(self.store, found.id)
        chapter = next((c for c in chapters
                        if c.first_paragraph <= paragraph_seq < c.first_paragraph + c.paragraph_count), None)
        if chapter is None:
            raise UserError("That passage is no longer in the story.")
        number = await self.pages.page_for_paragraph(chapter, paragraph_seq - chapter.first_paragraph)
        await self.show(interaction, found, chapter, number)

    async def show(self, interaction: discord.Interaction, story: StoredStory,
                   chapter: StoredChapter, number: int, *, confirmed: bool = False) -> None:
        """Answer a command with the page: in a reader thread when one can be used, else privately.
        A chapter past a spoiler limit is first asked about, privately (unless `confirmed`)."""
        if not confirmed and await self._ask_first(interaction, story, chapter, number):
            return
        here, parent, reason = await self._place(interaction, story)
        if reason is not None:
            await self._show_privately(interaction, story, chapter, number, reason)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        # Queued before the page is recorded as the thread's head, so the background write is
        # normally done by the time the turn is (it never delays the page).
        opening = await self.pages.page(story, chapter, number)
        reading.save_bookmark_later(self.store, interaction.user.id, story.id, chapter.index, opening.number)
        try:
            if here is not None:
                thread = here
                async with self._turning_lock(thread.id):
                    await self._retire_head(thread)
                    page = await self._post(thread, story, chapter, number)
            else:
                assert parent is not None
                thread = await parent.create_thread(
                    name=thread_name(story, chapter), auto_archive_duration=ARCHIVE_MINUTES,
                    type=discord.ChannelType.news_thread if parent.is_news() else discord.ChannelType.public_thread,
                    reason=f"/read by {interaction.user} ({interaction.user.id})",
                )
                page = await self._post(thread, story, chapter, number)
        except discord.Forbidden as exc:
            log.info("No thread for /read in channel %s: %s", interaction.channel_id, exc)
            await self._show_privately(interaction, story, chapter, number, THREAD_FORBIDDEN)
            return
        where = "Continuing in this thread" if here is not None else f"Reading in {thread.mention}"
        await interaction.followup.send(
            f"📖 {where}: **{escape(story.title)}** · {escape(chapter_heading(chapter))}, "
            f"page {page.number}/{page.total}.",
            ephemeral=True, allowed_mentions=NO_MENTIONS,
        )

    async def _ask_first(self, interaction: discord.Interaction, story: StoredStory,
                         chapter: StoredChapter, number: int, *, own: bool = True) -> bool:
        """When the chapter lies past a spoiler limit (the server's; with `own`, also the
        reader's), ask "read it anyway?" (only the reader sees it) and return True; the page is
        shown only on their yes."""
        if own:
            limits = (await reader_audience(interaction)).limits
        else:
            limits = await chapter_limits(self.store, interaction.guild_id, None)
        if limits.shows(story.id, chapter.index):
            return False
        view = PastLimitPrompt(self, interaction.user.id, story, chapter, number)
        await interaction.response.send_message(
            f"Chapter {chapter.display_number} of **{escape(story.title)}** is past the spoiler limit here "
            "(this server's `/spoilers set`, or yours from `/spoilers mine`). Read it anyway?",
            view=view, ephemeral=True, allowed_mentions=NO_MENTIONS,
        )
        view.message = await interaction.original_response()
        return True

    async def _place(self, interaction: discord.Interaction, story: StoredStory
                     ) -> tuple[discord.Thread | None, discord.TextChannel | None, str | None]:
        """(reader thread to continue in, channel to open a thread from, reason for neither)."""
        channel = interaction.channel
        guild = interaction.guild
        if guild is None or channel is None or interaction.guild_id is None:
            return None, None, NO_THREADS_IN_DMS
        if isinstance(channel, discord.Thread):
            record = await reading.get_thread(self.store, channel.id)
            if record is not None and record.story_id == story.id:
                if not interaction.app_permissions.send_messages_in_threads:
                    return None, None, "I can't post in this thread, so here is the chapter just for you."
                return channel, None, None
            # Threads cannot hold threads: a new reader thread hangs off the parent channel.
            parent = channel.parent
            if not isinstance(parent, discord.TextChannel):
                return None, None, NO_THREADS_HERE
            permissions = parent.permissions_for(guild.me) if guild.me else interaction.app_permissions
        elif isinstance(channel, discord.TextChannel):
            parent, permissions = channel, interaction.app_permissions
        else:
            return None, None, NO_THREADS_HERE
        missing = [name for flag, name in _NEEDED if not getattr(permissions, flag)]
        if missing:
            return None, None, (f"I need the {' and '.join(missing)} permission here to open a reading "
                                "thread, so here is the chapter just for you.")
        return None, parent, None

    async def _show_privately(self, interaction: discord.Interaction, story: StoredStory,
                              chapter: StoredChapter, number: int, reason: str) -> None:
        """The fallback: an ephemeral page whose buttons edit it in place."""
        page = await self.pages.page(story, chapter, number)
        reading.save_bookmark_later(self.store, interaction.user.id, story.id, chapter.index, page.number)
        if interaction.response.is_done():
            await interaction.followup.send(reason, ephemeral=True, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.response.send_message(reason, ephemeral=True, allowed_mentions=NO_MENTIONS)
        await interaction.followup.send(page.content, view=page_view(EPHEMERAL, story, chapter, page),
                                        ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def _post(self, thread: discord.Thread, story: StoredStory, chapter: StoredChapter,
                    number: int) -> StoredPage:
        """Post a page as the thread's new head (the message carrying the buttons)."""
        page = await self.pages.page(story, chapter, number)
        message = await thread.send(page.content, view=page_view(THREAD, story, chapter, page),
                                    allowed_mentions=NO_MENTIONS)
        await reading.save_thread(self.store, thread.id, thread.guild.id, story.id, chapter.index,
                                  page.number, message.id)
        if page.number == page.total and chapter.index + 1 >= story.chapter_count:
            await thread.send(closing_line(story), allowed_mentions=NO_MENTIONS)
        return page

    async def _retire_head(self, thread: discord.Thread) -> None:
        """Take the buttons off the thread's current head page before a new one is posted."""
        record = await reading.get_thread(self.store, thread.id)
        if record is None or record.head_message_id is None:
            return
        if await reading.claim_head(self.store, thread.id, record.head_message_id):
            try:
                await thread.get_partial_message(record.head_message_id).edit(view=None)
            except discord.NotFound:
                pass  # someone deleted the old page; nothing to strip

    # ------------------------------------------------------------------------ buttons

    async def on_button(self, interaction: discord.Interaction, button: ReaderButton) -> None:
        index = button.chapter_index + (button.action == NEXT_CHAPTER)
        story, chapter = await self._story_chapter(interaction, button.story_id, index)
        if button.action == MARK:
            reading.save_bookmark_later(self.store, interaction.user.id, story.id, chapter.index, button.page)
            await interaction.response.send_message(
                f"🔖 Bookmarked **{escape(story.title)}** · {escape(chapter_heading(chapter))}, "
                f"page {button.page}. `/continue` brings you back here.",
                ephemeral=True, allowed_mentions=NO_MENTIONS,
            )
        elif button.action == JUMP:
            total = await self.pages.page_count(chapter)
            await interaction.response.send_modal(JumpModal(self, button, total))
        elif button.action == PREV:
            await self._turn_to(interaction, button, story, chapter, button.page - 1)
        elif button.action == NEXT:
            await self._turn_to(interaction, button, story, chapter, button.page + 1)
        elif button.action == NEXT_CHAPTER:
            # Reading on is what a reader's own limit waits for: only the server's limit asks here.
            if not await self._ask_first(interaction, story, chapter, 1, own=False):
                await self._turn_to(interaction, button, story, chapter, 1, new_chapter=True)
        else:
            await reply_ephemeral(interaction, closing_line(story))

    async def _story_chapter(self, interaction: discord.Interaction, story_id: int,
                             index: int) -> tuple[StoredStory, StoredChapter]:
        """The visible story and its chapter `index`, in one round trip."""
        story, chapter = await reading.story_and_chapter(self.store, story_id, index)
        if story is None or not audience_of(interaction).can_see(story):
            raise StoryNotFound()
        if chapter is None:
            raise UserError("That chapter is no longer in the story; start again with `/read`.")
        return story, chapter

    async def turn(self, interaction: discord.Interaction, button: ReaderButton,
                   chapter_index: int, number: int, *, new_chapter: bool = False) -> None:
        """Show page `number` of a chapter in answer to a button or the Jump modal: one page per click."""
        story, chapter = await self._story_chapter(interaction, button.story_id, chapter_index)
        await self._turn_to(interaction, button, story, chapter, number, new_chapter=new_chapter)

    async def _turn_to(self, interaction: discord.Interaction, button: ReaderButton, story: StoredStory,
                       chapter: StoredChapter, number: int, *, new_chapter: bool = False) -> None:
        """turn() once the story and chapter are read. The pages come from memory once their chapter
        was read (reading.chapter_pages, one round trip), the thread's head is claimed in one (the
        reply waits for nothing else), and the reader's bookmark is queued before the page goes out
        and written behind it (see reading.save_bookmark_later)."""
        page = await self.pages.page(story, chapter, number)
        if button.mode == EPHEMERAL or not isinstance(interaction.channel, discord.Thread):
            # The page comes from the custom_id, not from state, so a double click shows the
            # same page twice in the same message instead of skipping ahead.
            reading.save_bookmark_later(self.store, interaction.user.id, story.id, chapter.index, page.number)
            await interaction.response.edit_message(content=page.content, allowed_mentions=NO_MENTIONS,
                                                    view=page_view(EPHEMERAL, story, chapter, page))
            if page.number == page.total and chapter.index + 1 >= story.chapter_count:
                await interaction.followup.send(closing_line(story), ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        await self._turn_thread(interaction, interaction.channel, button, story, chapter, page, new_chapter)

    async def _turn_thread(self, interaction: discord.Interaction, thread: discord.Thread,
                           button: ReaderButton, story: StoredStory, chapter: StoredChapter,
                           page: StoredPage, new_chapter: bool) -> None:
        message = interaction.message
        assert message is not None
        lock = self._turning_lock(thread.id)
        # The thread's turn taken: by a double click (milliseconds) or by a turn whose post waits
        # for the thread's message budget (seconds). Either way this click is acknowledged now.
        after = 0.0 if lock.locked() else TURN_ACK_SECONDS
        deciding = asyncio.ensure_future(self._claim(lock, thread, message.id))
        try:
            claimed = await answered_in_time(interaction, deciding, after)
        except BaseException:
            if deciding.done() and not deciding.cancelled() and deciding.exception() is None:
                lock.release()  # cancelled while the deferral went out: the claim holds the lock
            raise
        try:
            if not claimed:
                if await reading.get_thread(self.store, thread.id) is not None:
                    await reply_ephemeral(interaction, STALE_PAGE)
                    return
                # A reader thread the database no longer knows (e.g. restored from a backup):
                # the clicked page becomes its head.
                await reading.save_thread(self.store, thread.id, thread.guild.id, story.id,
                                          button.chapter_index, button.page, None)
            reading.save_bookmark_later(self.store, interaction.user.id, story.id, chapter.index, page.number)
            await edit_answer(interaction, view=None)
            try:
                if new_chapter:
                    await self._next_chapter(thread, story, chapter)
                else:
                    await self._post(thread, story, chapter, page.number)
            except discord.HTTPException:
                # Give the buttons back so the reader can try again.
                await reading.save_thread(self.store, thread.id, thread.guild.id, story.id,
                                          button.chapter_index, button.page, message.id)
                with contextlib.suppress(discord.HTTPException):
                    await message.edit(view=discord.ui.View.from_message(message, timeout=None))
                raise
        finally:
            lock.release()

    async def _claim(self, lock: asyncio.Lock, thread: discord.Thread, message_id: int) -> bool:
        """Take the thread's turn (`lock`, held on return) and its head from `message_id`."""
        await lock.acquire()
        try:
            return await reading.claim_head(self.store, thread.id, message_id)
        except BaseException:
            lock.release()
            raise

    async def _next_chapter(self, thread: discord.Thread, story: StoredStory,
                            chapter: StoredChapter) -> None:
        """Each chapter gets its own thread (named after it); the old thread links to the new one.
        Without permission for a new thread the next chapter continues in the same thread."""
        parent = thread.parent
        if isinstance(parent, discord.TextChannel) and thread.guild.me is not None:
            permissions = parent.permissions_for(thread.guild.me)
            if all(getattr(permissions, flag) for flag, _ in _NEEDED):
                try:
                    new = await parent.create_thread(
                        name=thread_name(story, chapter), auto_archive_duration=ARCHIVE_MINUTES,
                        type=discord.ChannelType.news_thread if parent.is_news() else discord.ChannelType.public_thread,
                    )
                except discord.Forbidden as exc:
                    log.info("No thread for the next chapter in %s: %s", parent.id, exc)
                else:
                    await self._post(new, story, chapter, 1)
                    await thread.send(f"⏭️ {escape(chapter_heading(chapter))} continues in {new.mention}.",
                                      allowed_mentions=NO_MENTIONS)
                    return
        await self._post(thread, story, chapter, 1)


def reader_of(interaction: discord.Interaction) -> Reader | None:
    """The running Reader cog. Looked up by name, not class: a module imported before
    load_extension re-executed cogs.read holds another Reader class than the loaded cog."""
    return interaction.client.get_cog(Reader.__cog_name__)  # type: ignore[return-value]


async def open_reader_at(interaction: discord.Interaction, story_id: int, paragraph_seq: int) -> None:
    """Open the reader (thread or private fallback) at the page where a paragraph starts.

    For other cogs, e.g. a "Read from here" button under a quote; answers `interaction`.
    """
    cog = reader_of(interaction)
    if cog is None:
        raise UserError(UNAVAILABLE)
    await cog.open_at_paragraph(interaction, story_id, paragraph_seq)


async def setup(bot: Any) -> None:
    await bot.add_cog(Reader(bot, bot.store))
