"""Read repository for stories and their structure: visibility, lookup, autocomplete, chapters,
scenes, paragraphs, notes and characters. Every function takes the open Store; none writes.

Visibility: a story with guild_id NULL (bundled) is visible everywhere; any other story only in
its own guild. Functions taking `guild_id` accept None for "no guild" (a DM): bundled only.
"""
from __future__ import annotations

import json
import logging
import sqlite3

from bot.store.connection import Store
from bot.store.fts import fts_phrase
from bot.store.records import (
    StoredChapter,
    StoredCharacter,
    StoredNote,
    StoredParagraph,
    StoredScene,
    StoredStory,
)

log = logging.getLogger(__name__)

AUTOCOMPLETE_LIMIT = 25  # Discord's maximum number of choices
STORY_COLUMNS = _STORY_COLUMNS = (
    "id, guild_id, title, author, fandom, rating, source, content_hash, summary, word_count,"
    " chapter_count, paragraph_count, quote_count, added_by, added_at"
)
_S_STORY_COLUMNS = ", ".join("s." + c.strip() for c in _STORY_COLUMNS.split(","))
_PARAGRAPH_COLUMNS = "id, story_id, seq, chapter_index, scene_index, paragraph_index, text"
_P_PARAGRAPH_COLUMNS = ", ".join("p." + c.strip() for c in _PARAGRAPH_COLUMNS.split(","))
# One scope's titles starting with a prefix, as a compound-select term: (scope, key, key end, limit).
_PREFIX_RANGE = (
    f"SELECT * FROM (SELECT {_STORY_COLUMNS} FROM stories"
    " WHERE scope = ? AND title_key >= ? AND title_key < ? ORDER BY title_key LIMIT ?) AS prefixed"
)
_KEY_END = chr(0x10FFFF)  # sorts after every character: [key, key + _KEY_END) is a prefix range


def title_key(text: str) -> str:
    """How titles and names are compared: spacing collapsed, case folded (the *_key columns)."""
    return " ".join(text.split()).casefold()


_key = title_key


def _scope(guild_id: int | None) -> int:
    return guild_id or 0


def _story(row: sqlite3.Row) -> StoredStory:
    return StoredStory(*row)


# A character with its aliases (a JSON array, by alias_key) in one row, so one query answers.
_CHARACTERS_SQL = (
    "SELECT c.id, c.story_id, c.name, c.mentions, c.gender, c.lines,"
    " (SELECT json_group_array(alias) FROM (SELECT a.alias FROM aliases AS a"
    "  WHERE a.character_id = c.id ORDER BY a.alias_key) AS a) FROM characters AS c"
)
_CHARACTERS_ORDER = " ORDER BY c.mentions DESC, c.lines DESC, c.name_key"


def _character(row: sqlite3.Row) -> StoredCharacter:
    return StoredCharacter(row[0], row[1], row[2], tuple(json.loads(row[6])), row[3], row[4], row[5])


def is_visible(story: StoredStory, guild_id: int | None) -> bool:
    """Whether `story` may be shown in `guild_id` (None: outside any guild)."""
    return story.guild_id is None or story.guild_id == guild_id


async def visible_stories(store: Store, guild_id: int | None) -> list[StoredStory]:
    """Bundled stories plus the guild's own, by title (case-insensitive)."""
    rows = await store.db.execute_fetchall(
        f"SELECT {_STORY_COLUMNS} FROM stories WHERE scope IN (0, ?) ORDER BY title_key, id",
        (_scope(guild_id),),
    )
    return [_story(row) for row in rows]


async def get_story(store: Store, story_id: int) -> StoredStory | None:
    """A story by id regardless of visibility (check `is_visible` before showing it)."""
    rows = await store.db.execute_fetchall(f"SELECT {_STORY_COLUMNS} FROM stories WHERE id = ?", (story_id,))
    return _story(rows[0]) if rows else None


async def get_visible_story(store: Store, story_id: int, guild_id: int | None) -> StoredStory | None:
    """A story by id, or None when it does not exist or is not visible in `guild_id`."""
    story = await get_story(store, story_id)
    return story if story is not None and is_visible(story, guild_id) else None


async def find_by_content(store: Store, guild_id: int | None, content_hash: str) -> StoredStory | None:
    """The story with this content hash in the guild's own scope (or the bundled scope when None).

    Use it before an upload to tell the user the text is already there.
    """
    rows = await store.db.execute_fetchall(
        f"SELECT {_STORY_COLUMNS} FROM stories WHERE scope = ? AND content_hash = ? LIMIT 1",
        (_scope(guild_id), content_hash),
    )
    return _story(rows[0]) if rows else None


