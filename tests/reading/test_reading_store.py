"""Reading repository and stored pages: pagination stored once, bookmarks, thread head claims."""
from __future__ import annotations

import pytest

from bot.parsing.model import Chapter, Scene, Story
from bot.reading.pager import PAGE_LIMIT, PAGER_VERSION
from bot.reading.pages import ChapterPages, load_chapter
from bot.render import chapter_label, escape
from bot.store import Store, reading, stories
from bot.store.loader import delete_story, load_story
from bot.store.reading import PageRow

GUILD, OTHER_GUILD, READER = 111, 222, 42




def make_story(paragraphs_per_chapter: int = 30, chapters: int = 2) -> Story:
    return Story(
        title="The Long Road",
        summary=None,
        chapters=tuple(
            Chapter(c + 1, f"Part {c + 1}", (
                Scene(None, tuple(f"Chapter {c + 1} paragraph {i}. " + "word " * 120
                                  for i in range(paragraphs_per_chapter // 2))),
                Scene("Later that night", tuple(f"Chapter {c + 1} paragraph {i}. " + "word " * 120
                                                for i in range(paragraphs_per_chapter // 2,
                                                               paragraphs_per_chapter))),
            ))
            for c in range(chapters)
        ),
    )


async def add(store: Store, story: Story, *, guild_id: int | None = None, digest: str = "h1",
              source: str | None = None) -> int:
    return await load_story(store, story, title=story.title or "x", content_hash=digest,
                            guild_id=guild_id, source=source or f"{digest}.txt")


def pages_of(store: Store) -> ChapterPages:
    return ChapterPages(store, escape=escape,
                        heading=lambda c: chapter_label(c.number, c.title, c.index + 1))


async def test_pages_are_paginated_once_and_hold_the_chapter(store):
    story_id = await add(store, make_story())
    chapter = (await stories.chapters(store, story_id))[0]
    book = pages_of(store)
    assert await reading.page_count(store, story_id, 0, PAGER_VERSION) is None
    total = await book.page_count(chapter)
    assert total > 2
    assert await reading.page_count(store, story_id, 0, PAGER_VERSION) == total
    story = await stories.get_story(store, story_id)
    texts = []
    for number in range(1, total + 1):
        page = await book.page(story, chapter, number)
        assert (page.number, page.total) == (number, total)
        assert len(page.content) <= PAGE_LIMIT
        texts.append(page.content)
    assert texts[0].startswith("**Chapter 1: Part 1**")
    joined = "\n".join(texts)
    positions = [joined.index(f"Chapter 1 paragraph {i}.") for i in range(30)]
    assert positions == sorted(positions)
    assert "*Later that night*" in joined


async def test_page_number_past_the_end_is_clamped(store):
    story_id = await add(store, make_story())
    chapter = (await stories.chapters(store, story_id))[1]
    book = pages_of(store)
    total = await book.page_count(chapter)
    story = await stories.get_story(store, story_id)
    assert (await book.page(story, chapter, total + 50)).number == total
    assert (await book.page(story, chapter, 0)).number == 1


async def test_page_for_paragraph_is_where_the_paragraph_starts(store):
    story_id = await add(store, make_story())
    chapter = (await stories.chapters(store, story_id))[0]
    book = pages_of(store)
    story = await stories.get_story(store, story_id)
    for paragraph in (0, 7, 15, 29):
        number = await book.page_for_paragraph(chapter, paragraph)
        page = await book.page(story, chapter, number)
        assert f"Chapter 1 paragraph {paragraph}." in page.content


async def test_stored_chapter_rebuilds_the_model(store):
    story = make_story(4, 1)
    story_id = await add(store, story)
    chapter = (await stories.chapters(store, story_id))[0]
    assert await load_chapter(store, chapter) == story.chapters[0]


async def test_replacing_a_story_drops_its_stale_pages(store):
    story_id = await add(store, make_story(), source="road.txt")
    book = pages_of(store)
    await book.page_count((await stories.chapters(store, story_id))[0])
    shorter = make_story(2, 1)
    assert await add(store, shorter, digest="h2", source="road.txt") == story_id  # same source: replaced in place
    chapter = (await stories.chapters(store, story_id))[0]
    assert await reading.page_count(store, story_id, 0, PAGER_VERSION) is None
    assert await book.page_count(chapter) == 1


async def test_cached_pages_never_outlive_a_replaced_text(store):
    story_id = await add(store, make_story(), source="road.txt")
    book = pages_of(store)
    old = await stories.get_story(store, story_id)
    before = await book.page(old, (await stories.chapters(store, story_id))[0], 1)
    assert "Chapter 1 paragraph 0." in before.content
    changed = make_story()
    changed = Story(changed.title, None, chapters=(Chapter(1, "Part 1", (Scene(None, ("New text.",)),)),))
    await add(store, changed, digest="h2", source="road.txt")
    new = await stories.get_story(store, story_id)
    after = await book.page(new, (await stories.chapters(store, story_id))[0], 1)
    assert "New text." in after.content and "paragraph 0." not in after.content


async def test_page_cache_stays_within_its_size(store):
    story_id = await add(store, make_story())
    book = ChapterPages(store, escape=escape, heading=lambda c: "x", cache_chars=5000)
    story = await stories.get_story(store, story_id)
    chapter = (await stories.chapters(store, story_id))[0]
    for number in range(1, await book.page_count(chapter) + 1):
        await book.page(story, chapter, number)
        assert book._cached_chars <= 5000
    assert 0 < len(book._cache) < await book.page_count(chapter)


async def test_save_pages_rejects_gaps(store):
    story_id = await add(store, make_story())
    with pytest.raises(ValueError):
        await reading.save_pages(store, story_id, 0, PAGER_VERSION, [PageRow(2, "x", 0, 0)])


async def test_bookmark_is_one_per_reader_and_story(store):
    story_id = await add(store, make_story())
    await reading.save_bookmark(store, READER, story_id, 0, 3)
    await reading.save_bookmark(store, READER, story_id, 1, 2)
    mark = await reading.get_bookmark(store, READER, story_id)
    assert (mark.chapter_index, mark.page_number) == (1, 2)
    assert await reading.get_bookmark(store, READER + 1, story_id) is None


async def test_latest_bookmark_only_among_visible_stories(store):
    bundled = await add(store, make_story(), digest="a")
    own = await add(store, make_story(), guild_id=OTHER_GUILD, digest="b")
    await reading.save_bookmark(store, READER, bundled, 0, 1)
    await reading.save_bookmark(store, READER, own, 1, 4)
    latest_there = await reading.latest_bookmark(store, READER, OTHER_GUILD)
    assert latest_there.story_id == own
    assert (await reading.latest_bookmark(store, READER, GUILD)).story_id == bundled
    assert (await reading.latest_bookmark(store, READER, None)).story_id == bundled
    assert await reading.bookmarked_story_ids(store, READER, OTHER_GUILD) == [own, bundled]


async def test_bookmarks_go_with_their_story(store):
    story_id = await add(store, make_story())
    await reading.save_bookmark(store, READER, story_id, 0, 1)
    await reading.save_thread(store, 900, GUILD, story_id, 0, 1, 901)
    await delete_story(store, story_id)
    assert await reading.get_bookmark(store, READER, story_id) is None
    assert await reading.get_thread(store, 900) is None


async def test_only_one_claim_of_a_thread_head_succeeds(store):
    story_id = await add(store, make_story())
    await reading.save_thread(store, 900, GUILD, story_id, 0, 1, 901)
    assert await reading.claim_head(store, 900, 901) is True
    assert await reading.claim_head(store, 900, 901) is False
    await reading.save_thread(store, 900, GUILD, story_id, 0, 2, 902)
    assert await reading.claim_head(store, 900, 901) is False
    thread = await reading.get_thread(store, 900)
    assert (thread.page_number, thread.head_message_id) == (2, 902)


async def test_a_chapter_is_read_in_one_round_trip_then_served_from_memory(store, monkeypatch):
    import aiosqlite

    story_id = await add(store, make_story())
    story = await stories.get_story(store, story_id)
    chapter = (await stories.chapters(store, story_id))[0]
    total = await pages_of(store).page_count(chapter)  # paginated and stored
    assert total > 2
    trips = []
    original = aiosqlite.Connection._execute

    async def counted(conn, fn, *args, **kwargs):
        trips.append(fn)
        return await original(conn, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    book = pages_of(store)
    first = await book.page(story, chapter, 1)
    assert len(trips) == 1
    pages = [await book.page(story, chapter, n) for n in range(2, total + 1)]
    assert len(trips) == 1
    assert [p.number for p in [first, *pages]] == list(range(1, total + 1))
    assert (await book.page(story, chapter, total + 5)).number == total  # clamped
    assert first == await reading.get_page(store, story_id, 0, 1, PAGER_VERSION)
