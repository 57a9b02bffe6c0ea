"""Steady /quote picks of word filters without a dear pick among them (branch steady13, issue 20).

A steady walk of a word filter reads a block whole and keeps its lines; the pick that finds none left
read the next block (1 pick in 15-40, the p99). Now the picks taking a block's kept lines each read a
slice of the next block ahead, in their own job, and the walk finds it read: the lines and their
order must be exactly those of the walk reading the block itself, and a line read ahead is checked
again when shown. A filter matching a line or two starts a cycle every pick or two: the next cycle
starts in memory (no new plan) while the plan could only say the same, and a first pass that read
the whole domain and took nothing gives its rows to the second pass."""
from __future__ import annotations

import random

import pytest

from bot.store import Store, quotes
from bot.store.audience import Audience
from bot.store.loader import delete_story, load_story
from bot.store.quotes import QuoteFilters, _memory, pick_quote, pick_quote_for
from tests.quotes.conftest import QuoteCalls
from tests.quotes.helpers import add, dialogue_story

GUILD, OTHER, READER = 111, 222, 501
VIA = pytest.mark.parametrize("via", ["pick_quote", "pick_quote_for"])


async def _pick(store: Store, filters: QuoteFilters, via: str, rng: random.Random) -> quotes.QuoteCard:
    if via == "pick_quote":
        return await pick_quote(store, Audience(GUILD), filters, rng=rng)
    return await pick_quote_for(store, Audience(GUILD), READER, filters, rng=rng)


async def _alpha_library(store: Store, stories: int = 10) -> set[str]:
    """Stories whose every line says "alpha" (every second without a speaker: the second pass's),
    one another server's and one rated M among them: the texts this server's channel may see."""
    seen: set[str] = set()
    for i in range(stories):
        story = dialogue_story(f"alpha s{i}", lines=100, speakers=("Naruto", None))
        if i == 3:
            await add(store, story, guild_id=OTHER)
        elif i == 6:
            await add(store, story, rating="M")
        else:
            await add(store, story)
            seen |= {q.text for q in story.quotes if quotes.quotable(q.text) and "alpha" in q.text}
    return seen


@pytest.mark.sqlite_only  # (PostgreSQL keeps no lines between picks: each pick walks)
@VIA
async def test_steady_walks_find_their_next_block_read_ahead(store: Store, quote_calls: QuoteCalls, via: str) -> None:
    seen = await _alpha_library(store)
    filters, rng = QuoteFilters(contains="alpha"), random.Random(7)
    shown = [(await _pick(store, filters, via, rng)).quote.text]
    blocks = quote_calls.watch("_block_rows")
    ahead = quote_calls.watch("_read_ahead", missing_ok=True)  # (main had none)
    most_ahead = 0
    for _ in range(len(seen) - 1):
        before = len(ahead)
        shown.append((await _pick(store, filters, via, rng)).quote.text)
        most_ahead = max(most_ahead, len(ahead) - before)
    # The cycle: every line the channel may see, once (the walks' order is exactly the database's).
    assert len(shown) == len(set(shown)) and set(shown) == seen
    # The cycle's first walk read 16 lines and the next one the rest of that block; every later block
    # was read ahead, one slice a pick (main: a block statement at every walk, about 1 pick in 30).
    assert len(blocks) <= 2, len(blocks)
    assert len(ahead) >= 10 and most_ahead == 1, (len(ahead), most_ahead)


@pytest.mark.sqlite_only
@VIA
@pytest.mark.parametrize("change", ["rating", "guild", "removed"])
async def test_a_line_read_ahead_is_checked_again_when_shown(store: Store, via: str, change: str) -> None:
    stories = [await add(store, dialogue_story(f"alpha s{i}", lines=100, speakers=("Naruto", None)))
               for i in range(12)]
    filters, rng = QuoteFilters(contains="alpha"), random.Random(11)
    shown = [await _pick(store, filters, via, rng)]
    (cycle,) = _memory(store).cycles.values()
    while not (cycle.slices and cycle.ahead):  # a slice of the next block read ahead, lines of this one left
        shown.append(await _pick(store, filters, via, rng))
    # Every story but those of this block's lines left is rated for adults, moved to another server or
    # removed since: the next block's lines read ahead were acceptable when read, and are not now.
    marks = ",".join("?" * len(cycle.ahead_ids))
    kept = {row[0] for row in await store.db.execute_fetchall(
        f"SELECT DISTINCT story_id FROM quotes WHERE id IN ({marks})", list(cycle.ahead_ids.values()))}
    read = {line for _, lines in cycle.slices.values() if lines for _, line, ok, _ in lines if ok}
    assert read and not read & set(cycle.ahead_ids.values())
    for story_id in set(stories) - kept:
        if change == "rating":
            await store.db.execute("UPDATE stories SET rating = 'M' WHERE id = ?", (story_id,))
        elif change == "guild":
            await store.db.execute("UPDATE stories SET guild_id = ? WHERE id = ?", (OTHER, story_id))
        else:
            await delete_story(store, story_id)
    later = []
    for _ in range(60):
        try:
            later.append(await _pick(store, filters, via, rng))
        except quotes.NothingMatches:
            break
    assert later and {card.story.id for card in later} <= kept
    assert len({card.quote.id for card in shown + later}) == len(shown) + len(later)