async def find_by_title(store: Store, guild_id: int | None, title: str) -> list[StoredStory]:
    """Visible stories whose title equals `title` ignoring case and spacing (the guild's own first)."""
    rows = await store.db.execute_fetchall(
        f"SELECT {_STORY_COLUMNS} FROM stories WHERE scope IN (0, ?) AND title_key = ? ORDER BY scope DESC, id",
        (_scope(guild_id), _key(title)),
    )
    return [_story(row) for row in rows]


async def autocomplete_titles(
    store: Store, guild_id: int | None, text: str, *, limit: int = AUTOCOMPLETE_LIMIT
) -> list[StoredStory]:
    """Visible stories for a title autocomplete: prefix matches first, then substring matches.

    Both are index lookups, so the cost does not grow with the number of stories:
    prefixes use the (scope, title_key) b-tree, one bounded range per scope; substrings of three
    or more characters use the trigram FTS5 index `stories_title_fts`. One- and two-character
    input gets prefix matches only (a trigram index cannot answer shorter substrings).
    """
    key = _key(text)
    scopes = tuple(dict.fromkeys((0, _scope(guild_id))))
    # One bounded range per scope, glued with UNION ALL so both cost one round trip.
    rows = await store.db.execute_fetchall(
        " UNION ALL ".join([_PREFIX_RANGE] * len(scopes)),
        [arg for scope in scopes for arg in (scope, key, key + _KEY_END, limit)],
    )
    found = {row["id"]: _story(row) for row in rows}
    ordered = sorted(found.values(), key=lambda s: (_key(s.title), s.id))[:limit]
    query = fts_phrase(text) if len(key) >= 3 else None
    if query is not None and len(ordered) < limit:
        seen = {s.id for s in ordered}
        if store.dialect == "sqlite":
            sql = (f"SELECT {_S_STORY_COLUMNS}"
                   " FROM stories_title_fts JOIN stories AS s ON s.id = stories_title_fts.rowid"
                   " WHERE stories_title_fts MATCH ? AND s.scope IN (0, ?) LIMIT ?")
        else:  # PostgreSQL: a substring of the folded title (a scan of the visible stories' titles)
            sql = f"SELECT {_S_STORY_COLUMNS} FROM stories AS s WHERE strpos(s.title_key, ?) > 0 AND s.scope IN (0, ?) LIMIT ?"
            query = key
        rows = await store.db.execute_fetchall(sql, (query, _scope(guild_id), limit + len(seen)))
        extra = sorted((_story(r) for r in rows if r["id"] not in seen), key=lambda s: (_key(s.title), s.id))
        ordered.extend(extra[: limit - len(ordered)])
    return ordered


async def chapters(store: Store, story_id: int) -> list[StoredChapter]:
    """A story's chapters in order."""
    rows = await store.db.execute_fetchall(
        "SELECT story_id, chapter_index, number, title, first_paragraph, paragraph_count, word_count"
        " FROM chapters WHERE story_id = ? ORDER BY chapter_index",
        (story_id,),
    )
    return [StoredChapter(*row) for row in rows]


async def chapter_by_number(store: Store, story_id: int, number: int) -> StoredChapter | None:
    """The chapter users call `number` (StoredChapter.display_number); the first one if repeated."""
    for chapter in await chapters(store, story_id):
        if chapter.display_number == number:
            return chapter
    return None


async def scenes(store: Store, story_id: int, chapter_index: int) -> list[StoredScene]:
    """The scenes of one chapter in order, with headings and paragraph ranges."""
    rows = await store.db.execute_fetchall(
        "SELECT story_id, chapter_index, scene_index, heading, first_paragraph, paragraph_count"
        " FROM scenes WHERE story_id = ? AND chapter_index = ? ORDER BY scene_index",
        (story_id, chapter_index),
    )
    return [StoredScene(*row) for row in rows]


async def paragraph_range(store: Store, story_id: int, first_seq: int, count: int) -> list[StoredParagraph]:
    """Up to `count` paragraphs from seq `first_seq` on, in reading order (one index range)."""
    rows = await store.db.execute_fetchall(
        f"SELECT {_PARAGRAPH_COLUMNS} FROM paragraphs WHERE story_id = ? AND seq >= ? AND seq < ? ORDER BY seq",
        (story_id, first_seq, first_seq + max(count, 0)),
    )
    return [StoredParagraph(*row) for row in rows]


