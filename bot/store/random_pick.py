"""Random paragraphs and quotes in time independent of table size (no ORDER BY RANDOM(), no scan).

How: every story's paragraphs carry a dense per-story `seq` (0..n-1), and the stories of one
scope (bundled = 0, or a guild id) are laid end to end on one dense line: a story covers
[paragraph_base, paragraph_base + paragraph_count), and scope_totals holds the line's length.
A uniform pick over everything visible in a guild draws r in [0, bundled + guild's own), finds
the story owning r with one seek on the (scope, paragraph_base) index, then the row with one
primary-key lookup. Quotes work the same way with quote_base / quote_count, and quotes of one
character carry a dense `speaker_seq` (0..lines-1). The characters answering to one name (their
name_key or an alias_key) are laid end to end the same way per (key, scope, gated) (name_lines.base,
name_totals.lines; migration 0013; gated: the story's rating is adult-only), so a pick over every
character of a name is a draw over the bundled lines plus the guild's own and one seek, however
many characters share it. The loader keeps
all these lines gap-free when a story is added, replaced or deleted (in the same transaction).
Every pick is uniform over the rows it chooses from.
"""
from __future__ import annotations

import logging
import random

from bot.store.connection import Store
from bot.store.records import StoredParagraph, StoredQuote

log = logging.getLogger(__name__)

_PARAGRAPH_COLUMNS = "id, story_id, seq, chapter_index, scene_index, paragraph_index, text"
_QUOTE_COLUMNS = (
    "q.id, q.story_id, q.seq, q.paragraph_seq, q.chapter_index, q.scene_index, q.paragraph_index, q.text,"
    " q.kind, q.character_id, c.name, q.confidence, q.start_offset, q.end_offset, q.rule"
)
_QUOTE_FROM = "quotes AS q LEFT JOIN characters AS c ON c.id = q.character_id"


async def _visible_story_count(store: Store, story_id: int, guild_id: int | None, column: str) -> int | None:
    """The story's paragraph_count or quote_count, or None when it is not visible in the guild."""
    async with store.db.execute(
        f"SELECT {column} FROM stories WHERE id = ? AND scope IN (0, ?)", (story_id, guild_id or 0)
    ) as cur:
        row = await cur.fetchone()
    return None if row is None else row[0]


async def _pick_on_line(
    store: Store, guild_id: int | None, kind: str, rng: random.Random
) -> tuple[int, int] | None:
    """(story_id, seq) of a uniform pick over the visible scopes' line for "paragraphs" or "quotes"."""
    async with store.db.execute(
        f"SELECT scope, {kind} FROM scope_totals WHERE scope IN (0, ?) AND {kind} > 0 ORDER BY scope",
        (guild_id or 0,),
    ) as cur:
        totals = [(row[0], row[1]) for row in await cur.fetchall()]
    grand = sum(n for _, n in totals)
    if grand == 0:
        return None
    r = rng.randrange(grand)
    scope, n = totals[0]
    if r >= n:  # past the first line (bundled): the guild's own
        r -= n
        scope = totals[1][0]
    base, count = ("paragraph_base", "paragraph_count") if kind == "paragraphs" else ("quote_base", "quote_count")
    # The partial index (scope, base) WHERE count > 0 makes this one seek; empty stories never own r.
    async with store.db.execute(
        f"SELECT id, {base} FROM stories WHERE scope = ? AND {base} <= ? AND {count} > 0"
        f" ORDER BY {base} DESC LIMIT 1",
        (scope, r),
    ) as cur:
        row = await cur.fetchone()
    if row is None:  # cannot happen while the lines are consistent; say so rather than guess
        log.error("random pick: no story owns %s position %d in scope %d", kind, r, scope)
        return None
    return row[0], r - row[1]


async def random_paragraph(
    store: Store, *, guild_id: int | None = None, story_id: int | None = None,
    rng: random.Random | None = None,
) -> StoredParagraph | None:
    """A uniformly random story paragraph visible in `guild_id`, optionally from one story.

    None when there is nothing to pick (or the story is not visible in the guild).
    """
    rng = rng or random.Random()
    if story_id is not None:
        count = await _visible_story_count(store, story_id, guild_id, "paragraph_count")
        if not count:
            return None
        seq = rng.randrange(count)
    else:
        picked = await _pick_on_line(store, guild_id, "paragraphs", rng)
        if picked is None:
            return None
        story_id, seq = picked
    async with store.db.execute(
        f"SELECT {_PARAGRAPH_COLUMNS} FROM paragraphs WHERE story_id = ? AND seq = ?", (story_id, seq)
    ) as cur:
        row = await cur.fetchone()
    return None if row is None else StoredParagraph(*row)


