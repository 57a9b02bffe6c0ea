"""Who is asking: the guild (or none, in DMs) and whether the channel is age-restricted.

Builds on bot/store/stories.py visibility (bundled + the guild's own) and adds the rating rule:
stories rated M or Explicit are shown only in age-restricted channels. Also turns what a user
typed into a `story` option into a story, and answers the story/character autocompletes.
"""
from __future__ import annotations

import json
import logging
import sqlite3
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from bot.errors import StoryNotFound
from bot.store import stories
from bot.store.connection import Store
from bot.store.records import StoredStory
from bot.store.spoilers import (
    NO_LIMITS,
    ChapterLimits,
    chapter_limits,
    limit_sql,
    limits_in_thread,
    note_limits,
)

log = logging.getLogger(__name__)

# Ratings (compared case-insensitively) kept out of channels that are not age-restricted.
ADULT_RATINGS = frozenset({"m", "ma", "e", "explicit", "nc-17", "r18"})
CHOICES_LIMIT = 25


def is_adult_rating(rating: str | None) -> bool:
    return rating is not None and rating.strip().casefold() in ADULT_RATINGS


# SQL condition on a stories alias `s`, bound with (adult,): true when the story may be shown.
# (`? <> 0`, not `?`: PostgreSQL wants a boolean there, and the store binds integers.)
RATING_SQL = (
    "(? <> 0 OR s.rating IS NULL OR lower(trim(s.rating)) NOT IN ("
    + ", ".join(f"'{r}'" for r in sorted(ADULT_RATINGS))
    + "))"
)

# SQL on a stories alias `s`: 1 when the story is kept out of channels that are not age-restricted
# (exactly when RATING_SQL with adult 0 is false), else 0. The name lines keep it (bot/store/name_lines.py).
GATED_SQL = (
    "CASE WHEN lower(trim(s.rating)) IN (" + ", ".join(f"'{r}'" for r in sorted(ADULT_RATINGS)) + ") THEN 1 ELSE 0 END"
)


@dataclass(frozen=True, slots=True)
class Audience:
    """Where a command runs: `guild_id` None in DMs (bundled stories only); `adult` in
    age-restricted channels (M/Explicit stories allowed); `limits`: the chapters past which
    nothing is shown (bot/store/spoilers.py)."""

    guild_id: int | None
    adult: bool = False
    limits: ChapterLimits = NO_LIMITS

    @property
    def scope(self) -> int:
        """The guild id, or 0 outside guilds (the bundled scope)."""
        return self.guild_id or 0

    def can_see(self, story: StoredStory) -> bool:
        return stories.is_visible(story, self.guild_id) and (self.adult or not is_adult_rating(story.rating))

    def shows(self, story_id: int, chapter_index: int) -> bool:
        """Whether text of that chapter may be shown (the spoiler limits)."""
        return self.limits.shows(story_id, chapter_index)


async def visible_story(store: Store, audience: Audience, story_id: int) -> StoredStory | None:
    """The story by id when this audience may see it."""
    story = await stories.get_story(store, story_id)
    return story if story is not None and audience.can_see(story) else None


async def resolve_story(store: Store, audience: Audience, typed: str) -> StoredStory:
    """The story a user meant by a `story` option: an exact title (any case), the id an
    autocomplete choice carries, or the only title containing the text. Raises StoryNotFound."""
    text = " ".join(typed.split())
    if not text:
        raise StoryNotFound(typed)
    # Exact titles and (for digits) the id in one round trip: autocomplete sends the id every time.
    rows = await store.db.execute_fetchall(_TITLE_OR_ID_SQL, _title_or_id_params(audience, text))
    return await _resolved(store, audience, text, rows)


def _title_or_id_params(audience: Audience, text: str) -> tuple[int, str, int | None]:
    by_id = int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None
    return audience.scope, stories.title_key(text), by_id


async def _resolved(store: Store, audience: Audience, text: str, rows: Sequence[Sequence]) -> StoredStory:
    """resolve_story from _TITLE_OR_ID_SQL's rows: the first visible, else the only title containing the text."""
    story = _first_visible(audience, rows)
    _remember_story(store, audience, text, story)
    if story is not None:
        return story
    matches = [s for s in await stories.autocomplete_titles(store, audience.guild_id, text) if audience.can_see(s)]
    if len(matches) == 1:
        return matches[0]
    raise StoryNotFound(text)


