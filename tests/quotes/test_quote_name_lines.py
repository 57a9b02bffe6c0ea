"""The name lines (migration 0013, bot/store/name_lines.py): every character answering to a name
laid end to end per scope and gatedness (the story's rating adult-only), kept gap-free by the loader, and /quote's `character` filter across
stories (the SPEAKERS domain) and random_quote drawing on them."""
from __future__ import annotations

import collections
import random
from pathlib import Path

import pytest

from bot.errors import CharacterNotFound, NothingMatches
from bot.parsing.model import Chapter, Character, Quote, Scene, Story
from bot.store import Store
from bot.store.audience import GATED_SQL, Audience
from bot.store.loader import delete_story, load_story, publish_staged, stage_story
from bot.store.quotes import QuoteFilters, pick_quote
from bot.store.random_pick import random_quote
from tests.quotes.helpers import add, dialogue_story

GUILD_A, GUILD_B = 111, 222


def named_story(tag: str, counts: dict[str, int], *, aliases: dict[str, tuple[str, ...]] | None = None,
                confidence: float = 0.9) -> Story:
    """One scene; `counts[name]` quotable lines for each speaker, in turn."""
    paragraphs: list[str] = []
    quotes: list[Quote] = []
    left = dict(counts)
    while any(left.values()):
        for name in counts:
            if left[name]:
                left[name] -= 1
                text = f"{tag} {name} speaks line {left[name]} here"
                quotes.append(Quote(text, "speech", name, confidence, 0, 0, len(paragraphs), 1, 1 + len(text)))
                paragraphs.append(f'"{text}" said {name}.')
    aliases = aliases or {}
    return Story(
        title=f"Story {tag}", summary=None,
        chapters=(Chapter(number=1, title=None, scenes=(Scene(None, tuple(paragraphs)),)),),
        quotes=tuple(quotes),
        characters=tuple(Character(name, aliases.get(name, ())) for name in counts),
    )


async def assert_lines_dense(store: Store) -> None:
    """Every (key, scope, gated) line holds exactly the characters answering to the key with lines
    in a story published there and gated as its rating is, laid end to end from 0 without gaps,
    and its total is its length."""
    expected = {
        (row[0], row[1], row[2], row[3]): row[4] for row in await store.db.execute_fetchall(
            f"SELECT c.id, c.name_key, s.scope, {GATED_SQL}, c.lines FROM characters AS c"
            " JOIN stories AS s ON s.id = c.story_id WHERE c.lines > 0 AND s.scope >= 0"
            f" UNION SELECT c.id, a.alias_key, s.scope, {GATED_SQL}, c.lines FROM aliases AS a"
            " JOIN characters AS c ON c.id = a.character_id JOIN stories AS s ON s.id = c.story_id"
            " WHERE c.lines > 0 AND s.scope >= 0"
        )
    }
    rows = await store.db.execute_fetchall(
        "SELECT character_id, name_key, scope, gated, base, lines FROM name_lines ORDER BY name_key, scope, gated, base"
    )
    assert {(r[0], r[1], r[2], r[3]): r[5] for r in rows} == expected
    lines: dict[tuple[str, int, int], list[tuple[int, int]]] = collections.defaultdict(list)
    for _, key, scope, gated, base, count in rows:
        lines[(key, scope, gated)].append((base, count))
    totals = {(r[0], r[1], r[2]): r[3] for r in await store.db.execute_fetchall(
        "SELECT name_key, scope, gated, lines FROM name_totals WHERE lines > 0")}
    assert set(totals) == set(lines)
    for line, entries in lines.items():
        end = 0
        for base, count in entries:
            assert base == end, f"line {line}: a gap or an overlap at {base} (expected {end})"
            end += count
        assert totals[line] == end


