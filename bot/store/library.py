"""Repository for each server's library: paged listing, story details, duplicate and title checks,
adding an upload and removing a server's own story with everything that hangs off it.

Removal relies on foreign keys: quotations, search rows, bookmarks and quote cycles cascade with the
story; trivia games and answers keep their rows with story_id set to NULL, so points already won
stay on the server's overall leaderboard but no longer count towards that story's board.
"""
from __future__ import annotations

import json
import logging
import secrets
from collections import OrderedDict
from dataclasses import dataclass, replace
from weakref import WeakKeyDictionary

from bot.errors import echo
from bot.parsing.model import Story
from bot.store.audience import RATING_SQL
from bot.store.connection import Store
from bot.store.loader import delete_story, discard_staged, publish_staged, stage_story
from bot.store.records import StoredChapter, StoredCharacter, StoredStory
from bot.store.stories import (
    _STORY_COLUMNS,
    find_by_content,
    find_by_title,
    get_story,
)

log = logging.getLogger(__name__)

PAGE_SIZE = 10
MAIN_CHARACTERS = 8


class LibraryConflict(Exception):
    """An upload that clashes with the library (same text, or a title in use). Message is user-facing."""

    def __init__(self, message: str, existing: StoredStory) -> None:
        super().__init__(message)
        self.existing = existing

    def __reduce__(self) -> tuple[type[LibraryConflict], tuple[str, StoredStory]]:
        # Raised in the upload worker process and re-raised in the bot: pickle both arguments.
        return type(self), (str(self), self.existing)


@dataclass(frozen=True, slots=True)
class LibraryPage:
    stories: tuple[StoredStory, ...]
    page: int  # 0-based, clamped to the pages there are
    pages: int
    total: int
    hidden: int = 0  # adult-rated stories left out of this channel


@dataclass(frozen=True, slots=True)
class StoryDetails:
    story: StoredStory
    chapters: tuple[StoredChapter, ...]
    main_characters: tuple[StoredCharacter, ...]  # most lines first, only those who speak
    notes_set_aside: int
    tags: tuple[str, ...] = ()  # as the file (or its .toml) gives them
    language: str | None = None
    url: str | None = None  # where the story was published
    chapters_hidden: int = 0  # later chapters left out by a spoiler limit


# The counts, the clamped page and that page's stories in one round trip (a page past the end
# shows the last one, as the buttons expect); an empty library gives one row of counts only.
_SHOWN = RATING_SQL.replace("?", ":adult")
_LIBRARY_PAGE_SQL = (
    "WITH counted (everything, total) AS ("
    f"  SELECT count(*), coalesce(sum(CASE WHEN {_SHOWN} THEN 1 ELSE 0 END), 0) FROM stories AS s WHERE s.scope IN (0, :scope)),"
    " clamped (page) AS (SELECT max(0, min(:page, (max(total, 1) + :per - 1) / :per - 1)) FROM counted)"
    " SELECT counted.everything, counted.total, clamped.page, listed.* FROM counted, clamped LEFT JOIN ("
    f"  SELECT {', '.join('s.' + c.strip() for c in _STORY_COLUMNS.split(','))}, s.title_key AS sort_key"
    f"  FROM stories AS s WHERE s.scope IN (0, :scope) AND {_SHOWN}"
    "  ORDER BY s.title_key, s.id LIMIT :per OFFSET (SELECT page FROM clamped) * :per) AS listed ON 1 = 1"
    " ORDER BY listed.sort_key, listed.id"
)


# Chapter lists per database by (story id, content hash): a chapter row holds only what the text
# determines, so a replaced text (new hash) or a reused id with other text is never served a stale list.
_CHAPTERS: WeakKeyDictionary[Store, OrderedDict[tuple[int, str], tuple[StoredChapter, ...]]] = WeakKeyDictionary()
_CHAPTERS_KEPT = 512
# Notes set aside, the chapters (JSON; only when :chapters) and the speaking characters with their
# aliases (JSON) for /story info, in one row.
_DETAILS_SQL = (
    "SELECT (SELECT count(*) FROM notes WHERE story_id = :story),"
    " CASE WHEN :chapters <> 0 THEN (SELECT json_group_array(json_array("
    "  chapter_index, number, title, first_paragraph, paragraph_count, word_count))"
    "  FROM (SELECT * FROM chapters WHERE story_id = :story ORDER BY chapter_index) AS ch) END,"
    " (SELECT json_group_array(json_array(c.id, c.name, json((SELECT json_group_array(a.alias)"
    "   FROM (SELECT alias FROM aliases AS a WHERE a.character_id = c.id ORDER BY a.alias_key) AS a)),"
    "  c.mentions, c.gender, c.lines)) FROM characters AS c WHERE c.story_id = :story AND c.lines > 0),"
    " (SELECT json_array(json(tags), language, url) FROM stories WHERE id = :story)"
)


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