def _first_visible(audience: Audience, rows: Sequence[Sequence]) -> StoredStory | None:
    for row in rows:  # titles first (the guild's own first), then the id
        story = StoredStory(*row[2:])
        if audience.can_see(story):
            return story
    return None


# What a `story` option named last time, per (scope, age gate, text as titles are compared):
# only a guess, which /quote acts on together with _TITLE_OR_ID_SQL read in the same round trip
# (story_rows_in_thread) and checks with confirm_story. Only exact titles and ids are kept.
_REMEMBERED_STORIES = 4096
_stories_named: WeakKeyDictionary[Store, OrderedDict[tuple[int, bool, str], int]] = WeakKeyDictionary()


def _remember_story(store: Store, audience: Audience, text: str, story: StoredStory | None) -> None:
    seen = _stories_named.get(store)
    if seen is None:
        seen = _stories_named[store] = OrderedDict()
    key = (audience.scope, audience.adult, stories.title_key(text))
    if story is None:
        seen.pop(key, None)
        return
    seen[key] = story.id
    seen.move_to_end(key)
    while len(seen) > _REMEMBERED_STORIES:
        seen.popitem(last=False)


def remembered_story(store: Store, audience: Audience, typed: str) -> int | None:
    """The id of the story `typed` (an exact title or an id) last named for this audience, or None."""
    seen = _stories_named.get(store)
    return None if seen is None else seen.get((audience.scope, audience.adult, stories.title_key(typed)))


def story_rows_in_thread(conn: sqlite3.Connection, audience: Audience, typed: str) -> list[Sequence]:
    """On the connection's thread (inside another job): resolve_story's first query."""
    return conn.execute(_TITLE_OR_ID_SQL, _title_or_id_params(audience, " ".join(typed.split()))).fetchall()


def confirm_story(store: Store, audience: Audience, typed: str, rows: Sequence[Sequence], guessed: int) -> bool:
    """Whether story_rows_in_thread's `rows` still name the `guessed` story (remembered_story) for
    this audience; the remembered name follows what they name now."""
    story = _first_visible(audience, rows)
    _remember_story(store, audience, typed, story)
    return story is not None and story.id == guessed


def names_story(audience: Audience, rows: Sequence[Sequence], guessed: int) -> bool:
    """confirm_story's answer, remembering nothing (so it may run on the connection's thread)."""
    story = _first_visible(audience, rows)
    return story is not None and story.id == guessed


_TITLE_OR_ID_SQL = (
    f"SELECT 0, scope, {stories.STORY_COLUMNS} FROM stories WHERE scope IN (0, ?1) AND title_key = ?2"
    f" UNION ALL SELECT 1, scope, {stories.STORY_COLUMNS} FROM stories WHERE id = ?3 AND scope IN (0, ?1)"
    " ORDER BY 1, 2 DESC, 3"
)


async def story_and_limits(
    store: Store, audience: Audience, typed: str | None, reader: int | None
) -> tuple[StoredStory | None, ChapterLimits]:
    """The story a `story` option names (None when it was left empty; StoryNotFound as resolve_story)
    and the reader's spoiler limits here (spoilers.chapter_limits). On SQLite both are read in ONE
    round trip when the option is an exact title or the id autocomplete sends and the reader's own
    mode is off (their bookmarks then take another); otherwise as the two calls would."""
    text = " ".join((typed or "").split())
    if not text or store.dialect != "sqlite":
        limits = await chapter_limits(store, audience.guild_id, reader)
        return (await resolve_story(store, audience, text) if text else None), limits
    server, rows = await store.read_job(_limits_and_titles, audience.guild_id, reader, _title_or_id_params(audience, text))
    if reader is not None:
        note_limits(store, audience.guild_id, reader, server)
    story = await _resolved(store, audience, text, rows)
    return story, server if server is not None else await chapter_limits(store, audience.guild_id, reader)


