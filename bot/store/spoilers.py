"""Spoiler limits: a server's "nothing past chapter N" per story, and a reader's own mode (nothing
past the chapter of their bookmark). `chapter_limits` is the one place every command asks; the
result rides on the Audience (bot/store/audience.py) and into SQL through `limit_sql`.

Limits are kept as chapter positions (chapter_index, 0-based); users name chapters by the number
the story gives them (CONTRACT §4), turned into a position by `chapter_for_number`.
"""
from __future__ import annotations

import json
import logging
import sqlite3
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from weakref import WeakKeyDictionary

from bot.errors import ChapterNotFound
from bot.store import stories
from bot.store.connection import Store
from bot.store.records import StoredChapter, StoredStory

log = logging.getLogger(__name__)

# A reader in spoiler-safe mode who has no bookmark in a story has not started it: they see its
# first chapter (what a blurb or the opening page shows anyone), nothing after it.
UNREAD_LAST_CHAPTER = 0


@dataclass(frozen=True, slots=True)
class ChapterLimits:
    """The last chapter (chapter_index) shown of each listed story; `default` for the others
    (None: no limit). Empty means nothing is held back."""

    stories: tuple[tuple[int, int], ...] = ()  # (story_id, last chapter_index), sorted
    default: int | None = None

    @property
    def unlimited(self) -> bool:
        return not self.stories and self.default is None

    def last_chapter(self, story_id: int) -> int | None:
        """The last chapter_index that may be shown of the story, or None when all may."""
        for listed, last in self.stories:
            if listed == story_id:
                return last
        return self.default

    def shows(self, story_id: int, chapter_index: int) -> bool:
        last = self.last_chapter(story_id)
        return last is None or chapter_index <= last

    def key(self) -> str | None:
        """A JSON object {story_id: last, "*": default}, or None without limits: the SQL parameter
        of `limit_sql`, and part of a /quote filter key (so each limit has its own no-repeat cycle)."""
        if self.unlimited:
            return None
        found: dict[str, int] = {str(story_id): last for story_id, last in self.stories}
        if self.default is not None:
            found["*"] = self.default
        return json.dumps(found, separators=(",", ":"), sort_keys=True)


NO_LIMITS = ChapterLimits()


def limit_sql(story: str, chapter: str, param: str = ":limits") -> str:
    """SQL true when chapter `chapter` (a chapter_index column) of story `story` may be shown under
    the limits bound to `param` (ChapterLimits.key(): NULL shows everything)."""
    last = f"coalesce(json_extract({param}, '$.\"' || {story} || '\"'), json_extract({param}, '$.\"*\"'))"
    return f"({param} IS NULL OR {chapter} <= coalesce({last}, {chapter}))"


# The server's limits, and a (NULL, NULL) row when the reader turned their own mode on.
_LIMITS_SQL = (
    "SELECT story_id, chapter_index FROM spoiler_limits WHERE guild_id = ?1"
    " UNION ALL SELECT NULL, NULL FROM spoiler_readers WHERE user_id = ?2"
)
_REMEMBERED_READERS = 4096  # (guild, user) pairs whose last limits are kept per store


def _server_limits(rows: Sequence[Sequence]) -> ChapterLimits | None:
    """The limits from _LIMITS_SQL's rows, or None when the reader's own mode is on (their
    bookmarks tighten them)."""
    if any(row[0] is None for row in rows):
        return None
    return ChapterLimits(tuple(sorted((row[0], row[1]) for row in rows)))


_remembered: WeakKeyDictionary[Store, OrderedDict[tuple[int, int], ChapterLimits | None]] = WeakKeyDictionary()


def _remember(store: Store, guild_id: int | None, user_id: int | None, limits: ChapterLimits | None) -> None:
    seen = _remembered.get(store)
    if seen is None:
        seen = _remembered[store] = OrderedDict()
    seen[(guild_id or 0, user_id or 0)] = limits
    seen.move_to_end((guild_id or 0, user_id or 0))
    while len(seen) > _REMEMBERED_READERS:
        seen.popitem(last=False)