async def library_page(
    store: Store, guild_id: int | None, page: int, *, adult: bool = True, per_page: int = PAGE_SIZE
) -> LibraryPage:
    """One page of the stories visible in `guild_id`, by title; the server's own and bundled together.

    Without `adult` (a channel that is not age-restricted) M/Explicit stories are left out and
    counted in `hidden`, following bot/store/audience.py.
    """
    rows = await store.db.execute_fetchall(
        _LIBRARY_PAGE_SQL, {"scope": guild_id or 0, "adult": adult, "page": page, "per": per_page}
    )
    everything, total, page = rows[0][:3]
    listed = tuple(StoredStory(*row[3:-1]) for row in rows if row[3] is not None)
    return LibraryPage(listed, page, max(1, -(-total // per_page)), total, everything - total)


async def story_details(store: Store, story: StoredStory, *, main: int = MAIN_CHARACTERS) -> StoryDetails:
    """What /story info shows about a story the caller has already checked is visible.

    One round trip; the chapter list comes from memory when this text was seen before.
    """
    key = (story.id, story.content_hash)
    remembered = _CHAPTERS.setdefault(store, OrderedDict())
    known = remembered.get(key)
    notes, listed, speakers, described = (await store.db.execute_fetchall(
        _DETAILS_SQL, {"story": story.id, "chapters": known is None}
    ))[0]
    if known is None:
        known = tuple(StoredChapter(story.id, *c) for c in json.loads(listed))
        remembered[key] = known
        if len(remembered) > _CHAPTERS_KEPT:
            remembered.popitem(last=False)
    else:
        remembered.move_to_end(key)
    cast = sorted(
        (StoredCharacter(c[0], story.id, c[1], tuple(c[2]), c[3], c[4], c[5]) for c in json.loads(speakers)),
        key=lambda c: (-c.lines, -c.mentions, c.name.casefold()),
    )
    tags, language, url = json.loads(described) if described else ([], None, None)
    return StoryDetails(story, known, tuple(cast[:main]), notes, tuple(tags), language, url)


async def find_duplicate(store: Store, guild_id: int, content_hash: str) -> StoredStory | None:
    """The visible story with exactly this text: the server's own, else a bundled one."""
    return await find_by_content(store, guild_id, content_hash) or await find_by_content(store, None, content_hash)


async def check_new_story(store: Store, guild_id: int, content_hash: str, title: str) -> None:
    """Raise LibraryConflict when the text is already in the library or the title is taken here."""
    duplicate = await find_duplicate(store, guild_id, content_hash)
    if duplicate is not None:
        raise LibraryConflict(f"That story is already in the library as “{echo(duplicate.title)}”.", duplicate)
    taken = await find_by_title(store, guild_id, title)
    if taken:
        raise LibraryConflict(
            f"A story called “{echo(taken[0].title)}” is already in this server's library; "
            "run `/story add` again with a different `title`.",
            taken[0],
        )


async def add_story(
    store: Store,
    story: Story,
    *,
    guild_id: int,
    added_by: int,
    title: str,
    content_hash: str,
    author: str | None = None,
    fandom: str | None = None,
    rating: str | None = None,
    source: str | None = None,
    tags: tuple[str, ...] = (),
    language: str | None = None,
    url: str | None = None,
    token: str | None = None,
) -> StoredStory:
    """Store an upload: staged invisibly in short transactions (bot/store/loader.py), then shown in
    one small transaction that re-checks duplicates and the title; a clash discards the staged rows.

    `token` names the staging so another process can discard it if this one dies (default: random).
    """
    # Refused before anything is written when the clash is already there.
    await check_new_story(store, guild_id, content_hash, title)
    story_id = await stage_story(
        store,
        story,
        guild_id=guild_id,
        title=title,
        author=author or "unknown",
        fandom=fandom,
        rating=rating,
        source=source,
        tags=tags,
        language=language,
        url=url,
        added_by=added_by,
        token=token or secrets.token_hex(8),
    )
    try:
        async with store.atomic():
            await check_new_story(store, guild_id, content_hash, title)
            await publish_staged(store, story_id, guild_id, content_hash)
    except Exception:
        await discard_staged(store, story_ids=[story_id])
        raise
    stored = await get_story(store, story_id)
    assert stored is not None
    log.info("guild %s added story %s (%r) by user %s", guild_id, story_id, title, added_by)
    return stored


async def own_stories(store: Store, guild_id: int, text: str = "", *, limit: int = 25) -> list[StoredStory]:
    """The server's own (uploaded) stories whose title contains `text`, by title: the removal choices."""
    pattern = "%" + _key(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    async with store.db.execute(
        f"SELECT {_STORY_COLUMNS} FROM stories WHERE guild_id = ? AND title_key LIKE ? ESCAPE '\\'"
        " ORDER BY title_key, id LIMIT ?",
        (guild_id, pattern, limit),
    ) as cur:
        return [StoredStory(*row) for row in await cur.fetchall()]


async def remove_story(store: Store, story_id: int, guild_id: int) -> StoredStory | None:
    """Delete one of the server's own stories and all its data; None if it is not theirs (or gone)."""
    story = await get_story(store, story_id)
    if story is None or story.guild_id != guild_id:
        return None
    if not await delete_story(store, story_id):
        return None
    log.info("guild %s removed story %s (%r)", guild_id, story_id, story.title)
    return story


async def limited_details(
    store: Store, details: StoryDetails, last_chapter: int, *, main: int = MAIN_CHARACTERS
) -> StoryDetails:
    """StoryDetails as seen under a spoiler limit: the chapters up to `last_chapter`, and the
    characters who speak in them ranked by their lines there (no aliases: a name taken later
    would spoil)."""
    shown = tuple(c for c in details.chapters if c.index <= last_chapter)
    if len(shown) == len(details.chapters):
        return details
    rows = await store.db.execute_fetchall(
        "SELECT c.id, c.name, c.mentions, c.gender, count(*) AS spoken FROM quotes AS q"
        " JOIN characters AS c ON c.id = q.character_id WHERE q.story_id = ? AND q.chapter_index <= ?"
        " GROUP BY c.id ORDER BY spoken DESC, c.mentions DESC, lower(c.name) LIMIT ?",
        (details.story.id, last_chapter, main),
    )
    cast = tuple(StoredCharacter(r[0], details.story.id, r[1], (), r[2], r[3], r[4]) for r in rows)
    return replace(details, chapters=shown, main_characters=cast,
                   chapters_hidden=len(details.chapters) - len(shown))
