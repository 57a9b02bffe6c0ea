"""Quotes and excerpts for /quote and /excerpt: random picks that never repeat within a guild until
every line matching the same filters has been shown (state in quote_cycles, so it survives restarts).

A cycle is a seeded permutation of positions 0..size-1 (`permute`, a small Feistel network) walked
by a cursor, over a domain: an index whose positions map to lines with one seek (the scope's dense
quote line, one story's quotes, one character's lines, the name's lines across stories, or, with a
story's character, a word filter's full-text matches ranked by rowid; see migration 0005). The
name's lines (SPEAKERS, migration 0013) are every character answering to the name (canonical or
alias) laid end to end, bundled then the guild's own, each split in open and gated (adult-only
rating) lines, the gated ones only for age-restricted channels, as the scope's quote line lays
stories: a position's character is one seek on (name_key, scope, gated, base), whatever the number
of characters sharing the name, and a stamp of the lines' changes (name_totals) tells a cycle the library changed
under it. The full-text index also holds each line's speaker (its character's name and alias keys,
migration 0010), so with a character the word filter's matches are only the lines a character of
that name said: one query intersecting two doclists.
A word filter without a character, and a character's words across stories, walk the rowid range in
blocks ("blocks:BITS"): the blocks in a seeded order, each block's ids in an order of its own
(block_slot, computed in the query too), so one full-text range query reads a block's matches in
that order (under spoiler limits only those the audience may see), and every match comes once per
pass. Nothing is counted beyond what sizes the blocks: the words' first _BLOCK_PROBE matches, or,
with a character across stories, the matches that name said among _SAID_WINDOW consecutive ids at
a random place (so that filter's first pick reads a bounded number of ids and matches whatever the
library's size: no listing of the name's characters, no count of its matches, no stepping to a rank).
Its state is a handful of integers whatever the number of lines, so the first pick of a filter
costs what later ones do.
Lines the domain holds that miss a filter or the audience's gates (server scope, age rating) are
passed over. Each cycle is walked twice: first taking lines with a confident speaker, then the rest.

The bot keeps each cycle it walks in memory (under one asyncio lock per store, so concurrent picks
never share a line) and writes it behind the reply: a pick never waits for the write lock, and is
one database round trip when its cycle is in memory (on SQLite what a pick reads under the lock is
one job on the database thread, the start of the next cycle included: _in_one_job). There a word
filter's cycle keeps the ids of the lines its last query found ahead (each checked again in full
when shown, not found again by stepping through the word's matches). A restart (or crash) may
re-show the few lines picked since the last write, which lands within milliseconds unless another
process holds the lock. A line given back by a pick that guessed the reader's limits or story
wrong (pick_quote_for) is written with the cursor (the `returned` column), so no stop passes it over.
"""
from __future__ import annotations

import asyncio
import bisect
import dataclasses
import functools
import json
import logging
import random
import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from bot.errors import CharacterNotFound, NothingMatches, PastSpoilerLimit
from bot.store import spoilers, stories
from bot.store.audience import (
    RATING_SQL,
    Audience,
    confirm_story,
    names_story,
    remembered_story,
    story_and_limits,
    story_rows_in_thread,
)
from bot.store.connection import Statement, Store
from bot.store.fts import said_query
from bot.store.postgres import CUSTOM_PLANS
from bot.store.records import StoredParagraph, StoredQuote, StoredStory
from bot.store.spoilers import limit_sql

log = logging.getLogger(__name__)

MIN_WORDS = 4  # shorter lines ("No!", "What?") say nothing out of context
MAX_CHARS = 600  # longer ones are speeches, not quotes
CONFIDENT = 0.7  # speaker confidence at or above which a line is preferred
EXCERPT_CHARS = 1500
EXCERPT_PARAGRAPHS = 3
_BATCH = 16  # positions examined by a pick's first query
_MAX_BATCH = 256  # a long walk (a sparse domain) doubles its batches up to this
_MATCHES_MAX = 131_072  # a word filter walks its matches only when at most this many (counting them: <= 3 ms)
# Costs in microseconds on the 2-core development machine (SQLite 3.40, a 10^6-quotation bench/quote.py
# database): permuting a position in Python, stepping over one full-text match (_ranks_sql),
# probing one line's text with the index (13-40).
_PERMUTE_US, _RANK_US, _PROBE_US = 3.0, 0.03, 20.0
_MATCH_US = 35.0  # ... finding one rank of a batch by stepping (a full-text cursor of its own)
_WINDOW_US = 0.47  # ... and numbering one match instead (a window over the doclist)
_SAID_RANK_US = 0.15  # stepping over one match of words said by a name (two doclists intersected)
_MAX_STEPPED = 64  # ranks stepped to in one statement (each nests in the last: SQLite's depth limit is 1000)
_FIRST_PASS_BUDGET = 256  # steps before giving up on finding a confident speaker in this pick
_WALK_BUDGET = 4096  # steps per pick before asking the user to try again
_UNWRITTEN_MAX = 32  # picks a crash may lose (lines shown again after it)
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
# A walk's batch reads many lines and shows one: per line only what _acceptable checks, in the
# places _CARD_COLUMNS has them (NULL elsewhere, no character or chapter joined), and the line taken
# is read in full after (_full_card, in the same job). Reading every line's card cost about a third
# of the batch (at 10^7 quotations, 16 lines: 0.97-1.09 ms of CPU at the median against 0.66-0.81).
# The database returns only those four columns (then the batch's position, checks and size): 31 NULL
# columns more cost about a third of a block statement of 64 lines (0.2 of 0.55 ms at 10^7); _widen puts
# them in their places.
_CHECK_COLUMNS = "q.id, q.text, q.character_id, q.confidence"
_CHECK_PADS = tuple((None,) * (b - a - 1) for a, b in ((0, _TEXT), (_TEXT, _CHARACTER_ID),
                                                       (_CHARACTER_ID, _CONFIDENCE), (_CONFIDENCE, _CARD_WIDTH)))


def _widen(rows: Sequence[Sequence]) -> list[tuple]:
    """Rows of _CHECK_COLUMNS and the batch's columns, in the places a _CARD_COLUMNS row has them."""
    p1, p2, p3, p4 = _CHECK_PADS
    return [(r[0], *p1, r[1], *p2, r[2], *p3, r[3], *p4, *r[4:]) for r in rows]


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
    "  SELECT id, min(CAST(:u * shown AS INTEGER), shown - 1) FROM (SELECT id, coalesce((SELECT first_paragraph"
    "   + paragraph_count FROM chapters WHERE story_id = :story AND chapter_index = :last), paragraph_count) AS shown"
    "   FROM stories WHERE :story IS NOT NULL AND id = :story AND scope IN (0, :scope) AND paragraph_count > 0) AS st"
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

    def key(self, adult: bool, limits: str | None = None) -> str:
        """The cycle's key; spoiler limits (ChapterLimits.key()) make a filter of their own, so
        each limit walks its own no-repeat cycle."""
        return _filter_key(self.story_id, self.character, self.contains, adult, limits)


@functools.lru_cache(maxsize=4096)  # every pick asks; the same few filters come back
def _filter_key(story_id: int | None, character: str | None, contains: str | None, adult: bool, limits: str | None) -> str:
    parts: list[object] = [story_id, character.casefold() if character else None, contains, int(adult)]
    if limits is not None:
        parts.append(limits)
    return json.dumps(parts, ensure_ascii=False)


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


# Where a cycle's positions come from (the `domain` column; see migration 0005).
LINE, STORY, SPEAKER, SPEAKERS, MATCHES = "line", "story", "speaker", "speakers", "matches"
# A character filter across stories with words: the matches those characters said, ranked (cycles
# stored before they walked blocks; new ones plan under this name and walk blocks: _SAID_PLAN_SQL).
SAID = "said"
# A word filter without a character: the ids of the filter's rowid range in blocks of 2^bits, the blocks
# in a seeded order and each block's ids in an order of its own (the domain is stored as "blocks:BITS").
BLOCKS = "blocks"
_KNOWN = "known"  # not a domain: one line of a MATCHES or SAID cycle found by an earlier query


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
    domain: str
    low: int  # SPEAKER: the character's id; MATCHES: the rowid range [low, high]
    high: int
    unwritten: int = 0  # picks since the cursor was last submitted for writing without delay
    row: bool = False  # a row with this id is in the database, or its write is submitted without delay
    steps: int = 0  # positions examined by this process's picks (for the batch size)
    taken: int = 0  # lines those picks took
    # Cursors the last query found acceptable beyond the one it took, and where it stopped: every
    # other position before `scanned` was passed over, so the next pick fetches only these.
    ahead: list[int] = field(default_factory=list)
    scanned: int = 0
    # Cursors taken but not shown (pick_quote_for guessed the reader's spoiler limits or story
    # wrong): the next picks take these first, so no line of the cycle is passed over; kept with
    # the cursor in the database (the `returned` column), and by id where the domain has no query
    # of one position (`returned_ids`, as ahead_ids).
    returned: list[int] = field(default_factory=list)
    returned_ids: dict[int, int] = field(default_factory=dict)
    # MATCHES and SAID: the lines at those cursors, so a pick fetches one by id (checked again in
    # full) instead of stepping through the word's matches to its rank again.
    ahead_ids: dict[int, int] = field(default_factory=dict)
    # SQLite, BLOCKS: the first position of the block the next steady walk reads (-1: none), read
    # ahead in _SLICES slices of its ids by the picks that take this block's kept lines, one slice
    # a pick (`claimed` of them so far); `slices` holds what each read (_read_ahead).
    next_at: int = -1
    claimed: int = 0
    slices: dict[int, tuple[int, list[tuple[int, int, bool, bool]] | None]] = field(default_factory=dict)
    # SQLite, BLOCKS: the last block (its index in a pass) found to hold _WHOLE_BLOCK_CAP matches or more
    # (-1: none): the steady walks inside it read it in the database's order at once, without reading it
    # whole first to find that again, and its slices are not read ahead.
    dense: int = -1
    # With a story: its content hash when the cycle was planned (in memory only: _restart_in_memory).
    story_hash: str | None = None


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


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- cycles: state ------------------------------------------------------------------------------


async def cycle_filters(store: Store, cycle_id: int, audience: Audience) -> QuoteFilters | None:
    """The filters a cycle was made for, when it belongs to this audience's guild ("Another").
    A new cycle whose row is still on its way is answered from memory."""
    unwritten = _memory(store).unwritten.get(cycle_id)
    if unwritten is not None:
        scope, filters = unwritten
        return filters if scope == audience.scope else None
    rows = await store.db.execute_fetchall(
        "SELECT story_id, character, contains FROM quote_cycles WHERE id = ? AND scope = ?",
        (cycle_id, audience.scope),
    )
    return QuoteFilters(*rows[0]) if rows else None


def _save_new_cycle_later(store: Store, audience: Audience, key: str, cycle: _Cycle) -> None:
    """Write a cycle this pick started, cursor included, behind the reply. The row (and its id)
    is kept when there was one, so old "Another" buttons still work; a new row takes the random id
    the cycle was given (from 2^52 values, so an old button never picks up other filters).

    A new row is written without delay. A cycle started afresh over a row already written or on its
    way (`row`: the same id and filters, a new seed) is written as a cursor is (_set_cursor_later): with the
    next background write, and on its own every _UNWRITTEN_MAX picks. A filter matching a line or
    two runs out at nearly every pick, and each start was a write transaction of its own on the
    store's thread, which the next pick queued behind (and a checkpoint every _CHECKPOINT_EVERY)."""
    lazy = cycle.row
    if lazy:
        cycle.unwritten += 1
        lazy = cycle.unwritten < _UNWRITTEN_MAX
    if not lazy:
        cycle.unwritten = 0
    write = _new_cycle_write(audience, key, cycle)
    unwritten = _memory(store).unwritten
    entry = (audience.scope, QuoteFilters(cycle.story_id, cycle.character, cycle.contains))

    def done() -> None:
        # Only this write's own mark: an older write of the same cycle id finishing after a newer one
        # was queued (a cycle started afresh while its last row was being written) must not clear the
        # newer one's, or the stale row would be read back and its lines shown again.
        if unwritten.get(cycle.id) is entry:
            del unwritten[cycle.id]

    # After submit: a write for the same filters still pending is replaced, and its `done` forgets the id.
    store.write_behind.submit(("quote cycle", audience.scope, key), write, done=done, lazy=lazy)
    # Written, or on its way without delay: a lazy write replacing it is due as soon (WriteBehind.submit).
    cycle.row = True
    unwritten[cycle.id] = entry


_NEW_CYCLE_SQL = (
    "INSERT INTO quote_cycles (id, scope, filter_key, story_id, character, contains, adult, seed, size,"
    " cut, cursor, domain, low, high, built_at, used_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (scope, filter_key) DO UPDATE SET seed = excluded.seed, size = excluded.size,"
    " cut = excluded.cut, cursor = excluded.cursor, domain = excluded.domain, low = excluded.low,"
    " high = excluded.high, built_at = excluded.built_at, used_at = excluded.used_at, returned = NULL"
)


def _new_cycle_write(audience: Audience, key: str, cycle: _Cycle, dialect: str = "sqlite") -> Statement:
    """The new cycle's row, after the cycles unused for KEEP_CYCLES are deleted. On PostgreSQL, where
    it is written in the pick's transaction (a round trip each statement), one statement: the delete in
    a WITH (leaving this filter's row to the upsert)."""
    values = (cycle.id, audience.scope, key, cycle.story_id, cycle.character, cycle.contains, int(cycle.adult),
              cycle.seed, cycle.size, cycle.cut, cycle.cursor, cycle.domain, cycle.low, cycle.high, _now(), _now())
    stale = (datetime.now(UTC) - KEEP_CYCLES).isoformat(timespec="seconds")
    if dialect != "sqlite":
        return Statement("WITH stale AS (DELETE FROM quote_cycles WHERE used_at < ?"
                         " AND NOT (scope = ? AND filter_key = ?)) " + _NEW_CYCLE_SQL,
                         (stale, audience.scope, key, *values))
    return Statement("DELETE FROM quote_cycles WHERE used_at < ?", (stale,), (_NEW_CYCLE_SQL, values))