def remembered_limits(store: Store, guild_id: int | None, user_id: int | None) -> ChapterLimits | None:
    """The limits `chapter_limits` last found for this reader here when their own mode was off,
    else None. Only a guess (another process, or a command since, may have changed them): a caller
    acts on it only together with `limits_in_thread` in the same round trip, and checks the two agree."""
    seen = _remembered.get(store)
    return None if seen is None else seen.get((guild_id or 0, user_id or 0))


def limits_in_thread(
    conn: sqlite3.Connection, guild_id: int | None, user_id: int | None
) -> ChapterLimits | None:
    """On the connection's thread (inside another job): chapter_limits' first query, None when the
    reader's own mode is on (chapter_limits then also reads their bookmarks)."""
    return _server_limits(conn.execute(_LIMITS_SQL, (guild_id or 0, user_id or 0)).fetchall())


def note_limits(store: Store, guild_id: int | None, user_id: int | None, limits: ChapterLimits | None) -> None:
    """Keep what limits_in_thread found, for the next remembered_limits."""
    _remember(store, guild_id, user_id, limits)


async def chapter_limits(store: Store, guild_id: int | None, user_id: int | None) -> ChapterLimits:
    """What `user_id` may be shown in `guild_id` (None: in DMs, or a post to a channel): the
    server's limits, tightened by the reader's bookmarks when they turned their own mode on."""
    rows = await store.db.execute_fetchall(_LIMITS_SQL, (guild_id or 0, user_id or 0))
    found = _server_limits(rows)
    if user_id is not None:
        _remember(store, guild_id, user_id, found)
    if found is not None:
        return found
    server = {row[0]: row[1] for row in rows if row[0] is not None}
    await store.write_behind.flush()  # page turns write bookmarks behind the reply
    marks = await store.db.execute_fetchall(
        "SELECT story_id, chapter_index FROM reading_bookmarks WHERE user_id = ?", (user_id,)
    )
    own = {story_id: chapter for story_id, chapter in marks}
    limits = {s: min(last, own.get(s, UNREAD_LAST_CHAPTER)) for s, last in server.items()}
    limits.update((s, last) for s, last in own.items() if s not in server)
    return ChapterLimits(tuple(sorted(limits.items())), UNREAD_LAST_CHAPTER)


async def chapter_for_number(store: Store, story: StoredStory, number: int) -> StoredChapter:
    """The chapter users call `number` (the story's own number, else its position). ChapterNotFound."""
    found = next((c for c in await stories.chapters(store, story.id) if c.display_number == number), None)
    if found is None:
        raise ChapterNotFound(number, story.title)
    return found


async def set_limit(store: Store, guild_id: int, story_id: int, chapter_index: int, set_by: int) -> None:
    async with store.atomic():
        await store.db.execute(
            "INSERT INTO spoiler_limits (guild_id, story_id, chapter_index, set_by, set_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (guild_id, story_id) DO UPDATE SET chapter_index = excluded.chapter_index,"
            " set_by = excluded.set_by, set_at = excluded.set_at",
            (guild_id, story_id, chapter_index, set_by, _now()),
        )


async def clear_limit(store: Store, guild_id: int, story_id: int) -> bool:
    """Lift the server's limit on the story; False when there was none."""
    async with store.atomic():
        cur = await store.db.execute(
            "DELETE FROM spoiler_limits WHERE guild_id = ? AND story_id = ?", (guild_id, story_id)
        )
    return cur.rowcount > 0


async def set_reader_mode(store: Store, user_id: int, on: bool) -> None:
    async with store.atomic():
        if on:
            await store.db.execute(
                "INSERT INTO spoiler_readers (user_id, since) VALUES (?, ?) ON CONFLICT (user_id) DO NOTHING",
                (user_id, _now()),
            )
        else:
            await store.db.execute("DELETE FROM spoiler_readers WHERE user_id = ?", (user_id,))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
