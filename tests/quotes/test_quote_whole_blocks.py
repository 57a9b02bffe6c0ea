"""A steady walk of a word filter on SQLite reads each block's matches whole, by id, and orders them
in Python (branch steady11): the lines, their positions and where the walk stops must be exactly
those of the database's own order (the block's slots computed in SQL), or a cycle would show a line
twice or pass one over. And on PostgreSQL a steady pick reads the stored cycle without planning a
new one (counting the words' matches: 60-140 ms at 10^5 quotations before)."""
from __future__ import annotations

import itertools
import random

import pytest

from bot.store import Store, postgres, quotes
from bot.store.audience import Audience
from bot.store.quotes import QuoteFilters, pick_quote
from tests.quotes.conftest import QuoteCalls
from tests.quotes.helpers import add, dialogue_story

GUILD, OTHER = 111, 222


async def _library(store: Store) -> tuple[int, int]:
    """Stories whose every line says "line" (two lines each do not: a fragment, a speech), some the
    channel may not see (another server's, rated M); the ids [low, high] of their quotes."""
    for i in range(3):
        await add(store, dialogue_story(f"seen{i}", lines=100, speakers=("Naruto", None)))
        if i < 2:
            await add(store, dialogue_story(f"other{i}", lines=100), guild_id=OTHER)
            await add(store, dialogue_story(f"adult{i}", lines=100), rating="M")
    ((low, high),) = await store.db.execute_fetchall("SELECT min(id), max(id) FROM quotes")
    return low + 37, high  # (a domain from an id other than 1: ids count from its low)