def _set_cursor_later(store: Store, cycle: _Cycle) -> None:
    """Persist the cursor behind the reply: with the next background write (or when the store is
    flushed or closed), and on its own every _UNWRITTEN_MAX picks, so a crash re-shows at most
    that many lines and a pick rarely costs a write transaction of its own. The
    seed check keeps a late write off a cycle started afresh since."""
    cycle.unwritten += 1
    eager = cycle.unwritten >= _UNWRITTEN_MAX
    if eager:
        cycle.unwritten = 0
    store.write_behind.submit(("quote cursor", cycle.id), _cursor_write(cycle), lazy=not eager)


def _cursor_write(cycle: _Cycle) -> Statement:
    cycle_id, seed, cursor, cut, used_at = cycle.id, cycle.seed, cycle.cursor, cycle.cut, _now()
    returned = json.dumps([[c, cycle.returned_ids.get(c)] for c in cycle.returned]) if cycle.returned else None

    return Statement(
        "UPDATE quote_cycles SET cursor = ?, cut = ?, used_at = ?, returned = ? WHERE id = ? AND seed = ?",
        (cursor, cut, used_at, returned, cycle_id, seed),
    )


def _parse_returned(cycle: _Cycle, stored: str | None) -> None:
    """The lines given back to a stored cycle (_cursor_write), into `returned` and `returned_ids`."""
    for cursor, line in json.loads(stored) if stored else ():
        cycle.returned.append(cursor)
        if line is not None:
            cycle.returned_ids[cursor] = line


class _Memory:
    """The cycles this process walks, newest use last; `lock` serialises picks."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.cycles: OrderedDict[tuple[int, str], _Cycle] = OrderedDict()
        self.unwritten: dict[int, tuple[int, QuoteFilters]] = {}  # new cycles' ids -> (scope, filters)

    def pending(self, cycle: _Cycle | None) -> bool:
        """Whether `cycle` is one this process started whose row is not written yet."""
        return cycle is not None and cycle.id in self.unwritten

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


# --- cycles: domains ----------------------------------------------------------------------------

# The audience may see the story `s`: the server scope and the age gate, in every domain's query.
_VISIBLE_SQL = "s.scope IN (0, :scope) AND " + RATING_SQL.replace("?", ":adult")
# The line's chapter is within the audience's spoiler limits (bound as :limits).
_SHOWN_SQL = limit_sql("q.story_id", "q.chapter_index")
# A character of quote `q` has the filter's name (canonical or alias).
_NAMED_SQL = (
    "(EXISTS (SELECT 1 FROM characters WHERE id = q.character_id AND name_key = :name)"
    " OR EXISTS (SELECT 1 FROM aliases WHERE character_id = q.character_id AND alias_key = :name))"
)
# The lengths of the filter's name lines (migration 0013: every character answering to the name,
# laid end to end per scope and gatedness) bundled open, bundled gated, the guild's own open and own
# gated (the gated ones, lines of stories rated for adults only, count only for an age-restricted
# channel: else 0, so the domain holds only lines the audience may see, and a name found only past
# the age gate has none), and a stamp that moves whenever one of those lines changes (the sum of
# their change counters, each only ever growing): one index range read.
# A SPEAKERS cycle keeps the stamp it began with (in `low`) and starts afresh when it moved.
# (CAST: PostgreSQL sums integers as numeric, which a comparison with an indexed bigint would not seek.)
_NAME_TOTALS_CTE = (
    "ntot (bundled, bgated, own, ogated, stamp) AS (SELECT"
    " CAST(coalesce(sum(CASE WHEN scope = 0 AND gated = 0 THEN lines END), 0) AS BIGINT),"
    " CAST(coalesce(sum(CASE WHEN scope = 0 AND gated <> 0 THEN lines END), 0) AS BIGINT),"
    " CAST(coalesce(sum(CASE WHEN scope <> 0 AND gated = 0 THEN lines END), 0) AS BIGINT),"
    " CAST(coalesce(sum(CASE WHEN scope <> 0 AND gated <> 0 THEN lines END), 0) AS BIGINT),"
    " CAST(coalesce(sum(changes), 0) AS BIGINT)"
    " FROM name_totals WHERE name_key = :name AND scope IN (0, :scope) AND gated IN (0, :adult))"
)
# The entry of the name's line (np.scope, np.gated) that holds position np.r: the last starting at or before it.
_NAME_AT = ("FROM name_lines WHERE name_key = :name AND scope = np.scope AND gated = np.gated AND base <= np.r"
            " ORDER BY base DESC LIMIT 1")
_TOTALS_CTE = (
    "tot (bundled, own) AS (SELECT coalesce((SELECT quotes FROM scope_totals WHERE scope = 0), 0),"
    " CASE WHEN :scope = 0 THEN 0 ELSE coalesce((SELECT quotes FROM scope_totals WHERE scope = :scope), 0) END)"
)
# The story's quotes up to its spoiler limit (:last, a chapter_index; NULL: no limit) are the
# prefix of its seq before the first quote past the limit's chapter: two index seeks.
_LIMITED_SEQ = (
    "(SELECT min(seq) FROM quotes WHERE story_id = :story AND paragraph_seq = (SELECT min(paragraph_seq)"
    " FROM quotes WHERE story_id = :story AND paragraph_seq >= (SELECT first_paragraph + paragraph_count"
    " FROM chapters WHERE story_id = :story AND chapter_index = :last)))"
)
# Per domain: extra CTEs, the quote id at position pos.x, and the domain's size now (a library
# change since the cycle began shows as a different size and starts a new cycle; MATCHES keeps
# its rowid range, so only removed lines can change it, and those are simply passed over).
_DOMAINS: dict[str, tuple[str, str, str]] = {
    LINE: (
        _TOTALS_CTE + ", lp (x, scope, r) AS (SELECT x, CASE WHEN x < bundled THEN 0 ELSE :scope END,"
        " CASE WHEN x < bundled THEN x ELSE x - bundled END FROM pos, tot)",
        "SELECT lp.x, (SELECT q.id FROM stories AS st JOIN quotes AS q ON q.story_id = st.id"
        " AND q.seq = lp.r - st.quote_base WHERE st.id = (SELECT id FROM stories WHERE scope = lp.scope"
        " AND quote_base <= lp.r AND quote_count > 0 ORDER BY quote_base DESC LIMIT 1)) FROM lp",
        "(SELECT bundled + own FROM tot)",
    ),
    STORY: (
        "",
        "SELECT x, (SELECT id FROM quotes WHERE story_id = :story AND seq = pos.x) FROM pos",
        f"(SELECT coalesce({_LIMITED_SEQ}, quote_count) FROM stories AS s WHERE s.id = :story AND {_VISIBLE_SQL})",
    ),
    SPEAKER: (
        "",
        "SELECT x, (SELECT id FROM quotes WHERE character_id = :low AND speaker_seq = pos.x) FROM pos",
        "(SELECT c.lines FROM characters AS c JOIN stories AS s ON s.id = c.story_id"
        f" WHERE c.id = :low AND {_VISIBLE_SQL})",
    ),
    SPEAKERS: (
        # Position x on the bundled open line, the bundled gated one, the guild's own open then own
        # gated (a gated one has length 0 outside age-restricted channels: ntot); its character is the
        # last one starting at or before it on that line (one seek on name_lines_base), its line
        # x - base of theirs. (Two scalar subqueries, each a backward index seek on both engines,
        # then one seek on quotes_speaker.)
        _NAME_TOTALS_CTE + ", np (x, scope, gated, r) AS (SELECT x, CASE WHEN x < bundled + bgated THEN 0"
        " ELSE :scope END, CASE WHEN x < bundled THEN 0 WHEN x < bundled + bgated THEN 1"
        " WHEN x < bundled + bgated + own THEN 0 ELSE 1 END, CASE WHEN x < bundled THEN x"
        " WHEN x < bundled + bgated THEN x - bundled WHEN x < bundled + bgated + own THEN x - bundled - bgated"
        " ELSE x - bundled - bgated - own END FROM pos, ntot),"
        f" nc (x, c, s) AS (SELECT x, (SELECT character_id {_NAME_AT}), r - (SELECT base {_NAME_AT}) FROM np)",
        "SELECT x, (SELECT id FROM quotes WHERE character_id = nc.c AND speaker_seq = nc.s) FROM nc",
        "(SELECT CASE WHEN stamp = :low THEN bundled + bgated + own + ogated ELSE -1 END FROM ntot)",
    ),
    MATCHES: ("", "", ":size"),  # the positions are ranks: see _ranks_sql
    _KNOWN: ("", "SELECT x, :q0 FROM pos", ":size"),
    BLOCKS: ("", "", ":size"),  # see _blocks_sql  # a line found before, by id (_batch_rows)
    SAID: ("", "", ":size"),  # ranks among the matches that pass the filters and gates: see _said_sql
}
# A SAID domain (stored before character+words cycles walked blocks, still walked to their end)
# held exactly the lines the audience may see when that name said the words at most 1,536 times;
# no new cycle starts one (a character's words across stories plan as SAID: _SAID_PLAN_SQL, and walk blocks).
# A character+words filter walks the matches that name said when at most this many (stepping to a
# rank costs about 0.15 us a match passed; counting them for a new cycle as much), else the name's lines.
_SAID_MATCHES_MAX = 16_384
# A character+words filter across stories counts the matches among this many consecutive ids, up to
# _SAID_PROBE of them, to size its blocks (at most 0.2-0.5 ms, at any library size).
_SAID_WINDOW = 1 << 17
_SAID_PROBE = 256
# ... and makes blocks of about this many of them: two doclists intersected cost about 8 us a match
# found (a sparse intersection seeks through both), so a first pick reads about 0.3 ms of one block.
_SAID_BLOCK_MATCHES = 32


def _matches_max(filters: QuoteFilters) -> int:
    """The most matches a cycle walks as its domain (counted up to one more for a new cycle)."""
    return _SAID_MATCHES_MAX if filters.character is not None else _MATCHES_MAX


def _said_sql(limited: bool) -> str:
    """The full-text matches with rowid in [:low, :high] that a character with the filter's name
    said, in a story the audience may see (within its spoiler limits), by rowid: the SAID domain.
    One pass over the word's matches, each checked with index seeks."""
    checks = [_VISIBLE_SQL, _SHOWN_SQL] if limited else [_VISIBLE_SQL]
    return (
        "SELECT quotes_fts.rowid AS id FROM quotes_fts JOIN quotes AS q ON q.id = quotes_fts.rowid"
        " JOIN stories AS s ON s.id = q.story_id WHERE quotes_fts MATCH :fts"
        " AND quotes_fts.rowid BETWEEN :low AND :high AND q.character_id IN (SELECT id FROM characters"
        " WHERE name_key = :name UNION SELECT character_id FROM aliases WHERE alias_key = :name)"
        f" AND {' AND '.join(checks)}"
    )


@functools.cache
def _batch_sql(
    domain: str, positions: int, story: bool, named: bool, words: bool, limited: bool = False, checks_only: bool = False,
    gated: bool = False, whole: bool = False,
) -> str:
    """One query for a batch of positions: per position its _CARD_COLUMNS (NULL where the domain
    has no line there; with `checks_only`, _CHECK_COLUMNS), the position, whether the line passes
    every filter and the audience's gates, and the domain's size now. MATCHES wants its positions in
    ascending order, and numbers the matches up to the furthest instead of stepping to each when
    `positions` is negative. `limited`: the audience has spoiler limits (bound as :limits). `gated`
    (BLOCKS): the blocks give only lines the audience may see (see _blocks_sql); `whole` (BLOCKS): each
    block's matches by id, its own order left to the caller (_blocks_sql)."""
    ctes, at, size_now = _DOMAINS[domain]
    if domain == BLOCKS:
        pos, ctes, at = "", _hidden_cte(positions), _blocks_sql(positions, limited, gated, whole)
    elif domain == MATCHES and positions > 0:
        pos, ctes, at = "", _ranks_sql(positions), " UNION ALL ".join(f"SELECT * FROM k{i}" for i in range(positions))
    elif domain in (MATCHES, SAID):
        # Every match up to the furthest rank, numbered (cheaper than stepping when the ranks are dense).
        pos = "pos (x) AS (VALUES " + ", ".join(f"(:x{i})" for i in range(abs(positions))) + ")"
        found = (_said_sql(limited) + " ORDER BY quotes_fts.rowid" if domain == SAID else "SELECT rowid AS id"
                 " FROM quotes_fts WHERE quotes_fts MATCH :fts AND rowid BETWEEN :low AND :high ORDER BY rowid")
        ctes = ("m (id, rank) AS MATERIALIZED (SELECT id, row_number() OVER (ORDER BY id) - 1 FROM"
                f" ({found} LIMIT :reach) AS found)")
        at = "SELECT rank, id FROM m WHERE rank IN (SELECT x FROM pos)"  # IN: an index on the ranks
    else:
        pos = "pos (x) AS (VALUES " + ", ".join(f"(:x{i})" for i in range(positions)) + ")"
    checks = [_VISIBLE_SQL, _SHOWN_SQL] if limited else [_VISIBLE_SQL]
    if story:
        checks.append("q.story_id = :story")
    if named:
        checks.append(_NAMED_SQL)
    # The full-text probe is the dearest check: only for lines that passed the others.
    fts = ("CASE WHEN EXISTS (SELECT 1 FROM quotes_fts WHERE quotes_fts MATCH :fts AND rowid = q.id) THEN 1 ELSE 0 END"
           if words else "1")
    passes = f"CASE WHEN q.id IS NOT NULL AND {' AND '.join(checks)} THEN {fts} ELSE 0 END"
    return (
        "WITH " + ", ".join(filter(None, (pos, ctes, f"at (x, qid) AS ({at})")))
        + f" SELECT {_CHECK_COLUMNS if checks_only else _CARD_COLUMNS}, at.x, {passes}, {size_now} FROM at"
        " LEFT JOIN quotes AS q ON q.id = at.qid LEFT JOIN stories AS s ON s.id = q.story_id"
        + ("" if checks_only else _CARD_JOINS)
    )


def _ranks_sql(positions: int) -> str:
    """The matches at ranks :x0 < :x1 < ... as CTEs k0, k1, ...: each steps :d<i> matches on from
    the previous one's rowid (OFFSET skips them in FTS5's doclist, about 20 times cheaper per
    match than numbering them with a window), so a batch costs one pass to its furthest rank."""
    first = ("k0 (x, id) AS MATERIALIZED (SELECT :x0, (SELECT rowid FROM quotes_fts WHERE quotes_fts MATCH :fts"
             " AND rowid BETWEEN :low AND :high ORDER BY rowid LIMIT 1 OFFSET :x0))")
    return ", ".join([first] + [
        f"k{i} (x, id) AS MATERIALIZED (SELECT :x{i}, (SELECT rowid FROM quotes_fts WHERE quotes_fts MATCH :fts"
        f" AND rowid > (SELECT id FROM k{i - 1}) AND rowid <= :high ORDER BY rowid LIMIT 1 OFFSET :d{i}))"
        for i in range(1, positions)
    ])


