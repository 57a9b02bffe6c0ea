"""Repository for /read: stored chapter pages, the reader threads, and per-reader bookmarks.

Pages are written once per chapter and pager version (`save_pages`) and read with one key seek
(`get_page`); `claim_head` is the compare-and-set that lets only one click move a thread. Thread writes wait
for the lock as atomic() does (polling, so a page turn waiting for another process's lock never holds up
other commands' reads), each in one round trip, and bookmarks are written behind.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.store.connection import Statement, Store
from bot.store.records import StoredChapter, StoredStory
from bot.store.stories import STORY_COLUMNS

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PageRow:
    """What the pager produced for one page (bot.reading.pager.Page fits this shape)."""

    number: int
    content: str
    first_paragraph: int
    last_paragraph: int


@dataclass(frozen=True, slots=True)
class StoredPage:
    story_id: int
    chapter_index: int
    number: int
    total: int
    content: str
    first_paragraph: int
    last_paragraph: int


@dataclass(frozen=True, slots=True)
class ReaderThread:
    thread_id: int
    guild_id: int | None
    story_id: int
    chapter_index: int
    page_number: int
    head_message_id: int | None


@dataclass(frozen=True, slots=True)
class Bookmark:
    user_id: int
    story_id: int
    chapter_index: int
    page_number: int
    updated_at: int  # Unix milliseconds


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


# ------------------------------------------------------------------------------- pages

_S_STORY = ", ".join("s." + c.strip() for c in STORY_COLUMNS.split(","))
_STORY_WIDTH = len(STORY_COLUMNS.split(","))


async def story_and_chapter(
    store: Store, story_id: int, chapter_index: int
) -> tuple[StoredStory | None, StoredChapter | None]:
    """The story (regardless of visibility: the caller checks) and one of its chapters, in one
    round trip; (None, None) without the story, (story, None) without that chapter."""
    rows = await store.db.execute_fetchall(
        f"SELECT {_S_STORY}, ch.story_id, ch.chapter_index, ch.number, ch.title, ch.first_paragraph,"
        " ch.paragraph_count, ch.word_count FROM stories AS s LEFT JOIN chapters AS ch"
        " ON ch.story_id = s.id AND ch.chapter_index = ? WHERE s.id = ?",
        (chapter_index, story_id),
    )
    if not rows:
        return None, None
    row = rows[0]
    story = StoredStory(*row[:_STORY_WIDTH])
    return story, (None if row[_STORY_WIDTH] is None else StoredChapter(*row[_STORY_WIDTH:]))


async def page_count(store: Store, story_id: int, chapter_index: int, version: int) -> int | None:
    """How many pages the chapter has, or None when it was never paginated with `version`."""
    async with store.db.execute(
        "SELECT page_count FROM reading_paginations"
        " WHERE story_id = ? AND chapter_index = ? AND pager_version = ?",
        (story_id, chapter_index, version),
    ) as cur:
        row = await cur.fetchone()
    return None if row is None else row[0]


async def save_pages(
    store: Store, story_id: int, chapter_index: int, version: int, pages: Sequence[PageRow]
) -> None:
    """Replace the chapter's stored pages (all or nothing). Pages must be numbered 1..n."""
    if not pages or [p.number for p in pages] != list(range(1, len(pages) + 1)):
        raise ValueError("pages must be numbered 1..n")
    async with store.atomic():
        await store.db.execute(
            "DELETE FROM reading_paginations WHERE story_id = ? AND chapter_index = ?",
            (story_id, chapter_index),
        )
        await store.db.execute(
            "INSERT INTO reading_paginations (story_id, chapter_index, pager_version, page_count, built_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (story_id, chapter_index, version, len(pages),
             datetime.now(UTC).isoformat(timespec="seconds")),
        )
        await store.db.executemany(
            "INSERT INTO reading_pages (story_id, chapter_index, page_number, content, first_paragraph,"
            " last_paragraph) VALUES (?, ?, ?, ?, ?, ?)",
            [(story_id, chapter_index, p.number, p.content, p.first_paragraph, p.last_paragraph)
             for p in pages],
        )
    log.debug("stored %d pages of story %s chapter %s", len(pages), story_id, chapter_index)


