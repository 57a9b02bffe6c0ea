"""Quotes and excerpts for /quote and /excerpt: random picks that never repeat within a guild until
every line matching the same filters has been shown (state in quote_cycles, so it survives restarts).

A cycle is a seeded permutation of positions 0..size-1 (`permute`, a small Feistel network) walked
by a cursor, so each pick costs a few index seeks whatever the library's size:
- unfiltered: the positions are the scope's dense quote line (see bot/store/random_pick.py), walked
  twice — first accepting lines with a confident speaker, then the rest;
- filtered (story, character, contains): the matching quotable lines are stored as the cycle's
  members, confident speakers first, and each tier is walked in permuted order.

The bot keeps each cycle it walks in memory (under one asyncio lock per store, so concurrent picks
never share a line) and writes the cursor behind the reply: a pick that needs no new cycle never
waits for the write lock. A restart (or crash) may re-show the few lines picked since the last
write, which lands within milliseconds unless another process holds the lock.
"""
from __future__ import annotations

import asyncio
import functools
import json
import logging
import random
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from weakref import WeakKeyDictionary

from bot.errors import CharacterNotFound, NothingMatches
from bot.store import stories
from bot.store.audience import RATING_SQL, Audience
from bot.store.connection import Store
from bot.store.fts import fts_query
from bot.store.records import StoredParagraph, StoredQuote, StoredStory

log = logging.getLogger(__name__)

MIN_WORDS = 4  # shorter lines ("No!", "What?") say nothing out of context
MAX_CHARS = 600  # longer ones are speeches, not quotes
CONFIDENT = 0.7  # speaker confidence at or above which a line is preferred
EXCERPT_CHARS = 1500
EXCERPT_PARAGRAPHS = 3
_BATCH = 16  # positions examined per query while walking a cycle
_FIRST_PASS_BUDGET = 256  # steps before giving up on finding a confident speaker in this pick
_WALK_BUDGET = 4096  # steps per pick before asking the user to try again
_EXCERPT_TRIES = 12
_REMEMBERED_CYCLES = 1024  # cycles kept in memory per store (least recently used dropped)
KEEP_CYCLES = timedelta(days=60)  # a filter unused this long starts afresh (its "Another" buttons expire)
_MASK64 = (1 << 64) - 1

# Everything a QuoteCard holds, from quotes `q` and stories `s` (the StoredStory fields are the
# stories columns), so the query that picks a line also returns what its embed shows.
_CARD_COLUMNS = (
    "q.id, q.story_id, q.seq, q.paragraph_seq, q.chapter_index, q.scene_index, q.paragraph_index, q.text,"
    " q.kind, q.character_id, c.name, q.confidence, q.start_offset, q.end_offset, q.rule, ch.number, ch.title, "
    + ", ".join(f"s.{f.name}" for f in fields(StoredStory))
)
_CARD_JOINS = (
    " LEFT JOIN characters AS c ON c.id = q.character_id"
    " LEFT JOIN chapters AS ch ON ch.story_id = q.story_id AND ch.chapter_index = q.chapter_index"
)


_STORY_FIELDS = len(fields(StoredStory))
_CARD_WIDTH = 17 + _STORY_FIELDS
_TEXT, _CHARACTER_ID, _CONFIDENCE = 7, 9, 11  # in a _CARD_COLUMNS row
_P_PARAGRAPH_COLUMNS = "p.id, p.story_id, p.seq, p.chapter_index, p.scene_index, p.paragraph_index, p.text"
_RNG = random.Random()  # seeded once from the OS; callers (tests) may pass their own