async def _small_library(store: Store) -> dict[str, int]:
    """A story where "rare" is said twice (the second line without a sure speaker), another where
    a third line says it, and stories without it."""
    small = await add(store, dialogue_story("small", lines=40, extra_quotes=(
        "a rare thing to say aloud", "another rare thing to say aloud")))
    other = await add(store, dialogue_story("other", lines=40, extra_quotes=("rare words in another story",)))
    await store.db.execute("UPDATE quotes SET confidence = 0.2 WHERE story_id = ? AND text LIKE 'another rare%'",
                           (small,))
    for i in range(3):
        await add(store, dialogue_story(f"plain{i}", lines=40))
    return {"small": small, "other": other}


SMALL = pytest.mark.parametrize("kind", ["story+contains", "story+character+contains", "contains",
                                         "character+contains"])


def _small_filters(kind: str, ids: dict[str, int]) -> tuple[QuoteFilters, int]:
    """The filter and how many lines it matches."""
    story = ids["small"] if kind.startswith("story") else None
    character = "Naruto" if "character" in kind else None
    return QuoteFilters(story, character, "rare"), 2 if story is not None else 3


@pytest.mark.sqlite_only  # (cycles kept in memory are SQLite's; PostgreSQL reads the stored cycle at every pick)
@VIA
@SMALL
async def test_a_small_filters_next_cycle_starts_without_a_new_plan(
    store: Store, quote_calls: QuoteCalls, via: str, kind: str
) -> None:
    filters, size = _small_filters(kind, await _small_library(store))
    plans = quote_calls.watch("_load")
    rng = random.Random(5)
    shown = [(await _pick(store, filters, via, rng)).quote.id for _ in range(4 * size)]
    # Each cycle shows every line once (main planned each one: 4 plans).
    assert [len(set(shown[k:k + size])) for k in range(0, 4 * size, size)] == [size] * 4, shown
    assert len(set(shown)) == size
    assert len(plans) == 1, len(plans)


@pytest.mark.sqlite_only
@pytest.mark.parametrize("character", [None, "Naruto"])
async def test_a_story_replaced_between_cycles_starts_a_planned_cycle(store: Store, character: str | None) -> None:
    # The story is the last loaded, so its new lines take the ids its old ones had: only the story's
    # content hash tells that the old cycle's domain is stale (with a character, a count of 2 matches
    # over those ids, which now hold 3: a cycle of the old domain would show 2 of them).
    await add(store, dialogue_story("plain", lines=20))

    async def load(lines: tuple[str, ...], digest: str) -> int:
        story = dialogue_story("tale", lines=10, extra_quotes=lines)
        return await load_story(store, story, title="Tale", rating="T", content_hash=digest, source="tale.txt")

    first = await load(("a rare thing to say aloud", "another rare thing to say aloud"), "v1")
    filters, rng = QuoteFilters(first, character, "rare"), random.Random(3)
    old = {(await pick_quote(store, Audience(GUILD), filters, rng=rng)).quote.text for _ in range(4)}
    new_lines = ("rare one said here now", "rare two said here now", "rare three said here now")
    assert await load(new_lines, "v2") == first  # (the same id: a bundled story replaced)
    later = [(await pick_quote(store, Audience(GUILD), filters, rng=rng)).quote.text for _ in range(6)]
    assert len(old) == 2 and set(later[:3]) == set(new_lines) and set(later[3:]) == set(new_lines), later


@pytest.mark.sqlite_only
@VIA
@pytest.mark.parametrize("character", [None, "Naruto"])
async def test_a_story_added_joins_a_word_filters_next_cycle(store: Store, via: str, character: str | None) -> None:
    await add(store, dialogue_story("first", lines=30, extra_quotes=("a rare thing to say aloud",)))
    for i in range(3):
        await add(store, dialogue_story(f"plain{i}", lines=30))
    filters, rng = QuoteFilters(None, character, "rare"), random.Random(9)
    first = (await _pick(store, filters, via, rng)).quote.text
    second = (await _pick(store, filters, via, rng)).quote.text  # the next cycle (started in memory)
    await add(store, dialogue_story("added", lines=30, extra_quotes=("rare words in the added story",)),
              guild_id=GUILD)
    later = {(await _pick(store, filters, via, rng)).quote.text for _ in range(4)}
    assert first == second == "a rare thing to say aloud"
    assert later == {"a rare thing to say aloud", "rare words in the added story"}


@pytest.mark.parametrize("character", [None, "Naruto"])
async def test_a_first_pass_read_whole_gives_its_rows_to_the_second_pass(
    store: Store, quote_calls: QuoteCalls, character: str | None
) -> None:
    # A story's two lines saying "rare", neither sure of its speaker: a new cycle's first query reads
    # both (the whole domain) and its first pass takes neither; the second pass takes them from the
    # same rows (main read them again: two queries a new cycle).
    story = await add(store, dialogue_story("small", lines=40, extra_quotes=(
        "a rare thing to say aloud", "another rare thing to say aloud")))
    await store.db.execute("UPDATE quotes SET confidence = 0.2 WHERE story_id = ? AND text LIKE '%rare%'", (story,))
    filters = QuoteFilters(story, character, "rare")
    blocks, batches = quote_calls.watch("_block_rows"), quote_calls.watch("_batch_rows")
    shown = [(await pick_quote(store, Audience(GUILD), filters, rng=random.Random(1))).quote.text]
    # (A line known ahead is checked by id: not a walk's query.)
    queries = len(blocks) + batches.count(lambda call: call.arguments["line"] is None)
    assert queries == 1, queries
    shown.append((await pick_quote(store, Audience(GUILD), filters)).quote.text)
    assert set(shown) == {"a rare thing to say aloud", "another rare thing to say aloud"}