_BLOCK_MATCHES = 64  # matches a block of a BLOCKS domain is made to hold, by the estimated density
_BLOCK_PROBE = 1024  # matches a new word filter counts (and where the last is) to estimate their density
_WORD_WINDOW = _SAID_WINDOW  # ... and the ids of the window at a random place where it counts them again
_WINDOW_FLOOR = 64  # ... whose density is taken down to a 64th of the first matches', not lower
_WINDOW_SPAN = 4  # ... counted only over a range of more than this many windows
_MAX_BLOCK_BITS = 24
# At most 2^18 blocks: a block holds about _BLOCK_MATCHES matches up to 2^22 ids (10^7 lines: 38 ids a
# block). The density is the lower of two estimates, the first _BLOCK_PROBE matches and a window of
# _WORD_WINDOW ids at a random place (_plan_sql), so a word whose first matches crowd one story is
# not walked in blocks sized for that story (most of them empty).
_MAX_BLOCK_COUNT_BITS = 18
# Blocks one query reads when the blocks before held no acceptable line (twice as many each time,
# four times when ungated they gave no line at all: hidden stories' blocks, passed for a few index
# seeks each (_HIDDEN_CTE), or blocks without a match). Not more: SQLite prepares a statement of
# 16 blocks in about 13 ms of CPU on this machine, and one of 64 in 140-290 ms (once per connection,
# but a stall).
_MAX_BLOCKS_AT_ONCE = 16
_MAX_BLOCK_ROWS = 1024  # lines one BLOCKS query returns at most (blocks times the lines read per block)
# PostgreSQL, words alone across stories: its full-text index (GIN) yields rows, not ids in order, so the
# first _BLOCK_PROBE matches by id are found by reading the primary key in order and testing each row
# (up to _BLOCK_PROBE / density rows: 160,000 for a word in 0.6 % of 10^6 lines, 121 ms) or by reading
# every match's row (its frequency times the library); either grows with the library. There the first
# matches are counted among the range's first _PG_FIRST_IDS ids only, the window at a random place is at
# most _PG_WORD_WINDOW ids (a bitmap of 131,072 ids of the primary key: 9-16 ms), and only a word with
# fewer than _PG_FEW matches among those first ids and in the window together (a word in under about
# 0.2 % of the lines) has its matches counted across the range, up to _BLOCK_PROBE (its index entries,
# then up to _BLOCK_PROBE rows). Each part reads at most a few thousand rows at any library size
# (branch pg14, docs/benchmarks.md).
_PG_FIRST_IDS = 4096
_PG_WORD_WINDOW = 4096
_PG_FEW = 16


def _block_bits(domain: str) -> int | None:
    """A BLOCKS domain's bits per block (None for other domains)."""
    return int(domain[len(BLOCKS) + 1:]) if domain.startswith(BLOCKS + ":") else None