# A random excerpt start and everything its embed shows, in one round trip. `u` in [0, 1) picks
# the start uniformly: within :story when given (and visible in :scope), else on the dense line of
# bundled paragraphs followed by the guild's own (see bot/store/random_pick.py), whose owner is one
# seek on the partial (scope, paragraph_base) index. Returns the story, the start's chapter number
# and title and scene heading, then the start paragraph and up to :n - 1 following ones.
_EXCERPT_SQL = (
    "WITH totals (bundled, own) AS (SELECT"
    "  coalesce((SELECT paragraphs FROM scope_totals WHERE scope = 0), 0),"
    "  CASE WHEN :scope = 0 THEN 0"
    "   ELSE coalesce((SELECT paragraphs FROM scope_totals WHERE scope = :scope), 0) END),"
    " drawn (x, bundled) AS (SELECT min(CAST(:u * (bundled + own) AS INTEGER), bundled + own - 1), bundled"
    "  FROM totals WHERE :story IS NULL AND bundled + own > 0),"
    " line (scope, r) AS (SELECT CASE WHEN x < bundled THEN 0 ELSE :scope END,"
    "  CASE WHEN x < bundled THEN x ELSE x - bundled END FROM drawn),"
    " start (story_id, seq) AS ("
    "  SELECT id, min(CAST(:u * paragraph_count AS INTEGER), paragraph_count - 1) FROM stories"
    "   WHERE :story IS NOT NULL AND id = :story AND scope IN (0, :scope) AND paragraph_count > 0"
    "  UNION ALL"
    "  SELECT s.id, line.r - s.paragraph_base FROM line JOIN stories AS s ON s.id = ("
    "   SELECT id FROM stories WHERE scope = line.scope AND paragraph_base <= line.r AND paragraph_count > 0"
    "   ORDER BY paragraph_base DESC LIMIT 1))"
    " SELECT " + ", ".join(f"s.{f.name}" for f in fields(StoredStory)) + ", ch.number, ch.title, sc.heading, "
    + _P_PARAGRAPH_COLUMNS + " FROM start JOIN stories AS s ON s.id = start.story_id"
    " JOIN paragraphs AS p ON p.story_id = start.story_id AND p.seq >= start.seq AND p.seq < start.seq + :n"
    " LEFT JOIN chapters AS ch ON ch.story_id = p.story_id AND ch.chapter_index = p.chapter_index"
    " LEFT JOIN scenes AS sc ON sc.story_id = p.story_id AND sc.chapter_index = p.chapter_index"
    "  AND sc.scene_index = p.scene_index"
    " ORDER BY p.seq"
)


def _card(row: Sequence, cycle_id: int | None = None) -> QuoteCard:
    """A QuoteCard from _CARD_COLUMNS (at the start of `row`)."""
    quote = StoredQuote(*row[:15])
    story = StoredStory(*row[17:17 + _STORY_FIELDS])
    return QuoteCard(quote, story, ChapterRef(quote.chapter_index, row[15], row[16]), cycle_id)


