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
_PAGE_BY_PAGE_MAX = 4096  # chapters remembered as too big to keep whole


class ChapterPages:
    """Stored pages of every chapter, paginated the first time a page of it is asked for.

    `escape` is the Discord markdown escaper; `heading` gives the bold line opening page 1.
    Pages being read are also kept in memory (up to `cache_chars` characters of content), keyed by
    the story's content hash so a replaced text never serves an old page: the first page asked for
    loads its whole chapter in one round trip, so the turns that follow need none. A chapter over a
    quarter of the cache is kept page by page instead.
    """

    def __init__(self, store: Store, *, escape: Escape, heading: Heading,
                 cache_chars: int = DEFAULT_CACHE_CHARS) -> None:
        self.store = store
        self.escape = escape
        self.heading = heading
        self.cache_chars = cache_chars
        # (story, content hash, chapter) -> its pages; (story, content hash, chapter, number) -> one page
        self._cache: OrderedDict[tuple, tuple[StoredPage, ...]] = OrderedDict()
        self._cached_chars = 0
        self._page_by_page: OrderedDict[tuple[int, str, int], None] = OrderedDict()  # chapters too big
        self._building: dict[tuple[int, int], asyncio.Lock] = {}

    async def page_count(self, chapter: StoredChapter) -> int:
        count = await reading.page_count(self.store, chapter.story_id, chapter.index, PAGER_VERSION)
        if count is None:
            count = await self._build(chapter)
        return count

    async def page(self, story: StoredStory, chapter: StoredChapter, number: int) -> StoredPage:
        """Page `number`, clamped into 1..page count (bookmarks may outlive a shorter new text)."""
        key = (story.id, story.content_hash, chapter.index)
        pages = self._cache.get(key)
        if pages is not None:
            self._cache.move_to_end(key)
            return pages[min(max(number, 1), len(pages)) - 1]
        if key in self._page_by_page:
            return await self._one_page(key, chapter, number)
        pages = await self._whole(chapter)
        if sum(len(p.content) for p in pages) <= self.cache_chars // 4:
            self._remember(key, tuple(pages))
        else:
            self._page_by_page[key] = None
            while len(self._page_by_page) > _PAGE_BY_PAGE_MAX:
                self._page_by_page.popitem(last=False)
        page = pages[min(max(number, 1), len(pages)) - 1]
        if key in self._page_by_page:
            self._remember((*key, page.number), (page,))
        return page

    async def _whole(self, chapter: StoredChapter) -> list[StoredPage]:
        """Every page of the chapter, paginating it first if needed."""
        pages = await reading.chapter_pages(self.store, chapter.story_id, chapter.index, PAGER_VERSION)
        if pages is None:
            await self._build(chapter)
            pages = await reading.chapter_pages(self.store, chapter.story_id, chapter.index, PAGER_VERSION)
            if pages is None:  # the story was replaced between the two reads
                raise LookupError(f"story {chapter.story_id} chapter {chapter.index} has no pages")
        return pages

    async def _one_page(self, key: tuple[int, str, int], chapter: StoredChapter, number: int) -> StoredPage:
        """A page of a chapter too big to keep whole: one key seek, then kept on its own."""
        cached = self._cache.get((*key, number))
        if cached is not None:
            self._cache.move_to_end((*key, number))
            return cached[0]
        page = await reading.get_page(self.store, chapter.story_id, chapter.index, number, PAGER_VERSION)
        if page is None:
            count = await self.page_count(chapter)
            number = min(max(number, 1), count)
            page = await reading.get_page(self.store, chapter.story_id, chapter.index, number, PAGER_VERSION)
            if page is None:  # the story was replaced between the two reads
                raise LookupError(f"story {chapter.story_id} chapter {chapter.index} has no pages")
        self._remember((*key, page.number), (page,))
        return page

    def _remember(self, key: tuple, pages: tuple[StoredPage, ...]) -> None:
        chars = sum(len(p.content) for p in pages)
        if chars > self.cache_chars or key in self._cache:
            return
        self._cache[key] = pages
        self._cached_chars += chars
        while self._cached_chars > self.cache_chars:
            _, dropped = self._cache.popitem(last=False)
            self._cached_chars -= sum(len(p.content) for p in dropped)

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
