"""Repository tests for /quote and /excerpt: filters, no repeats, visibility, excerpt shape."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from bot.errors import CharacterNotFound, NothingMatches, StoryNotFound
from bot.store import Store, quotes
from bot.store.audience import Audience, character_choices, resolve_story, story_choices
from bot.store.migrate import MIGRATIONS_DIR
from bot.store.quotes import (
    EXCERPT_CHARS,
    QuoteFilters,
    cycle_filters,
    permute,
    pick_excerpt,
    pick_quote,
    quotable,
    quote_context,
)
from bot.store.spoilers import NO_LIMITS, ChapterLimits
from tests.quotes.helpers import add, dialogue_story, prose_story
from tests.roundtrips import RoundTrips

GUILD_A, GUILD_B = 111, 222




@pytest.mark.parametrize("size", [1, 2, 3, 5, 16, 17, 100, 1000, 4097])
def test_permute_is_a_bijection(size: int) -> None:
    for seed in (0, 1, 987654321):
        assert sorted(permute(i, size, seed) for i in range(size)) == list(range(size))


def test_permute_depends_on_seed() -> None:
    orders = {tuple(permute(i, 50, seed) for i in range(50)) for seed in range(5)}
    assert len(orders) == 5


def test_permute_rejects_index_outside() -> None:
    with pytest.raises(ValueError):
        permute(5, 5, 1)


def test_quotable_skips_fragments_and_speeches() -> None:
    assert quotable("I will never give up.")
    assert not quotable("No way!")
    assert not quotable("word " * 150)


async def test_unfiltered_quotes_never_repeat_until_pool_is_exhausted(store: Store) -> None:
    await add(store, dialogue_story("alpha", lines=7))
    await add(store, dialogue_story("beta", lines=5))
    await add(store, dialogue_story("gamma", lines=4), guild_id=GUILD_A)
    audience = Audience(GUILD_A)
    rng = random.Random(4)
    shown = [(await pick_quote(store, audience, QuoteFilters(), rng=rng)).quote.id for _ in range(16)]
    assert len(set(shown)) == 16  # 7 + 5 + 4 quotable lines, fragments and speeches skipped
    again = [(await pick_quote(store, audience, QuoteFilters(), rng=rng)).quote.id for _ in range(16)]
    assert set(again) == set(shown)


async def test_confident_speakers_come_first(store: Store) -> None:
    await add(store, dialogue_story("sure", lines=6, confidence=0.95))
    await add(store, dialogue_story("unsure", lines=6, speakers=(None,), confidence=0.2))
    for filters in (QuoteFilters(), QuoteFilters(contains="line number")):
        picked = [(await pick_quote(store, Audience(None), filters)).quote for _ in range(12)]
        assert all(q.speaker is not None for q in picked[:6]), filters
        assert all(q.speaker is None for q in picked[6:]), filters


async def test_no_repeats_are_remembered_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "restart.db"
    async with Store.open(path) as store:
        story_id = await add(store, dialogue_story("alpha", lines=9))
        first = {(await pick_quote(store, Audience(GUILD_A), QuoteFilters(story_id=story_id))).quote.id
                 for _ in range(5)}
    async with Store.open(path) as store:
        rest = {(await pick_quote(store, Audience(GUILD_A), QuoteFilters(story_id=story_id))).quote.id
                for _ in range(4)}
    assert len(first) == 5 and len(rest) == 4 and not first & rest


async def test_guilds_keep_separate_cycles(store: Store) -> None:
    await add(store, dialogue_story("alpha", lines=4))
    one = {(await pick_quote(store, Audience(GUILD_A), QuoteFilters())).quote.id for _ in range(4)}
    two = {(await pick_quote(store, Audience(GUILD_B), QuoteFilters())).quote.id for _ in range(4)}
    assert one == two and len(one) == 4


async def test_character_filter_by_name_or_alias_across_stories(store: Store) -> None:
    await add(store, dialogue_story("alpha", lines=6, speakers=("Naruto", "Sasuke")))
    await add(store, dialogue_story("beta", lines=4, speakers=("Naruto", "Hinata")))
    picked = {(await pick_quote(store, Audience(None), QuoteFilters(character=" naruto "))).quote
              for _ in range(5)}
    assert {q.speaker for q in picked} == {"Naruto"} and len(picked) == 5
    with pytest.raises(CharacterNotFound):
        await pick_quote(store, Audience(None), QuoteFilters(character="Gaara"))


async def test_contains_uses_quoted_words_so_fts_syntax_is_plain_text(store: Store) -> None:
    await add(store, dialogue_story("alpha", lines=3, extra_quotes=("Believe it OR not, NEAR the end",)))
    card = await pick_quote(store, Audience(None), QuoteFilters(contains='OR NEAR'))
    assert card.quote.text == "Believe it OR not, NEAR the end"
    for attack in ('"', 'text:line', 'line*', 'NEAR(line number)', '^line', "line -number", "(", "AND"):
        try:
            await pick_quote(store, Audience(None), QuoteFilters(contains=attack))
        except NothingMatches:
            pass  # a clean "nothing matches" is fine; an sqlite error is not
    assert QuoteFilters(contains="   ").unfiltered


async def test_nothing_matching_says_what_to_try(store: Store) -> None:
    await add(store, dialogue_story("alpha", lines=3))
    with pytest.raises(NothingMatches, match="/story list"):
        await pick_quote(store, Audience(None), QuoteFilters(contains="zeppelin"))


async def test_guild_stories_stay_in_their_guild(store: Store) -> None:
    mine = await add(store, dialogue_story("mine", lines=3), guild_id=GUILD_A, title="Mine Only")
    assert await resolve_story(store, Audience(GUILD_A), "mine only")
    for audience in (Audience(GUILD_B), Audience(None)):
        with pytest.raises(StoryNotFound):
            await resolve_story(store, audience, "Mine Only")
        with pytest.raises(StoryNotFound):
            await resolve_story(store, audience, str(mine))
        assert await story_choices(store, audience, "mine") == []
        with pytest.raises(NothingMatches):
            await pick_quote(store, audience, QuoteFilters())


async def test_adult_stories_only_in_age_restricted_channels(store: Store) -> None:
    await add(store, dialogue_story("grown", lines=3), title="Grown Up", rating="M")
    with pytest.raises(StoryNotFound):
        await resolve_story(store, Audience(GUILD_A, adult=False), "Grown Up")
    assert (await resolve_story(store, Audience(GUILD_A, adult=True), "grown up")).rating == "M"
    with pytest.raises(NothingMatches):
        await pick_quote(store, Audience(GUILD_A), QuoteFilters())
    assert await pick_quote(store, Audience(GUILD_A, adult=True), QuoteFilters())


async def test_cycle_filters_round_trip_for_another_button(store: Store) -> None:
    story_id = await add(store, dialogue_story("alpha", lines=3))
    filters = QuoteFilters(story_id=story_id, character="Naruto", contains="line")
    card = await pick_quote(store, Audience(GUILD_A), filters)
    assert await cycle_filters(store, card.cycle_id, Audience(GUILD_A)) == filters
    assert await cycle_filters(store, card.cycle_id, Audience(GUILD_B)) is None


async def test_context_holds_neighbouring_paragraphs(store: Store) -> None:
    await add(store, dialogue_story("alpha", lines=5))
    card = await pick_quote(store, Audience(None), QuoteFilters(contains="number 2"))
    context = await quote_context(store, Audience(None), card.quote.id)
    assert [p.seq for p in context.paragraphs] == [1, 2, 3]
    assert await quote_context(store, Audience(None), 10_000) is None


async def test_excerpt_is_one_to_three_paragraphs_of_one_scene(store: Store) -> None:
    long = "x " * 700  # 1,400 characters: fits alone, never with a neighbour
    scenes = (("a1 " * 50, "a2 " * 50, "a3 " * 50, "a4 " * 50), (long, "b2 " * 50), ("y " * 800,))
    story_id = await add(store, prose_story("p", scenes))
    rng = random.Random(1)
    for _ in range(40):
        excerpt = await pick_excerpt(store, Audience(None), story_id, rng=rng)
        texts = [p.text for p in excerpt.paragraphs]
        assert 1 <= len(texts) <= 3
        assert len({(p.chapter_index, p.scene_index) for p in excerpt.paragraphs}) == 1
        assert sum(len(t) for t in texts) + 2 * (len(texts) - 1) <= EXCERPT_CHARS
        seqs = [p.seq for p in excerpt.paragraphs]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))


async def test_unfiltered_excerpts_start_anywhere_visible_and_nowhere_else(store: Store) -> None:
    bundled = await add(store, prose_story("b", (("b1 " * 20, "b2 " * 20), ("b3 " * 20,))))
    mine = await add(store, prose_story("m", (("m1 " * 20,), ("m2 " * 20,))), guild_id=GUILD_A)
    await add(store, prose_story("o", (("o1 " * 20,),)), guild_id=GUILD_B)
    adult = await add(store, prose_story("x", (("x1 " * 20,),)), guild_id=GUILD_A, rating="Explicit")
    rng = random.Random(7)
    starts = {(e.story.id, e.paragraphs[0].seq) for e in [
        await pick_excerpt(store, Audience(GUILD_A), rng=rng) for _ in range(200)
    ]}
    assert starts == {(bundled, 0), (bundled, 1), (bundled, 2), (mine, 0), (mine, 1)}
    in_dm = {(await pick_excerpt(store, Audience(None), rng=rng)).story.id for _ in range(30)}
    assert in_dm == {bundled}
    grown_up = {(await pick_excerpt(store, Audience(GUILD_A, adult=True), rng=rng)).story.id for _ in range(200)}
    assert adult in grown_up
    with pytest.raises(NothingMatches):
        await pick_excerpt(store, Audience(GUILD_B), mine)
    excerpt = await pick_excerpt(store, Audience(GUILD_A), mine, rng=rng)
    assert excerpt.story.id == mine and excerpt.chapter.index == 0 and excerpt.heading is None


async def test_excerpt_with_nothing_short_enough(store: Store) -> None:
    story_id = await add(store, prose_story("big", (("z " * 900,),)))
    with pytest.raises(NothingMatches):
        await pick_excerpt(store, Audience(None), story_id)


async def test_character_choices_across_visible_stories(store: Store) -> None:
    await add(store, dialogue_story("a", lines=2, speakers=("Naruto", "Nagato")))
    await add(store, dialogue_story("b", lines=2, speakers=("Nara Shikaku",)), guild_id=GUILD_A)
    await add(store, dialogue_story("c", lines=2, speakers=("Nanami",)), guild_id=GUILD_B)
    await add(store, dialogue_story("d", lines=2, speakers=("Naoki",)), rating="Explicit")
    assert await character_choices(store, Audience(GUILD_A), " NA", None) == ["Nagato", "Nara Shikaku", "Naruto"]
    assert await character_choices(store, Audience(GUILD_A, adult=True), "nao", None) == ["Naoki"]
    assert await character_choices(store, Audience(None), "nan", None) == []
    assert await character_choices(store, Audience(GUILD_B), "", "Story c") == ["Nanami"]


async def test_rare_confident_speakers_still_give_every_line_once(store: Store) -> None:
    # 300 unsure lines and 2 sure ones: the first pass gives up looking for confident speakers
    # after its budget, and the second pass must still serve each remaining line exactly once.
    await add(store, dialogue_story("unsure", lines=300, speakers=(None,), confidence=0.1))
    await add(store, dialogue_story("sure", lines=2, confidence=0.99))
    rng = random.Random(11)
    shown = [(await pick_quote(store, Audience(None), QuoteFilters(), rng=rng)).quote.id for _ in range(302)]
    assert len(set(shown)) == 302


async def test_an_added_story_joins_the_next_cycle(store: Store) -> None:
    await add(store, dialogue_story("alpha", lines=3))
    first = (await pick_quote(store, Audience(GUILD_A), QuoteFilters())).quote.id
    await add(store, dialogue_story("beta", lines=3), guild_id=GUILD_A)
    later = {(await pick_quote(store, Audience(GUILD_A), QuoteFilters())).quote.id for _ in range(6)}
    assert len(later) == 6 and first in later


@pytest.mark.parametrize("seed", range(5))
async def test_a_story_with_the_characters_name_starts_its_cycle_afresh(store: Store, seed: int) -> None:
    # The character's lines across stories are laid out once per cycle (kept in memory); a new
    # story with that name must start the cycle again, its lines in it, not wait for the old
    # layout to run out (which would repeat the first story's lines among these five).
    rng = random.Random(seed)
    await add(store, dialogue_story("alpha", lines=6, speakers=("Naruto", "Sasuke")))
    await pick_quote(store, Audience(GUILD_A), QuoteFilters(character="Naruto"), rng=rng)
    await add(store, dialogue_story("beta", lines=4, speakers=("Naruto", "Hinata")), guild_id=GUILD_A)
    later = [(await pick_quote(store, Audience(GUILD_A), QuoteFilters(character="Naruto"), rng=rng)).quote
             for _ in range(5)]
    assert len({q.id for q in later}) == 5 and {q.speaker for q in later} == {"Naruto"}


@pytest.mark.parametrize("change", ["rating", "guild"])
async def test_a_word_filters_lines_found_ahead_are_checked_again_when_shown(store: Store, change: str) -> None:
    # A pick over a word's matches keeps the other lines its query found for the next picks; a
    # story rated M or moved to another server since must not show them.
    alpha = await add(store, dialogue_story("alpha", lines=8))
    beta = await add(store, dialogue_story("beta", lines=8))
    filters = QuoteFilters(contains="line")
    await pick_quote(store, Audience(GUILD_A), filters, rng=random.Random(3))
    column, value = ("rating", "M") if change == "rating" else ("guild_id", GUILD_B)
    await store.db.execute(f"UPDATE stories SET {column} = ? WHERE id = ?", (value, beta))
    later = [(await pick_quote(store, Audience(GUILD_A), filters)).quote.story_id for _ in range(7)]
    assert set(later) == {alpha}


async def test_cycles_unused_for_long_are_dropped(store: Store) -> None:
    story_id = await add(store, dialogue_story("alpha", lines=3))
    old = await pick_quote(store, Audience(GUILD_A), QuoteFilters(story_id=story_id))
    await store.write_behind.flush()
    await store.db.execute("UPDATE quote_cycles SET used_at = '2000-01-01T00:00:00' WHERE id = ?", (old.cycle_id,))
    await pick_quote(store, Audience(GUILD_A), QuoteFilters(contains="line"))
    await store.write_behind.flush()
    assert await cycle_filters(store, old.cycle_id, Audience(GUILD_A)) is None


async def test_another_works_before_a_new_cycles_row_is_written(store: Store) -> None:
    await add(store, dialogue_story("alpha", lines=3))
    filters = QuoteFilters(character="Naruto", contains="line")
    card = await pick_quote(store, Audience(GUILD_A), filters)
    assert await cycle_filters(store, card.cycle_id, Audience(GUILD_A)) == filters
    assert await cycle_filters(store, card.cycle_id, Audience(GUILD_B)) is None
    await store.write_behind.flush()
    assert await cycle_filters(store, card.cycle_id, Audience(GUILD_A)) == filters


async def test_filtered_cycles_hold_a_few_integers_whatever_the_matches(store: Store) -> None:
    story_id = await add(store, dialogue_story("alpha", lines=40))
    for filters in (QuoteFilters(story_id=story_id), QuoteFilters(character="Naruto"), QuoteFilters(contains="line"),
                    QuoteFilters(story_id, "Sasuke", "line number")):
        await pick_quote(store, Audience(GUILD_A), filters)
    await store.write_behind.flush()
    rows = await store.db.execute_fetchall("SELECT domain, size, cursor FROM quote_cycles ORDER BY id")
    domains = {row[0].split(":")[0] for row in rows}  # "blocks:BITS": the bits per block
    assert len(rows) == 4 and domains <= {"line", "story", "speaker", "speakers", "matches", "blocks"}
    tables = [t for t in await store.tables() if t.startswith("quote_cycle")]
    assert [t for t in tables if not t.startswith("quote_cycles")] == []


async def test_migration_keeps_old_filtered_cycles_ids_and_starts_them_afresh(tmp_path: Path) -> None:
    old = tmp_path / "migrations"
    old.mkdir()
    # Before 0005, plus 0009, 0010 and 0013 (stories' metadata columns, quotes' speakers and the name
    # lines, which today's loader writes).
    for path in sorted([*MIGRATIONS_DIR.glob("000[1-4]_*.sql"), *MIGRATIONS_DIR.glob("0009_*.sql"),
                        *MIGRATIONS_DIR.glob("0010_*.sql"), *MIGRATIONS_DIR.glob("0013_*.sql")]):
        (old / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    database = tmp_path / "old.db"
    async with Store.open(database, migrations=old) as store:
        story_id = await add(store, dialogue_story("alpha", lines=4))
        await store.db.execute(
            "INSERT INTO quote_cycles (id, scope, filter_key, story_id, adult, seed, size, cut, cursor, built_at,"
            " used_at) VALUES (7, ?, ?, ?, 0, 1, 4, 4, 1, '2026-01-01', '2026-12-01')",
            (GUILD_A, QuoteFilters(story_id=story_id).key(False), story_id),
        )
        await store.db.execute("INSERT INTO quote_cycle_members (cycle_id, pos, quote_id) VALUES (7, 0, 1)")
    async with Store.open(database) as store:
        assert await cycle_filters(store, 7, Audience(GUILD_A)) == QuoteFilters(story_id=story_id)
        cards = [await pick_quote(store, Audience(GUILD_A), QuoteFilters(story_id=story_id)) for _ in range(4)]
        assert {card.cycle_id for card in cards} == {7} and len({card.quote.id for card in cards}) == 4


@pytest.mark.sqlite_only  # counts aiosqlite's round trips
@pytest.mark.parametrize("word_filter", ["matches", "probe"])
async def test_a_pick_is_two_round_trips_for_a_new_filter_and_one_after(
    store: Store, monkeypatch: pytest.MonkeyPatch, word_filter: str
) -> None:
    if word_filter == "probe":
        monkeypatch.setattr(quotes, "_MATCHES_MAX", 0)
    story_id = await add(store, dialogue_story("alpha", lines=60))
    await add(store, dialogue_story("beta", lines=60), guild_id=GUILD_A)
    trips = RoundTrips(monkeypatch)
    for filters in (QuoteFilters(), QuoteFilters(story_id=story_id), QuoteFilters(character="Naruto"),
                    QuoteFilters(contains="line"), QuoteFilters(story_id, "Naruto"), QuoteFilters(story_id, None, "line"),
                    QuoteFilters(None, "Sasuke", "number"), QuoteFilters(story_id, "Sasuke", "number")):
        counts = []
        for _ in range(20):
            await store.write_behind.flush()
            trips.count = 0
            await pick_quote(store, Audience(GUILD_A), filters)
            counts.append(trips.count)
        assert counts[0] <= 2 and set(counts[1:]) == {1}, (filters, counts)


@pytest.mark.parametrize("most", [0, 3, 100])
async def test_a_word_filter_shows_every_match_once_whichever_walk_it_takes(
    store: Store, monkeypatch: pytest.MonkeyPatch, most: int
) -> None:
    # Walking the matches is only allowed while they were counted exactly (at most _MATCHES_MAX).
    monkeypatch.setattr(quotes, "_MATCHES_MAX", most)
    story_id = await add(store, dialogue_story("alpha", lines=8))
    await add(store, dialogue_story("beta", lines=8))
    for filters in (QuoteFilters(contains="line"), QuoteFilters(story_id, None, "line"),
                    QuoteFilters(None, "Naruto", "line")):
        expected = 16 if filters.story_id is None else 8
        expected //= 2 if filters.character else 1
        shown = [(await pick_quote(store, Audience(GUILD_A), filters)).quote.id for _ in range(expected)]
        assert len(set(shown)) == expected, (filters, most)


@pytest.mark.parametrize("positions", [1, quotes._MAX_STEPPED, -quotes._MAX_BATCH])
async def test_a_batch_of_ranks_fits_in_one_statement(store: Store, positions: int) -> None:
    await add(store, dialogue_story("alpha", lines=3))
    params = {"scope": 0, "adult": 0, "story": None, "name": "", "fts": '"line"', "low": 1, "high": 10,
              "size": 3, "reach": 3 * abs(positions)}
    for i in range(abs(positions)):
        params.update({f"x{i}": i, f"d{i}": 0})
    rows = await store.db.execute_fetchall(quotes._batch_sql("matches", positions, False, False, False), params)
    assert len(rows) == (positions if positions > 0 else 3)  # stepping answers every rank, NULL past the end


async def test_a_character_with_words_across_stories_walks_exactly_the_lines_it_said(store: Store) -> None:
    # Sasuke says the odd lines; the other guild's and the M-rated story's lines are not his here.
    await add(store, dialogue_story("alpha", lines=40))
    await add(store, dialogue_story("beta", lines=40), guild_id=GUILD_A)
    await add(store, dialogue_story("gamma", lines=40), guild_id=GUILD_B)
    await add(store, dialogue_story("delta", lines=40), rating="M")
    filters = QuoteFilters(None, "Sasuke", "line")
    # Under spoiler limits (here: up to the only chapter) the lines are numbered with the gates.
    for limits in (NO_LIMITS, ChapterLimits((), 0)):
        audience = Audience(GUILD_A, limits=limits)
        cards = [await pick_quote(store, audience, filters) for _ in range(40)]
        assert len({card.quote.id for card in cards}) == 40
        assert {card.story.title for card in cards} == {"Story alpha", "Story beta"}
        assert all(card.quote.speaker == "Sasuke" for card in cards)
    # Each cycle walks the words Sasuke said (one full-text query) in blocks of ids: nothing
    # counted, listed or stepped over beyond the window of ids that sized the blocks.
    await store.write_behind.flush()
    rows = await store.db.execute_fetchall("SELECT domain FROM quote_cycles")
    assert len(rows) == 2 and all(quotes._block_bits(row[0]) is not None for row in rows)


@pytest.mark.parametrize("story_filter", [False, True])
async def test_a_word_filter_walked_in_blocks_shows_every_visible_match_once_per_cycle(
    store: Store, monkeypatch: pytest.MonkeyPatch, story_filter: bool
) -> None:
    # Blocks of a few ids, sized from the first 4 matches: many blocks, most lines passed over.
    monkeypatch.setattr(quotes, "_BLOCK_MATCHES", 2)
    monkeypatch.setattr(quotes, "_BLOCK_PROBE", 4)
    sure = await add(store, dialogue_story("alpha", lines=30, extra_quotes=("no such word in this one",) * 5))
    unsure = await add(store, dialogue_story("beta", lines=12, confidence=0.2))
    await add(store, dialogue_story("gamma", lines=10), guild_id=GUILD_B)  # another server's
    await add(store, dialogue_story("delta", lines=10), rating="M")  # not for an ordinary channel
    own = await add(store, dialogue_story("epsilon", lines=9), guild_id=GUILD_A)
    filters = QuoteFilters(sure, None, "line") if story_filter else QuoteFilters(contains="line")
    rows = await store.db.execute_fetchall(
        "SELECT q.id, q.story_id FROM quotes AS q WHERE q.text LIKE '%line number%'")
    expected = {qid for qid, sid in rows if sid == sure or (not story_filter and sid in (unsure, own))}
    for _ in range(2):  # a cycle, then the one after it
        shown = [(await pick_quote(store, Audience(GUILD_A), filters)).quote.id for _ in range(len(expected))]
        assert sorted(shown) == sorted(expected)
    await store.write_behind.flush()
    ((domain, size),) = await store.db.execute_fetchall("SELECT domain, size FROM quote_cycles")
    bits = quotes._block_bits(domain)
    assert bits is not None and size >> bits >= 3


def test_a_blocks_order_is_a_permutation_of_each_block() -> None:
    for bits in (4, 7, 12):
        for block in range(3):
            slots = [quotes.block_slot(o, 987654321, block, bits) for o in range(1 << bits)]
            assert sorted(slots) == list(range(1 << bits)) and slots != list(range(1 << bits))


def test_blocks_are_sized_from_the_matches_counted_whatever_the_library_size() -> None:
    assert quotes._blocks_domain(1, 1000, 10, 900) == ("blocks:13", 8192)  # 10 matches in all: one block
    # A word in half the lines (the bench's most frequent): blocks of 128 ids (64 matches) at 10^5
    # and at 10^7 alike, so a first pick reads as many matches at either size (main: 4,096 ids at
    # 10^7, about 2,000 matches, for its cap of 4,096 blocks).
    for lines in (100_000, 1_000_000, 10_000_000):
        domain, size = quotes._blocks_domain(1, lines, 1024, 2048)
        assert quotes._block_bits(domain) == 7, lines
    domain, size = quotes._blocks_domain(1, 10_000_000, 1024, 1024)  # the first 1,024 lines all match
    assert size >> quotes._block_bits(domain) <= 1 << quotes._MAX_BLOCK_COUNT_BITS


async def _crowded_first_picks(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A word in the first of ten stories only (every line of it), its start probe and window scaled
    down (32 matches, 64 ids): the block bits of ten new cycles' first picks, one per server."""
    monkeypatch.setattr(quotes, "_BLOCK_PROBE", 32)
    monkeypatch.setattr(quotes, "_WORD_WINDOW", 64)
    crowd = await add(store, dialogue_story("crowded", lines=100))
    for i in range(9):
        await add(store, dialogue_story(f"plain{i}", lines=100))
    found = []
    for k in range(10):
        card = await pick_quote(store, Audience(100 + k), QuoteFilters(contains="crowded"), rng=random.Random(k))
        assert card.story.id == crowd
        await store.write_behind.flush()
        ((domain,),) = await store.db.execute_fetchall("SELECT domain FROM quote_cycles WHERE scope = ?", (100 + k,))
        bits = quotes._block_bits(domain)
        assert bits is not None
        found.append(bits)
    return found


async def test_a_word_crowding_the_first_story_is_not_walked_in_blocks_sized_for_that_story(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its first matches (the start probe) say every line holds it; a window of ids at a random place
    # says few do: the blocks are sized by the lower estimate, so the walk does not pass hundreds of
    # empty blocks 16 at a time (main: the cap of 4,096 blocks was the only guard).
    bits = await _crowded_first_picks(store, monkeypatch)
    # The whole library (about 1,020 ids) in one or two blocks, unless the window lies in the
    # crowded story (ids 1-102), about one time in ten.
    assert sum(b >= 10 for b in bits) >= 6, bits


async def test_a_window_without_matches_sizes_blocks_no_lower_than_the_floor(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A word clustered in one story mostly has no match in the window: its density is taken down
    # to a _WINDOW_FLOOR-th of the first matches' (here 2: blocks of about 128 ids), not to nothing
    # (blocks as large as the library, each query reading every match of the word).
    monkeypatch.setattr(quotes, "_WINDOW_FLOOR", 2)
    bits = await _crowded_first_picks(store, monkeypatch)
    assert max(bits) <= 8, bits