async def random_quote(
    store: Store, *, guild_id: int | None = None, story_id: int | None = None,
    character_id: int | None = None, character_name: str | None = None,
    rng: random.Random | None = None,
) -> StoredQuote | None:
    """A uniformly random quotation visible in `guild_id`.

    Filters: `story_id`; `character_id` (one story's character); or `character_name` (a name or
    alias, any case: every visible character answering to it, in one story when `story_id` is
    given, weighted by their lines). None when nothing matches.
    """
    rng = rng or random.Random()
    if character_name is not None:
        character_id = await _pick_character_by_name(store, guild_id, story_id, character_name, rng)
        if character_id is None:
            return None
    if character_id is not None:
        async with store.db.execute(
            "SELECT c.lines, c.story_id FROM characters AS c JOIN stories AS s ON s.id = c.story_id"
            " WHERE c.id = ? AND s.scope IN (0, ?)",
            (character_id, guild_id or 0),
        ) as cur:
            row = await cur.fetchone()
        if row is None or row[0] == 0 or (story_id is not None and row[1] != story_id):
            return None
        where, args = "q.character_id = ? AND q.speaker_seq = ?", (character_id, rng.randrange(row[0]))
    elif story_id is not None:
        count = await _visible_story_count(store, story_id, guild_id, "quote_count")
        if not count:
            return None
        where, args = "q.story_id = ? AND q.seq = ?", (story_id, rng.randrange(count))
    else:
        picked = await _pick_on_line(store, guild_id, "quotes", rng)
        if picked is None:
            return None
        where, args = "q.story_id = ? AND q.seq = ?", picked
    async with store.db.execute(f"SELECT {_QUOTE_COLUMNS} FROM {_QUOTE_FROM} WHERE {where}", args) as cur:
        row = await cur.fetchone()
    return None if row is None else StoredQuote(*row)


async def _pick_character_by_name(
    store: Store, guild_id: int | None, story_id: int | None, name: str, rng: random.Random
) -> int | None:
    """One of the visible characters called `name` (or with it as an alias), chosen with probability
    proportional to their lines.

    With `story_id` one index lookup; across stories a draw on the name's lines (migration 0013:
    the bundled line, then the guild's own) and one seek for the character owning the position,
    whatever the number of characters of that name.
    """
    key = " ".join(name.split()).casefold()
    if story_id is not None:  # the (story_id, name_key) and (story_id, alias_key) indexes answer it
        async with store.db.execute(
            "SELECT c.id, c.lines FROM characters AS c JOIN stories AS s ON s.id = c.story_id"
            " WHERE c.id IN (SELECT id FROM characters WHERE story_id = ? AND name_key = ?"
            "  UNION SELECT character_id FROM aliases WHERE story_id = ? AND alias_key = ?)"
            " AND c.lines > 0 AND s.scope IN (0, ?)",
            (story_id, key, story_id, key, guild_id or 0),
        ) as cur:
            candidates = [(row[0], row[1]) for row in await cur.fetchall()]
        if not candidates:
            return None
        ids, weights = zip(*candidates, strict=True)
        return rng.choices(ids, weights=weights)[0]
    async with store.db.execute(
        "SELECT scope, gated, lines FROM name_totals WHERE name_key = ? AND scope IN (0, ?) AND lines > 0"
        " ORDER BY scope, gated",
        (key, guild_id or 0),
    ) as cur:
        totals = [(row[0], row[1], row[2]) for row in await cur.fetchall()]
    grand = sum(n for _, _, n in totals)
    if grand == 0:
        return None
    # Every line counts here, the gated (adult-only) ones too: random_quote sees the scope only.
    r = rng.randrange(grand)
    line = 0
    while r >= totals[line][2]:  # past this line: on to the next (bundled open, gated, the guild's own...)
        r -= totals[line][2]
        line += 1
    scope, gated = totals[line][0], totals[line][1]
    async with store.db.execute(
        "SELECT character_id FROM name_lines WHERE name_key = ? AND scope = ? AND gated = ? AND base <= ?"
        " ORDER BY base DESC LIMIT 1",
        (key, scope, gated, r),
    ) as cur:
        row = await cur.fetchone()
    if row is None:  # cannot happen while the lines are consistent
        log.error("random pick: no character owns position %d of name %r in scope %d", r, key, scope)
        return None
    return row[0]