def _limits_and_titles(
    conn: sqlite3.Connection, guild_id: int | None, reader: int | None, params: tuple[int, str, int | None]
) -> tuple[ChapterLimits | None, list[Sequence]]:
    """story_and_limits' two reads, in one job on the connection's thread."""
    return limits_in_thread(conn, guild_id, reader), conn.execute(_TITLE_OR_ID_SQL, params).fetchall()


async def story_choices(store: Store, audience: Audience, typed: str) -> list[StoredStory]:
    """Up to 25 stories for the `story` autocomplete (prefix matches first, then substrings)."""
    found = await stories.autocomplete_titles(store, audience.guild_id, typed, limit=CHOICES_LIMIT * 2)
    return [s for s in found if audience.can_see(s)][:CHOICES_LIMIT]


async def character_choices(store: Store, audience: Audience, typed: str, story_typed: str | None) -> list[str]:
    """Up to 25 character names: of the chosen story when one is given and known, else across
    every visible story; under spoiler limits only those who speak before them."""
    if story_typed:
        try:
            story_id = (await resolve_story(store, audience, story_typed)).id
        except StoryNotFound:
            return []
        names = await stories.autocomplete_characters(store, audience.guild_id, typed, story_id=story_id)
        return await _speaking_within_limits(store, audience, names[:CHOICES_LIMIT], story_id)
    return await _speaking_within_limits(store, audience, await _visible_names_by_prefix(store, audience, typed))


async def _speaking_within_limits(
    store: Store, audience: Audience, names: list[str], story_id: int | None = None
) -> list[str]:
    """The names some visible character (of `story_id`, when given) speaks by, with a first line
    (speaker_seq 0, in story order) the spoiler limits show: a name met later would spoil."""
    if audience.limits.unlimited or not names:
        return names
    keys = {" ".join(n.split()).casefold(): n for n in names}
    rows = await store.db.execute_fetchall(
        "SELECT DISTINCT c.name_key FROM characters AS c JOIN stories AS s ON s.id = c.story_id"
        " WHERE c.name_key IN (SELECT value FROM json_each(:keys)) AND s.scope IN (0, :scope)"
        " AND (:story IS NULL OR c.story_id = :story) AND "
        + limit_sql("c.story_id", "(SELECT chapter_index FROM quotes WHERE character_id = c.id AND speaker_seq = 0)"),
        {"keys": json.dumps(list(keys)), "scope": audience.scope, "story": story_id, "limits": audience.limits.key()},
    )
    met = {row[0] for row in rows}
    return [name for key, name in keys.items() if key in met]


_KEY_END = chr(0x10FFFF)  # sorts after every character: [key, key + _KEY_END) is a prefix range
_NAMES_SCANNED = 500  # distinct names walked at most per answer


async def _visible_names_by_prefix(store: Store, audience: Audience, typed: str) -> list[str]:
    """Distinct character names starting with `typed` that some visible story has.

    Walks the distinct keys of the characters_name index one seek at a time (a skip scan), then
    keeps a key when one of its rows belongs to a visible story, so the cost grows with the number
    of distinct names shown, not with how many stories share a popular name.
    """
    key = " ".join(typed.split()).casefold()
    rows = await store.db.execute_fetchall(
        "WITH RECURSIVE walk (k, n) AS ("
        "  SELECT (SELECT min(name_key) FROM characters WHERE name_key >= ?1 AND name_key < ?2), 1"
        "  UNION ALL"
        "  SELECT (SELECT min(name_key) FROM characters WHERE name_key > walk.k AND name_key < ?2), n + 1"
        "  FROM walk WHERE walk.k IS NOT NULL AND n < ?3"
        ")"
        " SELECT name FROM (SELECT (SELECT c.name FROM characters AS c JOIN stories AS s ON s.id = c.story_id"
        "   WHERE c.name_key = walk.k AND c.lines > 0 AND s.scope IN (0, ?4)"
        f"  AND {RATING_SQL.replace('?', '?5')} LIMIT 1) AS name"
        " FROM walk WHERE walk.k IS NOT NULL) AS named WHERE name IS NOT NULL LIMIT ?6",
        (key, key + _KEY_END, _NAMES_SCANNED, audience.scope, audience.adult, CHOICES_LIMIT),
    )
    return [row[0] for row in rows]
