"""/quote pick latency on synthetic libraries of 10^4 .. 10^7 quotations, against ORDER BY RANDOM().

For each size: a temporary database through the real migrations, filled in bulk (stories of 1,000
quotations, 80 % bundled and 20 % the measured guild's; 5 characters per story; 6-word lines from
a 4,096-word vocabulary, every tenth a 2-word fragment /quote must skip). Then, per query kind,
`pick_quote` (the no-repeat cycle walk, commit included) is timed in steady state (wall clock and
CPU time) and its cycle build separately, and the naive `ORDER BY RANDOM() LIMIT 1` over the same
visible quotations.

    .venv/bin/python bench/quote.py [--sizes 4,5,6,7] [--picks 2000]
"""
from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.store import Store
from bot.store.audience import Audience
from bot.store.quotes import QuoteFilters, pick_quote

GUILD = 777
PER_STORY = 1000
CHARACTERS = 5  # quotes with seq % 6 == 5 have no speaker
NAMES = 50  # character names drawn from this many, so a name spans many stories
VOCABULARY = 4096


def _word(rng: random.Random) -> str:
    return "".join(rng.choice("abcdefghijklmnoprstuvwy") for _ in range(rng.randint(3, 9)))


async def populate(store: Store, quotations: int, rng: random.Random) -> float:
    """Bulk-load `quotations` quotations; returns seconds taken."""
    started = time.perf_counter()
    db = store.db
    stories = max(1, quotations // PER_STORY)
    story_rows, character_rows = [], []
    bases = {0: 0, GUILD: 0}
    for sid in range(1, stories + 1):
        guild = GUILD if sid % 5 == 0 else None
        scope = guild or 0
        story_rows.append((sid, guild, f"Story {sid}", f"story {sid}", f"h{sid}", "T", PER_STORY, bases[scope],
                           "2026-01-01T00:00:00"))
        bases[scope] += PER_STORY
        for k in range(CHARACTERS):
            name = f"Name{(sid * 7 + k) % NAMES}"
            lines = len(range(k, PER_STORY, CHARACTERS + 1))
            character_rows.append((sid * 8 + k, sid, name, name.casefold(), lines))
    words = sorted({_word(rng) for _ in range(VOCABULARY * 2)})[:VOCABULARY]
    # Quotes reference paragraphs the bench does not need; checks are off for the bulk load only.
    await db.execute("PRAGMA foreign_keys = OFF")
    async with store.atomic():
        await db.executemany(
            "INSERT INTO stories (id, guild_id, title, title_key, content_hash, rating, quote_count, quote_base,"
            " added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", story_rows,
        )
        await db.executemany(
            "INSERT INTO characters (id, story_id, name, name_key, lines) VALUES (?, ?, ?, ?, ?)", character_rows
        )
        await db.executemany("INSERT INTO scope_totals (scope, quotes) VALUES (?, ?)", list(bases.items()))
        await db.execute("CREATE TEMP TABLE vocab (id INTEGER PRIMARY KEY, word TEXT NOT NULL)")
        await db.executemany("INSERT INTO temp.vocab (id, word) VALUES (?, ?)", enumerate(words))
        word = "(SELECT word FROM temp.vocab WHERE id = (i * {a} + {b}) % " + str(VOCABULARY) + ")"
        six = " || ' ' || ".join(word.format(a=a, b=b) for a, b in
                                  ((7919, 1), (104729, 7), (1299709, 3), (15485863, 11), (32452843, 5), (49979687, 2)))
        two = " || ' ' || ".join(word.format(a=a, b=b) for a, b in ((7919, 1), (104729, 7)))
        await db.execute(
            "INSERT INTO quotes (id, story_id, seq, paragraph_seq, chapter_index, scene_index, paragraph_index,"
            " text, kind, character_id, speaker_seq, confidence)"
            " WITH RECURSIVE n (i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)"
            " SELECT i + 1, i / ?2 + 1, i % ?2, i % ?2, 0, 0, 0,"
            f" CASE WHEN i % 10 = 9 THEN {two} ELSE {six} END, 'speech',"
            " CASE WHEN i % 6 < 5 THEN (i / ?2 + 1) * 8 + i % 6 END,"
            " CASE WHEN i % 6 < 5 THEN (i % ?2) / 6 END, 0.5 + (i % 5) / 10.0 FROM n",
            (stories * PER_STORY, PER_STORY),
        )
        # The loader indexes quotations itself (no insert trigger), so this bulk load does too.
        await db.execute("INSERT INTO quotes_fts (rowid, text) SELECT id, text FROM quotes")
    await db.execute("PRAGMA foreign_keys = ON")
    await db.execute("ANALYZE")
    return time.perf_counter() - started


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ms = sorted(s * 1000 for s in samples)
    return statistics.median(ms), ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]


