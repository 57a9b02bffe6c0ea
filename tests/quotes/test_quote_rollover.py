"""/quote when a cycle runs out and the next one starts (a small story's every few picks): the pick
that starts it is one round trip on SQLite (issue 20: it was three, under the pick lock, with every
pick of that filter queued behind it), and every rule of /quote holds across the change of cycle, on
both engines: each matching line once per cycle per server and filter, the age gate, the server
scope, a line given back after a wrong guess, and a restart."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.store import Store, postgres, spoilers
from bot.store.audience import Audience
from bot.store.quotes import QuoteCard, QuoteFilters, _memory, pick_quote, pick_quote_for
from tests.locks import hold_write_lock
from tests.quotes.helpers import add, dialogue_story
from tests.roundtrips import RoundTrips
from tests.spoilers.helpers import chaptered_story

GUILD, OTHER, READER, MOD = 111, 222, 501, 502
CYCLES = 3  # cycles walked by each check


def _lines(tag: str, count: int) -> set[str]:
    """The quotable lines of dialogue_story(tag, lines=count)."""
    return {f"{tag} line number {i} has enough words" for i in range(count)}


def _story(tag: str, lines: int):
    # A speaker of None: lines without a confident speaker, taken in each cycle's second pass.
    return dialogue_story(tag, lines=lines, speakers=("Naruto", None, "Sasuke"))


async def _library(store: Store) -> dict[str, set[str]]:
    """Small stories, so cycles run out every few picks: the lines each audience may be shown."""
    await add(store, _story("open", 4), title="Open Tale")  # bundled, every server
    await add(store, _story("grown", 3), title="Grown Tale", rating="M")  # bundled, M: adults only
    await add(store, _story("ours", 3), title="Our Tale", guild_id=GUILD)  # uploaded here
    await add(store, _story("theirs", 2), title="Their Tale", guild_id=OTHER)  # uploaded in another server
    return {
        "here": _lines("open", 4) | _lines("ours", 3),
        "there": _lines("open", 4) | _lines("theirs", 2),
        "here, adult": _lines("open", 4) | _lines("ours", 3) | _lines("grown", 3),
    }


def _cycles(shown: list[str], size: int) -> list[set[str]]:
    assert len(shown) == CYCLES * size
    return [set(shown[i:i + size]) for i in range(0, len(shown), size)]


async def _pick(store: Store, audience: Audience, filters: QuoteFilters, via: str, story: str | None = None) -> QuoteCard:
    if via == "pick_quote":
        return await pick_quote(store, audience, filters)
    return await pick_quote_for(store, audience, READER, filters, story=story)


VIA = pytest.mark.parametrize("via", ["pick_quote", "pick_quote_for"])


@VIA
@pytest.mark.parametrize("words", [None, "enough words"], ids=["every line", "contains"])
async def test_each_cycle_shows_every_visible_line_once_per_server_across_new_cycles(
    store: Store, via: str, words: str | None
) -> None:
    visible = await _library(store)
    filters = QuoteFilters(contains=words)
    audiences = {"here": Audience(GUILD), "there": Audience(OTHER), "here, adult": Audience(GUILD, adult=True)}
    shown: dict[str, list[str]] = {name: [] for name in audiences}
    # Interleaved, so each server's (and age gate's) cycle starts again while the others' go on.
    for i in range(CYCLES * max(len(lines) for lines in visible.values())):
        for name, audience in audiences.items():
            if i < CYCLES * len(visible[name]):
                shown[name].append((await _pick(store, audience, filters, via)).quote.text)
    for name, lines in visible.items():
        assert _cycles(shown[name], len(lines)) == [lines] * CYCLES, name


@VIA
async def test_a_story_and_a_character_keep_their_own_cycles_across_new_cycles(store: Store, via: str) -> None:
    await _library(store)
    ours = _lines("ours", 3)
    naruto = {"open line number 0 has enough words", "open line number 3 has enough words",
              "ours line number 0 has enough words"}  # not the M story's, nor the other server's
    story_id = (await pick_quote(store, Audience(GUILD), QuoteFilters(contains="ours"))).story.id
    story = QuoteFilters() if via == "pick_quote_for" else QuoteFilters(story_id)  # the story named, or its id
    by_story: list[str] = []
    by_name: list[str] = []
    for _ in range(CYCLES * len(ours)):  # interleaved: each starts its next cycle while the other goes on
        by_story.append((await _pick(store, Audience(GUILD), story, via, story="Our Tale")).quote.text)
        by_name.append((await _pick(store, Audience(GUILD), QuoteFilters(character="naruto"), via)).quote.text)
    assert _cycles(by_story, len(ours)) == [ours] * CYCLES
    assert _cycles(by_name, len(naruto)) == [naruto] * CYCLES


@pytest.mark.parametrize("picked_before", [0, 1, 2], ids=["at a cycle's end", "after the new cycle's first", "within"])
async def test_a_restart_goes_on_with_the_cycle_started_before_it(
    store: Store, database: str | Path, picked_before: int
) -> None:
    visible = (await _library(store))["here"]
    size = len(visible)
    shown = [(await pick_quote(store, Audience(GUILD), QuoteFilters())).quote.text for _ in range(size + picked_before)]
    await store.write_behind.flush()  # as when the process stops
    async with Store.open(database) as later:
        shown += [(await pick_quote(later, Audience(GUILD), QuoteFilters())).quote.text
                  for _ in range(CYCLES * size - len(shown))]
    assert _cycles(shown, size) == [visible] * CYCLES


@pytest.mark.sqlite_only  # PostgreSQL writes each pick's cycle in the pick's own transaction
async def test_cycles_started_while_another_process_holds_the_write_lock_show_every_line_once(store: Store) -> None:
    """The rows of the cycles started meanwhile wait behind the lock (an upload being stored), so
    the stored row is an older cycle's: it is not taken up again when the newer one runs out."""
    await add(store, _story("tiny", 5), title="Tiny Tale", guild_id=GUILD)
    shown = [(await pick_quote(store, Audience(GUILD), QuoteFilters())).quote.text]
    await store.write_behind.flush()  # the first cycle's row, at its first cursor
    other = hold_write_lock(store.path)
    try:
        shown += [(await pick_quote(store, Audience(GUILD), QuoteFilters())).quote.text for _ in range(3 * CYCLES * 5 - 1)]
        assert store.write_behind.pending
    finally:
        other.release()
    assert [set(shown[i:i + 5]) for i in range(0, len(shown), 5)] == [_lines("tiny", 5)] * 3 * CYCLES


