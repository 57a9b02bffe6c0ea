"""Chapter pages on demand: paginate a stored chapter once (in a worker thread), store the pages,
then serve any page with one key lookup.
"""
from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable

from bot.parsing.model import Chapter, Scene
from bot.reading.pager import PAGER_VERSION, Escape, paginate
from bot.store import reading, stories
from bot.store.connection import Store
from bot.store.reading import PageRow, StoredPage
from bot.store.records import StoredChapter, StoredStory

log = logging.getLogger(__name__)

Heading = Callable[[StoredChapter], str]
# About 2,000 average pages: a few megabytes, enough for every chapter being read at once.
DEFAULT_CACHE_CHARS = 4_000_000


class ChapterPages:
    """Stored pages of every chapter, paginated the first time a page of it is asked for.

    `escape` is the Discord markdown escaper; `heading` gives the bold line opening page 1.
    Recently read pages are also kept in memory (up to `cache_chars` characters of content),
    keyed by the story's content hash so a replaced text never serves an old page.
    """

    def __init__(self, store: Store, *, escape: Escape, heading: Heading,
                 cache_chars: int = DEFAULT_CACHE_CHARS) -> None:
        self.store = store
        self.escape = escape
        self.heading = heading
        self.cache_chars = cache_chars
        self._cache: OrderedDict[tuple[int, str, int, int], StoredPage] = OrderedDict()
        self._cached_chars = 0
        self._building: dict[tuple[int, int], asyncio.Lock] = {}

    async def page_count(self, chapter: StoredChapter) -> int:
        count = await reading.page_count(self.store, chapter.story_id, chapter.index, PAGER_VERSION)
        if count is None:
            count = await self._build(chapter)
        return count

    async def page(self, story: StoredStory, chapter: StoredChapter, number: int) -> StoredPage:
        """Page `number`, clamped into 1..page count (bookmarks may outlive a shorter new text)."""
        key = (story.id, story.content_hash, chapter.index, number)
        page = self._cache.get(key)
        if page is not None:
            self._cache.move_to_end(key)
            return page
        page = await reading.get_page(self.store, chapter.story_id, chapter.index, number, PAGER_VERSION)
        if page is None:
            count = await self.page_count(chapter)
            number = min(max(number, 1), count)
            page = await reading.get_page(self.store, chapter.story_id, chapter.index, number, PAGER_VERSION)
            if page is None:  # the story was replaced between the two reads
                raise LookupError(f"story {chapter.story_id} chapter {chapter.index} has no pages")
        self._remember(key, page)
        return page

    def _remember(self, key: tuple[int, str, int, int], page: StoredPage) -> None:
        if len(page.content) > self.cache_chars:
            return
        if key in self._cache:
            return
        self._cache[key] = page
        self._cached_chars += len(page.content)
        while self._cached_chars > self.cache_chars:
            _, dropped = self._cache.popitem(last=False)
            self._cached_chars -= len(dropped.content)

    async def page_for_paragraph(self, chapter: StoredChapter, paragraph: int) -> int:
        """The page where the chapter's paragraph `paragraph` (0-based, chapter-wide) starts."""
        await self.page_count(chapter)
        number = await reading.page_for_paragraph(
            self.store, chapter.story_id, chapter.index, paragraph, PAGER_VERSION
        )
        return number or 1

    async def _build(self, chapter: StoredChapter) -> int:
        key = (chapter.story_id, chapter.index)
        lock = self._building.setdefault(key, asyncio.Lock())
        async with lock:
            # Another reader may have built it while this one waited.
            count = await reading.page_count(self.store, chapter.story_id, chapter.index, PAGER_VERSION)
            if count is not None:
                return count
            model = await load_chapter(self.store, chapter)
            pages = await asyncio.to_thread(
                paginate, model, escape=self.escape, title=self.heading(chapter)
            )
            await reading.save_pages(
                self.store, chapter.story_id, chapter.index, PAGER_VERSION,
                [PageRow(p.number, p.content, p.first_paragraph, p.last_paragraph) for p in pages],
            )
        self._building.pop(key, None)
        log.info("paginated story %s chapter %s: %d pages", chapter.story_id, chapter.index, len(pages))
        return len(pages)


async def load_chapter(store: Store, chapter: StoredChapter) -> Chapter:
    """The stored chapter as the parser's model, scenes and headings included."""
    scene_rows = await stories.scenes(store, chapter.story_id, chapter.index)
    paragraph_rows = await stories.paragraphs(store, chapter.story_id, chapter.index)
    by_scene: dict[int, list[str]] = {}
    for paragraph in paragraph_rows:
        by_scene.setdefault(paragraph.scene_index, []).append(paragraph.text)
    scenes = tuple(Scene(s.heading, tuple(by_scene.get(s.index, ()))) for s in scene_rows)
    return Chapter(chapter.number, chapter.title, scenes)