async def paragraphs(
    store: Store, story_id: int, chapter_index: int, scene_index: int | None = None
) -> list[StoredParagraph]:
    """The paragraphs of a chapter (or of one scene of it) in reading order."""
    if scene_index is None:
        table, where, args = "chapters", "r.story_id = ? AND r.chapter_index = ?", (story_id, chapter_index)
    else:
        table, where = "scenes", "r.story_id = ? AND r.chapter_index = ? AND r.scene_index = ?"
        args = (story_id, chapter_index, scene_index)
    # The range is looked up inside the paragraphs query: one round trip.
    rows = await store.db.execute_fetchall(
        f"SELECT {_P_PARAGRAPH_COLUMNS} FROM {table} AS r JOIN paragraphs AS p ON p.story_id = r.story_id"
        f" AND p.seq >= r.first_paragraph AND p.seq < r.first_paragraph + r.paragraph_count WHERE {where}"
        " ORDER BY p.seq",
        args,
    )
    return [StoredParagraph(*row) for row in rows]


async def get_paragraph(store: Store, story_id: int, seq: int) -> StoredParagraph | None:
    rows = await store.db.execute_fetchall(
        f"SELECT {_PARAGRAPH_COLUMNS} FROM paragraphs WHERE story_id = ? AND seq = ?", (story_id, seq)
    )
    return StoredParagraph(*rows[0]) if rows else None


async def notes(store: Store, story_id: int, chapter_index: int | None = None) -> list[StoredNote]:
    """Author's notes, disclaimers, summaries and legends (never story text), in file order."""
    sql = "SELECT story_id, chapter_index, position, kind, text FROM notes WHERE story_id = ?"
    args: tuple = (story_id,)
    if chapter_index is not None:
        sql += " AND chapter_index = ?"
        args += (chapter_index,)
    return [StoredNote(*row) for row in await store.db.execute_fetchall(sql + " ORDER BY seq", args)]


async def characters(store: Store, story_id: int) -> list[StoredCharacter]:
    """A story's characters with their aliases, most mentioned first."""
    rows = await store.db.execute_fetchall(_CHARACTERS_SQL + " WHERE c.story_id = ?" + _CHARACTERS_ORDER, (story_id,))
    return [_character(row) for row in rows]


async def find_character(store: Store, story_id: int, name: str) -> StoredCharacter | None:
    """A story's character by canonical name or alias, ignoring case."""
    key = _key(name)
    rows = await store.db.execute_fetchall(
        _CHARACTERS_SQL + " WHERE c.id = (SELECT id FROM characters WHERE story_id = ?1 AND name_key = ?2"
        " UNION ALL SELECT character_id FROM aliases WHERE story_id = ?1 AND alias_key = ?2 LIMIT 1)",
        (story_id, key),
    )
    return _character(rows[0]) if rows else None


async def autocomplete_characters(
    store: Store, guild_id: int | None, text: str, *, story_id: int | None = None,
    limit: int = AUTOCOMPLETE_LIMIT,
) -> list[str]:
    """Character names for an autocomplete: within one story (substring of name or alias, most
    lines first), or across visible stories (distinct names by prefix, walking the name index)."""
    key = _key(text)
    if story_id is not None:
        pattern = "%" + key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = await store.db.execute_fetchall(
            "SELECT c.name FROM characters AS c WHERE c.story_id = ? AND (c.name_key LIKE ? ESCAPE '\\'"
            " OR EXISTS (SELECT 1 FROM aliases AS a WHERE a.character_id = c.id AND a.alias_key LIKE ? ESCAPE '\\'))"
            " ORDER BY c.lines DESC, c.mentions DESC, c.name_key LIMIT ?",
            (story_id, pattern, pattern, limit),
        )
        return [row[0] for row in rows]
    rows = await store.db.execute_fetchall(
        "SELECT min(c.name), c.name_key FROM characters AS c JOIN stories AS s ON s.id = c.story_id"
        " WHERE c.name_key >= ? AND c.name_key < ? AND s.scope IN (0, ?) AND c.lines > 0"
        " GROUP BY c.name_key ORDER BY c.name_key LIMIT ?",
        (key, key + _KEY_END, _scope(guild_id), limit),
    )
    return [row[0] for row in rows]
