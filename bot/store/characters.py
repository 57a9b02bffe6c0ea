"""Figures behind /character and /story stats: who speaks how much, chapter by chapter, and who
talks to whom, per story version, plus finding a character by name or alias among visible stories.

A story's figures come from one query and are kept in memory per (story id, content hash, chapter
limit): the content hash changes with the text and with the parser version, so a cached entry is
never stale. Every function takes an optional chapter limit (`last_chapter`, a 0-based chapter
index; later chapters are left out) so spoiler limits can be applied where they are known.
"""
from __future__ import annotations

import asyncio
import json
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from bot.errors import CharacterNotFound
from bot.store.audience import RATING_SQL, Audience
from bot.store.connection import Store
from bot.store.records import StoredStory
from bot.store.spoilers import limit_sql
from bot.store.stories import STORY_COLUMNS, title_key

# Two speech lines are turns of one exchange when they are consecutive attributed speech in one
# scene at most this many paragraphs apart (a beat or two of narration between turns is usual;
# further apart is usually a new conversation).
EXCHANGE_GAP = 3
TALKS_TO = 3  # partners shown on a character's card
_FIGURES_KEPT = 64  # stories' figures kept in memory per store (least recently used dropped)
_NO_LIMIT = 1 << 31
CHOICE_PREFIX = "c:"  # an autocomplete value naming one character by id ("c:123")
_CHOICE_ID = re.compile(r"c:(\d{1,18})")
_KEY_END = chr(0x10FFFF)
_VISIBLE = "s.scope IN (0, :scope) AND " + RATING_SQL.replace("?", ":adult")
_S_STORY_COLUMNS = ", ".join("s." + c.strip() for c in STORY_COLUMNS.split(","))
# Character `c` speaks within the audience's spoiler limits (bound as :limits): their first line
# (speaker_seq 0, one seek) is not past their story's limit.
# An alias is matched only in a story without a spoiler limit for this audience: which chapter
# reveals an alias isn't stored, and a late secret name would be confirmed by the lookup.
_ALIAS_UNLIMITED = limit_sql("a.story_id", "1000000000")
_WITHIN_LIMITS = limit_sql("c.story_id", "(SELECT chapter_index FROM quotes WHERE character_id = c.id AND speaker_seq = 0)")


@dataclass(frozen=True, slots=True)
class ChapterLabel:
    index: int
    number: int | None
    title: str | None


@dataclass(frozen=True, slots=True)
class Speaker:
    id: int
    name: str
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StoryFigures:
    """A story's dialogue figures up to `last_chapter` (None: the whole story).

    `units` are the chart's x axis: chapters, or a one-chapter story's scenes (`by_scene`).
    `lines[character id]` counts that character's quotations per unit (None: unknown speaker).
    `pairs[(a, b)]` (a < b) counts turns where a and b followed each other in an exchange.
    """

    story: StoredStory
    last_chapter: int | None
    chapters: tuple[ChapterLabel, ...]
    by_scene: bool
    units: int
    words: int
    quotations: int
    dialogue_words: int
    speakers: Mapping[int, Speaker]
    lines: Mapping[int | None, tuple[int, ...]]
    chapters_of: Mapping[int, tuple[int, ...]]  # chapter indexes where each character speaks
    pairs: Mapping[tuple[int, int], int]

    def total(self, character_id: int | None) -> int:
        return sum(self.lines.get(character_id, ()))

    def ranked(self) -> list[tuple[Speaker, int]]:
        """Named speakers with their line counts, most lines first."""
        found = [(s, self.total(s.id)) for s in self.speakers.values()]
        return sorted((f for f in found if f[1] > 0), key=lambda f: (-f[1], f[0].name.casefold()))

    def talks_to(self, character_id: int, top: int = TALKS_TO) -> list[tuple[Speaker, int]]:
        """The characters with the most turns next to this one's, most first."""
        counts: dict[int, int] = {}
        for (a, b), n in self.pairs.items():
            if a == character_id:
                counts[b] = counts.get(b, 0) + n
            elif b == character_id:
                counts[a] = counts.get(a, 0) + n
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], self.speakers[kv[0]].name.casefold()))
        return [(self.speakers[other], n) for other, n in ranked[:top]]

    @property
    def version(self) -> tuple[int, str, int | None]:
        """What a chart drawn from these figures is cached by."""
        return (self.story.id, self.story.content_hash, self.last_chapter)


@dataclass(frozen=True, slots=True)
class FoundCharacter:
    """A visible character a typed name resolved to; `others` are other visible stories where the
    name also belongs to someone (shown so the user can pick one with `story`)."""

    id: int
    name: str
    story: StoredStory
    others: tuple[StoredStory, ...] = ()


@dataclass(frozen=True, slots=True)
class NameChoice:
    character_id: int
    name: str
    alias: str | None  # the alias the typed text matched, if it was not the name
    story_title: str
    lines: int