class UnknownCharacter(CharacterNotFound):
    """CharacterNotFound that also says where to find the names."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.message += " Pick one from the `character` suggestions, or see `/story info`."
        self.args = (self.message,)


@dataclass(frozen=True, slots=True)
class QuoteFilters:
    """The /quote options after resolution: a story id, a character name, words to contain."""

    story_id: int | None = None
    character: str | None = None
    contains: str | None = None

    def __post_init__(self) -> None:
        # Spacing normalised here and case in key(), so "Naruto " and "naruto" share one cycle.
        if self.character is not None:
            object.__setattr__(self, "character", " ".join(self.character.split()) or None)
        if self.contains is not None:
            object.__setattr__(self, "contains", " ".join(self.contains.split()) or None)

    @property
    def unfiltered(self) -> bool:
        return self.story_id is None and self.character is None and self.contains is None

    def key(self, adult: bool) -> str:
        character = self.character.casefold() if self.character else None
        return json.dumps([self.story_id, character, self.contains, int(adult)], ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class ChapterRef:
    index: int
    number: int | None
    title: str | None


@dataclass(frozen=True, slots=True)
class QuoteCard:
    """A quote with what its embed shows; `cycle_id` identifies the filters for "Another"."""

    quote: StoredQuote
    story: StoredStory
    chapter: ChapterRef
    cycle_id: int | None = None


@dataclass(frozen=True, slots=True)
class QuoteContext:
    card: QuoteCard
    paragraphs: tuple[StoredParagraph, ...]  # the quote's paragraph and its neighbours in the scene


@dataclass(frozen=True, slots=True)
class Excerpt:
    story: StoredStory
    chapter: ChapterRef
    heading: str | None  # the scene's heading, if any
    paragraphs: tuple[StoredParagraph, ...]


@dataclass(slots=True)
class _Cycle:
    id: int
    story_id: int | None
    character: str | None
    contains: str | None
    adult: bool
    seed: int
    size: int
    cut: int
    cursor: int


def quotable(text: str) -> bool:
    """A line worth quoting on its own: at least four words, at most about 600 characters."""
    return len(text) <= MAX_CHARS and len(text.split()) >= MIN_WORDS


def confident(character_id: int | None, confidence: float) -> bool:
    return character_id is not None and confidence >= CONFIDENT


def _mix(seed: int, round_: int, value: int) -> int:
    """splitmix64 finaliser over (seed, round, value): the Feistel round function."""
    z = (seed ^ (round_ * 0x9E3779B97F4A7C15) ^ (value * 0xBF58476D1CE4E5B9)) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def permute(index: int, size: int, seed: int) -> int:
    """A bijection of 0..size-1 chosen by `seed`: position `index` of a shuffled cycle.

    A 4-round Feistel network on the smallest even-bit power of two >= size (under 4x size);
    values landing outside are walked on until inside ("cycle walking"), which keeps it a bijection.
    """
    if not 0 <= index < size:
        raise ValueError(f"index {index} outside 0..{size - 1}")
    bits = max(2, (size - 1).bit_length())
    bits += bits & 1
    half = bits // 2
    mask = (1 << half) - 1
    x = index
    while True:
        left, right = x >> half, x & mask
        for round_ in range(4):
            left, right = right, left ^ (_mix(seed, round_, right) & mask)
        x = (left << half) | right
        if x < size:
            return x


def _tier_position(cursor: int, cut: int, size: int, seed: int) -> int:
    """Member position for a cursor: confident tier 0..cut-1 first, then cut..size-1."""
    if cursor < cut:
        return permute(cursor, cut, seed)
    return cut + permute(cursor - cut, size - cut, seed ^ 0x5A5A5A5A)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- cycles ------------------------------------------------------------------------------------


async def _load_cycle(store: Store, audience: Audience, key: str) -> tuple[_Cycle | None, list[tuple[int, int]]]:
    """The cycle for (scope, key), if any, and the visible quote lines (scope, length): bundled
    first, then the guild's own. One round trip: this runs on every pick."""
    # execute_fetchall: one hop to the database thread instead of three (execute, fetch, close).
    (row,) = await store.db.execute_fetchall(
        "SELECT (SELECT quotes FROM scope_totals WHERE scope = 0),"
        " (SELECT quotes FROM scope_totals WHERE scope = ?1),"
        " c.id, c.story_id, c.character, c.contains, c.adult, c.seed, c.size, c.cut, c.cursor"
        " FROM (SELECT 1) LEFT JOIN quote_cycles AS c ON c.scope = ?1 AND c.filter_key = ?2",
        (audience.scope, key),
    )
    lines = [(0, row[0] or 0)] + ([(audience.scope, row[1] or 0)] if audience.scope else [])
    return (None if row[2] is None else _Cycle(*row[2:])), lines


async def cycle_filters(store: Store, cycle_id: int, audience: Audience) -> QuoteFilters | None:
    """The filters a cycle was made for, when it belongs to this audience's guild ("Another")."""
    rows = await store.db.execute_fetchall(
        "SELECT story_id, character, contains FROM quote_cycles WHERE id = ? AND scope = ?",
        (cycle_id, audience.scope),
    )
    return QuoteFilters(*rows[0]) if rows else None


async def _save_cycle(
    store: Store, audience: Audience, key: str, filters: QuoteFilters, cycle: _Cycle | None,
    size: int, cut: int, rng: random.Random,
) -> _Cycle:
    """Start a new cycle (new seed, cursor 0), reusing the row so old "Another" buttons still work."""
    seed = rng.getrandbits(63)
    if cycle is None:
        stale = (datetime.now(UTC) - KEEP_CYCLES).isoformat(timespec="seconds")
        await store.db.execute("DELETE FROM quote_cycles WHERE used_at < ?", (stale,))
        cur = await store.db.execute(
            "INSERT INTO quote_cycles (scope, filter_key, story_id, character, contains, adult, seed,"
            " size, cut, cursor, built_at, used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
            (audience.scope, key, filters.story_id, filters.character, filters.contains,
             int(audience.adult), seed, size, cut, _now(), _now()),
        )
        cycle_id = cur.lastrowid
        await cur.close()
    else:
        cycle_id = cycle.id
        await store.db.execute(
            "UPDATE quote_cycles SET seed = ?, size = ?, cut = ?, cursor = 0, built_at = ? WHERE id = ?",
            (seed, size, cut, _now(), cycle_id),
        )
    return _Cycle(cycle_id, filters.story_id, filters.character, filters.contains, audience.adult,
                  seed, size, cut, 0)