async def test_the_loader_keeps_the_name_lines_dense(store: Store) -> None:
    alpha = await add(store, named_story("alpha", {"Naruto": 3, "Sasuke": 2}))
    beta = await add(store, named_story("beta", {"Naruto": 4, "Kurama": 2}, aliases={"Kurama": ("Naruto",)}))
    gamma = await add(store, named_story("gamma", {"Naruto": 5}))
    await add(store, named_story("delta", {"Naruto": 2, "Sakura": 1}), guild_id=GUILD_A)
    await add(store, named_story("epsilon", {"Naruto": 6}), guild_id=GUILD_A)
    await assert_lines_dense(store)
    # A story in the middle of its lines: the ones after it shift down.
    assert await delete_story(store, beta)
    await assert_lines_dense(store)
    assert await delete_story(store, alpha)
    await assert_lines_dense(store)
    # A bundled story replaced (same source, other text): off its lines, then at their ends.
    first = await load_story(store, named_story("zeta", {"Naruto": 2}), title="Zeta", content_hash="z1",
                             source="zeta.txt")
    await add(store, named_story("eta", {"Naruto": 3}))
    await assert_lines_dense(store)
    again = await load_story(store, named_story("zeta2", {"Naruto": 4, "Hinata": 2}), title="Zeta",
                             content_hash="z2", source="zeta.txt")
    assert again == first
    await assert_lines_dense(store)
    # A staged upload joins its guild's lines when published, not before.
    staged = await stage_story(store, named_story("theta", {"Naruto": 3}), guild_id=GUILD_A, title="Theta",
                               token="t1", pause=0)
    await assert_lines_dense(store)
    await publish_staged(store, staged, GUILD_A, "theta-hash")
    await assert_lines_dense(store)
    assert await delete_story(store, gamma)
    await assert_lines_dense(store)
    totals = dict(await store.db.execute_fetchall("SELECT scope, lines FROM name_totals WHERE name_key = 'naruto'"))
    assert totals == {0: 4 + 3, GUILD_A: 2 + 6 + 3}


async def test_gated_and_open_stories_mixed_keep_their_lines_dense(store: Store) -> None:
    alpha = await add(store, named_story("alpha", {"Naruto": 3, "Sasuke": 2}), rating="M")
    beta = await add(store, named_story("beta", {"Naruto": 4}))
    await add(store, named_story("gamma", {"Kurama": 2}, aliases={"Kurama": ("Naruto",)}), rating="Explicit")
    await add(store, named_story("delta", {"Naruto": 5}), rating=None)
    await add(store, named_story("epsilon", {"Naruto": 2}), guild_id=GUILD_A, rating=" m ")
    await add(store, named_story("zeta", {"Naruto": 6}), guild_id=GUILD_A)
    await assert_lines_dense(store)
    gated = dict(((r[0], r[1]), r[2]) for r in await store.db.execute_fetchall(
        "SELECT scope, gated, lines FROM name_totals WHERE name_key = 'naruto'"))
    assert gated == {(0, 1): 3 + 2, (0, 0): 4 + 5, (GUILD_A, 1): 2, (GUILD_A, 0): 6}
    assert await delete_story(store, alpha)
    await assert_lines_dense(store)
    assert await delete_story(store, beta)
    await assert_lines_dense(store)
    # A bundled story replaced by a text of another rating moves to the other lines.
    first = await load_story(store, named_story("eta", {"Naruto": 2}), title="Eta", content_hash="e1",
                             source="eta.txt", rating="T")
    await add(store, named_story("theta", {"Naruto": 3}), rating="MA")
    again = await load_story(store, named_story("eta2", {"Naruto": 4}), title="Eta", content_hash="e2",
                             source="eta.txt", rating="M")
    assert again == first
    await assert_lines_dense(store)
    # The same text rated anew in place (its .toml changed): its characters change lines.
    rerated = await load_story(store, named_story("eta2", {"Naruto": 4}), title="Eta", content_hash="e2",
                               source="eta.txt", rating="T")
    assert rerated == first
    await assert_lines_dense(store)
    assert [tuple(r) for r in await store.db.execute_fetchall(
        "SELECT DISTINCT gated FROM name_lines WHERE story_id = ?", (first,))] == [(0,)]
    card = await pick_quote(store, Audience(None), QuoteFilters(character="Naruto", contains="eta2"))
    assert card.quote.story_id == first


async def test_a_delete_that_left_a_gap_would_be_seen(store: Store) -> None:
    # The check above fails on a line a delete forgot to close (it can fail).
    await add(store, named_story("alpha", {"Naruto": 3}))
    await add(store, named_story("beta", {"Naruto": 4}))
    await store.db.execute("UPDATE name_lines SET base = base + 1 WHERE base > 0")
    with pytest.raises(AssertionError, match="gap"):
        await assert_lines_dense(store)