async def get_page(
    store: Store, story_id: int, chapter_index: int, number: int, version: int
) -> StoredPage | None:
    """One stored page (None when out of range or not paginated with `version`)."""
    # execute_fetchall is one trip to aiosqlite's thread (execute/fetchone/close would be three),
    # which is what keeps the tail latency low on a busy machine.
    rows = await store.db.execute_fetchall(
        "SELECT p.content, p.first_paragraph, p.last_paragraph, g.page_count"
        " FROM reading_paginations AS g JOIN reading_pages AS p"
        " ON p.story_id = g.story_id AND p.chapter_index = g.chapter_index AND p.page_number = ?"
        " WHERE g.story_id = ? AND g.chapter_index = ? AND g.pager_version = ?",
        (number, story_id, chapter_index, version),
    )
    if not rows:
        return None
    content, first, last, total = rows[0]
    return StoredPage(story_id, chapter_index, number, total, content, first, last)


async def chapter_pages(
    store: Store, story_id: int, chapter_index: int, version: int
) -> list[StoredPage] | None:
    """Every stored page of the chapter in order, in one round trip (None when it was never
    paginated with `version`)."""
    rows = await store.db.execute_fetchall(
        "SELECT p.page_number, g.page_count, p.content, p.first_paragraph, p.last_paragraph"
        " FROM reading_paginations AS g JOIN reading_pages AS p"
        " ON p.story_id = g.story_id AND p.chapter_index = g.chapter_index"
        " WHERE g.story_id = ? AND g.chapter_index = ? AND g.pager_version = ? ORDER BY p.page_number",
        (story_id, chapter_index, version),
    )
    pages = [StoredPage(story_id, chapter_index, *row) for row in rows]
    # Written all or nothing (save_pages), so a partial set means it was replaced meanwhile.
    if not pages or [p.number for p in pages] != list(range(1, pages[0].total + 1)):
        return None
    return pages


async def page_for_paragraph(
    store: Store, story_id: int, chapter_index: int, paragraph: int, version: int
) -> int | None:
    """The page on which chapter-wide paragraph `paragraph` starts (the last page if past the end)."""
    if await page_count(store, story_id, chapter_index, version) is None:
        return None
    async with store.db.execute(
        "SELECT min(page_number) FROM reading_pages"
        " WHERE story_id = ? AND chapter_index = ? AND last_paragraph >= ?",
        (story_id, chapter_index, paragraph),
    ) as cur:
        found = (await cur.fetchone())[0]
    if found is not None:
        return found
    async with store.db.execute(
        "SELECT max(page_number) FROM reading_pages WHERE story_id = ? AND chapter_index = ?",
        (story_id, chapter_index),
    ) as cur:
        return (await cur.fetchone())[0]


# ----------------------------------------------------------------------------- threads

async def get_thread(store: Store, thread_id: int) -> ReaderThread | None:
    async with store.db.execute(
        "SELECT thread_id, guild_id, story_id, chapter_index, page_number, head_message_id"
        " FROM reading_threads WHERE thread_id = ?",
        (thread_id,),
    ) as cur:
        row = await cur.fetchone()
    return None if row is None else ReaderThread(*row)


async def save_thread(
    store: Store, thread_id: int, guild_id: int | None, story_id: int, chapter_index: int,
    page_number: int, head_message_id: int | None,
) -> None:
    """Record (or re-point) a reader thread and the message that now carries its buttons.
    One round trip (Store.write_now)."""
    row = (thread_id, guild_id, story_id, chapter_index, page_number, head_message_id, _now_ms())

    def write(db) -> None:
        db.execute(
            "INSERT INTO reading_threads (thread_id, guild_id, story_id, chapter_index, page_number,"
            " head_message_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (thread_id) DO UPDATE SET story_id = excluded.story_id,"
            " chapter_index = excluded.chapter_index, page_number = excluded.page_number,"
            " head_message_id = excluded.head_message_id, updated_at = excluded.updated_at",
            row,
        )

    await store.write_now(write)


async def claim_head(store: Store, thread_id: int, head_message_id: int) -> bool:
    """Take the thread's buttons from `head_message_id`: True for exactly one caller.

    A click on a page that is no longer the head (already turned, or a double click) gets False.
    Threads not recorded (e.g. made before this table existed) are claimable once per message.
    One round trip (Store.write_now): a page turn waits for it.
    """
    args = (_now_ms(), thread_id, head_message_id)

    def write(db) -> bool:
        return db.execute(
            "UPDATE reading_threads SET head_message_id = NULL, updated_at = ?"
            " WHERE thread_id = ? AND head_message_id = ?",
            args,
        ).rowcount == 1

    return await store.write_now(write)