def _cycle(low: int, high: int, bits: int, seed: int, cursor: int) -> quotes._Cycle:
    size = -(-(high - low + 1) // (1 << bits)) << bits
    return quotes._Cycle(1, None, None, "line", False, seed, size, size, cursor, f"{quotes.BLOCKS}:{bits}", low, high)


def _lines(found: tuple) -> tuple[list[tuple[int, int, int]], int]:
    rows, end, _, _ = found
    return [(cursor, row[0], row[quotes._CARD_WIDTH + 1]) for cursor, row in rows], end


@pytest.mark.sqlite_only  # (the whole-block read is SQLite's: PostgreSQL keeps no lines between picks)
@pytest.mark.parametrize("gated", [False, True])
async def test_a_whole_block_read_orders_its_lines_as_the_database_does(store: Store, gated: bool) -> None:
    low, high = await _library(store)
    audience, rng = Audience(GUILD), random.Random(11)
    bits = 7  # blocks of 128 ids: about 125 matches each, more than a steady walk's 64 (_BLOCK_MATCHES)
    compared = 0
    for seed in (rng.getrandbits(63) for _ in range(4)):
        size = _cycle(low, high, bits, seed, 0).size
        # From a block's first position, and from within one (a walk that stopped there before).
        for cursor in [0, 1 << bits, *(rng.randrange(size) for _ in range(6)), size + rng.randrange(size)]:
            whole = _lines(await quotes._block_rows(store, _cycle(low, high, bits, seed, cursor), audience, bits, 2,
                                                    quotes._BLOCK_MATCHES, checks_only=True, gated=gated,
                                                    whole=True))
            # The database's order (every match of the blocks from the cursor on, with their cards).
            ordered = _lines(await quotes._block_rows(store, _cycle(low, high, bits, seed, cursor), audience, bits, 2,
                                                      10 ** 6, checks_only=False, gated=gated))
            assert whole == ordered, (seed, cursor)
            compared += len(whole[0])
    assert compared > 2000  # (most blocks hold lines: the comparison is not of empty lists)


@pytest.mark.sqlite_only
async def test_a_block_denser_than_the_cap_is_read_in_the_databases_order(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    low, high = await _library(store)
    monkeypatch.setattr(quotes, "_WHOLE_BLOCK_CAP", 16)  # every block of 128 ids holds more
    audience, bits, seed = Audience(GUILD), 7, 12345
    for cursor in (0, 5, 200):
        whole = await quotes._block_rows(store, _cycle(low, high, bits, seed, cursor), audience, bits, 1,
                                         quotes._BLOCK_MATCHES, checks_only=True, whole=True)
        ordered = await quotes._block_rows(store, _cycle(low, high, bits, seed, cursor), audience, bits, 1,
                                           quotes._BLOCK_MATCHES, checks_only=False)
        # n lines of the block in its order, the walk stopping after the last (the block may hold more).
        assert _lines(whole) == _lines(ordered) and whole[3] == ordered[3], cursor
        assert cursor or (whole[3] and len(whole[0]) == quotes._BLOCK_MATCHES)


@pytest.mark.sqlite_only
async def test_steady_picks_keep_every_line_of_a_block_read_whole(store: Store, quote_calls: QuoteCalls) -> None:
    # "alpha" in every line of half the first ten stories and of all the next ten, every second line
    # without a speaker: its first 1,024 matches spread over about 1,500 ids, so blocks of 128 ids,
    # each holding about 125 matches in the last ten stories. A steady walk reads such a block whole
    # (main: 64 lines of it a query), and no line comes twice.
    for i in range(20):
        tag = f"{'alpha' if i >= 10 or i % 2 else 'beta'} s{i}"
        await add(store, dialogue_story(tag, lines=100, speakers=("Naruto", None)))
    audience, filters, rng = Audience(GUILD), QuoteFilters(contains="alpha"), random.Random(5)
    shown = [(await pick_quote(store, audience, filters, rng=rng)).quote.id]
    blocks = quote_calls.watch("_block_rows")
    shown += [(await pick_quote(store, audience, filters, rng=rng)).quote.id for _ in range(400)]
    assert len(set(shown)) == len(shown)
    returned = [len(lines) for lines, *_ in blocks.results]
    assert max(returned) > 100, returned  # a block's every match, not 64 of them


async def test_a_steady_pick_plans_no_new_cycle(store: Store, quote_calls: QuoteCalls) -> None:
    # On PostgreSQL every pick reads the stored cycle; the plan (the words' matches counted, twice) is
    # read only when a new cycle starts: main read it at every pick there (60-140 ms at 10^5 quotations
    # for a word filter, when the rowid range was read whole into a bitmap). SQLite keeps its cycles in
    # memory, and reads neither.
    first = await add(store, dialogue_story("s0", lines=60))
    for i in range(1, 4):
        await add(store, dialogue_story(f"s{i}", lines=60))
    plans = quote_calls.watch("_load")
    for k, filters in enumerate((QuoteFilters(contains="line"), QuoteFilters(character="Naruto", contains="line"),
                                 QuoteFilters(story_id=first, contains="line"))):
        plans.reset()
        audience, rng = Audience(GUILD), random.Random(k)
        shown = [(await pick_quote(store, audience, filters, rng=rng)).quote.id for _ in range(20)]
        assert len(set(shown)) == len(shown)
        assert len(plans) == 1, (filters, len(plans))


def test_a_whole_block_reads_slots_as_block_slot_computes_them() -> None:
    rng = random.Random(4)
    for _ in range(50):
        bits, seed, low = rng.randrange(4, 20), rng.getrandbits(63), rng.randrange(1, 10 ** 6)
        blocks = [rng.randrange(64) for _ in range(3)]
        ids = [(i, low + (b << bits) + rng.randrange(1 << bits)) for i, b in enumerate(blocks) for _ in range(5)]
        rows = [(line, "text", None, 0.5, i, 1, 99) for i, line in ids]
        out = quotes._whole_blocks(rows, seed, low, bits, blocks, 10, 0)
        assert out is not None
        assert [r[4] for r in out] == [((10 + i) << bits) + quotes.block_slot(line - low - (blocks[i] << bits), seed,
                                                                               blocks[i], bits) for i, line in ids]


@pytest.mark.postgresql_only
async def test_postgresql_plans_quotes_statements_for_their_arguments(store: Store, quote_calls: QuoteCalls) -> None:
    # A generic plan (PostgreSQL's choice after five runs of a prepared statement) is blind to the word
    # and the rowid range: a story's word filter at 10^6 quotations took 200-430 ms a statement with one.
    # /quote's transaction plans each of its statements for its arguments (set with its lock: no round
    # trip more); the other commands' statements keep PostgreSQL's default (main set it on every
    # connection of the pool, every statement of every command planned at each run).

    async def mode(*_: object) -> str:
        return (await store.db.execute_fetchall("SHOW plan_cache_mode"))[0][0]

    for i in range(3):
        await add(store, dialogue_story(f"s{i}", lines=30))
    picks = quote_calls.watch("_find_stored", note=mode)  # (in the pick's transaction, before its reads)
    for filters in (QuoteFilters(contains="line"), QuoteFilters(), QuoteFilters(character="Naruto")):
        for _ in range(2):
            await pick_quote(store, Audience(GUILD), filters)
            assert await mode() == "auto"
    assert [call.noted for call in picks.calls] == ["force_custom_plan"] * 6
    for _ in range(2):  # the store's own connection, then one taken from the pool and given back
        assert await mode() == "auto"
        async with store.atomic():
            assert await mode() == "auto"
            async with store.atomic(settings=postgres.CUSTOM_PLANS):  # (nested: a statement of its own)
                assert await mode() == "force_custom_plan"
            assert await mode() == "force_custom_plan"  # (SET LOCAL: to the transaction's end)
        assert await mode() == "auto"
    reader = await store.reader()  # (a connection of the pool for each statement)
    assert (await reader.execute_fetchall("SHOW plan_cache_mode"))[0][0] == "auto"


@pytest.mark.sqlite_only
async def test_a_whole_block_read_passes_over_a_search_row_whose_line_is_gone(store: Store) -> None:
    """A damaged full-text index (a row whose quote is gone: deleted while the delete trigger was
    missing) is passed over as the database's ordered read passes it over, not a crash."""
    for i in range(3):
        await add(store, dialogue_story(f"seen{i}", lines=100))
    audience, filters, rng = Audience(GUILD), QuoteFilters(contains="line"), random.Random(5)
    await pick_quote(store, audience, filters, rng=rng)
    await store.db.execute("DROP TRIGGER quotes_fts_delete")
    gone = {row[0] for row in await store.db.execute_fetchall("SELECT id FROM quotes WHERE id % 7 = 0")}
    await store.db.execute("DELETE FROM quotes WHERE id % 7 = 0")
    assert gone
    shown = [await pick_quote(store, audience, filters, rng=rng) for _ in range(200)]
    assert all(pick is not None and pick.quote.id not in gone for pick in shown)


@pytest.mark.sqlite_only
async def test_a_cycle_remembers_a_block_denser_than_the_cap(
    store: Store, quote_calls: QuoteCalls, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A block holding _WHOLE_BLOCK_CAP matches or more is read in the database's order. A cycle
    remembers the block it found so: the walks after inside it read it in that order at once, and its
    slices are not read ahead (main read it whole, threw that away and read it in order at every walk
    inside it, and read its slices ahead for nothing)."""
    for i in range(6):
        await add(store, dialogue_story(f"seen{i}", lines=100, speakers=("Naruto", None)))
    seen = {row[0] for row in await store.db.execute_fetchall(
        "SELECT id FROM quotes WHERE text LIKE '%line number%'")}
    monkeypatch.setattr(quotes, "_WHOLE_BLOCK_CAP", 16)  # every block (64 ids, about 60 matches) holds more
    audience, filters, rng = Audience(GUILD), QuoteFilters(contains="line"), random.Random(3)
    shown = [(await pick_quote(store, audience, filters, rng=rng)).quote.id]
    wholes = quote_calls.watch("_whole_blocks")  # (a walk's whole read, or a slice read ahead)
    walks = quote_calls.watch("_block_rows", note=lambda args: (args["cycle"].seed, args["cycle"].cursor,
                                                                 args["whole"]))
    shown += [(await pick_quote(store, audience, filters, rng=rng)).quote.id for _ in range(2 * len(seen) - 1)]
    # Two cycles, each showing every line once (the walks' order is the database's whichever read).
    assert set(shown[:len(seen)]) == set(shown[len(seen):]) == seen
    bits = quotes._block_bits(next(iter(quotes._memory(store).cycles.values())).domain)
    assert bits is not None
    steady = [(seed, cursor) for seed, cursor, whole in (call.noted for call in walks.calls) if whole]
    entered = len({(seed, cursor >> bits) for seed, cursor in steady})  # blocks of a pass the steady walks went into
    too_dense = wholes.count(lambda call: call.result is None)
    # Each block found too dense once (by its whole read or a slice), not at every walk inside it.
    assert len(steady) > entered + 10, (len(steady), entered)
    assert too_dense <= entered, (too_dense, entered, len(steady))


@pytest.mark.postgresql_only
async def test_a_word_filters_plan_on_postgresql_reads_a_bounded_number_of_rows(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL's full-text index yields rows, not ids in order: main counted a word's first
    _BLOCK_PROBE matches by reading the primary key in order and testing each row (up to
    _BLOCK_PROBE / density rows: 121 ms for a word in 0.6 % of 10^6 lines), or every match's row.
    Now the first matches are counted among the range's first _PG_FIRST_IDS ids, the window is at most
    _PG_WORD_WINDOW ids, and only a word with few matches in both is counted across the range (up to
    _BLOCK_PROBE), so a first pick's plan reads a bounded number of rows. Counted here (rows the
    statement fetched from quotes, pg_stat_xact_user_tables), with the bounds scaled down."""
    monkeypatch.setattr(quotes, "_PG_FIRST_IDS", 64, raising=False)  # (main has none)
    monkeypatch.setattr(quotes, "_PG_WORD_WINDOW", 64, raising=False)
    for i in range(24):  # about 1,300 ids; "line" in every line, "late" in the last four stories only
        await add(store, dialogue_story(f"{'late ' if i >= 20 else ''}s{i}", lines=50))
    await store.db.execute("ANALYZE")
    lines = {word: {row[0] for row in await store.db.execute_fetchall(
        f"SELECT id FROM quotes WHERE text LIKE '%{word}%' AND text LIKE '%line number%'")} for word in ("line", "late")}
    windows = set()
    for word, k in itertools.product(("line", "late"), range(8)):  # (the window at eight random places)
        async with store.atomic():
            # (As the planner reads a library of millions of lines: by its indexes, not scans of the table.)
            await store.db.execute("SET LOCAL enable_seqscan = off")
            before = await _rows_fetched(store)
            _, plan = await quotes._load(store, Audience(GUILD), QuoteFilters(contains=word), "k", rng=random.Random(k))
            fetched = await _rows_fetched(store) - before
        # Main: 1,024 rows for "line" (its first 1,024 matches, read in id order).
        most = 64 + 64 + (quotes._BLOCK_PROBE if word == "late" else 16)  # (and a few index seeks)
        assert fetched <= most, (word, k, fetched)
        windows.add((word, bool(plan.window)))
        cycle = await quotes._start_cycle(store, Audience(GUILD), QuoteFilters(contains=word), plan,
                                          random.Random(k), None)
        assert cycle is not None, (word, k, plan)
        bits = quotes._block_bits(cycle.domain)
        assert bits is not None
        # Blocks of about _BLOCK_MATCHES matches where the word is ("late": every line of four stories).
        assert 1 << bits <= 8 * quotes._BLOCK_MATCHES, (word, k, bits)
    assert ("late", True) in windows and ("late", False) in windows  # (the window found "late" or not)
    for word in ("line", "late"):  # and a cycle shows each of its lines once (a few picks on PostgreSQL)
        shown = [(await pick_quote(store, Audience(GUILD + 1), QuoteFilters(contains=word))).quote.id
                 for _ in range(40)]
        assert len(set(shown)) == len(shown) and set(shown) <= lines[word]


async def _rows_fetched(store: Store) -> int:
    """Rows of quotes this transaction read so far (by sequential and index scans)."""
    rows = await store.db.execute_fetchall(
        "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) FROM pg_stat_xact_user_tables"
        " WHERE relname = 'quotes'")
    return int(rows[0][0]) if rows else 0