# Everything StoryFigures holds, in one row of JSON: the chapters, the speakers with aliases, the
# line counts per (chapter, scene or 0, character) with their words, the exchange pairs, and the
# first chapter's scenes (the units of a one-chapter story).
_FIGURES_SQL = (
    "WITH q AS (SELECT seq, chapter_index, scene_index, paragraph_seq, kind, character_id,"
    "  length(text) - length(replace(text, ' ', '')) + CASE WHEN text != '' THEN 1 ELSE 0 END AS words"
    "  FROM quotes WHERE story_id = :story AND chapter_index <= :last),"
    " turns AS (SELECT character_id AS c, chapter_index AS ch, scene_index AS sc, paragraph_seq AS ps,"
    "  lag(character_id) OVER w AS pc, lag(chapter_index) OVER w AS pch, lag(scene_index) OVER w AS psc,"
    "  lag(paragraph_seq) OVER w AS pps FROM q WHERE kind = 'speech' AND character_id IS NOT NULL"
    "  WINDOW w AS (ORDER BY seq))"
    " SELECT"
    " (SELECT json_group_array(json_array(chapter_index, number, title)) FROM (SELECT * FROM chapters"
    "  WHERE story_id = :story AND chapter_index <= :last ORDER BY chapter_index) AS ch),"
    " (SELECT coalesce(sum(word_count), 0) FROM chapters WHERE story_id = :story AND chapter_index <= :last),"
    " (SELECT json_group_array(json_array(c.id, c.name, json((SELECT json_group_array(alias) FROM"
    "   (SELECT alias FROM aliases AS a WHERE a.character_id = c.id ORDER BY a.alias_key) AS a))))"
    "  FROM characters AS c WHERE c.story_id = :story AND c.lines > 0),"
    " (SELECT json_group_array(json_array(ch, sc, c, n, w)) FROM (SELECT chapter_index AS ch,"
    "  CASE WHEN :by_scene <> 0 THEN scene_index ELSE 0 END AS sc, character_id AS c, count(*) AS n, sum(words) AS w"
    "  FROM q GROUP BY 1, 2, 3) AS counted),"
    " (SELECT json_group_array(json_array(a, b, n)) FROM (SELECT min(c, pc) AS a, max(c, pc) AS b, count(*) AS n"
    "  FROM turns WHERE pc IS NOT NULL AND pc != c AND ch = pch AND sc = psc AND ps - pps <= :gap"
    "  GROUP BY 1, 2) AS paired),"
    " (SELECT count(*) FROM scenes WHERE story_id = :story AND chapter_index = 0)"
)


def _build(story: StoredStory, last_chapter: int | None, by_scene: bool, row) -> StoryFigures:
    chapters_json, words, speakers_json, counts_json, pairs_json, scenes = row
    chapters = tuple(ChapterLabel(*c) for c in json.loads(chapters_json))
    speakers = {c[0]: Speaker(c[0], c[1], tuple(c[2])) for c in json.loads(speakers_json)}
    counts = json.loads(counts_json)
    position = {c.index: i for i, c in enumerate(chapters)}
    units = len(chapters)
    if by_scene:
        units = max(scenes, max((sc for _, sc, _, _, _ in counts), default=0) + 1)
    series: dict[int | None, list[int]] = {}
    present: dict[int, set[int]] = {}
    quotations = dialogue_words = 0
    for chapter, scene, character, n, w in counts:
        unit = scene if by_scene else position.get(chapter)
        if unit is None:
            continue  # a quote in a chapter row that is gone (cannot happen while rows are consistent)
        series.setdefault(character, [0] * units)[unit] += n
        if character is not None:
            present.setdefault(character, set()).add(chapter)
        quotations += n
        dialogue_words += w
    pairs = {(a, b): n for a, b, n in json.loads(pairs_json) if a in speakers and b in speakers}
    return StoryFigures(
        story, last_chapter, chapters, by_scene, units, words, quotations, dialogue_words, speakers,
        {k: tuple(v) for k, v in series.items()}, {k: tuple(sorted(v)) for k, v in present.items()}, pairs,
    )


_figures: WeakKeyDictionary[Store, OrderedDict[tuple, StoryFigures]] = WeakKeyDictionary()


async def story_figures(store: Store, story: StoredStory, last_chapter: int | None = None) -> StoryFigures:
    """The story's figures (the caller has checked it is visible), from memory when this version
    was seen; otherwise one query on the read-only connection, with the JSON decoded in a worker
    thread."""
    kept = _figures.setdefault(store, OrderedDict())
    key = (story.id, story.content_hash, last_chapter)
    if (known := kept.get(key)) is not None:
        kept.move_to_end(key)
        return known
    last = _NO_LIMIT if last_chapter is None else last_chapter
    by_scene = min(story.chapter_count, last + 1) == 1
    # On the reader connection: a 500-chapter story's figures take about 0.2 s, which would hold up
    # every page turn and quote queued behind them on the bot's connection.
    rows = await (await store.reader()).execute_fetchall(
        _FIGURES_SQL, {"story": story.id, "last": last, "by_scene": by_scene, "gap": EXCHANGE_GAP}
    )
    figures = await asyncio.to_thread(_build, story, last_chapter, by_scene, rows[0])
    kept[key] = figures
    while len(kept) > _FIGURES_KEPT:
        kept.popitem(last=False)
    return figures