async def _library(store: Store) -> dict[str, set[str]]:
    """Same-named characters in both scopes, an alias, and lines no guild-A reader may see."""
    await add(store, named_story("alpha", {"Naruto": 3, "Sasuke": 2}))
    await add(store, named_story("beta", {"Naruto": 4}, confidence=0.4))  # shown after the confident ones
    await add(store, named_story("gamma", {"Kurama": 2}, aliases={"Kurama": ("Naruto",)}))
    await add(store, named_story("delta", {"Naruto": 2, "Sakura": 1}), guild_id=GUILD_A)
    await add(store, named_story("epsilon", {"Naruto": 3}), guild_id=GUILD_A)
    await add(store, named_story("zeta", {"Naruto": 5}), guild_id=GUILD_B)  # another guild's
    await add(store, named_story("eta", {"Naruto": 4}), rating="M")  # not for this audience
    confident = {f"{tag} {name} speaks line {i} here" for tag, name, n in (
        ("alpha", "Naruto", 3), ("gamma", "Kurama", 2), ("delta", "Naruto", 2), ("epsilon", "Naruto", 3))
        for i in range(n)}
    unsure = {f"beta Naruto speaks line {i} here" for i in range(4)}
    return {"confident": confident, "unsure": unsure}


@pytest.mark.parametrize("seed", range(4))
async def test_a_name_across_stories_shows_every_line_once_confident_first(store: Store, seed: int) -> None:
    expected = await _library(store)
    rng = random.Random(seed)
    everything = expected["confident"] | expected["unsure"]
    for _ in range(2):  # two whole cycles
        shown = [(await pick_quote(store, Audience(GUILD_A), QuoteFilters(character="naruto"), rng=rng)).quote.text
                 for _ in range(len(everything))]
        assert len(set(shown)) == len(shown)
        assert set(shown[:len(expected["confident"])]) == expected["confident"]
        assert set(shown) == everything


async def test_a_name_whose_lines_are_all_past_the_age_gate_is_unknown(store: Store) -> None:
    await add(store, named_story("alpha", {"Naruto": 3}))
    await add(store, named_story("eta", {"Orochimaru": 4}), rating="M")
    with pytest.raises(CharacterNotFound):
        await pick_quote(store, Audience(GUILD_A), QuoteFilters(character="Orochimaru"))
    card = await pick_quote(store, Audience(GUILD_A, adult=True), QuoteFilters(character="Orochimaru"))
    assert card.quote.speaker == "Orochimaru"


async def test_a_name_found_only_in_adult_stories_is_unknown_at_once(store: Store) -> None:
    # Its lines are no positions of a cycle outside age-restricted channels (were they, a pick would
    # walk its budget over them and answer "try again" instead).
    await add(store, named_story("alpha", {"Naruto": 3}))
    await add(store, named_story("eta", {"Orochimaru": 9000}), rating="M")
    for _ in range(2):
        with pytest.raises(CharacterNotFound):
            await pick_quote(store, Audience(GUILD_A), QuoteFilters(character="Orochimaru"))
    card = await pick_quote(store, Audience(GUILD_A, adult=True), QuoteFilters(character="Orochimaru"))
    assert card.quote.speaker == "Orochimaru"


async def test_a_name_mostly_in_adult_stories_shows_its_open_lines(store: Store) -> None:
    await add(store, named_story("eta", {"Orochimaru": 9000}), rating="M")
    await add(store, named_story("alpha", {"Orochimaru": 2, "Naruto": 1}))
    open_lines = {f"alpha Orochimaru speaks line {i} here" for i in range(2)}
    rng = random.Random(5)
    filters = QuoteFilters(character="Orochimaru")
    for _ in range(3):  # whole cycles: every pick a card, each open line once per cycle
        try:
            shown = [(await pick_quote(store, Audience(GUILD_A), filters, rng=rng)).quote.text for _ in range(2)]
        except NothingMatches as exc:  # what the gate prevents
            pytest.fail(f"a pick found nothing: {exc}")
        assert set(shown) == open_lines
    # An age-restricted channel draws over both lines: its first picks are nearly all adult lines.
    adult = [(await pick_quote(store, Audience(GUILD_A, adult=True), filters, rng=rng)).quote.text
             for _ in range(20)]
    assert len(set(adult)) == 20 and sum(text.startswith("eta ") for text in adult) >= 15