async def _time_picks(
    store: Store, filters: QuoteFilters, picks: int
) -> tuple[float, list[float], list[float]]:
    """(first pick, which builds the cycle; steady-state wall-clock samples; CPU-time samples).

    CPU time (this process, all threads) is what a pick costs when it gets a core at once; on a
    shared, loaded machine wall-clock p99 mostly measures waiting for one.
    """
    audience = Audience(GUILD)
    t0 = time.perf_counter()
    await pick_quote(store, audience, filters)
    first = time.perf_counter() - t0
    wall, cpu = [], []
    for _ in range(picks):
        t0, c0 = time.perf_counter(), time.process_time()
        await pick_quote(store, audience, filters)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return first, wall, cpu


async def _time_naive(store: Store, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        async with store.db.execute(
            "SELECT q.id, q.text FROM quotes AS q JOIN stories AS s ON s.id = q.story_id"
            " WHERE s.scope IN (0, ?) ORDER BY RANDOM() LIMIT 1", (GUILD,),
        ) as cur:
            await cur.fetchone()
        samples.append(time.perf_counter() - t0)
    return samples


async def bench_size(exponent: int, picks: int) -> None:
    quotations = 10 ** exponent
    rng = random.Random(exponent)
    with tempfile.TemporaryDirectory() as folder:
        async with Store.open(Path(folder) / "bench.db") as store:
            took = await populate(store, quotations, rng)
            print(f"\n10^{exponent} quotations ({quotations:,}), built in {took:.1f} s")
            async with store.db.execute("SELECT word FROM temp.vocab WHERE id = 1") as cur:
                common = (await cur.fetchone())[0]
            kinds = {
                "no filter": QuoteFilters(),
                "story": QuoteFilters(story_id=max(1, quotations // PER_STORY // 2)),
                "character (all stories)": QuoteFilters(character="Name3"),
                "story + character": QuoteFilters(story_id=1, character="Name7"),
                f"contains '{common}'": QuoteFilters(contains=common),
            }
            for label, filters in kinds.items():
                first, wall, cpu = await _time_picks(store, filters, picks)
                p50, p99 = _percentiles(wall)
                c50, c99 = _percentiles(cpu)
                print(f"  pick {label:<26} wall p50={p50:6.3f} p99={p99:6.3f} ms"
                      f" | cpu p50={c50:6.3f} p99={c99:6.3f} ms | cycle build {first * 1000:7.1f} ms")
            naive = await _time_naive(store, max(3, min(200, 2 * 10 ** (7 - exponent))))
            n50, n99 = _percentiles(naive)
            _, wall, _ = await _time_picks(store, QuoteFilters(), picks)
            p50 = _percentiles(wall)[0]
            print(f"  ORDER BY RANDOM() LIMIT 1       wall p50={n50:8.2f} p99={n99:8.2f} ms (n={len(naive)})"
                  f" -> the no-filter pick is {n50 / p50:,.0f}x faster at p50")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="4,5,6,7", help="powers of ten of quotations")
    parser.add_argument("--picks", type=int, default=2000)
    args = parser.parse_args()
    for exponent in (int(x) for x in args.sizes.split(",")):
        await bench_size(exponent, args.picks)


if __name__ == "__main__":
    asyncio.run(main())