# Visible characters with a name or alias, with their stories, most lines first.
_BY_NAME_SQL = (
    f"SELECT c.id, c.name, c.lines, {_S_STORY_COLUMNS} FROM characters AS c JOIN stories AS s ON s.id = c.story_id"
    " WHERE c.id IN (SELECT id FROM characters WHERE name_key = :key"
    f"  UNION SELECT a.character_id FROM aliases AS a WHERE a.alias_key = :key AND {_ALIAS_UNLIMITED})"
    f" AND (:story IS NULL OR c.story_id = :story) AND {_VISIBLE} AND {_WITHIN_LIMITS}"
    " ORDER BY c.name_key = :key DESC, c.lines DESC, s.id LIMIT 26"
)
_BY_ID_SQL = (
    f"SELECT c.id, c.name, c.lines, {_S_STORY_COLUMNS} FROM characters AS c JOIN stories AS s ON s.id = c.story_id"
    f" WHERE c.id = :id AND (:story IS NULL OR c.story_id = :story) AND {_VISIBLE} AND {_WITHIN_LIMITS}"
)


async def find_character(
    store: Store, audience: Audience, typed: str, story_id: int | None = None,
) -> FoundCharacter:
    """The character a `name` option means: an autocomplete choice (`c:<id>`), else a name or
    alias (any case) in a visible story, `story_id`'s when given. When several stories have it,
    the one where a character by that exact name speaks most; the others are listed.
    The audience's spoiler limits leave out characters who first speak after their story's limit.
    Raises CharacterNotFound."""
    text = " ".join(typed.split())
    params = {"scope": audience.scope, "adult": audience.adult, "story": story_id,
              "limits": audience.limits.key()}
    rows = []
    if (chosen := _CHOICE_ID.fullmatch(text)) is not None:
        rows = await store.db.execute_fetchall(_BY_ID_SQL, {**params, "id": int(chosen[1])})
    if not rows and text:
        rows = await store.db.execute_fetchall(_BY_NAME_SQL, {**params, "key": title_key(text)})
    if not rows:
        raise CharacterNotFound(text)
    first = rows[0]
    story = StoredStory(*first[3:])
    others: dict[int, StoredStory] = {}
    for row in rows[1:]:
        if row[3] != story.id:
            others.setdefault(row[3], StoredStory(*row[3:]))
    return FoundCharacter(first[0], first[1], story, tuple(others.values()))


async def name_choices(
    store: Store, audience: Audience, typed: str, story_id: int | None = None, *, limit: int = 25,
) -> list[NameChoice]:
    """Characters whose name or an alias starts with `typed`, in the visible stories (or one),
    most lines first (spoiler limits as in find_character). Walks each visible story's (story_id, name_key) and (story_id, alias_key)
    indexes, so the cost follows the number of visible stories, not the whole library."""
    key = " ".join(typed.split()).casefold()
    rows = await store.db.execute_fetchall(
        "WITH vs AS (SELECT s.id, s.title FROM stories AS s WHERE (:story IS NULL OR s.id = :story)"
        f"  AND {_VISIBLE}),"
        " hits (id, alias) AS (SELECT c.id, NULL FROM vs JOIN characters AS c ON c.story_id = vs.id"
        "   AND c.name_key >= :key AND c.name_key < :end"
        "  UNION ALL SELECT a.character_id, a.alias FROM vs JOIN aliases AS a ON a.story_id = vs.id"
        f"   AND a.alias_key >= :key AND a.alias_key < :end AND {_ALIAS_UNLIMITED})"
        " SELECT c.id, c.name, min(hits.alias), vs.title, c.lines FROM hits"
        f" JOIN characters AS c ON c.id = hits.id JOIN vs ON vs.id = c.story_id WHERE c.lines > 0 AND {_WITHIN_LIMITS}"
        " GROUP BY c.id, c.name, vs.title, c.lines ORDER BY c.lines DESC, c.name_key, c.id LIMIT :limit",
        {"scope": audience.scope, "adult": audience.adult, "story": story_id, "key": key,
         "end": key + _KEY_END, "limit": limit, "limits": audience.limits.key()},
    )
    # An alias is shown only when the name itself does not start with what was typed.
    return [
        NameChoice(cid, name, None if name.casefold().startswith(key) else alias, title, lines)
        for cid, name, alias, title, lines in rows
    ]