# --- guesses (SQLite: a pick guesses the reader's limits and reads them with its line) ------------

async def _another_process(database: str | Path, story_id: int, limit: bool) -> None:
    async with Store.open(database) as other:
        if limit:
            await spoilers.set_limit(other, GUILD, story_id, 0, MOD)
        else:
            await spoilers.clear_limit(other, GUILD, story_id)


@pytest.mark.sqlite_only
@pytest.mark.parametrize("taken", ["the last line", "none: the cycle ran out"])
async def test_a_wrong_guess_at_a_cycles_end_loses_no_line(store: Store, database: Path, taken: str) -> None:
    """The limits this process remembers are wrong just as the cycle ends: the line the pick took
    goes back (then shown first), or, with none left, no new cycle is started under the wrong
    guess; either way each cycle still shows every line once."""
    story_id = await add(store, chaptered_story(lines=2), guild_id=GUILD)  # 2 + 2 + 6 lines
    total, first_chapter = 10, 2
    audience, filters = Audience(GUILD), QuoteFilters()
    shown = [(await pick_quote_for(store, audience, READER, filters)).quote for _ in range(total - 1)]
    if taken != "the last line":
        shown.append((await pick_quote_for(store, audience, READER, filters)).quote)
    cycle = _memory(store).cycles[(GUILD, filters.key(False))]
    await _another_process(database, story_id, limit=True)
    limited = [(await pick_quote_for(store, audience, READER, filters)).quote for _ in range(first_chapter)]
    assert {q.chapter_index for q in limited} == {0} and len({q.id for q in limited}) == first_chapter
    assert len(cycle.returned) == (1 if taken == "the last line" else 0)
    await _another_process(database, story_id, limit=False)
    shown += [(await pick_quote_for(store, audience, READER, filters)).quote for _ in range(CYCLES * total - len(shown))]
    assert [len({q.id for q in shown[i:i + total]}) for i in range(0, len(shown), total)] == [total] * CYCLES


@pytest.mark.sqlite_only  # counts aiosqlite's round trips
@pytest.mark.parametrize("how", ["pick_quote", "pick_quote_for", "pick_quote_for a story", "Another"])
async def test_a_pick_that_starts_the_next_cycle_is_one_round_trip(
    store: Store, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    story_id = await add(store, _story("tiny", 5), title="Tiny Tale", guild_id=GUILD)  # 3 confident, 2 not
    filters = QuoteFilters(story_id) if how == "Another" else QuoteFilters()
    via = "pick_quote" if how == "pick_quote" else "pick_quote_for"
    story = "tiny tale" if how == "pick_quote_for a story" else None
    trips = RoundTrips(monkeypatch, foreground_only=True)
    counts, shown = [], []
    for _ in range(CYCLES * 5):
        await store.write_behind.flush()
        trips.count = 0
        shown.append((await _pick(store, Audience(GUILD), filters, via, story)).quote.text)
        counts.append(trips.count)
    assert _cycles(shown, 5) == [_lines("tiny", 5)] * CYCLES
    # After the first (the reader's limits and the story named, then the cycle), every pick is one
    # round trip: those that find a cycle's end and start the next too (they were 3).
    assert set(counts[1:]) == {1}, counts



async def test_on_postgresql_starting_the_next_cycle_costs_only_the_new_rows_write(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Statements sent per pick (a pick holds its cycle's advisory lock in a transaction: the stored
    cycle, the walk, the cursor's write, COMMIT): the pick that takes a cycle's last line passes over
    the rest, so the next starts the new cycle from the stored one without walking the old cycle's
    end first (main: two more, that walk and the new row's second statement)."""
    sent = 0
    run = postgres.PgConnection._run

    async def counted(conn: postgres.PgConnection, sql: str, params: object) -> object:
        nonlocal sent
        sent += 1
        return await run(conn, sql, params)

    monkeypatch.setattr(postgres.PgConnection, "_run", counted)
    async with Store.open(postgres_url) as store:
        await add(store, _story("tiny", 5), title="Tiny Tale", guild_id=GUILD)
        counts, shown = [], []
        for _ in range(CYCLES * 5):
            sent = 0
            shown.append((await pick_quote(store, Audience(GUILD), QuoteFilters())).quote.text)
            counts.append(sent)
    assert _cycles(shown, 5) == [_lines("tiny", 5)] * CYCLES
    ordinary = min(counts)
    # Each cycle's first pick writes the new row in the statement a later pick writes its cursor with: the
    # DELETE of cycles unused for long in its WITH (main: a statement of its own, a round trip more).
    assert counts[5::5] == [ordinary] * (CYCLES - 1) and set(counts[1:5]) == {ordinary}, counts