def _blocks_domain(
    low: int, high: int, matches: int, last: int, spread: int | None = None, per_block: int | None = None
) -> tuple[str, int]:
    """A BLOCKS domain over ids [low, high] and its size, from the full-text matches counted there
    (up to _BLOCK_PROBE) and the id of the last one counted, or counted among `spread` ids (a
    window, _SAID_WINDOW): blocks of about `per_block` matches (_BLOCK_MATCHES)."""
    lines = max(1, high - low + 1)
    if spread is None:
        spread = lines if matches < _BLOCK_PROBE else max(1, last - low + 1)
    wanted = (per_block or _BLOCK_MATCHES) * spread / max(1, matches)
    bits = max(4, (max(1, int(wanted)) - 1).bit_length(), (lines - 1).bit_length() - _MAX_BLOCK_COUNT_BITS)
    bits = min(_MAX_BLOCK_BITS, bits)
    blocks = -(-lines // (1 << bits))
    return f"{BLOCKS}:{bits}", blocks << bits


def _block_keys(seed: int, block: int, bits: int) -> tuple[int, int, int, int, int]:
    """The keys of a block's own order (a, c, m, e odd-or-any, and the shift h): see block_slot."""
    mask = (1 << bits) - 1
    z1, z2 = _mix(seed, 4, block), _mix(seed, 5, block)
    return (z1 & mask) | 1, (z1 >> 32) & mask, (z2 & mask) | 1, (z2 >> 32) & mask, max(1, bits // 2)


def block_slot(offset: int, seed: int, block: int, bits: int) -> int:
    """Where the line `offset` ids into a block comes in the block's order: a bijection of
    0..2^bits-1 (multiplying by an odd number, adding and xor-shifting right each are), computed the
    same way by _blocks_sql in the database."""
    a, c, m, e, h = _block_keys(seed, block, bits)
    mask = (1 << bits) - 1
    y = (offset * a + c) & mask
    y ^= y >> h
    z = (y * m + e) & mask
    return z ^ (z >> h)


def _first_id(s: str) -> str:
    return f"(SELECT id FROM quotes WHERE story_id = {s}.id AND seq = 0)"


def _last_id(s: str) -> str:
    return f"(SELECT id FROM quotes WHERE story_id = {s}.id AND seq = {s}.quote_count - 1)"


def _hidden_story(story_id: str) -> str:
    """The story `story_id` is one the audience may not see (one index seek)."""
    return (f"(SELECT CASE WHEN {_VISIBLE_SQL.replace('s.', 'sv.')} THEN 0 ELSE 1 END FROM stories AS sv"
            f" WHERE sv.id = {story_id}) = 1")


_HIDDEN_STORIES = 64  # stories a block may span and still be passed by index seeks when all are hidden

# hid (b, h): h = 1 when every id of block b of a BLOCKS batch ([:lo<b>, :hi<b>]) is a line of a story
# the audience may not see (another server's, one rated for adults only). The stories from its first
# id's to its last id's (at most _HIDDEN_STORIES, by story id) must all be hidden and tile the ids
# from the first one's first line to the last one's last line: each story's lines lie in that span
# and their quote_counts add up to its length, so no id in it is another story's (ids grow with seq as
# the loader writes a story's lines). Index seeks only, whatever the block's matches: joined first
# (_blocks_sql), it keeps the block's full-text query from running at all. 0 when unsure (stories
# whose ids interleave, ids of stories out of their ids' order, a missing id): the block's matches
# are read and checked one by one; so when a story in the span is staged or being discarded (a negative
# scope: its quote_count is its whole text's while its rows come and go in chunks) or lacks its first or
# last line. One row per block (he), planned once whatever the number of blocks.
_HIDDEN_CTE = (
    # Per block and story of its span: whether the audience may see the story, whether it is staged or
    # being discarded, its quote_count and, only for a story the audience may not see (a visible one
    # decides the block: h = 0), its first and last lines' ids: two index seeks a hidden story, once each.
    f"hs (b, lo, hi, v, neg, qc, f, l) AS MATERIALIZED (SELECT he.b, he.lo, he.hi,"
    f" CASE WHEN {_VISIBLE_SQL.replace('s.', 'st.')} THEN 1 ELSE 0 END, CASE WHEN st.scope < 0 THEN 1 ELSE 0 END,"
    f" st.quote_count, CASE WHEN {_VISIBLE_SQL.replace('s.', 'st.')} THEN NULL ELSE {_first_id('st')} END,"
    f" CASE WHEN {_VISIBLE_SQL.replace('s.', 'st.')} THEN NULL ELSE {_last_id('st')} END"
    # (A block whose first or last line is in a story the audience may see is not flagged: its stories
    # are not listed at all, two seeks, for most blocks of a walk over a library the audience mostly sees.)
    # (Scalar subqueries, each one seek: joined, SQLite built a Bloom filter of every story, or line.)
    f" FROM he JOIN stories AS st ON st.id BETWEEN he.a AND he.z AND he.z - he.a < {_HIDDEN_STORIES}"
    f" WHERE {_hidden_story('he.a')} AND {_hidden_story('he.z')}),"
    " hx (b, h) AS MATERIALIZED (SELECT b, CASE WHEN count(*) > 0 AND sum(v) = 0 AND sum(neg) = 0"
    " AND sum(CASE WHEN qc > 0 AND (f IS NULL OR l IS NULL) THEN 1 ELSE 0 END) = 0"
    " AND sum(qc) = max(l) - min(f) + 1 AND min(f) <= min(lo) AND max(l) >= max(hi) THEN 1 ELSE 0 END"
    " FROM hs GROUP BY b),"
    " hid (b, h) AS MATERIALIZED (SELECT he.b, coalesce(hx.h, 0) FROM he LEFT JOIN hx ON hx.b = he.b)"
)


@functools.cache
def _hidden_cte(blocks: int) -> str:
    """The CTEs of a BLOCKS batch of `blocks` blocks, `hid` telling its hidden blocks (_HIDDEN_CTE)."""
    return ("hv (b, lo, hi) AS (VALUES " + ", ".join(f"({i}, :lo{i}, :hi{i})" for i in range(blocks)) + "),"
            " he (b, lo, hi, a, z) AS MATERIALIZED (SELECT b, lo, hi, (SELECT story_id FROM quotes WHERE id = hv.lo),"
            " (SELECT story_id FROM quotes WHERE id = hv.hi) FROM hv), " + _HIDDEN_CTE)


def _xor_shift(v: str) -> str:
    return f"(({v} | ({v} / :div)) - ({v} & ({v} / :div)))"  # v XOR (v >> h) (:div = 2^h), in both engines


@functools.cache
def _blocks_sql(blocks: int, limited: bool = False, gated: bool = False, whole: bool = False) -> str:
    """The CTE body of a BLOCKS batch: per block i (ids [:lo<i>, :hi<i>], first at :base<i>), its
    full-text matches in the block's order from slot :from<i> on, at most :n, as (position, id).
    `limited` (spoiler limits) or `gated`: only the matches the audience may see (server scope, age
    gate, limits), so a block whose lines are mostly past the limits, or of another server's story
    or one rated for adults only, still gives up to :n lines at once (or nothing) instead of :n
    lines a walk passes over; at a cost per match (two index seeks: about +50% a block at 10^7).
    Gated or not, a block of stories the audience may not see gives nothing for a few index seeks
    a story (the CTE `hid`, _HIDDEN_CTE), its matches unread.
    `whole`: per block i its first :cap matches by id as (i, id), in no order of the block's own: the
    caller computes each one's slot (block_slot) and orders them (_block_rows' whole-block read)."""
    checks = [_VISIBLE_SQL, _SHOWN_SQL] if limited else [_VISIBLE_SQL]
    # Each match's gates by index seeks (a join let SQLite scan every story into a Bloom filter a block).
    gates = (" WHERE EXISTS (SELECT 1 FROM quotes AS q JOIN stories AS s ON s.id = q.story_id"
             f" WHERE q.id = quotes_fts.rowid AND {' AND '.join(checks)}) AND" if limited or gated else " WHERE")
    if whole:
        return " UNION ALL ".join(
            f"SELECT * FROM (SELECT {i} AS x, quotes_fts.rowid AS id FROM hid CROSS JOIN quotes_fts{gates} hid.b = {i}"
            f" AND hid.h = 0 AND quotes_fts MATCH :fts AND quotes_fts.rowid BETWEEN :lo{i} AND :hi{i}"
            f" ORDER BY quotes_fts.rowid LIMIT :cap) AS u{i}" for i in range(blocks))
    parts = []
    for i in range(blocks):
        parts.append(
            f"SELECT * FROM (SELECT :at{i} + slot AS x, id FROM (SELECT id, {_xor_shift('z')} AS slot FROM"
            f" (SELECT id, ((({_xor_shift('y')}) * :m{i}) + :e{i}) & :mask AS z FROM"
            f" (SELECT quotes_fts.rowid AS id, (((quotes_fts.rowid - :base{i}) * :a{i}) + :c{i}) & :mask AS y"
            f" FROM hid CROSS JOIN quotes_fts{gates} hid.b = {i} AND hid.h = 0"
            f" AND quotes_fts MATCH :fts AND quotes_fts.rowid BETWEEN :lo{i} AND :hi{i}) AS r{i})"
            f" AS s{i}) AS t{i} WHERE slot >= :from{i} ORDER BY slot LIMIT :n) AS u{i}"
        )
    return " UNION ALL ".join(parts)


async def _block_rows(
    store: Store | _OnThread, cycle: _Cycle, audience: Audience, bits: int, blocks: int, n: int,
    probe: _LimitsProbe | None = None, checks_only: bool = False, gated: bool = False, whole: bool = False,
) -> tuple[list[tuple[int, Sequence]], int, int, bool]:
    """The next lines of a BLOCKS cycle from its cursor: (cursor, row) in cursor order for at most `n`
    matches per block (`gated`, or under limits: matches the audience may see) over up to `blocks`
    blocks, the cursor every position before which was examined, the number of matches read, and
    whether a block returned `n` lines (it may hold more after them: the cursor stops there). A
    `probe` not yet read is read in the same round trip. `whole` (a steady walk on SQLite, with
    `checks_only`): every match of the blocks, ordered here (_whole_blocks), however many `n` is."""
    size = cycle.size
    pass_base = 0 if cycle.cursor < size else size
    x0 = cycle.cursor - pass_base
    count = size >> bits
    first = x0 >> bits
    blocks = min(blocks, count - first)
    mask = (1 << bits) - 1
    story, named, _ = _domain_checks(cycle)
    params: dict[str, object] = {
        "scope": audience.scope, "adult": int(audience.adult), "story": cycle.story_id,
        # The matches of the words, said by a character of the filter's name when it has one.
        "name": (cycle.character or "").casefold(), "fts": said_query(cycle.contains, cycle.character),
        "size": size, "limits": audience.limits.key(), "last": _last_chapter(audience, cycle.story_id),
        "mask": mask, "n": n, "div": 1 << max(1, bits // 2),
    }
    order = [permute(j, count, cycle.seed) for j in range(first, first + blocks)]  # the blocks read
    for i, block in enumerate(order):
        j = first + i
        a, c, m, e, _ = _block_keys(cycle.seed, block, bits)
        base = cycle.low + (block << bits)
        params.update({f"at{i}": j << bits, f"base{i}": base, f"lo{i}": base, f"hi{i}": min(base + mask, cycle.high),
                       f"from{i}": x0 & mask if i == 0 else 0, f"a{i}": a, f"c{i}": c, f"m{i}": m, f"e{i}": e})
    limited = not audience.limits.unlimited
    gated = gated or limited
    end, full = (first + blocks) << bits, False
    if whole and checks_only and not first <= cycle.dense < first + blocks:
        # A steady walk on SQLite: each block's matches by id, ordered here (_whole_blocks), all kept.
        params["cap"] = _WHOLE_BLOCK_CAP
        sql = _batch_sql(BLOCKS, blocks, story, named, False, limited, True, gated, True)
        rows = await _rows(store, sql, params, probe)
        whole = _whole_blocks(rows, cycle.seed, cycle.low, bits, order, first, x0 & mask)
        if whole is not None:
            found = sorted((row[_CARD_WIDTH], row) for row in _widen(whole))
            return [(pass_base + x, row) for x, row in found], pass_base + end, len(rows) + (blocks if gated else 0), False
        # A block denser than _WHOLE_BLOCK_CAP matches: ordered by the database after all, n of it, and
        # remembered, so the walks after this one inside it do not read it whole again first.
        cycle.dense = first + _dense_block(rows, blocks)
    sql = _batch_sql(BLOCKS, blocks, story, named, False, limited, checks_only, gated)
    rows = await _rows(store, sql, params, probe)
    if checks_only:
        rows = _widen(rows)
    found = sorted((row[_CARD_WIDTH], row) for row in rows)
    for i in range(blocks):  # a block that returned `n` lines may hold more after the last one
        in_block = [x for x, _ in found if x >> bits == first + i]
        if len(in_block) >= n:
            end, full = in_block[-1] + 1, True
            break
    # Gated, a block whose lines the audience may not see (or are past its limits) returns
    # nothing: it counts as a line examined.
    examined = len(rows) + (blocks if gated else 0)
    return [(pass_base + x, row) for x, row in found if x < end], pass_base + end, examined, full


# A steady walk on SQLite (a cycle's later walks, whose lines are kept between picks) reads each block's
# matches whole, by id, and orders them here by block_slot, rather than have the database compute each
# match's slot and sort (the slot expression, flattened by SQLite's planner, cost about 500 virtual-machine
# steps a match: at 10^6-10^7 quotations 1.4-2.2 ms a 64-match block statement against 0.7-1.3 read by id
# and 0.1 to order in Python, under load 7-8). It keeps every acceptable line of the block (a block holds
# 64-128 matches: blocks are sized to at least _BLOCK_MATCHES, in powers of two), so walks come rarer too.
# At most this many matches a block: a block holding more (a word crowding a few stories) is read by the
# database's order instead, _BLOCK_MATCHES of it at a time.
_WHOLE_BLOCK_CAP = 4 * _BLOCK_MATCHES


def _dense_block(rows: Sequence[Sequence], blocks: int) -> int:
    """The index in its batch of the first block a whole-block read found _WHOLE_BLOCK_CAP matches in."""
    counts = [0] * blocks
    for row in rows:
        counts[row[4]] += 1
    return next((i for i, c in enumerate(counts) if c >= _WHOLE_BLOCK_CAP), 0)


def _pass_block(cycle: _Cycle, at: int, bits: int) -> int:
    """The index in its pass of the block holding position `at`."""
    return (at - (0 if at < cycle.size else cycle.size)) >> bits


def _whole_blocks(
    rows: Sequence[Sequence], seed: int, low: int, bits: int, blocks: Sequence[int], first: int, start: int
) -> list[tuple] | None:
    """Rows of a whole-block read (_CHECK_COLUMNS, the block's index in the batch, checks, size) as a
    BLOCKS batch returns them: the index replaced by the line's position (the block's first position
    plus its slot, ids counted from the domain's `low`); only the first block's positions from slot `start` on (the walk read the rest
    before). None when a block gave _WHOLE_BLOCK_CAP rows (it may hold more)."""
    counts = [0] * len(blocks)
    for row in rows:
        counts[row[4]] += 1
    if any(c >= _WHOLE_BLOCK_CAP for c in counts):
        return None
    mask = (1 << bits) - 1
    keys = [_block_keys(seed, block, bits) for block in blocks]
    out = []
    for row in rows:
        if row[0] is None:  # a full-text row whose line is gone (a damaged index): not acceptable
            continue
        i = row[4]
        a, c, m, e, h = keys[i]
        y = ((row[0] - low - (blocks[i] << bits)) * a + c) & mask
        y ^= y >> h
        z = (y * m + e) & mask
        slot = z ^ (z >> h)
        if i or slot >= start:
            out.append((*row[:4], ((first + i) << bits) + slot, *row[5:]))
    return out


# The block a steady walk reads next, read ahead (SQLite). A steady walk of a word filter reads a block
# whole and keeps its acceptable lines: the picks after take them one by one (0.3-0.5 ms each), and the
# pick that finds none left read the next block (about 1 pick in 15-40: 0.6-2.4 ms of statement at
# 10^6-10^7 quotations, its 40-130 quote rows mostly on pages not read before, plus the Python ordering
# them), which set the p99. Now the first _SLICES picks taking a block's kept lines each also read
# one slice of the next block's ids, in the same job (one round trip still), and the walk finds the
# block read: its cost is spread over picks, each paying its share in its own time. The slices'
# lines are the block's read whole (the same statement over a part of the ids: each line's slot, the
# cap), and each is checked in full again when shown, as a line kept by a walk is (_known_line), so
# a line read ahead and since removed, re-rated or past a new limit is passed over. Slices a walk
# finds unread (a block whose lines ran out in fewer picks) it reads itself, in one statement.
_SLICES = 4


def _slice_query(
    cycle: _Cycle, audience: Audience, bits: int, at: int, k: int, to_end: bool = False
) -> tuple[str, dict[str, object], int, int, bool]:
    """The statement reading slice `k` of the block at position `at` whole (to the block's end with
    `to_end`), its parameters, the block, its index in the pass, and whether the slice holds ids."""
    size = cycle.size
    j = (at - (0 if at < size else size)) >> bits
    block = permute(j, size >> bits, cycle.seed)
    width = (1 << bits) // _SLICES
    lo = cycle.low + (block << bits) + k * width
    hi = min(cycle.low + (block << bits) + (1 << bits) - 1 if to_end or k == _SLICES - 1 else lo + width - 1,
             cycle.high)
    story, named, _ = _domain_checks(cycle)
    limited = not audience.limits.unlimited
    params: dict[str, object] = {
        "scope": audience.scope, "adult": int(audience.adult), "story": cycle.story_id,
        "name": (cycle.character or "").casefold(), "fts": said_query(cycle.contains, cycle.character),
        "size": size, "limits": audience.limits.key(), "last": _last_chapter(audience, cycle.story_id),
        "lo0": lo, "hi0": hi, "cap": _WHOLE_BLOCK_CAP,
    }
    return _batch_sql(BLOCKS, 1, story, named, False, limited, True, limited, True), params, block, j, lo <= hi


def _slice_lines(
    rows: Sequence[Sequence], cycle: _Cycle, bits: int, block: int, j: int
) -> tuple[int, list[tuple[int, int, bool, bool]] | None]:
    """A slice's rows (a whole-block read's) as (the rows read, its lines): per line its position in the
    pass, id, whether it passes the filters and gates and is quotable, and whether its speaker is sure;
    no lines when the slice alone reached _WHOLE_BLOCK_CAP (the block is read in the database's order)."""
    whole = _whole_blocks(rows, cycle.seed, cycle.low, bits, (block,), j, 0)
    if whole is None:
        return len(rows), None
    return len(rows), [(r[4], r[0], bool(r[5]) and quotable(r[1]), confident(r[2], r[3])) for r in whole]


def _read_ahead(conn: sqlite3.Connection, cycle: _Cycle, audience: Audience, at: int, k: int) -> None:
    """On the connection's thread, in a pick's job: read slice `k` of the block the next walk reads,
    unless a walk has moved on from it (walks run on this thread too, so they never overlap this)."""
    bits = _block_bits(cycle.domain)
    if bits is None or cycle.next_at != at or k in cycle.slices:
        return
    if cycle.dense == _pass_block(cycle, at, bits):
        return  # (the walk reads that block in the database's order: slices would be read for nothing)
    sql, params, block, j, ids = _slice_query(cycle, audience, bits, at, k)
    cycle.slices[k] = _slice_lines(conn.execute(sql, params).fetchall() if ids else [], cycle, bits, block, j)
    if cycle.slices[k][1] is None or sum(n for n, _ in cycle.slices.values()) >= _WHOLE_BLOCK_CAP:
        cycle.dense = j


async def _read_ahead_lines(
    store: Store | _OnThread, cycle: _Cycle, audience: Audience, bits: int, probe: _LimitsProbe | None
) -> tuple[list[tuple[int, int, bool, bool]], int] | None:
    """The lines of the block at the cursor, read ahead (_read_ahead), the slices not read yet read
    now in one statement: (the lines in cursor order, the block's end), or None when it was not the
    block read ahead or holds _WHOLE_BLOCK_CAP matches or more (it is read in the database's order)."""
    at, slices = cycle.next_at, cycle.slices
    cycle.next_at, cycle.claimed, cycle.slices = -1, 0, {}
    if at != cycle.cursor or cycle.dense == _pass_block(cycle, at, bits):
        return None
    read, lines = 0, []
    k = 0
    while k < _SLICES and k in slices:
        count, got = slices[k]
        if got is None:
            cycle.dense = _pass_block(cycle, at, bits)
            return None
        read, k = read + count, k + 1
        lines += got
    if k < _SLICES and read < _WHOLE_BLOCK_CAP:  # the rest of the block at once (a slice read later than one
        # missing is read again)
        sql, params, block, j, ids = _slice_query(cycle, audience, bits, at, k, to_end=True)
        count, got = _slice_lines(await _rows(store, sql, params, probe) if ids else [], cycle, bits, block, j)
        if got is None:
            cycle.dense = j
            return None
        read += count
        lines += got
    if read >= _WHOLE_BLOCK_CAP:
        cycle.dense = _pass_block(cycle, at, bits)  # (the walk reads it in the database's order, not whole again)
        return None
    pass_base = 0 if at < cycle.size else cycle.size
    return sorted((pass_base + x, line, ok, sure) for x, line, ok, sure in lines), at + (1 << bits)


def _domain_checks(cycle: _Cycle) -> tuple[bool, bool, bool]:
    """Which filters the domain does not already enforce: (story, character name, words)."""
    blocks = _block_bits(cycle.domain) is not None
    story = cycle.story_id is not None and (blocks or cycle.domain in (LINE, MATCHES, SPEAKERS, SAID))
    named = cycle.character is not None and not blocks and cycle.domain not in (SPEAKER, SPEAKERS, SAID)
    words = cycle.contains is not None and not blocks and cycle.domain not in (MATCHES, SAID)
    return story, named, words


async def _batch_rows(
    store: Store | _OnThread, cycle: _Cycle, audience: Audience, cursors: Sequence[int], line: int | None = None,
    probe: _LimitsProbe | None = None, checks_only: bool = False, then: Callable[[sqlite3.Connection], None] | None = None,
) -> tuple[list[tuple[int, Sequence]], int]:
    """(cursor, row) for a batch of cursors, in cursor order, and the domain's size now. With
    `line`, the id of the one cursor's line (known from an earlier query), every filter is checked
    on that line instead of finding it in the domain again. With a `probe` not yet read, the
    reader's limits are read too, in the same round trip. `checks_only`: rows of _CHECK_COLUMNS.
    `then` (SQLite): run on the connection's thread after the query, in the same job (_read_ahead)."""
    sql, params, cursor_at = _batch_query(cycle, audience, cursors, line, checks_only)
    rows = await _rows(store, sql, params, probe, then)
    if checks_only:
        rows = _widen(rows)
    return _batch_found(cycle, cursor_at, rows)


def _batch_found(
    cycle: _Cycle, cursor_at: dict[int, int], rows: Sequence[Sequence]
) -> tuple[list[tuple[int, Sequence]], int]:
    found = sorted((cursor_at[row[_CARD_WIDTH]], row) for row in rows)
    return found, rows[0][_CARD_WIDTH + 2] if rows else cycle.size


def _batch_query(
    cycle: _Cycle, audience: Audience, cursors: Sequence[int], line: int | None = None, checks_only: bool = False,
) -> tuple[str, dict[str, object], dict[int, int]]:
    """_batch_rows' statement, its parameters and the cursor at each position."""
    story, named, words = _domain_checks(cycle)
    domain = cycle.domain
    if line is not None:
        domain, story, named = _KNOWN, cycle.story_id is not None, cycle.character is not None
        words = cycle.contains is not None
    params: dict[str, object] = {
        "scope": audience.scope, "adult": int(audience.adult), "story": cycle.story_id,
        "name": (cycle.character or "").casefold(),
        # The matches a name said (the domain's ranks); a probe of a line of the domain needs the words only
        # where the domain holds only lines of that name.
        "fts": said_query(cycle.contains, None if cycle.domain in (SPEAKER, SPEAKERS) else cycle.character),
        "low": cycle.low, "high": cycle.high, "size": cycle.size,
        "limits": audience.limits.key(), "last": _last_chapter(audience, cycle.story_id),
    }
    if line is not None:
        params["q0"] = line
    # Cursors of one batch lie in one pass, so their positions are distinct.
    cursor_at = {permute(cursor % cycle.size, cycle.size, cycle.seed): cursor for cursor in cursors}
    previous = -1
    for i, x in enumerate(sorted(cursor_at)):
        params[f"x{i}"], params[f"d{i}"], previous = x, x - previous - 1, x
    params["reach"] = previous + 1
    positions = len(cursor_at)
    if domain == MATCHES and (positions > _MAX_STEPPED or _WINDOW_US * previous < _MATCH_US * positions):
        positions = -positions
    limited = not audience.limits.unlimited
    return _batch_sql(domain, positions, story, named, words, limited, checks_only), params, cursor_at


def _last_chapter(audience: Audience, story_id: int | None) -> int | None:
    return None if story_id is None else audience.limits.last_chapter(story_id)


@dataclass(frozen=True, slots=True)
class _Plan:
    """What a new cycle for the filters would walk, read with the stored cycle."""

    domain: str
    size: int  # 0: no line can match
    character: int  # SPEAKER: the story's character of that name
    low: int  # the rowids the filter's lines can have
    high: int
    matches: int | None  # full-text matches in [low, high], counted up to `cap`
    said: int | None  # always NULL now (see _SAID_PLAN_SQL); kept so the plan's columns keep their places
    stamp: int = 0  # SPEAKERS: the name lines' stamp (_NAME_TOTALS_CTE)
    last: int = 0  # words without a character: the id of the last match counted; SAID: the ids they spread over
    window: int | None = None  # words alone: the matches counted in a window of ids at a random place ...
    window_spread: int = 0  # ... and the ids they spread over (the window's when fewer than _SAID_PROBE)
    story_hash: str | None = None  # with a story: its content hash (_restart_in_memory)
    # PostgreSQL, words alone across stories (_PG_FIRST_IDS): the ids the first matches (`matches`) were
    # counted over, when fewer than :cap (None: up to the last one counted, as elsewhere), and when there
    # were fewer than _PG_FEW, the matches across the range up to _BLOCK_PROBE (else None).
    first_spread: int | None = None
    total: int | None = None


# The character a story+character filter names (canonical name first, then aliases).
_STORY_CHARACTER = (
    "(SELECT id FROM characters WHERE story_id = :story AND name_key = :name"
    " UNION ALL SELECT character_id FROM aliases WHERE story_id = :story AND alias_key = :name LIMIT 1)"
)


# A character+words filter across stories (plan domain SAID): whether a character of that name
# has lines the audience may see (index seeks to the first), the ids [1, max], and the matches of
# the words said by that name among _SAID_WINDOW consecutive ids at a random place, up to
# _SAID_PROBE of them, with the ids they spread over (a window's worth when fewer): reading them
# costs the same at any library size, and they size the blocks the cycle walks.
_SAID_PLAN_SQL = (
    "WITH r (high) AS MATERIALIZED (SELECT coalesce((SELECT max(id) FROM quotes), 0)),"
    " w (lo) AS MATERIALIZED (SELECT 1 + CAST(:u * max(0, high - :window) AS INTEGER) FROM r),"
    " m (n, last) AS MATERIALIZED (SELECT count(*), coalesce(max(id), 0) FROM (SELECT rowid AS id FROM quotes_fts"
    "  WHERE quotes_fts MATCH :fts AND rowid BETWEEN (SELECT lo FROM w) AND (SELECT lo FROM w) + :window - 1"
    "  ORDER BY rowid LIMIT :cap) AS f)"
    # (Two EXISTS, each stopping at the first such character: a UNION of the names' ids would list them all.)
    " SELECT CASE WHEN EXISTS (SELECT 1 FROM characters AS c JOIN stories AS s ON s.id = c.story_id"
    f"  WHERE c.name_key = :name AND c.lines > 0 AND {_VISIBLE_SQL})"
    " OR EXISTS (SELECT 1 FROM aliases AS a JOIN characters AS c ON c.id = a.character_id"
    f"  JOIN stories AS s ON s.id = c.story_id WHERE a.alias_key = :name AND c.lines > 0 AND {_VISIBLE_SQL})"
    "  THEN 1 ELSE 0 END, 0, 1, (SELECT high FROM r),"
    " (SELECT n FROM m), NULL,"
    " c.id, c.story_id, c.character, c.contains, c.adult, c.seed, c.size, c.cut, c.cursor,"
    " c.domain, c.low, c.high, 0,"
    " (SELECT CASE WHEN n >= :cap THEN last - lo + 1 ELSE min(:window, high) END FROM m, w, r), c.returned, NULL, 0,"
    " NULL, NULL, NULL"
    " FROM (SELECT 1) AS one LEFT JOIN quote_cycles AS c ON c.scope = :scope AND c.filter_key = :key"
)


@functools.cache
def _plan_sql(domain: str, words: bool, story: bool, limited: bool, dialect: str = "sqlite") -> str:
    """The stored cycle (if any) and, for a new one, the domain's size, the character (SPEAKER),
    the range of rowids the filter's lines can have and how many full-text matches it holds."""
    if domain == SAID:
        # PostgreSQL, which cannot tell how wide the window is (its bounds are subqueries), read its every
        # id of the primary key into a bitmap (131,072 ids: 27 ms, 37-72 ms the statement at 10^6): there
        # the window bounds only filter the matches of the words said by the name (one GIN intersection).
        return _SAID_PLAN_SQL if dialect == "sqlite" else _SAID_PLAN_SQL.replace(
            " AND rowid BETWEEN (SELECT lo FROM w)", " AND rowid + 0 BETWEEN (SELECT lo FROM w)")
    size_sql = "(SELECT bundled + bgated + own + ogated FROM ntot)" if domain == SPEAKERS else \
        _DOMAINS[domain][2].replace(":low", _STORY_CHARACTER)
    ctes = {LINE: _TOTALS_CTE, SPEAKERS: _NAME_TOTALS_CTE}.get(domain)
    if story:  # ids grow with seq (the loader inserts a story's quotes in order)
        low = "(SELECT id FROM quotes WHERE story_id = :story AND seq = 0)"
        high = ("(SELECT q.id FROM stories AS st JOIN quotes AS q ON q.story_id = st.id"
                " AND q.seq = st.quote_count - 1 WHERE st.id = :story)")
    else:
        low, high = "1", "(SELECT max(id) FROM quotes)"
    # The matches' rowid range. Across the library it holds every id: PostgreSQL, which cannot know
    # that (the bounds are subqueries), read every id of the primary key into a bitmap to intersect with
    # the words' (28 ms at 10^5 quotations, twice a plan): there the range is left out.
    in_range = "" if not story and dialect != "sqlite" else f" AND rowid BETWEEN {low} AND {high}"
    matches = (
        "(SELECT count(*) FROM (SELECT rowid FROM quotes_fts WHERE quotes_fts MATCH :fts"
        f"{in_range} LIMIT :cap) AS m)" if words else "NULL"
    )
    character = _STORY_CHARACTER if domain == SPEAKER else "0"
    said = "NULL"  # (a character's words across stories plan as SAID: _SAID_PLAN_SQL)
    last = "0"
    first_spread = total = "NULL"
    if words and domain in (LINE, STORY):  # (only words alone size blocks by it: a second count is all it would cost
        # a story's character's words, whose cycle starts afresh at nearly every pick when they match a line or two)
        # The first :cap matches by rowid, counted and the last one's id, in one full-text query (two before:
        # on PostgreSQL each visits the rows of the matches, 14 and 43 ms for a word of 3,824 at 10^6).
        # PostgreSQL across stories: among the first :first_ids ids only (_PG_FIRST_IDS).
        first_ids = f" AND rowid BETWEEN {low} AND {low} + :first_ids - 1" if not story and dialect != "sqlite" else ""
        ctes = ", ".join(filter(None, (ctes, (
            "pf (n, last) AS MATERIALIZED (SELECT count(*), coalesce(max(rowid), 0) FROM (SELECT rowid FROM quotes_fts"
            f" WHERE quotes_fts MATCH :fts{in_range}{first_ids} ORDER BY rowid LIMIT :cap) AS m)"))))
        matches, last = "(SELECT n FROM pf)", "(SELECT last FROM pf)"
        if first_ids:
            total = "(SELECT n FROM pt)"
            # The ids the first matches were counted over (NULL: up to the last one, the cap reached).
            first_spread = ("(SELECT CASE WHEN (SELECT n FROM pf) >= :cap THEN NULL"
                            " ELSE least(:first_ids, high - low + 1) END FROM pr)")
    stamp = "(SELECT stamp FROM ntot)" if domain == SPEAKERS else "0"
    window, spread = "NULL", "0"
    if words and domain == LINE:
        # Words alone across stories (walked in blocks; a story's range is mostly within one window,
        # where a second count only costs the first pick): the matches among _WORD_WINDOW ids at a random place too
        # (up to _SAID_PROBE of them), a second estimate of their density that the first ones' crowding
        # in a story does not sway (see _start_cycle).
        ctes = ", ".join(filter(None, (ctes, (
            f"pr (low, high) AS MATERIALIZED (SELECT coalesce({low}, 0), coalesce({high}, 0)),"
            " pw (lo) AS MATERIALIZED (SELECT low + CAST(:u * max(0, high - low + 1 - :window) AS INTEGER) FROM pr),"
            " pm (n, last) AS MATERIALIZED (SELECT count(*), coalesce(max(id), 0) FROM (SELECT rowid AS id"
            f" FROM quotes_fts WHERE (SELECT high - low + 1 FROM pr) > {_WINDOW_SPAN} * :window"
            " AND quotes_fts MATCH :fts AND rowid BETWEEN (SELECT lo FROM pw)"
            " AND min((SELECT lo FROM pw) + :window - 1, (SELECT high FROM pr)) ORDER BY rowid LIMIT :wcap) AS f)"
        ))))
        if dialect != "sqlite":
            # Fewer than :few matches among the first ids and in the window: the matches across the range, up
            # to :cap (counted only then: the CASE's other branch).
            ctes += (", pt (n) AS MATERIALIZED (SELECT CASE WHEN (SELECT n FROM pf) < :cap"
                     " AND (SELECT n FROM pf) + (SELECT n FROM pm) < :few"
                     " THEN (SELECT count(*) FROM (SELECT rowid FROM quotes_fts WHERE quotes_fts MATCH :fts LIMIT :cap)"
                     " AS t) END)")
        # Only over a range of more than _WINDOW_SPAN windows: in a smaller one the first matches
        # already sample much of it, and a second count would only cost the first pick.
        window = f"(SELECT CASE WHEN high - low + 1 > {_WINDOW_SPAN} * :window THEN (SELECT n FROM pm) END FROM pr)"
        spread = ("(SELECT CASE WHEN n >= :wcap THEN last - lo + 1 ELSE max(1, min(:window, high - low + 1)) END"
                  " FROM pm, pw, pr)")
    return (
        (f"WITH {ctes} " if ctes else "")
        + f"SELECT coalesce({size_sql}, 0), coalesce({character}, 0), coalesce({low}, 0), coalesce({high}, 0),"
        f" {matches}, {said}, c.id, c.story_id, c.character, c.contains, c.adult, c.seed, c.size, c.cut, c.cursor,"
        f" c.domain, c.low, c.high, {stamp}, {last}, c.returned, {window}, {spread},"
        f" {'(SELECT content_hash FROM stories WHERE id = :story)' if story else 'NULL'}, {first_spread}, {total}"
        " FROM (SELECT 1) AS one LEFT JOIN quote_cycles AS c ON c.scope = :scope AND c.filter_key = :key"
    )


# The stored cycle alone, in the columns of a plan's statement (_plan_sql): on PostgreSQL a pick reads
# the stored cycle at every pick and needs the plan only to start a new one (_find_stored).
_CYCLE_SQL = (
    "SELECT 0, 0, 0, 0, NULL, NULL, c.id, c.story_id, c.character, c.contains, c.adult, c.seed, c.size, c.cut,"
    " c.cursor, c.domain, c.low, c.high, 0, 0, c.returned, NULL, 0, NULL"
    " FROM (SELECT 1) AS one LEFT JOIN quote_cycles AS c ON c.scope = :scope AND c.filter_key = :key"
)


async def _load_cycle(store: Store | _OnThread, audience: Audience, key: str) -> _Cycle | None:
    """The stored cycle for (scope, key), without a plan (one index seek)."""
    (row,) = await store.db.execute_fetchall(_CYCLE_SQL, {"scope": audience.scope, "key": key})
    cycle = None if row[6] is None else _Cycle(*row[6:18], row=True)
    if cycle is not None:
        _parse_returned(cycle, row[20])
    return cycle


async def _load(
    store: Store | _OnThread, audience: Audience, filters: QuoteFilters, key: str, probe: _LimitsProbe | None = None,
    rng: random.Random = _RNG,
) -> tuple[_Cycle | None, _Plan]:
    """The stored cycle for (scope, key) and the plan for a new one, in one round trip (a `probe`
    not yet read in it too)."""
    if filters.character is not None and filters.story_id is None and filters.contains is not None:
        domain = SAID  # the plan only: its cycle walks blocks (_SAID_PLAN_SQL)
    elif filters.character is not None:
        domain = SPEAKER if filters.story_id is not None else SPEAKERS
    else:
        domain = STORY if filters.story_id is not None else LINE
    sql = _plan_sql(domain, filters.contains is not None, filters.story_id is not None, not audience.limits.unlimited,
                    store.dialect)
    params = {
        "scope": audience.scope, "adult": int(audience.adult), "story": filters.story_id, "key": key,
        "name": (filters.character or "").casefold(), "fts": said_query(filters.contains, filters.character),
        "cap": _matches_max(filters) + 1 if filters.character is not None else _BLOCK_PROBE, "last": _last_chapter(audience, filters.story_id),
        "limits": audience.limits.key(),
    }
    if domain == SAID:
        params = {k: params[k] for k in ("scope", "adult", "key", "name", "fts")}
        params.update({"u": rng.random(), "window": _SAID_WINDOW, "cap": _SAID_PROBE})
    elif filters.contains is not None and filters.character is None and filters.story_id is None:
        params.update({"u": rng.random(), "window": _WORD_WINDOW, "wcap": _SAID_PROBE})
        if store.dialect != "sqlite":
            params.update({"window": min(_WORD_WINDOW, _PG_WORD_WINDOW), "first_ids": _PG_FIRST_IDS, "few": _PG_FEW})
    (row,) = await _rows(store, sql, params, probe)
    cycle = None if row[6] is None else _Cycle(*row[6:18], row=True)
    if cycle is not None:
        _parse_returned(cycle, row[20])
    return cycle, _Plan(domain, *row[:6], stamp=row[18], last=row[19], window=row[21], window_spread=row[22],
                        story_hash=row[23], first_spread=row[24], total=row[25])


async def _start_cycle(
    store: Store | _OnThread, audience: Audience, filters: QuoteFilters, plan: _Plan, rng: random.Random,
    known: _Cycle | None,
) -> _Cycle | None:
    """A new cycle over the smallest domain holding every line matching `filters`; None when no
    line can match. Raises UnknownCharacter for a name no visible story has."""
    domain, size, low, high = plan.domain, plan.size, plan.stamp if plan.domain == SPEAKERS else plan.character, 0
    if filters.character is not None and size == 0 and not await _any_character(store, audience, filters):
        raise UnknownCharacter(filters.character)
    if size == 0 or (_matched(plan) == 0 and domain != SAID):
        return None
    steps = 0  # positions a pick is expected to examine, to size the first query
    if domain == SAID:
        # A character+words filter across stories: the words said by that name (one full-text
        # query), walked block by block as a word filter alone is; the blocks are sized from the
        # matches in a window of _SAID_WINDOW ids, so nothing is counted, listed or stepped over
        # beyond that window whatever the library's size (see _block_rows).
        domain, size = _blocks_domain(plan.low, plan.high, plan.matches or 0, 0, max(1, plan.last), _SAID_BLOCK_MATCHES)
        low, high = plan.low, plan.high
    elif plan.matches is not None and filters.character is None:
        # Words alone: walk the filter's rowid range block by block (see _block_rows), each block's
        # matches read in one full-text range query; nothing counted beyond _BLOCK_PROBE.
        matches, last, spread = plan.matches, plan.last, plan.first_spread
        # The ids the first matches were counted over: up to the last one counted (PostgreSQL: given).
        first_spread = spread if spread is not None else max(1, plan.last - plan.low + 1)
        sampled = plan.matches >= _BLOCK_PROBE or (spread is not None and spread < plan.high - plan.low + 1)
        if plan.total is not None:
            # PostgreSQL, fewer than _PG_FEW matches among the range's first ids and in the window: the
            # matches across the range, every one when fewer than _BLOCK_PROBE (as SQLite counts them),
            # else a lower bound.
            sampled, matches, last, spread = False, plan.total, 0, max(1, plan.high - plan.low + 1)
        elif spread is not None and plan.matches < _PG_FEW and plan.window is not None:
            # PostgreSQL, fewer than _PG_FEW among the first ids, more with the window's: both counts.
            sampled, matches, last = False, plan.matches + plan.window, 0
            spread = first_spread + max(1, plan.window_spread)
        if sampled and plan.window is not None:
            # Two estimates of the density (the first matches, those in a window at a random place):
            # blocks sized by the lower, so a word crowding the first stories does not make blocks
            # too small for the rest of the library (mostly empty, walked 16 at a time).
            if plan.window * first_spread < plan.matches * plan.window_spread:
                matches, last, spread = plan.window, 0, max(1, plan.window_spread)
                if _WINDOW_FLOOR * plan.window * first_spread < plan.matches * plan.window_spread:
                    # Not below a _WINDOW_FLOOR-th of the first estimate: a word clustered in a few
                    # stories often has no match in the window, and blocks sized for no density
                    # would each read every match of the word (the review's case).
                    matches, spread = plan.matches, _WINDOW_FLOOR * first_spread
        domain, size = _blocks_domain(plan.low, plan.high, matches, last, spread)
        low, high = plan.low, plan.high
    elif plan.matches is not None:
        # Walk the matches themselves, passing over other stories' or speakers' lines, or walk the
        # domain above with a full-text probe per line: whichever is expected to cost less. With a
        # character the matches are those a character of that name said (the speaker is in the
        # index): only the audience's gates pass any over, but stepping through them costs more.
        lines = max(1, plan.high - plan.low + 1)  # ids are dense: about the lines in the range
        matches = plan.matches  # exact up to _MATCHES_MAX
        said = filters.character is not None
        steps_per_match = 1.0 if said else lines / size
        walk_matches = _PERMUTE_US * steps_per_match + min(
            _MATCH_US * steps_per_match + (_SAID_RANK_US if said else _RANK_US) * matches,
            _WINDOW_US * matches * max(1.0, steps_per_match / _MAX_BATCH),
        )
        steps_per_line = (size if said else lines) / matches  # domain positions per line with the words
        walk_domain = (_PERMUTE_US + _PROBE_US) * steps_per_line
        if matches <= _matches_max(filters) and walk_matches <= walk_domain:
            domain, size, low, high = MATCHES, matches, plan.low, plan.high
            steps = round(2 * steps_per_match)
        else:
            steps = round(2 * steps_per_line)
    cycle_id = known.id if known is not None else rng.getrandbits(52) | (1 << 52)
    # Started afresh over a known cycle: its row (when written) and the picks not yet written carry over.
    row, unwritten = (known.row, known.unwritten) if known is not None else (False, 0)
    return _Cycle(cycle_id, filters.story_id, filters.character, filters.contains, audience.adult,
                  rng.getrandbits(63), size, size, 0, domain, low, high, unwritten, steps=steps, taken=1, row=row,
                  story_hash=plan.story_hash)


def _matched(plan: _Plan) -> int | None:
    """Full-text matches the plan found (0: the words match no line of the range; None: no words)."""
    if plan.total is not None:
        return plan.total
    if plan.first_spread is not None and plan.matches is not None and plan.window:
        return plan.matches + plan.window  # (PostgreSQL: none among the first ids, some in the window)
    return plan.matches


async def _any_character(store: Store | _OnThread, audience: Audience, filters: QuoteFilters) -> bool:
    """Whether a character (or alias) of that name exists where the filter looks: in the story,
    or in some visible story."""
    name = (filters.character or "").casefold()
    if filters.story_id is not None:
        return await stories.find_character(store, filters.story_id, name) is not None
    rows = await store.db.execute_fetchall(
        "SELECT 1 FROM characters AS c JOIN stories AS s ON s.id = c.story_id"
        " WHERE c.id IN (SELECT id FROM characters WHERE name_key = :name"
        f" UNION SELECT character_id FROM aliases WHERE alias_key = :name) AND {_VISIBLE_SQL} LIMIT 1",
        {"name": name, "scope": audience.scope, "adult": int(audience.adult)},
    )
    return bool(rows)


# --- cycles: walking ----------------------------------------------------------------------------


async def _walk(
    store: Store | _OnThread, cycle: _Cycle, audience: Audience, *, check_size: bool, probe: _LimitsProbe | None = None
) -> tuple[Sequence | None, bool]:
    """Advance a cycle to its next acceptable line: (its row, False); (None, False) when the cycle
    ran out or the walk budget was spent (cycle.cursor tells which); (None, True) when, with
    `check_size`, the domain changed size since the cycle began (cycle.cursor unchanged).

    Each cycle is walked twice: the first pass takes only lines with a confident speaker, the
    second everything the first did not take.
    """
    size, steps, first_pass_steps = cycle.size, 0, 0
    # On SQLite the walk is one job (_in_one_job): the line taken is read in full by a second
    # statement in it. PostgreSQL reads every line's card (one round trip fewer).
    checks_only = store.dialect == "sqlite"
    # Enough positions that one query usually finds a line: twice what a pick has needed so far.
    batch = min(_MAX_BATCH, max(_BATCH, 2 * cycle.steps // max(1, cycle.taken)))
    # A BLOCKS walk reads `blocks` blocks at once, at most `per_block` lines of each, only lines
    # the audience may see once `gated` (see below).
    # A cycle's first walk reads _BATCH lines a block (a first pick wants one line); later walks read a
    # block's every match at once (it holds about _BLOCK_MATCHES: the statement orders them all anyway), and
    # its acceptable lines are kept (`ahead`): a block statement every 20 picks or so, not every 5. (On
    # PostgreSQL a pick keeps nothing for the next, and reads every line's card: _BATCH lines.)
    bits, full, gated = _block_bits(cycle.domain), False, False
    blocks, per_block = 1, _BATCH if cycle.cursor == 0 or not checks_only else _BLOCK_MATCHES
    steady = cycle.cursor != 0 and checks_only  # (a cycle's first walk reads in the database's order)
    whole: list[tuple[int, Sequence]] | None = None  # a first pass read in one query
    while cycle.cursor < 2 * size and steps < _WALK_BUDGET:
        first_pass = cycle.cursor < size
        known = [c for c in cycle.ahead if c >= cycle.cursor]
        lines: list[tuple[int, int, bool, bool]] | None = None
        read_all = False  # this query reads the whole first pass (every position of the domain)
        cursors: Sequence[int]
        reused = whole is not None and not first_pass
        if reused:
            # The first pass read every line of the domain in one query and took none: the second
            # pass walks the same lines (a small filter's new cycle, or one with no line at all), any
            # domain (a story's character's words matching a line or two: a statement of 0.4 ms fewer).
            assert whole is not None
            cycle.ahead = []
            rows, end, examined = [(cursor + size, row) for cursor, row in whole], 2 * size, len(whole)
            whole, full = None, False
            cursors = range(examined + 1)
            size_now = size
        elif bits is not None:
            # The next matches in the blocks' order, read from the cursor on (lines found ahead are
            # found again: the cursor is all that is kept); `examined` counts the matches read.
            cycle.ahead = []
            start = cycle.cursor
            read = (await _read_ahead_lines(store, cycle, audience, bits, probe)
                    if steady and blocks == 1 and cycle.next_at >= 0 else None)
            if read is not None:  # the block read ahead: its lines, their checks made already
                lines, end = read
                rows, examined, full = [], len(lines), False
            else:
                lines = None
                rows, end, examined, full = await _block_rows(store, cycle, audience, bits, blocks, per_block, probe,
                                                              checks_only, gated, steady)
            whole = rows if start == 0 and end == size else None
            read_all = whole is not None
            check_size = False
            cursors = range(examined + 1)
            size_now = size
        elif known and known[0] >= (size if first_pass else 2 * size):
            # Only the second pass's lines are known (a whole domain read): the first pass ends here.
            cycle.cursor = size
            continue
        elif known:
            # This pass's lines known (a whole domain read knows the second pass's too, after them).
            known = [c for c in known if c < (size if first_pass else 2 * size)]
            cursors = known[:_BATCH]
            end = min(cycle.scanned, size if first_pass else 2 * size) if len(known) <= _BATCH else known[_BATCH]
        else:
            end = min(cycle.cursor + batch, size if first_pass else 2 * size)
            cursors = range(cycle.cursor, end)
            read_all = cycle.cursor == 0 and end == size
        if bits is None and not reused:
            cycle.ahead = []
            rows, size_now = await _batch_rows(store, cycle, audience, cursors, probe=probe, checks_only=checks_only)
            whole = rows if read_all else None
        if check_size and size_now != size:
            return None, True
        check_size = False
        if lines is not None:
            # Checked when read ahead, so the line shown is checked again in full as it is read
            # (filters, gates, limits: as a line a walk kept is when a later pick takes it).
            accepted = [(cursor, (line,)) for cursor, line, ok, sure in lines
                        if ok and (sure if first_pass else not sure or cursor - size >= cycle.cut)]
            accepted = await _known_line(store, cycle, audience, accepted, first_pass, probe)
        else:
            accepted = [(cursor, row) for cursor, row in rows if _acceptable(cycle, cursor, row, first_pass)]
            if accepted and checks_only:
                accepted = await _first_in_full(store, accepted)
        if accepted:
            if read_all and checks_only:
                # Every line of the domain was read (a small filter's new cycle): the second pass's
                # lines are those the first does not take (cut is the pass's end), known now, so the
                # pick that takes the last line ends the cycle, and the next starts a new one at once
                # instead of reading the lines again to find none (a filter of a line or two: a
                # wasted query at nearly every pick). SQLite only: PostgreSQL keeps no lines between
                # picks, so there they would only hold the cursor back (a review found the next pick
                # reading the first pass again). A line that becomes acceptable later in the cycle
                # (its story's rating corrected) waits for the next cycle, as a first-pass line
                # passed over does.
                accepted += [(size + c, r) for c, r in rows if _acceptable(cycle, size + c, r, False)]
                end = 2 * size
            cursor, row = accepted[0]
            cycle.ahead, cycle.scanned = [c for c, _ in accepted[1:]], end
            cycle.ahead_ids = ({c: r[0] for c, r in accepted[1:]}
                               if cycle.domain in (MATCHES, SAID) or bits is not None else {})
            cycle.steps += steps + cursor + 1 - cycle.cursor
            cycle.taken += 1
            if cycle.taken >= 64:  # recent picks count most (the second pass may differ)
                cycle.steps, cycle.taken = cycle.steps // 2, cycle.taken // 2
            if steady and bits is not None and not full and end < 2 * size and _pass_block(cycle, end, bits) != cycle.dense:
                # A block read to its end: the picks taking its kept lines read the next one ahead.
                cycle.next_at, cycle.claimed, cycle.slices = end, 0, {}
            # Nothing after this line up to `end` is acceptable: the cursor passes over it now, so
            # the pick after does not walk it again to find a pass's end (or the cycle's: PostgreSQL
            # then starts the next cycle with the stored one, a query fewer).
            cycle.cursor = cursor + 1 if accepted[1:] else max(end, cursor + 1)
            return row, False
        steps += end - cycle.cursor if bits is None else len(cursors)
        cycle.cursor = end
        batch = min(2 * batch, _MAX_BATCH)  # a sparse domain: fewer, larger queries
        if full:
            # A block gave `per_block` lines and none would do: the next query reads the rest of
            # that block alone, instead of more blocks whose lines would all come after the cursor
            # stops in it again. More of it at once when lines the audience may see were passed
            # over (the first pass's unconfident lines, fragments); only those it may see when some
            # were of stories it may not (another server's, one rated for adults only: such a block
            # then gives none at once instead of `per_block` lines a query). A walk does not pay
            # for that check (about +50% a block at 10^7) before it met such lines.
            passes = [bool(row[_CARD_WIDTH + 1]) for _, row in rows]
            if any(passes):
                per_block = min(4 * per_block, _MAX_BATCH)
            gated = gated or not all(passes)
            blocks = 1
        else:  # blocks read to their end: the next query reads more of them; four times as many
            # when ungated they gave nothing (hidden stories' blocks, passed by index seeks, or
            # blocks without a match); gated, a block that gives nothing may still have been read
            # match by match (one with a story the audience may see, past its spoiler limits).
            grow = 2 if rows or gated or not audience.limits.unlimited else 4
            blocks = min(grow * blocks, _MAX_BLOCKS_AT_ONCE, max(1, _MAX_BLOCK_ROWS // per_block))
        if first_pass:
            first_pass_steps += len(cursors)
            if cycle.cursor == size or first_pass_steps >= _FIRST_PASS_BUDGET:
                # Confident speakers are rare here: stop preferring them; the second pass takes
                # every line the first pass did not reach.
                cycle.cut = cycle.cursor
                cycle.cursor = size
    return None, False


_FULL_CARD_SQL = (f"SELECT {_CARD_COLUMNS} FROM quotes AS q JOIN stories AS s ON s.id = q.story_id{_CARD_JOINS}"
                  " WHERE q.id = ?")


async def _known_line(
    store: Store | _OnThread, cycle: _Cycle, audience: Audience, accepted: list[tuple[int, Sequence]],
    first_pass: bool, probe: _LimitsProbe | None,
) -> list[tuple[int, Sequence]]:
    """Lines of a block read ahead that were acceptable then ((cursor, (id,)), in cursor order): the
    first that still is, read in full with every check made again (_KNOWN, as a kept line is when a
    later pick takes it: the card, then its position, checks and size), and the others after it.
    Those before it that no longer pass are passed over."""
    while accepted:
        cursor, row = accepted[0]
        rows, _ = await _batch_rows(store, cycle, audience, [cursor], row[0], probe=probe)
        if rows and _acceptable(cycle, cursor, rows[0][1], first_pass):
            return [(cursor, rows[0][1]), *accepted[1:]]
        accepted = accepted[1:]
    return accepted


async def _first_in_full(
    store: Store | _OnThread, accepted: list[tuple[int, Sequence]]
) -> list[tuple[int, Sequence]]:
    """Lines a walk's batch found acceptable (rows of _CHECK_COLUMNS), the first read in full
    (_CARD_COLUMNS, then the batch row's position, checks and size). A line removed since the
    batch was read is passed over."""
    while accepted:
        cursor, row = accepted[0]
        cards = await store.db.execute_fetchall(_FULL_CARD_SQL, (row[0],))
        if cards:
            return [(cursor, (*cards[0], *row[_CARD_WIDTH:])), *accepted[1:]]
        accepted = accepted[1:]
    return accepted


def _acceptable(cycle: _Cycle, cursor: int, row: Sequence, first_pass: bool) -> bool:
    """A line this pass may take: present, matching the filters and the audience's gates,
    quotable, and in the first pass confidently attributed; the second pass takes what the first
    did not (it took confident lines before `cut`)."""
    if row[0] is None or not row[_CARD_WIDTH + 1] or not quotable(row[_TEXT]):
        return False
    sure = confident(row[_CHARACTER_ID], row[_CONFIDENCE])
    return sure if first_pass else (not sure or cursor - cycle.size >= cycle.cut)


# --- public API --------------------------------------------------------------------------------


async def pick_quote(
    store: Store, audience: Audience, filters: QuoteFilters, *, rng: random.Random | None = None
) -> QuoteCard:
    """The next line of this guild's no-repeat cycle for `filters`.

    Raises CharacterNotFound for an unknown character, NothingMatches when no line qualifies.
    """
    rng = rng or _RNG
    key = filters.key(audience.adult, audience.limits.key())
    memory = _memory(store)
    if store.dialect != "sqlite":
        # Several processes may share this database: each pick reads the cycle's row and writes
        # its cursor back in one transaction holding an advisory lock on the cycle, so no pick
        # anywhere shows a line another one took, and picks never wait for other writers.
        # (Its statements planned for their arguments: postgres.CUSTOM_PLANS, set with the lock.)
        async with memory.lock, store.atomic(lock=("quote cycle", audience.scope, key), settings=CUSTOM_PLANS):
            found = await _find_stored(store, audience, filters, key, None, rng)
            write = (_new_cycle_write(audience, key, found.cycle, store.dialect) if found.started
                     else _cursor_write(found.cycle))
            await write(store.db)
        return _found_card(found, filters, audience)
    for _ in range(_RESERVED_TRIES):
        async with memory.lock:
            reserved = _reserve(store, audience, key, memory)
            if reserved is None:
                return await _pick_locked(store, audience, filters, key, memory, rng)
        card = await _fetch_reserved(store, audience, *reserved)
        if card is not None:
            return card
    async with memory.lock:
        return await _pick_locked(store, audience, filters, key, memory, rng)


async def _pick_locked(
    store: Store, audience: Audience, filters: QuoteFilters, key: str, memory: _Memory, rng: random.Random
) -> QuoteCard:
    """pick_quote's walk, under memory.lock: one round trip, a new cycle's start included."""
    remembered = memory.cycles.get((audience.scope, key))
    found = await _in_one_job(store, _walk_or_restart, audience, filters, key, remembered, memory.pending(remembered),
                              rng, None)
    return _settle(store, audience, filters, key, memory, found)


# --- a pick's queries in one round trip ---------------------------------------------------------

_T = TypeVar("_T")


class _OnThread:
    """The store as a pick's job sees it on SQLite's connection thread (_in_one_job): each query
    runs there at once, so the pick's coroutine never waits for the event loop."""

    dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.db = self
        self._conn = conn

    async def execute_fetchall(self, sql: str, params: Any = ()) -> list[Sequence]:
        return self._conn.execute(sql, params).fetchall()

    async def read_job(self, fn: Callable[..., _T], *args: object) -> _T:
        return fn(self._conn, *args)


async def _in_one_job(
    store: Store, pick: Callable[..., Coroutine[Any, Any, _T]], *args: object
) -> _T:
    """`pick(store, *args)`, on SQLite as ONE job on the connection's thread: however many queries
    it makes (a walk that finds its cycle's end, the stored cycle and a new cycle's first batch),
    the pick is one round trip, and holds the pick lock for that one job rather than a thread hop
    per query. On PostgreSQL each query is a round trip of its own anyway: awaited as it is."""
    if store.dialect != "sqlite":
        return await pick(store, *args)
    return await store.read_job(_run_to_end, pick, args)


def _run_to_end(conn: sqlite3.Connection, pick: Callable[..., Coroutine[Any, Any, _T]], args: tuple) -> _T:
    """On the connection's thread: run `pick`'s coroutine, each of whose awaits is a query answered
    at once (_OnThread), to its end; it touches no event loop object (the caller keeps the cycle
    and writes it behind the reply)."""
    coroutine = pick(_OnThread(conn), *args)
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError(f"{pick.__name__} waited for something other than its own queries")


@dataclass(slots=True)
class _Found:
    """What a pick's job found: the cycle walked (new when `started`) and its line, if any
    (none: the walk budget was spent when `gave_up`, else nothing matches)."""

    cycle: _Cycle
    row: Sequence | None
    started: bool = False
    gave_up: bool = False


async def _walk_or_restart(
    store: Store | _OnThread, audience: Audience, filters: QuoteFilters, key: str, remembered: _Cycle | None,
    pending: bool, rng: random.Random, probe: _LimitsProbe | None,
) -> _Found:
    """The next line of the cycle in memory (`remembered`, whose row is still on its way when
    `pending`); when it ran out (or changed, or there is none), of the stored cycle or a new one
    (_find_stored), in the same job. A `probe` is read with the first query; a cycle is started or
    reloaded only when it agrees with the guessed limits."""
    if remembered is not None and remembered.cursor < 2 * remembered.size:
        row, _ = await _walk(store, remembered, audience, check_size=True, probe=probe)
        if row is not None or (probe is not None and not probe.holds(audience.limits)):
            return _Found(remembered, row)
    if remembered is not None and remembered.cursor >= 2 * remembered.size and not remembered.returned:
        again = await _restart_in_memory(store, audience, remembered, rng, probe)
        if again is not None:
            return again
    # Only a cycle dropped from memory (over _REMEMBERED_CYCLES filters in use) and reloaded
    # before its last cursor write lands could re-show the lines picked since that write.
    return await _find_stored(store, audience, filters, key, remembered, rng, probe, pending=pending)


# The next cycle of a word filter whose cycle ran out in memory walks the same domain (a new seed)
# without a new plan (counting the words' matches again, 0.3-0.8 ms of statement), where the plan could
# only say the same. Across the library, the domain is the ids [1, the highest now] in blocks of the same
# width (ids only grow: lines added since are in it); within a story, the same ids, once two index
# seeks show the story unchanged (its content hash, its lines' first and last ids: a story's lines are
# never added to, a story replaced is written anew under a new hash). A filter matching a few lines
# starts a cycle every few picks: plan, walk and card were 1.0-1.7 ms of CPU at the median.
_STORY_STAMP_SQL = (
    "SELECT s.content_hash, (SELECT id FROM quotes WHERE story_id = s.id AND seq = 0),"
    " (SELECT id FROM quotes WHERE story_id = s.id AND seq = s.quote_count - 1) FROM stories AS s WHERE s.id = :story"
)
_HIGHEST_SQL = "SELECT max(id) FROM quotes"


async def _restart_in_memory(
    store: Store | _OnThread, audience: Audience, old: _Cycle, rng: random.Random, probe: _LimitsProbe | None,
) -> _Found | None:
    """The next cycle of a word filter whose cycle in memory ran out (`old`) and its first line, over
    the same domain (see above); None when the plan must be read (a story changed, a cycle of another
    kind), or when that cycle finds no line (its lines removed, or none the audience may see now): the
    caller plans a new cycle then, as before."""
    bits = _block_bits(old.domain)
    if old.contains is None or (bits is None and old.domain != MATCHES):
        return None
    domain, size, high = old.domain, old.size, old.high
    if old.story_id is not None:
        if old.story_hash is None:
            return None
        rows = await _rows(store, _STORY_STAMP_SQL, {"story": old.story_id}, probe)
        if probe is not None and not probe.holds(audience.limits):
            raise _WrongGuess  # (nothing taken yet)
        if not rows or tuple(rows[0]) != (old.story_hash, old.low, old.high):
            return None
    else:
        if bits is None:
            return None
        rows = await _rows(store, _HIGHEST_SQL, {}, probe)
        if probe is not None and not probe.holds(audience.limits):
            raise _WrongGuess
        high = rows[0][0] if rows and rows[0][0] is not None else old.low - 1
        if high < old.low:
            return None
        lines = high - old.low + 1  # (as _blocks_domain: not more than 2^_MAX_BLOCK_COUNT_BITS blocks)
        bits = min(_MAX_BLOCK_BITS, max(bits, (lines - 1).bit_length() - _MAX_BLOCK_COUNT_BITS))
        domain, size = f"{BLOCKS}:{bits}", -(-lines // (1 << bits)) << bits
    cycle = _Cycle(old.id, old.story_id, old.character, old.contains, old.adult, rng.getrandbits(63), size, size, 0,
                   domain, old.low, high, old.unwritten, row=old.row, steps=old.steps, taken=max(1, old.taken),
                   story_hash=old.story_hash)
    row, _ = await _walk(store, cycle, audience, check_size=False)
    return _Found(cycle, row, started=True) if row is not None else None


def _settle(
    store: Store, audience: Audience, filters: QuoteFilters, key: str, memory: _Memory, found: _Found
) -> QuoteCard:
    """After a pick's job, on the event loop: the cycle kept in memory and written behind the
    reply (a new one whole, else its cursor); the line's card."""
    if found.started:
        _save_new_cycle_later(store, audience, key, found.cycle)
    else:
        _set_cursor_later(store, found.cycle)
    memory.keep(audience.scope, key, found.cycle)
    return _found_card(found, filters, audience)


def _found_card(found: _Found, filters: QuoteFilters, audience: Audience) -> QuoteCard:
    if found.row is not None:
        return _card(found.row, found.cycle.id)
    if found.gave_up:
        raise NothingMatches("I couldn't find a quote just now. Try again, or choose a `story` from `/story list`.")
    raise NothingMatches(_nothing_message(filters, audience))


# A pick whose cycle in memory already knows its next acceptable lines (`ahead`, found by the query
# before) takes the first of them under the lock and fetches it after letting go, so concurrent picks
# over one filter each wait for their own query instead of for one another's: the lock holds only
# bookkeeping. The line is checked again as it is fetched (filters, audience, the domain's size); one
# that no longer qualifies is passed over, as a walk would, and the pick tries again.
_RESERVED_TRIES = 3


def _reserve(
    store: Store, audience: Audience, key: str, memory: _Memory
) -> tuple[_Cycle, int, int, bool, Callable[[sqlite3.Connection], None] | None] | None:
    """Under memory.lock: take the next line the cycle in memory knows to be acceptable, as _walk
    would (cycle, cursor, size, first pass, and a slice of the next block to read ahead in the same
    job, or None), or None when finding one takes a walk."""
    cycle = memory.cycles.get((audience.scope, key))
    if cycle is not None and cycle.returned:
        cursor = cycle.returned.pop(0)
        memory.cycles.move_to_end((audience.scope, key))
        return cycle, cursor, cycle.size, cursor < cycle.size, None
    known = [c for c in cycle.ahead if c >= cycle.cursor] if cycle is not None else []
    if cycle is None or not known or cycle.cursor >= 2 * cycle.size:
        return None
    cursor = known[0]
    cycle.ahead = known[1:]
    cycle.steps += cursor + 1 - cycle.cursor
    cycle.taken += 1
    if cycle.taken >= 64:
        cycle.steps, cycle.taken = cycle.steps // 2, cycle.taken // 2
    # The last line known: every position after it up to `scanned` was passed over by the query that
    # found it (as _walk moves the cursor there when it takes a query's only line), so the next walk
    # reads on from there instead of reading those positions again (a BLOCKS walk: a statement giving
    # nothing, then blocks read two or four at once).
    cycle.cursor = cursor + 1 if cycle.ahead else max(cursor + 1, cycle.scanned)
    memory.cycles.move_to_end((audience.scope, key))
    _set_cursor_later(store, cycle)
    # And a slice of the block the next walk reads, while some are left to read (_read_ahead).
    ahead = None
    if cycle.next_at >= 0 and cycle.claimed < _SLICES:
        ahead = functools.partial(_read_ahead, cycle=cycle, audience=audience, at=cycle.next_at, k=cycle.claimed)
        cycle.claimed += 1
    return cycle, cursor, cycle.size, cursor < cycle.size, ahead


async def _fetch_reserved(
    store: Store, audience: Audience, cycle: _Cycle, cursor: int, size: int, first_pass: bool,
    ahead: Callable[[sqlite3.Connection], None] | None = None,
) -> QuoteCard | None:
    """The reserved line, checked again as it is fetched; None when it no longer qualifies (or the
    domain changed size: the next walk sees it and starts afresh). `ahead`: read in the same job."""
    rows, size_now = await _batch_rows(store, cycle, audience, [cursor], _line_at(cycle, cursor), then=ahead)
    return _reserved_card(cycle, cursor, size, first_pass, rows, size_now)


def _reserved_card(
    cycle: _Cycle, cursor: int, size: int, first_pass: bool, rows: list[tuple[int, Sequence]], size_now: int
) -> QuoteCard | None:
    if size_now != size:
        cycle.ahead, cycle.returned, cycle.returned_ids = [], [], {}
        return None
    if not rows or not _acceptable(cycle, cursor, rows[0][1], first_pass):
        return None
    return _card(rows[0][1], cycle.id)


async def pick_quote_for(
    store: Store, audience: Audience, reader: int | None, filters: QuoteFilters, *, story: str | None = None,
    rng: random.Random | None = None,
) -> QuoteCard:
    """pick_quote for `reader` (a user id) under their spoiler limits here (`audience.limits` is
    not used: the limits are read with the pick), from the story a `story` option names when given
    (`filters.story_id` then unused; StoryNotFound as resolve_story).

    A pick from a cycle in memory reads the reader's limits in the same round trip as its first
    query (one round trip for most picks), under the limits found last time for them here
    (spoilers.remembered_limits), and checks the two agree; with a `story`, the story that text
    named last time (audience.remembered_story) is checked the same way, its title-or-id query
    read in that round trip too. When a guess was wrong (a limit was set or lifted since, by
    anyone, the reader turned their own mode on, or the text names another story now), the line it
    took goes back to its cycle (`returned`: the next pick over those filters takes it first) and
    the pick starts again under what was just read. Any other pick reads the limits (and the
    story) first, as every command does.
    """
    text = " ".join((story or "").split()) or None
    guessed = spoilers.remembered_limits(store, audience.guild_id, reader)
    if guessed is not None and store.dialect == "sqlite":
        story_id = remembered_story(store, audience, text) if text is not None else filters.story_id
        if text is None or story_id is not None:
            probe = _LimitsProbe(audience, reader, text, story_id)
            card = await _pick_guessed(store, dataclasses.replace(audience, limits=guessed), probe,
                                       dataclasses.replace(filters, story_id=story_id), rng or _RNG)
            if card is not None:
                return card
    if text is not None:
        chosen, limits = await story_and_limits(store, audience, text, reader)
        filters = dataclasses.replace(filters, story_id=chosen.id if chosen is not None else None)
    else:
        limits = await spoilers.chapter_limits(store, audience.guild_id, reader)
    return await pick_quote(store, dataclasses.replace(audience, limits=limits), filters, rng=rng)


async def _rows(
    store: Store | _OnThread, sql: str, params: dict[str, object], probe: _LimitsProbe | None,
    then: Callable[[sqlite3.Connection], None] | None = None,
) -> Sequence[Sequence]:
    """A query's rows, through the guessed pick's probe when there is one (see _LimitsProbe.rows);
    `then` (SQLite) runs after the query in the same job on the connection's thread."""
    if then is not None:
        return await store.read_job(_rows_then, sql, params, probe, then)
    return await (probe.rows(store, sql, params) if probe is not None else store.db.execute_fetchall(sql, params))


def _rows_then(
    conn: sqlite3.Connection, sql: str, params: dict[str, object], probe: _LimitsProbe | None,
    then: Callable[[sqlite3.Connection], None],
) -> list[Sequence]:
    """On the connection's thread: the query's rows (the probe's read first when not read yet), then
    `then`, whose failure costs nothing but its own work (a slice read ahead is read by the walk)."""
    rows = probe.read_with(conn, sql, params) if probe is not None and not probe.read else conn.execute(
        sql, params).fetchall()
    try:
        then(conn)
    except sqlite3.Error:
        log.warning("reading ahead failed", exc_info=True)
    return rows


@dataclass(slots=True)
class _LimitsProbe:
    """What a guessed pick reads with its first query (see _batch_rows): the reader's limits, and
    with a `story` text the rows naming it (audience.story_rows_in_thread) to check `story_id`."""

    audience: Audience  # whose gates the story is named under (scope, age)
    reader: int | None
    story: str | None = None
    story_id: int | None = None
    read: bool = False
    limits: spoilers.ChapterLimits | None = None
    story_rows: Sequence[Sequence] = ()

    def agrees(self, store: Store, guessed: spoilers.ChapterLimits) -> bool:
        """holds(), and what was read remembered for the next guess (on the event loop)."""
        if not self.read:
            return False
        if self.limits != guessed:
            spoilers.note_limits(store, self.audience.guild_id, self.reader, self.limits)
        named = self.story is None or confirm_story(
            store, self.audience, self.story, self.story_rows, self.story_id or 0)
        return self.limits == guessed and named

    def holds(self, guessed: spoilers.ChapterLimits) -> bool:
        """Whether what was read agrees with the guess, remembering nothing: a pick's job on the
        connection's thread asks before it starts a new cycle under the guessed limits."""
        named = self.story is None or names_story(self.audience, self.story_rows, self.story_id or 0)
        return self.read and self.limits == guessed and named

    def read_with(self, conn: sqlite3.Connection, sql: str, params: dict[str, object]) -> list[Sequence]:
        """On the connection's thread: the limits (and story rows), then the pick's query."""
        limits = spoilers.limits_in_thread(conn, self.audience.guild_id, self.reader)
        story_rows = story_rows_in_thread(conn, self.audience, self.story) if self.story is not None else ()
        rows = conn.execute(sql, params).fetchall()
        self.limits, self.story_rows, self.read = limits, story_rows, True
        return rows

    async def rows(self, store: Store | _OnThread, sql: str, params: dict[str, object]) -> list[Sequence]:
        """The query's rows, read with the probe's when it was not read yet."""
        if self.read:
            return list(await store.db.execute_fetchall(sql, params))
        return await store.read_job(self.read_with, sql, params)


async def _pick_guessed(
    store: Store, audience: Audience, probe: _LimitsProbe, filters: QuoteFilters, rng: random.Random
) -> QuoteCard | None:
    """pick_quote_for under the guessed `audience.limits` (and story), from the cycle in memory;
    None when a guess was wrong (the line taken went back) or there is no such cycle."""
    key = filters.key(audience.adult, audience.limits.key())
    memory = _memory(store)
    async with memory.lock:
        reserved = _reserve(store, audience, key, memory)
        if reserved is None:
            # As _pick_locked (one round trip), the first query reading the limits and the story
            # too: the walk's, or the stored cycle's when there is no cycle in memory (or it ran out).
            remembered = memory.cycles.get((audience.scope, key))
            try:
                found = await _in_one_job(store, _walk_or_restart, audience, filters, key, remembered,
                                          memory.pending(remembered), rng, probe)
            except _WrongGuess:  # found with the stored cycle: nothing taken yet
                probe.agrees(store, audience.limits)
                return None
            if not probe.agrees(store, audience.limits):
                if found.row is not None:
                    _give_back(store, found.cycle, found.cycle.cursor - 1, found.row[0])
                return None
            return _settle(store, audience, filters, key, memory, found)
    cycle, cursor, size, first_pass, ahead = reserved
    line = _line_at(cycle, cursor)
    rows, size_now = await _batch_rows(store, cycle, audience, [cursor], line, probe=probe, then=ahead)
    if not probe.agrees(store, audience.limits):
        _give_back(store, cycle, cursor, line)
        return None
    card = _reserved_card(cycle, cursor, size, first_pass, rows, size_now)
    return card if card is not None else await pick_quote(store, audience, filters, rng=rng)


class _WrongGuess(Exception):
    """_find_stored's probe found the guessed limits or story wrong before it took a line."""


def _give_back(store: Store, cycle: _Cycle, cursor: int, line: int | None) -> None:
    """A line taken under a wrong guess goes back to its cycle: the next pick takes it first. It is
    written with the cursor at once (behind the reply), so a restart does not pass it over either."""
    bisect.insort(cycle.returned, cursor)
    if line is not None and (cycle.domain in (MATCHES, SAID) or _block_bits(cycle.domain) is not None):
        cycle.returned_ids[cursor] = line  # found again by id (a BLOCKS position has no query of its own)
    store.write_behind.submit(("quote cursor", cycle.id), _cursor_write(cycle), lazy=False)


def _line_at(cycle: _Cycle, cursor: int) -> int | None:
    """The id of the line at a cursor taken from `returned` or `ahead`, when kept (else None)."""
    line = cycle.returned_ids.pop(cursor, None)
    return line if line is not None else cycle.ahead_ids.pop(cursor, None)


async def _take_returned(store: Store | _OnThread, cycle: _Cycle, audience: Audience) -> Sequence | None:
    """The first line given back to a cycle read from the database (by a process since stopped)
    that still qualifies, taken before its walk goes on; None when none does."""
    while cycle.returned:
        cursor = cycle.returned.pop(0)
        rows, size_now = await _batch_rows(store, cycle, audience, [cursor], _line_at(cycle, cursor))
        if size_now != cycle.size:  # the library changed: the walk starts the cycle afresh
            cycle.returned, cycle.returned_ids = [], {}
            return None
        if rows and _acceptable(cycle, cursor, rows[0][1], cursor < cycle.size):
            return rows[0][1]
    return None


async def _find_stored(
    store: Store | _OnThread, audience: Audience, filters: QuoteFilters, key: str, remembered: _Cycle | None,
    rng: random.Random, probe: _LimitsProbe | None = None, *, pending: bool = False,
) -> _Found:
    """The next line of the stored cycle, or of a new one when it ran out, the lines it walks
    changed, or there was none. Reads only: the caller keeps and writes the cycle. A `probe` is read
    with the stored cycle, and _WrongGuess raised when it disagrees with `audience`; NothingMatches
    when no line matches (UnknownCharacter for a name no visible story has). `pending`: the row of
    `remembered`, a cycle this process started, is still on its way, so a stored row is an older
    cycle's (the background writer can wait for another process's write lock while a small cycle runs out)."""
    plan: _Plan | None = None
    if store.dialect == "sqlite" or probe is not None or filters.contains is None:
        cycle, plan = await _load(store, audience, filters, key, probe, rng)
    else:
        # PostgreSQL reads the stored cycle at every pick: a word filter's plan (counting the words'
        # matches, 60-140 ms at 10^5 quotations before) only when a new cycle starts, a round trip more
        # then. (Other filters' plans are a few index seeks: read with the cycle, one round trip.)
        cycle = await _load_cycle(store, audience, key)
    if probe is not None and not probe.holds(audience.limits):
        raise _WrongGuess
    if cycle is None or (pending and remembered is not None):
        cycle = remembered  # its row may still be on its way
    elif cycle is not None and remembered is not None and (remembered.id, remembered.seed) == (cycle.id, cycle.seed):
        # This process walked further than the stored cursor says (its last write may be pending).
        cycle.cursor, cycle.cut = max(cycle.cursor, remembered.cursor), remembered.cut
        cycle.returned, cycle.returned_ids = remembered.returned, remembered.returned_ids
        # And the picks it has not written yet: a new cycle started from this one carries them on,
        # so its first eager write still comes within _UNWRITTEN_MAX picks of the last one written.
        cycle.unwritten = remembered.unwritten
    row: Sequence | None = None
    gave_up = started = False
    if cycle is not None and cycle.returned:
        row = await _take_returned(store, cycle, audience)
    if row is None and cycle is not None and (cycle.domain in _DOMAINS or _block_bits(cycle.domain) is not None) \
            and cycle.cursor < 2 * cycle.size:
        row, changed = await _walk(store, cycle, audience, check_size=True)
        gave_up = row is None and not changed and cycle.cursor < 2 * cycle.size
    if row is None and not gave_up:
        if plan is None:
            _, plan = await _load(store, audience, filters, key, None, rng)
        cycle = await _start_cycle(store, audience, filters, plan, rng, cycle)
        if cycle is None:
            raise NothingMatches(_nothing_message(filters, audience))
        started = True
        row, _ = await _walk(store, cycle, audience, check_size=False)
        gave_up = row is None and cycle.cursor < 2 * cycle.size
        if row is None and not gave_up and cycle.domain == SPEAKERS and not await _any_character(
                store, audience, filters):
            # The name's lines are all in stories the audience may not see (age rating).
            raise UnknownCharacter(filters.character or "")
    assert cycle is not None
    return _Found(cycle, row, started, gave_up)


def _nothing_message(filters: QuoteFilters, audience: Audience) -> str:
    if not audience.limits.unlimited:
        return ("No quote within the spoiler limits (this server's, or yours from `/spoilers mine`) matches."
                " Try other filters, or read on with `/read`.")
    if filters.unfiltered:
        return "There are no quotes to show here yet. Try `/story list` to see the library."
    return "No quote matches those filters. Try fewer filters, other words, or `/story list`."


async def quote_card(store: Store, quote_id: int) -> QuoteCard | None:
    """A quote by id with its story and chapter (visibility is the caller's check)."""
    rows = await store.db.execute_fetchall(_FULL_CARD_SQL, (quote_id,))
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
        if card is None or not audience.can_see(card.story):
            return None
        if not audience.shows(card.story.id, card.quote.chapter_index):
            raise PastSpoilerLimit()
        return QuoteContext(card, ())
    card = _card(rows[0])
    if not audience.can_see(card.story):
        return None
    q = card.quote
    if not audience.shows(q.story_id, q.chapter_index):
        raise PastSpoilerLimit()
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
        # Under spoiler limits a draw over every story would mostly land past them: first draw a
        # story by the number of paragraphs it may show, then a start within those.
        chosen_story = story_id if story_id is not None or audience.limits.unlimited else (
            await _limited_story(store, audience, rng))
        rows = await store.db.execute_fetchall(_EXCERPT_SQL, {
            "scope": audience.scope, "story": chosen_story, "u": rng.random(), "n": EXCERPT_PARAGRAPHS,
            "last": _last_chapter(audience, chosen_story),
        })
        if not rows:
            break
        story = StoredStory(*rows[0][:_STORY_FIELDS])
        chapter_number, chapter_title, heading = rows[0][_STORY_FIELDS:_STORY_FIELDS + 3]
        following = [StoredParagraph(*row[_STORY_FIELDS + 3:]) for row in rows]
        start = following[0]
        if not audience.can_see(story) or not audience.shows(story.id, start.chapter_index) \
                or len(start.text) > EXCERPT_CHARS:
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


async def _limited_story(store: Store, audience: Audience, rng: random.Random) -> int | None:
    """A visible story drawn in proportion to the paragraphs the spoiler limits let it show."""
    rows = await store.db.execute_fetchall(
        "SELECT s.id, coalesce((SELECT first_paragraph + paragraph_count FROM chapters AS ch"
        "  WHERE ch.story_id = s.id AND ch.chapter_index = coalesce(json_extract(:limits, '$.\"' || s.id || '\"'),"
        "  json_extract(:limits, '$.\"*\"'))), s.paragraph_count)"
        f" FROM stories AS s WHERE s.paragraph_count > 0 AND {_VISIBLE_SQL}",
        {"scope": audience.scope, "adult": int(audience.adult), "limits": audience.limits.key()},
    )
    if not rows:
        return None
    (story_id,) = rng.choices([row[0] for row in rows], weights=[row[1] for row in rows])
    return story_id