async def _set_cursor(store: Store, cycle: _Cycle) -> None:
    await store.db.execute(
        "UPDATE quote_cycles SET cursor = ?, cut = ?, used_at = ? WHERE id = ?",
        (cycle.cursor, cycle.cut, _now(), cycle.id),
    )


class _Memory:
    """The cycles this process walks, newest use last; `lock` serialises picks."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.cycles: OrderedDict[tuple[int, str], _Cycle] = OrderedDict()

    def keep(self, scope: int, key: str, cycle: _Cycle) -> None:
        self.cycles[(scope, key)] = cycle
        self.cycles.move_to_end((scope, key))
        while len(self.cycles) > _REMEMBERED_CYCLES:
            self.cycles.popitem(last=False)


_memories: WeakKeyDictionary[Store, _Memory] = WeakKeyDictionary()


def _memory(store: Store) -> _Memory:
    if (memory := _memories.get(store)) is None:
        memory = _memories[store] = _Memory()
    return memory


def _set_cursor_later(store: Store, cycle: _Cycle) -> None:
    """Persist the cursor behind the reply. Only ever moves it forward within the same seed, so a
    late write never undoes a newer cursor or lands on a cycle started afresh since."""
    cycle_id, seed, cursor, cut, used_at = cycle.id, cycle.seed, cycle.cursor, cycle.cut, _now()

    async def write(db) -> None:
        await db.execute(
            "UPDATE quote_cycles SET cursor = ?, cut = ?, used_at = ? WHERE id = ? AND seed = ? AND cursor <= ?",
            (cursor, cut, used_at, cycle_id, seed, cursor),
        )

    store.write_behind.submit(("quote cursor", cycle_id), write)


async def _scope_lines(store: Store, audience: Audience) -> list[tuple[int, int]]:
    rows = await store.db.execute_fetchall(
        "SELECT (SELECT quotes FROM scope_totals WHERE scope = 0), (SELECT quotes FROM scope_totals WHERE scope = ?)",
        (audience.scope,),
    )
    return [(0, rows[0][0] or 0)] + ([(audience.scope, rows[0][1] or 0)] if audience.scope else [])


async def _pick_remembered(
    store: Store, audience: Audience, filters: QuoteFilters, cycle: _Cycle
) -> QuoteCard | None:
    """The next line of a remembered cycle with reads only; None when the cycle needs the full
    path (ran out, the library changed size, or nothing acceptable within the walk budget)."""
    if filters.unfiltered:
        lines = await _scope_lines(store, audience)
        size = sum(n for _, n in lines)
        if size == 0 or cycle.size != size or cycle.cursor >= 2 * size:
            return None
        return await _walk_line(store, cycle, audience, lines)
    if cycle.cursor >= cycle.size:
        return None
    return await _walk_members(store, cycle)


# --- unfiltered: walking the scope lines -------------------------------------------------------


def _line_position(index: int, lines: list[tuple[int, int]]) -> tuple[int, int]:
    for scope, length in lines:
        if index < length:
            return scope, index
        index -= length
    raise ValueError("index past the end of the quote lines")


@functools.cache
def _line_sql(batch: int) -> str:
    # Each position is one seek on the partial (scope, quote_base) index and one (story_id, seq)
    # lookup, as in random_pick; the CTE just batches them into one round trip.
    return (
        "WITH pos (cur, scope, r) AS (VALUES " + ", ".join(["(?, ?, ?)"] * batch) + ")"
        f" SELECT {_CARD_COLUMNS}, pos.cur FROM pos"
        " JOIN stories AS s ON s.id = (SELECT id FROM stories WHERE scope = pos.scope"
        "  AND quote_base <= pos.r AND quote_count > 0 ORDER BY quote_base DESC LIMIT 1)"
        " JOIN quotes AS q ON q.story_id = s.id AND q.seq = pos.r - s.quote_base" + _CARD_JOINS
    )


async def _line_rows(
    store: Store, cycle: _Cycle, lines: list[tuple[int, int]], cursors: range
) -> dict[int, Sequence]:
    """cursor -> the _CARD_COLUMNS row at that cursor's permuted position, for a batch of cursors
    (rows, not cards: most are passed over, and only the one taken is worth building)."""
    values = []
    for cursor in cursors:
        scope, offset = _line_position(permute(cursor % cycle.size, cycle.size, cycle.seed), lines)
        values.extend((cursor, scope, offset))
    return {row[-1]: row for row in await store.db.execute_fetchall(_line_sql(len(cursors)), values)}


async def _walk_line(
    store: Store, cycle: _Cycle, audience: Audience, lines: list[tuple[int, int]]
) -> QuoteCard | None:
    """Advance an unfiltered cycle to its next acceptable line; None when the cycle ran out or the
    walk budget was spent (cycle.cursor tells which)."""
    size, steps = cycle.size, 0
    first_pass_steps = 0
    while cycle.cursor < 2 * size and steps < _WALK_BUDGET:
        first_pass = cycle.cursor < size
        end = min(cycle.cursor + _BATCH, size if first_pass else 2 * size)
        batch = range(cycle.cursor, end)
        rows = await _line_rows(store, cycle, lines, batch)
        for cursor in batch:
            row = rows.get(cursor)
            if row is None or not quotable(row[_TEXT]):
                continue
            sure = confident(row[_CHARACTER_ID], row[_CONFIDENCE])
            # Second pass: everything the first pass did not take (it took confident lines before cut).
            if not (sure if first_pass else (not sure or cursor - size >= cycle.cut)):
                continue
            card = _card(row, cycle.id)
            if audience.can_see(card.story):
                cycle.cursor = cursor + 1
                return card
        steps += len(batch)
        cycle.cursor = end
        if first_pass:
            first_pass_steps += len(batch)
            if cycle.cursor == size or first_pass_steps >= _FIRST_PASS_BUDGET:
                # Confident speakers are rare here: stop preferring them; the second pass takes
                # every line the first pass did not reach.
                cycle.cut = cycle.cursor
                cycle.cursor = size
    return None


# --- filtered: walking stored members ----------------------------------------------------------


async def _character_ids(store: Store, audience: Audience, filters: QuoteFilters) -> list[int]:
    """Characters (canonical name or alias) the filter names, in the story or across visible ones."""
    name = (filters.character or "").casefold()
    if filters.story_id is not None:
        found = await stories.find_character(store, filters.story_id, name)
        return [] if found is None else [found.id]
    rows = await store.db.execute_fetchall(
        "SELECT c.id FROM characters AS c JOIN stories AS s ON s.id = c.story_id"
        f" WHERE c.name_key = ? AND s.scope IN (0, ?) AND {RATING_SQL}"
        " UNION SELECT a.character_id FROM aliases AS a JOIN stories AS s ON s.id = a.story_id"
        f" WHERE a.alias_key = ? AND s.scope IN (0, ?) AND {RATING_SQL}",
        (name, audience.scope, audience.adult, name, audience.scope, audience.adult),
    )
    return [row[0] for row in rows]


async def _members(store: Store, audience: Audience, filters: QuoteFilters) -> tuple[list[int], int]:
    """Matching quotable lines, confident speakers first; returns (quote ids, how many are confident)."""
    where = ["s.scope IN (0, ?)", RATING_SQL]
    args: list = [audience.scope, audience.adult]
    if filters.story_id is not None:
        where.append("q.story_id = ?")
        args.append(filters.story_id)
    if filters.character is not None:
        ids = await _character_ids(store, audience, filters)
        if not ids:
            raise UnknownCharacter(filters.character or "")
        where.append("q.character_id IN (SELECT value FROM json_each(?))")
        args.append(json.dumps(ids))
    if filters.contains is not None:
        # Never None: QuoteFilters turns blank text into no filter at all.
        where.append("q.id IN (SELECT rowid FROM quotes_fts WHERE quotes_fts MATCH ?)")
        args.append(fts_query(filters.contains))
    rows = await store.db.execute_fetchall(
        "SELECT q.id, q.text, q.character_id, q.confidence FROM quotes AS q"
        " JOIN stories AS s ON s.id = q.story_id WHERE " + " AND ".join(where) + " ORDER BY q.id",
        args,
    )
    sure = [r[0] for r in rows if quotable(r[1]) and confident(r[2], r[3])]
    unsure = [r[0] for r in rows if quotable(r[1]) and not confident(r[2], r[3])]
    return sure + unsure, len(sure)


async def _fill_members(store: Store, cycle_id: int, quote_ids: list[int]) -> None:
    await store.db.execute("DELETE FROM quote_cycle_members WHERE cycle_id = ?", (cycle_id,))
    await store.db.executemany(
        "INSERT INTO quote_cycle_members (cycle_id, pos, quote_id) VALUES (?, ?, ?)",
        ((cycle_id, pos, quote_id) for pos, quote_id in enumerate(quote_ids)),
    )


async def _walk_members(store: Store, cycle: _Cycle) -> QuoteCard | None:
    """Advance a filtered cycle to its next member still present; None when it ran out."""
    while cycle.cursor < cycle.size:
        batch = range(cycle.cursor, min(cycle.cursor + _BATCH, cycle.size))
        positions = {_tier_position(c, cycle.cut, cycle.size, cycle.seed): c for c in batch}
        rows = await store.db.execute_fetchall(
            f"SELECT {_CARD_COLUMNS}, m.pos FROM quote_cycle_members AS m"
            " JOIN quotes AS q ON q.id = m.quote_id JOIN stories AS s ON s.id = q.story_id" + _CARD_JOINS
            + f" WHERE m.cycle_id = ? AND m.pos IN ({', '.join('?' * len(positions))})",
            (cycle.id, *positions),
        )
        found = {positions[row[-1]]: _card(row, cycle.id) for row in rows}
        for cursor in batch:
            if cursor in found:  # a member whose story was removed since is simply gone
                cycle.cursor = cursor + 1
                return found[cursor]
        cycle.cursor = batch.stop
    return None


# --- public API --------------------------------------------------------------------------------


async def pick_quote(
    store: Store, audience: Audience, filters: QuoteFilters, *, rng: random.Random | None = None
) -> QuoteCard:
    """The next line of this guild's no-repeat cycle for `filters`.

    Raises CharacterNotFound for an unknown character, NothingMatches when no line qualifies.
    """
    rng = rng or _RNG
    key = filters.key(audience.adult)
    memory = _memory(store)
    async with memory.lock:
        remembered = memory.cycles.get((audience.scope, key))
        if remembered is not None:
            card = await _pick_remembered(store, audience, filters, remembered)
            if card is not None:
                memory.cycles.move_to_end((audience.scope, key))
                _set_cursor_later(store, remembered)
                return card
        # The full path (a write transaction) takes this process's cursor over the stored one,
        # whose write may still be pending. Only a cycle dropped from memory (over
        # _REMEMBERED_CYCLES filters in use) and reloaded before its last write lands could
        # re-show the lines picked since that write.
        return await _pick_stored(store, audience, filters, key, remembered, memory, rng)


async def _pick_stored(
    store: Store, audience: Audience, filters: QuoteFilters, key: str, remembered: _Cycle | None,
    memory: _Memory, rng: random.Random,
) -> QuoteCard:
    """pick_quote from the stored cycle, starting a new one when needed (one write transaction)."""
    gave_up = False
    card: QuoteCard | None = None
    async with store.atomic():
        cycle, lines = await _load_cycle(store, audience, key)
        if cycle is not None and remembered is not None and (remembered.id, remembered.seed) == (cycle.id, cycle.seed):
            # This process walked further than the stored cursor says (its last write may be pending).
            cycle.cursor, cycle.cut = max(cycle.cursor, remembered.cursor), remembered.cut
        for fresh in (False, True):
            if filters.unfiltered:
                size = sum(n for _, n in lines)
                if size == 0:
                    break
                if fresh or cycle is None or cycle.size != size or cycle.cursor >= 2 * size:
                    cycle = await _save_cycle(store, audience, key, filters, cycle, size, size, rng)
                card = await _walk_line(store, cycle, audience, lines)
                gave_up = card is None and cycle.cursor < 2 * size
            else:
                if fresh or cycle is None or cycle.cursor >= cycle.size:
                    members, cut = await _members(store, audience, filters)
                    if not members:
                        break
                    cycle = await _save_cycle(store, audience, key, filters, cycle, len(members), cut, rng)
                    await _fill_members(store, cycle.id, members)
                card = await _walk_members(store, cycle)
            # Saved before any error so the walk's progress is kept (the error leaves atomic()).
            await _set_cursor(store, cycle)
            if card is not None or gave_up:
                break
    # Remembered only once committed: a rolled-back new cycle must not be walked from memory.
    if cycle is not None:
        memory.keep(audience.scope, key, cycle)
    if card is not None:
        return card
    if gave_up:
        raise NothingMatches("I couldn't find a quote just now. Try again, or choose a `story` from `/story list`.")
    raise NothingMatches(_nothing_message(filters))


def _nothing_message(filters: QuoteFilters) -> str:
    if filters.unfiltered:
        return "There are no quotes to show here yet. Try `/story list` to see the library."
    return "No quote matches those filters. Try fewer filters, other words, or `/story list`."


async def quote_card(store: Store, quote_id: int) -> QuoteCard | None:
    """A quote by id with its story and chapter (visibility is the caller's check)."""
    rows = await store.db.execute_fetchall(
        f"SELECT {_CARD_COLUMNS} FROM quotes AS q JOIN stories AS s ON s.id = q.story_id{_CARD_JOINS}"
        " WHERE q.id = ?",
        (quote_id,),
    )
    return _card(rows[0]) if rows else None


async def quote_context(store: Store, audience: Audience, quote_id: int) -> QuoteContext | None:
    """The quote with the paragraph before and after it in its scene; None when not visible here."""
    # The card and its neighbouring paragraphs in one round trip: one row per paragraph.
    rows = await store.db.execute_fetchall(
        f"SELECT {_CARD_COLUMNS}, {_P_PARAGRAPH_COLUMNS} FROM quotes AS q"
        f" JOIN stories AS s ON s.id = q.story_id{_CARD_JOINS}"
        " JOIN paragraphs AS p ON p.story_id = q.story_id"
        "  AND p.seq >= max(q.paragraph_seq - 1, 0) AND p.seq < max(q.paragraph_seq - 1, 0) + 3"
        " WHERE q.id = ? ORDER BY p.seq",
        (quote_id,),
    )
    if not rows:
        # A quote whose paragraph range came back empty still has its card (cannot happen while
        # the rows are consistent, but the line alone is better than nothing).
        card = await quote_card(store, quote_id)
        return None if card is None or not audience.can_see(card.story) else QuoteContext(card, ())
    card = _card(rows[0])
    if not audience.can_see(card.story):
        return None
    q = card.quote
    around = (StoredParagraph(*row[_CARD_WIDTH:]) for row in rows)
    same_scene = tuple(
        p for p in around if (p.chapter_index, p.scene_index) == (q.chapter_index, q.scene_index)
    )
    return QuoteContext(card, same_scene)


async def pick_excerpt(
    store: Store, audience: Audience, story_id: int | None = None, *, rng: random.Random | None = None
) -> Excerpt:
    """One to three consecutive paragraphs of one scene, at most EXCERPT_CHARS, cut only between
    paragraphs. Raises NothingMatches when nothing visible fits."""
    rng = rng or _RNG
    for _ in range(_EXCERPT_TRIES):
        rows = await store.db.execute_fetchall(
            _EXCERPT_SQL, {"scope": audience.scope, "story": story_id, "u": rng.random(), "n": EXCERPT_PARAGRAPHS}
        )
        if not rows:
            break
        story = StoredStory(*rows[0][:_STORY_FIELDS])
        chapter_number, chapter_title, heading = rows[0][_STORY_FIELDS:_STORY_FIELDS + 3]
        following = [StoredParagraph(*row[_STORY_FIELDS + 3:]) for row in rows]
        start = following[0]
        if not audience.can_see(story) or len(start.text) > EXCERPT_CHARS:
            continue
        chosen: list[StoredParagraph] = []
        length = 0
        for p in following:
            if (p.chapter_index, p.scene_index) != (start.chapter_index, start.scene_index):
                break
            added = len(p.text) + (2 if chosen else 0)
            if length + added > EXCERPT_CHARS:
                break
            chosen.append(p)
            length += added
        chapter = ChapterRef(start.chapter_index, chapter_number, chapter_title)
        return Excerpt(story, chapter, heading, tuple(chosen))
    if story_id is not None:
        raise NothingMatches("That story has no passage short enough to show. Try another from `/story list`.")
    raise NothingMatches("There is nothing to show here yet. Try `/story list` to see the library.")