@pytest.mark.parametrize("seed", range(2))
async def test_an_adult_channel_sees_every_line_of_a_name(store: Store, seed: int) -> None:
    expected = await _library(store)
    everything = expected["confident"] | expected["unsure"] | {f"eta Naruto speaks line {i} here" for i in range(4)}
    rng = random.Random(seed)
    shown = [(await pick_quote(store, Audience(GUILD_A, adult=True), QuoteFilters(character="naruto"),
                               rng=rng)).quote.text for _ in range(len(everything))]
    assert len(set(shown)) == len(shown) and set(shown) == everything


async def test_a_change_of_the_lines_starts_a_new_cycle_even_at_the_same_size(store: Store) -> None:
    alpha = await add(store, named_story("alpha", {"Naruto": 4}))
    beta = await add(store, named_story("beta", {"Naruto": 4}), guild_id=GUILD_A)
    rng = random.Random(7)
    filters = QuoteFilters(character="Naruto")
    for _ in range(3):
        await pick_quote(store, Audience(GUILD_A), filters, rng=rng)
    assert await delete_story(store, beta)
    gamma = await add(store, named_story("gamma", {"Naruto": 4}), guild_id=GUILD_A)  # the same size again
    later = [(await pick_quote(store, Audience(GUILD_A), filters, rng=rng)).quote for _ in range(8)]
    # A new cycle: every one of the 8 lines once (the old one, laid out over beta, would repeat some).
    assert len({q.id for q in later}) == 8 and {q.story_id for q in later} == {alpha, gamma}


async def test_random_quote_by_name_is_uniform_over_both_scopes(store: Store) -> None:
    await _library(store)
    rng = random.Random(11)
    counts: collections.Counter[str] = collections.Counter()
    draws = 4000
    for _ in range(draws):
        quote = await random_quote(store, guild_id=GUILD_A, character_name="Naruto", rng=rng)
        assert quote is not None
        counts[quote.text] += 1
    # Every line of the characters answering to the name here (the M-rated story is not gated by
    # random_quote: it sees the scope only), another guild's never; each about draws / lines.
    lines = {text for text in counts}
    assert not any(text.startswith("zeta") for text in lines)
    assert len(lines) == 3 + 4 + 2 + 2 + 3 + 4
    expected = draws / len(lines)
    assert all(0.6 * expected < n < 1.4 * expected for n in counts.values()), counts


async def test_the_migration_lays_out_an_existing_library(tmp_path: Path) -> None:
    database = tmp_path / "old.db"
    async with Store.open(database) as store:  # today's loader writes the lines: the rows are dropped below
        await add(store, named_story("alpha", {"Naruto": 3, "Sasuke": 2}))
        await add(store, named_story("gamma", {"Kurama": 2}, aliases={"Kurama": ("Naruto",)}))
        await add(store, named_story("delta", {"Naruto": 2}), guild_id=GUILD_A)
        await add(store, named_story("eta", {"Naruto": 4}), guild_id=GUILD_A, rating="M")
        await stage_story(store, dialogue_story("staged", lines=3), guild_id=GUILD_A, title="Staged", token="s",
                          pause=0)
        await store.db.execute("DROP TABLE name_lines")
        await store.db.execute("DROP TABLE name_totals")
        await store.db.execute("DELETE FROM schema_migrations WHERE version = 13")
    async with Store.open(database) as store:  # migrated on open
        await assert_lines_dense(store)
        totals = {(r[0], r[1]): r[2] for r in await store.db.execute_fetchall(
            "SELECT scope, gated, lines FROM name_totals WHERE name_key = 'naruto'")}
        assert totals == {(0, 0): 3 + 2, (GUILD_A, 0): 2, (GUILD_A, 1): 4}
        card = await pick_quote(store, Audience(GUILD_A), QuoteFilters(character="Naruto"))
        assert card.quote.speaker in {"Naruto", "Kurama"}


def test_the_migration_gates_the_ratings_the_audience_gates() -> None:
    # The migration fills `gated` with its own copy of ADULT_RATINGS: it must be today's list.
    migrations = Path(__file__).resolve().parents[2] / "bot" / "store" / "migrations"
    start = GATED_SQL.index("IN (")
    listed = GATED_SQL[start:GATED_SQL.index(")", start) + 1]
    for sql in (migrations / "0013_name_lines.sql", migrations / "postgres" / "0013_name_lines.sql"):
        text = sql.read_text()
        assert text.count(f"lower(trim(s.rating)) {listed} THEN 1 ELSE 0 END") == 2, sql
