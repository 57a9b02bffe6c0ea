"""Random picks: visibility, filters, uniformity, and index-only query plans (no scan)."""
from __future__ import annotations

import random
from collections import Counter

import pytest

from bot.store import Store, loader
from bot.store.random_pick import random_paragraph, random_quote
from tests.store.helpers import assert_lines_dense, make_story


async def load_three(store: Store) -> tuple[int, int, int]:
    bundled = await loader.load_story(store, make_story("bun", chapters=1), title="Bun", content_hash="1")
    mine = await loader.load_story(store, make_story("mine", chapters=2), title="Mine", content_hash="2", guild_id=10)
    theirs = await loader.load_story(store, make_story("their", chapters=1), title="Theirs", content_hash="3", guild_id=20)
    return bundled, mine, theirs


async def test_paragraph_picks_are_uniform_over_visible_stories(store: Store) -> None:
    bundled, mine, _ = await load_three(store)
    rng = random.Random(1)
    seen = Counter()
    for _ in range(1800):
        paragraph = await random_paragraph(store, guild_id=10, rng=rng)
        seen[paragraph.story_id, paragraph.seq] += 1
    # 6 bundled + 12 own paragraphs, every one reachable, about 100 picks each.
    assert {s for s, _ in seen} == {bundled, mine}
    assert len(seen) == 18
    assert min(seen.values()) > 55 and max(seen.values()) < 150


async def test_no_guild_sees_bundled_only(store: Store) -> None:
    bundled, _, _ = await load_three(store)
    rng = random.Random(2)
    for _ in range(50):
        assert (await random_paragraph(store, rng=rng)).story_id == bundled
        assert (await random_quote(store, rng=rng)).story_id == bundled


async def test_story_filter_respects_visibility(store: Store) -> None:
    _, mine, theirs = await load_three(store)
    assert await random_quote(store, guild_id=10, story_id=theirs) is None
    assert await random_paragraph(store, guild_id=10, story_id=theirs) is None
    rng = random.Random(3)
    quotes = {(await random_quote(store, guild_id=10, story_id=mine, rng=rng)).seq for _ in range(100)}
    assert quotes == {0, 1, 2, 3}


async def test_character_filters(store: Store) -> None:
    bundled, mine, theirs = await load_three(store)
    rng = random.Random(4)
    picks = [await random_quote(store, guild_id=10, character_name="NARUTO", rng=rng) for _ in range(200)]
    assert {q.speaker for q in picks} == {"Naruto"}
    assert {q.story_id for q in picks} == {bundled, mine}
    only_mine = [await random_quote(store, guild_id=10, story_id=mine, character_name="naruto", rng=rng) for _ in range(20)]
    assert {q.story_id for q in only_mine} == {mine}
    async with store.db.execute("SELECT id FROM characters WHERE story_id = ? AND name = 'Sasuke'", (theirs,)) as cur:
        their_sasuke = (await cur.fetchone())[0]
    assert await random_quote(store, guild_id=10, character_id=their_sasuke) is None
    assert (await random_quote(store, guild_id=20, character_id=their_sasuke)).speaker == "Sasuke"
    assert await random_quote(store, guild_id=10, character_name="Sakura") is None  # she never speaks


async def test_picks_stay_complete_after_replace_and_delete(store: Store) -> None:
    ids = [await loader.load_story(store, make_story(f"s{i}", chapters=1 + i % 3), title=f"S{i}",
                                   source=f"s{i}.txt", content_hash=f"h{i}") for i in range(6)]
    await loader.delete_story(store, ids[1])
    await loader.load_story(store, make_story("new", chapters=4), title="S3", source="s3.txt", content_hash="h3b")
    await assert_lines_dense(store)
    async with store.db.execute("SELECT count(*) FROM paragraphs") as cur:
        total = (await cur.fetchone())[0]
    rng = random.Random(5)
    seen = {(p.story_id, p.seq) for p in [await random_paragraph(store, rng=rng) for _ in range(total * 25)]}
    assert len(seen) == total


async def test_empty_database_picks_nothing(store: Store) -> None:
    assert await random_paragraph(store) is None
    assert await random_quote(store, guild_id=5) is None


@pytest.mark.sqlite_only  # SQLite's EXPLAIN QUERY PLAN
async def test_pick_queries_use_indexes_not_scans(store: Store) -> None:
    await load_three(store)
    plans = {}
    for name, sql, args in [
        ("owner", "SELECT id, paragraph_base FROM stories WHERE scope = ? AND paragraph_base <= ?"
                  " AND paragraph_count > 0 ORDER BY paragraph_base DESC LIMIT 1", (0, 3)),
        ("quote owner", "SELECT id, quote_base FROM stories WHERE scope = ? AND quote_base <= ?"
                        " AND quote_count > 0 ORDER BY quote_base DESC LIMIT 1", (0, 3)),
        ("paragraph", "SELECT text FROM paragraphs WHERE story_id = ? AND seq = ?", (1, 3)),
        ("speaker", "SELECT text FROM quotes WHERE character_id = ? AND speaker_seq = ?", (1, 0)),
    ]:
        async with store.db.execute("EXPLAIN QUERY PLAN " + sql, args) as cur:
            plans[name] = " | ".join(row[3] for row in await cur.fetchall())
    for name, plan in plans.items():
        assert "SCAN" not in plan and "TEMP B-TREE" not in plan, (name, plan)
        assert "USING" in plan, (name, plan)
