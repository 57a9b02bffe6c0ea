"""/quote reads the reader's spoiler limits in the same round trip as its line (pick_quote_for):
one round trip for most picks, and a limit set or lifted anywhere (another process included) holds
from the next pick, without passing over a line of the cycle it was guessed for."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.store import Store, spoilers
from bot.store.audience import Audience
from bot.store.quotes import QuoteCard, QuoteFilters, _memory, pick_quote_for
from tests.quotes.helpers import add
from tests.roundtrips import RoundTrips
from tests.spoilers.helpers import chaptered_story, leaked

GUILD, READER, MOD = 111, 501, 502
pytestmark = pytest.mark.sqlite_only  # the guess is made on SQLite only (PostgreSQL locks per pick)


async def _load(store: Store) -> int:
    return await add(store, chaptered_story(lines=8), guild_id=GUILD)


async def _pick(store: Store, audience: Audience, filters: QuoteFilters, walk: bool) -> QuoteCard:
    if walk:  # forget the lines the last query found ahead: this pick walks its cycle
        for cycle in _memory(store).cycles.values():
            cycle.ahead.clear()
    return await pick_quote_for(store, audience, READER, filters)


async def _five_then_limited(store: Store, database: Path, filters: QuoteFilters, walk: bool):
    """Five picks of an unlimited cycle, then another process (its own connection) limits the
    story to chapter 1, which this process's remembered limits do not know: the story's id, the
    lines shown and the cycle's seed."""
    story_id = await _load(store)
    shown = [(await _pick(store, Audience(GUILD), filters, walk)).quote for _ in range(5)]
    (cycle,) = _memory(store).cycles.values()
    async with Store.open(database) as other:
        await spoilers.set_limit(other, GUILD, story_id, 0, MOD)
    return story_id, shown, cycle


FILTERS = [QuoteFilters(), QuoteFilters(contains="lantern"), QuoteFilters(contains="lantern burns")]
FILTER_IDS = ["every line", "a word (walked in blocks)", "two words (walked in blocks)"]
WALKS = pytest.mark.parametrize("walk", [False, True], ids=["lines known ahead", "a walk each pick"])


@WALKS
@pytest.mark.parametrize("filters", FILTERS, ids=FILTER_IDS)
async def test_a_known_line_and_the_limits_are_one_round_trip(
    store: Store, monkeypatch: pytest.MonkeyPatch, filters: QuoteFilters, walk: bool
) -> None:
    await _load(store)
    trips = RoundTrips(monkeypatch)
    counts = []
    for _ in range(27):  # the story has 28 lines: the cycle does not run out
        await store.write_behind.flush()
        trips.count = 0
        await _pick(store, Audience(GUILD), filters, walk)
        counts.append(trips.count)
    # The first pick reads the limits, then starts the cycle; every later one (a line the cycle
    # already knew, or a walk to the next ones, in blocks too) reads the limits with its first query.
    assert set(counts[1:]) == {1}, counts


@WALKS
@pytest.mark.parametrize("filters", FILTERS, ids=FILTER_IDS)
async def test_a_limit_set_by_another_process_holds_from_the_next_pick(
    store: Store, database: Path, filters: QuoteFilters, walk: bool
) -> None:
    audience = Audience(GUILD)
    # Another process limits the story to chapter 1, then the reader turns their own mode on:
    # neither is known to this process's remembered limits.
    story_id, shown, cycle = await _five_then_limited(store, database, filters, walk)
    seed = cycle.seed
    for _ in range(8):
        card = await _pick(store, audience, filters, walk)
        assert card.quote.chapter_index == 0 and not leaked(card.quote.text), card.quote.text
    async with Store.open(database) as other:
        await spoilers.clear_limit(other, GUILD, story_id)
        await spoilers.set_reader_mode(other, READER, True)
    for _ in range(8):
        card = await _pick(store, audience, filters, walk)
        assert card.quote.chapter_index == 0, card.quote.text
    async with Store.open(database) as other:
        await spoilers.set_reader_mode(other, READER, False)
    # Back without limits: the first cycle goes on, every line once (none passed over by the
    # picks whose guess was wrong), then it starts again.
    total = 8 * 3 + 4
    shown += [(await _pick(store, audience, filters, walk)).quote for _ in range(total - 5)]
    assert len({q.id for q in shown}) == len(shown) == total
    # ... and it ran out only now: a line passed over would have ended it one pick early.
    assert _memory(store).cycles[(GUILD, filters.key(False))].seed == seed


@WALKS
@pytest.mark.parametrize("filters", FILTERS, ids=FILTER_IDS)
async def test_a_line_given_back_is_kept_when_the_process_stops(
    store: Store, database: Path, filters: QuoteFilters, walk: bool
) -> None:
    audience = Audience(GUILD)
    story_id, shown, cycle = await _five_then_limited(store, database, filters, walk)
    seed = cycle.seed
    # The guess was wrong: the line this pick took went back to the unlimited cycle ...
    assert (await _pick(store, audience, filters, walk)).quote.chapter_index == 0
    assert len(cycle.returned) == 1
    # ... and the process stops (its writes land, as they do behind every reply). The next one
    # takes the line given back before going on: every line of the cycle once.
    await store.write_behind.flush()
    async with Store.open(database) as later:
        await spoilers.clear_limit(later, GUILD, story_id)
        total = 8 * 3 + 4
        shown += [(await _pick(later, audience, filters, walk)).quote for _ in range(total - 5)]
        assert len({q.id for q in shown}) == len(shown) == total
        assert _memory(later).cycles[(GUILD, filters.key(False))].seed == seed


async def test_a_filter_new_to_the_process_reads_the_limits_with_the_stored_cycle(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _load(store)
    await pick_quote_for(store, Audience(GUILD), READER, QuoteFilters())  # the reader's limits seen
    await pick_quote_for(store, Audience(GUILD), READER, QuoteFilters(), story="limit tale")  # and the story's name
    trips = RoundTrips(monkeypatch, foreground_only=True)
    for filters, story in [(QuoteFilters(contains="lantern"), None), (QuoteFilters(character="Marisol"), None),
                           (QuoteFilters(contains="burns"), "Limit Tale"), (QuoteFilters(character="Tavish"), "LIMIT TALE")]:
        await store.write_behind.flush()
        trips.count = 0
        await pick_quote_for(store, Audience(GUILD), READER, filters, story=story)
        # The stored cycle (none yet), the limits, the story named and the new cycle's first batch
        # in one round trip (2 when the batch came after, 3 when the limits, or the story and
        # limits, came first).
        assert trips.count == 1, (filters, story, trips.count)


async def test_a_filter_new_to_the_process_holds_a_limit_set_elsewhere(store: Store, database: Path) -> None:
    story_id = await _load(store)
    await pick_quote_for(store, Audience(GUILD), READER, QuoteFilters(), story="Limit Tale")  # limits and name seen
    async with Store.open(database) as other:
        await spoilers.set_limit(other, GUILD, story_id, 0, MOD)
    for filters, story in [(QuoteFilters(contains="lantern"), None), (QuoteFilters(character="Marisol"), "Limit Tale")]:
        for _ in range(6):
            card = await pick_quote_for(store, Audience(GUILD), READER, filters, story=story)
            assert card.quote.chapter_index == 0 and not leaked(card.quote.text), card.quote.text