async def delete_thread(store: Store, thread_id: int) -> None:
    async with store.atomic():
        await store.db.execute("DELETE FROM reading_threads WHERE thread_id = ?", (thread_id,))


# --------------------------------------------------------------------------- bookmarks

async def save_bookmark(
    store: Store, user_id: int, story_id: int, chapter_index: int, page_number: int
) -> Bookmark:
    """Set the reader's place in a story (one bookmark per reader and story)."""
    async with store.atomic():
        # Strictly later than the reader's other bookmarks, so "latest" is never a tie.
        async with store.db.execute(
            "SELECT max(?, coalesce(max(updated_at) + 1, 0)) FROM reading_bookmarks WHERE user_id = ?",
            (_now_ms(), user_id),
        ) as cur:
            now = (await cur.fetchone())[0]
        await store.db.execute(
            "INSERT INTO reading_bookmarks (user_id, story_id, chapter_index, page_number, updated_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, story_id) DO UPDATE SET"
            " chapter_index = excluded.chapter_index, page_number = excluded.page_number,"
            " updated_at = excluded.updated_at",
            (user_id, story_id, chapter_index, page_number, now),
        )
    return Bookmark(user_id, story_id, chapter_index, page_number, now)


def save_bookmark_later(
    store: Store, user_id: int, story_id: int, chapter_index: int, page_number: int
) -> None:
    """save_bookmark without waiting: committed by the store's background writer.

    For page turns, so the reply never waits for the write lock. Only the latest place per reader
    and story is kept while pending; a crash loses at most the turns not yet written. The bookmark
    reads below wait for pending writes, so /continue always sees the latest turn.
    """
    write = Statement(
        "INSERT INTO reading_bookmarks (user_id, story_id, chapter_index, page_number, updated_at)"
        " VALUES (?1, ?2, ?3, ?4, (SELECT max(?5, coalesce(max(updated_at) + 1, 0))"
        "  FROM reading_bookmarks WHERE user_id = ?1))"
        " ON CONFLICT (user_id, story_id) DO UPDATE SET chapter_index = excluded.chapter_index,"
        " page_number = excluded.page_number, updated_at = excluded.updated_at",
        (user_id, story_id, chapter_index, page_number, _now_ms()),
    )
    store.write_behind.submit(("bookmark", user_id, story_id), write)


async def get_bookmark(store: Store, user_id: int, story_id: int) -> Bookmark | None:
    await store.write_behind.flush()
    async with store.db.execute(
        "SELECT user_id, story_id, chapter_index, page_number, updated_at FROM reading_bookmarks"
        " WHERE user_id = ? AND story_id = ?",
        (user_id, story_id),
    ) as cur:
        row = await cur.fetchone()
    return None if row is None else Bookmark(*row)


async def latest_bookmark(store: Store, user_id: int, guild_id: int | None) -> Bookmark | None:
    """The reader's most recent bookmark among stories visible in `guild_id` (None: bundled only)."""
    await store.write_behind.flush()
    async with store.db.execute(
        "SELECT b.user_id, b.story_id, b.chapter_index, b.page_number, b.updated_at"
        " FROM reading_bookmarks AS b JOIN stories AS s ON s.id = b.story_id"
        " WHERE b.user_id = ? AND s.scope IN (0, ?) ORDER BY b.updated_at DESC LIMIT 1",
        (user_id, guild_id or 0),
    ) as cur:
        row = await cur.fetchone()
    return None if row is None else Bookmark(*row)


async def bookmarked_story_ids(store: Store, user_id: int, guild_id: int | None) -> list[int]:
    """Ids of the visible stories the reader has bookmarks in, latest first (for autocomplete)."""
    await store.write_behind.flush()
    async with store.db.execute(
        "SELECT b.story_id FROM reading_bookmarks AS b JOIN stories AS s ON s.id = b.story_id"
        " WHERE b.user_id = ? AND s.scope IN (0, ?) ORDER BY b.updated_at DESC",
        (user_id, guild_id or 0),
    ) as cur:
        return [row[0] for row in await cur.fetchall()]
